"""Nyquist and Bode figures of impedance spectra, with the equivalent-circuit fit and measured data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ._core import pyplot, save_figure

__all__ = ["nyquist", "bode", "impedance_figure"]


def _z(ds: xr.Dataset, prefix: str = "Z"):
    re, im = f"{prefix}_real_ohm_cm2", f"{prefix}_imag_ohm_cm2"
    if re not in ds:
        return None
    return ds[re].values + 1j * ds[im].values


def nyquist(ds: xr.Dataset, ax=None, *, data=None, fit: bool = True, label: str = "model"):
    """Nyquist plot (−Z″ against Z′, Ω cm², equal axes) of an impedance Dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`ssbands.impedance.impedance`.
    ax : matplotlib Axes, optional
    data : EISData, optional
        Measured spectrum to overlay (points).
    fit : bool
        Draw the equivalent-circuit fit when the Dataset has one.
    label : str
        Legend label of the model.

    Returns
    -------
    matplotlib Axes
    """
    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.4))
    Z = _z(ds)
    ax.plot(Z.real, -Z.imag, "-", color="C0", lw=1.6, label=label)
    Zf = _z(ds, "Z_fit") if fit else None
    if Zf is not None:
        ax.plot(Zf.real, -Zf.imag, "--", color="C3", lw=1.0, label="equivalent circuit")
    if data is not None:
        ax.plot(data.Z_ohm_cm2.real, -data.Z_ohm_cm2.imag, "o", ms=3, mfc="none", color="k", label="measured")
    ax.set_xlabel("Z′ (Ω cm²)")
    ax.set_ylabel("−Z″ (Ω cm²)")
    zr = float(np.nanmax(Z.real))
    if np.isfinite(zr) and zr > 0 and float(np.nanmax(-Z.imag)) > 3 * zr:
        # a blocking (capacitive) tail would hide the arcs: show the arcs, say the tail is cut
        ax.set_xlim(-0.05 * zr, 1.6 * zr)
        ax.set_ylim(-0.05 * zr, 1.6 * zr)
        ax.set_aspect("equal", adjustable="box")
        ax.text(0.02, 0.97, "low-frequency capacitive tail cut off", transform=ax.transAxes, fontsize=7,
                va="top", color="0.4")
    else:
        ax.set_aspect("equal", adjustable="datalim")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def bode(ds: xr.Dataset, axes=None, *, data=None, fit: bool = True):
    """Bode plot (|Z| and phase against frequency) of an impedance Dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`ssbands.impedance.impedance`.
    axes : (Axes, Axes), optional
        Magnitude and phase axes.
    data : EISData, optional
        Measured spectrum to overlay.
    fit : bool
        Draw the equivalent-circuit fit when present.

    Returns
    -------
    (Axes, Axes)
    """
    plt = pyplot()
    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(5.2, 5.0), sharex=True)
    a1, a2 = axes
    f = ds["frequency"].values
    curves = [(_z(ds), "-", "C0", "model")]
    if fit and _z(ds, "Z_fit") is not None:
        curves.append((_z(ds, "Z_fit"), "--", "C3", "equivalent circuit"))
    for Z, ls, c, lab in curves:
        a1.loglog(f, np.abs(Z), ls, color=c, label=lab)
        a2.semilogx(f, -np.degrees(np.angle(Z)), ls, color=c)
    if data is not None:
        a1.loglog(data.frequency_Hz, np.abs(data.Z_ohm_cm2), "o", ms=3, mfc="none", color="k", label="measured")
        a2.semilogx(data.frequency_Hz, -np.degrees(np.angle(data.Z_ohm_cm2)), "o", ms=3, mfc="none", color="k")
    a1.set_ylabel("|Z| (Ω cm²)")
    a2.set_ylabel("−phase (°)")
    a2.set_xlabel("frequency (Hz)")
    for a in axes:
        a.grid(alpha=0.3, which="both")
    a1.legend(fontsize=8)
    return a1, a2


def impedance_figure(ds: xr.Dataset, path: str | Path | None = None, *, data=None, title: str | None = None):
    """Nyquist and Bode panels side by side; written to ``path`` when given.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`ssbands.impedance.impedance`.
    path : str or Path, optional
        Output file (.png, .svg or .pdf).
    data : EISData, optional
        Measured spectrum to overlay.
    title : str, optional
        Figure title (default: electrolyte, OCV, electrodes, transport).

    Returns
    -------
    matplotlib Figure, or the written Path when ``path`` is given
    """
    plt = pyplot()
    fig = plt.figure(figsize=(10.5, 4.6))
    gs = fig.add_gridspec(2, 2, width_ratios=(1.1, 1.0))
    nyquist(ds, fig.add_subplot(gs[:, 0]), data=data)
    a1 = fig.add_subplot(gs[0, 1])
    bode(ds, (a1, fig.add_subplot(gs[1, 1], sharex=a1)), data=data)
    a = ds.attrs
    if title is None and "electrolyte" in a:
        el = str(a.get("electrodes", ""))
        title = (f"{a['electrolyte']} ({a.get('thickness_nm', float('nan')):g} nm), "
                 f"OCV {a.get('ocv_V', float('nan')):g} V, "
                 f"{el} electrodes, {a.get('transport', '')}")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    if path is not None:
        return save_figure(fig, path)
    return fig
