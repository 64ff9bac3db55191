"""The workshop's run pool: replications side by side in worker processes, results identical to serial runs.

One pool for the module (two workers; starting one takes a few seconds), stopped at the
end so that no process outlives the tests.
"""
from __future__ import annotations

import pandas as pd
import pytest

from apps.components import pool as pool_module
from apps.components.runs import RunPlan, RunService, cached, clear_cache
from model.compare import replication_seeds
from model.run import run_scenario
from model.scenario import load_scenario

SCALE, WEEKS = 0.02, 8


@pytest.fixture(scope="module")
def pool():
    started = pool_module.start_pool(workers=2)
    try:
        yield started
    finally:
        pool_module.stop_pool()
        assert pool_module.current_pool() is None


def frames_equal(a, b) -> None:
    assert a.summary == b.summary
    for name, frame in a.frames().items():
        pd.testing.assert_frame_equal(frame, b.frames()[name], check_exact=True, obj=name)


def test_a_run_in_a_worker_is_identical_to_the_same_run_in_this_process(pool):
    scenario = load_scenario("wegwijzer")
    for seed in replication_seeds(2):
        here = run_scenario(scenario, seed=seed, weeks=WEEKS, population_scale=SCALE)
        there = pool.submit(scenario, seed, WEEKS, SCALE).result(timeout=120)
        frames_equal(here, there)


def test_a_plan_runs_through_the_pool_with_the_same_results_as_one_after_another(pool, monkeypatch):
    plan = RunPlan({"design": load_scenario("leerclubs"), "baseline": load_scenario("baseline")}, replication_seeds(3),
                   WEEKS, SCALE)
    clear_cache()
    pooled = RunService.compute(plan)["runs"]
    clear_cache()
    monkeypatch.setattr(pool_module, "_POOL", None)  # no pool: the serial path
    serial = RunService.compute(plan)["runs"]
    clear_cache()
    for job in plan.jobs:
        assert [r.seed for r in pooled[job]] == plan.seeds  # the seeds' order is kept: the pairing holds
        for a, b in zip(pooled[job], serial[job]):
            frames_equal(a, b)


def test_progress_from_the_workers_reads_run_i_of_n_and_reaches_every_week(pool):
    plan = RunPlan({"design": load_scenario("baseline").model_copy(update={"name": "progress"})},
                   replication_seeds(3), WEEKS, SCALE)
    clear_cache()
    seen = []
    RunService.compute(plan, lambda i, done, total: seen.append((i, done, total)))
    assert seen, "no progress reported"
    assert all(1 <= i <= plan.n_runs and total == WEEKS * plan.n_runs for i, _, total in seen)
    assert seen[-1][1] == WEEKS * plan.n_runs
    assert [d for _, d, _ in seen] == sorted(d for _, d, _ in seen)  # never backwards


def test_pooled_runs_are_cached_and_a_second_press_runs_nothing(pool, monkeypatch):
    scenario = load_scenario("baseline").model_copy(update={"name": "cached-pool"})
    plan = RunPlan({"design": scenario}, replication_seeds(2), WEEKS, SCALE)
    clear_cache()
    first = RunService.compute(plan)["runs"]["design"]
    assert all(cached(scenario, s, WEEKS, SCALE) is not None for s in plan.seeds)

    def refuse(*a, **k):
        raise AssertionError("a cached run was submitted again")

    monkeypatch.setattr(pool, "submit", refuse)
    again = RunService.compute(plan)["runs"]["design"]
    assert [id(r) for r in again] == [id(r) for r in first]
    clear_cache()


def test_a_broken_pool_falls_back_to_running_here(pool, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    def broken(*a, **k):
        raise BrokenProcessPool("gone")

    monkeypatch.setattr(pool, "submit", broken)
    plan = RunPlan({"design": load_scenario("baseline").model_copy(update={"name": "fallback"})},
                   replication_seeds(2), 2, SCALE)
    clear_cache()
    runs = RunService.compute(plan)["runs"]["design"]
    assert [r.seed for r in runs] == plan.seeds
    clear_cache()


def test_no_pool_when_switched_off(monkeypatch):
    monkeypatch.setenv("LEERECO_WORKSHOP_WORKERS", "0")
    monkeypatch.setattr(pool_module, "_POOL", None)
    assert pool_module.start_pool() is None and pool_module.current_pool() is None
