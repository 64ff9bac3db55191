"""Benchmark: checking and importing a year of weekly uptake rows for every offer and wijk.

    python benchmarks/bench_pilot_import.py [--weeks 52] [--xlsx-weeks 4]

Builds a made-up file in the import format (``model.pilot.testdata.uptake_rows``: not real
data) with one row per baseline offer x week x wijk (261 x 52 x 31 = 420,732 rows), writes
it as ';'-separated UTF-8 CSV, and times, in a temporary store:

- ``check``: :func:`model.pilot.validate_uptake` on the file's bytes (read, personal-data
  scan, every cell check, the canonical table), in rows/s;
- ``import``: :func:`model.pilot.import_uptake` into an empty store (check + Parquet + SQLite);
- ``reimport``: the same file again (check + content hash: nothing stored);
- ``check_xlsx``: the same rows for ``--xlsx-weeks`` weeks as an Excel workbook (openpyxl's
  reader is the slow part; a year fits in one sheet but takes minutes), in rows/s.

Writes ``benchmarks/results/pilot_import.json``.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from results_file import write_results  # noqa: E402  (benchmarks/ is on sys.path when run as a script)


def _timed(func):
    started = time.perf_counter()
    value = func()
    return value, time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weeks", type=int, default=52, help="weeks of rows in the CSV file")
    ap.add_argument("--xlsx-weeks", type=int, default=4, help="weeks of rows in the Excel file")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="leereco-bench-") as var:
        os.environ["LEERECO_VAR_DIR"] = var
        from model.pilot import PilotPeriod, import_uptake, reference_for, validate_uptake
        from model.pilot.testdata import uptake_rows, write_csv, write_xlsx
        from model.store import Store

        period = PilotPeriod(date(2026, 9, 1), max(52, args.weeks))
        reference = reference_for("baseline", period)
        offers = sorted(reference.offer_ids)
        frame = uptake_rows(offers, reference.wijken, period, weeks=args.weeks, seed=args.seed)
        csv_path = write_csv(frame, Path(var) / "formaat-voorbeeld-jaar.csv")
        data = csv_path.read_bytes()
        n = len(frame)

        report, check_s = _timed(lambda: validate_uptake(data, csv_path.name, reference))
        assert report.ok and len(report.frame) == n, report.lines("en")[:5]
        store = Store(Path(var) / "bench.sqlite")
        first, import_s = _timed(lambda: import_uptake(data, "uptake_bench", filename=csv_path.name, reference=reference, store=store))
        again, reimport_s = _timed(lambda: import_uptake(data, "uptake_bench", filename=csv_path.name, reference=reference, store=store))
        assert first.created and not again.created

        small = uptake_rows(offers, reference.wijken, period, weeks=args.xlsx_weeks, seed=args.seed)
        xlsx_path = write_xlsx(small, Path(var) / "formaat-voorbeeld-maand.xlsx")
        xlsx = xlsx_path.read_bytes()
        xreport, xlsx_s = _timed(lambda: validate_uptake(xlsx, xlsx_path.name, reference))
        assert xreport.ok and len(xreport.frame) == len(small)

        results = {
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                        "load_average_1min": round(os.getloadavg()[0], 2)},  # the cores are shared: say how busy they were
            "file": {"offers": len(offers), "wijken": len(reference.wijken), "weeks": args.weeks, "rows": n,
                     "csv_mb": round(len(data) / 2**20, 1), "note": "made-up counts in the import format, not real data"},
            "check_csv": {"seconds": round(check_s, 2), "rows_per_s": round(n / check_s)},
            "import_csv": {"seconds": round(import_s, 2), "rows_per_s": round(n / import_s)},
            "reimport_csv_unchanged": {"seconds": round(reimport_s, 2), "rows_per_s": round(n / reimport_s)},
            "check_xlsx": {"weeks": args.xlsx_weeks, "rows": len(small), "mb": round(len(xlsx) / 2**20, 1),
                           "seconds": round(xlsx_s, 2), "rows_per_s": round(len(small) / xlsx_s)},
        }
    print(f"pilot import: {n:,} rows ({results['file']['csv_mb']} MB CSV), 261 offers x {args.weeks} weeks x 31 wijken")
    print(f"{'step':<24}{'seconds':>9}{'rows/s':>12}")
    for key in ("check_csv", "import_csv", "reimport_csv_unchanged", "check_xlsx"):
        print(f"{key:<24}{results[key]['seconds']:>9}{results[key]['rows_per_s']:>12,}")
    write_results("pilot_import", results)
    return results


if __name__ == "__main__":
    main()
