r"""Kramers–Kronig test of an impedance spectrum by the linear Voigt-circuit fit (Lin-KK).

Boukamp, *J. Electrochem. Soc.* 142, 1885 (1995), doi:10.1149/1.2044210, and Schönleber, Klotz &
Ivers-Tiffée, *Electrochim. Acta* 131, 20 (2014), doi:10.1016/j.electacta.2014.01.034: a spectrum is
Kramers–Kronig consistent when a series of M Voigt elements R_k/(1 + jωτ_k) with fixed, log-spaced τ_k
(plus a series resistance and, for blocking spectra, a series capacitance) fits it; the fit is linear
in R_k. The relative residuals Δ = (Z − Z_fit)/|Z| of the real and imaginary parts are the test.
M (at most half the number of frequencies) is increased until the residuals reach ``target``, or until
the over-fitting measure μ = 1 − Σ_{R_k<0}|R_k| / Σ_{R_k≥0}R_k drops below ``mu_criterion`` (Schönleber's
choice, 0.85) with residuals within ten times the target; the best fit found is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from ..errors import InputError

__all__ = ["LinKKResult", "lin_kk"]


@dataclass(frozen=True)
class LinKKResult:
    """Result of :func:`lin_kk`.

    Attributes
    ----------
    M : int
        Number of Voigt elements.
    mu : float
        Schönleber's μ at M.
    residual_real, residual_imag : ndarray
        (Z − Z_fit)/|Z| of the real and imaginary parts.
    max_residual : float
        Largest |residual|.
    Z_fit : ndarray of complex
        The Voigt fit (same units as Z).
    tau_s : ndarray
        Time constants, s.
    R : ndarray
        Fitted Voigt resistances (same units as Z).
    """

    M: int
    mu: float
    residual_real: np.ndarray
    residual_imag: np.ndarray
    max_residual: float
    Z_fit: np.ndarray
    tau_s: np.ndarray
    R: np.ndarray


def _fit(omega, Z, M, with_cap, extend):
    tmin, tmax = 1.0 / omega.max(), 1.0 / omega.min()
    tau = np.geomspace(tmin / 10 ** extend, tmax * 10 ** extend, M)
    cols = [np.ones_like(omega, complex)]
    cols += [1.0 / (1.0 + 1j * omega * t) for t in tau]
    if with_cap:
        cols.append(1.0 / (1j * omega))  # coefficient = 1/C
    A = np.array(cols).T
    w = 1.0 / np.abs(Z)
    K = np.concatenate([A.real * w[:, None], A.imag * w[:, None]])
    b = np.concatenate([Z.real * w, Z.imag * w])
    p, *_ = np.linalg.lstsq(K, b, rcond=None)
    Zf = A @ p
    R = p[1:1 + M]
    pos = R[R >= 0].sum()
    mu = 1.0 - (np.abs(R[R < 0]).sum() / pos if pos > 0 else np.inf)
    return Zf, tau, R, mu


def lin_kk(frequency_Hz, Z, *, M: int | None = None, capacitance: bool | str = "auto", mu_criterion: float = 0.85,
           target: float = 1e-4, max_M: int | None = None, extend_decades: float = 1.0) -> LinKKResult:
    """Lin-KK test of a spectrum.

    Parameters
    ----------
    frequency_Hz : array_like
        Frequencies, Hz.
    Z : array_like of complex
        Impedance (any unit; capacitive arcs Im Z < 0).
    M : int, optional
        Number of Voigt elements; default chosen automatically (μ criterion or ``target``).
    capacitance : bool or "auto"
        Add a series capacitance (blocking spectra, or an arc beyond the lowest frequency); ``"auto"``:
        try both and keep the better fit.
    mu_criterion : float
        Stop when μ < mu_criterion and the residuals are within 10 × target (automatic M).
    target : float
        Stop when the largest residual is below this (automatic M).
    max_M : int, optional
        Largest M tried (default: half the number of frequencies).
    extend_decades : float
        Extend the τ range beyond 1/ω_max … 1/ω_min by this many decades each side.

    Returns
    -------
    LinKKResult
    """
    f = np.asarray(frequency_Hz, float)
    Z = np.asarray(Z, complex)
    if f.ndim != 1 or f.size < 5 or Z.shape != f.shape or np.any(~np.isfinite(Z)) or np.any(f <= 0):
        raise InputError("Lin-KK: need at least 5 finite points with frequencies > 0")
    om = 2 * np.pi * f
    caps = (False, True) if capacitance == "auto" else (bool(capacitance),)
    top = int(max_M or max(f.size // 2, 5))
    if M is not None:
        trials = [int(M)]
    else:
        trials = sorted({m for m in (5, 8, 10, 15, 20, 30, 40, 50, 60, 80, 100, 120, 160, 200) if m < top} | {top})
    best = None
    for m in trials:
        for cap in caps:
            Zf, tau, R, mu = _fit(om, Z, m, cap, extend_decades)
            rr, ri = (Z.real - Zf.real) / np.abs(Z), (Z.imag - Zf.imag) / np.abs(Z)
            mx = float(max(np.abs(rr).max(), np.abs(ri).max()))
            if best is None or mx < best.max_residual:
                best = LinKKResult(m, float(mu), rr, ri, mx, Zf, tau, R)
        done = cast(LinKKResult, best)  # trials and caps are never empty: the first fit has set best
        if M is None and (done.max_residual < target or done.mu < mu_criterion and done.max_residual < 10 * target):
            break
    return cast(LinKKResult, best)  # trials and caps are never empty: the first fit has set best
