"""Benchmark: what each lever the seed names does, over paired seeds, against its stated direction.

For every lever: a design (a shipped scenario with the lever set) against the same
scenario with the lever off or at its other value, on the same seeds
(:func:`model.compare.paired_comparison`), on the outcome the rule is about. Prints a
Markdown table (the one in ``model/README.md``, section 4b) and writes
``benchmarks/results/levers.json``.

    python benchmarks/bench_levers.py [--seeds 5] [--scale 0.1] [--weeks 52]
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
from results_file import write_results  # noqa: E402

#: (lever, scenario, values of the design, values of the comparison, outcome, expected sign of design - comparison)
LEVERS = [
    ("wegwijzer.desk", "wegwijzer", {}, {"levers.wegwijzer.desk": False}, "reach", +1),
    ("wegwijzer.shared_overview", "wegwijzer", {}, {"levers.wegwijzer.shared_overview": False}, "progression_steps", +1),
    ("wegwijzer.website", "wegwijzer", {}, {"levers.wegwijzer.website": False}, "reach", +1),
    ("wegwijzer.magazine", "wegwijzer", {}, {"levers.wegwijzer.magazine": False}, "reach", +1),
    ("clubs.priority (less_autonomous vs first_come)", "leerclubs", {}, {"levers.clubs.priority": "first_come"},
     "budget_to_less_autonomous", +1),
    ("clubs.priority (less_autonomous vs first_come)", "leerclubs", {}, {"levers.clubs.priority": "first_come"},
     "participation_gap_autonomy", -1),
    ("clubs.connected", "leerclubs", {}, {"levers.clubs.connected": False}, "budget_spent_eur", +1),
    ("clubs.budget_eur_per_year (250k vs 0)", "leerclubs", {}, {"levers.clubs.budget_eur_per_year": 0.0},
     "participation_gap_means", -1),
    ("mentors.hours_per_week (400 vs 0)", "leerclubs", {}, {"levers.mentors.enabled": False}, "participation_gap_autonomy", -1),
    ("peer_groups.n_hosts (60 vs 0)", "leerclubs", {}, {"levers.peer_groups.n_hosts": 0}, "share_zelf_doen", +1),
    ("peer_groups.matchmaking", "leerclubs", {}, {"levers.peer_groups.matchmaking": False}, "learners_turned_teachers", +1),
    ("badges.opportunity_places_per_year (300 vs 0)", "leerclubs", {}, {"levers.badges.opportunity_places_per_year": 0},
     "share_zelf_doen", +1),
    ("central_site.opening_hours_per_week (60 vs 12)", "regina-mundi-hub", {}, {"levers.central_site.opening_hours_per_week": 12.0},
     "reach", +1),
    ("central_site.showcase_events_per_month (6 vs 0)", "regina-mundi-hub", {}, {"levers.central_site.showcase_events_per_month": 0.0},
     "saw_it_done", +1),
    ("central_site.guest_weeks (8 vs 52)", "regina-mundi-hub", {}, {"levers.central_site.guest_weeks": 52}, "reach", +1),
    ("central_site.share_moved (0.5 vs 0)", "regina-mundi-hub", {}, {"levers.central_site.share_moved": 0.0},
     "mean_travel_minutes", +1),
    ("providers.adaptation", "baseline", {}, {"levers.providers.adaptation": False}, "waiting_list", -1),
    ("playlists.enabled", "lrng-playlists", {}, {"levers.playlists.enabled": False}, "reach", +1),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    os.environ.setdefault("LEERECO_VAR_DIR", tempfile.mkdtemp(prefix="leereco-bench-"))

    from model.compare import paired_comparison
    from model.indicators import INDICATORS
    from model.scenario import load_scenario

    rows = []
    t_all = time.perf_counter()
    for lever, name, on, off, outcome, sign in LEVERS:
        base = load_scenario(name)
        design, other = base.with_values(on) if on else base, base.with_values(off)
        cmp = paired_comparison(design, other, n_seeds=args.seeds, weeks=args.weeks, population_scale=args.scale)
        r = cmp.summary.loc[outcome]
        ok = bool(r["clear"] and (r["diff"] > 0) == (sign > 0))
        rows.append({"lever": lever, "scenario": name, "outcome": outcome, "expected": "+" if sign > 0 else "-",
                     "design": float(r["design"]), "other": float(r["baseline"]), "effect": float(r["diff"]),
                     "lo": float(r["lo"]), "hi": float(r["hi"]), "clear": bool(r["clear"]), "as_expected": ok})
        print(f"{lever:52s} {outcome:28s} {r['diff']:+10.2f} [{r['lo']:+.2f}, {r['hi']:+.2f}] "
              f"{'as expected' if ok else ('NO CLEAR EFFECT' if not r['clear'] else 'OPPOSITE')}", flush=True)
    total = time.perf_counter() - t_all
    print(f"\n| lever | scenario | outcome | expected | effect [90 % interval] |\n|---|---|---|---|---|")
    for row in rows:
        unit = INDICATORS[row["outcome"]].unit
        verdict = "" if row["as_expected"] else (" (no clear effect)" if not row["clear"] else " (**opposite**)")
        print(f"| `{row['lever']}` | {row['scenario']} | {row['outcome']} | {row['expected']} | "
              f"{row['effect']:+.2f} {unit} [{row['lo']:+.2f}, {row['hi']:+.2f}]{verdict} |")
    write_results("levers", {"seeds": args.seeds, "population_scale": args.scale, "weeks": args.weeks, "seconds": total,
                             "rows": rows})


if __name__ == "__main__":
    main()
