"""The site planner's state: the layouts under edit, their catchments, the runs and the messages.

It knows nothing of widgets: the views bind to its parameters. It reuses the workshop's
pieces: each layout is a :class:`apps.components.design.Design` (its scenario, with undo
and redo), saving and opening go through :class:`apps.components.library.Library` (the
same store and YAML as the workshop), simulation through
:class:`apps.components.runs.RunService` (worker thread, shared cache, progress as run i
of n), numbers are read by :func:`apps.components.numbers.read_number`.

Every refusal becomes :attr:`PlannerState.message` in Dutch and English: never a
traceback or a server path.
"""
from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import replace
from typing import Any, Callable

import param

from apps.components.design import Design
from apps.components.library import Library, LibraryError
from apps.components.numbers import NumberRefused, read_number
from apps.components.runs import RunPlan, RunService, executor
from model.accessibility import AccessMode, SiteError
from model.planner import (Layout, LayoutCatchments, PlannedSite, PlannerError, Robustness, SimulatedUse, check_layout,
                           check_planned_site, duplicate_layout, example_layouts, layout_from_scenario, layout_to_scenario,
                           layout_timetable, robustness, rooms_from_text, site_at_address, site_at_point,
                           site_at_venue)
from model.report import CouncilReport, build_report

log = logging.getLogger(__name__)


class PlannerState(param.Parameterized):
    """What one planner's screen holds."""

    layout = param.String(default="", doc="the layout under edit")
    site = param.String(default="", doc="the site under edit (its id)")
    mode = param.Selector(default="walk", objects=[m.value for m in AccessMode])
    band = param.Selector(default=15, objects=[5, 10, 15, 20, 30])
    method = param.Selector(default="2sfca", objects=["2sfca", "e2sfca"])
    message = param.String(default="", doc="the last refusal or note, Dutch / English (plain text)")
    level = param.Selector(default="info", objects=["info", "success", "warning", "danger"])
    version = param.Integer(default=0, doc="bumped when layouts or sites change (views redraw)")
    drag_version = param.Integer(default=0, doc="bumped while a site is dragged (only the map redraws)")
    sim_version = param.Integer(default=0, doc="bumped when simulated use changed")
    robust_version = param.Integer(default=0)
    busy = param.Boolean(default=False)
    status = param.String(default="", doc="progress of a long job, plain text")
    compare_a = param.String(default="")
    compare_b = param.String(default="")
    last_recatch_ms = param.Number(default=0.0, doc="milliseconds of the last re-catchment after a move")

    def __init__(self, geo: Any = None, store: Any = None, layouts: list[Layout] | None = None, **params):
        super().__init__(**params)
        if geo is None:
            from model.geography import load_genk

            geo = load_genk()
        self.geo = geo
        self.library = Library(store=store)
        self.runs = RunService()
        self.designs: dict[str, Design] = {}
        self._layouts: dict[str, Layout] = {}
        self.catchments = LayoutCatchments(geo)
        self.sim: SimulatedUse | None = None
        self.robust: Robustness | None = None
        for layout in layouts if layouts is not None else example_layouts(geo):
            self._put(layout)
        names = list(self._layouts)
        if names:
            self.param.update(layout=names[0], site=self._layouts[names[0]].main.site_id, compare_a=names[0],
                              compare_b=names[1] if len(names) > 1 else names[0])

    # ------------------------------------------------------------------ reading
    @property
    def layouts(self) -> dict[str, Layout]:
        return dict(self._layouts)

    @property
    def current(self) -> Layout | None:
        return self._layouts.get(self.layout)

    @property
    def current_site(self) -> PlannedSite | None:
        lay = self.current
        if lay is None:
            return None
        return next((s for s in lay.sites if s.site_id == self.site), lay.main)

    def say(self, nl: str, en: str, level: str = "danger") -> None:
        self.param.update(message=f"{nl} / {en}", level=level)

    def refuse(self, exc: BaseException) -> None:
        """Show why an input was refused, in Dutch and English (never a traceback)."""
        if isinstance(exc, SiteError):
            self.say(exc.nl, exc.en)
        elif isinstance(exc, LibraryError):
            self.say(exc.render("nl"), exc.render("en"))
        elif isinstance(exc, NumberRefused):
            self.say(exc.message("nl"), exc.message("en"))
        else:
            log.exception("site planner: unexpected error", exc_info=exc)
            self.say("Er ging iets mis; de vorige toestand blijft staan.", "Something went wrong; the previous state is kept.")

    # ------------------------------------------------------------------ layouts
    def _put(self, layout: Layout, what: str | None = None) -> None:
        check_layout(self.geo, layout)
        scenario = layout_to_scenario(layout)
        self.catchments.put(layout)
        if layout.name in self.designs:
            self.designs[layout.name].change(scenario, what or "edit")
        else:
            self.designs[layout.name] = Design(scenario)
        self._layouts[layout.name] = layout

    def _commit(self, layout: Layout, what: str, site: str | None = None) -> bool:
        try:
            self._put(layout, what)
        except (SiteError, LibraryError) as exc:
            if layout.name in self.designs:  # back to the last accepted version (a drag may have moved it)
                kept = layout_from_scenario(self.designs[layout.name].scenario, self.geo)
                self._layouts[layout.name] = kept
                self.catchments.put(kept)
            self.refuse(exc)
            self.version += 1
            return False
        self.param.update(site=site or self.site, version=self.version + 1, message="")
        return True

    def new_layout(self, name: str, venue_id: str = "regina_mundi") -> bool:
        """A layout of one site at a venue with one club room (edit it after)."""
        name = (name or "").strip()
        if name in self._layouts:
            self.say(f"Er is al een opstelling '{name}'.", f"There is already a layout '{name}'.")
            return False
        try:
            site = site_at_venue(self.geo, venue_id, "main", rooms=rooms_from_text("clubruimte 20"))
            layout = Layout(name, (site,))
            check_layout(self.geo, layout)
        except SiteError as exc:
            self.refuse(exc)
            return False
        ok = self._commit(layout, "new", site="main")
        if ok:
            self.layout = name
        return ok

    def free_copy_name(self) -> str:
        """A free name for a copy of the current layout (``<name>-kopie``, ``<name>-kopie2``, ...)."""
        stem, n = f"{self.layout}-kopie"[:70], 2
        name = stem
        while name in self._layouts:
            name, n = f"{stem}{n}", n + 1
        return name

    def duplicate(self, new_name: str) -> bool:
        lay = self.current
        new_name = (new_name or "").strip()
        if lay is None:
            return False
        if new_name in self._layouts:
            self.say(f"Er is al een opstelling '{new_name}'.", f"There is already a layout '{new_name}'.")
            return False
        if not self._commit(duplicate_layout(lay, new_name), "duplicate"):
            return False
        self.layout = new_name
        return True

    def delete(self) -> None:
        name = self.layout
        if name not in self._layouts or len(self._layouts) == 1:
            self.say("De laatste opstelling blijft staan.", "The last layout stays.", "warning")
            return
        self.catchments.drop(name)
        del self._layouts[name], self.designs[name]
        first = next(iter(self._layouts))
        self.param.update(layout=first, site=self._layouts[first].main.site_id, version=self.version + 1)

    def select(self, layout: str) -> None:
        if layout in self._layouts:
            self.param.update(layout=layout, site=self._layouts[layout].main.site_id)

    # ------------------------------------------------------------------ sites
    def _free_id(self, stem: str) -> str:
        ids = {s.site_id for s in self.current.sites}
        n = 2
        sid = stem
        while sid in ids:
            sid, n = f"{stem}{n}", n + 1
        return sid

    def add_site(self, *, venue_id: str | None = None, address: str | None = None, xy: tuple[float, float] | None = None,
                 rooms: str = "clubruimte 20", opening_hours: str = "ma-vr 9-17") -> bool:
        """Add a satellite to the current layout at a venue, a Genk address or a point (EPSG:31370)."""
        lay = self.current
        if lay is None:
            return False
        sid = self._free_id("site")
        try:
            kw = {"rooms": rooms_from_text(rooms), "opening_hours": opening_hours}
            if venue_id:
                site = site_at_venue(self.geo, venue_id, sid, **kw)
            elif address:
                site = site_at_address(self.geo, address, sid, **kw)
            elif xy is not None:
                site = site_at_point(xy[0], xy[1], sid, name=f"Site {len(lay.sites) + 1}", **kw)
            else:
                raise PlannerError("Kies een locatie, een adres of een punt op de kaart.",
                                   "Pick a venue, an address or a point on the map.")
        except SiteError as exc:
            self.refuse(exc)
            return False
        return self._commit(lay.with_site(site), "add site", site=sid)

    def remove_site(self) -> bool:
        lay, site = self.current, self.current_site
        if lay is None or site is None:
            return False
        if site.site_id == lay.main.site_id:
            self.say("De hoofdsite kan niet weg; verplaats ze of maak een nieuwe opstelling.",
                     "The main site cannot be removed; move it or make a new layout.", "warning")
            return False
        return self._commit(lay.without_site(site.site_id), "remove site", site=lay.main.site_id)

    def edit_site(self, *, name: str, rooms: str, opening_hours: str, permanent: list[str], guests: list[str],
                  cost: str = "0") -> bool:
        """Apply the site form: every field is checked, the first refusal is shown and nothing changes."""
        lay, site = self.current, self.current_site
        if lay is None or site is None:
            return False
        try:
            cost_eur = float(read_number(cost)) if str(cost).strip() else 0.0
            if cost_eur < 0:
                raise PlannerError("De kosten kunnen niet negatief zijn.", "The cost cannot be negative.")
            new = replace(site, name=(name or site.name).strip()[:100], rooms=rooms_from_text(rooms),
                          opening_hours=opening_hours, permanent=tuple(permanent), guests=tuple(guests),
                          cost_eur_per_year=cost_eur)
            check_planned_site(self.geo, new, main=site.site_id == lay.main.site_id)
        except (SiteError, NumberRefused) as exc:
            self.refuse(exc)
            return False
        return self._commit(lay.with_site(new), "edit site")

    def move_site(self, x: float, y: float, final: bool = True) -> bool:
        """Move the current site to (x, y) in EPSG:31370: only its column is re-routed (fast, while dragging).

        ``final=False`` (during a drag) updates the catchments only; ``final=True`` also records the
        change for undo and checks the whole layout (two sites on one spot).
        """
        lay, site = self.current, self.current_site
        if lay is None or site is None:
            return False
        t0 = time.perf_counter()
        try:
            moved = self.catchments.move(lay.name, site.site_id, x, y)
        except SiteError as exc:
            self.catchments.put(lay)
            self.refuse(exc)
            return False
        self.last_recatch_ms = 1000 * (time.perf_counter() - t0)
        if not final:
            self.catchments.layouts[lay.name] = moved
            self._layouts[lay.name] = moved
            self.drag_version += 1
            return True
        return self._commit(moved, "move site")

    def place_site_at_venue(self, venue_id: str) -> bool:
        return self._place_site(lambda site_id: site_at_venue(self.geo, venue_id, site_id), venue_id, "place at venue")

    def place_site_at_address(self, text: str) -> bool:
        return self._place_site(lambda site_id: site_at_address(self.geo, text, site_id), None, "place at address")

    def _place_site(self, locate, venue_id: str | None, what: str) -> bool:
        """Put the current site where ``locate(site_id)`` says (refused with its reason if it cannot)."""
        lay, site = self.current, self.current_site
        if lay is None or site is None:
            return False
        try:
            at = locate(site.site_id)
        except SiteError as exc:
            self.refuse(exc)
            return False
        return self._commit(lay.with_site(replace(site, x=at.x, y=at.y, venue_id=venue_id)), what)

    def undo(self) -> None:
        self._history("undo")

    def redo(self) -> None:
        self._history("redo")

    def _history(self, how: str) -> None:
        design = self.designs.get(self.layout)
        if design is None or getattr(design, how)() is None:
            return
        layout = layout_from_scenario(design.scenario, self.geo)
        self.catchments.put(layout)
        self._layouts[layout.name] = layout
        site = self.site if any(s.site_id == self.site for s in layout.sites) else layout.main.site_id
        self.param.update(site=site, version=self.version + 1, message="")

    # ------------------------------------------------------------------ store
    def save(self) -> str:
        """Save the current layout as a scenario revision (the workshop's store); returns its link."""
        lay = self.current
        try:
            outcome = self.library.save(self.designs[lay.name].scenario, lay.name, group="site-planner", branch_ok=True)
        except LibraryError as exc:
            self.refuse(exc)
            return ""
        if outcome.kind == "unchanged":
            self.say("Niets nieuws om te bewaren.", "Nothing new to save.", "info")
        else:
            self.say(f"Bewaard als {lay.name} r{outcome.revision.number}.", f"Saved as {lay.name} r{outcome.revision.number}.",
                     "success")
        return self.library.link

    def open_saved(self, label: str) -> bool:
        options = self.library.options()
        if label not in options:
            self.say("Die versie bestaat niet (meer).", "That revision does not exist (any more).")
            return False
        try:
            scenario, _ = self.library.scenario(*options[label])
            layout = layout_from_scenario(scenario, self.geo)
            if layout.name in self._layouts:
                layout = replace(layout, name=f"{layout.name} ({label.split()[-1]})"[:80])
        except (LibraryError, SiteError, KeyError) as exc:
            self.refuse(exc if not isinstance(exc, KeyError) else PlannerError(
                "Dit scenario heeft geen bruikbare centrale site.", "This scenario has no usable central site."))
            return False
        if not self._commit(layout, "open"):
            return False
        self.select(layout.name)
        return True

    # ------------------------------------------------------------------ public transport from a timetable
    max_gtfs_bytes = 300_000_000

    def use_gtfs(self, data: bytes, filename: str = "gtfs.zip", schedule: Callable | None = None, wait: bool = False,
                 **feed_kw: Any):
        """Public-transport minutes from a GTFS feed (e.g. De Lijn's) instead of the stated assumption.

        The feed is read off the UI thread; until it is ready the assumption stays on screen.
        Refusals (not a zip, no stops in Genk, too large) say why in Dutch and English, without paths.
        """
        import hashlib
        import os
        from pathlib import Path

        if not data or len(data) > self.max_gtfs_bytes:
            mb = self.max_gtfs_bytes // 1_000_000
            self.say(f"Geef een GTFS-bestand (zip) van hoogstens {mb} MB.", f"Give a GTFS file (zip) of at most {mb} MB.")
            return None
        if not bytes(data[:2]) == b"PK":
            self.say("Dit is geen zip-bestand; een GTFS-feed is een zip met stops.txt, stop_times.txt, ...",
                     "This is not a zip file; a GTFS feed is a zip with stops.txt, stop_times.txt, ...")
            return None
        shown = "".join(c for c in str(filename) if c.isalnum() or c in "._- ")[:60] or "gtfs.zip"
        self.param.update(busy=True, status="GTFS inlezen / reading GTFS ...")
        back = schedule or (lambda f: f())

        def work() -> None:
            from model.paths import write_atomic
            from model.transit import GtfsTransit

            try:  # hashing and writing a feed of up to max_gtfs_bytes stay off the event loop too
                folder = Path(os.environ.get("LEERECO_VAR_DIR") or tempfile.gettempdir()) / "gtfs"
                path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.zip"
                if not path.exists() or path.stat().st_size != len(data):  # an older, cut-off copy is written anew
                    write_atomic(path, lambda tmp: Path(tmp).write_bytes(data))
                transit = GtfsTransit.from_feed(self.geo, path, **feed_kw)
                transit.feed_name = shown
                catchments = LayoutCatchments(self.geo, list(self._layouts.values()), transit=transit)
                back(lambda: self._gtfs_done(catchments, None))
            except BaseException as exc:  # noqa: BLE001 - a refusal on screen
                back(lambda exc=exc: self._gtfs_done(None, exc))

        future = executor().submit(work)
        if wait:
            future.result()
        return future

    def _gtfs_done(self, catchments: LayoutCatchments | None, exc: BaseException | None) -> None:
        self.param.update(busy=False, status="")
        if exc is not None:
            reason = type(exc).__name__ if not isinstance(exc, (ValueError, KeyError, LookupError)) else \
                str(exc).split("/")[-1][:160]
            self.say(f"Het GTFS-bestand kon niet gebruikt worden ({reason}); de aanname blijft.",
                     f"The GTFS file could not be used ({reason}); the assumption stays.")
            return
        self.catchments = catchments
        self.param.update(version=self.version + 1)
        self.say("Openbaar vervoer volgt nu de dienstregeling (GTFS).", "Public transport now follows the timetable (GTFS).",
                 "success")

    @property
    def uses_timetable(self) -> bool:
        return getattr(self.catchments.engine.transit, "method", "") == "gtfs"

    # ------------------------------------------------------------------ simulation
    def simulate(self, names: list[str], n_seeds: int = 3, weeks: int = 26, scale: float = 0.02,
                 schedule: Callable | None = None, wait: bool = False) -> bool:
        """Run the layouts on the same seeds off the UI thread (RunService: progress run i of n, shared cache)."""
        names = [n for n in names if n in self._layouts]
        if len(names) < 1:
            self.say("Kies minstens één opstelling.", "Choose at least one layout.", "warning")
            return False
        if n_seeds < 2:
            self.say("Minstens 2 replicaties, anders is er geen interval.", "At least 2 replications, or there is no interval.",
                     "warning")
            return False
        jobs = {n: self.designs[n].scenario for n in names}
        plan = RunPlan(jobs, self.runs.seeds(n_seeds), int(weeks), float(scale))
        layouts = {n: self._layouts[n] for n in names}

        def done(computed, exc) -> None:
            if exc is not None:
                self.refuse(exc)
                return
            self.sim = SimulatedUse(layouts, jobs, plan.seeds, plan.weeks, plan.scale, computed["runs"], computed["seconds"],
                                    venues=self.geo.venues)
            if self.compare_a not in names or self.compare_b not in names or self.compare_a == self.compare_b:
                self.param.update(compare_a=names[0], compare_b=names[-1])
            self.param.update(sim_version=self.sim_version + 1, status="")
            warns = self.sim.warnings()
            note = "".join(f" Let op / note ({n}): {'; '.join(w)}." for n, w in warns.items())
            self.say(f"{plan.n_runs} runs klaar in {computed['seconds']:.0f} s.", f"{plan.n_runs} runs done in "
                     f"{computed['seconds']:.0f} s.{note}", "warning" if warns else "success")

        if wait:
            return self.runs.run(plan, done)
        return self.runs.start(plan, done, schedule) is not None

    def run_robustness(self, names: list[str], indicator: str = "reach", n_samples: int = 8, weeks: int = 26,
                       scale: float = 0.02, serial: bool = False, schedule: Callable | None = None, wait: bool = False):
        """The robustness design through the experiments runner (Dask LocalCluster, or a plain loop with ``serial``)."""
        layouts = [self._layouts[n] for n in names if n in self._layouts]
        if len(layouts) < 2 or self.busy:
            self.say("Kies minstens twee opstellingen.", "Choose at least two layouts.", "warning")
            return None
        self.param.update(busy=True, status="robuustheid / robustness: 0 %")
        back = schedule or (lambda f: f())

        def tick(done: int, total: int) -> None:
            back(lambda: setattr(self, "status", f"robuustheid / robustness: run {done} / {total}"))

        def work() -> None:
            try:
                res = robustness(layouts, tempfile.mkdtemp(prefix="robust-"), indicator=indicator, n_samples=n_samples,
                                 weeks=weeks, population_scale=scale, serial=serial, progress=tick)
                back(lambda: self._robust_done(res, None))
            except BaseException as exc:  # noqa: BLE001 - shown, never raised into the page
                back(lambda exc=exc: self._robust_done(None, exc))

        future = executor().submit(work)
        if wait:
            future.result()
        return future

    def _robust_done(self, res: Robustness | None, exc: BaseException | None) -> None:
        self.param.update(busy=False, status="")
        if exc is not None:
            self.refuse(exc)
            return
        self.robust = res
        self.robust_version += 1
        self.say("Robuustheid berekend.", "Robustness computed.", "success")

    def timetable(self):
        """The current layout's week: every site offer's room and hour blocks, and the offers that found no hours."""
        lay = self.current
        if lay is None:
            return None, []
        return layout_timetable(lay, self.geo.venues, scenario=self.designs[lay.name].scenario)

    def blocks(self):
        """Visitors per room per hour block of the last simulation (:meth:`SimulatedUse.blocks`), computed once."""
        return self.sim.blocks() if self.sim is not None else None

    # ------------------------------------------------------------------ report
    def report(self) -> CouncilReport:
        """The council report of every layout on the screen (with the simulation and robustness when run)."""
        compare = (self.compare_a, self.compare_b) if self.sim is not None and self.compare_a in self.sim.runs \
            and self.compare_b in self.sim.runs and self.compare_a != self.compare_b else None
        return build_report(self.catchments, sim=self.sim, robust=self.robust, compare=compare, mode=self.mode,
                            band=float(self.band))
