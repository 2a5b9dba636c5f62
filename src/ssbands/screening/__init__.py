"""Screening at scale: every electrode|electrolyte interface and every anode|electrolyte|cathode cell.

Interfaces are computed once (N² of them, batched through the first-integral space-charge solver) and
combined into cells by broadcasting (N³), in chunks streamed to partitioned Parquet, resumable, on
local processes or a Dask cluster. See docs/screening.md.

Python API::

    from ssbands.materials import load_library
    from ssbands.screening import screen
    summary = screen(load_library(), out="screen-out", objective="max-abs-phi0")

Submodules: :mod:`.selection` (materials as records, which ones are computed), :mod:`.interfaces`
(interface table), :mod:`.cells` (cell metrics, objective, ranking, Pareto set), :mod:`.plan` (chunk
plans), :mod:`.store` (part files, manifest, resume), :mod:`.executors` (serial, local processes,
Dask), :mod:`.pipeline` (:func:`run_screen`, :func:`screen`), :mod:`.uncertainty` (Monte Carlo),
:mod:`.report` (summary, figures, the Markdown report), :mod:`.synth` (synthetic libraries); the
figures are drawn by :mod:`ssbands.plotting.screening`.
"""

from __future__ import annotations

from .cells import CELL_COLUMNS, CONSTRAINTS, METRIC_ALIASES, Objective, pareto_candidates, pareto_front, rank_scores
from .interfaces import compute_interfaces
from .pipeline import run_screen, screen
from .selection import (
                        ElectrodeStates,
                        ElectrolyteRecord,
                        Selection,
                        electrode_states,
                        electrolyte_record,
                        select_materials,
)

__all__ = ["screen", "run_screen", "select_materials", "compute_interfaces", "electrode_states", "electrolyte_record",
           "ElectrodeStates", "ElectrolyteRecord", "Selection", "Objective", "pareto_front", "pareto_candidates",
           "rank_scores",
           "CELL_COLUMNS", "CONSTRAINTS", "METRIC_ALIASES"]
