"""Command line of the pilot monitor's data: check and import uptake files and Open Badges.

    python -m model.pilot check FILE [--scenario baseline] [--start 2026-09-01] [--weeks 52] [--lang en]
    python -m model.pilot import FILE --name NAME [--scenario ...] [--author ...] [--notes ...]
    python -m model.pilot check-badges FILE_OR_FOLDER [--start ...] [--weeks ...]
    python -m model.pilot import-badges FILE_OR_FOLDER --name NAME
    python -m model.pilot versions NAME          # a dataset's history: version, source, time, content hash
    python -m model.pilot datasets [--kind uptake]
    python -m model.pilot offers [--scenario baseline]   # the offer ids a file may use
    python -m model.pilot wijken                 # the 31 wijk names
    python -m model.pilot talent                 # check and list the talent language

Exit status: 0 when valid (or stored, or already stored), 1 when the file has problems
(nothing is stored), 2 when the command itself is wrong (no such file, bad date).
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from model.pilot.formats import DEFAULT_LIMITS
from model.pilot.period import DEFAULT_START, DEFAULT_WEEKS, PilotPeriod
from model.pilot.problems import Problem, Report, render


def _period(args: argparse.Namespace) -> PilotPeriod:
    try:
        return PilotPeriod(date.fromisoformat(args.start), args.weeks)
    except ValueError as exc:
        raise SystemExit(f"error: --start {args.start} --weeks {args.weeks}: {exc} (write --start YYYY-MM-DD)") from None


def _print_report(report: Report, lang: str, max_problems: int) -> None:
    shown = report.problems[:max_problems]
    for problem in shown:
        print(render(problem, lang, report.source))
    if len(report.problems) > len(shown):
        rest = report.problems[len(shown):]
        codes = sorted({p.code for p in rest})
        print(f"... +{len(rest)} ({', '.join(codes)}); --max-problems {len(report.problems)}")
    n_err, n_warn = len(report.errors), len(report.warnings)
    if lang == "en":
        verdict = "valid" if report.ok else "NOT valid"
        print(f"{report.source}: {verdict}: {n_err} error(s), {n_warn} warning(s)")
    else:
        verdict = "geldig" if report.ok else "NIET geldig"
        print(f"{report.source}: {verdict}: {n_err} fout(en), {n_warn} waarschuwing(en)")


def _need(path: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise SystemExit(f"error: {path}: no such file or folder")
    return p


def _reference(args: argparse.Namespace):
    from model.pilot.uptake import reference_for
    from model.scenario import ScenarioError

    try:
        return reference_for(args.scenario, _period(args))
    except ScenarioError as exc:
        raise SystemExit(f"error: --scenario {args.scenario}: {exc}") from None


def _store(args: argparse.Namespace):
    from model.store import Store

    return Store(args.store) if args.store else Store()


def cmd_check(args: argparse.Namespace) -> int:
    from model.pilot.uptake import validate_uptake

    path = _need(args.file)
    size = path.stat().st_size
    if size > DEFAULT_LIMITS.max_bytes:  # refuse before reading it into memory
        report = Report(path.name, [Problem("file_too_large", params={
            "size_mb": f"{size / 2**20:.1f}", "limit_mb": f"{DEFAULT_LIMITS.max_bytes / 2**20:.1f}"})])
    else:
        report = validate_uptake(path.read_bytes(), path.name, _reference(args))
    _print_report(report, args.lang, args.max_problems)
    return 0 if report.ok else 1


def cmd_import(args: argparse.Namespace) -> int:
    from model.pilot.imports import import_uptake

    path = _need(args.file)
    outcome = import_uptake(path, args.name, reference=_reference(args), store=_store(args),
                            author=args.author, notes=args.notes)
    _print_report(outcome.report, args.lang, args.max_problems)
    print(outcome.message(args.lang))
    return 0 if outcome.stored else 1


def cmd_check_badges(args: argparse.Namespace) -> int:
    from model.pilot.imports import validate_badges

    report = validate_badges(_need(args.path), period=_period(args))
    _print_report(report, args.lang, args.max_problems)
    if report.ok:
        print(f"{report.n_files} file(s), {report.n_badges} badge(s) counted, {len(report.frame)} cell(s) "
              f"(achievement x week x wijk); versions {report.versions}")
    return 0 if report.ok else 1


def cmd_import_badges(args: argparse.Namespace) -> int:
    from model.pilot.imports import import_badges

    outcome = import_badges(_need(args.path), args.name, period=_period(args), store=_store(args), author=args.author,
                            notes=args.notes)
    _print_report(outcome.report, args.lang, args.max_problems)
    print(outcome.message(args.lang))
    return 0 if outcome.stored else 1


def cmd_versions(args: argparse.Namespace) -> int:
    from model.store import StoreError

    try:
        history = _store(args).dataset_versions(args.name)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("version  created_at (UTC)                  rows  content_hash  source")
    for v in history:
        print(f"{v.version:>7}  {v.created_at:<32}  {v.n_rows:>4}  {v.content_hash[:12]}  {v.source}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    frame = _store(args).datasets(kind=args.kind)
    if frame.empty:
        print("no datasets yet" if args.lang == "en" else "nog geen datasets")
        return 0
    print(frame[["name", "kind", "version", "n_versions", "n_rows", "created_at", "source"]].to_string(index=False))
    return 0


def cmd_offers(args: argparse.Namespace) -> int:
    for offer_id in sorted(_reference(args).offer_ids):
        print(offer_id)
    return 0


def cmd_wijken(args: argparse.Namespace) -> int:
    from model.geography import load_genk

    for wijk in load_genk().wijken["wijk"]:
        print(wijk)
    return 0


def cmd_talent(args: argparse.Namespace) -> int:
    from model.pilot.talent import TalentLanguageError, load_talent_language

    try:
        language = load_talent_language()
    except TalentLanguageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for item in language.achievements:
        print(f"{item.id}  {item.name(args.lang)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m model.pilot", description=__doc__.split("\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=("nl", "en"), default="nl", help="language of the messages (default nl)")
    common.add_argument("--start", default=DEFAULT_START.isoformat(), help="the pilot's first day (YYYY-MM-DD)")
    common.add_argument("--weeks", type=int, default=DEFAULT_WEEKS, help="the pilot's length in weeks")
    common.add_argument("--store", default=None, help="the store file (default var/leerecosysteem.sqlite)")
    common.add_argument("--max-problems", type=int, default=200, help="print at most this many problems")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_text: str, scenario: bool = False):
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        if scenario:
            p.add_argument("--scenario", default="baseline", help="the scenario whose offer ids the file uses")
        p.set_defaults(func=func)
        return p

    add("check", cmd_check, "check an uptake file (CSV or .xlsx); exit 1 on problems", True).add_argument("file")
    p = add("import", cmd_import, "store an uptake file when the whole file is valid", True)
    p.add_argument("file")
    p.add_argument("--name", required=True, help="the dataset's name, e.g. uptake_pilot")
    p.add_argument("--author", default=None)
    p.add_argument("--notes", default="")
    add("check-badges", cmd_check_badges, "check Open Badges JSON (a file or a folder)").add_argument("path")
    p = add("import-badges", cmd_import_badges, "store badge counts when nothing blocks them")
    p.add_argument("path")
    p.add_argument("--name", required=True)
    p.add_argument("--author", default=None)
    p.add_argument("--notes", default="")
    add("versions", cmd_versions, "list a dataset's versions: source, time, content hash").add_argument("name")
    add("datasets", cmd_datasets, "list the stored datasets").add_argument("--kind", default=None)
    add("offers", cmd_offers, "list the offer ids of a scenario", True)
    add("wijken", cmd_wijken, "list the 31 wijk names")
    add("talent", cmd_talent, "check and list the talent language")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
