"""Δf(V) spectroscopy grids: a parabola per pixel whose vertex is the local CPD.

In frequency-modulation KPFM the frequency shift depends on the bias as
Δf(V) = a·(V − V*)² + Δf*, with a < 0 (the electrostatic force gradient pulls the tip), and the
bias V* of the vertex nulls the contact potential: V* is the local CPD in the convention of the
instrument (Nanonis applies the bias to the sample).

The fit is linear least squares on all pixels at once: with u = (V − V̄)/s (centred and scaled for
conditioning), Δf = c0 + c1·u + c2·u² is solved from the 3×3 normal equations of every pixel in one
batched call (pixels with NaN samples use only their finite samples). V* = V̄ + s·(−c1 / 2c2),
a = c2 / s², Δf* = c0 − c1² / 4c2, and the fit RMS is sqrt(mean residual²) in Hz.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class ParabolaFit:
    """Per-pixel parabola fit of Δf(V).

    Attributes
    ----------
    cpd_V : ndarray
        Bias of the vertex V* (V); NaN where the fit is invalid.
    curvature_Hz_per_V2 : ndarray
        a (Hz/V²); negative for a normal electrostatic response.
    df_vertex_Hz : ndarray
        Δf at the vertex (Hz).
    rms_Hz : ndarray
        RMS of the fit residuals (Hz).
    valid : ndarray of bool
        Fit solvable, curvature negative (or positive when ``expect_negative=False``) and the vertex
        inside the swept bias range.
    in_range : ndarray of bool
        Vertex inside the swept bias range.
    n_points : ndarray of int
        Finite samples used per pixel.
    """

    cpd_V: np.ndarray
    curvature_Hz_per_V2: np.ndarray
    df_vertex_Hz: np.ndarray
    rms_Hz: np.ndarray
    valid: np.ndarray
    in_range: np.ndarray
    n_points: np.ndarray

    @property
    def rms_total_Hz(self) -> float:
        """RMS of the residuals over all valid pixels (Hz)."""
        r = self.rms_Hz[self.valid]
        return float(np.sqrt(np.mean(r ** 2))) if r.size else float("nan")


def fit_parabola(bias_V, df_Hz, *, expect_negative: bool = True) -> ParabolaFit:
    """Fit Δf(V) = a(V − V*)² + Δf* to every pixel.

    Parameters
    ----------
    bias_V : array_like, shape (n,) or (..., n)
        Bias sweep (V), shared by all pixels or one per pixel.
    df_Hz : array_like, shape (..., n)
        Frequency shift (Hz); NaN samples are ignored.
    expect_negative : bool
        FM-KPFM parabolas open downwards (a < 0); pixels with the other curvature are invalid.

    Returns
    -------
    ParabolaFit
    """
    f = np.asarray(df_Hz, float)
    v = np.asarray(bias_V, float)
    if f.ndim < 1 or f.shape[-1] < 3:
        raise InputError(f"Δf(V) data of shape {f.shape} need at least 3 bias points per pixel")
    if v.shape != f.shape and v.shape != f.shape[-1:]:
        raise InputError(f"bias of shape {v.shape} does not match Δf of shape {f.shape}")
    vmin, vmax = np.nanmin(v, axis=-1), np.nanmax(v, axis=-1)
    vbar = np.nanmean(v)
    s = float(np.nanstd(v)) or 1.0
    u = (v - vbar) / s
    ok = np.isfinite(f) & np.isfinite(u)
    shared = v.ndim == 1 and ok.all()
    if shared:
        a = np.stack([np.ones_like(u), u, u * u], axis=1)  # (n, 3)
        coef = f.reshape(-1, f.shape[-1]) @ np.linalg.pinv(a).T  # (npix, 3)
        coef = coef.reshape(f.shape[:-1] + (3,))
        good = np.ones(f.shape[:-1], bool)
        npts = np.full(f.shape[:-1], f.shape[-1])
        fit = coef @ a.T
        res = f - fit
        rms = np.sqrt(np.mean(res * res, axis=-1))
    else:
        ub = np.broadcast_to(u, f.shape)
        w = ok.astype(float)
        uu = np.where(ok, ub, 0.0)
        ff = np.where(ok, f, 0.0)
        p = [w.sum(-1)] + [(w * uu ** k).sum(-1) for k in range(1, 5)]
        m = np.stack([np.stack([p[0], p[1], p[2]], -1), np.stack([p[1], p[2], p[3]], -1),
                      np.stack([p[2], p[3], p[4]], -1)], -2)
        t = np.stack([ff.sum(-1), (ff * uu).sum(-1), (ff * uu * uu).sum(-1)], -1)
        npts = ok.sum(-1)
        det = np.linalg.det(m)
        good = (npts >= 3) & (np.abs(det) > 1e-12 * np.maximum(p[0], 1) ** 3)
        m = np.where(good[..., None, None], m, np.eye(3))
        coef = np.linalg.solve(m, t[..., None])[..., 0]
        fit = coef[..., :1] + coef[..., 1:2] * ub + coef[..., 2:3] * ub * ub
        res = np.where(ok, f - fit, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rms = np.sqrt((res * res).sum(-1) / npts)
    c0, c1, c2 = coef[..., 0], coef[..., 1], coef[..., 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        ustar = -c1 / (2 * c2)
        vstar = vbar + s * ustar
        curv = c2 / s ** 2
        fstar = c0 - c1 * c1 / (4 * c2)
    good &= np.isfinite(vstar) & (c2 != 0)
    in_range = good & (vstar >= vmin) & (vstar <= vmax)
    sign_ok = (curv < 0) if expect_negative else (curv > 0)
    valid = good & sign_ok & in_range
    nan = np.nan
    return ParabolaFit(np.where(good, vstar, nan), np.where(good, curv, nan), np.where(good, fstar, nan),
                       np.where(good, rms, nan), valid, in_range, np.asarray(npts))


def fit_grid(kfile, channel: str = "Frequency Shift", *, expect_negative: bool = True) -> ParabolaFit:
    """Fit the Δf(V) parabola at every pixel of a spectroscopy grid.

    A Nanonis ``.3ds`` grid, or a ``.dat`` point spectrum read as a 1 x 1 grid. The sweep must be
    a bias in V (its signal named so in the header).

    Parameters
    ----------
    kfile : KPFMFile or path
        A read grid file, or a path to read.
    channel : str
        The Δf channel (case-insensitive; unit Hz).
    expect_negative : bool
        FM-KPFM parabolas open downwards (a < 0); pixels with the other curvature are invalid.

    Returns
    -------
    ParabolaFit
        Per pixel (ny, nx): CPD (V), curvature (Hz/V²), Δf at the vertex and fit RMS (Hz).
    """
    from .io import KPFMFile, read

    kf = kfile if isinstance(kfile, KPFMFile) else read(kfile)
    if kf.sweep is None:
        raise InputError(f"KPFM file {str(kf.path)!r} ({kf.format}) is not a spectroscopy grid: it has no "
                         f"bias sweep. Its channels: {kf.describe_channels()}")
    ch = kf.channel(channel)
    if ch.data.ndim != 3 or ch.data.shape[-1] != kf.sweep.size:
        raise InputError(f"channel {ch.title!r} of {str(kf.path)!r} has shape {ch.shape}, not "
                         f"(ny, nx, {kf.sweep.size})")
    if ch.unit != "Hz":
        raise InputError(f"channel {ch.title!r} of {str(kf.path)!r} has unit {ch.unit!r}, not Hz: name "
                         f"the frequency-shift channel")
    sweep = str(kf.metadata.get("sweep_signal") or "")
    if not re.search(r"\(V\)\s*$", sweep):
        raise InputError(f"KPFM file {str(kf.path)!r}: the sweep is {sweep or 'not named in the header'!r}, not a "
                         f"bias in V, so the vertex of Δf is not a CPD")
    if not np.isfinite(ch.data).any():
        raise InputError(f"channel {ch.title!r} of {str(kf.path)!r} holds no finite value")
    return fit_parabola(kf.sweep, ch.data, expect_negative=expect_negative)
