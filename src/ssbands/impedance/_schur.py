r"""Terminal admittance of a 1D block-tridiagonal RC network by Schur-complement recursion.

The node-admittance matrix of the linearised PNP network is Y(ω) = G + jωC with symmetric G (carrier
conductances, exchange, Faradaic branches) and C (displacement and chemical capacitances), block
tridiagonal with one block per mesh node. Eliminating the nodes one by one from the grounded electrode
toward the driven one (the ladder reduction of an RC transmission line) leaves the admittance seen by
the driven electrode; every step is a small dense solve, vectorised over all frequencies at once. No
solution vector is formed, and, as in a continued fraction of a passive ladder, no large terms cancel,
so Re Z stays accurate at low frequency.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Blocks", "network_blocks", "terminal_admittance"]


class Blocks:
    """Shunt blocks at the nodes and diagonal edge admittances of Y(ω) = G + jωC.

    Attributes
    ----------
    Sg, Sc : ndarray (n, b, b)
        Shunt admittance at each node (conductance S/m², capacitance F/m²): the chemical capacitors
        between φ and each rail, exchange conductances, Faradaic branches to ground at the right.
    eg, ec : ndarray (n − 1, b)
        Edge admittances per unknown: rail conductances σ/h (S/m²) and displacement ε/h (F/m²).
    grounded : ndarray of bool (b,)
        Unknowns of the last node tied to the grounded electrode.
    fixed_left : ndarray of bool (b,)
        Unknowns of node 0 tied to the driven electrode.
    g_left : ndarray (b,)
        Faradaic branch conductance from the driven electrode to each unknown of node 0 (S/m²).
    """

    def __init__(self, Sg, Sc, eg, ec, grounded, fixed_left, g_left):
        self.Sg, self.Sc, self.eg, self.ec = Sg, Sc, eg, ec
        self.grounded, self.fixed_left, self.g_left = grounded, fixed_left, g_left


def network_blocks(net) -> Blocks:
    """Shunt and edge admittances of a :class:`~ssbands.impedance.linear.PNPNetwork`.

    Parameters
    ----------
    net : PNPNetwork
        The network.

    Returns
    -------
    Blocks
    """
    n, b, nr = net.n, net.block, len(net.rails)
    Sg, Sc = np.zeros((n, b, b)), np.zeros((n, b, b))
    eg, ec = np.zeros((n - 1, b)), np.zeros((n - 1, b))
    ec[:, 0] = net.k_e
    for q in range(nr):
        r = 1 + q
        Sc[:, 0, 0] += net.Cv[q]
        Sc[:, 0, r] -= net.Cv[q]
        Sc[:, r, 0] -= net.Cv[q]
        Sc[:, r, r] += net.Cv[q]
        eg[:, r] = net.G[q]
    for qa, qb, gv in net.gx:
        a, c = 1 + qa, 1 + qb
        Sg[:, a, a] += gv
        Sg[:, c, c] += gv
        Sg[:, a, c] -= gv
        Sg[:, c, a] -= gv
    fixed_left = np.zeros(b, bool)
    fixed_left[0] = True
    grounded = np.zeros(b, bool)
    grounded[0] = True
    g_left = np.zeros(b)
    for q, name in enumerate(net.rails):
        kl, kr = net.bc["left"].get(name, "free"), net.bc["right"].get(name, "free")
        if kl == "fixed":
            fixed_left[1 + q] = True
        elif kl != "free":
            g_left[1 + q] = float(kl)
            Sg[0, 1 + q, 1 + q] += float(kl)
        if kr == "fixed":
            grounded[1 + q] = True
        elif kr != "free":
            Sg[-1, 1 + q, 1 + q] += float(kr)
    return Blocks(Sg, Sc, eg, ec, grounded, fixed_left, g_left)


def _solve_small(S, B):
    """Solve S X = B for stacks of small matrices (Gaussian elimination without pivoting).

    S: (m, b, b), B: (m, b, k) complex. The pivots are admittances of passive sub-networks (nonzero for
    ω > 0), so no pivoting is needed."""
    S = S.copy()
    B = B.copy()
    b = S.shape[1]
    for i in range(b):
        piv = S[:, i, i]
        for r in range(i + 1, b):
            f = S[:, r, i] / piv
            S[:, r, i:] -= f[:, None] * S[:, i, i:]
            B[:, r, :] -= f[:, None] * B[:, i, :]
    X = np.empty_like(B)
    for i in range(b - 1, -1, -1):
        acc = B[:, i, :]
        for j in range(i + 1, b):
            acc = acc - S[:, i, j][:, None] * X[:, j, :]
        X[:, i, :] = acc / S[:, i, i][:, None]
    return X


def _series(y, T):
    """Admittance matrix of the diagonal edge admittances y (m, b) in series with the load T (m, b, b):
    (y⁻¹ + T⁻¹)⁻¹ = y (y + T)⁻¹ T, free of cancellation. Channels with y = 0 carry nothing."""
    M = T.copy()
    idx = np.arange(T.shape[1])
    M[:, idx, idx] += y
    dead = M[:, idx, idx] == 0
    if dead.any():
        M[:, idx, idx] = np.where(dead, 1.0, M[:, idx, idx])
    return y[:, :, None] * _solve_small(M, T)


def _ladder2(blk, w, T):
    """The recursion of :func:`terminal_admittance` for b = 2 (φ and one ionic rail), unrolled on the
    three entries of the symmetric load, with the shunts and edges of all nodes precomputed."""
    jw = 1j * w
    n = blk.Sg.shape[0]
    s00 = blk.Sg[:, 0, 0, None] + blk.Sc[:, 0, 0, None] * jw
    s01 = blk.Sg[:, 0, 1, None] + blk.Sc[:, 0, 1, None] * jw
    s11 = blk.Sg[:, 1, 1, None] + blk.Sc[:, 1, 1, None] * jw
    y0 = blk.eg[:, 0, None] + blk.ec[:, 0, None] * jw
    y1 = blk.eg[:, 1, None] + blk.ec[:, 1, None] * jw
    safe = bool(np.all(blk.eg[:, 1] > 0))
    t00, t01, t11 = T[:, 0, 0].copy(), T[:, 0, 1].copy(), T[:, 1, 1].copy()
    for i in range(n - 2, 0, -1):
        t00 += s00[i]
        t01 += s01[i]
        t11 += s11[i]
        e = i - 1
        m00 = t00 + y0[e]
        m11 = t11 + y1[e]
        if not safe:
            m11 = np.where(m11 == 0, 1.0, m11)
        q = t01 * t01
        det = m00 * m11 - q
        a, c = y0[e] / det, y1[e] / det
        t00, t01, t11 = a * (m11 * t00 - q), a * (m11 * t01 - t01 * t11), c * (m00 * t11 - q)
    out = np.empty_like(T)
    out[:, 0, 0], out[:, 0, 1], out[:, 1, 0], out[:, 1, 1] = t00, t01, t01, t11
    return out


def terminal_admittance(blk: Blocks, omegas) -> np.ndarray:
    """Admittance (S/m²) seen by the driven (left) electrode, right electrode grounded.

    The load T_i seen at node i looking right is the node's shunt plus the next edge in series with
    T_{i+1}; the grounded unknowns of the last node short their edge channels.

    Parameters
    ----------
    blk : Blocks
        From :func:`network_blocks`.
    omegas : array_like
        Angular frequencies, rad/s (> 0).

    Returns
    -------
    ndarray of complex
        Y(ω) = I/V, S/m².
    """
    w = np.atleast_1d(np.asarray(omegas, float))
    jw = 1j * w[:, None]
    n, b = blk.Sg.shape[0], blk.Sg.shape[1]
    # last node: grounded channels are shorts; free ones load the edge with their shunt
    g, f = blk.grounded, ~blk.grounded
    y = blk.eg[n - 2] + jw * blk.ec[n - 2]
    T = np.zeros((w.size, b, b), complex)
    T[:, g, g] = y[:, g]
    if f.any():
        Tf = (blk.Sg[n - 1] + jw[:, :, None] * blk.Sc[n - 1])[:, f][:, :, f]
        T[np.ix_(np.arange(w.size), f, f)] = _series(y[:, f], Tf)
    if b == 2:
        T = _ladder2(blk, w, T)
    else:
        for i in range(n - 2, 0, -1):
            T = blk.Sg[i] + jw[:, :, None] * blk.Sc[i] + T
            T = _series(blk.eg[i - 1] + jw * blk.ec[i - 1], T)
    S = blk.Sg[0] + jw[:, :, None] * blk.Sc[0] + T
    F, fr = blk.fixed_left, ~blk.fixed_left
    gl = blk.g_left
    Ytt = S[:, F][:, :, F].sum(axis=(1, 2)) + gl.sum()
    if not fr.any():
        return Ytt
    Ytf = S[:, F][:, :, fr].sum(axis=1) - gl[fr]
    x = _solve_small(S[:, fr][:, :, fr], Ytf[:, :, None])[:, :, 0]
    return Ytt - np.sum(Ytf * x, axis=1)
