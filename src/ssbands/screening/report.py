"""Outputs of a screen besides the Parquet tables: best cells, figures, ``report.md`` and ``summary.json``.

* :func:`top_cells` / :func:`sample_cells` — read the best cells / a bounded, deterministic sample of the
  cell dataset without loading all of it;
* :func:`write_ranked_cells` — ``ranked_cells.csv``;
* :func:`build_summary` / :func:`write_summary` — the JSON summary (``summary.json``, ``--json``);
* :func:`write_figures` — the heatmaps, the Pareto plot and the Monte Carlo plot (drawn by
  :mod:`ssbands.plotting.screening`, whose :func:`heatmap`, :func:`pareto_plot` and
  :func:`uncertainty_plot` are re-exported here);
* :func:`write_report` — ``report.md`` tying the numbers and figures together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._version import __version__
from ..plotting.screening import flat_note, heatmap, pareto_plot, uncertainty_plot, value_range
from .selection import Selection
from .store import CELLS

__all__ = ["heatmap", "pareto_plot", "uncertainty_plot", "top_cells", "sample_cells", "write_report",
           "markdown_table", "write_ranked_cells", "build_summary", "write_figures", "write_summary", "TOP_COLUMNS",
           "heatmap_specs", "heatmap_ranges"]

#: Columns of the best-cells tables (summary ``top``, ``ranked_cells.csv``, report).
TOP_COLUMNS = ["rank", "anode", "electrolyte", "cathode", "closure", "score", "feasible", "pareto", "max_abs_phi0_V",
               "max_sum_abs_phi0_V", "R_total_ohm_cm2", "R_interfaces_ohm_cm2", "window_violation_V", "decomposition",
               "injection", "ocv_min_V", "ocv_max_V", "cell_id"]
_FLAGS = {"decomposition": "stability_known", "injection": "injection_known"}


def top_cells(cells_dir, n: int = 10, columns: Sequence[str] = TOP_COLUMNS):
    """Read the ``n`` best-ranked cells of each closure.

    Parameters
    ----------
    cells_dir : str or Path
        The ``cells.parquet`` folder.
    n : int
        Cells per closure.
    columns : sequence of str
        Columns to read (flags become ``yes``/``no``/``unknown``).

    Returns
    -------
    pandas.DataFrame
        Sorted by closure, rank and cell_id.
    """
    import pyarrow.dataset as pads

    ds = pads.dataset(str(cells_dir), format="parquet")
    extra = [k for f, k in _FLAGS.items() if f in columns]
    t = ds.to_table(columns=list(columns) + extra, filter=(pads.field("rank") >= 1) & (pads.field("rank") <= n))
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
    """Read a deterministic sample (every k-th row) of at most ~``max_rows`` cells, read part by part.

    Parameters
    ----------
    cells_dir : str or Path
        The ``cells.parquet`` folder.
    columns : sequence of str
        Columns to read.
    max_rows : int
        Upper bound (approximately) on the rows returned.

    Returns
    -------
    pandas.DataFrame
    """
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


def _fmt(v):
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "n/a"
        return f"{v:.4g}"
    return str(v)


def markdown_table(df, columns: Sequence[str] | None = None) -> str:
    """Format a DataFrame as a Markdown table (floats to 4 significant digits, NaN as n/a, booleans yes/no).

    Parameters
    ----------
    df : pandas.DataFrame
        The rows.
    columns : sequence of str, optional
        Columns to show (default: all).

    Returns
    -------
    str
    """
    cols = list(columns or df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(_fmt(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def _rct_sentence(desc: dict) -> str:
    """The report's sentence on the charge-transfer resistance (given kinetics or why it is not computed)."""
    kin = desc.get("kinetics")
    if kin:
        return (f"R_ct·A is Frumkin–Butler–Volmer at the interface plane with i0 = {kin['i0_A_cm2']:g} A/cm² and "
                f"α_t = {kin['alpha_t']:g} for every interface (user input); cells add it to R_exc.")
    return "R_ct·A is not computed: no kinetics given (i0 and α_t; none are published for these interfaces)."


def write_report(out, summary: dict, top, figures: dict, mc=None) -> Path:
    """Write ``out/report.md``: inputs, what could not be computed, counts, best cells, Pareto set, figures.

    Parameters
    ----------
    out : str or Path
        Output folder.
    summary : dict
        From :func:`build_summary` (with ``uncertainty`` when ``mc`` is given).
    top : pandas.DataFrame
        The best cells (:func:`top_cells`).
    figures : dict of str to path
        Figure files by key.
    mc : pandas.DataFrame, optional
        The Monte Carlo table.

    Returns
    -------
    Path
        The report.
    """
    from ..profile import atomic_write

    out = Path(out)
    obj = summary["objective"]
    desc = summary.get("interface_descriptors", {})
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
          f"no score, {c.get('negative_ocv', 0)} not ranked: OCV <= 0 at every state), {c['pareto']} on the "
          f"Pareto set; {c['cell_chunks']} cell chunks "
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
        ranges = summary.get("heatmaps", {})
        for key, p in figures.items():
            L += [f"![{key}]({Path(p).name})", ""]
            rng = ranges.get(key)
            if rng and rng["flat"]:
                L += [f"**{key}**: {flat_note(rng, rng['quantity'])}", ""]
            elif rng and rng["n"]:
                rel = f" (relative span {rng['relative_span']:.3g})" if rng["relative_span"] < 1e-2 else ""
                L += [f"{rng['quantity']} spans {rng['min']:.4g} … {rng['max']:.4g}{rel}.", ""]
    L += ["## Files", "", "* `interfaces.parquet/` — one row per electrode, electrolyte, state and closure",
          "* `cells.parquet/` — one row per anode, electrolyte, cathode and closure, with score, rank and Pareto flag",
          "* `ranked_cells.csv` — the best cells of each closure; `summary.json` — this report's numbers", ""]
    L += ["## Approximations", "",
          "* Interface steps follow φ0 = φ0^Li(SE) + (Φ_M − Φ_Li)/e − U_M with no interface dipole "
          "(Swift & Qi, Phys. Rev. Lett. 122, 167701, 2019); every number is only as good as the library values "
          "and their sources (see `ssbands materials`).",
          "* The SCL is the semi-infinite two-defect layer (Swift, Swift & Qi, Nat. Comput. Sci. 1, 212, 2021); "
          "R_SCL·A (series integral over a cut-off length) needs the SE's ionic transport data and is NaN without "
          "them.",
          f"* R_exc·A is the excess of the layer's resistance over the bulk, ∫[1/σ(x) − 1/σ∞]dx, with each "
          f"defect's own diffusivity, in the {desc.get('transport', 'local-equilibrium')} "
          "transport limit (Maier, Prog. Solid State Chem. 23, 171, 1995; Jamnik & Maier, Phys. Chem. Chem. Phys. 3, "
          "1668, 2001); NaN where the SE lacks per-defect transport data (see Not computed). "
          + _rct_sentence(desc),
          "* Cells pair the anode's and cathode's states in order (capacity-balanced sweep between the "
          "discharged and charged ends), so 'worst case over the range' is over those paired states.", ""]
    path = out / "report.md"
    atomic_write(path, lambda p: p.write_text("\n".join(L), encoding="utf-8"))
    return path


def write_ranked_cells(out, top_n: int):
    """Write ``ranked_cells.csv`` (the 10 × ``top_n`` best cells of each closure).

    Parameters
    ----------
    out : str or Path
        Output folder holding ``cells.parquet``.
    top_n : int
        Best cells per closure in the summary (the file holds ten times as many).

    Returns
    -------
    pandas.DataFrame
        The ``top_n`` best cells of each closure (:func:`top_cells`), for the summary and the report.
    """
    from ..profile import atomic_write

    out = Path(out)
    top = top_cells(out / CELLS, top_n)
    ranked = top_cells(out / CELLS, 10 * top_n)
    atomic_write(out / "ranked_cells.csv", lambda p: ranked.to_csv(p, index=False))
    return top


def _counts(sel: Selection, res: dict) -> dict:
    return {"anodes": len(sel.anodes), "electrolytes": len(sel.electrolytes), "cathodes": len(sel.cathodes),
            "not_computed": len(sel.skipped), "interfaces": res["n_interfaces"], "cells": res["n_cells"],
            "feasible": res["n_feasible"], "score_nan": res["n_score_nan"],
            "negative_ocv": res.get("n_negative_ocv", 0), "pareto": res["n_pareto"],
            "interface_chunks": res["interface_chunks"], "cell_chunks": res["cell_chunks"],
            "interface_chunks_reused": res["interface_chunks_reused"],
            "cell_chunks_reused": res["cell_chunks_reused"]}


def _descriptors(res: dict) -> dict:
    """The summary's ``interface_descriptors``: transport limit, kinetics and a note on R_ct."""
    kin = res.get("kinetics")
    return {"transport": res.get("transport", "local-equilibrium"), "kinetics": kin,
            "R_ct_note": None if kin else "not computed: no kinetics given (i0_A_cm2 and alpha_t, e.g. --i0 and "
                                          "--alpha-t); none are published for these interfaces"}


def build_summary(out, sel: Selection, res: dict, top, *, temperature_K: float, mu_li_se_eV: float | None,
                  n_states: int) -> dict:
    """Build the JSON summary of a screen (before Monte Carlo, figures and the report are added).

    Parameters
    ----------
    out : str or Path
        Output folder.
    sel : Selection
        The materials.
    res : dict
        From :func:`~ssbands.screening.pipeline.run_screen`.
    top : pandas.DataFrame
        The best cells (:func:`top_cells`).
    temperature_K : float
        Temperature, K.
    mu_li_se_eV : float or None
        μ_Li of the SE bulk for the extrinsic closure, eV vs Li metal.
    n_states : int
        Electrode states per electrode.

    Returns
    -------
    dict
        Version, settings, counts, materials, electrode states (Li fraction, potential in V, work
        function in eV), what was not computed, objective, ``interface_descriptors`` (transport limit of
        R_exc, the kinetics of R_ct or why it is null), best cells, executor, files, timings (s).
    """
    out = Path(out)
    obj = res["objective"]
    return {
        "ssbands_version": __version__, "out": str(out), "temperature_K": float(temperature_K),
        "closures": list(res["closures"]), "mu_li_se_eV": mu_li_se_eV, "n_states": n_states,
        "counts": _counts(sel, res),
        "materials": {"anodes": [e.name for e in sel.anodes], "electrolytes": [r.name for r in sel.electrolytes],
                      "cathodes": [e.name for e in sel.cathodes]},
        "electrode_states": [{"electrode": e.name, "role": e.role, "state": list(e.labels),
                              "li_fraction": e.li_fraction.tolist(), "potential_V": e.potential_V.tolist(),
                              "work_function_eV": e.work_function_eV.tolist()} for e in sel.electrodes],
        "not_computed": [dict(s) for s in sel.skipped], "partial": [dict(p) for p in sel.partial],
        "objective": {"text": obj.text, "metric": obj.metric, "constraints": list(obj.constraints),
                      "description": obj.describe()},
        "pareto_columns": res["pareto_columns"],
        "interface_descriptors": _descriptors(res),
        "top": top.to_dict(orient="records"),
        "executor": {"kind": res["executor"], "workers": res["n_workers"]},
        "files": {"interfaces": str(out / "interfaces.parquet"), "cells": str(out / CELLS),
                  "ranked": str(out / "ranked_cells.csv"), "summary": str(out / "summary.json")},
        "timings": res["timings"],
    }


def _pareto_figure(out: Path, res: dict) -> Path:
    import pyarrow.dataset as pads

    px, py = res["pareto_columns"]
    cols = ["anode", "electrolyte", "cathode", "closure", px, py, "pareto"]
    sample = sample_cells(out / CELLS, cols)
    front = pads.dataset(str(out / CELLS), format="parquet").to_table(
        columns=cols, filter=pads.field("pareto")).to_pandas()
    for c in ("anode", "electrolyte", "cathode"):
        front[c] = front[c].astype(str)
    return pareto_plot(sample, front, px, py, out / "pareto.png", sampled=len(sample) < res["n_cells"])


def heatmap_specs(res: dict) -> dict:
    """The interface heatmaps of a screen: what each shows and the range of its values.

    Parameters
    ----------
    res : dict
        From :func:`~ssbands.screening.pipeline.run_screen` (its ``ifc`` arrays: φ0 in V, R_exc·A and
        R_ct·A in Ω cm²; ``transport``).

    Returns
    -------
    dict
        Per figure key (``interface_steps``; ``excess_resistance`` and ``charge_transfer_resistance``
        when any value is known): ``file``, ``quantity`` (with the unit) and ``range``
        (:func:`ssbands.plotting.screening.value_range`: min, max, span, relative span, ``flat``).
    """
    ifc = res["ifc"]
    limit = res.get("transport", "local-equilibrium")
    specs = {"interface_steps": {"file": "heatmap_phi0.png", "quantity": "φ0 (V)", "values": ifc["phi0_V"]}}
    if np.isfinite(ifc["R_exc_ohm_cm2"]).any():
        specs["excess_resistance"] = {"file": "heatmap_R_exc.png", "quantity": f"R_exc·A (Ω cm², {limit})",
                                      "values": ifc["R_exc_ohm_cm2"]}
    if np.isfinite(ifc["R_ct_ohm_cm2"]).any():
        specs["charge_transfer_resistance"] = {"file": "heatmap_R_ct.png", "quantity": "R_ct·A (Ω cm²)",
                                               "values": ifc["R_ct_ohm_cm2"]}
    for v in specs.values():
        v["range"] = value_range(v["values"])
    return specs


def heatmap_ranges(res: dict) -> dict:
    """JSON-ready ranges of the heatmaps (:func:`heatmap_specs` without the arrays), for the summary.

    Parameters
    ----------
    res : dict
        From :func:`~ssbands.screening.pipeline.run_screen`.

    Returns
    -------
    dict
        Per figure key: ``file``, ``quantity``, ``min``, ``max``, ``span``, ``relative_span``, ``flat``.
    """
    return {k: {"file": v["file"], "quantity": v["quantity"], **v["range"]} for k, v in heatmap_specs(res).items()}


def write_figures(out, sel: Selection, res: dict, mc=None, top_k: int = 3) -> dict:
    """Write the figures of a screen.

    Parameters
    ----------
    out : str or Path
        Output folder holding ``cells.parquet``.
    sel : Selection
        The materials.
    res : dict
        From :func:`~ssbands.screening.pipeline.run_screen` (its ``ifc`` arrays: φ0 in V, R_exc·A and
        R_ct·A in Ω cm²).
    mc : pandas.DataFrame, optional
        The Monte Carlo table (adds ``uncertainty.png``).
    top_k : int
        k of the Monte Carlo P(top k).

    Returns
    -------
    dict of str to Path
        ``interface_steps`` (``heatmap_phi0.png``), ``excess_resistance`` (``heatmap_R_exc.png``, when any
        R_exc is known), ``charge_transfer_resistance`` (``heatmap_R_ct.png``, with kinetics), ``pareto``
        (``pareto.png``) and ``uncertainty`` (``uncertainty.png``). A heatmap whose values are equal within
        tolerance says so instead of showing a colour scale.
    """
    out = Path(out)
    specs = heatmap_specs(res)
    figs = {"interface_steps": heatmap(
        specs["interface_steps"]["values"], sel, out / "heatmap_phi0.png", cbar="φ0 (V): SE bulk minus interface",
        title="Interface step φ0 screened by the electrolyte's SCL (rows: electrode, A/C role, state)")}
    if "excess_resistance" in specs:
        sp = specs["excess_resistance"]
        figs["excess_resistance"] = heatmap(
            sp["values"], sel, out / sp["file"], symlog=True, cbar=sp["quantity"], flat_label=sp["quantity"],
            title=f"Excess resistance of the SCL over the bulk, R_exc·A ({res.get('transport', 'local-equilibrium')} "
                  "limit; < 0: the layer accumulates the current carrier; n/a: no per-defect transport data)")
    if "charge_transfer_resistance" in specs:
        sp = specs["charge_transfer_resistance"]
        with np.errstate(divide="ignore", invalid="ignore"):
            lr = np.log10(sp["values"])
        figs["charge_transfer_resistance"] = heatmap(
            lr, sel, out / sp["file"], diverging=False, cbar="log10(R_ct·A / Ω cm²)", flat_values=sp["values"],
            flat_label=sp["quantity"], title="Charge-transfer resistance (Frumkin–Butler–Volmer, given i0 and α_t)")
    figs["pareto"] = _pareto_figure(out, res)
    if mc is not None:
        figs["uncertainty"] = uncertainty_plot(mc, out / "uncertainty.png", top_k, metric=res["objective"].metric)
    return figs


def write_summary(out, summary: dict) -> dict:
    """Write ``summary.json`` (plain JSON types, no NaN) atomically.

    Parameters
    ----------
    out : str or Path
        Output folder.
    summary : dict
        From :func:`build_summary` and the later steps of a screen.

    Returns
    -------
    dict
        The summary as written (NumPy and pandas values converted to plain types).
    """
    from ..profile import atomic_write, to_jsonable

    summary = to_jsonable(summary)
    text = json.dumps(summary, indent=2, allow_nan=False)
    atomic_write(Path(out) / "summary.json", lambda p: p.write_text(text, encoding="utf-8"))
    return summary
