"""Benchmark: the site planner's own layer (model/planner.py, model/report.py) on the bundled Genk.

    python benchmarks/bench_planner.py [--repeats 5]

The engine's figures (catchments of every venue, re-catchment, 2SFCA against PySAL) are
in ``bench_accessibility.py``; this one times what a planner waits for on top of them:

1. **Layouts on the screen**: building the catchments of the two example layouts (5 sites × 4 modes)
   and of five more layouts, the catchment tables a screen shows, 2SFCA and E2SFCA by wijk for all layouts.
2. **A drag step**: :meth:`PlannerState.move_site` with ``final=False`` to a spot not seen before
   (one column re-routed) plus the map's wijk shares (goal < 50 ms re-catchment, < 150 ms with the shares).
3. **Simulated use**: one run of a layout (26 weeks, 2 % of Genk) and the tables of two layouts × 3 seeds.
4. **The council report**: building it (HTML size) from catchments, simulation and robustness.

Medians of ``--repeats`` runs (best and the load average recorded: the 2 cores are shared).
Writes ``benchmarks/results/planner.json``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from results_file import write_results  # noqa: E402


def timed(fn, repeats: int) -> dict:
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "best_s": min(times), "result": out}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("LEERECO_VAR_DIR", tempfile.mkdtemp(prefix="bench-planner-"))
    from dataclasses import replace

    from apps.planner.state import PlannerState
    from model.geography import load_genk
    from model.planner import LayoutCatchments, example_layouts, robustness, simulate_layouts
    from model.report import build_report

    geo = load_genk()
    layouts = example_layouts(geo)
    more = [replace(layouts[1], name=f"variant-{k}", sites=tuple(replace(s, x=s.x + 150 * (k + 1), y=s.y - 90 * (k + 1))
                                                                  for s in layouts[1].sites)) for k in range(5)]
    LayoutCatchments(geo, layouts)  # warm the routing caches of the example sites once
    figures: dict[str, dict] = {}
    figures["catchments_two_layouts"] = timed(lambda: LayoutCatchments(geo, layouts), args.repeats)
    figures["catchments_seven_layouts"] = timed(lambda: LayoutCatchments(geo, layouts + more), 1)
    c = LayoutCatchments(geo, layouts + more)
    names = list(c.layouts)
    figures["screen_tables_one_layout"] = timed(
        lambda: (c.totals(names[1]), c.reach_by_wijk(names[1], "walk", 15), c.out_of_reach(names[1])), args.repeats)
    figures["sfca_all_layouts_both_methods"] = timed(
        lambda: [c.places_by_wijk(names, mode="walk", method=m) for m in ("2sfca", "e2sfca")], args.repeats)

    state = PlannerState(geo=geo, layouts=layouts)
    site = state.current_site
    steps = iter(range(1, 10_000))

    recatch: list[float] = []

    def drag_step():
        k = next(steps)  # 80 m a step: a street node not routed before, so a new Dijkstra column per mode
        state.move_site(site.x + 60.0 * k, site.y + 50.0 * k, final=False)
        recatch.append(state.last_recatch_ms / 1000)
        state.catchments.reach_by_wijk(state.layout, "walk", 15)

    figures["drag_step_with_map_shares"] = timed(drag_step, max(args.repeats, 10))
    figures["drag_recatchment_only"] = {"median_s": statistics.median(recatch), "best_s": min(recatch)}

    figures["one_run_26_weeks_2pct"] = timed(lambda: simulate_layouts(layouts[:1], n_seeds=2, weeks=26,
                                                                      population_scale=0.02).seconds / 2, 1)
    sim = simulate_layouts(layouts, n_seeds=3, weeks=26, population_scale=0.02)
    figures["use_tables_two_layouts_3_seeds"] = timed(
        lambda: (sim.indicators(), sim.rooms(), sim.compare(*names[:2]), sim.wijk_difference(*names[:2]), sim.by_group()),
        args.repeats)
    rob = robustness(layouts, tempfile.mkdtemp(), n_samples=2, weeks=4, population_scale=0.01, serial=True, progress=False)
    c2 = LayoutCatchments(geo, layouts)
    rep = timed(lambda: build_report(c2, sim=sim, robust=rob), 3)
    figures["council_report"] = {**rep, "result": f"{len(rep['result'].html) / 1e6:.2f} MB, {len(rep['result'].tables)} tables"}

    payload = {"load_average": os.getloadavg(), "repeats": args.repeats,
               "figures": {k: {"median_s": round(v["median_s"], 4), "best_s": round(v["best_s"], 4),
                               **({"note": v["result"]} if isinstance(v.get("result"), str) else {})}
                           for k, v in figures.items()}}
    print(f"{'figure':<36} {'median':>10} {'best':>10}")
    for k, v in payload["figures"].items():
        print(f"{k:<36} {v['median_s'] * 1000:>8.1f}ms {v['best_s'] * 1000:>8.1f}ms  {v.get('note', '')}")
    write_results("planner", payload)
    return payload


if __name__ == "__main__":
    main()
