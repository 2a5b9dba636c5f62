"""The electrolyte bulk from its defect model: ε_F, E_vac, the analytic slope s, φ0^Li,eff, the Frenkel
two-defect parameters, and the space-charge-layer species set of the same model."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ssbands.constants import E_CHARGE, EPS0, K_B_EV, PER_CM3
from ssbands.defects import (
    ChargeState,
    DefectSpecies,
    DefectSystem,
    ParabolicBands,
    TabulatedDOS,
    effective_phi0_li,
    electrolyte_bulk,
    frenkel_system,
    layer_species,
    neutrality_derivatives,
    two_defect_parameters,
)
from ssbands.errors import ApproximationWarning, InputError
from ssbands.scl import first_integral
from ssbands.scl.species import SpeciesSet, first_integral_species, two_defect_species

TOY = Path(__file__).resolve().parents[1] / "examples" / "defects" / "li_electrolyte_toy.yaml"
IP, PHI_LI = 6.0, 2.93
MU = np.linspace(-3.0, 0.0, 31)
H = 1e-4


def fd_slope(system, mu, **kw):
    """Central finite difference of E_vac,SE (at μ̄_Li⁺ = 0) in μ_Li."""
    up = electrolyte_bulk(system, mu + H, IP, **kw).vacuum_level_eV()
    dn = electrolyte_bulk(system, mu - H, IP, **kw).vacuum_level_eV()
    return (up - dn) / (2 * H)


def frenkel_asymmetric():
    """Li_i⁺/V_Li⁻ only, unequal site densities and degeneracies, wide gap (carriers negligible)."""
    sp = (DefectSpecies("Li_i", (ChargeState(1, -3.5, 2.0),), site_density_cm3=2e22, stoichiometry={"Li": 1}),
          DefectSpecies("V_Li", (ChargeState(-1, 5.3, 1.0),), site_density_cm3=3e22, stoichiometry={"Li": -1}))
    return DefectSystem(sp, ParabolicBands(9.0, 0.8, 1.5))


def li_i_and_electrons():
    """Li_i⁺ compensated by electrons, ε_F ≥ 30 kT below the CBM (dilute, non-degenerate)."""
    sp = (DefectSpecies("Li_i", (ChargeState(1, -3.0),), site_density_cm3=1e22, stoichiometry={"Li": 1}),)
    return DefectSystem(sp, ParabolicBands(4.0, 1.0, 1.0))


def pinned_by_fixed_donor():
    """A fixed donor (1e18 cm⁻³) compensated by electrons; the Li defects are far more dilute."""
    sp = (DefectSpecies("Li_i", (ChargeState(1, 0.0),), site_density_cm3=1e22, stoichiometry={"Li": 1}),
          DefectSpecies("V_Li", (ChargeState(-1, 7.0),), site_density_cm3=1e22, stoichiometry={"Li": -1}),
          DefectSpecies("D", (ChargeState(1, None, fixed_concentration_cm3=1e18),)))
    return DefectSystem(sp, ParabolicBands(3.0, 1.0, 1.0))


def pinned_by_deep_donor():
    """A frozen deep donor (+/0 level 3 eV above the VBM), half compensated by a fixed acceptor: ε_F is
    pinned at the level by the trap capacitance C' f(1 − f)."""
    sp = (DefectSpecies("Li_i", (ChargeState(1, 0.0),), site_density_cm3=1e22, stoichiometry={"Li": 1}),
          DefectSpecies("V_Li", (ChargeState(-1, 7.5),), site_density_cm3=1e22, stoichiometry={"Li": -1}),
          DefectSpecies("D", (ChargeState(1, -3.0), ChargeState(0, 0.0, 2.0)), site_density_cm3=1e22,
                        fixed_concentration_cm3=1e19),
          DefectSpecies("A", (ChargeState(-1, None, fixed_concentration_cm3=5e18),)))
    return DefectSystem(sp, ParabolicBands(5.0, 1.0, 1.0))


def mixed():
    """Li_i⁺ compensated partly by V_Li⁻ and partly by electrons: 0 < s < ½ and varying with μ_Li."""
    sp = (DefectSpecies("Li_i", (ChargeState(1, -2.2), ChargeState(0, 0.9, 2.0)), site_density_cm3=1e22,
                        stoichiometry={"Li": 1}),
          DefectSpecies("V_Li", (ChargeState(-1, 3.6),), site_density_cm3=1.5e22, stoichiometry={"Li": -1}))
    return DefectSystem(sp, ParabolicBands(3.2, 0.6, 2.0))


def tabulated_li_i_and_electrons():
    """Li_i⁺ compensated by electrons in a tabulated (square-root) DOS."""
    e = np.linspace(-4.0, 8.0, 1201)
    gap = 4.0
    dos = 3.0 * np.sqrt(np.clip(-e, 0, None)) + np.sqrt(np.clip(e - gap, 0, None))
    sp = (DefectSpecies("Li_i", (ChargeState(1, -3.0),), nsites=4, stoichiometry={"Li": 1}),
          DefectSpecies("V_Li", (ChargeState(-1, 4.5),), nsites=4, stoichiometry={"Li": -1}))
    return DefectSystem(sp, TabulatedDOS(e, dos, gap, nelect=20.0), volume_A3=150.0)


# ---------------------------------------------------------------------------------- acceptance
def test_frenkel_vacuum_level_is_independent_of_mu_li_and_equals_the_phi0_model():
    s = frenkel_asymmetric()
    b = electrolyte_bulk(s, MU, IP, phi_li_eV=PHI_LI)
    evac = b.vacuum_level_eV(0.0)
    assert np.ptp(evac) < 1e-9
    p = two_defect_parameters(s, IP, PHI_LI)
    # E_vac,SE = Φ_Li − μ̄_Li⁺ − φ0^Li (the constant-φ0^Li model) at μ̄_Li⁺ = 0
    assert np.max(np.abs(evac - (PHI_LI - p.phi0_li_V))) < 1e-9
    assert np.max(np.abs(b.phi0_li_V - p.phi0_li_V)) < 1e-9
    assert np.max(np.abs(b.slope)) < 1e-10
    assert np.max(np.abs(fd_slope(s, MU) - b.slope)) < 1e-7
    # and the bulk defects sit at E_f0 with the geometric-mean site density
    c0 = p.site_density_cm3 * math.exp(-p.defect_energy_eV / (K_B_EV * 300.0))
    assert b.concentration("Li_i") == pytest.approx(np.full(MU.shape, c0), rel=1e-9)
    assert b.concentration("V_Li") == pytest.approx(np.full(MU.shape, c0), rel=1e-9)


def test_li_interstitials_compensated_by_electrons_give_half():
    s = li_i_and_electrons()
    mu = np.linspace(-2.5, -1.0, 16)
    b = electrolyte_bulk(s, mu, IP)
    assert np.all(s.band_gap_eV - b.fermi_level_eV > 30 * K_B_EV * 300)
    assert np.max(np.abs(b.slope - 0.5)) < 1e-6
    assert np.max(np.abs(fd_slope(s, mu) - b.slope)) < 1e-7
    assert b.concentration("Li_i") == pytest.approx(b.electrons_cm3, rel=1e-9)


@pytest.mark.parametrize("make", [pinned_by_fixed_donor, pinned_by_deep_donor])
def test_fermi_level_pinned_by_electronic_dopants_gives_one(make):
    s = make()
    mu = np.linspace(-2.0, -1.0, 11)
    b = electrolyte_bulk(s, mu, IP)
    assert np.max(np.abs(b.slope - 1.0)) < 1e-6
    assert np.ptp(b.fermi_level_eV) < 1e-6
    assert np.max(np.abs(fd_slope(s, mu) - b.slope)) < 1e-7


def test_deep_donor_trap_capacitance_is_f_one_minus_f():
    s = pinned_by_deep_donor()
    b = electrolyte_bulk(s, -1.5, IP)
    c_plus, c_zero = b.concentration("D", 1), b.concentration("D", 0)
    f = c_plus / (c_plus + c_zero)
    assert b.derivatives.traps_cm3 == pytest.approx(1e19 * f * (1 - f), rel=1e-12)


@pytest.mark.parametrize("make", [mixed, tabulated_li_i_and_electrons, lambda: DefectSystem.from_yaml(TOY)])
def test_analytic_slope_equals_finite_difference(make):
    s = make()
    mu = np.linspace(-2.8, -0.2, 27)
    b = electrolyte_bulk(s, mu, IP)
    fd = fd_slope(s, mu)
    assert np.max(np.abs(fd - b.slope)) < 2e-7
    assert np.all(np.isfinite(b.slope))


def test_mixed_slope_is_between_zero_and_half_and_matches_the_capacitance_formula():
    b = electrolyte_bulk(mixed(), MU, IP)
    assert 0.05 < b.slope.max() < 0.5 and b.slope.min() < 0.05
    # s = C_el/(C_ion + C_el) with C_ion = [Li_i+] + [V_Li-] and C_el = n' + p'
    c_ion = b.concentration("Li_i", 1) + b.concentration("V_Li", -1)
    assert b.capacitance_ionic_cm3 == pytest.approx(c_ion, rel=1e-12)
    assert b.slope == pytest.approx(b.capacitance_electronic_cm3 / (c_ion + b.capacitance_electronic_cm3), rel=1e-12)


def test_temperature_derivative_point_and_shapes():
    s = mixed()
    mu = np.linspace(-2.0, -1.0, 6).reshape(2, 3)
    T = np.array([300.0, 450.0, 600.0])
    b = electrolyte_bulk(s, mu, IP, temperature_K=T, phi_li_eV=PHI_LI)
    assert b.fermi_level_eV.shape == b.slope.shape == b.phi0_li_V.shape == (2, 3)
    assert b.concentrations_cm3.shape == (2, 3, len(b.labels))
    one = electrolyte_bulk(s, mu[1, 2], IP, temperature_K=600.0)
    assert one.fermi_level_eV.shape == ()
    assert float(one.slope) == pytest.approx(b.slope[1, 2], rel=1e-12)
    assert float(one.vacuum_offset_eV) == pytest.approx(IP - b.fermi_level_eV[1, 2], abs=1e-12)
    d = b.to_dict()
    assert np.shape(d["dEvac_dmuLi"]) == (2, 3) and "phi0_li_eff_V" in d


def test_effective_phi0_and_interface_identity():
    """ε_F recovered from φ0^Li,eff by the interface kernel's own formula ε_F = μ − Φ_Li + φ0 + IP."""
    from ssbands.interface import se_fermi_above_vbm

    b = electrolyte_bulk(mixed(), MU, IP, phi_li_eV=PHI_LI)
    assert np.allclose(se_fermi_above_vbm(MU, PHI_LI, b.phi0_li_V, IP), b.fermi_level_eV, atol=1e-12)
    assert np.allclose(effective_phi0_li(MU, b.fermi_level_eV, IP, PHI_LI), b.phi0_li_V, atol=0)


def test_neutrality_derivatives_checks_the_scan():
    s = mixed()
    scan = frenkel_asymmetric().solve_batch({"Li": MU})
    with pytest.raises(InputError, match="labels differ"):
        neutrality_derivatives(s, scan)


def test_bad_arguments():
    s = mixed()
    with pytest.raises(InputError, match="ionization_potential_eV"):
        electrolyte_bulk(s, MU, -1.0)
    with pytest.raises(InputError, match="do not broadcast"):
        electrolyte_bulk(s, MU, IP, temperature_K=np.array([300.0, 400.0]))


# ---------------------------------------------------------------------------------- Frenkel limit
def test_two_defect_parameters_formulas_with_unequal_sites_and_degeneracies():
    s = frenkel_asymmetric()
    kt = K_B_EV * 300.0
    ai, av = -3.5 - kt * math.log(2.0), 5.3
    p = two_defect_parameters(s, IP, PHI_LI, alpha=0.1, permittivity=12.0)
    delta = 0.5 * (av - ai) + 0.5 * kt * math.log(2e22 / 3e22)
    assert p.fermi_minus_mu_li_eV == pytest.approx(delta, abs=1e-12)
    assert p.phi0_li_V == pytest.approx(PHI_LI - IP + delta, abs=1e-12)
    assert p.defect_energy_eV == pytest.approx(0.5 * (ai + av), abs=1e-12)
    assert p.site_density_cm3 == pytest.approx(math.sqrt(6e44), rel=1e-12)
    assert not p.symmetric
    assert set(p.library_fields()) == {"phi0_li_V", "site_density_cm3", "defect_energy_eV", "alpha", "permittivity"}
    assert two_defect_parameters(s).phi0_li_V is None


def test_frenkel_system_round_trip_with_the_swift_llzo_numbers():
    # LLZO of Swift, Swift & Qi (2021): phi0 1.6216363 V, N 3.27455e22 cm^-3, E_f0 0.0143907 eV
    sys_ = frenkel_system(3.27455e22, 0.0143907397384, 1.6216363422810787, IP, PHI_LI, 6.0)
    p = two_defect_parameters(sys_, IP, PHI_LI)
    assert p.symmetric
    assert p.site_density_cm3 == pytest.approx(3.27455e22, rel=1e-14)
    assert p.defect_energy_eV == pytest.approx(0.0143907397384, abs=1e-14)
    assert p.phi0_li_V == pytest.approx(1.6216363422810787, abs=1e-13)
    b = electrolyte_bulk(sys_, MU, IP, phi_li_eV=PHI_LI)
    assert np.max(np.abs(b.phi0_li_V - p.phi0_li_V)) < 1e-9


def test_two_defect_parameters_needs_an_unambiguous_pair():
    s = mixed()
    extra = DefectSpecies("Li_i2", (ChargeState(1, -1.0),), site_density_cm3=1e22, stoichiometry={"Li": 1})
    s2 = DefectSystem((*s.species, extra), s.bands)
    with pytest.raises(InputError, match="several candidates"):
        two_defect_parameters(s2, IP, PHI_LI)
    assert two_defect_parameters(s2, IP, PHI_LI, interstitial="Li_i2").interstitial == "Li_i2"
    no_vac = DefectSystem(li_i_and_electrons().species, ParabolicBands(4.0))
    with pytest.raises(InputError, match="vacancy"):
        two_defect_parameters(no_vac, IP, PHI_LI)


# ---------------------------------------------------------------------------------- the layer
def test_layer_species_of_the_frenkel_model_is_the_two_defect_layer():
    p_n, p_e, p_phi = 3.27455e22, 0.9, 1.6216363422810787
    sys_ = frenkel_system(p_n, p_e, p_phi, IP, PHI_LI, 9.0)
    sset = layer_species(sys_, -1.0, 50.0, alpha=0.1)
    assert abs(float(sset.rho(0.0))) < 1e-12 * sset.charge_scale()
    ref = first_integral(np.array([0.5, 1.6, -0.8]), p_n, p_e, 50.0, 0.1, 300.0)
    got = first_integral_species(sset, np.array([0.5, 1.6, -0.8]))
    assert got.sigma_C_per_m2 == pytest.approx(ref.sigma_C_per_m2, rel=1e-8)
    two = SpeciesSet(two_defect_species(p_n, p_e, 0.1), 50.0)
    assert sset.debye_length_m() == pytest.approx(two.debye_length_m(), rel=1e-9)


@pytest.mark.parametrize("make", [mixed, pinned_by_deep_donor, li_i_and_electrons])
def test_layer_linear_screening_equals_the_bulk_capacitance(make):
    """−k_BT dρ/dψ at the bulk (layer) equals e²·C_tot (bulk solve): one model, dilute limit."""
    s = make()
    b = electrolyte_bulk(s, -1.5, IP)
    sset = layer_species(s, -1.5, 10.0, alpha=1.0, statistics="boltzmann")
    _, drho = sset.rho(np.array([0.0]), derivative=True)
    c_layer = -drho[0] * K_B_EV * 300.0 / (E_CHARGE * PER_CM3)
    assert c_layer == pytest.approx(float(b.capacitance_total_cm3), rel=1e-6)
    lam = math.sqrt(10.0 * EPS0 * K_B_EV * 300.0 / (E_CHARGE * float(b.capacitance_total_cm3) * PER_CM3))
    assert sset.debye_length_m() == pytest.approx(lam, rel=1e-6)


def test_layer_species_frozen_states_follow_the_potential():
    sset = layer_species(pinned_by_deep_donor(), -1.5, 10.0)
    d_plus = next(sp for sp in sset.species if sp.name == "D+1")
    kt = K_B_EV * 300.0
    c0 = float(d_plus.concentration(0.0))
    c_up, dc = d_plus.concentration(np.array([0.05]), derivative=True)
    # ψ = +0.05 V raises the donor's energy: fewer ionised donors, Fermi-Dirac occupation of the level
    assert c_up[0] < c0
    f0 = c0 / 1e19
    ratio = (1 - f0) / f0  # c0/c+ = (g0/g+) e^{-(E0 - E+)/kT} at ψ = 0
    assert c_up[0] == pytest.approx(1e19 / (1 + ratio * math.exp(0.05 / kt)), rel=1e-10)
    h = 1e-6
    num = (d_plus.concentration(0.05 + h) - d_plus.concentration(0.05 - h)) / (2 * h)
    assert dc[0] == pytest.approx(float(num), rel=1e-6)


def test_layer_species_reneutralises_with_site_saturation():
    s = mixed()
    with pytest.warns(ApproximationWarning, match="re-referenced"):
        sset = layer_species(s, -0.2, 10.0, alpha=0.01)
    assert abs(float(sset.rho(0.0))) < 1e-9 * sset.charge_scale()


def test_layer_species_of_a_tabulated_dos_uses_boltzmann_equivalent_bands():
    s = tabulated_li_i_and_electrons()
    b = electrolyte_bulk(s, -1.0, IP)
    sset = layer_species(s, -1.0, 10.0)
    conc = dict(zip([sp.name for sp in sset.species], sset.concentrations(0.0), strict=True))
    assert float(conc["e-"]) == pytest.approx(float(b.electrons_cm3), rel=1e-6)
    assert float(conc["Li_i+1"]) == pytest.approx(float(b.concentration("Li_i")), rel=1e-6)


def test_with_stoichiometry_makes_a_plain_py_sc_fermi_input_scannable_in_mu_li():
    plain = DefectSystem.from_yaml(TOY.parent / "li_electrolyte_toy_pyscfermi.yaml")  # energies at μ_Li = −1.5
    s = plain.with_stoichiometry({"V_Li": {"Li": -1}, "Li_i": {"Li": 1}, "Al_Li": {"Al": 1, "Li": -1}},
                                 {"Li": -1.5})
    assert s.solve().fermi_level_eV == pytest.approx(plain.solve().fermi_level_eV, abs=1e-12)
    for name, q in (("V_Li", -1), ("Li_i", 1)):
        assert float(s.formation_energy(name, q, 2.0, {"Li": -1.5})) == pytest.approx(
            float(plain.formation_energy(name, q, 2.0)), abs=1e-12)
        n = s.species_by_name(name).stoichiometry["Li"]
        assert float(s.formation_energy(name, q, 2.0, {"Li": -1.0}) - s.formation_energy(name, q, 2.0)) == \
            pytest.approx(-0.5 * n, abs=1e-12)
    # the quenched Al dopant compensated by V_Li: s = 0, and the same bulk as the extended-format toy
    b = electrolyte_bulk(s, np.linspace(-2.5, -0.5, 5), IP)
    assert np.max(np.abs(b.slope)) < 1e-6
    ref = electrolyte_bulk(DefectSystem.from_yaml(TOY), np.linspace(-2.5, -0.5, 5), IP)
    assert b.fermi_level_eV == pytest.approx(ref.fermi_level_eV, abs=2e-3)  # tabulated vs parabolic bands
    with pytest.raises(InputError, match="no defect named"):
        plain.with_stoichiometry({"X": {"Li": 1}})
