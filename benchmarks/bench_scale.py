"""Benchmark: does a small run tell what the whole town would? And how much noise does pairing remove?

1. **Scale agreement.** The baseline at population scales 0.02, 0.05, 0.1 and 0.2 against
   the full population (1.0): mean and spread (sd) over seeds of reach, each
   participation gap, progression, and per-wijk reach (mean absolute difference of the
   wijken's reach from the full population's mean per wijk). Goal (issue 10): at the
   workshop's default scale reach within 1.5 pt and the gap between wijken within 3 pt.
2. **Paired against unpaired.** The wegwijzer design against the baseline on the same
   seeds (common random numbers, :func:`model.compare.paired_comparison`) and on
   different seeds (the same number of runs): the width of the 90 % interval of the
   difference, and the wall time of each.

Writes ``benchmarks/results/scale.json``.

    python benchmarks/bench_scale.py [--seeds 4] [--full-seeds 3] [--weeks 52]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from results_file import write_results  # noqa: E402

INDICATORS = ("reach", "participation_gap_means", "participation_gap_autonomy", "participation_gap_wijken",
              "share_samen_doen", "progression_steps")
SCALES = (0.02, 0.05, 0.1, 0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--full-seeds", type=int, default=3)
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    os.environ.setdefault("LEERECO_VAR_DIR", tempfile.mkdtemp(prefix="leereco-bench-"))

    from scipy import stats

    from model.compare import paired_comparison, replication_seeds
    from model.run import run_scenario

    def runs(scale: float, n: int, entropy: int = 1):
        out = []
        for seed in replication_seeds(n, entropy):
            t0 = time.perf_counter()
            res = run_scenario("baseline", seed=seed, weeks=args.weeks, population_scale=scale)
            out.append((res, time.perf_counter() - t0))
        return out

    full = runs(1.0, args.full_seeds)
    full_wijk = np.mean([r.wijk_table()["reach"].to_numpy() for r, _ in full], axis=0)
    table = {}
    for scale in (1.0, *SCALES):
        rs = full if scale == 1.0 else runs(scale, args.seeds)
        row = {"seconds_per_run": float(np.mean([t for _, t in rs])), "simulated_residents": int(rs[0][0].timings["residents"])}
        for name in INDICATORS:
            v = np.array([r.summary[name] for r, _ in rs])
            row[name] = {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0}
        wijk = np.array([r.wijk_table()["reach"].to_numpy() for r, _ in rs])
        row["wijk_reach_mean_abs_diff"] = float(np.nanmean(np.abs(wijk.mean(axis=0) - full_wijk)))
        table[str(scale)] = row

    print(f"{'scale':>6s} {'agents':>7s} {'s/run':>6s} " + " ".join(f"{n[:22]:>24s}" for n in INDICATORS) + f" {'wijk |Δreach|':>14s}")
    for scale, row in table.items():
        cells = " ".join(f"{row[n]['mean']:>12.2f} ±{row[n]['sd']:>9.2f}" for n in INDICATORS)
        print(f"{scale:>6s} {row['simulated_residents']:7d} {row['seconds_per_run']:6.2f} {cells} {row['wijk_reach_mean_abs_diff']:14.2f}")
    agreement = {}
    for scale in SCALES:
        row = table[str(scale)]
        agreement[str(scale)] = {n: row[n]["mean"] - table["1.0"][n]["mean"] for n in INDICATORS}
        agreement[str(scale)]["wijk_reach_mean_abs_diff"] = row["wijk_reach_mean_abs_diff"]
    print("\ndifference from the full population (mean over seeds):")
    for scale, diffs in agreement.items():
        print(f"  {scale:>5s}: " + ", ".join(f"{k} {v:+.2f}" for k, v in diffs.items()))

    # --- paired against unpaired
    scale = 0.1
    n = args.seeds
    t0 = time.perf_counter()
    cmp = paired_comparison("wegwijzer", "baseline", n_seeds=n, weeks=args.weeks, population_scale=scale)
    paired_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    design = [run_scenario("wegwijzer", seed=s, weeks=args.weeks, population_scale=scale).summary for s in replication_seeds(n, 1)]
    base = [run_scenario("baseline", seed=s, weeks=args.weeks, population_scale=scale).summary for s in replication_seeds(n, 2)]
    unpaired_s = time.perf_counter() - t0
    widths = {}
    for name in INDICATORS:
        lo, hi = cmp.summary.loc[name, "lo"], cmp.summary.loc[name, "hi"]
        a, b = np.array([d[name] for d in design]), np.array([x[name] for x in base])
        se = math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
        dof = max(1.0, se**4 / ((a.var(ddof=1) / n) ** 2 / (n - 1) + (b.var(ddof=1) / n) ** 2 / (n - 1))) if se > 0 else 1.0
        unpaired_width = 2 * float(stats.t.ppf(0.95, dof)) * se
        widths[name] = {"paired_width": float(hi - lo), "unpaired_width": unpaired_width,
                        "ratio": float((hi - lo) / unpaired_width) if unpaired_width > 0 else float("nan")}
    print(f"\npaired vs unpaired 90 % interval width of wegwijzer - baseline at scale {scale}, {n} seeds each "
          f"(paired {paired_s:.1f} s, unpaired {unpaired_s:.1f} s):")
    for name, w in widths.items():
        print(f"  {name:28s} paired {w['paired_width']:10.2f}   unpaired {w['unpaired_width']:10.2f}   ratio {w['ratio']:.2f}")
    write_results("scale", {"weeks": args.weeks, "seeds": args.seeds, "full_seeds": args.full_seeds, "table": table,
                            "difference_from_full": agreement,
                            "paired": {"scale": scale, "seeds": n, "paired_s": paired_s, "unpaired_s": unpaired_s,
                                       "widths": widths}})


if __name__ == "__main__":
    main()
