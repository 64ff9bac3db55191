"""Study explorer / Verkenner van studies: browse the results of a sensitivity study.

Pick a results folder (``var/studies/<name>``), then read:

- the indices of the study's design (Morris μ*, Sobol' S1/ST with their intervals, or
  rank correlations for other designs) for one output;
- a scatter of any input against that output (click a point to select it);
- parallel coordinates of all inputs, coloured by the output;
- the runs behind the selected design point, each with a link that opens it in the
  workshop app (``/workshop?study=<folder>&run=<run_id>``).

Structure (STYLE.md): :class:`ExplorerState` holds what is chosen and loaded; views
are ``pn.viewable.Viewer`` s that read it; :func:`create_app` assembles them. Serve with
``panel serve apps/explorer.py``; nothing is fetched from the internet.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param

from model.experiments.analysis import indices
from model.experiments.results import StudyResults, default_results_root, list_results, load_results
from model.experiments.study import MorrisDesign, SobolDesign

hv.extension("bokeh", logo=False)

MAX_LINES = 400  # parallel coordinates: more lines than this are a random (seeded) subset
MAX_POINTS = 20_000


def display_label(name: str) -> str:
    """Dutch label with the English one alongside (``Bereik / Reach``); the name if none is declared."""
    from model.indicators import INDICATORS
    from model.scenario import Scenario, numeric_fields

    if name in INDICATORS:
        ind = INDICATORS[name]
        return f"{ind.label_nl} / {ind.label_en} ({ind.unit})"
    for f in numeric_fields(Scenario):
        if f.path == name:
            return f"{f.label_nl} / {f.label_en} ({f.unit})"
    return name


class ExplorerState(param.Parameterized):
    """What the explorer shows: the chosen results folder, output, input and design point."""

    root = param.String(default="", doc="folder holding results folders (default var/studies)")
    folder = param.Selector(default=None, objects=[], allow_None=True, doc="results folder (name under root)")
    results = param.ClassSelector(class_=StudyResults, default=None, allow_None=True, doc="the loaded results")
    output = param.Selector(default=None, objects=[], allow_None=True, doc="output (indicator) to analyse")
    x_input = param.Selector(default=None, objects=[], allow_None=True, doc="input on the scatter's x axis")
    point_id = param.Integer(default=None, allow_None=True, doc="selected design point")
    message = param.String(default="", doc="what went wrong, if anything")
    workshop_path = param.String(default="/workshop", doc="path of the workshop app")

    def __init__(self, **params):
        self._indices: tuple = (None, None, pd.DataFrame())
        super().__init__(**params)
        if not self.root:
            self.root = str(default_results_root())
        self.refresh()

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        """List the results folders under ``root`` again (newest first) and load the first."""
        names = [p.name for p in list_results(Path(self.root))]
        current = self.folder
        self.param.folder.objects = list(names)  # param may append None to the list it is given
        with param.parameterized.batch_call_watchers(self):
            if current in names:
                self._load()
            else:
                self.folder = names[0] if names else None
                if not names:
                    self.results = None
                    self.message = f"Geen resultaten in {self.root} / No results in {self.root}: run a study first (python -m model.experiments run ...)"

    @param.depends("root", watch=True)
    def _root_changed(self) -> None:
        self.refresh()

    @param.depends("folder", watch=True)
    def _load(self) -> None:
        if self.folder is None:
            return
        try:
            results = load_results(Path(self.root) / self.folder)
        except Exception as exc:  # noqa: BLE001 - show the reason, keep the app alive
            self.results, self.message = None, f"{self.folder}: {exc}"
            return
        outputs, inputs = results.study.output_names, results.study.parameter_names
        self.param.output.objects = list(outputs)
        self.param.x_input.objects = list(inputs)
        with param.parameterized.batch_call_watchers(self):
            self.results = results
            self.message = "" if len(results.runs) else f"{self.folder}: nog geen runs / no runs yet"
            self.output = outputs[0]
            self.x_input = inputs[0]
            self.point_id = int(results.design["point_id"].iloc[0]) if len(results.design) else None

    # ------------------------------------------------------------------ derived data
    def _consistent(self) -> bool:
        """True when the chosen output and input belong to the loaded study (not mid-switch)."""
        return (self.results is not None and self.output in self.results.study.output_names
                and self.x_input in self.results.study.parameter_names)

    def means(self) -> pd.DataFrame:
        """Design points with the mean output over their successful replications."""
        if not self._consistent():
            return pd.DataFrame()
        return self.results.point_means([self.output])

    def index_table(self) -> pd.DataFrame:
        """The design's indices for the chosen output (empty if they cannot be computed yet)."""
        if not self._consistent() or not len(self.results.ok):
            return pd.DataFrame()
        cached_results, cached_output, table = self._indices
        if cached_results is not self.results or cached_output != self.output:  # chart and table both ask
            try:
                table = indices(self.results, [self.output])
            except ValueError as exc:
                self.message = str(exc)
                table = pd.DataFrame()
            self._indices = (self.results, self.output, table)
        return table

    def point_runs(self) -> pd.DataFrame:
        if self.results is None or self.point_id is None:
            return pd.DataFrame()
        return self.results.runs_of_point(self.point_id)

    def workshop_url(self, run_id: int) -> str:
        """Link that opens a run in the workshop app: ``/workshop?study=<folder>&run=<run_id>``."""
        return f"{self.workshop_path}?{urlencode({'study': self.folder or '', 'run': int(run_id)})}"


# --------------------------------------------------------------------------- views
class FolderPicker(pn.viewable.Viewer):
    """Choose the root and the results folder; shows what the folder holds."""

    state = param.ClassSelector(class_=ExplorerState)

    def __panel__(self):
        refresh = pn.widgets.Button(label="Vernieuwen / Refresh")
        refresh.on_click(lambda _event: self.state.refresh())
        return pn.Column(
            pn.widgets.TextInput.from_param(self.state.param.root, label="Map / Root folder"),
            pn.widgets.Select.from_param(self.state.param.folder, label="Studie / Study"),
            refresh,
            pn.pane.Markdown(pn.bind(self._summary, self.state.param.results, self.state.param.message)),
            pn.widgets.Select.from_param(self.state.param.output, label="Uitkomst / Output"),
            pn.widgets.Select.from_param(self.state.param.x_input, label="Invoer / Input (x)"),
            pn.widgets.IntInput.from_param(self.state.param.point_id, label="Ontwerppunt / Design point"),
            width=320,
        )

    @staticmethod
    def _summary(results: StudyResults | None, message: str) -> str:
        lines = []
        if results is not None:
            s = results.study
            lines += [f"**{s.name}**: model `{s.model}`, ontwerp / design `{s.design.method}`",
                      f"{len(results.runs)} / {results.n_expected} runs, {len(results.errors)} fouten / errors"]
            if s.description:
                lines.append(s.description)
        if message:
            lines.append(f"⚠ {message}")
        return "\n\n".join(lines)


class IndicesView(pn.viewable.Viewer):
    """Bar chart of the design's indices for the chosen output, with confidence intervals."""

    state = param.ClassSelector(class_=ExplorerState)

    def __panel__(self):
        return pn.Column(
            pn.pane.HoloViews(pn.bind(self.plot, self.state.param.results, self.state.param.output), sizing_mode="stretch_width"),
            pn.widgets.Tabulator(pn.bind(self.table, self.state.param.results, self.state.param.output), disabled=True,
                                 show_index=False, height=200, sizing_mode="stretch_width"),
        )

    def table(self, results, output) -> pd.DataFrame:
        table = self.state.index_table()
        return table.round(4) if len(table) else pd.DataFrame({"": ["geen indices / no indices yet"]})

    def plot(self, results, output):
        table = self.state.index_table()
        if not len(table):
            return hv.Text(0, 0, "Geen indices / No indices yet").opts(height=300, xaxis=None, yaxis=None)
        design = results.study.design
        label = display_label(output)
        if isinstance(design, MorrisDesign):
            return self._bars(table, "mu_star", "mu_star_conf", f"Morris μ* — {label}")
        if isinstance(design, SobolDesign):
            return (self._bars(table, "S1", "S1_conf", f"Sobol' S1 (eerste orde / first order) — {label}")
                    + self._bars(table, "ST", "ST_conf", f"Sobol' ST (totaal / total) — {label}")).cols(1)
        return self._bars(table, "spearman", None, f"Spearman ρ — {label}")

    @staticmethod
    def _bars(table: pd.DataFrame, value: str, conf: str | None, title: str):
        frame = table[["parameter", value] + ([conf] if conf else [])].copy()
        bars = hv.Bars(frame, "parameter", value).opts(title=title, height=300, responsive=True, xrotation=30,
                                                      tools=["hover"], color="#3a7ca5")
        if conf is None:
            return bars
        errors = hv.ErrorBars(frame, "parameter", [value, conf])
        return (bars * errors).opts(title=title)


class ScatterView(pn.viewable.Viewer):
    """Any input against the chosen output (mean over replications); click to select a point."""

    state = param.ClassSelector(class_=ExplorerState)

    def __panel__(self):
        return pn.pane.HoloViews(pn.bind(self.plot, self.state.param.results, self.state.param.output,
                                         self.state.param.x_input, self.state.param.point_id), sizing_mode="stretch_width")

    def plot(self, results, output, x_input, point_id):
        means = self.state.means()
        if results is None or not len(means) or x_input is None:
            return hv.Points([]).opts(height=320, responsive=True)
        data = means[["point_id", x_input, output]].dropna()
        if len(data) > MAX_POINTS:
            data = data.sample(MAX_POINTS, random_state=0)
        points = hv.Points(data, [x_input, output], ["point_id"]).opts(
            responsive=True, height=320, size=5, alpha=0.6, tools=["hover", "tap"], color="#3a7ca5",
            xlabel=display_label(x_input), ylabel=display_label(output), title="Invoer tegen uitkomst / Input against output")
        tap = hv.streams.Selection1D(source=points)
        tap.add_subscriber(lambda index: self._select(data, index))
        chosen = data[data["point_id"] == point_id]
        return points * hv.Points(chosen, [x_input, output]).opts(size=12, color="#d1495b", marker="diamond")

    def _select(self, data: pd.DataFrame, index: list[int]) -> None:
        if index:
            self.state.point_id = int(data["point_id"].iloc[index[0]])


class ParallelView(pn.viewable.Viewer):
    """Parallel coordinates: every input scaled to its bounds (0–1), one line per point, coloured by the output."""

    state = param.ClassSelector(class_=ExplorerState)

    def __panel__(self):
        return pn.pane.HoloViews(pn.bind(self.plot, self.state.param.results, self.state.param.output), sizing_mode="stretch_width")

    def plot(self, results, output):
        means = self.state.means()
        if results is None or not len(means):
            return hv.Path([]).opts(height=320, responsive=True)
        inputs = results.study.parameter_names
        data = means.dropna(subset=[output])
        if len(data) > MAX_LINES:
            data = data.sample(MAX_LINES, random_state=0)
        bounds = results.study.bounds()
        scaled = np.column_stack([(data[p] - bounds[p][0]) / (bounds[p][1] - bounds[p][0]) for p in inputs])
        xs = np.arange(len(inputs), dtype=float)
        # axis names that no output can be called (an analytic model's output is "y")
        lines = [{"_input": xs, "_scaled": row, output: value} for row, value in zip(scaled, data[output].to_numpy())]
        return hv.Contours(lines, ["_input", "_scaled"], [output]).opts(
            color=output, cmap="viridis", colorbar=True, line_width=1.2, alpha=0.5, responsive=True, height=340,
            xticks=[(i, p.rsplit(".", 1)[-1]) for i, p in enumerate(inputs)], xrotation=30, ylim=(-0.02, 1.02),
            xlabel="", ylabel="binnen grenzen / within bounds (0–1)", tools=["hover"],
            title=f"Parallelle coördinaten / Parallel coordinates — {display_label(output)}")


class RunsView(pn.viewable.Viewer):
    """The runs behind the selected design point, with a link to open each in the workshop app."""

    state = param.ClassSelector(class_=ExplorerState)

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown(pn.bind(self.links, self.state.param.results, self.state.param.point_id)),
            pn.widgets.Tabulator(pn.bind(self.table, self.state.param.results, self.state.param.point_id), disabled=True,
                                 show_index=False, height=220, sizing_mode="stretch_width"),
        )

    def table(self, results, point_id) -> pd.DataFrame:
        runs = self.state.point_runs()
        return runs if len(runs) else pd.DataFrame({"": ["geen runs / no runs"]})

    def links(self, results, point_id) -> str:
        runs = self.state.point_runs()
        if not len(runs):
            return "Kies een ontwerppunt / Choose a design point"
        items = [f"[Open run {int(r)} in de workshop-app / in the workshop app]({self.state.workshop_url(r)})" for r in runs["run_id"]]
        return f"**Ontwerppunt / Design point {point_id}**\n\n" + "\n\n".join(items)


def create_app(root: str | Path | None = None) -> pn.viewable.Viewable:
    """The explorer: folder picker beside indices, scatter, parallel coordinates and runs."""
    state = ExplorerState(root=str(root) if root is not None else "")
    main = pn.Column(
        pn.pane.Markdown("## Verkenner van studies / Study explorer"),
        IndicesView(state=state),
        pn.Row(ScatterView(state=state), ParallelView(state=state), sizing_mode="stretch_width"),
        RunsView(state=state),
        sizing_mode="stretch_width",
    )
    app = pn.Row(FolderPicker(state=state), main, sizing_mode="stretch_width")
    app.state = state  # handy in notebooks and tests
    return app


if pn.state.served:
    create_app().servable(title="Verkenner van studies / Study explorer")
