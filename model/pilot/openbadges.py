"""Open Badges exports as a second source of pilot data: badges per achievement, week and wijk.

Reads Open Badges **2.0** assertions (JSON-LD ``"type": "Assertion"`` with ``badge``,
``issuedOn``, ``recipient``) and Open Badges **3.0** credentials (a Verifiable
Credential of type ``OpenBadgeCredential`` / ``AchievementCredential`` with
``credentialSubject.achievement`` and ``validFrom`` or, in VC 1.1, ``issuanceDate``),
as JSON or as a compact JWS/JWT (the payload is read, the signature is *not* verified:
the monitor counts, it does not certify). A file may hold one badge, a list of badges,
or an object listing them (``assertions``, ``credentials``, ``verifiableCredential``);
a folder is read recursively (``*.json``, ``*.jsonld``, ``*.jwt``, ``*.jws``, and
``*.zip`` archives of them; symbolic links are not followed, zips inside zips are not
opened).

**Where the wijk comes from.** Badges carry no address, and the monitor wants none: the
badge platform adds the wijk as an extension, ``"extensions:WijkExtension": {"wijk":
"Bret"}`` on the assertion (2.0) or on the credential or its ``credentialSubject``
(3.0); a plain ``"wijk"`` property there is read too. A badge without one is counted
with an empty wijk (unknown), with a warning. (A mapping file from recipients to wijken
was rejected: it would itself be a list of people and addresses.)

**Recipients are never kept.** Identities are only used, salted with a secret drawn
for this one import and hashed, to count distinct recipients per cell; neither the
identities nor the hashes leave this module.

The achievement is looked up in the talent language (:mod:`model.pilot.talent`) by
the BadgeClass / Achievement id, then by its ``alignment`` target URLs; an unknown one
is counted under its own id, without theme and level, with a warning.

Output columns: ``achievement_id, theme, level, iso_week, week_start, pilot_week, wijk,
badges, recipients``.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from model.pilot.formats import DEFAULT_LIMITS, Limits
from model.pilot.period import PilotPeriod, iso_label, monday_of
from model.pilot.problems import Problem, Report
from model.pilot.talent import TalentLanguage, load_talent_language

try:
    from zoneinfo import ZoneInfo

    _LOCAL = ZoneInfo("Europe/Brussels")
except Exception:  # noqa: BLE001 - no tz database: fall back to UTC dates
    _LOCAL = timezone.utc

BADGE_SUFFIXES = frozenset({".json", ".jsonld", ".jwt", ".jws"})
ARCHIVE_SUFFIXES = frozenset({".zip"})
OUTPUT_COLUMNS = ("achievement_id", "theme", "level", "iso_week", "week_start", "pilot_week", "wijk", "badges", "recipients")
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$")
_LIST_KEYS = ("assertions", "credentials", "verifiableCredential", "items", "badges")


@dataclass
class BadgeReport(Report):
    """The outcome of reading badge files (see :class:`~model.pilot.problems.Report`).

    Attributes:
        n_files: files read.
        n_badges: badges counted (after dropping duplicates, revoked ones and those outside the pilot).
    """

    n_files: int = 0
    n_badges: int = 0
    versions: dict[str, int] = field(default_factory=dict)  # "2.0"/"3.0" -> badges of that version


# --------------------------------------------------------------------------- safe JSON
def _depth_ok(value: Any, limit: int) -> bool:
    """True when ``value`` nests at most ``limit`` levels (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return True


def parse_json(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, Problem | None]:
    """The JSON (or the payload of a compact JWS/JWT) in ``data``, or the problem that stops it."""
    if len(data) > limits.max_json_bytes:
        return None, _too_large(None, len(data), limits.max_json_bytes)
    try:
        text = data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        return None, Problem("json_invalid", params={"reason": "not UTF-8 text"})
    m = _JWS.match(text)
    if m:
        try:
            payload = m.group(1)
            text = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None, Problem("json_invalid", params={"reason": "a JWS/JWT whose payload is no base64url JSON"})
    try:
        value = json.loads(text, parse_constant=lambda c: None)
    except RecursionError:
        return None, Problem("json_too_deep", params={"limit": limits.max_json_depth})
    except json.JSONDecodeError as exc:
        return None, Problem("json_invalid", params={"reason": f"line {exc.lineno}, column {exc.colno}: {exc.msg}"})
    if not _depth_ok(value, limits.max_json_depth):
        return None, Problem("json_too_deep", params={"limit": limits.max_json_depth})
    if isinstance(value, dict) and isinstance(value.get("vc"), dict):  # VC-JWT (VC 1.1): the credential is in "vc"
        value = value["vc"]
    return value, None


def read_badge_files(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> tuple[list[tuple[str, bytes]], list[Problem]]:
    """The (name, bytes) of one badge file (or .zip) or of every one under a folder, within the limits."""
    path = Path(path)

    def limit_for(item: Path) -> int:
        return limits.max_total_bytes if item.suffix.lower() in ARCHIVE_SUFFIXES else limits.max_json_bytes

    if not path.is_dir():
        size = path.stat().st_size
        if size > limit_for(path):
            return [], [_too_large(path.name, size, limit_for(path))]
        return [(path.name, path.read_bytes())], []
    files: list[tuple[str, bytes]] = []
    total = 0
    for root, dirs, names in os.walk(path, followlinks=False):
        dirs.sort()
        for name in sorted(names):
            item = Path(root) / name
            if item.is_symlink() or item.suffix.lower() not in BADGE_SUFFIXES | ARCHIVE_SUFFIXES:
                continue
            if len(files) >= limits.max_files:
                return [], [Problem("too_many_files", params={"limit": limits.max_files})]
            size = item.stat().st_size
            rel = str(item.relative_to(path))
            if size > limit_for(item):
                return [], [_too_large(rel, size, limit_for(item))]
            total += size
            if total > limits.max_total_bytes:
                return [], [_too_large(None, total, limits.max_total_bytes)]
            files.append((rel, item.read_bytes()))
    return files, []


def _too_large(file: str | None, size: int, limit: int) -> Problem:
    return Problem("file_too_large", file=file, params={"size_mb": f"{size / 2**20:.1f}", "limit_mb": f"{limit / 2**20:.1f}"})


def expand_archives(files: Iterable[tuple[str, bytes]], limits: Limits = DEFAULT_LIMITS) -> tuple[list[tuple[str, bytes]], list[Problem]]:
    """Replace each .zip among ``files`` by its badge files, within the limits (no zip in a zip).

    Sizes are checked from the zip directory before unpacking and again while reading,
    so an archive that lies about its sizes cannot unpack beyond the limits.
    """
    out: list[tuple[str, bytes]] = []
    total = 0
    for name, data in files:
        if Path(name).suffix.lower() not in ARCHIVE_SUFFIXES:
            out.append((name, data))
            continue
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [i for i in archive.infolist() if not i.is_dir() and Path(i.filename).suffix.lower() in BADGE_SUFFIXES]
                if len(out) + len(members) > limits.max_files:
                    return [], [Problem("too_many_files", file=name, params={"limit": limits.max_files})]
                declared = sum(i.file_size for i in members)
                if total + declared > limits.max_total_bytes:
                    return [], [_too_large(name, total + declared, limits.max_total_bytes)]
                for info in members:
                    member = f"{name}/{info.filename}"
                    if info.file_size > limits.max_json_bytes:
                        return [], [_too_large(member, info.file_size, limits.max_json_bytes)]
                    with archive.open(info) as handle:
                        content = handle.read(limits.max_json_bytes + 1)
                    if len(content) > limits.max_json_bytes:
                        return [], [_too_large(member, len(content), limits.max_json_bytes)]
                    total += len(content)
                    out.append((member, content))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
            return [], [Problem("json_invalid", file=name, params={"reason": f"not a readable zip archive ({exc})"[:200]})]
    return out, []


# --------------------------------------------------------------------------- one badge
def _types(item: dict) -> set[str]:
    value = item.get("type", item.get("@type", []))
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return {str(v).split(":")[-1].split("/")[-1].split("#")[-1] for v in values}


def _id_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        found = value.get("id") or value.get("@id")
        return str(found).strip() if found else None
    return None


def _alignment_urls(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return []
    aligned = value.get("alignment") or value.get("alignments") or []
    aligned = aligned if isinstance(aligned, list) else [aligned]
    return [str(a.get("targetUrl")) for a in aligned if isinstance(a, dict) and a.get("targetUrl")]


def _wijk_of(*places: Any) -> str | None:
    for place in places:
        if not isinstance(place, dict):
            continue
        for key, value in place.items():
            name = str(key)
            if name.lower() == "wijk" and isinstance(value, str):
                return value
            if name.lower().endswith("wijkextension") and isinstance(value, dict) and isinstance(value.get("wijk"), str):
                return value["wijk"]
    return None


def _issued(value: Any) -> date | None:
    """The local (Brussels) date of an ISO 8601 date-time (or epoch seconds, as Open Badges 1.x allowed)."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(value, tz=timezone.utc)
        elif isinstance(value, str):
            moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(_LOCAL)
    return moment.date()


@dataclass(frozen=True)
class _Badge:
    version: str
    key: str  # identity of the badge (assertion / credential id or content hash), for duplicates
    achievement: str
    alignments: tuple[str, ...]
    issued: date
    wijk: str | None
    recipient: str | None
    revoked: bool


def _badge(item: Any, where: str, file: str) -> tuple[_Badge | None, Problem | None]:
    """One badge from one JSON object, or the problem with it."""
    if not isinstance(item, dict):
        return None, Problem("not_a_badge", file=file, params={"item": where, "reason": "not a JSON object"})
    types = _types(item)
    digest = hashlib.sha256(json.dumps(item, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    if types & {"OpenBadgeCredential", "AchievementCredential"} or (
            "VerifiableCredential" in types and isinstance(item.get("credentialSubject"), dict)
            and "achievement" in item["credentialSubject"]):
        subject = item.get("credentialSubject")
        subject = subject[0] if isinstance(subject, list) and subject else subject
        if not isinstance(subject, dict):
            return None, Problem("badge_missing_field", file=file, params={"item": where, "field": "credentialSubject"})
        achievement = subject.get("achievement")
        when_raw = item.get("validFrom") or item.get("issuanceDate") or item.get("awardedDate")
        missing = "credentialSubject.achievement.id" if not _id_of(achievement) else "validFrom" if when_raw is None else None
        identity = subject.get("id") or subject.get("identifier")
        recipient = json.dumps(identity, sort_keys=True) if identity else None
        version, place = "3.0", (item, subject)
        revoked = False
    elif "Assertion" in types:
        achievement = item.get("badge")
        when_raw = item.get("issuedOn")
        missing = "badge" if not _id_of(achievement) else "issuedOn" if when_raw is None else None
        recipient_obj = item.get("recipient")
        recipient = json.dumps(recipient_obj, sort_keys=True) if recipient_obj is not None else None
        version, place, revoked = "2.0", (item,), bool(item.get("revoked"))
    else:
        reason = f"type {sorted(types)}" if types else "no 'type'"
        return None, Problem("not_a_badge", file=file, params={"item": where, "reason": reason})
    if missing:
        return None, Problem("badge_missing_field", file=file, params={"item": where, "field": missing})
    issued = _issued(when_raw)
    if issued is None:
        return None, Problem("badge_date_unreadable", file=file, params={"item": where, "value": str(when_raw)[:60]})
    key = _id_of(item) or digest
    return _Badge(version, key, _id_of(achievement), tuple(_alignment_urls(achievement)), issued,
                  _wijk_of(*place), recipient, revoked), None


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        for key in _LIST_KEYS:
            if isinstance(value.get(key), list) and not _types(value) & {"Assertion", "OpenBadgeCredential", "AchievementCredential"}:
                return value[key]
    return [value]


# --------------------------------------------------------------------------- many badges
def count_badges(
    files: Iterable[tuple[str, bytes]],
    period: PilotPeriod,
    wijken: Iterable[str],
    talent: TalentLanguage | None = None,
    limits: Limits = DEFAULT_LIMITS,
    source: str = "<badges>",
) -> BadgeReport:
    """Count badges per achievement, ISO week and wijk from Open Badges 2.0/3.0 files.

    Args:
        files: (name, bytes) of each file (:func:`read_badge_files`, or a Panel upload).
        period: the pilot period; badges outside it are not counted (warning).
        wijken: Genk's wijk names.
        talent: the talent language (default: the project's).
        limits: size, depth and count limits.
        source: the file or folder name, for messages.

    Returns:
        The report; ``frame`` holds the counts (columns :data:`OUTPUT_COLUMNS`) when nothing blocks it.
    """
    from model.pilot.uptake import _suggest, _wijk_key

    files, problems_archives = expand_archives(files, limits)
    if problems_archives:
        return BadgeReport(source, problems_archives)
    talent = talent or load_talent_language()
    wijken = list(wijken)
    lookup = {_wijk_key(w): w for w in wijken}
    salt = os.urandom(16)  # per import: the recipient hashes cannot be linked across imports
    problems: list[Problem] = []
    seen: set[str] = set()
    rows: list[tuple] = []
    tallies = {"badge_duplicate": 0, "badge_revoked": 0, "badge_outside_pilot": 0, "badge_without_wijk": 0}
    unknown_achievements: dict[str, int] = {}
    versions: dict[str, int] = {}
    n_files = 0
    for name, data in files:
        n_files += 1
        value, problem = parse_json(data, limits)
        if problem is not None:
            problems.append(Problem(problem.code, file=name, params=problem.params))
            continue
        for i, item in enumerate(_items(value)):
            where = str(i + 1)
            if isinstance(item, str) and _JWS.match(item.strip()):  # a presentation of JWT credentials
                item, problem = parse_json(item.encode("utf-8"), limits)
                if problem is not None:
                    problems.append(Problem(problem.code, file=name, params=problem.params))
                    continue
            badge, problem = _badge(item, where, name)
            if problem is not None:
                problems.append(problem)
                continue
            if badge.key in seen:
                tallies["badge_duplicate"] += 1
                continue
            seen.add(badge.key)
            if len(seen) > limits.max_badges:
                return BadgeReport(source, [Problem("too_many_badges", params={"limit": limits.max_badges})], n_files=n_files)
            if badge.revoked:
                tallies["badge_revoked"] += 1
                continue
            monday = monday_of(badge.issued)
            if not period.contains(monday):
                tallies["badge_outside_pilot"] += 1
                continue
            wijk = ""
            if badge.wijk is None:
                tallies["badge_without_wijk"] += 1
            else:
                wijk = lookup.get(_wijk_key(badge.wijk), "")
                if not wijk:
                    problems.append(Problem("badge_unknown_wijk", file=name, severity="warning", params={
                        "item": where, "value": badge.wijk[:80], "suggestion": _suggest(badge.wijk, wijken)}))
            entry = talent.resolve(badge.achievement) or next(
                (found for url in badge.alignments if (found := talent.resolve(url))), None)
            if entry is None:
                unknown_achievements[badge.achievement] = unknown_achievements.get(badge.achievement, 0) + 1
            recipient = hashlib.sha256(salt + badge.recipient.encode("utf-8")).digest() if badge.recipient else None
            versions[badge.version] = versions.get(badge.version, 0) + 1
            rows.append((entry.id if entry else badge.achievement, entry.theme.value if entry else "",
                         entry.level.slug if entry else "", monday, wijk, recipient))
    for code, n in tallies.items():
        if n:
            problems.append(Problem(code, severity="warning", params={
                "n": n, "first": period.first_week, "last": period.last_week}))
    for achievement, n in unknown_achievements.items():
        problems.append(Problem("badge_unknown_achievement", severity="warning", params={"n": n, "value": achievement[:200]}))
    report = BadgeReport(source, problems, n_files=n_files, n_badges=len(rows), versions=versions)
    if report.ok:
        report.frame = _tabulate(rows, period)
    return report


def _tabulate(rows: list[tuple], period: PilotPeriod) -> pd.DataFrame:
    raw = pd.DataFrame(rows, columns=["achievement_id", "theme", "level", "monday", "wijk", "recipient"])
    keys = ["achievement_id", "theme", "level", "monday", "wijk"]
    if raw.empty:
        grouped = pd.DataFrame(columns=[*keys, "badges", "recipients"])
    else:
        grouped = raw.groupby(keys, sort=True).agg(badges=("recipient", "size"), recipients=("recipient", "nunique")).reset_index()
    frame = pd.DataFrame({
        "achievement_id": grouped["achievement_id"].astype(str),
        "theme": grouped["theme"].astype(str),
        "level": grouped["level"].astype(str),
        "iso_week": [iso_label(d) for d in grouped["monday"]],
        "week_start": pd.to_datetime(pd.Series([d.isoformat() for d in grouped["monday"]], dtype=object)).astype("datetime64[ns]"),
        "pilot_week": [period.pilot_week(d) for d in grouped["monday"]],
        "wijk": grouped["wijk"].astype(str),
        "badges": grouped["badges"].astype("int64"),
        "recipients": grouped["recipients"].astype("int64"),
    })
    frame["pilot_week"] = frame["pilot_week"].astype("int64")
    return frame.sort_values(["pilot_week", "achievement_id", "wijk"], kind="stable").reset_index(drop=True)[list(OUTPUT_COLUMNS)]
