"""`ssbands scl` end to end."""

from __future__ import annotations

import json

import pytest

from ssbands.cli import main
from ssbands.scl import first_integral
from ssbands.scl.interlayer import depth_to_target_nm


def run(capsys, *args):
    main(["scl", *args])
    return json.loads(capsys.readouterr().out)


def test_library_li_llzo_json(capsys):
    out = run(capsys, "--electrolyte", "LLZO", "--electrode", "Li", "--json")
    r = first_integral(1.6216363, 3.27455e22, 0.0143907, 50.0, 0.1, 300.0)
    assert out["phi0_V"] == pytest.approx(1.6216363)
    assert out["sigma_e_per_nm2"] == pytest.approx(float(r.sigma_e_per_nm2))
    for k in ("capacitance_uF_per_cm2", "saturated_width_A", "debye_length_A"):
        assert out[k] > 0
    assert "depth_to_target_A" not in out and "R_scl_ohm_cm2" not in out  # LLZO: no transport data


def test_explicit_parameters_target_and_null(capsys):
    args = ["--phi0", "1.9160631", "--sites", "5.98412e22", "--ef0", "0.9733510", "--eps", "9", "--alpha", "0.1",
            "--temperature", "300", "--json"]
    out = run(capsys, *args, "--target", "1.24")
    x = float(depth_to_target_nm(1.9160631, 1.24, 5.98412e22, 0.9733510, 9.0))
    assert out["depth_to_target_A"] == pytest.approx(10 * x)
    out = run(capsys, *args, "--target", "2.5")
    assert out["depth_to_target_A"] is None


def test_resistance_keys_when_data_allow(capsys):
    out = run(capsys, "--electrolyte", "LiPON", "--electrode", "Li", "--json")
    assert out["phi0_V"] == pytest.approx(1.24)
    assert out["R_scl_ohm_cm2"] > 0 and out["R_ratio"] > 0 and out["R_bulk_same_length_ohm_cm2"] > 0
    out = run(capsys, "--phi0", "0.5", "--sites", "1e22", "--ef0", "0.2", "--eps", "10", "--json",
              "--conductivity", "1e-5")
    assert out["R_scl_ohm_cm2"] > 0


def test_electrode_potential_and_text_output(capsys):
    out = run(capsys, "--electrolyte", "LLZO", "--electrode", "Cu", "--potential", "3.0", "--json")
    assert out["phi0_V"] == pytest.approx(1.6216363 + 4.65 - 2.93 - 3.0)
    main(["scl", "--electrolyte", "LLZO", "--electrode", "LixSi", "--li-fraction", "0.5"])
    assert "sigma_e_per_nm2" in capsys.readouterr().out


@pytest.mark.parametrize("args, msg", [
    (["--phi0", "1"], "missing --sites"),
    (["--electrolyte", "LLZO", "--electrode", "Cu"], "potential"),
    (["--electrolyte", "Nope", "--electrode", "Li"], "unknown material"),
    (["--electrolyte", "LATP", "--electrode", "Li"], "unknown"),
    (["--phi0", "1", "--sites", "-1", "--ef0", "0", "--eps", "3"], "site_density"),
    (["--electrode", "Li"], "needs --electrolyte"),
])
def test_errors_exit_2_with_one_line(capsys, args, msg):
    with pytest.raises(SystemExit) as ei:
        main(["scl", *args])
    assert ei.value.code == 2
    err = capsys.readouterr().err.strip()
    assert msg in err and len(err.splitlines()) == 1


def test_example_script_makes_the_figure(tmp_path):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "scl_profiles.py"
    spec = importlib.util.spec_from_file_location("scl_profiles_example", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.main(tmp_path / "fig.png")
    assert out.stat().st_size > 10_000
