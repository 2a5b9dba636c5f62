"""Where the chunks of a screen run: this process, local processes, or a Dask cluster.

A thin adapter over :mod:`concurrent.futures`: every executor runs ``func(task, shared)`` for many
tasks and yields the results as they complete (:meth:`map_unordered`), with at most
``2 × n_workers`` tasks in flight, which bounds the coordinator's memory.

The data every task of a stage needs (``shared``: the materials, or the interface arrays) are handed
over explicitly, once per stage and worker, never pickled per task:

* :class:`SerialExecutor` — passed as they are;
* :class:`ProcessExecutor` — a :class:`~concurrent.futures.ProcessPoolExecutor` per stage (spawn start
  method) whose ``initializer`` receives them once per worker process;
* :class:`DaskExecutor` — scattered to every worker once per stage and passed by reference through
  the ``concurrent.futures`` interface of ``distributed.Client.get_executor()``.

Workers ignore SIGINT: on Ctrl-C the coordinator stops waiting, cancels every task not yet started
and keeps the chunks already written.

Any object with ``name``, ``n_workers``, ``map_unordered(func, tasks, shared)`` and ``close()`` can be
given to :func:`~ssbands.screening.run_screen` as ``executor=``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from typing import Any

from ..errors import InputError

__all__ = ["SerialExecutor", "ProcessExecutor", "DaskExecutor", "make_executor", "map_bounded"]

#: The shared data of the current stage in a worker process of a :class:`ProcessExecutor` (set by
#: its initializer; one stage per pool).
_stage_data: dict = {}


def map_bounded(executor: Executor, func: Callable, tasks: Iterable, *args: Any, limit: int) -> Iterator:
    """Submit ``func(task, *args)`` for every task, at most ``limit`` at a time; yield results as they complete.

    Parameters
    ----------
    executor : concurrent.futures.Executor
        Any executor (a process pool, ``distributed.Client.get_executor()``, …).
    func : callable
        A picklable function.
    tasks : iterable
        Its first arguments; consumed lazily.
    *args
        Further arguments, the same for every task.
    limit : int
        Most tasks submitted and not yet yielded.

    Yields
    ------
    object
        ``func``'s results, in completion order. When the generator is closed early (or an exception
        reaches it), the tasks not yet started are cancelled.
    """
    it = iter(tasks)
    pending: set = set()
    try:
        while True:
            for t in it:
                pending.add(executor.submit(func, t, *args))
                if len(pending) >= limit:
                    break
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                yield f.result()
    finally:
        for f in pending:
            f.cancel()


class SerialExecutor:
    """Everything in this process, in order (``jobs=1``)."""

    name = "serial"
    n_workers = 1

    def map_unordered(self, func: Callable, tasks: Iterable, shared: Any) -> Iterator:
        """Yield ``func(task, shared)`` for every task, in order.

        Parameters
        ----------
        func : callable
            The task function.
        tasks : iterable
            Its first arguments.
        shared : object
            Its second argument, the same for every task.
        """
        for t in tasks:
            yield func(t, shared)

    def close(self) -> None:
        """Nothing to release."""


def _start_worker(shared: Any) -> None:
    """Set up a worker process (the pool's initializer): keep the shared data; leave Ctrl-C to the coordinator."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _stage_data.clear()
    _stage_data["shared"] = shared


def _call_in_worker(task: Any, func: Callable) -> Any:
    """Run one task in a worker process with the shared data its initializer received."""
    return func(task, _stage_data["shared"])


class ProcessExecutor:
    """Local processes: a :class:`~concurrent.futures.ProcessPoolExecutor` (spawn) per set of shared data.

    Parameters
    ----------
    n_workers : int, optional
        Worker processes (default: all cores).

    Notes
    -----
    The shared data reach each worker once, as the argument of the pool's initializer; consecutive
    :meth:`map_unordered` calls with the same ``shared`` object use the same pool. On Ctrl-C (or any
    error) the tasks not yet started are cancelled and the pool is shut down without waiting; the few
    tasks already handed to the workers finish before the processes exit.
    """

    name = "processes"

    def __init__(self, n_workers: int | None = None):
        self.n_workers = int(n_workers or os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._shared: Any = None

    def _pool_for(self, shared: Any) -> ProcessPoolExecutor:
        if self._pool is None or self._shared is not shared:
            self._shutdown(wait=True)
            import multiprocessing

            self._pool = ProcessPoolExecutor(self.n_workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(shared,))
            self._shared = shared
        return self._pool

    def _shutdown(self, wait: bool) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
        self._pool = self._shared = None

    def map_unordered(self, func: Callable, tasks: Iterable, shared: Any) -> Iterator:
        """Yield ``func(task, shared)`` for every task, in completion order (see :func:`map_bounded`).

        Parameters
        ----------
        func : callable
            A picklable (module-level) task function.
        tasks : iterable
            Its first arguments.
        shared : object
            Its second argument, sent once to each worker process.
        """
        pool = self._pool_for(shared)
        finished = False
        try:
            yield from map_bounded(pool, _call_in_worker, tasks, func, limit=2 * self.n_workers)
            finished = True
        finally:
            if not finished:  # interrupted: do not wait for the running tasks
                self._shutdown(wait=False)

    def close(self) -> None:
        """Shut the worker processes down."""
        self._shutdown(wait=True)


class DaskExecutor:
    """Dask distributed: an existing scheduler (``address`` or ``client``) or a local cluster of ``n_workers``.

    Parameters
    ----------
    address : str, optional
        Scheduler address (e.g. ``tcp://host:8786``).
    n_workers : int, optional
        Worker processes of a new local cluster (when neither ``address`` nor ``client`` is given).
    client : distributed.Client, optional
        An existing client (not closed by :meth:`close`).

    Notes
    -----
    Tasks go through ``client.get_executor()``; each stage's shared data are scattered to every
    worker once (broadcast) and passed to the tasks by reference. Workers return Parquet bytes, so
    the output folder need not be shared with them.
    """

    name = "dask"

    def __init__(self, address: str | None = None, n_workers: int | None = None, client=None):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - optional dependency
            raise InputError(f"scheduler/workers (Dask) need dask[distributed] (pip install 'ssbands[dask]'): {exc}") \
                from None
        self._own: list = []
        if client is not None:
            self.client = client
        elif address is not None:
            try:
                self.client = Client(address, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise InputError(f"cannot connect to the Dask scheduler at {address!r}: {exc}") from None
            self._own.append(self.client)
        else:
            cluster = LocalCluster(n_workers=int(n_workers or 1), threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            self.client = Client(cluster)
            self._own += [self.client, cluster]
        self.n_workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def map_unordered(self, func: Callable, tasks: Iterable, shared: Any) -> Iterator:
        """Yield ``func(task, shared)`` for every task, in completion order (see :func:`map_bounded`).

        Parameters
        ----------
        func : callable
            A picklable task function.
        tasks : iterable
            Its first arguments.
        shared : object
            Its second argument, scattered once to every worker.
        """
        ref = self.client.scatter([shared], broadcast=True, hash=False)[0]
        executor = self.client.get_executor(pure=False)
        try:
            yield from map_bounded(executor, func, tasks, ref, limit=2 * self.n_workers)
        finally:
            executor.shutdown(wait=False)
            ref.release()

    def close(self) -> None:
        """Close the client and the local cluster this executor started (not a client it was given)."""
        for obj in self._own:
            obj.close()


def make_executor(jobs: int | None = None, workers: int | None = None, scheduler=None):
    """Make the executor of a screen.

    Parameters
    ----------
    jobs : int, optional
        Local processes when not using Dask (default: all cores; 1 runs in this process).
    workers : int, optional
        Worker processes of a new local Dask cluster.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address or client.

    Returns
    -------
    SerialExecutor, ProcessExecutor or DaskExecutor

    Raises
    ------
    InputError
        For both ``workers`` and ``scheduler``, or a count below 1.
    """
    if scheduler is not None and workers is not None:
        raise InputError("give workers (a local Dask cluster) or scheduler (an address), not both")
    if scheduler is not None:
        if isinstance(scheduler, str):
            return DaskExecutor(address=scheduler)
        return DaskExecutor(client=scheduler)
    if workers is not None:
        if workers < 1:
            raise InputError(f"workers must be >= 1, got {workers}")
        return DaskExecutor(n_workers=workers)
    if jobs is not None and jobs < 1:
        raise InputError(f"jobs must be >= 1, got {jobs}")
    n = jobs or os.cpu_count() or 1
    return SerialExecutor() if n == 1 else ProcessExecutor(n)
