"""The measured ΔCPD data of a fit: reading, checking, the fitted points and their weights.

The reference scan's noise is common to all ΔCPD profiles of a series: when the series gives each
scan's ``std_V`` and ``count``, the fit is a generalised least squares with, at each x, the covariance
``diag(var_i) + var_ref·11ᵀ`` over the scans (var = std²/count), applied by whitening the residuals
with the inverse Cholesky factor of that covariance (:func:`gls_whitening`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from ...errors import InputError


@dataclass
class Measured:
    """Measured ΔCPD profiles as plain arrays.

    Attributes
    ----------
    x : numpy.ndarray, shape (n,)
        Measured positions (nm).
    ocv : numpy.ndarray, shape (m,)
        OCV of each scan (V).
    dcpd : numpy.ndarray, shape (m, n)
        ΔCPD (V).
    sem : numpy.ndarray or None, shape (m, n)
        Standard error of each point (V), or None.
    reference_ocv : float
        OCV of the reference scan (V).
    source : str
        Where the data came from.
    own_var : numpy.ndarray or None, shape (m, n)
        Variance of each scan's own mean (V²), without the reference's.
    ref_var : numpy.ndarray or None, shape (n,)
        Variance of the reference scan's mean (V²), common to all ΔCPD.
    """

    x: np.ndarray
    ocv: np.ndarray
    dcpd: np.ndarray
    sem: np.ndarray | None
    reference_ocv: float
    source: str
    own_var: np.ndarray | None = None
    ref_var: np.ndarray | None = None


def load_measured(path: str | Path) -> xr.Dataset:
    """A measured ΔCPD series from a manifest (YAML/TOML), a folder of scans, or a NetCDF Profile.

    Parameters
    ----------
    path : str or Path
        A ``.nc`` Profile, a series manifest or a folder (see :func:`ssbands.kpfm.series.operando_series`).

    Returns
    -------
    xarray.Dataset
        The series: ``delta_cpd_V`` (V) over ``(ocv, x)`` with x in nm.
    """
    p = Path(path)
    if p.suffix.lower() == ".nc":
        from ...profile import read_profile

        return read_profile(p)
    from ..series import operando_series

    return operando_series(p)


def _from_dataset(ds: xr.Dataset, sigma_V, reference_ocv):
    src = ds.attrs.get("source", "") or ds.ssb.metadata.get("series", "<Profile>")
    if "x" in ds.coords and ds["x"].attrs.get("units", "nm") != "nm":
        raise InputError(f"measured Profile {src!r}: x is in {ds['x'].attrs.get('units')!r}, not nm; the model "
                         f"needs positions in nm (make the profile with the pixel size, pixel_size_nm=VALUE)")
    var = next((v for v in ("delta_cpd_V", "dcpd_V") if v in ds), None)
    if var is None:
        raise InputError(f"measured Profile {src!r} has no delta_cpd_V (an operando series) or dcpd_V "
                         f"variable; it has {sorted(map(str, ds.data_vars))}")
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
    return src, y, x, ov, sem, own_var, ref_var, reference_ocv


def as_measured(measured, x_nm, ocv, sigma_V, reference_ocv) -> Measured:
    """Check measured ΔCPD data and turn them into :class:`Measured`.

    Parameters
    ----------
    measured : xarray.Dataset or array_like
        A series or Profile with ``delta_cpd_V`` or ``dcpd_V`` (V), or an array (n_ocv, n_x) in V.
    x_nm : array_like or None
        Positions (nm) of an array.
    ocv : array_like or None
        OCV of each row of an array (V).
    sigma_V : array_like or None
        Standard error of each point (V), overriding what a series gives.
    reference_ocv : float or None
        OCV of the reference scan (V); default: the series' metadata, else the all-zero scan, else 0 V.

    Returns
    -------
    Measured

    Raises
    ------
    InputError
        Missing variables, wrong shapes, too few or decreasing positions, non-finite OCVs.
    """
    if isinstance(measured, xr.Dataset):
        src, y, x, ov, sem, own_var, ref_var, reference_ocv = _from_dataset(measured, sigma_V, reference_ocv)
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
    return Measured(x, ov, y, sem, float(reference_ocv), str(src), own_var, ref_var)


@dataclass
class FitData:
    """The points a fit uses: every scan but the reference, inside the x range, finite.

    Attributes
    ----------
    rows : numpy.ndarray of int
        Indices of the fitted scans in :class:`Measured`.
    ocv : numpy.ndarray
        Their OCVs (V).
    x : numpy.ndarray, shape (n,)
        Measured positions (nm).
    y : numpy.ndarray, shape (len(rows), n)
        Measured ΔCPD of the fitted scans (V).
    used : numpy.ndarray of bool, shape of ``y``
        Points used in the fit.
    sem : numpy.ndarray or None, shape of ``y``
        Standard error of each point (V).
    weighted : bool
        Residuals are divided by ``sem``.
    n_used : int
        Number of points used.
    weight : numpy.ndarray or None
        ``1/sem`` (1/V) of a weighted fit, else None.
    whiten : numpy.ndarray or None, shape (n, len(rows), len(rows))
        Inverse Cholesky factor of the per-x covariance over the scans (1/V) of a generalised least
        squares fit, else None (see :func:`gls_whitening`).
    """

    rows: np.ndarray
    ocv: np.ndarray
    x: np.ndarray
    y: np.ndarray
    used: np.ndarray
    sem: np.ndarray | None
    weighted: bool
    n_used: int
    weight: np.ndarray | None
    whiten: np.ndarray | None = None


def select_fit_data(meas: Measured, weights: str, x_range) -> FitData:
    """Choose the fitted scans and points, and whether the fit is weighted.

    Parameters
    ----------
    meas : Measured
        The data.
    weights : {"auto", "std", "none"}
        "std": weight by the standard errors (error if missing); "auto": when they are available and
        positive at every fitted point; "none": unweighted.
    x_range : (float, float) or None
        Fit only points with x in this range (nm).

    Returns
    -------
    FitData
        Without ``whiten`` (see :func:`gls_whitening`).

    Raises
    ------
    InputError
        A bad ``weights``, only the reference scan, or ``weights="std"`` without standard errors.
    """
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
    w = (1.0 / sem) if weighted and sem is not None else None  # weighted implies sem
    return FitData(fit_rows, ocv_fit, meas.x, y, used, sem, weighted, int(used.sum()), w)


def gls_whitening(meas: Measured, data: FitData, sigma_V) -> np.ndarray | None:
    """Whitening matrices of the generalised least squares over scans that share one reference scan.

    Per x, the covariance of the fitted ΔCPD over the scans is ``diag(own_i) + ref·11ᵀ`` (V²); its
    inverse Cholesky factor turns the residuals into independent unit-variance ones.

    Parameters
    ----------
    meas : Measured
        The data (``own_var`` and ``ref_var`` from a series' ``std_V`` and ``count``).
    data : FitData
        The fitted points.
    sigma_V : array_like or None
        User-given standard errors (V); when given, no generalised least squares.

    Returns
    -------
    numpy.ndarray or None
        ``(n_x, m, m)`` matrices (1/V), or None when the fit is unweighted, the errors are user-given,
        the series has no per-scan variances, one scan is fitted, or the covariance is singular.
    """
    fit_rows, used = data.rows, data.used
    if not (data.weighted and sigma_V is None and meas.own_var is not None and meas.ref_var is not None
            and fit_rows.size > 1):
        return None
    # the reference scan's noise is common to every ΔCPD: per x, cov = diag(own) + ref·11ᵀ over scans;
    # residuals are whitened with its inverse Cholesky factor (generalised least squares)
    own = np.where(used, meas.own_var[fit_rows], 1.0)
    refv = np.where(used, meas.ref_var[None, :], 0.0)
    m_ = fit_rows.size
    cov_x = np.einsum("ix,ij->xij", own, np.eye(m_)) + np.einsum("ix,jx->xij", np.sqrt(refv), np.sqrt(refv))
    if np.all(np.isfinite(cov_x)):
        try:
            return np.linalg.inv(np.linalg.cholesky(cov_x))
        except np.linalg.LinAlgError:
            return None
    return None
