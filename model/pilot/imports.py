"""Importing pilot data into the store: only a whole valid file, once per content.

:func:`import_uptake` and :func:`import_badges` validate, and store the canonical table
as a dataset version (kind ``uptake`` or ``badges``) only when nothing blocks it. The
store finds versions by content hash (:func:`model.store.frame_hash` of the canonical
table): importing the same content again, from the same file or from a CSV copy of the
Excel file, changes nothing and says which version already holds it; corrected content
becomes the next version of the same dataset, and every earlier version is kept
(:meth:`model.store.Store.dataset_versions`). What is stored is the canonical table and
metadata (file name, the file's sha256, format, scenario, pilot period, warnings), never
the uploaded file itself.
"""
from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from model.pilot.formats import DEFAULT_LIMITS, Limits
from model.pilot.openbadges import ARCHIVE_SUFFIXES, BADGE_SUFFIXES, BadgeReport, count_badges, read_badge_files
from model.pilot.period import PilotPeriod
from model.pilot.problems import Problem, Report
from model.pilot.talent import TalentLanguage
from model.pilot.uptake import FORMAT_VERSION, Reference, UptakeReport, reference_for, validate_uptake
from model.store import DatasetVersion, Store

UPTAKE_KIND = "uptake"
BADGES_KIND = "badges"
BADGES_FORMAT = "openbadges-2.0+3.0/counts/1"


@dataclass
class ImportOutcome:
    """What an import did.

    Attributes:
        report: the validation report (every problem).
        version: the dataset version holding the content, or None when refused.
        created: True when this import added the version, False when it was there already.
    """

    report: Report
    version: DatasetVersion | None = None
    created: bool = False

    @property
    def stored(self) -> bool:
        return self.version is not None

    def message(self, lang: str = "nl") -> str:
        """One sentence on what happened, in ``lang``."""
        src, v = self.report.source, self.version
        n_err, n_warn = len(self.report.errors), len(self.report.warnings)
        if v is None:
            return (f"{src}: not imported: {n_err} error(s); nothing was stored" if lang == "en"
                    else f"{src}: niet geïmporteerd: {n_err} fout(en); er werd niets bewaard")
        short = v.content_hash[:12]
        if self.created:
            return (f"{src}: stored as {v.name} version {v.version} ({v.n_rows} rows, content hash {short}, {n_warn} warning(s))"
                    if lang == "en" else
                    f"{src}: bewaard als {v.name} versie {v.version} ({v.n_rows} rijen, inhoud-hash {short}, {n_warn} waarschuwing(en))")
        return (f"{src}: nothing changed: {v.name} version {v.version} already holds this content "
                f"(from {v.source}, {v.created_at}, content hash {short})" if lang == "en" else
                f"{src}: niets veranderd: {v.name} versie {v.version} bevat deze inhoud al "
                f"(uit {v.source}, {v.created_at}, inhoud-hash {short})")


def save_report(
    report: Report, name: str, kind: str, *, store: Store | None = None, meta: dict | None = None,
    author: str | None = None, notes: str = "",
) -> ImportOutcome:
    """Store a validated report's table as a version of dataset ``name``; nothing when it has errors.

    A Panel app validates off the event loop, shows the problems, then calls this.
    """
    if not report.ok or report.frame is None:
        return ImportOutcome(report)
    store = store or Store()
    meta = {**(meta or {}), "warnings": len(report.warnings)}
    put = store.put_dataset(name, kind, report.frame, source=report.source, notes=notes, author=author, meta=meta)
    return ImportOutcome(report, put.version, put.created)


def uptake_meta(reference: Reference, data: bytes) -> dict:
    """The metadata an uptake version keeps: format, scenario, pilot period and the file's sha256."""
    return {"format": FORMAT_VERSION, "scenario": reference.scenario, **reference.period.as_dict(),
            "file_sha256": hashlib.sha256(data).hexdigest(), "file_bytes": len(data)}


def import_uptake(
    data: bytes | str | Path,
    name: str,
    *,
    filename: str | None = None,
    reference: Reference | None = None,
    store: Store | None = None,
    author: str | None = None,
    notes: str = "",
    limits: Limits = DEFAULT_LIMITS,
) -> ImportOutcome:
    """Validate an uptake file and, when it is valid as a whole, store it as dataset ``name`` (kind 'uptake').

    Args:
        data: the file's bytes, or its path.
        name: the dataset's name (``uptake_pilot``).
        filename: the file's name when ``data`` is bytes (chooses the reader).
        reference: what to check against (default: scenario 'baseline', default pilot period).
        store: the store (default :class:`Store`()).
        author, notes: kept with the version.
        limits: upload limits.
    """
    if isinstance(data, (str, Path)):
        path = Path(data)
        filename = filename or path.name
        if path.stat().st_size > limits.max_bytes:
            return ImportOutcome(UptakeReport(filename, [Problem("file_too_large", params={
                "size_mb": f"{path.stat().st_size / 2**20:.1f}", "limit_mb": f"{limits.max_bytes / 2**20:.1f}"})]))
        data = path.read_bytes()
    reference = reference or reference_for()
    report = validate_uptake(data, filename or "upload.csv", reference, limits)
    return save_report(report, name, UPTAKE_KIND, store=store, meta=uptake_meta(reference, data), author=author, notes=notes)


def validate_badges(
    source: str | Path | Iterable[tuple[str, bytes]],
    *,
    period: PilotPeriod | None = None,
    wijken: Iterable[str] | None = None,
    talent: TalentLanguage | None = None,
    limits: Limits = DEFAULT_LIMITS,
    name: str | None = None,
) -> BadgeReport:
    """Read and count Open Badges from a file, a folder or (name, bytes) pairs (an upload)."""
    if wijken is None:
        from model.geography import load_genk

        wijken = list(load_genk().wijken["wijk"])
    if isinstance(source, (str, Path)):
        files, problems = read_badge_files(source, limits)
        label = name or Path(source).name
        if problems:
            return BadgeReport(label, problems)
    else:
        files, label = list(source), name or "<upload>"
    return count_badges(files, period or PilotPeriod(), wijken, talent, limits, source=label)


def import_badges(
    source: str | Path | Iterable[tuple[str, bytes]],
    name: str,
    *,
    period: PilotPeriod | None = None,
    store: Store | None = None,
    talent: TalentLanguage | None = None,
    author: str | None = None,
    notes: str = "",
    limits: Limits = DEFAULT_LIMITS,
) -> ImportOutcome:
    """Count Open Badges and, when nothing blocks it, store the counts as dataset ``name`` (kind 'badges')."""
    period = period or PilotPeriod()
    report = validate_badges(source, period=period, talent=talent, limits=limits)
    meta = {"format": BADGES_FORMAT, **period.as_dict(), "files": report.n_files, "badges": report.n_badges,
            "versions": report.versions}
    return save_report(report, name, BADGES_KIND, store=store, meta=meta, author=author, notes=notes)


# --------------------------------------------------------------------------- one upload, for an app
def validate_upload(
    data: bytes, filename: str, reference: Reference | None = None, limits: Limits = DEFAULT_LIMITS,
) -> UptakeReport | BadgeReport:
    """One uploaded file, whatever it holds: uptake (.csv/.xlsx) or Open Badges (.json/.jsonld/.jwt/.jws/.zip).

    Pure and thread-safe: a Panel callback runs it off the event loop (:func:`validate_upload_async`).
    """
    reference = reference or reference_for()
    if Path(filename).suffix.lower() in BADGE_SUFFIXES | ARCHIVE_SUFFIXES:
        return count_badges([(filename, data)], reference.period, reference.wijken, limits=limits, source=filename)
    return validate_uptake(data, filename, reference, limits)


async def validate_upload_async(
    data: bytes, filename: str, reference: Reference | None = None, limits: Limits = DEFAULT_LIMITS,
) -> UptakeReport | BadgeReport:
    """:func:`validate_upload` in a worker thread, so that the server keeps serving other sessions."""
    return await asyncio.to_thread(validate_upload, data, filename, reference, limits)


def save_upload(
    report: UptakeReport | BadgeReport, name: str, reference: Reference, data: bytes, *, store: Store | None = None,
    author: str | None = None, notes: str = "",
) -> ImportOutcome:
    """Store what :func:`validate_upload` validated (kind 'uptake' or 'badges'); nothing when it has errors."""
    if isinstance(report, BadgeReport):
        meta = {"format": BADGES_FORMAT, **reference.period.as_dict(), "files": report.n_files, "badges": report.n_badges,
                "versions": report.versions, "file_sha256": hashlib.sha256(data).hexdigest()}
        return save_report(report, name, BADGES_KIND, store=store, meta=meta, author=author, notes=notes)
    return save_report(report, name, UPTAKE_KIND, store=store, meta=uptake_meta(reference, data), author=author, notes=notes)
