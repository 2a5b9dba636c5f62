"""The fit of the cell model to measured ΔCPD(x): :func:`fit`.

:func:`fit` is a short orchestrator of the parameter set-up (:mod:`.parameters`), the data
(:mod:`.measured`), the model (:mod:`.model`), the optimiser (:mod:`.optimiser`), the uncertainties
(:mod:`.uncertainty`) and the result (:mod:`.result`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from ...errors import InputError
from ...profile import make_profile
from .measured import FitData, Measured, as_measured, gls_whitening, select_fit_data
from .model import ForwardModel, blur_knots
from .optimiser import Residuals, optimise
from .parameters import ParameterSet, build_parameters, electrolyte_slope, param_unit, parse_params
from .result import FitParameter, FitResult
from .uncertainty import fit_warnings, parameter_uncertainty


def fit(measured, stack, params="offset,width", *, initial: Mapping[str, float] | None = None,
        fixed: Mapping[str, float] | None = None, bounds: Mapping[str, tuple] | None = None,
        x_nm=None, ocv=None, sigma_V=None, reference_ocv: float | None = None, weights: str = "auto",
        absolute_sigma: bool | None = None, front_layer: str = "anode", x_range: tuple | None = None,
        search_x_offset: bool = True, library=None, max_nfev: int | None = None) -> FitResult:
    """Fit the cell model to measured ΔCPD(x) at one or several OCVs.

    Parameters
    ----------
    measured : xarray.Dataset or array_like
        An operando series (:func:`ssbands.kpfm.series.operando_series`: ``delta_cpd_V`` over
        (ocv, x), with ``std_V`` and ``count`` for weights), any Profile with ``dcpd_V``, or an array
        (n_ocv, n_x) with ``x_nm`` and ``ocv``.
    stack : ssbands.cell.Stack
        The cell model. Its dipoles, closure and μ_Li,SE are the starting (or fixed) values.
    params : str or sequence of str
        What to fit (see :func:`parse_params`). The scan at the reference OCV (ΔCPD ≡ 0) is not fitted.
    initial : mapping, optional
        Starting values by result name (``width_nm``, ``front_nm``, ``x_offset_nm``, ``x_scale``,
        ``mu_li_se_eV``, ``dipole:L|R``, ``offset@<ocv>V`` or ``offset`` for all scans).
    fixed : mapping, optional
        Values of settings not fitted (same names). Defaults: width 0 nm (no blur), front = whole
        electrode, x_offset 0 nm, x_scale 1, offsets 0 V, the stack's μ_Li,SE and dipoles.
    bounds : mapping, optional
        (lower, upper) by result name, replacing the defaults (μ_Li,SE −6..0 eV, dipoles ±3 V,
        width ≥ 0, front 0..thickness, x_scale 0.5..2).
    sigma_V : array_like, optional
        Standard error of each measured point (V), overriding what the series gives.
    reference_ocv : float, optional
        OCV of the measured reference scan (default: the series' metadata, else the all-zero scan, else 0 V).
    weights : {"auto", "std", "none"}
        "std": divide residuals by the standard errors (error if missing); "auto": do so when they are
        available and positive at every fitted point; "none": unweighted.
    absolute_sigma : bool, optional
        With weights: True uses them as absolute (cov = (JᵀJ)⁻¹); False scales by the reduced χ²;
        None (default) scales by max(1, reduced χ²), i.e. inflates the errors when the scatter exceeds the
        stated standard errors (standard deviations from a few rows are themselves noisy) but never
        shrinks them. Unweighted fits always scale by the residual variance.
    front_layer : str
        Electrode (role or layer name) holding the lithiation front.
    x_range : (float, float), optional
        Fit only measured points with x in this range (nm).
    search_x_offset : bool
        When x_offset is fitted without a starting value, start from the best of a coarse scan.
    library : ssbands.materials.Library, optional
    max_nfev : int, optional
        Budget of model evaluations (default 100 × (p + 1)).

    Returns
    -------
    FitResult

    Raises
    ------
    InputError
        Bad data, an unknown parameter or interface, a parameter with no effect on ΔCPD.
    ConvergenceError
        The optimiser stopped without converging (diagnostics attached).
    """
    kinds = parse_params(params)
    meas = as_measured(measured, x_nm, ocv, sigma_V, reference_ocv)
    initial = dict(initial or {})
    fixed = dict(fixed or {})
    bounds = dict(bounds or {})
    data = select_fit_data(meas, weights, x_range)
    model = ForwardModel(stack, data.ocv, meas.reference_ocv, library, front_layer)
    pset = build_parameters(kinds, stack, model, meas.x, data.ocv, initial, fixed, bounds)
    if "mu_li_se_eV" in pset.names:
        s = electrolyte_slope(stack, float(pset.initial[pset.names.index("mu_li_se_eV")]), library)
        if abs(s) < 1e-6:
            raise InputError(f"fit parameter 'mu_li_se_eV' has no effect on the model ΔCPD: the electrolyte's "
                             f"vacuum level does not follow mu_Li,SE (slope s = dE_vac/dmu_Li,SE = {s:.3g}, the "
                             "Frenkel limit: ionic defects alone set neutrality), so mu_Li,SE moves only its Fermi "
                             "level, which KPFM does not see; fix it instead, or give the electrolyte a defect "
                             "model with s > 0")
    data.whiten = gls_whitening(meas, data, sigma_V)
    resid = Residuals(model, pset, data)
    search = search_x_offset and "x_offset_nm" in pset.names and "x_offset_nm" not in initial
    res = optimise(resid, search=search, profile_offsets="offset" in kinds, front_name=model.front_name,
                   max_nfev=max_nfev)
    unc = parameter_uncertainty(res, data.n_used, data.weighted, absolute_sigma)
    warn = fit_warnings(unc, res, pset, resid, data.weighted, absolute_sigma)
    deco, model_profile, notes_all = _decomposition(stack, meas, data, pset, res.x, unc.stderr, model.front_name,
                                                    library, front_layer)
    notes = _notes(model.notes + notes_all, data)
    theta, se, p0 = res.x, unc.stderr, pset.initial
    pars = {n: FitParameter(n, float(theta[j]), float(se[j]), param_unit(n), float(pset.lower[j]),
                            float(pset.upper[j]), float(p0[j]))
            for j, n in enumerate(pset.names)}
    return FitResult(pars, pset.fixed, pset.names, unc.covariance, unc.correlation, unc.chi2, unc.reduced_chi2,
                     data.n_used, unc.dof, data.weighted, absolute_sigma, data.ocv, meas.reference_ocv, deco,
                     model_profile, bool(res.success), str(res.message), int(res.nfev), warn, notes, meas.source)


def _decomposition(stack, meas: Measured, data: FitData, pset: ParameterSet, theta, se, front_name, library,
                   front_layer):
    """The fitted ΔCPD and its parts on the measured x, for all scans (the reference included as zeros)."""
    u, fit_rows, used = meas.x, data.rows, data.used
    names = pset.names
    v, dip, off = pset.values(theta)
    model_all = ForwardModel(stack, meas.ocv, meas.reference_ocv, library, front_layer)
    parts_all = {}
    for which in ("wf", "pot"):
        kn = model_all.knots(v.get("mu_li_se_eV"), dip, v.get("front_nm"), which)
        parts_all[which] = blur_knots(u, kn, v["width_nm"], v["x_offset_nm"], v["x_scale"])
    off_all = np.zeros(meas.ocv.size)
    off_all[fit_rows] = off
    model_total = parts_all["wf"] + parts_all["pot"] + off_all[:, None]
    resid_all = np.full(meas.dcpd.shape, np.nan)
    used_all = np.zeros(meas.dcpd.shape, bool)
    used_all[fit_rows] = used
    resid_all[used_all] = (meas.dcpd - model_total)[used_all]
    sig_all = np.full(meas.dcpd.shape, np.nan) if meas.sem is None else meas.sem
    meta = {"stack": stack.to_dict(), "source": meas.source,
            "parameters": dict(zip(names, theta.tolist(), strict=True)),
            "stderr": dict(zip(names, se.tolist(), strict=True)), "fixed": pset.fixed, "front_layer": front_name,
            "reference_ocv_V": meas.reference_ocv, "weighted": data.weighted,
            "model": "Gaussian-blurred (closed form) model Delta CPD, x_meas = x_offset + x_scale * x_model"}
    deco = make_profile(u, {
        "measured_V": (meas.dcpd, "V", "measured Delta CPD"),
        "sigma_V": (sig_all, "V", "standard error of the measured points"),
        "dcpd_fit_V": (model_total, "V", "fitted model Delta CPD (blurred, with offset)"),
        "dcpd_work_function_V": (parts_all["wf"], "V", "-Delta Phi/e part of the fitted Delta CPD (blurred)"),
        "dcpd_potential_V": (parts_all["pot"], "V", "Delta V part of the fitted Delta CPD (blurred)"),
        "residual_V": (resid_all, "V", "measured - model"),
        "used": (used_all, "1", "point used in the fit"),
    }, kind="model", metadata=meta, dims=("ocv", "x"),
        coords={"ocv": xr.Variable(("ocv",), meas.ocv, {"units": "V", "long_name": "open-circuit voltage"})},
        attrs={"reference_ocv_V": meas.reference_ocv})
    deco["offset_V"] = xr.Variable(("ocv",), off_all,
                                   {"units": "V", "long_name": "fitted tip/reference offset per scan"})
    model_profile = model_all.parts(v.get("mu_li_se_eV"), dip).profile
    return deco, model_profile, model_all.notes


def _notes(model_notes: list[str], data: FitData) -> list[str]:
    """The models' notes (each once) and how the residuals were weighted."""
    notes = list(dict.fromkeys(model_notes))
    if data.whiten is not None:
        notes.append("generalised least squares: each averaged point weighted by its standard error "
                     "(std^2/count), with the reference scan's error common to every ΔCPD profile")
    elif data.weighted:
        notes.append("residuals weighted by the standard error of each point (independent points)")
    return notes
