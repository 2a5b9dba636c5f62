"""A whole cell: the stack, its electrode states (Li conservation) and its open-circuit band diagram.

* :mod:`.stack` — the immutable, validated :class:`Stack` (layers, dipoles, conditions) and its TOML form.
* :mod:`.state` — electrode Li contents and potentials at given OCVs or Li fractions.
* :mod:`.solve` — the batched equilibrium solve → band-diagram Profile.
* :mod:`.summary` — the single-state summary dict (the ``ssbands band --json`` contract).
"""

from __future__ import annotations

from .solve import CellArrays, make_grid, solve, solve_arrays
from .stack import DEFAULT_TIP_WORK_FUNCTION_EV, GROUNDS, ROLES, Layer, ReadOnlyMapping, Stack, fuller2021_stack
from .state import ElectrodeState, LiBalance, electrode_state, reachable_ocv_range
from .summary import summary

__all__ = [
    "CellArrays", "DEFAULT_TIP_WORK_FUNCTION_EV", "ElectrodeState", "GROUNDS", "Layer", "LiBalance", "ROLES",
    "ReadOnlyMapping", "Stack", "electrode_state", "fuller2021_stack", "make_grid", "reachable_ocv_range",
    "solve", "solve_arrays", "summary",
]
