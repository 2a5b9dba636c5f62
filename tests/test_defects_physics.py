"""Exact limits, conservation laws, Brouwer slopes, validation and serialisation of ssbands.defects."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from ssbands.constants import K_B_EV
from ssbands.defects import (
    ChargeState,
    DefectSpecies,
    DefectSystem,
    ParabolicBands,
    TabulatedDOS,
    extrinsic_mu_li_from_defects,
    fermi_dirac_half,
    log_fermi_dirac_half,
)
from ssbands.errors import ConvergenceError, InputError


def kt(T):
    return K_B_EV * T


# ---- Fermi-Dirac integral --------------------------------------------------------------------

@pytest.mark.parametrize("eta", [-200.0, -40.0, -5.0, -1.0, -0.5, 0.0, 0.7, 3.0, 10.0, 24.0, 33.0, 40.0, 41.0, 60.0,
                                 200.0])
def test_fermi_dirac_half_against_mpmath(eta):
    ref = float(mpmath.re(-mpmath.polylog(1.5, -mpmath.exp(eta))))
    rtol = 1e-12 if eta <= 40 else 1e-10
    assert fermi_dirac_half(np.array([eta]))[0] == pytest.approx(ref, rel=rtol)


def test_log_fermi_dirac_half_boltzmann_limit_no_underflow():
    eta = np.array([-1e4, -800.0])
    assert np.allclose(log_fermi_dirac_half(eta), eta, rtol=0, atol=1e-12)


# ---- exact limits --------------------------------------------------------------------------------

@pytest.mark.parametrize("me,mh", [(0.3, 1.2), (1.0, 1.0), (2.0, 0.1)])
@pytest.mark.parametrize("T", [150.0, 300.0])
def test_intrinsic_midgap_plus_three_quarters_kT_ln_mass_ratio(me, mh, T):
    gap = 3.0
    s = DefectSystem((), ParabolicBands(gap, me, mh))
    sol = s.solve(temperature_K=T)
    expected = gap / 2 + 0.75 * kt(T) * math.log(mh / me)
    assert sol.fermi_level_eV == pytest.approx(expected, abs=1e-9)
    assert sol.electrons_cm3 == pytest.approx(sol.holes_cm3, rel=1e-12)
    # n_i = sqrt(Nc Nv) exp(-Eg/2kT)
    b = s.bands
    ni = math.sqrt(b.effective_dos_cm3(T, me) * b.effective_dos_cm3(T, mh)) * math.exp(-gap / (2 * kt(T)))
    assert sol.electrons_cm3 == pytest.approx(ni, rel=1e-9)


def test_donor_acceptor_pair_analytic():
    """Wide gap, one donor D+ and one acceptor A-: ε_F = (E_A − E_D)/2 + (kT/2) ln(N_D g_D / N_A g_A)."""
    T, ND, NA, gD, gA, ED, EA = 300.0, 2e21, 5e20, 2.0, 1.0, -2.0, 4.0
    sp = (DefectSpecies("D", (ChargeState(1, ED, gD),), site_density_cm3=ND),
          DefectSpecies("A", (ChargeState(-1, EA, gA),), site_density_cm3=NA))
    s = DefectSystem(sp, ParabolicBands(8.0, 1.0, 1.0), temperature_K=T)
    sol = s.solve()
    expected = (EA - ED) / 2 + 0.5 * kt(T) * math.log(ND * gD / (NA * gA))
    assert sol.fermi_level_eV == pytest.approx(expected, abs=1e-10)
    assert sol.concentrations_cm3["D"][1] == pytest.approx(sol.concentrations_cm3["A"][-1], rel=1e-12)


def test_frozen_donor_compensated_by_electrons():
    """A quenched donor fully ionised → n = C (exact, with Fermi-Dirac statistics)."""
    C = 1e17
    sp = (DefectSpecies("D", (ChargeState(1, -3.0), ChargeState(0, 0.0)), site_density_cm3=1e22,
                        fixed_concentration_cm3=C),)
    s = DefectSystem(sp, ParabolicBands(1.5, 0.3, 0.8))
    sol = s.solve()
    assert sol.total("D") == pytest.approx(C, rel=1e-14)                # conservation
    assert sol.electrons_cm3 + sol.concentrations_cm3["D"][0] * 0 == pytest.approx(
        sol.concentrations_cm3["D"][1] + sol.holes_cm3, rel=1e-12)
    # ε_F from inverting n = Nc F_1/2(η) by bisection on mpmath
    Nc = s.bands.effective_dos_cm3(300.0, 0.3)
    target = sol.concentrations_cm3["D"][1] / Nc
    eta = float(mpmath.findroot(lambda x: mpmath.re(-mpmath.polylog(1.5, -mpmath.exp(x))) - target, -3.0))
    assert sol.fermi_level_eV == pytest.approx(1.5 + eta * kt(300.0), abs=1e-10)


@pytest.mark.filterwarnings("ignore::ssbands.errors.ApproximationWarning")  # compares numerics beyond the dilute limit
def test_frozen_concentration_conserved_over_scan():
    s = DefectSystem.from_yaml("examples/defects/li_electrolyte_toy.yaml")
    scan = s.scan("Li", np.linspace(-4.0, 0.5, 60), temperature_K=np.linspace(250, 900, 60))
    np.testing.assert_allclose(scan.concentration("Al_Li"), 1e20, rtol=1e-13)


def _rel_neutrality(scan):
    q = np.array([q for _, q in scan.labels], float)
    scale = np.abs(scan.concentrations_cm3 * q).sum(axis=1) + scan.electrons_cm3 + scan.holes_cm3
    return np.abs(scan.net_charge_cm3) / scale


@pytest.mark.filterwarnings("ignore::ssbands.errors.ApproximationWarning")  # compares numerics beyond the dilute limit
def test_neutrality_to_machine_precision():
    s = DefectSystem.from_yaml("examples/defects/li_electrolyte_toy.yaml")
    scan = s.scan("Li", np.linspace(-6.0, 1.0, 101))
    assert np.all(_rel_neutrality(scan) < 1e-13)
    pyscf = DefectSystem.from_yaml("examples/defects/li_electrolyte_toy_pyscfermi.yaml")
    scan = pyscf.solve_batch(temperature_K=np.linspace(200, 1500, 30))
    assert np.all(_rel_neutrality(scan) < 1e-13)


# ---- Brouwer slopes ------------------------------------------------------------------------------

def test_brouwer_slopes_ionic_compensation():
    """Dopant-pinned regime (2[Al_Li] = [V_Li]): ε_F tracks μ_Li one to one, [V_Li] flat,
    d ln n/dμ_Li = +1/kT, d ln p/dμ_Li = −1/kT, d ln[Li_i]/dμ_Li = 0."""
    s = DefectSystem.from_yaml("examples/defects/li_electrolyte_toy.yaml")
    mu = np.array([-2.0, -1.9])
    sc = s.scan("Li", mu)

    def d(y):
        return np.diff(np.log(y))[0] / np.diff(mu)[0]

    k = kt(300.0)
    assert np.diff(sc.fermi_level_eV)[0] / 0.1 == pytest.approx(1.0, abs=1e-9)
    assert d(sc.electrons_cm3) * k == pytest.approx(1.0, abs=1e-7)
    assert d(sc.holes_cm3) * k == pytest.approx(-1.0, abs=1e-7)
    assert d(sc.concentration("V_Li", -1)) * k == pytest.approx(0.0, abs=1e-9)
    assert d(sc.concentration("Li_i", 1)) * k == pytest.approx(0.0, abs=1e-9)


def test_brouwer_slopes_electronic_compensation():
    """Donor compensated by electrons (n = [D+]): ε_F fixed, d ln[V_Li⁻]/dμ_Li = −1/kT,
    d ln[Li_i⁺]/dμ_Li = +1/kT (mass action for Li ⇌ V_Li⁻ + Li_i⁺ with μ_Li)."""
    sp = (DefectSpecies("D", (ChargeState(1, -2.0),), site_density_cm3=1e22, fixed_concentration_cm3=1e17),
          DefectSpecies("V_Li", (ChargeState(-1, 2.0),), site_density_cm3=1e22, stoichiometry={"Li": -1}),
          DefectSpecies("Li_i", (ChargeState(1, 0.5),), site_density_cm3=5e21, stoichiometry={"Li": 1}))
    s = DefectSystem(sp, ParabolicBands(1.0, 1.0, 1.0))
    mu = np.array([-0.1, 0.0])
    sc = s.scan("Li", mu)

    def d(y):
        return np.diff(np.log(y))[0] / np.diff(mu)[0]

    k = kt(300.0)
    assert abs(np.diff(sc.fermi_level_eV)[0]) < 1e-9
    assert d(sc.concentration("V_Li")) * k == pytest.approx(-1.0, abs=1e-7)
    assert d(sc.concentration("Li_i")) * k == pytest.approx(1.0, abs=1e-7)


# ---- extrinsic closure -----------------------------------------------------------------------

def test_extrinsic_without_quench_returns_input_mu():
    s = DefectSystem.from_yaml("examples/defects/li_electrolyte_toy.yaml")
    r = extrinsic_mu_li_from_defects(s, -1.2, temperature_K=300.0)
    assert r.mu_li_eV == pytest.approx(-1.2, abs=1e-10)
    assert r.fermi_level_eV == pytest.approx(s.solve(mu_eV={"Li": -1.2}).fermi_level_eV, abs=1e-12)
    assert r.mu_bar_li_plus_vbm_eV == pytest.approx(r.mu_li_eV - r.fermi_level_eV)


def test_extrinsic_quenched_consistency():
    s = DefectSystem.from_yaml("examples/defects/li_electrolyte_toy.yaml")
    r = extrinsic_mu_li_from_defects(s, -1.2, temperature_K=300.0, synthesis_temperature_K=1000.0,
                                     li_species="V_Li")
    # the unfrozen V_Li population at (implied μ_Li, ε_F) reproduces the quenched one
    c = s.state_at(r.fermi_level_eV, mu_eV={"Li": r.mu_li_eV}).concentration("V_Li")[0]
    assert c == pytest.approx(r.solution.total("V_Li"), rel=1e-10)
    assert set(r.frozen) == {"V_Li", "Li_i", "Al_Li"}


# ---- validation, immutability, serialisation -----------------------------------------------------

@pytest.mark.parametrize("make,field", [
    (lambda: ParabolicBands(-1.0, 1, 1), "bandgap"),
    (lambda: ChargeState(-1, 1.0, -1.0), "degeneracy"),
    (lambda: ChargeState(-1, float("nan")), "energy"),
    (lambda: ChargeState(-1, float("inf")), "energy"),
    (lambda: ChargeState(1, None), "energy"),
    (lambda: DefectSpecies("X", (ChargeState(1, 0.0),), nsites=-2), "nsites"),
    (lambda: DefectSpecies("X", ()), "charge_states"),
    (lambda: TabulatedDOS([1.0, 2.0, 3.0], [1, 1, 1], 0.5), "bracket 0"),
    (lambda: TabulatedDOS([-1.0, 0.0, 3.0], [1, -1, 1], 0.5), "negative"),
    (lambda: TabulatedDOS([-1.0, 0.0, 3.0], [1, 1, 1], 5.0), "bandgap"),
    (lambda: DefectSystem((), ParabolicBands(1.0), temperature_K=-5), "temperature"),
    (lambda: DefectSystem((DefectSpecies("X", (ChargeState(1, 0.0),), nsites=1),), ParabolicBands(1.0)), "volume"),
])
def test_bad_input_names_the_field(make, field):
    with pytest.raises(InputError, match=field):
        make()


def test_objects_are_immutable():
    s = DefectSystem.from_yaml("examples/defects/li_electrolyte_toy_pyscfermi.yaml")
    with pytest.raises(AttributeError):
        s.temperature_K = 5.0
    with pytest.raises(ValueError):
        s.bands.dos[0] = 1.0
    with pytest.raises(TypeError):
        s.species[0].stoichiometry["Li"] = 2


@pytest.mark.parametrize("name", ["li_electrolyte_toy.yaml", "li_electrolyte_toy_pyscfermi.yaml"])
def test_to_dict_from_dict_round_trip(name):
    s = DefectSystem.from_yaml(f"examples/defects/{name}")
    s2 = DefectSystem.from_dict(s.to_dict())
    assert s2.to_dict() == s.to_dict()
    assert s2.solve().fermi_level_eV == s.solve().fermi_level_eV


def test_no_root_raises_convergence_error_with_diagnostics():
    e = np.linspace(-2, 5, 141)
    # a fixed donor at its site density (2e22 cm^-3) that a sparse conduction band cannot compensate
    # (a fixed concentration above the site density is refused when the system is built)
    d = np.where(e <= 0, 1.0, np.where(e >= 3, 0.1, 0.0))
    sp = (DefectSpecies("D", (ChargeState(1, None, 1, 2e22),), nsites=1),)
    s = DefectSystem(sp, TabulatedDOS(e, d, 3.0, nelect=2), volume_A3=50.0)
    with pytest.raises(ConvergenceError) as exc:
        s.solve()
    assert "fermi_range_eV" in exc.value.diagnostics


def test_bad_yaml_names_file_and_field(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("bandgap: 2.0\nvolume: 50\nbands: {model: parabolic, electron_mass: 1, hole_mass: 1}\n"
                 "defect_species:\n  - name: V\n    nsites: 1\n    charge_states:\n"
                 "      -1: {charge: -1, energy: 1.0, degeneracy: -3}\n")
    with pytest.raises(InputError, match=r"bad\.yaml.*degeneracy"):
        DefectSystem.from_yaml(p)
    p.write_text("bandgap: 2.0\nnelect: 8\nvolume: 50\ndefect_species: []\n")
    with pytest.raises(InputError, match=r"bad\.yaml.*(DOS|dos)"):
        DefectSystem.from_yaml(p)
    p.write_text("bandgap: [1\n")
    with pytest.raises(InputError, match=r"bad\.yaml.*YAML"):
        DefectSystem.from_yaml(p)
