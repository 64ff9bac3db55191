"""The pilot's period and its weeks: ISO weeks, dates and the model's week numbers.

The model counts weeks 1, 2, 3 ... from its start; the pilot counts ISO weeks
(``2026-W36``). :class:`PilotPeriod` ties them together: pilot week 1 is the ISO week
holding the start date, and a pilot of 52 weeks ends 51 weeks later. A date maps to
the ISO week it falls in (Monday to Sunday).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

#: Default start: the first school day of 2026-2027 in Flanders (Tuesday 1 September 2026), a year long.
DEFAULT_START = date(2026, 9, 1)
DEFAULT_WEEKS = 52

_ISO_WEEK = re.compile(r"^(\d{4})\s*-?\s*W\s*(\d{1,2})(?:\s*-?\s*([1-7]))?$", re.IGNORECASE)
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_NUMBER = re.compile(r"^\d{1,2}$")


class WeekError(ValueError):
    """A week cell that is no week: ``reason`` is 'unreadable' or 'without_year'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def monday_of(day: date) -> date:
    """The Monday of the ISO week ``day`` falls in."""
    return day - timedelta(days=day.weekday())


def iso_label(monday: date) -> str:
    """``2026-W36`` for the week starting on ``monday``."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str, year: str | int | None = None) -> date:
    """The Monday of the week a cell names.

    Accepts an ISO week (``2026-W37``, ``2026W37``, ``2026-W37-2``), a date (``2026-09-14``,
    ``14/09/2026``, ``14-09-2026``, ``14.09.2026``; day first, as written in Belgium), or a
    week number (``37``) when ``year`` is given.

    Raises:
        WeekError: with reason ``unreadable`` or ``without_year``.
    """
    text = str(text).strip()
    try:
        m = _ISO_WEEK.match(text)
        if m:
            return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        m = _YMD.match(text)
        if m:
            return monday_of(date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        m = _DMY.match(text)
        if m:
            return monday_of(date(int(m.group(3)), int(m.group(2)), int(m.group(1))))
        if _NUMBER.match(text):
            if year is None or not str(year).strip():
                raise WeekError("without_year")
            return date.fromisocalendar(int(str(year).strip()), int(text), 1)
    except ValueError as exc:
        if isinstance(exc, WeekError):
            raise
        raise WeekError("unreadable") from None
    raise WeekError("unreadable")


@dataclass(frozen=True)
class PilotPeriod:
    """The pilot's weeks: from the ISO week holding ``start``, ``weeks`` weeks long.

    Attributes:
        start: the pilot's first day.
        weeks: its length in weeks (the model's run length, ``run.weeks``).
    """

    start: date = DEFAULT_START
    weeks: int = DEFAULT_WEEKS

    def __post_init__(self) -> None:
        if not 1 <= int(self.weeks) <= 520:
            raise ValueError(f"a pilot lasts 1 to 520 weeks, not {self.weeks}")

    @property
    def first_monday(self) -> date:
        return monday_of(self.start)

    @property
    def last_monday(self) -> date:
        return self.first_monday + timedelta(weeks=self.weeks - 1)

    @property
    def first_week(self) -> str:
        return iso_label(self.first_monday)

    @property
    def last_week(self) -> str:
        return iso_label(self.last_monday)

    def pilot_week(self, monday: date) -> int:
        """1 for the pilot's first week; below 1 or above ``weeks`` outside the pilot."""
        return (monday - self.first_monday).days // 7 + 1

    def contains(self, monday: date) -> bool:
        return 1 <= self.pilot_week(monday) <= self.weeks

    def monday(self, pilot_week: int) -> date:
        """The Monday of pilot week ``pilot_week``."""
        return self.first_monday + timedelta(weeks=int(pilot_week) - 1)

    def as_dict(self) -> dict:
        return {"pilot_start": self.start.isoformat(), "pilot_weeks": int(self.weeks),
                "first_week": self.first_week, "last_week": self.last_week}
