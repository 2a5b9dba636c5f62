"""Statistics of measured CPD profiles and maps.

Region means and interface steps with their uncertainties, grain boundaries versus grain interiors,
correlation lengths of a map.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import InputError
from ._common import load_mask, main_variable, region_selection, std_variable


@dataclass(frozen=True)
class RegionMean:
    """Mean of a profile over a region and its standard error (V).

    Attributes
    ----------
    mean : float
        Pixel-weighted mean (unit of the variable, V for CPD).
    sem : float
        Its standard error (same unit).
    sd : float
        Pooled standard deviation of the pixels (same unit).
    n_pixels : int
        Number of pooled pixels.
    n_points : int
        Number of x positions.
    """

    mean: float
    sem: float
    sd: float
    n_pixels: int
    n_points: int


def region_mean(profile: xr.Dataset, region, var: str | None = None) -> RegionMean:
    """Pixel-weighted mean of a profile over ``region`` and its standard error.

    Estimator: the pooled pixels of the region (each x carries its mean m_i, standard deviation
    s_i and pixel count n_i) have mean M = Σ n_i m_i / N and variance
    V = [Σ (n_i − 1) s_i² + Σ n_i (m_i − M)²] / (N − 1) (within- plus between-column spread).
    The standard error is sqrt(V / N). Pixels of a KPFM map are correlated (instrument response),
    so this is a lower bound; :func:`interface_step` can use the spread of the column means instead.
    A profile without counts is treated as one pixel per point.

    Parameters
    ----------
    profile : xarray.Dataset
        A measured Profile along x (nm), with ``count`` and the standard deviation where available.
    region : str or (float, float)
        A layer name (after :func:`segment`) or an x range in nm.
    var : str, optional
        The variable (V for CPD); :func:`main_variable` by default.

    Returns
    -------
    RegionMean
    """
    var = var or main_variable(profile)
    sel = region_selection(profile, region)
    m = profile[var].values[sel].astype(float)
    sv = std_variable(var)
    s = profile[sv].values[sel].astype(float) if sv in profile else np.zeros_like(m)
    n = profile["count"].values[sel].astype(float) if "count" in profile else np.ones_like(m)
    ok = np.isfinite(m) & (n > 0)
    m, s, n = m[ok], np.nan_to_num(s[ok]), n[ok]
    if m.size == 0:
        raise InputError(f"region {region!r} has no valid points")
    N = n.sum()
    M = float((n * m).sum() / N)
    if N > 1:
        V = float(((n - 1) * s * s).sum() + (n * (m - M) ** 2).sum()) / (N - 1)
    else:
        V = np.nan
    return RegionMean(M, float(np.sqrt(V / N)) if N > 1 else float("nan"), float(np.sqrt(V)) if N > 1
                      else float("nan"), int(N), int(m.size))


@dataclass(frozen=True)
class Step:
    """An interface step ``right − left`` with its uncertainty (V).

    Attributes
    ----------
    step_V : float
        mean(right) − mean(left) (V).
    sigma_V : float
        Its uncertainty (V).
    left, right : RegionMean
        The two side means.
    estimator : str
        How ``sigma_V`` was estimated (see :func:`interface_step`).
    """

    step_V: float
    sigma_V: float
    left: RegionMean
    right: RegionMean
    estimator: str

    def __str__(self) -> str:
        # two significant digits of the uncertainty, the value to the same decimal
        d = 3 if not np.isfinite(self.sigma_V) or self.sigma_V <= 0 else \
            max(0, 1 - int(np.floor(np.log10(self.sigma_V))))
        return f"{self.step_V:.{d}f} ± {self.sigma_V:.{d}f} V"

    def to_dict(self) -> dict:
        """Plain form (nested dicts; values in V).

        Returns
        -------
        dict
        """
        return asdict(self)


def interface_step(profile: xr.Dataset, left, right, *, var: str | None = None,
                   estimator: str = "sem") -> Step:
    """Potential step across an interface: mean(right) − mean(left) with its uncertainty.

    Parameters
    ----------
    profile : xarray.Dataset
        A measured Profile along x (nm).
    left, right : str or (float, float)
        Layer names or x ranges (nm) on each side, away from the interface itself.
    var : str, optional
        The variable (V for CPD); :func:`main_variable` by default.
    estimator : {"sem", "points", "sd"}
        ``"sem"``: standard errors of the pixel-weighted side means (:func:`region_mean`), combined
        in quadrature, σ = sqrt(SE_L² + SE_R²). ``"points"``: standard errors from the scatter of
        the column means only, SE = sd(m_i)/sqrt(n_points), which counts each x once (more
        conservative where pixels along y are correlated). ``"sd"``: the pooled standard
        deviations combined, sqrt(sd_L² + sd_R²), the spread a single-pixel measurement would see.

    Returns
    -------
    Step
        e.g. ``0.257 ± 0.065 V``.
    """
    var = var or main_variable(profile)
    L, R = region_mean(profile, left, var), region_mean(profile, right, var)
    if estimator == "sem":
        sl, sr = L.sem, R.sem
    elif estimator == "sd":
        sl, sr = L.sd, R.sd
    elif estimator == "points":
        def pts(region):
            sel = region_selection(profile, region)
            m = profile[var].values[sel]
            m = m[np.isfinite(m)]
            return float(np.std(m, ddof=1) / np.sqrt(m.size)) if m.size > 1 else float("nan")
        sl, sr = pts(left), pts(right)
    else:
        raise InputError(f"estimator must be 'sem', 'points' or 'sd', got {estimator!r}")
    return Step(R.mean - L.mean, float(np.hypot(sl, sr)), L, R, estimator)


# --------------------------------------------------------------------------- grain boundaries
def grain_boundary_stats(z, gb_mask, exclude=None) -> dict:
    """Statistics of a map on grain boundaries versus grain interiors.

    Parameters
    ----------
    z : array_like, shape (ny, nx)
        The map (e.g. CPD in V).
    gb_mask : array_like of bool or path
        True (nonzero) = grain-boundary pixel (e.g. the RamadanLab 2-pixel GB mask).
    exclude : array_like of bool, optional
        Pixels to ignore altogether.

    Returns
    -------
    dict
        ``gb`` and ``grain``: mean, sd, n; ``difference`` = mean(GB) − mean(grain) with its Welch
        standard error, and ``significant`` when |difference| > 2 standard errors *and* exceeds
        ``1e-3 × sd(grain)``. Pixels are correlated, so the standard error is a lower bound.
    """
    z = np.asarray(z, float)
    if isinstance(gb_mask, (str, Path)):
        gb_mask = load_mask(gb_mask, z.shape)
    gb = np.asarray(gb_mask) != 0
    if gb.shape != z.shape:
        raise InputError(f"grain-boundary mask of shape {gb.shape} does not match the map {z.shape}")
    ok = np.isfinite(z)
    if exclude is not None:
        ok &= ~np.asarray(exclude, bool)
    a, b = z[ok & gb], z[ok & ~gb]
    if a.size < 2 or b.size < 2:
        raise InputError(f"need at least 2 boundary and 2 interior pixels, got {a.size} and {b.size}")
    ma, mb = float(a.mean()), float(b.mean())
    sa, sb = float(a.std(ddof=1)), float(b.std(ddof=1))
    se = float(np.sqrt(sa ** 2 / a.size + sb ** 2 / b.size))
    lx, ly = correlation_length_px(np.where(ok, z, np.nan))
    area = max(1.0, lx * ly)
    se_eff = float(np.sqrt(sa ** 2 * area / a.size + sb ** 2 * area / b.size))
    diff = ma - mb
    return {"gb": {"mean": ma, "sd": sa, "n": int(a.size)},
            "grain": {"mean": mb, "sd": sb, "n": int(b.size)},
            "difference": diff, "difference_se": se, "difference_se_correlated": se_eff,
            "correlation_length_px": [lx, ly],
            "significant": bool(abs(diff) > 2 * se_eff),
            "estimator": ("mean(GB) - mean(grain); Welch standard error sqrt(sd_gb²/n_gb + sd_g²/n_g) "
                          "and the same with n divided by the correlation area lx*ly (pixels) of the "
                          "map; significant when |difference| > 2 x the correlated standard error")}


def correlation_length_px(z) -> tuple[float, float]:
    """1/e correlation lengths (pixels) of a map along x and y.

    From the row/column-averaged autocorrelation (FFT, NaN pixels set to the mean); used to count
    independent pixels.

    Parameters
    ----------
    z : array_like, shape (ny, nx)
        The map (any unit); NaN = missing pixel.

    Returns
    -------
    (float, float)
        Correlation lengths along x and y in pixels (at least 1).
    """
    z = np.asarray(z, float)
    ok = np.isfinite(z)
    if not ok.any():
        return 1.0, 1.0
    d = np.where(ok, z - z[ok].mean(), 0.0)

    def one(a, axis):
        n = a.shape[axis]
        f = np.fft.rfft(a, n=2 * n, axis=axis)
        ac = np.fft.irfft(f * np.conj(f), axis=axis)
        ac = np.take(ac, np.arange(n), axis=axis).sum(axis=1 - axis)
        if ac[0] <= 0:
            return 1.0
        ac = ac / ac[0] * n / (n - np.arange(n))
        below = np.nonzero(ac < np.exp(-1))[0]
        if below.size == 0:
            return float(n)
        k = int(below[0])
        # linear interpolation of the crossing
        return float(k - 1 + (ac[k - 1] - np.exp(-1)) / (ac[k - 1] - ac[k])) if k > 0 else 1.0

    return max(1.0, one(d, 1)), max(1.0, one(d, 0))
