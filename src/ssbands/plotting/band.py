"""Publication-quality figures of Profiles (matplotlib, imported lazily, Agg backend by default)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import InputError
from ._core import pyplot, save_figure

_ROLE_COLORS = {"current-collector": "#d9b38c", "anode": "#a6cee3", "electrolyte": "#f2f2c0",
                "cathode": "#fbb4ae", "base": "#cccccc"}




def _shade_layers(ax, ds: xr.Dataset, label=True, xlim=None):
    starts, ends = ds["layer_x_start_nm"].values, ds["layer_x_end_nm"].values
    for name, role, a, b in zip(ds["layer_name"].values, ds["layer_role"].values, starts, ends, strict=True):
        ax.axvspan(a, b, color=_ROLE_COLORS.get(str(role), "#eeeeee"), alpha=0.55, lw=0, zorder=0)
        if label:
            lo, hi = (xlim if xlim is not None else (starts[0], ends[-1]))
            if b > lo and a < hi:
                xc = 0.5 * (max(a, lo) + min(b, hi))
                ax.text(xc, 1.01, str(name), transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                        fontsize=8)


def _one_state(ds: xr.Dataset, ocv) -> xr.Dataset:
    if "ocv" in ds.dims:
        if ocv is None:
            if ds.sizes["ocv"] != 1:
                raise InputError("the Profile holds several OCVs; choose one with ocv=...")
            return ds.isel(ocv=0)
        return ds.sel(ocv=ocv, method="nearest")
    return ds


def band_diagram(ds: xr.Dataset, path: str | Path | None = None, ocv=None, zoom_nm: float | None = None):
    """Band diagram of a cell: E_vac, E_F, band edges (where known), μ̄_Li⁺ line, and φ.

    The top panel shows the whole cell with its layers shaded and named; the bottom panels zoom into
    the two electrode|electrolyte interfaces, where the space-charge layers (Å to nm) are.

    Returns the matplotlib Figure (and writes ``path`` if given: PNG, SVG or PDF by extension).
    """
    plt = pyplot()
    d = _one_state(ds, ocv)
    x = d["x"].values
    fig = plt.figure(figsize=(9, 6.4), constrained_layout=True)
    gs = fig.add_gridspec(2, 2, height_ratios=[1.5, 1])
    ax = fig.add_subplot(gs[0, :])
    _shade_layers(ax, d)
    ax.plot(x, d["E_vac_eV"], color="k", lw=1.6, label=r"$E_\mathrm{vac}$")
    ax.plot(x, d["E_F_eV"], color="tab:blue", lw=1.6, label=r"$E_F=\bar\mu_e$")
    if np.isfinite(d["E_CBM_eV"].values).any():
        ax.plot(x, d["E_CBM_eV"], color="tab:red", lw=1.2, label=r"$E_\mathrm{CBM}$")
        ax.plot(x, d["E_VBM_eV"], color="tab:green", lw=1.2, label=r"$E_\mathrm{VBM}$")
    ax.plot(x, d["mu_bar_Li_eV"], color="tab:purple", lw=1.0, ls="--", label=r"$\bar\mu_{\mathrm{Li}^+}$")
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel("x (nm)")
    ax.set_ylabel("electron energy (eV)  [E_F(ground) = 0]")
    title = f"OCV = {float(d['ocv']):.3g} V, closure: {d.attrs.get('closure')}, ground: {d.attrs.get('ground')}"
    ax.set_title(title, fontsize=10, pad=16)
    ax.legend(loc="best", fontsize=8, ncol=2, framealpha=0.85)
    notes = d.ssb.metadata.get("notes", [])
    if any("ionization_potential_eV is unknown" in n for n in notes):
        ax.text(0.01, 0.02, "electrolyte band edges not shown: ionization potential unknown", fontsize=7,
                transform=ax.transAxes, color="0.3")
    # zooms at the two SCLs
    xl = float(d["layer_x_start_nm"].values[list(d["layer_role"].values).index("electrolyte")])
    xr_ = float(d["layer_x_end_nm"].values[list(d["layer_role"].values).index("electrolyte")])
    if zoom_nm is None:
        w = (np.nanmax(d["iface_debye_length_A"].values) * 0.1 * 6
             + np.nanmax(d["iface_saturated_width_A"].values) * 0.1 * 2)
        zoom_nm = float(np.clip(w, 1.0, 0.5 * (xr_ - xl)))
    for j, xc in enumerate((xl, xr_)):
        a2 = fig.add_subplot(gs[1, j])
        lim = (xc - zoom_nm, xc + zoom_nm)
        sel = (x >= lim[0]) & (x <= lim[1])
        _shade_layers(a2, d, xlim=lim)
        a2.plot(x[sel], d["E_vac_eV"].values[sel], color="k", lw=1.4, label=r"$E_\mathrm{vac}=-e\psi$")
        a2.plot(x[sel], d["E_F_eV"].values[sel], color="tab:blue", lw=1.4, label=r"$E_F$")
        a2.set_xlim(*lim)
        a2.set_xlabel("x (nm)")
        a2.set_ylabel("eV")
        iface = str(d["interface"].values[j])
        phi0 = float(d["iface_phi0_V"].values[j])
        a2.set_title(f"{iface}: φ0 = {phi0:+.3f} V", fontsize=9, pad=14)
        if j == 0:
            a2.legend(fontsize=7, loc="best")
    if path is not None:
        save(fig, path)
    return fig


def delta_cpd(ds: xr.Dataset, path: str | Path | None = None, ocvs=None):
    """ΔCPD(x) for several OCVs (top) and its two parts −ΔΦ/e and ΔV (bottom)."""
    plt = pyplot()
    if "dcpd_V" not in ds:
        raise InputError("the Profile has no dcpd_V; solve with reference_ocv set (the default, 0 V)")
    if "ocv" not in ds.dims:
        ds = ds.expand_dims("ocv")
    if ocvs is not None:
        ds = ds.sel(ocv=list(ocvs), method="nearest")
    x = ds["x"].values
    fig, axes = plt.subplots(3, 1, figsize=(8, 8), sharex=True, constrained_layout=True)
    cmap = plt.get_cmap("viridis")
    n = ds.sizes["ocv"]
    for ax, var, lab in zip(axes, ("dcpd_V", "dcpd_work_function_V", "dcpd_potential_V"),
                            (r"$\Delta$CPD (V)", r"$-\Delta\Phi/e$ (V)", r"$\Delta V$ (V)"), strict=True):
        _shade_layers(ax, ds, label=ax is axes[0])
        for i in range(n):
            ax.plot(x, ds[var].values[i], color=cmap(i / max(n - 1, 1)), lw=1.4,
                    label=f"{float(ds['ocv'].values[i]):.2f} V")
        ax.set_ylabel(lab)
        ax.axhline(0, color="0.4", lw=0.6)
    axes[0].legend(title="OCV", fontsize=7, ncol=min(n, 4), loc="lower right")
    axes[0].set_title(f"ΔCPD vs {ds.attrs.get('reference_state', 'reference')}  (ΔCPD = −ΔΦ/e + ΔV)", pad=16,
                      fontsize=10)
    axes[-1].set_xlabel("x (nm)")
    axes[-1].set_xlim(x[0], x[-1])
    if path is not None:
        save(fig, path)
    return fig


def save(fig, path: str | Path) -> Path:
    """Save a figure atomically (PNG at 200 dpi, or SVG/PDF by extension) and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or Path
        Output file (``.png``, ``.svg`` or ``.pdf``).

    Returns
    -------
    Path
        The written file.
    """
    return save_figure(fig, path)
