"""Benchmark of `ssbands screen`: 10^6 cells (100 anodes x 100 electrolytes x 100 cathodes, synthetic).

Each run happens in a fresh Python process (so peak memory is per run) and reports its wall time, the
split between interface solves, combination (scores + ranking + cells) and I/O, and peak RSS of the
coordinator and of the largest worker (resource.getrusage). Configurations: local processes
(the default executor) with 1 and 2 workers, and a local Dask cluster with 1 and 2 workers.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_screening.py --repeats 3

Prints a Markdown table (medians over the repeats); collected into benchmarks/RESULTS.md by benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIGS = {
    "processes, 1 worker (serial)": {"jobs": 1},
    "processes, 2 workers (default on 2 cores)": {"jobs": 2},
    "Dask LocalCluster, 1 worker": {"workers": 1},
    "Dask LocalCluster, 2 workers": {"workers": 2},
}


def child(lib: str, out: str, cfg: dict, n: int, states: int) -> dict:
    from ssbands.materials import load_library
    from ssbands.screening import screen

    t0 = time.perf_counter()
    lib = load_library(extra=lib)
    names = {k: sorted(m.name for m in lib.values() if m.name.startswith(p))[:n]
             for k, p in (("anodes", "SynAnode"), ("cathodes", "SynCathode"), ("electrolytes", "SynSE"))}
    t1 = time.perf_counter()
    s = screen(lib, out, **names, n_states=states, overwrite=True, figures=False, quiet=True, **cfg)
    wall = time.perf_counter() - t1
    t = s["timings"]
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"cells": s["counts"]["cells"], "interfaces": s["counts"]["interfaces"], "wall_s": wall,
            "load_library_s": t1 - t0, "executor_start_s": t["executor_start_s"], "interfaces_s": t["interfaces_s"],
            "combination_s": t["scores_s"] + t["ranking_s"] + t["cells_s"], "write_s": t["write_s"],
            "encode_cpu_s": t["worker_encode_s"], "outputs_s": t["outputs_s"], "rss_coordinator_MB": me,
            "rss_max_child_MB": kids, "workers": s["executor"]["workers"], "top": s["top"][0]["cell_id"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--n", type=int, default=100, help="anodes = electrolytes = cathodes")
    ap.add_argument("--states", type=int, default=2)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        lib, out, cfg = json.loads(a.child)
        print(json.dumps(child(lib, out, cfg, a.n, a.states)))
        return
    from ssbands.screening.synth import write_synthetic_library

    with tempfile.TemporaryDirectory(prefix="ssbands-bench-") as d:
        lib = str(write_synthetic_library(Path(d) / "lib.yaml", 2 * a.n, a.n, seed=1))
        rows = []
        for label, cfg in CONFIGS.items():
            runs = []
            for _ in range(a.repeats):
                arg = json.dumps([lib, str(Path(d) / "out"), cfg])
                r = subprocess.run([sys.executable, __file__, "--child", arg, "--n", str(a.n), "--states",
                                    str(a.states)], capture_output=True, text=True, check=True)
                runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
            assert len({r["top"] for r in runs}) == 1
            med = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0] if isinstance(runs[0][k], float)}
            rows.append((label, runs[0], med, [r["wall_s"] for r in runs]))
    print(f"cells: {rows[0][1]['cells']}, interface rows: {rows[0][1]['interfaces']}, states: {a.states}, "
          f"repeats: {a.repeats} (median shown)\n")
    print("| executor | wall (s) | executor start | interfaces | combination | write | encode (CPU, summed) | "
          "outputs | peak RSS coordinator (MB) | peak RSS largest worker (MB) | all walls (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, _first, m, walls in rows:
        print(f"| {label} | {m['wall_s']:.2f} | {m['executor_start_s']:.2f} | {m['interfaces_s']:.2f} | "
              f"{m['combination_s']:.2f} | {m['write_s']:.2f} | {m['encode_cpu_s']:.2f} | {m['outputs_s']:.2f} | "
              f"{m['rss_coordinator_MB']:.0f} | {m['rss_max_child_MB']:.0f} | {', '.join(f'{w:.2f}' for w in walls)} |")
    print(f"\nsame best cell in every run: cell_id {rows[0][1]['top']}")


if __name__ == "__main__":
    main()
