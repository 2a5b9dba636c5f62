"""The optimiser of a fit.

Weighted residuals of the blurred model, a coarse search of the x offset, and bounded nonlinear
least squares (trust-region reflective, :func:`scipy.optimize.least_squares`).
"""

from __future__ import annotations

import numpy as np

from ...errors import ConvergenceError, InputError
from .measured import FitData
from .model import ForwardModel, blur_knots
from .parameters import ParameterSet, check_identifiable, param_kind


class Residuals:
    """Residuals of the model ΔCPD against the measured one, as a function of the parameter vector.

    Unweighted: model − measured (V). Weighted: divided by the standard error of each point, or
    whitened with the generalised-least-squares factor of :func:`~.measured.gls_whitening` (1).

    Parameters
    ----------
    model : ForwardModel
        The model at the fitted OCVs.
    params : ParameterSet
        The fitted parameters and fixed settings.
    data : FitData
        The fitted points and their weights.
    """

    def __init__(self, model: ForwardModel, params: ParameterSet, data: FitData):
        self.model = model
        self.params = params
        self.data = data

    def evaluate(self, theta) -> np.ndarray:
        """Model ΔCPD of the fitted scans at ``theta``, offsets included.

        Parameters
        ----------
        theta : array_like
            Parameter vector (units of :data:`~.parameters.PARAM_UNITS`).

        Returns
        -------
        numpy.ndarray, shape (n_scans, n_x)
            ΔCPD (V) at the measured positions.
        """
        v, dip, off = self.params.values(theta)
        kn = self.model.knots(v.get("mu_li_se_eV"), dip, v.get("front_nm"), "total")
        return blur_knots(self.data.x, kn, v["width_nm"], v["x_offset_nm"], v["x_scale"]) + off[:, None]

    def __call__(self, theta) -> np.ndarray:
        """Residual vector at ``theta`` over the used points (V unweighted, 1 weighted).

        Parameters
        ----------
        theta : array_like
            Parameter vector.

        Returns
        -------
        numpy.ndarray, shape (n_used,)
        """
        d = self.data
        r = self.evaluate(theta) - d.y
        if d.whiten is not None:
            r = np.einsum("xij,jx->ix", d.whiten, np.where(d.used, r, 0.0))
        elif d.weight is not None:
            r = r * d.weight
        return r[d.used]


def search_x_offset(resid: Residuals, profile_offsets: bool) -> None:
    """Start the x offset from the best of 101 values within ±25 % of the measured span.

    The cost of each candidate is the weighted sum of squares (per-scan offsets profiled out when
    they are fitted); the best candidate replaces the starting value in ``resid.params.initial``.

    Parameters
    ----------
    resid : Residuals
        The residuals (their parameter set holds ``x_offset_nm``).
    profile_offsets : bool
        Subtract each scan's mean residual before summing (when the offsets are fitted).
    """
    params, data = resid.params, resid.data
    p0, lb, ub = params.initial, params.lower, params.upper
    w = data.weight
    span = float(data.x[-1] - data.x[0])
    j = params.names.index("x_offset_nm")
    best = (np.inf, p0[j])
    for cand in np.linspace(-0.25 * span, 0.25 * span, 101):
        if not lb[j] <= cand <= ub[j]:
            continue
        t = p0.copy()
        t[j] = cand
        r = resid.evaluate(t) - data.y
        r = np.where(data.used, r, np.nan)
        if profile_offsets:  # profile out the per-scan offsets
            r = r - np.nanmean(r, axis=1, keepdims=True)
        c = float(np.nansum((r * (w if w is not None else 1.0)) ** 2))
        if c < best[0]:
            best = (c, cand)
    p0[j] = best[1]


def optimise(resid: Residuals, *, search: bool, profile_offsets: bool, front_name, max_nfev: int | None):
    """Run the fit: reject parameters without effect, search the x offset, then least squares.

    Parameters
    ----------
    resid : Residuals
        The residuals; their parameter set gives the start (updated by the search) and the bounds.
    search : bool
        Coarse-search the x offset first.
    profile_offsets : bool
        The per-scan offsets are fitted (profiled out in the search).
    front_name : str or None
        Name of the front layer (for messages).
    max_nfev : int or None
        Budget of model evaluations (default 100 × (p + 1)).

    Returns
    -------
    scipy.optimize.OptimizeResult
        With ``x``, ``fun`` (residuals), ``jac``, ``status``, ``message``, ``nfev``, ``success``.

    Raises
    ------
    InputError
        A parameter has no effect on ΔCPD.
    ConvergenceError
        The model failed at a trial point, or the optimiser did not converge (diagnostics attached).
    """
    params = resid.params
    names = params.names
    try:
        check_identifiable(resid, params, front_name)
        if search:
            search_x_offset(resid, profile_offsets)
        from scipy.optimize import least_squares

        # relative finite-difference steps: larger for parameters that need a new equilibrium solve
        dstep = np.array([1e-5 if param_kind(n) in ("dipole", "mu_li_se_eV") else 1e-7 for n in names])

        res = least_squares(resid, params.initial, bounds=(params.lower, params.upper), method="trf",
                            x_scale="jac", diff_step=dstep, max_nfev=max_nfev or 100 * (len(names) + 1),
                            ftol=1e-10, xtol=1e-10, gtol=1e-10)
    except (InputError, ConvergenceError):
        raise
    except Exception as exc:  # noqa: BLE001 - a model failure at a trial point
        raise ConvergenceError("the KPFM model fit failed while evaluating the model",
                               {"error": f"{type(exc).__name__}: {exc}", "parameters": names}) from None
    if res.status <= 0 or not np.all(np.isfinite(res.x)):
        raise ConvergenceError("the KPFM model fit did not converge",
                               {"status": int(res.status), "message": res.message, "nfev": int(res.nfev),
                                "cost": float(res.cost), "parameters": dict(zip(names, res.x.tolist(), strict=True)),
                                "hint": "give starting values (initial=), fit fewer parameters or raise max_nfev"})
    return res
