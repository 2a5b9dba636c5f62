r"""Band-carrier numerics shared by the defect chemistry and the space-charge species.

One Fermi–Dirac integral and one band-carrier density, used by :mod:`ssbands.defects` (parabolic
bands) and :mod:`ssbands.scl.species` (:class:`~ssbands.scl.species.Electrons`,
:class:`~ssbands.scl.species.Holes`).

* F_j(η) = (1/Γ(j+1)) ∫₀^∞ x^j / (1 + e^{x−η}) dx, the normalised (Blakemore) complete Fermi–Dirac
  integral of order j = 1/2, with dF_{1/2}/dη = F_{−1/2}. F_j(η) → e^η for η → −∞.
* A band with effective density of states N holds n = N F_{1/2}(η) carriers per cm³, with
  η = (E_F − E_C)/kT for electrons and (E_V − E_F)/kT for holes;
  N = 2 (2π m k_B T / h²)^{3/2} for a parabolic band of density-of-states mass m.

References
----------
J. S. Blakemore, "Approximations for Fermi-Dirac integrals, especially the function F_{1/2}(η) used
to describe electron density in a semiconductor", Solid-State Electron. 25, 1067 (1982),
DOI 10.1016/0038-1101(82)90143-5.
S. M. Sze and K. K. Ng, *Physics of Semiconductor Devices*, 3rd ed. (Wiley, 2007), §1.4.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import constants as _sc

from .errors import InputError

__all__ = [
    "fermi_dirac_half",
    "log_fermi_dirac_half",
    "log_fermi_dirac_minus_half",
    "effective_density_of_states_cm3",
    "band_carrier_density",
    "log_band_carrier_density",
    "CARRIER_STATISTICS",
]

#: The statistics a band-carrier density accepts.
CARRIER_STATISTICS = ("boltzmann", "fermi-dirac", "auto")

_SQRT_PI = math.sqrt(math.pi)
_SERIES_K = np.arange(1, 41, dtype=float)
# Σ_k (−1)^{k+1} e^{kη} / k^{j+1}: coefficients for j = 1/2 and j = −1/2
_SERIES_C = {0.5: (-1.0) ** (_SERIES_K + 1) / _SERIES_K ** 1.5,
             -0.5: (-1.0) ** (_SERIES_K + 1) / _SERIES_K ** 0.5}
_GL_T, _GL_W = np.polynomial.legendre.leggauss(40)
_GL_T = 0.5 * (_GL_T + 1.0)
_GL_W = 0.5 * _GL_W
_N_PANELS = 10
# composite 10 × 40-point Gauss–Legendre rule on [0, 1]
_EDGES = np.linspace(0.0, 1.0, _N_PANELS + 1)
_NODES = (_EDGES[:-1, None] + (_EDGES[1:] - _EDGES[:-1])[:, None] * _GL_T[None, :]).ravel()
_WEIGHTS = ((_EDGES[1:] - _EDGES[:-1])[:, None] * _GL_W[None, :]).ravel()
_AUTO_BOLTZMANN_BELOW = -25.0  # "auto" statistics: Boltzmann for η ≤ −25 (relative error < 5e-12)


def _log_series(e, order):
    """ln F_j(η) for η ≤ −1 from the alternating series (40 terms)."""
    z = np.exp(e)[..., None]
    ser = np.sum(_SERIES_C[order] * z ** (_SERIES_K - 1.0), axis=-1)
    return e + np.log(ser)


def _log_quadrature(e, order):
    """ln F_j(η) for −1 < η ≤ 40: Gauss–Legendre in t = √x on [0, √(η+50)]."""
    tmax = np.sqrt(e + 50.0)
    t = tmax[:, None] * _NODES[None, :]
    x = t * t
    with np.errstate(over="ignore"):
        if order == 0.5:
            f = 2.0 * t * np.sqrt(x) / (1.0 + np.exp(x - e[:, None]))
        else:
            f = 2.0 / (1.0 + np.exp(x - e[:, None]))
    pref = 2.0 / _SQRT_PI if order == 0.5 else 1.0 / _SQRT_PI
    return np.log(pref * tmax * (f @ _WEIGHTS))


def _log_sommerfeld(e, order):
    """ln F_j(η) for η > 40 from the Sommerfeld expansion to O(η⁻⁶)."""
    if order == 0.5:
        val = (4.0 / (3.0 * _SQRT_PI)) * e ** 1.5 * (1.0 + np.pi ** 2 / (8.0 * e ** 2)
                                                        + 7.0 * np.pi ** 4 / (640.0 * e ** 4)
                                                        + 31.0 * np.pi ** 6 / (3072.0 * e ** 6))
    else:
        val = (2.0 / _SQRT_PI) * e ** 0.5 * (1.0 - np.pi ** 2 / (24.0 * e ** 2)
                                             - 7.0 * np.pi ** 4 / (384.0 * e ** 4)
                                             - 31.0 * np.pi ** 6 / (1024.0 * e ** 6))
    return np.log(val)


def _log_fermi_dirac(eta, order):
    eta = np.asarray(eta, float)
    out = np.empty_like(eta)
    lo = eta <= -1.0
    hi = eta > 40.0
    mid = ~(lo | hi)
    if np.any(lo):
        out[lo] = _log_series(eta[lo], order)
    if np.any(mid):
        out[mid] = _log_quadrature(eta[mid], order)
    if np.any(hi):
        out[hi] = _log_sommerfeld(eta[hi], order)
    return out


def log_fermi_dirac_half(eta):
    r"""ln F_{1/2}(η) of the normalised (Blakemore) Fermi–Dirac integral.

    F_{1/2}(η) = (2/√π) ∫₀^∞ √x / (1 + e^{x−η}) dx, so that n = N_c F_{1/2}(η) and
    F_{1/2}(η) → e^η for η → −∞ (Boltzmann limit).

    Evaluated in log form (no underflow for η ≪ 0): the alternating series
    Σ (−1)^{k+1} e^{kη}/k^{3/2} (40 terms) for η ≤ −1; composite 10×40-point Gauss–Legendre
    quadrature in t = √x on [0, √(η+50)] for −1 < η ≤ 40; the Sommerfeld expansion to
    O(η⁻⁶) beyond. Relative accuracy better than 1e-12 (η ≤ 40) and 1e-10 (η > 40), checked against
    mpmath's polylogarithm, F_{1/2}(η) = −Li_{3/2}(−e^η), in the tests.

    Parameters
    ----------
    eta : array_like
        Reduced Fermi level (E_F − E_c)/kT (electrons) or (E_v − E_F)/kT (holes), dimensionless.

    Returns
    -------
    ndarray
        ln F_{1/2}(η), dimensionless, the shape of ``eta``.
    """
    return _log_fermi_dirac(eta, 0.5)


def log_fermi_dirac_minus_half(eta):
    r"""ln F_{−1/2}(η) = ln dF_{1/2}/dη of the normalised Fermi–Dirac integral.

    F_{−1/2}(η) = (1/√π) ∫₀^∞ x^{−1/2} / (1 + e^{x−η}) dx, on the same three regimes as
    :func:`log_fermi_dirac_half` (series Σ (−1)^{k+1} e^{kη}/k^{1/2}, Gauss–Legendre in t = √x,
    Sommerfeld expansion). Relative accuracy better than 1e-12 for η ≤ 40 and 1e-9 beyond.

    Parameters
    ----------
    eta : array_like
        Reduced Fermi level, dimensionless.

    Returns
    -------
    ndarray
        ln F_{−1/2}(η), dimensionless, the shape of ``eta``.
    """
    return _log_fermi_dirac(eta, -0.5)


def fermi_dirac_half(eta, derivative: bool = False):
    r"""F_{1/2}(η), the normalised Fermi–Dirac integral (see :func:`log_fermi_dirac_half`).

    F_{1/2}(η) = (2/√π) ∫₀^∞ √x / (1 + e^{x−η}) dx → e^η for η → −∞ and (4/3√π) η^{3/2} for η → ∞.

    Parameters
    ----------
    eta : array_like
        Reduced Fermi level, dimensionless.
    derivative : bool
        Also return dF_{1/2}/dη = F_{−1/2}(η).

    Returns
    -------
    ndarray or tuple of ndarray
        F_{1/2}(η) (dimensionless), and F_{−1/2}(η) with ``derivative=True``.
    """
    f = np.exp(log_fermi_dirac_half(eta))
    if not derivative:
        return f
    return f, np.exp(log_fermi_dirac_minus_half(eta))


def effective_density_of_states_cm3(temperature_K, mass_ratio):
    """Effective density of states N = 2 (2π m k_B T / h²)^{3/2} of a parabolic band.

    Parameters
    ----------
    temperature_K : float or array_like
        Temperature T, K.
    mass_ratio : float
        Density-of-states effective mass m/m_0 (including valley degeneracy).

    Returns
    -------
    ndarray
        N in cm⁻³.
    """
    T = np.asarray(temperature_K, float)
    m = mass_ratio * _sc.m_e
    return 2.0 * (2.0 * np.pi * m * _sc.k * T / _sc.h ** 2) ** 1.5 / 1e6


def log_band_carrier_density(eta, effective_dos_cm3):
    """ln n of the carriers in a band, n = N F_{1/2}(η) (log-safe: no underflow for η ≪ 0).

    Parameters
    ----------
    eta : array_like
        Reduced Fermi level: (E_F − E_C)/kT for electrons, (E_V − E_F)/kT for holes, dimensionless.
    effective_dos_cm3 : float or array_like
        Effective density of states N, cm⁻³ (broadcasts with ``eta``).

    Returns
    -------
    ndarray
        ln(n / cm⁻³).
    """
    return np.log(effective_dos_cm3) + log_fermi_dirac_half(eta)


def band_carrier_density(eta, effective_dos_cm3, statistics: str = "fermi-dirac", derivative: bool = False):
    """Carriers in a band, n = N F_{1/2}(η) (Fermi–Dirac) or N e^η (Boltzmann).

    Parameters
    ----------
    eta : array_like
        Reduced Fermi level: (E_F − E_C)/kT for electrons, (E_V − E_F)/kT for holes, dimensionless.
    effective_dos_cm3 : float
        Effective density of states N, cm⁻³.
    statistics : {"fermi-dirac", "boltzmann", "auto"}
        ``"auto"`` uses Fermi–Dirac where η > −25 and Boltzmann below (relative difference < 5e-12).
    derivative : bool
        Also return dn/dη.

    Returns
    -------
    ndarray or tuple of ndarray
        n in cm⁻³ (the shape of ``eta``), and dn/dη in cm⁻³ with ``derivative=True``.
    """
    if statistics not in CARRIER_STATISTICS:
        raise InputError(f"statistics must be 'boltzmann', 'fermi-dirac' or 'auto', got {statistics!r}")
    shape = np.shape(eta)
    eta = np.asarray(eta, float).reshape(-1)
    f = np.exp(eta)
    d = f.copy()  # d(e^η)/dη
    if statistics != "boltzmann":
        fd = eta > _AUTO_BOLTZMANN_BELOW if statistics == "auto" else np.ones(eta.shape, bool)
        if np.any(fd):
            if derivative:
                f[fd], d[fd] = fermi_dirac_half(eta[fd], derivative=True)
            else:
                f[fd] = fermi_dirac_half(eta[fd])
    n = (effective_dos_cm3 * f).reshape(shape)
    return (n, (effective_dos_cm3 * d).reshape(shape)) if derivative else n
