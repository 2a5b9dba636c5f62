"""The executor adapter: bounded submission, shared data handed over once, same results everywhere."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ssbands.errors import InputError
from ssbands.screening.executors import ProcessExecutor, SerialExecutor, make_executor, map_bounded


def _scaled(task, shared):
    return task * shared["factor"]


class _CountingPool(ThreadPoolExecutor):
    def __init__(self):
        super().__init__(2)
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def test_map_bounded_keeps_at_most_limit_tasks_in_flight():
    seen = []
    with _CountingPool() as pool:
        for r in map_bounded(pool, lambda t, offset: t + offset, range(50), 100, limit=3):
            assert pool.submitted - len(seen) <= 3  # submitted and not yet handed out
            seen.append(r)
    assert sorted(seen) == list(range(100, 150)) and pool.submitted == 50


def test_map_bounded_cancels_pending_tasks_when_closed():
    started = []
    gate = threading.Event()

    def work(t):
        started.append(t)
        gate.wait(5)
        return t

    with ThreadPoolExecutor(1) as pool:
        it = map_bounded(pool, work, range(10), limit=4)
        gate.set()
        next(it)
        it.close()
    assert len(started) <= 5  # the rest were cancelled, never started


def test_serial_and_processes_give_the_same_results():
    shared = {"factor": 3}
    assert list(SerialExecutor().map_unordered(_scaled, range(6), shared)) == [0, 3, 6, 9, 12, 15]
    ex = ProcessExecutor(2)
    try:
        first = sorted(ex.map_unordered(_scaled, range(6), shared))
        pool = ex._pool
        again = sorted(ex.map_unordered(_scaled, range(6, 9), shared))  # same shared data: same pool
        assert ex._pool is pool
        other = sorted(ex.map_unordered(_scaled, range(3), {"factor": -1}))  # new data: a new pool
        assert ex._pool is not pool
    finally:
        ex.close()
    assert first == [0, 3, 6, 9, 12, 15] and again == [18, 21, 24] and other == [-2, -1, 0]


def test_make_executor_choices_and_errors():
    assert isinstance(make_executor(jobs=1), SerialExecutor)
    ex = make_executor(jobs=3)
    assert isinstance(ex, ProcessExecutor) and ex.n_workers == 3
    ex.close()
    with pytest.raises(InputError, match="not both"):
        make_executor(workers=2, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(InputError, match="jobs must be"):
        make_executor(jobs=0)
    with pytest.raises(InputError, match="workers must be"):
        make_executor(workers=0)
