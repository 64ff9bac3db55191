"""Problems found in a pilot data file, as data first and as Dutch or English text second.

A :class:`Problem` is structured (a code, the row and column, parameters) so that a
screen can show it in a table, sort and count it; :func:`render` turns it into a
sentence in Dutch (``nl``) or English (``en``) that names the file, row and column and
says how to fix it. Rows are numbered as a spreadsheet shows them: the header is row 1,
the first data row is row 2.

A problem that looks like personal data never repeats the value it found: the message
names the column and what it looks like, nothing more.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Literal

if TYPE_CHECKING:
    import pandas as pd

Severity = Literal["error", "warning"]

FORMAT_DOC = "docs/pilot-data.md"

# code -> (Dutch, English). Placeholders come from Problem.params.
MESSAGES: dict[str, tuple[str, str]] = {
    # the file as a whole
    "file_too_large": (
        "het bestand is {size_mb} MB, meer dan de grens van {limit_mb} MB; splits het op (bv. per kwartaal)",
        "the file is {size_mb} MB, above the limit of {limit_mb} MB; split it (e.g. per quarter)",
    ),
    "unpacked_too_large": (
        "het Excel-bestand is uitgepakt {size_mb} MB, meer dan de grens van {limit_mb} MB; bewaar het opnieuw zonder "
        "extra werkbladen of splits het op",
        "the Excel file unpacks to {size_mb} MB, above the limit of {limit_mb} MB; save it again without extra sheets "
        "or split it",
    ),
    "too_many_rows": (
        "het bestand heeft meer dan {limit} rijen; splits het op (bv. per kwartaal)",
        "the file has more than {limit} rows; split it (e.g. per quarter)",
    ),
    "too_many_columns": (
        "het bestand heeft {n} kolommen, meer dan {limit}; laat enkel de kolommen van het formaat staan",
        "the file has {n} columns, more than {limit}; keep only the format's columns",
    ),
    "unsupported_format": (
        "'{suffix}' wordt niet gelezen; bewaar het als .csv (UTF-8) of .xlsx",
        "'{suffix}' cannot be read; save it as .csv (UTF-8) or .xlsx",
    ),
    "unreadable": (
        "het bestand kan niet gelezen worden ({reason}); bewaar het opnieuw als .csv (UTF-8) of .xlsx",
        "the file cannot be read ({reason}); save it again as .csv (UTF-8) or .xlsx",
    ),
    "empty_file": (
        "het bestand bevat geen gegevensrijen; de eerste rij moet de kolomnamen bevatten, daaronder één rij per "
        "aanbod, week en groep",
        "the file holds no data rows; the first row must hold the column names, then one row per offer, week and group",
    ),
    "unsafe_xml": (
        "Excel-bestanden worden enkel gelezen met defusedxml geïnstalleerd (pip install defusedxml); of bewaar als .csv",
        "Excel files are read only with defusedxml installed (pip install defusedxml); or save as .csv",
    ),
    # columns
    "missing_column": (
        "de verplichte kolom '{column}' ontbreekt; voeg een kolom toe met als naam een van: {aliases}",
        "the required column '{column}' is missing; add a column named one of: {aliases}",
    ),
    "missing_week_column": (
        "er is geen kolom voor de week; voeg 'week' (ISO-week, bv. 2026-W37) of 'datum' (bv. 2026-09-14) toe",
        "there is no column for the week; add 'week' (ISO week, e.g. 2026-W37) or 'date' (e.g. 2026-09-14)",
    ),
    "duplicate_column": (
        "de kolommen {columns} betekenen allebei '{column}'; houd er één over",
        "the columns {columns} both mean '{column}'; keep one of them",
    ),
    "unknown_column": (
        "de kolom hoort niet bij het formaat en wordt niet bewaard (zie {doc})",
        "the column is not part of the format and is not stored (see {doc})",
    ),
    "personal_column_name": (
        "de kolomnaam wijst op persoonsgegevens ({kind_nl}); enkel totalen per groep zijn toegelaten: verwijder de "
        "kolom en importeer opnieuw. Er werd niets bewaard",
        "the column name points to personal data ({kind_en}); only totals per group are allowed: remove the column "
        "and import again. Nothing was stored",
    ),
    "personal_content": (
        "{n_rows} waarde(n) zien eruit als {kind_nl} (eerste in rij {first_row}); enkel totalen per groep zijn "
        "toegelaten: verwijder de persoonsgegevens en importeer opnieuw. Er werd niets bewaard",
        "{n_rows} value(s) look like {kind_en} (first in row {first_row}); only totals per group are allowed: remove "
        "the personal data and import again. Nothing was stored",
    ),
    # cells
    "missing_value": (
        "de cel is leeg; vul '{column}' in",
        "the cell is empty; fill in '{column}'",
    ),
    "unknown_offer": (
        "onbekend aanbod '{value}'{hint_nl}; gebruik een aanbod-id van scenario '{scenario}' (python -m model.pilot "
        "offers --scenario {scenario})",
        "unknown offer '{value}'{hint_en}; use an offer id of scenario '{scenario}' (python -m model.pilot offers "
        "--scenario {scenario})",
    ),
    "unknown_wijk": (
        "onbekende wijk '{value}'{hint_nl}; gebruik een van de 31 wijknamen van Genk (zie {doc})",
        "unknown wijk '{value}'{hint_en}; use one of Genk's 31 wijk names (see {doc})",
    ),
    "unknown_age_group": (
        "onbekende leeftijdsgroep '{value}'; gebruik een van: {allowed}",
        "unknown age group '{value}'; use one of: {allowed}",
    ),
    "not_a_count": (
        "'{value}' is geen aantal; schrijf een geheel getal (0, 1, 2 ...)",
        "'{value}' is not a count; write a whole number (0, 1, 2 ...)",
    ),
    "negative_count": (
        "{value} is negatief; een aantal is 0 of meer",
        "{value} is negative; a count is 0 or more",
    ),
    "new_above_participants": (
        "{new} nieuwe deelnemers is meer dan {participants} deelnemers; nieuwe deelnemers zijn een deel van de deelnemers",
        "{new} new participants is more than {participants} participants; new participants are part of the participants",
    ),
    "week_unreadable": (
        "'{value}' is geen week of datum; schrijf een ISO-week (2026-W37) of een datum (2026-09-14 of 14/09/2026)",
        "'{value}' is not a week or date; write an ISO week (2026-W37) or a date (2026-09-14 or 14/09/2026)",
    ),
    "week_without_year": (
        "week {value} zonder jaar; schrijf de ISO-week met jaar (2026-W37) of voeg een kolom 'jaar' toe",
        "week {value} without a year; write the ISO week with its year (2026-W37) or add a column 'year'",
    ),
    "week_outside_pilot": (
        "week {week} valt buiten de pilot ({first} tot {last}); verbeter de week of geef de juiste pilotperiode op "
        "(--start, --weeks)",
        "week {week} is outside the pilot ({first} to {last}); correct the week or give the right pilot period "
        "(--start, --weeks)",
    ),
    "duplicate_row": (
        "dezelfde combinatie van aanbod, week, wijk en leeftijdsgroep als rij {first_row}; tel ze samen in één rij "
        "(deelnemers per week zijn unieke personen: tel niet dubbel)",
        "the same offer, week, wijk and age group as row {first_row}; combine them into one row (participants per "
        "week are distinct people: do not count twice)",
    ),
    # Open Badges
    "json_invalid": (
        "geen geldige JSON ({reason}); exporteer de badges opnieuw",
        "not valid JSON ({reason}); export the badges again",
    ),
    "json_too_deep": (
        "de JSON is dieper genest dan {limit} niveaus; dit is geen gewone badge-export",
        "the JSON is nested deeper than {limit} levels; this is not an ordinary badge export",
    ),
    "too_many_files": (
        "de map bevat meer dan {limit} bestanden; importeer ze in delen",
        "the folder holds more than {limit} files; import them in parts",
    ),
    "too_many_badges": (
        "meer dan {limit} badges in één import; importeer ze in delen",
        "more than {limit} badges in one import; import them in parts",
    ),
    "not_a_badge": (
        "item {item} is geen Open Badges 2.0-Assertion of 3.0-OpenBadgeCredential ({reason})",
        "item {item} is not an Open Badges 2.0 Assertion or 3.0 OpenBadgeCredential ({reason})",
    ),
    "badge_missing_field": (
        "item {item} mist '{field}'; een badge heeft een badge/achievement en een uitreikdatum nodig",
        "item {item} lacks '{field}'; a badge needs a badge/achievement and an issue date",
    ),
    "badge_date_unreadable": (
        "item {item}: '{value}' is geen ISO 8601-datum (bv. 2026-09-14T10:00:00Z)",
        "item {item}: '{value}' is not an ISO 8601 date (e.g. 2026-09-14T10:00:00Z)",
    ),
    "badge_outside_pilot": (
        "{n} badge(s) uitgereikt buiten de pilot ({first} tot {last}) worden niet geteld",
        "{n} badge(s) issued outside the pilot ({first} to {last}) are not counted",
    ),
    "badge_without_wijk": (
        "{n} badge(s) zonder wijk worden geteld met een lege wijk (onbekend); het badgeplatform kan de wijk meegeven in de "
        "extensie 'extensions:WijkExtension' (zie {doc})",
        "{n} badge(s) without a wijk are counted with an empty wijk (unknown); the badge platform can send the wijk in the "
        "extension 'extensions:WijkExtension' (see {doc})",
    ),
    "badge_unknown_wijk": (
        "item {item}: onbekende wijk '{value}'{hint_nl}; geteld met een lege wijk (onbekend)",
        "item {item}: unknown wijk '{value}'{hint_en}; counted with an empty wijk (unknown)",
    ),
    "badge_unknown_achievement": (
        "{n} badge(s) van '{value}' horen bij geen prestatie van de talenttaal; voeg dit id toe als alias in "
        "data/talent_language.yaml",
        "{n} badge(s) of '{value}' belong to no achievement of the talent language; add this id as an alias in "
        "data/talent_language.yaml",
    ),
    "badge_duplicate": (
        "{n} badge(s) kwamen meer dan eens voor (zelfde id) en worden één keer geteld",
        "{n} badge(s) occurred more than once (same id) and are counted once",
    ),
    "badge_revoked": (
        "{n} ingetrokken badge(s) worden niet geteld",
        "{n} revoked badge(s) are not counted",
    ),
}


@dataclass(frozen=True)
class Problem:
    """One problem in a pilot data file.

    Attributes:
        code: what is wrong (a key of :data:`MESSAGES`).
        row: the spreadsheet row (header = 1), or None for the file as a whole.
        column: the column as written in the file, or None.
        params: the values the message needs (never a personal value).
        severity: ``error`` blocks the import; ``warning`` is reported and imported.
        file: the file it was found in, for a folder of files.
    """

    code: str
    row: int | None = None
    column: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    severity: Severity = "error"
    file: str | None = None

    def as_dict(self, lang: str = "nl") -> dict[str, Any]:
        """A flat record for a table: severity, file, row, column, code and the message in ``lang``."""
        return {"severity": self.severity, "file": self.file, "row": self.row, "column": self.column,
                "code": self.code, "message": message(self, lang)}


_WHERE = {
    "nl": ("rij {row}", "kolom '{column}'", "fout", "waarschuwing"),
    "en": ("row {row}", "column '{column}'", "error", "warning"),
}


def message(problem: Problem, lang: str = "nl") -> str:
    """The problem's sentence in ``lang`` ('nl' or 'en'), without where it is."""
    nl, en = MESSAGES[problem.code]
    params = {"doc": FORMAT_DOC, **_hints(problem.params), **problem.params}
    return (en if lang == "en" else nl).format(**params)


def _hints(params: dict[str, Any]) -> dict[str, str]:
    suggestion = params.get("suggestion")
    if not suggestion:
        return {"hint_nl": "", "hint_en": ""}
    return {"hint_nl": f" (bedoelt u '{suggestion}'?)", "hint_en": f" (did you mean '{suggestion}'?)"}


def render(problem: Problem, lang: str = "nl", file: str | None = None) -> str:
    """``data.csv, rij 5, kolom 'wijk': fout: onbekende wijk ...`` in ``lang``."""
    row_t, col_t, error_t, warning_t = _WHERE["en" if lang == "en" else "nl"]
    parts = [p for p in (problem.file or file,) if p]
    if problem.row is not None:
        parts.append(row_t.format(row=problem.row))
    if problem.column is not None:
        parts.append(col_t.format(column=problem.column))
    severity = error_t if problem.severity == "error" else warning_t
    return f"{', '.join(parts)}: {severity}: {message(problem, lang)}" if parts else f"{severity}: {message(problem, lang)}"


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that block an import."""
    return [p for p in problems if p.severity == "error"]


@dataclass
class Report:
    """The outcome of validating pilot data: every problem, and the canonical table when nothing blocks it.

    Attributes:
        source: the file (or folder) name.
        problems: every problem found (errors and warnings).
        frame: the canonical table when there is no error, else None.
    """

    source: str
    problems: list[Problem]
    frame: "pd.DataFrame | None" = None

    @property
    def ok(self) -> bool:
        """True when nothing blocks the import (warnings may remain)."""
        return not errors(self.problems)

    @property
    def errors(self) -> list[Problem]:
        return errors(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def problem_table(self, lang: str = "nl") -> "pd.DataFrame":
        """One row per problem: severity, file, row, column, code, message (in ``lang``)."""
        import pandas as pd

        records = [p.as_dict(lang) for p in self.problems]
        return pd.DataFrame.from_records(records, columns=["severity", "file", "row", "column", "code", "message"])

    def lines(self, lang: str = "nl") -> list[str]:
        """Every problem as a sentence naming file, row and column."""
        return [render(p, lang, self.source) for p in self.problems]


class PilotDataError(ValueError):
    """A pilot data file refused as a whole; ``problems`` holds every reason, ``str()`` the Dutch text."""

    def __init__(self, problems: list[Problem], file: str | None = None, lang: str = "nl") -> None:
        self.problems = problems
        self.file = file
        shown = [render(p, lang, file) for p in errors(problems)[:20]]
        more = len(errors(problems)) - len(shown)
        super().__init__("\n".join(shown + ([f"... (+{more})"] if more > 0 else [])))
