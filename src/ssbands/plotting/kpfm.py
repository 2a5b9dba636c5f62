"""Figures of KPFM data and fits: maps, CPD profiles, operando series, Δf(V) fit maps, model fits.

Each function returns the :class:`matplotlib.figure.Figure`; pass ``path`` to also write it with
:func:`ssbands.plotting.save_figure` (atomically; PNG, SVG or PDF by extension; the figure is then
closed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..kpfm.processing import main_variable, std_variable
from ._core import pyplot, save_figure


def _finish(fig, path: str | Path | None, close: bool = True):
    if path is not None:
        save_figure(fig, path, close=close)
    return fig


def plot_map(channel, *, rows=None, path: str | Path | None = None, title: str | None = None):
    """The map with the profile region (rows averaged) outlined.

    Parameters
    ----------
    channel : ssbands.kpfm.io.Channel
        The map (its unit on the colour bar; axes in µm when the file gives the scan size in m).
    rows : (int, int) or slice, optional
        Rows ``[start, stop)`` averaged into the profile.
    path : str or Path, optional
        Write the figure there (``.png``, ``.svg`` or ``.pdf``).
    title : str, optional
        Axes title; the channel's title by default.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = pyplot()
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
    fig.tight_layout()
    return _finish(fig, path)


def plot_profile(profile, *, path: str | Path | None = None, var: str | None = None, ax=None,
                 label: str | None = None):
    """CPD(x) with its ±1 standard-deviation band (and layer boundaries when segmented).

    Parameters
    ----------
    profile : xarray.Dataset
        A measured Profile (:func:`ssbands.kpfm.processing.map_to_profile`), x in nm.
    path : str or Path, optional
        Write the figure there (``.png``, ``.svg`` or ``.pdf``).
    var : str, optional
        Variable to plot (V); ``delta_cpd_V``, ``cpd_V`` or ``value`` by default.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes (their figure is written but not closed).
    label : str, optional
        Legend label; the variable name by default.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = pyplot()
    var = var or main_variable(profile)
    x = profile["x"].values
    y = profile[var].values
    s = profile[std_variable(var)].values if std_variable(var) in profile else None
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(x, y, lw=1.5, label=label or var)
    if s is not None:
        ax.fill_between(x, y - s, y + s, alpha=0.3, lw=0, label="± 1 std")
    meta = profile.ssb.metadata
    for b in meta.get("layer_boundaries_nm", []) or []:
        ax.axvline(b, color="k", lw=0.8, ls=":")
    attrs = profile[var].attrs
    ax.set(xlabel="x (nm)", ylabel=f"{attrs.get('long_name', var)} ({attrs.get('units', '')})")
    ax.legend(fontsize=8)
    fig = ax.figure
    fig.tight_layout()
    return _finish(fig, path, close=own)


def plot_series(series, *, path: str | Path | None = None, var: str = "delta_cpd_V"):
    """ΔCPD(x) per OCV (one line per scan, with its ±std band).

    Parameters
    ----------
    series : xarray.Dataset
        An operando series (:func:`ssbands.kpfm.series.operando_series`) over (ocv, x), x in nm.
    path : str or Path, optional
        Write the figure there (``.png``, ``.svg`` or ``.pdf``).
    var : {"delta_cpd_V", "cpd_V"}
        ΔCPD or the CPD itself (V).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = pyplot()
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
    return _finish(fig, path)


def plot_fit_map(fit, size_m=None, *, path: str | Path | None = None):
    """CPD map from the Δf(V) parabola fits and the fit RMS (Hz); invalid pixels blank.

    Parameters
    ----------
    fit : ssbands.kpfm.spectroscopy.ParabolaFit
        The per-pixel fits (CPD in V, RMS in Hz).
    size_m : (float, float), optional
        Scan size (x, y) in m; axes in nm when given, else in pixels.
    path : str or Path, optional
        Write the figure there (``.png``, ``.svg`` or ``.pdf``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = pyplot()
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.8))
    ext = None if size_m is None else (0, size_m[0] * 1e9, 0, size_m[1] * 1e9)
    cpd = np.where(fit.valid, fit.cpd_V, np.nan)
    for ax, data, lab in ((axs[0], cpd, "CPD = vertex bias (V)"), (axs[1], fit.rms_Hz, "fit RMS (Hz)")):
        im = ax.imshow(data, origin="lower", extent=ext, cmap="viridis")
        fig.colorbar(im, ax=ax, label=lab)
        ax.set(xlabel="x (nm)" if ext else "x (pixel)", ylabel="y (nm)" if ext else "y (pixel)")
    fig.tight_layout()
    return _finish(fig, path)


# ------------------------------------------------------------------------------------------------
# model fits (ssbands.kpfm.fit)


def plot_fit(result, *, path: str | Path | None = None, decomposition: bool = True):
    """Measured ΔCPD(x) per OCV with the model overlay, the residuals and the decomposition.

    The optional third panel splits the fitted ΔCPD into −ΔΦ/e and ΔV. Returns the Figure;
    ``path`` saves it.

    Parameters
    ----------
    result : ssbands.kpfm.fit.FitResult
        The fit (ΔCPD in V, x in nm of the measured axis).
    path : str or Path, optional
        Write the figure there (``.png``, ``.svg`` or ``.pdf``).
    decomposition : bool
        Add a panel with −ΔΦ/e (solid) and ΔV (dashed) of each OCV (V).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = pyplot()
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
    return _finish(fig, path)


def plot_decomposition(result, *, path: str | Path | None = None):
    """The fitted ΔCPD of each OCV split into −ΔΦ/e and ΔV (one panel per part, and their sum).

    Parameters
    ----------
    result : ssbands.kpfm.fit.FitResult
        The fit (ΔCPD in V, x in nm of the measured axis).
    path : str or Path, optional
        Write the figure there (``.png``, ``.svg`` or ``.pdf``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = pyplot()
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
    for ax, t in zip(axs, ("−ΔΦ/e (work function)", "ΔV (electrode potential)", "ΔCPD = −ΔΦ/e + ΔV"), strict=True):
        ax.axhline(0, color="k", lw=0.5)
        ax.set(title=t, xlabel="x (nm, measured)")
    axs[0].set_ylabel("V")
    axs[0].legend(fontsize=7, title="OCV", title_fontsize=7)
    fig.tight_layout()
    return _finish(fig, path)
