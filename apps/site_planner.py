"""Siteplanner / Site planner: city planners test where and how a central learning site works.

A planner defines candidate layouts (one or more sites: a venue, a click on the map or a
Genk address, with rooms, opening hours by day, permanent providers and guests),
duplicates and edits them, sees their catchments at once (per mode, on the map and in
tables; dragging a site updates them), their places per resident (2SFCA / E2SFCA), their
simulated use side by side with intervals and a difference map, whether the ranking holds
over the behavioural uncertainties, and exports the council report (one HTML file) and a
CSV of every table.

Serve::

    .venv/bin/python -m apps.site_planner            # http://127.0.0.1:5008/site-planner
    panel serve apps/site_planner.py --address 127.0.0.1

The module imports without serving (``if pn.state.served:`` at the bottom).
"""
from __future__ import annotations

import argparse
import html
import io
import logging

import panel as pn
import param

from apps.components.i18n import provider_label
from apps.components.updates import session_schedule
from apps.components.upload import WEBSOCKET_MAX_BYTES, UploadBox
from apps.planner.state import PlannerState
from apps.planner.views import PlannerMap
from model.accessibility import AccessMode
from model.domain import ProviderType
from model.planner import (
    PLANNER_INDICATORS,
    ROOM_LABELS,
    PlannerError,
    opening_hours_by_day,
    rooms_to_text,
)
from model.report import block_heatmap_svg, wijk_map_svg
from model.scenario import DAY_LABELS

log = logging.getLogger(__name__)
TITLE = "Siteplanner Genk / Site planner"
PT_NOTE = ("**Openbaar vervoer / public transport:** zonder dienstregeling is dit een wandeling naar de dichtste bushalte "
           "plus een aanname (wachttijd en rit), geen meting; met een GTFS-bestand van De Lijn worden het echte reistijden. / "
           "Without a timetable this is a walk to the nearest bus stop plus an assumption (wait and ride), not a "
           "measurement; with a De Lijn GTFS feed they become real travel times.")
MODE_LABELS = {f"{m.label_nl} / {m.label_en}": m.value for m in AccessMode}
LEVEL_COLOURS = {"info": "#e7f1fb", "success": "#e6f4ea", "warning": "#fff4d6", "danger": "#fde2e1"}


def _hm(hours: float) -> str:
    minutes = int(round(hours * 60))
    return f"{minutes // 60}:{minutes % 60:02d}"


def _df(df, **kw) -> pn.pane.DataFrame:
    return pn.pane.DataFrame(df, escape=True, index=False, sizing_mode="stretch_width", max_height=420, **kw)


class SitePlannerApp(pn.viewable.Viewer):
    """The planner's page: the layout editor in the sidebar; map and tabs in the main area."""

    state = param.ClassSelector(class_=PlannerState)

    def __init__(self, **params):
        super().__init__(**params)
        s = self.state
        self.map = PlannerMap(state=s)
        self.message = pn.pane.HTML("", sizing_mode="stretch_width")
        provider_opts = {f"{provider_label(p, 'nl')} / {p.value}": p.value for p in ProviderType}
        venues = s.geo.venues
        venue_opts = {f"{n} ({w})": v for v, n, w in sorted(zip(venues.index, venues["name"], venues["wijk"]),
                                                            key=lambda t: str(t[1]).lower())}
        # ---------------------------------------------------------- layout
        self.layout_select = pn.widgets.Select(label="Opstelling / Layout", sizing_mode="stretch_width")
        self.new_name = pn.widgets.TextInput(label="Naam nieuwe opstelling / name of a new layout", placeholder="bv. twee-hubs")
        self.new_btn = pn.widgets.Button(label="✚ Nieuw / New", color="primary")
        self.dup_btn = pn.widgets.Button(label="Dupliceer / Duplicate")
        self.del_btn = pn.widgets.Button(label="Verwijder / Delete")
        self.undo_btn = pn.widgets.Button(label="↶ Ongedaan / Undo")
        self.redo_btn = pn.widgets.Button(label="↷ Opnieuw / Redo")
        self.save_btn = pn.widgets.Button(label="Bewaar / Save", color="success")
        self.open_select = pn.widgets.Select(label="Bewaarde scenario's / saved scenarios", sizing_mode="stretch_width")
        self.open_btn = pn.widgets.Button(label="Open")
        # ---------------------------------------------------------- site
        self.site_select = pn.widgets.Select(label="Site", sizing_mode="stretch_width")
        self.site_name = pn.widgets.TextInput(label="Naam / Name")
        self.rooms = pn.widgets.TextAreaInput(
            label="Ruimtes: soort plaatsen [naam] / rooms: kind places [name]", height=120,
            placeholder="keuken 12\nmaakleerplek 20 atelier")
        self.hours = pn.widgets.TextInput(label="Openingsuren / opening hours", placeholder="ma-vr 9-12, 13-17; za 10-14")
        self.hours_note = pn.pane.HTML("", sizing_mode="stretch_width", styles={"font-size": "12px", "color": "#444"})
        self.permanent = pn.widgets.MultiChoice(label="Vaste aanbieders / permanent providers", options=provider_opts)
        self.guests = pn.widgets.MultiChoice(label="Gasten / guests", options=provider_opts)
        self.cost = pn.widgets.TextInput(label="Werkingskosten EUR/jaar / running cost EUR/year", value="0")
        self.apply_btn = pn.widgets.Button(label="✔ Pas site aan / Apply to site", color="primary")
        self.venue = pn.widgets.Select(label="Locatie / venue", options=venue_opts, sizing_mode="stretch_width")
        self.address = pn.widgets.TextInput(label="Adres in Genk / address in Genk", placeholder="Stalenstraat 32")
        self.to_venue = pn.widgets.Button(label="Zet site op locatie / site to venue")
        self.to_address = pn.widgets.Button(label="Zet site op adres / site to address")
        self.add_venue = pn.widgets.Button(label="✚ Satelliet op locatie / satellite at venue")
        self.add_address = pn.widgets.Button(label="✚ Satelliet op adres / satellite at address")
        self.remove_btn = pn.widgets.Button(label="Verwijder site / remove site")
        self.click = pn.widgets.RadioButtonGroup.from_param(
            self.map.param.click, options={"Klik: niets / click: nothing": "none", "Klik verplaatst de site / click moves the site":
                                           "move", "Klik voegt satelliet toe / click adds a satellite": "add"},
            orientation="vertical", color="light")
        # ---------------------------------------------------------- catchment
        self.mode = pn.widgets.RadioButtonGroup(options=MODE_LABELS, value=s.mode, color="light", orientation="vertical")
        self.band = pn.widgets.Select(label="Reistijd / travel time (min)", options=[5, 10, 15, 20, 30], value=s.band, width=160)
        self.pt_note = pn.pane.Markdown(PT_NOTE, visible=False, sizing_mode="stretch_width",
                                        styles={"background": "#fff4d6", "padding": "4px 8px"})
        self.method_note = pn.pane.Markdown("", sizing_mode="stretch_width", styles={"font-size": "13px", "color": "#444"})
        # checked in the browser and sent in chunks: a feed of up to the reader's limit passes the server's
        # websocket limit (8 MB); a larger one is refused with a message instead of a dropped connection
        self.gtfs_file = UploadBox(accept=".zip", max_bytes=s.max_gtfs_bytes, label="GTFS-bestand (zip) / GTFS file (zip)")
        self.gtfs_btn = pn.widgets.Button(label="Gebruik deze dienstregeling (GTFS) / use this timetable")
        self.totals = _df(None)
        self.wijk_table = _df(None)
        self.out_note = pn.pane.Markdown("", sizing_mode="stretch_width")
        # ---------------------------------------------------------- accessibility
        self.acc_method = pn.widgets.RadioButtonGroup(options={"2SFCA": "2sfca", "E2SFCA (afstandsverval / decay)": "e2sfca"},
                                                      value=s.method, color="light")
        self.acc_table = _df(None)
        # ---------------------------------------------------------- timetable
        self.timetable = _df(None)
        self.unscheduled_note = pn.pane.HTML("", sizing_mode="stretch_width")
        # ---------------------------------------------------------- simulation
        self.sim_layouts = pn.widgets.MultiChoice(label="Opstellingen / layouts", sizing_mode="stretch_width")
        self.seeds = pn.widgets.IntInput(label="Replicaties / replications", value=3, start=2, end=20, width=150)
        self.weeks = pn.widgets.IntInput(label="Weken / weeks", value=26, start=4, end=104, width=150)
        self.scale = pn.widgets.FloatInput(label="Bevolkingsschaal / population scale", value=0.02, start=0.01, end=0.2,
                                           step=0.01, width=200)
        self.run_btn = pn.widgets.Button(label="▶ Simuleer / Simulate", color="primary")
        self.progress = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.cmp_a = pn.widgets.Select(label="Vergelijk / compare", width=220)
        self.cmp_b = pn.widgets.Select(label="met / with", width=220)
        self.side = _df(None)
        self.cmp_table = _df(None)
        self.rooms_table = _df(None)
        self.site_cost_table = _df(None)
        self.block_room = pn.widgets.Select(label="Ruimte / room", sizing_mode="stretch_width")
        self.block_map = pn.pane.HTML("", sizing_mode="stretch_width")
        self.block_table = _df(None)
        self.diff_map = pn.pane.HTML("", sizing_mode="stretch_width")
        # ---------------------------------------------------------- robustness
        self.rob_indicator = pn.widgets.Select(label="Indicator", options=list(PLANNER_INDICATORS[:6]), value="reach")
        self.rob_samples = pn.widgets.IntInput(label="Steekproeven / samples", value=8, start=2, end=64, width=150)
        self.rob_btn = pn.widgets.Button(label="▶ Robuustheid (Dask) / Robustness (Dask)", color="primary")
        self.rob_table = _df(None)
        self.rob_status = pn.pane.Markdown("")
        self.gtfs_status = pn.pane.Markdown("")
        # ---------------------------------------------------------- report
        self.report_btn = pn.widgets.FileDownload(callback=self._report_html, filename="raadsrapport-genk.html",
                                                  label="Rapport voor de raad (HTML) / council report", color="success")
        self.csv_btn = pn.widgets.FileDownload(callback=self._report_csv, filename="raadsrapport-tabellen.zip",
                                               label="Alle tabellen (CSV, zip) / every table")
        self._wire()
        self._refresh_all()

    # ------------------------------------------------------------------ wiring
    def _wire(self) -> None:
        s = self.state
        self.layout_select.param.watch(lambda e: s.select(e.new) if e.new else None, "value")
        self.site_select.param.watch(lambda e: setattr(s, "site", e.new) if e.new else None, "value")
        self.mode.param.watch(lambda e: setattr(s, "mode", e.new), "value")
        self.band.param.watch(lambda e: setattr(s, "band", e.new), "value")
        self.acc_method.param.watch(lambda e: setattr(s, "method", e.new), "value")
        self.cmp_a.param.watch(lambda e: setattr(s, "compare_a", e.new or ""), "value")
        self.cmp_b.param.watch(lambda e: setattr(s, "compare_b", e.new or ""), "value")
        self._on(self.new_btn, lambda: s.new_layout(self.new_name.value))
        self._on(self.dup_btn, lambda: s.duplicate(self.new_name.value or s.free_copy_name()))
        self._on(self.del_btn, s.delete)
        self._on(self.undo_btn, s.undo)
        self._on(self.redo_btn, s.redo)
        self._on(self.save_btn, s.save)
        self._on(self.open_btn, lambda: s.open_saved(self.open_select.value) if self.open_select.value else None)
        self._on(self.apply_btn, lambda: s.edit_site(name=self.site_name.value, rooms=self.rooms.value,
                                                     opening_hours=self.hours.value, permanent=self.permanent.value,
                                                     guests=self.guests.value, cost=self.cost.value))
        self._on(self.to_venue, lambda: s.place_site_at_venue(self.venue.value))
        self._on(self.to_address, lambda: s.place_site_at_address(self.address.value))
        self._on(self.add_venue, lambda: s.add_site(venue_id=self.venue.value))
        self._on(self.add_address, lambda: s.add_site(address=self.address.value))
        self._on(self.remove_btn, s.remove_site)
        self._on(self.gtfs_btn, lambda: s.use_gtfs(self.gtfs_file.value, self.gtfs_file.filename or "gtfs.zip",
                                                   schedule=self._schedule()) if self.gtfs_file.value else
                 s.say("Kies eerst een GTFS-bestand (zip).", "Choose a GTFS file (zip) first.", "warning"))
        self._on(self.run_btn, self._simulate)
        self._on(self.rob_btn, self._robust)
        s.param.watch(self._refresh_all, ["version", "layout"])
        s.param.watch(self._refresh_site, ["site"])
        s.param.watch(self._refresh_catchment, ["mode", "band"])
        s.param.watch(self._refresh_access, ["method"])
        s.param.watch(self._refresh_message, ["message", "level"])
        s.param.watch(self._refresh_sim, ["sim_version", "compare_a", "compare_b"])
        self.block_room.param.watch(self._refresh_blocks, "value")
        self.hours.param.watch(self._refresh_hours_note, "value")
        s.param.watch(self._refresh_robust, ["robust_version"])
        s.param.watch(self._refresh_status, ["status", "busy"])
        s.runs.param.watch(self._refresh_progress, ["run_index", "n_runs", "progress", "running"])
        s.library.param.watch(lambda e: self._refresh_saved(), "store_version")
        self.gtfs_file.param.watch(self._gtfs_refused, "refusal")
        self.gtfs_file.param.watch(self._gtfs_uploading, ["uploading", "progress", "value"])

    def _on(self, button, action) -> None:
        def click(_):
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - a refusal on screen, never a traceback
                self.state.refuse(exc)
        button.on_click(click)

    def _gtfs_refused(self, event) -> None:
        """A GTFS file the upload box did not take: why, in Dutch and English, naming the file and the sizes."""
        if not event.new:
            return
        name, size = event.new["name"], event.new["size"]
        if event.new.get("readable", True):
            limit = f"{self.gtfs_file.max_bytes / 1e6:g} MB"  # a round number: 300 MB
            self.state.say(f"{name}: het GTFS-bestand is {size / 1e6:.1f} MB groot; hoogstens {limit} is toegelaten. "
                           "De aanname voor het openbaar vervoer blijft.",
                           f"{name}: the GTFS file is {size / 1e6:.1f} MB; at most {limit} is allowed. "
                           "The public-transport assumption stays.")
        else:
            self.state.say(f"{name}: het GTFS-bestand kwam niet volledig aan; kies het opnieuw.",
                           f"{name}: the GTFS file did not arrive whole; choose it again.")

    def _gtfs_uploading(self, *_events) -> None:
        box = self.gtfs_file
        if box.uploading:
            self.gtfs_status.object = html.escape(f"GTFS opladen / uploading GTFS: {box.uploading} {box.progress} %")
        elif box.value:
            self.gtfs_status.object = html.escape(f"{box.filename} ontvangen / received: gebruik deze dienstregeling / "
                                                  "use this timetable")
        else:
            self.gtfs_status.object = html.escape(self.state.status)

    def _schedule(self):
        return session_schedule()

    # ------------------------------------------------------------------ actions
    def _simulate(self) -> None:
        self.state.simulate(list(self.sim_layouts.value), int(self.seeds.value), int(self.weeks.value),
                            float(self.scale.value), schedule=self._schedule())

    def _robust(self) -> None:
        self.state.run_robustness(list(self.sim_layouts.value), self.rob_indicator.value, int(self.rob_samples.value),
                                  int(self.weeks.value), float(self.scale.value), schedule=self._schedule())

    def _report_html(self):
        try:
            return io.BytesIO(self.state.report().html.encode("utf-8"))
        except Exception as exc:  # noqa: BLE001
            self.state.refuse(exc)
            return io.BytesIO(b"")

    def _report_csv(self):
        try:
            return io.BytesIO(self.state.report().csv_zip())
        except Exception as exc:  # noqa: BLE001
            self.state.refuse(exc)
            return io.BytesIO(b"")

    # ------------------------------------------------------------------ refreshing
    def _refresh_all(self, *_) -> None:
        s = self.state
        names = list(s.layouts)
        with pn.io.hold():
            self.layout_select.options = names
            self.layout_select.value = s.layout
            known = set(self.sim_layouts.options or [])
            self.sim_layouts.options = names
            # a layout defined on this screen joins the simulation; one the planner took out stays out
            self.sim_layouts.value = [n for n in names if n in self.sim_layouts.value or n not in known]
            self.cmp_a.options = self.cmp_b.options = names
            self._refresh_site()
            self._refresh_catchment()
            self._refresh_access()
            self._refresh_timetable()
            self._refresh_saved()

    def _refresh_saved(self) -> None:
        try:
            opts = [k for k, v in self.state.library.options().items() if v[0] == "store"]
        except Exception:  # noqa: BLE001 - the store unreadable: nothing to open
            opts = []
        self.open_select.options = opts

    def _refresh_site(self, *_) -> None:
        s = self.state
        lay, site = s.current, s.current_site
        if lay is None or site is None:
            return
        is_main = site.site_id == lay.main.site_id
        with pn.io.hold():
            self.site_select.options = {f"{i}. {x.name}" + (" (hoofdsite / main)" if i == 1 else ""): x.site_id
                                        for i, x in enumerate(lay.sites, 1)}
            self.site_select.value = site.site_id
            self.site_name.value = site.name
            self.rooms.value = rooms_to_text(site.rooms)
            self.hours.value = site.opening_hours
            self.permanent.value, self.guests.value = list(site.permanent), list(site.guests)
            self.cost.value = f"{site.cost_eur_per_year:.0f}"
            self.remove_btn.disabled = is_main

    def _refresh_catchment(self, *_) -> None:
        s = self.state
        lay = s.current
        if lay is None:
            return
        mode, band = s.mode, float(s.band)
        c = s.catchments
        self.pt_note.visible = mode == "pt" and not s.uses_timetable
        self.method_note.object = (f"Reistijd / travel time ({AccessMode(mode).label_nl}): {c.method(mode, 'nl')} — "
                                   f"{c.method(mode, 'en')}. Bevolking / population: {c.engine.groups.assumption('nl')}")
        tot = c.totals(lay.name)
        self.totals.object = tot.round(0)
        wr = c.reach_by_wijk(lay.name, mode, band)
        show = wr[["wijk", "residents", "residents_within", "share_within", "youth_within", "youth_share_within"]].copy()
        show["share_within"] = (100 * show["share_within"]).round(1)
        show["youth_share_within"] = (100 * show["youth_share_within"]).round(1)
        show.columns = ["wijk", "inwoners / residents", "binnen bereik / within reach", "% binnen / within",
                        "0-17 binnen / within", "% 0-17 binnen / within"]
        self.wijk_table.object = show.round(0)
        out = c.out_of_reach(lay.name, mode, band)
        ms = f" · laatste verplaatsing herberekend in {s.last_recatch_ms:.0f} ms / last move recomputed in " \
             f"{s.last_recatch_ms:.0f} ms" if s.last_recatch_ms else ""
        self.out_note.object = (f"**Wijken buiten bereik / wijken out of reach** ({band:g} min): "
                                f"{html.escape(', '.join(out)) or 'geen / none'}{ms}")

    def _refresh_timetable(self, *_) -> None:
        """The current layout's week as the timetable gives it (no run needed): room, day, hours, offer."""
        table, unscheduled = self.state.timetable()
        if table is None:
            return
        show = table.assign(dag=[f"{DAY_LABELS[d][0]} / {DAY_LABELS[d][1]}" for d in table["day"]],
                            uren=[f"{_hm(a)}-{_hm(b)}" for a, b in zip(table["start"], table["end"])],
                            weken=[f"{a}-{b}" for a, b in zip(table["start_week"], table["end_week"])])
        show = show[["site_name", "room", "dag", "uren", "title", "role", "places", "weken"]]
        show.columns = ["site", "ruimte / room", "dag / day", "uren / hours", "aanbod / offer", "rol / role",
                        "plaatsen per week / places a week", "weken / weeks"]
        self.timetable.object = show
        if unscheduled:
            text = ", ".join(unscheduled[:12]) + (" …" if len(unscheduled) > 12 else "")
            self.unscheduled_note.object = (f"<p role='status' style='background:#fff4d6;padding:4px 8px'>"
                                            f"{len(unscheduled)} aanbod zonder vrije uren / offers that found no free hours: "
                                            f"{html.escape(text)}</p>")
        else:
            self.unscheduled_note.object = "<p>Elk aanbod heeft een ruimte en uren / every offer has a room and hours.</p>"

    def _refresh_access(self, *_) -> None:
        s = self.state
        acc = s.catchments.places_by_wijk(list(s.layouts), mode=s.mode, method=s.method)
        acc = acc[acc["group"] == "all"].pivot_table(index="wijk", columns="layout", values="places_per_1000", sort=False)
        self.acc_table.object = acc.round(3).reset_index()

    def _refresh_message(self, *_) -> None:
        s = self.state
        text = html.escape(s.message)
        self.message.object = (f"<div role='status' style='background:{LEVEL_COLOURS[s.level]};padding:6px 10px;"
                               f"border-radius:4px;font-size:15px'>{text}</div>") if text else ""

    def _refresh_progress(self, *_) -> None:
        r = self.state.runs
        self.progress.object = (f"Run {r.run_index} van / of {r.n_runs} · {r.progress} %" if r.running else "")
        self.run_btn.disabled = r.running

    def _refresh_status(self, *_) -> None:
        self.rob_status.object = self.gtfs_status.object = html.escape(self.state.status)
        self.gtfs_btn.disabled = self.state.busy
        self.rob_btn.disabled = self.state.busy

    def _refresh_sim(self, *_) -> None:
        s = self.state
        sim = s.sim
        if sim is None:
            return
        with pn.io.hold():
            self.cmp_a.value, self.cmp_b.value = s.compare_a, s.compare_b
            ind = sim.indicators()
            ind["waarde / value"] = [f"{m:.1f} ({lo:.1f} – {hi:.1f})" for m, lo, hi in zip(ind["mean"], ind["lo"], ind["hi"])]
            self.side.object = ind.pivot_table(index="indicator", columns="layout", values="waarde / value", aggfunc="first",
                                               sort=False).reset_index()
            rooms = sim.rooms()
            if len(rooms):
                self.rooms_table.object = rooms[["layout", "site", "room", "room_kind", "places", "booked_share",
                                                 "visitors_per_week", "visitors_per_session", "waitlisted", "crowding"]].round(2)
            cost = sim.sites()
            if len(cost):
                self.site_cost_table.object = cost[["layout", "site", "site_name", "running_cost_eur_per_year", "participants",
                                                    "cost_per_participant_eur", "cost_per_participant_eur_lo",
                                                    "cost_per_participant_eur_hi"]].round(0)
            blocks = s.blocks()
            keys = blocks[["layout", "site", "site_name", "room"]].drop_duplicates() if len(blocks) else blocks
            options = {f"{r.layout} · {r.site_name} · {r.room}": f"{r.layout}\x1f{r.site}\x1f{r.room}"
                       for r in keys.itertuples()}
            keep = self.block_room.value if self.block_room.value in options.values() else next(iter(options.values()), None)
            self.block_room.options = options
            self.block_room.value = keep
            self._refresh_blocks()
            a, b = s.compare_a, s.compare_b
            if a in sim.runs and b in sim.runs and a != b:
                cmp = sim.compare(a, b)
                cmp["verdict"] = [{"better": "beter / better", "worse": "slechter / worse", "higher": "hoger / higher",
                                   "lower": "lager / lower"}.get(v, "binnen de ruis / inside the noise")
                                  for v in cmp["verdict"]]
                self.cmp_table.object = cmp.round(2)
                diff = sim.wijk_difference(a, b, "reach")
                self.diff_map.object = wijk_map_svg(
                    s.geo, diff.set_index("wijk")["diff"], title=f"Deelname / uptake {a} − {b} (pt)", unit="pt",
                    sites=[(x.x, x.y, x.name) for x in s.layouts.get(a, sim.layouts[a]).sites], diverging=True,
                    unclear=list(diff.loc[~diff["clear"], "wijk"]), width=520)
            else:
                self.cmp_table.object = None
                self.diff_map.object = "<p>Kies twee verschillende gesimuleerde opstellingen / choose two different simulated layouts.</p>"

    def _refresh_blocks(self, *_) -> None:
        """The chosen room's week: visitors and crowding per day and hour block (the report's figure)."""
        s = self.state
        if s.sim is None or not self.block_room.value:
            self.block_map.object, self.block_table.object = "", None
            return
        layout, site, room = self.block_room.value.split("\x1f")
        blocks = s.blocks()
        sub = blocks[(blocks["layout"] == layout) & (blocks["site"] == site) & (blocks["room"] == room)]
        if sub.empty:
            self.block_map.object, self.block_table.object = "", None
            return
        kind = str(sub["room_kind"].iloc[0])
        nl, en = ROOM_LABELS.get(kind, (kind, kind))
        self.block_map.object = block_heatmap_svg(sub, title=f"{sub['site_name'].iloc[0]} · {room} ({nl} / {en}, "
                                                              f"{int(sub['places'].iloc[0])} plaatsen / places)")
        busy = sub[sub["visitors"] > 0].sort_values("crowding", ascending=False).head(12)
        show = busy.assign(dag=[f"{DAY_LABELS[d][0]} / {DAY_LABELS[d][1]}" for d in busy["day"]])
        self.block_table.object = show[["dag", "hour", "visitors", "visitors_lo", "visitors_hi", "places", "crowding",
                                        "demand_crowding"]].round(2)

    def _refresh_hours_note(self, *_) -> None:
        """How the opening hours will be read (or why not), as the planner types them."""
        text = self.hours.value or ""
        try:
            days = opening_hours_by_day(text)
        except PlannerError as exc:
            self.hours_note.object = f"<span style='color:#a00'>{html.escape(exc.nl)}</span>"
            return
        if days is None:
            self.hours_note.object = html.escape("weektotaal: ma-vr vanaf 9:00 verdeeld / weekly total: spread Mon-Fri from 9:00")
            return
        self.hours_note.object = html.escape(" · ".join(f"{DAY_LABELS[d][0]} {t}" for d, t in days.items()))

    def _refresh_robust(self, *_) -> None:
        rob = self.state.robust
        if rob is None:
            return
        w = rob.wins()
        w["share_better"] = (100 * w["share_better"]).round(0)
        w["share_tied"] = (100 * w["share_tied"]).round(0)
        w.columns = ["opstelling / layout", "tegen / against", "% beter / better", "% gelijk / tied", "n"]
        self.rob_table.object = w

    # ------------------------------------------------------------------ layout of the page
    def sidebar(self) -> pn.Column:
        return pn.Column(
            "### Opstelling / Layout", self.layout_select, self.new_name, pn.Row(self.new_btn, self.dup_btn),
            pn.Row(self.undo_btn, self.redo_btn), pn.Row(self.save_btn, self.del_btn), self.open_select, self.open_btn,
            "### Site", self.site_select, self.site_name, self.rooms, self.hours, self.hours_note, self.permanent, self.guests,
            self.cost,
            self.apply_btn, "#### Plek / place", self.venue, pn.FlexBox(self.to_venue, self.add_venue), self.address,
            pn.FlexBox(self.to_address, self.add_address), "Kaart / map", self.click, self.remove_btn, sizing_mode="stretch_width")

    def tabs(self) -> pn.Tabs:
        kinds = ", ".join(f"{nl}/{en}" for nl, en in ROOM_LABELS.values())
        return pn.Tabs(
            ("Bereik / Catchment", pn.Column(pn.FlexBox(self.mode, self.band), self.pt_note, self.method_note,
                                             pn.FlexBox(self.gtfs_file, self.gtfs_btn), self.gtfs_status, self.out_note,
                                             "#### Per site en vervoerswijze / per site and mode", self.totals,
                                             "#### Per wijk (kinderen en jongeren 0-17) / by wijk (children and youth)",
                                             self.wijk_table, sizing_mode="stretch_width")),
            ("Plaatsen per inwoner / Places per resident",
             pn.Column(self.acc_method, pn.pane.Markdown("Plaatsen tegelijk per 1 000 inwoners, per wijk, voor elke "
                                                         "opstelling / places at once per 1,000 residents by wijk."),
                       self.acc_table, sizing_mode="stretch_width")),
            ("Rooster / Timetable",
             pn.Column(pn.pane.Markdown("De week van elke site: welk aanbod in welke ruimte op welke uren (vóór elke "
                                        "simulatie; het rooster hangt niet van het toeval af). / Each site's week: which "
                                        "offer in which room at which hours (before any simulation; the timetable is not "
                                        "random)."), self.unscheduled_note, self.timetable, sizing_mode="stretch_width")),
            ("Simulatie / Simulation",
             pn.Column(self.sim_layouts, pn.Row(self.seeds, self.weeks, self.scale), self.run_btn, self.progress,
                       pn.Row(self.cmp_a, self.cmp_b), "#### Naast elkaar / side by side (90 % interval)", self.side,
                       "#### Verschil / difference", self.cmp_table, self.diff_map,
                       "#### Ruimtes / rooms (drukte = vraag / plaatsen · crowding = demand over places)", self.rooms_table,
                       "#### Bezoekers per uurblok / visitors per hour block", self.block_room, self.block_map,
                       self.block_table, "#### Kosten per site / cost per site (EUR per deelnemer / per participant)",
                       self.site_cost_table, sizing_mode="stretch_width")),
            ("Robuustheid / Robustness",
             pn.Column(pn.pane.Markdown("Wint de rangorde ook als het gedrag varieert binnen de grenzen? / Does the ranking "
                                        "hold when behaviour varies within its bounds?"),
                       pn.Row(self.rob_indicator, self.rob_samples), self.rob_btn, self.rob_status, self.rob_table,
                       sizing_mode="stretch_width")),
            ("Rapport / Report", pn.Column(pn.pane.Markdown(
                "Eén HTML-bestand dat zonder internet opent: kaarten, tabellen met intervallen, aannames, bronnen, de "
                "reistijdmethode en de scenario's als YAML. / One HTML file that opens without internet."),
                self.report_btn, self.csv_btn, pn.pane.Markdown(f"Soorten ruimtes / room kinds: {kinds}"))),
            dynamic=False, sizing_mode="stretch_width")

    def main(self) -> pn.Column:
        return pn.Column(self.message, pn.Row(pn.Column(self.map, sizing_mode="stretch_width"),
                                              pn.Column(self.tabs(), sizing_mode="stretch_width", max_width=760),
                                              sizing_mode="stretch_width"), sizing_mode="stretch_width")

    def __panel__(self):
        return pn.Row(pn.Column(self.sidebar(), width=340), self.main(), sizing_mode="stretch_width")

    def template(self) -> pn.template.BootstrapTemplate:
        # Bootstrap: the Fast templates load a Google font (no internet here)
        return pn.template.BootstrapTemplate(title=TITLE, sidebar=[self.sidebar()], main=[self.main()], sidebar_width=360,
                                             header_background="#12355b")


def create_app(store=None, geo=None) -> SitePlannerApp:
    """A new planner page for one session."""
    return SitePlannerApp(state=PlannerState(geo=geo, store=store))


def page() -> pn.viewable.Viewable:
    return create_app().template()


def serve(port: int = 5008, address: str = "127.0.0.1", show: bool = False, threaded: bool = False, **kw):
    """Serve at ``http://{address}:{port}/site-planner`` (returns the server when threaded)."""
    kw.setdefault("websocket_max_message_size", WEBSOCKET_MAX_BYTES)
    return pn.serve({"site-planner": page}, port=port, address=address,
                    websocket_origin=[f"{address}:{port}", f"localhost:{port}"], show=show, threaded=threaded,
                    title={"site-planner": TITLE}, **kw)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--port", type=int, default=5008)
    parser.add_argument("--address", default="127.0.0.1")
    args = parser.parse_args(argv)
    serve(port=args.port, address=args.address)


if __name__ == "__main__":
    main()

if pn.state.served:
    page().servable()
