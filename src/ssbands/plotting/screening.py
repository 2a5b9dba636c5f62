"""Figures of a screen: interface heatmaps, the Pareto set, Monte Carlo score ranges.

* :func:`heatmap` — an interface quantity (φ0, R_exc·A, log10 R_ct·A) as electrodes (at each state) ×
  electrolytes; a map whose values are equal within :data:`FLAT_RTOL` / :data:`FLAT_ATOL`
  (:func:`value_range`) is drawn without a colour scale and says that it is flat;
* :func:`pareto_plot` — a bounded sample of cells in the two Pareto columns, the Pareto set highlighted;
* :func:`uncertainty_plot` — score distributions (5–95 % and median) of the best cells, with P(top k).

Each writes its file with :func:`~ssbands.plotting.save_figure` and returns its path.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from ._core import pyplot, save_figure

__all__ = ["heatmap", "pareto_plot", "uncertainty_plot", "value_range", "flat_note", "FLAT_RTOL", "FLAT_ATOL"]

#: A map is flat when its values span less than this fraction of their largest magnitude …
FLAT_RTOL = 1e-6
#: … or less than this in absolute terms (in the unit of the map).
FLAT_ATOL = 1e-12


def value_range(values) -> dict:
    """Range of the finite values of a map and whether it is flat within tolerance.

    Parameters
    ----------
    values : array_like
        The values (NaN and ±inf are left out), in any unit.

    Returns
    -------
    dict
        ``n`` (finite values), ``min``, ``max``, ``span`` (max − min, same unit), ``relative_span``
        (span / max(|min|, |max|); 0 for an all-zero map) and ``flat``: span < :data:`FLAT_ATOL` or
        relative span < :data:`FLAT_RTOL`. ``min`` … ``relative_span`` are None and ``flat`` False when
        no value is finite.
    """
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"n": 0, "min": None, "max": None, "span": None, "relative_span": None, "flat": False}
    lo, hi = float(v.min()), float(v.max())
    span, scale = hi - lo, max(abs(lo), abs(hi))
    rel = span / scale if scale > 0 else 0.0
    return {"n": int(v.size), "min": lo, "max": hi, "span": span, "relative_span": rel,
            "flat": bool(span < FLAT_ATOL or rel < FLAT_RTOL)}


def flat_note(rng: dict, quantity: str = "") -> str:
    """One line saying that a map is flat: its value and how little it varies.

    Parameters
    ----------
    rng : dict
        From :func:`value_range` (flat).
    quantity : str
        What the values are, with the unit (e.g. ``"R_exc·A (Ω cm²)"``).

    Returns
    -------
    str
    """
    what = f" of {quantity}" if quantity else ""
    return (f"Flat within tolerance: every known value{what} is {rng['min']:.6g} (span {rng['span']:.3g}, relative "
            f"span {rng['relative_span']:.3g}; flat means relative < {FLAT_RTOL:g} or absolute < {FLAT_ATOL:g}), so "
            "no colour scale is shown.")


def _row_labels(selection) -> list[str]:
    rows = []
    for el in selection.electrodes:
        for lab in el.labels:
            rows.append(f"{el.name} ({el.role[0].upper()}, {lab})" if el.soc.size > 1 else f"{el.name} ({el.role})")
    return rows


def _cell_text(v: float) -> str:
    """A cell's value in a few characters (n/a when unknown)."""
    if not np.isfinite(v):
        return "n/a" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    return f"{v:.2f}" if v == 0 or 0.01 <= abs(v) < 1000 else f"{v:.1e}"


def _annotate(ax, mat: np.ndarray, vmax: float, diverging: bool) -> None:
    n_rows, n_cols = mat.shape
    for i in range(n_rows):
        for j in range(n_cols):
            v = mat[i, j]
            dark = np.isfinite(v) and (abs(v) > 0.6 * vmax if diverging else False)
            ax.text(j, i, _cell_text(v), ha="center", va="center", fontsize=6,
                    color="white" if dark else "black")


def _draw(ax, fig, mat: np.ndarray, cbar: str, diverging: bool, symlog: bool, flat: bool) -> float:
    """Draw the matrix (flat: one neutral colour, no colour bar) and return the colour-scale magnitude."""
    from matplotlib.colors import SymLogNorm

    finite = np.isfinite(mat)
    vmax = float(np.nanmax(np.abs(np.where(finite, mat, np.nan)))) if finite.any() else 1.0
    vmax = vmax if vmax > 0 else 1.0
    if flat:
        ax.imshow(np.where(finite, 1.0, np.nan), cmap="Greys", vmin=0.0, vmax=8.0, aspect="auto")  # light grey
        return vmax
    if symlog:
        small = np.abs(mat[finite & (mat != 0)])
        lin = max(float(np.percentile(small, 10)) if small.size else vmax, vmax * 1e-12)
        im = ax.imshow(mat, cmap="RdBu_r", norm=SymLogNorm(lin, vmin=-vmax, vmax=vmax), aspect="auto")
    elif diverging:
        im = ax.imshow(mat, cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto")
    else:
        im = ax.imshow(mat, cmap="viridis", aspect="auto")
    fig.colorbar(im, ax=ax, label=cbar)
    return vmax


def heatmap(values: np.ndarray, selection, path, *, title: str, cbar: str, diverging: bool = True,
            symlog: bool = False, flat_values: np.ndarray | None = None, flat_label: str | None = None) -> Path:
    """Heatmap of an (E, M, K) interface array: rows electrode/state, columns electrolyte.

    A map whose values are equal within tolerance (:func:`value_range`) is drawn in one neutral colour
    with the values written in the cells and a note on the figure, not with a colour scale that would
    magnify rounding noise.

    Parameters
    ----------
    values : ndarray, shape (E, M, K)
        An interface quantity per electrolyte, electrode and state (e.g. φ0 in V); NaN shown as n/a.
    selection : ssbands.screening.Selection
        The materials (row and column labels).
    path : str or Path
        Output file (``.png``, ``.svg`` or ``.pdf``).
    title, cbar : str
        Title and colour-bar label (with the unit).
    diverging : bool
        Symmetric red–blue scale around 0 (for signed steps); otherwise viridis.
    symlog : bool
        Symmetric logarithmic red–blue scale (signed values over decades, e.g. R_exc·A).
    flat_values : ndarray, optional
        The quantity whose flatness decides (default ``values``; e.g. R when ``values`` is log10 R).
    flat_label : str, optional
        The quantity with its unit, for the note of a flat map (default ``cbar``).

    Returns
    -------
    Path
        The written file.
    """
    plt = pyplot()
    E, M, K = values.shape
    mat = values.transpose(1, 2, 0).reshape(M * K, E)
    fig, ax = plt.subplots(figsize=(min(4.5 + 0.7 * E, 18), min(2.4 + 0.32 * M * K, 18)))
    rng = value_range(values if flat_values is None else flat_values)
    flat = rng["flat"]
    vmax = _draw(ax, fig, mat, cbar, diverging, symlog, flat)
    if E <= 40 and M * K <= 60:
        ax.set_xticks(range(E), [r.name for r in selection.electrolytes], rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(M * K), _row_labels(selection), fontsize=7)
        if E * M * K <= 400:
            _annotate(ax, mat, vmax, (diverging or symlog) and not flat)
    else:
        ax.set_xlabel(f"electrolytes ({E})")
        ax.set_ylabel(f"electrode states ({M * K})")
    ax.set_title("\n".join(textwrap.wrap(title, 60)), fontsize=9)
    if flat:
        note = "\n".join(textwrap.wrap(flat_note(rng, flat_label or cbar), 90))
        fig.text(0.5, 0.005, note, ha="center", va="bottom", fontsize=7, color="#b71c1c")
        fig.tight_layout(rect=(0.0, 0.03 + 0.025 * note.count("\n"), 1.0, 1.0))
    else:
        fig.tight_layout()
    return save_figure(fig, path)


def pareto_plot(sample, front, px: str, py: str, path, title: str = "", sampled: bool = False) -> Path:
    """Scatter of (a sample of) the cells and the Pareto set (both axes minimised).

    Parameters
    ----------
    sample : pandas.DataFrame
        Cells with columns ``px`` and ``py`` (grey points).
    front : pandas.DataFrame
        The Pareto set, with columns ``anode``, ``electrolyte``, ``cathode``, ``px`` and ``py``.
    px, py : str
        The two cell columns (their names carry the units, e.g. ``R_total_ohm_cm2``).
    path : str or Path
        Output file.
    title : str
        Title (default: "Pareto set (both minimised)").
    sampled : bool
        Say in the legend that ``sample`` is a sample of the cells.

    Returns
    -------
    Path
        The written file.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    s = sample[np.isfinite(sample[px]) & np.isfinite(sample[py])]
    ax.scatter(s[px], s[py], s=6, c="#9e9e9e", alpha=0.5, lw=0,
               label=f"cells with both values ({len(s)}{', sampled' if sampled else ''})")
    f = front[np.isfinite(front[px]) & np.isfinite(front[py])].sort_values([px, py])
    ax.plot(f[px], f[py], "o-", color="#d62728", ms=4, lw=1, label=f"Pareto set ({len(f)})")
    if len(f) <= 12:
        for _, r in f.iterrows():
            ax.annotate(f"{r['anode']}|{r['electrolyte']}|{r['cathode']}", (r[px], r[py]), fontsize=6,
                        xytext=(3, 3), textcoords="offset points")
    both = np.concatenate([s[px].to_numpy(float), f[px].to_numpy(float)])
    both = both[np.isfinite(both)]
    if both.size and both.min() > 0 and both.max() / both.min() > 100:
        ax.set_xscale("log")
    ax.set_xlabel(px)
    ax.set_ylabel(py)
    ax.set_title(title or "Pareto set (both minimised)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def uncertainty_plot(mc, path, top_k: int, n: int = 15, metric: str = "score") -> Path:
    """Score 5–95 % ranges and medians of the ``n`` cells most likely to rank in the top k.

    Parameters
    ----------
    mc : pandas.DataFrame
        The Monte Carlo table (``score_p05``, ``score_p50``, ``score_p95``, ``p_top_<k>`` and labels).
    path : str or Path
        Output file.
    top_k : int
        k of P(rank ≤ k).
    n : int
        Cells shown.
    metric : str
        x-axis label: the objective's metric column (its name carries the unit).

    Returns
    -------
    Path
        The written file.
    """
    plt = pyplot()
    key = f"p_top_{top_k}"
    d = mc.sort_values([key, "score_p50"], ascending=[False, True], kind="stable").head(n).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(d) + 1.5))
    y = np.arange(len(d))
    ax.hlines(y, d["score_p05"], d["score_p95"], color="#1f77b4", lw=3, alpha=0.6, label="5–95 %")
    ax.plot(d["score_p50"], y, "k|", ms=10, label="median")
    ax.set_yticks(y, [f"{a}|{e}|{c}  P={p:.2f}" for a, e, c, p in zip(d["anode"], d["electrolyte"], d["cathode"],
                                                                         d[key], strict=True)], fontsize=7)
    ax.set_xlabel(metric)
    ax.set_title(f"Monte Carlo score distributions; P = P(rank ≤ {top_k})", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)
