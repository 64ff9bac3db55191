"""Command line for studies.

::

    python -m model.experiments check   studies/uncertainties-morris.yaml
    python -m model.experiments run     studies/uncertainties-morris.yaml [--results DIR] [--workers 2]
                                        [--scheduler tcp://host:8786] [--serial] [--retry-errors]
    python -m model.experiments analyse var/studies/uncertainties-morris [--output reach]
                                        [--discover "participation_gap_means > 5"]
    python -m model.experiments list    [ROOT]
    python -m model.experiments ablation leerclubs [--seeds 4] [--scale 0.05] [--weeks 52]
                                        [--workers 2 | --scheduler tcp://host:8786 | --serial] [--csv FILE]

``run`` resumes: run it again after an interruption and only the missing runs execute.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.experiments.study import StudyError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m model.experiments", description="Run and analyse studies of the learning-ecosystem model.")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="validate a study and show its size, without running")
    c.add_argument("study", help="study YAML file (or a name in studies/)")
    c.add_argument("--results", help="results folder to check against (default var/studies/<name>)")

    r = sub.add_parser("run", help="run (or resume) a study")
    r.add_argument("study", help="study YAML file (or a name in studies/)")
    r.add_argument("--results", help="results folder (default var/studies/<name>)")
    r.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786")
    r.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster (default 2)")
    r.add_argument("--serial", action="store_true", help="no Dask: a plain loop in this process")
    r.add_argument("--batch-size", type=int, help="runs per Dask task")
    r.add_argument("--max-runs", type=int, help="stop after about this many runs (resume later)")
    r.add_argument("--retry-errors", action="store_true", help="run again the runs that raised")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")

    a = sub.add_parser("analyse", aliases=["analyze"], help="print the indices (and discovery) of a results folder")
    a.add_argument("results", help="results folder")
    a.add_argument("--output", action="append", help="an output to analyse (repeatable; default all)")
    a.add_argument("--discover", metavar="CONDITION", help="scenario discovery, e.g. 'participation_gap_means > 5'")

    ab = sub.add_parser("ablation", help="knock out each mechanism in turn: its effect on each outcome, with intervals")
    ab.add_argument("scenario", help="scenario name in scenarios/ or a YAML path")
    ab.add_argument("--mechanism", action="append", help="a mechanism to knock out (repeatable; default all)")
    ab.add_argument("--seeds", type=int, default=4, help="paired seeds (default 4)")
    ab.add_argument("--scale", type=float, help="population scale (default the scenario's)")
    ab.add_argument("--weeks", type=int, help="weeks (default the scenario's)")
    ab.add_argument("--scheduler", help="address of a running Dask scheduler")
    ab.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster (default 2)")
    ab.add_argument("--serial", action="store_true", help="no Dask: a plain loop in this process")
    ab.add_argument("--csv", help="also write the table as CSV")

    ls = sub.add_parser("list", help="list results folders")
    ls.add_argument("root", nargs="?", help="folder holding results folders (default var/studies)")
    return p


def _ablation(args) -> None:
    from tqdm import tqdm

    from model.experiments.ablation import ablation_study, format_table

    client = cluster = None
    if not args.serial:
        from dask.distributed import Client, LocalCluster

        if args.scheduler:
            client = Client(args.scheduler)
        else:
            cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                   host="127.0.0.1")
            client = Client(cluster)
    bar = tqdm(total=None, desc="ablation runs", unit="run")
    try:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        frame = ablation_study(args.scenario, args.mechanism, n_seeds=args.seeds, weeks=args.weeks,
                               population_scale=args.scale, client=client, progress=progress)
    finally:
        bar.close()
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    print(format_table(frame))
    print("effect = full model minus the model without the mechanism; [90 % interval over paired seeds]; "
          "'·' = no clear effect")
    if args.csv:
        from model.paths import write_atomic

        write_atomic(Path(args.csv), lambda tmp: frame.to_csv(tmp, index=False))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            from model.experiments.runner import plan_study

            plan = plan_study(args.study, args.results, create=False)
            s = plan.study
            print(f"study {s.name!r}: model {s.model}, design {s.design.method}, {len(plan.design)} points x "
                  f"{s.replications} replications = {len(plan.runs)} runs; {len(plan.todo)} still to run in {plan.path}")
            for p, (lo, hi) in s.bounds().items():
                print(f"  {p}: [{lo:.6g}, {hi:.6g}]")
            print(f"  outputs: {', '.join(s.output_names)}")
        elif args.command == "run":
            from model.experiments.runner import run_study

            try:
                results = run_study(args.study, args.results, scheduler=args.scheduler, n_workers=args.workers, serial=args.serial,
                                    batch_size=args.batch_size, max_runs=args.max_runs, retry_errors=args.retry_errors,
                                    progress=not args.no_progress)
            except KeyboardInterrupt:
                print("\ninterrupted: finished runs are saved; run the same command again to resume", file=sys.stderr)
                return 130
            print(results.summary())
            if not results.complete:
                print("not complete: run the same command again to resume", file=sys.stderr)
        elif args.command in ("analyse", "analyze"):
            from model.experiments.analysis import report
            from model.experiments.results import load_results

            print(report(load_results(args.results), args.output, args.discover))
        elif args.command == "ablation":
            _ablation(args)
        elif args.command == "list":
            from model.experiments.results import list_results, load_results

            for path in list_results(Path(args.root) if args.root else None):
                print(load_results(path).summary())
    except (StudyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
