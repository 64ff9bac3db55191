"""Real uptake figures: validate a CSV/Excel file against the scenario's offers, Genk's wijken and the pilot.

One row per offer x week x wijk x age group, with participants and new participants,
optionally badges awarded and opportunities taken (the format is documented in
``docs/pilot-data.md``). :func:`validate_uptake` reads the file's bytes and returns an
:class:`UptakeReport`: every problem at once (each with row and column), and, when
there is no error, the table in its canonical form:

``offer_id, iso_week, week_start, pilot_week, wijk, age_group, participants,
new_participants, badges, opportunities`` (the last two nullable), sorted by
pilot week, offer, wijk and age group, so that equal content gives an equal table and
an equal content hash whatever file it came from.

It is a plain function on bytes: a Panel app runs it off the event loop
(``await asyncio.to_thread(validate_uptake, data, name, reference)``).
"""
from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from model.domain import AGE_GROUPS
from model.pilot.formats import DEFAULT_LIMITS, Limits, header_name, read_table
from model.pilot.period import PilotPeriod, WeekError, iso_label, parse_week
from model.pilot.privacy import name_problem, normalise_header, scan_column
from model.pilot.problems import Problem, Report
from model.scenario import Scenario, load_scenario

FORMAT_VERSION = "leerecosysteem-genk/uptake/1"
AGE_GROUP_LABELS: tuple[str, ...] = tuple(label for label, _, _ in AGE_GROUPS)


@dataclass(frozen=True)
class Column:
    """One column of the format: its canonical (English) name, the names it may carry, whether required."""

    name: str
    aliases: tuple[str, ...]
    required: bool
    label_nl: str


#: The format's columns; a file may use any alias (matched after :func:`normalise_header`).
COLUMNS: tuple[Column, ...] = (
    Column("offer_id", ("aanbod", "aanbod_id", "aanbodid", "offer", "offer_id", "offerid"), True, "aanbod"),
    Column("week", ("week", "iso_week", "isoweek", "week_iso"), False, "week"),
    Column("date", ("datum", "date", "dag", "day"), False, "datum"),
    Column("year", ("jaar", "year"), False, "jaar"),
    Column("wijk", ("wijk", "wijknaam", "neighbourhood", "neighborhood"), True, "wijk"),
    Column("age_group", ("leeftijdsgroep", "leeftijdscategorie", "leeftijd", "age_group", "agegroup", "age"), True,
           "leeftijdsgroep"),
    Column("participants", ("deelnemers", "aantal_deelnemers", "participants"), True, "deelnemers"),
    Column("new_participants", ("nieuwe_deelnemers", "nieuw", "new_participants", "new"), True, "nieuwe_deelnemers"),
    Column("badges", ("badges", "badges_uitgereikt", "badges_awarded"), False, "badges"),
    Column("opportunities", ("kansen", "kansen_benut", "opportunities", "opportunities_taken"), False, "kansen"),
)
_BY_ALIAS = {alias: col for col in COLUMNS for alias in col.aliases}
COUNT_COLUMNS = ("participants", "new_participants", "badges", "opportunities")
OUTPUT_COLUMNS = ("offer_id", "iso_week", "week_start", "pilot_week", "wijk", "age_group", *COUNT_COLUMNS)


# --------------------------------------------------------------------------- what a file is checked against
@dataclass(frozen=True)
class Reference:
    """What uptake rows must match: the scenario's offer ids, Genk's wijken and the pilot period."""

    scenario: str
    offer_ids: frozenset[str]
    wijken: tuple[str, ...]
    period: PilotPeriod = field(default_factory=PilotPeriod)

    def with_period(self, period: PilotPeriod) -> "Reference":
        return Reference(self.scenario, self.offer_ids, self.wijken, period)


@functools.lru_cache(maxsize=16)
def _offer_ids(scenario_name: str, horizon: int) -> frozenset[str]:
    return _offer_ids_of(load_scenario(scenario_name), horizon)


def _offer_ids_of(scenario: Scenario, horizon: int) -> frozenset[str]:
    from model.geography import load_genk
    from model.offers import build_offer_specs

    return frozenset(spec.id for spec in build_offer_specs(scenario, load_genk().venues, horizon))


def reference_for(scenario: str | Scenario = "baseline", period: PilotPeriod | None = None) -> Reference:
    """The reference for a scenario (a name in ``scenarios/`` or a Scenario) and pilot period.

    Offer ids are those of :func:`model.offers.build_offer_specs` (``<venue_id>:<rule>``,
    ``site:...``, ``playlist:<n>`` and the workshop's own), with the central site's
    rotating guests up to the longer of the scenario's run and the pilot.
    """
    from model.geography import load_genk

    period = period or PilotPeriod()
    if isinstance(scenario, Scenario):
        name, ids = scenario.name, _offer_ids_of(scenario, max(scenario.run.weeks, period.weeks))
    else:
        loaded = load_scenario(scenario)
        name, ids = str(scenario), _offer_ids(str(scenario), max(loaded.run.weeks, period.weeks))
    return Reference(name, ids, tuple(load_genk().wijken["wijk"]), period)


# --------------------------------------------------------------------------- the report
@dataclass
class UptakeReport(Report):
    """The outcome of validating one uptake file (see :class:`~model.pilot.problems.Report`).

    Attributes:
        n_rows: data rows read.
        columns: how the file's columns were understood (file name -> canonical name or None).
    """

    n_rows: int = 0
    columns: dict[str, str | None] = field(default_factory=dict)


# --------------------------------------------------------------------------- matching helpers
def _suggest(value: str, options: list[str]) -> str | None:
    """The closest option: a case-insensitive containment first, else difflib's best match."""
    low = value.lower()
    contained = [o for o in options if low and (low in o.lower() or o.lower() in low)]
    if contained:
        return min(contained, key=lambda o: abs(len(o) - len(value)))
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    if not close:
        lowered = {o.lower(): o for o in options}
        close = [lowered[c] for c in difflib.get_close_matches(low, list(lowered), n=1, cutoff=0.6)]
    return close[0] if close else None


def _wijk_key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", normalise_header(text))


def _age_key(text: str) -> str:
    t = str(text).strip().lower().replace("–", "-").replace("—", "-")
    t = re.sub(r"\s*(jaar|years?|yrs?|j)\.?$", "", t)
    t = re.sub(r"\s+", "", t).replace("plus", "+").replace("tot", "-").replace("to", "-")
    return t


_AGE_LOOKUP = {_age_key(label): label for label in AGE_GROUP_LABELS}


def _map_distinct(values: pd.Series, func) -> pd.Series:
    """``values.map(func)``, calling ``func`` once per distinct value (a year of rows has ~60 weeks, 31 wijken)."""
    return values.map({v: func(v) for v in pd.unique(values.to_numpy())})


# --------------------------------------------------------------------------- the validator
def _understand_columns(table: pd.DataFrame) -> tuple[dict[str, str], dict[str, str | None], list[Problem]]:
    """Map file columns to the format's names; problems for personal, duplicate, missing and unknown columns."""
    problems: list[Problem] = []
    chosen: dict[str, str] = {}  # canonical -> file column
    understood: dict[str, str | None] = {}
    for column in table.columns:
        spec = _BY_ALIAS.get(normalise_header(header_name(column)))
        understood[column] = spec.name if spec else None
        if spec is None:
            personal = name_problem(column)
            problems.append(personal or Problem("unknown_column", column=column, severity="warning"))
            continue
        if spec.name in chosen:
            problems.append(Problem("duplicate_column", column=column,
                                    params={"columns": f"'{chosen[spec.name]}', '{column}'", "column": spec.name}))
            continue
        chosen[spec.name] = column
    if "week" in chosen and "date" in chosen:
        problems.append(Problem("duplicate_column", column=chosen["date"],
                                params={"columns": f"'{chosen['week']}', '{chosen['date']}'", "column": "week"}))
        del chosen["date"]
    for spec in COLUMNS:
        if spec.required and spec.name not in chosen:
            names = ", ".join(dict.fromkeys((spec.label_nl, spec.name)))
            problems.append(Problem("missing_column", params={"column": spec.label_nl, "aliases": names}))
    if "week" not in chosen and "date" not in chosen:
        problems.append(Problem("missing_week_column"))
    return chosen, understood, problems


def _cell_problems(code: str, mask: pd.Series, values: pd.Series, column: str, params=None) -> list[Problem]:
    rows = mask[mask].index
    return [Problem(code, row=int(r), column=column, params={"value": values.at[r], **(params(values.at[r]) if params else {})})
            for r in rows]


def _check_text(values: pd.Series, column: str, required: bool) -> tuple[pd.Series, list[Problem]]:
    text = values.str.strip()
    empty = text == ""
    problems = [Problem("missing_value", row=int(r), column=column, params={"column": column}) for r in empty[empty].index] if required else []
    return text, problems


def _check_counts(values: pd.Series, column: str, required: bool) -> tuple[pd.Series, list[Problem]]:
    """The column as nullable integers, with problems for empty, non-integer and negative cells."""
    text, problems = _check_text(values, column, required)
    filled = text != ""
    # Digits only: "1.000" is a thousand in Dutch and one in English, "12.5" is no count; Excel's
    # numeric cells arrive as whole-number text already (model.pilot.formats).
    whole = text.str.fullmatch(r"[+-]?\d{1,8}") & filled
    number = pd.to_numeric(text.where(whole), errors="coerce")
    problems += _cell_problems("not_a_count", filled & ~whole, text, column)
    negative = whole & (number < 0)
    problems += _cell_problems("negative_count", negative, text, column)
    good = whole & ~negative
    return number.where(good).astype("Int64"), problems


def _check_weeks(table: pd.DataFrame, chosen: dict[str, str], period: PilotPeriod) -> tuple[pd.Series, list[Problem]]:
    """The Monday of each row's week (NaT where unreadable), with problems."""
    column = chosen.get("week") or chosen["date"]
    text, problems = _check_text(table[column], column, True)
    year = table[chosen["year"]].str.strip() if "year" in chosen else pd.Series("", index=table.index)
    def parse(key: str) -> date | str | None:
        week, _, year_text = key.partition("\x1f")
        if not week:
            return None
        try:
            return parse_week(week, year_text or None)
        except WeekError as exc:
            return exc.reason

    parsed = _map_distinct(text + "\x1f" + year, parse)
    for r in parsed.index[parsed.isin(["unreadable", "without_year"])]:
        code = "week_unreadable" if parsed.at[r] == "unreadable" else "week_without_year"
        problems.append(Problem(code, row=int(r), column=column, params={"value": text.at[r]}))
    as_dates = _map_distinct(parsed, lambda v: pd.Timestamp(v) if isinstance(v, date) else pd.NaT)
    mondays = pd.to_datetime(as_dates).astype("datetime64[ns]")
    first, last = pd.Timestamp(period.first_monday), pd.Timestamp(period.last_monday)
    outside = mondays.notna() & ((mondays < first) | (mondays > last))
    for r in outside[outside].index:
        problems.append(Problem("week_outside_pilot", row=int(r), column=column, params={
            "value": text.at[r], "week": iso_label(mondays.at[r].date()), "first": period.first_week, "last": period.last_week}))
    return mondays.where(~outside), problems


def validate_table(table: pd.DataFrame, reference: Reference, source: str = "<table>") -> UptakeReport:
    """Validate a table of text cells (index = spreadsheet row) as read by :func:`model.pilot.formats.read_table`."""
    chosen, understood, problems = _understand_columns(table)
    # Aggregates only: look at every column's content, and never repeat a personal value in another message.
    personal: list[Problem] = []
    for column in table.columns:
        canonical = understood[column]
        personal += scan_column(table[column], column, pilot_start=reference.period.start,
                                names_too=canonical is None, skip_dates=canonical in ("week", "date"))
    if personal or any(p.code == "personal_column_name" for p in problems):
        # Refused: say which columns and why, nothing else (other messages would echo the cells).
        refused = [p for p in problems if p.code == "personal_column_name"] + personal
        return UptakeReport(source, refused, None, len(table), understood)

    cells: list[Problem] = []
    out = pd.DataFrame(index=table.index)
    if "offer_id" in chosen:
        col = chosen["offer_id"]
        text, found = _check_text(table[col], col, True)
        cells += found
        unknown = (text != "") & ~text.isin(reference.offer_ids)
        options = sorted(reference.offer_ids)
        hints = {v: _suggest(v, options) for v in pd.unique(text[unknown])}
        cells += _cell_problems("unknown_offer", unknown, text, col,
                                lambda v: {"suggestion": hints[v], "scenario": reference.scenario})
        out["offer_id"] = text.where(~unknown & (text != ""))
    if "wijk" in chosen:
        col = chosen["wijk"]
        text, found = _check_text(table[col], col, True)
        cells += found
        lookup = {_wijk_key(w): w for w in reference.wijken}
        canonical = _map_distinct(text, lambda v: lookup.get(_wijk_key(v)) if v else None)
        unknown = (text != "") & canonical.isna()
        hints = {v: _suggest(v, list(reference.wijken)) for v in pd.unique(text[unknown])}
        cells += _cell_problems("unknown_wijk", unknown, text, col, lambda v: {"suggestion": hints[v]})
        out["wijk"] = canonical
    if "age_group" in chosen:
        col = chosen["age_group"]
        text, found = _check_text(table[col], col, True)
        cells += found
        canonical = _map_distinct(text, lambda v: _AGE_LOOKUP.get(_age_key(v)) if v else None)
        unknown = (text != "") & canonical.isna()
        cells += _cell_problems("unknown_age_group", unknown, text, col,
                                lambda v: {"allowed": ", ".join(AGE_GROUP_LABELS)})
        out["age_group"] = canonical
    if "week" in chosen or "date" in chosen:
        mondays, found = _check_weeks(table, chosen, reference.period)
        cells += found
        out["week_start"] = mondays
    for name in COUNT_COLUMNS:
        if name in chosen:
            spec = next(c for c in COLUMNS if c.name == name)
            out[name], found = _check_counts(table[chosen[name]], chosen[name], spec.required)
            cells += found
        else:
            out[name] = pd.array([pd.NA] * len(table), dtype="Int64")
    if {"participants", "new_participants"} <= set(chosen):
        above = (out["new_participants"] > out["participants"]).fillna(False).astype(bool)
        col = chosen["new_participants"]
        cells += [Problem("new_above_participants", row=int(r), column=col, params={
            "new": int(out.at[r, "new_participants"]), "participants": int(out.at[r, "participants"])}) for r in above[above].index]
    keys = ["offer_id", "week_start", "wijk", "age_group"]
    if set(keys) <= set(out.columns):
        complete = out[keys].notna().all(axis=1)
        keyed = out.loc[complete, keys].assign(_row=out.index[complete])
        dup = keyed.duplicated(subset=keys, keep=False)
        if dup.any():
            first = keyed[dup].groupby(keys, sort=False)["_row"].transform("min")
            cells += [Problem("duplicate_row", row=int(r), column=None, params={"first_row": int(first.at[r])})
                      for r in first.index if first.at[r] != r]
    position = {column: i for i, column in enumerate(table.columns)}
    cells.sort(key=lambda p: (p.row or 0, position.get(p.column, -1)))  # as a reader scans the sheet
    problems += cells
    report = UptakeReport(source, problems, None, len(table), understood)
    if report.ok:
        report.frame = _canonical(out, reference.period)
    return report


def _canonical(out: pd.DataFrame, period: PilotPeriod) -> pd.DataFrame:
    first = pd.Timestamp(period.first_monday)
    frame = pd.DataFrame({
        "offer_id": out["offer_id"].astype(str),
        "iso_week": _iso_labels(out["week_start"]),
        "week_start": out["week_start"].astype("datetime64[ns]"),
        "pilot_week": ((out["week_start"] - first).dt.days // 7 + 1).astype("int64"),
        "wijk": out["wijk"].astype(str),
        "age_group": out["age_group"].astype(str),
        **{name: out[name].astype("Int64") for name in COUNT_COLUMNS},
    })
    frame = frame.sort_values(["pilot_week", "offer_id", "wijk", "age_group"], kind="stable").reset_index(drop=True)
    return frame[list(OUTPUT_COLUMNS)]


def _iso_labels(mondays: pd.Series) -> list[str]:
    # a year has 52 distinct weeks: label each once, then map
    labels = {d: iso_label(pd.Timestamp(d).date()) for d in pd.unique(mondays)}
    return list(mondays.map(labels))


def validate_uptake(data: bytes, filename: str, reference: Reference, limits: Limits = DEFAULT_LIMITS) -> UptakeReport:
    """Validate an uptake file's bytes (CSV or .xlsx) and report every problem at once.

    Args:
        data: the file's bytes (a Panel FileInput's ``value``).
        filename: its name, for the reader (suffix) and for messages.
        reference: offers, wijken and pilot period to check against (:func:`reference_for`).
        limits: upload limits.

    Returns:
        The report; ``report.frame`` holds the canonical table when ``report.ok``.
    """
    table, problems = read_table(data, filename, limits)
    if table is None or problems:
        return UptakeReport(filename, problems)
    return validate_table(table, reference, filename)
