"""General-species first integral: reduces to the two-defect closed forms; band carriers; limits."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from ssbands.constants import E_CHARGE, kT_eV
from ssbands.errors import InputError
from ssbands.scl import SpaceChargeLayer, first_integral
from ssbands.scl.approx import gouy_chapman_potential, gouy_chapman_sigma, mott_schottky_width
from ssbands.scl.species import (
    ChargedSpecies,
    Electrons,
    GeneralLayer,
    Holes,
    SpeciesSet,
    fermi_dirac_half,
    first_integral_species,
    two_defect_species,
)

SWIFT = {
    "LLZO": (1.6216363, 3.27455e22, 0.0143907, 50.0),
    "LiF": (1.9160631, 5.98412e22, 0.9733510, 9.0),
    "Li2CO3": (1.8444179, 1.64941e22, 0.9110166, 5.64),
    "Li2O(110)": (0.7104937, 8.08106e22, 0.8601251, 7.27),
}


@pytest.mark.parametrize("name", list(SWIFT))
@pytest.mark.parametrize("sign", [1, -1])
def test_two_defect_species_list_equals_first_integral(name, sign):
    phi0, N, E, eps = SWIFT[name]
    phi0 *= sign
    sp = SpeciesSet(two_defect_species(N, E, 0.1), eps, 300.0)
    g = first_integral_species(sp, np.array([phi0, 0.3 * phi0, 1e-3]))
    r = first_integral(np.array([phi0, 0.3 * phi0, 1e-3]), N, E, eps, 0.1, 300.0)
    for a, b in [(g.sigma_C_per_m2, r.sigma_C_per_m2), (g.capacitance_F_per_m2, r.capacitance_F_per_m2),
                 (g.integral_capacitance_F_per_m2, r.integral_capacitance_F_per_m2),
                 (g.saturated_width_m, r.saturated_width_m), (g.debye_length_m, r.debye_length_m)]:
        np.testing.assert_allclose(a, b, rtol=1e-10)
    # profile and inverse
    L, S = GeneralLayer(sp, phi0), SpaceChargeLayer(phi0, N, E, eps)
    x = np.concatenate([np.geomspace(1e-5, 1, 50) * S.extent_nm(1e-6), [2 * S.extent_nm(1e-6)]])
    np.testing.assert_allclose(L.potential(x), S.potential(x), rtol=0, atol=1e-7)  # both tables: ~3e-8 V
    ph = S.potential(x[:-1])
    np.testing.assert_allclose(L.position(ph), S.position(ph), rtol=1e-9)
    assert L.sigma_C_per_m2 == pytest.approx(float(r.sigma_C_per_m2[0]), rel=1e-10)


def test_rho_general_integral_against_mpmath():
    """G(ψ) = −∫ρ by the 16-point composite rule equals an mpmath quadrature for a 4-species list."""
    sp = SpeciesSet((ChargedSpecies("a", 2, 1e22, 0.4, 0.05), ChargedSpecies("b", -1, 2e22, 0.3, 0.2),
                     ChargedSpecies("d", -1, mobile=False, concentration_cm3=1e17),
                     Electrons(1.0, 2e19, "fermi-dirac")), 12.0)
    sp = sp.shifted(sp.neutral_potential_V())
    assert abs(float(sp.rho(0.0))) < 1e-9 * sp.charge_scale()
    for psi in (-1.3, -0.2, 0.05, 0.9):
        ref = -mp.quad(lambda p: float(sp.rho(float(p))), [0, psi / 2, psi])
        assert float(sp.G(psi)) == pytest.approx(float(ref), rel=1e-10)


@pytest.mark.parametrize("eta", [-40.0, -3.0, 0.0, 2.5, 25.0, 300.0])
def test_fermi_dirac_half_against_polylog(eta):
    f, d = fermi_dirac_half(np.array([eta]), derivative=True)
    ref = float((-mp.polylog(1.5, -mp.exp(eta))).real)
    dref = float((-mp.polylog(0.5, -mp.exp(eta))).real)
    assert f[0] == pytest.approx(ref, rel=1e-10)
    assert d[0] == pytest.approx(dref, rel=1e-8)


def test_band_carriers_boltzmann_limit_and_fermi_dirac_near_band():
    far = Electrons(1.0, 2.5e19, "auto")
    boltz = Electrons(1.0, 2.5e19, "boltzmann")
    psi = np.array([0.0, 0.5, 0.8])
    np.testing.assert_allclose(far.concentration(psi[:2]), boltz.concentration(psi[:2]), rtol=1e-6)
    # E_F 0.2 eV above the band edge at psi = 1.2: Boltzmann overestimates
    assert far.concentration(np.array([1.2]))[0] < 0.5 * boltz.concentration(np.array([1.2]))[0]
    h = Holes(1.0, 1e19)
    assert h.concentration(np.array([-0.5]))[0] == pytest.approx(1e19 * np.exp(-0.5 / kT_eV(300)), rel=1e-6)


def test_electron_accumulation_layer_sigma_and_gauss():
    """A layer screened by electrons and a frozen donor background: σ = −∫ρ dx (Gauss)."""
    sp = SpeciesSet((Electrons(0.15, 2.5e19, "fermi-dirac"), ChargedSpecies("D+", 1, mobile=False,
                                                                          concentration_cm3=1e17)), 11.7)
    sp = sp.shifted(sp.neutral_potential_V())
    L = GeneralLayer(sp, -0.4)  # ψ(0) = +0.4 V: electrons accumulate (Fermi-Dirac regime)
    psi, w, xend = L.quadrature(1e-8)
    q = float(np.sum(w * sp.rho(psi)))
    assert q == pytest.approx(-L.sigma_C_per_m2, rel=1e-6)


def test_unneutral_bulk_is_refused():
    sp = SpeciesSet((ChargedSpecies("a", 1, 1e22, 0.2, 0.1), ChargedSpecies("b", -1, 1e22, 0.3, 0.1)), 10.0)
    with pytest.raises(InputError, match="not neutral"):
        first_integral_species(sp, 0.5)
    ok = sp.shifted(sp.neutral_potential_V())
    assert np.isfinite(first_integral_species(ok, 0.5).sigma_C_per_m2)


def test_bad_species_inputs():
    with pytest.raises(InputError, match="charge"):
        ChargedSpecies("x", 0, 1e22)
    with pytest.raises(InputError, match="alpha"):
        ChargedSpecies("x", 1, 1e22, 0.1, alpha=1.5)
    with pytest.raises(InputError, match="frozen"):
        ChargedSpecies("x", 1, mobile=False)
    with pytest.raises(InputError, match="mobile"):
        SpeciesSet((ChargedSpecies("x", 1, mobile=False, concentration_cm3=1.0),), 10.0)


@pytest.mark.parametrize("phi0", [0.02, -0.05, 0.1])
def test_dilute_limit_is_gouy_chapman(phi0):
    """E_f0 large (B ≫ 1, c∞ = N e^{−E_f0/kT} ≪ αN): the layer is Gouy–Chapman's."""
    N, E, eps, al = 1e22, 0.6, 10.0, 0.1
    c = N / (1 / al + np.exp(E / kT_eV(300.0)))
    r = first_integral(phi0, N, E, eps, al, 300.0)
    assert float(r.sigma_C_per_m2) == pytest.approx(float(gouy_chapman_sigma(phi0, c, eps)), rel=1e-6)
    L = SpaceChargeLayer(phi0, N, E, eps, al)
    x = np.linspace(0, L.extent_nm(1e-7), 200)
    np.testing.assert_allclose(L.potential(x), gouy_chapman_potential(x, phi0, c, eps), atol=1e-7 * 0 + 2e-8)


@pytest.mark.parametrize("phi0", [0.5, 1.0, 2.0])
def test_one_species_limit_is_mott_schottky(phi0):
    """One mobile cation against a frozen anion background, depleted (ψ > 0): |σ|/(e c) → w_MS."""
    c = 1e18
    # c/N = 1e-8: the cation's site statistics are Boltzmann to that accuracy
    sp = SpeciesSet((ChargedSpecies("Li+", 1, 1e26, 0.0, 1.0), ChargedSpecies("A-", -1, mobile=False,
                                                                           concentration_cm3=c)), 10.0)
    sp = sp.shifted(sp.neutral_potential_V())
    r = first_integral_species(sp, -phi0)
    w_exact = abs(float(r.sigma_C_per_m2)) / (E_CHARGE * c * 1e6) * 1e9
    assert w_exact == pytest.approx(float(mott_schottky_width(-phi0, c, 10.0)), rel=1e-7)
    # the profile is the depletion parabola within the approximation's kT/e scale
    L = GeneralLayer(sp, -phi0)
    w = float(mott_schottky_width(phi0, c, 10.0, kT_correction=False))
    x = np.linspace(0, 0.8 * w, 50)
    approx = phi0 * (1 - x / w) ** 2
    assert np.max(np.abs(L.potential(x) - approx)) < 3 * kT_eV(300.0)
