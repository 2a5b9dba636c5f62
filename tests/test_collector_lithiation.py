"""A current collector that took up Li (operando KPFM saw Li move into the Cu collector)."""

from __future__ import annotations

import numpy as np
import pytest

from ssbands.cell import Stack, fuller2021_stack, solve
from ssbands.errors import InputError
from ssbands.materials import load_library

LIB = load_library()


def _stack(**cu):
    data = fuller2021_stack().to_dict()
    data.pop("tip_work_function_eV", None)
    for ly in data["layer"]:
        ly.pop("name", None)
    data["layer"][0].update(cu)
    return Stack.from_dict(data, LIB)


def test_lithiated_zone_changes_cpd_by_minus_the_work_function_change():
    st = _stack(li_fraction=0.5, lithiation_front_nm=60)
    ds = solve(st, 3.0)
    cu = ds["layer"].values == "Cu"
    x, dcpd, dwf = ds["x"].values[cu], ds["dcpd_V"].values[cu], ds["dcpd_work_function_V"].values[cu]
    # Cu table (an estimate in the library): linear 4.65 eV (x = 0) -> 2.93 eV (x = 1)
    phi_half = 0.5 * (4.65 + 2.93)
    zone, pristine = x > 140.0, x < 140.0
    assert np.allclose(dwf[zone], -(phi_half - 4.65), atol=1e-12)  # -ΔΦ/e, reference state pristine
    assert np.allclose(dwf[pristine], 0.0, atol=1e-12)
    assert np.allclose(dcpd[zone] - dcpd[pristine][0], 4.65 - phi_half, atol=1e-12)
    # the front is exact: the grid holds its position twice, once on each side
    at = np.flatnonzero(x == 140.0)
    assert at.size == 2 and dwf[at[0]] == pytest.approx(0.0) and dwf[at[1]] == pytest.approx(4.65 - phi_half)


def test_without_uptake_the_result_is_unchanged():
    a, b = solve(fuller2021_stack(), 3.0), solve(_stack(), 3.0)
    np.testing.assert_array_equal(a["E_vac_eV"].values, b["E_vac_eV"].values)


@pytest.mark.parametrize("cu, match", [
    ({"li_fraction": 0.5}, "both li_fraction"),
    ({"lithiation_front_nm": 50}, "both li_fraction"),
    ({"li_fraction": 0.5, "lithiation_front_nm": 500}, "lithiation_front_nm must be in"),
    ({"li_fraction": 1.5, "lithiation_front_nm": 50}, "li_fraction must be a number in"),
    ({"li_fraction": 0.5, "lithiation_front_nm": float("nan")}, "finite"),
])
def test_bad_uptake_is_refused(cu, match):
    with pytest.raises(InputError, match=match):
        _stack(**cu)


def test_a_metal_without_a_lithiated_work_function_is_refused():
    data = fuller2021_stack().to_dict()
    data["layer"][4].update(li_fraction=0.5, lithiation_front_nm=20)  # Pt has no li_work_function_eV
    with pytest.raises(InputError, match="li_work_function_eV"):
        Stack.from_dict(data, LIB)


def test_demo_shows_the_lithiated_collector(tmp_path, capsys):
    import json

    from _cli import run_cli

    code, out, err = run_cli(capsys, "demo", "--out", str(tmp_path / "d"), "--json")
    assert code in (0, None), err
    cu = json.loads(out)["lithiated_collector"]
    # -ΔΦ/e of the zone: Cu 4.65 eV -> 3.79 eV at Li fraction 0.5 (the library's estimate table)
    assert cu["delta_cpd_zone_V"] - cu["delta_cpd_pristine_V"] == pytest.approx(4.65 - 3.79, abs=1e-9)
    assert (tmp_path / "d" / "delta_cpd_cu_lithiated.png").is_file()
