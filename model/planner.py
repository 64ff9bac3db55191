"""The site planner's model side: layouts of sites, their catchments, simulated use and robustness.

A **layout** is one or more candidate sites (a venue, a point on the map or a Genk
address), each with rooms of a kind and places, opening hours by day, permanent
providers, guests and a running cost. A layout is stored as a scenario
(:func:`layout_to_scenario`, read back by :func:`layout_from_scenario`):

- the **main site** (the first) is ``levers.central_site``, every other site (a hub, a
  satellite in a cité) one of ``levers.sites``, each with its rooms, its opening hours by
  day (``opening_hours``; a weekly total such as ``'40 u/week'`` becomes
  ``opening_hours_per_week``), its permanent providers and guests and its
  ``running_cost_eur_per_year``; :mod:`model.site` timetables every site's offers into its
  rooms and hour blocks;
- a site other than the main one with neither permanent providers nor guests is a
  neighbourhood room: each room holds one offer in the theme that room kind serves
  (:data:`model.site.ROOM_FOR_THEME`; a showcase space holds a zien-doen offer), placed at
  the site (``place.kind: site``) in sessions of :data:`SESSION_HOURS`, at most
  :data:`SATELLITE_SESSIONS_MAX` a week, timetabled like any site offer; ids ``sat.<site>.<room>``;
- what the planner typed that the schema normalises (the opening-hours text, exact
  coordinates, its own site ids) is kept in one line ``[planner] {...}`` at the end of
  ``description``; layouts saved before sites were in the schema (satellites as offers at
  points) are still read.

Catchments need no run (:class:`LayoutCatchments`, on :class:`model.accessibility.CatchmentEngine`);
simulated use runs every layout on the same replication seeds (common random numbers,
:func:`simulate_layouts`); robustness runs one small design over the behavioural
uncertainties through the experiments runner (Dask) for every layout and counts, per
pair, the samples in which one beats the other (:func:`robustness`).
"""
from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from pyproj import Transformer

from model.accessibility import (ACCESS_MODES, SAME_SPOT_M, AccessMode, CatchmentEngine, Site, SiteError,
                                 check_site)
from model.compare import DEFAULT_ENTROPY, MIN_WIJK_RESIDENTS, interval, replication_seeds, verdict
from model.domain import Level, ProviderType, Theme
from model.indicators import INDICATORS
from model.scenario import (DAY_LABELS, DAYS, MAIN_SITE_ID, ROOM_KINDS, OfferSpec, PlaceSpec, RoomSpec, Scenario,
                            ScenarioError, SAME_SPOT_METRES, SiteBase, hours_text, load_scenario, lonlat_metres, validate_scenario)
from model.site import ROOM_FOR_THEME

_TO_WGS84 = Transformer.from_crs("EPSG:31370", "EPSG:4326", always_xy=True)
_TO_LAMBERT = Transformer.from_crs("EPSG:4326", "EPSG:31370", always_xy=True)

#: Hours one session of a satellite offer takes (the catalogue's typical weekly block).
SESSION_HOURS = 2.0
#: Most sessions a week one satellite room runs (a neighbourhood room, not a full-time hub).
SATELLITE_SESSIONS_MAX = 4
#: The scenario a new layout starts from (its uncertainties, run settings, wegwijzer ...).
BASE_SCENARIO = "regina-mundi-hub"
#: Indicators the planner compares (names of :data:`model.indicators.INDICATORS`).
PLANNER_INDICATORS: tuple[str, ...] = ("reach", "participants", "participation_gap_means", "progression_steps",
                                       "waiting_list", "mean_travel_minutes", "cost_per_participant_eur",
                                       "cost_per_step_eur")
#: Behavioural uncertainties the robustness design varies (within their declared bounds).
ROBUSTNESS_PARAMETERS: tuple[str, ...] = ("uncertainties.distance_decay_per_min", "uncertainties.search_prob_per_week",
                                          "uncertainties.autonomy_mean", "uncertainties.friend_weight")

ROOM_LABELS: dict[str, tuple[str, str]] = {
    "practice_room": ("oefenruimte", "practice room"), "maker_space": ("maakleerplek", "maker space"),
    "kitchen": ("keuken", "kitchen"), "garden": ("tuin", "garden"), "showcase_space": ("toonplaats", "showcase space"),
    "club_room": ("clubruimte", "club room"),
}
THEME_OF_ROOM: dict[str, Theme] = {kind: theme for theme, kind in ROOM_FOR_THEME.items()}
THEME_OF_ROOM["showcase_space"] = Theme.ONTSPANNING

_MARK = "[planner] "


class PlannerError(SiteError):
    """Input a planner typed that cannot be used; ``nl`` and ``en`` say what and how to fix it."""


# =========================================================================== opening hours
_DAYS = {"ma": 0, "maandag": 0, "mo": 0, "mon": 0, "monday": 0, "di": 1, "dinsdag": 1, "tu": 1, "tue": 1, "tuesday": 1,
         "wo": 2, "woensdag": 2, "we": 2, "wed": 2, "wednesday": 2, "do": 3, "donderdag": 3, "th": 3, "thu": 3,
         "thursday": 3, "vr": 4, "vrijdag": 4, "fr": 4, "fri": 4, "friday": 4, "za": 5, "zaterdag": 5, "sa": 5,
         "sat": 5, "saturday": 5, "zo": 6, "zondag": 6, "su": 6, "sun": 6, "sunday": 6}
_TIME = r"(\d{1,2})(?:[:.hu](\d{2})|\s*(?:uur|u|h))?"
_RANGE = re.compile(rf"^{_TIME}\s*[-–]\s*{_TIME}$")
_WEEKLY = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:u|uur|h|hours?)?\s*(?:/\s*(?:week|wk|w))?$", re.IGNORECASE)


def _bad_hours(text: str, nl: str, en: str) -> PlannerError:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return PlannerError(f"Openingsuren {shown!r}: {nl} Schrijf bijvoorbeeld 'ma-vr 9-17; za 10-14' of '40 u/week'.",
                        f"Opening hours {shown!r}: {en} Write e.g. 'ma-vr 9-17; za 10-14' or '40 h/week'.")


def parse_opening_hours(text: str) -> dict[int, float]:
    """Hours open per weekday (0 = Monday) from ``'ma-vr 9-17; za 10:00-14:30'`` or a weekly total ``'40 u/week'``.

    Days are Dutch or English (``ma di wo do vr za zo`` / ``mo tu we th fr sa su``, also
    written out), alone, as a range (``ma-vr``) or a list (``ma,wo``); after them one or
    more time ranges (``9-12, 13-17``; ``9:30``, ``9u30``, ``9.30``). A weekly total is
    spread over Monday to Friday. Raises :class:`PlannerError` (Dutch and English) when
    the text does not parse, a time is not a time of day, a range ends before it starts
    or two ranges of one day overlap.
    """
    total, by_day = _parse_hours(text)
    if total is not None:
        return {d: total / 5 for d in range(5)}
    return {d: sum(b - a for a, b in spans) / 60 for d, spans in by_day.items()}


def opening_hours_by_day(text: str) -> dict[str, str] | None:
    """The planner's opening hours as the schema's ``opening_hours`` (``{"mon": "09:00-17:00", ...}``).

    None for a weekly total (``'40 u/week'``): the scenario then gives ``opening_hours_per_week``
    and the site is open in the default pattern (weekdays from 09:00, :func:`model.scenario.default_opening_hours`).
    """
    total, by_day = _parse_hours(text)
    if total is not None:
        return None
    return {DAYS[d]: hours_text(tuple(sorted(spans))) for d, spans in sorted(by_day.items())}


def opening_hours_text(site: SiteBase) -> str:
    """A schema site's opening hours as the planner writes them (``'ma 09:00-12:00, 13:00-17:00; za 10:00-16:00'``)."""
    if site.opening_hours is None:
        return f"{site.opening_hours_per_week:g} u/week"
    return "; ".join(f"{DAY_LABELS[d][0]} {site.opening_hours[d]}" for d in DAYS if d in site.opening_hours)


def _parse_hours(text: str) -> tuple[float | None, dict[int, list[tuple[int, int]]]]:
    """(weekly total or None, {weekday: [(start, end) minutes]}) of a planner's opening-hours text."""
    raw = str(text or "").strip()
    if not raw:
        raise _bad_hours(raw, "er staan geen openingsuren.", "no opening hours are given.")
    total = _WEEKLY.match(raw)
    if total:
        hours = float(total.group(1).replace(",", "."))
        if not 0 < hours <= 98:
            raise _bad_hours(raw, "een week telt hoogstens 98 openingsuren (14 per dag).",
                             "a week has at most 98 opening hours (14 a day).")
        return hours, {}
    out: dict[int, list[tuple[int, int]]] = {}
    for part in re.split(r"[;\n]+", raw):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([A-Za-z]+(?:\s*[-–,/]\s*[A-Za-z]+)*)\s+(.+)$", part)
        if not m:
            raise _bad_hours(raw, f"'{part}' noemt geen dag gevolgd door uren.", f"'{part}' names no day followed by hours.")
        days = _days(m.group(1), raw)
        spans = []
        for span in re.split(r"\s*(?:,|\ben\b|\band\b|&)\s*", m.group(2).strip()):
            r = _RANGE.match(span.strip())
            if not r:
                raise _bad_hours(raw, f"'{span}' is geen tijdvak zoals 9-17 of 9:30-12:00.",
                                 f"'{span}' is not a time range like 9-17 or 9:30-12:00.")
            h1, m1, h2, m2 = (int(v) if v else 0 for v in r.groups())
            if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
                raise _bad_hours(raw, f"'{span}' is geen uur van de dag.", f"'{span}' is not a time of day.")
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if end <= start:
                raise _bad_hours(raw, f"in '{span}' ligt het einde niet na het begin.", f"in '{span}' the end is not after the start.")
            spans.append((start, end))
        for d in days:
            out.setdefault(d, []).extend(spans)
    if not out:
        raise _bad_hours(raw, "er staan geen openingsuren.", "no opening hours are given.")
    if any(sum(b - a for a, b in spans) > 24 * 60 for spans in out.values()):
        raise _bad_hours(raw, "een dag telt hoogstens 24 uur.", "a day has at most 24 hours.")
    for d, spans in out.items():
        spans.sort()
        for (a0, a1), (b0, b1) in itertools.pairwise(spans):
            if b0 < a1:
                nl_day, en_day = DAY_LABELS[DAYS[d]]
                raise _bad_hours(raw, f"op {nl_day} overlappen {_hhmm(a0)}-{_hhmm(a1)} en {_hhmm(b0)}-{_hhmm(b1)}.",
                                 f"on {en_day} {_hhmm(a0)}-{_hhmm(a1)} and {_hhmm(b0)}-{_hhmm(b1)} overlap.")
    return None, out


def _hhmm(minute: int) -> str:
    return f"{minute // 60:d}:{minute % 60:02d}"


def _days(text: str, raw: str) -> list[int]:
    days: list[int] = []
    for chunk in re.split(r"\s*[,/]\s*", text.strip().lower()):
        ends = [e.strip() for e in re.split(r"\s*[-–]\s*", chunk)]
        unknown = [e for e in ends if e not in _DAYS]
        if unknown or len(ends) > 2:
            raise _bad_hours(raw, f"'{chunk}' is geen dag (ma di wo do vr za zo).", f"'{chunk}' is not a day (mo tu we th fr sa su).")
        a, b = _DAYS[ends[0]], _DAYS[ends[-1]]
        days += list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
    return days


def weekly_hours(text: str) -> float:
    """Opening hours per week of a text :func:`parse_opening_hours` reads."""
    return float(sum(parse_opening_hours(text).values()))


# =========================================================================== sites and layouts
@dataclass(frozen=True)
class PlannedSite:
    """One site of a layout (coordinates in EPSG:31370, metres).

    Attributes:
        rooms: the rooms (:class:`model.scenario.RoomSpec`: name, kind, capacity = places at once).
        opening_hours: as the planner writes them (:func:`parse_opening_hours`).
        permanent, guests: provider types (:class:`model.domain.ProviderType` values); the main site only.
        venue_id: the venue the site is at, if it is one.
        cost_eur_per_year: the site's running cost (rent, staff), for the cost per participant.
    """

    site_id: str
    name: str
    x: float
    y: float
    rooms: tuple[RoomSpec, ...] = ()
    opening_hours: str = "ma-vr 9-17"
    permanent: tuple[str, ...] = ()
    guests: tuple[str, ...] = ()
    venue_id: str | None = None
    cost_eur_per_year: float = 0.0

    @property
    def places(self) -> int:
        """Places at once: the rooms' places together."""
        return int(sum(r.capacity for r in self.rooms))

    @property
    def hours_per_week(self) -> float:
        return weekly_hours(self.opening_hours)

    @property
    def lonlat(self) -> tuple[float, float]:
        lon, lat = _TO_WGS84.transform(self.x, self.y)
        return float(lon), float(lat)


@dataclass(frozen=True)
class Layout:
    """A candidate layout: the main site first, then its satellites."""

    name: str
    sites: tuple[PlannedSite, ...]
    title: str = ""
    base: str = BASE_SCENARIO

    @property
    def main(self) -> PlannedSite:
        return self.sites[0]

    @property
    def satellites(self) -> tuple[PlannedSite, ...]:
        return self.sites[1:]

    @property
    def cost_eur_per_year(self) -> float:
        return float(sum(s.cost_eur_per_year for s in self.sites))

    def with_site(self, site: PlannedSite) -> "Layout":
        """This layout with ``site`` replacing the site of the same id, or added at the end."""
        ids = [s.site_id for s in self.sites]
        if site.site_id in ids:
            return replace(self, sites=tuple(site if s.site_id == site.site_id else s for s in self.sites))
        return replace(self, sites=(*self.sites, site))

    def without_site(self, site_id: str) -> "Layout":
        return replace(self, sites=tuple(s for s in self.sites if s.site_id != site_id))


def duplicate_layout(layout: Layout, name: str) -> Layout:
    """A copy under a new name (edit it without touching the original)."""
    return replace(layout, name=name, title="")


def rooms_from_text(text: str) -> tuple[RoomSpec, ...]:
    """Rooms from lines ``kind places [name]`` (``kitchen 12``, ``maakleerplek 20 atelier``), Dutch or English kinds.

    Raises :class:`PlannerError` for an unknown kind or a room without places (0, negative or not a number).
    """
    kinds = {k: k for k in ROOM_KINDS}
    for kind, (nl, en) in ROOM_LABELS.items():
        kinds[nl] = kinds[en.replace(" ", "_")] = kinds[en] = kind
    rooms = []
    for i, line in enumerate(l.strip() for l in re.split(r"[;\n]+", str(text or ""))):
        if not line:
            continue
        low = line.lower()
        word = next((k for k in sorted(kinds, key=len, reverse=True) if re.match(rf"^{re.escape(k)}\s+\S", low)), None)
        m = re.match(r"^(\S+)(?:\s+(.+))?$", line[len(word):].strip()) if word else None
        kind = kinds[word] if m else None
        if kind is None:
            known = ", ".join(f"{nl}/{k}" for k, (nl, _) in ROOM_LABELS.items())
            raise PlannerError(f"Ruimte {i + 1} ('{line[:40]}'): schrijf soort en plaatsen, bv. 'keuken 12'; soorten: {known}.",
                               f"Room {i + 1} ('{line[:40]}'): write kind and places, e.g. 'kitchen 12'; kinds: {known}.")
        try:
            places = float(m.group(1).replace(",", "."))
        except ValueError:
            places = float("nan")
        if not (math.isfinite(places) and places >= 1 and places == int(places)):
            raise PlannerError(f"Ruimte {i + 1} ({ROOM_LABELS[kind][0]}): '{m.group(1)}' plaatsen; een ruimte heeft minstens "
                               "1 plaats (een geheel getal).",
                               f"Room {i + 1} ({ROOM_LABELS[kind][1]}): '{m.group(1)}' places; a room needs at least 1 "
                               "place (a whole number).")
        if places > 500:
            raise PlannerError(f"Ruimte {i + 1}: {int(places)} plaatsen; hoogstens 500 per ruimte.",
                               f"Room {i + 1}: {int(places)} places; at most 500 per room.")
        name = (m.group(2) or f"{ROOM_LABELS[kind][0]} {i + 1}").strip()[:80]
        rooms.append(RoomSpec(name=name, kind=kind, capacity=int(places)))
    return tuple(rooms)


def rooms_to_text(rooms: Sequence[RoomSpec]) -> str:
    return "\n".join(f"{ROOM_LABELS[r.kind][0]} {r.capacity} {r.name}" for r in rooms)


def site_at_venue(geo: Any, venue_id: str, site_id: str, **kw: Any) -> PlannedSite:
    """A site at a venue of the catalogue (``geo.venues``)."""
    if venue_id not in geo.venues.index:
        raise PlannerError(f"Locatie {venue_id!r} is niet bekend; kies een locatie uit de lijst.",
                           f"Venue {venue_id!r} is not known; pick a venue from the list.")
    row = geo.venues.loc[venue_id]
    kw.setdefault("name", str(row.get("name", venue_id)))
    return PlannedSite(site_id, x=float(row["x"]), y=float(row["y"]), venue_id=venue_id, **kw)


def site_at_address(geo: Any, text: str, site_id: str, **kw: Any) -> PlannedSite:
    """A site at a Genk address (CRAB, offline); refuses an unknown address with suggestions."""
    from model.geography.errors import AddressNotFound

    try:
        addr = geo.geocode(text)
    except AddressNotFound as exc:
        hint = ", ".join(getattr(exc, "suggestions", [])[:3])
        raise PlannerError(f"Adres '{str(text)[:60]}' staat niet in het adressenregister van Genk"
                           + (f"; bedoelt u {hint}?" if hint else "."),
                           f"Address '{str(text)[:60]}' is not in the Genk address register"
                           + (f"; did you mean {hint}?" if hint else ".")) from None
    kw.setdefault("name", f"{addr.straatnaam} {addr.huisnr}")
    return PlannedSite(site_id, x=addr.x, y=addr.y, **kw)


def site_at_point(x: float, y: float, site_id: str, **kw: Any) -> PlannedSite:
    """A site at a point (EPSG:31370), e.g. a click on the map."""
    kw.setdefault("name", site_id)
    return PlannedSite(site_id, x=float(x), y=float(y), **kw)


def check_planned_site(geo: Any, site: PlannedSite, main: bool = True) -> None:
    """Refuse a site outside Genk, without rooms, with unparseable opening hours or unknown providers (nl/en)."""
    check_site(geo, Site(site.name or site.site_id, site.x, site.y, float(site.places), site.name))  # named as typed
    if not site.rooms:
        raise PlannerError(f"Site '{site.name}': geef minstens één ruimte met plaatsen (bv. 'keuken 12').",
                           f"Site '{site.name}': give at least one room with places (e.g. 'kitchen 12').")
    for r in site.rooms:
        if r.capacity < 1:
            raise PlannerError(f"Site '{site.name}', ruimte '{r.name}': een ruimte zonder plaatsen kan niets huisvesten.",
                               f"Site '{site.name}', room '{r.name}': a room without places can hold nothing.")
    hours = site.hours_per_week  # raises PlannerError when it does not parse
    if hours > 98:
        raise PlannerError(f"Site '{site.name}': {hours:.0f} openingsuren per week; hoogstens 98.",
                           f"Site '{site.name}': {hours:.0f} opening hours a week; at most 98.")
    known = {p.value for p in ProviderType}
    bad = [p for p in (*site.permanent, *site.guests) if p not in known]
    if bad:
        raise PlannerError(f"Site '{site.name}': onbekende aanbieders {bad}.", f"Site '{site.name}': unknown providers {bad}.")


def check_layout(geo: Any, layout: Layout) -> None:
    """Every site of the layout is usable, ids are unique and no two sites are on one spot (nl/en)."""
    if not layout.sites:
        raise PlannerError(f"Opstelling '{layout.name}' heeft geen sites; voeg er een toe.",
                           f"Layout '{layout.name}' has no sites; add one.")
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9 _.:()+-]{0,79}$", layout.name):
        raise PlannerError(f"'{layout.name[:60]}' is geen geldige naam (letters, cijfers, spatie, - _ . : ( ) +).",
                           f"'{layout.name[:60]}' is not a valid name (letters, digits, space, - _ . : ( ) +).")
    ids = [s.site_id for s in layout.sites]
    if len(set(ids)) != len(ids):
        raise PlannerError("Twee sites hebben dezelfde naam-code; geef elke site een eigen code.",
                           "Two sites share an id; give every site its own id.")
    for i, site in enumerate(layout.sites):
        check_planned_site(geo, site, main=i == 0)
    for i, a in enumerate(layout.sites):
        for b in layout.sites[i + 1:]:
            if math.hypot(a.x - b.x, a.y - b.y) < max(SAME_SPOT_M, SAME_SPOT_METRES) or (a.venue_id and a.venue_id == b.venue_id):
                raise PlannerError(f"Sites '{a.name}' en '{b.name}' liggen op dezelfde plek; voeg ze samen of verplaats er één.",
                                   f"Sites '{a.name}' and '{b.name}' are on one spot; merge them or move one.")


# =========================================================================== layouts as scenarios
def schema_site_ids(layout: Layout) -> dict[str, str]:
    """Planner site id -> the scenario's site id: ``central_site`` for the main site, a unique slug for the others."""
    out = {layout.main.site_id: MAIN_SITE_ID}
    taken = {MAIN_SITE_ID}
    for s in layout.satellites:
        stem = re.sub(r"[^a-z0-9_-]+", "-", s.site_id.lower()).strip("-_")[:36] or "site"
        if not stem[0].isalnum():
            stem = f"s{stem}"
        sid, k = stem, 2
        while sid in taken:
            sid, k = f"{stem}-{k}", k + 1
        taken.add(sid)
        out[s.site_id] = sid
    return out


def _room_offers(site: PlannedSite, site_id: str) -> list[OfferSpec]:
    """A satellite without providers: one offer per room in the room's theme, timetabled at the site (model/site.py)."""
    place = PlaceSpec(kind="site", site_id=site_id)
    sessions = max(1, min(SATELLITE_SESSIONS_MAX, int(site.hours_per_week // SESSION_HOURS)))
    offers = []
    for k, room in enumerate(site.rooms):
        level = Level.ZIEN_DOEN if room.kind == "showcase_space" else Level.SAMEN_DOEN
        offers.append(OfferSpec(
            id=f"sat.{_slug(site.site_id)}.{k}", title=f"{site.name[:80]} · {room.name[:60]}"[:200],
            provider=site.name[:200], provider_type=ProviderType.NEIGHBOURHOOD_WORK, themes=[THEME_OF_ROOM[room.kind]],
            level=level, place=place, capacity_per_week=min(1000, room.capacity * sessions), hours_per_week=SESSION_HOURS))
    return offers


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-")[:60] or "site"


def _site_data(site: PlannedSite, template: dict) -> dict:
    """A planned site as the schema's site fields (on ``template``: the base scenario's central site)."""
    lon, lat = site.lonlat
    place = {"kind": "venue", "venue_id": site.venue_id} if site.venue_id else {"kind": "point", "lon": lon, "lat": lat}
    data = {**template, "enabled": True, "name": (site.name or site.site_id)[:100], "place": place,
            "rooms": [r.model_dump(mode="python") for r in site.rooms],
            "permanent_providers": [ProviderType(p) for p in site.permanent],
            "guest_providers": [ProviderType(p) for p in site.guests],
            "running_cost_eur_per_year": float(site.cost_eur_per_year)}
    by_day = opening_hours_by_day(site.opening_hours)
    if by_day is None:
        data.update(opening_hours=None, opening_hours_per_week=round(site.hours_per_week, 4))
    else:
        data["opening_hours"] = by_day
        data.pop("opening_hours_per_week", None)  # follows from the hours by day
    return data


def layout_to_scenario(layout: Layout, base: Scenario | None = None) -> Scenario:
    """The layout as a scenario: the main site is ``levers.central_site``, every other site one of ``levers.sites``.

    Each site keeps its place, rooms, opening hours by day (or a weekly total), permanent
    providers, guests and running cost; ``base`` (default: the layout's base scenario)
    gives everything a layout does not decide (share moved, guest period, showcases of the
    main site, uncertainties). Other sites have no showcases. A site with neither
    permanent providers nor guests holds one offer per room (:func:`_room_offers`,
    placed at the site and timetabled like any site offer). What the planner typed that the
    schema normalises (the opening-hours text, exact coordinates, its own site ids) is kept
    in one line ``[planner] {...}`` at the end of ``description``.
    """
    base = base if base is not None else load_scenario(layout.base)
    ids = schema_site_ids(layout)
    template = base.levers.central_site.model_dump(mode="python")
    main = _site_data(layout.main, template)
    others = []
    for s in layout.satellites:
        spec = _site_data(s, template)
        spec.update(id=ids[s.site_id], showcase_events_per_month=0.0, showcase_visitors_per_event=0)
        others.append(spec)
    kept = [o for o in base.levers.offers if not o.id.startswith("sat.")]
    house = [o for i, s in enumerate(layout.sites)
             if not (s.permanent or s.guests) and i > 0 for o in _room_offers(s, ids[s.site_id])]
    meta = {"base": layout.base, "title": layout.title,
            "sites": [{"id": s.site_id, "x": s.x, "y": s.y, "hours": s.opening_hours} for s in layout.sites]}
    text = (layout.title or f"Opstelling / layout {layout.name}")[:200]
    desc = (f"Opstelling van de siteplanner met {len(layout.sites)} site(s) / site-planner layout with "
            f"{len(layout.sites)} site(s).\n{_MARK}{json.dumps(meta, ensure_ascii=False, separators=(',', ':'))}")
    data = base.model_dump(mode="python")
    data.update(name=layout.name, title=text, description=desc[:5000])
    data["levers"]["central_site"] = main
    data["levers"]["sites"] = others
    data["levers"]["offers"] = [o.model_dump(mode="python") for o in (*kept, *house)]
    try:
        return validate_scenario(data, source=f"opstelling / layout {layout.name}")
    except ScenarioError as exc:  # say it in the planner's words, in both languages
        from model.scenario_io import render_error

        raise PlannerError(f"Opstelling '{layout.name}' past niet in het scenarioschema: {render_error(exc, 'nl', sep='; ')}",
                           f"Layout '{layout.name}' does not fit the scenario schema: {render_error(exc, 'en', sep='; ')}") \
            from None


def _site_xy(site: SiteBase, geo: Any | None) -> tuple[float, float]:
    if site.place.kind == "venue":
        if geo is None:
            from model.geography import load_genk

            geo = load_genk()
        if site.place.venue_id not in geo.venues.index:
            raise PlannerError(f"Locatie {site.place.venue_id!r} is niet bekend.", f"Venue {site.place.venue_id!r} is not known.")
        row = geo.venues.loc[site.place.venue_id]
        return float(row["x"]), float(row["y"])
    if site.place.kind == "point":
        x, y = _TO_LAMBERT.transform(site.place.lon, site.place.lat)
        return float(x), float(y)
    raise PlannerError("Dit scenario heeft geen centrale site op een plek.", "This scenario has no central site at a place.")


def _planned(site: SiteBase, site_id: str, geo: Any | None, typed: dict | None) -> PlannedSite:
    """A schema site as the planner's site; what the planner typed (hours text, exact x/y) wins where it still agrees."""
    hours = opening_hours_text(site)
    x = y = None
    if typed:
        tx, ty = float(typed.get("x", np.nan)), float(typed.get("y", np.nan))
        if site.place.kind == "point" and np.isfinite(tx) and np.isfinite(ty):
            lon, lat = _TO_WGS84.transform(tx, ty)
            if lonlat_metres((lon, lat), (site.place.lon, site.place.lat)) < 1.0:
                x, y = tx, ty  # the exact point, not its rounding through WGS84
        elif site.place.kind == "venue" and geo is None and np.isfinite(tx):
            x, y = tx, ty
        text = str(typed.get("hours", ""))
        try:
            if text and abs(weekly_hours(text) - site.opening_hours_per_week) < 1e-6 \
                    and opening_hours_by_day(text) == site.opening_hours:
                hours = text
        except PlannerError:
            pass
    if x is None:
        x, y = _site_xy(site, geo)
    return PlannedSite(site_id, site.name, x, y, tuple(site.rooms), hours,
                       tuple(p.value for p in site.permanent_providers), tuple(p.value for p in site.guest_providers),
                       site.place.venue_id if site.place.kind == "venue" else None, float(site.running_cost_eur_per_year))


def layout_from_scenario(scenario: Scenario, geo: Any | None = None) -> Layout:
    """Read a layout back from a scenario written by :func:`layout_to_scenario` (or any scenario with a site)."""
    meta = None
    for line in scenario.description.splitlines():
        if line.startswith(_MARK):
            try:
                meta = json.loads(line[len(_MARK):])
            except json.JSONDecodeError:
                meta = None
    cs = scenario.levers.central_site
    typed = list(meta.get("sites", [])) if isinstance(meta, dict) else []
    if typed and "rooms" in typed[0] and not scenario.levers.sites:
        return _legacy_layout(scenario, meta)
    if cs.place.kind not in ("venue", "point"):
        raise PlannerError("Dit scenario heeft geen centrale site op een plek.", "This scenario has no central site at a place.")
    schema_sites = [cs, *[s for s in scenario.levers.sites if s.enabled]]
    if len(typed) != len(schema_sites):
        typed = []
    sites = []
    for i, spec in enumerate(schema_sites):
        mine = typed[i] if typed else None
        site_id = str(mine["id"]) if mine else ("main" if i == 0 else spec.id)
        sites.append(_planned(spec, site_id, geo, mine))
    title = str(meta.get("title", "")) if isinstance(meta, dict) else scenario.title
    base = meta.get("base", BASE_SCENARIO) if isinstance(meta, dict) else scenario.name
    return Layout(scenario.name, tuple(sites), title, base)


def _legacy_layout(scenario: Scenario, meta: dict) -> Layout:
    """A layout saved before scenarios had other sites (satellites as offers at points): read from its planner line."""
    cs = scenario.levers.central_site
    sites = []
    for i, s in enumerate(meta["sites"]):
        rooms = tuple(RoomSpec(kind=k, capacity=int(c), name=n) for k, c, n in s["rooms"])
        extra = {"permanent": tuple(p.value for p in cs.permanent_providers),
                 "guests": tuple(p.value for p in cs.guest_providers)} if i == 0 else {}
        sites.append(PlannedSite(str(s["id"]), str(s["name"]), float(s["x"]), float(s["y"]), rooms, str(s["hours"]),
                                 venue_id=s.get("venue"), cost_eur_per_year=float(s.get("cost", 0.0)), **extra))
    return Layout(scenario.name, tuple(sites), str(meta.get("title", "")), meta.get("base", BASE_SCENARIO))


# =========================================================================== catchments without simulation
def engine_site_id(layout: Layout | str, site: PlannedSite | str) -> str:
    """The engine's id of a layout's site: ``<layout>/<site>``."""
    return f"{getattr(layout, 'name', layout)}/{getattr(site, 'site_id', site)}"


class LayoutCatchments:
    """Catchments and places per resident of several layouts on one :class:`CatchmentEngine`.

    Every site of every layout is a candidate of the engine (id ``<layout>/<site>``);
    :meth:`put` adds or updates a layout, moving a site recomputes only its column.
    """

    def __init__(self, geo: Any, layouts: Sequence[Layout] = (), *, modes: Sequence[AccessMode | str] = ACCESS_MODES,
                 low_means_share: float = 0.3, transit: Any = None) -> None:
        self.geo = geo
        self.engine = CatchmentEngine(geo, [], modes=modes, low_means_share=low_means_share, transit=transit)
        self.layouts: dict[str, Layout] = {}
        for layout in layouts:
            self.put(layout)

    def put(self, layout: Layout) -> None:
        """Add or update a layout: new sites are routed, moved sites re-routed, removed sites dropped."""
        e = self.engine
        old = self.layouts.get(layout.name)
        keep = {s.site_id for s in layout.sites}
        if old is not None:
            for s in old.sites:
                if s.site_id not in keep:
                    e.remove_site(engine_site_id(layout, s))
        new = []
        for s in layout.sites:
            sid = engine_site_id(layout, s)
            if sid in e.site_ids:
                cur = e.site(sid)
                if (cur.x, cur.y) != (s.x, s.y):
                    e.move_site(sid, s.x, s.y)
                if cur.places != s.places:
                    e.set_places(sid, s.places)
            else:
                new.append(Site(sid, s.x, s.y, float(s.places), s.name))
        e.add_sites(new)
        self.layouts[layout.name] = layout

    def drop(self, name: str) -> None:
        layout = self.layouts.pop(name, None)
        if layout is not None:
            for s in layout.sites:
                self.engine.remove_site(engine_site_id(layout, s))

    def move(self, name: str, site_id: str, x: float, y: float) -> Layout:
        """Move one site (one column re-routed) and return the updated layout."""
        layout = self.layouts[name]
        site = next(s for s in layout.sites if s.site_id == site_id)
        moved = replace(site, x=float(x), y=float(y), venue_id=None)
        check_site(self.geo, Site(site.name or site.site_id, float(x), float(y), float(site.places)))  # the planner's name
        self.engine.move_site(engine_site_id(layout, site), x, y)  # raises SiteError outside Genk
        self.layouts[name] = layout.with_site(moved)
        return self.layouts[name]

    def _ids(self, name: str) -> list[str]:
        layout = self.layouts[name]
        return [engine_site_id(layout, s) for s in layout.sites]

    def catchment_table(self, name: str, modes: Sequence[AccessMode | str] | None = None) -> pd.DataFrame:
        """Residents within each band of each site of a layout, per mode and group (tidy, ``site`` = site id)."""
        df = self.engine.catchments(self._ids(name), modes)
        df.insert(0, "layout", name)
        df["site"] = df.pop("site_id").str.split("/", n=1).str[1]
        return df

    def totals(self, name: str, modes: Sequence[AccessMode | str] | None = None) -> pd.DataFrame:
        """Wide: one row per site and mode, one column per band (residents within)."""
        df = self.catchment_table(name, modes)
        df = df[df["group_kind"] == "all"]
        wide = df.pivot_table(index=["site", "mode"], columns="band_minutes", values="residents", sort=False)
        wide.columns = [f"{int(b)} min" for b in wide.columns]
        return wide.reset_index()

    def layout_reach(self, name: str, modes: Sequence[AccessMode | str] | None = None) -> pd.DataFrame:
        """Per mode and band: residents and children within reach of any site of the layout (whole Genk)."""
        df = self.engine.reach_by_wijk(self._ids(name), modes)
        out = df.groupby(["mode", "band_minutes"], sort=False)[["residents", "residents_within", "youth",
                                                                 "youth_within"]].sum().reset_index()
        out["share_within"] = out["residents_within"] / out["residents"]
        out["youth_share_within"] = out["youth_within"] / out["youth"]
        out.insert(0, "layout", name)
        return out

    def reach_by_wijk(self, name: str, mode: AccessMode | str = AccessMode.WALK, band: float = 15.0) -> pd.DataFrame:
        """Each wijk's share of residents and of children and youth (0-17) within ``band`` minutes of any site."""
        df = self.engine.reach_by_wijk(self._ids(name), [mode])
        df = df[df["band_minutes"] == float(band)].drop(columns=["mode", "band_minutes"])
        df.insert(0, "layout", name)
        return df.reset_index(drop=True)

    def out_of_reach(self, name: str, mode: AccessMode | str = AccessMode.WALK, band: float = 15.0) -> list[str]:
        """The wijken nobody of which lives within ``band`` minutes of any site of the layout."""
        df = self.engine.wijken_out_of_reach(self._ids(name), [mode])
        return sorted(df.loc[df["band_minutes"] == float(band), "wijk"])

    def places_by_wijk(self, names: Sequence[str] | None = None, *, mode: AccessMode | str = AccessMode.WALK,
                       method: str = "2sfca", max_minutes: float = 30.0) -> pd.DataFrame:
        """2SFCA/E2SFCA places (at once) per 1,000 residents by wijk and group, for each layout."""
        frames = []
        for name in names or list(self.layouts):
            layout = self.layouts[name]
            places = {engine_site_id(layout, s): float(s.places) for s in layout.sites}
            df = self.engine.places_by_wijk(places, mode=mode, method=method, max_minutes=max_minutes)
            df.insert(0, "layout", name)
            df["places_per_1000"] = 1000 * df.pop("places_per_resident")
            frames.append(df)
        out = pd.concat(frames, ignore_index=True)
        out["mode"], out["method"] = AccessMode(mode).value, method
        return out

    def method(self, mode: AccessMode | str, lang: str = "nl") -> str:
        return self.engine.travel_time_method(mode, lang)


# =========================================================================== simulated use
@dataclass
class SimulatedUse:
    """Every layout run on the same seeds (common random numbers)."""

    layouts: dict[str, Layout]
    scenarios: dict[str, Scenario]
    seeds: list[int]
    weeks: int
    population_scale: float
    runs: dict[str, list] = field(repr=False)  # layout -> [Results] in seed order
    seconds: float = 0.0
    venues: Any = field(default=None, repr=False)  # the geography's venues (for the site timetable); None: Genk's
    _plans: dict = field(default_factory=dict, repr=False)
    _blocks: Any = field(default=None, repr=False)

    def plan(self, name: str):
        """The site timetable of a layout's scenario (pure: the same in every run)."""
        if name not in self._plans:
            from model.offers import build_offers

            venues = self.venues
            if venues is None:
                from model.geography import load_genk

                venues = load_genk().venues
            self._plans[name] = build_offers(self.scenarios[name], venues, horizon=self.weeks)[1]
        return self._plans[name]

    def blocks(self) -> pd.DataFrame:
        """Visitors per room per hour block: per layout, site, room, day and hour, the mean over seeds with an interval.

        Each run's people per site offer fill the offer's sessions in the timetable
        (:func:`model.site.visitors_by_block`; learners split over an offer's sessions): the
        run's own count (``Results.site_blocks``: people while they take part, the mean over
        the weeks the hour is booked) when it has one, else the weekly enrolment over the run. ``crowding`` is visitors over the room's places,
        ``demand_crowding`` (visitors + those turned away, per week) over places. Computed once.
        """
        if self._blocks is None:
            self._blocks = self._compute_blocks()
        return self._blocks

    def _compute_blocks(self) -> pd.DataFrame:
        frames = []
        for name, runs in self.runs.items():
            layout = self.layouts[name]
            per = []
            for r in runs:
                weekly = _weekly_enrolled(r, self.weeks)
                off = r.by_offer.set_index("offer_id") if len(r.by_offer) else pd.DataFrame(columns=["waitlisted"])
                waiting = off["waitlisted"].astype(float) / self.weeks if "waitlisted" in off else pd.Series(dtype=float)
                df = layout_blocks(layout, self.plan(name), weekly, weekly.add(waiting, fill_value=0.0))
                given = getattr(r, "site_blocks", None)  # the run's own count, when the model gives one
                if isinstance(given, pd.DataFrame) and len(given) and {"site", "room", "day", "hour", "visitors"} <= set(given):
                    to_planner = {v: k for k, v in schema_site_ids(layout).items()}
                    own = given.assign(site=[to_planner.get(x, x) for x in given["site"]])
                    own = own.set_index(["site", "room", "day", "hour"])["visitors"]
                    key = pd.MultiIndex.from_frame(df[["site", "room", "day", "hour"]])
                    waiting = df["demand"] - df["visitors"]  # those turned away, per block
                    df["visitors"] = own.reindex(key).fillna(0.0).to_numpy(float)
                    df["demand"] = df["visitors"] + waiting
                df["seed"] = r.seed
                per.append(df)
            if not per or not len(per[0]):
                continue
            df = pd.concat(per, ignore_index=True)
            keys = ["site", "site_name", "room", "room_kind", "day", "hour"]
            g = df.groupby(keys, sort=False)
            out = g[["places", "offers"]].first()
            stats = g["visitors"].apply(lambda v: _mean_interval(v.to_numpy(float), floor=0.0))
            out["visitors"] = [t[0] for t in stats]
            out["visitors_lo"] = [t[1] for t in stats]
            out["visitors_hi"] = [t[2] for t in stats]
            out["demand"] = g["demand"].mean()
            out = out.reset_index()
            out["crowding"] = np.where(out["places"] > 0, out["visitors"] / out["places"], np.nan)
            out["demand_crowding"] = np.where(out["places"] > 0, out["demand"] / out["places"], np.nan)
            out.insert(0, "layout", name)
            frames.append(out)
        cols = ["layout", "site", "site_name", "room", "room_kind", "day", "hour", "places", "offers", "visitors",
                "visitors_lo", "visitors_hi", "demand", "crowding", "demand_crowding"]
        return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)

    def sites(self) -> pd.DataFrame:
        """Per layout and site: running cost, places, participants and cost per participant (intervals over seeds).

        ``cost_per_participant_eur`` is the site's running cost over the run (its yearly cost
        × weeks / 52) divided by the participants in the site's offers in that run.
        """
        rows = []
        for name, runs in self.runs.items():
            layout = self.layouts[name]
            people = {s.site_id: [] for s in layout.sites}
            for r in runs:
                per = _site_rooms(r, layout, self.weeks).groupby("site")["participants"].sum()
                for sid, values in people.items():
                    values.append(float(per.get(sid, 0.0)))
            for s in layout.sites:
                v = np.array(people[s.site_id], float)
                cost = s.cost_eur_per_year * self.weeks / 52
                per_person = np.where(v > 0, cost / np.where(v > 0, v, 1.0), np.nan)
                pm, plo, phi = _mean_interval(v, floor=0.0)
                cm, clo, chi = _mean_interval(per_person, floor=0.0)
                rows.append({"layout": name, "site": s.site_id, "site_name": s.name, "places": s.places,
                             "hours_per_week": s.hours_per_week, "running_cost_eur_per_year": s.cost_eur_per_year,
                             "participants": pm, "participants_lo": plo, "participants_hi": phi,
                             "cost_per_participant_eur": cm, "cost_per_participant_eur_lo": clo,
                             "cost_per_participant_eur_hi": chi})
        return pd.DataFrame(rows)

    def _values(self, name: str, indicator: str) -> np.ndarray:
        if indicator == "site_cost_per_participant_eur":
            return np.array([self._site_cost(name, r) for r in self.runs[name]], float)
        return np.array([r.summary.get(indicator, np.nan) for r in self.runs[name]], float)

    def _site_cost(self, name: str, results) -> float:
        cost = self.layouts[name].cost_eur_per_year * self.weeks / 52
        people = float(_site_rooms(results)["participants"].sum())
        return cost / people if people > 0 else float("nan")

    def indicators(self, names: Sequence[str] = PLANNER_INDICATORS) -> pd.DataFrame:
        """Per layout and indicator: mean over seeds with a 90 % Student-t interval of the mean."""
        rows = []
        for layout in self.runs:
            for ind in (*names, "site_cost_per_participant_eur"):
                v = self._values(layout, ind)
                mean, lo, hi = _mean_interval(v)
                rows.append({"layout": layout, "indicator": ind, "mean": mean, "lo": lo, "hi": hi, "n": int(np.isfinite(v).sum())})
        return pd.DataFrame(rows)

    def unscheduled(self) -> pd.DataFrame:
        """Per layout, the site offers that found no free room hours (the same in every run: the timetable is pure)."""
        rows = [{"layout": name, "offer_id": o} for name, runs in self.runs.items() for o in runs[0].unscheduled]
        return pd.DataFrame(rows, columns=["layout", "offer_id"])

    def warnings(self) -> dict[str, list[str]]:
        """Per layout, the levers that cannot bite (``model.run.lever_warnings``), e.g. a site nobody holds an offer in."""
        return {name: list(runs[0].warnings) for name, runs in self.runs.items() if runs and runs[0].warnings}

    def compare(self, a: str, b: str, names: Sequence[str] = PLANNER_INDICATORS) -> pd.DataFrame:
        """``a`` minus ``b`` per indicator over paired seeds, with a 90 % interval and a verdict (inside the noise: unclear)."""
        rows = []
        for ind in (*names, "site_cost_per_participant_eur"):
            va, vb = self._values(a, ind), self._values(b, ind)
            diff, lo, hi = interval(va - vb)
            hib = INDICATORS[ind].higher_is_better if ind in INDICATORS else False
            rows.append({"indicator": ind, a: float(np.nanmean(va)) if np.isfinite(va).any() else np.nan,
                         b: float(np.nanmean(vb)) if np.isfinite(vb).any() else np.nan, "diff": diff, "lo": lo, "hi": hi,
                         "verdict": verdict(lo, hi, hib)})
        return pd.DataFrame(rows)

    def rooms(self) -> pd.DataFrame:
        """Per layout, site and room: places, sessions, hours, visitors, waiting list and crowding (intervals over seeds).

        ``visitors_per_week`` is the mean number taking part in the room's offers in a week,
        ``visitors_per_session`` the same per session (the room's hour block: the model's timetable
        counts weekly room hours, not days); ``booked_share`` is booked hours over opening hours;
        ``crowding`` is demand over places: (visitors per week + those turned away per week) / places.
        """
        frames = []
        for name, runs in self.runs.items():
            per = []
            for r in runs:
                df = _site_rooms(r, self.layouts[name], self.weeks)
                df["seed"] = r.seed
                per.append(df)
            df = pd.concat(per, ignore_index=True)
            keys = ["site", "room", "room_kind"]
            g = df.groupby(keys, sort=False)
            out = g[["places", "sessions_per_week", "hours_booked", "hours_open", "booked_share"]].first()
            for col in ("visitors_per_week", "visitors_per_session", "waitlisted", "crowding"):
                stats = g[col].apply(lambda s: _mean_interval(s.to_numpy(float), floor=0.0))
                out[col] = [t[0] for t in stats]
                out[f"{col}_lo"] = [t[1] for t in stats]
                out[f"{col}_hi"] = [t[2] for t in stats]
            out = out.reset_index()
            out.insert(0, "layout", name)
            frames.append(out)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def by_wijk(self, indicator: str = "reach") -> pd.DataFrame:
        """Uptake by wijk: per layout and wijk the mean of a wijk indicator with its interval over seeds."""
        rows = []
        for name, runs in self.runs.items():
            table = pd.concat([r.wijk_table()[indicator].rename(r.seed) for r in runs], axis=1)
            for wijk, vals in table.iterrows():
                mean, lo, hi = _mean_interval(vals.to_numpy(float), 0.0, 100.0 if indicator == "reach" else None)
                rows.append({"layout": name, "wijk": wijk, "indicator": indicator, "mean": mean, "lo": lo, "hi": hi})
        return pd.DataFrame(rows)

    def by_group(self) -> pd.DataFrame:
        """Uptake (reach, %) by age group and means group per layout, with intervals over seeds."""
        rows = []
        for name, runs in self.runs.items():
            frame = pd.concat([r.by_group.assign(seed=r.seed) for r in runs])
            frame = frame[(frame["indicator"] == "reach") & frame["grouping"].isin(["age_group", "means"])]
            for (grouping, group), sub in frame.groupby(["grouping", "group"], sort=False):
                mean, lo, hi = _mean_interval(sub["value"].to_numpy(float), 0.0, 100.0)
                rows.append({"layout": name, "grouping": grouping, "group": group, "mean": mean, "lo": lo, "hi": hi})
        return pd.DataFrame(rows)

    def wijk_difference(self, a: str, b: str, indicator: str = "reach") -> pd.DataFrame:
        """Per wijk ``a`` minus ``b`` over paired seeds with a 90 % interval; ``clear`` when it excludes 0."""
        ta = pd.concat([r.wijk_table()[indicator].rename(r.seed) for r in self.runs[a]], axis=1)
        tb = pd.concat([r.wijk_table()[indicator].rename(r.seed) for r in self.runs[b]], axis=1)
        few = pd.concat([r.wijk_table()["simulated_residents"] for r in (*self.runs[a], *self.runs[b])], axis=1).min(axis=1)
        rows = []
        for wijk in ta.index:
            diff, lo, hi = interval(ta.loc[wijk].to_numpy(float) - tb.loc[wijk].to_numpy(float))
            # too few simulated residents in a wijk: its change is never shown as clear (model.compare)
            enough = float(few.get(wijk, 0.0)) >= MIN_WIJK_RESIDENTS
            rows.append({"wijk": wijk, "diff": diff, "lo": lo, "hi": hi, "simulated_residents": float(few.get(wijk, 0.0)),
                         "clear": bool(enough and np.isfinite(lo) and np.isfinite(hi) and not lo <= 0 <= hi)})
        return pd.DataFrame(rows)


def _mean_interval(values: np.ndarray, floor: float | None = None, ceiling: float | None = None) -> tuple[float, float, float]:
    """Mean and 90 % Student-t interval of the mean (the same recipe as paired differences).

    ``floor``/``ceiling`` clip the interval to what the quantity can be (no negative visitors, no reach above 100 %).
    """
    mean, lo, hi = interval(np.asarray(values, float))
    if floor is not None and np.isfinite(lo):
        lo = max(lo, floor)
    if ceiling is not None and np.isfinite(hi):
        hi = min(hi, ceiling)
    return mean, lo, hi


def _weekly_enrolled(results, weeks: int | None = None) -> pd.Series:
    """Offer id -> learners enrolled in a week, the mean over the run's weeks."""
    weeks = weeks or results.weeks
    up = results.uptake
    return (up.groupby("offer_id")["participants"].sum() / weeks) if len(up) else pd.Series(dtype=float)


def _site_rooms(results, layout: Layout | None = None, weeks: int | None = None) -> pd.DataFrame:
    """One row per room of every site (main and others) with its bookings' places, visitors and waiting per week."""
    weeks = weeks or results.weeks
    weekly = _weekly_enrolled(results, weeks)
    to_planner = {v: k for k, v in schema_site_ids(layout).items()} if layout is not None else {}
    by_id = {s.site_id: s for s in layout.sites} if layout is not None else {}
    rows = []
    site = results.site
    if site is not None and not site.empty:
        for b in site.itertuples():
            schema_id = getattr(b, "site_id", MAIN_SITE_ID)
            sid = to_planner.get(schema_id, "main" if schema_id == MAIN_SITE_ID else schema_id)
            planned = by_id.get(sid)
            rows.append({"site": sid, "room": b.room, "room_kind": b.room_kind, "offer_id": b.offer_id,
                         "places": float(b.places), "sessions_per_week": float(b.sessions_per_week),
                         "hours_booked": float(b.hours_per_week),
                         "hours_open": planned.hours_per_week if planned is not None else np.nan,
                         "participants": float(b.participants), "visitors_per_week": float(weekly.get(b.offer_id, 0.0)),
                         "waitlisted": float(b.waitlisted)})
    cols = ["site", "room", "room_kind", "offer_id", "places", "sessions_per_week", "hours_booked", "hours_open",
            "participants", "visitors_per_week", "waitlisted"]
    df = pd.DataFrame(rows, columns=cols)
    g = df.groupby(["site", "room", "room_kind"], sort=False)
    out = g[["places", "participants", "visitors_per_week", "waitlisted"]].sum()
    out["sessions_per_week"] = g["sessions_per_week"].sum()
    out["hours_booked"] = g["hours_booked"].sum()
    out["hours_open"] = g["hours_open"].first()
    out = out.reset_index()
    # the room's weekly hours in use, and visitors per session (a session is one group in the room)
    out["booked_share"] = np.where(out["hours_open"] > 0, out["hours_booked"] / out["hours_open"], np.nan)
    out["visitors_per_session"] = np.where(out["sessions_per_week"] > 0, out["visitors_per_week"] / out["sessions_per_week"],
                                           np.nan)
    out["crowding"] = np.where(out["places"] > 0, (out["visitors_per_week"] + out["waitlisted"] / weeks) / out["places"],
                               np.nan)
    return out


def layout_timetable(layout: Layout, venues: pd.DataFrame, scenario: Scenario | None = None,
                     weeks: int | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The week's timetable of every site of a layout, before any run (the timetable is pure).

    Returns one row per session block (``site`` = the planner's site id, ``site_name, room,
    offer_id, title, role, day, start, end, places, start_week, end_week``), days and hours
    in order, and the site offers that found no free hours (unscheduled).
    """
    from model.offers import build_offers
    from model.scenario import DAYS

    scenario = scenario if scenario is not None else layout_to_scenario(layout)
    specs, plan = build_offers(scenario, venues, horizon=weeks or scenario.run.weeks)
    titles = {o.id: o.title for o in specs}
    to_planner = {v: k for k, v in schema_site_ids(layout).items()}
    names = {p.site_id: p.name for p in plan.parts()}
    rows = [{"site": to_planner.get(b.site_id, b.site_id), "site_name": names.get(b.site_id, ""), "room": b.room,
             "offer_id": b.offer_id, "title": titles.get(b.offer_id, b.offer_id), "role": b.role, "day": day,
             "start": start, "end": end, "places": b.places, "start_week": b.start_week, "end_week": b.end_week}
            for b in plan.bookings for day, start, end in b.blocks]
    cols = ["site", "site_name", "room", "offer_id", "title", "role", "day", "start", "end", "places", "start_week", "end_week"]
    frame = pd.DataFrame(rows, columns=cols)
    if len(frame):
        order = {d: i for i, d in enumerate(DAYS)}
        sites = {s.site_id: i for i, s in enumerate(layout.sites)}
        frame = frame.assign(_s=frame["site"].map(sites), _d=frame["day"].map(order)) \
            .sort_values(["_s", "room", "_d", "start", "start_week"], kind="stable").drop(columns=["_s", "_d"])
    return frame.reset_index(drop=True), list(plan.unscheduled)


def layout_blocks(layout: Layout, plan: Any, enrolled: Mapping[str, float] | pd.Series,
                  demand: Mapping[str, float] | pd.Series | None = None) -> pd.DataFrame:
    """Visitors per site, room, day and hour of one layout's timetable for given weekly enrolment (pure, no run).

    ``plan`` is the layout scenario's site plan (``model.offers.build_offers(...)[1]``);
    ``enrolled`` maps offer id to learners in a week, ``demand`` (optional) to learners
    plus those turned away in a week. Columns: ``site`` (the planner's site id),
    ``site_name, room, room_kind, day, hour, visitors, places, crowding, offers`` and,
    with ``demand``, ``demand`` and ``demand_crowding`` (demand over places).
    """
    from model.site import visitors_by_block

    to_planner = {v: k for k, v in schema_site_ids(layout).items()}
    out = visitors_by_block(plan, pd.Series(enrolled, dtype=float))
    if demand is not None:
        d = visitors_by_block(plan, pd.Series(demand, dtype=float))
        out["demand"] = d["visitors"].to_numpy()
        out["demand_crowding"] = np.where(out["places"] > 0, out["demand"] / out["places"], np.nan)
    out["site"] = [to_planner.get(s, s) for s in out["site"]]
    return out


def simulate_layouts(layouts: Sequence[Layout], n_seeds: int = 5, *, weeks: int | None = None,
                     population_scale: float | None = None, entropy: int = DEFAULT_ENTROPY,
                     run: Callable[..., Any] | None = None,
                     progress: Callable[[int, int], None] | None = None, venues: Any = None) -> SimulatedUse:
    """Run every layout on the same ``n_seeds`` replication seeds (common random numbers).

    Args:
        layouts: the candidate layouts (checked by :func:`layout_to_scenario`'s schema).
        n_seeds: replications per layout (at least 2 for an interval).
        weeks, population_scale: per run (default: the layouts' base scenario's).
        run: ``run(scenario, seed, weeks, scale)`` (default :func:`model.run.run_scenario`; the app passes its cache).
        progress: ``progress(i, n)`` after each of the n runs.
        venues: the geography's venues, for the site timetable of :meth:`SimulatedUse.blocks` (default Genk's).
    """
    import time

    from model.run import run_scenario

    if run is None:
        def run(scenario, seed, weeks, scale):
            return run_scenario(scenario, seed=seed, weeks=weeks, population_scale=scale)
    t0 = time.perf_counter()
    scenarios = {l.name: layout_to_scenario(l) for l in layouts}
    first = next(iter(scenarios.values()))
    weeks = int(weeks or first.run.weeks)
    scale = float(population_scale or first.run.population_scale)
    seeds = replication_seeds(n_seeds, entropy)
    runs: dict[str, list] = {}
    n, i = len(scenarios) * len(seeds), 0
    for name, scenario in scenarios.items():
        runs[name] = []
        for seed in seeds:
            runs[name].append(run(scenario, seed, weeks, scale))
            i += 1
            if progress:
                progress(i, n)
    return SimulatedUse({l.name: l for l in layouts}, scenarios, seeds, weeks, scale, runs, time.perf_counter() - t0,
                        venues=venues)


# =========================================================================== robustness
@dataclass
class Robustness:
    """For each ordered pair of layouts, the share of uncertainty samples in which the first beats the second."""

    indicator: str
    higher_is_better: bool
    samples: pd.DataFrame  # run_id, seed, parameters..., one column per layout (the indicator)
    parameters: tuple[str, ...]

    def wins(self) -> pd.DataFrame:
        """Columns ``layout, other, share_better, share_tied, n`` (shares 0-1)."""
        names = [c for c in self.samples.columns if c not in {"run_id", "point_id", "replication", "seed", *self.parameters}]
        rows = []
        for a in names:
            for b in names:
                if a == b:
                    continue
                va, vb = self.samples[a].to_numpy(float), self.samples[b].to_numpy(float)
                ok = np.isfinite(va) & np.isfinite(vb)
                better = (va > vb) if self.higher_is_better else (va < vb)
                tied = np.isclose(va, vb, rtol=1e-12, atol=1e-12)
                n = int(ok.sum())
                rows.append({"layout": a, "other": b, "share_better": float((better & ok & ~tied).sum() / n) if n else np.nan,
                             "share_tied": float((tied & ok).sum() / n) if n else np.nan, "n": n})
        return pd.DataFrame(rows)


def robustness_study(name: str, base_path: Path, indicator: str, n_samples: int, weeks: int, scale: float, seed: int,
                     parameters: Sequence[str] = ROBUSTNESS_PARAMETERS):
    """The study of one layout: an LHS over the behavioural uncertainties (the same samples for every layout)."""
    from model.experiments import validate_study

    return validate_study({"name": f"robust-{_slug(name)}", "base_scenario": str(base_path), "parameters": list(parameters),
                           "design": {"method": "lhs", "n": int(n_samples)}, "replications": 1, "seed": int(seed),
                           "outputs": [indicator], "weeks": int(weeks), "population_scale": float(scale)})


def robustness(layouts: Sequence[Layout], folder: str | Path, *, indicator: str = "reach", n_samples: int = 8,
               weeks: int = 26, population_scale: float = 0.02, seed: int = 0,
               parameters: Sequence[str] = ROBUSTNESS_PARAMETERS, client: Any = None, serial: bool = False,
               n_workers: int = 2, progress: Callable[[int, int], None] | None = None) -> Robustness:
    """Run the same small design for every layout through :func:`model.experiments.run_study` and pair the samples.

    Every layout gets the same sample points and seeds (same design seed), so sample *k* of
    two layouts is the same world with a different layout. Dask: a ``client`` given, else a
    ``LocalCluster(n_workers, threads_per_worker=1)`` started once for all layouts;
    ``serial=True`` runs a plain loop (the oracle of the Dask path).
    """
    from model.experiments import run_study

    if indicator not in INDICATORS:
        raise ValueError(f"indicator {indicator!r} is not one of {', '.join(INDICATORS)}")
    folder = Path(folder)
    own = None
    if client is None and not serial:
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               host="127.0.0.1")
        own = client = Client(cluster)
    try:
        merged: pd.DataFrame | None = None
        done = [0]
        for i, layout in enumerate(layouts):
            scenario = layout_to_scenario(layout)
            path = folder / "scenarios" / f"{_slug(layout.name)}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(scenario.to_yaml(), encoding="utf-8")
            study = robustness_study(layout.name, path, indicator, n_samples, weeks, population_scale, seed, parameters)

            def tick(d: int, t: int, i: int = i) -> None:
                if progress:
                    progress(i * t + d, len(layouts) * t)

            res = run_study(study, folder / _slug(layout.name), client=client, serial=serial, progress=tick)
            ok = res.runs.set_index("run_id")
            if "status" in ok.columns and (ok["status"] != "ok").any():
                bad = ok[ok["status"] != "ok"]
                raise RuntimeError(f"robustness: {len(bad)} run(s) of layout {layout.name!r} failed: "
                                   f"{bad.iloc[0].get('error', '')}")
            col = ok[[indicator]].rename(columns={indicator: layout.name})
            if merged is None:
                merged = ok[["seed", *parameters]].join(col)
            else:
                merged = merged.join(col)
        assert merged is not None
        hib = INDICATORS[indicator].higher_is_better
        return Robustness(indicator, hib is not False, merged.reset_index(), tuple(parameters))
    finally:
        if own is not None:
            cluster = own.cluster
            own.close()
            cluster.close()


# =========================================================================== example layouts
def example_layouts(geo: Any) -> list[Layout]:
    """Two layouts to start from: Regina Mundi as the concept note plans it, and a smaller hub plus three satellites."""
    base = load_scenario(BASE_SCENARIO)
    cs = base.levers.central_site
    kinds = ["showcase_space", "maker_space", "kitchen", "practice_room", "club_room"]
    rooms = tuple(RoomSpec(name=r.name, kind=kinds[i % len(kinds)], capacity=r.capacity) for i, r in enumerate(cs.rooms))
    rm = site_at_venue(geo, "regina_mundi", "rm", name="Regina Mundi", rooms=rooms, opening_hours="ma-vr 9-21; za 10-16",
                       permanent=tuple(p.value for p in cs.permanent_providers),
                       guests=tuple(p.value for p in cs.guest_providers), cost_eur_per_year=400_000)
    hub = replace(rm, rooms=rooms[:3], opening_hours="ma-vr 9-18", cost_eur_per_year=250_000)
    sat_rooms = (RoomSpec(name="wijkzaal", kind="club_room", capacity=20), RoomSpec(name="keuken", kind="kitchen", capacity=12))
    sats = [site_at_venue(geo, v, sid, name=n, rooms=sat_rooms, opening_hours="di,do 14-18; za 10-13", cost_eur_per_year=40_000)
            for v, sid, n in (("het_kliniekske", "winterslag", "Winterslag (Kliniekske)"),
                              ("ocmw_wijkcentrum", "waterschei", "Waterschei (wijkcentrum)"),
                              ("de_regenboog", "zwartberg", "Zwartberg (De Regenboog)"))]
    return [Layout("regina-mundi", (rm,), "Regina Mundi als centrale leerplek / Regina Mundi as the hub"),
            Layout("hub-en-satellieten", (hub, *sats), "Kleinere hub + satellieten / smaller hub + satellites")]


__all__ = ["BASE_SCENARIO", "LayoutCatchments", "Layout", "PLANNER_INDICATORS", "PlannedSite", "PlannerError",
           "ROBUSTNESS_PARAMETERS", "ROOM_LABELS", "Robustness", "SimulatedUse", "check_layout", "check_planned_site",
           "duplicate_layout", "engine_site_id", "example_layouts", "layout_blocks", "layout_from_scenario",
           "layout_timetable", "layout_to_scenario", "opening_hours_by_day", "schema_site_ids",
           "parse_opening_hours", "robustness", "rooms_from_text", "rooms_to_text", "simulate_layouts", "site_at_address",
           "site_at_point", "site_at_venue", "weekly_hours"]
