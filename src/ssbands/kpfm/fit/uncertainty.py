"""Uncertainties of a fit: covariance, standard errors, correlations, and the warnings about them.

``cov = s² (JᵀJ)⁻¹`` with J the Jacobian of the residuals at the optimum (by SVD; a singular J gives
infinite errors). Unweighted fits use the residual variance ``s² = Σr²/(N − p)``; weighted fits use
``s² = max(1, χ²_red)`` (``absolute_sigma=None``), ``1`` (``True``) or ``χ²_red`` (``False``).
Standard errors are ``sqrt(diag(cov))``; the correlation matrix is ``cov_ij / (σ_i σ_j)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...errors import InputError
from .parameters import ParameterSet, param_kind


@dataclass
class Uncertainty:
    """Covariance and goodness of fit at the optimum.

    Attributes
    ----------
    covariance : numpy.ndarray, shape (p, p)
        In the parameters' units squared.
    stderr : numpy.ndarray, shape (p,)
        Standard errors (parameters' units).
    correlation : numpy.ndarray, shape (p, p)
        Correlation matrix (1).
    chi2 : float
        Σr² (1 weighted, V² unweighted).
    reduced_chi2 : float
        χ²/(N − p).
    dof : int
        N − p.
    scale : float
        The factor s² applied to (JᵀJ)⁻¹.
    """

    covariance: np.ndarray
    stderr: np.ndarray
    correlation: np.ndarray
    chi2: float
    reduced_chi2: float
    dof: int
    scale: float


def covariance_scale(reduced_chi2: float, weighted: bool, absolute_sigma: bool | None) -> float:
    """The factor s² of the covariance (see the module docstring).

    Parameters
    ----------
    reduced_chi2 : float
        χ²/(N − p).
    weighted : bool
        The residuals were divided by the standard errors of the data.
    absolute_sigma : bool or None
        True: the standard errors are absolute; False: scaled by χ²_red; None: by max(1, χ²_red).

    Returns
    -------
    float
    """
    if not weighted or absolute_sigma is False:
        return reduced_chi2
    if absolute_sigma is None:
        return max(1.0, reduced_chi2)
    return 1.0


def parameter_uncertainty(res, n_used: int, weighted: bool, absolute_sigma: bool | None) -> Uncertainty:
    """Covariance, standard errors and correlations of the fitted parameters.

    Parameters
    ----------
    res : scipy.optimize.OptimizeResult
        The least-squares result (``x``, ``fun``, ``jac``).
    n_used : int
        Number of data points N.
    weighted : bool
        The residuals were weighted.
    absolute_sigma : bool or None
        See :func:`covariance_scale`.

    Returns
    -------
    Uncertainty

    Raises
    ------
    InputError
        If N ≤ p.
    """
    r = res.fun
    p = res.x.size
    dof = n_used - p
    if dof <= 0:
        raise InputError(f"{n_used} data points cannot determine {p} parameters")
    chi2 = float(r @ r)
    red = chi2 / dof
    J = res.jac
    _, s, vt = np.linalg.svd(J, full_matrices=False)
    smax = s[0] if s.size else 0.0
    with np.errstate(divide="ignore"):
        inv = np.where(s > smax * 1e-14, 1.0 / s ** 2, np.inf)
    cov = (vt.T * inv) @ vt if np.all(np.isfinite(inv)) else np.full((p, p), np.inf)
    if np.any(~np.isfinite(inv)):
        cov = np.full((p, p), np.nan)
        np.fill_diagonal(cov, np.inf)
    scale = covariance_scale(red, weighted, absolute_sigma)
    cov = cov * scale
    se = np.sqrt(np.abs(np.diag(cov)))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(se, se)
    return Uncertainty(cov, se, corr, chi2, red, dof, scale)


def precision_warnings(unc: Uncertainty, theta, params: ParameterSet) -> list[str]:
    """Warnings about undetermined parameters, large relative errors and active bounds.

    Parameters
    ----------
    unc : Uncertainty
        At the optimum.
    theta : numpy.ndarray
        Best parameter vector.
    params : ParameterSet
        Names and bounds.

    Returns
    -------
    list of str
    """
    se, lb, ub = unc.stderr, params.lower, params.upper
    warn = []
    if np.any(~np.isfinite(se)):
        warn.append("the Jacobian is singular: some parameters are not determined by the data (infinite error)")
    for j, n in enumerate(params.names):
        if np.isfinite(se[j]) and se[j] > max(abs(theta[j]), 1e-12) and param_kind(n) in (
                "dipole", "mu_li_se_eV", "front_nm", "width_nm"):
            warn.append(f"{n} is poorly determined: standard error {se[j]:.3g} exceeds |value| {abs(theta[j]):.3g}")
        at_lo = np.isfinite(lb[j]) and theta[j] <= lb[j] + 1e-9 * max(1.0, abs(lb[j]))
        at_hi = np.isfinite(ub[j]) and theta[j] >= ub[j] - 1e-9 * max(1.0, abs(ub[j]))
        if at_lo or at_hi:
            warn.append(f"{n} = {theta[j]:.6g} is at a bound [{lb[j]:g}, {ub[j]:g}]; its standard error assumes "
                        "the bound is not active")
    return warn


def nonlinearity_warnings(unc: Uncertainty, res, params: ParameterSet, resid: Callable,
                          weighted: bool) -> list[str]:
    """Warnings where the linearised standard error is unreliable.

    Along each parameter alone, a step of its conditional standard error should raise χ² by the
    covariance scale (a linear model); a rise below 0.5 or above 2 of it is flagged. Skipped for the
    offsets and for noise-free unweighted fits (residual rms below 1 nV).

    Parameters
    ----------
    unc : Uncertainty
        At the optimum.
    res : scipy.optimize.OptimizeResult
        The least-squares result (``x``, ``jac``).
    params : ParameterSet
        Names and bounds.
    resid : callable
        Residual vector of a parameter vector.
    weighted : bool
        The residuals were weighted.

    Returns
    -------
    list of str
    """
    theta, J = res.x, res.jac
    se, lb, ub, scale, chi2 = unc.stderr, params.lower, params.upper, unc.scale, unc.chi2
    warn = []
    jtj = np.einsum("ij,ij->j", J, J)
    noise_free = (not weighted) and unc.reduced_chi2 < 1e-18  # residual rms below 1 nV: rounding dominates chi2
    for j, n in enumerate(params.names if not noise_free else []):
        if not (np.isfinite(se[j]) and jtj[j] > 0) or param_kind(n) == "offset":
            continue
        h = math.sqrt(scale / jtj[j])
        q = []
        for sgn in (1.0, -1.0):
            t = theta.copy()
            t[j] += sgn * h
            if lb[j] <= t[j] <= ub[j]:
                rr = resid(t)
                q.append((float(rr @ rr) - chi2) / scale)
        if q and (min(q) < 0.5 or max(q) > 2.0):
            warn.append(f"{n}: the model is strongly nonlinear within its error bar (chi2 rises by "
                        f"{', '.join(f'{v:.3g}' for v in q)} instead of 1 at ±1 conditional standard error); "
                        "the linearised standard error is unreliable")
    return warn


def fit_warnings(unc: Uncertainty, res, params: ParameterSet, resid: Callable, weighted: bool,
                 absolute_sigma: bool | None) -> list[str]:
    """Every warning about the uncertainties of a fit, in a fixed order.

    Precision and bounds (:func:`precision_warnings`), nonlinearity (:func:`nonlinearity_warnings`),
    correlations above 0.99, and a weighted reduced χ² outside 0.25..4.

    Parameters
    ----------
    unc : Uncertainty
        At the optimum.
    res : scipy.optimize.OptimizeResult
        The least-squares result.
    params : ParameterSet
        Names and bounds.
    resid : callable
        Residual vector of a parameter vector.
    weighted : bool
        The residuals were weighted.
    absolute_sigma : bool or None
        As given to the fit.

    Returns
    -------
    list of str
    """
    names, corr, red = params.names, unc.correlation, unc.reduced_chi2
    p = len(names)
    warn = precision_warnings(unc, res.x, params)
    warn += nonlinearity_warnings(unc, res, params, resid, weighted)
    for i in range(p):
        for j in range(i + 1, p):
            if np.isfinite(corr[i, j]) and abs(corr[i, j]) > 0.99:
                warn.append(f"{names[i]} and {names[j]} are strongly correlated ({corr[i, j]:+.3f})")
    if weighted and absolute_sigma is not False and (red > 4.0 or red < 0.25):
        warn.append(f"reduced chi2 = {red:.3g} is far from 1: the standard errors of the data (used as weights) "
                    "do not describe the scatter; consider absolute_sigma=False")
    return warn
