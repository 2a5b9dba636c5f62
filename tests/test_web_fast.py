"""ssbands web's fast path (no xarray Profile) gives exactly the ``band --json`` object and the Profile's arrays."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

from ssbands.materials import load_library
from ssbands.web.compute import Model, band_json, profile_arrays, solve_options
from ssbands.web.server import load_config

from _cli import run_cli

REPO = Path(__file__).resolve().parents[1]
FULLER = REPO / "examples" / "stacks" / "fuller2021.toml"
LLZO = REPO / "examples" / "stacks" / "li_llzo_lco.toml"


def _both(model, stack, ocv, reference_ocv=None, **opts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = model.solve_fast(stack, ocv, reference_ocv, **opts)
        slow = model.solve(stack, ocv, reference_ocv, **opts)
    return fast, slow


def _assert_same(fast, slow):
    assert json.loads(json.dumps(fast.summary)) == slow.summary
    assert json.dumps(fast.summary) == json.dumps(slow.summary)  # the same keys in the same order
    a, b = fast.frame_arrays(), profile_arrays(slow.dataset)
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert fast.warnings == slow.warnings
    assert fast.header()["range"] == slow.header()["range"]


@pytest.fixture(scope="module")
def fuller():
    cfg = load_config(FULLER)
    return Model(cfg.library), cfg.stack


@pytest.mark.parametrize("ocv", [0.0, 0.4321, 2.2, 3.7, 4.1])
def test_fast_path_equals_the_profile_path(fuller, ocv):
    model, stack = fuller
    _assert_same(*_both(model, stack, ocv))


@pytest.mark.parametrize("change", [
    {"closure": "extrinsic", "mu_li_se_eV": -1.3},
    {"ground": "anode", "temperature_K": 330.0, "tip_work_function_eV": 5.1},
    {"interface": [{"left": "LixSi", "right": "LiPON", "dipole_V": 0.2},
                   {"left": "LiPON", "right": "LixCoO2", "dipole_V": -0.1}]},
])
def test_fast_path_equals_the_profile_path_for_other_conditions(fuller, change):
    model, stack = fuller
    _assert_same(*_both(model, {**stack, **change}, 3.1))


def test_fast_path_with_transport_kinetics_and_a_stated_reference(fuller):
    model, stack = fuller
    opts = solve_options({"transport": "independent", "kinetics": {"i0_A_cm2": 1e-5, "alpha_t": 0.4}})
    fast, slow = _both(model, stack, 3.3, 1.0, **opts)
    _assert_same(fast, slow)
    i = fast.summary["interfaces"][0]
    assert i["R_exc_ohm_cm2"] is not None and i["R_ct_ohm_cm2"] > 0
    assert fast.summary["reference_ocv_V"] == 1.0


def test_fast_path_thin_electrolyte_overlap_note_and_no_base(fuller):
    model, stack = fuller
    layers = [dict(L) for L in stack["layer"] if L["role"] != "base"]
    layers[2]["thickness_nm"] = 3.0
    fast, slow = _both(model, {**stack, "layer": layers}, 3.9)
    _assert_same(fast, slow)
    assert any("overlap" in n for n in fast.summary["notes"])


def test_fast_path_li_metal_cell():
    cfg = load_config(LLZO)
    model = Model(cfg.library)
    _assert_same(*_both(model, cfg.stack, 3.9))


def test_fast_path_defect_model_electrolyte(tmp_path, capsys):
    species = [{"name": "Li_i", "nsites": 1, "stoichiometry": {"Li": 1},
                "charge_states": {1: {"charge": 1, "energy": -3.545, "degeneracy": 1}}}]
    system = {"name": "electron-compensated test electrolyte", "bandgap": 2.0, "temperature": 300,
              "volume": 100.0, "bands": {"model": "parabolic", "electron_mass": 1.0, "hole_mass": 1.0},
              "chemical_potentials": {"Li": -2.1}, "defect_species": species}
    (tmp_path / "ElectronLi.yaml").write_text(yaml.safe_dump(system), encoding="utf-8")
    mat = {"kind": "electrolyte", "description": "test", "defect_model": str(tmp_path / "ElectronLi.yaml"),
           "ionization_potential_eV": 5.0, "band_gap_eV": 2.0, "permittivity": 10.0, "alpha": 1.0,
           "window_V": [2.0, 2.2]}
    (tmp_path / "lib.yaml").write_text(yaml.safe_dump({"materials": {"ElectronLi": mat}}), encoding="utf-8")
    model = Model(load_library(tmp_path / "lib.yaml"))
    stack = {"layer": [{"material": "Li", "role": "anode", "thickness_nm": 100},
                       {"material": "ElectronLi", "role": "electrolyte", "thickness_nm": 5000},
                       {"material": "LixCoO2", "role": "cathode", "thickness_nm": 300, "li_fraction": 0.9}]}
    fast, slow = _both(model, stack, 3.9)
    _assert_same(fast, slow)
    se = fast.summary["layers"][1]
    assert se["dEvac_dmuLi"] == pytest.approx(0.5, abs=2e-3) and 0.0 < se["E_F_above_VBM_eV"] < 2.0


def test_solve_options_are_checked():
    from ssbands.errors import InputError
    from ssbands.web.compute import error_field

    assert solve_options({}) == {"transport": "local-equilibrium", "kinetics": None}
    for body, field in (({"transport": "ballistic"}, "transport"), ({"kinetics": {"i0_A_cm2": 1e-3}}, "kinetics"),
                        ({"kinetics": {"i0_A_cm2": "x", "alpha_t": 0.5}}, "kinetics")):
        with pytest.raises(InputError) as e:
            solve_options(body)
        assert error_field(str(e.value)) == field


def test_post_band_with_transport_and_kinetics_equals_cli(capsys):
    pytest.importorskip("starlette")
    pytest.importorskip("httpx2")
    from starlette.testclient import TestClient

    from ssbands.web.app import create_app

    with TestClient(create_app(load_config(FULLER)), base_url="http://127.0.0.1:8765") as c:
        stack = c.get("/api/info").json()["case"]["stack"]
        r = c.post("/api/band", json={"stack": stack, "ocv": 3.7, "transport": "independent",
                                      "kinetics": {"i0_A_cm2": 2e-6, "alpha_t": 0.5}})
        bad = c.post("/api/band", json={"stack": stack, "ocv": 3.7, "kinetics": {"i0_A_cm2": -1.0, "alpha_t": 0.5}})
    code, out, err = run_cli(capsys, "band", str(FULLER), "--ocv", "3.7", "--json", "--transport", "independent",
                             "--i0", "2e-6", "--alpha-t", "0.5")
    assert code in (0, None), err
    assert r.status_code == 200 and r.json() == json.loads(out)
    assert bad.status_code == 400 and bad.json()["field"] == "kinetics"


def test_band_json_of_the_fast_path_module_is_the_profile_one(fuller):
    model, stack = fuller
    slow = model.solve(stack, 2.0)
    assert band_json(slow.dataset) == slow.summary
