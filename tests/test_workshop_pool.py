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
        import multiprocessing.forkserver as fs

        assert fs._forkserver._forkserver_pid is None  # no idle forkserver left behind either


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


def test_a_press_of_cached_runs_ends_full_and_progress_never_goes_back(pool):
    """Cached runs report at once: without a session those reports come after the press's reset to 0."""
    plan = RunPlan({"design": load_scenario("baseline").model_copy(update={"name": "cached-progress"})},
                   replication_seeds(2), WEEKS, SCALE)
    clear_cache()
    service = RunService()
    service.run(plan, lambda computed, exc: None)
    seen = []
    service.param.watch(lambda e: seen.append(e.new), ["progress"])
    assert service.run(plan, lambda computed, exc: None)  # every run is cached now
    assert service.progress == 100 and seen[-1] == 100
    assert seen == sorted(seen)  # 0 at the press, then only forwards
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


def test_a_changed_design_is_run_ahead_in_the_idle_pool_and_the_press_finds_its_runs(pool, tmp_path, monkeypatch):
    import time

    from apps.components.state import WorkshopState
    from model.store import Store

    state = WorkshopState(store=Store(tmp_path / "ahead.sqlite"), population_scale=SCALE)
    clear_cache()
    row = state.genk.venues.loc["regina_mundi"]
    state.choose_point(float(row["x"]) + 250, float(row["y"]))
    state.add_offer(title="Vooruit", themes=["eten"], capacity_per_week=12)
    plan = state._run_plan(state._plan(False))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(cached(s, seed, plan.weeks, plan.scale) is not None
                                                  for s in plan.jobs.values() for seed in plan.seeds):
        time.sleep(0.1)
    ahead = cached(plan.jobs["design"], plan.seeds[0], plan.weeks, plan.scale)
    assert ahead is not None, "the changed design was not run ahead"

    def refuse(*a, **k):
        raise AssertionError("the press ran again what was run ahead")

    monkeypatch.setattr(pool, "submit", refuse)
    summary = state.run()
    assert summary is not None and summary.runs[0] is ahead and state.paired is not None
    frames_equal(ahead, run_scenario(plan.jobs["design"], seed=plan.seeds[0], weeks=plan.weeks, population_scale=SCALE))
    clear_cache()


def test_a_press_for_another_design_takes_runs_ahead_off_the_queue(pool):
    from apps.components import runs as runs_module

    clear_cache()
    stale = RunPlan({"design": load_scenario("leerclubs")}, replication_seeds(5), WEEKS, SCALE)
    assert runs_module.run_ahead(stale) == 5  # two workers take two, three wait
    wanted = RunPlan({"design": load_scenario("wegwijzer")}, replication_seeds(2), WEEKS, SCALE)
    out = RunService.compute(wanted)["runs"]["design"]
    assert [r.seed for r in out] == wanted.seeds
    import time

    deadline = time.monotonic() + 60
    while not pool.idle and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [s for s in stale.seeds if cached(stale.jobs["design"], s, WEEKS, SCALE) is None]
    assert left, "every stale run ahead was still run"
    assert runs_module.run_ahead(stale) == len(left)  # the dropped ones can be started again, nothing hangs
    clear_cache()
