"""Electrode states of a cell: Li contents and potentials at given OCVs (Li conservation).

Li moved from the cathode to the anode, q (atoms/cm²), changes the anode's Li fraction by q/n_a and
the cathode's by −q/n_c (n = Li site density × thickness), and OCV(q) = U_c − U_a is monotone in q,
so one vectorised bracketed iteration finds q for a whole batch of OCVs. Neither electrode may go
below 0 V vs Li/Li⁺ (Li would plate), which bounds q (:func:`ssbands.thermo.plating_limit`).

Where the data hold: neither electrode may go above the highest potential the two electrodes' OCV
data reach (:attr:`ssbands.thermo.OCVCurve.data_potential_range`; 4.39 V vs Li/Li⁺ for the LixCoO2
table). Without that bound the singular regularisation term of a fit such as the LixSi polynomial
(Verbrugge et al. 2016) would make any OCV "reachable" (an anode at 1000 V vs Li near x = 0). So the
reachable OCV range is a physical range: from both electrodes at or below that potential to the anode
at 0 V vs Li/Li⁺. States whose potentials come from an extension (a table's Nernst law, a fit's
singular term) are flagged as extrapolated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConvergenceError, InputError
from ..thermo import OCVCurve, plating_limit, potential_limit

if TYPE_CHECKING:
    from .stack import Stack


@dataclass(frozen=True)
class ElectrodeState:
    """Electrode Li contents and potentials for a batch of states (arrays of equal length).

    Attributes
    ----------
    ocv_V : ndarray
        Open-circuit voltage U_cathode − U_anode (V).
    x_anode, x_cathode : ndarray
        Li fractions of the two electrodes.
    U_anode, U_cathode : ndarray
        Electrode potentials vs Li/Li⁺ (V).
    anode_extrapolated, cathode_extrapolated : ndarray of bool
        The Li content lies beyond the tabulated OCV data (dilute-limit Nernst extension used).
    """

    ocv_V: np.ndarray
    x_anode: np.ndarray
    x_cathode: np.ndarray
    U_anode: np.ndarray
    U_cathode: np.ndarray
    anode_extrapolated: np.ndarray
    cathode_extrapolated: np.ndarray

    def concat(self, other: ElectrodeState) -> ElectrodeState:
        """The states of ``self`` followed by those of ``other``.

        Parameters
        ----------
        other : ElectrodeState

        Returns
        -------
        ElectrodeState
        """
        return ElectrodeState(*(np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)))

    def with_ocv_labels(self, ocv_V: np.ndarray) -> ElectrodeState:
        """A copy whose first ``len(ocv_V)`` OCVs are replaced by ``ocv_V`` (the values asked for).

        Parameters
        ----------
        ocv_V : ndarray
            OCVs in V.

        Returns
        -------
        ElectrodeState
        """
        v = np.concatenate([ocv_V, self.ocv_V[ocv_V.size:]])
        return ElectrodeState(v, *(getattr(self, f.name) for f in fields(self)[1:]))


def _capacity(stack: Stack, role: str) -> float:
    ly = stack.layers[stack.index(role)]
    return float(ly.material.get("li_capacity_cm3", f"Li conservation between the electrodes ({role})")) \
        * ly.thickness_nm * 1e-7


def initial_fractions(stack: Stack) -> tuple[float, float]:
    """As-made Li fractions (anode, cathode): the stated ones, else empty anode and full cathode.

    Parameters
    ----------
    stack : Stack

    Returns
    -------
    (float, float)
        Li fractions of the anode and the cathode.
    """
    ca, cc = stack.ocv_curve("anode"), stack.ocv_curve("cathode")
    a0 = stack.anode.li_fraction
    c0 = stack.cathode.li_fraction
    if a0 is None:
        a0 = 0.0 if ca.reservoir else ca.x_min
    if c0 is None:
        c0 = 1.0 if cc.reservoir else cc.x_max
    return float(a0), float(c0)


@dataclass(frozen=True, eq=False)
class LiBalance:
    """Li conservation between the two electrodes of a stack (built once per stack).

    Attributes
    ----------
    anode, cathode : OCVCurve
        The electrodes' OCV curves.
    temperature_K : float
        Temperature (K).
    x0_anode, x0_cathode : float
        As-made Li fractions.
    x_max_anode, x_max_cathode : float
        Highest Li fraction before Li plates (or the data end).
    n_anode, n_cathode : float
        Li capacity per area (atoms/cm²; inf for a Li reservoir).
    u_max_V : float
        Highest electrode potential the electrodes' data reach (V vs Li/Li⁺): neither electrode goes
        above it.
    q_range : (float, float)
        Range of transferred Li q (atoms/cm²).
    ocv_range_V : (float, float)
        Reachable OCV range (V).
    bracket : (ndarray, ndarray)
        q grid graded toward both ends and the monotone OCV on it (brackets every OCV solve).
    bracket_range : (float, float)
        The q interval of that grid: the electrodes' whole Li-fraction ranges (the physical
        ``q_range`` lies inside it; a wider bracket keeps the iteration independent of the bound).
    """

    anode: OCVCurve
    cathode: OCVCurve
    temperature_K: float
    x0_anode: float
    x0_cathode: float
    x_max_anode: float
    x_max_cathode: float
    n_anode: float
    n_cathode: float
    u_max_V: float
    q_range: tuple[float, float]
    ocv_range_V: tuple[float, float]
    bracket: tuple[np.ndarray, np.ndarray] | None = None
    bracket_range: tuple[float, float] | None = None

    @classmethod
    def of(cls, stack: Stack) -> LiBalance:
        """Set up the Li balance of ``stack`` (use ``stack.li_balance``, which caches it).

        Parameters
        ----------
        stack : Stack

        Returns
        -------
        LiBalance
        """
        T = stack.temperature_K
        ca, cc = stack.ocv_curve("anode"), stack.ocv_curve("cathode")
        a0, c0 = initial_fractions(stack)
        a_max, c_max = min(ca.x_max, plating_limit(ca, T)), min(cc.x_max, plating_limit(cc, T))
        u_max = max(ca.data_potential_range[1], cc.data_potential_range[1])
        a_min, c_min = (max(c.x_min, potential_limit(c, T, u_max)) for c in (ca, cc))
        na = np.inf if ca.reservoir else _capacity(stack, "anode")
        nc = np.inf if cc.reservoir else _capacity(stack, "cathode")
        lo = max(na * (a_min - a0) if not ca.reservoir else -np.inf,
                 nc * (c0 - c_max) if not cc.reservoir else -np.inf)
        hi = min(na * (a_max - a0) if not ca.reservoir else np.inf,
                 nc * (c0 - c_min) if not cc.reservoir else np.inf)
        bal = cls(ca, cc, T, a0, c0, a_max, c_max, na, nc, u_max, (lo, hi), (np.nan, np.nan))
        if ca.reservoir and cc.reservoir:
            v = float(bal.ocv(np.array(0.0)))
            rng = (v, v)
        else:
            if not lo < hi:
                raise InputError(f"{stack.source}: the electrodes' stated Li contents leave no room to move Li "
                                 f"between 0 V vs Li/Li+ and {u_max:.4g} V (the highest potential of their OCV "
                                 f"data) (anode x = {a0}, cathode x = {c0})")
            span = hi - lo
            rng = (float(bal.ocv(np.array(lo + 1e-13 * span))), float(bal.ocv(np.array(hi - 1e-13 * span))))
        object.__setattr__(bal, "ocv_range_V", rng)
        if not bal.fixed:
            lo0 = max(na * (ca.x_min - a0) if not ca.reservoir else -np.inf,
                      nc * (c0 - c_max) if not cc.reservoir else -np.inf)
            hi0 = min(na * (a_max - a0) if not ca.reservoir else np.inf,
                      nc * (c0 - cc.x_min) if not cc.reservoir else np.inf)
            object.__setattr__(bal, "bracket", bracket_grid(bal.ocv, lo0, hi0))
            object.__setattr__(bal, "bracket_range", (lo0, hi0))
        return bal

    @property
    def fixed(self) -> bool:
        """True when both electrodes are Li reservoirs (the OCV cannot change)."""
        return bool(self.anode.reservoir and self.cathode.reservoir)

    def fractions(self, q) -> tuple[np.ndarray, np.ndarray]:
        """Li fractions (anode, cathode) after moving q atoms/cm² of Li from the cathode to the anode.

        Parameters
        ----------
        q : array_like
            Transferred Li (atoms/cm²).

        Returns
        -------
        (ndarray, ndarray)
        """
        q = np.asarray(q, float)
        ca, cc = self.anode, self.cathode
        xa = np.full(q.shape, self.x0_anode) if ca.reservoir else np.clip(
            self.x0_anode + q / self.n_anode, ca.x_min, self.x_max_anode)
        xc = np.full(q.shape, self.x0_cathode) if cc.reservoir else np.clip(
            self.x0_cathode - q / self.n_cathode, cc.x_min, self.x_max_cathode)
        return xa, xc

    def ocv(self, q) -> np.ndarray:
        """OCV (V) after moving q atoms/cm² of Li from the cathode to the anode.

        Parameters
        ----------
        q : array_like
            Transferred Li (atoms/cm²).

        Returns
        -------
        ndarray
        """
        xa, xc = self.fractions(q)
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.cathode.evaluate(xc, self.temperature_K) - self.anode.evaluate(xa, self.temperature_K)


def bracket_grid(fun: Callable[[np.ndarray], np.ndarray], lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Brackets for :func:`monotone_root`: a graded grid on [lo, hi] and the increasing ``fun`` on it.

    The grid is graded geometrically toward both (possibly singular) ends; the values are the running
    maximum of ``fun`` (−inf/+inf at the ends).

    Parameters
    ----------
    fun : callable
        Increasing function (vectorised).
    lo, hi : float
        Interval ends.

    Returns
    -------
    (ndarray, ndarray)
        Grid and function values.
    """
    span = hi - lo
    g = np.geomspace(1e-15, 0.5, 1000)
    grid = np.concatenate([[lo], lo + span * g, hi - span * g[-2::-1], [hi]])
    with np.errstate(invalid="ignore", divide="ignore"):
        fg = fun(grid[1:-1])
    fg = np.concatenate([[-np.inf], fg, [np.inf]])
    return grid, np.maximum.accumulate(np.where(np.isnan(fg), -np.inf, fg))


def monotone_root(fun: Callable[[np.ndarray], np.ndarray], target: np.ndarray, lo: float, hi: float,
                  tol: float = 1e-11, maxiter: int = 200,
                  bracket: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Solve fun(q) = target for an increasing ``fun`` on (lo, hi), vectorised over ``target``.

    Brackets each target on a grid graded toward both (possibly singular) ends, then refines with
    the Illinois variant of regula falsi (bisection where a bracket value is infinite).

    Parameters
    ----------
    fun : callable
        Increasing function of q (vectorised).
    target : ndarray
        Values to reach.
    lo, hi : float
        Open interval of q.
    tol : float
        Absolute tolerance on fun(q) − target.
    maxiter : int
        Iteration limit.
    bracket : (ndarray, ndarray), optional
        Precomputed :func:`bracket_grid` of ``fun`` on [lo, hi].

    Returns
    -------
    ndarray
        q with fun(q) ≈ target.
    """
    grid, fg = bracket if bracket is not None else bracket_grid(fun, lo, hi)
    k = np.clip(np.searchsorted(fg, target), 1, grid.size - 1)
    a, b = grid[k - 1], grid[k]
    fa, fb = fg[k - 1] - target, fg[k] - target
    q = 0.5 * (a + b)
    prev = np.zeros(target.shape, int)  # +1: a was replaced last time, -1: b, 0: none
    for _ in range(maxiter):
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            rf = (a * fb - b * fa) / (fb - fa)
        ok = np.isfinite(rf) & (rf > a) & (rf < b)
        q = np.where(ok, rf, 0.5 * (a + b))
        fq = fun(q) - target
        done = (np.abs(fq) <= tol) | (b - a <= 4 * np.spacing(np.maximum(np.abs(a), np.abs(b))))
        if np.all(done):
            break
        left = fq < 0
        # Illinois: halve the retained end's value when the same end is kept twice in a row
        fb = np.where(left, np.where(prev == 1, 0.5 * fb, fb), fq)
        fa = np.where(left, fq, np.where(prev == -1, 0.5 * fa, fa))
        a = np.where(left, q, a)
        b = np.where(left, b, q)
        prev = np.where(left, 1, -1)
    return q


def reachable_ocv_range(stack: Stack) -> tuple[float, float]:
    """(min, max) OCV in V that the cell can reach from its stated Li contents (may be ±inf).

    Parameters
    ----------
    stack : Stack

    Returns
    -------
    (float, float)
    """
    return stack.li_balance.ocv_range_V


def _state_from_fractions(stack: Stack, li_fractions) -> ElectrodeState:
    T = stack.temperature_K
    ca, cc = stack.ocv_curve("anode"), stack.ocv_curve("cathode")
    try:
        xa, xc = (np.atleast_1d(np.asarray(v, float)) for v in li_fractions)
        xa, xc = np.broadcast_arrays(xa, xc)
    except (TypeError, ValueError):
        raise InputError("li_fractions must be two numbers or two lists of equal length (anode, cathode), got "
                         f"{li_fractions!r}") from None
    if xa.ndim != 1 or xa.size == 0 or not (np.all(np.isfinite(xa)) and np.all(np.isfinite(xc))):
        raise InputError("li_fractions must be finite numbers (anode, cathode) in non-empty 1-D lists")
    with np.errstate(divide="ignore"):
        ua, uc = ca(xa, T), cc(xc, T)
    u_max = stack.li_balance.u_max_V
    for name, u, x, c in ((stack.anode.name, ua, xa, ca), (stack.cathode.name, uc, xc, cc)):
        if np.any(np.isnan(u)) or np.any(np.isinf(u) & (u > 0)):
            bad = np.isnan(u) | (np.isinf(u) & (u > 0))
            raise InputError(f"{stack.source}: {name} has no finite potential at Li fraction "
                             f"{x[bad][0]:.6g} (its OCV data hold for Li fractions in "
                             f"({c.x_min:g}, {c.x_max:g})); choose a Li fraction inside that range")
        if np.any(u < 0):
            raise InputError(f"{stack.source}: {name} at Li fraction {x[u < 0][0]:.6g} would be below 0 V vs "
                             "Li/Li+ (more Li-rich than Li metal: Li plates); choose a smaller Li fraction")
        high = ~(u <= u_max)
        if np.any(high):
            raise InputError(f"{stack.source}: {name} at Li fraction {x[high][0]:.6g} would be at {u[high][0]:.6g} V "
                             f"vs Li/Li+, above {u_max:.4g} V, the highest potential of the electrodes' OCV data; "
                             "choose a Li fraction where the data hold")
    return ElectrodeState(uc - ua, xa, xc, ua, uc, ca.extrapolated(xa), cc.extrapolated(xc))


def _state_from_ocv(stack: Stack, ocv) -> ElectrodeState:
    T = stack.temperature_K
    bal = stack.li_balance
    rng = bal.ocv_range_V
    try:
        v_req = np.atleast_1d(np.asarray(ocv, float))
    except (TypeError, ValueError):
        raise InputError(f"OCV must be a number or a list of numbers (V), got {ocv!r}") from None
    if v_req.ndim != 1 or v_req.size == 0:
        raise InputError(f"OCV must be a number or a non-empty 1-D list of numbers (V), got shape {v_req.shape}")
    if not np.all(np.isfinite(v_req)):
        raise InputError("OCV values must be finite numbers (V)")
    tol = 1e-9
    out = (v_req < rng[0] - tol) | (v_req > rng[1] + tol)
    if np.any(out):
        raise InputError(
            f"{stack.source}: OCV {v_req[out][0]:g} V is outside what the electrodes can reach from their "
            f"stated Li contents: {rng[0]:.4f} .. {rng[1]:.4f} V ({stack.anode.material.name} anode, "
            f"{stack.cathode.material.name} cathode; capacities from thickness and Li site density; both "
            f"electrodes between 0 V vs Li/Li+ and {bal.u_max_V:.4g} V, the highest potential of their OCV data)")
    lo, hi = bal.bracket_range or bal.q_range
    q = np.zeros_like(v_req) if bal.fixed else monotone_root(bal.ocv, v_req, lo, hi, bracket=bal.bracket)
    xa, xc = bal.fractions(q)
    ca, cc = bal.anode, bal.cathode
    with np.errstate(divide="ignore"):
        ua, uc = ca(xa, T), cc(xc, T)
    v = uc - ua
    bad = np.abs(v - v_req) > 1e-6
    if np.any(bad):  # only possible on a plateau edge or at a singular end
        raise ConvergenceError("Li-conservation solve did not reach the requested OCV",
                               {"requested_V": v_req[bad].tolist(), "reached_V": v[bad].tolist()})
    return ElectrodeState(v, xa, xc, ua, uc, ca.extrapolated(xa), cc.extrapolated(xc))


def electrode_state(stack: Stack, ocv=None, li_fractions=None) -> ElectrodeState:
    """Electrode Li contents and potentials for a batch of OCVs (Li conservation) or given contents.

    Parameters
    ----------
    stack : Stack
    ocv : float or array_like, optional
        Open-circuit voltages (V).
    li_fractions : (array_like, array_like), optional
        Li fractions of the anode and the cathode instead of ``ocv``.

    Returns
    -------
    ElectrodeState
    """
    if (ocv is None) == (li_fractions is None):
        raise InputError("give either ocv or li_fractions (anode, cathode), not both")
    if li_fractions is not None:
        return _state_from_fractions(stack, li_fractions)
    return _state_from_ocv(stack, ocv)
