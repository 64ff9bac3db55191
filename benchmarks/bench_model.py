"""Benchmark: a year of all of Genk, per resident-week, against Mesa's minimal model.

Runs in one process, side by side:
- the learning-ecosystem model at full population (``population_scale=1``), 52 weekly
  ticks, for the scenarios ``baseline`` and ``leerclubs`` (the one with most mechanisms on);
- Mesa's Boltzmann wealth model (``mesa.examples.BoltzmannWealth``) with the same
  number of agents and steps (grid 256 x 256).

Reports microseconds per agent-step (stepping only, and including set-up) and the ratio
to the Boltzmann reference measured in the same run. Goal (issue 9): at most 0.05 of the
reference's time per agent-step, with provider behaviour on. Writes ``benchmarks/results/model.json``.

    python benchmarks/bench_model.py [--weeks 52] [--repeats 2]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from results_file import write_results  # noqa: E402  (benchmarks/ is on sys.path when run as a script)


def boltzmann_us_per_agent_step(n: int, steps: int) -> float:
    from mesa.examples import BoltzmannWealth

    model = BoltzmannWealth(n=n, width=256, height=256, seed=1)
    t0 = time.perf_counter()
    for _ in range(steps):
        model.step()
    return (time.perf_counter() - t0) / (n * steps) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("LEERECO_VAR_DIR", tempfile.mkdtemp(prefix="leereco-bench-"))

    from model.geography import load_genk
    from model.run import run_scenario

    load_genk()
    run_scenario("baseline", seed=0, weeks=2, population_scale=1.0)  # warm the travel-time cache
    rows = []
    n_agents = None
    for name in ("baseline", "leerclubs"):
        best = None
        for rep in range(args.repeats):
            t0 = time.perf_counter()
            res = run_scenario(name, seed=rep, weeks=args.weeks, population_scale=1.0)
            total = time.perf_counter() - t0
            if best is None or res.timings["steps_s"] < best[0]["steps_s"]:
                best = (res.timings, total)
        timings, total = best
        n_agents = int(timings["residents"])
        rows.append({"model": f"leerecosysteem:{name}", "agents": n_agents, "steps": args.weeks,
                     "steps_s": timings["steps_s"], "total_s": total,
                     "us_per_agent_step": timings["steps_s"] / (n_agents * args.weeks) * 1e6,
                     "us_per_agent_step_incl_setup": total / (n_agents * args.weeks) * 1e6})
    ref = min(boltzmann_us_per_agent_step(n_agents, 10) for _ in range(args.repeats))
    rows.append({"model": "mesa BoltzmannWealth", "agents": n_agents, "steps": 10, "us_per_agent_step": ref})

    print(f"{'model':32s} {'agents':>7s} {'weeks':>5s} {'us/agent-step':>14s} {'incl. setup':>12s} {'ratio to ref':>13s}")
    for row in rows:
        ratio = row["us_per_agent_step"] / ref
        row["ratio_to_boltzmann"] = ratio
        setup = f"{row['us_per_agent_step_incl_setup']:.2f}" if "us_per_agent_step_incl_setup" in row else "-"
        print(f"{row['model']:32s} {row['agents']:7d} {row['steps']:5d} {row['us_per_agent_step']:14.2f} {setup:>12s} {ratio:13.3f}")
    goal = all(r["ratio_to_boltzmann"] <= 0.05 for r in rows[:-1])
    print(f"goal (<= 0.05 x Boltzmann per agent-step): {'met' if goal else 'NOT met'}")
    write_results("model", {"rows": rows, "reference_us_per_agent_step": ref, "goal_met": goal})


if __name__ == "__main__":
    main()
