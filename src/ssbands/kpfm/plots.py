"""Figures of KPFM data (matplotlib, imported lazily with the Agg backend).

Each function returns the :class:`matplotlib.figure.Figure`; pass ``path`` to also save it
(atomically; the format follows the extension).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo"):
        matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path):
    if path is not None:
        from ..profile import atomic_write

        p = Path(path)
        fmt = p.suffix.lstrip(".") or "png"
        atomic_write(p, lambda tmp: fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight"))
        from .io import _public_mode

        _public_mode(p)
    return fig


def plot_map(channel, *, rows=None, path=None, title: str | None = None):
    """The map with the profile region (rows averaged) outlined.

    Parameters
    ----------
    channel : ssbands.kpfm.io.Channel
    rows : (int, int) or slice, optional
        Rows ``[start, stop)`` averaged into the profile.
    """
    plt = _plt()
    z = channel.data
    ny, nx = z.shape
    if channel.size_m is not None:
        ext = (0, channel.size_m[0] * 1e6, 0, channel.size_m[1] * 1e6)
        xl, yl = "x (µm)", "y (µm)"
    else:
        ext = (0, nx, 0, ny)
        xl, yl = "x (pixel)", "y (pixel)"
    fig, ax = plt.subplots(figsize=(5, 4.2))
    im = ax.imshow(z, origin="upper", extent=ext, cmap="viridis", aspect="auto")
    fig.colorbar(im, ax=ax, label=f"{channel.title} ({channel.unit or 'a.u.'})")
    if rows is not None:
        r0, r1 = (rows.start or 0, rows.stop or ny) if isinstance(rows, slice) else rows
        h = (ext[3] - ext[2]) / ny
        y_top, y_bot = ext[3] - r0 * h, ext[3] - r1 * h
        ax.add_patch(plt.Rectangle((ext[0], y_bot), ext[1] - ext[0], y_top - y_bot, fill=False,
                                   edgecolor="w", lw=1.5, ls="--", label="profile region"))
        ax.legend(loc="upper right", fontsize=8)
    ax.set(xlabel=xl, ylabel=yl, title=title or channel.title)
    return _save(fig, path)


def plot_profile(profile, *, path=None, var: str | None = None, ax=None, label: str | None = None):
    """CPD(x) with its ±1 standard-deviation band (and layer boundaries when segmented)."""
    plt = _plt()
    from .processing import _main_var, _std_var

    var = var or _main_var(profile)
    x = profile["x"].values
    y = profile[var].values
    s = profile[_std_var(var)].values if _std_var(var) in profile else None
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(x, y, lw=1.5, label=label or var)
    if s is not None:
        ax.fill_between(x, y - s, y + s, alpha=0.3, lw=0, label="± 1 std")
    meta = profile.ssb.metadata
    for b in meta.get("layer_boundaries_nm", []) or []:
        ax.axvline(b, color="k", lw=0.8, ls=":")
    ax.set(xlabel="x (nm)", ylabel=f"{profile[var].attrs.get('long_name', var)} ({profile[var].attrs.get('units', '')})")
    ax.legend(fontsize=8)
    fig = fig or ax.figure
    fig.tight_layout()
    return _save(fig, path)


def plot_series(series, *, path=None, var: str = "delta_cpd_V"):
    """ΔCPD(x) per OCV (one line per scan, with its ±std band)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ocv = series["ocv"].values
    cmap = plt.get_cmap("plasma")
    x = series["x"].values
    sd = series["delta_std_V"].values if var == "delta_cpd_V" else series["std_V"].values
    for i, v in enumerate(ocv):
        c = cmap(i / max(1, len(ocv) - 1) * 0.85)
        y = series[var].values[i]
        ax.plot(x, y, color=c, lw=1.4, label=f"OCV {v:g} V")
        ax.fill_between(x, y - sd[i], y + sd[i], color=c, alpha=0.2, lw=0)
    ax.axhline(0, color="k", lw=0.6)
    ax.set(xlabel="x (nm)", ylabel="ΔCPD (V)" if var == "delta_cpd_V" else "CPD (V)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_fit_map(fit, size_m=None, *, path=None):
    """CPD map from the Δf(V) parabola fits and the fit RMS (Hz); invalid pixels blank."""
    plt = _plt()
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.8))
    ext = None if size_m is None else (0, size_m[0] * 1e9, 0, size_m[1] * 1e9)
    cpd = np.where(fit.valid, fit.cpd_V, np.nan)
    for ax, data, lab in ((axs[0], cpd, "CPD = vertex bias (V)"), (axs[1], fit.rms_Hz, "fit RMS (Hz)")):
        im = ax.imshow(data, origin="lower", extent=ext, cmap="viridis")
        fig.colorbar(im, ax=ax, label=lab)
        ax.set(xlabel="x (nm)" if ext else "x (pixel)", ylabel="y (nm)" if ext else "y (pixel)")
    fig.tight_layout()
    return _save(fig, path)
