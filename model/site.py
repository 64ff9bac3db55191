"""The central site as a place: who moves in, which room each offer gets, and for how many.

The Regina Mundi concept (seed §2.1) is a hub with permanent actors and temporary
guests. Here the site is not free extra capacity:

- **Permanent providers move** part of their offer in: for each permanent provider type
  the real provider of that type nearest to the site (a venue of ``data/providers.csv``)
  moves ``share_moved`` of its places to the site; those places leave its own venue. A
  type with no located provider (a maker space, a craftsperson) is a newcomer: it opens
  its typical offer at the site.
- **Guests** hold their typical offer at the site for their period (``guest_weeks``),
  one guest type after the other; their home venue keeps its own offer (a guest period is
  a visit, not a move).
- **Rooms and opening hours bind.** Every site offer is timetabled into a room of a
  fitting kind (kitchen for eten, maker space for maken, garden for kweken, a practice
  room for ontspanning, the club room for denken; showcase space for zien doen offers),
  in sessions of the offer's ``hours_per_week`` within the room's weekly opening hours.
  An offer's places at the site are ``sessions × the room's places``, at most what the
  provider brings; an offer that finds no free hours is *unscheduled* and has no place.
  Demand beyond those places waits (the offer's waiting list) and is visible per room.

:func:`plan_site` is pure (no randomness): the same scenario gives the same timetable.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.domain import Level, ProviderType, Theme
from model.scenario import OfferSpec, PlaceSpec, RoomSpec, Scenario

#: Preferred room kind per theme (first choice), then any room.
ROOM_FOR_THEME: dict[Theme, str] = {
    Theme.ETEN: "kitchen", Theme.MAKEN_EN_ONTWERPEN: "maker_space", Theme.KWEKEN_EN_NATUUR: "garden",
    Theme.ONTSPANNING: "practice_room", Theme.DENKEN_EN_BESPREKEN: "club_room",
}


@dataclass(frozen=True)
class Booking:
    """One site offer's place in the timetable."""

    offer_id: str
    room: str
    room_kind: str
    sessions_per_week: int
    hours_per_week: float
    places: int
    start_week: int
    end_week: int
    role: str  # permanent, newcomer, guest, workshop


@dataclass
class SitePlan:
    """What the central site holds: its offers with the places the timetable gives them."""

    offers: list[OfferSpec] = field(default_factory=list)
    moved_from: dict[str, int] = field(default_factory=dict)  # catalogue offer id -> places moved away
    bookings: list[Booking] = field(default_factory=list)
    unscheduled: list[str] = field(default_factory=list)
    room_hours: dict[str, float] = field(default_factory=dict)  # room -> hours per week available

    def frame(self) -> pd.DataFrame:
        """One row per booking (room, offer, sessions, places, weeks)."""
        return pd.DataFrame([b.__dict__ for b in self.bookings])


def _room_order(offer: OfferSpec, rooms: list[RoomSpec]) -> list[int]:
    want = "showcase_space" if offer.level == Level.ZIEN_DOEN else ROOM_FOR_THEME[offer.themes[0]]
    first = [i for i, r in enumerate(rooms) if r.kind == want]
    return first + [i for i in range(len(rooms)) if i not in first]


class _Timetable:
    """Free room hours per week, per period (permanent bookings hold every period)."""

    def __init__(self, rooms: list[RoomSpec], hours: float) -> None:
        self.rooms = rooms
        self.hours = hours
        self.used: dict[tuple[int, int], float] = {}  # (room, period) -> hours used

    def free(self, room: int, periods: list[int]) -> float:
        return min(self.hours - self.used.get((room, p), 0.0) for p in periods)

    def book(self, offer: OfferSpec, wanted_places: int, periods: list[int]) -> tuple[int, int, int] | None:
        """Sessions in the best-fitting room with free hours: (room index, sessions, places) or None."""
        for i in _room_order(offer, self.rooms):
            room = self.rooms[i]
            sessions_wanted = max(1, math.ceil(wanted_places / room.capacity))
            sessions = min(sessions_wanted, int(self.free(i, periods) // offer.hours_per_week))
            if sessions <= 0:
                continue
            for p in periods:
                self.used[(i, p)] = self.used.get((i, p), 0.0) + sessions * offer.hours_per_week
            return i, sessions, min(wanted_places, sessions * room.capacity)
        return None


def _nearest_venue(venues: pd.DataFrame, ptype: ProviderType, xy: tuple[float, float] | None) -> str | None:
    of_type = venues[venues["provider_type"] == ptype.value]
    if of_type.empty or xy is None:
        return None
    d = np.hypot(of_type["x"].to_numpy(float) - xy[0], of_type["y"].to_numpy(float) - xy[1])
    return str(of_type.index[int(np.argmin(d))])


def plan_site(scenario: Scenario, catalogue: list[OfferSpec], venues: pd.DataFrame, site_xy: tuple[float, float] | None,
              horizon: int, rules: dict, make_offer) -> SitePlan:
    """Move permanent providers' offers in, rotate guests, timetable every site offer into a room.

    Args:
        scenario: the scenario (its ``levers.central_site``).
        catalogue: today's catalogue offers (their places are reduced where a provider moves).
        venues: the geography's venues (``provider_type``, ``x``, ``y``).
        site_xy: EPSG:31370 coordinates of the site (to find the nearest provider of a type).
        horizon: weeks of the run (guests rotate up to it).
        rules: ``model.offers.CATALOGUE_RULES``.
        make_offer: ``model.offers.rule_offer`` (an offer from a catalogue rule at a place).
    """
    site = scenario.levers.central_site
    plan = SitePlan()
    if not site.enabled or not site.rooms:
        return plan
    plan.room_hours = {room.name: site.opening_hours_per_week for room in site.rooms}
    table = _Timetable(list(site.rooms), site.opening_hours_per_week)
    n_periods = max(1, math.ceil(horizon / site.guest_weeks))
    every = list(range(n_periods))
    place = PlaceSpec(kind="central_site")
    by_id = {o.id: o for o in catalogue}

    def add(spec: OfferSpec, wanted: int, periods: list[int], role: str) -> int:
        booked = table.book(spec, wanted, periods) if wanted > 0 else None
        if booked is None:
            plan.unscheduled.append(spec.id)
            return 0
        i, sessions, places = booked
        room = site.rooms[i]
        plan.offers.append(spec.model_copy(update={"capacity_per_week": places}))
        plan.bookings.append(Booking(spec.id, room.name, room.kind, sessions, sessions * spec.hours_per_week, places,
                                     spec.start_week, spec.end_week, role))
        return places

    # workshop offers placed at the site take their room first (they were chosen explicitly)
    for offer in scenario.levers.offers:
        if offer.place.kind == "central_site":
            add(offer, offer.capacity_per_week, every, "workshop")

    for ptype in dict.fromkeys(ProviderType(p) for p in site.permanent_providers):
        venue = _nearest_venue(venues, ptype, site_xy)
        if venue is not None:
            for rule in rules[ptype]:
                home = by_id.get(f"{venue}:{rule.key}")
                if home is None:
                    continue
                wanted = int(round(home.capacity_per_week * site.share_moved))
                spec = home.model_copy(update={"id": f"site:{ptype.value}:{rule.key}", "place": place,
                                               "title": f"{home.title} @ {site.name}"})
                moved = add(spec, wanted, every, "permanent")
                if moved:
                    plan.moved_from[home.id] = moved
        else:
            for rule in rules[ptype]:
                spec = make_offer(rule, f"site:{ptype.value}:{rule.key}", f"{site.name} ({ptype.label_nl})", ptype, place,
                                  title_suffix=f" @ {site.name}")
                add(spec, spec.capacity_per_week, every, "newcomer")

    guests = list(dict.fromkeys(ProviderType(p) for p in site.guest_providers))
    if guests:
        week, turn = 1, 0
        while week <= horizon:
            ptype = guests[turn % len(guests)]
            end = min(horizon, week + site.guest_weeks - 1)
            for rule in rules[ptype]:
                spec = make_offer(rule, f"site:guest{turn}:{ptype.value}:{rule.key}", f"{site.name} (gast: {ptype.label_nl})",
                                  ptype, place, start_week=week, end_week=end, title_suffix=f" @ {site.name} (gast)")
                add(spec, spec.capacity_per_week, [turn], "guest")
            week, turn = end + 1, turn + 1
    return plan


__all__ = ["Booking", "ROOM_FOR_THEME", "SitePlan", "plan_site"]
