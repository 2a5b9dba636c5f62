"""Compatibility module: the stack now lives in :mod:`ssbands.cell.stack` (this re-exports it)."""

from __future__ import annotations

from .cell.stack import DEFAULT_TIP_WORK_FUNCTION_EV, GROUNDS, ROLES, Layer, Stack, fuller2021_stack

__all__ = ["DEFAULT_TIP_WORK_FUNCTION_EV", "GROUNDS", "Layer", "ROLES", "Stack", "fuller2021_stack"]
