"""Reading upload bytes safely: CSV and Excel (.xlsx) into a table of text cells.

Every reader takes the file's bytes (a Panel FileInput gives bytes; the command line
reads the file) and returns a table of strings whose index is the spreadsheet row
number (header = row 1), or the problems that kept it from being read. Limits
(:class:`Limits`) are checked before anything is parsed: the file size, for Excel also
the unpacked size of the zip (a "zip bomb" stays packed), then the number of rows and
columns while reading. Excel's XML is parsed by openpyxl only when defusedxml is
installed (it then refuses entity expansion and external entities); formulas are not
evaluated (their cached values are read) and macros are never run (.xlsm is refused).
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath

import pandas as pd

from model.pilot.problems import Problem

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What an upload may be at most. Documented in docs/pilot-data.md; every default has room for
    a year of weekly rows for every offer and wijk (about 420,000 rows, 30 MB of CSV)."""

    max_bytes: int = 64 * MB  # one uploaded CSV/xlsx file
    max_unpacked_bytes: int = 512 * MB  # an xlsx unpacked (it is a zip of XML files)
    max_rows: int = 1_000_000  # data rows (Excel holds at most 1,048,576)
    max_columns: int = 40
    max_json_bytes: int = 16 * MB  # one Open Badges JSON file
    max_json_depth: int = 32  # nesting of objects and arrays in one JSON file
    max_files: int = 100_000  # files in a folder of badges
    max_total_bytes: int = 512 * MB  # all files of a folder of badges together
    max_badges: int = 2_000_000  # badges in one import


DEFAULT_LIMITS = Limits()


def _mb(n: int) -> str:
    return f"{n / MB:.1f}"


def read_table(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The file's header and rows as text, index = spreadsheet row number, or the problems that stop reading.

    Args:
        data: the file's bytes.
        filename: its name; the suffix chooses the reader (.csv/.txt or .xlsx).
        limits: size, row and column limits.
    """
    if len(data) > limits.max_bytes:
        return None, [Problem("file_too_large", params={"size_mb": _mb(len(data)), "limit_mb": _mb(limits.max_bytes)})]
    suffix = PurePath(filename).suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        table, problems = _read_csv(data, limits)
    elif suffix == ".xlsx":
        table, problems = _read_xlsx(data, limits)
    else:
        return None, [Problem("unsupported_format", params={"suffix": suffix or filename})]
    if table is not None and not problems:
        if table.shape[1] > limits.max_columns:
            return None, [Problem("too_many_columns", params={"n": table.shape[1], "limit": limits.max_columns})]
        if table.empty:
            return None, [Problem("empty_file")]
    return table, problems


def _decode(data: bytes) -> str:
    # UTF-8 (with or without Excel's byte-order mark) first; Excel's "CSV" on Windows in Belgium is cp1252.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(header: str) -> str:
    # Dutch-language Excel writes ';' (the comma is the decimal sign); pick what the header uses most.
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _read_csv(data: bytes, limits: Limits) -> tuple[pd.DataFrame | None, list[Problem]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    sep = _delimiter(first_line)
    try:
        raw = pd.read_csv(
            io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False, na_filter=False,
            skip_blank_lines=False, nrows=limits.max_rows + 2, engine="c", quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.EmptyDataError:
        return None, [Problem("empty_file")]
    except (pd.errors.ParserError, ValueError) as exc:
        return None, [Problem("unreadable", params={"reason": str(exc).strip().splitlines()[-1][:200]})]
    return _with_header(raw, limits)


def _with_header(raw: pd.DataFrame, limits: Limits) -> tuple[pd.DataFrame | None, list[Problem]]:
    """First row as header; the index becomes the spreadsheet row number; empty rows dropped."""
    if raw.empty:
        return None, [Problem("empty_file")]
    header = [str(h).strip() for h in raw.iloc[0]]
    body = raw.iloc[1:]
    body.columns = range(body.shape[1])
    body.index = pd.RangeIndex(2, 2 + len(body))
    blank = (body == "").all(axis=1)
    body = body[~blank]
    if len(body) > limits.max_rows:
        return None, [Problem("too_many_rows", params={"limit": limits.max_rows})]
    # Trailing unnamed empty columns (Excel's leftovers) are dropped; named ones stay.
    keep = [i for i, h in enumerate(header) if h or (body[i] != "").any()]
    body = body[keep]
    names = [header[i] or f"<{i + 1}>" for i in keep]
    seen: set[str] = set()
    for j, (i, name) in enumerate(zip(keep, names)):
        if name in seen:  # a repeated header gets its position, so that every column has its own name
            names[j] = f"{name}{_POSITION.format(i + 1)}"
        seen.add(names[j])
    body.columns = names
    return body, []


_POSITION = " (kolom {})"
_POSITION_RE = re.compile(r" \(kolom \d+\)$")


def header_name(column: str) -> str:
    """The header as written, without the position :func:`read_table` adds to a repeated one."""
    return _POSITION_RE.sub("", column)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(data: bytes, limits: Limits) -> tuple[pd.DataFrame | None, list[Problem]]:
    try:
        from openpyxl import load_workbook
        from openpyxl.xml import DEFUSEDXML
    except ImportError:
        return None, [Problem("unreadable", params={"reason": "openpyxl is not installed (pip install openpyxl)"})]
    if not DEFUSEDXML:
        return None, [Problem("unsafe_xml")]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return None, [Problem("unreadable", params={"reason": "not an .xlsx file (no zip archive)"})]
    if unpacked > limits.max_unpacked_bytes:
        return None, [Problem("unpacked_too_large", params={"size_mb": _mb(unpacked), "limit_mb": _mb(limits.max_unpacked_bytes)})]
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 - any parse failure means an unreadable file
        return None, [Problem("unreadable", params={"reason": f"{type(exc).__name__}: {exc}"[:200]})]
    try:
        sheet = workbook.worksheets[0]
        rows: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True):
            if len(rows) > limits.max_rows + 1:
                return None, [Problem("too_many_rows", params={"limit": limits.max_rows})]
            if len(values) > limits.max_columns * 4:
                values = values[: limits.max_columns * 4]
            rows.append([_cell_text(v) for v in values])
    finally:
        workbook.close()
    if not rows:
        return None, [Problem("empty_file")]
    width = max(len(r) for r in rows)
    raw = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    return _with_header(raw, limits)
