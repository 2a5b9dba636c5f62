r"""Cell table: anode × electrolyte × cathode, combined from the interface table by broadcasting.

A cell (A | SE | C) is swept over the OCV range its electrodes reach: state k of the anode is paired
with state k of the cathode (both from their discharged to their charged end, i.e. the two electrodes'
Li fractions move linearly together, as in a capacity-balanced cell), so OCV_k = U_C,k − U_A,k. Per
cell, over all states k (the *worst case over the range*):

* ``max_abs_phi0_V`` = max_k max(|φ0(A|SE)|, |φ0(SE|C)|), and per side ``max_abs_phi0_anode_V`` …
* ``max_sum_abs_phi0_V`` = max_k (|φ0_A| + |φ0_C|) — the total potential drop the two SCLs screen,
* ``R_total_ohm_cm2`` = max_k (R_SCL,A + R_SCL,C)·A, the worst-case total interface resistance
  (``R_total_min_ohm_cm2`` the best case; NaN when the SE has no transport data),
* ``window_violation_V`` = the largest distance of an electrode potential outside the SE window,
  ``decomposition`` / ``injection`` flags (True if any state at either interface is flagged; with
  ``stability_known`` / ``injection_known`` False when a flag is ``unknown``),
* the reached OCV range ``ocv_min_V`` … ``ocv_max_V`` and the two steps at the two ends.

**Objective** (user-changeable, ``--objective``): ``METRIC[+CONSTRAINT...]``. The score is the
metric column (smaller is better); METRIC is an alias — ``max-abs-phi0`` (default, V),
``sum-abs-phi0`` (V), ``total-resistance`` (Ω cm²), ``window-violation`` (V) — or any numeric cell
column. Constraints: ``stable`` (no decomposition flag), ``no-injection`` (no injection flag),
``known-flags`` (no ``unknown`` flag), ``positive-ocv`` (OCV > 0 over the whole range). Cells are
ranked within each closure: feasible cells by score, then infeasible cells by score, then cells whose
score is NaN (e.g. resistance unknown); ties share the lower rank (1, 2, 2, 4). A combination whose
OCV is ≤ 0 at every state (``negative_ocv``: its "anode" is the positive electrode) is not a working
cell: it is always infeasible, gets rank 0 (not ranked) and is left out of the Pareto set. The **Pareto set** is
the set of cells not dominated in the two ``pareto`` columns (default resistance ``R_total_ohm_cm2``
versus stability ``window_violation_V``; both minimised; cells with a NaN in either are left out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["Objective", "CELL_COLUMNS", "METRIC_ALIASES", "CONSTRAINTS", "combine", "rank_scores", "pareto_front",
           "DEFAULT_PARETO", "score_class", "check_pareto_columns"]

METRIC_ALIASES = {
    "max-abs-phi0": "max_abs_phi0_V",
    "sum-abs-phi0": "max_sum_abs_phi0_V",
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
                "R_cathode_max_ohm_cm2", "R_total_ohm_cm2", "R_total_min_ohm_cm2", "window_violation_V")
DEFAULT_PARETO = ("R_total_ohm_cm2", "window_violation_V")


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
        ``R_scl_ohm_cm2``, ``decomposition_code``, ``window_violation_V`` of shape (E, M, K),
        ``injection_code`` (Q, E, M, K), ``potential_V`` (M, K)).
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
    W = ifc["window_violation_V"][e]
    cols["window_violation_V"] = np.maximum(W[:, ai].max(-1)[:, :, None], W[:, ci].max(-1)[:, None, :]).ravel()
    D = ifc["decomposition_code"][e]
    cols["decomposition"] = ((D[:, ai] > 0).any(-1)[:, :, None] | (D[:, ci] > 0).any(-1)[:, None, :]).ravel()
    cols["stability_known"] = ((D[:, ai] >= 0).all(-1)[:, :, None] & (D[:, ci] >= 0).all(-1)[:, None, :]).ravel()
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


def pareto_front(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Find the points not dominated when minimising both x and y (NaN points excluded).

    A point is dominated when another has x' ≤ x and y' ≤ y with at least one strict; exact duplicates
    of a non-dominated point are all kept. O(n log n).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    idx = np.flatnonzero(~(np.isnan(x) | np.isnan(y)))
    if idx.size == 0:
        return idx
    o = idx[np.lexsort((y[idx], x[idx]))]
    xs, ys = x[o], y[o]
    prev_min = np.minimum.accumulate(np.concatenate([[np.inf], ys[:-1]]))
    strict = ys < prev_min
    # runs of exact duplicates share the fate of their first member
    new_run = np.ones(xs.size, bool)
    new_run[1:] = (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])
    run_id = np.cumsum(new_run) - 1
    keep = strict[np.flatnonzero(new_run)][run_id]
    return np.sort(o[keep])


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
