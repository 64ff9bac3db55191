"""The talent language: one shared vocabulary of achievements, themes x levels.

The concept note's learning clubs "speak a shared talent language" (case 3); the pilot's
badge platform issues Open Badges. ``data/talent_language.yaml`` names one achievement
per :class:`~model.domain.Theme` x talent level (zien doen, samen doen, zelf doen), each
with an id usable as an Open Badges achievement id (a URN) and Dutch and English names.
It is the one place where the model's badges meet the real ones:

- a **model badge** is earned on completing an offer that awards one; it counts as the
  achievement of the offer's first theme at the offer's level (:meth:`TalentLanguage.for_offer`);
- a **real badge** counts as the achievement whose id or alias its BadgeClass / Achievement
  carries (:meth:`TalentLanguage.resolve`).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from model.domain import OFFER_LEVELS, THEMES, Level, Theme
from model.paths import DATA_DIR

TALENT_LANGUAGE_FILE = DATA_DIR / "talent_language.yaml"

# An absolute URI: a scheme, a colon, something after it (RFC 3986, loosely).
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_ENTRY_KEYS = {"id", "theme", "level", "name_nl", "name_en", "description_nl", "description_en", "aliases"}
_TOP_KEYS = {"version", "id_prefix", "achievements"}


class TalentLanguageError(ValueError):
    """A talent-language file that does not validate; the message names file, entry and key."""


@dataclass(frozen=True)
class Achievement:
    """One entry of the talent language: a theme at a level, with its achievement id."""

    id: str
    theme: Theme
    level: Level
    name_nl: str
    name_en: str
    description_nl: str = ""
    description_en: str = ""
    aliases: tuple[str, ...] = ()

    def name(self, lang: str = "nl") -> str:
        """The display name in ``lang`` ('nl' or 'en')."""
        return self.name_en if lang == "en" else self.name_nl


@dataclass(frozen=True)
class TalentLanguage:
    """The achievements of the talent language, found by id, alias or theme x level."""

    achievements: tuple[Achievement, ...]
    source: str = str(TALENT_LANGUAGE_FILE)

    @functools.cached_property
    def _by_id(self) -> dict[str, Achievement]:
        found: dict[str, Achievement] = {}
        for item in self.achievements:
            for key in (item.id, *item.aliases):
                found[key] = item
        return found

    def resolve(self, achievement_id: str) -> Achievement | None:
        """The achievement whose id or alias is ``achievement_id``, or None."""
        return self._by_id.get(str(achievement_id).strip())

    def for_(self, theme: Theme | str, level: Level | str | int) -> Achievement:
        """The achievement of ``theme`` at ``level``."""
        theme, level = Theme(theme), Level.from_slug(level)
        for item in self.achievements:
            if item.theme is theme and item.level is level:
                return item
        raise KeyError(f"the talent language has no entry for {theme.value} x {level.slug}")

    def for_offer(self, offer: Any) -> Achievement:
        """The achievement a model badge of ``offer`` (an OfferSpec) counts as: first theme, offer's level."""
        return self.for_(offer.themes[0], offer.level)

    @property
    def ids(self) -> list[str]:
        """The achievement ids, in file order."""
        return [item.id for item in self.achievements]


def _fail(source: str, where: str, message: str) -> TalentLanguageError:
    return TalentLanguageError(f"{source}: {where}: {message}")


def _text(entry: dict, key: str, source: str, where: str, required: bool = True) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(source, f"{where}.{key}", "needs a non-empty text")
    return value.strip()


def parse_talent_language(data: Any, source: str = "<talent language>") -> TalentLanguage:
    """Validate a parsed talent-language document: every theme x level exactly once, ids unique URIs.

    Raises:
        TalentLanguageError: naming the entry and key, and how to fix it.
    """
    if not isinstance(data, dict) or not isinstance(data.get("achievements"), list):
        raise _fail(source, "top level", "needs a list 'achievements' (see data/talent_language.yaml)")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _fail(source, "top level", f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    seen_ids: dict[str, str] = {}
    seen_cells: dict[tuple[Theme, Level], str] = {}
    items: list[Achievement] = []
    for i, entry in enumerate(data["achievements"]):
        where = f"achievements[{i}]"
        if not isinstance(entry, dict):
            raise _fail(source, where, "must be a mapping with id, theme, level, name_nl, name_en")
        unknown = set(entry) - _ENTRY_KEYS
        if unknown:
            raise _fail(source, where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}")
        try:
            theme = Theme(str(entry.get("theme")))
        except ValueError:
            raise _fail(source, f"{where}.theme", f"{entry.get('theme')!r} is no theme; use one of {[t.value for t in THEMES]}") from None
        try:
            level = Level.from_slug(str(entry.get("level")))
        except ValueError:
            level = Level.GEEN
        if level not in OFFER_LEVELS:
            raise _fail(source, f"{where}.level", f"{entry.get('level')!r} is no level; use one of {[lv.slug for lv in OFFER_LEVELS]}")
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list):
            raise _fail(source, f"{where}.aliases", "must be a list of ids")
        ids = [_text(entry, "id", source, where), *(str(a).strip() for a in aliases)]
        for key in ids:
            if not _URI.match(key):
                raise _fail(source, where, f"id {key!r} is not an absolute URI; write e.g. 'urn:leerecosysteem-genk:talent:eten:samen_doen'")
            if key in seen_ids:
                raise _fail(source, where, f"id {key!r} is used twice (also in {seen_ids[key]}); every id and alias must be unique")
            seen_ids[key] = where
        if (theme, level) in seen_cells:
            raise _fail(source, where, f"{theme.value} x {level.slug} is defined twice (also in {seen_cells[theme, level]})")
        seen_cells[theme, level] = where
        items.append(Achievement(
            id=ids[0], theme=theme, level=level,
            name_nl=_text(entry, "name_nl", source, where), name_en=_text(entry, "name_en", source, where),
            description_nl=_text(entry, "description_nl", source, where, required=False),
            description_en=_text(entry, "description_en", source, where, required=False),
            aliases=tuple(ids[1:]),
        ))
    missing = [f"{t.value} x {lv.slug}" for t in THEMES for lv in OFFER_LEVELS if (t, lv) not in seen_cells]
    if missing:
        raise _fail(source, "achievements", f"missing entries for {', '.join(missing)}; every theme x level needs one")
    return TalentLanguage(tuple(items), source)


def read_talent_language(path: str | Path) -> TalentLanguage:
    """Read and validate a talent-language YAML file (not cached)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TalentLanguageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise TalentLanguageError(f"{path}: is not valid YAML ({exc})") from None
    return parse_talent_language(data, str(path))


@functools.lru_cache(maxsize=4)
def load_talent_language(path: str | None = None) -> TalentLanguage:
    """The project's talent language (``data/talent_language.yaml``), validated, read once per process."""
    return read_talent_language(path or TALENT_LANGUAGE_FILE)

