"""The workshop's state: a thin composition of small pieces, each with one job.

- :class:`~apps.components.design.Design`: the scenario under edit, undo and redo;
- :class:`~apps.components.runs.RunService`: replicate runs off the UI thread, the
  shared cache, progress as run *i* of *n* with the time left, the store's runs;
- :class:`~apps.components.readout.Readout`: cards, compare tables and map layers with
  paired intervals ("geen duidelijk verschil / no clear difference" inside the noise);
- :class:`~apps.components.library.Library`: saved and shipped scenarios, links, uploads.

:class:`WorkshopState` adds what belongs to one shared screen: the language, the chosen
place and who reaches it (catchment), the selected offer, the map layer and the message
to the table. It knows nothing of widgets: views render it; tests drive it and read what
a user would read. Every change of the design goes through the schema, so an
impossible value is refused with the schema's reason (in the screen's language, from the
error's structure) and the design stays as it was.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from typing import Any, Callable

import numpy as np
import pandas as pd
import param
from pyproj import Transformer

from model.compare import replication_seeds
from model.domain import Level, Mode, ProviderType, Theme
from model.geography import AddressNotFound, load_genk
from model.scenario import OfferSpec, PlaceSpec, Scenario, ScenarioError, lever_fields, load_scenario, numeric_fields
from model.scenario_io import ScenarioProblems, problem_from_pydantic, render_error, scenario_to_yaml
from model.store import Revision, Store

from . import runs as runs_module
from .design import Design, design_key
from .i18n import level_label, number, plain, theme_label, tr, unit_label
from .library import Library, LibraryError, SaveOutcome, link_args
from .numbers import NumberRefused, read_number
from .readout import CARD_INDICATORS, KEY_CARDS, WIJK_LAYERS, Card, MapLayer, Readout
from .runs import RunPlan, RunService, RunSummary, cached_run, clear_cache, executor

log = logging.getLogger(__name__)

#: Share of Genk simulated by the run button: from 0.1 on, weighted residents give reach within
#: 1 pt and the wijk gap within 1 pt of the full population (benchmarks/results/scale.json; at
#: 0.05 reach is ~2 pt low), at 0.27 s a run (benchmarks/bench_workshop.py).
DEFAULT_SCALE = 0.1
DEFAULT_SEEDS = 3
BASE_SEED = 20240601  # the workshop's SeedSequence entropy: same seeds in every session
BASELINE = "baseline"

TRAVEL_LAYER = ("Reistijd te voet naar het dichtste aanbod", "Walking time to the nearest offer", "min",
                "gemiddelde wandeltijd van een bewoner naar het dichtstbijzijnde offline aanbod (vóór elke simulatie)",
                "mean walking time of a resident to the nearest offline offer (before any simulation)")

_TO_WGS84 = Transformer.from_crs("EPSG:31370", "EPSG:4326", always_xy=True)
_FROM_WGS84 = Transformer.from_crs("EPSG:4326", "EPSG:31370", always_xy=True)
Schedule = Callable[[Callable[[], None]], Any]

#: Which piece owns which watched name (see :meth:`WorkshopState.watch`).
_OWNERS = {
    "design": ("scenario", "version", "origin", "can_undo", "can_redo"),
    "readout": ("results", "baseline", "paired", "comparison", "compared", "results_key"),
    "runs": ("running", "progress", "run_index", "n_runs", "seconds_left"),
    "library": ("revision", "store_version"),
}


_VENUE_XY: dict[int, dict[str, tuple[float, float]]] = {}
_TRAVEL_CACHE: dict[tuple, pd.Series] = {}  # (geography, places) -> mean walking minutes per wijk
_TRAVEL_LOCK = threading.Lock()
_KEEP_LOCK = threading.Lock()  # one write of runs to the store at a time (a run's and a save's)
#: Runs are written to the store this long after their results are shown: the write (Parquet,
#: SQLite) would otherwise compete with sending the cards and the map to the browser.
KEEP_DELAY_S = 1.5
#: A changed design is simulated ahead (in an idle run pool) this long after the change, so that
#: a quick series of changes (typing, a slider) starts one set of runs, for the last design.
RUN_AHEAD_DELAY_S = 0.15


def _venue_xy(genk) -> dict[str, tuple[float, float]]:
    """Venue id -> EPSG:31370 (x, y), built once per geography."""
    hit = _VENUE_XY.get(id(genk))
    if hit is None:
        v = genk.venues
        hit = _VENUE_XY[id(genk)] = {str(i): (float(x), float(y)) for i, x, y in zip(v.index, v["x"], v["y"])}
    return hit


def replicate_seeds(n: int, entropy: int = BASE_SEED) -> list[int]:
    """The workshop's replication seeds: :func:`model.compare.replication_seeds` (one recipe)."""
    return replication_seeds(n, entropy)


def to_wgs84(x: float, y: float) -> tuple[float, float]:
    lon, lat = _TO_WGS84.transform(x, y)
    return float(lon), float(lat)


def from_wgs84(lon: float, lat: float) -> tuple[float, float]:
    x, y = _FROM_WGS84.transform(lon, lat)
    return float(x), float(y)


def baseline_for(scenario: Scenario) -> Scenario:
    """Today's offer judged under the design's behavioural assumptions (a study run carries its own)."""
    return load_scenario(BASELINE).model_copy(update={"uncertainties": scenario.uncertainties})


class WorkshopState(param.Parameterized):
    """The shared screen's state: one design under edit, its runs, the read-out, the library."""

    lang = param.Selector(default="nl", objects=["nl", "en"], doc="screen language")
    map_layer = param.String(default="travel", doc="what colours the wijken")
    selected_offer = param.String(default=None, allow_None=True, doc="id of the workshop offer being edited")
    proposed_place = param.ClassSelector(class_=PlaceSpec, default=None, allow_None=True, doc="place chosen for a new offer")
    proposed_label = param.String(default="", doc="how the chosen place is named on screen")
    catchment_mode = param.Selector(default="walk", objects=["walk", "bike"])
    catchment_minutes = param.Integer(default=15, bounds=(1, 60))
    catchment = param.ClassSelector(class_=pd.DataFrame, default=None, allow_None=True, doc="per wijk: share within reach")
    catchment_text = param.String(default="")
    message = param.String(default="")
    message_kind = param.Selector(default="info", objects=["info", "success", "warning", "danger"])
    message_count = param.Integer(default=0, doc="bumped on every message, so equal messages still notify")
    conflict = param.ClassSelector(class_=SaveOutcome, default=None, allow_None=True,
                                   doc="a save refused because another table uses the name (offer a branch)")
    population_scale = param.Number(default=DEFAULT_SCALE, bounds=(0.005, 1.0))
    n_seeds = param.Integer(default=DEFAULT_SEEDS, bounds=(2, 5))

    def __init__(self, scenario: Scenario | str | None = None, store: Store | None = None, **params):
        self.genk = load_genk()
        if scenario is None:
            scenario = load_scenario(BASELINE).model_copy(update={"name": "ontwerp", "title": "", "description": ""})
        elif isinstance(scenario, str):
            scenario = load_scenario(scenario)
        self.design = Design(scenario)
        self.runs = RunService(entropy=BASE_SEED)
        self.readout = Readout()
        self.library = Library(store=store)
        self._said: tuple[str, dict, str] | None = None
        self._compare_scenarios: dict[str, Scenario] = {}
        self._keeping: concurrent.futures.Future | None = None  # the last write of runs to the store
        super().__init__(**params)
        self.readout.lang = self.library.lang = self.lang
        self.param.watch(self._refresh_catchment, ["catchment_mode", "catchment_minutes", "proposed_place"])
        self.param.watch(self._language, ["lang"])
        self.design.param.watch(self._design_moved, ["origin"])
        self.design.param.watch(self._changed_design, ["version"])
        self._ahead_timer: threading.Timer | None = None

    # ------------------------------------------------------------------ composition
    def watch(self, fn: Callable, names: list[str] | str) -> None:
        """Watch names on whichever piece owns them (``["results", "version", "lang"]``)."""
        names = [names] if isinstance(names, str) else list(names)
        by_owner: dict[Any, list[str]] = {}
        for name in names:
            owner = next((getattr(self, piece) for piece, owned in _OWNERS.items() if name in owned), self)
            by_owner.setdefault(owner, []).append(name)
        for owner, owned in by_owner.items():
            owner.param.watch(fn, owned)

    scenario = property(lambda self: self.design.scenario)
    version = property(lambda self: self.design.version)
    can_undo = property(lambda self: self.design.can_undo)
    can_redo = property(lambda self: self.design.can_redo)
    results = property(lambda self: self.readout.results)
    baseline = property(lambda self: self.readout.baseline)
    paired = property(lambda self: self.readout.paired)
    comparison = property(lambda self: self.readout.comparison)
    results_key = property(lambda self: self.readout.results_key)
    running = property(lambda self: self.runs.running)
    progress = property(lambda self: self.runs.progress)
    revision = property(lambda self: self.library.revision)
    store_version = property(lambda self: self.library.store_version)

    @property
    def store(self) -> Store:
        return self.library.store

    @property
    def link(self) -> str:
        rev = self.library.revision
        return self.store.link_for(rev.id) if rev is not None else ""

    def _changed_design(self, *_) -> None:
        """A changed design starts its runs in the idle run pool shortly after (see :meth:`run_ahead`)."""
        if runs_module.run_ahead_possible():
            if self._ahead_timer is not None:
                self._ahead_timer.cancel()
            self._ahead_timer = threading.Timer(RUN_AHEAD_DELAY_S, self.run_ahead)
            self._ahead_timer.daemon = True
            self._ahead_timer.start()

    def run_ahead(self) -> int:
        """Simulate the design on the run button's seeds before it is pressed, when the run pool is idle.

        Only the shared cache changes; the screen shows nothing until the button is pressed, and
        then at once if the runs are done (or only waits for the rest). Returns the runs started.
        """
        if self.running:
            return 0
        try:
            return runs_module.run_ahead(self._run_plan(self._plan(False)))
        except Exception:  # noqa: BLE001 - running ahead is a convenience: a press runs it anyway
            log.exception("could not run ahead")
            return 0

    def _design_moved(self, event) -> None:
        """Undo/redo carry the revision the design came from: the library follows."""
        if self.library.revision is not event.new:
            self.library.revision = event.new

    # ------------------------------------------------------------------ messages
    def t(self, key: str, **kw) -> str:
        return tr(key, self.lang, **kw)

    def say(self, key: str, kind: str = "info", **kw) -> None:
        """Show a message by its key; re-rendered when the language changes. Values may be ``lambda lang: text``."""
        self._said = (key, kw, kind)
        self._post(self._render_said(), kind)

    def _render_said(self) -> str:
        key, kw, _ = self._said
        values = {k: (v(self.lang) if callable(v) else v) for k, v in kw.items()}
        return self.t(key, **values)

    def notify(self, text: str, kind: str = "info") -> None:
        """Show a ready-made text to the table (the views turn it into an alert and a toast)."""
        self._said = None
        self._post(text, kind)

    def _post(self, text: str, kind: str) -> None:
        with param.parameterized.batch_call_watchers(self):
            self.message_kind = kind
            self.message = text
            self.message_count += 1

    def refuse(self, why: str | Callable[[str], str]) -> bool:
        self.say("refused", "danger", why=why)
        return False

    def _language(self, event) -> None:
        self.readout.lang = self.library.lang = event.new
        if self.proposed_place is not None:
            self.update_catchment()
        if self._said is not None:
            self.message = self._render_said()  # the same message, now in the other language (no new toast)

    def status_text(self) -> str:
        """Progress as the screen reads it: run i of n, percent, time left."""
        r = self.runs
        if not r.running:
            return ""
        left = "" if r.seconds_left is None else self.t("time_left", secs=max(0, int(round(r.seconds_left))))
        return self.t("running_runs", i=max(1, r.run_index), n=max(1, r.n_runs), pct=r.progress) + left

    # ------------------------------------------------------------------ the design: undo, redo, reset
    def undo(self) -> bool:
        """Restore the design as it was before the last change."""
        what = self.design.undo()
        if what is None:
            self.say("undo_none", "warning")
            return False
        self._drop_missing_selection()
        self.say("undone", "info", what=what)
        return True

    def redo(self) -> bool:
        """Do again what undo took back."""
        what = self.design.redo()
        if what is None:
            self.say("redo_none", "warning")
            return False
        self._drop_missing_selection()
        self.say("redone", "info", what=what)
        return True

    def reset(self) -> bool:
        """Start again from today's offer (the baseline), keeping the design's name; undo brings it back."""
        today = load_scenario(BASELINE).model_copy(update={"name": self.scenario.name, "title": "", "description": ""})
        what = self.t("reset_done")
        with param.parameterized.batch_call_watchers(self):
            self.design.change(today, what, origin=None)
            self.param.update(selected_offer=None, proposed_place=None, proposed_label="")
        self.say("reset_done", "success")
        return True

    def _drop_missing_selection(self) -> None:
        if self.selected_offer and self.offer(self.selected_offer) is None:
            self.selected_offer = None

    def _change(self, scenario: Scenario, what: str) -> None:
        self.design.change(scenario, what)

    # ------------------------------------------------------------------ levers
    def field_label(self, path: str) -> str:
        fields = lever_fields()
        if path in fields:
            f = fields[path]
            return f.label_nl if self.lang == "nl" else f.label_en
        return path.rsplit(".", 1)[-1]

    def value(self, path: str) -> Any:
        """The design's value at a dotted path (``levers.clubs.budget_eur_per_year``)."""
        return self.design.value(path)

    def _schema_refusal(self, exc: ScenarioError) -> Callable[[str], str]:
        return lambda lang: render_error(exc, lang, labels=True, sep="; ").replace("<values>: ", "")

    def read_field(self, f, value: Any) -> tuple[bool, Any]:
        """A typed or spoken value for a numeric field: (True, number) or (False, refusal shown)."""
        label = lambda lang: f.label_nl if lang == "nl" else f.label_en  # noqa: E731
        try:
            number_ = read_number(value, integer=f.is_int)
        except NumberRefused as exc:
            refused = exc
            return False, self.refuse(lambda lang: f"{label(lang)}: " + refused.message(lang))
        if not (f.lo <= number_ <= f.hi):
            return False, self.refuse(lambda lang: tr("out_of_range", lang, label=label(lang), value=plain(number_),
                                                      lo=plain(f.lo), hi=plain(f.hi), unit=unit_label(f.unit, lang)))
        return True, number_

    def set_value(self, path: str, value: Any) -> bool:
        """Set one parameter of the design; refused (with the reason) if the schema disallows it.

        Numbers may be given as people write them (``"50.000"``, ``"€ 50.000,00"``, ``"2,5"``);
        what cannot be read for sure is refused with a message, never changed silently.
        """
        f = {f.path: f for f in numeric_fields(Scenario)}.get(path)
        if f is not None:
            ok, value = self.read_field(f, value)
            if not ok:
                return False
        try:
            if self.value(path) == value:
                return True
        except AttributeError:
            pass
        try:
            scenario = self.design.with_values({path: value})
        except ScenarioError as exc:
            return self.refuse(self._schema_refusal(exc))
        label = self.field_label(path)
        self._change(scenario, f"{label} = {value if not isinstance(value, list) else len(value)}")
        return True

    def set_values(self, values: dict[str, Any], what: str) -> bool:
        try:
            scenario = self.design.with_values(values)
        except ScenarioError as exc:
            return self.refuse(self._schema_refusal(exc))
        self._change(scenario, what)
        return True

    # ------------------------------------------------------------------ the central site
    def set_site(self, venue_id: str) -> bool:
        """Put the central site at a venue of the catalogue (and name it after it)."""
        if venue_id not in self.genk.venues.index:
            return self.refuse(lambda lang: tr("unknown_venue", lang, venue=str(venue_id)[:60]))
        name = str(self.genk.venues.loc[venue_id, "name"])
        ok = self.set_values({"levers.central_site.place": {"kind": "venue", "venue_id": venue_id},
                              "levers.central_site.name": name}, self.t("site_moved", name=name))
        if ok:
            self.say("site_moved", "success", name=name)
        return ok

    def site_xy(self) -> tuple[float, float] | None:
        return self.place_xy(self.scenario.levers.central_site.place)

    # ------------------------------------------------------------------ places
    def place_xy(self, place: PlaceSpec | None) -> tuple[float, float] | None:
        """EPSG:31370 coordinates of a place; None for online."""
        if place is None or place.kind == "online":
            return None
        if place.kind == "venue":
            return _venue_xy(self.genk).get(place.venue_id)
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
            self.say("point_outside", "danger")
            return False
        lon, lat = to_wgs84(x, y)
        return self._propose(PlaceSpec(kind="point", lon=round(lon, 6), lat=round(lat, 6)))

    def choose_venue(self, venue_id: str) -> bool:
        if venue_id not in self.genk.venues.index:
            return self.refuse(lambda lang: tr("unknown_venue", lang, venue=str(venue_id)[:60]))
        return self._propose(PlaceSpec(kind="venue", venue_id=venue_id))

    def choose_address(self, text: str) -> bool:
        """Geocode a Genk address offline (CRAB) and propose it."""
        text = str(text or "")[:200]
        if not text.strip():
            self.say("address_not_found", "danger", why=lambda lang: "(leeg)" if lang == "nl" else "(empty)")
            return False
        try:
            address = self.genk.geocode(text)
        except AddressNotFound as exc:
            self.say("address_not_found", "danger", why=str(exc)[:300])
            return False
        lon, lat = to_wgs84(address.x, address.y)
        return self._propose(PlaceSpec(kind="point", lon=round(lon, 6), lat=round(lat, 6)),
                             label=f"{address.straatnaam} {address.huisnr}")

    def choose_site(self) -> bool:
        return self._propose(PlaceSpec(kind="central_site"))

    def _propose(self, place: PlaceSpec, label: str | None = None) -> bool:
        with param.parameterized.batch_call_watchers(self):
            self.proposed_label = label or self.describe_place(place)
            self.proposed_place = place
            self.map_layer = "catchment"
        self.say("point_chosen", "info", where=self.proposed_label, wijk=self.wijk_of_place(place))
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
        text = self.t("catchment_text", people=number(round(people, -1), 0), share=share, minutes=self.catchment_minutes,
                      mode=self.t(self.catchment_mode), where=self.proposed_label or self.describe_place(self.proposed_place))
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

    def _offer_refusal(self, exc: Exception) -> Callable[[str], str]:
        """A pydantic error on an offer, one line per problem with the field's label, in either language."""
        errors = getattr(exc, "errors", None)
        if not callable(errors):
            return lambda lang: str(exc)[:300]
        # an offer's fields are labelled as in the levers (the schema's label_nl/label_en)
        problems = ScenarioProblems([problem_from_pydantic({**e, "loc": ("levers", "offers", 0, *e.get("loc", ()))}, "")
                                     for e in errors()])
        return lambda lang: problems.render(lang, labels=True, sep="; ")

    def _read_offer_numbers(self, fields: dict[str, Any]) -> bool:
        numeric = {f.path: f for f in numeric_fields(OfferSpec)}
        for key in list(fields):
            if key in numeric and fields[key] is not None:
                ok, value = self.read_field(numeric[key], fields[key])
                if not ok:
                    return False
                fields[key] = value
        return True

    def add_offer(self, place: PlaceSpec | None = None, **fields: Any) -> OfferSpec | None:
        """Place a new offer (at ``place`` or the chosen place); returns it, or None if refused.

        ``fields`` are :class:`model.scenario.OfferSpec` fields (title, provider_type,
        themes, level, age_min, age_max, capacity_per_week, ..., price_eur, awards_badge);
        numbers may be text as people write them (``"1.000"``).
        """
        place = place or self.proposed_place
        if place is None:
            self.say("offer_no_place", "danger")
            return None
        if not fields.get("themes"):
            self.refuse(lambda lang: tr("offer_no_theme", lang))
            return None
        if not self._read_offer_numbers(fields):
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
            self.refuse(self._offer_refusal(exc))
            return None
        offers = [o.model_dump(mode="python") for o in self.scenario.levers.offers] + [offer.model_dump(mode="python")]
        wijk = self.wijk_of_place(place)
        if not self.set_values({"levers.offers": offers}, self.t("offer_added", title=offer.title, wijk=wijk)):
            return None
        self.selected_offer = offer.id
        self.say("offer_added", "success", title=offer.title, wijk=wijk)
        return offer

    def update_offer(self, offer_id: str, **changes: Any) -> OfferSpec | None:
        """Change fields of a placed offer (validated like a new one)."""
        current = self.offer(offer_id)
        if current is None:
            self.refuse(lambda lang: tr("offer_unknown", lang, offer_id=str(offer_id)[:60]))
            return None
        if "themes" in changes and not changes["themes"]:
            self.refuse(lambda lang: tr("offer_no_theme", lang))
            return None
        if not self._read_offer_numbers(changes):
            return None
        data = {**current.model_dump(mode="python"), **changes}
        if "place" in changes and isinstance(changes["place"], PlaceSpec):
            data["place"] = changes["place"].model_dump(mode="python")
        try:
            offer = OfferSpec.model_validate(data)
        except Exception as exc:
            self.refuse(self._offer_refusal(exc))
            return None
        if offer == current:
            return offer
        offers = [offer.model_dump(mode="python") if o.id == offer_id else o.model_dump(mode="python")
                  for o in self.scenario.levers.offers]
        moved = "place" in changes
        key = "offer_moved" if moved else "offer_updated"
        kw = {"title": offer.title, "wijk": self.wijk_of_place(offer.place)} if moved else {"title": offer.title}
        if not self.set_values({"levers.offers": offers}, self.t(key, **kw)):
            return None
        self.say(key, "success", **kw)
        return offer

    def move_offer(self, offer_id: str, place: PlaceSpec | None = None) -> OfferSpec | None:
        """Move a placed offer to ``place`` (default: the chosen place)."""
        place = place or self.proposed_place
        if place is None:
            self.say("offer_no_place", "danger")
            return None
        return self.update_offer(offer_id, place=place)

    def remove_offer(self, offer_id: str) -> bool:
        current = self.offer(offer_id)
        if current is None:
            return self.refuse(lambda lang: tr("offer_unknown", lang, offer_id=str(offer_id)[:60]))
        offers = [o.model_dump(mode="python") for o in self.scenario.levers.offers if o.id != offer_id]
        if not self.set_values({"levers.offers": offers}, self.t("offer_removed", title=current.title)):
            return False
        if self.selected_offer == offer_id:
            self.selected_offer = None
        self.say("offer_removed", "success", title=current.title)
        return True

    # ------------------------------------------------------------------ runs
    def _plan(self, full: bool) -> dict:
        scale = 1.0 if full else float(self.population_scale)
        return {"scenario": self.scenario, "baseline": baseline_for(self.scenario), "seeds": self.runs.seeds(self.n_seeds),
                "weeks": int(self.scenario.run.weeks), "scale": scale, "compare_scenarios": dict(self._compare_scenarios)}

    def _run_plan(self, plan: dict) -> RunPlan:
        jobs = {"design": plan["scenario"], "baseline": plan["baseline"]}
        jobs.update({f"compare:{label}": scn for label, scn in plan["compare_scenarios"].items()})
        return RunPlan(jobs, plan["seeds"], plan["weeks"], plan["scale"])

    def _apply(self, plan: dict, computed: dict) -> None:
        runs, secs = computed["runs"], computed["seconds"]
        design = RunSummary.from_runs(self.t("current_design"), runs["design"], secs)
        baseline = RunSummary.from_runs(self.t("baseline"), runs["baseline"], secs)
        compared = {key.split(":", 1)[1]: RunSummary.from_runs(key.split(":", 1)[1], r, secs)
                    for key, r in runs.items() if key.startswith("compare:")}
        with param.parameterized.batch_call_watchers(self):
            self.readout.show(design, baseline, design_key(plan["scenario"]), compared)
            if self.map_layer in ("catchment", "travel", "") or self.map_layer not in self.layer_keys():
                self.map_layer = "change:reach"
        pct = number(100 * plan["scale"], 1 if plan["scale"] < 0.1 else 0)
        self.say("run_done", "success", seeds=len(plan["seeds"]), weeks=plan["weeks"], pct=pct, secs=secs)
        self._keep_runs(plan, runs, KEEP_DELAY_S)

    def _keep_runs(self, plan: dict, runs: dict, delay_s: float = 0.0) -> None:
        """Keep the design's and baseline's runs in the store (in a worker thread), so a link reopens them.

        After a run the write waits ``KEEP_DELAY_S`` so that it does not slow down showing the results.
        """
        rev = self.revision
        rev_id = rev.id if rev is not None and design_key(rev.scenario) == design_key(plan["scenario"]) else None
        store = self.store

        def keep():
            try:
                with _KEEP_LOCK:
                    runs_module.store_runs(store, plan["scenario"], runs["design"], rev_id)
                    runs_module.store_runs(store, plan["baseline"], runs["baseline"], None)
            except Exception:  # noqa: BLE001 - keeping runs is a convenience; the screen has them
                log.exception("could not keep the runs in the store")

        kept: concurrent.futures.Future = concurrent.futures.Future()

        def later():
            try:
                executor().submit(keep).add_done_callback(lambda f: kept.set_result(None))
            except RuntimeError:  # the process is stopping
                kept.set_result(None)

        timer = threading.Timer(delay_s, later)
        timer.daemon = True
        timer.start()
        self._keeping = kept

    @property
    def results_out_of_date(self) -> bool:
        """True when the design changed since its results were computed (the cards show the previous design)."""
        return self.results is not None and self.results_key != design_key(self.scenario)

    def _fail(self, exc: BaseException) -> None:
        text = f"{type(exc).__name__}: {str(exc)[:300]}"
        self.say("run_failed", "danger", error=text)

    def start_run(self, full: bool = False, schedule: Schedule | None = None) -> concurrent.futures.Future | None:
        """Start a run in a worker thread and return at once (the app's run button).

        Args:
            full: simulate the whole population instead of ``population_scale``.
            schedule: how to get back onto the session's thread, e.g. a Bokeh document's
                ``add_next_tick_callback``. Without it, results are applied from the worker
                thread (fine without a browser session: tests, notebooks).

        Returns:
            A future resolving to the new :class:`RunSummary` (None on failure); None if a run is going.
        """
        if self.running:
            self.say("run_busy", "warning")
            return None
        plan = self._plan(full)
        out: concurrent.futures.Future = concurrent.futures.Future()

        def done(computed: dict | None, exc: BaseException | None) -> None:
            if exc is not None or computed is None:
                self._fail(exc or RuntimeError("no results"))
                out.set_result(None)
                return
            self._apply(plan, computed)
            out.set_result(self.results)

        if self.runs.start(self._run_plan(plan), done, schedule) is None:
            self.say("run_busy", "warning")
            return None
        return out

    def run(self, full: bool = False) -> RunSummary | None:
        """Run the design (and its baseline) and wait; the new results, or None on failure."""
        future = self.start_run(full)
        return future.result() if future is not None else None

    async def run_async(self, full: bool = False) -> RunSummary | None:
        """Run in a worker thread and await the results (notebooks; no browser session needed)."""
        future = self.start_run(full)
        if future is None:
            return None
        return await asyncio.wrap_future(future)

    def show_stored_results(self) -> bool:
        """Show the store's last runs of this design (and its baseline) at once, if the store has them all."""
        plan = self._plan(False)
        try:
            design = runs_module.stored_runs(self.store, plan["scenario"], plan["seeds"], plan["weeks"], plan["scale"])
            base = runs_module.stored_runs(self.store, plan["baseline"], plan["seeds"], plan["weeks"], plan["scale"]) if design else None
        except Exception:  # noqa: BLE001 - an unreadable run is a run not shown
            log.exception("could not read the stored runs")
            return False
        if not design or not base:
            return False
        self.readout.show(RunSummary.from_runs(self.t("current_design"), design),
                          RunSummary.from_runs(self.t("baseline"), base), design_key(plan["scenario"]))
        self.map_layer = "change:reach"
        return True

    # ------------------------------------------------------------------ reading results
    def indicator_label(self, name: str) -> str:
        from model.indicators import INDICATORS

        return INDICATORS[name].label(self.lang)

    def cards(self, names: tuple[str, ...] = CARD_INDICATORS) -> list[Card]:
        return self.readout.cards(names)

    def layer_keys(self) -> list[str]:
        return ["catchment", "travel"] + list(WIJK_LAYERS) + [f"change:{k}" for k in WIJK_LAYERS]

    def layer_label(self, key: str) -> str:
        if key == "catchment":
            return self.t("catchment_label", minutes=self.catchment_minutes, mode=self.t(self.catchment_mode))
        if key == "travel":
            return TRAVEL_LAYER[0] if self.lang == "nl" else TRAVEL_LAYER[1]
        return self.readout.layer_label(key)

    def map_values(self, key: str | None = None) -> MapLayer:
        """The per-wijk values of a map layer (NaN where there is nothing to show, or the change is not clear)."""
        key = key or self.map_layer
        wijken = pd.Index(self.genk.wijken["wijk"], name="wijk")
        empty = pd.Series(np.nan, index=wijken)
        if key == "catchment":
            values = self.catchment["share"] if self.catchment is not None else empty
            return MapLayer(key, self.layer_label(key), "%", self.t("catchment_meaning"), values.reindex(wijken), False)
        if key == "travel":
            meaning = TRAVEL_LAYER[3] if self.lang == "nl" else TRAVEL_LAYER[4]
            return MapLayer(key, self.layer_label(key), "min", meaning, self.travel_by_wijk().reindex(wijken), False, False)
        return self.readout.map_layer(key, wijken)

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
        key = (id(self.genk), tuple(sorted(places)))
        with _TRAVEL_LOCK:
            hit = _TRAVEL_CACHE.get(key)
        if hit is not None:
            return hit.copy()
        per = self._travel_by_wijk(places)
        with _TRAVEL_LOCK:
            _TRAVEL_CACHE[key] = per
            while len(_TRAVEL_CACHE) > 64:
                _TRAVEL_CACHE.pop(next(iter(_TRAVEL_CACHE)))
        return per.copy()

    def _travel_by_wijk(self, places: dict) -> pd.Series:
        ids = self.genk.addresses["address_id"].to_numpy()
        minutes = self.genk.travel_minutes(ids, np.array(list(places.values())), Mode.WALK).min(axis=1)
        w = self.genk.addresses["weight"].to_numpy()
        ok = np.isfinite(minutes)
        frame = pd.DataFrame({"wijk": self.genk.addresses["wijk"].to_numpy()[ok], "wm": (w * minutes)[ok], "w": w[ok]})
        per = frame.groupby("wijk")[["wm", "w"]].sum()
        return per["wm"] / per["w"]

    def gains_and_losses(self, name: str = "reach", n: int = 3):
        """The wijken with the largest clear gains and losses (diff, lo, hi) and the count of unclear ones."""
        return self.readout.gains_and_losses(name, n)

    # ------------------------------------------------------------------ compare
    def compare_options(self) -> dict[str, tuple[str, str, int | None]]:
        return self.library.options(self.t("shipped"))

    def compare_with(self, label: str, schedule: Schedule | None = None) -> bool:
        """Add a shipped or saved scenario to the comparison (runs it on the same seeds, paired)."""
        if self.running:
            self.say("run_busy", "warning")
            return False
        options = self.compare_options()
        if label not in options:
            return self.refuse(lambda lang: tr("unknown_scenario", lang, label=str(label)[:80]))
        try:
            scenario, _ = self.library.scenario(*options[label])
        except LibraryError as exc:
            return self.refuse(exc.render)
        self._compare_scenarios[label] = scenario
        plan = self._plan(False)
        if self.results is not None:
            plan.update(seeds=self.results.seeds, weeks=self.results.weeks, scale=self.results.population_scale)
        jobs = RunPlan({"other": scenario}, plan["seeds"], plan["weeks"], plan["scale"])

        def done(computed: dict | None, exc: BaseException | None) -> None:
            if exc is not None or computed is None:
                self._fail(exc or RuntimeError("no results"))
                return
            other = RunSummary.from_runs(label, computed["runs"]["other"], computed["seconds"])
            self.readout.add_compared(label, other)
            self.say("compare_added", "success", label=label)

        future = self.runs.start(jobs, done, schedule)
        if future is None:
            self.say("run_busy", "warning")
            return False
        if schedule is None:
            future.result()
        return True

    def clear_comparison(self) -> None:
        self._compare_scenarios = {}
        self.readout.clear_comparison()

    def compare_table(self, names: tuple[str, ...] | None = None) -> pd.DataFrame:
        return self.readout.compare_table(names)

    def compare_wijk_table(self, name: str = "reach") -> pd.DataFrame:
        return self.readout.compare_wijk_table(name)

    # ------------------------------------------------------------------ save, open, export
    def save(self, name: str | None = None, group: str = "", notes: str = "", branch_ok: bool = False) -> Revision | None:
        """Save the design as a new revision of ``name``; says so instead when nothing changed or the name is another table's."""
        name = (name or self.scenario.name).strip()
        try:
            outcome = self.library.save(self.scenario, name, group=group, notes=notes, branch_ok=branch_ok)
        except LibraryError as exc:
            self.refuse(exc.render)
            return None
        if outcome.kind == "unchanged":
            self.conflict = None
            self.say("save_unchanged", "info", label=outcome.revision.label)
            return outcome.revision
        if outcome.kind == "name_taken":
            self.conflict = outcome
            latest = outcome.latest
            self.say("name_taken", "warning", name=name, label=latest.label, group=latest.group or "–",
                     suggestion=outcome.suggestion)
            return None
        rev = outcome.revision
        with param.parameterized.batch_call_watchers(self):
            self.conflict = None
            if rev.scenario.name != self.scenario.name:
                self.design.change(rev.scenario, f"naam = {rev.name}", origin=rev)
            else:
                self.design.origin = rev
        self.say("saved", "success", label=rev.label)
        if self.results is not None and not self.results_out_of_date:
            self._keep_runs({"scenario": self.scenario, "baseline": baseline_for(self.scenario)},
                            {"design": self.results.runs, "baseline": self.baseline.runs if self.baseline else []})
        return rev

    def save_as_branch(self, group: str = "", notes: str = "") -> Revision | None:
        """After a name clash: save under the suggested free name instead."""
        if self.conflict is None:
            return None
        return self.save(self.conflict.suggestion, group=group, notes=notes)

    def _opened(self, scenario: Scenario, rev: Revision | None, what: str | Callable[[str], str]) -> None:
        with param.parameterized.batch_call_watchers(self):
            self.design.change(scenario, what if isinstance(what, str) else what(self.lang), origin=rev)
            self.library.revision = rev
            self.readout.clear()
            self.param.update(selected_offer=None, conflict=None)

    def _open_and_show(self, scenario: Scenario, rev: Revision | None, key: str, **kw) -> bool:
        self._opened(scenario, rev, self.t(key, **kw))
        shown = self.show_stored_results()
        self.say(key + ("_with_results" if shown else ""), "success", **kw)
        return True

    def open(self, name: str, revision: int | None = None) -> bool:
        """Open a saved revision (latest when ``revision`` is None) as the design on the table."""
        try:
            scenario, rev = self.library.scenario("store", name, revision)
        except LibraryError as exc:
            return self.refuse(exc.render)
        return self._open_and_show(scenario, rev, "reloaded", label=rev.label)

    def open_label(self, label: str) -> bool:
        """Open a scenario by its menu label (``name r2`` or ``name (meegeleverd)``)."""
        options = self.compare_options()
        if label not in options:
            return self.refuse(lambda lang: tr("unknown_scenario", lang, label=str(label)[:80]))
        try:
            scenario, rev = self.library.scenario(*options[label])
        except LibraryError as exc:
            return self.refuse(exc.render)
        return self._open_and_show(scenario, rev, "reloaded", label=rev.label if rev else label)

    def open_study_run(self, folder: str, run_id: int | str) -> bool:
        """Open one run of a sensitivity study (the explorer's link) as an unsaved design."""
        return self.open_link({"study": str(folder), "run": str(run_id)})

    def open_link(self, query: Any) -> bool:
        """Open what a link points to: ``?scenario=<name>&revision=<n>`` (the store, or a shipped
        scenario by name) or ``?study=<folder>&run=<run_id>``; also Panel's session_args.

        A link that cannot be opened says why in one short line: never a traceback or a server path.
        """
        try:
            kind, scenario, rev, extra = self.library.resolve(query)
        except LibraryError as exc:
            self.say("as_is", "danger", text=exc.render)
            return False
        except Exception:  # noqa: BLE001 - whatever a link holds, the page shows no traceback
            log.exception("link %r", query)
            self.say("link_refused", "danger", why="?")
            return False
        if kind == "study":
            what = self.t("study_run_opened", run=extra["run"], study=extra["study"])
            self._opened(scenario, None, what)
            self.say("study_run_opened", "success", run=extra["run"], study=extra["study"])
            return True
        label = rev.label if rev is not None else f"{scenario.name} ({self.t('shipped')})"
        return self._open_and_show(scenario, rev, "reloaded", label=label)

    def branch(self, new_name: str, group: str = "", notes: str = "") -> Revision | None:
        """Branch the last saved revision under a new name and continue on the branch."""
        if self.revision is None and self.save() is None:
            return None
        try:
            rev = self.library.branch(new_name, group=group, notes=notes)
        except LibraryError as exc:
            self.refuse(exc.render)
            return None
        self.design.change(rev.scenario, self.t("branched", label=rev.label), origin=rev)
        self.say("branched", "success", label=rev.label)
        return rev

    def export_yaml(self) -> str:
        """The design as scenario YAML (what ``scenarios/*.yaml`` hold)."""
        head = f"# {self.revision.label}\n" if self.revision is not None else ""
        return head + scenario_to_yaml(self.scenario)

    def import_yaml(self, data: str | bytes, filename: str = "upload.yaml", group: str = "",
                    schedule: Schedule | None = None) -> Revision | None | concurrent.futures.Future:
        """Validate an uploaded scenario file (limits on size, aliases, nesting), save and open it.

        With ``schedule`` the file is read in a worker thread (the session's event loop stays
        free) and a future is returned; without it the call waits and returns the revision.
        """
        size = len(data or b"")
        if size > self.library.max_upload_bytes:
            self.refuse_upload(filename, size)
            return None
        out: concurrent.futures.Future = concurrent.futures.Future()

        def finish(result: tuple | None, error: BaseException | None) -> None:
            if error is not None:
                why = error.render if isinstance(error, LibraryError) else "?"
                self.say("import_refused", "danger", why=why)
                out.set_result(None)
                return
            scenario, rev = result
            self._opened(scenario, rev, self.t("imported", label=rev.label))
            self.say("imported", "success", label=rev.label)
            out.set_result(rev)

        def work() -> None:
            try:
                result, error = self.library_import(data, filename, group), None
            except BaseException as exc:  # noqa: BLE001 - shown as a refusal
                result, error = None, exc
            if schedule is None:
                finish(result, error)
            else:
                schedule(lambda: finish(result, error))

        if schedule is None:
            work()
            return out.result()
        executor().submit(work)
        return out

    def refuse_upload(self, filename: str, size: int, readable: bool = True) -> None:
        """Say that a file is not taken because of its size (the browser checked it before sending), or unreadable."""
        from model.scenario_io import Problem

        if not readable:
            self.say("import_refused", "danger", why=lambda lang: tr("upload_unreadable", lang, name=str(filename)[:80]))
            return
        exc = ScenarioProblems([Problem(str(filename)[:80], (), "too_large",
                                        {"size": f"{size / 1e6:.1f} MB", "limit": f"{self.library.max_upload_bytes / 1e6:.0f} MB"})])
        self.say("import_refused", "danger", why=lambda lang: exc.render(lang))

    def library_import(self, data: str | bytes, filename: str, group: str = "") -> tuple[Scenario, Revision]:
        return self.library.import_bytes(data, filename, group=group)


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
    # through the run pool when the server has one (side by side), else one after another
    RunService.compute(RunPlan({"baseline": baseline}, replicate_seeds(n_seeds), baseline.run.weeks, population_scale))
    return time.perf_counter() - t0


__all__ = ["WorkshopState", "RunSummary", "Card", "MapLayer", "warm_up", "replicate_seeds", "cached_run", "clear_cache",
           "CARD_INDICATORS", "KEY_CARDS", "DEFAULT_SCALE", "DEFAULT_SEEDS", "WIJK_LAYERS", "Theme", "Level", "ProviderType",
           "design_key", "link_args"]
