"""A whole screen: :func:`run_screen` (the chunked, resumable, parallel stages) and :func:`screen` (all outputs).

:func:`run_screen` cuts the work into chunks (:mod:`.plan`) whose boundaries do not depend on the
number of workers, so every executor (:mod:`.executors`) computes exactly the same rows:

1. **interfaces** — blocks of electrolytes × all electrodes × states × closures →
   ``interfaces.parquet/part-NNNNNN.parquet``;
2. **scores** — every cell block is combined once to get its score, feasibility and its local Pareto
   candidates (nothing written; 9 bytes per cell kept by the coordinator);
3. **ranking** — global competition ranks per closure and the global Pareto set, in the coordinator;
4. **cells** — every cell block again, now with ``rank`` and ``pareto`` →
   ``cells.parquet/part-NNNNNN.parquet``.

Workers encode Parquet in memory and return bytes; only the coordinator writes, each part atomically
(:class:`~.store.ScreenStore`). ``resume=True`` keeps the parts already there (interfaces are read
back, not recomputed) and computes only the missing ones; the numbers are deterministic, so a resumed
run equals an uninterrupted one. Memory: O(chunk) per worker plus ~10 bytes per cell in the coordinator.

:func:`screen` selects the materials, runs the stages, and writes ``ranked_cells.csv``, the optional
Monte Carlo table (:mod:`.uncertainty`), the figures and ``report.md`` (:mod:`.report`) and
``summary.json``.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..scl.transport import check_transport_limit
from .cells import (
    DEFAULT_PARETO,
    Objective,
    check_pareto_columns,
    combine,
    pareto_candidates,
    pareto_front,
    rank_scores,
    score_class,
)
from .executors import make_executor
from .interfaces import check_closures, check_kinetics, compute_interfaces, interface_columns
from .plan import DEFAULT_CHUNK_CELLS, Chunk, chunk_offsets, plan_cell_chunks, plan_interface_chunks
from .selection import Selection
from .store import CELLS, INTERFACES, ScreenStore, interface_arrays, make_manifest, to_parquet_bytes

__all__ = ["run_screen", "screen"]


# ------------------------------------------------------------------------------------------------
# tasks (module level: picklable); ``shared`` is the same for every task of a stage


def _interface_task(task: tuple[int, int, int], shared: dict) -> dict:
    cid, e0, e1 = task
    t0 = time.perf_counter()
    els = shared["electrolytes"][e0:e1]
    dip = shared["dipole"]
    res = compute_interfaces(shared["electrodes"], els, shared["phi_li"], shared["closures"],
                             mu_li_se_eV=shared["mu_li_se"], temperature_K=shared["T"],
                             dipole_V=dip[e0:e1] if np.ndim(dip) else dip, transport=shared["transport"],
                             kinetics=shared["kinetics"])
    cols = interface_columns(res, shared["electrodes"], els, shared["closures"], shared["T"], e0,
                             [r.name for r in shared["electrolytes"]])
    t1 = time.perf_counter()
    data = to_parquet_bytes(cols)
    return {"id": cid, "data": data, "compute_s": t1 - t0, "encode_s": time.perf_counter() - t1}


def _combine_chunk(chunk: Chunk, shared: dict) -> dict:
    return combine(shared["ifc"], shared["anode_idx"], shared["cathode_idx"], chunk.q, slice(chunk.e0, chunk.e1),
                   slice(chunk.a0, chunk.a1), slice(chunk.c0, chunk.c1), shared["objective"])


def _score_task(chunk: Chunk, shared: dict) -> dict:
    t0 = time.perf_counter()
    cols = _combine_chunk(chunk, shared)
    px, py = shared["pareto"]
    cell = ~cols["negative_ocv"]  # a combination with OCV <= 0 throughout is not a cell: no Pareto place
    # candidates that cannot lose the global set, whatever the chunks (pareto_front decides in the ranking)
    front = np.flatnonzero(cell)[pareto_candidates(cols[px][cell], cols[py][cell])]
    return {"id": chunk.id, "score": cols["score"],
            "cls": score_class(cols["score"], cols["feasible"], cols["negative_ocv"]),
            "front": front, "front_x": cols[px][front], "front_y": cols[py][front],
            "compute_s": time.perf_counter() - t0}


def _cell_task(task: tuple[Chunk, np.ndarray, np.ndarray], shared: dict) -> dict:
    chunk, rank, pareto = task
    t0 = time.perf_counter()
    cols = _combine_chunk(chunk, shared)
    nQ, nE, nA, nC = shared["dims"]
    e, a, c = (g.ravel() for g in np.meshgrid(np.arange(chunk.e0, chunk.e1), np.arange(chunk.a0, chunk.a1),
                                              np.arange(chunk.c0, chunk.c1), indexing="ij"))
    out = {
        "cell_id": ((chunk.q * nE + e) * nA + a).astype(np.int64) * nC + c,
        "anode": (a, shared["names"]["anode"]),
        "electrolyte": (e, shared["names"]["electrolyte"]),
        "cathode": (c, shared["names"]["cathode"]),
        "closure": (np.full(e.size, chunk.q), shared["names"]["closure"]),
        "score": cols.pop("score"), "rank": np.asarray(rank, np.int64), "feasible": cols.pop("feasible"),
        "pareto": np.asarray(pareto, bool),
    }
    out.update(cols)
    t1 = time.perf_counter()
    data = to_parquet_bytes(out)
    return {"id": chunk.id, "data": data, "compute_s": t1 - t0, "encode_s": time.perf_counter() - t1}


# ------------------------------------------------------------------------------------------------
# the stages of run_screen


@dataclass
class _Run:
    """What the stages of one run share (coordinator side)."""

    sel: Selection
    closures: tuple[str, ...]
    obj: Objective
    pareto: tuple[str, str]
    mu_li_se_eV: float | None
    temperature_K: float
    chunk_cells: int
    transport: str
    kinetics: dict | None
    store: ScreenStore
    resume: bool
    quiet: bool
    ex: Any = None
    timings: dict = field(default_factory=dict)
    counts: dict = field(default_factory=lambda: {"interface_chunks_reused": 0, "cell_chunks_reused": 0})

    @property
    def dims(self) -> tuple[int, int, int, int]:
        """(closures, electrolytes, anodes, cathodes)."""
        s = self.sel
        return len(self.closures), len(s.electrolytes), len(s.anodes), len(s.cathodes)

    def add_worker_times(self, r: dict) -> None:
        """Add a task's compute and encode times (s) to the totals."""
        self.timings["worker_compute_s"] += r["compute_s"]
        if "encode_s" in r:
            self.timings["worker_encode_s"] += r["encode_s"]

    def write_part(self, table: str, r: dict) -> None:
        """Write a task's Parquet bytes as its part file (timed)."""
        tw = time.perf_counter()
        self.store.write_part(table, r["id"], r["data"])
        self.timings["write_s"] += time.perf_counter() - tw


def _progress(total: int, desc: str, quiet: bool, unit: str = "chunk"):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=quiet, leave=False, dynamic_ncols=True,
                unit_scale=unit != "chunk")


def _results(run: _Run, func, tasks, shared):
    """Iterate over the executor's results of a stage, closed (pending tasks cancelled) when the stage ends or fails."""
    return contextlib.closing(run.ex.map_unordered(func, tasks, shared))


def _check_selection(sel: Selection) -> None:
    for role, items in (("anode", sel.anodes), ("electrolyte", sel.electrolytes), ("cathode", sel.cathodes)):
        if not items:
            why = "; ".join(f"{s['material']}: {s['reason']}" for s in sel.skipped if s["role"] in (role, "electrode"))
            raise InputError(f"no computable {role} in the screen" + (f" ({why})" if why else ""))


def _interface_stage(run: _Run) -> tuple[dict, list]:
    """Stage 1: compute (or read back) every interface part; return the cell-stage arrays and the plan."""
    import pyarrow.parquet as pq

    Q, E, _, _ = run.dims
    sel = run.sel
    iplan = plan_interface_chunks(Q, E, len(sel.electrodes), sel.electrodes[0].soc.size, run.chunk_cells)
    tables, todo = {}, []
    for cid, e0, e1 in iplan:
        if run.resume and run.store.has_part(INTERFACES, cid):
            tables[cid] = run.store.read_part(INTERFACES, cid)
            run.counts["interface_chunks_reused"] += 1
        else:
            todo.append((cid, e0, e1))
    shared = {"electrodes": sel.electrodes, "electrolytes": sel.electrolytes, "phi_li": sel.phi_li_eV,
              "closures": run.closures, "mu_li_se": run.mu_li_se_eV, "T": float(run.temperature_K), "dipole": 0.0,
              "transport": run.transport, "kinetics": run.kinetics}
    with _progress(len(iplan), "interfaces", run.quiet) as bar, _results(run, _interface_task, todo, shared) as rs:
        bar.update(len(iplan) - len(todo))
        for r in rs:
            run.write_part(INTERFACES, r)
            tw = time.perf_counter()
            tables[r["id"]] = pq.read_table(io.BytesIO(r["data"]))
            run.timings["write_s"] += time.perf_counter() - tw
            run.add_worker_times(r)
            bar.update(1)
    return interface_arrays(tables, sel, run.closures, iplan), iplan


def _cell_shared(run: _Run, ifc: dict) -> dict:
    """Collect the shared data of the score and cell stages."""
    Q, E, A, C = run.dims
    sel = run.sel
    return {"ifc": ifc, "anode_idx": np.arange(A), "cathode_idx": np.arange(A, A + C), "objective": run.obj,
            "pareto": run.pareto, "dims": (Q, E, A, C),
            "names": {"anode": [e.name for e in sel.anodes], "cathode": [e.name for e in sel.cathodes],
                      "electrolyte": [r.name for r in sel.electrolytes], "closure": list(run.closures)}}


def _score_stage(run: _Run, plan: list[Chunk], offsets: np.ndarray, shared: dict):
    """Stage 2: score class (int8) and score of every cell, and each closure's local Pareto candidates."""
    n_cells = int(offsets[-1])
    score = np.empty(n_cells)
    cls = np.empty(n_cells, np.int8)
    fronts: dict[int, list] = {q: [] for q in range(len(run.closures))}
    with _progress(n_cells, "scores", run.quiet, "cell") as bar, _results(run, _score_task, plan, shared) as rs:
        for r in rs:
            o = offsets[r["id"]]
            score[o:o + r["score"].size] = r["score"]
            cls[o:o + r["score"].size] = r["cls"]
            fronts[plan[r["id"]].q].append((o + r["front"], r["front_x"], r["front_y"]))
            run.add_worker_times(r)
            bar.update(r["score"].size)
    return score, cls, fronts


def _rank_stage(plan: list[Chunk], offsets: np.ndarray, score: np.ndarray, cls: np.ndarray, fronts: dict):
    """Stage 3: competition ranks per closure and the global Pareto set (chunks of a closure are contiguous)."""
    n_cells = int(offsets[-1])
    rank = np.empty(n_cells, np.int64)
    on_front = np.zeros(n_cells, bool)
    for q, parts in fronts.items():
        ids = [c.id for c in plan if c.q == q]
        lo, hi = offsets[ids[0]], offsets[ids[-1] + 1]
        rank[lo:hi] = rank_scores(score[lo:hi], cls[lo:hi])
        if parts:
            gi = np.concatenate([f[0] for f in parts])
            keep = pareto_front(np.concatenate([f[1] for f in parts]), np.concatenate([f[2] for f in parts]))
            on_front[gi[keep]] = True
    return rank, on_front


def _cell_stage(run: _Run, plan: list[Chunk], offsets: np.ndarray, rank: np.ndarray, on_front: np.ndarray,
                shared: dict) -> None:
    """Stage 4: write every missing cell part, now with ``rank`` and ``pareto``."""
    todo = []
    for c in plan:
        if run.resume and run.store.has_part(CELLS, c.id):
            run.counts["cell_chunks_reused"] += 1
        else:
            todo.append(c)
    tasks = ((c, rank[offsets[c.id]:offsets[c.id + 1]], on_front[offsets[c.id]:offsets[c.id + 1]]) for c in todo)
    n_cells = int(offsets[-1])
    with _progress(n_cells, "cells", run.quiet, "cell") as bar, _results(run, _cell_task, tasks, shared) as rs:
        bar.update(n_cells - sum(c.size for c in todo))
        for r in rs:
            run.write_part(CELLS, r)
            run.add_worker_times(r)
            bar.update(plan[r["id"]].size)


def _stages(run: _Run) -> dict:
    """Run the four stages; return the counts and arrays the summary needs."""
    Q, E, A, C = run.dims
    t0 = time.perf_counter()
    ifc, iplan = _interface_stage(run)
    run.timings["interfaces_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    plan = plan_cell_chunks(Q, E, A, C, run.chunk_cells)
    offsets = chunk_offsets(plan)
    shared = _cell_shared(run, ifc)
    score, cls, fronts = _score_stage(run, plan, offsets, shared)
    run.timings["scores_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    rank, on_front = _rank_stage(plan, offsets, score, cls, fronts)
    n_feasible, n_nan, n_neg = int(np.sum(cls == 0)), int(np.sum(cls == 2)), int(np.sum(cls == 3))
    del score, cls
    run.timings["ranking_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    _cell_stage(run, plan, offsets, rank, on_front, shared)
    run.timings["cells_s"] = time.perf_counter() - t0
    return {"n_cells": int(offsets[-1]), "n_feasible": n_feasible, "n_score_nan": n_nan, "n_negative_ocv": n_neg,
            "n_pareto": int(on_front.sum()), "interface_chunks": len(iplan), "cell_chunks": len(plan), "ifc": ifc}


def run_screen(selection: Selection, out, *, closures: Sequence[str] = ("minimum-interface",),
               mu_li_se_eV: float | None = None, temperature_K: float = 300.0, objective="max-abs-phi0",
               pareto: Sequence[str] = DEFAULT_PARETO, chunk_cells: int = DEFAULT_CHUNK_CELLS, resume: bool = False,
               overwrite: bool = False, jobs: int | None = None, workers: int | None = None, scheduler=None,
               quiet: bool = True, top_n: int = 10, executor=None, transport: str = "local-equilibrium",
               kinetics=None) -> dict:
    """Run the interface and cell stages of a screen into ``out`` (see the module doc).

    Parameters
    ----------
    selection : Selection
        From :func:`~ssbands.screening.selection.select_materials`.
    out : path
        Output folder (``interfaces.parquet/``, ``cells.parquet/``, ``manifest.json``).
    closures : sequence of str
        Closures of the SE Fermi level (``minimum-interface``, ``extrinsic``).
    mu_li_se_eV : float, optional
        μ_Li of the SE bulk for ``extrinsic``, eV vs Li metal.
    temperature_K : float
        Temperature, K.
    objective : str or Objective
        ``METRIC[+CONSTRAINT...]`` (see :mod:`ssbands.screening.cells`).
    pareto : (str, str)
        Cell columns of the Pareto set (both minimised).
    chunk_cells : int
        Cells per chunk (also sets the interface chunks). Results do not depend on it.
    resume, overwrite : bool
        Finish an interrupted run in ``out`` / replace a finished one.
    jobs, workers, scheduler
        Local processes (default: all cores), a local Dask cluster of ``workers``, or a Dask scheduler
        address or ``distributed.Client``. Results do not depend on them.
    quiet : bool
        No progress bars (tqdm, on stderr).
    top_n : int
        Unused (the best cells are read from ``cells.parquet`` by :func:`screen`); kept for compatibility.
    executor : optional
        An executor of :mod:`ssbands.screening.executors` (overrides jobs/workers/scheduler; not closed here).
    transport : {"local-equilibrium", "independent"}
        Transport limit of ``R_exc_ohm_cm2`` and of the cells' interface resistance.
    kinetics : mapping, optional
        ``{"i0_A_cm2": ..., "alpha_t": ...}`` (A/cm², –) for the charge-transfer resistance of every
        interface (:func:`~ssbands.screening.interfaces.check_kinetics`); None: R_ct is NaN.

    Returns
    -------
    dict
        Counts, executor kind and workers, objective, Pareto columns, ``timings`` (s), ``closures`` and
        ``ifc`` (the cell-stage interface arrays); :func:`screen` turns it into the JSON summary.
    """
    from ..errors import require

    require(("pyarrow",) if quiet else ("pyarrow", "tqdm"), "the screen", "screen")
    t_start = time.perf_counter()
    closures = tuple(closures)
    check_closures(closures, mu_li_se_eV)  # before anything is written to ``out``
    check_transport_limit(transport)
    kinetics = check_kinetics(kinetics)
    obj = Objective.parse(objective)
    px, py = check_pareto_columns(tuple(pareto))
    _check_selection(selection)
    store = ScreenStore(out)
    config = {"closures": list(closures), "mu_li_se_eV": mu_li_se_eV, "temperature_K": float(temperature_K),
              "objective": obj.text, "pareto": [px, py], "chunk_cells": int(chunk_cells), "transport": transport,
              "kinetics": kinetics}
    resume = store.prepare(make_manifest(selection, config), resume, overwrite)
    run = _Run(selection, closures, obj, (px, py), mu_li_se_eV, temperature_K, chunk_cells, transport, kinetics, store,
               resume, quiet)
    t0 = time.perf_counter()
    run.ex = executor if executor is not None else make_executor(jobs, workers, scheduler)
    run.timings = {"executor_start_s": time.perf_counter() - t0, "interfaces_s": 0.0, "scores_s": 0.0,
                   "ranking_s": 0.0, "cells_s": 0.0, "write_s": 0.0, "worker_compute_s": 0.0, "worker_encode_s": 0.0}
    try:
        res = _stages(run)
    finally:
        if executor is None:
            run.ex.close()
    run.timings["total_s"] = time.perf_counter() - t_start
    Q, E, _, _ = run.dims
    ifc = res.pop("ifc")
    return {"out": str(store.out), "n_interfaces": Q * E * len(selection.electrodes) * selection.electrodes[0].soc.size,
            **res, **run.counts, "executor": getattr(run.ex, "name", type(run.ex).__name__),
            "n_workers": getattr(run.ex, "n_workers", 1), "objective": obj, "pareto_columns": [px, py],
            "timings": run.timings, "ifc": ifc, "closures": list(closures), "transport": transport,
            "kinetics": kinetics}


# ------------------------------------------------------------------------------------------------
# the whole screen: selection, stages, Monte Carlo, figures, report, summary


def screen(library=None, out="ssbands-screen", *, anodes=None, electrolytes=None, cathodes=None,
           closures: Sequence[str] = ("minimum-interface",), mu_li_se_eV: float | None = None,
           temperature_K: float = 300.0, n_states: int = 2, end_margin: float = 0.01, objective="max-abs-phi0",
           pareto: Sequence[str] = DEFAULT_PARETO, chunk_cells: int = DEFAULT_CHUNK_CELLS, resume: bool = False,
           overwrite: bool = False, jobs: int | None = None, workers: int | None = None, scheduler=None,
           quiet: bool = True, figures: bool = True, top_n: int = 10, mc_samples: int = 0, mc_seed: int = 0,
           spreads=None, mc_distribution: str = "uniform", top_k: int = 3, executor=None,
           transport: str = "local-equilibrium", kinetics=None) -> dict:
    """Screen every anode × electrolyte × cathode of a library and write tables, figures and a report.

    Parameters
    ----------
    library : Library, optional
        Materials (default: the built-in library).
    out : path
        Output folder: ``interfaces.parquet/``, ``cells.parquet/``, ``ranked_cells.csv``,
        ``summary.json``, ``report.md``, figures (PNG) and, with Monte Carlo, ``uncertainty.parquet``.
    anodes, electrolytes, cathodes : list of str or comma-separated str, optional
        Library names (default: every material of that role the library can compute).
    closures, mu_li_se_eV, temperature_K
        Closures of the SE Fermi level (μ_Li,SE in eV vs Li metal for ``extrinsic``), temperature (K).
    n_states, end_margin
        Electrode states per electrode (from discharged to charged) and the end margin (fraction of
        the Li range), see :func:`~ssbands.screening.selection.electrode_states`.
    objective : str
        ``METRIC[+CONSTRAINT...]`` (:class:`~ssbands.screening.cells.Objective`).
    pareto : (str, str)
        The two cell columns of the Pareto set.
    chunk_cells, resume, overwrite, jobs, workers, scheduler, quiet, executor
        Execution (see :func:`run_screen`); results do not depend on chunking or executor.
    figures : bool
        Write the heatmaps, the Pareto plot and the report.
    top_n : int
        Best cells per closure in the summary and ``ranked_cells.csv`` (the latter holds 10 × top_n).
    mc_samples, mc_seed, spreads, mc_distribution, top_k
        Monte Carlo uncertainty (off when ``mc_samples`` is 0; see
        :func:`~ssbands.screening.uncertainty.monte_carlo`).
    transport : {"local-equilibrium", "independent"}
        Transport limit of the excess resistance R_exc (:func:`run_screen`).
    kinetics : mapping, optional
        ``{"i0_A_cm2": ..., "alpha_t": ...}`` for the charge-transfer resistance R_ct (A/cm², –).

    Returns
    -------
    dict
        The JSON summary (plain types): counts, materials, ``not_computed`` (material, role, field,
        reason), ``partial``, objective, ``top`` cells, Pareto count, files, timings.
    """
    from ..materials import load_library
    from ..thermo import check_data_temperature
    from . import report
    from .selection import select_materials
    from .uncertainty import monte_carlo_outputs, parse_spreads

    lib = library if library is not None else load_library()
    closures = tuple(closures)
    check_data_temperature(temperature_K, "the library's material data")
    spreads_d = {}
    if mc_samples:
        spreads_d = parse_spreads(spreads)
        if not spreads_d:
            raise InputError("Monte Carlo needs at least one spread FIELD=WIDTH (e.g. work_function_eV=0.3)")
    sel = select_materials(lib, anodes, electrolytes, cathodes, n_states=n_states, temperature_K=temperature_K,
                           end_margin=end_margin)
    res = run_screen(sel, out, closures=closures, mu_li_se_eV=mu_li_se_eV, temperature_K=temperature_K,
                     objective=objective, pareto=pareto, chunk_cells=chunk_cells, resume=resume, overwrite=overwrite,
                     jobs=jobs, workers=workers, scheduler=scheduler, quiet=quiet, top_n=top_n, executor=executor,
                     transport=transport, kinetics=kinetics)
    out = Path(out)
    t0 = time.perf_counter()
    top = report.write_ranked_cells(out, top_n)
    summary = report.build_summary(out, sel, res, top, temperature_K=temperature_K, mu_li_se_eV=mu_li_se_eV,
                                   n_states=n_states)
    mc_df = None
    if mc_samples:
        tm = time.perf_counter()
        info, mc_df = monte_carlo_outputs(out, sel, closures, res["objective"], n_samples=mc_samples, seed=mc_seed,
                                          spreads=spreads_d, distribution=mc_distribution, top_k=top_k,
                                          mu_li_se_eV=mu_li_se_eV, temperature_K=temperature_K, top_n=top_n,
                                          transport=res["transport"], kinetics=res["kinetics"])
        summary["uncertainty"] = info
        summary["files"]["uncertainty"] = info["file"]
        summary["timings"]["monte_carlo_s"] = time.perf_counter() - tm
    if figures:
        figs = report.write_figures(out, sel, res, mc_df, top_k)
        summary["files"]["figures"] = {k: str(v) for k, v in figs.items()}
        summary["heatmaps"] = report.heatmap_ranges(res)
        summary["files"]["report"] = str(report.write_report(out, summary, top, figs, mc_df))
    summary["timings"]["outputs_s"] = time.perf_counter() - t0
    return report.write_summary(out, summary)
