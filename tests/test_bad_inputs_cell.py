"""No silent wrong answers, cells and interfaces: impossible conditions (class 1) and options that do not
apply (class 2) are refused with one clear line; physical ranges are reported as physical ranges."""

from __future__ import annotations

import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssbands.cell import Stack, electrode_state, fuller2021_stack, reachable_ocv_range, solve, summary
from ssbands.errors import InputError, SSBandsWarning, TemperatureWarning
from ssbands.materials import load_library
from ssbands.scl import first_integral, phi0_from_library
from ssbands.scl.firstintegral import layer_profiles
from ssbands.thermo import ocv_curve

from _cli import run_cli

REPO = Path(__file__).resolve().parents[1]
FULLER = str(REPO / "examples" / "stacks" / "fuller2021.toml")
LI_LLZO = str(REPO / "examples" / "stacks" / "li_llzo_lco.toml")
LIB = load_library()


def _stack_file(tmp_path, head: str, base: str = FULLER) -> str:
    text = Path(base).read_text(encoding="utf-8")
    body = text[text.index("[[layer]]"):]
    p = tmp_path / "stack.toml"
    p.write_text(head + "\n" + body, encoding="utf-8")
    return str(p)


def _one_line_error(code, err, *needles):
    assert code == 2, err
    assert err.startswith("ssbands: error: ") and err.count("\n") == 1, err
    for n in needles:
        assert n in err, (n, err)


# ---- class 1: impossible conditions --------------------------------------------------------------

def test_lixsi_regularisation_no_longer_makes_any_ocv_reachable():
    """The LixSi fit's singular term made -1e9 .. 4.26 V 'reachable'; the range is now physical."""
    lo, hi = reachable_ocv_range(fuller2021_stack())
    assert -1.2 < lo < -1.0 and 4.2 < hi < 4.3
    # the low end: the anode at the highest potential of the cell's OCV data (LixCoO2 at x = 0.4)
    u_max = ocv_curve(LIB["LixCoO2"]).data_potential_range[1]
    st_lo = electrode_state(fuller2021_stack(), ocv=[lo + 1e-9])
    assert float(st_lo.U_anode[0]) == pytest.approx(u_max, abs=1e-6)
    # the data range of the fit is its polynomial without the singular term over x in [0, 1]
    assert ocv_curve(LIB["LixSi"]).data_potential_range == pytest.approx((0.0373, 0.8633), abs=1e-4)


@pytest.mark.parametrize("ocv", [1003.0, 5.0, -1.5, -1e9])
def test_ocv_outside_the_physical_range_refused(capsys, ocv):
    code, _, err = run_cli(capsys, "band", FULLER, "--ocv", str(ocv))
    _one_line_error(code, err, f"OCV {ocv:g} V is outside", "-1.0916 .. 4.2618 V", "4.391 V")


def test_ocv_of_minus_1e6_refused_at_once_without_memory():
    """It was killed at 24 GB; now it is refused before any layer is built."""
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="outside what the electrodes can reach"):
        solve(fuller2021_stack(), -1e6)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 5.0 and peak < 100e6


def test_si_anode_at_1003_V_refused():
    with pytest.raises(InputError, match="above 0.8633 V, the highest potential of its OCV data"):
        phi0_from_library(LIB, "LLZO", "LixSi", li_fraction=1e-7)


def test_cli_scl_si_anode_beyond_its_data(capsys):
    code, _, err = run_cli(capsys, "scl", "--electrolyte", "LLZO", "--electrode", "LixSi", "--li-fraction", "1e-7")
    _one_line_error(code, err, "LixSi", "1000.86 V", "0.8633 V")


@pytest.mark.parametrize("phi0", ["1e6", "-25"])
def test_huge_interface_step_refused_at_once(capsys, phi0):
    code, _, err = run_cli(capsys, "scl", "--electrolyte", "LLZO", "--phi0", phi0)
    _one_line_error(code, err, "phi0_V", "20 V")


def test_profile_tables_beyond_memory_refused():
    with pytest.raises(InputError, match="table nodes"):
        layer_profiles(np.full(2000, 19.0), 3e22, 0.1, 50.0, 0.1, 60.0, np.linspace(0, 5, 4))


def test_mu_li_of_the_electrolyte_above_li_metal_refused(tmp_path, capsys):
    with pytest.raises(InputError, match="above Li metal"):
        fuller2021_stack(closure="extrinsic", mu_li_se_eV=0.3)
    code, _, err = run_cli(capsys, "band", FULLER, "--ocv", "3", "--closure", "extrinsic", "--mu-li-se", "0.5")
    _one_line_error(code, err, "mu_li_se_eV = 0.5 eV is above Li metal")
    code, _, err = run_cli(capsys, "screen", "--electrolytes", "LLZO", "--closure", "extrinsic", "--mu-li-se", "0.2",
                           "--out", str(tmp_path / "s"), "--quiet")
    _one_line_error(code, err, "mu_li_se_eV", "[-6, 0] eV")
    assert not (tmp_path / "s").exists()  # refused before anything is written


@pytest.mark.parametrize("tip", [-3.0, 0.0, 0.5, 100.0])
def test_unphysical_tip_work_function_refused(tmp_path, capsys, tip):
    with pytest.raises(InputError, match="tip_work_function_eV"):
        fuller2021_stack(tip_work_function_eV=tip)
    code, _, err = run_cli(capsys, "band", _stack_file(tmp_path, f"tip_work_function_eV = {tip}"), "--ocv", "3")
    _one_line_error(code, err, "tip_work_function_eV must be a work function")


def test_temperature_far_from_the_data_warns(tmp_path, capsys):
    with pytest.warns(TemperatureWarning, match="far from the room temperature") as rec:
        fuller2021_stack(temperature_K=420.0)
    assert issubclass(rec[0].category, SSBandsWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fuller2021_stack(temperature_K=310.0)  # near the data: no warning
    code, out, err = run_cli(capsys, "band", _stack_file(tmp_path, "temperature_K = 420"), "--ocv", "3")
    assert code == 0 and "ssbands: warning: temperature 420 K is far" in err and "T 420 K" in out
    code, _, err = run_cli(capsys, "scl", "--electrolyte", "LLZO", "--electrode", "Li", "--temperature", "900")
    assert code == 0 and "ssbands: warning: temperature 900 K" in err


@pytest.mark.parametrize("T", [0.01, 20.0, 5000.0])
def test_temperature_where_no_data_can_be_used_refused(tmp_path, capsys, T):
    code, _, err = run_cli(capsys, "band", _stack_file(tmp_path, f"temperature_K = {T}"), "--ocv", "3")
    _one_line_error(code, err, "temperature_K", "outside 50-1500 K")


def test_electrode_potentials_stay_within_their_data_or_are_flagged():
    ds = solve(fuller2021_stack(), [0.0, 3.0])
    # OCV 0 needs the fit's singular term on the anode and the Nernst extension on the cathode: flagged
    assert ds["anode_ocv_extrapolated"].values.tolist() == [True, False]
    assert ds["cathode_ocv_extrapolated"].values.tolist() == [True, False]
    assert any("singular regularisation term" in n for n in ds.ssb.metadata["notes"])


# hypothesis: any OCV, any stack temperature in the data range -> refused at once, or a state whose
# electrode potentials are physical (0 .. u_max) and whose OCV is the one asked for; every OCV drawn
# inside the reachable range must succeed (so the cases cannot all be refusals)
_LO, _HI = reachable_ocv_range(fuller2021_stack())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ocv=st.one_of(st.floats(_LO, _HI), st.floats(-1e12, 1e12, allow_nan=False)))
def test_property_any_ocv_is_refused_or_physical(ocv):
    st_ = fuller2021_stack()
    u_max = st_.li_balance.u_max_V
    inside = _LO - 1e-9 <= ocv <= _HI + 1e-9
    if not inside:
        with pytest.raises(InputError, match="outside what the electrodes can reach"):
            electrode_state(st_, ocv=[ocv])
        return
    e = electrode_state(st_, ocv=[ocv])
    assert abs(float(e.ocv_V[0]) - ocv) < 1e-6
    for u in (e.U_anode, e.U_cathode):
        assert np.all(np.isfinite(u)) and np.all(u >= -1e-9) and np.all(u <= u_max + 1e-9)


@settings(max_examples=40, deadline=None)
@given(x=st.floats(0.0, 1.0), electrode=st.sampled_from(["LixSi", "LixCoO2"]))
def test_property_any_li_fraction_is_refused_or_within_the_data(x, electrode):
    curve = ocv_curve(LIB[electrode])
    try:
        phi0, det = phi0_from_library(LIB, "LLZO", electrode, li_fraction=x)
    except InputError:
        with np.errstate(divide="ignore", invalid="ignore"):
            u = float(curve.evaluate(np.array(x), 300.0)) if curve.x_min <= x <= curve.x_max else np.nan
        assert not (0 <= u <= curve.data_potential_range[1])  # refused only where the data do not hold
        return
    assert 0 <= det["potential_V"] <= curve.data_potential_range[1]
    assert abs(phi0) < 20


# ---- class 2: options that do not apply ----------------------------------------------------------

def test_mu_li_se_under_minimum_interface_refused(tmp_path, capsys):
    code, _, err = run_cli(capsys, "band", FULLER, "--ocv", "3", "--mu-li-se", "-1.0")
    _one_line_error(code, err, "--mu-li-se applies to the extrinsic closure only", "--closure extrinsic")
    with pytest.raises(InputError, match="mu_li_se_eV applies to the extrinsic closure only"):
        fuller2021_stack(mu_li_se_eV=-1.0)
    code, _, err = run_cli(capsys, "band", LI_LLZO, "--ocv", "3.9", "--closure", "minimum-interface")
    _one_line_error(code, err, "mu_li_se_eV applies to the extrinsic closure only")
    code, _, err = run_cli(capsys, "screen", "--electrolytes", "LLZO", "--mu-li-se", "-1.0", "--out",
                           str(tmp_path / "s"), "--quiet")
    _one_line_error(code, err, "--mu-li-se applies to the extrinsic closure only")


@pytest.mark.parametrize("args, needle", [
    (["--potential", "2"], "--potential does not apply"),
    (["--li-fraction", "0.5"], "--li-fraction does not apply"),
    (["--potential", "0", "--li-fraction", "1"], "--potential and --li-fraction do not apply"),
])
def test_li_metal_takes_no_potential_or_li_fraction(capsys, args, needle):
    code, _, err = run_cli(capsys, "scl", "--electrolyte", "LLZO", "--electrode", "Li", *args)
    _one_line_error(code, err, "Li reservoir", needle)


@pytest.mark.parametrize("args, needle", [
    (["--electrolyte", "LLZO", "--potential", "1"], "used with --electrode NAME only"),
    (["--electrolyte", "LLZO", "--electrode", "Li", "--phi0", "1"], "give either --phi0 or --electrode"),
    (["--electrolyte", "LLZO", "--electrode", "Cu", "--potential", "1", "--li-fraction", "0.2"],
     "--li-fraction does not apply"),
    (["--electrolyte", "LLZO", "--electrode", "LixSi", "--li-fraction", "0.5", "--potential", "3"], "disagrees"),
    (["--phi0", "1", "--sites", "1e22", "--ef0", "0.1", "--eps", "10", "--diffusivity", "1e-10",
      "--conductivity", "1e-6"], "give one of them"),
])
def test_scl_options_that_would_be_ignored_refused(capsys, args, needle):
    code, _, err = run_cli(capsys, "scl", *args)
    _one_line_error(code, err, needle)


def test_ocv_with_li_fractions_in_python():
    with pytest.raises(InputError, match="either ocv or li_fractions"):
        solve(fuller2021_stack(), 3.0, li_fractions=(0.1, 0.9))
    with pytest.raises(InputError, match="either ocv or li_fractions"):
        electrode_state(fuller2021_stack(), ocv=3.0, li_fractions=(0.1, 0.9))


_SCL_BASE = ["scl", "--electrolyte", "LLZO", "--json"]
_SCL_OPTIONS = {"--electrode": ["Li", "LixCoO2", "Cu"], "--potential": ["3.9", "4.0"], "--li-fraction": ["0.6", "0.7"],
                "--phi0": ["0.5", "0.6"], "--target": ["0.1", "0.2"], "--alpha": ["0.1", "0.2"]}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=st.dictionaries(st.sampled_from(sorted(_SCL_OPTIONS)), st.integers(0, 1), min_size=1))
def test_property_scl_options_are_used_or_refused(capsys, chosen):
    """Every option given either changes the answer or the command refuses it: no option is a no-op."""
    def args_for(sel):
        a = list(_SCL_BASE)
        for k, i in sel.items():
            a += [k, _SCL_OPTIONS[k][min(i, len(_SCL_OPTIONS[k]) - 1)]]
        return a

    code, out, err = run_cli(capsys, *args_for(chosen))
    if code != 0:
        assert code == 2 and err.startswith("ssbands: error: ") and err.count("\n") == 1
        return
    for opt in chosen:
        if opt == "--electrode":
            continue  # changing the material may be refused for other reasons; the rest must matter
        other = dict(chosen)
        other[opt] = 1 - chosen[opt]
        code2, out2, _ = run_cli(capsys, *args_for(other))
        assert code2 != 0 or out2 != out, f"{opt} had no effect: {args_for(chosen)}"


def test_first_integral_refuses_steps_beyond_any_cell():
    with pytest.raises(InputError, match="larger than 20 V"):
        first_integral(25.0, 3e22, 0.1, 50.0)


def test_li_fractions_beyond_the_data_refused():
    with pytest.raises(InputError, match="highest potential"):
        solve(fuller2021_stack(), li_fractions=(1e-7, 0.9))


def test_stack_dict_with_mu_li_se_and_temperature_checked():
    base = fuller2021_stack().to_dict()
    with pytest.raises(InputError, match="applies to the extrinsic closure only"):
        Stack.from_dict({**base, "mu_li_se_eV": -1.0})
    s = summary(solve(fuller2021_stack(), 3.0))
    assert s["reference_ocv_V"] == 0.0


def test_branch_of_an_ocv_without_branches_refused():
    base = fuller2021_stack().to_dict()
    base["layer"][3]["branch"] = "lithiation"  # LixCoO2: a table, no branches
    with pytest.raises(InputError, match="branch 'lithiation' does not apply"):
        Stack.from_dict(base)


def test_reference_ocv_outside_the_range_is_named_as_the_reference(capsys):
    code, _, err = run_cli(capsys, "band", FULLER, "--ocv", "3", "--reference-ocv", "99")
    _one_line_error(code, err, "reference_ocv 99 V", "outside the reachable OCV range")


def test_mu_li_se_beyond_every_electrode_refused():
    with pytest.raises(InputError, match=r"\[-6, 0\] eV"):
        fuller2021_stack(closure="extrinsic", mu_li_se_eV=-50.0)


def test_defect_energy_beyond_a_few_ev_refused(capsys):
    code, _, err = run_cli(capsys, "scl", "--phi0", "1", "--sites", "1e22", "--ef0", "1e6", "--eps", "10")
    _one_line_error(code, err, "defect_energy_eV", "20 eV")


def test_target_never_reached_says_why(capsys):
    import json

    code, out, _ = run_cli(capsys, "scl", "--electrolyte", "LLZO", "--electrode", "Li", "--target", "100", "--json")
    d = json.loads(out)
    assert code == 0 and d["depth_to_target_A"] is None and "never reached" in d["depth_to_target_note"]


def test_unwritable_output_folder_is_one_line(capsys):
    code, _, err = run_cli(capsys, "demo", "--out", "/dev/null/x")
    _one_line_error(code, err, "/dev/null/x")
