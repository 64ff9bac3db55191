"""The pilot monitor's data side: real uptake and Open Badges, checked and versioned in the store.

What a pilot team brings, and where it is handled:

- uptake figures per offer x ISO week x wijk x age group (CSV or .xlsx; ``docs/pilot-data.md``):
  :func:`validate_uptake` (bytes -> :class:`UptakeReport`, every problem with row and column),
  :func:`import_uptake` (stores only a whole valid file, once per content);
- Open Badges 2.0 assertions and 3.0 credentials (a file or a folder):
  :func:`validate_badges`, :func:`import_badges` (counts per achievement, week and wijk;
  recipients never kept);
- the shared talent language mapping the model's badges to achievements: :mod:`model.pilot.talent`;
- aggregates only: files with personal data are refused (:mod:`model.pilot.privacy`);
- problems as data with Dutch and English sentences: :mod:`model.pilot.problems`.

Command line: ``python -m model.pilot --help``.
"""
from model.pilot.formats import DEFAULT_LIMITS, Limits
from model.pilot.imports import (
    BADGES_KIND, UPTAKE_KIND, ImportOutcome, import_badges, import_uptake, save_report, save_upload, uptake_meta,
    validate_badges, validate_upload, validate_upload_async,
)
from model.pilot.openbadges import BadgeReport, count_badges
from model.pilot.period import PilotPeriod
from model.pilot.problems import PilotDataError, Problem, Report, message, render
from model.pilot.talent import Achievement, TalentLanguage, TalentLanguageError, load_talent_language
from model.pilot.uptake import COLUMNS, Reference, UptakeReport, reference_for, validate_uptake

__all__ = [
    "Achievement", "BADGES_KIND", "BadgeReport", "COLUMNS", "DEFAULT_LIMITS", "ImportOutcome", "Limits", "PilotDataError",
    "PilotPeriod", "Problem", "Reference", "Report", "TalentLanguage", "TalentLanguageError", "UPTAKE_KIND",
    "UptakeReport", "count_badges", "import_badges", "import_uptake", "load_talent_language", "message",
    "reference_for", "render", "save_report", "save_upload", "uptake_meta", "validate_badges", "validate_upload",
    "validate_upload_async", "validate_uptake",
]
