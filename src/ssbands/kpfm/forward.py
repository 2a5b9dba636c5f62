"""KPFM forward model: what a Kelvin probe would measure across a cell.

With energies from the ground's Fermi level, KPFM nulls the tip–sample force, so

    CPD(x) = [Φ_tip − E_vac(x)]/e,      CPD_base(x) = CPD(x) − CPD(base)      (Eqs. 1, 2, 7, 8)
    ΔCPD(x) = CPD_SOC(x) − CPD_ref(x) = −ΔΦ(x)/e + ΔV(x)                     (Eq. 9)

with Φ = E_vac − E_F and V = −E_F/e at every x (equation numbers of the KPFM perspective of Swift,
Fuller, Talin, Qi et al.). :func:`ssbands.solve` already puts ``cpd_V``,
``cpd_base_V`` and, against the reference state, ``dcpd_V`` with its two parts
``dcpd_work_function_V`` (−ΔΦ/e) and ``dcpd_potential_V`` (ΔV) into the Profile; this module adds
the instrument's lateral response and per-layer tables.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..errors import InputError

KPFM_VARIABLES = ("cpd_V", "cpd_base_V", "dcpd_V", "dcpd_work_function_V", "dcpd_potential_V")


def _kernel(kind: str, width_nm: float, dx: float, span: float):
    if kind == "gaussian":
        sigma = width_nm
        half = 5.0 * sigma
        t = np.arange(-half, half + dx / 2, dx)
        k = np.exp(-0.5 * (t / sigma) ** 2)
    elif kind == "lorentzian":
        gamma = width_nm
        half = max(min(1000.0 * gamma, 2.0 * span), 50.0 * gamma)  # tails beyond 1000 γ hold < 0.07 %
        t = np.arange(-half, half + dx / 2, dx)
        k = 1.0 / (1.0 + (t / gamma) ** 2)
    else:
        raise InputError(f"instrument response kind must be 'gaussian' or 'lorentzian', got {kind!r}")
    return k / k.sum()


def instrument_response(x_nm, values, width_nm: float, kind: str = "gaussian", points_per_width: int = 10):
    """Convolve a profile with a normalised lateral response of the tip and cantilever.

    Parameters
    ----------
    x_nm : array_like
        Positions (nm), non-decreasing (a boundary may appear twice).
    values : array_like
        Profile values along x; leading dimensions are batches.
    width_nm : float
        Gaussian σ, or Lorentzian half width at half maximum γ, in nm (> 0).
    kind : {"gaussian", "lorentzian"}
        Shape of the response.
    points_per_width : int
        Samples per width of the uniform grid the convolution runs on.

    Returns
    -------
    numpy.ndarray
        The blurred profile on the same x. Constant profiles are unchanged and the mean over a region
        far from the edges is conserved (the kernel is normalised); values beyond the ends are held
        at the end values.
    """
    x = np.asarray(x_nm, float)
    y = np.asarray(values, float)
    if not (np.isfinite(width_nm) and width_nm > 0):
        raise InputError(f"instrument width must be a positive number of nm, got {width_nm!r}")
    if np.any(np.diff(x) < 0):
        raise InputError("positions must be non-decreasing")
    if not np.all(np.isfinite(y)):
        raise InputError("the profile to blur contains NaN or inf; select a variable defined on every x")
    span = x[-1] - x[0]
    dx = min(width_nm / points_per_width, span / 200.0) if span > 0 else width_nm / points_per_width
    n = int(np.ceil(span / dx)) + 1
    if n > 2_000_000:
        raise InputError(f"instrument width {width_nm} nm is too small for a {span:.3g} nm profile "
                         "(more than 2e6 samples); use a wider response or a shorter profile")
    xu = np.linspace(x[0], x[-1], n)
    h = xu[1] - xu[0] if n > 1 else dx
    k = _kernel(kind, width_nm, h, span)
    from scipy.signal import fftconvolve

    flat = y.reshape(-1, y.shape[-1])
    out = np.empty_like(flat)
    pad = k.size // 2
    edges = np.clip(np.concatenate([[xu[0] - h / 2], xu + h / 2]), x[0], x[-1])
    for i, row in enumerate(flat):
        # exact cell averages of the piecewise-linear profile (steps at repeated x kept): no half-sample shift
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (row[1:] + row[:-1]) * np.diff(x))])
        ce = np.interp(edges, x, cum)
        w = np.diff(edges)
        yu = np.where(w > 0, np.diff(ce) / np.where(w > 0, w, 1.0), np.interp(xu, x, row))
        yp = np.concatenate([np.full(pad, yu[0]), yu, np.full(pad, yu[-1])])
        yc = fftconvolve(yp, k, mode="same")[pad:pad + n]
        out[i] = np.interp(x, xu, yc)
    return out.reshape(y.shape)


def blur(profile: xr.Dataset, width_nm: float, kind: str = "gaussian",
         variables: tuple[str, ...] = KPFM_VARIABLES) -> xr.Dataset:
    """A copy of a Profile with its KPFM variables convolved with the instrument response.

    Parameters
    ----------
    profile : xarray.Dataset
        A model Profile (:func:`ssbands.solve`) along x (nm).
    width_nm : float
        Gaussian σ or Lorentzian γ (nm), see :func:`instrument_response`.
    kind : {"gaussian", "lorentzian"}
        Shape of the response.
    variables : tuple of str
        Variables to blur (V); those missing are skipped.

    Returns
    -------
    xarray.Dataset
        The copy, with ``instrument_response`` recorded in the attributes.
    """
    ds = profile.copy()
    for v in variables:
        if v not in ds:
            continue
        da = ds[v]
        if da.dims[-1] != "x":
            raise InputError(f"variable {v!r} is not along x")
        ds[v] = da.copy(data=instrument_response(ds["x"].values, da.values, width_nm, kind))
        ds[v].attrs["instrument_response"] = f"{kind}, width {width_nm:g} nm"
    ds.attrs["instrument_response"] = f"{kind}, width {width_nm:g} nm"
    return ds


def layer_table(profile: xr.Dataset):
    """Per-layer KPFM table (pandas DataFrame): CPD, CPD vs base, ΔCPD and its two parts at mid-layer.

    Parameters
    ----------
    profile : xarray.Dataset
        A model Profile (:func:`ssbands.solve`), with or without an ``ocv`` dimension.

    Returns
    -------
    pandas.DataFrame
        One row per OCV and layer: ``ocv_V``, ``layer`` and the :data:`KPFM_VARIABLES` present (V).
    """
    import pandas as pd

    ds = profile
    rows = []
    ocvs = np.atleast_1d(ds["ocv"].values)
    for j, ocv in enumerate(ocvs):
        sub = ds.isel(ocv=j) if "ocv" in ds.dims else ds
        for name in sub["layer_name"].values:
            sel = sub["layer"].values == name
            xs = sub["x"].values[sel]
            i = np.flatnonzero(sel)[np.argmin(np.abs(xs - 0.5 * (xs[0] + xs[-1])))]
            row = {"ocv_V": float(ocv), "layer": str(name)}
            for v in KPFM_VARIABLES:
                if v in sub:
                    row[v] = float(sub[v].values[i])
            rows.append(row)
    return pd.DataFrame(rows)
