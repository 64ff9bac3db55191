"""Benchmark: ABC-SMC calibration of the synthetic example on 2 Dask workers, and how well it recovers known values.

    python benchmarks/bench_calibration.py [--population 60] [--generations 3] [--weeks 8] [--scale 0.05]
                                           [--replicates 2] [--parameters 2|3]

**SYNTHETIC data**: each replicate makes a synthetic pilot (``model.pilot.synthetic``: the
model run with :data:`EXAMPLE_VALUES` on a replicate's own seed), calibrates the chosen
uncertainties on it through a ``LocalCluster(n_workers=2)`` and records, per replicate:
wall time, simulations, generations with acceptance rates, and per parameter the 90 %
credible interval, its width against the prior's, whether it was identified and whether it
covers the known value. Over replicates it reports the coverage (share of known values
inside their intervals; about 90 % expected for a calibrated posterior, over many
replicates) and the mean interval widths. ``--parameters 3`` adds the distance decay (each
run then recomputes catchments: slower).

Writes ``benchmarks/results/calibration.json``.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from results_file import write_results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population", type=int, default=60)
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--replicates", type=int, default=2)
    parser.add_argument("--parameters", type=int, choices=(2, 3), default=2)
    args = parser.parse_args(argv)
    os.environ.setdefault("LEERECO_VAR_DIR", tempfile.mkdtemp(prefix="leereco-bench-calibration-"))

    from model.compare import replication_seeds
    from model.pilot.calibrate import calibrate, dask_client
    from model.pilot.compare import observed_uptake
    from model.pilot.synthetic import EXAMPLE_VALUES, make_synthetic, uptake_to_rows  # noqa: F401
    from model.pilot.uptake import reference_for, validate_uptake

    truth = dict(EXAMPLE_VALUES)
    if args.parameters == 3:
        truth["uncertainties.distance_decay_per_min"] = 0.1
    reference = reference_for("baseline")
    runs = []
    started = time.perf_counter()
    with dask_client(n_workers=2) as client:
        for i, seed in enumerate(replication_seeds(args.replicates, entropy=777)):
            ex = make_synthetic("baseline", truth, seed=seed, weeks=args.weeks, population_scale=args.scale)
            report = validate_uptake(ex.csv_bytes(), f"SYNTHETISCH-bench-{i}.csv", reference)
            observed = observed_uptake(report.frame)
            res = calibrate(observed, "baseline", list(truth), population_size=args.population,
                            generations=args.generations, population_scale=args.scale, client=client,
                            source=f"SYNTHETISCH-bench-{i}")
            covers = res.covers(truth)
            params = {p: {"known": truth[p], "median": float(r["median"]), "lo": float(r["lo"]), "hi": float(r["hi"]),
                          "width": float(r["width"]), "prior_width": float(r["prior_width"]),
                          "shrinkage": float(r["shrinkage"]), "identified": bool(r["identified"]), "covers": covers[p]}
                      for p, r in res.intervals.iterrows()}
            runs.append({"seed": int(seed), "wall_s": round(res.wall_s, 1), "simulations": res.simulations,
                         "generations": [{"t": int(g["t"]), "accepted": int(g["accepted"]),
                                          "simulations": int(g["simulations"]),
                                          "acceptance_rate": round(float(g["acceptance_rate"]), 3),
                                          "seconds": round(float(g["seconds"]), 1)} for _, g in res.generations.iterrows()],
                         "parameters": params})
            print(f"replicate {i + 1}: {res.wall_s:.0f} s, {res.simulations} simulations; "
                  + "; ".join(f"{p.split('.')[-1]} {v['median']:.3g} [{v['lo']:.3g}, {v['hi']:.3g}] known {v['known']} "
                              f"{'inside' if v['covers'] else 'OUTSIDE'}" for p, v in params.items()), flush=True)
    cover = [v["covers"] for r in runs for v in r["parameters"].values()]
    payload = {
        "what": "ABC-SMC (pyabc 0.13, DaskDistributedSampler) on the SYNTHETIC example, LocalCluster(n_workers=2)",
        "synthetic": True, "truth": truth, "population_size": args.population, "generations": args.generations,
        "weeks": args.weeks, "population_scale": args.scale, "replicates": args.replicates,
        "total_wall_s": round(time.perf_counter() - started, 1),
        "mean_wall_s": round(sum(r["wall_s"] for r in runs) / len(runs), 1),
        "mean_simulations": round(sum(r["simulations"] for r in runs) / len(runs), 1),
        "coverage_90": round(sum(cover) / len(cover), 3),
        "mean_width_over_prior": {p: round(sum(r["parameters"][p]["shrinkage"] for r in runs) / len(runs), 3) for p in truth},
        "identified_share": {p: round(sum(r["parameters"][p]["identified"] for r in runs) / len(runs), 3) for p in truth},
        "runs": runs,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_1min": round(os.getloadavg()[0], 2)},
    }
    print(f"coverage of the 90 % intervals: {payload['coverage_90']:.0%}; mean wall time {payload['mean_wall_s']} s, "
          f"{payload['mean_simulations']} simulations per calibration")
    write_results("calibration", payload)
    return payload


if __name__ == "__main__":
    main()
