"""The workshop's state: the scenario being designed, the chosen place, the latest results.

:class:`WorkshopState` is a ``param.Parameterized`` and knows nothing of widgets: the
views in this package render it, tests drive it directly and read what a user would
read (card texts, messages). Every change of the design goes through the scenario
schema (:mod:`model.scenario`), so an impossible value is refused with the schema's
reason and the design stays as it was; each accepted change can be undone.

Runs: :meth:`WorkshopState.run` (blocking, for tests and notebooks) and
:meth:`WorkshopState.run_async` (the app: the model runs in a worker thread while the
session's event loop stays free, progress arrives week by week). Each run replicates
``n_seeds`` seeds drawn from one ``numpy.random.SeedSequence`` and runs today's
baseline with the same seeds (common random numbers), so a difference between the
design and the baseline is not just a different draw. Results of identical
(scenario, seed, weeks, scale) runs are shared between sessions in a small cache.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
import param
from pyproj import Transformer

from model.domain import Level, Mode, ProviderType, Theme
from model.geography import AddressNotFound, load_genk
from model.indicators import INDICATORS
from model.run import Results, run_scenario
from model.scenario import (
    OfferSpec,
    PlaceSpec,
    Scenario,
    ScenarioError,
    lever_fields,
    list_scenarios,
    load_scenario,
    numeric_fields,
    scenario_from_yaml,
    scenario_to_yaml,
)
from model.store import Revision, Store, StoreError

from .i18n import level_label, number, plain, theme_label, tr, unit_label

#: Share of Genk simulated by the run button: 3 seeds of the design (and, the first
#: time, of the baseline) finish in well under a second on two cores (see
#: benchmarks/bench_workshop.py).
DEFAULT_SCALE = 0.05
DEFAULT_SEEDS = 3
BASE_SEED = 20240601  # the workshop's SeedSequence entropy: same seeds in every session
BASELINE = "baseline"

#: The indicators shown as cards, in this order.
CARD_INDICATORS: tuple[str, ...] = (
    "reach", "participation_gap_means", "participation_gap_wijken", "progression_steps", "share_zelf_doen",
    "mean_travel_minutes", "waiting_list", "badges_earned", "budget_spent_eur", "cost_per_participant_eur",
)

#: Per-wijk indicators the map can show, with Dutch/English label, unit and meaning.
WIJK_LAYERS: dict[str, tuple[str, str, str, str, str]] = {
    "reach": ("Bereik", "Reach", "%", "aandeel bewoners van de wijk dat minstens één keer deelnam",
              "share of the wijk's residents who took part at least once"),
    "reach_low_means": ("Bereik lage middelen", "Reach (low means)", "%",
                        "aandeel bewoners met lage middelen dat minstens één keer deelnam",
                        "share of low-means residents who took part at least once"),
    "steps_per_100": ("Stappen vooruit per 100", "Steps of progress per 100", "stappen/100 bewoners",
                      "stappen omhoog op een leerpad per 100 bewoners", "steps up a learning path per 100 residents"),
    "participants": ("Deelnemers", "Participants", "bewoners", "bewoners die minstens één keer deelnamen",
                     "residents who took part at least once"),
}
TRAVEL_LAYER = ("Reistijd te voet naar het dichtste aanbod", "Walking time to the nearest offer", "min",
                "gemiddelde wandeltijd van een bewoner naar het dichtstbijzijnde offline aanbod (vóór elke simulatie)",
                "mean walking time of a resident to the nearest offline offer (before any simulation)")

_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="workshop-run")
_CACHE: OrderedDict[tuple, Results] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_IN_FLIGHT: dict[tuple, concurrent.futures.Future] = {}
_CACHE_SIZE = 200
_TO_WGS84 = Transformer.from_crs("EPSG:31370", "EPSG:4326", always_xy=True)
_FROM_WGS84 = Transformer.from_crs("EPSG:4326", "EPSG:31370", always_xy=True)


# ============================================================================ helpers
def replicate_seeds(n: int, entropy: int = BASE_SEED) -> list[int]:
    """``n`` run seeds from one seeded SeedSequence (the same in every session)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(entropy).spawn(n)]


def design_key(scenario: Scenario) -> str:
    """A hash of what a run depends on (the name, title and description do not count)."""
    data = scenario.model_dump(mode="json", exclude={"name", "title", "description"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


def cached_run(scenario: Scenario, seed: int, weeks: int, scale: float,
               progress: Callable[[int, int], None] | None = None) -> Results:
    """:func:`model.run.run_scenario`, shared between sessions for identical inputs."""
    key = (design_key(scenario), int(seed), int(weeks), round(float(scale), 6))
    owner = False
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
        elif key in _IN_FLIGHT:  # another session is running exactly this: wait for it
            pending = _IN_FLIGHT[key]
        else:
            pending = _IN_FLIGHT[key] = concurrent.futures.Future()
            owner = True
    if hit is None and not owner:
        hit = pending.result()
    if hit is not None:
        if progress:
            progress(weeks, weeks)
        return hit
    try:
        results = run_scenario(scenario, seed=seed, weeks=weeks, population_scale=scale, progress=progress)
    except BaseException as exc:
        with _CACHE_LOCK:
            _IN_FLIGHT.pop(key, None)
        pending.set_exception(exc)
        raise
    with _CACHE_LOCK:
        _CACHE[key] = results
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        _IN_FLIGHT.pop(key, None)
    pending.set_result(results)
    return results


def _link_args(query: Any) -> dict[str, str]:
    """First value of each key of a query string, a dict, or Panel's session_args (lists of bytes)."""
    if isinstance(query, str):
        from urllib.parse import parse_qs

        query = parse_qs(query.lstrip("?"))
    out = {}
    for key, value in dict(query or {}).items():
        if isinstance(value, (list, tuple)):
            value = value[0] if value else ""
        out[str(key)] = value.decode() if isinstance(value, bytes) else str(value)
    return out


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def to_wgs84(x: float, y: float) -> tuple[float, float]:
    lon, lat = _TO_WGS84.transform(x, y)
    return float(lon), float(lat)


def from_wgs84(lon: float, lat: float) -> tuple[float, float]:
    x, y = _FROM_WGS84.transform(lon, lat)
    return float(x), float(y)


@dataclass
class RunSummary:
    """Replicate runs of one scenario, aggregated for the screen."""

    label: str
    scenario_name: str
    population_scale: float
    weeks: int
    seeds: list[int]
    summary: pd.DataFrame  # index indicator; columns mean, lo, hi
    weekly: pd.DataFrame  # columns week, indicator, mean, lo, hi
    wijk: pd.DataFrame  # index wijk; one column per wijk indicator (mean over seeds)
    seconds: float = 0.0
    runs: list[Results] = field(default_factory=list, repr=False)

    @classmethod
    def from_runs(cls, label: str, runs: list[Results], seconds: float = 0.0) -> "RunSummary":
        summ = pd.DataFrame([r.summary for r in runs])
        summary = pd.DataFrame({"mean": summ.mean(), "lo": summ.min(), "hi": summ.max()})
        weekly = pd.concat([r.weekly.assign(seed=r.seed) for r in runs])
        weekly = weekly.groupby(["indicator", "week"])["value"].agg(["mean", "min", "max"]).reset_index()
        weekly = weekly.rename(columns={"min": "lo", "max": "hi"})
        wijk = pd.concat([r.wijk_table() for r in runs]).groupby(level=0).mean()
        first = runs[0]
        return cls(label, first.scenario_name, first.population_scale, first.weeks, [r.seed for r in runs],
                   summary, weekly, wijk, seconds, runs)

    def value(self, name: str) -> float:
        return float(self.summary.loc[name, "mean"]) if name in self.summary.index else float("nan")


@dataclass(frozen=True)
class Card:
    """One indicator card as the screen shows it."""

    name: str
    label: str
    value: float
    value_text: str
    unit: str
    meaning: str
    delta: float | None
    delta_text: str
    verdict: str | None  # "better", "worse", "same" or None (no direction / no baseline)
    spread_text: str


@dataclass(frozen=True)
class MapLayer:
    """What the wijken are coloured by."""

    key: str
    label: str
    unit: str
    meaning: str
    values: pd.Series  # index wijk; NaN where unknown
    diverging: bool


# ============================================================================ the state
class WorkshopState(param.Parameterized):
    """The shared screen's state: one scenario under design and what it did."""

    scenario = param.ClassSelector(class_=Scenario, doc="the design on the table")
    results = param.ClassSelector(class_=RunSummary, default=None, allow_None=True, doc="latest good run of the design")
    baseline = param.ClassSelector(class_=RunSummary, default=None, allow_None=True, doc="today's baseline, same seeds")
    results_key = param.String(default="", doc="design_key of the design the results belong to")
    comparison = param.Dict(default={}, doc="label -> RunSummary of saved scenarios compared with")
    lang = param.Selector(default="nl", objects=["nl", "en"], doc="screen language")
    map_layer = param.String(default="travel", doc="what colours the wijken")
    selected_offer = param.String(default=None, allow_None=True, doc="id of the workshop offer being edited")
    proposed_place = param.ClassSelector(class_=PlaceSpec, default=None, allow_None=True, doc="place chosen for a new offer")
    proposed_label = param.String(default="", doc="how the chosen place is named on screen")
    catchment_mode = param.Selector(default="walk", objects=["walk", "bike"])
    catchment_minutes = param.Integer(default=15, bounds=(1, 60))
    catchment = param.ClassSelector(class_=pd.DataFrame, default=None, allow_None=True, doc="per wijk: share within reach")
    catchment_text = param.String(default="")
    running = param.Boolean(default=False)
    progress = param.Integer(default=0, bounds=(0, 100))
    status = param.String(default="")
    message = param.String(default="")
    message_kind = param.Selector(default="info", objects=["info", "success", "warning", "danger"])
    message_count = param.Integer(default=0, doc="bumped on every message, so equal messages still notify")
    revision = param.ClassSelector(class_=Revision, default=None, allow_None=True, doc="last saved/opened revision")
    link = param.String(default="")
    population_scale = param.Number(default=DEFAULT_SCALE, bounds=(0.005, 1.0))
    n_seeds = param.Integer(default=DEFAULT_SEEDS, bounds=(1, 5))
    version = param.Integer(default=0, doc="bumped on every change of the design")
    store_version = param.Integer(default=0, doc="bumped when the store changed")

    def __init__(self, scenario: Scenario | str | None = None, store: Store | None = None, **params):
        self._undo: list[tuple[Scenario, str]] = []
        self._store = store
        self.genk = load_genk()
        if scenario is None:
            scenario = load_scenario(BASELINE).model_copy(update={"name": "ontwerp", "title": "", "description": ""})
        elif isinstance(scenario, str):
            scenario = load_scenario(scenario)
        super().__init__(scenario=scenario, **params)
        self.param.watch(self._refresh_catchment, ["catchment_mode", "catchment_minutes", "proposed_place"])

    # ------------------------------------------------------------------ basics
    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store()
        return self._store

    def t(self, key: str, **kw) -> str:
        return tr(key, self.lang, **kw)

    def notify(self, text: str, kind: str = "info") -> None:
        """Show a message to the table (the views turn it into an alert and a toast)."""
        with param.parameterized.batch_call_watchers(self):
            self.message_kind = kind
            self.message = text
            self.message_count += 1

    def refuse(self, why: str) -> bool:
        self.notify(self.t("refused", why=why), "danger")
        return False

    def _set_scenario(self, scenario: Scenario, what: str) -> None:
        self._undo.append((self.scenario, self.revision, self.link, what))
        del self._undo[:-50]
        with param.parameterized.batch_call_watchers(self):
            self.scenario = scenario
            self.version += 1

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo(self) -> bool:
        """Restore the design as it was before the last change."""
        if not self._undo:
            self.notify(self.t("undo_none"), "warning")
            return False
        previous, revision, link, what = self._undo.pop()
        with param.parameterized.batch_call_watchers(self):
            self.scenario = previous
            self.revision, self.link = revision, link
            self.version += 1
            if self.selected_offer and self.offer(self.selected_offer) is None:
                self.selected_offer = None
        self.notify(self.t("undone", what=what), "info")
        return True

    # ------------------------------------------------------------------ levers
    def field_label(self, path: str) -> str:
        fields = lever_fields()
        if path in fields:
            f = fields[path]
            return f.label_nl if self.lang == "nl" else f.label_en
        return path.rsplit(".", 1)[-1]

    def value(self, path: str) -> Any:
        """The design's value at a dotted path (``levers.clubs.budget_eur_per_year``)."""
        node: Any = self.scenario
        for key in path.split("."):
            node = getattr(node, key)
        return node

    def set_value(self, path: str, value: Any) -> bool:
        """Set one parameter of the design; refused (with the reason) if the schema disallows it."""
        fields = {f.path: f for f in numeric_fields(Scenario)}
        f = fields.get(path)
        if f is not None:
            label = f.label_nl if self.lang == "nl" else f.label_en
            try:
                value = int(value) if f.is_int and float(value) == int(float(value)) else float(value)
            except (TypeError, ValueError, OverflowError):
                return self.refuse(self.t("not_a_number", label=label, value=value))
            if f.is_int and isinstance(value, float):
                return self.refuse(self.t("not_a_number", label=label, value=value))
            if not (f.lo <= value <= f.hi):
                return self.refuse(self.t("out_of_range", label=label, value=plain(value),
                                          lo=plain(f.lo), hi=plain(f.hi), unit=unit_label(f.unit, self.lang)))
        try:
            if self.value(path) == value:
                return True
        except AttributeError:
            pass
        try:
            scenario = self.scenario.with_values({path: value})
        except ScenarioError as exc:
            return self.refuse(str(exc).replace("<values>: ", ""))
        label = self.field_label(path)
        self._set_scenario(scenario, f"{label} = {value if not isinstance(value, list) else len(value)}")
        return True

    def set_values(self, values: dict[str, Any], what: str) -> bool:
        try:
            scenario = self.scenario.with_values(values)
        except ScenarioError as exc:
            return self.refuse(str(exc).replace("<values>: ", ""))
        self._set_scenario(scenario, what)
        return True

    # ------------------------------------------------------------------ the central site
    def set_site(self, venue_id: str) -> bool:
        """Put the central site at a venue of the catalogue (and name it after it)."""
        if venue_id not in self.genk.venues.index:
            return self.refuse(f"{venue_id!r} is geen gekende locatie / not a known venue")
        name = str(self.genk.venues.loc[venue_id, "name"])
        ok = self.set_values({"levers.central_site.place": {"kind": "venue", "venue_id": venue_id},
                              "levers.central_site.name": name}, self.t("site_moved", name=name))
        if ok:
            self.notify(self.t("site_moved", name=name), "success")
        return ok

    def site_xy(self) -> tuple[float, float] | None:
        return self.place_xy(self.scenario.levers.central_site.place)

    # ------------------------------------------------------------------ places
    def place_xy(self, place: PlaceSpec | None) -> tuple[float, float] | None:
        """EPSG:31370 coordinates of a place; None for online."""
        if place is None or place.kind == "online":
            return None
        if place.kind == "venue":
            if place.venue_id not in self.genk.venues.index:
                return None
            row = self.genk.venues.loc[place.venue_id]
            return float(row["x"]), float(row["y"])
        if place.kind == "point":
            return from_wgs84(place.lon, place.lat)
        return self.site_xy()

    def describe_place(self, place: PlaceSpec | None) -> str:
        if place is None:
            return "–"
        if place.kind == "venue":
            return str(self.genk.venues.loc[place.venue_id, "name"]) if place.venue_id in self.genk.venues.index else place.venue_id
        if place.kind == "central_site":
            return f"{self.scenario.levers.central_site.name} ({self.t('central_site')})"
        if place.kind == "online":
            return self.t("online")
        return f"{place.lat:.5f} N, {place.lon:.5f} E"

    def wijk_of_place(self, place: PlaceSpec | None) -> str:
        xy = self.place_xy(place)
        if xy is None:
            return self.t("online")
        return self.genk.wijk_of(*xy) or "–"

    def choose_point(self, x: float, y: float) -> bool:
        """Propose the EPSG:31370 point (x, y) as the place of a new or moved offer."""
        if not self.genk.contains(x, y):
            self.notify(self.t("point_outside"), "danger")
            return False
        lon, lat = to_wgs84(x, y)
        return self._propose(PlaceSpec(kind="point", lon=round(lon, 6), lat=round(lat, 6)))

    def choose_venue(self, venue_id: str) -> bool:
        if venue_id not in self.genk.venues.index:
            return self.refuse(f"{venue_id!r} is geen gekende locatie / not a known venue")
        return self._propose(PlaceSpec(kind="venue", venue_id=venue_id))

    def choose_address(self, text: str) -> bool:
        """Geocode a Genk address offline (CRAB) and propose it."""
        if not str(text).strip():
            self.notify(self.t("address_not_found", why="(leeg / empty)"), "danger")
            return False
        try:
            address = self.genk.geocode(text)
        except AddressNotFound as exc:
            self.notify(self.t("address_not_found", why=str(exc)), "danger")
            return False
        lon, lat = to_wgs84(address.x, address.y)
        ok = self._propose(PlaceSpec(kind="point", lon=round(lon, 6), lat=round(lat, 6)),
                           label=f"{address.straatnaam} {address.huisnr}")
        return ok

    def choose_site(self) -> bool:
        return self._propose(PlaceSpec(kind="central_site"))

    def _propose(self, place: PlaceSpec, label: str | None = None) -> bool:
        with param.parameterized.batch_call_watchers(self):
            self.proposed_label = label or self.describe_place(place)
            self.proposed_place = place
            self.map_layer = "catchment"
        self.notify(self.t("point_chosen", where=self.proposed_label, wijk=self.wijk_of_place(place)), "info")
        return True

    # ------------------------------------------------------------------ catchment
    def _refresh_catchment(self, *_):
        self.update_catchment()

    def update_catchment(self) -> pd.DataFrame | None:
        """Who reaches the chosen place within N minutes (one shortest-path search, no simulation)."""
        xy = self.place_xy(self.proposed_place)
        if xy is None:
            self.catchment, self.catchment_text = None, ""
            return None
        genk = self.genk
        ids = genk.addresses["address_id"].to_numpy()
        minutes = genk.travel_minutes(ids, np.array([xy]), self.catchment_mode)[:, 0]
        within = minutes <= self.catchment_minutes
        weight = genk.addresses["weight"].to_numpy()
        frame = pd.DataFrame({"wijk": genk.addresses["wijk"].to_numpy(), "w": weight, "in": weight * within})
        per = frame.groupby("wijk")[["w", "in"]].sum()
        per["share"] = 100 * per["in"] / per["w"]
        per = per.reindex(genk.wijken["wijk"]).fillna(0.0)
        people = float(per["in"].sum())
        share = 100 * people / float(per["w"].sum())
        mode = self.t(self.catchment_mode)
        text = self.t("catchment_text", people=number(round(people, -1), 0), share=share, minutes=self.catchment_minutes,
                      mode=mode, where=self.proposed_label or self.describe_place(self.proposed_place))
        with param.parameterized.batch_call_watchers(self):
            self.catchment = per.rename(columns={"in": "within", "w": "residents"})
            self.catchment_text = text
        return self.catchment

    # ------------------------------------------------------------------ offers
    @property
    def offers(self) -> list[OfferSpec]:
        return list(self.scenario.levers.offers)

    def offer(self, offer_id: str) -> OfferSpec | None:
        return next((o for o in self.scenario.levers.offers if o.id == offer_id), None)

    def _new_offer_id(self) -> str:
        taken = {o.id for o in self.scenario.levers.offers}
        n = len(taken) + 1
        while f"werktafel-{n}" in taken:
            n += 1
        return f"werktafel-{n}"

    def _offers_changed(self, offers: list[dict], what: str) -> bool:
        return self.set_values({"levers.offers": offers}, what)

    @staticmethod
    def _offer_error(exc: Exception) -> str:
        text = str(exc).replace("<values>: ", "")
        return text.replace("levers.offers", "aanbod / offer")

    def add_offer(self, place: PlaceSpec | None = None, **fields: Any) -> OfferSpec | None:
        """Place a new offer (at ``place`` or the chosen place); returns it, or None if refused.

        ``fields`` are :class:`model.scenario.OfferSpec` fields (title, provider_type,
        themes, level, age_min, age_max, capacity_per_week, ..., price_eur, awards_badge).
        """
        place = place or self.proposed_place
        if place is None:
            self.notify(self.t("offer_no_place"), "danger")
            return None
        if not fields.get("themes"):
            fields["themes"] = fields.get("themes") or []
            if not fields["themes"]:
                self.refuse(self.t("offer_no_theme"))
                return None
        fields.setdefault("title", "")
        offer_id = fields.pop("id", None) or self._new_offer_id()
        data = {"id": offer_id, **fields, "place": place.model_dump(mode="python")}
        if not data["title"]:
            data["title"] = f"{theme_label(data['themes'][0], self.lang)} ({level_label(data.get('level', Level.SAMEN_DOEN), 'nl')})"
        if not data.get("provider"):
            data["provider"] = "werktafel"
        try:
            offer = OfferSpec.model_validate(data)
        except Exception as exc:  # pydantic ValidationError: say which field and why
            self.refuse(_validation_text(exc, self.lang))
            return None
        offers = [o.model_dump(mode="python") for o in self.scenario.levers.offers] + [offer.model_dump(mode="python")]
        wijk = self.wijk_of_place(place)
        if not self._offers_changed(offers, self.t("offer_added", title=offer.title, wijk=wijk)):
            return None
        self.selected_offer = offer.id
        self.notify(self.t("offer_added", title=offer.title, wijk=wijk), "success")
        return offer

    def update_offer(self, offer_id: str, **changes: Any) -> OfferSpec | None:
        """Change fields of a placed offer (validated like a new one)."""
        current = self.offer(offer_id)
        if current is None:
            self.refuse(self.t("offer_unknown", offer_id=offer_id))
            return None
        if "themes" in changes and not changes["themes"]:
            self.refuse(self.t("offer_no_theme"))
            return None
        data = {**current.model_dump(mode="python"), **changes}
        if "place" in changes and isinstance(changes["place"], PlaceSpec):
            data["place"] = changes["place"].model_dump(mode="python")
        try:
            offer = OfferSpec.model_validate(data)
        except Exception as exc:
            self.refuse(_validation_text(exc, self.lang))
            return None
        if offer == current:
            return offer
        offers = [offer.model_dump(mode="python") if o.id == offer_id else o.model_dump(mode="python")
                  for o in self.scenario.levers.offers]
        what = (self.t("offer_moved", title=offer.title, wijk=self.wijk_of_place(offer.place))
                if "place" in changes else self.t("offer_updated", title=offer.title))
        if not self._offers_changed(offers, what):
            return None
        self.notify(what, "success")
        return offer

    def move_offer(self, offer_id: str, place: PlaceSpec | None = None) -> OfferSpec | None:
        """Move a placed offer to ``place`` (default: the chosen place)."""
        place = place or self.proposed_place
        if place is None:
            self.notify(self.t("offer_no_place"), "danger")
            return None
        return self.update_offer(offer_id, place=place)

    def remove_offer(self, offer_id: str) -> bool:
        current = self.offer(offer_id)
        if current is None:
            return self.refuse(self.t("offer_unknown", offer_id=offer_id))
        offers = [o.model_dump(mode="python") for o in self.scenario.levers.offers if o.id != offer_id]
        what = self.t("offer_removed", title=current.title)
        if not self._offers_changed(offers, what):
            return False
        if self.selected_offer == offer_id:
            self.selected_offer = None
        self.notify(what, "success")
        return True

    # ------------------------------------------------------------------ runs
    def _plan(self, full: bool) -> dict:
        scale = 1.0 if full else float(self.population_scale)
        weeks = int(self.scenario.run.weeks)
        # today's offer judged under the same behavioural assumptions as the design, so that a
        # change against the baseline is the design's doing (a study run carries its own)
        baseline = load_scenario(BASELINE).model_copy(update={"uncertainties": self.scenario.uncertainties})
        return {"scenario": self.scenario, "baseline": baseline, "seeds": replicate_seeds(self.n_seeds),
                "weeks": weeks, "scale": scale, "label": self.t("current_design"),
                "compare_scenarios": dict(getattr(self, "_compare_scenarios", {}))}

    @staticmethod
    def compute(plan: dict, progress: Callable[[int, int], None] | None = None) -> dict:
        """Run the plan's replicates (design, baseline, compared scenarios): no state is touched."""
        t0 = time.perf_counter()
        jobs = [("design", plan["scenario"]), ("baseline", plan["baseline"])]
        jobs += [(f"compare:{label}", scn) for label, scn in plan["compare_scenarios"].items()]
        total = plan["weeks"] * len(plan["seeds"]) * len(jobs)
        done = [0]

        def tick(week: int, weeks: int) -> None:
            if progress and (week % 4 == 0 or week == weeks):
                progress(done[0] + week, total)

        out: dict[str, list[Results]] = {}
        for key, scenario in jobs:
            out[key] = []
            for seed in plan["seeds"]:
                out[key].append(cached_run(scenario, seed, plan["weeks"], plan["scale"], tick))
                done[0] += plan["weeks"]
        return {"runs": out, "seconds": time.perf_counter() - t0}

    def _apply(self, plan: dict, computed: dict) -> None:
        runs, secs = computed["runs"], computed["seconds"]
        with param.parameterized.batch_call_watchers(self):
            self.results = RunSummary.from_runs(plan["label"], runs["design"], secs)
            self.results_key = design_key(plan["scenario"])
            self.baseline = RunSummary.from_runs(self.t("baseline"), runs["baseline"], secs)
            self.comparison = {key.split(":", 1)[1]: RunSummary.from_runs(key.split(":", 1)[1], r, secs)
                               for key, r in runs.items() if key.startswith("compare:")}
            if self.map_layer in ("catchment", "travel", "") or self.map_layer not in self.layer_keys():
                self.map_layer = "change:reach"
            self.progress = 100
        pct = number(100 * plan["scale"], 1 if plan["scale"] < 0.1 else 0)
        self.notify(self.t("run_done", seeds=len(plan["seeds"]), weeks=plan["weeks"], pct=pct, secs=secs), "success")

    @property
    def results_out_of_date(self) -> bool:
        """True when the design changed since its results were computed (the cards show the previous design)."""
        return self.results is not None and self.results_key != design_key(self.scenario)

    def _fail(self, exc: BaseException) -> None:
        self.notify(self.t("run_failed", error=f"{type(exc).__name__}: {exc}"), "danger")

    def run(self, full: bool = False) -> RunSummary | None:
        """Run the design (and baseline) now, blocking; returns the new results or None on failure."""
        if self.running:
            self.notify(self.t("run_busy"), "warning")
            return None
        plan = self._plan(full)
        self.running = True
        try:
            computed = self.compute(plan, self._progress_setter(None, plan))
        except Exception as exc:  # noqa: BLE001 - any model failure is shown, old results stay
            self._fail(exc)
            return None
        finally:
            self.running = False
        self._apply(plan, computed)
        return self.results

    def _progress_setter(self, schedule: Callable[[Callable[[], None]], Any] | None, plan: dict) -> Callable[[int, int], None]:
        weeks = plan["weeks"]
        last = {"pct": -100.0, "t": 0.0}

        def set_progress(done: int, total: int) -> None:
            pct = int(100 * done / max(total, 1))
            # at most ~5 screen updates a second: each one is a message to every browser
            now = time.monotonic()
            if done < total and (now - last["t"] < 0.2 or pct - last["pct"] < 5):
                return
            last.update(pct=pct, t=now)
            week = (done - 1) % weeks + 1 if done else 0
            status = self.t("running", week=week, weeks=weeks)
            if schedule is None:
                self.param.update(progress=pct, status=status)
            else:
                schedule(lambda: self.param.update(progress=pct, status=status))

        return set_progress

    def start_run(self, full: bool = False,
                  schedule: Callable[[Callable[[], None]], Any] | None = None) -> concurrent.futures.Future | None:
        """Start a run in a worker thread and return at once (the app's run button).

        Args:
            full: simulate the whole population instead of ``population_scale``.
            schedule: how to get back onto the session's thread, e.g. a Bokeh document's
                ``add_next_tick_callback`` (thread-safe; the callback then holds the
                document lock). Without it, results are applied from the worker thread
                (fine without a browser session: tests, notebooks).

        Returns:
            A future that resolves to the new :class:`RunSummary` (None on failure) once
            the results are applied; None if a run is already going.
        """
        if self.running:
            self.notify(self.t("run_busy"), "warning")
            return None
        plan = self._plan(full)
        self.param.update(running=True, progress=0, status=self.t("running", week=0, weeks=plan["weeks"]))
        done: concurrent.futures.Future = concurrent.futures.Future()

        def finish(computed: dict | None, exc: BaseException | None) -> None:
            try:
                if exc is not None:
                    self._fail(exc)
                    done.set_result(None)
                else:
                    self._apply(plan, computed)
                    done.set_result(self.results)
            except BaseException as err:  # noqa: BLE001 - never leave the screen "running"
                self._fail(err)
                done.set_result(None)
            finally:
                self.param.update(running=False, status="")

        def work() -> None:
            try:
                computed, exc = self.compute(plan, self._progress_setter(schedule, plan)), None
            except BaseException as err:  # noqa: BLE001 - shown to the table, old results stay
                computed, exc = None, err
            if schedule is None:
                finish(computed, exc)
            else:
                schedule(lambda: finish(computed, exc))

        _EXECUTOR.submit(work)
        return done

    async def run_async(self, full: bool = False) -> RunSummary | None:
        """Run in a worker thread and await the results (notebooks; no browser session needed)."""
        future = self.start_run(full)
        if future is None:
            return None
        return await asyncio.wrap_future(future)

    # ------------------------------------------------------------------ reading results
    def indicator_label(self, name: str) -> str:
        ind = INDICATORS[name]
        return ind.label(self.lang)

    def cards(self, names: tuple[str, ...] = CARD_INDICATORS) -> list[Card]:
        """The indicator cards a user reads: value, unit, change against the baseline, meaning."""
        out = []
        if self.results is None:
            return out
        n = len(self.results.seeds)
        for name in names:
            ind = INDICATORS[name]
            value = self.results.value(name)
            lo, hi = (float(self.results.summary.loc[name, c]) for c in ("lo", "hi"))
            delta = verdict = None
            delta_text = ""
            if self.baseline is not None:
                delta = value - self.baseline.value(name)
                scale = max(abs(self.baseline.value(name)), 1e-9)
                if abs(delta) < 1e-9 or abs(delta) / scale < 0.005:
                    verdict = "same" if ind.higher_is_better is not None else None
                elif ind.higher_is_better is not None:
                    verdict = "better" if (delta > 0) == ind.higher_is_better else "worse"
                sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
                delta_text = f"{sign}{number(abs(delta))} {unit_label(ind.unit, self.lang)} {self.t('vs_baseline')}"
                if verdict:
                    delta_text += f" ({self.t(verdict)})"
            spread = f"{number(lo)}–{number(hi)} ({n} seeds)" if n > 1 else ""
            out.append(Card(name, ind.label(self.lang), value, number(value), unit_label(ind.unit, self.lang), ind.meaning(self.lang),
                            delta, delta_text, verdict, spread))
        return out

    def layer_keys(self) -> list[str]:
        keys = ["catchment", "travel"] + list(WIJK_LAYERS) + [f"change:{k}" for k in WIJK_LAYERS]
        return keys

    def layer_label(self, key: str) -> str:
        if key == "catchment":
            return self.t("catchment_label", minutes=self.catchment_minutes, mode=self.t(self.catchment_mode))
        if key == "travel":
            return TRAVEL_LAYER[0] if self.lang == "nl" else TRAVEL_LAYER[1]
        change = key.startswith("change:")
        base = WIJK_LAYERS[key.split(":")[-1]]
        label = base[0] if self.lang == "nl" else base[1]
        if change:
            return (f"Verandering: {label.lower()} t.o.v. vandaag" if self.lang == "nl"
                    else f"Change: {label.lower()} vs today")
        return label

    def map_values(self, key: str | None = None) -> MapLayer:
        """The per-wijk values of a map layer (NaN where there is nothing to show yet)."""
        key = key or self.map_layer
        wijken = pd.Index(self.genk.wijken["wijk"], name="wijk")
        empty = pd.Series(np.nan, index=wijken)
        label = self.layer_label(key)
        if key == "catchment":
            values = self.catchment["share"] if self.catchment is not None else empty
            return MapLayer(key, label, "%", self.t("catchment_meaning"), values.reindex(wijken), False)
        if key == "travel":
            meaning = TRAVEL_LAYER[3] if self.lang == "nl" else TRAVEL_LAYER[4]
            return MapLayer(key, label, "min", meaning, self.travel_by_wijk().reindex(wijken), False)
        name = key.split(":")[-1]
        spec = WIJK_LAYERS[name]
        meaning = spec[3] if self.lang == "nl" else spec[4]
        if self.results is None:
            return MapLayer(key, label, unit_label(spec[2], self.lang), meaning, empty, key.startswith("change:"))
        values = self.results.wijk[name].reindex(wijken)
        if key.startswith("change:"):
            base = self.baseline.wijk[name].reindex(wijken) if self.baseline is not None else empty
            unit = "%-punt" if spec[2] == "%" else spec[2]
            return MapLayer(key, label, unit_label(unit, self.lang), meaning, values - base, True)
        return MapLayer(key, label, unit_label(spec[2], self.lang), meaning, values, False)

    def travel_by_wijk(self) -> pd.Series:
        """Mean walking minutes from homes to the nearest offline offer of the design, per wijk."""
        from model.offers import build_offer_specs

        places = {}
        for offer in build_offer_specs(self.scenario, self.genk.venues):
            xy = self.place_xy(offer.place)
            if xy is not None:
                places[(round(xy[0]), round(xy[1]))] = xy
        if not places:
            return pd.Series(np.nan, index=self.genk.wijken["wijk"])
        ids = self.genk.addresses["address_id"].to_numpy()
        minutes = self.genk.travel_minutes(ids, np.array(list(places.values())), Mode.WALK).min(axis=1)
        w = self.genk.addresses["weight"].to_numpy()
        ok = np.isfinite(minutes)
        frame = pd.DataFrame({"wijk": self.genk.addresses["wijk"].to_numpy()[ok], "wm": (w * minutes)[ok], "w": w[ok]})
        per = frame.groupby("wijk")[["wm", "w"]].sum()
        return per["wm"] / per["w"]

    def gains_and_losses(self, name: str = "reach", n: int = 3) -> tuple[pd.Series, pd.Series]:
        """The wijken that gain most and lose most on ``name`` against the baseline."""
        if self.results is None or self.baseline is None:
            return pd.Series(dtype=float), pd.Series(dtype=float)
        change = (self.results.wijk[name] - self.baseline.wijk[name]).dropna().sort_values()
        return change[change > 0][::-1].head(n), change[change < 0].head(n)

    def wijk_change_range(self, name: str = "reach") -> pd.DataFrame:
        """Per wijk, the lowest and highest change over the replicate seeds (design minus baseline, seed by seed)."""
        if self.results is None or self.baseline is None:
            return pd.DataFrame(columns=["lo", "hi"])
        diffs = [r.wijk_table()[name] - b.wijk_table()[name] for r, b in zip(self.results.runs, self.baseline.runs)]
        frame = pd.concat(diffs, axis=1)
        return pd.DataFrame({"lo": frame.min(axis=1), "hi": frame.max(axis=1)})

    # ------------------------------------------------------------------ compare
    def compare_options(self) -> dict[str, tuple[str, str, int | None]]:
        """Label -> (source, name, revision) for every scenario one can open or compare."""
        options: dict[str, tuple[str, str, int | None]] = {}
        for name in list_scenarios():
            options[f"{name} ({self.t('shipped')})"] = ("file", name, None)
        try:
            table = self.store.list_scenarios()
        except StoreError:
            table = pd.DataFrame()
        for row in table.itertuples():
            for number_ in range(int(row.revision), 0, -1):
                options[f"{row.name} r{number_}"] = ("store", row.name, number_)
        return options

    def _scenario_from(self, source: str, name: str, revision: int | None) -> Scenario:
        if source == "file":
            return load_scenario(name)
        return self.store.load(name, revision)

    def compare_with(self, label: str, schedule: Callable[[Callable[[], None]], Any] | None = None) -> bool:
        """Add a shipped or saved scenario to the comparison (runs it with the same seeds).

        The runs go to a worker thread; ``schedule`` brings the result back onto the session's
        thread (as in :meth:`start_run`). Without it, the call waits (tests, notebooks).
        """
        if self.running:
            self.notify(self.t("run_busy"), "warning")
            return False
        options = self.compare_options()
        if label not in options:
            return self.refuse(f"{label!r}: onbekend scenario / unknown scenario")
        try:
            scenario = self._scenario_from(*options[label])
        except (ScenarioError, StoreError) as exc:
            return self.refuse(str(exc))
        if not hasattr(self, "_compare_scenarios"):
            self._compare_scenarios: dict[str, Scenario] = {}
        self._compare_scenarios[label] = scenario
        plan = self._plan(False)
        seeds, weeks, scale = plan["seeds"], plan["weeks"], plan["scale"]
        if self.results is not None:
            seeds, weeks, scale = self.results.seeds, self.results.weeks, self.results.population_scale
        self.param.update(running=True, status=self.t("running", week=0, weeks=weeks))

        def finish(runs: list | None, exc: BaseException | None) -> None:
            try:
                if exc is not None:
                    self._fail(exc)
                else:
                    self.comparison = {**self.comparison, label: RunSummary.from_runs(label, runs)}
                    self.notify(self.t("compare_added", label=label), "success")
            finally:
                self.param.update(running=False, status="")

        def work() -> None:
            try:
                runs, exc = [cached_run(scenario, s, weeks, scale) for s in seeds], None
            except BaseException as err:  # noqa: BLE001 - shown to the table
                runs, exc = None, err
            if schedule is None:
                finish(runs, exc)
            else:
                schedule(lambda: finish(runs, exc))

        future = _EXECUTOR.submit(work)
        if schedule is None:
            future.result()
        return True

    def clear_comparison(self) -> None:
        self._compare_scenarios = {}
        self.comparison = {}

    def compare_table(self, names: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Indicators side by side: this design, the baseline, compared scenarios and the differences."""
        if self.results is None:
            return pd.DataFrame()
        names = names or tuple(INDICATORS)
        rows = []
        for name in names:
            ind = INDICATORS[name]
            row = {self.t("indicator"): f"{ind.label(self.lang)} ({unit_label(ind.unit, self.lang)})", self.t("current_design"): self.results.value(name)}
            if self.baseline is not None:
                row[self.t("baseline")] = self.baseline.value(name)
                row[f"{self.t('difference')} ↔ {self.t('baseline')}"] = self.results.value(name) - self.baseline.value(name)
            for label, other in self.comparison.items():
                row[label] = other.value(name)
                row[f"{self.t('difference')} ↔ {label}"] = self.results.value(name) - other.value(name)
            rows.append(row)
        return pd.DataFrame(rows)

    def compare_wijk_table(self, name: str = "reach") -> pd.DataFrame:
        if self.results is None:
            return pd.DataFrame()
        frame = pd.DataFrame({self.t("current_design"): self.results.wijk[name]})
        if self.baseline is not None:
            frame[self.t("baseline")] = self.baseline.wijk[name]
            frame[f"{self.t('difference')} ↔ {self.t('baseline')}"] = frame[self.t("current_design")] - frame[self.t("baseline")]
        for label, other in self.comparison.items():
            frame[label] = other.wijk[name]
            frame[f"{self.t('difference')} ↔ {label}"] = frame[self.t("current_design")] - other.wijk[name]
        frame.index.name = "wijk"
        return frame.reset_index()

    # ------------------------------------------------------------------ save, open, export
    def save(self, name: str | None = None, group: str = "", notes: str = "") -> Revision | None:
        """Save the design as a new revision of ``name`` in the store."""
        name = (name or self.scenario.name).strip()
        try:
            scenario = self.scenario.with_values({"name": name}) if name != self.scenario.name else self.scenario
            parent = self.revision.id if self.revision is not None else None
            rev = self.store.save(scenario, group=group, notes=notes, parent_id=parent)
        except (ScenarioError, StoreError, ValueError) as exc:
            self.refuse(str(exc).replace("<values>: ", ""))
            return None
        with param.parameterized.batch_call_watchers(self):
            if scenario is not self.scenario:
                self._set_scenario(scenario, f"naam = {name}")
            self.revision = rev
            self.link = self.store.link_for(rev.id)
            self.store_version += 1
        self.notify(self.t("saved", label=rev.label), "success")
        return rev

    def open(self, name: str, revision: int | None = None) -> bool:
        """Open a saved revision (latest when ``revision`` is None) as the design on the table."""
        try:
            rev = self.store.revision(name, revision)
            scenario = rev.scenario
        except (ScenarioError, StoreError) as exc:
            return self.refuse(str(exc))
        self._open_revision(rev, scenario)
        return True

    def open_label(self, label: str) -> bool:
        """Open a scenario by its menu label (``name r2`` or ``name (meegeleverd)``)."""
        options = self.compare_options()
        if label not in options:
            return self.refuse(f"{label!r}: onbekend scenario / unknown scenario")
        source, name, number_ = options[label]
        if source == "store":
            return self.open(name, number_)
        try:
            scenario = load_scenario(name)
        except ScenarioError as exc:
            return self.refuse(str(exc))
        with param.parameterized.batch_call_watchers(self):
            self._set_scenario(scenario, self.t("reloaded", label=label))
            self.revision, self.link, self.results, self.selected_offer = None, "", None, None
        self.notify(self.t("reloaded", label=label), "success")
        return True

    def _open_revision(self, rev: Revision, scenario: Scenario) -> None:
        with param.parameterized.batch_call_watchers(self):
            self._set_scenario(scenario, self.t("reloaded", label=rev.label))
            self.revision = rev
            self.link = self.store.link_for(rev.id)
            self.results = None
            self.selected_offer = None
        self.notify(self.t("reloaded", label=rev.label), "success")

    def open_study_run(self, folder: str, run_id: int | str) -> bool:
        """Open one run of a sensitivity study (the explorer's link) as an unsaved design."""
        from model.experiments import StudyError, default_results_root, load_results

        root = default_results_root().resolve()
        path = (root / folder).resolve()
        try:
            if not path.is_relative_to(root):
                raise ValueError(f"{folder!r} is not a results folder under {root}")
            scenario, seed = load_results(path).scenario_of_run(int(run_id))
        except (StudyError, ScenarioError, KeyError, ValueError, OSError) as exc:
            self.notify(self.t("link_refused", why=str(exc)), "danger")
            return False
        what = self.t("study_run_opened", run=int(run_id), study=path.name)
        with param.parameterized.batch_call_watchers(self):
            self._set_scenario(scenario, what)
            self.revision, self.link, self.results, self.selected_offer = None, "", None, None
        self.notify(what, "success")
        return True

    def open_link(self, query: Any) -> bool:
        """Open what a link points to: ``?scenario=<name>&revision=<n>`` (the store) or
        ``?study=<folder>&run=<run_id>`` (a run of a study, from the explorer); also session_args."""
        args = _link_args(query)
        if "study" in args:
            return self.open_study_run(args["study"], args.get("run", "0"))
        try:
            rev = self.store.resolve_link(query)
            scenario = rev.scenario
        except (ScenarioError, StoreError) as exc:
            self.notify(self.t("link_refused", why=str(exc)), "danger")
            return False
        self._open_revision(rev, scenario)
        return True

    def branch(self, new_name: str, group: str = "", notes: str = "") -> Revision | None:
        """Branch the last saved revision under a new name and continue on the branch."""
        if self.revision is None:
            rev = self.save()
            if rev is None:
                return None
        try:
            rev = self.store.branch(self.revision.id, new_name.strip(), group=group, notes=notes)
            scenario = rev.scenario
        except (ScenarioError, StoreError) as exc:
            self.refuse(str(exc))
            return None
        with param.parameterized.batch_call_watchers(self):
            self._set_scenario(scenario, self.t("branched", label=rev.label))
            self.revision, self.link = rev, self.store.link_for(rev.id)
            self.store_version += 1
        self.notify(self.t("branched", label=rev.label), "success")
        return rev

    def export_yaml(self) -> str:
        """The design as scenario YAML (what ``scenarios/*.yaml`` hold)."""
        head = f"# {self.revision.label}\n" if self.revision is not None else ""
        return head + scenario_to_yaml(self.scenario)

    def import_yaml(self, text: str | bytes, filename: str = "upload.yaml", group: str = "", notes: str = "") -> Revision | None:
        """Validate an uploaded scenario file, save it as a revision and open it; refused whole if invalid."""
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError:
                self.notify(self.t("import_refused", why=f"{filename}: not UTF-8 text"), "danger")
                return None
        try:
            scenario = scenario_from_yaml(text, source=filename)
            rev = self.store.save(scenario, group=group, notes=notes or f"imported from {filename}")
        except (ScenarioError, StoreError) as exc:
            self.notify(self.t("import_refused", why=str(exc)), "danger")
            return None
        with param.parameterized.batch_call_watchers(self):
            self._set_scenario(scenario, self.t("imported", label=rev.label))
            self.revision, self.link, self.results = rev, self.store.link_for(rev.id), None
            self.store_version += 1
        self.notify(self.t("imported", label=rev.label), "success")
        return rev


def _validation_text(exc: Exception, lang: str) -> str:
    """A pydantic error on an offer as one readable line per problem, with the allowed range."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    fields = {f.path: f for f in numeric_fields(OfferSpec)}
    lines = []
    for err in errors():
        loc = ".".join(str(k) for k in err.get("loc", ()))
        f = fields.get(loc)
        if f is not None and err.get("type", "").endswith(("_equal", "than")):
            label = f.label_nl if lang == "nl" else f.label_en
            lines.append(tr("out_of_range", lang, label=label, value=plain(err.get("input")), lo=plain(f.lo),
                            hi=plain(f.hi), unit=unit_label(f.unit, lang)))
        else:
            msg = err.get("msg", "").replace("Value error, ", "")
            lines.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(lines)


def warm_up(population_scale: float = DEFAULT_SCALE, n_seeds: int = DEFAULT_SEEDS) -> float:
    """Load Genk, its street network, the geocoder and the baseline runs once per process."""
    t0 = time.perf_counter()
    genk = load_genk()
    site = genk.venues.loc["regina_mundi", ["x", "y"]].to_numpy(dtype=float)
    for mode in (Mode.WALK, Mode.BIKE):
        genk.travel_minutes(np.array([0]), site[None, :], mode)
    try:
        genk.geocode("Stalenstraat 1")
    except AddressNotFound:
        pass
    baseline = load_scenario(BASELINE)
    for seed in replicate_seeds(n_seeds):
        cached_run(baseline, seed, baseline.run.weeks, population_scale)
    return time.perf_counter() - t0


__all__ = ["WorkshopState", "RunSummary", "Card", "MapLayer", "warm_up", "replicate_seeds", "cached_run",
           "CARD_INDICATORS", "DEFAULT_SCALE", "DEFAULT_SEEDS", "WIJK_LAYERS", "Theme", "Level", "ProviderType"]
