"""The run service: replicate runs off the UI thread, shared cache, progress, the store's runs.

:class:`RunService` runs a set of scenarios ("jobs": the design, its baseline, compared
scenarios) on the same replication seeds (:func:`model.compare.replication_seeds`) in a
worker thread and reports progress as *run i of n* with the time left. There is one
path from start to finish (:meth:`RunService.start`); :meth:`RunService.run` is that
path waited on. Results of identical (design, seed, weeks, scale) runs are shared
between sessions (:func:`cached_run`), and are kept in and read back from the store
(:func:`store_runs`, :func:`stored_runs`) so that a reopened link shows its results at once.
"""
from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd
import param

from model.compare import replication_seeds
from model.run import Results, run_scenario
from model.scenario import Scenario

from .design import design_key

log = logging.getLogger(__name__)
_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="workshop-run")
_CACHE: OrderedDict[tuple, Results] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_IN_FLIGHT: dict[tuple, concurrent.futures.Future] = {}
_CACHE_SIZE = 200
_SUMMARIES: OrderedDict[tuple, tuple] = OrderedDict()
_WIJK_TABLES: OrderedDict[int, tuple] = OrderedDict()
_AHEAD: dict[tuple, concurrent.futures.Future] = {}  # key -> the pool's future of a run started ahead  # id of a run -> (the run, its wide wijk table)  # ids of runs -> (the runs, their aggregated frames)

Schedule = Callable[[Callable[[], None]], Any]


def executor() -> concurrent.futures.ThreadPoolExecutor:
    """The worker threads of every session (runs, uploads, store reads)."""
    return _EXECUTOR


def cached_run(scenario: Scenario, seed: int, weeks: int, scale: float,
               progress: Callable[[int, int], None] | None = None) -> Results:
    """:func:`model.run.run_scenario`, shared between sessions for identical inputs."""
    key = (design_key(scenario), int(seed), int(weeks), round(float(scale), 6))
    owner = False
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
        elif key in _IN_FLIGHT:  # another session is running exactly this: wait for it
            pending = _IN_FLIGHT[key]
        else:
            pending = _IN_FLIGHT[key] = concurrent.futures.Future()
            owner = True
    if hit is None and not owner:
        hit = pending.result()
    if hit is not None:
        if progress:
            progress(weeks, weeks)
        return hit
    try:
        results = run_scenario(scenario, seed=seed, weeks=weeks, population_scale=scale, progress=progress)
    except BaseException as exc:
        with _CACHE_LOCK:
            _IN_FLIGHT.pop(key, None)
        pending.set_exception(exc)
        raise
    remember(scenario, results)
    with _CACHE_LOCK:
        _IN_FLIGHT.pop(key, None)
    pending.set_result(results)
    return results


def remember(scenario: Scenario, results: Results) -> None:
    key = (design_key(scenario), int(results.seed), int(results.weeks), round(float(results.population_scale), 6))
    with _CACHE_LOCK:
        _CACHE[key] = results
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def cached(scenario: Scenario, seed: int, weeks: int, scale: float) -> Results | None:
    with _CACHE_LOCK:
        return _CACHE.get((design_key(scenario), int(seed), int(weeks), round(float(scale), 6)))


def wijk_table(results: Results) -> pd.DataFrame:
    """``results.wijk_table()``, made once per run (a press reads each run's table two or three times)."""
    key = id(results)
    with _CACHE_LOCK:
        hit = _WIJK_TABLES.get(key)
        if hit is not None and hit[0] is results:
            _WIJK_TABLES.move_to_end(key)
            return hit[1]
    table = results.wijk_table()
    with _CACHE_LOCK:
        _WIJK_TABLES[key] = (results, table)
        while len(_WIJK_TABLES) > 2 * _CACHE_SIZE:
            _WIJK_TABLES.popitem(last=False)
    return table


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


# ============================================================================ the store's runs
def store_runs(store, scenario: Scenario, runs: list[Results], revision_id: int | None = None) -> int:
    """Keep runs in the store (skipping those it holds already); returns how many were added."""
    from model.store import scenario_hash

    key, added = scenario_hash(scenario), 0
    for r in runs:
        if store.find_run(key, r.seed, r.weeks, r.population_scale, with_frames=False) is not None:
            continue
        store.save_run(revision_id, key, r.seed, r.weeks, r.population_scale, r.summary, r.frames())
        added += 1
    return added


def stored_runs(store, scenario: Scenario, seeds: list[int], weeks: int, scale: float) -> list[Results] | None:
    """The store's runs of ``scenario`` for every seed, or None if any is missing."""
    from model.store import scenario_hash

    key, out = scenario_hash(scenario), []
    for seed in seeds:
        hit = cached(scenario, seed, weeks, scale)
        if hit is None:
            row = store.find_run(key, seed, weeks, scale)
            if row is None:
                return None
            frames = row["frames"]
            empty = pd.DataFrame()
            hit = Results(scenario.name, int(seed), int(weeks), float(scale), dict(row["summary"]),
                          frames.get("weekly", empty), frames.get("by_wijk", empty), frames.get("by_group", empty),
                          frames.get("by_offer", empty), frames.get("progression", empty), frames.get("channels", empty))
            remember(scenario, hit)
        out.append(hit)
    return out


# ============================================================================ summaries
@dataclass
class RunSummary:
    """Replicate runs of one scenario, aggregated for the screen."""

    label: str
    scenario_name: str
    population_scale: float
    weeks: int
    seeds: list[int]
    summary: pd.DataFrame  # index indicator; columns mean, lo, hi
    weekly: pd.DataFrame  # columns week, indicator, mean, lo, hi
    wijk: pd.DataFrame  # index wijk; one column per wijk indicator (mean over seeds)
    seconds: float = 0.0
    runs: list[Results] = field(default_factory=list, repr=False)

    @classmethod
    def from_runs(cls, label: str, runs: list[Results], seconds: float = 0.0) -> "RunSummary":
        """Mean and min–max over the seeds; the same runs (today's baseline on every press) are aggregated once."""
        key = tuple(id(r) for r in runs)
        with _CACHE_LOCK:
            hit = _SUMMARIES.get(key)
            if hit is not None and all(a is b for a, b in zip(hit[0], runs)):
                _SUMMARIES.move_to_end(key)
                summary, weekly, wijk = hit[1]
                first = runs[0]
                return cls(label, first.scenario_name, first.population_scale, first.weeks, [r.seed for r in runs],
                           summary, weekly, wijk, seconds, list(runs))
        made = cls._aggregate(label, runs, seconds)
        with _CACHE_LOCK:
            _SUMMARIES[key] = (list(runs), (made.summary, made.weekly, made.wijk))
            while len(_SUMMARIES) > 32:
                _SUMMARIES.popitem(last=False)
        return made

    @classmethod
    def _aggregate(cls, label: str, runs: list[Results], seconds: float = 0.0) -> "RunSummary":
        summ = pd.DataFrame([r.summary for r in runs])
        summary = pd.DataFrame({"mean": summ.mean(), "lo": summ.min(), "hi": summ.max()})
        weekly = pd.concat([r.weekly.assign(seed=r.seed) for r in runs])
        weekly = weekly.groupby(["indicator", "week"])["value"].agg(["mean", "min", "max"]).reset_index()
        weekly = weekly.rename(columns={"min": "lo", "max": "hi"})
        wijk = pd.concat([wijk_table(r) for r in runs]).groupby(level=0).mean()
        first = runs[0]
        return cls(label, first.scenario_name, first.population_scale, first.weeks, [r.seed for r in runs],
                   summary, weekly, wijk, seconds, list(runs))

    def value(self, name: str) -> float:
        return float(self.summary.loc[name, "mean"]) if name in self.summary.index else float("nan")


# ============================================================================ computing a plan
def _compute_serial(plan: "RunPlan", progress: Callable[[int, int, int], None] | None) -> dict[str, list[Results]]:
    """Each job on each seed, one after another in this thread."""
    total = plan.weeks * plan.n_runs
    done = [0]
    index = [0]

    def tick(week: int, weeks: int) -> None:
        if progress and (week % 4 == 0 or week == weeks):
            progress(index[0] + 1, done[0] + week, total)

    out: dict[str, list[Results]] = {}
    for key, scenario in plan.jobs.items():
        out[key] = []
        for seed in plan.seeds:
            out[key].append(cached_run(scenario, seed, plan.weeks, plan.scale, tick))
            done[0] += plan.weeks
            index[0] += 1
    return out


def _key(scenario: Scenario, seed: int, weeks: int, scale: float) -> tuple:
    return (design_key(scenario), int(seed), int(weeks), round(float(scale), 6))


def pooled_run(pool, scenario: Scenario, seed: int, weeks: int, scale: float,
               progress: Callable[[int, int], None] | None = None, ahead: bool = False) -> concurrent.futures.Future:
    """:func:`cached_run` in the pool: a future of the results, shared with any session running the same.

    ``ahead``: a run started before anyone asked for it (:func:`run_ahead`); a press of the run
    button for another design takes it off the queue if no worker has begun it.
    """
    key = _key(scenario, seed, weeks, scale)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            ready: concurrent.futures.Future = concurrent.futures.Future()
            ready.set_result(hit)
        elif key in _IN_FLIGHT:  # another session (or job) is running exactly this: share its run
            shared = _IN_FLIGHT[key]
            if not ahead:
                _AHEAD.pop(key, None)  # asked for now: no longer a run that another press may drop
            if progress:
                shared.add_done_callback(lambda f: progress(weeks, weeks)
                                         if not f.cancelled() and f.exception() is None else None)
            return shared
        else:
            ready = None
            pending = _IN_FLIGHT[key] = concurrent.futures.Future()
    if ready is not None:
        if progress:
            progress(weeks, weeks)
        return ready

    def settle(future: concurrent.futures.Future) -> None:
        with _CACHE_LOCK:
            _IN_FLIGHT.pop(key, None)
            _AHEAD.pop(key, None)
        if future.cancelled():
            pending.cancel()
            return
        exc = future.exception()
        if exc is not None:
            pending.set_exception(exc)
            return
        remember(scenario, future.result())
        pending.set_result(future.result())

    try:
        submitted = pool.submit(scenario, seed, weeks, scale, progress)
        if ahead:
            with _CACHE_LOCK:
                _AHEAD[key] = submitted
        submitted.add_done_callback(settle)
    except BaseException as exc:  # noqa: BLE001 - a pool that cannot take work: the caller runs it here
        with _CACHE_LOCK:
            _IN_FLIGHT.pop(key, None)
        pending.set_exception(exc)
    return pending


def run_ahead(plan: "RunPlan") -> int:
    """Start the plan's runs in the run pool before the button is pressed, if the pool is idle.

    The results only go into the shared cache (nothing on screen changes), so that a press
    right after a change finds its runs finished or under way. Returns how many runs were
    started (0 without a pool, with a busy pool or with everything cached already).
    """
    from .pool import current_pool

    pool = current_pool()
    if pool is None or not pool.idle:
        return 0
    started = 0
    for scenario in plan.jobs.values():
        for seed in plan.seeds:
            key = _key(scenario, seed, plan.weeks, plan.scale)
            with _CACHE_LOCK:
                known = key in _CACHE or key in _IN_FLIGHT
            if not known:
                pooled_run(pool, scenario, seed, plan.weeks, plan.scale, ahead=True)
                started += 1
    return started


def run_ahead_possible() -> bool:
    """A run pool is there and idle (no run started ahead would wait for another)."""
    from .pool import current_pool

    pool = current_pool()
    return pool is not None and pool.idle


def _drop_stale_runs_ahead(plan: "RunPlan") -> None:
    """Take runs started ahead for other designs off the pool's queue (those not begun yet)."""
    wanted = {_key(scenario, seed, plan.weeks, plan.scale) for scenario in plan.jobs.values() for seed in plan.seeds}
    with _CACHE_LOCK:
        stale = [f for key, f in _AHEAD.items() if key not in wanted]
    for future in stale:
        future.cancel()


def _submit_pooled(plan: "RunPlan", pool,
                   progress: Callable[[int, int, int], None] | None) -> Callable[[], dict[str, list[Results]]]:
    """Every job on every seed into the pool's workers now; returns the wait for all of them together
    (progress over all of them)."""
    from concurrent.futures.process import BrokenProcessPool

    total = plan.weeks * plan.n_runs
    lock = threading.Lock()
    weeks_done: dict[int, int] = {}
    finished: set[int] = set()

    def tick_for(task: int) -> Callable[[int, int], None]:
        def tick(week: int, weeks: int) -> None:
            with lock:
                if task in finished:  # a worker's message that arrives after its run was collected
                    return
                weeks_done[task] = max(week, weeks_done.get(task, 0))  # never backwards
                if week >= weeks:
                    finished.add(task)
                done, index = sum(weeks_done.values()), min(len(finished) + 1, plan.n_runs)
            if progress and (week % 4 == 0 or week == weeks):
                progress(index, done, total)
        return tick

    _drop_stale_runs_ahead(plan)
    tasks = [(key, scenario, seed) for key, scenario in plan.jobs.items() for seed in plan.seeds]
    futures = [pooled_run(pool, scenario, seed, plan.weeks, plan.scale, tick_for(i))
               for i, (key, scenario, seed) in enumerate(tasks)]

    def collect() -> dict[str, list[Results]]:
        out: dict[str, list[Results]] = {key: [] for key in plan.jobs}
        for i, ((key, scenario, seed), future) in enumerate(zip(tasks, futures)):
            try:
                results = future.result()
            except (BrokenProcessPool, concurrent.futures.CancelledError):  # a worker died: this run goes here
                log.warning("the run pool broke; running %s seed %s in the server process", scenario.name, seed)
                results = cached_run(scenario, seed, plan.weeks, plan.scale, tick_for(i))
            # the worker's last week may still be on its way through the progress queue: count the run done now
            tick_for(i)(plan.weeks, plan.weeks)
            out[key].append(results)
        return out

    return collect


# ============================================================================ the service
@dataclass
class RunPlan:
    """What one press of the run button computes: each job on every seed."""

    jobs: dict[str, Scenario]  # "design", "baseline", "compare:<label>" -> scenario
    seeds: list[int]
    weeks: int
    scale: float

    @property
    def n_runs(self) -> int:
        return len(self.jobs) * len(self.seeds)


class RunService(param.Parameterized):
    """Runs plans in a worker thread, one at a time per session, with progress.

    Attributes:
        running: a plan is being computed.
        run_index, n_runs: progress as "run i of n" (i counts from 1).
        progress: percent done (weeks of all runs).
        seconds_left: estimated time left (None until the first weeks are timed).
    """

    running = param.Boolean(default=False)
    run_index = param.Integer(default=0)
    n_runs = param.Integer(default=0)
    progress = param.Integer(default=0, bounds=(0, 100))
    seconds_left = param.Number(default=None, allow_None=True)
    entropy = param.Integer(default=20240601, doc="SeedSequence entropy of the replication seeds")

    def seeds(self, n: int) -> list[int]:
        return replication_seeds(int(n), self.entropy)

    def start(self, plan: RunPlan, on_done: Callable[[dict | None, BaseException | None], None],
              schedule: Schedule | None = None) -> concurrent.futures.Future | None:
        """Compute ``plan`` in a worker thread; ``on_done(computed, error)`` runs on the session's thread.

        Args:
            plan: the jobs, seeds, weeks and scale.
            on_done: called with ``{"runs": {job: [Results]}, "seconds": s}`` or with the error.
            schedule: how to get back onto the session's thread (a Bokeh document's
                ``add_next_tick_callback``); without it ``on_done`` runs in the worker thread.

        Returns:
            A future resolving once ``on_done`` has run (None if a plan is already running).
        """
        if self.running:
            return None

        def announce() -> None:
            self.param.update(running=True, progress=0, run_index=1 if plan.n_runs else 0, n_runs=plan.n_runs,
                              seconds_left=None)

        if schedule is None:  # no session: progress reports arrive at once, so they must come after this
            announce()
        try:  # in a session the runs go to the pool's workers before the screen is told (a message that takes a while)
            collect, error = self.begin(plan, self._reporter(schedule, plan)), None
        except Exception as err:  # noqa: BLE001 - reported through on_done like any failed run
            collect, error = None, err
        if schedule is not None:
            announce()
        done: concurrent.futures.Future = concurrent.futures.Future()

        def finish(computed: dict | None, exc: BaseException | None) -> None:
            try:
                on_done(computed, exc)
            except BaseException as err:  # noqa: BLE001 - never leave the screen "running"
                try:
                    on_done(None, err)
                except BaseException:  # noqa: BLE001
                    pass
            finally:
                self.param.update(running=False, seconds_left=None)
                done.set_result(computed is not None and exc is None)

        def work() -> None:
            try:
                if collect is None:
                    raise error
                computed, exc = collect(), None
            except BaseException as err:  # noqa: BLE001 - shown to the table, old results stay
                computed, exc = None, err
            if schedule is None:
                finish(computed, exc)
            else:
                schedule(lambda: finish(computed, exc))

        _EXECUTOR.submit(work)
        return done

    def run(self, plan: RunPlan, on_done: Callable[[dict | None, BaseException | None], None]) -> bool:
        """:meth:`start` and wait (tests, notebooks); True when the plan finished."""
        future = self.start(plan, on_done)
        return bool(future.result()) if future is not None else False

    @staticmethod
    def compute(plan: RunPlan, progress: Callable[[int, int, int], None] | None = None) -> dict:
        """Run every job on every seed (cached); touches no state. ``progress(run_index, weeks_done, weeks_total)``.

        With the server's run pool (:mod:`apps.components.pool`) the runs not yet cached go
        to its worker processes all at once and run side by side; without one they run one
        after another here. Either way each (scenario, seed) gives the same results.
        """
        return RunService.begin(plan, progress)()

    @staticmethod
    def begin(plan: RunPlan, progress: Callable[[int, int, int], None] | None = None) -> Callable[[], dict]:
        """:meth:`compute` in two steps: the runs start in the pool now; the returned function waits for
        them (without a pool it runs them, one after another) and gives what :meth:`compute` gives."""
        from .pool import current_pool

        t0 = time.perf_counter()
        pool = current_pool()
        wait = _submit_pooled(plan, pool, progress) if pool is not None else (lambda: _compute_serial(plan, progress))
        return lambda: {"runs": wait(), "seconds": time.perf_counter() - t0}

    def _reporter(self, schedule: Schedule | None, plan: RunPlan) -> Callable[[int, int, int], None]:
        started = time.perf_counter()
        last = {"t": 0.0, "first": None}

        def report(index: int, done: int, total: int) -> None:
            now = time.perf_counter()
            # at most ~4 screen updates a second: each one is a message to every browser
            if done < total and now - last["t"] < 0.25:
                return
            last["t"] = now
            pct = int(100 * done / max(total, 1))
            left = (now - started) * (total - done) / done if done else None
            update = {"progress": min(pct, 100), "run_index": min(index, plan.n_runs), "seconds_left": left}

            def show() -> None:
                try:
                    self.param.update(**update)
                except Exception:  # noqa: BLE001 - a broken progress view must not stop the run
                    log.exception("progress update failed")

            if schedule is None:
                show()
            else:
                schedule(show)

        return report


__all__ = ["RunPlan", "RunService", "RunSummary", "cached_run", "clear_cache", "executor", "pooled_run", "run_ahead",
           "store_runs", "stored_runs"]
