"""Frumkin–Butler–Volmer charge transfer with the site-saturated reaction-plane concentration."""

from __future__ import annotations

import numpy as np
import pytest

from ssbands.constants import kT_eV
from ssbands.errors import InputError
from ssbands.scl import SpaceChargeLayer
from ssbands.scl.kinetics import butler_volmer_current, charge_transfer, current_overpotential, frumkin_butler_volmer
from ssbands.scl.resistance import frumkin_rct

KT = kT_eV(300.0)
LIPON = (3.957e22, 0.275, 7.3, 0.1)


def test_dilute_limit_is_the_classic_frumkin_correction():
    """Far from saturation c(x2)/c∞ = exp(−eφ2/kT) and i0,app = i0 exp[(α − 1)eφ2/kT] (the existing formula)."""
    B = 1e12
    N, E = 1e22, KT * np.log(B)
    phi0 = np.array([-0.2, -0.05, 0.05, 0.2])
    ct = charge_transfer(phi0, N, E, 10.0, 1.0, 300.0, i0_A_cm2=1e-3, alpha_t=0.3)
    rct, i0app = frumkin_rct(1e-3, 0.3, -phi0)
    np.testing.assert_allclose(ct["R_ct_ohm_cm2"], rct, rtol=1e-8)
    np.testing.assert_allclose(ct["i0_app_A_cm2"], i0app, rtol=1e-8)
    np.testing.assert_allclose(ct["phi2_V"], -phi0, rtol=1e-12)


def test_site_saturation_caps_the_reaction_plane_concentration():
    """At Li|LiPON steps a Boltzmann factor gives more Li_i than sites; the site-saturated value is ≤ αN."""
    ct = charge_transfer(1.24, *LIPON, 300.0, i0_A_cm2=1e-3, alpha_t=0.5)
    assert ct["c_boltzmann_cm3"] > 1e3 * ct["site_limit_cm3"]
    assert ct["c_reaction_plane_cm3"] <= ct["site_limit_cm3"]
    assert ct["c_reaction_plane_cm3"] == pytest.approx(ct["site_limit_cm3"], rel=1e-6)
    ratio = ct["c_reaction_plane_cm3"] / ct["c_bulk_cm3"]
    assert ct["i0_app_A_cm2"] == pytest.approx(1e-3 * ratio * np.exp(0.5 * -1.24 / KT), rel=1e-10)
    assert ct["R_ct_ohm_cm2"] == pytest.approx(KT / ct["i0_app_A_cm2"], rel=1e-12)
    # the Boltzmann-only answer would be ~16 orders of magnitude smaller
    r_boltz, _ = frumkin_rct(1e-3, 0.5, -1.24)
    assert ct["R_ct_ohm_cm2"] / r_boltz > 1e15


def test_reaction_plane_inside_the_layer():
    lay = SpaceChargeLayer(0.6, *LIPON[:3], LIPON[3])
    x2 = 0.3
    ct = charge_transfer(np.array([0.6]), *LIPON, 300.0, i0_A_cm2=2e-4, alpha_t=0.4, reaction_plane_nm=x2)
    assert ct["phi2_V"][0] == pytest.approx(float(lay.potential(np.array([x2]))[0]), abs=1e-7)
    cp, _ = lay.concentrations(np.array([x2]))
    assert ct["c_reaction_plane_cm3"][0] == pytest.approx(float(cp[0]), rel=1e-6)


def test_without_kinetic_data_the_result_is_null_with_a_note():
    ct = charge_transfer(0.5, *LIPON, 300.0)
    assert ct["R_ct_ohm_cm2"] is None and ct["i0_app_A_cm2"] is None and "i0" in ct["note"]
    with pytest.raises(InputError, match="both"):
        charge_transfer(0.5, *LIPON, 300.0, i0_A_cm2=1e-3)
    with pytest.raises(InputError, match="alpha_t"):
        frumkin_butler_volmer(1e-3, 1.5, 1.0, 0.0)
    with pytest.raises(InputError, match="species"):
        charge_transfer(0.5, *LIPON, 300.0, species="e-")


def test_current_overpotential_curve():
    cv = current_overpotential(np.linspace(-0.1, 0.1, 201), 0.3, *LIPON, 300.0, i0_A_cm2=1e-3, alpha_t=0.3)
    eta, i = cv["overpotential_V"], cv["current_A_cm2"]
    assert i[100] == 0.0 and np.all(np.diff(i) > 0)
    slope = (i[101] - i[99]) / (eta[101] - eta[99])
    assert 1.0 / slope == pytest.approx(cv["R_ct_ohm_cm2"], rel=1e-4)  # R_ct = dη/di at η = 0
    # Tafel branches: anodic slope (1 − α_t) e/kT, cathodic α_t e/kT
    big = butler_volmer_current(np.array([0.3, 0.31]), 1.0, 0.3)
    assert np.log(big[1] / big[0]) / 0.01 == pytest.approx(0.7 / KT, rel=1e-3)
