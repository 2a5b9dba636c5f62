"""Shared plumbing of the benchmark scripts: one core, repeated timing, the machine's name."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time


def pin_one_core() -> bool:
    """Pin this process to its first allowed CPU; False where the OS does not allow it."""
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return True
    except (AttributeError, OSError):
        return False


def time_runs(fn, repeats: int, keep_output: bool = False):
    """Call ``fn`` once to warm up (imports, caches), then ``repeats`` timed times.

    Returns (list of wall-clock seconds, the warm-up call's result if ``keep_output`` else None).
    Each timed call's result is dropped as soon as it returns, so no earlier result is alive while
    the next call allocates: timings of array-heavy calls depend on the allocator's state (fresh
    pages vs. reused heap), and this keeps that state the same for every script.
    """
    out = fn()
    if not keep_output:
        out = None
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return ts, out


def median_s(fn, repeats: int = 7) -> float:
    """Median wall-clock seconds of ``repeats`` calls after a warm-up."""
    return statistics.median(time_runs(fn, repeats)[0])


def cpu_model() -> str:
    """The CPU model as ``lscpu`` names it (falls back to platform.processor())."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
