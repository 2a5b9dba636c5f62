"""Figures and the Markdown report of a screen (matplotlib, imported lazily, Agg backend).

* :func:`heatmap` — interface steps φ0 (or log10 R_SCL·A) as electrodes (at each state) × electrolytes;
* :func:`pareto_plot` — a bounded sample of cells in the two Pareto columns, the Pareto set highlighted;
* :func:`uncertainty_plot` — score distributions (5–95 % and median) of the best cells, with P(top k);
* :func:`top_cells` / :func:`sample_cells` — read the best cells / a bounded, deterministic sample of the
  cell dataset without loading all of it;
* :func:`write_report` — ``report.md`` tying the numbers and figures together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ["heatmap", "pareto_plot", "uncertainty_plot", "top_cells", "sample_cells", "write_report",
           "markdown_table"]

TOP_COLUMNS = ["rank", "anode", "electrolyte", "cathode", "closure", "score", "feasible", "pareto", "max_abs_phi0_V",
               "max_sum_abs_phi0_V", "R_total_ohm_cm2", "window_violation_V", "decomposition", "injection",
               "ocv_min_V", "ocv_max_V", "cell_id"]
_FLAGS = {"decomposition": "stability_known", "injection": "injection_known"}


def _plt():
    from ..plotting import pyplot as plt

    return plt()


def top_cells(cells_dir, n: int = 10, columns: Sequence[str] = TOP_COLUMNS):
    """The ``n`` best-ranked cells of each closure (pandas DataFrame sorted by closure, rank, cell_id)."""
    import pyarrow.dataset as pads

    ds = pads.dataset(str(cells_dir), format="parquet")
    extra = [k for f, k in _FLAGS.items() if f in columns]
    t = ds.to_table(columns=list(columns) + extra, filter=pads.field("rank") <= n)
    df = t.to_pandas()
    for f, k in _FLAGS.items():  # flags as yes / no / unknown
        if f in df:
            df[f] = np.where(~df[k].to_numpy(bool), "unknown", np.where(df[f].to_numpy(bool), "yes", "no"))
            df = df.drop(columns=k)
    for c in ("anode", "electrolyte", "cathode", "closure"):
        if c in df:
            df[c] = df[c].astype(str)
    df = df.sort_values(["closure", "rank", "cell_id"], kind="stable")
    return df.groupby("closure", sort=False).head(n).reset_index(drop=True)


def sample_cells(cells_dir, columns: Sequence[str], max_rows: int = 20_000):
    """A deterministic sample (every k-th row) of at most ~``max_rows`` cells, read part by part."""
    import pandas as pd
    import pyarrow.parquet as pq

    parts = sorted(Path(cells_dir).glob("part-*.parquet"))
    total = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
    step = max(1, int(np.ceil(total / max_rows)))
    out = []
    for p in parts:
        t = pq.read_table(p, columns=list(columns))
        out.append(t.slice(0).take(np.arange(0, t.num_rows, step)).to_pandas())
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=list(columns))


def _labels(selection):
    rows = []
    for el in selection.electrodes:
        for lab in el.labels:
            rows.append(f"{el.name} ({el.role[0].upper()}, {lab})" if el.soc.size > 1 else f"{el.name} ({el.role})")
    return rows


def heatmap(values: np.ndarray, selection, path, *, title: str, cbar: str, diverging: bool = True):
    """Heatmap of an (E, M, K) interface array: rows electrode/state, columns electrolyte."""
    plt = _plt()
    E, M, K = values.shape
    mat = values.transpose(1, 2, 0).reshape(M * K, E)
    rows = _labels(selection)
    cols = [r.name for r in selection.electrolytes]
    fig, ax = plt.subplots(figsize=(min(4.5 + 0.7 * E, 18), min(2.4 + 0.32 * M * K, 18)))
    finite = np.isfinite(mat)
    vmax = 1.0
    if diverging:
        vmax = float(np.nanmax(np.abs(mat))) if finite.any() else 1.0
        im = ax.imshow(mat, cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto")
    else:
        im = ax.imshow(mat, cmap="viridis", aspect="auto")
    fig.colorbar(im, ax=ax, label=cbar)
    if E <= 40 and M * K <= 60:
        ax.set_xticks(range(E), cols, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(M * K), rows, fontsize=7)
        if E * M * K <= 400:
            for i in range(M * K):
                for j in range(E):
                    v = mat[i, j]
                    dark = np.isfinite(v) and (abs(v) > 0.6 * vmax if diverging else False)
                    ax.text(j, i, "n/a" if not np.isfinite(v) else f"{v:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if dark else "black")
    else:
        ax.set_xlabel(f"electrolytes ({E})")
        ax.set_ylabel(f"electrode states ({M * K})")
    import textwrap

    ax.set_title("\n".join(textwrap.wrap(title, 60)), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return Path(path)


def pareto_plot(sample, front, px: str, py: str, path, title: str = "", sampled: bool = False):
    """Scatter of (a sample of) the cells and the Pareto set (both axes minimised)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    s = sample[np.isfinite(sample[px]) & np.isfinite(sample[py])]
    ax.scatter(s[px], s[py], s=6, c="#9e9e9e", alpha=0.5, label=f"cells with both values ({len(s)}{', sampled' if sampled else ''})", lw=0)
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
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return Path(path)


def uncertainty_plot(mc, path, top_k: int, n: int = 15, metric: str = "score"):
    """Score 5–95 % ranges and medians of the ``n`` cells most likely to rank in the top k."""
    plt = _plt()
    key = f"p_top_{top_k}"
    d = mc.sort_values([key, "score_p50"], ascending=[False, True], kind="stable").head(n).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(d) + 1.5))
    y = np.arange(len(d))
    ax.hlines(y, d["score_p05"], d["score_p95"], color="#1f77b4", lw=3, alpha=0.6, label="5–95 %")
    ax.plot(d["score_p50"], y, "k|", ms=10, label="median")
    ax.set_yticks(y, [f"{a}|{e}|{c}  P={p:.2f}" for a, e, c, p in zip(d["anode"], d["electrolyte"], d["cathode"],
                                                                         d[key])], fontsize=7)
    ax.set_xlabel(metric)
    ax.set_title(f"Monte Carlo score distributions; P = P(rank ≤ {top_k})", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return Path(path)


def _fmt(v):
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "n/a"
        return f"{v:.4g}"
    return str(v)


def markdown_table(df, columns: Sequence[str] | None = None) -> str:
    cols = list(columns or df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(_fmt(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def write_report(out, summary: dict, top, figures: dict, mc=None) -> Path:
    """``out/report.md``: inputs, what could not be computed, counts, best cells, Pareto set, figures."""
    from ..profile import atomic_write

    out = Path(out)
    obj = summary["objective"]
    L = [f"# Screening report ({summary['counts']['cells']} cells)", ""]
    L += [f"ssbands {summary['ssbands_version']}; T = {summary['temperature_K']:g} K; closures: "
          f"{', '.join(summary['closures'])}; electrode states: {summary['n_states']} per electrode "
          "(state of charge 0 = discharged … 1 = charged; the anode's and cathode's states are paired).", ""]
    L += ["## Inputs", ""]
    for role in ("anodes", "electrolytes", "cathodes"):
        L.append(f"* **{role}** ({len(summary['materials'][role])}): {', '.join(summary['materials'][role])}")
    L += ["", f"**Objective**: `{obj['text']}` — {obj['description']}. Ranks are per closure; feasible cells first.",
          "", f"**Pareto set** of ({', '.join(summary['pareto_columns'])}), both minimised: "
          f"{summary['counts']['pareto']} cells.", ""]
    L += ["## Not computed", ""]
    if summary["not_computed"]:
        L += ["| material | role | missing field | reason |", "|---|---|---|---|"]
        for s in summary["not_computed"]:
            reason = s["reason"].split(". Supply it")[0]
            L.append(f"| {s['material']} | {s['role']} | {s.get('field', '')} | {reason} |")
    else:
        L.append("Every requested material was computed.")
    if summary["partial"]:
        L += ["", "Computed with some columns left NaN/`unknown`:", ""]
        for p in summary["partial"]:
            L.append(f"* **{p['material']}**: " + "; ".join(f"`{m['field']}` unknown → no {m['not_computed']}"
                                                           for m in p["missing"]))
    c = summary["counts"]
    L += ["", "## Counts", "",
          f"{c['interfaces']} interface rows, {c['cells']} cells ({c['feasible']} feasible, {c['score_nan']} with "
          f"no score), {c['pareto']} on the Pareto set; {c['cell_chunks']} cell chunks "
          f"({c['cell_chunks_reused']} reused from an earlier run).", ""]
    L += ["## Best cells", "", markdown_table(top, [k for k in TOP_COLUMNS if k in top.columns and k != "cell_id"]), ""]
    if mc is not None:
        k = summary["uncertainty"]["top_k"]
        info = summary["uncertainty"]
        d = mc.sort_values([f"p_top_{k}", "score_p50"], ascending=[False, True], kind="stable").head(10)
        L += ["## Uncertainty", "",
              f"{info['n_samples']} Monte Carlo samples (seed {info['seed']}, {info['distribution']}), spreads: "
              + ", ".join(f"{f} ±{w:g}" for f, w in info["spreads"].items()) + f". P(top {k}) is the fraction of "
              f"samples in which the cell ranks ≤ {k} in its closure.", "",
              markdown_table(d, ["anode", "electrolyte", "cathode", "closure", "score_p05", "score_p50", "score_p95",
                                 f"p_top_{k}", "p_feasible", "rank_median"]), ""]
    if figures:
        L += ["## Figures", ""]
        for key, p in figures.items():
            L += [f"![{key}]({Path(p).name})", ""]
    L += ["## Files", "", "* `interfaces.parquet/` — one row per electrode, electrolyte, state and closure",
          "* `cells.parquet/` — one row per anode, electrolyte, cathode and closure, with score, rank and Pareto flag",
          "* `ranked_cells.csv` — the best cells of each closure; `summary.json` — this report's numbers", ""]
    L += ["## Approximations", "",
          "* Interface steps follow φ0 = φ0^Li(SE) + (Φ_M − Φ_Li)/e − U_M with no interface dipole (MODEL.md §2); "
          "every number is only as good as the library values and their sources (see `ssbands materials`).",
          "* The SCL is the semi-infinite two-defect layer (MODEL.md §3); R_SCL·A needs the SE's ionic "
          "transport data and is NaN without them.",
          "* Cells pair the anode's and cathode's states in order (capacity-balanced sweep between the "
          "discharged and charged ends), so 'worst case over the range' is over those paired states.", ""]
    path = out / "report.md"
    atomic_write(path, lambda p: p.write_text("\n".join(L), encoding="utf-8"))
    return path
