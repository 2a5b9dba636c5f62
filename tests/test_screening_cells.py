"""Unit tests of the cell kernel: Pareto front, ranks, objective parsing, combination."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssbands.errors import InputError
from ssbands.materials import load_library
from ssbands.screening import Objective, compute_interfaces, pareto_front, rank_scores, select_materials
from ssbands.screening.cells import combine, pareto_candidates, score_class


def brute_front(x, y):
    ok = ~(np.isnan(x) | np.isnan(y))
    keep = []
    for i in np.flatnonzero(ok):
        dom = ok & (x <= x[i]) & (y <= y[i]) & ((x < x[i]) | (y < y[i]))
        if not dom.any():
            keep.append(i)
    return np.array(keep, int)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 1.0, 2.0, 3.0, np.nan, 2.5]),
                          st.sampled_from([0.0, 1.0, 2.0, np.nan, 0.5, 4.0])), min_size=0, max_size=40))
def test_pareto_front_matches_brute_force(pts):
    x = np.array([p[0] for p in pts], float)
    y = np.array([p[1] for p in pts], float)
    assert np.array_equal(pareto_front(x, y), brute_front(x, y))


def test_pareto_front_union_of_chunks():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 30, 3000).astype(float), rng.integers(0, 30, 3000).astype(float)
    parts = [np.arange(i, min(i + 137, 3000)) for i in range(0, 3000, 137)]
    cand = np.concatenate([p[pareto_front(x[p], y[p])] for p in parts])
    glob = np.sort(cand[pareto_front(x[cand], y[cand])])
    assert np.array_equal(glob, brute_front(x, y))


def test_rank_scores_competition_order():
    s = np.array([3.0, 1.0, np.nan, 1.0, 2.0, 0.5])
    feas = np.array([True, True, True, True, False, False])
    r = rank_scores(s, score_class(s, feas))
    # feasible: 1.0, 1.0, 3.0 -> 1, 1, 3; infeasible 0.5, 2.0 -> 4, 5; NaN -> 6
    assert r.tolist() == [3, 1, 6, 1, 5, 4]


def test_objective_parse():
    o = Objective.parse("total-resistance+stable+no-injection")
    assert o.metric == "R_total_ohm_cm2" and o.constraints == ("stable", "no-injection")
    assert o.text == "total-resistance+stable+no-injection" and "stability window" in o.describe()
    assert Objective.parse("window_violation_V").metric == "window_violation_V"
    assert Objective.parse(None) == Objective()
    for bad in ("", "speed", "max-abs-phi0+cheap"):
        with pytest.raises(InputError):
            Objective.parse(bad)


def test_combine_matches_explicit_loops():
    lib = load_library()
    sel = select_materials(lib, "Li,LixSi", None, "LixCoO2", n_states=3)
    res = compute_interfaces(sel.electrodes, sel.electrolytes, sel.phi_li_eV)
    obj = Objective.parse("sum-abs-phi0")
    A, C = len(sel.anodes), len(sel.cathodes)
    cols = combine(res, np.arange(A), np.arange(A, A + C), 0, slice(None), slice(None), slice(None), obj)
    P, R, U = res["phi0_V"], res["R_scl_ohm_cm2"], res["potential_V"]
    i = 0
    for e in range(len(sel.electrolytes)):
        for a in range(A):
            for c in range(C):
                pa, pc = P[e, a], P[e, A + c]
                assert cols["max_abs_phi0_V"][i] == max(np.abs(pa).max(), np.abs(pc).max())
                assert cols["max_sum_abs_phi0_V"][i] == (np.abs(pa) + np.abs(pc)).max() == cols["score"][i]
                rt = R[e, a] + R[e, A + c]
                assert np.array_equal(cols["R_total_ohm_cm2"][i], rt.max(), equal_nan=True)
                assert cols["ocv_min_V"][i] == (U[A + c] - U[a]).min()
                assert cols["phi0_anode_charged_V"][i] == pa[-1]
                i += 1


def _better(a, b, rtol=1e-9):  # a below b beyond the relative tolerance
    with np.errstate(invalid="ignore"):
        return (a < b) & ((b - a > rtol * np.maximum(np.abs(a), np.abs(b))) | np.isinf(b - a))


def brute_front_tol(x, y, rtol=1e-9):
    ok = ~(np.isnan(x) | np.isnan(y))
    keep = []
    for i in np.flatnonzero(ok):
        dom = (ok & ~_better(x[i], x, rtol) & ~_better(y[i], y, rtol)
               & (_better(x, x[i], rtol) | _better(y, y[i], rtol)))
        if not dom.any():
            keep.append(i)
    return np.array(keep, int)


def test_pareto_ties_within_tolerance_do_not_dominate():
    # the case of a real screen: R_total equal to 4e-11 relative, the same window violation
    x = np.array([1054.5173123238078, 1054.5173123614454, 1054.5173123614431, 2.0, 1.0])
    y = np.array([1.0016980000000002, 1.0016980000000002, 1.0016980000000002, 1.5, 3.0])
    assert pareto_front(x, y).tolist() == [0, 1, 2, 3, 4]
    assert pareto_front(x, y, rtol=0).tolist() == [0, 3, 4]  # the exact rule: decided by 4e-11
    # differences below a relative 1e-9 in both columns: neither dominates the other
    a, b = np.array([1.0, 1.0 + 5e-10]), np.array([2.0 + 1.9e-9, 2.0])
    assert pareto_front(a, b).tolist() == [0, 1]
    # a tie in one column and clearly better in the other dominates
    assert pareto_front(np.array([1.0, 1.0 - 5e-10]), np.array([1.0, 1.5])).tolist() == [0]
    # just beyond the tolerance it is a difference again
    assert pareto_front(np.array([1.0, 1.0 - 2e-9]), np.array([1.0, 1.5])).tolist() == [0, 1]
    # zeros, infinities and negative values
    assert pareto_front(np.array([0.0, 0.0, -1e-300]), np.array([1.0, 1.0, 1.0])).tolist() == [2]
    assert pareto_front(np.array([np.inf, np.inf, 5.0]), np.array([0.0, 0.0, 1.0])).tolist() == [0, 1, 2]
    assert pareto_front(np.array([np.inf, 5.0]), np.array([1.0, 1.0])).tolist() == [1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 1.0, -1.0, 2.0, np.inf, np.nan]),
                          st.sampled_from([0.0, 1.0, 2.0, -3.0, np.nan]),
                          st.sampled_from([0.0, 0.4, -0.6, 0.9, 1.3, -2.5]),
                          st.sampled_from([0.0, 0.5, -0.8, 1.6])), min_size=0, max_size=30),
       st.integers(1, 6))
def test_pareto_front_with_ties_matches_brute_force_and_chunks(pts, n_chunks):
    """Chains of near-ties (each step below or above the tolerance); chunked candidates give the same set."""
    x = np.array([p[0] + p[2] * 1e-9 * max(1.0, abs(p[0])) if np.isfinite(p[0]) else p[0] for p in pts], float)
    y = np.array([p[1] + p[3] * 1e-9 * max(1.0, abs(p[1])) if np.isfinite(p[1]) else p[1] for p in pts], float)
    ref = brute_front_tol(x, y)
    assert np.array_equal(pareto_front(x, y), ref)
    parts = np.array_split(np.arange(x.size), n_chunks)
    cand = np.concatenate([p[pareto_candidates(x[p], y[p])] for p in parts]).astype(int)
    assert np.array_equal(np.sort(cand[pareto_front(x[cand], y[cand])]), ref)
    assert set(ref) <= set(cand)


def test_heatmap_flatness_rule():
    from ssbands.plotting.screening import value_range

    assert value_range([1.112, 1.112 * (1 + 5e-7), np.nan])["flat"]
    assert not value_range([1.112, 1.112 * (1 + 3e-5)])["flat"]  # R_SCL of LiPON: 0.003 % is not flat
    assert value_range([0.0, 5e-13, -4e-13])["flat"] and value_range([0.0, 0.0])["flat"]
    assert not value_range([0.0, 2e-12])["flat"]
    r = value_range([np.nan, np.inf])
    assert r["n"] == 0 and not r["flat"] and r["min"] is None
