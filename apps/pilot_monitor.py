"""Pilootmonitor / pilot monitor: compare the pilot's real uptake with the model and let it calibrate the model.

A pilot team uploads an uptake file (or picks a stored dataset, or the SYNTHETIC
example), sees its validation, the observed series against the model's prediction
bands per offer, wijk, age group and week, a map of the difference per wijk, the fit
and the alerts; then starts a calibration (ABC-SMC on the Dask cluster) with a progress
bar, inspects the posterior and the predictions for the rest of the pilot, and saves the
calibrated scenario as a new revision of the store.

Structure: :class:`MonitorState` holds the data, the comparison and the calibration
(no widgets; long work runs in a worker thread and only writes plain attributes);
:class:`PilotMonitor` renders it, and a periodic callback on the page's own event loop
copies progress into the widgets. Every text that comes from a user or a file is
escaped. Served only under ``if pn.state.served`` (or :func:`serve`), so the module
imports cleanly in tests::

    panel serve apps/pilot_monitor.py --address 127.0.0.1 --port 5008 --allow-websocket-origin=127.0.0.1:5008
    python -m apps.pilot_monitor [--port 5008] [--scheduler tcp://host:8786]
"""
from __future__ import annotations

import argparse
import asyncio
import html
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import panel as pn
import param

from apps.components.i18n import number
from apps.components.upload import CHUNK_BYTES, WEBSOCKET_MAX_BYTES, UploadBox
from model.pilot.calibrate import (
    DEFAULT_PARAMETERS,
    Generation,
    calibrate,
    dask_client,
    predict,
    save_calibrated,
)
from model.pilot.compare import (
    GROUPING_LABELS,
    MEASURE_LABELS,
    PilotComparison,
    compare_uptake,
)
from model.pilot.formats import DEFAULT_LIMITS, MB, Limits
from model.pilot.problems import Problem, message
from model.pilot.report import alert_lines, band_figure, posterior_figure
from model.pilot.synthetic import (
    EXAMPLE_FILE,
    SYNTHETIC_LABEL_EN,
    SYNTHETIC_LABEL_NL,
    SYNTHETIC_NOTE,
    is_synthetic,
    make_synthetic,
)
from model.scenario import uncertainty_fields

pn.extension(notifications=False, design="bootstrap")


def both(nl: str, en: str) -> str:
    """A label in Dutch with English alongside."""
    return f"{nl} / {en}"


@dataclass
class Settings:
    """How heavy the monitor's work is and how large a file it takes (a browser test makes both tiny)."""

    scenario: str = "baseline"
    n_seeds: int = 10
    population_scale: float = 0.05
    population_size: int = 60
    generations: int = 3
    synthetic_weeks: int = 8
    predict_weeks: int = 20
    n_draws: int = 10
    scheduler: str | None = None
    limits: Limits = DEFAULT_LIMITS  # what an uploaded file may be at most (the upload box refuses above max_bytes)
    upload_chunk_bytes: int = CHUNK_BYTES  # of the file per websocket message


@dataclass
class Job:
    """What the worker thread reports: plain attributes, read by the page's periodic callback."""

    kind: str = ""
    running: bool = False
    fraction: float = 0.0
    status: str = ""
    error: str = ""
    done_at: float = 0.0
    generations: list = field(default_factory=list)


# ============================================================================ the shared Dask cluster
_CLUSTER_LOCK = threading.Lock()
_CLIENT: dict[str, Any] = {}


def shared_client(scheduler: str | None = None):
    """One Dask client per process for every session's calibrations (a LocalCluster of 2 workers by default)."""
    with _CLUSTER_LOCK:
        key = scheduler or "local"
        if key not in _CLIENT:
            ctx = dask_client(None, scheduler, 2)
            _CLIENT[key] = (ctx, ctx.__enter__())
        return _CLIENT[key][1]


# ============================================================================ state
class MonitorState(param.Parameterized):
    """The dataset under study, its comparison with the model, and the calibration."""

    source = param.String(default="", doc="where the observed data came from")
    synthetic = param.Boolean(default=False)
    observed = param.DataFrame(default=None, allow_None=True, doc="canonical uptake table")
    problems = param.DataFrame(default=None, allow_None=True, doc="the last validation's problems")
    valid = param.Boolean(default=False)
    comparison = param.Parameter(default=None, doc="PilotComparison")
    result = param.Parameter(default=None, doc="CalibrationResult")
    prediction = param.DataFrame(default=None, allow_None=True)
    saved = param.String(default="")
    version = param.Integer(default=0, doc="bumped when data, comparison or calibration change")

    def __init__(self, settings: Settings | None = None, store=None, **params):
        super().__init__(**params)
        self.settings = settings or Settings()
        self.store = store
        self.job = Job()
        self._upload = None
        self.stop = threading.Event()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ data
    def validate(self, data: bytes, filename: str) -> None:
        """Check an uploaded file (pure work: call it off the event loop) and keep it when valid."""
        from model.pilot.uptake import reference_for, validate_uptake

        reference = reference_for(self.settings.scenario)
        report = validate_uptake(data, filename or "upload.csv", reference, self.settings.limits)
        problems = report.problem_table("nl") if report.problems else None
        self._set_data(report.frame if report.ok else None, filename, is_synthetic(filename), problems, report.ok)
        self._upload = (report, reference, data) if report.ok else None

    def store_upload(self, name: str) -> str:
        """Import the last valid upload as dataset ``name`` (once per content; synthetic data is noted as such)."""
        from model.pilot.imports import save_upload

        if self._upload is None:
            return both("Er is geen geldig opgeladen bestand.", "There is no valid uploaded file.")
        report, reference, data = self._upload
        name = (name or "").strip() or ("synthetisch_voorbeeld" if self.synthetic else "deelname_pilot")
        if self.synthetic and not is_synthetic(name):
            name = f"synthetisch_{name}"  # never stored under a name that looks real
        outcome = save_upload(report, name, reference, data, store=self.store,
                              notes=SYNTHETIC_NOTE if self.synthetic else "")
        return outcome.message("nl") + " / " + outcome.message("en")

    def use_synthetic(self) -> bytes:
        """Make the SYNTHETIC example (model output with stated values) and load it as if uploaded."""
        ex = make_synthetic(self.settings.scenario, weeks=self.settings.synthetic_weeks,
                            population_scale=self.settings.population_scale)
        data = ex.csv_bytes()
        self.validate(data, EXAMPLE_FILE)
        return data

    def open_dataset(self, name: str) -> None:
        from model.store import Store

        store = self.store or Store()
        v = store.dataset_version(name)
        self._set_data(store.load_dataset(name), f"{name} v{v.version} ({v.source})",
                       is_synthetic(name, v.source, v.notes), None, True)

    def _set_data(self, frame, source, synthetic, problems, ok) -> None:
        self.param.update(observed=frame, source=source, synthetic=bool(synthetic), problems=problems, valid=bool(ok),
                          comparison=None, result=None, prediction=None, saved="")
        self.version += 1

    # ------------------------------------------------------------------ work in a thread
    def _start(self, kind: str, work: Callable[[], None]) -> bool:
        with self._lock:
            if self.job.running:
                return False
            self.job = Job(kind=kind, running=True, status=both("bezig…", "working…"))
        self.stop.clear()

        def run() -> None:
            try:
                work()
            except Exception as exc:  # noqa: BLE001 - shown on screen, logged
                traceback.print_exc()
                self.job.error = f"{type(exc).__name__}: {exc}"
            finally:
                self.job.running = False
                self.job.done_at = time.time()

        threading.Thread(target=run, name=f"pilot-monitor-{kind}", daemon=True).start()
        return True

    def start_comparison(self) -> bool:
        if self.observed is None:
            return False
        s = self.settings

        def work() -> None:
            def tick(done: int, total: int) -> None:
                self.job.fraction = done / total
                self.job.status = both(f"simulatie {done} van {total}", f"simulation {done} of {total}")

            cmp = compare_uptake(self.observed, s.scenario, n_seeds=s.n_seeds, population_scale=s.population_scale,
                                 synthetic=self.synthetic, source=self.source, progress=tick)
            cmp.alerts()  # computed here, not on the event loop
            self.comparison = cmp
            self.job.status = both("vergelijking klaar", "comparison done")
            self.version += 1

        return self._start("compare", work)

    def start_calibration(self, parameters: list[str], population_size: int, generations: int) -> bool:
        if self.observed is None:
            return False
        s = self.settings

        def work() -> None:
            t0 = time.perf_counter()

            def on_generation(g: Generation) -> None:
                self.job.generations.append(g)
                self.job.fraction = g.fraction
                name = both("prior", "prior") if g.t < 0 else both(f"generatie {g.t + 1} van {g.generations}",
                                                                  f"generation {g.t + 1} of {g.generations}")
                self.job.status = (f"{name}: {both('aanvaard', 'accepted')} {g.accepted}/{g.simulations} "
                                   f"({100 * g.acceptance_rate:.0f} %), {both('nog ongeveer', 'about')} "
                                   f"{g.seconds_left:.0f} s {both('te gaan', 'left')}")

            client = shared_client(s.scheduler)
            result = calibrate(self.observed, s.scenario, parameters, population_size=population_size,
                               generations=generations, population_scale=s.population_scale, client=client,
                               progress=on_generation, stop=self.stop, synthetic=self.synthetic, source=self.source)
            self.result = result
            self.job.status = both("voorspelling voor de rest van de pilot…", "predicting the rest of the pilot…")
            weeks = max(s.predict_weeks, int(self.observed["pilot_week" if "pilot_week" in self.observed else "week"].max()))
            self.prediction = predict(s.scenario, result, self.observed, weeks=weeks, n_draws=s.n_draws,
                                      population_scale=s.population_scale, client=client)
            self.job.fraction = 1.0
            self.job.status = both(f"Kalibratie klaar: {result.simulations} simulaties in {time.perf_counter() - t0:.0f} s",
                                   f"Calibration done: {result.simulations} simulations")
            self.version += 1

        return self._start("calibrate", work)

    def save(self) -> str:
        """Store the calibrated scenario as a new revision with the base as parent; returns the message."""
        if self.result is None:
            return both("Er is nog geen kalibratie.", "There is no calibration yet.")
        parent, rev = save_calibrated(self.settings.scenario, self.result, store=self.store)
        self.saved = both(f"Bewaard als {rev.name} revisie {rev.number} (ouder: {parent.name} revisie {parent.number})",
                          f"saved as {rev.name} revision {rev.number} (parent {parent.name} revision {parent.number})")
        return self.saved


# ============================================================================ views
def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def problems_html(problems: pd.DataFrame | None, ok: bool, source: str) -> str:
    if problems is None or problems.empty:
        return (f"<p>✔ <b>{esc(source)}</b>: {both('geldig, geen problemen', 'valid, no problems')}</p>" if ok and source
                else "")
    head = (f"<p>{'✔' if ok else '✘'} <b>{esc(source)}</b>: "
            f"{both('geldig', 'valid') if ok else both('NIET geldig; niets bewaard', 'NOT valid; nothing stored')} "
            f"({len(problems)} {both('meldingen', 'messages')})</p>")
    rows = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in r) + "</tr>" for r in problems.head(50).itertuples(index=False))
    cols = "".join(f"<th>{esc(c)}</th>" for c in problems.columns)
    return head + f"<table class='problems'><tr>{cols}</tr>{rows}</table>"


def refusal_html(name: str, size: int, limit: int, readable: bool = True) -> str:
    """Why an upload was not taken (too large, or it did not arrive whole), in Dutch and English, naming the file."""
    if readable:
        problem = Problem("file_too_large", params={"size_mb": f"{size / MB:.1f}", "limit_mb": f"{limit / MB:.1f}"})
        nl, en = message(problem, "nl"), message(problem, "en")
    else:
        nl, en = ("het bestand kwam niet volledig aan (de browser kon het niet lezen); kies het opnieuw",
                  "the file did not arrive whole (the browser could not read it); choose it again")
    return (f"<p role='alert'>✘ <b>{esc(name)}</b>: {both('niet opgeladen', 'not uploaded')}: {esc(nl)} / {esc(en)}</p>")


def fit_html(fit: pd.DataFrame) -> str:
    rows = []
    for _, r in fit.iterrows():
        g, m = GROUPING_LABELS[r["grouping"]], MEASURE_LABELS[r["measure"]]
        inside = "–" if not np.isfinite(r["inside_share"]) else f"{100 * r['inside_share']:.0f} %"
        rows.append(f"<tr><td>{esc(both(*g))}</td><td>{esc(both(*m))}</td><td>{number(r['mae'])}</td>"
                    f"<td>{number(r['rmse'])}</td><td>{number(r['bias'])}</td><td>{inside}</td><td>{int(r['cells'])}</td></tr>")
    head = ("<tr><th>indeling / grouping</th><th>maat / measure</th><th>MAE</th><th>RMSE</th>"
            "<th>afwijking / bias</th><th>binnen de band / inside band</th><th>cellen / cells</th></tr>")
    return f"<table class='fit'>{head}{''.join(rows)}</table>"


def intervals_html(result) -> str:
    rows = []
    for p, r in result.intervals.iterrows():
        ok = both("ja", "yes") if r["identified"] else both("nee: de gegevens zeggen er weinig over",
                                                             "no: the data say little about it")
        rows.append(f"<tr><td>{esc(both(r['label_nl'], r['label_en']))}<br><code>{esc(p)}</code></td>"
                    f"<td>{r['median']:.3g}</td><td>{r['lo']:.3g} – {r['hi']:.3g}</td>"
                    f"<td>{r['prior_lo']:g} – {r['prior_hi']:g}</td><td>{esc(ok)}</td></tr>")
    head = ("<tr><th>parameter</th><th>mediaan / median</th><th>90 %-interval</th><th>prior</th>"
            "<th>geïdentificeerd / identified</th></tr>")
    return f"<table class='fit'>{head}{''.join(rows)}</table>"


def synthetic_banner(synthetic: bool) -> str:
    if not synthetic:
        return ""
    return (f"<div class='synthetic' role='alert'>⚠ {esc(SYNTHETIC_LABEL_NL)} / {esc(SYNTHETIC_LABEL_EN)}</div>")


class WijkDifferenceMap(pn.viewable.Viewer):
    """The 31 wijken coloured by observed minus predicted (relative, %), updated in place."""

    def __init__(self, **params):
        super().__init__(**params)
        from bokeh.models import (
            ColorBar,
            ColumnDataSource,
            HoverTool,
            LinearColorMapper,
        )
        from bokeh.plotting import figure

        from apps.components.mapview import DIVERGING, NAN_COLOR, display_layers
        from model.geography import ATTRIBUTIONS

        layers = display_layers()
        self._wijken = layers["wijk"]
        self.source = ColumnDataSource({"xs": layers["wijk_xs"], "ys": layers["wijk_ys"], "wijk": self._wijken,
                                        "value": [np.nan] * len(self._wijken), "text": [""] * len(self._wijken)})
        self.mapper = LinearColorMapper(palette=DIVERGING, low=-100, high=100, nan_color=NAN_COLOR)
        fig = figure(height=420, sizing_mode="stretch_width", match_aspect=True, tools="pan,wheel_zoom,reset,tap",
                     x_axis_type="mercator", y_axis_type="mercator",
                     title=both("Verschil per wijk: waargenomen − model (%)", "Difference per wijk: observed − model (%)"))
        fig.patches("xs", "ys", source=self.source, fill_color={"field": "value", "transform": self.mapper},
                    line_color="#555555", line_width=0.6)
        fig.add_tools(HoverTool(tooltips=[("wijk", "@wijk"), ("", "@text")]))
        fig.add_layout(ColorBar(color_mapper=self.mapper, title="%"), "right")
        fig.axis.visible = False
        fig.grid.visible = False
        self.figure = fig
        self.note = pn.pane.HTML(f"<small>{esc(' · '.join(ATTRIBUTIONS))}</small>")
        self.table = pn.pane.HTML("")

    def update(self, cmp: PilotComparison | None) -> None:
        if cmp is None:
            self.source.data = {**self.source.data, "value": [np.nan] * len(self._wijken), "text": [""] * len(self._wijken)}
            self.table.object = ""
            return
        wd = cmp.wijk_difference().set_index("wijk").reindex(self._wijken)
        rel = wd["relative_pct"].clip(-100, 100).to_numpy(dtype=float)
        text = [f"{number(o)} vs {number(m)} ({'+' if d >= 0 else ''}{number(d)})"
                for o, m, d in zip(wd["observed"], wd["mean"], wd["difference"])]
        self.source.data = {**self.source.data, "value": list(rel), "text": text}
        top = wd.assign(abs=wd["difference"].abs()).sort_values("abs", ascending=False).head(5)
        items = "".join(f"<li>{esc(w)}: {t}{'' if r['inside'] else ' — ' + esc(both('buiten de band', 'outside the band'))}</li>"
                        for (w, r), t in zip(top.iterrows(), [text[self._wijken.index(w)] for w in top.index]))
        self.table.object = (f"<p>{both('Grootste verschillen (deelnemers)', 'Largest differences (participants)')}:</p>"
                             f"<ul>{items}</ul>")

    def __panel__(self):
        return pn.Column(pn.pane.Bokeh(self.figure, sizing_mode="stretch_width"), self.table, self.note,
                         sizing_mode="stretch_width")


CSS = """
.synthetic { background: #fde0dd; border: 2px solid #c51b8a; color: #7a0177; padding: 8px 12px; font-weight: 700;
             font-size: 17px; border-radius: 4px; }
table.fit, table.problems { border-collapse: collapse; font-size: 14px; }
table.fit td, table.fit th, table.problems td, table.problems th { border-bottom: 1px solid #ddd; padding: 3px 8px;
             text-align: left; }
.alerts li { margin-bottom: 2px; }
"""


def _beside_a_field(button):
    """A button level with the input of the labelled field beside it (not with its label)."""
    return pn.Column(pn.Spacer(height=22), button, margin=0)


class PilotMonitor(pn.viewable.Viewer):
    """The pilot monitor's page."""

    def __init__(self, state: MonitorState | None = None, **params):
        super().__init__(**params)
        self.state = state or MonitorState()
        s = self.state.settings
        self._seen_version = -1
        self.banner = pn.pane.HTML("", sizing_mode="stretch_width")
        # data
        # the file's size is checked in the browser and it travels in chunks: a file of up to the reader's limit
        # passes the server's websocket limit (8 MB), and one above it is refused with a message
        self.upload = UploadBox(accept=".csv,.xlsx", max_bytes=s.limits.max_bytes, chunk_bytes=s.upload_chunk_bytes,
                                label=both("Bestand", "File"), sizing_mode="stretch_width")
        self.example = pn.widgets.Button(label=both("Gebruik het SYNTHETISCHE voorbeeld", "Use the SYNTHETIC example"),
                                         color="light")
        self.datasets = pn.widgets.Select(label=both("Of kies een bewaarde dataset", "Or pick a stored dataset"),
                                          options=self._dataset_options(), width=420)  # the label whole
        self.open = pn.widgets.Button(label=both("Open", "Open"), color="light")
        self.validation = pn.pane.HTML("", sizing_mode="stretch_width")
        self.dataset_name = pn.widgets.TextInput(label=both("Naam van de dataset", "Dataset name"),
                                                 placeholder="deelname_pilot", max_length=80)
        self.store_button = pn.widgets.Button(label=both("Bewaar in de store", "Save to the store"), color="light",
                                              disabled=True)
        self.stored = pn.pane.HTML("")
        # comparison
        self.compare = pn.widgets.Button(label=both("▶ Vergelijk met het model", "▶ Compare with the model"),
                                         color="primary", disabled=True)
        self.grouping = pn.widgets.Select(label=both("Indeling", "Grouping"), value="total",
                                          options={both(*v): k for k, v in GROUPING_LABELS.items() if k != "cell"})
        self.group = pn.widgets.Select(label=both("Groep", "Group"), options=["Genk"])
        self.measure = pn.widgets.Select(label=both("Maat", "Measure"),
                                         options={both(*v): k for k, v in MEASURE_LABELS.items()})
        self.band_plot = pn.pane.HoloViews(None, sizing_mode="stretch_width", height=320)
        self.fit = pn.pane.HTML("", sizing_mode="stretch_width")
        self.alerts = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["alerts"])
        self.map = WijkDifferenceMap()
        # calibration
        fields = uncertainty_fields()
        self.parameters = pn.widgets.MultiChoice(
            label=both("Te kalibreren parameters", "Parameters to calibrate"), value=list(DEFAULT_PARAMETERS),
            options={both(f.label_nl, f.label_en): p for p, f in fields.items()})
        self.population = pn.widgets.IntInput(label=both("Deeltjes per generatie", "Particles per generation"),
                                              value=s.population_size, start=5, end=2000)
        self.generations = pn.widgets.IntInput(label=both("Generaties", "Generations"), value=s.generations, start=1, end=20)
        self.calibrate = pn.widgets.Button(label=both("▶ Start kalibratie", "▶ Start calibration"), color="primary",
                                           disabled=True)
        self.stop_button = pn.widgets.Button(label=both("Stop na deze generatie", "Stop after this generation"),
                                             color="light", disabled=True)
        self.progress = pn.indicators.Progress(value=0, max=100, sizing_mode="stretch_width", bar_color="primary",
                                               active=False)
        self.status = pn.pane.HTML("", sizing_mode="stretch_width")
        self.posterior = pn.pane.HoloViews(None, sizing_mode="stretch_width")
        self.intervals = pn.pane.HTML("", sizing_mode="stretch_width")
        self.prediction_plot = pn.pane.HoloViews(None, sizing_mode="stretch_width", height=320)
        self.save = pn.widgets.Button(label=both("Bewaar het gekalibreerde scenario", "Save the calibrated scenario"),
                                      color="success", disabled=True)
        self.saved = pn.pane.HTML("")
        # wiring
        self.upload.param.watch(self._on_upload, "value")
        self.upload.param.watch(self._on_refused, "refusal")
        self.upload.param.watch(self._on_upload_progress, ["uploading", "progress"])
        self.example.on_click(self._on_example)
        self.open.on_click(self._on_open)
        self.store_button.on_click(self._on_store)
        self.compare.on_click(lambda _e: self._begin(self.state.start_comparison()))
        self.calibrate.on_click(self._on_calibrate)
        self.stop_button.on_click(lambda _e: self.state.stop.set())
        self.save.on_click(self._on_save)
        for w in (self.grouping, self.measure):
            w.param.watch(lambda _e: self._redraw_band(groups=True), "value")
        self.group.param.watch(lambda _e: self._redraw_band(), "value")
        self._layout = self._build()
        self.refresh()

    # ------------------------------------------------------------------ layout
    def _build(self):
        data = pn.Column(pn.pane.Markdown(f"### {both('1. Gegevens', '1. Data')}"),
                         pn.pane.Markdown(both("Deelname per aanbod, week, wijk en leeftijdsgroep (CSV of Excel; "
                                               "docs/pilot-data.md)", "uptake per offer, week, wijk and age group "
                                               "(CSV or Excel; docs/pilot-data.md)")),
                         self.upload, self.example, pn.Row(self.datasets, _beside_a_field(self.open)), self.validation,
                         pn.Row(self.dataset_name, _beside_a_field(self.store_button)), self.stored,
                         sizing_mode="stretch_width")
        comparison = pn.Column(pn.pane.Markdown(f"### {both('2. Vergelijking', '2. Comparison')}"), self.compare,
                               pn.Row(self.grouping, self.group, self.measure), self.band_plot,
                               pn.pane.Markdown(f"#### {both('Overeenkomst', 'Goodness of fit')}"), self.fit,
                               pn.pane.Markdown(f"#### {both('Signalen', 'Alerts')}"), self.alerts, self.map,
                               sizing_mode="stretch_width")
        calibration = pn.Column(pn.pane.Markdown(f"### {both('3. Kalibratie (ABC-SMC)', '3. Calibration (ABC-SMC)')}"),
                                self.parameters, pn.Row(self.population, self.generations),
                                pn.Row(self.calibrate, self.stop_button), self.progress, self.status,
                                self.intervals, self.posterior,
                                pn.pane.Markdown(f"#### {both('Voorspelling voor de rest van de pilot', 'Prediction for the rest of the pilot')}"),
                                self.prediction_plot, self.save, self.saved, sizing_mode="stretch_width")
        return pn.Column(pn.pane.HTML(f"<style>{CSS}</style>", height=0, margin=0), self.banner, data, comparison,
                         calibration, sizing_mode="stretch_width")

    def __panel__(self):
        return self._layout

    # ------------------------------------------------------------------ events
    def _dataset_options(self) -> dict:
        try:
            from model.store import Store

            frame = (self.state.store or Store()).datasets(kind="uptake")
        except Exception:  # noqa: BLE001 - an empty or missing store lists nothing
            return {"–": ""}
        names = list(frame["name"]) if "name" in frame else []
        return {"–": "", **{n: n for n in names}}

    async def _on_upload(self, event) -> None:
        if not event.new:
            return
        data, name = bytes(event.new), self.upload.filename or "upload.csv"
        self.validation.object = f"<p>{both('Bezig met controleren…', 'Checking…')} {esc(name)}</p>"
        await asyncio.to_thread(self.state.validate, data, name)  # parsing off the event loop
        self._refresh_locked()

    def _on_refused(self, event) -> None:
        """A file the upload box did not take: say why above what is still loaded."""
        if not event.new:
            return
        st = self.state
        self.validation.object = (refusal_html(event.new["name"], event.new["size"], self.upload.max_bytes,
                                               event.new.get("readable", True))
                                  + problems_html(st.problems, st.valid, st.source))

    def _on_upload_progress(self, *_events) -> None:
        if self.upload.uploading:
            self.validation.object = (f"<p role='status'>{both('Bezig met opladen…', 'Uploading…')} "
                                      f"{esc(self.upload.uploading)}: {self.upload.progress} %</p>")

    async def _on_example(self, _event) -> None:
        self.validation.object = f"<p>{both('Het synthetische voorbeeld wordt gemaakt…', 'Making the synthetic example…')}</p>"
        await asyncio.to_thread(self.state.use_synthetic)
        self._refresh_locked()

    async def _on_open(self, _event) -> None:
        if self.datasets.value:
            await asyncio.to_thread(self.state.open_dataset, self.datasets.value)
            self._refresh_locked()

    async def _on_store(self, _event) -> None:
        message = await asyncio.to_thread(self.state.store_upload, self.dataset_name.value)
        self.stored.object = f"<p>{esc(message)}</p>"
        self.datasets.options = self._dataset_options()

    def _refresh_locked(self) -> None:
        """Refresh with the page's document lock held (at once outside a served session).

        After an ``await`` an async handler runs without the lock; Panel's own widgets cope with that, but the
        difference map's Bokeh source may only change under it (else Bokeh raises midway through ``refresh``).
        """
        pn.state.execute(self.refresh, schedule=True)

    def _on_calibrate(self, _event) -> None:
        params = list(self.parameters.value) or list(DEFAULT_PARAMETERS)
        self._begin(self.state.start_calibration(params, int(self.population.value), int(self.generations.value)))

    def _on_save(self, _event) -> None:
        try:
            self.saved.object = f"<p>✔ {esc(self.state.save())}</p>"
        except Exception as exc:  # noqa: BLE001 - shown, not raised into the server log only
            self.saved.object = f"<p>✘ {esc(exc)}</p>"

    def _begin(self, started: bool) -> None:
        if not started:
            self.status.object = f"<p>{both('Er loopt al een berekening, of er zijn geen gegevens.', 'A computation is already running, or there is no data.')}</p>"
        self.refresh()

    # ------------------------------------------------------------------ redraw
    def refresh(self) -> None:
        """Copy the state into the widgets (called on the page's loop: after events and periodically)."""
        st, job = self.state, self.state.job
        self.banner.object = synthetic_banner(st.synthetic)
        self.progress.value = round(100 * job.fraction)
        self.progress.active = job.running
        status = esc(job.status) + (f"<br>✘ {esc(job.error)}" if job.error else "")
        self.status.object = f"<p>{status}</p>" if status else ""
        busy = job.running
        self.compare.disabled = busy or st.observed is None
        self.calibrate.disabled = busy or st.observed is None
        self.stop_button.disabled = not (busy and job.kind == "calibrate")
        self.save.disabled = busy or st.result is None
        self.store_button.disabled = st._upload is None
        if st.version == self._seen_version:
            return
        self._seen_version = st.version
        self.validation.object = problems_html(st.problems, st.valid, st.source)
        self.stored.object = ""
        cmp = st.comparison
        if cmp is not None:
            self.fit.object = fit_html(cmp.fit(("total", "offer_id", "wijk", "age_group", "cell")))
            alerts = cmp.alerts()
            items = "".join(f"<li>{esc(line[2:])}</li>" for line in alert_lines(alerts, "nl") if line.startswith("- "))
            rule = both("regel: 3 of meer weken op rij boven, of onder, de band van 90 %",
                        "rule: 3 or more consecutive weeks above, or below, the 90 % band")
            self.alerts.object = (f"<p><b>{len(alerts)} {both('signalen', 'alerts')}</b> ({esc(rule)})</p><ul>{items}</ul>"
                                  if alerts else f"<p>{both('Geen signalen', 'No alerts')} ({esc(rule)})</p>")
            self.map.update(cmp)
            self._redraw_band(groups=True)
        else:
            self.fit.object = self.alerts.object = ""
            self.band_plot.object = None
            self.map.update(None)
        if st.result is not None:
            self.intervals.object = intervals_html(st.result)
            self.posterior.object = posterior_figure(st.result)
        else:
            self.intervals.object = ""
            self.posterior.object = None
        if st.prediction is not None:
            pred = st.prediction[st.prediction["measure"] == "participants"]
            self.prediction_plot.object = band_figure(pred, both("Deelnemers, hele pilot (posterior-voorspelling)",
                                                                 "Participants, whole pilot (posterior prediction)"),
                                                      st.synthetic)
        else:
            self.prediction_plot.object = None
        self.saved.object = f"<p>✔ {esc(st.saved)}</p>" if st.saved else ""
        self.datasets.options = self._dataset_options()

    def _redraw_band(self, groups: bool = False) -> None:
        cmp = self.state.comparison
        if cmp is None:
            return
        table = cmp.table(self.grouping.value, self.measure.value)
        if groups:
            names = sorted(table["group"].unique())
            if list(self.group.options) != names:
                self.group.options = names
            if self.group.value not in names:
                self.group.value = names[0]
                return  # the group watcher redraws
        part = table[table["group"] == self.group.value]
        title = f"{both(*GROUPING_LABELS[self.grouping.value])}: {self.group.value} · {both(*MEASURE_LABELS[self.measure.value])}"
        self.band_plot.object = band_figure(part, title, cmp.synthetic)


def create_app(settings: Settings | None = None, store=None) -> pn.template.BootstrapTemplate:
    """One session's page: the monitor in a template, with its progress pump."""
    monitor = PilotMonitor(MonitorState(settings, store))
    template = pn.template.BootstrapTemplate(title=both("Leerecosysteem Genk: pilootmonitor", "pilot monitor"))
    template.main.append(monitor)
    template.monitor = monitor  # for tests
    pn.state.add_periodic_callback(monitor.refresh, period=500) if pn.state.curdoc else None
    return template


def serve(port: int = 5008, address: str = "127.0.0.1", settings: Settings | None = None, store=None, **kw):
    """Serve the monitor at ``http://<address>:<port>/pilot_monitor`` (only on 127.0.0.1 by default)."""
    kw.setdefault("websocket_max_message_size", WEBSOCKET_MAX_BYTES)
    return pn.serve({"pilot_monitor": lambda: create_app(settings, store)}, port=port, address=address,
                    websocket_origin=[f"{address}:{port}"], **kw)


if pn.state.served:
    create_app().servable()

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="serve the pilot monitor")
    parser.add_argument("--port", type=int, default=5008)
    parser.add_argument("--scheduler", default=None, help="a Dask scheduler address (default: a local cluster)")
    args = parser.parse_args()
    serve(args.port, settings=Settings(scheduler=args.scheduler), show=False)
