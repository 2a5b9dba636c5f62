r"""Cell table: anode × electrolyte × cathode, combined from the interface table by broadcasting.

A cell (A | SE | C) is swept over the OCV range its electrodes reach: state k of the anode is paired
with state k of the cathode (both from their discharged to their charged end, i.e. the two electrodes'
Li fractions move linearly together, as in a capacity-balanced cell), so OCV_k = U_C,k − U_A,k. Per
cell, over all states k (the *worst case over the range*):

* ``max_abs_phi0_V`` = max_k max(|φ0(A|SE)|, |φ0(SE|C)|), and per side ``max_abs_phi0_anode_V`` …
* ``max_sum_abs_phi0_V`` = max_k (|φ0_A| + |φ0_C|) — the total potential drop the two SCLs screen,
* ``R_total_ohm_cm2`` = max_k (R_SCL,A + R_SCL,C)·A, the worst-case total SCL resistance over a cut-off
  length (``R_total_min_ohm_cm2`` the best case; NaN when the SE has no transport data),
* ``R_interfaces_ohm_cm2`` = max_k Σ_{A,C} (R_exc + R_ct)·A, the worst-case total interface
  area-specific resistance: the excess resistance of both space-charge layers in the screen's transport
  limit plus, where kinetics are given, both charge-transfer resistances (``R_interfaces_mean_ohm_cm2``
  the mean over the states; NaN when the SE has no per-defect transport data),
* ``window_violation_V`` = the largest distance of an electrode potential outside the SE window,
  ``decomposition`` / ``injection`` flags (True if any state at either interface is flagged; with
  ``stability_known`` / ``injection_known`` False when a flag is ``unknown``),
* the reached OCV range ``ocv_min_V`` … ``ocv_max_V`` and the two steps at the two ends.

**Objective** (user-changeable, ``--objective``): ``METRIC[+CONSTRAINT...]``. The score is the
metric column (smaller is better); METRIC is an alias — ``max-abs-phi0`` (default, V),
``sum-abs-phi0`` (V), ``interface-resistance`` (``R_interfaces_ohm_cm2``, Ω cm²), ``total-resistance``
(``R_total_ohm_cm2``, Ω cm²), ``window-violation`` (V) — or any numeric cell column. Constraints:
``stable`` (no decomposition flag), ``no-injection`` (no injection flag), ``known-flags`` (no
``unknown`` flag), ``positive-ocv`` (OCV > 0 over the whole range). Cells are ranked within each
closure: feasible cells by score, then infeasible cells by score, then cells whose score is NaN (e.g.
resistance unknown); ties share the lower rank (1, 2, 2, 4). A combination whose OCV is ≤ 0 at every
state (``negative_ocv``: its "anode" is the positive electrode) is not a working cell: it is always
infeasible, gets rank 0 (not ranked) and is left out of the Pareto set. The **Pareto set** is the set
of cells not dominated in the two ``pareto`` columns (default resistance ``R_total_ohm_cm2``
versus stability ``window_violation_V``; both minimised; cells with a NaN in either are left out).
Values within a relative :data:`PARETO_RTOL` (1e-9) of each other are ties: a cell dominates another
when it is nowhere worse beyond the tolerance and somewhere better beyond it, so two cells whose
values differ by less than the tolerance in both columns never dominate each other
(:func:`pareto_front`; chunks keep the candidates of :func:`pareto_candidates`, which give exactly the
same set however the cells are chunked).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["Objective", "CELL_COLUMNS", "METRIC_ALIASES", "CONSTRAINTS", "combine", "rank_scores", "pareto_front",
           "pareto_candidates", "PARETO_RTOL", "DEFAULT_PARETO", "score_class", "check_pareto_columns"]

METRIC_ALIASES = {
    "max-abs-phi0": "max_abs_phi0_V",
    "sum-abs-phi0": "max_sum_abs_phi0_V",
    "interface-resistance": "R_interfaces_ohm_cm2",
    "total-resistance": "R_total_ohm_cm2",
    "window-violation": "window_violation_V",
}
CONSTRAINTS = {
    "stable": "no interface of the cell is outside the electrolyte's stability window at any state",
    "no-injection": "the electrolyte Fermi level stays inside its gap at both interfaces and every state",
    "known-flags": "both flags are known (window, ionization potential and gap are in the library)",
    "positive-ocv": "the cell's OCV is > 0 over the whole range (the anode is the negative electrode)",
}
#: Numeric cell columns (any can be an objective metric or a Pareto axis).
CELL_COLUMNS = ("ocv_min_V", "ocv_max_V", "phi0_anode_discharged_V", "phi0_anode_charged_V",
                "phi0_cathode_discharged_V", "phi0_cathode_charged_V", "max_abs_phi0_anode_V",
                "max_abs_phi0_cathode_V", "max_abs_phi0_V", "max_sum_abs_phi0_V", "R_anode_max_ohm_cm2",
                "R_cathode_max_ohm_cm2", "R_total_ohm_cm2", "R_total_min_ohm_cm2", "window_violation_V",
                "R_interfaces_ohm_cm2", "R_interfaces_mean_ohm_cm2")
DEFAULT_PARETO = ("R_total_ohm_cm2", "window_violation_V")
#: Relative tolerance within which two values of a Pareto column are a tie.
PARETO_RTOL = 1e-9


@dataclass(frozen=True)
class Objective:
    """A ranking objective: minimise ``metric`` (a cell column) subject to ``constraints``."""

    metric: str = "max_abs_phi0_V"
    constraints: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str | Objective | None) -> Objective:
        """Parse ``METRIC[+CONSTRAINT...]`` (e.g. ``total-resistance+stable``)."""
        if text is None:
            return cls()
        if isinstance(text, Objective):
            return text
        parts = [p.strip() for p in str(text).split("+")]
        if not parts[0]:
            raise InputError(f"objective {text!r}: expected METRIC[+CONSTRAINT...]")
        metric = METRIC_ALIASES.get(parts[0], parts[0])
        if metric not in CELL_COLUMNS:
            raise InputError(f"objective {text!r}: unknown metric {parts[0]!r}; use one of "
                             f"{', '.join(METRIC_ALIASES)} or a cell column ({', '.join(CELL_COLUMNS)})")
        cons = tuple(parts[1:])
        for c in cons:
            if c not in CONSTRAINTS:
                raise InputError(f"objective {text!r}: unknown constraint {c!r}; choose from {', '.join(CONSTRAINTS)}")
        return cls(metric, cons)

    @property
    def text(self) -> str:
        """The objective as ``METRIC[+CONSTRAINT...]`` (the metric's alias where it has one)."""
        inv = {v: k for k, v in METRIC_ALIASES.items()}
        return "+".join([inv.get(self.metric, self.metric), *self.constraints])

    def describe(self) -> str:
        """Describe the objective in words (for the summary and the report)."""
        s = f"minimise {self.metric} (worst case over the cell's OCV range)"
        if self.constraints:
            s += "; constraints: " + "; ".join(CONSTRAINTS[c] for c in self.constraints)
        return s

    def feasible(self, cols: Mapping[str, np.ndarray]) -> np.ndarray:
        """Whether each cell meets every constraint.

        Parameters
        ----------
        cols : mapping of ndarray
            Cell columns of :func:`combine` (flags and ``ocv_min_V`` in V).

        Returns
        -------
        ndarray of bool
        """
        ok = np.ones(np.shape(cols[self.metric]), bool)
        for c in self.constraints:
            if c == "stable":
                ok &= ~cols["decomposition"]
            elif c == "no-injection":
                ok &= ~cols["injection"]
            elif c == "known-flags":
                ok &= cols["stability_known"] & cols["injection_known"]
            elif c == "positive-ocv":
                ok &= cols["ocv_min_V"] > 0
        return ok


def combine(ifc: Mapping[str, np.ndarray], anode_idx: np.ndarray, cathode_idx: np.ndarray, q: int,
            e: slice, a: slice, c: slice, objective: Objective) -> dict:
    """Cell columns for closure ``q``, electrolytes ``e``, anodes ``a`` and cathodes ``c`` (a block).

    Parameters
    ----------
    ifc : mapping of arrays
        Interface arrays of :func:`~ssbands.screening.interfaces.compute_interfaces` (``phi0_V``,
        ``R_scl_ohm_cm2``, ``R_exc_ohm_cm2``, ``R_ct_ohm_cm2`` (the last two optional: NaN when absent),
        ``decomposition_code``, ``window_violation_V`` of shape (E, M, K), ``injection_code`` (Q, E, M, K),
        ``potential_V`` (M, K)).
    anode_idx, cathode_idx : ndarray of int
        Positions of the anodes and cathodes on the electrode axis M.
    q, e, a, c : int and slices
        The block.
    objective : Objective

    Returns
    -------
    dict of 1-D arrays
        Rows ordered (electrolyte, anode, cathode); ``score`` and ``feasible`` included.
    """
    ai, ci = anode_idx[a], cathode_idx[c]
    P = ifc["phi0_V"][e]
    pa, pc = np.abs(P[:, ai]), np.abs(P[:, ci])  # (Eb, Ab, K), (Eb, Cb, K)
    Eb, Ab, Cb = pa.shape[0], pa.shape[1], pc.shape[1]
    shp = (Eb, Ab, Cb)

    def A(x):  # (Eb, Ab) -> cells
        return np.broadcast_to(x[:, :, None], shp).ravel()

    def C(x):  # (Eb, Cb) -> cells
        return np.broadcast_to(x[:, None, :], shp).ravel()

    cols: dict[str, np.ndarray] = {}
    U = ifc["potential_V"]
    ocv = U[ci][None, :, :] - U[ai][:, None, :]  # (Ab, Cb, K)
    cols["ocv_min_V"] = np.broadcast_to(ocv.min(-1), shp).ravel()
    cols["ocv_max_V"] = np.broadcast_to(ocv.max(-1), shp).ravel()
    cols["negative_ocv"] = ~(cols["ocv_max_V"] > 0)  # OCV <= 0 at every state: not a working cell
    Pa, Pc = P[:, ai], P[:, ci]
    cols["phi0_anode_discharged_V"] = A(Pa[..., 0])
    cols["phi0_anode_charged_V"] = A(Pa[..., -1])
    cols["phi0_cathode_discharged_V"] = C(Pc[..., 0])
    cols["phi0_cathode_charged_V"] = C(Pc[..., -1])
    ma, mc = pa.max(-1), pc.max(-1)
    cols["max_abs_phi0_anode_V"] = A(ma)
    cols["max_abs_phi0_cathode_V"] = C(mc)
    cols["max_abs_phi0_V"] = np.maximum(ma[:, :, None], mc[:, None, :]).ravel()
    cols["max_sum_abs_phi0_V"] = (pa[:, :, None, :] + pc[:, None, :, :]).max(-1).ravel()
    R = ifc["R_scl_ohm_cm2"][e]
    Ra, Rc = R[:, ai], R[:, ci]
    cols["R_anode_max_ohm_cm2"] = A(Ra.max(-1))
    cols["R_cathode_max_ohm_cm2"] = C(Rc.max(-1))
    Rsum = Ra[:, :, None, :] + Rc[:, None, :, :]
    cols["R_total_ohm_cm2"] = Rsum.max(-1).ravel()
    cols["R_total_min_ohm_cm2"] = Rsum.min(-1).ravel()
    nan = np.full(np.shape(ifc["phi0_V"]), np.nan)  # a mapping without the new columns: unknown
    ct = ifc.get("R_ct_ohm_cm2", nan)[e]
    Ri = ifc.get("R_exc_ohm_cm2", nan)[e] + np.where(np.isnan(ct), 0.0, ct)  # R_ct where known
    Rcell = Ri[:, ai][:, :, None, :] + Ri[:, ci][:, None, :, :]  # (Eb, Ab, Cb, K)
    cols["R_interfaces_ohm_cm2"] = Rcell.max(-1).ravel()
    cols["R_interfaces_mean_ohm_cm2"] = Rcell.mean(-1).ravel()
    W = ifc["window_violation_V"][e]
    cols["window_violation_V"] = np.maximum(W[:, ai].max(-1)[:, :, None], W[:, ci].max(-1)[:, None, :]).ravel()
    D = np.asarray(ifc["decomposition_code"][e])
    dec_a, dec_c = np.asarray(np.any(D[:, ai] > 0, axis=-1)), np.asarray(np.any(D[:, ci] > 0, axis=-1))
    known_a, known_c = np.asarray(np.all(D[:, ai] >= 0, axis=-1)), np.asarray(np.all(D[:, ci] >= 0, axis=-1))
    cols["decomposition"] = (dec_a[:, :, None] | dec_c[:, None, :]).ravel()
    cols["stability_known"] = (known_a[:, :, None] & known_c[:, None, :]).ravel()
    J = ifc["injection_code"][q][e]
    cols["injection"] = ((J[:, ai] > 0).any(-1)[:, :, None] | (J[:, ci] > 0).any(-1)[:, None, :]).ravel()
    cols["injection_known"] = ((J[:, ai] >= 0).all(-1)[:, :, None] & (J[:, ci] >= 0).all(-1)[:, None, :]).ravel()
    cols["score"] = np.array(cols[objective.metric], float)
    cols["feasible"] = objective.feasible(cols) & ~cols["negative_ocv"]
    return cols


def score_class(score: np.ndarray, feasible: np.ndarray, negative_ocv: np.ndarray | None = None) -> np.ndarray:
    """The ranking class of each cell.

    Parameters
    ----------
    score : ndarray
        Scores (NaN: not computable).
    feasible : ndarray of bool
        Whether each cell meets the objective's constraints.
    negative_ocv : ndarray of bool, optional
        OCV ≤ 0 at every state (not a working cell).

    Returns
    -------
    ndarray of int8
        0: feasible with a score, 1: infeasible with a score, 2: score NaN (ranked last), 3: not a
        working cell (not ranked).
    """
    cls = np.where(np.isnan(score), 2, np.where(feasible, 0, 1))
    if negative_ocv is not None:
        cls = np.where(negative_ocv, 3, cls)
    return cls.astype(np.int8)


def rank_scores(score: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """Competition ranks (1 = best; ties share the lower rank) by (class, score) — see the module doc.

    Cells of class 3 (:func:`score_class`: not a working cell) get rank 0, i.e. no rank.
    """
    score = np.asarray(score, float)
    cls = np.asarray(cls)
    rank = np.zeros(score.shape, np.int64)
    offset = 0
    for k in (0, 1):
        sel = cls == k
        s = np.sort(score[sel])
        rank[sel] = 1 + offset + np.searchsorted(s, score[sel], side="left")
        offset += s.size
    rank[cls == 2] = 1 + offset
    return rank


def _better(a, b, rtol: float) -> np.ndarray:
    """Tell whether a << b: a is smaller than b beyond the relative tolerance (an infinite gap always counts)."""
    with np.errstate(invalid="ignore", over="ignore"):
        d = b - a
        return (a < b) & ((d > rtol * np.maximum(np.abs(a), np.abs(b))) | np.isinf(d))


def _prefix_length(xs: np.ndarray, rtol: float) -> np.ndarray:
    """For each q of the ascending ``xs``: how many leading entries p are better than q (xs[p] << xs[q]).

    Being better than a fixed q beyond a relative tolerance holds for a prefix of an ascending array, so
    a vectorised bisection finds its length.
    """
    n = xs.size
    lo, hi = np.zeros(n, np.int64), np.full(n, n, np.int64)
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        t = _better(xs[np.minimum(mid, n - 1)], xs, rtol)
        lo = np.where(active & t, mid + 1, lo)
        hi = np.where(active & ~t, mid, hi)


def _sorted_valid(x: np.ndarray, y: np.ndarray):
    """Indices of the points with no NaN, ordered by x (stable), and their sorted x, y and prefix minima of y."""
    idx = np.flatnonzero(~(np.isnan(x) | np.isnan(y)))
    o = idx[np.argsort(x[idx], kind="stable")]
    ys = y[o]
    pmin = np.concatenate([[np.inf], np.minimum.accumulate(ys)])  # pmin[k] = min(ys[:k])
    return o, x[o], ys, pmin


def pareto_front(x: np.ndarray, y: np.ndarray, rtol: float = PARETO_RTOL) -> np.ndarray:
    """Find the points not dominated when minimising both x and y, with ties within a tolerance (NaN excluded).

    a << b (a better than b) when b − a > rtol·max(|a|, |b|); a ≲ b (not worse) when not b << a. A point p
    dominates q when x_p ≲ x_q and y_p ≲ y_q, and x_p << x_q or y_p << y_q. Two points within the
    tolerance in both columns never dominate each other, and exact duplicates of a non-dominated point
    are all kept. ``rtol=0`` gives the classical (exact) Pareto set. O(n log n).

    Parameters
    ----------
    x, y : ndarray
        The two minimised columns (NaN: left out).
    rtol : float
        Relative tolerance of a tie (≥ 0).

    Returns
    -------
    ndarray of int
        Sorted indices of the non-dominated points.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    o, xs, ys, pmin = _sorted_valid(x, y)
    if o.size == 0:
        return o
    i_lt = _prefix_length(xs, rtol)  # p < i_lt: x_p << x_q
    # p < i_le: x_p ≲ x_q, i.e. not x_q << x_p: the complement of the points q is better than
    i_le = xs.size - _prefix_length(-xs[::-1], rtol)[::-1]
    dominated = ((i_lt > 0) & ~_better(ys, pmin[i_lt], rtol)) | _better(pmin[i_le], ys, rtol)
    return np.sort(o[~dominated])


def pareto_candidates(x: np.ndarray, y: np.ndarray, rtol: float = PARETO_RTOL) -> np.ndarray:
    """The points of a chunk that may be on the global Pareto set of :func:`pareto_front`.

    A point is dropped only when another is no larger in both columns (exactly) and better beyond the
    tolerance in one. That relation is transitive and implies domination, so the Pareto set of the
    union of every chunk's candidates equals the Pareto set of all points, whatever the chunks.

    Parameters
    ----------
    x, y : ndarray
        The two minimised columns (NaN: left out).
    rtol : float
        Relative tolerance of a tie (≥ 0), as for :func:`pareto_front`.

    Returns
    -------
    ndarray of int
        Sorted indices of the candidates (a superset of the chunk's own Pareto set).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    o, xs, ys, pmin = _sorted_valid(x, y)
    if o.size == 0:
        return o
    i_lt = _prefix_length(xs, rtol)  # p < i_lt: x_p << x_q
    i_eq = np.searchsorted(xs, xs, side="right")  # p < i_eq: x_p <= x_q
    dominated = ((i_lt > 0) & (pmin[i_lt] <= ys)) | _better(pmin[i_eq], ys, rtol)
    return np.sort(o[~dominated])


def check_pareto_columns(names: Sequence[str]) -> tuple[str, str]:
    """Validate the two columns of a Pareto set.

    Parameters
    ----------
    names : sequence of str
        Two numeric cell columns (:data:`CELL_COLUMNS`), both minimised.

    Returns
    -------
    (str, str)
        The two names.

    Raises
    ------
    InputError
        When there are not two names or one is not a numeric cell column.
    """
    if len(names) != 2:
        raise InputError(f"the Pareto set needs two cell columns, got {list(names)}")
    for n in names:
        if n not in CELL_COLUMNS:
            raise InputError(f"Pareto column {n!r} is not a numeric cell column ({', '.join(CELL_COLUMNS)})")
    return names[0], names[1]
