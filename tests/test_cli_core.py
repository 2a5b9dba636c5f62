"""End-to-end CLI: the `band --json` contract, materials, demo, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from _cli import run_cli

REPO = Path(__file__).resolve().parents[1]
FULLER = REPO / "examples" / "stacks" / "fuller2021.toml"



def run(args, capsys):
    return run_cli(capsys, *args)


def test_band_json_contract(capsys):
    code, out, err = run(["band", str(FULLER), "--ocv", "3.0", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    for k in ("ocv_V", "ground", "closure", "temperature_K", "layers", "interfaces"):
        assert k in d
    assert d["ocv_V"] == 3.0 and d["ground"] == "cathode" and d["closure"] == "minimum-interface"
    for layer in d["layers"]:
        for k in ("name", "material", "role", "x_start_nm", "x_end_nm", "E_F_eV", "E_vac_eV", "work_function_eV",
                  "mu_Li_eV", "cpd_V", "delta_cpd_V"):
            assert k in layer
    for i in d["interfaces"]:
        for k in ("left", "right", "phi0_V", "dipole_V", "sigma_e_per_nm2", "capacitance_uF_per_cm2",
                  "saturated_width_A", "debye_length_A"):
            assert k in i
    by = {r["name"]: r for r in d["layers"]}
    # energies from the ground's Fermi level: cathode side 0, anode side +V_OCV
    assert by["LixCoO2"]["E_F_eV"] == pytest.approx(0.0, abs=1e-12)
    assert by["Cu"]["E_F_eV"] == pytest.approx(3.0, abs=1e-9)
    assert by["Cu"]["delta_cpd_V"] == pytest.approx(-3.0, abs=1e-9)
    assert by["LiPON"]["work_function_eV"] is None  # not an electron conductor


def test_band_options_plot_out_and_closure(tmp_path, capsys):
    png, nc = tmp_path / "b.png", tmp_path / "b.nc"
    code, out, err = run(["band", str(FULLER), "--ocv", "2", "--closure", "extrinsic", "--mu-li-se", "-1.5",
                          "--plot", str(png), "--out", str(nc), "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["closure"] == "extrinsic"
    assert all(i["se_mu_Li_eV"] == pytest.approx(-1.5) for i in d["interfaces"])
    assert png.stat().st_size > 10000 and png.read_bytes()[:4] == b"\x89PNG"
    from ssbands.profile import read_profile

    assert read_profile(nc).attrs["closure"] == "extrinsic"


def test_library_option_overrides(tmp_path, capsys):
    lib = tmp_path / "lib.yaml"
    lib.write_text("materials:\n  LiPON: {phi0_li_V: 1.5}\n")
    _, out, _ = run(["band", str(FULLER), "--ocv", "3.0", "--json"], capsys)
    _, out2, _ = run(["band", str(FULLER), "--ocv", "3.0", "--json", "--library", str(lib)], capsys)
    a, b = json.loads(out), json.loads(out2)
    assert b["interfaces"][0]["phi0_V"] - a["interfaces"][0]["phi0_V"] == pytest.approx(0.26, abs=1e-9)


BAD = {
    "unknown material": ('[[layer]]\nmaterial = "Unobtainium"\nrole = "anode"\nthickness_nm = 10\n', "Unobtainium"),
    "missing field": ('[[layer]]\nmaterial = "Li"\nrole = "anode"\n', "thickness_nm"),
    "no electrolyte": ('[[layer]]\nmaterial = "Li"\nrole = "anode"\nthickness_nm = 10\n'
                       '[[layer]]\nmaterial = "LixCoO2"\nrole = "cathode"\nthickness_nm = 10\n', "no electrolyte"),
    "not toml": ("[[layer\n", "not valid TOML"),
    "negative thickness": ('[[layer]]\nmaterial = "Li"\nrole = "anode"\nthickness_nm = -1\n', "thickness_nm"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_stack_exits_with_one_line(tmp_path, capsys, case):
    text, needle = BAD[case]
    f = tmp_path / "bad.toml"
    f.write_text(text)
    code, out, err = run(["band", str(f), "--ocv", "1.0", "--json"], capsys)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in err


def test_ocv_out_of_range_and_missing_file(capsys):
    code, out, err = run(["band", str(FULLER), "--ocv", "7"], capsys)
    assert code == 2 and "outside what the electrodes can reach" in err and len(err.strip().splitlines()) == 1
    code, out, err = run(["band", "/nonexistent.toml", "--ocv", "1"], capsys)
    assert code == 2 and "does not exist" in err


def test_materials_list_and_show(capsys):
    code, out, _ = run(["materials", "list", "--json"], capsys)
    names = [m["name"] for m in json.loads(out)["materials"]]
    assert code == 0 and "LiPON" in names and "LLZO" in names
    code, out, _ = run(["materials", "show", "llzo", "--json"], capsys)
    d = json.loads(out)
    assert d["name"] == "LLZO" and d["parameters"]["phi0_li_V"]["value"] == 1.6216363
    assert "Swift" in d["parameters"]["phi0_li_V"]["citation"]
    assert d["parameters"]["ionization_potential_eV"]["value"] == "unknown"  # (its band gap is now known)
    code, out, err = run(["materials", "show", "nope"], capsys)
    assert code == 2 and "unknown material" in err


def test_version_and_console_script():
    exe = Path(sys.executable).with_name("ssbands")
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "ssbands, version" in r.stdout


def test_demo_writes_everything(tmp_path, capsys):
    out_dir = tmp_path / "demo"
    code, out, err = run(["demo", "--out", str(out_dir)], capsys)
    assert code == 0, err
    for v in ("0.00", "1.00", "2.00", "3.00", "3.35", "3.75", "4.00"):
        assert (out_dir / f"band_diagram_{v}V.png").is_file()
    assert (out_dir / "delta_cpd.png").is_file() and (out_dir / "summary.csv").is_file()
    from ssbands.profile import read_profile

    ds = read_profile(out_dir / "profiles.nc")
    np.testing.assert_allclose(ds["ocv"].values, [0, 1, 2, 3, 3.35, 3.75, 4.0])
    assert "ΔCPD per layer" in out and "phi0 LixSi|LiPON" in out


def test_readme_example_script_runs(tmp_path):
    """examples/fuller2021_band_diagrams.py makes the README figures; run it into a temporary folder."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ex", REPO / "examples" / "fuller2021_band_diagrams.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    s = mod.main(tmp_path)
    assert (tmp_path / "band_diagram_3.75V.png").is_file() and (tmp_path / "delta_cpd.png").is_file()
    assert s["ocv_V"] == 3.75 and len(s["interfaces"]) == 2


def test_demo_uses_library(tmp_path, capsys):
    """--library FILE is offered by the commands that use materials (test_cli_options); demo uses it."""
    lib = tmp_path / "lib.yaml"
    lib.write_text("materials:\n  LiPON: {phi0_li_V: 1.5}\n")
    code, out, err = run(["demo", "--out", str(tmp_path / "d"), "--json", "--library", str(lib)], capsys)
    import json as _json

    s = _json.loads(out)["states"][0]
    assert code in (0, None) and s["interfaces"][0]["phi0_V"] == pytest.approx(-0.149 + 0.26, abs=2e-3)


def test_collector_with_li_dependent_work_function_is_an_error(tmp_path, capsys):
    """A collector of LixSi has no tracked Li content, so its work function is undefined: say so."""
    f = tmp_path / "s.toml"
    f.write_text(FULLER.read_text().replace('material = "Cu"', 'material = "LixSi"\nname = "Si-collector"', 1))
    code, out, err = run(["band", str(f), "--ocv", "1.0"], capsys)
    assert code == 2 and "work function depends on its Li content" in err and len(err.strip().splitlines()) == 1
