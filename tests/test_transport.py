"""Transport per defect and the sign-aware excess resistance of a space-charge layer (closed forms, signs)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from ssbands.constants import E_CHARGE, EPS0, kT_eV
from ssbands.errors import InputError, UnknownParameterError
from ssbands.materials import load_library
from ssbands.scl.species import ChargedSpecies, Electrons, GeneralLayer, SpeciesSet
from ssbands.scl.transport import (
    DEFECTS,
    arrhenius_diffusivity,
    bulk_defect_concentration,
    carrier_states,
    defect_transport,
    excess_resistance,
    excess_resistance_layer,
    independent_resistance,
    nernst_einstein_conductivity,
)

T = 300.0
KT = kT_eV(T)
LIB = load_library()


def dilute(f0, Dp, Dm, transport="local-equilibrium", B=1e12, N=1e22, eps=10.0):
    """Two-defect layers in the dilute (Boltzmann, Gouy-Chapman) limit: B >> e^|f0|."""
    E = KT * np.log(B)
    r = excess_resistance(np.asarray(f0) * KT, N, E, eps, 1.0, T, diffusivity_Li_i_cm2_s=Dp,
                          diffusivity_V_Li_cm2_s=Dm, transport=transport)
    c = N / (1 + B) * 1e6  # m^-3
    lam = np.sqrt(eps * EPS0 * KT / (2 * E_CHARGE * c))  # Gouy-Chapman Debye length
    sp, sm = (E_CHARGE * D * 1e-4 * c / KT for D in (Dp, Dm))
    return r, lam, sp, sm


F0 = np.array([-8.0, -3.0, -0.2, 0.2, 3.0, 8.0])


def test_gouy_chapman_independent_carriers_closed_form():
    """a_± = ∫(1/σ± − 1/σ±∞)dx = 2λ(e^{∓f0/2} − 1)/σ±∞ and R_exc = Σ t² a (independent carriers)."""
    Dp, Dm = 1e-8, 3e-9
    r, lam, sp, sm = dilute(F0, Dp, Dm, "independent")
    ap, am = 2 * lam * (np.exp(-F0 / 2) - 1) / sp, 2 * lam * (np.exp(F0 / 2) - 1) / sm
    tp, tm = sp / (sp + sm), sm / (sp + sm)
    expect = (tp ** 2 * ap + tm ** 2 * am) * 1e4
    np.testing.assert_allclose(r["R_exc_ohm_cm2"], expect, rtol=1e-6)
    np.testing.assert_allclose(r["transference_Li_i"], tp, rtol=1e-9)
    # the validity length of the L -> infinity expansion: max |a_k| sigma_k
    np.testing.assert_allclose(r["asymptotic_length_nm"], np.maximum(np.abs(ap) * sp, np.abs(am) * sm) * 1e9, rtol=1e-6)


def test_gouy_chapman_local_equilibrium_closed_form():
    """Equal D: ∫(sech f − 1)dx/(2σ∞) = −(λ/√2)[ln((√2t − 1)/(√2t + 1))]_{t=1}^{cosh(f0/2)} / (2σ∞)."""
    D = 1e-8
    r, lam, s, _ = dilute(F0, D, D, "local-equilibrium")
    q = np.sqrt(2.0)
    t = np.cosh(np.abs(F0) / 2)
    expect = -(lam / q) * (np.log((q * t - 1) / (q * t + 1)) - np.log((q - 1) / (q + 1))) / (2 * s) * 1e4
    np.testing.assert_allclose(r["R_exc_ohm_cm2"], expect, rtol=1e-6)
    assert np.all(r["R_exc_ohm_cm2"] < 0)  # equal D: one carrier always accumulates, the pair conducts better


def one_carrier_layer(u0, c=1e18, eps=7.3):
    """Mobile Li+ (Boltzmann: huge site density) against a frozen background of the same concentration."""
    mob = ChargedSpecies("Li+", 1, 1e30, 0.0, 1.0, diffusivity_cm2_s=1e-9)
    sp = SpeciesSet((mob, ChargedSpecies("A-", -1, mobile=False, concentration_cm3=c)), eps, T)
    sp = sp.shifted(sp.neutral_potential_V())
    return GeneralLayer(sp, -u0 * KT), sp


@pytest.mark.parametrize("u0", [1.0, 5.0, 12.0])
def test_one_mobile_carrier_against_frozen_background(u0):
    """Exact: R_exc σ∞/λ = ∫_0^u0 (e^u − 1) du / sqrt(2(u − 1 + e^−u)) (Poisson–Boltzmann first integral);
    for u0 >> 1 the layer resistance over the depletion width w tends to the Mott–Schottky ratio e^u0/(2u0)."""
    lay, sp = one_carrier_layer(u0)
    r = excess_resistance_layer(lay)
    c = 1e24
    lam = np.sqrt(7.3 * EPS0 * KT / (E_CHARGE * c))
    s_inf = E_CHARGE * 1e-13 * c / KT
    exact, _ = quad(lambda u: (np.expm1(u)) / np.sqrt(2 * (u - 1 + np.exp(-u))), 0, u0, epsabs=0, epsrel=1e-13,
                    limit=200)
    assert r["R_exc_ohm_cm2"] == pytest.approx(exact * lam / s_inf * 1e4, rel=1e-6)
    assert r["carrier"] == "Li+" and r["carrier_state"] == "depleted"
    if u0 > 10:
        w = lam * np.sqrt(2 * u0)
        ratio = 1 + r["R_exc_ohm_cm2"] * 1e-4 * s_inf / w
        assert ratio == pytest.approx(np.exp(u0) / (2 * u0), rel=2.0 / u0)


@pytest.mark.parametrize("transport", ["local-equilibrium", "independent"])
@pytest.mark.parametrize("major", ["Li_i+", "V_Li-"])
def test_sign_rules_on_both_signs_of_phi0(transport, major):
    """Depleting the carrier that carries the current raises R, accumulating it lowers R.

    Independent carriers: the semi-infinite form Σ t_k² a_k holds for electrolytes much thicker than
    ``asymptotic_length_nm``; a strongly depleted minority carrier makes that length astronomical, and the
    finite-thickness form (1 µm here) is the one that obeys the rule."""
    Dp, Dm = (1e-8, 1e-14) if major == "Li_i+" else (1e-14, 1e-8)
    phi0 = np.array([-1.2, -0.3, -0.05, 0.05, 0.3, 1.2])
    r = excess_resistance(phi0, 3.957e22, 0.275, 7.3, 0.1, T, diffusivity_Li_i_cm2_s=Dp, diffusivity_V_Li_cm2_s=Dm,
                          transport=transport)
    assert np.all(r["carrier"] == major)
    state = r["carrier_state"]
    want = np.where(state == "depleted", 1, -1)
    if transport == "local-equilibrium":
        R = r["R_exc_ohm_cm2"]
    else:
        L = 1000.0
        sig = (r["conductivity_Li_i_S_cm"][0], r["conductivity_V_Li_S_cm"][0])
        R = np.array([independent_resistance(L, sig, (a, b)) for a, b in
                      zip(r["excess_Li_i_ohm_cm2"], r["excess_V_Li_ohm_cm2"], strict=True)]) - L * 1e-7 / sum(sig)
        ok = r["asymptotic_length_nm"] < 0.1 * L  # where the L -> infinity form holds, it obeys the rule too
        assert np.all(np.sign(r["R_exc_ohm_cm2"][ok]) == want[ok]) and ok.sum() >= 2
    assert np.all(np.sign(R) == want)
    # which one is depleted follows the sign of phi0 and the carrier's charge
    pos_depleted = phi0 < 0
    assert np.all((state == "depleted") == (pos_depleted if major == "Li_i+" else ~pos_depleted))
    assert np.all(carrier_states(phi0)[:, 0] == r["state_Li_i"])


def test_batched_two_defect_agrees_with_the_general_species_quadrature():
    N, E, eps = 3.957e22, 0.275, 7.3
    Dp, Dm = 2e-9, 5e-8
    for phi0 in (-0.6, 0.4, 1.24):
        b = excess_resistance(phi0, N, E, eps, 0.1, T, diffusivity_Li_i_cm2_s=Dp, diffusivity_V_Li_cm2_s=Dm)
        sp = SpeciesSet((ChargedSpecies("Li_i+", 1, N, E, 0.1, diffusivity_cm2_s=Dp),
                         ChargedSpecies("V_Li-", -1, N, E, 0.1, diffusivity_cm2_s=Dm)), eps, T)
        g = excess_resistance_layer(GeneralLayer(sp, phi0))
        assert g["R_exc_ohm_cm2"] == pytest.approx(float(b["R_exc_ohm_cm2"]), rel=1e-6)
        gi = excess_resistance_layer(GeneralLayer(sp, phi0), transport="independent")
        assert gi["R_exc_ohm_cm2"] == pytest.approx(float(b["R_exc_independent_ohm_cm2"]), rel=1e-6)


def test_electrons_are_a_carrier_like_any_other():
    """A layer with electrons: they conduct in parallel (local equilibrium) and can be the main carrier."""
    ions = (ChargedSpecies("Li_i+", 1, 1e22, 0.3, 0.1, diffusivity_cm2_s=1e-10),
            ChargedSpecies("V_Li-", -1, 1e22, 0.3, 0.1, diffusivity_cm2_s=1e-10))
    sp = SpeciesSet(ions + (Electrons(0.55, 2.5e19, diffusivity_cm2_s=1.0),), 8.0, T)
    sp = sp.shifted(sp.neutral_potential_V())
    r = excess_resistance_layer(GeneralLayer(sp, -0.3))  # ψ > 0 at the interface: electrons accumulate
    assert r["carrier"] == "e-" and r["carrier_state"] == "accumulated" and r["R_exc_ohm_cm2"] < 0


def test_arrhenius_and_nernst_einstein():
    assert float(arrhenius_diffusivity(1e-3, 0.4, 300.0)) == pytest.approx(1e-3 * np.exp(-0.4 / KT))
    s = nernst_einstein_conductivity(1e-8, 1e21, 1, 300.0)
    assert float(s) == pytest.approx(E_CHARGE * 1e-8 * 1e21 / KT)
    c = bulk_defect_concentration(3.957e22, 0.275, 0.1, 300.0)
    assert float(c) == pytest.approx(0.1 * 3.957e22 / (1 + 0.1 * np.exp(0.275 / KT)))


def test_lipon_transport_from_the_labelled_carrier_split():
    m = LIB["LiPON"]
    for f in ("migration_barrier_V_Li_eV", "migration_barrier_Li_i_eV", "conductivity_fraction_Li_i"):
        assert m.param(f).source == "senevirathne2013" and "Senevirathne" in LIB.cite(m.param(f).source)
    assert m.param("conductivity_fraction_Li_i").estimate
    tr = defect_transport(m, 300.0)
    t = m.get("conductivity_fraction_Li_i")
    c = float(bulk_defect_concentration(3.957e22, 0.275, 0.1, 300.0))
    sig = nernst_einstein_conductivity(np.array(tr.diffusivities), c, 1, 300.0)
    assert sig.sum() == pytest.approx(m.get("ionic_conductivity_S_cm"), rel=1e-12)
    assert sig[0] / sig.sum() == pytest.approx(t, rel=1e-9)
    assert "carrier split" in tr.sources["V_Li-"]
    # another temperature moves each defect with its own barrier
    t350 = defect_transport(m, 350.0)
    ratio = np.array(t350.diffusivities) / np.array(tr.diffusivities)
    np.testing.assert_allclose(ratio, np.exp(-np.array([0.8, 0.4]) / 8.617333262e-5 * (1 / 350 - 1 / 300)), rtol=1e-9)


def test_no_silent_split_and_explicit_overrides(tmp_path):
    p = tmp_path / "lib.yaml"
    p.write_text("materials:\n  LiPON: {conductivity_fraction_Li_i: unknown}\n")
    lib = load_library(p)
    with pytest.raises(UnknownParameterError, match="conductivity_fraction_Li_i"):
        defect_transport(lib["LiPON"])
    half = defect_transport(lib["LiPON"], carrier_split=0.5)
    assert half.diffusivity_Li_i_cm2_s == pytest.approx(half.diffusivity_V_Li_cm2_s)
    given = defect_transport(lib["LiPON"], diffusivities_cm2_s=(1e-9, 2e-9))
    assert given.diffusivities == (1e-9, 2e-9)
    p.write_text("materials:\n  LiPON:\n    diffusivity_prefactor_Li_i_cm2_s: 1e-3\n"
                 "    diffusivity_prefactor_V_Li_cm2_s: 2e-3\n")
    d = defect_transport(load_library(p)["LiPON"], 320.0)
    assert d.diffusivity_V_Li_cm2_s == pytest.approx(2e-3 * np.exp(-0.4 / kT_eV(320.0)))
    with pytest.raises(InputError, match="carrier_split"):
        defect_transport(LIB["LiPON"], carrier_split=1.5)
    with pytest.raises(UnknownParameterError, match="LLZO"):
        defect_transport(LIB["LLZO"])
    assert DEFECTS == ("Li_i+", "V_Li-")


def test_transport_limit_names_are_checked():
    with pytest.raises(InputError, match="transport"):
        excess_resistance(0.5, 1e22, 0.3, 8.0, diffusivity_Li_i_cm2_s=1e-9, diffusivity_V_Li_cm2_s=1e-9,
                          transport="fast")
    with pytest.raises(InputError, match="diffusivities"):
        excess_resistance(0.5, 1e22, 0.3, 8.0, diffusivity_Li_i_cm2_s=0.0, diffusivity_V_Li_cm2_s=0.0)
