"""Interface descriptors of the screen: the shared interface kernel, R_exc, R_ct, the cells' interface resistance,
and heatmaps that say when they are flat."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ssbands.cell import Stack, solve, summary
from ssbands.cli import main
from ssbands.errors import InputError
from ssbands.impedance import cell_interfaces
from ssbands.materials import load_library
from ssbands.screening import Objective, compute_interfaces, screen, select_materials
from ssbands.screening.cells import combine
from ssbands.screening.interfaces import check_kinetics
from ssbands.screening.synth import write_synthetic_library

KIN = {"i0_A_cm2": 2e-5, "alpha_t": 0.4}


@pytest.fixture(scope="module")
def lipon():
    """Li and LixSi anodes, LixCoO2 cathode against LiPON (the built-in electrolyte with per-defect transport)."""
    lib = load_library()
    sel = select_materials(lib, "Li,LixSi", "LiPON,LLZO", "LixCoO2", n_states=4)
    return lib, sel, compute_interfaces(sel.electrodes, sel.electrolytes, sel.phi_li_eV, kinetics=KIN)


def _stack(lib, anode, se="LiPON"):
    return Stack.from_dict({"layer": [
        {"material": anode, "role": "anode", "thickness_nm": 100.0},
        {"material": se, "role": "electrolyte", "thickness_nm": 1.0e6},
        {"material": "LixCoO2", "role": "cathode", "thickness_nm": 100.0}]}, lib)


def test_steps_and_flags_follow_the_written_formulas(tmp_path):
    """φ0, E_F − E_VBM, injection and decomposition against the formulas written out here, on a real screen."""
    lib = load_library(extra=write_synthetic_library(tmp_path / "syn.yaml", 8, 8, seed=2, unknown_fraction=0.2))
    sel = select_materials(lib, n_states=5)
    res = compute_interfaces(sel.electrodes, sel.electrolytes, sel.phi_li_eV, ("minimum-interface", "extrinsic"),
                             mu_li_se_eV=-1.1)
    U = np.array([e.potential_V for e in sel.electrodes])
    wf = np.array([e.work_function_eV for e in sel.electrodes])
    p0li = np.array([r.values["phi0_li_V"] for r in sel.electrolytes])[:, None, None]
    phi0 = p0li + (wf - sel.phi_li_eV) - U
    assert np.max(np.abs(res["phi0_V"] - phi0)) <= 1e-12
    win = np.array([r.window_V or (np.nan, np.nan) for r in sel.electrolytes])
    vred, vox = win[:, :1, None], win[:, 1:, None]
    viol = np.maximum(np.maximum(vred - U, U - vox), 0.0)
    assert np.array_equal(res["window_violation_V"], viol, equal_nan=True)
    dec = np.where(np.isnan(vred), -1, np.where(U < vred, 1, np.where(U > vox, 2, 0)))
    assert np.array_equal(res["decomposition_code"], dec)
    ip = np.array([r.values.get("ionization_potential_eV", np.nan) for r in sel.electrolytes])[:, None, None]
    gap = np.array([r.values.get("band_gap_eV", np.nan) for r in sel.electrolytes])[:, None, None]
    mu_min = np.minimum(np.maximum(-U, -vox), -vred)  # the electrode's mu_Li clipped to the window
    for q, mu in enumerate((mu_min, np.full(phi0.shape, -1.1))):
        pos = mu - sel.phi_li_eV + p0li + ip
        assert np.max(np.abs(np.nan_to_num(res["se_E_F_above_VBM_eV"][q] - pos))) <= 1e-12
        assert np.array_equal(np.isnan(res["se_E_F_above_VBM_eV"][q]), np.isnan(pos))
        inj = np.where(np.isnan(pos) | np.isnan(gap), -1, np.where(pos < 0, 1, np.where(pos > gap, 2, 0)))
        assert np.array_equal(res["injection_code"][q], inj)


def test_R_exc_and_R_ct_equal_the_impedance_cell_interfaces(lipon):
    """Li | LiPON | LixCoO2 at the OCV of each cathode state: both interfaces, both transport limits, R_ct."""
    lib, sel, res = lipon
    st = _stack(lib, "Li")
    ca = sel.electrodes[2]
    for k in range(ca.soc.size):
        loc = cell_interfaces(st, float(ca.potential_V[k]), kinetics=KIN)
        ind = cell_interfaces(st, float(ca.potential_V[k]), transport="independent")
        for j, m in ((0, 0), (1, 2)):  # (anode side: Li, cathode side: LixCoO2)
            assert res["phi0_V"][0, m, k] == pytest.approx(loc[j]["phi0_V"], abs=1e-12)
            assert res["R_exc_ohm_cm2"][0, m, k] == pytest.approx(loc[j]["R_exc_ohm_cm2"], rel=1e-12)
            assert res["R_exc_local_equilibrium_ohm_cm2"][0, m, k] == pytest.approx(loc[j]["R_exc_ohm_cm2"], rel=1e-12)
            assert res["R_exc_independent_ohm_cm2"][0, m, k] == pytest.approx(
                ind[j]["R_exc_independent_asymptotic_ohm_cm2"], rel=1e-12)
            assert res["asymptotic_length_nm"][0, m, k] == pytest.approx(ind[j]["asymptotic_length_nm"], rel=1e-12)
            assert res["R_ct_ohm_cm2"][0, m, k] == pytest.approx(loc[j]["R_ct_ohm_cm2"], rel=1e-12)
    r = res["R_exc_ohm_cm2"][0]
    assert np.ptp(r[2]) > 1e-3 * np.abs(r[2]).max()  # varies over the states (unlike R_SCL)
    assert (r[0] > 0).all() and (r[2] < 0).all()  # Li depletes the current carrier, LixCoO2 accumulates it


def test_R_exc_and_R_ct_equal_the_band_solution(lipon):
    """LixSi | LiPON | LixCoO2 at the screen's paired states, against the cell solve (`ssbands band` numbers)."""
    lib, sel, res = lipon
    an, ca = sel.electrodes[1], sel.electrodes[2]
    ds = solve(_stack(lib, "LixSi"), li_fractions=(an.li_fraction, ca.li_fraction), reference_ocv=None,
               kinetics=KIN)
    for k in range(an.soc.size):
        sm = summary(ds.isel(ocv=k))
        for j, m in ((0, 1), (1, 2)):
            assert res["R_exc_ohm_cm2"][0, m, k] == pytest.approx(sm["interfaces"][j]["R_exc_ohm_cm2"], rel=1e-12)
            assert res["R_ct_ohm_cm2"][0, m, k] == pytest.approx(sm["interfaces"][j]["R_ct_ohm_cm2"], rel=1e-12)


def test_R_exc_equals_band_cli_json(lipon, tmp_path, capsys):
    lib, sel, res = lipon
    ca = sel.electrodes[2]
    stack = tmp_path / "cell.toml"
    stack.write_text('[[layer]]\nmaterial = "Li"\nrole = "anode"\nthickness_nm = 100\n\n'
                     '[[layer]]\nmaterial = "LiPON"\nrole = "electrolyte"\nthickness_nm = 1000000\n\n'
                     '[[layer]]\nmaterial = "LixCoO2"\nrole = "cathode"\nthickness_nm = 100\n', encoding="utf-8")
    k = 2
    main(["band", str(stack), "--ocv", repr(float(ca.potential_V[k])), "--json", "--i0", "2e-5", "--alpha-t", "0.4"])
    ifs = json.loads(capsys.readouterr().out)["interfaces"]
    assert res["R_exc_ohm_cm2"][0, 2, k] == pytest.approx(ifs[1]["R_exc_ohm_cm2"], rel=1e-9)
    assert res["R_ct_ohm_cm2"][0, 2, k] == pytest.approx(ifs[1]["R_ct_ohm_cm2"], rel=1e-9)
    assert res["R_exc_ohm_cm2"][0, 0, k] == pytest.approx(ifs[0]["R_exc_ohm_cm2"], rel=1e-9)


def test_missing_transport_and_kinetics_are_nan_and_said(lipon):
    lib, sel, res = lipon
    assert np.isnan(res["R_exc_ohm_cm2"][1]).all() and np.isnan(res["R_exc_independent_ohm_cm2"][1]).all()
    assert np.isfinite(res["R_ct_ohm_cm2"]).all()  # R_ct needs only the layer and the kinetics
    llzo = next(p for p in sel.partial if p["material"] == "LLZO")
    assert any("R_exc" in m["not_computed"] for m in llzo["missing"])
    assert not any(p["material"] == "LiPON" and any("R_exc" in m["not_computed"] for m in p["missing"])
                   for p in sel.partial)
    bare = compute_interfaces(sel.electrodes, sel.electrolytes, sel.phi_li_eV)
    assert np.isnan(bare["R_ct_ohm_cm2"]).all()
    np.testing.assert_array_equal(bare["R_exc_ohm_cm2"], res["R_exc_ohm_cm2"])
    skip = compute_interfaces(sel.electrodes, sel.electrolytes, sel.phi_li_eV, kinetics=KIN, resistance=False)
    assert np.isnan(skip["R_exc_ohm_cm2"]).all() and np.isnan(skip["R_ct_ohm_cm2"]).all()


def test_transport_limit_and_kinetics_are_checked(lipon):
    _, sel, res = lipon
    ind = compute_interfaces(sel.electrodes, sel.electrolytes, sel.phi_li_eV, transport="independent")
    np.testing.assert_array_equal(ind["R_exc_ohm_cm2"], res["R_exc_independent_ohm_cm2"])
    with pytest.raises(InputError, match="transport"):
        compute_interfaces(sel.electrodes, sel.electrolytes, sel.phi_li_eV, transport="fast")
    assert check_kinetics(None) is None
    assert check_kinetics({"i0_A_cm2": "1e-3", "alpha_t": 0}) == {"i0_A_cm2": 1e-3, "alpha_t": 0.0}
    for bad in ({"i0_A_cm2": 1e-3}, {"i0_A_cm2": 0.0, "alpha_t": 0.5}, {"i0_A_cm2": 1e-3, "alpha_t": 1.5},
                {"i0_A_cm2": 1e-3, "alpha_t": 0.5, "reaction_plane_nm": 1}, [1e-3, 0.5],
                {"i0_A_cm2": float("nan"), "alpha_t": 0.5}):
        with pytest.raises(InputError):
            check_kinetics(bad)


def test_cell_interface_resistance_sums_both_interfaces_per_state(lipon):
    """R_interfaces = worst (and mean) over the paired states of R_exc + R_ct at both interfaces."""
    _, sel, res = lipon
    obj = Objective.parse("interface-resistance")
    assert obj.metric == "R_interfaces_ohm_cm2"
    for kin, r in ((True, res), (False, compute_interfaces(sel.electrodes, sel.electrolytes, sel.phi_li_eV))):
        cols = combine(r, np.array([0, 1]), np.array([2]), 0, slice(None), slice(None), slice(None), obj)
        for e in range(2):
            for a in range(2):
                i = (e * 2 + a) * 1
                tot = [r["R_exc_ohm_cm2"][e, a, k] + r["R_exc_ohm_cm2"][e, 2, k]
                       + (r["R_ct_ohm_cm2"][e, a, k] + r["R_ct_ohm_cm2"][e, 2, k] if kin else 0.0) for k in range(4)]
                assert cols["R_interfaces_ohm_cm2"][i] == pytest.approx(max(tot), rel=1e-14, nan_ok=True)
                assert cols["R_interfaces_mean_ohm_cm2"][i] == pytest.approx(np.mean(tot), rel=1e-14, nan_ok=True)
                assert np.isnan(cols["R_interfaces_ohm_cm2"][i]) == (sel.electrolytes[e].name == "LLZO")
        assert np.array_equal(cols["score"], cols["R_interfaces_ohm_cm2"], equal_nan=True)


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    out = tmp_path_factory.mktemp("scr") / "o"
    s = screen(load_library(), out, anodes="Li,LixSi", electrolytes="LiPON,LLZO,LiF", cathodes="LixCoO2", n_states=5,
               jobs=1, objective="interface-resistance", pareto=("R_interfaces_ohm_cm2", "window_violation_V"),
               kinetics=KIN, transport="independent", chunk_cells=2)
    return out, s


def test_screen_cells_equal_interface_rows(screened):
    out, s = screened
    ifc = pd.read_parquet(out / "interfaces.parquet")
    cells = pd.read_parquet(out / "cells.parquet")
    assert (ifc.R_exc_ohm_cm2.isna() == (ifc.electrolyte != "LiPON")).all()
    assert np.array_equal(ifc.R_exc_ohm_cm2, ifc.R_exc_independent_ohm_cm2, equal_nan=True)
    for _, c in cells.iterrows():
        a = ifc[(ifc.electrode == c.anode) & (ifc.electrolyte == c.electrolyte)].sort_values("soc")
        k = ifc[(ifc.electrode == c.cathode) & (ifc.electrolyte == c.electrolyte)].sort_values("soc")
        tot = (a.R_exc_ohm_cm2.to_numpy() + a.R_ct_ohm_cm2.to_numpy() + k.R_exc_ohm_cm2.to_numpy()
               + k.R_ct_ohm_cm2.to_numpy())
        assert np.array_equal(c.R_interfaces_ohm_cm2, tot.max(), equal_nan=True)
        assert (c["rank"] <= 2) == (c.electrolyte == "LiPON")  # unknown R_exc: ranked after every known one
    assert s["interface_descriptors"]["transport"] == "independent"
    assert s["interface_descriptors"]["kinetics"] == KIN and s["interface_descriptors"]["R_ct_note"] is None
    assert s["top"][0]["electrolyte"] == "LiPON" and "R_interfaces_ohm_cm2" in s["top"][0]


def test_screen_figures_and_report_show_R_exc(screened):
    out, s = screened
    figs = s["files"]["figures"]
    assert {"interface_steps", "excess_resistance", "charge_transfer_resistance", "pareto"} <= set(figs)
    for k in ("interface_steps", "excess_resistance", "charge_transfer_resistance"):
        assert (out / s["heatmaps"][k]["file"]).read_bytes()[:4] == b"\x89PNG"
        assert not s["heatmaps"][k]["flat"]
    rep = (out / "report.md").read_text(encoding="utf-8")
    assert "heatmap_R_exc.png" in rep and "Flat within tolerance" not in rep
    assert "independent transport limit" in rep and "i0 = 2e-05 A/cm²" in rep


def test_flat_maps_say_so(tmp_path):
    """A Li anode and a constant-potential cathode whose steps equal Li's: every map is one value."""
    extra = tmp_path / "flat.yaml"
    extra.write_text("materials:\n  FlatCathode: {kind: electrode, ocv_V: {kind: constant, value: 3.0}, "
                     "work_function_eV: 5.93}\n", encoding="utf-8")
    s = screen(load_library(extra=extra), tmp_path / "o", anodes="Li", electrolytes="LiPON",
               cathodes="FlatCathode", n_states=3, jobs=1)
    h = s["heatmaps"]
    assert h["interface_steps"]["flat"] and h["excess_resistance"]["flat"]
    assert h["excess_resistance"]["relative_span"] < 1e-6
    rep = (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert rep.count("Flat within tolerance") == 2 and "no colour scale is shown" in rep
    assert (tmp_path / "o" / "heatmap_R_exc.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_screen_with_transport_and_kinetics(tmp_path, capsys):
    args = ["screen", "--anodes", "Li", "--electrolytes", "LiPON", "--cathodes", "LixCoO2", "--states", "3",
            "--jobs", "1", "--quiet", "--no-figures", "--json", "--objective", "interface-resistance+stable"]
    main([*args, "--out", str(tmp_path / "a"), "--transport", "independent", "--i0", "1e-3", "--alpha-t", "0.5"])
    s = json.loads(capsys.readouterr().out)
    assert s["objective"]["metric"] == "R_interfaces_ohm_cm2"
    assert s["interface_descriptors"] == {"transport": "independent", "kinetics": {"i0_A_cm2": 1e-3, "alpha_t": 0.5},
                                          "R_ct_note": None}
    main([*args, "--out", str(tmp_path / "b")])
    s2 = json.loads(capsys.readouterr().out)
    assert s2["interface_descriptors"]["kinetics"] is None and "no kinetics" in s2["interface_descriptors"]["R_ct_note"]
    assert s2["top"][0]["score"] != s["top"][0]["score"]
    with pytest.raises(SystemExit) as e:
        main([*args, "--out", str(tmp_path / "c"), "--i0", "1e-3"])
    assert e.value.code == 2 and "--alpha-t" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main([*args, "--out", str(tmp_path / "d"), "--transport", "fast"])
    assert e.value.code == 2


def test_monte_carlo_ranks_by_interface_resistance():
    from ssbands.screening.uncertainty import monte_carlo

    sel = select_materials(load_library(), "Li,LixSi", "LiPON,LLZO", "LixCoO2", n_states=3)
    mc = monte_carlo(sel, objective="interface-resistance", n_samples=4, spreads={"work_function_eV": 0.2},
                     kinetics=KIN)
    sc = mc["columns"]["score_p50"]
    lipon = np.asarray(mc["columns"]["electrolyte"][0]) == 0
    assert np.isfinite(sc[lipon]).all() and np.isnan(sc[~lipon]).all()
