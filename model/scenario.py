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

import difflib
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
    """Where an offer happens: a venue of the catalogue, the central site, online, or a point."""

    kind: Literal["venue", "central_site", "online", "point"] = "venue"
    venue_id: str | None = Field(None, description="venue_id from data/providers.csv (kind=venue)")
    lon: float | None = Field(None, ge=5.3, le=5.7, description="longitude WGS84 (kind=point)")
    lat: float | None = Field(None, ge=50.85, le=51.1, description="latitude WGS84 (kind=point)")

    @model_validator(mode="after")
    def _complete(self) -> "PlaceSpec":
        if self.kind == "venue" and not self.venue_id:
            raise PydanticCustomError("venue_needs_id", "a place of kind 'venue' needs venue_id (a venue_id from data/providers.csv)")
        if self.kind == "point" and (self.lon is None or self.lat is None):
            raise PydanticCustomError("point_needs_lonlat", "a place of kind 'point' needs lon and lat (WGS84, inside Genk)")
        return self

    def describe(self) -> str:
        if self.kind == "venue":
            return f"venue {self.venue_id}"
        if self.kind == "point":
            return f"point ({self.lon:.5f}, {self.lat:.5f})"
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


class RoomSpec(_Strict):
    """A room of the central site: its kind decides which offers it suits, its places how many take part at once."""

    name: str = Field(..., min_length=1, max_length=80)
    kind: RoomKind = "club_room"
    capacity: int = _f(20, 1, 500, "personen", "Plaatsen in de zaal", "Room places", "people in the room at once")


class CentralSiteSpec(_Strict):
    """The hub (Regina Mundi by default): permanent providers, guests, rooms, showcases."""

    enabled: bool = False
    name: str = "Regina Mundi"
    place: PlaceSpec = Field(default_factory=lambda: PlaceSpec(kind="venue", venue_id="regina_mundi"))
    opening_hours_per_week: float = _f(40.0, 0, 98, "uur/week", "Openingsuren", "Opening hours", "hours the site is open each week")
    rooms: list[RoomSpec] = Field(default_factory=lambda: [RoomSpec(name="zaal 1", capacity=25)], max_length=50)
    permanent_providers: list[ProviderType] = Field(default_factory=list, description="provider types resident on the site")
    guest_providers: list[ProviderType] = Field(default_factory=list, description="provider types visiting as guests")
    guest_weeks: int = _f(8, 1, 52, "weken", "Gastperiode", "Guest period", "weeks each guest stays before the next one")
    share_moved: float = _f(0.5, 0, 1, "aandeel", "Aandeel verhuisd aanbod", "Share of offer moved",
                            "share of a permanent provider's places that moves from its own venue to the site")
    showcase_events_per_month: float = _f(2.0, 0, 30, "per maand", "Toonmomenten", "Showcases", "zien doen events per month")
    showcase_visitors_per_event: int = _f(120, 0, 5000, "bezoekers", "Bezoekers per toonmoment", "Visitors per showcase",
                                          "residents who attend one showcase (the audience, at true scale)")

    @property
    def room_capacity(self) -> int:
        return sum(room.capacity for room in self.rooms)


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
    priority_reserved_share: float = _f(0.5, 0, 1, "aandeel", "Voorbehouden budget", "Reserved budget",
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
            node[keys[-1]] = value
        return validate_scenario(data, source="<values>")

    def to_yaml(self) -> str:
        return scenario_to_yaml(self)


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
