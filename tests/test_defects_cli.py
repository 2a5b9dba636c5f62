"""`ssbands fermi` end to end."""

from __future__ import annotations

import json

import pytest

from _cli import run_cli as run

TOY = "examples/defects/li_electrolyte_toy.yaml"
PYSCF = "examples/defects/li_electrolyte_toy_pyscfermi.yaml"




def test_fermi_json(capsys):
    code, out, _ = run(capsys, "fermi", TOY, "--json", "--temperature", "350")
    assert code in (0, None)
    d = json.loads(out)
    assert {"fermi_level_eV", "concentrations_cm3", "electrons_cm3", "holes_cm3", "temperature_K"} <= set(d)
    assert d["temperature_K"] == 350.0
    assert 0.0 < d["fermi_level_eV"] < 6.0
    assert set(d["concentrations_cm3"]) == {"V_Li", "Li_i", "Al_Li"}
    assert set(d["concentrations_cm3"]["V_Li"]) == {"-1", "0"}
    assert d["concentrations_cm3"]["Al_Li"]["2"] == pytest.approx(1e20, rel=1e-9)


def test_fermi_mu_option_and_pyscfermi_file(capsys):
    code, out, _ = run(capsys, "fermi", TOY, "--json", "--mu", "Li=-1.5")
    a = json.loads(out)["fermi_level_eV"]
    code, out, _ = run(capsys, "fermi", PYSCF, "--json")
    b = json.loads(out)["fermi_level_eV"]
    assert a == pytest.approx(b, abs=1e-3)   # same toy, parabolic vs sampled DOS
    code, out, _ = run(capsys, "fermi", PYSCF)
    assert "above the VBM" in out


def test_fermi_bad_input_exit_2_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("bandgap: -1.0\nbands: {model: parabolic, electron_mass: 1, hole_mass: 1}\n")
    code, out, err = run(capsys, "fermi", str(bad), "--json")
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "bad.yaml" in lines[0] and "bandgap" in lines[0]
    code, _, err = run(capsys, "fermi", str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml" in err
    code, _, err = run(capsys, "fermi", TOY, "--temperature", "-3")
    assert code == 2 and "temperature" in err
