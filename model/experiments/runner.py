"""Run a study: evaluate its runs through Dask (or a plain loop) and stream them to Parquet.

:func:`run_study` draws the design, checks the results folder, skips the run_ids
already there (resume), groups the missing runs into batches and evaluates them:

- ``serial=True``: a plain loop in this process (an oracle for the Dask path, and handy
  when debugging a model);
- ``client=``: an existing ``dask.distributed.Client``;
- ``scheduler="tcp://host:8786"``: a client to a running scheduler;
- otherwise a ``LocalCluster(n_workers, threads_per_worker=1, processes=True)``.

Batches are submitted a few per worker at a time and collected with ``as_completed``;
finished runs are flushed to ``part-NNNNN.parquet`` every ``flush_seconds`` (and at
the end, and on Ctrl-C), so an interrupted study keeps what it did. Every batch goes
through :func:`evaluate_batch`, in a worker or here, so Dask and the plain loop give
the same rows. A run that raises is recorded with ``status="error"`` and its message.
"""
from __future__ import annotations

import contextlib

import importlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from model.analytic import ANALYTIC_MODELS
from model.experiments.designs import expand_runs, make_design
from model.experiments.results import (StudyResults, default_results_root, load_results, prepare_folder, read_runs,
                                       write_part)
from model.experiments.study import REAL_MODEL, Study, StudyError, load_study

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunSpec:
    """What a worker needs to evaluate runs of a study (small and picklable)."""

    model: str
    parameters: tuple[str, ...]
    outputs: tuple[str, ...]
    base_scenario: str | None = None  # the scenario as JSON text (real model only)
    weeks: int | None = None
    population_scale: float | None = None

    @classmethod
    def of(cls, study: Study, base_scenario: dict | None = None) -> "RunSpec":
        return cls(study.model, tuple(study.parameter_names), tuple(study.output_names),
                   json.dumps(base_scenario) if base_scenario is not None else None, study.weeks, study.population_scale)


# --------------------------------------------------------------------------- evaluation (runs in workers)
_SCENARIOS: dict[str, Any] = {}  # per process: the validated base scenario, by its JSON text


def _base_scenario(text: str):
    if text not in _SCENARIOS:
        from model.scenario import validate_scenario

        _SCENARIOS.clear()
        _SCENARIOS[text] = validate_scenario(json.loads(text), source="<study base scenario>")
    return _SCENARIOS[text]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def model_function(spec: RunSpec) -> Callable[[dict[str, Any], int], dict[str, float]]:
    """The one-run function ``f(values, seed) -> {output: value}`` of the study's model."""
    kind, _, name = spec.model.partition(":")
    if spec.model == REAL_MODEL:
        from model.run import run_scenario

        base = _base_scenario(spec.base_scenario)

        def run_real(values: dict[str, Any], seed: int) -> dict[str, float]:
            scenario = base.with_values({k: _plain(v) for k, v in values.items()})
            result = run_scenario(scenario, seed=int(seed), weeks=spec.weeks, population_scale=spec.population_scale)
            return result.summary

        return run_real
    if kind == "analytic":
        model = ANALYTIC_MODELS[name]

        def run_analytic(values: dict[str, Any], seed: int) -> dict[str, float]:
            return {k: float(v[0]) for k, v in model.evaluate_values(values, 1).items()}

        return run_analytic
    module, _, func = name.partition(":")
    return getattr(importlib.import_module(module), func)


def _vectorised(spec: RunSpec, runs: pd.DataFrame) -> pd.DataFrame | None:
    """Evaluate a whole batch of an analytic model at once; ``None`` if it raises (then run by run)."""
    kind, _, name = spec.model.partition(":")
    if kind != "analytic":
        return None
    model = ANALYTIC_MODELS[name]
    start = time.perf_counter()
    try:
        out = model.evaluate_values({p: runs[p].to_numpy(dtype=float) for p in spec.parameters}, len(runs))
    except Exception:  # noqa: BLE001 - isolate the failing rows below
        return None
    frame = runs.copy()
    for k in spec.outputs:
        frame[k] = np.asarray(out[k], dtype=float)
    frame["status"] = "ok"
    frame["error"] = ""
    frame["duration_s"] = (time.perf_counter() - start) / max(len(runs), 1)
    return frame


def evaluate_batch(spec: RunSpec, runs: pd.DataFrame) -> pd.DataFrame:
    """Evaluate runs (rows of :func:`expand_runs`); one result row each, errors recorded."""
    fast = _vectorised(spec, runs)
    if fast is not None:
        return fast
    try:
        fn = model_function(spec)
        setup_error = None
    except Exception as exc:  # noqa: BLE001 - e.g. model.run missing: every run records why
        fn, setup_error = None, f"{type(exc).__name__}: {exc}"
    rows = []
    for row in runs.to_dict("records"):
        values = {p: row[p] for p in spec.parameters}
        start = time.perf_counter()
        result = {k: np.nan for k in spec.outputs}
        status, error = "ok", ""
        try:
            if setup_error:
                raise RuntimeError(setup_error)
            out = fn(values, int(row["seed"]))
            missing = [k for k in spec.outputs if k not in out]
            if missing:
                raise KeyError(f"the model returned no {missing}")
            result = {k: float(out[k]) for k in spec.outputs}
        except Exception as exc:  # noqa: BLE001 - a failing run must not stop the study
            status, error = "error", f"{type(exc).__name__}: {exc}"[:2000]
        rows.append({**row, **result, "status": status, "error": error, "duration_s": time.perf_counter() - start})
    return pd.DataFrame(rows, columns=[*runs.columns, *spec.outputs, "status", "error", "duration_s"])


# --------------------------------------------------------------------------- planning
@dataclass
class Plan:
    """A study ready to run: its folder, design, all runs and those still missing."""

    study: Study
    path: Path
    spec: RunSpec
    design: pd.DataFrame
    runs: pd.DataFrame
    todo: pd.DataFrame


def plan_study(study: Study | str | Path, results_dir: str | Path | None = None, retry_errors: bool = False,
               create: bool = True) -> Plan:
    """Validate, draw the design, check (and unless ``create=False`` create) the results
    folder and list the missing runs.

    Everything that can be refused is refused here, before any run starts.
    """
    study = load_study(study)
    base = None
    if study.uses_scenario:
        scenario = study.load_base_scenario()
        base = scenario.model_dump(mode="json")
        try:  # the combination of base scenario and bounds must validate (e.g. age_min <= age_max)
            scenario.with_values({p: (lo if p not in study.integer_parameters() else int(round(lo)))
                                  for p, (lo, _) in study.bounds().items()})
        except ValueError as exc:
            raise StudyError(f"study {study.name!r}: the lower bounds do not make a valid scenario: {exc}") from None
    else:
        scenario = None
    path = Path(results_dir) if results_dir is not None else default_results_root() / study.name
    design = make_design(study, scenario)
    prepare_folder(path, study, base, design, create=create)
    runs = expand_runs(study, design)
    done = read_runs(path)
    if retry_errors and len(done):
        done = done[done["status"] == "ok"]
    todo = runs[~runs["run_id"].isin(done["run_id"])] if len(done) else runs
    return Plan(study, path, RunSpec.of(study, base), design, runs, todo.reset_index(drop=True))


class Batcher:
    """Hands out the missing runs in batches (tasks).

    A fixed ``size`` gives equal batches. Without one, analytic models get a few large
    batches per worker; simulations start with one run per task and, once runs have
    finished, grow batches towards ``target_s`` seconds of work each (so short runs do
    not pay the per-task cost of Dask one by one), while keeping at least two batches
    per slot for what is left, so the workers finish together.
    """

    def __init__(self, todo: pd.DataFrame, size: int | None, n_slots: int, analytic: bool, target_s: float = 1.0):
        self.todo, self.pos, self.n_slots, self.target_s = todo, 0, max(n_slots, 1), target_s
        if size is None and analytic:
            size = max(1, min(20_000, math.ceil(len(todo) / (4 * self.n_slots))))
        self.fixed = size
        self.seconds = 0.0
        self.runs = 0

    def observe(self, frame: pd.DataFrame) -> None:
        """Learn the mean run time from a finished batch."""
        self.seconds += float(frame["duration_s"].sum())
        self.runs += len(frame)

    def size(self) -> int:
        if self.fixed:
            return self.fixed
        if not self.runs:
            return 1
        per_run = max(self.seconds / self.runs, 1e-6)
        left = len(self.todo) - self.pos
        return int(max(1, min(round(self.target_s / per_run), left // (2 * self.n_slots))))

    def next(self) -> pd.DataFrame | None:
        if self.pos >= len(self.todo):
            return None
        batch = self.todo.iloc[self.pos:self.pos + self.size()]
        self.pos += len(batch)
        return batch


# --------------------------------------------------------------------------- running
class _Sink:
    """Collects finished batches and flushes them to parts every ``flush_seconds``."""

    def __init__(self, path: Path, flush_seconds: float, flush_rows: int):
        self.path, self.flush_seconds, self.flush_rows = path, flush_seconds, flush_rows
        self.buffer: list[pd.DataFrame] = []
        self.n_buffered = 0
        self.last = time.monotonic()
        self.executed: list[int] = []

    def add(self, frame: pd.DataFrame) -> None:
        self.buffer.append(frame)
        self.n_buffered += len(frame)
        self.executed.extend(int(r) for r in frame["run_id"])
        if self.n_buffered >= self.flush_rows or time.monotonic() - self.last >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            write_part(self.path, pd.concat(self.buffer, ignore_index=True))
        self.buffer, self.n_buffered, self.last = [], 0, time.monotonic()


def _progress_bar(progress: bool | Progress, total: int, name: str):
    """A tqdm bar (with time left), a callback ``progress(done, total)``, or nothing."""
    if callable(progress):
        state = {"done": 0}

        def update(n: int) -> None:
            state["done"] += n
            progress(state["done"], total)

        return update, lambda: None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, unit="run", desc=name, disable=not progress, smoothing=0.1)
    return bar.update, bar.close


def run_study(
    study: Study | str | Path,
    results_dir: str | Path | None = None,
    *,
    client=None,
    scheduler: str | None = None,
    n_workers: int = 2,
    serial: bool = False,
    progress: bool | Progress = True,
    batch_size: int | None = None,
    max_runs: int | None = None,
    retry_errors: bool = False,
    flush_seconds: float = 20.0,
    flush_rows: int = 50_000,
) -> StudyResults:
    """Run the missing runs of ``study`` into ``results_dir`` and return all results.

    Args:
        study: a :class:`Study`, a YAML path, a study name in ``studies/`` or a mapping.
        results_dir: results folder; ``var/studies/<study.name>`` by default.
        client: a ``dask.distributed.Client`` to use (left open).
        scheduler: address of a running Dask scheduler, e.g. ``tcp://host:8786``.
        n_workers: worker processes of the default ``LocalCluster``.
        serial: evaluate in a plain loop in this process, no Dask.
        progress: a tqdm bar (True), none (False) or a callback ``progress(done, total)``.
        batch_size: runs per task; adaptive by default (see :class:`Batcher`).
        max_runs: stop after about this many runs (finished batches are kept); resume later.
        retry_errors: run again the runs recorded with ``status="error"``.
        flush_seconds, flush_rows: how often finished runs are written to a new part.

    Returns:
        The folder read back; ``.executed`` lists the run_ids this call ran.
    """
    study = load_study(study)
    path = Path(results_dir) if results_dir is not None else default_results_root() / study.name
    with _folder_lock(path):
        plan = plan_study(study, path, retry_errors=retry_errors)
        return _run_plan(plan, client=client, scheduler=scheduler, n_workers=n_workers, serial=serial, progress=progress,
                         batch_size=batch_size, max_runs=max_runs, flush_seconds=flush_seconds, flush_rows=flush_rows)


@contextlib.contextmanager
def _folder_lock(path: Path):
    """One study run per results folder at a time (two would run the same runs and race on parts)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path.parent / f".{path.name}.lock", "a+")  # beside the folder: it must stay a clean results folder
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StudyError(f"{path} is being run by another process; wait for it to finish, or give another "
                         "folder with --results") from None
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _run_plan(plan: Plan, *, client, scheduler, n_workers, serial, progress, batch_size, max_runs, flush_seconds,
              flush_rows):
    todo = plan.todo
    if max_runs is not None:
        todo = todo.iloc[:max_runs]
    sink = _Sink(plan.path, flush_seconds, flush_rows)
    if len(todo):
        analytic = plan.study.model.startswith("analytic:")
        update, close = _progress_bar(progress, len(todo), plan.study.name)
        try:
            if serial:
                batcher = Batcher(todo, batch_size, 1, analytic)
                while (batch := batcher.next()) is not None:
                    out = evaluate_batch(plan.spec, batch)
                    batcher.observe(out)
                    sink.add(out)
                    update(len(out))
            else:
                _run_dask(plan.spec, todo, batch_size, analytic, sink, update, client, scheduler, n_workers)
        finally:  # also on Ctrl-C: keep what finished
            sink.flush()
            close()
    results = load_results(plan.path)
    results.executed = sorted(sink.executed)
    return results


def _run_dask(spec: RunSpec, todo: pd.DataFrame, batch_size: int | None, analytic: bool, sink: _Sink, update, client,
              scheduler, n_workers) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    own_cluster = own_client = None
    if client is None:
        if scheduler:
            client = own_client = Client(scheduler)
        else:
            own_cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, host="127.0.0.1")
            client = own_client = Client(own_cluster)
    try:
        n_slots = max(1, sum(client.nthreads().values()) if client.nthreads() else n_workers)
        window = 2 * n_slots  # tasks in flight: keeps workers busy without flooding the scheduler
        [spec_future] = client.scatter([spec], broadcast=True)
        batcher = Batcher(todo, batch_size, n_slots, analytic)
        futures = as_completed()
        for _ in range(window):
            if (batch := batcher.next()) is not None:
                futures.add(client.submit(evaluate_batch, spec_future, batch, pure=False))
        try:
            for future in futures:
                out = future.result()
                future.release()
                batcher.observe(out)
                sink.add(out)
                update(len(out))
                if (batch := batcher.next()) is not None:
                    futures.add(client.submit(evaluate_batch, spec_future, batch, pure=False))
        except BaseException:
            for f in list(futures.futures):
                f.cancel()
            raise
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()

