"""Cells, ranking and Pareto set: independent of chunking, worker count and executor; kill-and-resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssbands.cli import main
from ssbands.errors import InputError
from ssbands.materials import load_library
from ssbands.screening import screen
from ssbands.screening.synth import write_synthetic_library

pytestmark = [pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.filterwarnings("ignore:.*[Pp]ort.*:UserWarning")]
LABELS = ("anode", "electrolyte", "cathode", "closure")
# The `ssbands` CLI with a 0.1 s pause after each cell part is written (patched in the subprocess, in the
# coordinator that writes the parts), so that a run can be killed after some chunks and before the last.
SLOW_CLI = """
import sys, time
from ssbands.cli import main
from ssbands.screening.store import CELLS, ScreenStore

write_part = ScreenStore.write_part

def slow_write_part(self, table, part, data):
    write_part(self, table, part, data)
    if table == CELLS:
        time.sleep(0.1)

ScreenStore.write_part = slow_write_part
main(sys.argv[1:])
"""


@pytest.fixture(scope="module")
def synlib(tmp_path_factory):
    d = tmp_path_factory.mktemp("syn")
    return write_synthetic_library(d / "syn.yaml", 8, 5, seed=11)


def cells(out) -> pd.DataFrame:
    df = pd.read_parquet(Path(out) / "cells.parquet")
    for c in LABELS:
        df[c] = df[c].astype(str)
    return df.sort_values("cell_id").reset_index(drop=True)


def run(lib, out, **kw):
    kw.setdefault("jobs", 1)
    kw.setdefault("figures", False)
    return screen(lib, out, n_states=3, closures=("minimum-interface", "extrinsic"), mu_li_se_eV=-1.5, **kw)


@pytest.fixture(scope="module")
def reference(synlib, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    s = run(load_library(extra=synlib), out, chunk_cells=100_000)
    return s, cells(out)


def test_complete_and_unique(reference):
    s, df = reference
    c = s["counts"]
    assert c["cells"] == len(df) == 2 * c["anodes"] * c["electrolytes"] * c["cathodes"]
    assert df.cell_id.is_unique and df.cell_id.min() == 0 and df.cell_id.max() == len(df) - 1
    assert not df.duplicated(list(LABELS)).any()
    for col in ("anode", "electrolyte", "cathode", "closure", "max_abs_phi0_V", "R_total_ohm_cm2", "score", "rank"):
        assert col in df


def test_chunk_size_and_serial_vs_processes(synlib, reference, tmp_path):
    _, ref = reference
    lib = load_library(extra=synlib)
    a = run(lib, tmp_path / "a", chunk_cells=7)
    assert a["counts"]["cell_chunks"] > 20
    pd.testing.assert_frame_equal(cells(tmp_path / "a"), ref)
    b = run(lib, tmp_path / "b", chunk_cells=60, jobs=2)
    assert b["executor"] == {"kind": "processes", "workers": 2}
    pd.testing.assert_frame_equal(cells(tmp_path / "b"), ref)
    for x in ("a", "b"):  # interface tables too
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / x / "interfaces.parquet"),
                                      pd.read_parquet(tmp_path / "a" / "interfaces.parquet"))


def test_dask_local_cluster_same_results(synlib, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    _, ref = reference
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                                  protocol="tcp", host="127.0.0.1") as cluster, distributed.Client(cluster) as client:
        s = run(load_library(extra=synlib), tmp_path / "d", chunk_cells=33, scheduler=client)
    assert s["executor"]["kind"] == "dask" and s["executor"]["workers"] == 2
    pd.testing.assert_frame_equal(cells(tmp_path / "d"), ref)


def test_rank_and_pareto_follow_the_documented_rules(reference):
    _, df = reference
    for _, g in df.groupby("closure"):
        cls = np.where(g.score.isna(), 2, np.where(g.feasible, 0, 1))
        key = list(zip(cls, g.score.fillna(np.inf), strict=True))
        # competition rank: 1 + number of cells strictly better by (class, score)
        srt = sorted(key)
        import bisect

        expect = [1 + bisect.bisect_left(srt, k) for k in key]
        assert g["rank"].tolist() == expect
        x, y = g.R_total_ohm_cm2.to_numpy(), g.window_violation_V.to_numpy()
        ok = ~(np.isnan(x) | np.isnan(y))
        brute = np.zeros(len(g), bool)

        def better(a, b):  # a below b beyond the relative tie tolerance 1e-9 (documented rule)
            return b - a > 1e-9 * np.maximum(np.abs(a), np.abs(b))

        for i in np.flatnonzero(ok):
            dom = (ok & ~better(x[i], x) & ~better(y[i], y)
                   & (better(x, x[i]) | better(y, y[i])))
            brute[i] = not dom.any()
        assert np.array_equal(g.pareto.to_numpy(), brute) and brute.any()


def test_resume_refuses_other_inputs_and_needs_flag(synlib, tmp_path):
    lib = load_library(extra=synlib)
    run(lib, tmp_path / "o", chunk_cells=50)
    with pytest.raises(InputError, match="already holds a screen"):
        run(lib, tmp_path / "o", chunk_cells=50)
    with pytest.raises(InputError, match="same inputs"):
        run(lib, tmp_path / "o", chunk_cells=51, resume=True)
    s = run(lib, tmp_path / "o", chunk_cells=50, resume=True)  # everything reused
    assert s["counts"]["cell_chunks_reused"] == s["counts"]["cell_chunks"]
    assert s["counts"]["interface_chunks_reused"] == s["counts"]["interface_chunks"]


@pytest.mark.parametrize("sig, jobs", [(signal.SIGKILL, "1"), (signal.SIGINT, "2")], ids=["kill-9", "ctrl-c"])
def test_kill_and_resume(synlib, reference, tmp_path, sig, jobs):
    """Kill a CLI run (SIGKILL, or Ctrl-C to its process group) after some chunks exist, resume it, and
    get the uninterrupted table exactly: every row once, same numbers."""
    _, ref = reference
    out = tmp_path / "killed"
    args = ["screen", "--library", str(synlib), "--states", "3", "--closure", "minimum-interface,extrinsic",
            "--mu-li-se", "-1.5", "--chunk-size", "20", "--out", str(out), "--jobs", jobs, "--quiet", "--no-figures"]
    proc = subprocess.Popen([sys.executable, "-c", SLOW_CLI, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    parts = out / "cells.parquet"
    t0 = time.time()
    while time.time() - t0 < 60:
        if parts.is_dir() and len(list(parts.glob("part-*.parquet"))) >= 4:
            break
        if proc.poll() is not None:
            pytest.fail(f"run ended before it could be killed: {proc.stderr.read().decode()}")
        time.sleep(0.02)
    if sig == signal.SIGINT:
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(30) == 130
        assert b"--resume" in proc.stderr.read()
    else:
        os.kill(proc.pid, sig)
        proc.wait()
    n_before = len(list(parts.glob("part-*.parquet")))
    summary = screen(load_library(extra=synlib), out, n_states=3, closures=("minimum-interface", "extrinsic"),
                     mu_li_se_eV=-1.5, chunk_cells=20, resume=True, jobs=1, figures=False)
    c = summary["counts"]
    assert 4 <= n_before < c["cell_chunks"] and c["cell_chunks_reused"] == n_before
    df = cells(out)
    assert df.cell_id.is_unique and len(df) == len(ref)
    pd.testing.assert_frame_equal(df, ref)
    assert not list(parts.glob(".part-*"))  # no temporary leftovers


def test_objective_changes_ranking(tmp_path):
    lib = load_library()
    a = screen(lib, tmp_path / "a", jobs=1, figures=False)
    top = a["top"][0]
    assert (top["anode"], top["electrolyte"], top["cathode"]) == ("Li", "LiPON", "LixCoO2")
    b = screen(lib, tmp_path / "b", jobs=1, figures=False, objective="max-abs-phi0+stable")
    # LiPON and LLZO are flagged (Li below V_red; LixCoO2 above V_ox): they fall behind the unflagged cells
    t = b["top"]
    assert (t[0]["anode"], t[0]["electrolyte"]) == ("Li", "Li2O(110)")
    df = cells(tmp_path / "b")
    assert df[df.feasible]["rank"].max() < df[~df.feasible]["rank"].min()
    c = screen(lib, tmp_path / "c", jobs=1, figures=False, objective="total-resistance")
    dc = cells(tmp_path / "c")
    assert set(dc.nsmallest(2, "rank").electrolyte) == {"LiPON"}  # the only SE with transport data
    assert dc[dc.score.isna()]["rank"].nunique() == 1 and dc.score.isna().sum() == 10
    assert c["objective"]["metric"] == "R_total_ohm_cm2"


def test_monte_carlo_reproducible(tmp_path, capsys):
    args = ["screen", "--anodes", "Li,LixSi", "--cathodes", "LixCoO2", "--jobs", "1", "--quiet", "--json",
            "--mc", "40", "--spread", "work_function_eV=0.3", "--spread", "phi0_li_V=0.1", "--top-k", "2"]
    import json

    main([*args, "--mc-seed", "4", "--out", str(tmp_path / "a")])
    sa = json.loads(capsys.readouterr().out)
    main([*args, "--mc-seed", "4", "--out", str(tmp_path / "b"), "--no-figures"])
    json.loads(capsys.readouterr().out)
    main([*args, "--mc-seed", "5", "--out", str(tmp_path / "c"), "--no-figures"])
    ua, ub, uc = (pd.read_parquet(tmp_path / x / "uncertainty.parquet") for x in "abc")
    pd.testing.assert_frame_equal(ua, ub)
    assert not ua.score_p50.equals(uc.score_p50)
    assert ua.p_top_2.sum() >= 2 - 1e-12 and ua.p_top_2.between(0, 1).all()
    assert (ua.score_p05 <= ua.score_p50).all() and (ua.score_p50 <= ua.score_p95).all()
    assert sa["uncertainty"]["seed"] == 4 and len(sa["uncertainty"]["most_likely_top"]) > 0
    for f in ("heatmap_phi0.png", "pareto.png", "uncertainty.png", "report.md", "ranked_cells.csv", "summary.json"):
        assert (tmp_path / "a" / f).exists(), f
