r"""Analytic approximations of a space-charge layer: checks, not the answer.

The exact layer is the first integral of Swift, Swift & Qi, Nat. Comput. Sci. 1, 212 (2021).

Dimensionless variables as in :mod:`ssbands.scl.firstintegral`: ξ = x/λ, f = e(φ∞ − φ)/kT, tail
(Debye) length ℓ = (1 + B)/sqrt(2B) in units of λ.

* **Gouy–Chapman** (dilute Boltzmann 1:1 electrolyte, bulk concentration c∞ of each ion, Debye length
  L_D = sqrt(ε_rε_0 kT/(2e²c∞)))::

      f(x) = 4 artanh[tanh(f0/4) e^{−x/L_D}],   σ = −sign(f0) sqrt(8 ε_rε_0 kT c∞) |sinh(f0/2)|.

* **Mott–Schottky** (full depletion of one mobile species of charge z against a fixed background c∞)::

      w = sqrt(2 ε_rε_0 (|φ0| − kT/e) / (|z| e c∞))   (``kT_correction=False``: without −kT/e),
      φ(x) − φ∞ = −φ0 (1 − x/w)²  for x < w.

* **Two-zone** approximation of the two-defect layer (Swift, Swift & Qi 2021): a saturated zone
  0 < ξ < ξ1 where one defect fills its α N sites and the other is absent (|f''| = 1, parabolic f)
  joined, with f and f' continuous, to a Gouy–Chapman tail with the true tail length ℓ
  (f'' = sinh(f)/ℓ²). The junction f1 is where the two charge densities are equal, sinh(f1) = ℓ²::

      f'(0)² = f1'² + 2(|f0| − f1),  f1' = (2/ℓ) sinh(f1/2),  ξ1 = |f'(0)| − f1'.

  It is accurate when the layer is strongly saturated (|f0| ≫ f1) and wrong otherwise;
  :func:`compare_two_zone` reports by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import E_CHARGE, EPS0, PER_CM3, kT_eV
from ..errors import InputError
from .firstintegral import SpaceChargeLayer, dimensionless, first_integral, softplus

__all__ = ["gouy_chapman_potential", "gouy_chapman_sigma", "mott_schottky_width", "mott_schottky_potential",
           "TwoZone", "two_zone", "compare_two_zone"]


def _debye_gc(concentration_cm3, permittivity, temperature_K):
    c = np.asarray(concentration_cm3, float) * PER_CM3
    if np.any(c <= 0):
        raise InputError("Gouy-Chapman: the bulk concentration must be > 0")
    return np.sqrt(permittivity * EPS0 * kT_eV(temperature_K) / (2.0 * E_CHARGE * c))


def gouy_chapman_potential(x_nm, phi0_V, concentration_cm3, permittivity, temperature_K=300.0):
    """φ(x) − φ∞ (V) of a dilute 1:1 electrolyte (each ion at ``concentration_cm3`` in the bulk)."""
    kt = kT_eV(temperature_K)
    ld_nm = _debye_gc(concentration_cm3, permittivity, temperature_K) * 1e9
    f0 = np.asarray(phi0_V, float) / kt
    f = 4.0 * np.arctanh(np.tanh(f0 / 4.0) * np.exp(-np.asarray(x_nm, float) / ld_nm))
    return -kt * f


def gouy_chapman_sigma(phi0_V, concentration_cm3, permittivity, temperature_K=300.0):
    """Electrode-side charge (C/m²) of a Gouy–Chapman layer, sign convention of ``first_integral``."""
    kt = kT_eV(temperature_K)
    c = np.asarray(concentration_cm3, float) * PER_CM3
    f0 = np.asarray(phi0_V, float) / kt
    return -np.sign(f0) * np.sqrt(8.0 * permittivity * EPS0 * kt * E_CHARGE * c) * np.abs(np.sinh(f0 / 2.0))


def mott_schottky_width(phi0_V, concentration_cm3, permittivity, charge=1, temperature_K=300.0,
                        kT_correction: bool = True):
    """Depletion (Mott–Schottky) width in nm; 0 where |φ0| ≤ kT/e (no depletion)."""
    kt = kT_eV(temperature_K) if kT_correction else 0.0
    c = np.asarray(concentration_cm3, float) * PER_CM3
    if np.any(c <= 0):
        raise InputError("Mott-Schottky: the background concentration must be > 0")
    v = np.maximum(np.abs(np.asarray(phi0_V, float)) - kt, 0.0)
    return np.sqrt(2.0 * permittivity * EPS0 * v / (abs(charge) * E_CHARGE * c)) * 1e9


def mott_schottky_potential(x_nm, phi0_V, concentration_cm3, permittivity, charge=1, temperature_K=300.0):
    """Depletion-approximation φ(x) − φ∞ (V): −φ0 (1 − x/w)² inside, 0 beyond (w without kT correction)."""
    w = mott_schottky_width(phi0_V, concentration_cm3, permittivity, charge, temperature_K, kT_correction=False)
    s = np.clip(1.0 - np.asarray(x_nm, float) / w, 0.0, None)
    return -np.asarray(phi0_V, float) * s * s


@dataclass(frozen=True)
class TwoZone:
    """Two-zone approximation of a batch of two-defect layers (arrays; SI units unless named)."""

    phi0_V: np.ndarray
    f0: np.ndarray
    f1: np.ndarray  # |f| at the junction of the two zones
    ell: np.ndarray  # tail length / λ
    debye_scale_m: np.ndarray  # λ
    slope0: np.ndarray  # |f'(0)|
    saturated_width_m: np.ndarray  # λ |f'(0)| (as in first_integral)
    saturated_zone_end_m: np.ndarray  # λ ξ1, where the parabola meets the tail (0: no saturated zone)
    sigma_C_per_m2: np.ndarray
    kt: np.ndarray

    def potential(self, x_nm):
        """φ(x) − φ∞ (V); scalar layers only (x an array of positions)."""
        if np.ndim(self.f0):
            raise InputError("TwoZone.potential: evaluate one layer at a time")
        xi = np.asarray(x_nm, float) * 1e-9 / float(self.debye_scale_m)
        a0, f1, ell, s0 = abs(float(self.f0)), float(self.f1), float(self.ell), float(self.slope0)
        xi1 = float(self.saturated_zone_end_m / self.debye_scale_m)
        if a0 <= f1:  # Gouy-Chapman only
            f = 4.0 * np.arctanh(np.tanh(a0 / 4.0) * np.exp(-xi / ell))
        else:
            sat = a0 - s0 * xi + 0.5 * xi * xi
            tail = 4.0 * np.arctanh(np.tanh(f1 / 4.0) * np.exp(-np.maximum(xi - xi1, 0.0) / ell))
            f = np.where(xi < xi1, sat, tail)
        return -np.sign(float(self.f0)) * float(self.kt) * f


def two_zone(phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha=0.1, temperature_K=300.0) -> TwoZone:
    """Two-zone approximation (parabolic saturated zone + Gouy–Chapman tail), batched."""
    phi0, f0, lnB, lam, S, kt, _ = dimensionless(phi0_V, site_density_cm3, defect_energy_eV, permittivity,
                                                  alpha, temperature_K)
    ln_ell = softplus(lnB) - 0.5 * (np.log(2.0) + lnB)
    ell = np.exp(ln_ell)
    # f1 = asinh(ℓ²), in logs for huge ℓ
    l2 = 2.0 * ln_ell
    f1 = np.where(l2 > 20, l2 + np.log(2.0), np.arcsinh(np.exp(np.minimum(l2, 20.0))))
    a0 = np.abs(f0)
    # f1' = (2/ℓ) sinh(f1/2)
    s1 = 2.0 * np.exp(np.where(f1 > 40, f1 / 2 - np.log(2.0), np.log(np.sinh(np.maximum(f1, 1e-300) / 2.0))) - ln_ell)
    sat = a0 > f1
    s_gc = 2.0 / ell * np.sinh(np.minimum(a0, 700.0) / 2.0)
    slope0 = np.where(sat, np.sqrt(s1 * s1 + 2.0 * np.maximum(a0 - f1, 0.0)), s_gc)
    xi1 = np.where(sat, slope0 - s1, 0.0)
    return TwoZone(phi0_V=phi0, f0=f0, f1=f1, ell=ell, debye_scale_m=lam, slope0=slope0,
                   saturated_width_m=lam * slope0, saturated_zone_end_m=lam * xi1,
                   sigma_C_per_m2=-np.sign(f0) * slope0 * S, kt=kt)


def _s1(tz):
    """f1' = (2/ℓ) sinh(f1/2), in logs (f1 can be ~ ln B ≫ 1)."""
    f1 = tz.f1
    return 2.0 * np.exp(np.where(f1 > 40, f1 / 2 - np.log(2.0), np.log(np.sinh(np.maximum(f1, 1e-300) / 2.0)))
                        - np.log(tz.ell))


def compare_two_zone(phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha=0.1, temperature_K=300.0,
                     profile: bool = True) -> dict:
    """How far the two-zone approximation is from the exact first integral.

    Returns a dict with ``sigma_rel_error`` (|σ_2z/σ − 1|, equal to the relative error of the
    saturated width λ|f'(0)|), ``saturated_charge_fraction`` (the part of the layer's charge that the
    saturated zone holds, 1 − f1'/|f'(0)|), ``strongly_saturated`` (that fraction > 0.75: the regime where
    the approximation is meant to hold) and, for a scalar layer with ``profile=True``,
    ``max_potential_error_V`` over the layer
    (up to where it decays to 1e-6 V, on a grid fine at the interface) and ``max_potential_rel_error``
    (the same divided by |φ0|).
    """
    tz = two_zone(phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K)
    ex = first_integral(phi0_V, site_density_cm3, defect_energy_eV, permittivity, alpha, temperature_K)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.abs(tz.sigma_C_per_m2 / ex.sigma_C_per_m2 - 1.0)
    frac = (tz.slope0 - np.where(np.abs(tz.f0) > tz.f1, _s1(tz), tz.slope0)) / tz.slope0
    strong = frac > 0.75
    out = {"sigma_rel_error": float(err) if np.ndim(err) == 0 else err,
           "saturated_charge_fraction": float(frac) if np.ndim(frac) == 0 else frac,
           "strongly_saturated": bool(strong) if np.ndim(strong) == 0 else strong}
    if profile and np.ndim(tz.f0) == 0 and tz.f0 != 0:
        layer = SpaceChargeLayer(float(phi0_V), float(site_density_cm3), float(defect_energy_eV),
                                 float(permittivity), float(alpha), float(temperature_K))
        xe = layer.extent_nm(1e-6)
        x = np.unique(np.concatenate([np.linspace(0.0, xe, 2001), np.geomspace(1e-6 * xe, xe, 2001)]))
        e = float(np.max(np.abs(tz.potential(x) - layer.potential(x))))
        out["max_potential_error_V"] = e
        out["max_potential_rel_error"] = e / abs(float(phi0_V))
    return out
