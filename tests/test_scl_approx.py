"""Analytic approximations: two-zone (Swift 2021), Gouy–Chapman, Mott–Schottky."""

from __future__ import annotations

import numpy as np
import pytest

from ssbands.constants import kT_eV
from ssbands.scl import first_integral
from ssbands.scl.approx import compare_two_zone, gouy_chapman_sigma, mott_schottky_width, two_zone

STRONG = {  # strongly saturated layers of Swift 2021 (phi0 against Li)
    "LLZO": (1.6216363, 3.27455e22, 0.0143907, 50.0),
    "LiF": (1.9160631, 5.98412e22, 0.9733510, 9.0),
    "Li2O(111)": (2.1833214, 8.08106e22, 0.8601251, 7.27),
}


@pytest.mark.parametrize("name", list(STRONG))
def test_two_zone_agrees_under_strong_saturation(name):
    c = compare_two_zone(*STRONG[name])
    assert c["strongly_saturated"]
    assert c["sigma_rel_error"] < 0.02
    assert c["max_potential_rel_error"] < 0.02


@pytest.mark.parametrize("phi0", [0.05, 0.1, 0.15])
def test_two_zone_difference_reported_when_not_saturated(phi0):
    c = compare_two_zone(phi0, 1e22, 0.1, 10.0)
    assert not c["strongly_saturated"]
    assert c["sigma_rel_error"] > 0.05  # the approximation is off, and says by how much
    assert c["max_potential_rel_error"] > 0.01


def test_two_zone_converges_to_exact_as_phi0_grows():
    phi0 = np.array([0.5, 1.0, 2.0, 4.0])
    err = compare_two_zone(phi0, 3.27455e22, 0.0143907, 50.0)["sigma_rel_error"]
    assert np.all(np.diff(err) < 0)
    tz = two_zone(phi0, 3.27455e22, 0.0143907, 50.0)
    assert np.all(tz.saturated_zone_end_m > 0)


def test_gouy_chapman_linear_limit():
    """σ → −εφ0/L_D for small φ0."""
    eps, c, T = 10.0, 1e18, 300.0
    ld = np.sqrt(eps * 8.8541878128e-12 * kT_eV(T) / (2 * 1.602176634e-19 * c * 1e6))
    s = gouy_chapman_sigma(1e-5, c, eps, T)
    assert float(s) == pytest.approx(-eps * 8.8541878128e-12 * 1e-5 / ld, rel=1e-6)


def test_mott_schottky_width_values():
    w = mott_schottky_width(1.0, 1e18, 10.0, kT_correction=False)
    assert float(w) == pytest.approx(np.sqrt(2 * 10 * 8.8541878128e-12 * 1.0 / (1.602176634e-19 * 1e24)) * 1e9,
                                     rel=1e-9)
    assert float(mott_schottky_width(0.01, 1e18, 10.0)) == 0.0  # |phi0| < kT/e: no depletion
    # the batched closed form agrees with first_integral's structure (broadcast)
    assert np.shape(mott_schottky_width(np.ones(3), 1e18, 10.0)) == (3,)
    assert np.isfinite(first_integral(np.ones(3), 1e22, 0.1, 10.0).sigma_C_per_m2).all()
