"""Command line of the pilot monitor: compare observed with simulated uptake, calibrate, make the synthetic example.

    python -m model.pilot.monitor synthetic [--out FILE] [--weeks 12] [--scale 0.05] [--import]
    python -m model.pilot.monitor compare (--dataset NAME [--version N] | --file FILE)
        [--scenario baseline] [--seeds 10] [--scale 0.05] [--lang en] [--strict]
    python -m model.pilot.monitor calibrate (--dataset NAME | --file FILE) [--scenario baseline]
        [--parameter uncertainties.search_prob_per_week ...] [--population 100] [--generations 4]
        [--scale 0.05] [--scheduler tcp://host:8786] [--workers 2] [--save] [--predict-weeks 52]

``compare`` prints the goodness of fit and the alerts (the rule: observed uptake above,
or below, the 90 % band in 3 or more consecutive weeks, for the whole pilot, an offer, a
wijk or an age group); with ``--strict`` it exits 1 when there is any alert.
``calibrate`` runs ABC-SMC on a Dask cluster (the history goes under ``var/calibration/``)
and, with ``--save``, stores the calibrated scenario as a new revision whose parent is the
base scenario's latest revision.

Exit status: 0 done, 1 alerts with ``--strict`` or an invalid file, 2 a wrong command.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _observed(args: argparse.Namespace):
    """(canonical frame, source label) from --dataset or --file."""
    from model.store import Store, StoreError

    if args.dataset:
        store = Store(args.store) if args.store else Store()
        try:
            version = store.dataset_version(args.dataset, args.version)
        except StoreError as exc:
            raise SystemExit(f"error: {exc}") from None
        frame = store.load_dataset(args.dataset, args.version)
        return frame, f"{args.dataset} v{version.version} ({version.source})", f"{version.notes} {version.source}"
    from model.pilot.uptake import reference_for, validate_uptake

    path = Path(args.file)
    if not path.exists():
        raise SystemExit(f"error: {args.file}: no such file")
    report = validate_uptake(path.read_bytes(), path.name, reference_for(args.scenario))
    if not report.ok:
        from model.pilot.problems import render

        for p in report.problems[:20]:
            print(render(p, args.lang, report.source))
        print(f"{path.name}: not valid; check it with python -m model.pilot check {path}", file=sys.stderr)
        raise SystemExit(1)
    return report.frame, path.name, path.name


def cmd_synthetic(args: argparse.Namespace) -> int:
    from model.pilot.imports import import_uptake
    from model.pilot.synthetic import (
        EXAMPLE_DATASET,
        SYNTHETIC_NOTE,
        example_path,
        make_synthetic,
    )

    ex = make_synthetic(args.scenario, weeks=args.weeks, population_scale=args.scale)
    path = ex.write(Path(args.out) if args.out else example_path())
    print(f"{path}: {len(ex.frame)} rows; {SYNTHETIC_NOTE}")
    print(f"values: {ex.values}, seed {ex.seed}, {ex.weeks} weeks, population scale {ex.population_scale}")
    if args.do_import:
        from model.store import Store

        store = Store(args.store) if args.store else None
        outcome = import_uptake(path, EXAMPLE_DATASET, store=store, notes=SYNTHETIC_NOTE)
        print(outcome.message(args.lang))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from model.pilot.compare import compare_uptake
    from model.pilot.report import comparison_report
    from model.pilot.synthetic import is_synthetic

    frame, source, marks = _observed(args)
    cmp = compare_uptake(frame, args.scenario, n_seeds=args.seeds, population_scale=args.scale,
                         synthetic=is_synthetic(source, marks), source=source)
    print(comparison_report(cmp, args.lang))
    return 1 if args.strict and cmp.alerts() else 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from model.pilot.calibrate import (
        DEFAULT_PARAMETERS,
        calibrate,
        dask_client,
        predict,
        save_calibrated,
    )
    from model.pilot.report import calibration_report
    from model.pilot.synthetic import is_synthetic

    frame, source, marks = _observed(args)
    params = args.parameter or list(DEFAULT_PARAMETERS)

    def show(g) -> None:
        name = "prior" if g.t < 0 else f"generation {g.t + 1}/{g.generations}"
        print(f"{name}: {g.accepted}/{g.simulations} accepted ({100 * g.acceptance_rate:.0f} %), {g.seconds:.0f} s, "
              f"about {g.seconds_left:.0f} s left", flush=True)

    with dask_client(None, args.scheduler, args.workers) as client:
        result = calibrate(frame, args.scenario, params, population_size=args.population, generations=args.generations,
                           population_scale=args.scale, client=client, progress=show,
                           synthetic=is_synthetic(source, marks), source=source)
        print(calibration_report(result, args.lang))
        print(f"history: {result.db_path} (id {result.history_id})")
        if args.predict_weeks:
            pred = predict(args.scenario, result, frame, weeks=args.predict_weeks, n_draws=args.draws,
                           population_scale=args.scale, client=client)
            rest = pred[(pred["measure"] == "participants") & pred["predicted"]]
            if len(rest):
                print("prediction (participants, 90 %):")
                for _, r in rest.iloc[:: max(1, len(rest) // 8)].iterrows():
                    print(f"  week {int(r['week'])}: {r['mean']:.0f} [{r['lo']:.0f} – {r['hi']:.0f}]")
    if args.save:
        from model.store import Store

        store = Store(args.store) if args.store else None
        parent, rev = save_calibrated(args.scenario, result, store=store)
        print(f"saved {rev.name} revision {rev.number} (id {rev.id}), parent {parent.name} revision {parent.number}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m model.pilot.monitor", description=__doc__.split("\n\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--scenario", default="baseline", help="the scenario the pilot follows")
    common.add_argument("--scale", type=float, default=0.05, help="share of residents simulated (default 0.05)")
    common.add_argument("--lang", choices=("nl", "en"), default="nl")
    common.add_argument("--store", default=None, help="the store file (default var/leerecosysteem.sqlite)")
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--dataset", help="a stored uptake dataset")
    data.add_argument("--version", type=int, default=None, help="its version (default the latest)")
    data.add_argument("--file", help="an uptake file (checked, not stored)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("synthetic", parents=[common], help="write the SYNTHETIC example file (model output)")
    p.add_argument("--out", help="file name (must contain SYNTHETISCH); default var/pilot/...")
    p.add_argument("--weeks", type=int, default=12)
    p.add_argument("--import", dest="do_import", action="store_true", help="also import it as 'synthetisch_voorbeeld'")
    p.set_defaults(func=cmd_synthetic)
    p = sub.add_parser("compare", parents=[common, data], help="observed against the prediction bands, with alerts")
    p.add_argument("--seeds", type=int, default=10, help="replications (default 10)")
    p.add_argument("--strict", action="store_true", help="exit 1 when there is an alert")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("calibrate", parents=[common, data], help="ABC-SMC calibration on a Dask cluster")
    p.add_argument("--parameter", action="append", help="a dotted uncertainty path (repeat); default the identifiable two")
    p.add_argument("--population", type=int, default=100)
    p.add_argument("--generations", type=int, default=4)
    p.add_argument("--scheduler", default=None, help="a Dask scheduler address (default: a local cluster)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--predict-weeks", type=int, default=0, help="predict the pilot up to this week")
    p.add_argument("--draws", type=int, default=20, help="posterior draws for the prediction")
    p.add_argument("--save", action="store_true", help="store the calibrated scenario as a new revision")
    p.set_defaults(func=cmd_calibrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("compare", "calibrate") and bool(args.dataset) == bool(args.file):
        print("error: give exactly one of --dataset NAME or --file FILE", file=sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
