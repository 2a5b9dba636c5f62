"""Chunked, resumable, parallel execution of a screen (local processes by default, or Dask).

The work is cut into chunks whose boundaries depend only on the problem size and ``chunk_cells``
(never on the number of workers), so every executor computes exactly the same rows:

1. **interfaces** — blocks of electrolytes × all electrodes × states × closures →
   ``interfaces.parquet/part-NNNNNN.parquet``;
2. **scores** — every cell block is combined once to get its score, feasibility and its local Pareto
   candidates (nothing written; 9 bytes per cell kept by the coordinator);
3. **ranking** — global competition ranks per closure and the global Pareto set, in the coordinator;
4. **cells** — every cell block again, now with ``rank`` and ``pareto`` →
   ``cells.parquet/part-NNNNNN.parquet``.

Workers encode Parquet in memory and return bytes; only the coordinator writes, each part atomically
(temporary file + rename) under a deterministic name, so a part file exists completely or not at all.
``resume=True`` keeps the parts already there (interfaces are read back, not recomputed) and computes
only the missing ones; the numbers are deterministic, so a resumed run equals an uninterrupted one.
Memory: O(chunk) per worker plus ~10 bytes per cell in the coordinator.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from .._version import __version__
from ..errors import InputError
from .cells import DEFAULT_PARETO, Objective, _check_columns, combine, pareto_front, rank_scores, score_class
from .interfaces import Selection, compute_interfaces, interface_columns

__all__ = ["Chunk", "plan_cell_chunks", "plan_interface_chunks", "make_executor", "SerialExecutor",
           "ProcessExecutor", "DaskExecutor", "run_screen", "DEFAULT_CHUNK_CELLS"]

DEFAULT_CHUNK_CELLS = 100_000
PART = "part-{:06d}.parquet"
_TEST_DELAY_ENV = "SSBANDS_SCREEN_TEST_DELAY_S"  # seconds to sleep after each cell part (kill-and-resume tests)


# ------------------------------------------------------------------------------------------------
# chunk plans


@dataclass(frozen=True)
class Chunk:
    """A block of cells: closure ``q``, electrolytes [e0, e1), anodes [a0, a1), cathodes [c0, c1)."""

    id: int
    q: int
    e0: int
    e1: int
    a0: int
    a1: int
    c0: int
    c1: int

    @property
    def size(self) -> int:
        return (self.e1 - self.e0) * (self.a1 - self.a0) * (self.c1 - self.c0)


def plan_cell_chunks(n_closures: int, n_electrolytes: int, n_anodes: int, n_cathodes: int,
                     chunk_cells: int = DEFAULT_CHUNK_CELLS) -> list[Chunk]:
    """Deterministic blocks of about ``chunk_cells`` cells (cathodes fastest, then anodes, electrolytes)."""
    if chunk_cells < 1:
        raise InputError(f"chunk size must be >= 1 cell, got {chunk_cells}")
    cb = min(n_cathodes, chunk_cells)
    ab = min(n_anodes, max(1, chunk_cells // cb))
    eb = min(n_electrolytes, max(1, chunk_cells // (ab * cb)))
    out = []
    for q in range(n_closures):
        for e0 in range(0, n_electrolytes, eb):
            for a0 in range(0, n_anodes, ab):
                for c0 in range(0, n_cathodes, cb):
                    out.append(Chunk(len(out), q, e0, min(e0 + eb, n_electrolytes), a0, min(a0 + ab, n_anodes),
                                     c0, min(c0 + cb, n_cathodes)))
    return out


def plan_interface_chunks(n_closures: int, n_electrolytes: int, n_electrodes: int, n_states: int,
                          chunk_cells: int = DEFAULT_CHUNK_CELLS) -> list[tuple[int, int, int]]:
    """``(id, e0, e1)`` blocks of electrolytes with about ``chunk_cells / 20`` interface rows each.

    An interface row (space-charge layer and its resistance quadrature) costs ~100 times a cell, so
    interface chunks are smaller to spread the work over the workers.
    """
    per = max(1, n_closures * n_electrodes * n_states)
    eb = max(1, min(n_electrolytes, max(1, chunk_cells // 20) // per))
    return [(i, e0, min(e0 + eb, n_electrolytes)) for i, e0 in enumerate(range(0, n_electrolytes, eb))]


# ------------------------------------------------------------------------------------------------
# executors: run func(task, shared) for many tasks, yielding results as they complete


class SerialExecutor:
    """Everything in this process, in order."""

    name = "serial"
    n_workers = 1

    def map_unordered(self, func: Callable, tasks: Iterable, shared) -> Iterator:
        for t in tasks:
            yield func(t, shared)

    def close(self):
        pass


_SHARED_CACHE: dict = {}


def _resolve(shared):
    """Shared data arrive as the object (serial, Dask) or as a path to a pickle the coordinator wrote."""
    if isinstance(shared, str) and shared.startswith("ssbands-shared:"):
        path = shared.split(":", 1)[1]
        if path not in _SHARED_CACHE:
            _SHARED_CACHE.clear()
            with open(path, "rb") as fh:
                _SHARED_CACHE[path] = pickle.load(fh)  # noqa: S301 - our own temporary file
        return _SHARED_CACHE[path]
    return shared


def _ignore_sigint():
    """Workers leave Ctrl-C to the coordinator, which stops the pool and keeps the finished chunks."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessExecutor:
    """A pool of local processes (``concurrent.futures``, spawn start method).

    Each stage's shared data are written once to a private temporary file that every worker loads
    once (not pickled per task); at most ``2 × n_workers`` tasks are in flight, which bounds memory.
    Workers ignore SIGINT; on Ctrl-C the coordinator cancels what is pending and terminates them.
    """

    name = "processes"

    def __init__(self, n_workers: int | None = None):
        import multiprocessing

        self.n_workers = int(n_workers or os.cpu_count() or 1)
        self._pool = ProcessPoolExecutor(self.n_workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_ignore_sigint)
        self._files: list[str] = []
        self.interrupted = False

    def map_unordered(self, func, tasks, shared):
        fd, path = tempfile.mkstemp(prefix="ssbands-screen-", suffix=".pkl")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(shared, fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._files.append(path)
        ref = f"ssbands-shared:{path}"
        it = iter(tasks)
        pending = set()
        try:
            while True:
                while len(pending) < 2 * self.n_workers:
                    try:
                        t = next(it)
                    except StopIteration:
                        break
                    pending.add(self._pool.submit(func, t, ref))
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    yield f.result()
        finally:
            for f in pending:
                f.cancel()

    def close(self):
        if self.interrupted:  # do not wait for running tasks: stop the workers
            procs = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.join(5)
        else:
            self._pool.shutdown(wait=True, cancel_futures=True)
        for p in self._files:
            try:
                os.unlink(p)
            except OSError:
                pass


class DaskExecutor:
    """Dask distributed: an existing scheduler (``address`` or ``client``) or a local cluster of ``n_workers``.

    Shared data are scattered to every worker once per stage (broadcast); at most ``2 × workers``
    tasks are in flight. Workers return Parquet bytes, so the output folder need not be shared with them.
    """

    name = "dask"

    def __init__(self, address=None, n_workers: int | None = None, client=None):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - optional dependency
            raise InputError(f"--scheduler/--workers need dask[distributed] (pip install 'ssbands[dask]'): {exc}") \
                from None
        self._own = []
        if client is not None:
            self.client = client
        elif address is not None:
            try:
                self.client = Client(address, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise InputError(f"cannot connect to the Dask scheduler at {address!r}: {exc}") from None
            self._own.append(self.client)
        else:
            n = int(n_workers or 1)
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
            self.client = Client(cluster)
            self._own += [self.client, cluster]
        info = self.client.scheduler_info()
        self.n_workers = max(1, len(info.get("workers", {})))

    def map_unordered(self, func, tasks, shared):
        from distributed import as_completed

        ref = self.client.scatter([shared], broadcast=True, hash=False)[0]
        it = iter(tasks)
        ac = as_completed()
        n = 0
        for t in it:
            ac.add(self.client.submit(func, t, ref, pure=False))
            n += 1
            if n >= 2 * self.n_workers:
                break
        try:
            for f in ac:
                res = f.result()
                f.release()
                yield res
                try:
                    ac.add(self.client.submit(func, next(it), ref, pure=False))
                except StopIteration:
                    pass
        finally:
            for f in list(ac.futures):
                f.cancel()

    def close(self):
        for obj in self._own:
            obj.close()


def make_executor(jobs: int | None = None, workers: int | None = None, scheduler=None):
    """``scheduler`` (address or ``distributed.Client``) → Dask; ``workers`` → local Dask cluster;
    otherwise local processes (``jobs`` of them, default all cores; ``jobs=1`` runs in this process)."""
    if scheduler is not None and workers is not None:
        raise InputError("give --workers N (a local Dask cluster) or --scheduler ADDRESS, not both")
    if scheduler is not None:
        if isinstance(scheduler, str):
            return DaskExecutor(address=scheduler)
        return DaskExecutor(client=scheduler)
    if workers is not None:
        if workers < 1:
            raise InputError(f"--workers must be >= 1, got {workers}")
        return DaskExecutor(n_workers=workers)
    if jobs is not None and jobs < 1:
        raise InputError(f"--jobs must be >= 1, got {jobs}")
    n = jobs or os.cpu_count() or 1
    return SerialExecutor() if n == 1 else ProcessExecutor(n)


# ------------------------------------------------------------------------------------------------
# Arrow / Parquet helpers


def _to_parquet_bytes(cols: dict) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays, names = [], []
    for k, v in cols.items():
        if isinstance(v, tuple):  # (codes, labels) -> dictionary column
            codes, labels = v
            arrays.append(pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, np.int32)),
                                                         pa.array(list(labels), pa.string())))
        else:
            arrays.append(pa.array(np.ascontiguousarray(v)))
        names.append(k)
    buf = io.BytesIO()
    pq.write_table(pa.table(arrays, names=names), buf, compression="snappy")
    return buf.getvalue()


def _write_bytes(path: Path, data: bytes) -> None:
    from ..profile import atomic_write

    atomic_write(path, lambda p: p.write_bytes(data))


def _codes_from_dictionary(column, labels: Sequence[str]) -> np.ndarray:
    """Integer codes (index in ``labels``; "unknown" → -1) of a dictionary/string column."""
    import pyarrow as pa

    arr = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    lut = np.array([labels.index(s) if s in labels else -1 for s in arr.dictionary.to_pylist()], np.int8)
    return lut[arr.indices.to_numpy(zero_copy_only=False)]


# ------------------------------------------------------------------------------------------------
# tasks (module level: picklable)


def _interface_task(task, shared):
    shared = _resolve(shared)
    cid, e0, e1 = task
    t0 = time.perf_counter()
    els = shared["electrolytes"][e0:e1]
    dip = shared["dipole"]
    res = compute_interfaces(shared["electrodes"], els, shared["phi_li"], shared["closures"],
                             mu_li_se_eV=shared["mu_li_se"], temperature_K=shared["T"],
                             dipole_V=dip[e0:e1] if np.ndim(dip) else dip)
    cols = interface_columns(res, shared["electrodes"], els, shared["closures"], shared["T"], e0,
                             [r.name for r in shared["electrolytes"]])
    t1 = time.perf_counter()
    data = _to_parquet_bytes(cols)
    return {"id": cid, "data": data, "compute_s": t1 - t0, "encode_s": time.perf_counter() - t1}


def _score_task(chunk: Chunk, shared):
    shared = _resolve(shared)
    t0 = time.perf_counter()
    cols = combine(shared["ifc"], shared["anode_idx"], shared["cathode_idx"], chunk.q, slice(chunk.e0, chunk.e1),
                   slice(chunk.a0, chunk.a1), slice(chunk.c0, chunk.c1), shared["objective"])
    px, py = shared["pareto"]
    front = pareto_front(cols[px], cols[py])
    return {"id": chunk.id, "score": cols["score"], "cls": score_class(cols["score"], cols["feasible"]),
            "front": front, "front_x": cols[px][front], "front_y": cols[py][front],
            "compute_s": time.perf_counter() - t0}


def _cell_task(task, shared):
    chunk, rank, pareto = task
    shared = _resolve(shared)
    t0 = time.perf_counter()
    cols = combine(shared["ifc"], shared["anode_idx"], shared["cathode_idx"], chunk.q, slice(chunk.e0, chunk.e1),
                   slice(chunk.a0, chunk.a1), slice(chunk.c0, chunk.c1), shared["objective"])
    nQ, nE, nA, nC = shared["dims"]
    e, a, c = np.meshgrid(np.arange(chunk.e0, chunk.e1), np.arange(chunk.a0, chunk.a1), np.arange(chunk.c0, chunk.c1),
                          indexing="ij")
    e, a, c = e.ravel(), a.ravel(), c.ravel()
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
    data = _to_parquet_bytes(out)
    return {"id": chunk.id, "data": data, "compute_s": t1 - t0, "encode_s": time.perf_counter() - t1}


# ------------------------------------------------------------------------------------------------
# the run


def _progress(total, desc, quiet, unit="chunk"):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=quiet, leave=False, dynamic_ncols=True,
                unit_scale=unit != "chunk")


def _inputs_hash(sel: Selection, config: dict) -> str:
    doc = {
        "config": config, "phi_li": sel.phi_li_eV,
        "electrodes": [[e.name, e.role, e.soc.tolist(), np.nan_to_num(e.li_fraction, nan=-1).tolist(),
                        e.potential_V.tolist(), e.work_function_eV.tolist()] for e in sel.electrodes],
        "electrolytes": [[r.name, sorted(r.values.items()), r.window_V] for r in sel.electrolytes],
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def _prepare_out(out: Path, manifest: dict, resume: bool, overwrite: bool) -> bool:
    """Check/initialise the output folder. Returns True when existing parts may be reused."""
    mpath = out / "manifest.json"
    if mpath.exists():
        try:
            old = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        if resume:
            if old is None or old.get("inputs_sha256") != manifest["inputs_sha256"]:
                raise InputError(f"{out}: --resume needs the same inputs as the interrupted run (materials, library "
                                 "values, states, closures, objective, Pareto columns, chunk size); they differ. "
                                 "Use a new --out or --overwrite")
        elif not overwrite:
            raise InputError(f"{out} already holds a screen; use --resume to finish it or --overwrite to replace it")
        else:
            resume = False
    elif resume:
        resume = False  # nothing to resume: a fresh run
    if not resume:
        for d in ("interfaces.parquet", "cells.parquet"):
            if (out / d).exists():
                shutil.rmtree(out / d)
        for f in ("summary.json", "uncertainty.parquet", "top_cells.csv", "report.md"):
            if (out / f).exists():
                (out / f).unlink()
    for d in ("interfaces.parquet", "cells.parquet"):
        (out / d).mkdir(parents=True, exist_ok=True)
        for stale in (out / d).glob(".part-*"):  # temporary files of a killed run
            stale.unlink()
    from ..profile import atomic_write

    atomic_write(mpath, lambda p: p.write_text(json.dumps(manifest, indent=2), encoding="utf-8"))
    return resume


def _ifc_from_tables(tables: dict, sel: Selection, closures, plan) -> dict:
    """Cell-stage interface arrays from the interface parts (so cells use exactly what was written)."""
    from .interfaces import DECOMPOSITION_LABELS, INJECTION_LABELS

    Q, E = len(closures), len(sel.electrolytes)
    M, K = len(sel.electrodes), sel.electrodes[0].soc.size
    ifc = {"phi0_V": np.empty((E, M, K)), "R_scl_ohm_cm2": np.empty((E, M, K)),
           "window_violation_V": np.empty((E, M, K)), "decomposition_code": np.empty((E, M, K), np.int8),
           "injection_code": np.empty((Q, E, M, K), np.int8)}
    for cid, e0, e1 in plan:
        t = tables[cid]
        shp = (Q, e1 - e0, M, K)
        for k in ("phi0_V", "R_scl_ohm_cm2", "window_violation_V"):
            ifc[k][e0:e1] = t.column(k).to_numpy().reshape(shp)[0]
        ifc["decomposition_code"][e0:e1] = _codes_from_dictionary(t.column("decomposition"),
                                                                  DECOMPOSITION_LABELS).reshape(shp)[0]
        ifc["injection_code"][:, e0:e1] = _codes_from_dictionary(t.column("injection"), INJECTION_LABELS).reshape(shp)
    ifc["potential_V"] = np.stack([e.potential_V for e in sel.electrodes])
    return ifc


def run_screen(selection: Selection, out, *, closures: Sequence[str] = ("minimum-interface",),
               mu_li_se_eV: float | None = None, temperature_K: float = 300.0, objective="max-abs-phi0",
               pareto: Sequence[str] = DEFAULT_PARETO, chunk_cells: int = DEFAULT_CHUNK_CELLS, resume: bool = False,
               overwrite: bool = False, jobs: int | None = None, workers: int | None = None, scheduler=None,
               quiet: bool = True, top_n: int = 10, executor=None) -> dict:
    """Run the interface and cell stages of a screen into ``out`` (see the module doc).

    Parameters
    ----------
    selection : Selection
        From :func:`~ssbands.screening.interfaces.select_materials`.
    out : path
        Output folder (``interfaces.parquet/``, ``cells.parquet/``, ``manifest.json``).
    closures, mu_li_se_eV, temperature_K
        Closures of the SE Fermi level (and μ_Li,SE in eV for ``extrinsic``); temperature in K.
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
        Cells per closure in the returned ``top`` table.
    executor : optional
        An executor object (overrides jobs/workers/scheduler; not closed here).

    Returns
    -------
    dict
        Counts, timings (s), the chunk plan, ``ifc`` (cell-stage interface arrays) and ``top`` (a
        pandas DataFrame of the best cells); the CLI turns it into the JSON summary.
    """
    import pyarrow.parquet as pq

    t_start = time.perf_counter()
    closures = tuple(closures)
    obj = Objective.parse(objective)
    px, py = _check_columns(tuple(pareto))
    sel = selection
    for role, items in (("anode", sel.anodes), ("electrolyte", sel.electrolytes), ("cathode", sel.cathodes)):
        if not items:
            why = "; ".join(f"{s['material']}: {s['reason']}" for s in sel.skipped if s["role"] in (role, "electrode"))
            raise InputError(f"no computable {role} in the screen" + (f" ({why})" if why else ""))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    Q, E, A, C = len(closures), len(sel.electrolytes), len(sel.anodes), len(sel.cathodes)
    M, K = len(sel.electrodes), sel.electrodes[0].soc.size
    config = {"closures": list(closures), "mu_li_se_eV": mu_li_se_eV, "temperature_K": float(temperature_K),
              "objective": obj.text, "pareto": [px, py], "chunk_cells": int(chunk_cells)}
    manifest = {"ssbands_version": __version__, "config": config,
                "anodes": [e.name for e in sel.anodes], "electrolytes": [r.name for r in sel.electrolytes],
                "cathodes": [e.name for e in sel.cathodes], "inputs_sha256": _inputs_hash(sel, config)}
    resume = _prepare_out(out, manifest, resume, overwrite)
    own = executor is None
    t0 = time.perf_counter()
    ex = executor if executor is not None else make_executor(jobs, workers, scheduler)
    timings = {"executor_start_s": time.perf_counter() - t0, "interfaces_s": 0.0, "scores_s": 0.0, "ranking_s": 0.0, "cells_s": 0.0, "write_s": 0.0,
               "worker_compute_s": 0.0, "worker_encode_s": 0.0}
    counts = {"interface_chunks_reused": 0, "cell_chunks_reused": 0}
    delay = float(os.environ.get(_TEST_DELAY_ENV, "0") or 0)
    try:
        # ---- 1. interfaces
        t0 = time.perf_counter()
        iplan = plan_interface_chunks(Q, E, M, K, chunk_cells)
        idir = out / "interfaces.parquet"
        tables = {}
        todo = []
        for cid, e0, e1 in iplan:
            p = idir / PART.format(cid)
            if resume and p.exists():
                tables[cid] = pq.read_table(p)
                counts["interface_chunks_reused"] += 1
            else:
                todo.append((cid, e0, e1))
        shared = {"electrodes": sel.electrodes, "electrolytes": sel.electrolytes, "phi_li": sel.phi_li_eV,
                  "closures": closures, "mu_li_se": mu_li_se_eV, "T": float(temperature_K), "dipole": 0.0}
        with _progress(len(iplan), "interfaces", quiet) as bar:
            bar.update(len(iplan) - len(todo))
            for r in ex.map_unordered(_interface_task, todo, shared):
                tw = time.perf_counter()
                _write_bytes(idir / PART.format(r["id"]), r["data"])
                tables[r["id"]] = pq.read_table(io.BytesIO(r["data"]))
                timings["write_s"] += time.perf_counter() - tw
                timings["worker_compute_s"] += r["compute_s"]
                timings["worker_encode_s"] += r["encode_s"]
                bar.update(1)
        ifc = _ifc_from_tables(tables, sel, closures, iplan)
        del tables
        timings["interfaces_s"] = time.perf_counter() - t0

        # ---- 2. scores
        t0 = time.perf_counter()
        plan = plan_cell_chunks(Q, E, A, C, chunk_cells)
        offsets = np.concatenate([[0], np.cumsum([c.size for c in plan])])
        n_cells = int(offsets[-1])
        score = np.empty(n_cells)
        cls = np.empty(n_cells, np.int8)
        fronts = {q: [] for q in range(Q)}
        shared = {"ifc": ifc, "anode_idx": np.arange(A), "cathode_idx": np.arange(A, A + C), "objective": obj,
                  "pareto": (px, py), "dims": (Q, E, A, C),
                  "names": {"anode": [e.name for e in sel.anodes], "cathode": [e.name for e in sel.cathodes],
                            "electrolyte": [r.name for r in sel.electrolytes], "closure": list(closures)}}
        with _progress(n_cells, "scores", quiet, "cell") as bar:
            for r in ex.map_unordered(_score_task, plan, shared):
                o = offsets[r["id"]]
                score[o:o + r["score"].size] = r["score"]
                cls[o:o + r["score"].size] = r["cls"]
                fronts[plan[r["id"]].q].append((o + r["front"], r["front_x"], r["front_y"]))
                timings["worker_compute_s"] += r["compute_s"]
                bar.update(r["score"].size)
        timings["scores_s"] = time.perf_counter() - t0

        # ---- 3. ranking and Pareto set (per closure; chunks of one closure are contiguous)
        t0 = time.perf_counter()
        rank = np.empty(n_cells, np.int64)
        on_front = np.zeros(n_cells, bool)
        for q in range(Q):
            ids = [c.id for c in plan if c.q == q]
            lo, hi = offsets[ids[0]], offsets[ids[-1] + 1]
            rank[lo:hi] = rank_scores(score[lo:hi], cls[lo:hi])
            if fronts[q]:
                gi = np.concatenate([f[0] for f in fronts[q]])
                keep = pareto_front(np.concatenate([f[1] for f in fronts[q]]), np.concatenate([f[2] for f in fronts[q]]))
                on_front[gi[keep]] = True
        n_feasible = int(np.sum(cls == 0))
        n_nan = int(np.sum(cls == 2))
        del score, cls
        timings["ranking_s"] = time.perf_counter() - t0

        # ---- 4. cells
        t0 = time.perf_counter()
        cdir = out / "cells.parquet"
        todo = []
        for c in plan:
            if resume and (cdir / PART.format(c.id)).exists():
                counts["cell_chunks_reused"] += 1
            else:
                todo.append(c)
        tasks = ((c, rank[offsets[c.id]:offsets[c.id + 1]], on_front[offsets[c.id]:offsets[c.id + 1]]) for c in todo)
        with _progress(n_cells, "cells", quiet, "cell") as bar:
            bar.update(n_cells - sum(c.size for c in todo))
            for r in ex.map_unordered(_cell_task, tasks, shared):
                tw = time.perf_counter()
                _write_bytes(cdir / PART.format(r["id"]), r["data"])
                timings["write_s"] += time.perf_counter() - tw
                timings["worker_compute_s"] += r["compute_s"]
                timings["worker_encode_s"] += r["encode_s"]
                bar.update(plan[r["id"]].size)
                if delay:
                    time.sleep(delay)
        timings["cells_s"] = time.perf_counter() - t0
        n_pareto = int(on_front.sum())
    except KeyboardInterrupt:
        if hasattr(ex, "interrupted"):
            ex.interrupted = True
        print(f"ssbands screen: interrupted; finished chunks are kept in {out} - rerun with --resume to complete",
              file=sys.stderr)
        raise
    finally:
        if own:
            ex.close()
    timings["total_s"] = time.perf_counter() - t_start
    return {"out": str(out), "n_interfaces": Q * E * M * K, "n_cells": n_cells, "n_feasible": n_feasible,
            "n_score_nan": n_nan, "n_pareto": n_pareto, "interface_chunks": len(iplan), "cell_chunks": len(plan),
            **counts, "executor": getattr(ex, "name", type(ex).__name__), "n_workers": getattr(ex, "n_workers", 1),
            "objective": obj, "pareto_columns": [px, py], "timings": timings, "ifc": ifc,
            "closures": list(closures)}


# ------------------------------------------------------------------------------------------------
# the whole screen: selection, stages, Monte Carlo, figures, report, summary


def _write_table(path: Path, cols: dict) -> None:
    _write_bytes(path, _to_parquet_bytes(cols))


def screen(library=None, out="ssbands-screen", *, anodes=None, electrolytes=None, cathodes=None,
           closures: Sequence[str] = ("minimum-interface",), mu_li_se_eV: float | None = None,
           temperature_K: float = 300.0, n_states: int = 2, end_margin: float = 0.01, objective="max-abs-phi0",
           pareto: Sequence[str] = DEFAULT_PARETO, chunk_cells: int = DEFAULT_CHUNK_CELLS, resume: bool = False,
           overwrite: bool = False, jobs: int | None = None, workers: int | None = None, scheduler=None,
           quiet: bool = True, figures: bool = True, top_n: int = 10, mc_samples: int = 0, mc_seed: int = 0,
           spreads=None, mc_distribution: str = "uniform", top_k: int = 3, executor=None) -> dict:
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
        the Li range), see :func:`~ssbands.screening.interfaces.electrode_states`.
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

    Returns
    -------
    dict
        The JSON summary (plain types): counts, materials, ``not_computed`` (material, role, field,
        reason), ``partial``, objective, ``top`` cells, Pareto count, files, timings.
    """
    from ..materials import load_library
    from .interfaces import select_materials

    lib = library if library is not None else load_library()
    closures = tuple(closures)
    spreads_d = {}
    if mc_samples:
        from .uncertainty import parse_spreads

        spreads_d = parse_spreads(spreads)
        if not spreads_d:
            raise InputError("Monte Carlo needs at least one --spread FIELD=WIDTH (e.g. work_function_eV=0.3)")
    sel = select_materials(lib, anodes, electrolytes, cathodes, n_states=n_states, temperature_K=temperature_K,
                           end_margin=end_margin)
    res = run_screen(sel, out, closures=closures, mu_li_se_eV=mu_li_se_eV, temperature_K=temperature_K,
                     objective=objective, pareto=pareto, chunk_cells=chunk_cells, resume=resume, overwrite=overwrite,
                     jobs=jobs, workers=workers, scheduler=scheduler, quiet=quiet, top_n=top_n, executor=executor)
    out = Path(out)
    t0 = time.perf_counter()
    from . import report

    obj: Objective = res["objective"]
    top = report.top_cells(out / "cells.parquet", top_n)
    ranked = report.top_cells(out / "cells.parquet", 10 * top_n)
    from ..profile import atomic_write

    atomic_write(out / "ranked_cells.csv", lambda p: ranked.to_csv(p, index=False))
    summary = {
        "ssbands_version": __version__, "out": str(out), "temperature_K": float(temperature_K),
        "closures": list(closures), "mu_li_se_eV": mu_li_se_eV, "n_states": n_states,
        "counts": {"anodes": len(sel.anodes), "electrolytes": len(sel.electrolytes), "cathodes": len(sel.cathodes),
                   "not_computed": len(sel.skipped), "interfaces": res["n_interfaces"], "cells": res["n_cells"],
                   "feasible": res["n_feasible"], "score_nan": res["n_score_nan"], "pareto": res["n_pareto"],
                   "interface_chunks": res["interface_chunks"], "cell_chunks": res["cell_chunks"],
                   "interface_chunks_reused": res["interface_chunks_reused"],
                   "cell_chunks_reused": res["cell_chunks_reused"]},
        "materials": {"anodes": [e.name for e in sel.anodes], "electrolytes": [r.name for r in sel.electrolytes],
                      "cathodes": [e.name for e in sel.cathodes]},
        "electrode_states": [{"electrode": e.name, "role": e.role, "state": list(e.labels),
                              "li_fraction": e.li_fraction.tolist(), "potential_V": e.potential_V.tolist(),
                              "work_function_eV": e.work_function_eV.tolist()} for e in sel.electrodes],
        "not_computed": [dict(s) for s in sel.skipped], "partial": [dict(p) for p in sel.partial],
        "objective": {"text": obj.text, "metric": obj.metric, "constraints": list(obj.constraints),
                      "description": obj.describe()},
        "pareto_columns": res["pareto_columns"],
        "top": top.to_dict(orient="records"),
        "executor": {"kind": res["executor"], "workers": res["n_workers"]},
        "files": {"interfaces": str(out / "interfaces.parquet"), "cells": str(out / "cells.parquet"),
                  "ranked": str(out / "ranked_cells.csv"), "summary": str(out / "summary.json")},
        "timings": res["timings"],
    }
    mc_df = None
    if mc_samples:
        from .uncertainty import monte_carlo

        tm = time.perf_counter()
        mc = monte_carlo(sel, closures, obj, n_samples=mc_samples, seed=mc_seed, spreads=spreads_d,
                         distribution=mc_distribution, top_k=top_k, mu_li_se_eV=mu_li_se_eV,
                         temperature_K=temperature_K)
        _write_table(out / "uncertainty.parquet", mc["columns"])
        import pandas as pd

        mc_df = pd.read_parquet(out / "uncertainty.parquet")
        for c in ("anode", "electrolyte", "cathode", "closure"):
            mc_df[c] = mc_df[c].astype(str)
        key = f"p_top_{top_k}"
        best = mc_df.sort_values([key, "score_p50"], ascending=[False, True], kind="stable").head(top_n)
        summary["uncertainty"] = {**mc["info"], "file": str(out / "uncertainty.parquet"),
                                  "most_likely_top": best.to_dict(orient="records")}
        summary["files"]["uncertainty"] = str(out / "uncertainty.parquet")
        summary["timings"]["monte_carlo_s"] = time.perf_counter() - tm
    figs = {}
    if figures:
        ifc = res["ifc"]
        figs["interface_steps"] = report.heatmap(
            ifc["phi0_V"], sel, out / "heatmap_phi0.png", cbar="φ0 (V): SE bulk minus interface",
            title="Interface step φ0 screened by the electrolyte's SCL (rows: electrode, A/C role, state)")
        if np.isfinite(ifc["R_scl_ohm_cm2"]).any():
            with np.errstate(divide="ignore", invalid="ignore"):
                lr = np.log10(ifc["R_scl_ohm_cm2"])
            figs["interface_resistance"] = report.heatmap(lr, sel, out / "heatmap_R_scl.png", diverging=False,
                                                          cbar="log10(R_SCL·A / Ω cm²)",
                                                          title="SCL resistance (n/a: no transport data)")
        px, py = res["pareto_columns"]
        cols = ["anode", "electrolyte", "cathode", "closure", px, py, "pareto"]
        sample = report.sample_cells(out / "cells.parquet", cols)
        import pyarrow.dataset as pads

        front = pads.dataset(str(out / "cells.parquet"), format="parquet").to_table(
            columns=cols, filter=pads.field("pareto")).to_pandas()
        for c in ("anode", "electrolyte", "cathode"):
            front[c] = front[c].astype(str)
        figs["pareto"] = report.pareto_plot(sample, front, px, py, out / "pareto.png",
                                            sampled=len(sample) < res["n_cells"])
        if mc_df is not None:
            figs["uncertainty"] = report.uncertainty_plot(mc_df, out / "uncertainty.png", top_k, metric=obj.metric)
        summary["files"]["figures"] = {k: str(v) for k, v in figs.items()}
        summary["files"]["report"] = str(report.write_report(out, summary, top, figs, mc_df))
    summary["timings"]["outputs_s"] = time.perf_counter() - t0
    from ..profile import to_jsonable

    summary = to_jsonable(summary)
    text = json.dumps(summary, indent=2, allow_nan=False)
    atomic_write(out / "summary.json", lambda p: p.write_text(text, encoding="utf-8"))
    return summary
