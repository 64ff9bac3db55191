"""Offers: today's scattered offer from the provider catalogue, plus what a workshop places.

:func:`build_offer_specs` turns a scenario into the list of :class:`OfferSpec` that a
run starts with:

1. the **catalogue**: every provider in ``data/providers.csv`` offers what its kind of
   provider typically offers today (:data:`CATALOGUE_RULES`, an assumption written
   down from the source document's examples: academies' lessons and recitals, the
   library's reading clubs, youth houses, sports clubs, neighbourhood cooking...);
2. the **sites** (the main one, ``levers.central_site``, and ``levers.sites``): permanent
   providers move part of their offer to a site and rotating guests bring theirs,
   timetabled into the site's rooms and opening hours (:mod:`model.site`);
3. **playlists**: curated online sequences (LRNG);
4. the workshop's own offers (an id equal to a catalogue offer replaces it; the
   catalogue's ``removed_offers`` drop offers).

The model turns these specs into arrays (:class:`OfferTable`) for batched choice.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.domain import THEMES, Level, ProviderType, Theme
from model.scenario import MAIN_SITE_ID, OfferSpec, PlaceSpec, Scenario

T = Theme
Z, S, D = Level.ZIEN_DOEN, Level.SAMEN_DOEN, Level.ZELF_DOEN


#: Venues with no offer today: the Regina Mundi site is empty, awaiting renovation (seed, case 1).
EMPTY_SITES = frozenset({"regina_mundi"})


@dataclass(frozen=True)
class OfferRule:
    """What one kind of provider typically offers (one row of the catalogue rules)."""

    key: str
    title_nl: str
    themes: tuple[Theme, ...]
    level: Level
    age_min: int
    age_max: int
    capacity_per_week: int
    duration_weeks: int
    price_eur: float = 0.0
    hours_per_week: float = 2.0
    awards_badge: bool = False


# Assumptions, per provider type, from the examples in the seed document (section 2,
# Regina Mundi: academy recitals, repair café, technology day, cooking workshops by a
# neighbour, practice rooms, apprenticeship with a craftsperson). Prices are typical
# Flemish year/term fees (academy ~ EUR 120, sports club ~ EUR 150). Capacities are
# places at once per venue: institutions (an academy, a sports club with its teams) hold
# hundreds, neighbourhood and school activities one group, a craftsperson two or three.
CATALOGUE_RULES: dict[ProviderType, tuple[OfferRule, ...]] = {
    ProviderType.SCHOOL: (
        OfferRule("naschools-maken", "Naschoolse maakclub", (T.MAKEN_EN_ONTWERPEN,), S, 6, 14, 20, 10),
        OfferRule("schooltuin", "Schooltuin", (T.KWEKEN_EN_NATUUR,), Z, 6, 14, 25, 4),
    ),
    ProviderType.CHILDCARE: (
        OfferRule("ouder-kind", "Ouder-kindactiviteit", (T.ONTSPANNING, T.ETEN), S, 0, 45, 20, 6),
    ),
    ProviderType.ACADEMY: (
        OfferRule("muziekles", "Muziek- en woordles", (T.ONTSPANNING,), S, 6, 80, 250, 30, 120.0, 2.0, True),
        OfferRule("beeldatelier", "Beeldatelier", (T.MAKEN_EN_ONTWERPEN,), S, 6, 80, 120, 30, 150.0, 3.0, True),
        OfferRule("toonmoment", "Toonmoment van de academie", (T.ONTSPANNING, T.MAKEN_EN_ONTWERPEN), Z, 0, 100, 80, 1, 0.0, 2.0),
    ),
    ProviderType.LIBRARY: (
        OfferRule("voorlezen", "Voorleesuur en tentoonstelling", (T.DENKEN_EN_BESPREKEN,), Z, 0, 100, 40, 2),
        OfferRule("leesclub", "Lees- en praatclub", (T.DENKEN_EN_BESPREKEN,), S, 10, 100, 20, 8),
    ),
    ProviderType.MUSEUM: (
        OfferRule("tentoonstelling", "Tentoonstelling", (T.MAKEN_EN_ONTWERPEN, T.DENKEN_EN_BESPREKEN), Z, 0, 100, 60, 1, 8.0),
        OfferRule("workshop", "Workshop in het atelier", (T.MAKEN_EN_ONTWERPEN,), S, 8, 100, 15, 4, 25.0),
    ),
    ProviderType.YOUTH_WORK: (
        OfferRule("jeugdhuis", "Jeugdhuiswerking", (T.ONTSPANNING,), S, 12, 25, 40, 12),
        OfferRule("podium", "Open podium", (T.ONTSPANNING, T.DENKEN_EN_BESPREKEN), D, 14, 25, 6, 8),
    ),
    ProviderType.NEIGHBOURHOOD_WORK: (
        OfferRule("kookatelier", "Kookatelier van de buurt", (T.ETEN,), S, 6, 100, 12, 6),
        OfferRule("buurttuin", "Buurtmoestuin", (T.KWEKEN_EN_NATUUR,), S, 6, 100, 15, 12),
    ),
    ProviderType.SPORTS_CLUB: (
        OfferRule("sportclub", "Trainingen", (T.ONTSPANNING,), S, 6, 70, 120, 30, 150.0, 3.0),
    ),
    ProviderType.MAKERSPACE: (
        OfferRule("repair-cafe", "Repair café", (T.MAKEN_EN_ONTWERPEN,), S, 10, 100, 20, 4),
        OfferRule("maakplek", "Vrije maakplek", (T.MAKEN_EN_ONTWERPEN,), D, 12, 100, 15, 8, 20.0, 3.0, True),
    ),
    ProviderType.COMPANY: (
        OfferRule("technologiedag", "Technologiedag", (T.MAKEN_EN_ONTWERPEN, T.DENKEN_EN_BESPREKEN), Z, 6, 100, 100, 1),
        OfferRule("stage", "Leerplek in het bedrijf", (T.MAKEN_EN_ONTWERPEN,), D, 15, 30, 3, 12, 0.0, 8.0, True),
    ),
    ProviderType.CRAFTSPERSON: (
        OfferRule("leerling", "In de leer bij een vakman", (T.MAKEN_EN_ONTWERPEN, T.ETEN), D, 14, 100, 3, 12, 0.0, 4.0, True),
    ),
    ProviderType.CITY_SERVICE: (
        OfferRule("infomoment", "Infomoment van de stad", (T.DENKEN_EN_BESPREKEN,), Z, 12, 100, 50, 1),
    ),
    ProviderType.RESIDENT: (),
}


def rule_offer(rule: OfferRule, offer_id: str, provider: str, provider_type: ProviderType, place: PlaceSpec,
               capacity_scale: float = 1.0, start_week: int = 1, end_week: int = 260, title_suffix: str = "") -> OfferSpec:
    """An :class:`OfferSpec` from a catalogue rule at a place."""
    return OfferSpec(
        id=offer_id, title=f"{rule.title_nl}{title_suffix}", provider=provider, provider_type=provider_type,
        themes=list(rule.themes), level=rule.level, age_min=rule.age_min, age_max=rule.age_max, place=place,
        capacity_per_week=max(1, int(round(rule.capacity_per_week * capacity_scale))), duration_weeks=rule.duration_weeks,
        start_week=start_week, end_week=end_week, hours_per_week=rule.hours_per_week, price_eur=rule.price_eur,
        awards_badge=rule.awards_badge,
    )


def catalogue_offers(venues: pd.DataFrame, capacity_scale: float = 1.0) -> list[OfferSpec]:
    """Today's scattered offer: every catalogue provider's typical offer at its own venue."""
    if capacity_scale <= 0:
        return []
    offers: list[OfferSpec] = []
    for venue_id, row in venues.iterrows():
        if venue_id in EMPTY_SITES:
            continue
        ptype = ProviderType(row["provider_type"])
        place = PlaceSpec(kind="venue", venue_id=str(venue_id))
        for rule in CATALOGUE_RULES[ptype]:
            offers.append(rule_offer(rule, f"{venue_id}:{rule.key}", str(row["name"]), ptype, place, capacity_scale))
    return offers


def playlist_offers(scenario: Scenario) -> list[OfferSpec]:
    """Curated online playlists (LRNG): one theme each, alternating zien doen and samen doen."""
    spec = scenario.levers.playlists
    if not spec.enabled:
        return []
    offers = []
    for i in range(spec.n_playlists):
        theme = THEMES[i % len(THEMES)]
        level = Z if (i // len(THEMES)) % 2 == 0 else S
        offers.append(OfferSpec(
            id=f"playlist:{i + 1}", title=f"Playlist {theme.label_nl} {i + 1}", provider="online", provider_type=ProviderType.CITY_SERVICE,
            themes=[theme], level=level, age_min=spec.age_min, age_max=max(spec.age_min, spec.age_max),
            place=PlaceSpec(kind="online"), capacity_per_week=1000, duration_weeks=4, hours_per_week=1.0,
            price_eur=0.0, awards_badge=spec.awards_badge,
        ))
    return offers


def place_xy(place: PlaceSpec, venues: pd.DataFrame) -> tuple[float, float] | None:
    """EPSG:31370 coordinates of a venue or a point (None for an unknown venue, online or a site)."""
    if place.kind == "venue":
        if place.venue_id not in venues.index:
            return None
        row = venues.loc[place.venue_id]
        return float(row["x"]), float(row["y"])
    if place.kind == "point":
        from pyproj import Transformer

        x, y = Transformer.from_crs(4326, 31370, always_xy=True).transform(place.lon, place.lat)
        return float(x), float(y)
    return None


def site_xy(scenario: Scenario, venues: pd.DataFrame, site_id: str = MAIN_SITE_ID) -> tuple[float, float] | None:
    """EPSG:31370 coordinates of a site's place (the main site by default; None when it cannot be located)."""
    site = scenario.levers.site(site_id)
    return place_xy(site.place, venues) if site is not None else None


def sites_xy(scenario: Scenario, venues: pd.DataFrame) -> dict[str, tuple[float, float] | None]:
    """Site id -> EPSG:31370 coordinates, for every enabled site (main first)."""
    return {site.id: place_xy(site.place, venues) for site in scenario.levers.all_sites()}


def build_offers(scenario: Scenario, venues: pd.DataFrame, horizon: int | None = None,
                 knock_out: frozenset[str] = frozenset()) -> tuple[list[OfferSpec], "SitePlan"]:
    """Every offer a run starts with (catalogue, sites, playlists, workshop), and the sites' timetable.

    Permanent providers at a site take the places they move there away from their own
    venue (:mod:`model.site`); an offer left with no places is dropped. The plan is one
    :class:`~model.site.SitePlan` of all enabled sites (``plan.sites`` holds each site's
    own plan; every booking names its ``site_id``). Knocking out ``central_site`` switches
    every site off: offers placed at a site then stay as the workshop wrote them.
    """
    from model.site import SitePlan, combine_plans, plan_sites

    horizon = horizon or scenario.run.weeks
    cat = scenario.levers.catalogue
    offers = catalogue_offers(venues, cat.offers_per_provider) if cat.enabled else []
    by_id = {offer.id: offer for offer in offers}
    site_on = "central_site" not in knock_out
    planned = {site.id for site in scenario.levers.all_sites()} if site_on else set()
    for offer in scenario.levers.offers:
        if offer.place.site_key not in planned:
            by_id[offer.id] = offer  # a workshop offer with a catalogue id replaces (moves/edits) it
    plan = combine_plans(plan_sites(scenario, list(by_id.values()), venues, sites_xy(scenario, venues), horizon,
                                    CATALOGUE_RULES, rule_offer)) if planned else SitePlan()
    for offer_id, moved in plan.moved_from.items():
        left = by_id[offer_id].capacity_per_week - moved
        if left >= 1:
            by_id[offer_id] = by_id[offer_id].model_copy(update={"capacity_per_week": left})
        else:
            del by_id[offer_id]
    for offer in plan.offers:
        by_id[offer.id] = offer
    if "playlists" not in knock_out:
        for offer in playlist_offers(scenario):
            by_id.setdefault(offer.id, offer)
    removed = set(cat.removed_offers)
    return [offer for offer_id, offer in by_id.items() if offer_id not in removed], plan


def build_offer_specs(scenario: Scenario, venues: pd.DataFrame, horizon: int | None = None) -> list[OfferSpec]:
    """Every offer a run starts with, in a stable order (catalogue, site, playlists, workshop)."""
    return build_offers(scenario, venues, horizon)[0]


@dataclass
class OfferTable:
    """Offers as arrays, one row per offer, room for offers created during a run."""

    ids: list[str]
    titles: list[str]
    providers: list[str]
    provider_type: list[ProviderType]
    themes: np.ndarray  # (m, 5) bool
    level: np.ndarray  # (m,) int8
    age_min: np.ndarray
    age_max: np.ndarray
    place: np.ndarray  # (m,) int, index into the model's places; -1 online
    capacity: np.ndarray  # (m,) float, places at true scale (a simulated participant takes its weight in places)
    duration: np.ndarray
    start_week: np.ndarray
    end_week: np.ndarray
    hours: np.ndarray
    price: np.ndarray
    badge: np.ndarray  # bool
    at_site: np.ndarray  # bool
    online: np.ndarray  # bool
    from_learner: np.ndarray  # bool: created by a resident (learners become teachers)
    n: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.n

    def is_open(self, k: int, week: int) -> bool:
        """Whether offer ``k`` accepts newcomers in ``week``."""
        return bool(self.start_week[k] <= week <= self.end_week[k] and self.capacity[k] > 0)

    def append(self, offer_id: str, title: str, provider: str, provider_type: ProviderType, **values) -> int:
        """Fill the next free row with a new offer (learners' offers, follow-on offers); returns its index."""
        k = self.n
        if k >= self.capacity.size:
            raise IndexError("no free row for a new offer")
        self.ids.append(offer_id)
        self.titles.append(title)
        self.providers.append(provider)
        self.provider_type.append(provider_type)
        for name, value in values.items():
            getattr(self, name)[k] = value
        self.n = k + 1
        return k

    def frame(self) -> pd.DataFrame:
        n = self.n
        return pd.DataFrame({
            "offer_id": self.ids[:n], "title": self.titles[:n], "provider": self.providers[:n],
            "provider_type": [p.value for p in self.provider_type[:n]],
            "themes": [",".join(THEMES[t].value for t in np.flatnonzero(row)) for row in self.themes[:n]],
            "level": [Level(int(v)).slug for v in self.level[:n]], "capacity": self.capacity[:n],
            "price_eur": self.price[:n], "online": self.online[:n], "at_central_site": self.at_site[:n],
            "from_learner": self.from_learner[:n],
        })
