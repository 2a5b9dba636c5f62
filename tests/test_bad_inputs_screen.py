"""No silent wrong answers in screening (class 6): a cell whose OCV is negative over its range is never
ranked; --overwrite leaves no stale output; ``library synth`` never overwrites by surprise and refuses a
huge request at once."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssbands.errors import InputError
from ssbands.materials import load_library
from ssbands.screening import screen
from ssbands.screening.cells import Objective, combine, rank_scores, score_class
from ssbands.screening.store import OUTPUT_FILES
from ssbands.screening.synth import MAX_SYNTH_MATERIALS, write_synthetic_library

from _cli import run_cli


def _cells(out) -> pd.DataFrame:
    df = pd.read_parquet(Path(out) / "cells.parquet")
    for c in ("anode", "electrolyte", "cathode", "closure"):
        df[c] = df[c].astype(str)
    return df


def test_negative_ocv_cell_is_infeasible_and_never_ranked(tmp_path):
    s = screen(load_library(), tmp_path / "o", anodes=["LixCoO2", "Li"], electrolytes=["LLZO"],
               cathodes=["LixSi", "LixCoO2"], jobs=1, figures=False)
    df = _cells(tmp_path / "o")
    neg = df[(df.anode == "LixCoO2") & (df.cathode == "LixSi")]
    assert len(neg) == 1 and float(neg.ocv_max_V.iloc[0]) < 0
    assert not neg.feasible.iloc[0] and neg["rank"].iloc[0] == 0 and not neg.pareto.iloc[0]
    assert bool(neg.negative_ocv.iloc[0])
    assert s["counts"]["negative_ocv"] == 1 and s["counts"]["feasible"] == 3
    ranked = df[df["rank"] > 0]
    assert sorted(ranked["rank"]) == [1, 2, 3] and (ranked.ocv_max_V > 0).all()
    assert all(not (r["anode"] == "LixCoO2" and r["cathode"] == "LixSi") for r in s["top"])
    csv = pd.read_csv(tmp_path / "o" / "ranked_cells.csv")
    assert not ((csv.anode == "LixCoO2") & (csv.cathode == "LixSi")).any()


def test_overwrite_removes_the_outputs_of_the_earlier_screen(tmp_path, capsys):
    out = tmp_path / "o"
    args = ["screen", "--anodes", "Li", "--electrolytes", "LLZO,LiPON", "--cathodes", "LixCoO2", "--out", str(out),
            "--quiet", "--jobs", "1"]
    code, _, err = run_cli(capsys, *args)
    assert code == 0, err
    assert (out / "heatmap_phi0.png").exists() and (out / "report.md").exists()
    code, _, err = run_cli(capsys, *args, "--overwrite", "--no-figures")
    assert code == 0, err
    left = {p.name for p in out.iterdir()}
    assert left == {"cells.parquet", "interfaces.parquet", "manifest.json", "ranked_cells.csv", "summary.json"}
    # every file a screen writes is one the next run removes
    code, _, err = run_cli(capsys, *args, "--overwrite", "--mc", "20", "--spread", "work_function_eV=0.1")
    assert code == 0, err
    written = {p.name for p in out.iterdir() if p.is_file()} - {"manifest.json"}
    assert written <= set(OUTPUT_FILES), written - set(OUTPUT_FILES)


def test_a_folder_without_a_screen_keeps_its_files(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "pareto.png").write_text("mine")
    screen(load_library(), out, anodes=["Li"], electrolytes=["LLZO"], cathodes=["LixCoO2"], jobs=1, figures=False)
    assert (out / "pareto.png").read_text() == "mine"


def test_library_synth_refuses_to_overwrite(tmp_path, capsys):
    p = tmp_path / "lib.yaml"
    assert run_cli(capsys, "library", "synth", "--n-electrodes", "2", "--n-electrolytes", "1", "--out", str(p))[0] == 0
    before = p.read_text()
    code, _, err = run_cli(capsys, "library", "synth", "--n-electrodes", "4", "--n-electrolytes", "3", "--seed", "3",
                           "--out", str(p))
    assert code == 2 and "already exists" in err and "--overwrite" in err and p.read_text() == before
    with pytest.raises(InputError, match="already exists"):
        write_synthetic_library(p, 1, 1)
    code, _, _ = run_cli(capsys, "library", "synth", "--n-electrodes", "4", "--n-electrolytes", "3", "--out", str(p),
                         "--overwrite")
    assert code == 0 and p.read_text() != before


def test_huge_synth_request_refused_at_once(tmp_path, capsys):
    t0 = time.perf_counter()
    code, _, err = run_cli(capsys, "library", "synth", "--n-electrodes", "1000000000", "--n-electrolytes", "5",
                           "--out", str(tmp_path / "big.yaml"))
    assert time.perf_counter() - t0 < 2.0
    assert code == 2 and "too large" in err and str(MAX_SYNTH_MATERIALS) in err
    assert not (tmp_path / "big.yaml").exists()


def test_large_synth_request_shows_progress(tmp_path, capsys):
    code, _, err = run_cli(capsys, "library", "synth", "--n-electrodes", "1500", "--n-electrolytes", "600",
                           "--out", str(tmp_path / "l.yaml"))
    assert code == 0 and "ssbands library synth: 1000/2100 materials" in err and "2000/2100" in err


@settings(max_examples=60, deadline=None)
@given(u=st.lists(st.lists(st.floats(-1.0, 5.0), min_size=3, max_size=3), min_size=4, max_size=4),
       phi=st.lists(st.floats(-3.0, 3.0), min_size=12, max_size=12),
       constraint=st.sampled_from(["", "+stable", "+positive-ocv"]))
def test_property_no_cell_with_negative_ocv_is_feasible_or_ranked(u, phi, constraint):
    """Any interface arrays: a cell whose OCV is <= 0 at every state is infeasible, rank 0, others rank >= 1."""
    U = np.array(u)  # 4 electrodes x 3 states: anodes 0, 1; cathodes 2, 3
    P = np.array(phi).reshape(1, 4, 3)
    ifc = {"phi0_V": P, "R_scl_ohm_cm2": np.full(P.shape, np.nan), "window_violation_V": np.zeros(P.shape),
           "decomposition_code": np.zeros(P.shape, np.int8), "injection_code": np.zeros((1,) + P.shape, np.int8),
           "potential_V": U}
    obj = Objective.parse("max-abs-phi0" + constraint)
    cols = combine(ifc, np.array([0, 1]), np.array([2, 3]), 0, slice(None), slice(None), slice(None), obj)
    ocv = np.array([U[c] - U[a] for a in (0, 1) for c in (2, 3)])
    neg = (ocv <= 0).all(axis=1)
    assert np.array_equal(cols["negative_ocv"], neg)
    assert not np.any(cols["feasible"] & neg)
    rank = rank_scores(cols["score"], score_class(cols["score"], cols["feasible"], cols["negative_ocv"]))
    assert np.all(rank[neg] == 0) and np.all(rank[~neg] >= 1)
    if (~neg).any():  # the working cells are ranked 1.. in competition order
        assert rank[~neg].min() == 1
