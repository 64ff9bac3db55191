"""The learning-ecosystem model: one tick is one week of the pilot (see model/README.md).

Each week, in this order (``LearningEcosystem.step``):

1. clubs open a new budget year every 52 weeks;
2. the wegwijzer informs: website, magazine, the desk (anyone who walks in), friends;
   the central site's showcases draw an audience (exposure: *zag het doen*);
3. mentors take on residents by priority, within their hours, and guide their mentees
   to a next step;
4. residents look for a next step and choose among the offers they know (batched);
   the club budget pays for members who cannot; full offers keep a waiting list;
5. participants take part; on completion they progress on their learning path, may
   earn a badge and are referred onward (with the shared overview the next activity is
   easy to take at once);
6. badges unlock a limited number of opportunities;
7. hosts run peer groups; with matchmaking, learners become teachers;
8. providers review their offer (grow, shrink, add a next step) every review period;
9. indicators are collected.

Residents are weighted rows of :class:`model.population.Population` (see there): every
count below is a sum of weights and every capacity is in true places.

Randomness: one seed per run. Each mechanism draws from its own stream of that seed
(``self.streams``, spawned from ``numpy.random.SeedSequence(seed)``), and per-resident
draws take one number for every resident every week, so two designs run on the same
seed share their residents and, mechanism by mechanism, their chance events (common
random numbers): a difference between them is the design's, not the draw's.
"""
from __future__ import annotations

import functools
import math
import zlib
from typing import Callable

import mesa
import numpy as np
import pandas as pd

from model.agents import Club, Host, Mentor, Provider
from model.domain import AGE_GROUPS, THEMES, Channel, Level, ProviderType
from model.indicators import INDICATORS
from model.mechanisms import MECHANISMS
from model.offers import OfferTable, build_offers
from model.population import MODES, synthesize
from model.scenario import MAIN_SITE_ID, PlaceSpec, Scenario, ScenarioError

#: With a referral partnership the handover is warm: a completer who took no next step is handed over to
#: the partner's next-level offer and starts it with this chance (a signpost alone: ``next_step_prob``).
PARTNER_HANDOVER_PROB = 0.5
#: Most referral partnerships one provider keeps.
MAX_PARTNERS = 3
#: Utility of doing nothing this week (the outside option of the weekly choice).
OUTSIDE_OPTION = 2.5
#: Scale on the interest match: interests sum to 1 over five themes, so x5 makes the mean 1.
INTEREST_SCALE = len(THEMES)
#: Weeks a peer-group membership lasts.
PEER_GROUP_WEEKS = 12
#: Weekly chance a resident is reached by (or asks for) a mentor when mentors have room.
MENTOR_OUTREACH_PROB = 0.05
#: Mentor hours one mentor works per week (to count Mentor agents).
MENTOR_HOURS_EACH = 19.0
#: Rows per chunk when the whole population is processed at once (keeps memory bounded).
CHUNK = 8192
#: Walking minutes within which a provider's desk is "near home" (one walks in there).
DESK_WALK_MINUTES = 15.0
#: Rows kept free for follow-on offers that providers add during a run.
FOLLOW_ON_ROWS = 80
#: The named random streams of a run (one per mechanism or step).
STREAMS = ("population", "offers", "knowledge", "website", "magazine", "desk", "friends", "showcase", "mentors",
           "choice", "enrol", "take_part", "referral", "opportunities", "peer", "teachers", "clubs", "providers",
           "partnerships")  # new streams go at the end: the earlier ones keep their seeds


@functools.lru_cache(maxsize=1)
def _to_lambert():
    """WGS84 → Belgian Lambert 72 (built once: a pyproj Transformer takes ~20 ms to make)."""
    from pyproj import Transformer

    return Transformer.from_crs(4326, 31370, always_xy=True)


def _group_rank(key: np.ndarray) -> np.ndarray:
    """Position of each element within its group of equal ``key`` (in the given order)."""
    sort = np.argsort(key, kind="stable")
    sk = key[sort]
    rank_sorted = np.arange(sk.size) - np.searchsorted(sk, sk, side="left")
    rank = np.empty_like(rank_sorted)
    rank[sort] = rank_sorted
    return rank


def _showcase_stream(site_id: str) -> str:
    """The random stream of a site's showcases: the main site's is ``showcase``."""
    return "showcase" if site_id == MAIN_SITE_ID else f"showcase:{site_id}"


def _nonzero_2d(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-d mask (row-major order), five times faster: one flat scan, then row and column."""
    flat = np.flatnonzero(mask)
    row, col = np.divmod(flat, mask.shape[1]) if mask.shape[1] else (flat, flat)
    return row, col


def _without(pool: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``pool`` without ``rows``, in order; a slice when ``rows`` is its front (as agents take them)."""
    if rows.size <= pool.size and np.array_equal(pool[: rows.size], rows):
        return pool[rows.size:]
    return pool[~np.isin(pool, rows)]


def _cum_before(key: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """For each element, the summed weight of the elements before it in its group of equal ``key``."""
    sort = np.argsort(key, kind="stable")
    sk, sw = key[sort], weight[sort]
    cum = np.cumsum(sw) - sw
    start = np.searchsorted(sk, sk, side="left")
    first_cum = cum[start]
    out = np.empty_like(cum)
    out[sort] = cum - first_cum
    return out


class LearningEcosystem(mesa.Model):
    """Residents, providers, mentors, hosts and clubs of Genk: finding, taking up and progressing through offers."""

    def __init__(self, scenario: Scenario, seed: int = 0, geography=None, population_scale: float | None = None,
                 weeks: int | None = None, knock_out: frozenset[str] | set[str] | list[str] | None = None):
        super().__init__(seed=seed)
        self.run_seed = seed
        if geography is None:
            from model.geography import load_genk

            geography = load_genk()
        self.scenario = scenario
        self.geo = geography
        self.population_scale = float(population_scale if population_scale is not None else scenario.run.population_scale)
        self.weeks = int(weeks if weeks is not None else scenario.run.weeks)
        self.knocked_out = frozenset(scenario.run.knock_out) | frozenset(knock_out or ())
        unknown = sorted(self.knocked_out - set(MECHANISMS))
        if unknown:
            raise ScenarioError(f"knock_out: unknown mechanism(s) {unknown}; known: {', '.join(MECHANISMS)}")
        self.week = 0
        self.streams = {name: np.random.default_rng(child) for name, child in
                        zip(STREAMS, np.random.SeedSequence(int(seed) & 0xFFFFFFFFFFFFFFFF).spawn(len(STREAMS)))}
        u, levers = scenario.uncertainties, scenario.levers
        self.u, self.levers = u, levers

        self.wijk_names: list[str] = [str(w) for w in geography.wijken["wijk"]]
        self.wijk_index = {w: i for i, w in enumerate(self.wijk_names)}
        self.n_wijken = len(self.wijk_names)
        n_total = int(round(geography.population["count"].sum()))
        self.pop, self.homes = synthesize(geography, u, self.population_scale, n_total, self.wijk_index,
                                          self.streams["population"], scenario.run.min_residents_per_wijk)
        self.total_weight = float(self.pop.weight.sum())
        self.discoveries = {channel: 0.0 for channel in Channel}
        self._build_offers()
        self._build_travel()
        self._build_agents()
        self._init_knowledge()

        rows = self.offers_capacity_rows
        # running tallies read by the indicators (true scale: sums of weights)
        self.budget_spent_eur = 0.0
        self.taking_part_weekly: list[np.ndarray] = []  # people taking part in each offer, one array a week
        self.budget_spent_less_autonomous_eur = 0.0  # of which on the less autonomous half (who priority is for)
        self.playlists_started = 0.0
        self.playlists_completed = 0.0
        self.showcase_visits = 0.0
        self._travel_sum = 0.0
        self._travel_count = 0.0
        self._waitlist_weekly: list[float] = []
        self._mentor_use_weekly: list[float] = []
        self.enrolments = np.zeros(rows)
        self.completions = np.zeros(rows)
        self.waitlisted = np.zeros(rows)
        self.review_waitlisted = np.zeros(rows)
        self.review_enrolled = np.zeros(rows)
        self.review_stuck = np.zeros(rows)
        self.provider_changes = {"grown": 0, "shrunk": 0, "dropped": 0, "follow_on": 0}
        # opportunity places open per pool: one per wijk while unconnected clubs each speak their own talent language
        self._opportunity_per_wijk = per_wijk = bool(self.clubs) and not self.clubs_connected()
        self._opportunity_share = (np.bincount(self.pop.wijk, weights=self.pop.weight, minlength=self.n_wijken)
                                   / self.total_weight if per_wijk else np.ones(1))
        self.opportunity_places = np.zeros(self._opportunity_share.size)
        self._started_this_week = np.zeros(self.pop.n, dtype=bool)
        self.opportunities_by_kind: dict[str, float] = {}
        self._uptake: list[pd.DataFrame] = []
        self._age_group_index = self._age_groups()
        self.datacollector = mesa.DataCollector(model_reporters={name: ind.fn for name, ind in INDICATORS.items()})

    # ================================================================== mechanisms
    def on(self, mechanism: str) -> bool:
        """Whether a mechanism (:data:`model.mechanisms.MECHANISMS`) runs in this run (not knocked out)."""
        return mechanism not in self.knocked_out

    # ================================================================== setup
    def _place_xy(self, place: PlaceSpec, where: str) -> tuple[float, float] | None:
        """EPSG:31370 coordinates of a place; None for online; a clear error for an unknown venue."""
        if place.kind == "online":
            return None
        if place.kind == "central_site":
            site = self.levers.central_site
            if not site.enabled:
                raise ScenarioError(f"{where}: the central site is not enabled; set levers.central_site.enabled: true "
                                    "or place the offer at a venue")
            if site.place.at_a_site:
                raise ScenarioError("levers.central_site.place cannot itself be a site; pick a venue or a point")
            return self._place_xy(site.place, "levers.central_site.place")
        if place.kind == "site":
            site = self.levers.site(place.site_id)
            known = ", ".join(s.id for s in self.levers.sites) or "none"
            if site is None:
                raise ScenarioError(f"{where}: there is no site {place.site_id!r} in levers.sites (known: {known})")
            key = f"levers.sites[{self.levers.sites.index(site)}]"
            if not site.enabled:
                raise ScenarioError(f"{where}: the site {site.id!r} is not enabled; set {key}.enabled: true "
                                    "or place the offer at a venue")
            if site.place.at_a_site:
                raise ScenarioError(f"{key}.place cannot itself be a site; pick a venue or a point")
            return self._place_xy(site.place, f"{key}.place")
        if place.kind == "venue":
            if getattr(self, "_venue_xy", None) is None:
                venues = self.geo.venues
                self._venue_xy = dict(zip(venues.index, zip(venues["x"].astype(float), venues["y"].astype(float))))
            if place.venue_id not in self._venue_xy:
                import difflib

                close = difflib.get_close_matches(str(place.venue_id), [str(v) for v in self._venue_xy], n=3)
                raise ScenarioError(f"{where}.venue_id {place.venue_id!r} is not a known venue (data/providers.csv)"
                                    + (f"; did you mean {', '.join(close)}?" if close else ""))
            return self._venue_xy[place.venue_id]
        x, y = _to_lambert().transform(place.lon, place.lat)
        if hasattr(self.geo, "contains") and not self.geo.contains(x, y):
            raise ScenarioError(f"{where} ({place.lon}, {place.lat}) lies outside Genk; place offers inside the municipality")
        return float(x), float(y)

    def _build_offers(self) -> None:
        specs, self.site_plan = build_offers(self.scenario, self.geo.venues, horizon=self.weeks,
                                             knock_out=self.knocked_out)
        self.offer_specs = specs
        places: dict[tuple[float, float], int] = {}
        place_of = []
        for spec in specs:
            xy = self._place_xy(spec.place, f"offer {spec.id!r} place")
            place_of.append(-1 if xy is None else places.setdefault(xy, len(places)))
        # every site is a place even before any offer is there (showcases, site walk times); the main site first
        self.sites = self.levers.all_sites() if self.on("central_site") else []
        self.site_places = []
        for site in self.sites:
            key = "levers.central_site" if site.id == MAIN_SITE_ID else f"levers.sites[{self.levers.sites.index(site)}]"
            xy = self._place_xy(site.place, f"{key}.place")
            self.site_places.append(places.setdefault(xy, len(places)))
        main = [i for i, site in enumerate(self.sites) if site.id == MAIN_SITE_ID]
        self.site_place = self.site_places[main[0]] if main else -1
        for site in self.sites:  # each other site's showcases draw from a stream of its own (by its id)
            if site.id != MAIN_SITE_ID:
                key = (len(STREAMS), zlib.crc32(site.id.encode()))
                seq = np.random.SeedSequence(int(self.run_seed) & 0xFFFFFFFFFFFFFFFF, spawn_key=key)
                self.streams[_showcase_stream(site.id)] = np.random.default_rng(seq)
        site_index = {site.id: i for i, site in enumerate(self.sites)}
        self.places_xy = np.array(list(places), dtype=float).reshape(-1, 2)
        pg = self.levers.peer_groups
        teachers = pg.enabled and pg.matchmaking and self.on("learners_become_teachers")
        w_min = float(self.pop.weight.min()) if self.pop.n else 1.0
        self.max_new_offers = int(min(self.pop.n, math.ceil(pg.max_new_offers / max(w_min, 1e-9)))) if teachers else 0
        m0 = len(specs)
        rows = m0 + self.max_new_offers + FOLLOW_ON_ROWS
        self.offers_capacity_rows = rows

        def arr(values, dtype, fill=0):
            out = np.full(rows, fill, dtype=dtype)
            out[:m0] = values
            return out

        themes = np.zeros((rows, len(THEMES)), dtype=bool)
        for i, spec in enumerate(specs):
            for theme in spec.themes:
                themes[i, THEMES.index(theme)] = True
        self.offers = OfferTable(
            ids=[spec.id for spec in specs], titles=[spec.title for spec in specs], providers=[spec.provider for spec in specs],
            provider_type=[spec.provider_type for spec in specs], themes=themes,
            level=arr([int(spec.level) for spec in specs], np.int8),
            age_min=arr([spec.age_min for spec in specs], np.int16), age_max=arr([spec.age_max for spec in specs], np.int16),
            place=arr(place_of, np.int64, -1), capacity=arr([float(spec.capacity_per_week) for spec in specs], float),
            duration=arr([spec.duration_weeks for spec in specs], np.int32, 1),
            start_week=arr([spec.start_week for spec in specs], np.int32, 1),
            end_week=arr([spec.end_week for spec in specs], np.int32, 0),
            hours=arr([spec.hours_per_week for spec in specs], float), price=arr([spec.price_eur for spec in specs], float),
            badge=arr([spec.awards_badge for spec in specs], bool),
            at_site=arr([spec.place.at_a_site for spec in specs], bool),
            online=arr([spec.place.kind == "online" for spec in specs], bool),
            from_learner=np.zeros(rows, dtype=bool), n=m0,
        )
        self.primary_theme = np.array([THEMES.index(spec.themes[0]) for spec in specs] + [0] * (rows - m0), dtype=np.int64)
        # which of ``self.sites`` each offer is at (-1: not at a site, or its site is knocked out)
        self.offer_site = arr([site_index.get(spec.place.site_key, -1) for spec in specs], np.int64, -1)

    def _build_travel(self) -> None:
        """Door-to-door minutes from every simulated home to every place, per mode (cached by the geography)."""
        n_places = len(self.places_xy)
        # one (mode, home, place) block, so a batch of pairs is one gather whatever their modes
        self.travel_stack = np.zeros((len(MODES), len(self.homes), n_places), dtype=np.float32)
        for k, mode in enumerate(MODES):
            if n_places:
                self.travel_stack[k] = self.geo.travel_minutes(self.homes, self.places_xy, mode)
        self.travel: list[np.ndarray] = list(self.travel_stack)
        walk = self.travel[0]
        self.site_walks = [walk[:, place] for place in self.site_places]  # walking minutes to each site
        self.site_walk = walk[:, self.site_place] if self.site_place >= 0 else None
        # nearest place per home: offers started by learners (club room / buurthuis), the desk one walks in at
        self.nearest_place = walk.argmin(axis=1) if n_places else np.zeros(len(self.homes), dtype=np.int64)
        self.nearest_place_minutes = walk.min(axis=1) if n_places else np.full(len(self.homes), np.inf)

    def _build_agents(self) -> None:
        n = self.pop.n
        plan_roles = {b.offer_id: b.role for b in self.site_plan.bookings}
        self.providers: dict[str, Provider] = {}
        for k in range(self.offers.n):
            name = self.offers.providers[k] or self.offers.ids[k]
            provider = self.providers.get(name)
            if provider is None:
                provider = self.providers[name] = Provider(self, name, self.offers.provider_type[k],
                                                           plan_roles.get(self.offers.ids[k]))
            provider.offers.append(k)
        self.offer_provider = np.zeros(self.offers_capacity_rows, dtype=np.int64)
        self.provider_list = list(self.providers.values())
        index = {p.name: i for i, p in enumerate(self.provider_list)}
        for k in range(self.offers.n):
            self.offer_provider[k] = index[self.offers.providers[k] or self.offers.ids[k]]
        for i, provider in enumerate(self.provider_list):
            provider.index = i
        # referral partnerships (provider i refers to provider j), formed at reviews with the shared overview;
        # room for the providers learners become as well
        n_providers = len(self.provider_list) + self.max_new_offers
        self.partnerships = np.zeros((n_providers, n_providers), dtype=bool)
        self.partner_handovers = 0.0  # completers who started a partner's offer at once (true scale)
        self.partnerships_formed = 0
        # mentors: places in true residents (hours ÷ hours per mentee)
        m = self.levers.mentors
        places = m.hours_per_week / m.hours_per_mentee if m.enabled else 0.0
        self.mentor_places = places
        n_mentors = max(1, math.ceil(m.hours_per_week / MENTOR_HOURS_EACH)) if places > 0 else 0
        self.mentors = [Mentor(self, places / n_mentors) for _ in range(n_mentors)]
        self.mentor_of = np.full(n, -1, dtype=np.int64)
        # hosts of peer groups: each holds one group of group_size (true residents)
        pg = self.levers.peer_groups
        self.hosts = [Host(self, pg.group_size) for _ in range(pg.n_hosts)] if pg.enabled else []
        self.peer_places = len(self.hosts) * pg.group_size
        self.host_of = np.full(n, -1, dtype=np.int64)
        # clubs: one per wijk, budget in proportion to its residents
        c = self.levers.clubs
        self.clubs: list[Club] = []
        if c.enabled:
            share = np.bincount(self.pop.wijk, weights=self.pop.weight, minlength=self.n_wijken) / self.pop.weight.sum()
            reserved = c.priority_reserved_share if c.priority != "first_come" else 0.0
            for w in range(self.n_wijken):
                self.clubs.append(Club(self, w, c.budget_eur_per_year * share[w], c.cap_per_member_eur, reserved))
            self.pop.club_member[:] = self.streams["clubs"].random(n) < c.membership_share
        self.autonomy_median = self.weighted_median(self.pop.autonomy)  # autonomy does not change during a run
        self.priority_group = self._club_priority_group()

    def _club_priority_group(self) -> np.ndarray:
        """Who the club budget's reserve is for: the less autonomous half, or those lowest on their path."""
        c, pop = self.levers.clubs, self.pop
        if not c.enabled or c.priority == "first_come":
            return np.zeros(pop.n, dtype=bool)
        if c.priority == "less_autonomous":
            return pop.autonomy < self.autonomy_median
        return pop.level.max(axis=1) <= Level.ZIEN_DOEN

    def group_weights(self, group: str) -> tuple[np.ndarray, float]:
        """A fixed group's weights (zero outside it) and their sum: ``low_means``, ``other_means``,
        ``less_autonomous`` (autonomy below the weighted median), ``autonomous``."""
        if "_groups" not in self.__dict__:
            pop = self.pop
            less = pop.autonomy < self.autonomy_median
            masks = {"low_means": pop.low_means, "other_means": ~pop.low_means, "less_autonomous": less,
                     "autonomous": ~less}
            self._groups = {k: (pop.weight * m, float(pop.weight[m].sum())) for k, m in masks.items()}
        return self._groups[group]

    def weighted_median(self, values: np.ndarray) -> float:
        order = np.argsort(values, kind="stable")
        cum = np.cumsum(self.pop.weight[order])
        return float(values[order][np.searchsorted(cum, cum[-1] / 2)]) if cum.size else 0.0

    def _init_knowledge(self) -> None:
        """Before the pilot residents know some offers near home (local first)."""
        n = self.pop.n
        self.known = np.zeros((n, self.offers_capacity_rows), dtype=bool)
        m = self.offers.n
        u, rng = self.u, self.streams["knowledge"]
        for lo in range(0, n, CHUNK):
            rows = np.arange(lo, min(n, lo + CHUNK))
            tt = self._travel_rows(rows)[:, :m]
            # only offers one could reach matter (an offer beyond one's travel time is never chosen), so
            # only those pairs are drawn: one uniform per reachable (resident, offer) pair, in a fixed order
            r_loc, offer = _nonzero_2d(self._age_ok(rows)[:, :m] & ~self.offers.online[None, :m]
                                      & (tt <= self.pop.max_travel[rows][:, None]))
            p = u.initial_knowledge_prob * np.exp(-np.take(tt.reshape(-1), r_loc * m + offer) / 10.0)
            hit = rng.random(r_loc.size, dtype=np.float32) < p
            self._know(rows[r_loc[hit]], offer[hit])
            self.discoveries[Channel.INITIAL] += float(self.pop.weight[rows[r_loc[hit]]].sum())

    def _age_groups(self) -> np.ndarray:
        edges = np.array([g[2] for g in AGE_GROUPS[:-1]])
        return np.searchsorted(edges, self.pop.age, side="left")

    # ================================================================== helpers on batches
    def _travel_rows(self, rows: np.ndarray) -> np.ndarray:
        """Minutes from these residents' homes to every offer, by each resident's own mode (0 online)."""
        m = self.offers.n
        out = np.zeros((rows.size, m), dtype=np.float32)
        place = self.offers.place[:m]
        offline = place >= 0
        if not offline.any():
            return out
        out[:, offline] = np.take(self.travel_stack[self.pop.mode[rows], self.pop.home_row[rows]], place[offline], axis=1)
        return out

    def _know(self, rows: np.ndarray, offers: np.ndarray) -> None:
        """These residents now know these offers (pairwise; a flat write, 4x faster than a 2-d one)."""
        self.known.reshape(-1)[rows.astype(np.int64) * self.known.shape[1] + offers] = True

    def _age_ok(self, rows: np.ndarray) -> np.ndarray:
        m = self.offers.n
        age = self.pop.age[rows][:, None]
        return (age >= self.offers.age_min[None, :m]) & (age <= self.offers.age_max[None, :m])

    def _pair_travel(self, who: np.ndarray, offer: np.ndarray) -> np.ndarray:
        """Minutes from each resident's home to each paired offer by the resident's own mode (0 online)."""
        tt = np.zeros(who.size, dtype=np.float32)
        place = self.offers.place[offer]
        offline = place >= 0
        if not offline.all():
            who, place = who[offline], place[offline]
        _, n_homes, n_places = self.travel_stack.shape
        flat = (self.pop.mode[who].astype(np.int64) * n_homes + self.pop.home_row[who]) * n_places + place
        minutes = np.take(self.travel_stack.reshape(-1), flat)  # one flat gather (3-d fancy indexing is slower)
        if offline.all():
            return minutes
        tt[offline] = minutes
        return tt

    def _pair_fit(self, who: np.ndarray, offer: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For (resident, offer) pairs: eligible?, travel minutes and fit (interest and level).

        Eligible: open this week with places, age in range, at most two levels above one's
        level in the offer's theme and not below it, within one's travel time (online:
        digital access).
        """
        pop, off, u = self.pop, self.offers, self.u
        age = pop.age[who]
        step = off.level[offer] - np.take(pop.level.reshape(-1), who * len(THEMES) + self.primary_theme[offer])
        ok = (age >= off.age_min[offer]) & (age <= off.age_max[offer]) & (step >= 0) & (step <= 2)
        ok &= (off.start_week[offer] <= self.week) & (self.week <= off.end_week[offer]) & (off.capacity[offer] > 0)
        # travel and interest only for the pairs still eligible (most known offers are closed or off one's level)
        idx = np.flatnonzero(ok)
        w, o = who[idx], offer[idx]
        tt = np.zeros(who.size, dtype=np.float32)
        tt[idx] = self._pair_travel(w, o)
        ok[idx] = np.where(off.online[o], pop.digital[w], tt[idx] <= pop.max_travel[w])
        idx = idx[ok[idx]]
        w, o = who[idx], offer[idx]
        fit = np.zeros(who.size)
        interest = self._pair_interest(w, o) * INTEREST_SCALE
        st = step[idx]
        fit[idx] = u.interest_weight * interest + u.level_fit_weight * np.where(st == 1, 1.0, np.where(st == 2, -0.5, 0.0))
        return ok, tt, fit

    def _pair_interest(self, who: np.ndarray, offer: np.ndarray) -> np.ndarray:
        """Each resident's summed interest in each paired offer's themes (in theme order, as a row sum would)."""
        m = self.offers.n
        cols = self.__dict__.get("_theme_cols")
        if cols is None or cols.shape[0] != m:  # offers are only ever added, so rebuild when there are more
            order = np.where(self.offers.themes[:m], np.arange(len(THEMES)), len(THEMES))
            cols = self._theme_cols = np.sort(order, axis=1)
        t = cols[offer]
        flat = self.pop.interests.reshape(-1)  # a view: interests are changed in place
        base = who * len(THEMES)
        interest = np.take(flat, base + t[:, 0])
        for j in range(1, t.shape[1]):
            more = np.flatnonzero(t[:, j] < len(THEMES))
            if more.size == 0:
                break
            interest[more] += np.take(flat, base[more] + t[more, j])
        return interest

    def clubs_connected(self) -> bool:
        c = self.levers.clubs
        return bool(c.enabled and c.connected and self.on("connected_clubs"))

    def _local_mask(self, rows: np.ndarray) -> np.ndarray:
        """Offers in one's own wijk, at the main site or online (all offers when clubs are connected)."""
        m = self.offers.n
        if self.clubs_connected():
            return np.ones((rows.size, m), dtype=bool)
        off = self.offers
        return (self._offer_wijk()[None, :m] == self.pop.wijk[rows][:, None]) | self._city_wide()[None, :]

    def _city_wide(self) -> np.ndarray:
        """Offers that are local to every wijk: online, and at the main site (the city's hub; another site,
        such as a satellite in a cité, is local to its own wijk like any venue)."""
        m = self.offers.n
        main = next((i for i, site in enumerate(self.sites) if site.id == MAIN_SITE_ID), -2)
        return self.offers.online[:m] | (self.offer_site[:m] == main)

    def _offer_wijk(self) -> np.ndarray:
        """The wijk index of each offer's place (-1 online or outside Genk)."""
        if getattr(self, "_place_wijk", None) is None:
            wijken = self.geo.wijken_of(self.places_xy[:, 0], self.places_xy[:, 1])
            self._place_wijk = np.array([self.wijk_index.get(w, -1) for w in wijken],
                                        dtype=np.int64)
        place = self.offers.place[: self.offers.n]
        if not self._place_wijk.size:
            return np.full(place.size, -1, dtype=np.int64)
        return np.where(place >= 0, self._place_wijk[np.maximum(place, 0)], -1)

    @staticmethod
    def _best_per_row(r_loc: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of the pair with the highest key for each row that has one; returns (pair index, row).

        ``r_loc`` is sorted (pairs come from ``np.nonzero`` row by row), so each row is a run:
        the maximum per run is one ``reduceat`` instead of a sort of all pairs.
        """
        if key.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if r_loc.size > 1 and (np.diff(r_loc) < 0).any():  # not sorted: sort once (never the case in the model)
            order = np.argsort(r_loc, kind="stable")
            best, row = LearningEcosystem._best_per_row(r_loc[order], key[order])
            return order[best], row
        starts = np.flatnonzero(np.r_[True, r_loc[1:] != r_loc[:-1]])
        top = np.maximum.reduceat(key, starts)
        run = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, key.size]))
        first_top = np.flatnonzero(key == top[run])  # the first pair of each run that reaches its maximum
        keep = np.r_[True, run[first_top][1:] != run[first_top][:-1]]
        best = first_top[keep]
        return best, r_loc[best]

    def _discover(self, rows: np.ndarray, channel: Channel, stream: str, scope: str = "all",
                  only: np.ndarray | None = None, sample: int = 48) -> np.ndarray:
        """Each resident in ``rows`` comes to know one fitting offer they did not know (best of a sample, with noise).

        Returns the offer learned per row (-1 none).
        """
        learned = np.full(rows.size, -1, dtype=np.int64)
        m = self.offers.n
        if rows.size == 0 or m == 0:
            return learned
        rng = self.streams[stream]
        cand = ~self.known[rows, :m]
        if only is not None:
            cand &= only
        if scope == "local":
            cand &= self._local_mask(rows)
        r_loc, offer = _nonzero_2d(cand)
        if r_loc.size == 0:
            return learned
        counts = np.bincount(r_loc, minlength=rows.size)
        keep = rng.random(r_loc.size) * counts[r_loc] < sample  # a sample of at most ~`sample` per row
        r_loc, offer = r_loc[keep], offer[keep]
        ok, _, fit = self._pair_fit(rows[r_loc], offer)
        r_loc, offer, fit = r_loc[ok], offer[ok], fit[ok]
        best, row = self._best_per_row(r_loc, fit + rng.gumbel(size=fit.size))
        self._know(rows[row], offer[best])
        self.discoveries[channel] += float(self.pop.weight[rows[row]].sum())
        learned[row] = offer[best]
        return learned

    def _everyone(self, stream: str, p: float | np.ndarray) -> np.ndarray:
        """One uniform per resident from ``stream`` (the same resident gets the same number in every design)."""
        return self.streams[stream].random(self.pop.n) < p

    def _levels_changed(self, rows: np.ndarray) -> None:
        """Call after changing ``pop.level`` of ``rows``: their summaries of the path are brought up to date."""
        if "_max_level" in self.__dict__ and rows.size:
            pop = self.pop
            self._max_level[rows] = pop.level[rows].max(axis=1)
            self._steps_up[rows] = (pop.level[rows] - pop.level_start[rows]).clip(min=0).sum(axis=1)

    def _path_summaries(self) -> None:
        if "_max_level" not in self.__dict__:
            pop = self.pop
            self._max_level = pop.level.max(axis=1)
            self._steps_up = (pop.level - pop.level_start).clip(min=0).sum(axis=1).astype(np.int64)

    def max_level(self) -> np.ndarray:
        """Each resident's highest level over the themes (kept up to date as levels change)."""
        self._path_summaries()
        return self._max_level

    def steps_up(self) -> np.ndarray:
        """Each resident's steps up the learning path since the start (kept up to date as levels change)."""
        self._path_summaries()
        return self._steps_up

    def occupancy(self) -> np.ndarray:
        """Places taken per offer (true scale)."""
        pop = self.pop
        busy = pop.enrolled >= 0
        return np.bincount(pop.enrolled[busy], weights=pop.weight[busy], minlength=self.offers_capacity_rows)

    def occupancy_of(self, k: int) -> float:
        return float(self.pop.weight[self.pop.enrolled == k].sum())

    # ================================================================== the weekly schedule
    def step(self) -> None:
        self.week += 1
        self._refused_this_week = 0.0
        if self.clubs:
            self.agents_by_type[Club].do("step")
        self.inform()
        self.showcase()
        if self.mentors:
            self.end_mentorships()
            self.agents_by_type[Mentor].do("step")
            self.mentors_guide()
        self.look_for_next_step()
        self.take_part()
        self.unlock_opportunities()
        if self.hosts:
            self.agents_by_type[Host].shuffle_do("step")
            if self.on("peer_groups"):
                self.peer_members_progress(np.flatnonzero((self.pop.peer_until >= self.week) & (self.host_of >= 0)))
        self.learners_become_teachers()
        if self.levers.providers.adaptation and self.on("provider_adaptation") and self.week % self.levers.providers.review_weeks == 0:
            self.agents_by_type[Provider].do("step")
            self.review_waitlisted[:] = self.review_enrolled[:] = self.review_stuck[:] = 0.0
        self._record_uptake()
        self._waitlist_weekly.append(self._refused_this_week)
        mentored = float(self.pop.weight[self.pop.mentored_until >= self.week].sum())
        self._mentor_use_weekly.append(mentored / self.mentor_places if self.mentor_places else 0.0)
        self.datacollector.collect(self)

    def run(self, progress: Callable[[int, int], None] | None = None) -> None:
        for week in range(self.weeks):
            self.step()
            if progress is not None:
                progress(week + 1, self.weeks)

    # ------------------------------------------------------------------ 2 information
    def inform(self) -> None:
        """The wegwijzer channels and friends make offers known."""
        pop, u, ww = self.pop, self.u, self.levers.wegwijzer
        m = self.offers.n
        if ww.website and self.on("website"):
            self._discover(np.flatnonzero(pop.digital & self._everyone("website", u.website_use_prob)), Channel.WEBSITE,
                           "website")
        if self.levers.playlists.enabled and not ww.website and self.on("playlists"):  # the platform itself is found online
            rows = np.flatnonzero(pop.digital & self._everyone("website", u.website_use_prob * 0.5))
            self._discover(rows, Channel.PLATFORM, "website", only=self.offers.online[None, :m])
        if ww.magazine and ww.magazine_issues_per_year > 0 and self.on("magazine"):
            issues = ww.magazine_issues_per_year
            if ((self.week - 1) * issues) % 52 < issues:  # exactly `issues` weeks in every 52
                rows = np.flatnonzero(self._everyone("magazine", u.magazine_reach))
                for _ in range(2):
                    self._discover(rows, Channel.MAGAZINE, "magazine")
        if ww.desk and self.on("desk"):
            self.desk_advises()
        if u.friend_tell_prob > 0 and pop.friends.shape[1] and self.on("friends"):
            rng = self.streams["friends"]
            hear = self._everyone("friends", u.friend_tell_prob)
            pick = pop.friends[np.arange(pop.n), rng.integers(0, pop.friends.shape[1], pop.n)]
            rows = np.flatnonzero(hear & (pick >= 0))
            pick = pick[rows]
            offer = pop.enrolled[pick]
            ok = offer >= 0
            rows, offer = rows[ok], offer[ok]
            new = ~self.known[rows, offer]
            self.known[rows[new], offer[new]] = True
            self.discoveries[Channel.FRIENDS] += float(pop.weight[rows[new]].sum())

    def desk_advises(self) -> np.ndarray:
        """Residents who walk in at a provider's desk near home — taking part or not — hear of a fitting offer.

        Participants are at their provider anyway (chance ``desk_referral_prob`` a week, a
        quarter of it); others walk in at the nearest venue within a short walk (chance
        ``desk_visit_prob``). The desk shows its own and its local partners' offers, or
        everyone's with the shared overview.
        """
        pop, u = self.pop, self.u
        draw = self.streams["desk"].random(pop.n)
        near = self.nearest_place_minutes[pop.home_row] <= DESK_WALK_MINUTES
        busy = pop.enrolled >= 0
        visiting = np.flatnonzero(np.where(busy, draw < u.desk_referral_prob * 0.25, near & (draw < u.desk_visit_prob)))
        return self._refer_from(visiting, Channel.DESK, "desk")

    def showcase(self) -> None:
        """Zien doen: each showcase at a site draws an audience by interest, age and distance to that site.

        Attending is exposure (``exposed``; the indicator "zag het doen"), not taking part:
        a visitor may learn of an offer at the site (``showcase_learn_prob``), is inspired
        towards the showcase's theme (interest and curiosity, ``showcase_inspiration``:
        the role-model idea of LRNG) and has seen it done — the first level of talent
        development in that theme. With the shared overview the site also signposts the
        visitor to a fitting offer anywhere.
        """
        if not self.on("showcase"):
            return
        for i, site in enumerate(self.sites):  # the main site first, then the others, each with its own events
            self._showcase_at(i, site)

    def _showcase_at(self, i: int, site) -> None:
        """This week's showcases at ``self.sites[i]``: an audience by walking time to that site, its offers shown."""
        if site.showcase_events_per_month <= 0 or site.showcase_visitors_per_event <= 0 or site.opening_hours_per_week <= 0:
            return
        stream = _showcase_stream(site.id)
        pop, u, rng = self.pop, self.u, self.streams[stream]
        m = self.offers.n
        here = self.offer_site[:m] == i
        at_site = np.flatnonzero(here & (self.offers.start_week[:m] <= self.week) & (self.week <= self.offers.end_week[:m]))
        if at_site.size == 0:
            return
        # events this week: exactly events_per_month * 12 in every 52 weeks
        per_year = site.showcase_events_per_month * 12
        events = int(math.floor(self.week * per_year / 52) - math.floor((self.week - 1) * per_year / 52))
        walk = self.site_walks[i][pop.home_row]
        age_pull = np.where(pop.age < 6, 0.5, np.where(pop.age >= 75, 0.4, 1.0))
        for _ in range(events):
            k = int(at_site[rng.integers(at_site.size)])
            theme = int(self.primary_theme[k])
            pull = (0.2 + pop.interests[:, theme] * INTEREST_SCALE) * age_pull * np.exp(-walk * math.log(2) / u.showcase_walk_minutes)
            keys = rng.random(pop.n) ** (1.0 / np.maximum(pull, 1e-12))  # weighted sampling without replacement
            order = np.argsort(-keys)
            cum = np.cumsum(pop.weight[order])
            audience = order[: int(np.searchsorted(cum, site.showcase_visitors_per_event)) + 1]
            self.showcase_visits += float(pop.weight[audience].sum())
            pop.exposed[audience] = True
            pop.level[audience, theme] = np.maximum(pop.level[audience, theme], Level.ZIEN_DOEN)
            self._levels_changed(audience)
            a = u.showcase_inspiration * 0.5
            onehot = np.zeros(len(THEMES))
            onehot[theme] = 1.0
            pop.interests[audience] = (1 - a) * pop.interests[audience] + a * onehot
            pop.curiosity[audience] += u.showcase_inspiration * 0.2 * (1 - pop.curiosity[audience])
            learn = audience[rng.random(audience.size) < u.showcase_learn_prob]
            self._discover(learn, Channel.SHOWCASE, stream, only=here[None, :])
            if self.levers.wegwijzer.shared_overview and self.on("referral"):
                self._discover(audience, Channel.REFERRAL, stream, scope="local")

    def _refer_from(self, rows: np.ndarray, channel: Channel, stream: str, at: np.ndarray | None = None) -> np.ndarray:
        """Point residents to a next step: everyone's offers with the shared overview, else the
        provider's own and its referral partners' (providers in the same wijk: seed §1, most
        contacts are between parties of the own local surroundings).

        ``at``: the offer whose provider refers (default: the one each resident takes part in;
        residents taking part in nothing are at the venue nearest home)."""
        if rows.size == 0:
            return np.zeros(0, dtype=np.int64)
        only = None
        if not self.levers.wegwijzer.shared_overview:
            m = self.offers.n
            current = self.pop.enrolled[rows] if at is None else at
            offer_wijk = self._offer_wijk()
            cur = np.maximum(current, 0)
            own = (current >= 0)[:, None] & (self.offer_provider[None, :m] == self.offer_provider[cur][:, None])
            place = np.where(current >= 0, self.offers.place[cur], self.nearest_place[self.pop.home_row[rows]])
            at_place = self.offers.place[None, :m] == place[:, None]
            wijk = np.where(current >= 0, offer_wijk[cur], self.pop.wijk[rows])
            partner = offer_wijk[None, :m] == wijk[:, None]
            only = own | at_place | partner
        return self._discover(rows, channel, stream, scope="local", only=only)

    # ------------------------------------------------------------------ 3 mentors
    def end_mentorships(self) -> None:
        pop = self.pop
        ended = (pop.mentored_until > 0) & (pop.mentored_until < self.week)
        self.mentor_of[ended] = -1
        pop.mentored_until[ended] = -1  # a mentorship once per resident: mentors reach the next in line

    def mentor_candidates(self) -> np.ndarray:
        """Residents reached by a mentor this week and not yet taken on, in the scenario's priority order.

        The week's pool is drawn once; mentors take from its front in turn.
        """
        pop = self.pop
        if getattr(self, "_mentor_week", None) != self.week:
            reached = self._everyone("mentors", MENTOR_OUTREACH_PROB)
            pool = np.flatnonzero(reached & (pop.mentored_until == 0) & (self.max_level() < Level.ZELF_DOEN)
                                  & (pop.age >= 6))
            priority = self.levers.mentors.priority
            if priority == "less_autonomous":
                key = pop.autonomy[pool]
            elif priority == "low_means":
                key = (~pop.low_means[pool]).astype(float) + pop.curiosity[pool] * 0.5
            else:
                key = pop.curiosity[pool]  # arrival order: a fixed per-resident number, the same in every design
            self._mentor_pool = pool[np.argsort(key, kind="stable")]
            self._mentor_week = self.week
            self._mentor_loads = np.bincount(
                np.maximum(self.mentor_of, 0), weights=pop.weight * ((self.mentor_of >= 0) & (pop.mentored_until >= self.week)),
                minlength=max(1, max((m.unique_id for m in self.mentors), default=0) + 1))
        return self._mentor_pool  # residents taken on leave it (start_mentorship)

    def start_mentorship(self, rows: np.ndarray, mentor: Mentor) -> None:
        """Residents start a mentorship with ``mentor`` for the scenario's weeks."""
        self.mentor_of[rows] = mentor.unique_id
        self.pop.mentored_until[rows] = self.week + self.levers.mentors.mentorship_weeks - 1
        if getattr(self, "_mentor_week", None) == self.week:
            self._mentor_loads[mentor.unique_id] += float(self.pop.weight[rows].sum())
            self._mentor_pool = _without(self._mentor_pool, rows)

    def mentor_load(self, mentor: Mentor) -> float:
        """Residents (true scale) a mentor guides now."""
        self.mentor_candidates()  # makes this week's pool and loads
        return float(self._mentor_loads[mentor.unique_id])

    def mentors_guide(self) -> None:
        """Mentors help their mentees find the next step of a learning path (they know the whole offer) and take it."""
        if not self.on("mentors"):
            return
        pop, off = self.pop, self.offers
        rows = np.flatnonzero((pop.mentored_until >= self.week) & (pop.enrolled < 0))
        if rows.size == 0:
            return
        m = off.n
        room = self.occupancy()[:m] < off.capacity[:m]
        affordable = (off.price[None, :m] <= 0) | (~pop.low_means[rows] | self._fundable(rows))[:, None]
        learned = self._discover(rows, Channel.MENTOR, "mentors", scope="local", only=room[None, :] & affordable)
        go_draw = self.streams["mentors"].random(pop.n)[rows]
        ok = learned >= 0
        p = self._act_prob(rows) * self.u.search_prob_per_week * 2 * pop.curiosity[rows] * self.u.mentor_effect
        go = ok & (go_draw < p)
        if go.any():
            self._enrol(rows[go], learned[go], self._pair_travel(rows[go], learned[go]))

    # ------------------------------------------------------------------ 4 choice
    def _act_prob(self, rows: np.ndarray) -> np.ndarray:
        pop = self.pop
        autonomy = pop.autonomy[rows]
        mentored = pop.mentored_until[rows] >= self.week
        effect = self.u.mentor_effect if self.on("mentors") else 1.0
        return np.where(mentored, np.minimum(1.0, autonomy * effect), autonomy)

    def look_for_next_step(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Residents not taking part choose among known offers: interest, level, travel, price, friends, capacity.

        Returns the residents who started an offer this week.
        """
        pop, off, u = self.pop, self.offers, self.u
        m = off.n
        rng = self.streams["choice"]
        if rows is None:
            everyone = np.arange(pop.n)
            p = u.search_prob_per_week * 2 * pop.curiosity * self._act_prob(everyone)
            rows = np.flatnonzero((rng.random(pop.n) < p) & (pop.enrolled < 0))
        rows = rows[pop.enrolled[rows] < 0]
        if rows.size == 0 or m == 0:
            return np.zeros(0, dtype=np.int64)
        r_loc, offer = _nonzero_2d(self.known[rows, :m])
        who = rows[r_loc]
        ok, tt, fit = self._pair_fit(who, offer)
        # price: low-means residents can only take a paid offer when the club budget pays
        funded = self._fundable(rows)[r_loc]
        can_pay = ~pop.low_means[who]
        paid = off.price[offer] > 0
        ok &= ~paid | can_pay | funded
        r_loc, offer, who, tt, fit, funded, can_pay = (a[ok] for a in (r_loc, offer, who, tt, fit, funded, can_pay))
        if self.on("choice"):
            decay = u.distance_decay_per_min * np.where(pop.is_child[who], u.child_distance_factor, 1.0)
            utility = fit - decay * tt - np.where(funded | ~can_pay, 0.0, u.price_weight * off.price[offer])
            if u.friend_weight > 0 and pop.friends.shape[1] and self.on("friends"):
                fr = pop.friends[rows]  # per chooser, then per pair: friends are the chooser's, not the pair's
                fr_offer = np.where(fr >= 0, pop.enrolled[np.maximum(fr, 0)], -1)
                utility += u.friend_weight * (fr_offer[r_loc] == offer[:, None]).any(axis=1)
        else:  # knocked out: an uninformed pick among known eligible offers, with the same mean appeal
            utility = np.full(offer.size, float(np.mean(fit)) if fit.size else 0.0)
        utility = utility + rng.gumbel(size=utility.size)
        best, row = self._best_per_row(r_loc, utility)
        take = utility[best] > OUTSIDE_OPTION + rng.gumbel(size=best.size)
        best, row = best[take], row[take]
        return self._enrol(rows[row], offer[best], tt[best])

    def _fundable(self, rows: np.ndarray) -> np.ndarray:
        c = self.levers.clubs
        if not c.enabled or not self.clubs or not self.on("club_budget"):
            return np.zeros(rows.size, dtype=bool)
        pop = self.pop
        left = np.array([club.budget_left_eur for club in self.clubs])
        left = np.full(rows.size, left.sum()) if self.clubs_connected() else left[pop.wijk[rows]]
        member = pop.club_member[rows] & (pop.low_means[rows] | (not c.means_test))
        return member & (left > 0) & (pop.funded_eur[rows] < c.cap_per_member_eur)

    def _enrol(self, chooser: np.ndarray, choice: np.ndarray, travel: np.ndarray, stream: str = "enrol") -> np.ndarray:
        """Seat choosers up to each offer's places (random order, the waiting list first); the rest wait.

        Each chooser takes its weight in places; the one who would overfill an offer is
        seated with the chance of the places left (so a small run fills offers as the
        whole town would, in expectation). ``stream``: a rule of its own seats from its own
        stream, so switching it off leaves everyone else's draws alone.
        """
        pop, off = self.pop, self.offers
        rng = self.streams[stream]
        order = rng.permutation(chooser.size)
        order = order[np.argsort(pop.waiting[chooser[order]] != choice[order], kind="stable")]
        chooser, choice, travel = chooser[order], choice[order], travel[order]
        w = pop.weight[chooser]
        remaining = off.capacity - self.occupancy()
        before = _cum_before(choice, w)
        room = remaining[choice] - before
        accept = (room >= w - 1e-9) | ((room > 0) & (rng.random(chooser.size) * w < room))
        # the club budget pays for paid offers of members who cannot pay, by rule, until it runs out
        needs_pay = accept & (off.price[choice] > 0) & pop.low_means[chooser]
        if needs_pay.any():
            paid = self._pay(chooser, choice, needs_pay & self._fundable(chooser))
            accept &= ~needs_pay | paid
        rejected = ~accept
        pop.waiting[chooser[rejected]] = choice[rejected]
        np.add.at(self.waitlisted, choice[rejected], w[rejected])
        np.add.at(self.review_waitlisted, choice[rejected], w[rejected])
        self._refused_this_week += float(w[rejected].sum())
        who, what = chooser[accept], choice[accept]
        pop.enrolled[who] = what
        pop.weeks_left[who] = off.duration[what]
        pop.waiting[who] = -1
        pop.ever_active[who] = True
        pop.participations[who] += 1
        self._started_this_week[who] = True
        np.add.at(self.enrolments, what, pop.weight[who])
        np.add.at(self.review_enrolled, what, pop.weight[who])
        offline = ~off.online[what]
        ww = pop.weight[who]
        self._travel_sum += float((travel[accept] * ww)[offline].sum())
        self._travel_count += float(ww[offline].sum())
        self.playlists_started += float(ww[~offline].sum())
        return who

    def _pay(self, chooser: np.ndarray, choice: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Spend club budgets on members who cannot pay: the priority group from its reserve first.

        With connected clubs, a member whose own club has run out is paid by the club with
        most left. Returns which choosers got paid.
        """
        pop, c = self.pop, self.levers.clubs
        idx = np.flatnonzero(mask)
        paid = np.zeros(chooser.size, dtype=bool)
        if idx.size == 0:
            return paid
        who, price = chooser[idx], self.offers.price[choice[idx]]
        prio = self.priority_group[who]
        idx_order = np.argsort(~prio, kind="stable")  # the priority group is served first within the week
        connected = self.clubs_connected()
        for j in idx_order:
            r = who[j]
            if pop.funded_eur[r] + price[j] > c.cap_per_member_eur + 1e-9:
                continue
            cost = price[j] * pop.weight[r]
            club = self.clubs[pop.wijk[r]]
            if not club.can_pay(cost, bool(prio[j])) and connected:
                club = max(self.clubs, key=lambda cl: cl.budget_left_eur if prio[j] else cl.open_left)
            if club.can_pay(cost, bool(prio[j])):
                club.pay_for(cost, bool(prio[j]))
                pop.funded_eur[r] += price[j]
                self.budget_spent_eur += cost
                if pop.autonomy[r] < self.autonomy_median:
                    self.budget_spent_less_autonomous_eur += cost
                paid[idx[j]] = True
        return paid

    # ------------------------------------------------------------------ 5 taking part, progression
    def take_part(self) -> None:
        """Participants take part; on completion they progress, may earn a badge and are referred onward."""
        pop, off, u = self.pop, self.offers, self.u
        self.taking_part_weekly.append(self.occupancy()[: off.n])  # everyone enrolled now takes part this week
        rng = self.streams["take_part"]
        draws = rng.random((pop.n, 2))
        busy = np.flatnonzero(pop.enrolled >= 0)
        pop.weeks_left[busy] -= 1
        done = busy[pop.weeks_left[busy] <= 0]
        if done.size == 0:
            return
        offer = pop.enrolled[done]
        online = off.online[offer]
        p_complete = u.completion_prob * np.where(online, u.playlist_completion_factor, 1.0)
        completed = draws[done, 0] < p_complete
        who, what = done[completed], offer[completed]
        ww = pop.weight[who]
        np.add.at(self.completions, what, ww)
        pop.completions[who] += 1
        self.playlists_completed += float(ww[online[completed]].sum())
        if u.progression_prob > 0 and self.on("progression"):
            lvl = off.level[what]
            moves = draws[who, 1] < u.progression_prob
            for t in range(len(THEMES)):
                sel = moves & off.themes[what, t] & (lvl > pop.level[who, t])
                pop.level[who[sel], t] += 1
            self._levels_changed(who)
        if self.levers.badges.enabled and self.on("badges"):
            earned = off.badge[what]
            pop.badges[who[earned]] += 1
            pop.badges_unused[who[earned]] += 1
        pop.enrolled[done] = -1
        pop.weeks_left[done] = 0
        if self.on("referral"):
            self.refer(who, what)

    def refer(self, rows: np.ndarray, finished: np.ndarray) -> np.ndarray:
        """After an activity the provider refers participants onward (seed §1: "na een ervaring
        gemakkelijk een volgende activiteit vinden").

        Chance ``referral_prob`` (×1.5 with the shared overview). With the shared overview the
        next activity is also easy to take: a referred resident starts it at once with chance
        ``next_step_prob`` when it has places. Completers who learn of no next step count
        towards their provider's review (a follow-on offer may be added, or a referral
        partnership formed). Then, with the shared overview, providers with partners hand
        over those who took no next step (:meth:`_hand_over`).
        """
        shared = self.levers.wegwijzer.shared_overview
        p_ref = min(1.0, self.u.referral_prob * (1.5 if shared else 1.0))
        draw = self.streams["referral"].random((self.pop.n, 2))
        go = draw[rows, 0] < p_ref
        referred, at = rows[go], finished[go]
        learned = self._refer_from(referred, Channel.REFERRAL, "referral", at=at)
        stuck = learned < 0
        np.add.at(self.review_stuck, at[stuck], self.pop.weight[referred[stuck]])
        if shared and referred.size:
            take = (learned >= 0) & (draw[referred, 1] < self.u.next_step_prob)
            if take.any():
                self._enrol(referred[take], learned[take], self._pair_travel(referred[take], learned[take]))
        if shared and self.on("referral_partnerships") and self.partnerships.any():
            self._hand_over(rows, finished)
        return learned

    def _hand_over(self, rows: np.ndarray, finished: np.ndarray) -> None:
        """Completers who took no next step are handed over by their provider to a partner's offer one
        level up in the theme of what they finished (known to them or not), and start it with chance
        :data:`PARTNER_HANDOVER_PROB` when it has places. Draws from its own stream."""
        pop, off = self.pop, self.offers
        m = off.n
        draw = self.streams["partnerships"].random(pop.n)
        free = pop.enrolled[rows] < 0
        rows, finished = rows[free], finished[free]
        prov = self.offer_provider[finished]
        with_partners = self.partnerships[prov].any(axis=1)
        rows, finished, prov = rows[with_partners], finished[with_partners], prov[with_partners]
        if rows.size == 0:
            return
        nxt = (self.partnerships[prov][:, self.offer_provider[:m]]
               & (off.level[None, :m] == off.level[finished][:, None] + 1)
               & off.themes[:m][:, self.primary_theme[finished]].T)
        r_loc, offer = _nonzero_2d(nxt)
        ok, tt, fit = self._pair_fit(rows[r_loc], offer)
        r_loc, offer, tt, fit = r_loc[ok], offer[ok], tt[ok], fit[ok]
        decay = self.u.distance_decay_per_min * np.where(pop.is_child[rows[r_loc]], self.u.child_distance_factor, 1.0)
        best, row = self._best_per_row(r_loc, fit - decay * tt)  # the best-fitting partner offer, no noise
        go = draw[rows[row]] < PARTNER_HANDOVER_PROB
        best, row = best[go], row[go]
        if row.size == 0:
            return
        who, what = rows[row], offer[best]
        self._know(who, what)
        started = self._enrol(who, what, tt[best], stream="partnerships")
        self.partner_handovers += float(pop.weight[started].sum())

    def form_partnerships(self, provider: Provider) -> int:
        """With the shared overview, a provider whose completers found no next step with it partners the
        provider of the nearest open offer one level up in that theme (seed §1: organisations refer
        learners to each other); its completers who take no next step are then handed over there
        (:meth:`_hand_over`). A partner with no open offer left is dropped; at most :data:`MAX_PARTNERS`
        each; no randomness. Returns the partnerships formed."""
        if not (self.levers.wegwijzer.shared_overview and self.on("referral_partnerships")):
            return 0
        off, i = self.offers, provider.index
        m = off.n
        open_now = (off.end_week[:m] >= self.week) & (off.capacity[:m] > 0)  # as has_next_step reads it
        still_open = np.bincount(self.offer_provider[:m][open_now], minlength=self.partnerships.shape[1]) > 0
        self.partnerships[i] &= still_open
        formed = 0
        for k in provider.offers:
            if self.partnerships[i].sum() >= MAX_PARTNERS:
                break
            if self.review_stuck[k] <= 0 or off.level[k] >= Level.ZELF_DOEN:
                continue
            nxt = (open_now & (off.level[:m] == off.level[k] + 1) & off.themes[:m, self.primary_theme[k]]
                   & (self.offer_provider[:m] != i) & ~self.partnerships[i][self.offer_provider[:m]])
            cand = np.flatnonzero(nxt)
            if cand.size == 0:
                continue
            placed = cand[off.place[cand] >= 0]
            if placed.size and off.place[k] >= 0:  # the nearest venue; online partners only where none is placed
                metres = np.hypot(*(self.places_xy[off.place[placed]] - self.places_xy[off.place[k]]).T)
                pick = placed[int(np.argmin(metres))]
            else:  # an online offer's completers: the next step with most places
                pick = cand[int(np.argmax(off.capacity[cand]))]
            self.partnerships[i, self.offer_provider[pick]] = True
            formed += 1
        self.partnerships_formed += formed
        return formed

    # ------------------------------------------------------------------ 6 badges
    def unlock_opportunities(self) -> None:
        """Badge holders take up the limited opportunities (internship, workshop, coaching).

        Clubs that are not connected speak their own talent language: a badge only opens the
        opportunities of one's own wijk (places in proportion to its residents). Connected
        clubs (or no clubs: one city-wide platform) share one talent language and one pool.
        """
        b = self.levers.badges
        if not b.enabled or b.opportunity_places_per_year <= 0 or not self.on("opportunities"):
            return
        pop, rng = self.pop, self.streams["opportunities"]
        per_wijk = self._opportunity_per_wijk
        self.opportunity_places += b.opportunity_places_per_year / 52 * self._opportunity_share
        claim = np.flatnonzero((pop.badges_unused > 0) & (rng.random(pop.n) < self.u.opportunity_uptake_prob))
        if claim.size == 0:
            return
        claim = rng.permutation(claim)
        pool = pop.wijk[claim] if per_wijk else np.zeros(claim.size, dtype=np.int64)
        w = pop.weight[claim]
        room = self.opportunity_places[pool] - _cum_before(pool, w)
        # the claimant who would take more than the places left takes them with that chance (a pool may
        # then run a little into debt, repaid by the next weeks' places): unbiased at any population scale
        taken = claim[(room >= w - 1e-9) | ((room > 0) & (rng.random(claim.size) * w < room))]
        if taken.size == 0:
            return
        np.subtract.at(self.opportunity_places, pop.wijk[taken] if per_wijk else np.zeros(taken.size, dtype=np.int64),
                       pop.weight[taken])
        kinds = list(b.opportunity_kinds) or ["workshop"]
        for kind, w in zip(rng.choice(len(kinds), size=taken.size), pop.weight[taken]):
            key = str(kinds[kind])
            self.opportunities_by_kind[key] = self.opportunities_by_kind.get(key, 0.0) + float(w)
        pop.badges_unused[taken] -= 1
        pop.opportunities[taken] += 1
        # an internship, workshop or coaching is a zelf doen experience in one's favourite theme
        fav = pop.interests[taken].argmax(axis=1)
        up = (rng.random(taken.size) < self.u.progression_prob) & (pop.level[taken, fav] < Level.ZELF_DOEN)
        if self.on("progression"):
            pop.level[taken[up], fav[up]] += 1
            self._levels_changed(taken[up])

    # ------------------------------------------------------------------ 7 peer groups, learners become teachers
    def peer_candidates(self) -> np.ndarray:
        """Residents at samen/zelf doen who want to join a peer group this week (random order, fixed per week)."""
        if getattr(self, "_peer_week", None) != self.week:
            pop, rng = self.pop, self.streams["peer"]
            want = rng.random(pop.n) < self.u.peer_join_prob
            pool = rng.permutation(np.flatnonzero(want & (self.max_level() >= Level.SAMEN_DOEN)))
            self._peer_pool = pool[pop.peer_until[pool] < self.week]  # not in a group now; joiners leave it
            self._peer_progress_draw = rng.random(pop.n)
            self._peer_week = self.week
            active = np.flatnonzero((pop.peer_until >= self.week) & (self.host_of >= 0))
            members = active[np.argsort(self.host_of[active], kind="stable")]
            hosts = self.host_of[members]
            ids, first = np.unique(hosts, return_index=True)
            last = np.r_[first[1:], hosts.size]
            self._peer_members = members
            self._peer_bounds = {int(h): (int(a), int(b)) for h, a, b in zip(ids, first, last)}
        return self._peer_pool

    def host_members(self, host: Host) -> np.ndarray:
        """This week's members of a host's group (computed once a week for all hosts)."""
        self.peer_candidates()
        lo, hi = self._peer_bounds.get(host.unique_id, (0, 0))
        members = self._peer_members[lo:hi]
        return members[self.pop.peer_until[members] >= self.week]

    def join_peer_group(self, rows: np.ndarray, host: Host) -> None:
        pop = self.pop
        pop.peer_until[rows] = self.week + PEER_GROUP_WEEKS - 1
        self.host_of[rows] = host.unique_id
        pop.ever_active[rows] = True
        if getattr(self, "_peer_week", None) == self.week:
            self._peer_pool = _without(self._peer_pool, rows)

    def peer_members_progress(self, members: np.ndarray) -> None:
        """Peer-group members move up a level in a theme they are at samen doen in (peer_progress_prob a week)."""
        if members.size == 0:
            return
        self.peer_candidates()  # makes this week's draws
        pop = self.pop
        grow = members[self._peer_progress_draw[members] < self.u.peer_progress_prob]
        if grow.size and self.on("progression"):
            lvl = pop.level[grow]
            theme = np.where(lvl == Level.SAMEN_DOEN, pop.interests[grow], -1.0).argmax(axis=1)
            up = lvl[np.arange(grow.size), theme] == Level.SAMEN_DOEN
            pop.level[grow[up], theme[up]] += 1
            self._levels_changed(grow[up])

    def learners_become_teachers(self) -> None:
        """With matchmaking, residents at zelf doen start offers of their own (new offers appear).

        A simulated resident stands for ``weight`` residents: its offer has ``weight ×
        teacher_capacity`` places, and learners' offers stop at ``max_new_offers`` teachers.
        """
        pg = self.levers.peer_groups
        if not (pg.enabled and pg.matchmaking) or not self.on("learners_become_teachers") or self.max_new_offers <= 0:
            return
        pop, off, rng = self.pop, self.offers, self.streams["teachers"]
        draw = rng.random(pop.n)
        teachers = float(pop.weight[pop.is_teacher].sum())
        ready = np.flatnonzero(~pop.is_teacher & (self.max_level() >= Level.ZELF_DOEN) & (draw < self.u.teacher_prob_per_week))
        ready = rng.permutation(ready)
        ready = ready[teachers + np.cumsum(pop.weight[ready]) <= pg.max_new_offers + 1e-9]
        ready = ready[: max(0, self.offers_capacity_rows - FOLLOW_ON_ROWS - off.n)]
        for r in ready.tolist():
            theme = int(np.where(pop.level[r] >= Level.ZELF_DOEN, pop.interests[r], -1.0).argmax())
            place = self.nearest_place[pop.home_row[r]] if len(self.places_xy) else -1
            themes = np.zeros(len(THEMES), dtype=bool)
            themes[theme] = True
            k = off.append(f"learner:{self.week}:{r}", f"{THEMES[theme].label_nl}: van bewoner voor bewoners", f"bewoner {r}",
                           ProviderType.RESIDENT, themes=themes, level=Level.SAMEN_DOEN, age_min=6, age_max=100,
                           place=place, online=place < 0, capacity=float(pg.teacher_capacity * pop.weight[r]), duration=6,
                           start_week=self.week + 1, end_week=10_000, hours=2.0, price=0.0, badge=False, from_learner=True)
            self.primary_theme[k] = theme
            provider = Provider(self, f"bewoner {r}", ProviderType.RESIDENT)
            provider.offers.append(k)
            self.provider_list.append(provider)
            provider.index = len(self.provider_list) - 1
            self.offer_provider[k] = provider.index
            pop.is_teacher[r] = True
            # the matchmaking platform makes the new offer findable: friends and digital neighbours
            fr = pop.friends[r]
            fr = fr[fr >= 0]
            local = self._digital_by_wijk()[pop.wijk[r]]
            neighbours = local[rng.random(local.size) < 0.05]
            reach = np.union1d(fr, neighbours)
            new = ~self.known[reach, k]
            self.known[reach, k] = True
            self.discoveries[Channel.MATCHMAKING] += float(pop.weight[reach[new]].sum())

    def _digital_by_wijk(self) -> list[np.ndarray]:
        """The residents with digital access, per wijk (the matchmaking platform's neighbours; built once)."""
        if getattr(self, "_digital_wijk", None) is None:
            pop = self.pop
            self._digital_wijk = [np.flatnonzero((pop.wijk == w) & pop.digital) for w in range(self.n_wijken)]
        return self._digital_wijk

    # ------------------------------------------------------------------ 8 providers adapt
    def has_next_step(self, k: int) -> bool:
        """Whether an open offer one level above offer ``k`` exists in its theme, in its wijk, at the site or online."""
        off = self.offers
        m = off.n
        theme, level = self.primary_theme[k], off.level[k]
        wijk = self._offer_wijk()
        local = (wijk == wijk[k]) | self._city_wide()
        nxt = (off.level[:m] == level + 1) & off.themes[:m, theme] & (off.end_week[:m] >= self.week) & (off.capacity[:m] > 0)
        return bool((nxt & local).any())

    def add_follow_on(self, provider: Provider, k: int, share: float) -> int | None:
        """A provider adds a follow-on offer one level above offer ``k``, at the same place."""
        off = self.offers
        if off.n >= self.offers_capacity_rows:
            return None
        level = int(off.level[k]) + 1
        new = off.append(f"{off.ids[k]}:vervolg", f"{off.titles[k]} — vervolg", off.providers[k], off.provider_type[k],
                         themes=off.themes[k].copy(), level=level, age_min=off.age_min[k], age_max=off.age_max[k],
                         place=off.place[k], online=off.online[k], at_site=off.at_site[k],
                         capacity=max(1.0, share * off.capacity[k]), duration=off.duration[k], start_week=self.week + 1,
                         end_week=10_000, hours=off.hours[k], price=off.price[k], badge=off.badge[k] or level == Level.ZELF_DOEN)
        self.primary_theme[new] = self.primary_theme[k]
        self.offer_site[new] = self.offer_site[k]
        provider.offers.append(new)
        self.offer_provider[new] = self.offer_provider[k]
        # the provider tells its own completers of the new step
        completed_here = self.known[:, k] & (self.pop.participations > 0)
        self.known[completed_here, new] = True
        return new

    # ================================================================== tallies for indicators
    def _record_uptake(self) -> None:
        """Participants and newcomers per offer, wijk and age group this week (true scale)."""
        pop = self.pop
        busy = np.flatnonzero(pop.enrolled >= 0)
        is_new, self._started_this_week = self._started_this_week, np.zeros(pop.n, dtype=bool)
        if busy.size == 0:
            return
        key = (pop.enrolled[busy].astype(np.int64) * self.n_wijken + pop.wijk[busy]) * len(AGE_GROUPS) + self._age_group_index[busy]
        uniq, inv = np.unique(key, return_inverse=True)
        part = np.bincount(inv, weights=pop.weight[busy])
        newc = np.bincount(inv, weights=pop.weight[busy] * is_new[busy])
        self._uptake.append(pd.DataFrame({"week": self.week, "key": uniq, "participants": part, "new_participants": newc}))

    def uptake_frame(self) -> pd.DataFrame:
        """Weekly uptake: week, offer_id, wijk, age_group, participants, new_participants (true scale)."""
        if not self._uptake:
            return pd.DataFrame(columns=["week", "offer_id", "wijk", "age_group", "participants", "new_participants"])
        frame = pd.concat(self._uptake, ignore_index=True)
        key = frame.pop("key").to_numpy()
        g = len(AGE_GROUPS)
        offer, rest = np.divmod(key, self.n_wijken * g)
        wijk, age = np.divmod(rest, g)
        frame.insert(1, "offer_id", np.asarray(self.offers.ids, dtype=object)[offer])
        frame.insert(2, "wijk", np.asarray(self.wijk_names, dtype=object)[wijk])
        frame.insert(3, "age_group", np.asarray([a[0] for a in AGE_GROUPS], dtype=object)[age])
        return frame

    def taking_part_by_week(self) -> np.ndarray:
        """People (true scale) taking part in each offer in each week so far: (weeks, offers), counted
        while they take part, so a participation of d weeks counts d times."""
        m = self.offers.n
        return np.array([np.pad(w, (0, m - w.size)) for w in self.taking_part_weekly]).reshape(-1, m)

    def mentor_utilisation_mean(self) -> float:
        return float(np.mean(self._mentor_use_weekly)) if self._mentor_use_weekly else 0.0

    def mean_travel_minutes(self) -> float:
        return self._travel_sum / self._travel_count if self._travel_count else 0.0

    def waitlist_mean(self) -> float:
        return float(np.mean(self._waitlist_weekly)) if self._waitlist_weekly else 0.0
