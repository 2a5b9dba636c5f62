"""No silent wrong answers in the defect chemistry: impossible conditions (class 1) and options that do
not apply (class 2) of ``ssbands fermi`` and :class:`ssbands.defects.DefectSystem`."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssbands.defects import ChargeState, DefectSpecies, DefectSystem, ParabolicBands, TabulatedDOS
from ssbands.errors import ApproximationWarning, ConvergenceError, InputError

from _cli import run_cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "defects"
TOY = str(EXAMPLES / "li_electrolyte_toy.yaml")
PYSCF = str(EXAMPLES / "li_electrolyte_toy_pyscfermi.yaml")


def _one_line_error(code, err, *needles):
    assert code == 2, err
    assert err.startswith("ssbands: error: ") and err.count("\n") == 1, err
    for n in needles:
        assert n in err, (n, err)


@pytest.fixture
def examples(tmp_path):
    for f in EXAMPLES.iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


# ---- class 1 -------------------------------------------------------------------------------------

def test_fixed_concentration_above_the_site_density_refused(examples, capsys):
    p = examples / "big.yaml"
    p.write_text((examples / "li_electrolyte_toy.yaml").read_text().replace("fixed_concentration: 1.0e20",
                                                                              "fixed_concentration: 1.0e30"))
    code, _, err = run_cli(capsys, "fermi", str(p))
    _one_line_error(code, err, "'Al_Li'", "exceeds its site density")
    with pytest.raises(InputError, match="charge states.*exceeds its site density"):
        DefectSystem((DefectSpecies("D", (ChargeState(1, None, 1, 1e23), ChargeState(0, 0.0)),
                                    site_density_cm3=1e22),), ParabolicBands(3.0))


def test_chemical_potential_above_the_elemental_reference_refused(capsys):
    code, _, err = run_cli(capsys, "fermi", TOY, "--mu", "Li=2")
    _one_line_error(code, err, "chemical potential of Li = 2 eV is above its elemental reference")


def test_concentrations_beyond_the_site_density_are_not_an_answer(capsys):
    """At mu_Li = -4 eV the toy's neutral vacancy has a negative formation energy: 1e7 x its sites."""
    code, _, err = run_cli(capsys, "fermi", TOY, "--mu", "Li=-4")
    _one_line_error(code, err, "exceeds its site density", "dilute limit")
    s = DefectSystem.from_yaml(TOY)
    with pytest.warns(ApproximationWarning, match="exceeds its site density"):
        s.solve(mu_eV={"Li": -4.0})


def test_fermi_level_outside_or_at_the_edge_of_the_dos_is_not_a_root():
    e = np.linspace(-1, 7, 401)
    d = np.where(e <= 0, 1.0, np.where(e >= 6, 1.0, 0.0))
    for fixed, key in ((9.9e21, "dos_range_eV"), (1e22, "fermi_range_eV")):
        sp = (DefectSpecies("D", (ChargeState(1, None, 1, fixed),), site_density_cm3=1e23),)
        s = DefectSystem(sp, TabulatedDOS(e, d, 6.0), volume_A3=100)
        with pytest.raises(ConvergenceError) as exc:
            s.solve()
        assert key in exc.value.diagnostics


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fixed=st.floats(1e10, 1e24), gap=st.floats(0.5, 6.0), T=st.floats(200.0, 1200.0))
def test_property_root_is_inside_the_dos_or_an_error(fixed, gap, T):
    """A returned Fermi level lies at least 10 kT inside the tabulated DOS; the other cases raise."""
    e = np.round(np.arange(-3.0, gap + 3.0, 0.01), 8)
    d = np.where(e <= 0, np.sqrt(-e.clip(max=0)), np.where(e >= gap, np.sqrt((e - gap).clip(min=0)), 0.0))
    sp = (DefectSpecies("D", (ChargeState(1, None, 1, fixed),), site_density_cm3=1e24),
          DefectSpecies("A", (ChargeState(-1, 1.0), ChargeState(0, 2.0)), site_density_cm3=1e21))
    s = DefectSystem(sp, TabulatedDOS(e, d, gap, nelect=4.0), volume_A3=100.0, temperature_K=T)
    small = fixed < 1e15  # a little doping is always compensated inside the gap: these must succeed
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ApproximationWarning)
            sol = s.solve()
    except ConvergenceError as exc:
        assert not small and exc.diagnostics
        return
    kt = 8.617333262e-5 * T
    assert e[0] + 10 * kt <= sol.fermi_level_eV <= e[-1] - 10 * kt


# ---- class 2 -------------------------------------------------------------------------------------

def test_dos_file_with_parabolic_bands_refused(examples, capsys):
    code, _, err = run_cli(capsys, "fermi", str(examples / "li_electrolyte_toy.yaml"), "--dos-file",
                           str(examples / "totdos.dat"))
    _one_line_error(code, err, "--dos-file", "does not apply", "parabolic")


def test_dos_file_with_an_inline_dos_refused(examples, capsys):
    s = DefectSystem.from_yaml(examples / "li_electrolyte_toy_pyscfermi.yaml")
    import yaml

    p = examples / "inline.yaml"
    p.write_text(yaml.safe_dump(s.to_dict()))
    code, _, err = run_cli(capsys, "fermi", str(p), "--dos-file", str(examples / "totdos.dat"))
    _one_line_error(code, err, "--dos-file", "inline DOS")


@pytest.mark.parametrize("mu, needle", [
    ("li=-1", "not an element symbol; did you mean 'Li'?"),
    ("LI=-1", "did you mean 'Li'?"),
    ("Xx=-1", "not an element symbol"),
    ("O=-1", "has no effect"),
    ("Al=-1", "has no effect"),  # only in Al_Li, whose total is fixed: mu_Al cancels between its charge states
])
def test_mu_element_names_checked(capsys, mu, needle):
    code, _, err = run_cli(capsys, "fermi", TOY, "--mu", mu)
    _one_line_error(code, err, needle)


def test_mu_for_a_file_without_stoichiometry_refused(capsys):
    code, _, err = run_cli(capsys, "fermi", PYSCF, "--mu", "Li=-1.5")
    _one_line_error(code, err, "has no effect", "without a stoichiometry")


_SYMBOLS = ["Li", "Al", "li", "AL", "O", "Xx", "La", "Zr", "Q", "", "Li ", "al"]


@settings(max_examples=40, deadline=None)
@given(key=st.one_of(st.sampled_from(_SYMBOLS), st.text(min_size=1, max_size=3)), value=st.floats(-3.0, -0.5))
def test_property_chemical_potential_keys_used_or_refused(key, value):
    """A chemical potential is either used (it changes the answer) or refused; never silently ignored."""
    s = DefectSystem.from_yaml(TOY)
    try:
        s.check_chemical_potentials({key: value})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ApproximationWarning)
            a = s.solve(mu_eV={key: value})
            b = s.solve(mu_eV={key: value - 0.3})
    except (InputError, ConvergenceError):
        assert key != "Li"
        return
    assert key == "Li"  # mu_Al has no effect in the toy (Al_Li is frozen), so it is refused too
    assert a.mu_eV[key] == value and a.fermi_level_eV != b.fermi_level_eV


def test_chemical_potential_deeper_than_any_compound_refused(capsys):
    code, _, err = run_cli(capsys, "fermi", TOY, "--mu", "Li=-1e6")
    _one_line_error(code, err, "[-20, 0] eV")


def test_temperature_above_any_solid_refused(capsys):
    code, _, err = run_cli(capsys, "fermi", TOY, "--temperature", "1e7")
    _one_line_error(code, err, "no solid exists above")


def test_non_integer_stoichiometry_named_as_such(examples):
    p = examples / "frac.yaml"
    p.write_text((examples / "li_electrolyte_toy.yaml").read_text().replace("    stoichiometry: {Li: -1}",
                                                                            "    stoichiometry: {Li: -0.5}", 1))
    with pytest.raises(InputError, match=r"stoichiometry\['Li'\]: must be an integer"):
        DefectSystem.from_yaml(p)
