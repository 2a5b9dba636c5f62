"""Compatibility module: the cell solve now lives in :mod:`ssbands.cell` (this re-exports it)."""

from __future__ import annotations

from .cell import ElectrodeState, electrode_state, make_grid, reachable_ocv_range, solve, summary
from .errors import SSBandsWarning

__all__ = ["ElectrodeState", "SSBandsWarning", "electrode_state", "make_grid", "reachable_ocv_range", "solve",
           "summary"]
