"""From a KPFM map to calibrated CPD profiles.

The chain a user runs: read the file (:func:`ssbands.kpfm.io.read`), optionally level (opt-in for
potential channels: the absolute CPD is the measurement; default for topography), mask, average
along y into CPD(x) with its standard deviation and pixel count (:func:`map_to_profile`), align
several scans in x (:func:`xcorr_shift`, :func:`align_to`), cut the profile into layers
(:func:`segment`), reference it to an inert base (:func:`reference_to_base`, CPD_base = CPD − CPD(base),
perspective Eq. 8), take ΔCPD against a reference scan (:func:`delta_cpd`, Eq. 9), measure
interface steps with uncertainties (:func:`interface_step`) and compare grains with grain boundaries
(:func:`grain_boundary_stats`); the last two, with :func:`region_mean` and
:func:`correlation_length_px`, live in :mod:`ssbands.kpfm.statistics` and are re-exported here.

Every profile is a :func:`ssbands.profile.make_profile` Profile (``kind="measurement"``) whose
``cpd_convention`` attribute is the instrument's sign convention and whose metadata lists the
source file, channel and every processing step.

All operations are vectorised over pixels; none modifies its inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import InputError
from ..profile import make_profile
from ._common import fill_gaps, load_mask, main_variable, std_variable, with_metadata
from .statistics import RegionMean, Step, correlation_length_px, grain_boundary_stats, interface_step, region_mean

__all__ = ["LEVELLING", "MAX_ALIGN_FRACTION", "MIN_ALIGN_CORRELATION", "MIN_ALIGN_SIGNIFICANCE", "Alignment",
           "RegionMean", "Step", "align_to", "average_rows", "correlation_length_px", "delta_cpd",
           "detect_steps", "grain_boundary_stats", "interface_step", "level_lines", "level_map", "level_plane",
           "load_mask", "main_variable", "map_to_profile", "reference_to_base", "region_mean", "segment",
           "std_variable", "x_axis_nm", "xcorr_alignment", "xcorr_shift"]

#: Levelling methods of :func:`level_map`.
LEVELLING = ("none", "plane", "lines", "plane+lines")


# ------------------------------------------------------------------------------------ levelling
def _valid(z: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    ok = np.isfinite(z)
    if mask is not None:
        ok &= ~np.asarray(mask, bool)
    return ok


def level_plane(z, mask=None) -> tuple[np.ndarray, np.ndarray]:
    """Subtract the least-squares plane ``a + b·i + c·j`` fitted to the unmasked pixels.

    Parameters
    ----------
    z : array_like, shape (ny, nx)
        The map (any unit, e.g. V or m).
    mask : array_like of bool, optional
        True = pixel excluded from the fit (it is still levelled).

    Returns
    -------
    levelled : ndarray
        ``z`` minus the plane (unit of ``z``).
    plane : ndarray
        The subtracted background (same unit as ``z``).
    """
    z = np.asarray(z, float)
    ny, nx = z.shape
    ok = _valid(z, mask)
    if ok.sum() < 3:
        raise InputError("plane levelling needs at least 3 valid pixels")
    # normal equations of z = c0 + c1*i + c2*j over the valid pixels, from row/column sums
    w = ok.astype(float)
    zz = np.where(ok, z, 0.0)
    i = np.arange(nx, dtype=float) - (nx - 1) / 2  # centred for conditioning
    j = np.arange(ny, dtype=float) - (ny - 1) / 2
    wc, wr = w.sum(0), w.sum(1)  # valid pixels per column / per row
    zc, zr = zz.sum(0), zz.sum(1)
    wij = j @ w @ i
    m = np.array([[w.sum(), wc @ i, wr @ j], [wc @ i, wc @ (i * i), wij], [wr @ j, wij, wr @ (j * j)]])
    t = np.array([zz.sum(), zc @ i, zr @ j])
    try:
        coef = np.linalg.solve(m, t)
    except np.linalg.LinAlgError:
        raise InputError("plane levelling: the valid pixels lie on one line") from None
    plane = coef[0] + coef[1] * i[None, :] + coef[2] * j[:, None]
    return z - plane, plane


def level_lines(z, mask=None, method: str = "median") -> np.ndarray:
    """Align scan lines: subtract a median, mean or line from each row.

    The row's median (``"median"``), mean (``"mean"``) or least-squares line (``"linear"``) is
    computed over its unmasked pixels.

    Parameters
    ----------
    z : array_like, shape (ny, nx)
        The map (any unit).
    mask : array_like of bool, optional
        True = pixel excluded from the row statistics (it is still levelled).
    method : {"median", "mean", "linear"}
        What is subtracted from each row.

    Returns
    -------
    numpy.ndarray, shape (ny, nx)
        The levelled map (unit of ``z``).
    """
    z = np.asarray(z, float)
    ok = _valid(z, mask)
    zm = np.where(ok, z, np.nan)
    if method == "median":
        with np.errstate(all="ignore"):
            off = np.nanmedian(zm, axis=1) if ok.any(axis=1).all() else _nan_rows(np.nanmedian, zm)
        return z - np.nan_to_num(off)[:, None]
    if method == "mean":
        n = ok.sum(1)
        off = np.where(n > 0, np.where(ok, z, 0).sum(1) / np.maximum(n, 1), 0.0)
        return z - off[:, None]
    if method == "linear":
        x = np.arange(z.shape[1], dtype=float)[None, :]
        w = ok.astype(float)
        zz = np.where(ok, z, 0.0)
        s0, s1, s2 = w.sum(1), (w * x).sum(1), (w * x * x).sum(1)
        t0, t1 = zz.sum(1), (zz * x).sum(1)
        det = s0 * s2 - s1 * s1
        good = det > 0
        det = np.where(good, det, 1.0)
        b = np.where(good, (s0 * t1 - s1 * t0) / det, 0.0)
        a = np.where(good, (t0 - b * s1) / np.maximum(s0, 1), np.where(s0 > 0, t0 / np.maximum(s0, 1), 0))
        return z - (a[:, None] + b[:, None] * x)
    raise InputError(f"line levelling method must be 'median', 'mean' or 'linear', got {method!r}")


def _nan_rows(fn, zm):
    out = np.zeros(zm.shape[0])
    rows = np.isfinite(zm).any(axis=1)
    out[rows] = fn(zm[rows], axis=1)
    return out


def level_map(z, method: str = "plane", mask=None) -> np.ndarray:
    """Apply a levelling ``method`` (one of :data:`LEVELLING`).

    Parameters
    ----------
    z : array_like, shape (ny, nx)
        The map (any unit).
    method : {"none", "plane", "lines", "plane+lines"}
        :func:`level_plane`, :func:`level_lines` (median), both, or nothing.
    mask : array_like of bool, optional
        True = pixel excluded from the fits.

    Returns
    -------
    numpy.ndarray, shape (ny, nx)
        The levelled map (unit of ``z``).
    """
    if method == "none":
        return np.asarray(z, float)
    if method == "plane":
        return level_plane(z, mask)[0]
    if method == "lines":
        return level_lines(z, mask)
    if method == "plane+lines":
        return level_lines(level_plane(z, mask)[0], mask)
    raise InputError(f"levelling must be one of {', '.join(LEVELLING)}, got {method!r}")


# ------------------------------------------------------------------------------- row averaging
def average_rows(z, mask=None, rows: slice | Sequence[int] | None = None):
    """Average a map along y (over rows) into a profile along x.

    Parameters
    ----------
    z : array_like, shape (ny, nx)
    mask : array_like of bool, optional
        True = pixel excluded.
    rows : slice or sequence of int, optional
        The rows to use (the profile region); all by default.

    Returns
    -------
    mean, std, count : ndarray, shape (nx,)
        Mean and sample standard deviation (ddof=1; NaN where fewer than 2 pixels) over the valid
        pixels of each column, and their number.
    """
    z = np.asarray(z, float)
    ok = _valid(z, mask)
    if rows is not None:
        z, ok = z[rows], ok[rows]
    n = ok.sum(0)
    zz = np.where(ok, z, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = zz.sum(0) / n
        dev = np.where(ok, z - mean, 0.0)
        var = (dev * dev).sum(0) / (n - 1)
    mean = np.where(n > 0, mean, np.nan)
    std = np.where(n > 1, np.sqrt(np.maximum(var, 0)), np.nan)
    return mean, std, n


def x_axis_nm(nx: int, size_x_m: float | None = None, pixel_size_nm: float | None = None) -> np.ndarray:
    """Pixel-centre positions in nm, from the scan size (m) or a pixel size (nm).

    Parameters
    ----------
    nx : int
        Number of pixels along x.
    size_x_m : float, optional
        Scan size along x (m).
    pixel_size_nm : float, optional
        Pixel size (nm); overrides ``size_x_m``.

    Returns
    -------
    numpy.ndarray, shape (nx,)
        ``(i + 0.5) · dx`` in nm.
    """
    if pixel_size_nm is not None:
        dx = float(pixel_size_nm)
        if not (np.isfinite(dx) and dx > 0):
            raise InputError(f"pixel_size_nm={pixel_size_nm!r} is not a positive number of nm per pixel")
    elif size_x_m is not None:
        dx = float(size_x_m) * 1e9 / nx
    else:
        raise InputError("the map has no physical size: pass pixel_size_nm=VALUE (nm per pixel)")
    if not (np.isfinite(dx) and dx > 0):
        raise InputError(f"pixel size must be positive, got {dx} nm")
    return (np.arange(nx) + 0.5) * dx


def _default_level(ch) -> str:
    return "plane" if ch.role == "topography" else "none"


def map_to_profile(kfile, channel: str | None = None, *, rows=None, mask=None, level: str | None = None,
                   along: str = "x", pixel_size_nm: float | None = None, pixel_units: bool = False,
                   flip_sign: bool = False) -> xr.Dataset:
    """Turn a map of a :class:`~ssbands.kpfm.io.KPFMFile` into a measured CPD(x) Profile.

    Parameters
    ----------
    kfile : KPFMFile or str or Path
        A read file, or a path to read.
    channel : str, optional
        Channel title; the file's potential channel by default.
    rows : slice or (int, int), optional
        Rows ``[start, stop)`` to average (the profile region); all rows by default.
    mask : array_like of bool or path, optional
        True = excluded pixel; a path is read with :func:`load_mask`.
    level : {"none", "plane", "lines", "plane+lines"}, optional
        Default ``"none"`` for potential channels (the absolute CPD is the measurement) and
        ``"plane"`` for topography.
    along : {"x", "y"}
        Direction of the profile; ``"y"`` averages over columns instead of rows.
    pixel_size_nm : float, optional
        Pixel size when the file has no physical size (or to override it).
    pixel_units : bool
        Make the profile in pixels (x = pixel centres 0.5, 1.5, ... with units ``"px"``) instead of
        nm; for maps without a physical size. Not combined with ``pixel_size_nm``.
    flip_sign : bool
        Negate the values (e.g. to convert a tip-bias instrument to the package convention); recorded.

    Returns
    -------
    xarray.Dataset
        Profile with ``cpd_V`` (or ``value`` when the channel is not in V), ``std_V``, ``count``
        along ``x`` in nm (in pixels, ``x.attrs["units"] == "px"``, with ``pixel_units=True``);
        attrs ``cpd_convention``; metadata with the processing steps.
    """
    from .io import KPFMFile, read

    kf = kfile if isinstance(kfile, KPFMFile) else read(kfile)
    ch = kf.channel(channel)
    if ch.data.ndim != 2:
        raise InputError(f"channel {ch.title!r} of {str(kf.path)!r} has shape {ch.shape}, not a 2-D map; "
                         f"spectroscopy grids are fitted with ssbands.kpfm.spectroscopy.fit_grid")
    z = ch.data
    steps = []
    mask_src = None
    if isinstance(mask, (str, Path)):
        mask_src = str(mask)
        mask = load_mask(mask, z.shape)
    if mask is not None:
        mask = np.asarray(mask, bool)
        if mask.shape != z.shape:
            raise InputError(f"mask of shape {mask.shape} does not match the map {z.shape}")
        steps.append(f"mask: {int(mask.sum())} pixels excluded" + (f" ({mask_src})" if mask_src else ""))
    lev = level or _default_level(ch)
    z = level_map(z, lev, mask)
    steps.append(f"levelling: {lev}")
    size = ch.size_m
    if along == "y":
        z = z.T
        mask = None if mask is None else mask.T
        size = None if size is None else (size[1], size[0])
    elif along != "x":
        raise InputError(f"along must be 'x' or 'y', got {along!r}")
    if isinstance(rows, tuple) and len(rows) == 2:
        rows = slice(int(rows[0]), int(rows[1]))
    if rows is not None:
        sel = np.arange(z.shape[0])[rows]
        if sel.size == 0:
            what = f"{rows.start}:{rows.stop}" if isinstance(rows, slice) else repr(rows)
            raise InputError(f"KPFM file {str(kf.path)!r}: rows {what} select no row of the map of channel "
                             f"{ch.title!r} ({z.shape[0]} rows)")
        steps.append(f"rows {int(sel.min())}..{int(sel.max())} of {z.shape[0]}")
    if flip_sign:
        z = -z
        steps.append("sign flipped")
    mean, std, n = average_rows(z, mask, rows)
    steps.append(f"average along {'y' if along == 'x' else 'x'}: mean, sample std (ddof=1), count")
    x = _profile_x(kf, ch, z.shape[1], size, pixel_size_nm, pixel_units)
    if pixel_units:
        steps.append("x in pixels (no physical size used)")
    unit = ch.unit
    name, sname = ("cpd_V", "std_V") if unit == "V" else ("value", "std")
    conv = kf.cpd_convention
    if flip_sign:
        from .io import SAMPLE_BIAS, TIP_BIAS
        conv = {SAMPLE_BIAS: TIP_BIAS, TIP_BIAS: SAMPLE_BIAS}.get(conv, conv + " (sign flipped)")
    meta = {"source_file": str(kf.path), "format": kf.format, "channel": ch.title, "unit": unit,
            "unit_source": ch.unit_source, "channel_note": ch.note, "processing": steps,
            "size_m": ch.size_m,
            "pixel_size_nm": None if pixel_units else (float(x[1] - x[0]) if x.size > 1 else None),
            "x_unit": "px" if pixel_units else "nm",
            "map_shape": list(ch.shape), "cpd_convention": conv, "reader_notes": list(kf.notes)}
    ln = "contact potential difference" if unit == "V" else ch.title
    prof = make_profile(x, {name: (mean, unit, ln),
                            sname: (std, unit, "standard deviation over the averaged pixels"),
                            "count": (n, "1", "number of averaged pixels")},
                        kind="measurement", metadata=meta, attrs={"cpd_convention": conv})
    if pixel_units:
        prof = prof.assign_coords(x=prof["x"].assign_attrs(units="px", long_name="position (pixel centres)"))
    return prof


def _profile_x(kf, ch, nx: int, size, pixel_size_nm, pixel_units: bool) -> np.ndarray:
    """The profile's x: nm from the scan size or ``pixel_size_nm``, or pixel centres when asked."""
    if pixel_units:
        if pixel_size_nm is not None:
            raise InputError("pixel_units=True and pixel_size_nm=VALUE were both given: choose one")
        return np.arange(nx) + 0.5
    if size is None and pixel_size_nm is None:
        why = ch.metadata.get("size_note") or "the file gives no physical size"
        raise InputError(f"KPFM file {str(kf.path)!r}: channel {ch.title!r} has no physical size ({why}); "
                         f"pass pixel_size_nm=VALUE (nm per pixel), or pixel_units=True for a profile in pixels")
    return x_axis_nm(nx, None if size is None else size[0], pixel_size_nm)


# ------------------------------------------------------------------------------------- drift
#: Alignments less correlated than this are refused unless forced (Pearson r at the best shift).
MIN_ALIGN_CORRELATION = 0.5
#: ... and so are alignments whose correlation is not significant: Fisher z = atanh(r)·sqrt(n/1.5 − 3)
#: over the n overlapping points (1.5: the gradient's central difference correlates neighbours) below
#: this. Profiles of pure noise searched over every shift stay below 5 (calibrated on 10^4 pairs,
#: 20 to 2048 points); clear steps reach 7 to 25.
MIN_ALIGN_SIGNIFICANCE = 6.0
#: Without an explicit bound, shifts beyond this fraction of the profile are refused unless forced.
MAX_ALIGN_FRACTION = 0.25


@dataclass(frozen=True)
class Alignment:
    """An x-drift found by cross-correlation, with how far it can be trusted.

    Attributes
    ----------
    shift_nm : float
        Shift ``s`` (nm) such that ``signal(x + s) ≈ reference(x)``.
    correlation : float
        Pearson correlation coefficient of the two (gradient) profiles over their overlap at the
        best whole-pixel shift, −1 … 1: the confidence of the shift.
    significance : float
        Fisher z of that correlation over the overlapping points (see
        :data:`MIN_ALIGN_SIGNIFICANCE`).
    overlap : float
        Fraction of the profile that overlaps after the shift (0 … 1).
    at_bound : bool
        The best shift lies on the bound of the search: the true drift may be larger.
    problems : tuple of str
        Why the shift is implausible (empty when it is plausible): correlation below
        :data:`MIN_ALIGN_CORRELATION` or not significant (:data:`MIN_ALIGN_SIGNIFICANCE`), peak on
        the search bound, or (without ``max_shift_nm``) a shift beyond :data:`MAX_ALIGN_FRACTION` of
        the profile.
    """

    shift_nm: float
    correlation: float
    significance: float
    overlap: float
    at_bound: bool
    problems: tuple[str, ...] = ()

    @property
    def plausible(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def xcorr_alignment(reference, signal, dx_nm: float = 1.0, max_shift_nm: float | None = None,
                    gradient: bool = True) -> Alignment:
    """x-drift of ``signal`` relative to ``reference`` by cross-correlation, with its confidence.

    Both are 1-D profiles on the same pixel grid (e.g. row-averaged topography or CPD). With
    ``gradient=True`` their derivatives are correlated, which ignores offsets and weights the steps
    (interfaces, grain edges). The peak is refined with a parabola through its three points.

    Parameters
    ----------
    reference, signal : array_like, shape (n,)
        The two profiles (any unit), n ≥ 4; NaN gaps are filled by interpolation.
    dx_nm : float
        Pixel size (nm).
    max_shift_nm : float, optional
        Largest shift searched (nm); half the profile by default.
    gradient : bool
        Correlate the derivatives instead of the profiles.

    Returns
    -------
    Alignment
        The shift (nm), its correlation coefficient, the overlap and why it is implausible, if it is.
    """
    r = np.asarray(reference, float)
    s = np.asarray(signal, float)
    if r.shape != s.shape or r.ndim != 1 or r.size < 4:
        raise InputError(f"cross-correlation needs two 1-D profiles of the same length (got {r.shape}, "
                         f"{s.shape})")
    r = fill_gaps(r)
    s = fill_gaps(s)
    if gradient:
        r, s = np.gradient(r), np.gradient(s)
    r = (r - r.mean()) / (r.std() or 1.0)
    s = (s - s.mean()) / (s.std() or 1.0)
    n = r.size
    kmax = n // 2 if max_shift_nm is None else max(1, min(n - 2, int(np.ceil(max_shift_nm / dx_nm))))
    full = np.correlate(s, r, mode="full")  # index n-1 is lag 0: sum_i s[i+k] r[i]
    lags = np.arange(-(n - 1), n)
    c = full / (n - np.abs(lags))
    sel = np.abs(lags) <= kmax
    c, lags = c[sel], lags[sel]
    i = int(np.argmax(c))
    frac = 0.0
    if 0 < i < c.size - 1:
        den = c[i - 1] - 2 * c[i] + c[i + 1]
        if den < 0:
            frac = 0.5 * (c[i - 1] - c[i + 1]) / den
    k = int(lags[i])
    a, b = (r[:n - k], s[k:]) if k >= 0 else (r[-k:], s[:n + k])
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = float(np.corrcoef(a, b)[0, 1]) if a.size > 2 and a.std() > 0 and b.std() > 0 else 0.0
    shift = float((k + frac) * dx_nm)
    at_bound = abs(k) >= kmax and kmax < n - 2
    m = a.size
    z = float(np.arctanh(min(max(corr, -0.999999), 0.999999)) * np.sqrt(max(m / 1.5 - 3.0, 1.0)))
    problems = []
    if not corr >= MIN_ALIGN_CORRELATION:
        problems.append(f"correlation {corr:.2f} at the best shift is below {MIN_ALIGN_CORRELATION}")
    elif z < MIN_ALIGN_SIGNIFICANCE:
        problems.append(f"correlation {corr:.2f} over {m} points is not significant (z = {z:.1f} < "
                        f"{MIN_ALIGN_SIGNIFICANCE:g}): noise can give as much")
    if at_bound:
        problems.append(f"the best shift lies on the bound of the search ({kmax * dx_nm:g} nm): the drift "
                        f"may be larger")
    if max_shift_nm is None and abs(k) > MAX_ALIGN_FRACTION * n:
        problems.append(f"the shift is {abs(k) / n:.0%} of the profile (more than {MAX_ALIGN_FRACTION:.0%}); "
                        f"bound the search with max_shift_nm if it is real")
    return Alignment(shift, corr, z, (n - abs(k)) / n, bool(at_bound), tuple(problems))


def xcorr_shift(reference, signal, dx_nm: float = 1.0, max_shift_nm: float | None = None,
                gradient: bool = True) -> float:
    """x-drift of ``signal`` relative to ``reference`` by cross-correlation (sub-pixel).

    The shift of :func:`xcorr_alignment` without its confidence (use that function to judge it).

    Parameters
    ----------
    reference, signal : array_like, shape (n,)
        The two profiles (any unit), n ≥ 4; NaN gaps are filled by interpolation.
    dx_nm : float
        Pixel size (nm).
    max_shift_nm : float, optional
        Largest shift searched (nm); half the profile by default.
    gradient : bool
        Correlate the derivatives instead of the profiles.

    Returns
    -------
    float
        Shift ``s`` in nm such that ``signal(x + s) ≈ reference(x)``: features of ``signal`` lie
        ``s`` nm to the right of those of ``reference``.
    """
    return xcorr_alignment(reference, signal, dx_nm, max_shift_nm, gradient).shift_nm


def align_to(profile: xr.Dataset, x_ref_nm, shift_nm: float) -> xr.Dataset:
    """Resample a Profile onto ``x_ref_nm`` after removing a drift ``shift_nm``.

    The value at x is the profile's value at ``x + shift`` (the drift from :func:`xcorr_shift`).
    Points outside the measured range become NaN (count 0).

    Parameters
    ----------
    profile : xarray.Dataset
        A measured Profile along x (nm).
    x_ref_nm : array_like
        The new positions (nm).
    shift_nm : float
        The drift to remove (nm).

    Returns
    -------
    xarray.Dataset
        The resampled Profile (same variables and units); ``metadata["drift_shift_nm"]`` records the shift.
    """
    x = profile["x"].values
    xr_ = np.asarray(x_ref_nm, float)
    out: dict = {}
    for v in profile.data_vars:
        da = profile[v]
        if da.dims != ("x",):
            continue
        vals = np.interp(xr_ + shift_nm, x, da.values.astype(float), left=np.nan, right=np.nan)
        if v == "count":
            vals = np.where(np.isfinite(vals), np.rint(vals), 0).astype(int)
        out[v] = (vals, da.attrs.get("units", ""), da.attrs.get("long_name", v))
    meta = dict(profile.ssb.metadata)
    meta["processing"] = list(meta.get("processing", [])) + [f"x-drift {shift_nm:+.3f} nm removed; "
                                                             f"resampled onto the reference x"]
    meta["drift_shift_nm"] = shift_nm
    return make_profile(xr_, out, kind="measurement", metadata=meta,
                        attrs={"cpd_convention": profile.attrs.get("cpd_convention")})


# ------------------------------------------------------------------------------- segmentation
def detect_steps(x_nm, values, n_steps: int | None = None, *, smooth_nm: float | None = None,
                 min_separation_nm: float | None = None, threshold: float = 4.0) -> np.ndarray:
    """Positions (nm) of steps in a profile: peaks of |d/dx| of the Gaussian-smoothed profile.

    Parameters
    ----------
    x_nm : array_like, shape (n,)
        Positions (nm), evenly spaced.
    values : array_like, shape (n,)
        The profile (any unit, e.g. V); NaN gaps are filled by interpolation.
    n_steps : int, optional
        Keep the ``n_steps`` largest steps; otherwise every peak above ``threshold`` robust standard
        deviations (1.4826·MAD) of the derivative.
    smooth_nm : float, optional
        Gaussian smoothing width in nm (default 2 pixels).
    min_separation_nm : float, optional
        Minimum distance between steps in nm (default 5 pixels).
    threshold : float
        Detection threshold in robust standard deviations of the derivative (1).

    Returns
    -------
    numpy.ndarray
        Step positions (nm), sub-pixel, in increasing order.
    """
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import find_peaks

    x = np.asarray(x_nm, float)
    y = fill_gaps(np.asarray(values, float))
    dx = float(np.median(np.diff(x)))
    sig = (smooth_nm / dx) if smooth_nm else 2.0
    d = np.abs(np.gradient(gaussian_filter1d(y, sig, mode="nearest"), x))
    dist = max(1, int(round((min_separation_nm / dx) if min_separation_nm else 5)))
    med = np.median(d)
    mad = 1.4826 * np.median(np.abs(d - med)) or (d.std() or 1.0)
    height = None if n_steps else med + threshold * mad
    peaks, props = find_peaks(d, distance=dist, height=height)
    if n_steps is not None:
        order = np.argsort(d[peaks])[::-1][:n_steps]
        peaks = np.sort(peaks[order])
    # sub-pixel position by a parabola through the peak
    pos = []
    for p in peaks:
        if 0 < p < d.size - 1:
            den = d[p - 1] - 2 * d[p] + d[p + 1]
            frac = 0.5 * (d[p - 1] - d[p + 1]) / den if den < 0 else 0.0
            pos.append(x[p] + frac * dx)
        else:
            pos.append(x[p])
    return np.asarray(pos, float)


def segment(profile: xr.Dataset, boundaries_nm=None, names: Sequence[str] | None = None, *,
            n_steps: int | None = None, var: str | None = None) -> xr.Dataset:
    """Label each x of a Profile with its layer.

    Parameters
    ----------
    profile : xarray.Dataset
        A measured Profile along x (nm).
    boundaries_nm : sequence of float, optional
        Layer boundaries (nm); when omitted they are found with :func:`detect_steps`.
    names : sequence of str, optional
        One name per layer (``len(boundaries) + 1``); ``layer0, layer1, ...`` by default.
    n_steps : int, optional
        Number of steps to find automatically.
    var : str, optional
        Variable used to find the steps; :func:`main_variable` by default.

    Returns
    -------
    xarray.Dataset
        The Profile with a ``layer`` coordinate and ``metadata["layer_boundaries_nm"]`` (nm).
    """
    var = var or main_variable(profile)
    x = profile["x"].values
    auto = boundaries_nm is None
    b = detect_steps(x, profile[var].values, n_steps) if auto else np.sort(np.asarray(boundaries_nm, float))
    names = list(names) if names is not None else [f"layer{i}" for i in range(b.size + 1)]
    if len(names) != b.size + 1:
        raise InputError(f"{b.size} boundaries need {b.size + 1} layer names, got {len(names)}: {names}")
    idx = np.searchsorted(b, x, side="right")
    out = profile.assign_coords(layer=("x", np.asarray(names, dtype=str)[idx]))
    meta = dict(profile.ssb.metadata)
    meta["layer_boundaries_nm"] = b
    meta["layer_names"] = names
    meta["processing"] = list(meta.get("processing", [])) + [
        f"segmented into {len(names)} layers at {np.round(b, 3).tolist()} nm "
        f"({'automatic step detection' if auto else 'user positions'})"]
    return with_metadata(out, meta)


# ------------------------------------------------------------------- referencing
def reference_to_base(profile: xr.Dataset, base) -> xr.Dataset:
    """CPD_base(x) = CPD(x) − CPD(base) (perspective Eq. 8): removes the tip work function.

    Parameters
    ----------
    profile : xarray.Dataset
        A measured Profile along x (nm).
    base : str or (float, float)
        A layer name (after :func:`segment`) or an x range in nm of the inert, never-lithiated base.

    Returns
    -------
    xarray.Dataset
        The Profile with ``cpd_base_V`` (V) added and ``metadata["base"]`` = {region, mean_V, sem_V}.
    """
    var = main_variable(profile)
    rm = region_mean(profile, base, var)
    out = profile.assign(cpd_base_V=(("x",), profile[var].values - rm.mean,
                                     {"units": "V", "long_name": "CPD relative to the base, CPD - CPD(base)"}))
    meta = dict(profile.ssb.metadata)
    meta["base"] = {"region": base, "mean_V": rm.mean, "sem_V": rm.sem, "n_pixels": rm.n_pixels}
    meta["processing"] = list(meta.get("processing", [])) + [
        f"referenced to the base {base!r}: CPD(base) = {rm.mean:.6g} ± {rm.sem:.2g} V"]
    return with_metadata(out, meta)


def delta_cpd(profile: xr.Dataset, reference: xr.Dataset, *, align: bool = False,
              max_shift_nm: float | None = None, force_align: bool = False) -> xr.Dataset:
    """ΔCPD(x) = CPD(x) − CPD_ref(x) (perspective Eq. 9) on the reference's x axis.

    With ``align=True`` the x-drift is first found by cross-correlating the two profiles
    (:func:`xcorr_shift`); otherwise the profile is interpolated onto the reference's x as is.
    The standard deviation is combined in quadrature: sqrt(std² + std_ref²).

    Parameters
    ----------
    profile : xarray.Dataset
        The measured Profile along x (nm), CPD in V.
    reference : xarray.Dataset
        The reference scan's Profile.
    align : bool
        Remove the x-drift found by cross-correlation first.
    max_shift_nm : float, optional
        Largest drift searched (nm).
    force_align : bool
        Apply a shift that :func:`xcorr_alignment` finds implausible (otherwise InputError).

    Returns
    -------
    xarray.Dataset
        On the reference's x: ``delta_cpd_V`` and ``delta_std_V`` (V) added; with ``align=True`` the
        metadata record the shift and its correlation (``drift_shift_nm``, ``drift_correlation``).
    """
    var, rvar = main_variable(profile), main_variable(reference)
    ux, urx = profile["x"].attrs.get("units", "nm"), reference["x"].attrs.get("units", "nm")
    if ux != urx:
        raise InputError(f"the profile's x is in {ux} and the reference's in {urx}: make both in nm "
                         f"(give the pixel size) or both in pixels")
    xr_ = reference["x"].values
    shift = 0.0
    if align:
        x = profile["x"].values
        y = np.interp(xr_, x, fill_gaps(profile[var].values.astype(float)))
        dx = float(np.median(np.diff(xr_)))
        al = xcorr_alignment(reference[rvar].values, y, dx, max_shift_nm)
        if al.problems and not force_align:
            raise InputError(f"x alignment of {profile.ssb.metadata.get('source_file', 'the profile')!r} is "
                             f"implausible (shift {al.shift_nm:+.3g} nm): {'; '.join(al.problems)}; align on "
                             f"another signal, set max_shift_nm, or apply it anyway with force_align=True")
        shift = al.shift_nm
    p = align_to(profile, xr_, shift)
    if align:
        p = with_metadata(p, {**p.ssb.metadata, "drift_correlation": al.correlation,
                              "drift_problems": list(al.problems)})
    d = p[var].values - reference[rvar].values
    s1 = p[std_variable(var)].values if std_variable(var) in p else np.zeros_like(d)
    s2 = reference[std_variable(rvar)].values if std_variable(rvar) in reference else np.zeros_like(d)
    meta = dict(p.ssb.metadata)
    meta["reference"] = reference.ssb.metadata.get("source_file", "reference profile")
    meta["processing"] = list(meta.get("processing", [])) + ["ΔCPD = CPD − CPD_ref (Eq. 9)"]
    out = p.assign(delta_cpd_V=(("x",), d, {"units": "V", "long_name": "CPD change against the reference scan"}),
                   delta_std_V=(("x",), np.sqrt(s1 ** 2 + s2 ** 2),
                                {"units": "V", "long_name": "standard deviation of delta CPD"}))
    return with_metadata(out, meta)
