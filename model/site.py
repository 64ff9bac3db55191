"""Sites as places: who moves in, which room and which hours each offer gets, and for how many.

The Regina Mundi concept (seed §2.1) is a hub with permanent actors and temporary
guests; a layout may add other sites (hubs, satellites in the cités), each with its own
rooms, opening hours by day, providers and guests (``levers.sites``). A site is not
free extra capacity:

- **Permanent providers move** part of their offer in: for each permanent provider type
  the real provider of that type nearest to *that* site (a venue of ``data/providers.csv``)
  moves ``share_moved`` of its places to the site; those places leave its own venue. A
  provider never moves more than all its places over all sites (the main site first,
  then the others in order). A type with no located provider (a maker space, a
  craftsperson) is a newcomer: it opens its typical offer at the site.
- **Guests** hold their typical offer at the site for their period (``guest_weeks``),
  one guest type after the other; their home venue keeps its own offer (a guest period is
  a visit, not a move).
- **Rooms and opening hours bind.** Every site offer is timetabled into a room of a
  fitting kind (kitchen for eten, maker space for maken, garden for kweken, a practice
  room for ontspanning, the club room for denken; showcase space for zien doen offers),
  in sessions of the offer's ``hours_per_week``. An offer's places at the site are
  ``sessions × the room's places``, at most what the provider brings; an offer that finds
  no free hours is *unscheduled* and has no place. Demand beyond those places waits.
- **Hour blocks by day.** A site with ``opening_hours`` by day places each session in one
  stretch of open, free time of one day (first fit: the earliest day and hour); a session
  that fits nowhere is not held. A site that gives only ``opening_hours_per_week`` counts
  weekly hours as before (a session fits while the room has that many hours left in the
  week) and lays the sessions out, in booking order, in the default pattern (weekdays from
  09:00, :func:`model.scenario.default_opening_hours`); there a session may continue in
  the next open stretch. Either way every booking carries its blocks ``(day, start hour,
  end hour)`` and :func:`visitors_by_block` turns enrolment into visitors per room and hour.

:func:`plan_site` and :func:`plan_sites` are pure (no randomness): the same scenario gives
the same timetable.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from model.domain import Level, ProviderType, Theme
from model.scenario import (DAYS, MAIN_SITE_ID, SAME_SPOT_METRES, OfferSpec, PlaceSpec, RoomSpec, Scenario, SiteBase,
                            same_spot)

MINUTES_PER_DAY = 24 * 60

#: Preferred room kind per theme (first choice), then any room.
ROOM_FOR_THEME: dict[Theme, str] = {
    Theme.ETEN: "kitchen", Theme.MAKEN_EN_ONTWERPEN: "maker_space", Theme.KWEKEN_EN_NATUUR: "garden",
    Theme.ONTSPANNING: "practice_room", Theme.DENKEN_EN_BESPREKEN: "club_room",
}


@dataclass(frozen=True)
class Booking:
    """One site offer's place in the timetable: its room, its sessions and their hour blocks."""

    offer_id: str
    room: str
    room_kind: str
    sessions_per_week: int
    hours_per_week: float
    places: int
    start_week: int
    end_week: int
    role: str  # permanent, newcomer, guest, workshop
    site_id: str = MAIN_SITE_ID
    #: the sessions' time in the week: (day, start hour, end hour), e.g. ("mon", 9.0, 11.5)
    blocks: tuple[tuple[str, float, float], ...] = ()
    #: which session (0, 1, ...) each block belongs to
    block_session: tuple[int, ...] = ()


@dataclass
class SitePlan:
    """What a site holds: its offers with the places the timetable gives them.

    A plan of several sites (:func:`combine_plans`) holds every site's offers and
    bookings, and the per-site plans in :attr:`sites`.
    """

    offers: list[OfferSpec] = field(default_factory=list)
    moved_from: dict[str, int] = field(default_factory=dict)  # catalogue offer id -> places moved away
    bookings: list[Booking] = field(default_factory=list)
    unscheduled: list[str] = field(default_factory=list)
    room_hours: dict[str, float] = field(default_factory=dict)  # room -> hours per week available
    site_id: str = MAIN_SITE_ID
    name: str = ""
    xy: tuple[float, float] | None = None  # EPSG:31370 of the site
    room_places: dict[str, int] = field(default_factory=dict)  # room -> places at once
    room_kinds: dict[str, str] = field(default_factory=dict)
    week_hours: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)  # day -> open (start, end) minutes
    sites: list["SitePlan"] = field(default_factory=list)  # the per-site plans of a combined plan

    def frame(self) -> pd.DataFrame:
        """One row per booking (site, room, offer, sessions, places, weeks); the blocks are in :meth:`blocks_frame`."""
        rows = [{k: v for k, v in b.__dict__.items() if k not in ("blocks", "block_session")} for b in self.bookings]
        return pd.DataFrame(rows)

    def blocks_frame(self) -> pd.DataFrame:
        """One row per block of a session: site, room, offer_id, session, day, start, end (hours)."""
        rows = [{"site": b.site_id, "room": b.room, "offer_id": b.offer_id, "session": k, "day": day, "start": a, "end": e}
                for b in self.bookings for k, (day, a, e) in zip(b.block_session, b.blocks)]
        return pd.DataFrame(rows, columns=["site", "room", "offer_id", "session", "day", "start", "end"])

    def parts(self) -> list["SitePlan"]:
        """The per-site plans (a single-site plan is its own one part)."""
        return self.sites if self.sites else ([self] if self.room_places else [])

    def site_of_offer(self) -> dict[str, str]:
        """offer id -> the id of the site it is at."""
        return {b.offer_id: b.site_id for b in self.bookings}


def combine_plans(plans: list[SitePlan]) -> SitePlan:
    """One plan of several sites: every site's offers, bookings and unscheduled offers, moved places summed.

    ``room_hours`` is the main site's (keyed by room name, as before); the other sites'
    are in their parts (:attr:`SitePlan.sites`).
    """
    out = SitePlan(sites=list(plans))
    for plan in plans:
        out.offers += plan.offers
        out.bookings += plan.bookings
        out.unscheduled += plan.unscheduled
        for offer_id, moved in plan.moved_from.items():
            out.moved_from[offer_id] = out.moved_from.get(offer_id, 0) + moved
    main = next((p for p in plans if p.site_id == MAIN_SITE_ID), None)
    if main is not None:
        out.room_hours, out.name, out.xy = dict(main.room_hours), main.name, main.xy
        out.room_places, out.room_kinds, out.week_hours = dict(main.room_places), dict(main.room_kinds), dict(main.week_hours)
    return out


def _room_order(offer: OfferSpec, rooms: list[RoomSpec]) -> list[int]:
    want = "showcase_space" if offer.level == Level.ZIEN_DOEN else ROOM_FOR_THEME[offer.themes[0]]
    first = [i for i, r in enumerate(rooms) if r.kind == want]
    return first + [i for i in range(len(rooms)) if i not in first]


def _open_mask(week_hours: dict[str, tuple[tuple[int, int], ...]]) -> np.ndarray:
    mask = np.zeros(len(DAYS) * MINUTES_PER_DAY, dtype=bool)
    for d, day in enumerate(DAYS):
        for a, b in week_hours.get(day, ()):
            mask[d * MINUTES_PER_DAY + a: d * MINUTES_PER_DAY + b] = True
    return mask


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal stretches of True within one day each, as (start, end) minute of the week."""
    out = []
    for d in range(len(DAYS)):
        day = mask[d * MINUTES_PER_DAY:(d + 1) * MINUTES_PER_DAY].astype(np.int8)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], day, [0]))))
        out += [(d * MINUTES_PER_DAY + int(a), d * MINUTES_PER_DAY + int(b)) for a, b in zip(edges[::2], edges[1::2])]
    return out


def _as_blocks(spans: list[tuple[int, int]]) -> list[tuple[str, float, float]]:
    return [(DAYS[a // MINUTES_PER_DAY], (a % MINUTES_PER_DAY) / 60, (a % MINUTES_PER_DAY + (b - a)) / 60) for a, b in spans]


class _Timetable:
    """A site's rooms through the week, per period (permanent bookings hold every period).

    ``by_day``: the site gives opening hours by day and each session needs one free,
    open stretch of a day. Otherwise sessions are counted against the weekly hours (as
    the site's weekly hours always were) and laid out in order in the open time.
    """

    def __init__(self, rooms: list[RoomSpec], hours: float, week_hours: dict, n_periods: int, by_day: bool) -> None:
        self.rooms, self.hours, self.by_day, self.n_periods = rooms, hours, by_day, n_periods
        self.used: dict[tuple[int, int], float] = {}  # (room, period) -> hours used
        self.open = _open_mask(week_hours)
        self.taken_always = [np.zeros_like(self.open) for _ in rooms]
        self.taken: dict[tuple[int, int], np.ndarray] = {}  # (room, period) -> minutes taken in that period only

    def free(self, room: int, periods: list[int]) -> float:
        return min(self.hours - self.used.get((room, p), 0.0) for p in periods)

    def _available(self, room: int, periods: list[int]) -> np.ndarray:
        avail = self.open & ~self.taken_always[room]
        for p in periods:
            if (room, p) in self.taken:
                avail &= ~self.taken[(room, p)]
        return avail

    def _take(self, room: int, periods: list[int], spans: list[tuple[int, int]]) -> None:
        every = len(periods) == self.n_periods
        for a, b in spans:
            if every:
                self.taken_always[room][a:b] = True
            else:
                for p in periods:
                    self.taken.setdefault((room, p), np.zeros_like(self.open))[a:b] = True

    def _fit(self, avail: np.ndarray, minutes: int) -> tuple[int, int] | None:
        """The earliest stretch of ``minutes`` free, open minutes within one day."""
        for a, b in _runs(avail):
            if b - a >= minutes:
                return a, a + minutes
        return None

    def _fill(self, avail: np.ndarray, minutes: int) -> list[tuple[int, int]]:
        """The first ``minutes`` free, open minutes in week order, as stretches (a session may continue)."""
        spans, left = [], minutes
        for a, b in _runs(avail):
            if left <= 0:
                break
            take = min(left, b - a)
            spans.append((a, a + take))
            left -= take
        return spans

    def book(self, offer: OfferSpec, wanted_places: int, periods: list[int]):
        """Sessions in the best-fitting room: (room index, sessions, places, blocks, block sessions) or None."""
        minutes = max(1, int(round(offer.hours_per_week * 60)))
        for i in _room_order(offer, self.rooms):
            room = self.rooms[i]
            sessions_wanted = max(1, math.ceil(wanted_places / room.capacity))
            avail = self._available(i, periods)
            blocks: list[tuple[int, int]] = []
            owner: list[int] = []
            if self.by_day:
                sessions = 0
                while sessions < sessions_wanted:
                    span = self._fit(avail, minutes)
                    if span is None:
                        break
                    avail[span[0]:span[1]] = False
                    blocks.append(span)
                    owner.append(sessions)
                    sessions += 1
            else:
                sessions = min(sessions_wanted, int(self.free(i, periods) // offer.hours_per_week))
                for k in range(max(0, sessions)):
                    spans = self._fill(avail, minutes)
                    for a, b in spans:
                        avail[a:b] = False
                    blocks += spans
                    owner += [k] * len(spans)
            if sessions <= 0:
                continue
            for p in periods:
                self.used[(i, p)] = self.used.get((i, p), 0.0) + sessions * offer.hours_per_week
            self._take(i, periods, blocks)
            return i, sessions, min(wanted_places, sessions * room.capacity), _as_blocks(blocks), owner
        return None


def _nearest_venue(venues: pd.DataFrame, ptype: ProviderType, xy: tuple[float, float] | None) -> str | None:
    of_type = venues[venues["provider_type"] == ptype.value]
    if of_type.empty or xy is None:
        return None
    d = np.hypot(of_type["x"].to_numpy(float) - xy[0], of_type["y"].to_numpy(float) - xy[1])
    return str(of_type.index[int(np.argmin(d))])


def _offer_id(site_id: str, rest: str) -> str:
    """``site:<rest>`` at the main site (as always), ``site.<site id>:<rest>`` at another."""
    return f"site:{rest}" if site_id == MAIN_SITE_ID else f"site.{site_id}:{rest}"


def _site_place(site_id: str) -> PlaceSpec:
    return PlaceSpec(kind="central_site") if site_id == MAIN_SITE_ID else PlaceSpec(kind="site", site_id=site_id)


def plan_one_site(scenario: Scenario, site: SiteBase, catalogue: list[OfferSpec], venues: pd.DataFrame,
                  site_xy: tuple[float, float] | None, horizon: int, rules: dict, make_offer,
                  already_moved: dict[str, int] | None = None) -> SitePlan:
    """One site's plan: permanent providers move in, guests rotate, every site offer is timetabled.

    ``already_moved`` (catalogue offer id -> places moved to earlier sites) caps what a
    provider can still move: never more than all its places over all sites.
    """
    site_id = site.id
    plan = SitePlan(site_id=site_id, name=site.name, xy=site_xy)
    if not site.enabled or not site.rooms:
        return plan
    week_hours = site.week_hours()
    plan.room_hours = {room.name: site.opening_hours_per_week for room in site.rooms}
    plan.room_places = {room.name: room.capacity for room in site.rooms}
    plan.room_kinds = {room.name: room.kind for room in site.rooms}
    plan.week_hours = week_hours
    n_periods = max(1, math.ceil(horizon / site.guest_weeks))
    table = _Timetable(list(site.rooms), site.opening_hours_per_week, week_hours, n_periods,
                       by_day=site.opening_hours is not None)
    every = list(range(n_periods))
    place = _site_place(site_id)
    by_id = {o.id: o for o in catalogue}
    moved_before = already_moved or {}

    def add(spec: OfferSpec, wanted: int, periods: list[int], role: str) -> int:
        booked = table.book(spec, wanted, periods) if wanted > 0 else None
        if booked is None:
            plan.unscheduled.append(spec.id)
            return 0
        i, sessions, places, blocks, owner = booked
        room = site.rooms[i]
        plan.offers.append(spec.model_copy(update={"capacity_per_week": places}))
        plan.bookings.append(Booking(spec.id, room.name, room.kind, sessions, sessions * spec.hours_per_week, places,
                                     spec.start_week, spec.end_week, role, site_id, tuple(blocks), tuple(owner)))
        return places

    # workshop offers placed at the site take their room first (they were chosen explicitly)
    for offer in scenario.levers.offers:
        if offer.place.site_key == site_id:
            add(offer, offer.capacity_per_week, every, "workshop")

    for ptype in dict.fromkeys(ProviderType(p) for p in site.permanent_providers):
        venue = _nearest_venue(venues, ptype, site_xy)
        if venue is not None:
            for rule in rules[ptype]:
                home = by_id.get(f"{venue}:{rule.key}")
                if home is None:
                    continue
                left = home.capacity_per_week - moved_before.get(home.id, 0)
                wanted = min(int(round(home.capacity_per_week * site.share_moved)), left)
                spec = home.model_copy(update={"id": _offer_id(site_id, f"{ptype.value}:{rule.key}"), "place": place,
                                               "title": f"{home.title} @ {site.name}"})
                moved = add(spec, wanted, every, "permanent")
                if moved:
                    plan.moved_from[home.id] = moved
        else:
            for rule in rules[ptype]:
                spec = make_offer(rule, _offer_id(site_id, f"{ptype.value}:{rule.key}"), f"{site.name} ({ptype.label_nl})",
                                  ptype, place, title_suffix=f" @ {site.name}")
                add(spec, spec.capacity_per_week, every, "newcomer")

    guests = list(dict.fromkeys(ProviderType(p) for p in site.guest_providers))
    if guests:
        week, turn = 1, 0
        while week <= horizon:
            ptype = guests[turn % len(guests)]
            end = min(horizon, week + site.guest_weeks - 1)
            for rule in rules[ptype]:
                spec = make_offer(rule, _offer_id(site_id, f"guest{turn}:{ptype.value}:{rule.key}"),
                                  f"{site.name} (gast: {ptype.label_nl})", ptype, place, start_week=week, end_week=end,
                                  title_suffix=f" @ {site.name} (gast)")
                add(spec, spec.capacity_per_week, [turn], "guest")
            week, turn = end + 1, turn + 1
    return plan


def plan_site(scenario: Scenario, catalogue: list[OfferSpec], venues: pd.DataFrame, site_xy: tuple[float, float] | None,
              horizon: int, rules: dict, make_offer) -> SitePlan:
    """The main site's plan (``levers.central_site``): see :func:`plan_one_site`.

    Args:
        scenario: the scenario (its ``levers.central_site``).
        catalogue: today's catalogue offers (their places are reduced where a provider moves).
        venues: the geography's venues (``provider_type``, ``x``, ``y``).
        site_xy: EPSG:31370 coordinates of the site (to find the nearest provider of a type).
        horizon: weeks of the run (guests rotate up to it).
        rules: ``model.offers.CATALOGUE_RULES``.
        make_offer: ``model.offers.rule_offer`` (an offer from a catalogue rule at a place).
    """
    return plan_one_site(scenario, scenario.levers.central_site, catalogue, venues, site_xy, horizon, rules, make_offer)


def plan_sites(scenario: Scenario, catalogue: list[OfferSpec], venues: pd.DataFrame,
               sites_xy: Mapping[str, tuple[float, float] | None], horizon: int, rules: dict, make_offer) -> list[SitePlan]:
    """Every enabled site's plan, the main site first, then ``levers.sites`` in order.

    A provider's moves over all sites are capped at its places. Two sites on one spot
    (within :data:`~model.scenario.SAME_SPOT_METRES`, which the schema cannot see for a
    venue and a point) are refused with a :class:`~model.scenario_io.ScenarioProblems`.

    Args:
        sites_xy: site id -> EPSG:31370 coordinates (``model.offers.sites_xy``).
    """
    sites = scenario.levers.all_sites()
    _refuse_same_spot(scenario, sites, sites_xy)
    moved: dict[str, int] = {}
    plans = []
    for site in sites:
        plan = plan_one_site(scenario, site, catalogue, venues, sites_xy.get(site.id), horizon, rules, make_offer, moved)
        for offer_id, places in plan.moved_from.items():
            moved[offer_id] = moved.get(offer_id, 0) + places
        plans.append(plan)
    return plans


def _site_key(scenario: Scenario, site: SiteBase) -> str:
    if site.id == MAIN_SITE_ID:
        return "central_site"
    return f"sites[{[s.id for s in scenario.levers.sites].index(site.id)}]"


def _refuse_same_spot(scenario: Scenario, sites: list[SiteBase], sites_xy: Mapping[str, tuple[float, float] | None]) -> None:
    for j, b in enumerate(sites):
        for a in sites[:j]:
            xa, xb = sites_xy.get(a.id), sites_xy.get(b.id)
            if same_spot(a.place, b.place) or (xa is not None and xb is not None
                                               and math.hypot(xa[0] - xb[0], xa[1] - xb[1]) < SAME_SPOT_METRES):
                from model.scenario_io import Problem, ScenarioProblems

                raise ScenarioProblems([Problem("<scenario>", ("levers",), "site_same_spot", {
                    "first": _site_key(scenario, a), "first_name": a.name[:40], "second": _site_key(scenario, b),
                    "second_name": b.name[:40], "place": a.place.describe(), "metres": int(SAME_SPOT_METRES)})])


def _enrolled_lookup(weekly_enrolled) -> dict[str, float]:
    if isinstance(weekly_enrolled, pd.DataFrame):
        frame = weekly_enrolled
        if "offer_id" in frame.columns:
            frame = frame.set_index("offer_id")
        for col in ("weekly_enrolled", "enrolled", "visitors", "participants"):
            if col in frame.columns:
                return {str(k): float(v) for k, v in frame[col].items()}
        numeric = frame.select_dtypes("number").columns
        if len(numeric) != 1:
            raise ValueError("weekly_enrolled: give offer_id and one column of enrolled learners (weekly_enrolled)")
        return {str(k): float(v) for k, v in frame[numeric[0]].items()}
    if isinstance(weekly_enrolled, pd.Series):
        return {str(k): float(v) for k, v in weekly_enrolled.items()}
    return {str(k): float(v) for k, v in dict(weekly_enrolled).items()}


BLOCK_COLUMNS = ["site", "site_name", "room", "room_kind", "day", "hour", "visitors", "places", "crowding", "offers"]


def visitors_by_block(plan: SitePlan, weekly_enrolled=None, by_week: pd.DataFrame | None = None) -> pd.DataFrame:
    """Expected visitors per site, room, day and hour block of the week, with the room's places and crowding.

    Args:
        plan: a site's plan or a combined plan (:func:`combine_plans`).
        weekly_enrolled: offer id -> learners enrolled in a week (mean over the weeks of
            the run), a mapping, a Series or a frame with ``offer_id`` and ``weekly_enrolled``.
            Any per-offer count works (demand, enrolled plus waiting, for crowding as demand over places).
        by_week: instead, the people taking part in each week (index: week 1, 2, ...; columns:
            offer ids), as a run records them. Then ``visitors`` is the mean over the weeks in
            which the hour is booked (a guest's room during the guest's period, not spread over
            the year) and ``visitors_peak`` the busiest week; each booking counts in its own weeks.

    An offer's learners are split evenly over its sessions (each session is one group in
    the room); a session present for part of an hour counts for that part, so
    ``visitors`` is the mean number of people in the room during the hour and the sum of
    ``visitors`` over a room's blocks is its learner-hours per week. One row per open
    hour of every room (``visitors`` 0 where nothing is booked), days in order.
    ``crowding`` is visitors over the room's places (above 1: more people than places).
    """
    if (weekly_enrolled is None) == (by_week is None):
        raise ValueError("visitors_by_block: give weekly_enrolled or by_week")
    enrolled = _enrolled_lookup(weekly_enrolled) if weekly_enrolled is not None else {}
    weeks = np.asarray(by_week.index, dtype=int) if by_week is not None else None
    rows = []
    for part in plan.parts():
        cells: dict[tuple[str, str, int], list] = {}
        for room in part.room_places:
            for day in DAYS:
                for a, b in part.week_hours.get(day, ()):
                    for hour in range(a // 60, math.ceil(b / 60)):
                        cells.setdefault((room, day, hour), [0.0, 0, []])
        for bk in (b for b in part.bookings if b.site_id == part.site_id):
            per_session = 1.0 / max(1, bk.sessions_per_week)
            seen: set[tuple[str, int]] = set()
            for day, start, end in bk.blocks:
                a, b = int(round(start * 60)), int(round(end * 60))
                for hour in range(a // 60, math.ceil(b / 60)):
                    overlap = min(b, (hour + 1) * 60) - max(a, hour * 60)
                    if overlap <= 0:
                        continue
                    cell = cells.setdefault((bk.room, day, hour), [0.0, 0, []])
                    cell[2].append((bk, per_session * overlap / 60))
                    if (day, hour) not in seen:
                        cell[1] += 1
                        seen.add((day, hour))
        for (room, day, hour), (_, n_offers, parts) in cells.items():
            places = part.room_places.get(room, 0)
            peak = None
            if by_week is None:
                visitors = sum(factor * enrolled.get(bk.offer_id, 0.0) for bk, factor in parts)
            else:
                people = np.zeros(weeks.size)
                booked = np.zeros(weeks.size, dtype=bool)
                for bk, factor in parts:
                    active = (weeks >= bk.start_week) & (weeks <= bk.end_week)
                    booked |= active
                    if bk.offer_id in by_week.columns:
                        people += factor * np.where(active, by_week[bk.offer_id].to_numpy(float), 0.0)
                visitors = float(people[booked].mean()) if booked.any() else 0.0
                peak = float(people.max()) if people.size else 0.0
            row = {"site": part.site_id, "site_name": part.name, "room": room, "room_kind": part.room_kinds.get(room, ""),
                   "day": day, "hour": hour, "visitors": visitors, "places": places,
                   "crowding": visitors / places if places else float("nan"), "offers": n_offers}
            if peak is not None:
                row["visitors_peak"] = peak
            rows.append(row)
    frame = pd.DataFrame(rows, columns=BLOCK_COLUMNS + (["visitors_peak"] if by_week is not None else []))
    if frame.empty:
        return frame
    frame["_d"] = frame["day"].map({d: i for i, d in enumerate(DAYS)})
    order = {(p.site_id, r): (i, j) for i, p in enumerate(plan.parts()) for j, r in enumerate(p.room_places)}
    frame["_r"] = [order.get((s, r), (99, 99)) for s, r in zip(frame["site"], frame["room"])]
    return frame.sort_values(["_r", "_d", "hour"], kind="stable").drop(columns=["_d", "_r"]).reset_index(drop=True)


__all__ = ["BLOCK_COLUMNS", "Booking", "ROOM_FOR_THEME", "SitePlan", "combine_plans", "plan_one_site", "plan_site",
           "plan_sites", "visitors_by_block"]
