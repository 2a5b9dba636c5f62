"""Chunk plans of a screen: which block of interfaces or cells each task computes.

Chunk boundaries depend only on the problem size and ``chunk_cells`` (never on the number of
workers), so every executor computes exactly the same rows and a resumed run finds the same part
files an interrupted one wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["Chunk", "plan_cell_chunks", "plan_interface_chunks", "chunk_offsets", "DEFAULT_CHUNK_CELLS"]

#: Default number of cells per chunk (also sets the interface chunks).
DEFAULT_CHUNK_CELLS = 100_000


@dataclass(frozen=True)
class Chunk:
    """A block of cells: closure ``q``, electrolytes [e0, e1), anodes [a0, a1), cathodes [c0, c1).

    Attributes
    ----------
    id : int
        Position in the plan (also the part-file number).
    q : int
        Closure index.
    e0, e1, a0, a1, c0, c1 : int
        Half-open index ranges of electrolytes, anodes and cathodes.
    """

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
        """Number of cells in the block."""
        return (self.e1 - self.e0) * (self.a1 - self.a0) * (self.c1 - self.c0)


def plan_cell_chunks(n_closures: int, n_electrolytes: int, n_anodes: int, n_cathodes: int,
                     chunk_cells: int = DEFAULT_CHUNK_CELLS) -> list[Chunk]:
    """Deterministic blocks of about ``chunk_cells`` cells (cathodes fastest, then anodes, electrolytes).

    Parameters
    ----------
    n_closures, n_electrolytes, n_anodes, n_cathodes : int
        Sizes of the four cell axes.
    chunk_cells : int
        Target cells per block (≥ 1).

    Returns
    -------
    list of Chunk
        Ordered by closure, then electrolyte, anode and cathode blocks; the chunks of one closure are
        contiguous and together cover its cells once, in ``cell_id`` order.
    """
    if chunk_cells < 1:
        raise InputError(f"chunk size must be >= 1 cell, got {chunk_cells}")
    cb = min(n_cathodes, chunk_cells)
    ab = min(n_anodes, max(1, chunk_cells // cb))
    eb = min(n_electrolytes, max(1, chunk_cells // (ab * cb)))
    out: list[Chunk] = []
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

    Parameters
    ----------
    n_closures, n_electrolytes, n_electrodes, n_states : int
        Sizes of the interface axes (every electrolyte block holds all electrodes, states and closures).
    chunk_cells : int
        Target cells per cell chunk.

    Returns
    -------
    list of (int, int, int)
        Part number and the half-open electrolyte range of each block.
    """
    per = max(1, n_closures * n_electrodes * n_states)
    eb = max(1, min(n_electrolytes, max(1, chunk_cells // 20) // per))
    return [(i, e0, min(e0 + eb, n_electrolytes)) for i, e0 in enumerate(range(0, n_electrolytes, eb))]


def chunk_offsets(plan: list[Chunk]) -> np.ndarray:
    """Position of each chunk's first cell in the flat cell order.

    Parameters
    ----------
    plan : list of Chunk
        From :func:`plan_cell_chunks`.

    Returns
    -------
    ndarray of int, shape (len(plan) + 1,)
        Offsets; chunk ``i`` holds cells ``offsets[i]:offsets[i + 1]`` and the last entry is the total.
    """
    return np.concatenate([[0], np.cumsum([c.size for c in plan])])
