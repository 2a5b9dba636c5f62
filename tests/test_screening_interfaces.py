"""Interface rows of `ssbands screen` against `ssbands scl` / `ssbands band` (and the functions behind them)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ssbands.cell import Stack, solve, summary
from ssbands.cli import main
from ssbands.materials import load_library
from ssbands.scl import first_integral
from ssbands.scl.interlayer import phi0_from_library
from ssbands.scl.resistance import interface_resistance
from ssbands.screening import screen, select_materials
from ssbands.screening.synth import write_synthetic_library

COMPUTABLE_SE = {"LLZO", "LiPON", "LiF", "Li2CO3", "Li2O(111)", "Li2O(110)"}


@pytest.fixture(scope="module")
def builtin_screen(tmp_path_factory):
    out = tmp_path_factory.mktemp("builtin")
    s = screen(load_library(), out, n_states=4, jobs=1, figures=False)
    return out, s, pd.read_parquet(out / "interfaces.parquet")


def _row_vs_scl(lib, r):
    x = None if np.isnan(r.li_fraction) else float(r.li_fraction)
    phi0, det = phi0_from_library(lib, r.electrolyte, r.electrode, float(r.electrode_potential_V), x)
    mat = lib[r.electrolyte]
    fi = first_integral(phi0, *(mat.get(f) for f in ("site_density_cm3", "defect_energy_eV", "permittivity", "alpha")),
                        300.0)
    assert r.phi0_V == pytest.approx(phi0, abs=1e-13)
    assert r.work_function_eV == pytest.approx(det["work_function_eV"], abs=1e-13)
    assert r.sigma_e_per_nm2 == pytest.approx(float(fi.sigma_e_per_nm2), rel=1e-12)
    assert r.capacitance_uF_per_cm2 == pytest.approx(float(fi.capacitance_uF_per_cm2), rel=1e-12)
    assert r.saturated_width_A == pytest.approx(float(fi.saturated_width_m) * 1e10, rel=1e-12)
    assert r.debye_length_A == pytest.approx(float(fi.debye_length_m) * 1e10, rel=1e-12)
    if mat.has("ionic_conductivity_S_cm"):
        rr = interface_resistance(mat, phi0, 300.0)
        assert r.R_scl_ohm_cm2 == pytest.approx(rr["R_scl_ohm_cm2"], rel=1e-12)
        assert r.R_ratio == pytest.approx(rr["R_ratio"], rel=1e-12)
    else:
        assert np.isnan(r.R_scl_ohm_cm2)


def test_random_sample_equals_scl_functions(builtin_screen):
    _, s, df = builtin_screen
    lib = load_library()
    assert set(df.electrolyte.astype(str)) == COMPUTABLE_SE
    assert len(df) == s["counts"]["interfaces"] == 6 * 3 * 4  # (Li, LixSi, LixCoO2) x 6 SE x 4 states
    rng = np.random.default_rng(5)
    for i in rng.choice(len(df), 15, replace=False):
        _row_vs_scl(lib, df.iloc[i])


def test_rows_equal_scl_cli(builtin_screen, capsys):
    _, _, df = builtin_screen
    r = df[(df.electrode == "LixCoO2") & (df.electrolyte == "LiPON") & (df.state == "charged")].iloc[0]
    main(["scl", "--electrolyte", "LiPON", "--electrode", "LixCoO2",
          "--potential", repr(float(r.electrode_potential_V)), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert r.phi0_V == pytest.approx(out["phi0_V"], abs=1e-13)
    for k in ("sigma_e_per_nm2", "capacitance_uF_per_cm2", "saturated_width_A", "debye_length_A", "R_scl_ohm_cm2",
              "R_bulk_same_length_ohm_cm2", "R_ratio"):
        assert r[k] == pytest.approx(out[k], rel=1e-12), k


@pytest.mark.parametrize("se", ["LLZO", "LiPON"])
def test_rows_equal_band_solution(builtin_screen, se):
    """Both interfaces of a LixSi | SE | LixCoO2 cell at paired states, against the full equilibrium solve."""
    _, _, df = builtin_screen
    lib = load_library()
    st = Stack.from_dict({"layer": [
        {"material": "LixSi", "role": "anode", "thickness_nm": 100.0},
        {"material": se, "role": "electrolyte", "thickness_nm": 1.0e6},
        {"material": "LixCoO2", "role": "cathode", "thickness_nm": 100.0}]}, lib)
    sub = df[(df.electrolyte == se) & (df.closure == "minimum-interface")]
    an = sub[sub.electrode == "LixSi"].sort_values("soc")
    ca = sub[sub.electrode == "LixCoO2"].sort_values("soc")
    ds = solve(st, li_fractions=(an.li_fraction.to_numpy(), ca.li_fraction.to_numpy()), reference_ocv=None)
    for k in range(len(an)):
        sm = summary(ds.isel(ocv=k))
        for row, iface in ((an.iloc[k], sm["interfaces"][0]), (ca.iloc[k], sm["interfaces"][1])):
            assert row.phi0_V == pytest.approx(iface["phi0_V"], abs=1e-12)
            assert row.sigma_e_per_nm2 == pytest.approx(iface["sigma_e_per_nm2"], rel=1e-9, abs=1e-15)
            assert row.capacitance_uF_per_cm2 == pytest.approx(iface["capacitance_uF_per_cm2"], rel=1e-9)
            assert row.se_mu_Li_eV == pytest.approx(iface["se_mu_Li_eV"], abs=1e-12)
            assert row.injection == iface["injection"]
            inside = row.decomposition == "none"
            assert inside == iface["electrode_in_window"]


def test_extrinsic_closure_flags_against_band():
    lib = load_library(extra=None)
    sel = select_materials(lib, "Li", "LiPON", "LixCoO2", n_states=2)
    from ssbands.screening import compute_interfaces

    res = compute_interfaces(sel.electrodes, sel.electrolytes, sel.phi_li_eV, ("minimum-interface", "extrinsic"),
                             mu_li_se_eV=-1.2)
    assert res["se_mu_Li_eV"].shape == (2, 1, 2, 2)
    assert np.all(res["se_mu_Li_eV"][1] == -1.2)
    assert np.all(res["injection_code"] == -1)  # LiPON's ionization potential is unknown


def test_unknown_materials_are_listed_not_dropped(tmp_path, capsys):
    lib_file = tmp_path / "extra.yaml"
    lib_file.write_text("materials:\n"
                        "  LTO: {kind: electrode, ocv_V: {kind: constant, value: 1.55}, work_function_eV: unknown}\n"
                        "  MySE: {kind: electrolyte, phi0_li_V: 1.0, site_density_cm3: 1e22, defect_energy_eV: 0.3,"
                        " alpha: 0.1, permittivity: unknown}\n", encoding="utf-8")
    main(["screen", "--library", str(lib_file), "--anodes", "Li,LTO", "--electrolytes", "LLZO,LATP,MySE",
          "--cathodes", "LixCoO2", "--out", str(tmp_path / "o"), "--jobs", "1", "--quiet", "--no-figures", "--json"])
    s = json.loads(capsys.readouterr().out)
    nc = {(d["material"], d["role"]): d for d in s["not_computed"]}
    assert set(nc) == {("LTO", "anode"), ("LATP", "electrolyte"), ("MySE", "electrolyte")}
    assert nc[("LTO", "anode")]["field"] == "work_function_eV"
    assert nc[("LATP", "electrolyte")]["field"] == "phi0_li_V" and "LATP" in nc[("LATP", "electrolyte")]["reason"]
    assert nc[("MySE", "electrolyte")]["field"] == "permittivity"
    assert s["counts"]["cells"] == 1 and s["materials"]["electrolytes"] == ["LLZO"]
    assert {p["material"] for p in s["partial"]} == {"LLZO"}
    assert len(s["top"]) == 1 and s["top"][0]["anode"] == "Li"


def test_default_selection_and_synthetic_unknowns(tmp_path):
    p = write_synthetic_library(tmp_path / "syn.yaml", 6, 8, seed=3, unknown_fraction=0.5)
    lib = load_library(extra=p)
    sel = select_materials(lib)
    names = {r.name for r in sel.electrolytes}
    skipped = {d["material"] for d in sel.skipped}
    assert COMPUTABLE_SE <= names
    syn = {m.name for m in lib.of_kind("electrolyte") if m.name.startswith("SynSE")}
    assert syn == (names | skipped) & syn and skipped & syn  # every synthetic SE is computed or listed
    assert {e.name for e in sel.anodes} >= {"Li", "LixSi", "SynAnode1", "SynAnode2", "SynAnode3"}
    assert {e.name for e in sel.cathodes} >= {"LixCoO2", "SynCathode1"}
    for e in sel.electrodes:  # anodes: potential rises with discharge; states ordered discharged -> charged
        assert e.labels[0] == "discharged" and e.labels[-1] == "charged"
        assert np.all(e.potential_V >= 0)


def test_library_synth_cli(tmp_path, capsys):
    out = tmp_path / "lib.yaml"
    main(["library", "synth", "--n-electrodes", "4", "--n-electrolytes", "3", "--seed", "7", "--out", str(out),
          "--json"])
    info = json.loads(capsys.readouterr().out)
    assert info["n_electrodes"] == 4
    a = out.read_text()
    main(["library", "synth", "--n-electrodes", "4", "--n-electrolytes", "3", "--seed", "7", "--out", str(out),
          "--overwrite"])  # an existing file is replaced only with --overwrite
    assert out.read_text() == a  # same seed, same file
    lib = load_library(extra=out)
    assert len([m for m in lib.of_kind("electrolyte") if m.name.startswith("SynSE")]) == 3


@pytest.mark.parametrize("args, msg", [
    (["--anodes", "Nope"], "unknown material"),
    (["--anodes", "LLZO"], "not an electrode"),
    (["--objective", "fastest"], "unknown metric"),
    (["--objective", "max-abs-phi0+cheap"], "unknown constraint"),
    (["--closure", "extrinsic"], "mu_li_se"),
    (["--electrolytes", "LATP"], "no computable electrolyte"),
])
def test_cli_errors(tmp_path, capsys, args, msg):
    with pytest.raises(SystemExit) as e:
        main(["screen", "--out", str(tmp_path / "o"), "--jobs", "1", "--quiet", "--no-figures", *args])
    assert e.value.code == 2
    assert msg in capsys.readouterr().err
