"""The learning-ecosystem model: one tick is one week of the pilot (see model/README.md).

Each week, in this order (``LearningEcosystem.step``):

1. the central site opens its week (guests rotate) and providers' offers open or close;
2. the wegwijzer informs: website, magazine, desk, friends, showcases near the site;
3. mentors take on residents, the less autonomous first, within their hours, and guide
   their mentees to a next step;
4. residents look for a next step and choose among the offers they know (batched);
   the club budget pays for members who cannot; full offers keep a waiting list;
5. participants take part; on completion they progress on their learning path, may
   earn a badge and are referred onward;
6. badges unlock a limited number of opportunities;
7. peer groups meet with their hosts; with matchmaking, learners become teachers;
8. indicators are collected.

All randomness comes from ``self.rng`` (Mesa's seeded generator).
"""
from __future__ import annotations

import functools
import math
from typing import Callable

import mesa
import numpy as np

from model.agents import Club, Host, Mentor, Provider, Resident
from model.domain import THEMES, Channel, Level, ProviderType
from model.indicators import INDICATORS
from model.offers import OfferTable, build_offer_specs
from model.population import MODES, synthesize
from model.scenario import PlaceSpec, Scenario, ScenarioError

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


@functools.lru_cache(maxsize=1)
def _to_lambert():
    """WGS84 → Belgian Lambert 72 (built once: a pyproj Transformer takes ~20 ms to make)."""
    from pyproj import Transformer

    return Transformer.from_crs(4326, 31370, always_xy=True)


def stochastic_round(rng: np.random.Generator, value: np.ndarray | float) -> np.ndarray:
    """Round down or up with the fractional part as probability (scales counts to the population scale)."""
    value = np.asarray(value, dtype=float)
    base = np.floor(value)
    return (base + (rng.random(value.shape) < (value - base))).astype(np.int64)


class LearningEcosystem(mesa.Model):
    """Residents, providers and mentors of Genk finding, taking up and progressing through offers."""

    def __init__(self, scenario: Scenario, seed: int = 0, geography=None, population_scale: float | None = None,
                 weeks: int | None = None):
        super().__init__(seed=seed)
        self.run_seed = seed
        if geography is None:
            from model.geography import load_genk

            geography = load_genk()
        self.scenario = scenario
        self.geo = geography
        self.population_scale = float(population_scale if population_scale is not None else scenario.run.population_scale)
        self.weeks = int(weeks if weeks is not None else scenario.run.weeks)
        self.week = 0
        u, levers = scenario.uncertainties, scenario.levers
        self.u, self.levers = u, levers

        self.wijk_names: list[str] = [str(w) for w in geography.wijken["wijk"]]
        self.wijk_index = {w: i for i, w in enumerate(self.wijk_names)}
        self.n_wijken = len(self.wijk_names)
        n_total = int(round(geography.population["count"].sum()))
        self.pop, self.homes = synthesize(geography, u, self.population_scale, n_total, self.wijk_index, self.rng)
        n = self.pop.n

        self.discoveries = {channel: 0 for channel in Channel}
        self._build_offers()
        self._build_travel()
        self._build_agents()
        self._init_knowledge()

        # running tallies read by the indicators
        self.budget_spent_eur = 0.0
        self.playlists_started = 0
        self.playlists_completed = 0
        self._travel_sum = 0.0
        self._travel_count = 0
        self._waitlist_weekly: list[int] = []
        self._mentor_use_weekly: list[float] = []
        self.enrolments = np.zeros(self.offers_capacity_rows, dtype=np.int64)
        self.completions = np.zeros(self.offers_capacity_rows, dtype=np.int64)
        self.waitlisted = np.zeros(self.offers_capacity_rows, dtype=np.int64)
        self.opportunity_places = 0.0
        self.opportunities_by_kind: dict[str, int] = {}
        self.datacollector = mesa.DataCollector(model_reporters={name: ind.fn for name, ind in INDICATORS.items()})
        assert n == len(self.residents)

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
            if site.place.kind == "central_site":
                raise ScenarioError("levers.central_site.place cannot itself be 'central_site'; pick a venue or a point")
            return self._place_xy(site.place, "levers.central_site.place")
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
        specs = build_offer_specs(self.scenario, self.geo.venues, horizon=self.weeks)
        self.offer_specs = specs
        places: dict[tuple[float, float], int] = {}
        place_of = []
        for i, spec in enumerate(specs):
            xy = self._place_xy(spec.place, f"offer {spec.id!r} place")
            if xy is None:
                place_of.append(-1)
                continue
            place_of.append(places.setdefault(xy, len(places)))
        # the central site is a place even before any offer is there (showcases, site walk times)
        self.site_place = -1
        if self.levers.central_site.enabled:
            xy = self._place_xy(self.levers.central_site.place, "levers.central_site.place")
            self.site_place = places.setdefault(xy, len(places))
        # learners who become teachers use the nearest existing venue (club room, buurthuis)
        self.places_xy = np.array(list(places), dtype=float).reshape(-1, 2)
        pg = self.levers.peer_groups
        self.max_new_offers = (int(math.ceil(pg.max_new_offers * self.population_scale))
                               if pg.enabled and pg.matchmaking else 0)
        m0 = len(specs)
        rows = m0 + self.max_new_offers
        self.offers_capacity_rows = rows
        s = self.population_scale
        cap = np.array([spec.capacity_per_week for spec in specs], dtype=float)
        online = np.array([spec.place.kind == "online" for spec in specs], dtype=bool)
        scaled_cap = np.where(online, cap, stochastic_round(self.rng, cap * s))  # unbiased: small offers may get 0 places at small scales

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
            place=arr(place_of, np.int64, -1), capacity=arr(scaled_cap, np.int64),
            duration=arr([spec.duration_weeks for spec in specs], np.int32, 1),
            start_week=arr([spec.start_week for spec in specs], np.int32, 1),
            end_week=arr([spec.end_week for spec in specs], np.int32, 0),
            hours=arr([spec.hours_per_week for spec in specs], float), price=arr([spec.price_eur for spec in specs], float),
            badge=arr([spec.awards_badge for spec in specs], bool),
            at_site=arr([spec.place.kind == "central_site" for spec in specs], bool), online=arr(online, bool),
            from_learner=np.zeros(rows, dtype=bool), n=m0,
        )
        self.primary_theme = np.array([THEMES.index(spec.themes[0]) for spec in specs] + [0] * self.max_new_offers, dtype=np.int64)
        site = self.levers.central_site
        self.site_person_hours = (site.room_capacity * s * site.opening_hours_per_week) if site.enabled else 0.0

    def _build_travel(self) -> None:
        """Door-to-door minutes from every simulated home to every place, per mode (cached by the geography)."""
        n_places = len(self.places_xy)
        self.travel: list[np.ndarray] = []
        for mode in MODES:
            if n_places:
                tt = np.asarray(self.geo.travel_minutes(self.homes, self.places_xy, mode), dtype=np.float32)
            else:
                tt = np.zeros((len(self.homes), 0), dtype=np.float32)
            self.travel.append(tt)
        walk = self.travel[MODES.index(MODES[0])]
        self.site_walk = walk[:, self.site_place] if self.site_place >= 0 else None
        # nearest venue place per home, for offers started by learners (club room / buurthuis)
        self.nearest_place = walk.argmin(axis=1) if n_places else np.zeros(len(self.homes), dtype=np.int64)

    def _build_agents(self) -> None:
        n = self.pop.n
        for i in range(n):
            Resident(self, i)
        self.residents = self.agents_by_type[Resident]
        site = self.levers.central_site
        roles = {ProviderType(p): "permanent" for p in site.permanent_providers} if site.enabled else {}
        roles.update({ProviderType(p): "guest" for p in site.guest_providers} if site.enabled else {})
        self.providers: dict[str, Provider] = {}
        for k in range(self.offers.n):
            name = self.offers.providers[k] or self.offers.ids[k]
            provider = self.providers.get(name)
            if provider is None:
                role = roles.get(self.offers.provider_type[k]) if self.offers.at_site[k] else None
                provider = self.providers[name] = Provider(self, name, self.offers.provider_type[k], role)
            provider.offers.append(k)
        self.offer_provider = np.zeros(self.offers_capacity_rows, dtype=np.int64)
        self.provider_list = list(self.providers.values())
        index = {p.name: i for i, p in enumerate(self.provider_list)}
        for k in range(self.offers.n):
            self.offer_provider[k] = index[self.offers.providers[k] or self.offers.ids[k]]
        # mentors: slots at the simulated scale
        m = self.levers.mentors
        slots_total = int(stochastic_round(self.rng, m.hours_per_week / m.hours_per_mentee * self.population_scale)) if m.enabled else 0
        self.mentor_slots = slots_total
        n_mentors = max(1, math.ceil(m.hours_per_week / MENTOR_HOURS_EACH)) if slots_total else 0
        self.mentors = [Mentor(self, s) for s in np.diff(np.linspace(0, slots_total, n_mentors + 1).round().astype(int))]
        self.mentor_of = np.full(n, -1, dtype=np.int32)
        # hosts of peer groups
        pg = self.levers.peer_groups
        self.hosts = [Host(self, pg.group_size) for _ in range(int(stochastic_round(self.rng, pg.n_hosts * self.population_scale)))] if pg.enabled else []
        self.peer_slots = len(self.hosts) * pg.group_size
        # clubs: one per wijk, budget in proportion to residents
        c = self.levers.clubs
        self.clubs: list[Club] = []
        if c.enabled:
            share = np.bincount(self.pop.wijk, minlength=self.n_wijken) / n
            for w, name in enumerate(self.wijk_names):
                self.clubs.append(Club(name, c.budget_eur_per_year * self.population_scale * share[w], c.cap_per_member_eur))
            self.pop.club_member[:] = self.rng.random(n) < c.membership_share
            if c.connected:
                for club in self.clubs:
                    club.linked_clubs = [other.wijk for other in self.clubs if other is not club]

    def _init_knowledge(self) -> None:
        """Before the pilot residents know some offers near home (local first)."""
        n = self.pop.n
        self.known = np.zeros((n, self.offers_capacity_rows), dtype=bool)
        m = self.offers.n
        u = self.u
        for lo in range(0, n, CHUNK):
            rows = np.arange(lo, min(n, lo + CHUNK))
            tt = self._travel_rows(rows)[:, :m]
            eligible = self._age_ok(rows)[:, :m] & ~self.offers.online[None, :m]
            p = u.initial_knowledge_prob * np.exp(-tt / 10.0)
            self.known[rows, :m] = eligible & (self.rng.random(p.shape) < p)
        self.discoveries[Channel.INITIAL] = int(self.known.sum())

    # ================================================================== helpers on batches
    def _travel_rows(self, rows: np.ndarray) -> np.ndarray:
        """Minutes from these residents' homes to every offer, by each resident's own mode (0 online)."""
        m = self.offers.n
        out = np.zeros((rows.size, m), dtype=np.float32)
        place = self.offers.place[:m]
        offline = place >= 0
        if not offline.any():
            return out
        modes = self.pop.mode[rows]
        home = self.pop.home_row[rows]
        cols = place[offline]
        for k, tt in enumerate(self.travel):
            sel = modes == k
            if sel.any():
                block = tt[home[sel]][:, cols]
                tmp = out[sel]
                tmp[:, offline] = block
                out[sel] = tmp
        return out

    def _age_ok(self, rows: np.ndarray) -> np.ndarray:
        m = self.offers.n
        age = self.pop.age[rows][:, None]
        return (age >= self.offers.age_min[None, :m]) & (age <= self.offers.age_max[None, :m])

    def _open(self) -> np.ndarray:
        m = self.offers.n
        w = self.week
        return (self.offers.start_week[:m] <= w) & (w <= self.offers.end_week[:m])

    def _pair_travel(self, who: np.ndarray, offer: np.ndarray) -> np.ndarray:
        """Minutes from each resident's home to each paired offer by the resident's own mode (0 online)."""
        tt = np.zeros(who.size, dtype=np.float32)
        place = self.offers.place[offer]
        offline = place >= 0
        modes = self.pop.mode[who]
        home = self.pop.home_row[who]
        for k, table in enumerate(self.travel):
            sel = offline & (modes == k)
            if sel.any():
                tt[sel] = table[home[sel], place[sel]]
        return tt

    def _pair_fit(self, who: np.ndarray, offer: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For (resident, offer) pairs: eligible?, travel minutes and fit (interest and level).

        Eligible: open this week, age in range, at most two levels above one's level in the
        offer's theme and not below it, within one's travel time (online: digital access).
        """
        pop, off, u = self.pop, self.offers, self.u
        age = pop.age[who]
        step = off.level[offer] - pop.level[who, self.primary_theme[offer]]
        tt = self._pair_travel(who, offer)
        ok = (age >= off.age_min[offer]) & (age <= off.age_max[offer]) & (step >= 0) & (step <= 2)
        ok &= (off.start_week[offer] <= self.week) & (self.week <= off.end_week[offer])
        ok &= np.where(off.online[offer], pop.digital[who], tt <= pop.max_travel[who])
        interest = (pop.interests[who] * off.themes[offer]).sum(axis=1) * INTEREST_SCALE
        fit = u.interest_weight * interest + u.level_fit_weight * np.where(step == 1, 1.0, np.where(step == 2, -0.5, 0.0))
        return ok, tt, fit

    def _local_mask(self, rows: np.ndarray) -> np.ndarray:
        """Offers in one's own wijk, at the central site or online (all offers when clubs are connected)."""
        m = self.offers.n
        if self.levers.clubs.enabled and self.levers.clubs.connected:
            return np.ones((rows.size, m), dtype=bool)
        off = self.offers
        return ((self._offer_wijk()[None, :m] == self.pop.wijk[rows][:, None]) | off.at_site[None, :m] | off.online[None, :m])

    def _offer_wijk(self) -> np.ndarray:
        """The wijk index of each offer's place (-1 online or outside Genk)."""
        if getattr(self, "_place_wijk", None) is None:
            self._place_wijk = np.array([self.wijk_index.get(self.geo.wijk_of(x, y), -1) for x, y in self.places_xy],
                                        dtype=np.int64)
        place = self.offers.place[: self.offers.n]
        if not self._place_wijk.size:
            return np.full(place.size, -1, dtype=np.int64)
        return np.where(place >= 0, self._place_wijk[np.maximum(place, 0)], -1)

    def _best_per_row(self, r_loc: np.ndarray, key: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
        """Index of the pair with the highest key for each row that has one; returns (pair index, row)."""
        if key.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        order = np.lexsort((-key, r_loc))
        ro = r_loc[order]
        first = np.r_[True, ro[1:] != ro[:-1]]
        return order[first], ro[first]

    def _discover(self, rows: np.ndarray, channel: Channel, scope: str = "all", only: np.ndarray | None = None,
                  sample: int = 48) -> np.ndarray:
        """Each resident in ``rows`` comes to know one fitting offer they did not know (best of a sample, with noise).

        Returns the offer learned per row (-1 none).
        """
        learned = np.full(rows.size, -1, dtype=np.int64)
        m = self.offers.n
        if rows.size == 0 or m == 0:
            return learned
        cand = ~self.known[rows, :m]
        if only is not None:
            cand &= only
        if scope == "local":
            cand &= self._local_mask(rows)
        r_loc, offer = np.nonzero(cand)
        if r_loc.size == 0:
            return learned
        counts = np.bincount(r_loc, minlength=rows.size)
        keep = self.rng.random(r_loc.size) * counts[r_loc] < sample  # a sample of at most ~`sample` per row
        r_loc, offer = r_loc[keep], offer[keep]
        ok, _, fit = self._pair_fit(rows[r_loc], offer)
        r_loc, offer, fit = r_loc[ok], offer[ok], fit[ok]
        best, row = self._best_per_row(r_loc, fit + self.rng.gumbel(size=fit.size), rows.size)
        self.known[rows[row], offer[best]] = True
        self.discoveries[channel] += int(best.size)
        learned[row] = offer[best]
        return learned

    def _draw(self, p: float | np.ndarray, size: int | None = None) -> np.ndarray:
        size = self.pop.n if size is None else size
        return self.rng.random(size) < p

    # ================================================================== the weekly schedule
    def step(self) -> None:
        self.week += 1
        self._refused_this_week = 0
        if self.week > 1 and (self.week - 1) % 52 == 0:
            self.new_budget_year()
        self.inform()
        self.mentors_take_on()
        self.mentors_guide()
        self.look_for_next_step()
        self.take_part()
        self.unlock_opportunities()
        self.peer_groups_meet()
        self.learners_become_teachers()
        self._waitlist_weekly.append(self._refused_this_week)
        self._mentor_use_weekly.append(float((self.pop.mentored_until >= self.week).sum() / self.mentor_slots) if self.mentor_slots else 0.0)
        self.datacollector.collect(self)

    def new_budget_year(self) -> None:
        """Budgets are per year: each club's budget and each member's cap start afresh."""
        for club in self.clubs:
            club.budget_left_eur = club.budget_eur
        self.pop.funded_eur[:] = 0.0

    def run(self, progress: Callable[[int, int], None] | None = None) -> None:
        for week in range(self.weeks):
            self.step()
            if progress is not None:
                progress(week + 1, self.weeks)

    # ------------------------------------------------------------------ 1-2 information
    def inform(self) -> None:
        """The wegwijzer channels, friends and the site's showcases make offers known."""
        pop, u, ww = self.pop, self.u, self.levers.wegwijzer
        if ww.website:
            rows = np.flatnonzero(pop.digital & self._draw(u.website_use_prob))
            self._discover(rows, Channel.WEBSITE)
        if self.levers.playlists.enabled and not ww.website:  # the playlist platform itself is found online
            rows = np.flatnonzero(pop.digital & self._draw(u.website_use_prob * 0.5))
            self._discover(rows, Channel.PLATFORM, only=self.offers.online[None, : self.offers.n])
        if ww.magazine and ww.magazine_issues_per_year > 0:
            issues = ww.magazine_issues_per_year
            if ((self.week - 1) * issues) % 52 < issues:  # exactly `issues` weeks in every 52
                rows = np.flatnonzero(self._draw(u.magazine_reach))
                for _ in range(2):
                    self._discover(rows, Channel.MAGAZINE)
        if ww.desk:
            visiting = np.flatnonzero((pop.enrolled >= 0) & self._draw(u.desk_referral_prob * 0.25))
            self._refer_from(visiting, Channel.DESK)
        if u.friend_tell_prob > 0 and pop.friends.shape[1]:
            rows = np.flatnonzero(self._draw(u.friend_tell_prob))
            if rows.size:
                pick = pop.friends[rows, self.rng.integers(0, pop.friends.shape[1], rows.size)]
                ok = pick >= 0
                rows, pick = rows[ok], pick[ok]
                offer = pop.enrolled[pick]
                ok = offer >= 0
                rows, offer = rows[ok], offer[ok]
                new = ~self.known[rows, offer]
                self.known[rows[new], offer[new]] = True
                self.discoveries[Channel.FRIENDS] += int(new.sum())
        self.showcase()

    def showcase(self) -> None:
        """Zien doen: residents near the central site see its showcases and the offer behind them."""
        site = self.levers.central_site
        if not site.enabled or self.site_walk is None or site.showcase_events_per_month <= 0 or site.opening_hours_per_week <= 0:
            return
        events = site.showcase_events_per_month * 12 / 52
        p = 1 - (1 - self.u.showcase_reach) ** events
        near = self.site_walk[self.pop.home_row] <= self.u.showcase_walk_minutes
        rows = np.flatnonzero(near & self._draw(p))
        if rows.size == 0:
            return
        at_site = self.offers.at_site[: self.offers.n]
        learned = self._discover(rows, Channel.SHOWCASE, only=at_site[None, :])
        # seeing it done is the first step of a learning path in that theme
        ok = learned >= 0
        r, k = rows[ok], learned[ok]
        theme = self.primary_theme[k]
        self.pop.level[r, theme] = np.maximum(self.pop.level[r, theme], Level.ZIEN_DOEN)
        self.pop.ever_active[r] = True

    def _refer_from(self, rows: np.ndarray, channel: Channel) -> np.ndarray:
        """Point residents to a next step: everyone's offers with the shared overview, else the
        provider's own and its referral partners' (providers in the same wijk: seed §1, most
        contacts are between parties of the own local surroundings)."""
        if rows.size == 0:
            return np.zeros(0, dtype=np.int64)
        only = None
        if not self.levers.wegwijzer.shared_overview:
            m = self.offers.n
            current = self.pop.enrolled[rows]
            has = (current >= 0)[:, None]
            cur = np.maximum(current, 0)
            own = self.offer_provider[None, :m] == self.offer_provider[cur][:, None]
            offer_wijk = self._offer_wijk()
            partner = (offer_wijk[None, :m] == offer_wijk[cur][:, None]) & (offer_wijk[cur] >= 0)[:, None]
            only = has & (own | partner)
        return self._discover(rows, channel, scope="local", only=only)

    def refer(self, rows: np.ndarray, prob: float) -> np.ndarray:
        """After an activity, providers refer participants onward with chance ``prob``."""
        rows = rows[self._draw(prob, rows.size)] if prob < 1 else rows
        return self._refer_from(rows, Channel.REFERRAL)

    # ------------------------------------------------------------------ 3 mentors
    def mentors_take_on(self) -> None:
        """Mentors fill free slots, prioritising the less autonomous (or low means), within their hours."""
        if not self.mentor_slots:
            return
        pop = self.pop
        ended = (pop.mentored_until > 0) & (pop.mentored_until < self.week)
        if ended.any():
            for mentor in self.mentors:
                mentor.caseload.difference_update(np.flatnonzero(ended & (self.mentor_of == mentor.unique_id)).tolist())
            self.mentor_of[ended] = -1
            pop.mentored_until[ended] = 0
        free = self.mentor_slots - int((pop.mentored_until >= self.week).sum())
        if free <= 0:
            return
        pool = np.flatnonzero((pop.mentored_until == 0) & (pop.level.max(axis=1) < Level.ZELF_DOEN) & (pop.age >= 6)
                              & self._draw(MENTOR_OUTREACH_PROB))
        if pool.size == 0:
            return
        priority = self.levers.mentors.priority
        if priority == "less_autonomous":
            key = pop.autonomy[pool]
        elif priority == "low_means":
            key = (~pop.low_means[pool]).astype(float) + self.rng.random(pool.size) * 0.5
        else:
            key = self.rng.random(pool.size)
        chosen = pool[np.argsort(key, kind="stable")[:free]]
        self.start_mentorship(chosen, self.mentors)

    def start_mentorship(self, rows: np.ndarray, mentors: list[Mentor]) -> None:
        """Assign residents to mentors with room; the mentorship lasts the scenario's weeks."""
        weeks = self.levers.mentors.mentorship_weeks
        it = iter(rows.tolist())
        for mentor in mentors:
            while mentor.free_slots > 0:
                r = next(it, None)
                if r is None:
                    return
                mentor.caseload.add(r)
                self.mentor_of[r] = mentor.unique_id
                self.pop.mentored_until[r] = self.week + weeks - 1

    def mentors_guide(self) -> None:
        """Mentors help their mentees find the next step of a learning path (they know the whole offer)."""
        if not self.mentor_slots:
            return
        pop, off = self.pop, self.offers
        rows = np.flatnonzero((pop.mentored_until >= self.week) & (pop.enrolled < 0))
        if rows.size == 0:
            return
        m = off.n
        # a mentor who knows the offer points to offers with room that the mentee can afford
        occupancy = np.bincount(pop.enrolled[pop.enrolled >= 0], minlength=m)[:m]
        room = occupancy < off.capacity[:m]
        affordable = (off.price[None, :m] <= 0) | (~pop.low_means[rows] | self._fundable(rows))[:, None]
        learned = self._discover(rows, Channel.MENTOR, scope="local", only=room[None, :] & affordable)
        # ... and helps the mentee take that step now (seed §3: help to compose a learning path)
        ok = learned >= 0
        rows, learned = rows[ok], learned[ok]
        go = self._draw(self._act_prob(rows) * self.u.search_prob_per_week * 2 * pop.curiosity[rows] * self.u.mentor_effect, rows.size)
        if go.any():
            self._enrol(rows[go], learned[go], self._pair_travel(rows[go], learned[go]))

    # ------------------------------------------------------------------ 4 choice
    def _act_prob(self, rows: np.ndarray) -> np.ndarray:
        pop = self.pop
        autonomy = pop.autonomy[rows]
        mentored = pop.mentored_until[rows] >= self.week
        return np.where(mentored, np.minimum(1.0, autonomy * self.u.mentor_effect), autonomy)

    def look_for_next_step(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Residents not taking part choose among known offers: interest, level, travel, price, friends, capacity.

        Returns the residents who started an offer this week.
        """
        pop, off, u = self.pop, self.offers, self.u
        m = off.n
        if rows is None:
            free = np.flatnonzero(pop.enrolled < 0)
            p = u.search_prob_per_week * 2 * pop.curiosity[free] * self._act_prob(free)
            rows = free[self._draw(p, free.size)]
        rows = rows[pop.enrolled[rows] < 0]
        if rows.size == 0 or m == 0:
            return np.zeros(0, dtype=np.int64)
        r_loc, offer = np.nonzero(self.known[rows, :m])
        who = rows[r_loc]
        ok, tt, fit = self._pair_fit(who, offer)
        # price: low-means residents can only take a paid offer when the club budget pays
        funded = self._fundable(rows)[r_loc]
        if funded.any():
            left = np.array([club.budget_left_eur for club in self.clubs])[pop.wijk[who]]
            price = off.price[offer]
            funded &= (price <= left) & (pop.funded_eur[who] + price <= self.levers.clubs.cap_per_member_eur)
        can_pay = ~pop.low_means[who]
        paid = off.price[offer] > 0
        ok &= ~paid | can_pay | funded
        r_loc, offer, who, tt, fit, funded, can_pay = (a[ok] for a in (r_loc, offer, who, tt, fit, funded, can_pay))
        decay = u.distance_decay_per_min * np.where(pop.is_child[who], u.child_distance_factor, 1.0)
        utility = fit - decay * tt - np.where(funded | ~can_pay, 0.0, u.price_weight * off.price[offer])
        # friends taking part
        if u.friend_weight > 0 and pop.friends.shape[1]:
            fr = pop.friends[who]
            fr_offer = np.where(fr >= 0, pop.enrolled[np.maximum(fr, 0)], -1)
            utility += u.friend_weight * (fr_offer == offer[:, None]).any(axis=1)
        utility += self.rng.gumbel(size=utility.size)
        best, row = self._best_per_row(r_loc, utility, rows.size)
        take = utility[best] > OUTSIDE_OPTION + self.rng.gumbel(size=best.size)
        best, row = best[take], row[take]
        return self._enrol(rows[row], offer[best], tt[best])

    def _fundable(self, rows: np.ndarray) -> np.ndarray:
        c = self.levers.clubs
        if not c.enabled or not self.clubs:
            return np.zeros(rows.size, dtype=bool)
        pop = self.pop
        left = np.array([club.budget_left_eur for club in self.clubs])[pop.wijk[rows]]
        member = pop.club_member[rows] & (pop.low_means[rows] | (not c.means_test))
        return member & (left > 0) & (pop.funded_eur[rows] < c.cap_per_member_eur)

    def _enrol(self, chooser: np.ndarray, choice: np.ndarray, travel: np.ndarray) -> np.ndarray:
        """Seat choosers up to each offer's capacity (random order), the rest join its waiting list."""
        pop, off = self.pop, self.offers
        # random order, but whoever stands on this offer's waiting list is seated first
        order = self.rng.permutation(chooser.size)
        order = order[np.argsort(pop.waiting[chooser[order]] != choice[order], kind="stable")]
        chooser, choice, travel = chooser[order], choice[order], travel[order]
        occupancy = np.bincount(pop.enrolled[pop.enrolled >= 0], minlength=self.offers_capacity_rows)
        remaining = off.capacity - occupancy
        sort = np.argsort(choice, kind="stable")
        sc = choice[sort]
        rank_sorted = np.arange(sc.size) - np.searchsorted(sc, sc, side="left")
        rank = np.empty_like(rank_sorted)
        rank[sort] = rank_sorted
        accept = rank < remaining[choice]
        # the central site: rooms x opening hours bound the person-hours of its offers
        at_site = off.at_site[choice] & accept
        if at_site.any():
            now = pop.enrolled[pop.enrolled >= 0]
            used = float(off.hours[now][off.at_site[now]].sum())
            hours = np.where(at_site, off.hours[choice], 0.0)
            accept &= ~at_site | (used + np.cumsum(hours) <= self.site_person_hours)
        # the club budget pays for paid offers of members who cannot pay, by rule, until it runs out
        funded = accept & (off.price[choice] > 0) & self._fundable(chooser)
        if funded.any():
            paid = self._pay(chooser, choice, funded)
            accept &= ~funded | paid | ~pop.low_means[chooser]  # those with means pay themselves
        rejected = ~accept
        pop.waiting[chooser[rejected]] = choice[rejected]
        np.add.at(self.waitlisted, choice[rejected], 1)
        self._refused_this_week += int(rejected.sum())
        who, what = chooser[accept], choice[accept]
        pop.enrolled[who] = what
        pop.weeks_left[who] = off.duration[what]
        pop.waiting[who] = -1
        pop.ever_active[who] = True
        pop.participations[who] += 1
        np.add.at(self.enrolments, what, 1)
        offline = ~off.online[what]
        self._travel_sum += float(travel[accept][offline].sum())
        self._travel_count += int(offline.sum())
        self.playlists_started += int((~offline).sum())
        return who

    def _pay(self, chooser: np.ndarray, choice: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Spend club budgets in priority order; returns which of ``mask`` got paid."""
        pop, c = self.pop, self.levers.clubs
        idx = np.flatnonzero(mask)
        who, price = chooser[idx], self.offers.price[choice[idx]]
        if c.priority == "less_autonomous":
            idx_order = np.argsort(pop.autonomy[who], kind="stable")
        elif c.priority == "lowest_level":
            idx_order = np.argsort(pop.level[who].max(axis=1), kind="stable")
        else:
            idx_order = np.arange(idx.size)
        paid = np.zeros(chooser.size, dtype=bool)
        for j in idx_order:
            r, club = who[j], self.clubs[pop.wijk[who[j]]]
            if club.can_pay(price[j], pop.funded_eur[r]):
                club.pay_for(price[j])
                pop.funded_eur[r] += price[j]
                self.budget_spent_eur += price[j] / self.population_scale
                paid[idx[j]] = True
        return paid

    # ------------------------------------------------------------------ 5 taking part, progression
    def take_part(self) -> None:
        """Participants take part; on completion they progress, may earn a badge and are referred onward."""
        pop, off, u = self.pop, self.offers, self.u
        busy = np.flatnonzero(pop.enrolled >= 0)
        pop.weeks_left[busy] -= 1
        done = busy[pop.weeks_left[busy] <= 0]
        if done.size == 0:
            return
        offer = pop.enrolled[done]
        online = off.online[offer]
        p_complete = u.completion_prob * np.where(online, u.playlist_completion_factor, 1.0)
        completed = self._draw(p_complete, done.size)
        who, what = done[completed], offer[completed]
        np.add.at(self.completions, what, 1)
        pop.completions[who] += 1
        self.playlists_completed += int(online[completed].sum())
        # progression: one step up in each theme of the offer, when the offer is above one's level
        if u.progression_prob > 0:
            lvl = off.level[what]
            moves = self._draw(u.progression_prob, who.size)
            for t in range(len(THEMES)):
                sel = moves & off.themes[what, t] & (lvl > pop.level[who, t])
                pop.level[who[sel], t] += 1
        if self.levers.badges.enabled:
            earned = off.badge[what]
            pop.badges[who[earned]] += 1
            pop.badges_unused[who[earned]] += 1
        # referral to a next step happens while still at the provider
        p_ref = min(1.0, u.referral_prob * (1.5 if self.levers.wegwijzer.shared_overview else 1.0))
        self.refer(who, p_ref)
        pop.enrolled[done] = -1
        pop.weeks_left[done] = 0

    # ------------------------------------------------------------------ 6 badges
    def unlock_opportunities(self) -> None:
        """Badge holders take up the limited opportunities (internship, workshop, coaching)."""
        b = self.levers.badges
        if not b.enabled or b.opportunity_places_per_year <= 0:
            return
        pop = self.pop
        self.opportunity_places += b.opportunity_places_per_year * self.population_scale / 52
        places = int(self.opportunity_places)
        if places <= 0:
            return
        claim = np.flatnonzero((pop.badges_unused > 0) & self._draw(self.u.opportunity_uptake_prob))
        if claim.size == 0:
            return
        taken = self.rng.permutation(claim)[:places]
        self.opportunity_places -= taken.size
        kinds = list(b.opportunity_kinds) or ["workshop"]
        for kind in self.rng.choice(len(kinds), size=taken.size):
            self.opportunities_by_kind[str(kinds[kind])] = self.opportunities_by_kind.get(str(kinds[kind]), 0) + 1
        pop.badges_unused[taken] -= 1
        pop.opportunities[taken] += 1
        # an internship, workshop or coaching is a zelf doen experience in one's favourite theme
        fav = pop.interests[taken].argmax(axis=1)
        up = self._draw(self.u.progression_prob, taken.size) & (pop.level[taken, fav] < Level.ZELF_DOEN)
        pop.level[taken[up], fav[up]] += 1

    # ------------------------------------------------------------------ 7 peer groups, learners become teachers
    def peer_groups_meet(self) -> None:
        """Residents at samen/zelf doen join peer groups with a host; members learn from each other."""
        if not self.peer_slots:
            return
        pop, u = self.pop, self.u
        in_group = pop.peer_until >= self.week
        free = self.peer_slots - int(in_group.sum())
        if free > 0:
            pool = np.flatnonzero(~in_group & (pop.level.max(axis=1) >= Level.SAMEN_DOEN) & self._draw(u.peer_join_prob))
            join = self.rng.permutation(pool)[:free]
            pop.peer_until[join] = self.week + PEER_GROUP_WEEKS - 1
            pop.ever_active[join] = True
        members = np.flatnonzero(pop.peer_until >= self.week)
        grow = members[self._draw(u.peer_progress_prob, members.size)]
        if grow.size:
            lvl = pop.level[grow]
            theme = np.where(lvl == Level.SAMEN_DOEN, pop.interests[grow], -1.0).argmax(axis=1)
            up = lvl[np.arange(grow.size), theme] == Level.SAMEN_DOEN
            pop.level[grow[up], theme[up]] += 1

    def learners_become_teachers(self) -> None:
        """With matchmaking, residents at zelf doen start offers of their own (new offers appear)."""
        pg = self.levers.peer_groups
        room = self.offers_capacity_rows - self.offers.n
        if not (pg.enabled and pg.matchmaking) or room <= 0:
            return
        pop, off = self.pop, self.offers
        ready = np.flatnonzero(~pop.is_teacher & (pop.level.max(axis=1) >= Level.ZELF_DOEN) & self._draw(self.u.teacher_prob_per_week))
        ready = self.rng.permutation(ready)[:room]
        if ready.size == 0:
            return
        s = self.population_scale
        for r in ready.tolist():
            k = off.n
            theme = int(np.where(pop.level[r] >= Level.ZELF_DOEN, pop.interests[r], -1.0).argmax())
            off.ids.append(f"learner:{self.week}:{r}")
            off.titles.append(f"{THEMES[theme].label_nl}: van bewoner voor bewoners")
            off.providers.append(f"bewoner {r}")
            off.provider_type.append(ProviderType.RESIDENT)
            off.themes[k] = False
            off.themes[k, theme] = True
            off.level[k] = Level.SAMEN_DOEN
            off.age_min[k], off.age_max[k] = 6, 100
            off.place[k] = self.nearest_place[pop.home_row[r]] if len(self.places_xy) else -1
            off.online[k] = off.place[k] < 0
            off.capacity[k] = int(stochastic_round(self.rng, pg.teacher_capacity * s))
            off.duration[k], off.start_week[k], off.end_week[k] = 6, self.week + 1, 10_000
            off.hours[k], off.price[k], off.badge[k] = 2.0, 0.0, False
            off.from_learner[k] = True
            off.n = k + 1
            self.primary_theme[k] = theme
            provider = Provider(self, f"bewoner {r}", ProviderType.RESIDENT)
            provider.offers.append(k)
            self.provider_list.append(provider)
            self.offer_provider[k] = len(self.provider_list) - 1
            pop.is_teacher[r] = True
            # the matchmaking platform makes the new offer findable: friends and digital neighbours
            fr = pop.friends[r]
            fr = fr[fr >= 0]
            neighbours = np.flatnonzero((pop.wijk == pop.wijk[r]) & pop.digital & self._draw(0.05))
            reach = np.union1d(fr, neighbours)
            new = ~self.known[reach, k]
            self.known[reach, k] = True
            self.discoveries[Channel.MATCHMAKING] += int(new.sum())

    # ================================================================== tallies for indicators
    def mentor_utilisation_mean(self) -> float:
        return float(np.mean(self._mentor_use_weekly)) if self._mentor_use_weekly else 0.0

    def mean_travel_minutes(self) -> float:
        return self._travel_sum / self._travel_count if self._travel_count else 0.0

    def waitlist_mean(self) -> float:
        return float(np.mean(self._waitlist_weekly)) if self._waitlist_weekly else 0.0
