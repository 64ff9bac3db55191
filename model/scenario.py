"""The scenario schema: every parameter of the model, typed, bounded and described once.

A scenario has two halves, as in the EMA Workbench:

- :class:`Levers`: what a workshop decides (offers and their placement, the central
  site, the wegwijzer channels, mentor hours, the club budget, playlists and badges,
  peer groups);
- :class:`Uncertainties`: behavioural parameters nobody controls (how far people
  travel, how much friends matter, how often someone completes an activity).

Each numeric field declares its bounds (``ge``/``le``), its unit and Dutch/English
labels in ``json_schema_extra``; the workshop app derives its widgets and the
experiments layer its sampling ranges from these declarations (see
:func:`numeric_fields`). Scenario files are YAML in ``scenarios/``; unknown keys and
out-of-range values are refused with the file, the key path and the allowed range.
"""
from __future__ import annotations

import copy
import difflib
import math
import re
from typing import Any, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator
from pydantic_core import PydanticCustomError

from model.domain import Level, Opportunity, ProviderType, Theme


class ScenarioError(ValueError):
    """A scenario that does not validate. The message names where and how to fix it."""


def _f(default: Any, lo: float | None, hi: float | None, unit: str, nl: str, en: str, description: str, **kw: Any):
    """A bounded field with unit, Dutch and English label and a one-line meaning."""
    extra = {"unit": unit, "label_nl": nl, "label_en": en}
    return Field(default, ge=lo, le=hi, description=description, json_schema_extra=extra, **kw)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, use_enum_values=False)


# --------------------------------------------------------------------------- places and offers
class PlaceSpec(_Strict):
    """Where an offer happens: a venue of the catalogue, the main site, another site, online, or a point."""

    kind: Literal["venue", "central_site", "site", "online", "point"] = "venue"
    venue_id: str | None = Field(None, description="venue_id from data/providers.csv (kind=venue)")
    site_id: str | None = Field(None, description="id of one of levers.sites (kind=site)")
    lon: float | None = Field(None, ge=5.3, le=5.7, description="longitude WGS84 (kind=point)")
    lat: float | None = Field(None, ge=50.85, le=51.1, description="latitude WGS84 (kind=point)")

    @model_validator(mode="before")
    @classmethod
    def _main_site_by_id(cls, data: Any) -> Any:
        """``{kind: site, site_id: central_site}`` is the main site: the same as ``{kind: central_site}``."""
        if isinstance(data, dict) and data.get("kind") == "site" and data.get("site_id") == MAIN_SITE_ID:
            return {**data, "kind": "central_site", "site_id": None}
        return data

    @model_validator(mode="after")
    def _complete(self) -> "PlaceSpec":
        if self.kind == "venue" and not self.venue_id:
            raise PydanticCustomError("venue_needs_id", "a place of kind 'venue' needs venue_id (a venue_id from data/providers.csv)")
        if self.kind == "point" and (self.lon is None or self.lat is None):
            raise PydanticCustomError("point_needs_lonlat", "a place of kind 'point' needs lon and lat (WGS84, inside Genk)")
        if self.kind == "site" and not self.site_id:
            raise PydanticCustomError("site_needs_id", "a place of kind 'site' needs site_id (the id of one of levers.sites)")
        return self

    @property
    def at_a_site(self) -> bool:
        """Whether the place is one of the scenario's sites (the main one or another)."""
        return self.kind in ("central_site", "site")

    @property
    def site_key(self) -> str | None:
        """The id of the site the place is (``central_site`` for the main site), None for other places."""
        if self.kind == "central_site":
            return MAIN_SITE_ID
        return self.site_id if self.kind == "site" else None

    def describe(self) -> str:
        if self.kind == "venue":
            return f"venue {self.venue_id}"
        if self.kind == "point":
            return f"point ({self.lon:.5f}, {self.lat:.5f})"
        if self.kind == "site":
            return f"site {self.site_id}"
        return self.kind


class OfferSpec(_Strict):
    """A learning offer (aanbod) placed by a workshop or generated from the catalogue."""

    id: str = Field(..., min_length=1, max_length=160, pattern=r"^[A-Za-z0-9_.:-]+$", description="stable identifier")
    title: str = Field("", max_length=200)
    provider: str = Field("", max_length=200, description="provider name or venue_id")
    provider_type: ProviderType = ProviderType.CITY_SERVICE
    themes: list[Theme] = Field(..., min_length=1, max_length=5)
    level: Level = Level.SAMEN_DOEN
    age_min: int = _f(0, 0, 100, "jaar", "Leeftijd vanaf", "Age from", "youngest age admitted")
    age_max: int = _f(100, 0, 110, "jaar", "Leeftijd tot", "Age to", "oldest age admitted")
    place: PlaceSpec
    capacity_per_week: int = _f(15, 1, 1000, "plaatsen", "Capaciteit", "Capacity", "participants at once")
    duration_weeks: int = _f(8, 1, 52, "weken", "Duur", "Duration", "weeks one participation lasts")
    start_week: int = _f(1, 1, 260, "week", "Startweek", "Start week", "first week the offer runs")
    end_week: int = _f(260, 1, 260, "week", "Eindweek", "End week", "last week the offer accepts newcomers")
    hours_per_week: float = _f(2.0, 0.25, 40, "uur/week", "Uren per week", "Hours per week", "room hours used per week")
    price_eur: float = _f(0.0, 0, 2000, "EUR", "Prijs", "Price", "price of one participation (0 = free)")
    awards_badge: bool = Field(False, description="a badge is earned on completion")

    @field_serializer("level", when_used="json")
    def _level_slug(self, level: Level) -> str:
        return level.slug

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Level:
        level = Level.from_slug(value)
        if level == Level.GEEN:
            raise ValueError("an offer's level must be zien_doen, samen_doen or zelf_doen")
        return level

    @model_validator(mode="after")
    def _ranges(self) -> "OfferSpec":
        if self.age_min > self.age_max:
            raise PydanticCustomError("age_order", "age_min ({age_min}) is above age_max ({age_max}); swap them",
                                      {"age_min": self.age_min, "age_max": self.age_max})
        if self.start_week > self.end_week:
            raise PydanticCustomError("week_order", "start_week ({start_week}) is after end_week ({end_week})",
                                      {"start_week": self.start_week, "end_week": self.end_week})
        return self

    @property
    def is_paid(self) -> bool:
        return self.price_eur > 0


# --------------------------------------------------------------------------- levers
class CatalogueSpec(_Strict):
    """Today's scattered offer, generated from the provider catalogue (data/providers.csv)."""

    enabled: bool = Field(True, description="generate the providers' own current offers")
    offers_per_provider: float = _f(1.0, 0, 3, "x", "Aanbod per aanbieder", "Offer per provider", "scale of the catalogue offer (1 = today's)")
    removed_offers: list[str] = Field(default_factory=list, description="ids of catalogue offers removed by the workshop")


#: Kinds of rooms a site can have (seed §2.1: oefenruimtes, maakleerplekken, keuken, tuin, toonplaatsen, clubruimte).
ROOM_KINDS: tuple[str, ...] = ("practice_room", "maker_space", "kitchen", "garden", "showcase_space", "club_room")
RoomKind = Literal["practice_room", "maker_space", "kitchen", "garden", "showcase_space", "club_room"]


#: The main site's id (``levers.central_site``); the other sites' ids are theirs (``levers.sites[i].id``).
MAIN_SITE_ID = "central_site"

#: Days of the week, in order, by their keys in ``opening_hours``.
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Dutch (and spelled-out) day keys accepted for ``opening_hours``, normalised to :data:`DAYS`.
DAY_ALIASES: dict[str, str] = {
    **{d: d for d in DAYS},
    "ma": "mon", "di": "tue", "wo": "wed", "do": "thu", "vr": "fri", "za": "sat", "zo": "sun",
    "maandag": "mon", "dinsdag": "tue", "woensdag": "wed", "donderdag": "thu", "vrijdag": "fri", "zaterdag": "sat",
    "zondag": "sun", "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
    "saturday": "sat", "sunday": "sun",
}
#: Day names for screens (Dutch, English).
DAY_LABELS: dict[str, tuple[str, str]] = {
    "mon": ("ma", "Mon"), "tue": ("di", "Tue"), "wed": ("wo", "Wed"), "thu": ("do", "Thu"), "fri": ("vr", "Fri"),
    "sat": ("za", "Sat"), "sun": ("zo", "Sun"),
}
#: The hour the default weekly pattern opens (when a site gives only ``opening_hours_per_week``).
DEFAULT_OPENING_HOUR = 9
_HOURS_FORM = "'09:00-12:00, 13:00-17:00' or '9-17'"
_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*$")


def _minute_of_day(text: str) -> int | None:
    match = _TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if minute >= 60 or hour > 24 or (hour == 24 and minute):
        return None
    return hour * 60 + minute


def parse_day_hours(text: str, day: str = "") -> tuple[tuple[int, int], ...]:
    """Opening intervals of one day as (start, end) minutes after midnight, sorted.

    Accepts ``"09:00-12:00, 13:00-17:00"``, ``"9-17"``, ``"9.30-12"``, ``"9u-12u30"``;
    intervals separated by ``,`` or ``;``; an empty text (or ``"-"``,
    ``"closed"``, ``"gesloten"``) is closed. Raises ``PydanticCustomError``
    (``opening_hours_text``) naming the day, the text and the accepted form.
    """
    def refuse(why_en: str, why_nl: str):
        return PydanticCustomError(
            "opening_hours_text",
            "opening hours of {day} '{text}' do not parse ({why_en}); write them as " + _HOURS_FORM,
            {"day": day, "text": str(text)[:60], "why_en": why_en, "why_nl": why_nl})

    if not isinstance(text, str):
        raise refuse("not text", "geen tekst")
    cleaned = text.strip().lower().replace("\u2013", "-").replace("\u2014", "-")
    cleaned = re.sub(r"(\d)\s*u\s*(\d)", r"\1:\2", cleaned)
    cleaned = re.sub(r"(\d)\s*u\b", r"\1", cleaned)
    if cleaned in ("", "-", "closed", "gesloten", "geslote", "dicht"):
        return ()
    out: list[tuple[int, int]] = []
    for part in re.split(r"[,;]", cleaned):
        if not part.strip():
            continue
        bits = part.split("-")
        if len(bits) != 2:
            raise refuse(f"{part.strip()!r} is not from-to", f"{part.strip()!r} is geen van-tot")
        start, end = _minute_of_day(bits[0]), _minute_of_day(bits[1])
        if start is None or end is None:
            raise refuse(f"{part.strip()!r} is not a time of day", f"{part.strip()!r} is geen uur van de dag")
        if end <= start:
            raise refuse(f"{part.strip()!r} ends before it starts", f"{part.strip()!r} eindigt voor het begint")
        out.append((start, end))
    out.sort()
    for (a0, a1), (b0, b1) in zip(out, out[1:]):
        if b0 < a1:
            raise refuse("two intervals overlap", "twee periodes overlappen")
    return tuple(out)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def hours_text(intervals: tuple[tuple[int, int], ...]) -> str:
    """The canonical text of a day's opening intervals (``"09:00-12:00, 13:00-17:00"``)."""
    return ", ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in intervals)


def default_opening_hours(hours_per_week: float) -> dict[str, tuple[tuple[int, int], ...]]:
    """The weekly pattern of a site that gives only its weekly hours: weekdays from 09:00, spread evenly.

    Whole hours are spread over Monday to Friday (the first days take the remainder), the
    fraction of an hour goes to the next day; above 75 hours (15 a weekday, to midnight)
    the weekend opens too. The pattern's total is exactly ``hours_per_week`` (to the minute).
    """
    minutes = int(round(hours_per_week * 60))
    if minutes <= 0:
        return {}
    days = DAYS[:5] if minutes <= 5 * 15 * 60 else DAYS
    whole, frac = divmod(minutes, 60)
    q, r = divmod(whole, len(days))
    per_day = [q * 60 + (60 if i < r else 0) for i in range(len(days))]
    if frac:
        per_day[r % len(days)] += frac
    start = DEFAULT_OPENING_HOUR * 60
    return {d: ((start, start + m),) for d, m in zip(days, per_day) if m > 0}


class RoomSpec(_Strict):
    """A room of a site: its kind decides which offers it suits, its places how many take part at once."""

    name: str = Field(..., min_length=1, max_length=80)
    kind: RoomKind = "club_room"
    capacity: int = _f(20, 1, 500, "personen", "Plaatsen in de zaal", "Room places", "people in the room at once")


class SiteBase(_Strict):
    """What every site has: a place, rooms, opening hours, permanent providers, guests, showcases, a running cost.

    Opening hours by day (``opening_hours: {mon: "09:00-12:00, 13:00-17:00", za: "10-16"}``;
    Dutch day keys are normalised) decide when a room can hold a session. When they are
    given, ``opening_hours_per_week`` is their total (leave it out, or give the same number;
    a different number is refused). When they are not given, the site is open
    ``opening_hours_per_week`` hours in the default pattern (:func:`default_opening_hours`).
    """

    enabled: bool = False
    name: str = "Regina Mundi"
    place: PlaceSpec = Field(default_factory=lambda: PlaceSpec(kind="venue", venue_id="regina_mundi"))
    opening_hours_per_week: float = _f(40.0, 0, 98, "uur/week", "Openingsuren", "Opening hours", "hours the site is open each week")
    opening_hours: dict[str, str] | None = Field(
        None, description="opening hours by day, e.g. {mon: '09:00-12:00, 13:00-17:00', sat: '10-16'}; "
        "days mon..sun or ma..zo; none given: opening_hours_per_week spread over weekdays from 09:00",
        json_schema_extra={"label_nl": "Openingsuren per dag", "label_en": "Opening hours by day"})
    rooms: list[RoomSpec] = Field(default_factory=lambda: [RoomSpec(name="zaal 1", capacity=25)], max_length=50)
    permanent_providers: list[ProviderType] = Field(default_factory=list, description="provider types resident on the site")
    guest_providers: list[ProviderType] = Field(default_factory=list, description="provider types visiting as guests")
    guest_weeks: int = _f(8, 1, 52, "weken", "Gastperiode", "Guest period", "weeks each guest stays before the next one")
    share_moved: float = _f(0.5, 0, 1, "aandeel", "Aandeel verhuisd aanbod", "Share of offer moved",
                            "share of a permanent provider's places that moves from its own venue to the site")
    showcase_events_per_month: float = _f(2.0, 0, 30, "per maand", "Toonmomenten", "Showcases", "zien doen events per month")
    showcase_visitors_per_event: int = _f(120, 0, 5000, "bezoekers", "Bezoekers per toonmoment", "Visitors per showcase",
                                          "residents who attend one showcase (the audience, at true scale)")
    running_cost_eur_per_year: float = _f(0.0, 0, None, "EUR/jaar", "Werkingskosten", "Running cost",
                                          "what the site costs a year to run (rent, staff, energy), for cost per participant",
                                          allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _weekly_hours_from_days(cls, data: Any) -> Any:
        """Normalise the day keys, parse each day, and set (or check) the weekly total."""
        if not isinstance(data, dict) or data.get("opening_hours") is None:
            return data
        given = data["opening_hours"]
        if not isinstance(given, dict):
            raise PydanticCustomError("opening_hours_form", "opening_hours must be days with hours, e.g. "
                                      "{{mon: '09:00-17:00', sat: '10-16'}}", {})
        days: dict[str, tuple[tuple[int, int], ...]] = {}
        for key, text in given.items():
            day = DAY_ALIASES.get(str(key).strip().lower())
            if day is None:
                raise PydanticCustomError("opening_hours_day", "opening_hours: '{day}' is not a day; use mon..sun or ma..zo",
                                          {"day": str(key)[:20], "known": ", ".join(DAYS)})
            if day in days:
                raise PydanticCustomError("opening_hours_twice", "opening_hours: {day} is given twice ('{key}'); keep one",
                                          {"day": day, "key": str(key)[:20]})
            days[day] = parse_day_hours(text if text is not None else "", day)
        total = sum(b - a for intervals in days.values() for a, b in intervals) / 60
        stated = data.get("opening_hours_per_week")
        if stated is not None and not isinstance(stated, bool) and isinstance(stated, (int, float)) \
                and abs(float(stated) - total) > 1e-6:
            raise PydanticCustomError(
                "opening_hours_mismatch", "opening_hours_per_week ({stated}) differs from the total of opening_hours "
                "({total} h); leave opening_hours_per_week out (it is derived) or make them agree",
                {"stated": float(stated), "total": round(total, 4)})
        normalised = {d: hours_text(days[d]) for d in DAYS if d in days and days[d]}
        return {**data, "opening_hours": normalised, "opening_hours_per_week": total}

    @model_validator(mode="after")
    def _a_site_is_a_venue_or_a_point(self) -> "SiteBase":
        if self.place.kind not in ("venue", "point"):
            raise PydanticCustomError("site_place_kind", "a site's place must be a venue or a point, not '{kind}'",
                                      {"kind": self.place.kind})
        return self

    @property
    def room_capacity(self) -> int:
        return sum(room.capacity for room in self.rooms)

    def week_hours(self) -> dict[str, tuple[tuple[int, int], ...]]:
        """Opening intervals per day (minutes after midnight), days in order; closed days left out."""
        if self.opening_hours is None:
            return default_opening_hours(self.opening_hours_per_week)
        return {d: parse_day_hours(self.opening_hours[d], d) for d in DAYS if d in self.opening_hours}

    def lonlat(self) -> tuple[float, float] | None:
        """WGS84 of a point site (None for a venue: the geography knows where it is)."""
        return (self.place.lon, self.place.lat) if self.place.kind == "point" else None


class CentralSiteSpec(SiteBase):
    """The main site, the hub (Regina Mundi by default): its id is ``central_site``."""

    @property
    def id(self) -> str:
        return MAIN_SITE_ID


class SiteSpec(SiteBase):
    """Another site beside the main one: a hub or a satellite (a cité's club room), with its own id."""

    id: str = Field(..., min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$",
                    description="a short slug (lower case, digits, - and _), unique among the sites")
    enabled: bool = True
    name: str = Field("satelliet", min_length=1, max_length=120)
    place: PlaceSpec

    @field_validator("id")
    @classmethod
    def _not_the_main_id(cls, value: str) -> str:
        if value == MAIN_SITE_ID:
            raise PydanticCustomError("site_id_reserved", "site id '{id}' is the main site's (levers.central_site); "
                                      "give this site another id", {"id": value})
        return value


#: Two sites closer than this (metres) are on one spot.
SAME_SPOT_METRES = 25.0


def lonlat_metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in metres between two WGS84 points (equirectangular, exact enough within a city)."""
    lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(b[0] - a[0]) * math.cos(lat) * 6_371_000
    dy = math.radians(b[1] - a[1]) * 6_371_000
    return math.hypot(dx, dy)


class WegwijzerSpec(_Strict):
    """Signposting (wegwijzer): website, a person at the desk, a magazine; shared overview."""

    website: bool = False
    desk: bool = False
    magazine: bool = False
    magazine_issues_per_year: int = _f(4, 0, 52, "nummers/jaar", "Magazine-nummers", "Magazine issues", "issues per year")
    shared_overview: bool = Field(False, description="every provider knows and shows the others' offers and refers onward")


class MentorSpec(_Strict):
    """Mentors who know the offer and help compose a learning path."""

    enabled: bool = False
    hours_per_week: float = _f(0.0, 0, 2000, "uur/week", "Mentoruren", "Mentor hours", "total mentor hours per week")
    hours_per_mentee: float = _f(1.0, 0.25, 10, "uur/week", "Uren per mentee", "Hours per mentee", "weekly hours one mentee takes")
    mentorship_weeks: int = _f(12, 1, 52, "weken", "Begeleidingsduur", "Mentorship length", "weeks a mentorship lasts")
    priority: Literal["less_autonomous", "low_means", "first_come"] = "less_autonomous"


class ClubSpec(_Strict):
    """Learning clubs (leerclubs) per wijk, with a club budget for paid offers."""

    enabled: bool = False
    budget_eur_per_year: float = _f(0.0, 0, 5_000_000, "EUR/jaar", "Clubbudget", "Club budget", "budget for paid offers of members who cannot pay")
    cap_per_member_eur: float = _f(150.0, 0, 5000, "EUR", "Maximum per lid", "Cap per member", "most the budget pays for one member in a year")
    means_test: bool = Field(True, description="only members with low means are paid for")
    priority: Literal["less_autonomous", "lowest_level", "first_come"] = "first_come"
    connected: bool = Field(False, description="clubs are connected: members, mentors, referrals and budgets shared across wijken")
    priority_reserved_share: float = _f(0.8, 0, 1, "aandeel", "Voorbehouden budget", "Reserved budget",
                                        "share of each year's budget kept for the priority group (when priority is not first_come)")
    membership_share: float = _f(0.5, 0, 1, "aandeel", "Lidmaatschap", "Membership", "share of residents who are club members")


class PlaylistSpec(_Strict):
    """Curated online playlists (LRNG): reach regardless of distance, need digital access."""

    enabled: bool = False
    n_playlists: int = _f(10, 0, 500, "playlists", "Aantal playlists", "Playlists", "online playlists on offer")
    awards_badge: bool = True
    age_min: int = _f(12, 0, 100, "jaar", "Leeftijd vanaf", "Age from", "youngest age a playlist targets")
    age_max: int = _f(30, 0, 110, "jaar", "Leeftijd tot", "Age to", "oldest age a playlist targets")

    @model_validator(mode="after")
    def _ages(self) -> "PlaylistSpec":
        if self.age_min > self.age_max:
            raise PydanticCustomError("age_order", "age_min ({age_min}) is above age_max ({age_max}); swap them",
                                      {"age_min": self.age_min, "age_max": self.age_max})
        return self


class BadgeSpec(_Strict):
    """Open badges earned on completion; they unlock a limited number of opportunities."""

    enabled: bool = False
    opportunity_places_per_year: int = _f(0, 0, 100_000, "plaatsen/jaar", "Kansen", "Opportunities", "internships, workshops, coaching per year")
    opportunity_kinds: list[Opportunity] = Field(default_factory=lambda: list(Opportunity))


class PeerGroupSpec(_Strict):
    """Peer-to-peer learning groups with hosts; matchmaking lets learners become teachers."""

    enabled: bool = False
    n_hosts: int = _f(0, 0, 1000, "hosts", "Hosts", "Hosts", "trained hosts of peer groups")
    group_size: int = _f(8, 2, 30, "personen", "Groepsgrootte", "Group size", "members per peer group")
    matchmaking: bool = Field(False, description="a matchmaking platform: residents at zelf doen start offers of their own")
    teacher_capacity: int = _f(8, 1, 50, "plaatsen", "Capaciteit nieuw aanbod", "Capacity of new offers", "places in an offer started by a learner")
    max_new_offers: int = _f(200, 0, 5000, "aanbod", "Max nieuw aanbod", "Max new offers", "upper limit on learner-made offers in a run")


class ProviderSpec(_Strict):
    """How providers adapt their offer to learners' questions and to each other's offer (seed §1)."""

    adaptation: bool = Field(True, description="providers review their offer every review period: grow, shrink, add a next step")
    review_weeks: int = _f(13, 1, 52, "weken", "Herzieningsritme", "Review rhythm", "weeks between a provider's reviews of its offer")
    growth_limit_share: float = _f(0.25, 0, 1, "aandeel", "Groeigrens", "Growth limit",
                                   "most an offer's places can grow at one review (share of its places)")


class Levers(_Strict):
    """What a workshop decides."""

    catalogue: CatalogueSpec = Field(default_factory=CatalogueSpec)
    offers: list[OfferSpec] = Field(default_factory=list, max_length=5000, description="offers placed by the workshop; an id of a catalogue offer replaces it")
    central_site: CentralSiteSpec = Field(default_factory=CentralSiteSpec)
    sites: list[SiteSpec] = Field(default_factory=list, max_length=20,
                                  description="other sites beside the main one (hubs, satellites), each with its own id")
    wegwijzer: WegwijzerSpec = Field(default_factory=WegwijzerSpec)
    mentors: MentorSpec = Field(default_factory=MentorSpec)
    clubs: ClubSpec = Field(default_factory=ClubSpec)
    playlists: PlaylistSpec = Field(default_factory=PlaylistSpec)
    badges: BadgeSpec = Field(default_factory=BadgeSpec)
    peer_groups: PeerGroupSpec = Field(default_factory=PeerGroupSpec)
    providers: ProviderSpec = Field(default_factory=ProviderSpec)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Levers":
        seen: set[str] = set()
        for i, offer in enumerate(self.offers):
            if offer.id in seen:
                raise PydanticCustomError("duplicate_id", "offers[{index}].id {id!r} is used twice; give each offer its own id",
                                          {"index": i, "id": offer.id})
            seen.add(offer.id)
        return self

    @model_validator(mode="after")
    def _sites_known_and_apart(self) -> "Levers":
        ids: list[str] = []
        for i, site in enumerate(self.sites):
            if site.id in ids:
                raise PydanticCustomError("duplicate_site_id", "sites[{index}].id '{id}' is used twice; give each site its own id",
                                          {"index": i, "id": site.id})
            ids.append(site.id)
        known = [MAIN_SITE_ID, *ids]
        for i, offer in enumerate(self.offers):
            if offer.place.kind == "site" and offer.place.site_id not in ids:
                raise PydanticCustomError(
                    "unknown_site_id", "offers[{index}].place.site_id '{site_id}' is not a site; known sites: {known}",
                    {"index": i, "site_id": str(offer.place.site_id)[:40], "known": ", ".join(known)})
        spots = [(f"central_site", self.central_site)] if self.central_site.enabled else []
        spots += [(f"sites[{i}]", s) for i, s in enumerate(self.sites) if s.enabled]
        for j, (key_b, b) in enumerate(spots):
            for key_a, a in spots[:j]:
                if same_spot(a.place, b.place):
                    raise PydanticCustomError(
                        "site_same_spot", "{first} ('{first_name}') and {second} ('{second_name}') are on one spot "
                        "({place}); two sites need two places (at least {metres} m apart): move one or switch it off",
                        {"first": key_a, "first_name": a.name[:40], "second": key_b, "second_name": b.name[:40],
                         "place": a.place.describe(), "metres": int(SAME_SPOT_METRES)})
        return self

    def all_sites(self) -> list[SiteBase]:
        """The enabled sites in order, the main site (id ``central_site``) first; each has ``.id``."""
        main = [self.central_site] if self.central_site.enabled else []
        return main + [site for site in self.sites if site.enabled]

    def site(self, site_id: str) -> SiteBase | None:
        """The site with this id (``central_site`` is the main one), enabled or not; None if there is none."""
        if site_id == MAIN_SITE_ID:
            return self.central_site
        return next((site for site in self.sites if site.id == site_id), None)

    def site_of(self, place: PlaceSpec) -> SiteBase | None:
        """The site a place is (``kind`` central_site or site), None for a venue, a point or online."""
        key = place.site_key
        return self.site(key) if key is not None else None


def same_spot(a: PlaceSpec, b: PlaceSpec) -> bool:
    """Whether two site places are one spot: the same venue, or points within :data:`SAME_SPOT_METRES`.

    A venue and a point can only be compared with the venues' coordinates (see
    ``model.site.plan_sites``, which checks that too).
    """
    if a.kind == "venue" and b.kind == "venue":
        return a.venue_id == b.venue_id
    if a.kind == "point" and b.kind == "point":
        return lonlat_metres((a.lon, a.lat), (b.lon, b.lat)) < SAME_SPOT_METRES
    return False


# --------------------------------------------------------------------------- uncertainties
class Uncertainties(_Strict):
    """Behavioural parameters nobody controls; a study varies them within these bounds."""

    search_prob_per_week: float = _f(0.12, 0.01, 0.6, "kans/week", "Zoekkans", "Search probability", "chance a fully curious resident looks for an activity in a week")
    autonomy_mean: float = _f(0.6, 0.2, 0.95, "0-1", "Autonomie (gemiddeld)", "Autonomy (mean)", "mean chance a resident acts on a step without help")
    low_means_share: float = _f(0.3, 0.05, 0.6, "aandeel", "Aandeel lage middelen", "Low-means share", "share of residents who cannot pay for offers")
    low_means_autonomy_penalty: float = _f(0.15, 0, 0.5, "0-1", "Autonomiekloof", "Autonomy gap", "lower autonomy of low-means residents")
    digital_access_share: float = _f(0.85, 0.3, 1.0, "aandeel", "Digitale toegang", "Digital access", "share of residents with digital access")
    distance_decay_per_min: float = _f(0.08, 0, 0.4, "1/min", "Afstandsverval", "Distance decay", "utility lost per minute of travel (adults)")
    child_distance_factor: float = _f(2.0, 1, 5, "x", "Afstandsfactor kinderen", "Child distance factor", "how much more children's choices decay with travel time")
    max_travel_minutes_adult: float = _f(30.0, 5, 90, "min", "Max reistijd volwassene", "Max travel adult", "longest trip an adult considers")
    max_travel_minutes_child: float = _f(15.0, 3, 60, "min", "Max reistijd kind", "Max travel child", "longest trip a child (under 12) considers")
    interest_weight: float = _f(2.0, 0, 6, "nut", "Gewicht interesse", "Interest weight", "utility of a full interest match")
    level_fit_weight: float = _f(1.5, 0, 6, "nut", "Gewicht niveau", "Level-fit weight", "utility of an offer at the next step of one's path")
    friend_weight: float = _f(1.0, 0, 5, "nut", "Gewicht vrienden", "Friends weight", "utility of friends taking part")
    price_weight: float = _f(0.02, 0, 0.2, "nut/EUR", "Prijsgevoeligheid", "Price sensitivity", "utility lost per euro for residents who can pay")
    friends_per_resident: float = _f(4.0, 0, 20, "vrienden", "Vrienden", "Friends", "mean number of local friends")
    friend_tell_prob: float = _f(0.05, 0, 0.5, "kans/week", "Mond-tot-mond", "Word of mouth", "weekly chance to hear of an offer a friend takes part in")
    initial_knowledge_prob: float = _f(0.3, 0, 1, "kans", "Initiële bekendheid", "Initial knowledge", "chance to know a nearby offer at the start")
    website_use_prob: float = _f(0.08, 0, 0.5, "kans/week", "Websitegebruik", "Website use", "weekly chance a digital resident consults the wegwijzer website")
    magazine_reach: float = _f(0.25, 0, 1, "aandeel", "Bereik magazine", "Magazine reach", "share of residents who read an issue")
    desk_referral_prob: float = _f(0.5, 0, 1, "kans", "Baliedoorverwijzing", "Desk referral", "chance the desk points a visitor to a fitting next offer")
    referral_prob: float = _f(0.3, 0, 1, "kans", "Doorverwijzing", "Referral", "chance a provider points a finishing participant to a next step")
    desk_visit_prob: float = _f(0.02, 0, 0.5, "kans/week", "Baliebezoek", "Desk visit", "weekly chance a resident walks in at a provider's desk near home (participant or not)")
    showcase_learn_prob: float = _f(0.4, 0, 1, "kans", "Toonmoment leert aanbod", "Showcase teaches an offer", "chance a showcase visitor learns of an offer at the site")
    showcase_inspiration: float = _f(0.3, 0, 1, "0-1", "Inspiratie toonmoment", "Showcase inspiration", "how far a showcase moves a visitor's interest towards its theme and raises curiosity (role models)")
    showcase_walk_minutes: float = _f(15.0, 1, 60, "min", "Toonmoment-afstand", "Showcase distance", "walking minutes over which a showcase's pull on visitors halves")
    next_step_prob: float = _f(0.3, 0, 1, "kans", "Volgende stap meteen", "Next step at once", "with the shared overview: chance a referred participant takes the next activity right away")
    completion_prob: float = _f(0.75, 0.1, 1, "kans", "Voltooiing", "Completion", "chance a participation is completed")
    playlist_completion_factor: float = _f(0.5, 0.05, 1, "x", "Voltooiing playlists", "Playlist completion", "completion of online playlists relative to offline offers")
    progression_prob: float = _f(0.6, 0, 1, "kans", "Doorgroeikans", "Progression", "chance that completing an offer at the next level moves one up the path")
    mentor_effect: float = _f(2.5, 1, 6, "x", "Mentoreffect", "Mentor effect", "how much a mentor raises the chance of taking the next step")
    peer_join_prob: float = _f(0.2, 0, 1, "kans/week", "Peergroep-deelname", "Peer-group joining", "weekly chance an eligible resident joins a peer group with room")
    peer_progress_prob: float = _f(0.05, 0, 0.5, "kans/week", "Peergroep-groei", "Peer-group progress", "weekly chance a peer-group member moves up a level")
    teacher_prob_per_week: float = _f(0.01, 0, 0.2, "kans/week", "Lerende wordt leraar", "Learner becomes teacher", "weekly chance a resident at zelf doen starts an offer (with matchmaking)")
    opportunity_uptake_prob: float = _f(0.5, 0, 1, "kans/week", "Kans benutten", "Opportunity uptake", "weekly chance a badge holder takes up an open opportunity")


# --------------------------------------------------------------------------- run settings
class RunSettings(_Strict):
    population_scale: float = _f(0.1, 0.005, 1.0, "aandeel", "Bevolkingsschaal", "Population scale", "share of Genk's residents simulated as agents")
    min_residents_per_wijk: int = _f(120, 0, 5000, "bewoners", "Minimum per wijk", "Minimum per wijk",
                                     "fewest simulated residents per wijk (weighted, so that small wijken are represented)")
    weeks: int = _f(52, 1, 260, "weken", "Pilootperiode", "Pilot period", "weeks simulated (one tick is one week)")
    knock_out: list[str] = Field(default_factory=list, max_length=40,
                                 description="mechanisms switched off for this run (model.mechanisms.MECHANISMS)")

    @field_validator("knock_out")
    @classmethod
    def _known_mechanisms(cls, names: list[str]) -> list[str]:
        from model.mechanisms import MECHANISMS

        unknown = [n for n in names if n not in MECHANISMS]
        if unknown:
            close = {n: difflib.get_close_matches(n, list(MECHANISMS), n=1) for n in unknown}
            hints = "; ".join(f"{n!r}" + (f" (did you mean {c[0]!r}?)" if c else "") for n, c in close.items())
            raise ValueError(f"unknown mechanism(s) {hints}; known: {', '.join(MECHANISMS)}")
        return sorted(dict.fromkeys(names))


class Scenario(_Strict):
    """A named design of the learning ecosystem plus the assumptions it is judged under."""

    name: str = Field("naamloos", min_length=1, max_length=120)
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=5000)
    levers: Levers = Field(default_factory=Levers)
    uncertainties: Uncertainties = Field(default_factory=Uncertainties)
    run: RunSettings = Field(default_factory=RunSettings)

    # ------------------------------------------------------------------ helpers
    def with_values(self, values: dict[str, Any]) -> "Scenario":
        """A copy with dotted-path values set (``{"uncertainties.friend_weight": 0}``), validated."""
        data = self.model_dump(mode="python")
        for path, value in values.items():
            node = data
            keys = path.split(".")
            for key in keys[:-1]:
                if not isinstance(node, dict) or key not in node:
                    raise ScenarioError(f"unknown parameter {path!r}: {_suggest(key, node if isinstance(node, dict) else {})}")
                node = node[key]
            if not isinstance(node, dict) or keys[-1] not in node:
                raise ScenarioError(f"unknown parameter {path!r}: {_suggest(keys[-1], node if isinstance(node, dict) else {})}")
            node[keys[-1]] = copy.deepcopy(value)  # never the caller's own dict: later paths write into it
            _couple_opening_hours(node, keys[-1], values, path)
        return validate_scenario(data, source="<values>")

    def to_yaml(self) -> str:
        return scenario_to_yaml(self)


def _couple_opening_hours(site: dict, key: str, values: dict[str, Any], path: str) -> None:
    """Keep a site's two opening-hours fields together when one of them is set by :meth:`Scenario.with_values`.

    Setting ``opening_hours`` makes the weekly total follow it; setting only
    ``opening_hours_per_week`` drops the by-day hours (the default pattern spreads the new total).
    """
    prefix = path[: -len(key)]
    if key == "opening_hours" and f"{prefix}opening_hours_per_week" not in values and site.get("opening_hours") is not None:
        site.pop("opening_hours_per_week", None)
    elif key == "opening_hours_per_week" and f"{prefix}opening_hours" not in values:
        site["opening_hours"] = None


# --------------------------------------------------------------------------- declarations
class NumericField:
    """One bounded numeric parameter, as widgets and samplers see it."""

    def __init__(self, path: str, annotation: type, default: Any, lo: float | None, hi: float | None, extra: dict, description: str):
        self.path, self.annotation, self.default = path, annotation, default
        self.lo, self.hi, self.description = lo, hi, description
        self.unit = extra.get("unit", "")
        self.label_nl = extra.get("label_nl", path)
        self.label_en = extra.get("label_en", path)

    @property
    def is_int(self) -> bool:
        return self.annotation is int

    def __repr__(self) -> str:
        return f"NumericField({self.path}, [{self.lo}, {self.hi}] {self.unit})"


def _bounds(info) -> tuple[float | None, float | None]:
    lo = hi = None
    for meta in info.metadata:
        lo = getattr(meta, "ge", lo) if getattr(meta, "ge", None) is not None else lo
        hi = getattr(meta, "le", hi) if getattr(meta, "le", None) is not None else hi
    return lo, hi


def numeric_fields(model: type[BaseModel], prefix: str = "") -> Iterator[NumericField]:
    """Every bounded int/float field of ``model`` and its nested sections, by dotted path."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from numeric_fields(ann, prefix=f"{path}.")
        elif ann in (int, float):
            lo, hi = _bounds(info)
            if lo is not None and hi is not None:
                extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
                yield NumericField(path, ann, info.default, lo, hi, extra, info.description or "")


def uncertainty_fields() -> dict[str, NumericField]:
    """The uncertainties by dotted path (``uncertainties.friend_weight``), for studies."""
    return {f.path: f for f in numeric_fields(Scenario) if f.path.startswith("uncertainties.")}


def lever_fields() -> dict[str, NumericField]:
    """The numeric levers by dotted path, for widgets and studies."""
    return {f.path: f for f in numeric_fields(Scenario) if f.path.startswith("levers.")}


# Reading and writing live in model.scenario_io; re-exported here for callers of the schema module.
from model.scenario_io import (  # noqa: E402  (after the classes it imports)
    _suggest,
    list_scenarios,
    load_scenario,
    scenario_from_yaml,
    scenario_to_yaml,
    validate_scenario,
)
