"""Helpers shared by the KPFM processing modules: gap filling, mask files, the main and standard-
deviation variables of a measured Profile, region selection and metadata replacement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import InputError


def fill_gaps(a):
    """Fill the NaN/inf gaps of a 1-D profile by linear interpolation over the pixel index.

    Parameters
    ----------
    a : numpy.ndarray, shape (n,)
        Values (any unit); returned as is when all are finite.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Same unit; gaps at the ends take the nearest finite value.

    Raises
    ------
    InputError
        If no value is finite.
    """
    ok = np.isfinite(a)
    if ok.all():
        return a
    if not ok.any():
        raise InputError("profile has no finite values")
    idx = np.arange(a.size)
    return np.interp(idx, idx[ok], a[ok])


def load_mask(path: str | Path, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Read a mask file (``.npy`` without pickle, or text): nonzero = masked. Checks its shape.

    Parameters
    ----------
    path : str or Path
        ``.npy``, ``.txt``, ``.csv`` or ``.dat`` file of a 2-D array.
    shape : (int, int), optional
        The map's ``(ny, nx)`` in pixels, which the mask must match.

    Returns
    -------
    numpy.ndarray of bool
        True = masked pixel.
    """
    from .io import read

    p = Path(path)
    kf = read(p, fmt="npy" if p.suffix.lower() == ".npy" else ("text" if p.suffix.lower() in
                                                              (".txt", ".csv", ".dat") else None))
    m = kf.channels[0].data
    if not np.all(np.isfinite(m)):
        raise InputError(f"mask file {str(p)!r} contains NaN or infinite values")
    if shape is not None and tuple(m.shape) != tuple(shape):
        raise InputError(f"mask file {str(p)!r} has shape {m.shape}, the map has {tuple(shape)}")
    return m != 0


def main_variable(profile: xr.Dataset) -> str:
    """The main variable of a measured Profile: ``delta_cpd_V``, else ``cpd_V`` (V), else ``value``.

    Parameters
    ----------
    profile : xarray.Dataset
        A measured Profile.

    Returns
    -------
    str

    Raises
    ------
    InputError
        If the profile has none of them.
    """
    for v in ("delta_cpd_V", "cpd_V", "value"):
        if v in profile:
            return v
    raise InputError(f"profile has none of cpd_V / delta_cpd_V / value: {list(profile.data_vars)}")


def std_variable(var: str) -> str:
    """Name of the standard-deviation variable that goes with ``var`` (same unit).

    Parameters
    ----------
    var : str
        ``cpd_V``, ``cpd_base_V`` (→ ``std_V``), ``delta_cpd_V`` (→ ``delta_std_V``) or ``value`` (→ ``std``).

    Returns
    -------
    str
        The name, or ``""`` for any other variable.
    """
    return {"cpd_V": "std_V", "value": "std", "delta_cpd_V": "delta_std_V", "cpd_base_V": "std_V"}.get(var, "")


def region_selection(profile: xr.Dataset, region) -> np.ndarray:
    """The points of a Profile in a region.

    Parameters
    ----------
    profile : xarray.Dataset
        A measured Profile along x (nm).
    region : str or (float, float)
        A layer name (after :func:`ssbands.kpfm.processing.segment`) or an x range in nm.

    Returns
    -------
    numpy.ndarray of bool
        True = point in the region.

    Raises
    ------
    InputError
        No layers, an unknown layer, a malformed or empty range.
    """
    x = profile["x"].values
    if isinstance(region, str):
        if "layer" not in profile.coords:
            raise InputError(f"region {region!r} is a layer name but the profile has no layers; use "
                             f"segment() first or give (x0, x1) in nm")
        sel = profile["layer"].values == region
        if not sel.any():
            raise InputError(f"no layer {region!r}; layers: {sorted(set(profile['layer'].values))}")
        return sel
    try:
        x0, x1 = (float(v) for v in region)
    except (TypeError, ValueError):
        raise InputError(f"region must be a layer name or (x0, x1) in nm, got {region!r}") from None
    sel = (x >= min(x0, x1)) & (x <= max(x0, x1))
    if not sel.any():
        raise InputError(f"region ({x0}, {x1}) nm contains no points of the profile "
                         f"(x from {x.min():.4g} to {x.max():.4g} nm)")
    return sel


def with_metadata(ds: xr.Dataset, meta: dict) -> xr.Dataset:
    """A copy of a Profile with its metadata replaced.

    Parameters
    ----------
    ds : xarray.Dataset
        The Profile.
    meta : dict
        The new metadata (made JSON-ready).

    Returns
    -------
    xarray.Dataset
    """
    import json

    from ..profile import to_jsonable

    ds = ds.copy()
    ds.attrs["metadata_json"] = json.dumps(to_jsonable(meta), sort_keys=True)
    return ds
