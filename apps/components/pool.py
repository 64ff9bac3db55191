"""A persistent pool of worker processes for the workshop's replications, warmed at server start.

One press of the run button simulates the design on every replication seed; on one
core those runs queue behind each other. :class:`RunPool` keeps a few worker processes
alive for the life of the server (started by :func:`apps.workshop.warm_server`), each
with the geography and street network loaded once and one small run done, so that a
press runs its seeds side by side. A worker runs exactly what :func:`model.run.run_scenario`
runs for the same scenario and seed (the model owns all its randomness), so its results
are identical to a run in the server process (``tests/test_workshop_pool.py`` checks
frame by frame).

The workers come from a ``forkserver`` (a clean, single-threaded process), never from a
``fork`` of the server with its threads. Each worker reports its weeks through one
queue; a listener thread in the server hands them to the run's progress callback, so
the screen still reads *run i of n* with the time left.

Without a pool (tests, notebooks, a pool that broke) :mod:`apps.components.runs` runs
the seeds one after another in a worker thread, as before.
"""
from __future__ import annotations

import atexit
import concurrent.futures
import itertools
import logging
import multiprocessing
import os
import threading
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

log = logging.getLogger(__name__)

#: Worker processes by default: one per replication seed of a press (3, ``state.DEFAULT_SEEDS``), even
#: on two cores, tuned for the usual press (the design on 3 seeds, its baseline cached; a first press at a
#: new scale runs the baseline too, and the pool serves every session). With two, the third seed ran alone after the other two (two rounds); with three, the
#: seeds share the cores at once. Measured on 2 cores (median of 7 presses, 3 seeds): 0.48 s against
#: 0.54 s at scale 0.1, and 2.4-2.7 s against 3.1-3.2 s for the full population (each worker holds
#: about 540 MB: the geography, the street network's columns and the travel minutes it keeps).
DEFAULT_WORKERS = 3
#: A worker reports its progress every this many weeks (and at the last week).
REPORT_EVERY_WEEKS = 4

_QUEUE = None  # in a worker: where progress goes


def _init_worker(queue) -> None:
    """Load the geography once and do one small run, so a worker's first real run is not its slowest."""
    global _QUEUE
    _QUEUE = queue
    from model.geography import load_genk
    from model.run import run_scenario

    load_genk()
    run_scenario("baseline", seed=1, weeks=2, population_scale=0.01)


def _run_in_worker(task_id: int, scenario, seed: int, weeks: int, scale: float):
    """:func:`model.run.run_scenario` in a worker, its weeks reported to the server."""
    from model.run import run_scenario

    def progress(week: int, total: int) -> None:
        if _QUEUE is not None and (week % REPORT_EVERY_WEEKS == 0 or week == total):
            _QUEUE.put_nowait((task_id, week, total))

    return run_scenario(scenario, seed=seed, weeks=weeks, population_scale=scale, progress=progress)


def _warm(_: int) -> int:
    import time

    time.sleep(0.2)  # long enough that the next task goes to another worker
    return os.getpid()


class RunPool:
    """Worker processes that run :func:`model.run.run_scenario` side by side, with progress."""

    def __init__(self, workers: int = DEFAULT_WORKERS):
        self.workers = int(workers)
        ctx = multiprocessing.get_context("forkserver")
        self._queue = ctx.Queue()
        self._executor = concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker,
                                                                initargs=(self._queue,))
        self._callbacks: dict[int, Callable[[int, int], None]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._listener = threading.Thread(target=self._listen, name="workshop-pool-progress", daemon=True)
        self._listener.start()
        self.broken = False
        self._pending = 0  # replications submitted and not yet finished

    def warm(self, timeout_s: float = 120.0) -> list[int]:
        """Start every worker now (each loads the geography once); returns their process ids."""
        import time

        deadline, seen = time.monotonic() + timeout_s, set()
        while len(seen) < self.workers and time.monotonic() < deadline:
            # a round of short tasks, one per worker: each worker answers once its geography is loaded
            futures = [self._executor.submit(_warm, i) for i in range(self.workers)]
            seen |= {f.result(timeout=max(1.0, deadline - time.monotonic())) for f in futures}
        return sorted(seen)

    def submit(self, scenario, seed: int, weeks: int, scale: float,
               progress: Callable[[int, int], None] | None = None) -> concurrent.futures.Future:
        """Run one replication in a worker; the future holds its :class:`model.run.Results`."""
        task_id = next(self._ids)
        with self._lock:
            self._pending += 1
            if progress is not None:
                self._callbacks[task_id] = progress
        try:
            future = self._executor.submit(_run_in_worker, task_id, scenario, int(seed), int(weeks), float(scale))
        except (BrokenProcessPool, RuntimeError):
            self.broken = True
            self._forget(task_id)
            with self._lock:
                self._pending -= 1
            raise BrokenProcessPool("the workshop's run pool is not available")
        future.add_done_callback(lambda f: self._finished(task_id, f))
        return future

    @property
    def idle(self) -> bool:
        """No replication is running or waiting."""
        with self._lock:
            return self._pending == 0

    def _finished(self, task_id: int, future: concurrent.futures.Future) -> None:
        self._forget(task_id)
        with self._lock:
            self._pending -= 1
        if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
            self.broken = True

    def _forget(self, task_id: int) -> None:
        with self._lock:
            self._callbacks.pop(task_id, None)

    def _listen(self) -> None:
        while True:
            try:
                message = self._queue.get()
            except (EOFError, OSError, ValueError):
                return
            if message is None:
                return
            task_id, week, total = message
            with self._lock:
                callback = self._callbacks.get(task_id)
            if callback is not None:
                try:
                    callback(week, total)
                except Exception:  # noqa: BLE001 - a broken progress view must not stop the run
                    log.exception("progress callback failed")

    def shutdown(self) -> None:
        """Stop the workers and the listener (waits for running replications)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        try:
            self._queue.put(None)
        except (OSError, ValueError):
            pass
        self._listener.join(timeout=5)
        self._queue.close()
        self._queue.join_thread()


_POOL: RunPool | None = None
_POOL_LOCK = threading.Lock()


def start_pool(workers: int | None = None, wait: bool = True) -> RunPool | None:
    """The process's run pool, started on first call; None when switched off.

    ``LEERECO_WORKSHOP_WORKERS`` sets the number of workers (``0``: no pool, the runs go one
    after another in a thread). With ``wait=False`` the workers load the geography while the
    caller goes on (the server's own warm-up); runs submitted meanwhile wait for them.
    """
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None and not _POOL.broken:
            return _POOL
        if _POOL is not None:
            _discard(_POOL)
            _POOL = None
        n = workers if workers is not None else int(os.environ.get("LEERECO_WORKSHOP_WORKERS", DEFAULT_WORKERS))
        if n <= 0:
            return None
        pool = RunPool(n)
        if wait:
            pool.warm()
        else:
            for i in range(pool.workers):  # starts every worker now (each one loads the geography)
                pool._executor.submit(_warm, i)
        _POOL = pool
        return pool


def current_pool() -> RunPool | None:
    """The running pool, or None (then the runs go one after another in a thread)."""
    pool = _POOL
    return pool if pool is not None and not pool.broken else None


def stop_pool() -> None:
    """Stop the process's run pool, if any (the server stops; a test cleans up)."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        _discard(pool)


def _discard(pool: RunPool) -> None:
    try:
        pool.shutdown()
    except Exception:  # noqa: BLE001 - stopping a broken pool must not raise
        log.exception("could not stop the run pool cleanly")
    try:  # and the idle forkserver the workers came from (started again when a pool is next needed)
        from multiprocessing import forkserver

        forkserver._forkserver._stop()
    except Exception:  # noqa: BLE001 - a private helper of multiprocessing; without it the server stops at exit
        pass


atexit.register(stop_pool)

__all__ = ["DEFAULT_WORKERS", "RunPool", "current_pool", "start_pool", "stop_pool"]
