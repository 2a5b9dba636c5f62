"""Former home of the screen's execution; kept so that existing imports keep working.

The pieces now live in :mod:`.plan` (chunk plans), :mod:`.executors` (serial, local processes, Dask),
:mod:`.store` (part files, manifest, resume) and :mod:`.pipeline` (:func:`run_screen`, :func:`screen`).
"""

from __future__ import annotations

from .executors import DaskExecutor, ProcessExecutor, SerialExecutor, make_executor
from .pipeline import run_screen, screen
from .plan import DEFAULT_CHUNK_CELLS, Chunk, plan_cell_chunks, plan_interface_chunks
from .store import PART

__all__ = ["Chunk", "plan_cell_chunks", "plan_interface_chunks", "make_executor", "SerialExecutor",
           "ProcessExecutor", "DaskExecutor", "run_screen", "screen", "DEFAULT_CHUNK_CELLS", "PART"]
