"""Least-squares fit of the cell model to measured ΔCPD(x) profiles (MODEL.md §4, issue 4 item 4).

The model ΔCPD of scan *i* at measured position *u* (nm) is

    ΔCPD_model,i(u) = [G_σ ∗ (−ΔΦ_i/e + ΔV_i)](x(u)) + c_i,       u = x_offset + x_scale · x

where ``−ΔΦ_i/e`` and ``ΔV_i`` are the two parts of ΔCPD that :func:`ssbands.equilibrium.solve` gives
for the stack at OCV_i against the measured reference OCV (Eq. 9), ``G_σ`` is a normalised Gaussian
of standard deviation σ (the instrument's lateral response, in nm of the *measured* axis), ``c_i`` a
constant tip/reference offset of scan *i*, and ``x_offset``/``x_scale`` map model positions to
measured ones. The model profile is piecewise linear in x (layer boundaries appear twice: exact
steps), so the convolution is evaluated **in closed form**: writing the profile as
``f(x) = f₀ + Σ_k J_k H(x − x_k) + Σ_k S_k (x − x_k)₊`` (steps J_k, slope changes S_k),

    (G_σ ∗ f)(u) = f₀ + Σ_k J_k Φ(t_k) + Σ_k S_k [(u − x_k) Φ(t_k) + σ φ(t_k)],   t_k = (u − x_k)/σ,

with Φ, φ the standard normal CDF and density. The result is exact at any σ and pixel size, and a
smooth function of every parameter (no grid quantisation of boundaries), which finite-difference
Jacobians need. Beyond its ends the profile is held constant (as in
:func:`ssbands.kpfm.forward.instrument_response`). σ = 0 means point sampling (no blur).

**Lithiation front** (``front``): the electrode named by ``front_layer`` (default the anode) is
lithiated only within ``front_nm`` of its electrolyte interface. There it has the work function the
model gives at that OCV; between the front and its current collector it keeps the reference state's
work function, so the −ΔΦ/e part of ΔCPD is 0 there. ΔV (the Fermi level) is uniform over the whole
electron conductor either way. ``front_nm`` equal to the layer thickness is the plain model (whole
electrode at the Li fraction Li conservation gives); ``front_nm = 0``: no work-function change at
all. One front depth is shared by all OCVs.

Parameters that can be fitted (``params`` names; result names and units in brackets):

=================  ===============================  ==========================================
``mu_li_se``       ``mu_li_se_eV`` [eV]             μ_Li of the SE bulk (extrinsic closure)
``dipole:L|R``     ``dipole:L|R`` [V]               interface dipole between layers L and R
``offset``         ``offset@<ocv>V`` [V]            one constant per fitted scan (tip/reference)
``width``          ``width_nm`` [nm]                Gaussian σ of the instrument response
``front``          ``front_nm`` [nm]                lithiated depth of the front layer
``x_offset``       ``x_offset_nm`` [nm]             measured x of model x = 0
``x_scale``        ``x_scale`` [1]                  measured nm per model nm
=================  ===============================  ==========================================

Identifiability (stated, tested): in the equilibrium model the electrolyte's vacuum level is tied to
μ̄_Li⁺ by its ionic work function, so μ_Li,SE moves only the electrolyte's *Fermi level*, not E_vac:
it has **no effect on CPD or ΔCPD** and asking to fit it raises :class:`~ssbands.errors.InputError`.
An interface dipole changes only how the fixed total step is shared between the dipole sheet and the
space-charge layer (Å to nm wide), so after the instrument blur it is weakly determined (large
standard error, reported with a warning when the relative error exceeds 100 %).

Uncertainties: ``cov = s² (JᵀJ)⁻¹`` with J the Jacobian of the residuals at the optimum. Unweighted
fits use the residual variance ``s² = Σr²/(N − p)``; weighted fits (the measured standard error of
each averaged point, ``weights="std"``) divide residuals by it and use ``s² = max(1, χ²_red)``
(``absolute_sigma=None``, default; ``True``: ``s² = 1``, ``False``: ``s² = χ²_red``). Standard errors are ``sqrt(diag(cov))``; the correlation matrix is
``cov_ij / (σ_i σ_j)``. The reference scan's noise is common to all ΔCPD profiles of a series: when
the series gives each scan's ``std_V`` and ``count``, the fit is a generalised least squares with, at
each x, the covariance ``diag(var_i) + var_ref·11ᵀ`` over the scans (var = std²/count); ignoring it
would understate the errors of parameters shared by all scans (width, x mapping) by up to ~1.6×.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import xarray as xr

from ..errors import ConvergenceError, InputError
from ..profile import make_profile, to_jsonable

__all__ = ["FitResult", "FitParameter", "fit", "model_dcpd", "parse_params", "load_measured",
           "plot_fit", "plot_decomposition", "PARAM_UNITS"]

#: unit of each parameter kind (by result-name prefix)
PARAM_UNITS = {"mu_li_se_eV": "eV", "dipole": "V", "offset": "V", "width_nm": "nm", "front_nm": "nm",
               "x_offset_nm": "nm", "x_scale": "1"}
_SPEC_NAMES = {"mu_li_se": "mu_li_se_eV", "width": "width_nm", "front": "front_nm", "x_offset": "x_offset_nm",
               "x_scale": "x_scale", "offset": "offset"}
_ALIASES = {"mu_li_se_ev": "mu_li_se", "width_nm": "width", "sigma": "width", "front_nm": "front",
            "x_offset_nm": "x_offset", "offsets": "offset", "tip_offset": "offset"}


# ------------------------------------------------------------------------------------------------
# parameter specification

def parse_params(spec: str | Sequence[str]) -> list[str]:
    """Parse a parameter list like ``"mu_li_se,dipole:LixSi|LiPON,offset,width"``.

    Parameters
    ----------
    spec : str or sequence of str
        Comma-separated names (or a list): ``mu_li_se``, ``dipole:LEFT|RIGHT``, ``offset``,
        ``width``, ``front``, ``x_offset``, ``x_scale``.

    Returns
    -------
    list of str
        Canonical kinds in the order given (``"dipole:L|R"`` keeps its layer names), no repeats.
    """
    items = [s for s in (spec.split(",") if isinstance(spec, str) else list(spec))]
    out: list[str] = []
    for raw in items:
        s = str(raw).strip()
        if not s:
            continue
        if s.lower().startswith("dipole"):
            m = re.fullmatch(r"(?i)dipole:\s*([^|]+?)\s*\|\s*(.+?)\s*", s)
            if not m:
                raise InputError(f"parameter {s!r}: write an interface dipole as dipole:LEFT|RIGHT with the two "
                                 "adjacent layer names, e.g. dipole:LixSi|LiPON")
            k = f"dipole:{m.group(1)}|{m.group(2)}"
        else:
            k = _ALIASES.get(s.lower(), s.lower())
            if k not in _SPEC_NAMES:
                raise InputError(f"unknown fit parameter {s!r}; choose from mu_li_se, dipole:LEFT|RIGHT, offset, "
                                 "width, front, x_offset, x_scale")
        if k in out:
            raise InputError(f"fit parameter {s!r} is listed twice")
        out.append(k)
    if not out:
        raise InputError("no fit parameters given; e.g. --params offset,width")
    return out


# ------------------------------------------------------------------------------------------------
# closed-form Gaussian blur of a piecewise-linear profile

def _knots(x, y):
    """Steps and slope changes of the piecewise-linear profile(s) ``y[..., x]`` (x non-decreasing).

    Returns ``(y0, xk, J, S)``: value at the left end (m,), knot positions (k,), steps (m, k) and
    slope changes (m, k), with slopes 0 beyond both ends.
    """
    y = np.atleast_2d(y)
    dx = np.diff(x)
    dy = np.diff(y, axis=1)
    seg = dx > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(seg, dy / np.where(seg, dx, 1.0), 0.0)
    s_pad = np.concatenate([np.zeros((y.shape[0], 1)), s, np.zeros((y.shape[0], 1))], axis=1)
    S = np.diff(s_pad, axis=1)  # slope change at every point (n)
    J = np.where(seg, 0.0, dy)  # step at x[i] for zero-length intervals (n-1)
    xk = np.concatenate([x, x[:-1][~seg]])
    Jk = np.concatenate([np.zeros_like(S), J[:, ~seg]], axis=1)
    Sk = np.concatenate([S, np.zeros((y.shape[0], int((~seg).sum())))], axis=1)
    span = max(float(x[-1] - x[0]), 1.0)
    keep = (np.abs(Jk).max(0) > 1e-13) | (np.abs(Sk).max(0) * span > 1e-13)
    return y[:, 0].copy(), xk[keep], Jk[:, keep], Sk[:, keep]


def _blur_matrices(u, xk, sigma):
    """Basis matrices (n_u, k) for steps and slope changes at measured positions ``u``."""
    from scipy.special import ndtr

    d = u[:, None] - xk[None, :]
    if sigma <= 0:
        step = (d >= 0).astype(float)
        return step, np.maximum(d, 0.0)
    t = d / sigma
    cdf = ndtr(t)
    pdf = np.exp(-0.5 * t * t) * (1.0 / math.sqrt(2.0 * math.pi))
    return cdf, d * cdf + sigma * pdf


def _apply(u, knots, sigma, x_offset, x_scale):
    y0, xk, J, S = knots
    A_J, A_S = _blur_matrices(np.asarray(u, float), x_offset + x_scale * xk, sigma)
    return y0[:, None] + J @ A_J.T + (S / x_scale) @ A_S.T


# ------------------------------------------------------------------------------------------------
# the model

@dataclass
class _Parts:
    x: np.ndarray          # model positions (nm), boundaries twice
    lidx: np.ndarray       # layer index per x
    wf: np.ndarray         # (m, n) −ΔΦ/e
    pot: np.ndarray        # (m, n) ΔV
    profile: xr.Dataset
    notes: tuple


class _Model:
    """Caches solves (by μ_Li,SE and dipoles) and knot sets; evaluates ΔCPD on measured x."""

    def __init__(self, stack, ocv, reference_ocv, library=None, front_layer="anode"):
        self.stack = stack
        self.ocv = np.asarray(ocv, float)
        self.reference_ocv = float(reference_ocv)
        self.library = library
        self._cache: dict = {}
        self.notes: list[str] = []
        names = [ly.name for ly in stack.layers]
        self.layer_names = names
        self.bounds = np.concatenate([[0.0], np.cumsum([ly.thickness_nm for ly in stack.layers])])
        self.front_index = None
        if front_layer is not None:
            fl = stack.layers[stack.index(front_layer)] if front_layer in ("anode", "cathode") \
                else stack.layer(front_layer)
            if fl.role not in ("anode", "cathode"):
                raise InputError(f"front_layer {front_layer!r}: a lithiation front applies to the anode or the "
                                 f"cathode, not the {fl.role} layer {fl.name!r}")
            self.front_index = stack.layers.index(fl)
            self.front_side = "right" if self.front_index < stack.index("electrolyte") else "left"

    def stack_for(self, mu, dipoles):
        st = self.stack
        if mu is not None:
            st = st.with_conditions(closure="extrinsic", mu_li_se_eV=float(mu))
        if dipoles:
            d = dict(st.dipoles)
            for (l, r), v in dipoles.items():
                for key in list(d):
                    if key[0].lower() == l.lower() and key[1].lower() == r.lower():
                        del d[key]
                d[(l, r)] = float(v)
            st = replace(st, dipoles=d)
        return st

    def parts(self, mu=None, dipoles=None) -> _Parts:
        key = (None if mu is None else float(mu),
               tuple(sorted((l, r, float(v)) for (l, r), v in (dipoles or {}).items())))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        from ..equilibrium import solve

        st = self.stack_for(mu, dipoles)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            p = solve(st, ocv=self.ocv, reference_ocv=self.reference_ocv, library=self.library)
        notes = tuple(dict.fromkeys(str(w.message) for w in caught))
        for n in notes:
            if n not in self.notes:
                self.notes.append(n)
        out = _Parts(p["x"].values, p["layer_index"].values, np.atleast_2d(p["dcpd_work_function_V"].values),
                     np.atleast_2d(p["dcpd_potential_V"].values), p, notes)
        if not (np.all(np.isfinite(out.wf)) and np.all(np.isfinite(out.pot))):
            raise InputError(f"{self.stack.source}: the model ΔCPD is not finite everywhere (a layer's work "
                             "function is unknown?); the fit needs a complete stack")
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[key] = out
        return out

    def with_front(self, parts: _Parts, front_nm):
        """(x, wf, pot) with the front applied (points of the front layer replaced by 4 exact ones)."""
        x, wf, pot = parts.x, parts.wf, parts.pot
        if front_nm is None or self.front_index is None:
            return x, wf, pot
        i = self.front_index
        sel = np.flatnonzero(parts.lidx == i)
        x0, x1 = self.bounds[i], self.bounds[i + 1]
        th = x1 - x0
        d = min(max(float(front_nm), 0.0), th)
        c = wf[:, sel]
        if np.ptp(c, axis=1).max() > 1e-9 or np.ptp(pot[:, sel], axis=1).max() > 1e-9:
            raise InputError(f"layer {self.layer_names[i]!r} is not uniform in the model, so a lithiation front "
                             "cannot be placed in it")
        c = c[:, :1]
        z = np.zeros_like(c)
        if self.front_side == "right":   # electrolyte on the right: lithiated part next to x1
            xf = x1 - d
            seg_wf = np.concatenate([z, z, c, c], axis=1)
        else:
            xf = x0 + d
            seg_wf = np.concatenate([c, c, z, z], axis=1)
        seg_x = np.array([x0, xf, xf, x1])
        seg_pot = np.repeat(pot[:, sel[:1]], 4, axis=1)
        a, b = sel[0], sel[-1] + 1
        xn = np.concatenate([x[:a], seg_x, x[b:]])
        wfn = np.concatenate([wf[:, :a], seg_wf, wf[:, b:]], axis=1)
        potn = np.concatenate([pot[:, :a], seg_pot, pot[:, b:]], axis=1)
        return xn, wfn, potn

    def knots(self, mu, dipoles, front_nm, which="total"):
        key = ("knots", which, None if mu is None else float(mu),
               tuple(sorted((l, r, float(v)) for (l, r), v in (dipoles or {}).items())),
               None if front_nm is None else float(front_nm))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        x, wf, pot = self.with_front(self.parts(mu, dipoles), front_nm)
        y = {"total": wf + pot, "wf": wf, "pot": pot}[which]
        k = _knots(x, y)
        self._cache[key] = k
        return k


def model_dcpd(stack, ocv, x_nm, *, reference_ocv: float | str = "auto", width_nm: float = 0.0,
               x_offset_nm: float = 0.0, x_scale: float = 1.0, front_nm: float | None = None,
               front_layer: str = "anode", offsets_V=None, library=None) -> xr.Dataset:
    """Model ΔCPD(x) as a KPFM scan would record it: blurred, mapped onto measured x, offset.

    Parameters
    ----------
    stack : ssbands.stack.Stack
        The cell (closure, μ_Li,SE and dipoles as set in it).
    ocv : float or array_like
        Open-circuit voltages (V).
    x_nm : array_like
        Measured positions (nm), e.g. pixel centres.
    reference_ocv : float or "auto"
        OCV (V) of the reference state of ΔCPD (see :func:`ssbands.equilibrium.solve`).
    width_nm : float
        Gaussian σ of the instrument response in nm (0: point sampling).
    x_offset_nm, x_scale : float
        Measured x = ``x_offset_nm + x_scale * model x``.
    front_nm : float, optional
        Lithiated depth of ``front_layer`` from its electrolyte interface (nm); None: all of it.
    offsets_V : array_like, optional
        A constant added to each OCV's ΔCPD (V).

    Returns
    -------
    xarray.Dataset
        Profile over ``(ocv, x)`` with ``dcpd_V`` and its parts ``dcpd_work_function_V`` (−ΔΦ/e) and
        ``dcpd_potential_V`` (ΔV), each blurred (the offset is in ``dcpd_V`` only, and in
        ``offset_V``).
    """
    from ..equilibrium import reachable_ocv_range

    ocv_a = np.atleast_1d(np.asarray(ocv, float))
    if isinstance(reference_ocv, str):
        if reference_ocv != "auto":
            raise InputError(f"reference_ocv must be a number or 'auto', got {reference_ocv!r}")
        lo, hi = reachable_ocv_range(stack)
        reference_ocv = 0.0 if lo <= 0.0 <= hi else (lo if lo > 0 else hi)
    u = np.asarray(x_nm, float)
    _check_geometry(width_nm, x_scale)
    m = _Model(stack, ocv_a, float(reference_ocv), library, front_layer)
    out = {}
    for which in ("wf", "pot"):
        out[which] = _apply(u, m.knots(None, None, front_nm, which), float(width_nm), float(x_offset_nm),
                            float(x_scale))
    off = np.zeros(ocv_a.size) if offsets_V is None else np.broadcast_to(np.asarray(offsets_V, float), ocv_a.shape)
    total = out["wf"] + out["pot"] + off[:, None]
    meta = {"stack": stack.to_dict(), "width_nm": width_nm, "x_offset_nm": x_offset_nm, "x_scale": x_scale,
            "front_nm": front_nm, "front_layer": front_layer, "reference_ocv_V": float(reference_ocv),
            "notes": m.notes, "instrument_response": f"gaussian, sigma {width_nm:g} nm (closed form)"}
    ds = make_profile(u, {"dcpd_V": (total, "V", "model Delta CPD (blurred, offset)"),
                          "dcpd_work_function_V": (out["wf"], "V", "-Delta Phi/e part (blurred)"),
                          "dcpd_potential_V": (out["pot"], "V", "Delta V part (blurred)")},
                      kind="model", metadata=meta, dims=("ocv", "x"),
                      coords={"ocv": xr.Variable(("ocv",), ocv_a, {"units": "V"})},
                      attrs={"reference_ocv_V": float(reference_ocv)})
    ds["offset_V"] = xr.Variable(("ocv",), np.array(off, float), {"units": "V", "long_name": "constant offset per scan"})
    return ds


def _check_geometry(width_nm, x_scale):
    if not (np.isfinite(width_nm) and width_nm >= 0):
        raise InputError(f"instrument width must be a number of nm >= 0, got {width_nm!r}")
    if not (np.isfinite(x_scale) and x_scale > 0):
        raise InputError(f"x_scale must be a positive number, got {x_scale!r}")


# ------------------------------------------------------------------------------------------------
# measured data

@dataclass
class _Measured:
    x: np.ndarray
    ocv: np.ndarray
    dcpd: np.ndarray          # (m, n)
    sem: np.ndarray | None    # (m, n) standard error of each point, or None
    reference_ocv: float
    source: str
    own_var: np.ndarray | None = None   # (m, n) variance of each scan's own mean (without the reference's)
    ref_var: np.ndarray | None = None   # (n,) variance of the reference scan's mean, common to all ΔCPD


def load_measured(path: str | Path) -> xr.Dataset:
    """A measured ΔCPD series from a manifest (YAML/TOML), a folder of scans, or a NetCDF Profile."""
    p = Path(path)
    if p.suffix.lower() == ".nc":
        from ..profile import read_profile

        return read_profile(p)
    from .series import operando_series

    return operando_series(p)


def _measured(measured, x_nm, ocv, sigma_V, reference_ocv) -> _Measured:
    if isinstance(measured, xr.Dataset):
        ds = measured
        src = ds.attrs.get("source", "") or ds.ssb.metadata.get("series", "<Profile>")
        var = next((v for v in ("delta_cpd_V", "dcpd_V") if v in ds), None)
        if var is None:
            raise InputError(f"measured Profile {src!r} has no delta_cpd_V (an operando series) or dcpd_V "
                             f"variable; it has {sorted(ds.data_vars)}")
        if "ocv" not in ds[var].dims:
            ds = ds.expand_dims("ocv") if "ocv" in ds.coords else ds.expand_dims(ocv=[np.nan])
        y = np.asarray(ds[var].transpose("ocv", "x").values, float)
        x = np.asarray(ds["x"].values, float)
        ov = np.atleast_1d(np.asarray(ds["ocv"].values, float))
        sem = own_var = ref_var = None
        if sigma_V is not None:
            sem = np.broadcast_to(np.asarray(sigma_V, float), y.shape).copy()
        elif {"std_V", "count"} <= set(ds.data_vars):
            std = np.asarray(ds["std_V"].transpose("ocv", "x").values, float)
            cnt = np.asarray(ds["count"].transpose("ocv", "x").values, float)
            ref = ds.ssb.metadata.get("reference_ocv_V")
            iref = int(np.argmin(np.abs(ov - ref))) if ref is not None else None
            with np.errstate(invalid="ignore", divide="ignore"):
                var_i = std ** 2 / cnt
                sem = np.sqrt(var_i + (var_i[iref] if iref is not None else 0.0))
            if iref is not None:
                own_var, ref_var = var_i, var_i[iref]
        elif "delta_std_V" in ds:
            sem = np.asarray(ds["delta_std_V"].transpose("ocv", "x").values, float)
        if reference_ocv is None:
            reference_ocv = ds.attrs.get("reference_ocv_V", ds.ssb.metadata.get("reference_ocv_V"))
    else:
        src = "<array>"
        y = np.atleast_2d(np.asarray(measured, float))
        if x_nm is None or ocv is None:
            raise InputError("fitting arrays needs x_nm (positions, nm) and ocv (V, one per row)")
        x = np.asarray(x_nm, float)
        ov = np.atleast_1d(np.asarray(ocv, float))
        sem = None if sigma_V is None else np.broadcast_to(np.asarray(sigma_V, float), y.shape).copy()
        own_var = ref_var = None
    if y.ndim != 2 or y.shape != (ov.size, x.size):
        raise InputError(f"measured ΔCPD {src!r} has shape {y.shape}; expected (n_ocv, n_x) = ({ov.size}, {x.size})")
    if x.size < 3 or np.any(~np.isfinite(x)) or np.any(np.diff(x) < 0):
        raise InputError(f"measured {src!r}: x must be at least 3 finite, non-decreasing positions (nm)")
    if np.any(~np.isfinite(ov)):
        raise InputError(f"measured {src!r}: every profile needs a finite OCV (V)")
    if reference_ocv is None:
        zero = [i for i in range(ov.size) if np.all(np.nan_to_num(y[i]) == 0)]
        reference_ocv = float(ov[zero[0]]) if zero else 0.0
    return _Measured(x, ov, y, sem, float(reference_ocv), str(src), own_var, ref_var)


# ------------------------------------------------------------------------------------------------
# results

@dataclass
class FitParameter:
    """One fitted parameter: best value, standard error, unit and bounds."""

    name: str
    value: float
    stderr: float
    unit: str
    lower: float
    upper: float
    initial: float

    def to_dict(self) -> dict:
        return {"value": self.value, "stderr": self.stderr, "unit": self.unit, "initial": self.initial,
                "bounds": [self.lower, self.upper]}


@dataclass
class FitResult:
    """Outcome of :func:`fit` (serialise with :meth:`to_dict`).

    Attributes
    ----------
    parameters : dict of FitParameter
        Fitted parameters by name (``mu_li_se_eV``, ``dipole:L|R``, ``offset@<ocv>V``, ``width_nm``,
        ``front_nm``, ``x_offset_nm``, ``x_scale``).
    fixed : dict
        Values of the model settings that were held fixed (same names).
    covariance, correlation : ndarray (p, p)
        In the order of ``names``.
    reduced_chi2 : float
        χ²/(N − p); dimensionless for weighted fits, the residual variance in V² for unweighted ones.
    decomposition : xarray.Dataset
        Profile over (ocv, x) on the measured x: ``measured_V``, ``sigma_V``, ``dcpd_fit_V`` (model with
        offset), ``dcpd_work_function_V`` (−ΔΦ/e), ``dcpd_potential_V`` (ΔV), ``offset_V``,
        ``residual_V`` (measured − model, NaN where not fitted), ``used``.
    model_profile : xarray.Dataset
        The unblurred band-diagram Profile of the best parameters (model x), without the front.
    """

    parameters: dict
    fixed: dict
    names: list
    covariance: np.ndarray
    correlation: np.ndarray
    chi2: float
    reduced_chi2: float
    n_points: int
    dof: int
    weighted: bool
    absolute_sigma: bool | None
    ocv_V: np.ndarray
    reference_ocv_V: float
    decomposition: xr.Dataset
    model_profile: xr.Dataset | None
    success: bool
    message: str
    nfev: int
    warnings: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    source: str = ""

    def value(self, name: str) -> float:
        return self.parameters[name].value if name in self.parameters else float(self.fixed[name])

    def stderr(self, name: str) -> float:
        return self.parameters[name].stderr

    @property
    def residuals(self) -> np.ndarray:
        """Measured − model (V), (n_ocv, n_x); NaN at points not fitted."""
        return self.decomposition["residual_V"].values

    def to_dict(self, arrays: bool = True) -> dict:
        """Plain-JSON form: ``parameters`` {name: {value, stderr, unit, ...}}, ``correlation``
        {names, matrix}, ``reduced_chi2``, ``n_points`` ... and, with ``arrays``, the profiles."""
        d: dict[str, Any] = {
            "parameters": {k: p.to_dict() for k, p in self.parameters.items()},
            "fixed": dict(self.fixed),
            "correlation": {"names": list(self.names), "matrix": self.correlation},
            "covariance": {"names": list(self.names), "matrix": self.covariance},
            "reduced_chi2": self.reduced_chi2, "chi2": self.chi2, "n_points": self.n_points, "dof": self.dof,
            "n_parameters": len(self.names), "weighted": self.weighted, "absolute_sigma": self.absolute_sigma,
            "ocv_V": self.ocv_V, "reference_ocv_V": self.reference_ocv_V,
            "residual_rms_V": float(np.sqrt(np.nanmean(self.residuals ** 2))),
            "success": self.success, "message": self.message, "nfev": self.nfev,
            "warnings": list(self.warnings), "notes": list(self.notes), "source": self.source,
        }
        if arrays:
            ds = self.decomposition
            d["profiles"] = {"x_nm": ds["x"].values, **{v: ds[v].values for v in (
                "measured_V", "dcpd_fit_V", "dcpd_work_function_V", "dcpd_potential_V", "residual_V")}}
        return to_jsonable(d)


# ------------------------------------------------------------------------------------------------
# the fit

_BOUNDS = {"mu_li_se_eV": (-6.0, 0.0), "dipole": (-3.0, 3.0), "offset": (-np.inf, np.inf),
           "width_nm": (0.0, np.inf), "front_nm": (0.0, np.inf), "x_offset_nm": (-np.inf, np.inf),
           "x_scale": (0.5, 2.0)}
#: finite step used only for the "has no effect" check, per kind
_PROBE = {"mu_li_se_eV": 0.05, "dipole": 0.05, "offset": 0.01, "width_nm": 1.0, "front_nm": 1.0,
          "x_offset_nm": 1.0, "x_scale": 0.01}


def _kind(name: str) -> str:
    return "dipole" if name.startswith("dipole:") else "offset" if name.startswith("offset@") else name


def _offset_name(v: float) -> str:
    return f"offset@{v:g}V"


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
    stack : ssbands.stack.Stack
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
    meas = _measured(measured, x_nm, ocv, sigma_V, reference_ocv)
    initial = dict(initial or {})
    fixed = dict(fixed or {})
    bounds = dict(bounds or {})
    if weights not in ("auto", "std", "none"):
        raise InputError(f"weights must be 'auto', 'std' or 'none', got {weights!r}")

    # scans to fit: all but the reference
    fit_rows = np.flatnonzero(np.abs(meas.ocv - meas.reference_ocv) > 1e-9)
    if fit_rows.size == 0:
        raise InputError(f"measured {meas.source!r}: only the reference scan (OCV {meas.reference_ocv:g} V) is "
                         "present; ΔCPD needs at least one other OCV")
    ocv_fit = meas.ocv[fit_rows]
    y = meas.dcpd[fit_rows]
    used = np.isfinite(y)
    if x_range is not None:
        lo, hi = sorted(float(v) for v in x_range)
        used &= ((meas.x >= lo) & (meas.x <= hi))[None, :]
    sem = None if meas.sem is None else meas.sem[fit_rows]
    weighted = False
    if weights != "none":
        ok = sem is not None and np.all(np.isfinite(sem[used])) and np.all(sem[used] > 0)
        if weights == "std" and not ok:
            raise InputError(f"measured {meas.source!r}: weights='std' needs a positive, finite standard error "
                             "at every fitted point (std_V and count of a series, or sigma_V)")
        weighted = bool(ok)
    n_used = int(used.sum())

    # parameters
    stack_names = {ly.name.lower(): ly.name for ly in stack.layers}
    model = _Model(stack, ocv_fit, meas.reference_ocv, library, front_layer)
    names: list[str] = []
    for k in kinds:
        if k == "offset":
            names += [_offset_name(v) for v in ocv_fit]
        elif k.startswith("dipole:"):
            l, r = k[7:].split("|")
            if l.lower() not in stack_names or r.lower() not in stack_names:
                raise InputError(f"fit parameter {k!r}: no such layer in {stack.source}; layers: "
                                 f"{[ly.name for ly in stack.layers]}")
            names.append(f"dipole:{stack_names[l.lower()]}|{stack_names[r.lower()]}")
        else:
            names.append(_SPEC_NAMES[k])
    if "mu_li_se_eV" in names and stack.closure != "extrinsic" and "mu_li_se_eV" not in initial:
        raise InputError(f"{stack.source}: fitting mu_li_se needs the extrinsic closure (closure = \"extrinsic\" "
                         "and a starting mu_li_se_eV in the stack file, or initial={'mu_li_se_eV': ...})")
    known = {"mu_li_se_eV", "width_nm", "front_nm", "x_offset_nm", "x_scale", "offset"}
    for k in list(initial) + list(fixed) + list(bounds):
        if k not in known and not k.startswith(("dipole:", "offset@")):
            raise InputError(f"unknown parameter name {k!r} in initial/fixed/bounds; use one of {sorted(known)}, "
                             "'dipole:L|R' or 'offset@<ocv>V'")
    for k in fixed:
        if k in names:
            raise InputError(f"parameter {k!r} is both fitted and fixed")
    front_th = None if model.front_index is None else float(np.diff(model.bounds)[model.front_index])
    front_lname = None if model.front_index is None else model.layer_names[model.front_index]
    dx_meas = float(np.median(np.diff(meas.x))) if meas.x.size > 1 else 1.0
    span = float(meas.x[-1] - meas.x[0])

    def default(name):
        k = _kind(name)
        if name in initial:
            return float(initial[name])
        if k == "offset":
            return float(initial.get("offset", 0.0))
        if name == "mu_li_se_eV":
            return float(stack.mu_li_se_eV) if stack.mu_li_se_eV is not None else -1.0
        if k == "dipole":
            l, r = name[7:].split("|")
            return stack.dipole(l, r)
        if name == "width_nm":
            return float(fixed.get("width_nm", max(3.0 * dx_meas, 0.01 * span)))
        if name == "front_nm":
            return 0.5 * front_th
        if name == "x_offset_nm":
            return 0.0
        if name == "x_scale":
            return 1.0
        raise AssertionError(name)

    def bound(name):
        if name in bounds:
            lo, hi = (float(v) for v in bounds[name])
        else:
            lo, hi = _BOUNDS[_kind(name)]
            if name == "front_nm":
                hi = front_th
            if name == "width_nm":
                lo, hi = 1e-3 * max(dx_meas, 1e-9), max(span, 1e-9)
        if not lo < hi:
            raise InputError(f"bounds of {name!r}: lower {lo} must be below upper {hi}")
        return lo, hi

    p0 = np.array([default(n) for n in names], float)
    lb = np.array([bound(n)[0] for n in names])
    ub = np.array([bound(n)[1] for n in names])
    for n, v, lo, hi in zip(names, p0, lb, ub):
        if not (np.isfinite(v) and lo <= v <= hi):
            raise InputError(f"starting value of {n!r} = {v!r} is outside its bounds [{lo}, {hi}]")
    p0 = np.clip(p0, lb, ub)

    # fixed settings
    fx: dict[str, float] = {}
    for n, dflt in (("width_nm", 0.0), ("x_offset_nm", 0.0), ("x_scale", 1.0)):
        if n not in names:
            fx[n] = float(fixed.get(n, dflt))
    if "front_nm" not in names and "front_nm" in fixed:
        if front_th is None:
            raise InputError("front_nm given but no front_layer")
        fx["front_nm"] = float(fixed["front_nm"])
    if "mu_li_se_eV" not in names and "mu_li_se_eV" in fixed:
        fx["mu_li_se_eV"] = float(fixed["mu_li_se_eV"])
    for k, v in fixed.items():
        if k.startswith(("dipole:", "offset@")) or k == "offset":
            fx[k] = float(v)
    _check_geometry(fx.get("width_nm", 0.0), fx.get("x_scale", 1.0))
    if "front_nm" in fx and not 0 <= fx["front_nm"] <= front_th:
        raise InputError(f"front_nm = {fx['front_nm']} is outside 0..{front_th} nm (thickness of {front_lname})")

    u = meas.x
    w = (1.0 / sem) if weighted else None
    whiten = None
    if weighted and sigma_V is None and meas.own_var is not None and fit_rows.size > 1:
        # the reference scan's noise is common to every ΔCPD: per x, cov = diag(own) + ref·11ᵀ over scans;
        # residuals are whitened with its inverse Cholesky factor (generalised least squares)
        own = np.where(used, meas.own_var[fit_rows], 1.0)
        refv = np.where(used, meas.ref_var[None, :], 0.0)
        m_ = fit_rows.size
        cov_x = np.einsum("ix,ij->xij", own, np.eye(m_)) + np.einsum("ix,jx->xij", np.sqrt(refv), np.sqrt(refv))
        if np.all(np.isfinite(cov_x)):
            try:
                whiten = np.linalg.inv(np.linalg.cholesky(cov_x))
            except np.linalg.LinAlgError:
                whiten = None

    def settings(theta):
        v = dict(fx)
        v.update(zip(names, theta))
        dip = {}
        for k, val in v.items():
            if k.startswith("dipole:"):
                l, r = k[7:].split("|")
                dip[(l, r)] = val
        off = np.array([v.get(_offset_name(o), v.get("offset", 0.0)) for o in ocv_fit])
        return v, dip, off

    def evaluate(theta):
        v, dip, off = settings(theta)
        kn = model.knots(v.get("mu_li_se_eV"), dip, v.get("front_nm"), "total")
        return _apply(u, kn, v["width_nm"], v["x_offset_nm"], v["x_scale"]) + off[:, None]

    def resid(theta):
        r = evaluate(theta) - y
        if whiten is not None:
            r = np.einsum("xij,jx->ix", whiten, np.where(used, r, 0.0))
        elif w is not None:
            r = r * w
        return r[used]

    try:
        # ---- parameters with no effect at all (clear error, not a silent huge error bar)
        r0 = resid(p0)
        for j, n in enumerate(names):
            step = _PROBE[_kind(n)]
            t = p0.copy()
            t[j] = t[j] + step if t[j] + step <= ub[j] else t[j] - step
            if np.max(np.abs(resid(t) - r0)) <= 1e-9 * max(1.0, float(np.max(np.abs(r0)))):
                why = ""
                if n == "mu_li_se_eV":
                    why = (" In this model the electrolyte's vacuum level is fixed by the Li+ electrochemical "
                           "potential (ionic work function), so mu_Li,SE moves only its Fermi level, which KPFM "
                           "does not see.")
                elif n == "front_nm":
                    why = f" The work function of {front_lname} does not change at the fitted OCVs."
                raise InputError(f"fit parameter {n!r} has no effect on the model ΔCPD at these OCVs and "
                                 f"positions, so the data cannot determine it; fix it instead.{why}")
        # ---- coarse search of the x offset
        if "x_offset_nm" in names and "x_offset_nm" not in initial and search_x_offset:
            j = names.index("x_offset_nm")
            best = (np.inf, p0[j])
            for cand in np.linspace(-0.25 * span, 0.25 * span, 101):
                if not lb[j] <= cand <= ub[j]:
                    continue
                t = p0.copy()
                t[j] = cand
                r = evaluate(t) - y
                r = np.where(used, r, np.nan)
                if "offset" in kinds:  # profile out the per-scan offsets
                    r = r - np.nanmean(r, axis=1, keepdims=True)
                c = float(np.nansum((r * (w if w is not None else 1.0)) ** 2))
                if c < best[0]:
                    best = (c, cand)
            p0[j] = best[1]
        from scipy.optimize import least_squares

        # relative finite-difference steps: larger for parameters that need a new equilibrium solve
        dstep = np.array([1e-5 if _kind(n) in ("dipole", "mu_li_se_eV") else 1e-7 for n in names])

        res = least_squares(resid, p0, bounds=(lb, ub), method="trf", x_scale="jac", diff_step=dstep,
                            max_nfev=max_nfev or 100 * (len(names) + 1), ftol=1e-10, xtol=1e-10, gtol=1e-10)
    except (InputError, ConvergenceError):
        raise
    except Exception as exc:  # noqa: BLE001 - a model failure at a trial point
        raise ConvergenceError("the KPFM model fit failed while evaluating the model",
                               {"error": f"{type(exc).__name__}: {exc}", "parameters": names}) from None
    if res.status <= 0 or not np.all(np.isfinite(res.x)):
        raise ConvergenceError("the KPFM model fit did not converge",
                               {"status": int(res.status), "message": res.message, "nfev": int(res.nfev),
                                "cost": float(res.cost), "parameters": dict(zip(names, res.x.tolist())),
                                "hint": "give starting values (initial=), fit fewer parameters or raise max_nfev"})

    # ---- uncertainties
    theta = res.x
    r = res.fun
    p = len(names)
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
    if not weighted or absolute_sigma is False:
        scale = red
    elif absolute_sigma is None:
        scale = max(1.0, red)
    else:
        scale = 1.0
    cov = cov * scale
    se = np.sqrt(np.abs(np.diag(cov)))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(se, se)
    warn = []
    if np.any(~np.isfinite(se)):
        warn.append("the Jacobian is singular: some parameters are not determined by the data (infinite error)")
    for j, n in enumerate(names):
        if np.isfinite(se[j]) and se[j] > max(abs(theta[j]), 1e-12) and _kind(n) in ("dipole", "mu_li_se_eV",
                                                                                       "front_nm", "width_nm"):
            warn.append(f"{n} is poorly determined: standard error {se[j]:.3g} exceeds |value| {abs(theta[j]):.3g}")
        at_lo = np.isfinite(lb[j]) and theta[j] <= lb[j] + 1e-9 * max(1.0, abs(lb[j]))
        at_hi = np.isfinite(ub[j]) and theta[j] >= ub[j] - 1e-9 * max(1.0, abs(ub[j]))
        if at_lo or at_hi:
            warn.append(f"{n} = {theta[j]:.6g} is at a bound [{lb[j]:g}, {ub[j]:g}]; its standard error assumes "
                        "the bound is not active")
    # nonlinearity check: along each parameter alone, a step of its conditional standard error should
    # raise chi2 by `scale` (linear model); far from that the linearised error bar is unreliable
    jtj = np.einsum("ij,ij->j", J, J)
    noise_free = (not weighted) and red < 1e-18  # residual rms below 1 nV: rounding dominates chi2
    for j, n in enumerate(names if not noise_free else []):
        if not (np.isfinite(se[j]) and jtj[j] > 0) or _kind(n) == "offset":
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
    for i in range(p):
        for j in range(i + 1, p):
            if np.isfinite(corr[i, j]) and abs(corr[i, j]) > 0.99:
                warn.append(f"{names[i]} and {names[j]} are strongly correlated ({corr[i, j]:+.3f})")
    if weighted and absolute_sigma is not False and (red > 4.0 or red < 0.25):
        warn.append(f"reduced chi2 = {red:.3g} is far from 1: the standard errors of the data (used as weights) "
                    "do not describe the scatter; consider absolute_sigma=False")

    # ---- decomposition on the measured x (all scans, the reference included as zeros)
    v, dip, off = settings(theta)
    model_all = _Model(stack, meas.ocv, meas.reference_ocv, library, front_layer)
    parts_all = {}
    for which in ("wf", "pot"):
        kn = model_all.knots(v.get("mu_li_se_eV"), dip, v.get("front_nm"), which)
        parts_all[which] = _apply(u, kn, v["width_nm"], v["x_offset_nm"], v["x_scale"])
    off_all = np.zeros(meas.ocv.size)
    off_all[fit_rows] = off
    model_total = parts_all["wf"] + parts_all["pot"] + off_all[:, None]
    resid_all = np.full(meas.dcpd.shape, np.nan)
    used_all = np.zeros(meas.dcpd.shape, bool)
    used_all[fit_rows] = used
    resid_all[used_all] = (meas.dcpd - model_total)[used_all]
    sig_all = np.full(meas.dcpd.shape, np.nan) if meas.sem is None else meas.sem
    meta = {"stack": stack.to_dict(), "source": meas.source, "parameters": dict(zip(names, theta.tolist())),
            "stderr": dict(zip(names, se.tolist())), "fixed": fx, "front_layer": front_lname,
            "reference_ocv_V": meas.reference_ocv, "weighted": weighted,
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
    deco["offset_V"] = xr.Variable(("ocv",), off_all, {"units": "V", "long_name": "fitted tip/reference offset per scan"})
    mp = model_all.parts(v.get("mu_li_se_eV"), dip).profile
    pars = {n: FitParameter(n, float(theta[j]), float(se[j]), PARAM_UNITS[_kind(n)] if _kind(n) in PARAM_UNITS
                            else PARAM_UNITS.get(n, ""), float(lb[j]), float(ub[j]), float(p0[j]))
            for j, n in enumerate(names)}
    notes = list(dict.fromkeys(model.notes + model_all.notes))
    if whiten is not None:
        notes.append("generalised least squares: each averaged point weighted by its standard error "
                     "(std^2/count), with the reference scan's error common to every ΔCPD profile")
    elif weighted:
        notes.append("residuals weighted by the standard error of each point (independent points)")
    return FitResult(pars, fx, names, cov, corr, chi2, red, n_used, dof, weighted, absolute_sigma,
                     ocv_fit, meas.reference_ocv, deco, mp, bool(res.success), str(res.message), int(res.nfev),
                     warn, notes, meas.source)


# ------------------------------------------------------------------------------------------------
# plots

def plot_fit(result: FitResult, *, path=None, decomposition: bool = True):
    """Measured ΔCPD(x) per OCV with the model overlay, the residuals and (optionally) the
    decomposition of the fitted ΔCPD into −ΔΦ/e and ΔV. Returns the Figure; ``path`` saves it."""
    from .plots import _plt, _save

    plt = _plt()
    ds = result.decomposition
    n_ax = 3 if decomposition else 2
    fig, axs = plt.subplots(n_ax, 1, figsize=(6.4, 2.6 * n_ax + 0.6), sharex=True,
                            gridspec_kw={"height_ratios": [3, 1.3] + ([2.4] if decomposition else [])})
    x = ds["x"].values
    ocv = ds["ocv"].values
    cmap = plt.get_cmap("viridis")
    for i, v in enumerate(ocv):
        if abs(v - result.reference_ocv_V) < 1e-9:
            continue
        c = cmap(i / max(1, len(ocv) - 1) * 0.9)
        y = ds["measured_V"].values[i]
        axs[0].plot(x, y, ".", ms=2.5, color=c, alpha=0.6)
        axs[0].plot(x, ds["dcpd_fit_V"].values[i], "-", lw=1.3, color=c, label=f"{v:g} V")
        axs[1].plot(x, 1e3 * ds["residual_V"].values[i], "-", lw=0.8, color=c)
        if decomposition:
            axs[2].plot(x, ds["dcpd_work_function_V"].values[i], "-", lw=1.2, color=c)
            axs[2].plot(x, ds["dcpd_potential_V"].values[i], "--", lw=1.2, color=c)
    axs[0].set_ylabel("ΔCPD (V)")
    axs[0].legend(title="OCV (points: data, lines: fit)", fontsize=7, title_fontsize=7, ncol=2)
    axs[0].set_title(f"model fit: reduced χ² = {result.reduced_chi2:.3g}, {result.n_points} points", fontsize=9)
    axs[1].axhline(0, color="k", lw=0.6)
    axs[1].set_ylabel("residual (mV)")
    if decomposition:
        axs[2].axhline(0, color="k", lw=0.6)
        axs[2].set_ylabel("parts (V)")
        axs[2].plot([], [], "k-", label="−ΔΦ/e")
        axs[2].plot([], [], "k--", label="ΔV")
        axs[2].legend(fontsize=7)
    axs[-1].set_xlabel("x (nm, measured)")
    fig.tight_layout()
    return _save(fig, path)


def plot_decomposition(result: FitResult, *, path=None):
    """The fitted ΔCPD of each OCV split into −ΔΦ/e and ΔV (one panel per part, and their sum)."""
    from .plots import _plt, _save

    plt = _plt()
    ds = result.decomposition
    fig, axs = plt.subplots(1, 3, figsize=(11, 3.4), sharey=True)
    cmap = plt.get_cmap("viridis")
    x = ds["x"].values
    ocv = ds["ocv"].values
    for i, v in enumerate(ocv):
        c = cmap(i / max(1, len(ocv) - 1) * 0.9)
        wf, pot = ds["dcpd_work_function_V"].values[i], ds["dcpd_potential_V"].values[i]
        axs[0].plot(x, wf, color=c, lw=1.3, label=f"{v:g} V")
        axs[1].plot(x, pot, color=c, lw=1.3)
        axs[2].plot(x, wf + pot, color=c, lw=1.3)
    for ax, t in zip(axs, ("−ΔΦ/e (work function)", "ΔV (electrode potential)", "ΔCPD = −ΔΦ/e + ΔV")):
        ax.axhline(0, color="k", lw=0.5)
        ax.set(title=t, xlabel="x (nm, measured)")
    axs[0].set_ylabel("V")
    axs[0].legend(fontsize=7, title="OCV", title_fontsize=7)
    fig.tight_layout()
    return _save(fig, path)
