"""Benchmark of the experiments layer: runs per minute of a standard study.

The standard study: the real model (``model.run.run_scenario``) on the baseline
scenario at population_scale 0.02 for 52 weeks, a Latin hypercube of 20 points over four
uncertainties x 2 replications = 40 runs. It is run

- in a plain loop in this process (``serial=True``),
- through Dask on a LocalCluster with 1 worker process, and with 2,

each into a fresh results folder, with the default adaptive batching and with one run
per task. Clusters are started and warmed up (imports, data
loading, one run) before the clock starts; start-up and warm-up are reported apart.

Reported: runs per minute, parallel efficiency = rate(2) / (2 x rate(1)), and the Dask
overhead per run = (time on 1 worker - plain loop time) / runs. Falls back to the
analytic Ishigami model with an artificial per-run cost if model.run is missing.

    .venv/bin/python benchmarks/bench_experiments.py [--runs-scale 1] [--points 20]

Writes ``benchmarks/results/experiments.json``.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from results_file import write_results  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

from model.experiments import load_study, run_study  # noqa: E402

POPULATION_SCALE = 0.02
WEEKS = 52


def standard_study(points: int):
    return load_study({
        "name": "bench-standard",
        "base_scenario": "baseline",
        "parameters": ["uncertainties.search_prob_per_week", "uncertainties.friend_weight",
                       "uncertainties.distance_decay_per_min", "uncertainties.low_means_share"],
        "design": {"method": "lhs", "n": points},
        "replications": 2,
        "seed": 2024,
        "outputs": ["reach", "participation_gap_means", "progression_steps"],
        "weeks": WEEKS,
        "population_scale": POPULATION_SCALE,
    })


def _warm_up() -> float:
    """Import the model and run one tiny scenario (loads the geography into this process)."""
    start = time.perf_counter()
    from model.run import run_scenario

    run_scenario("baseline", seed=0, weeks=2, population_scale=POPULATION_SCALE)
    return time.perf_counter() - start


def timed(study, folder: Path, **kw) -> dict:
    start = time.perf_counter()
    results = run_study(study, folder, progress=False, **kw)
    elapsed = time.perf_counter() - start
    bad = results.errors
    if len(bad):
        raise SystemExit(f"{len(bad)} runs failed, e.g. {bad['error'].iloc[0]}")
    n = len(results.executed)
    return {"seconds": elapsed, "runs": n, "runs_per_minute": 60 * n / elapsed,
            "mean_run_compute_s": float(results.runs["duration_s"].mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20, help="design points (x 2 replications)")
    args = parser.parse_args()

    from dask.distributed import Client, LocalCluster

    study, model_note = standard_study(args.points), f"real model, population_scale {POPULATION_SCALE}, {WEEKS} weeks"

    out: dict = {"study": study.canonical(), "model": model_note, "cpu_count": os.cpu_count(),
                 "python": platform.python_version(), "configs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warm = _warm_up()
        out["configs"]["plain_loop"] = {**timed(study, tmp / "serial", serial=True), "warm_up_s": warm}

        for workers, batch in ((1, None), (2, None), (1, 1), (2, 1)):
            start = time.perf_counter()
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1")
            client = Client(cluster)
            startup = time.perf_counter() - start
            start = time.perf_counter()
            client.run(_warm_up)
            warm = time.perf_counter() - start
            name = f"dask_{workers}_workers" + ("_1_run_per_task" if batch == 1 else "")
            try:
                r = timed(study, tmp / name, client=client, batch_size=batch)
            finally:
                client.close()
                cluster.close()
            out["configs"][name] = {**r, "cluster_start_s": startup, "warm_up_s": warm}

    c = out["configs"]
    rate1, rate2 = c["dask_1_workers"]["runs_per_minute"], c["dask_2_workers"]["runs_per_minute"]
    out["parallel_efficiency"] = rate2 / (2 * rate1)
    out["speedup_2_vs_plain_loop"] = rate2 / c["plain_loop"]["runs_per_minute"]
    out["dask_overhead_per_run_s"] = (c["dask_1_workers"]["seconds"] - c["plain_loop"]["seconds"]) / c["plain_loop"]["runs"]
    out["plain_loop_seconds_per_run"] = c["plain_loop"]["seconds"] / c["plain_loop"]["runs"]

    print(f"Standard study: {model_note}; {c['plain_loop']['runs']} runs; {os.cpu_count()} cores")
    print(f"{'configuration':<32}{'seconds':>9}{'runs/min':>10}{'ms/run in model':>17}{'start-up s':>12}{'warm-up s':>11}")
    for name, r in c.items():
        print(f"{name:<32}{r['seconds']:>9.2f}{r['runs_per_minute']:>10.1f}{1000 * r['mean_run_compute_s']:>17.0f}"
              f"{r.get('cluster_start_s', 0):>12.2f}{r['warm_up_s']:>11.2f}")
    print(f"parallel efficiency rate2 / (2 rate1): {out['parallel_efficiency']:.2f}")
    print(f"speed-up of 2 workers over the plain loop: {out['speedup_2_vs_plain_loop']:.2f}")
    print(f"Dask overhead per run (1 worker vs plain loop): {1000 * out['dask_overhead_per_run_s']:.1f} ms "
          f"(a run takes {1000 * out['plain_loop_seconds_per_run']:.0f} ms)")
    write_results("experiments", out)


if __name__ == "__main__":
    main()
