"""Study explorer / Verkenner van studies: browse the results of a sensitivity study.

Pick a results folder below the studies folder (``var/studies/<name>``), then read:

- how far the study is: runs done of planned, read from the results folder and read
  again every few seconds while the study is still running;
- the indices of the study's design (Morris μ*, Sobol' S1/ST with their intervals, or
  rank correlations for other designs) for one output;
- a scatter of any input against that output (click a point to select it);
- parallel coordinates of all inputs, coloured by the output;
- the runs behind the selected design point, each with a link that opens it in the
  workshop app (``workshop?study=<folder>&run=<run_id>``, relative to this page).

Inputs and outputs are shown by their labels from the scenario schema and the indicator
table, Dutch with English alongside (``Zoekkans / Search probability (kans/week)``).

The explorer only reads below its studies folder (:func:`model.experiments.default_results_root`):
the folder box takes a path *inside* it and refuses ``..``, absolute paths, null bytes
and symlinks that lead out, with a message that names no server path.

Structure (STYLE.md): :class:`ExplorerState` holds what is chosen and loaded; views
are ``pn.viewable.Viewer`` s that read it; :func:`create_app` assembles them. Serve
with ``python -m apps.server`` (both apps on one server, so the workshop links work);
nothing is fetched from the internet.
"""
from __future__ import annotations

import html
import logging
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import urlencode

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param

from model.experiments.analysis import indices
from model.experiments.results import MANIFEST, StudyResults, default_results_root, list_results, load_results, part_files
from model.experiments.study import MorrisDesign, SobolDesign, StudyError

hv.extension("bokeh", logo=False)

log = logging.getLogger(__name__)

MAX_LINES = 400  # parallel coordinates: more lines than this are a random (seeded) subset
MAX_POINTS = 20_000
MAX_ROOT_CHARS = 200
POLL_MS = 3000  # how often a running study's folder is read again
STUDIES = "studies"  # how the studies folder is named on the page (never its server path)


# --------------------------------------------------------------------------- labels
def _declared() -> dict[str, tuple[str, str, str]]:
    """(Dutch label, English label, unit) of every indicator and numeric scenario field."""
    from model.indicators import INDICATORS
    from model.scenario import Scenario, numeric_fields

    labels = {f.path: (f.label_nl, f.label_en, f.unit) for f in numeric_fields(Scenario)}
    labels.update({name: (ind.label_nl, ind.label_en, ind.unit) for name, ind in INDICATORS.items()})
    return labels


def display_label(name: str) -> str:
    """Dutch label with the English one alongside and the unit (``Bereik / Reach (%)``); the name if none is declared."""
    found = _declared().get(name)
    if found is None:
        return name
    nl, en, unit = found
    text = nl if nl == en else f"{nl} / {en}"
    return f"{text} ({unit})" if unit else text


def short_label(name: str) -> str:
    """Dutch and English label without the unit, for axis ticks and table headers."""
    found = _declared().get(name)
    if found is None:
        return name
    nl, en, _ = found
    return nl if nl == en else f"{nl} / {en}"


def labelled(names: list[str]) -> dict[str, str]:
    """Options for a select widget: label shown, name kept."""
    return {display_label(n): n for n in names}


# --------------------------------------------------------------------------- the studies folder
class RootRefused(ValueError):
    """A folder typed in the root box that the explorer will not read."""


def resolve_below(base: Path, text: str) -> Path:
    """The folder ``text`` names inside ``base``; :class:`RootRefused` (a bilingual message) otherwise.

    ``text`` is a relative path such as ``""`` (the studies folder itself) or ``"spring/2025"``.
    """
    text = (text or "").strip()
    if "\x00" in text:
        raise RootRefused("De map bevat een nul-teken / The folder contains a null character")
    if len(text) > MAX_ROOT_CHARS:
        raise RootRefused(f"De map is langer dan {MAX_ROOT_CHARS} tekens / The folder is longer than {MAX_ROOT_CHARS} characters")
    if (PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or PureWindowsPath(text).drive
            or text.startswith(("\\", "~"))):
        raise RootRefused("Geef een map binnen de studiemap, geen absoluut pad / "
                          "Give a folder inside the studies folder, not an absolute path")
    parts = PureWindowsPath(text).parts  # splits on / and \ alike
    if ".." in parts:
        raise RootRefused("'..' is niet toegestaan: de verkenner leest alleen binnen de studiemap / "
                          "'..' is not allowed: the explorer only reads inside the studies folder")
    base = base.resolve()
    candidate = (base / Path(*parts)) if parts else base
    if not inside(base, candidate):
        raise RootRefused("Deze map verwijst buiten de studiemap / This folder leads outside the studies folder")
    return candidate


def inside(base: Path, path: Path) -> bool:
    """True when ``path``, with every symlink followed, lies in ``base`` (already resolved)."""
    try:
        return path.resolve().is_relative_to(base)
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name the OS refuses
        return False


def _readable(base: Path, folder: Path) -> bool:
    """A results folder whose every file the explorer reads stays inside ``base``."""
    files = [folder, folder / MANIFEST, folder / "design.parquet", *part_files(folder)]
    return all(inside(base, f) for f in files)


class ExplorerState(param.Parameterized):
    """What the explorer shows: the chosen results folder, output, input and design point."""

    root = param.String(default="", doc="folder inside the studies folder holding results folders ('' = the studies folder)")
    folder = param.Selector(default=None, objects=[], allow_None=True, doc="results folder (name under root)")
    results = param.ClassSelector(class_=StudyResults, default=None, allow_None=True, doc="the loaded results")
    output = param.Selector(default=None, objects=[], allow_None=True, doc="output (indicator) to analyse")
    x_input = param.Selector(default=None, objects=[], allow_None=True, doc="input on the scatter's x axis")
    point_id = param.Integer(default=None, allow_None=True, doc="selected design point")
    message = param.String(default="", doc="what went wrong, if anything")
    workshop_path = param.String(default="./workshop", doc="path of the workshop app, relative to the explorer's page")

    def __init__(self, studies_root: str | Path | None = None, **params):
        self._indices: tuple = (None, None, pd.DataFrame())
        self._signature: tuple = ()
        # the one folder this explorer reads below; fixed for its lifetime (not a widget)
        self.studies_root = Path(studies_root if studies_root is not None else default_results_root()).resolve()
        super().__init__(**params)
        self.refresh()

    # ------------------------------------------------------------------ loading
    def _where(self) -> str:
        return f"{STUDIES}/{self.root.strip()}".rstrip("/") if self.root.strip() else f"de studiemap / the studies folder ({STUDIES})"

    def _safe(self, text: str) -> str:
        """A message without the server's paths: the studies folder is called ``studies``."""
        for path in {str(self.studies_root), str(self.studies_root.resolve())}:
            text = text.replace(path, STUDIES)
        return text

    def refresh(self) -> None:
        """List the results folders under ``root`` again (newest first) and load the chosen or first."""
        try:
            base = resolve_below(self.studies_root, self.root)
            names = [p.name for p in list_results(base) if _readable(self.studies_root, p)]
            message = "" if names else (f"Geen resultaten in {self._where()} / No results in {self._where()}: "
                                        "run a study first (python -m model.experiments run ...)")
        except RootRefused as exc:
            names, message = [], str(exc)
        except OSError as exc:  # unreadable folder: say so without the path
            names, message = [], f"{self._where()} kan niet gelezen worden / cannot be read ({type(exc).__name__})"
        current = self.folder
        self.param.folder.objects = list(names)  # param may append None to the list it is given
        with param.parameterized.batch_call_watchers(self):
            if current in names:
                self._load()
            else:
                self.folder = names[0] if names else None
            if not names:
                self.results, self.message = None, message

    @param.depends("root", watch=True)
    def _root_changed(self) -> None:
        self.refresh()

    def _folder_path(self) -> Path:
        return resolve_below(self.studies_root, self.root) / self.folder

    @param.depends("folder", watch=True)
    def _load(self) -> None:
        if self.folder is None:
            return
        try:
            path = self._folder_path()
            if not _readable(self.studies_root, path):
                raise RootRefused("Deze map verwijst buiten de studiemap / This folder leads outside the studies folder")
            signature = self._part_signature(path)
            results = load_results(path)
        except RootRefused as exc:
            self.results, self.message = None, f"{self.folder}: {exc}"
            return
        except (StudyError, ValueError, KeyError, OSError) as exc:  # show the reason, keep the app alive
            self.results, self.message = None, self._safe(f"{self.folder}: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - never a traceback on the page; the log has it
            log.exception("explorer: cannot read results folder %s", self.folder)
            self.results, self.message = None, f"{self.folder} kan niet gelezen worden / cannot be read ({type(exc).__name__})"
            return
        self._signature = signature
        outputs, inputs = results.study.output_names, results.study.parameter_names
        keep = (self.results is not None and self.results.path == results.path  # the same study read again: keep the choices
                and self.results.manifest.get("fingerprint") == results.manifest.get("fingerprint"))
        self.param.output.objects = labelled(outputs)
        self.param.x_input.objects = labelled(inputs)
        with param.parameterized.batch_call_watchers(self):
            output, x_input, point_id = (self.output, self.x_input, self.point_id) if keep else (None, None, None)
            self.results = results
            self.message = "" if len(results.runs) else f"{self.folder}: nog geen runs / no runs yet"
            self.output = output if output in outputs else outputs[0]
            self.x_input = x_input if x_input in inputs else inputs[0]
            first = int(results.design["point_id"].iloc[0]) if len(results.design) else None
            self.point_id = point_id if keep and point_id is not None else first

    @staticmethod
    def _part_signature(path: Path) -> tuple:
        return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in part_files(path))

    def poll(self) -> bool:
        """Read the folder again if a running study wrote new runs since it was loaded; True if it did."""
        if self.results is None or self.folder is None or self.results.complete:
            return False
        try:
            changed = self._part_signature(self._folder_path()) != self._signature
        except (OSError, RootRefused):
            return False
        if changed:
            self._load()
        return changed

    # ------------------------------------------------------------------ derived data
    def progress(self) -> tuple[int, int, int]:
        """(runs done, runs planned, runs that failed) of the loaded study."""
        if self.results is None:
            return 0, 0, 0
        return len(self.results.runs), self.results.n_expected, len(self.results.errors)

    def _consistent(self) -> bool:
        """True when the chosen output and input belong to the loaded study (not mid-switch)."""
        return (self.results is not None and self.output in self.results.study.output_names
                and self.x_input in self.results.study.parameter_names)

    def means(self) -> pd.DataFrame:
        """Design points with the mean output over their successful replications (empty before any)."""
        if not self._consistent() or not len(self.results.ok) or self.output not in self.results.runs.columns:
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
                self.message = self._safe(str(exc))
                table = pd.DataFrame()
            if len(table) and "parameter" in table:
                table.insert(0, "label", table["parameter"].map(short_label))
            self._indices = (self.results, self.output, table)
        return table

    def point_runs(self) -> pd.DataFrame:
        if self.results is None or self.point_id is None:
            return pd.DataFrame()
        return self.results.runs_of_point(self.point_id)

    def workshop_url(self, run_id: int) -> str:
        """Link that opens a run in the workshop app: ``./workshop?study=<folder>&run=<run_id>``.

        Relative, so it reaches the workshop app on the server that serves this page
        (``/explorer`` → ``/workshop``), whatever its host, port or prefix.
        """
        study = f"{self.root.strip().strip('/')}/{self.folder}" if self.root.strip() else (self.folder or "")
        return f"{self.workshop_path}?{urlencode({'study': study, 'run': int(run_id)})}"


# --------------------------------------------------------------------------- views
def _md(text: object) -> str:
    """Text from a results folder, escaped so that it shows as text, never as markup."""
    return html.escape(str(text), quote=False).replace("*", "\\*").replace("_", "\\_").replace("`", "\\`")


def _code(text: object) -> str:
    """A value from a results folder as a Markdown code span (where backslash escapes would show)."""
    return "`" + html.escape(str(text), quote=False).replace("`", "'") + "`"


def _placeholder(text: str, height: int):
    """An empty plot that says why it is empty, the words in its middle."""
    return hv.Text(0.5, 0.5, text).opts(height=height, responsive=True, xaxis=None, yaxis=None, xlim=(0, 1), ylim=(0, 1),
                                        toolbar=None, text_font_size="14pt", text_color="#555555")


class FolderPicker(pn.viewable.Viewer):
    """Choose the folder and the results folder; shows what the folder holds."""

    state = param.ClassSelector(class_=ExplorerState)

    def __panel__(self):
        refresh = pn.widgets.Button(label="Vernieuwen / Refresh")
        refresh.on_click(lambda _event: self.state.refresh())
        return pn.Column(
            pn.widgets.TextInput.from_param(self.state.param.root, label="Map binnen de studiemap / Folder in the studies folder",
                                            placeholder="(leeg = de studiemap / empty = the studies folder)"),
            pn.widgets.Select.from_param(self.state.param.folder, label="Studie / Study"),
            refresh,
            pn.pane.Markdown(pn.bind(self._summary, self.state.param.results, self.state.param.message)),
            pn.widgets.Select.from_param(self.state.param.output, label="Uitkomst / Output"),
            pn.widgets.Select.from_param(self.state.param.x_input, label="Invoer / Input (x)"),
            pn.widgets.IntInput.from_param(self.state.param.point_id, label="Ontwerppunt / Design point"),
            width=340,
        )

    @staticmethod
    def _summary(results: StudyResults | None, message: str) -> str:
        lines = []
        if results is not None:
            s = results.study
            lines += [f"**{_md(s.name)}**: model {_code(s.model)}, ontwerp / design {_code(s.design.method)}",
                      f"{len(results.runs)} / {results.n_expected} runs, {len(results.errors)} fouten / errors"]
            if s.description:
                lines.append(_md(s.description))
        if message:
            lines.append(f"⚠ {_md(message)}")
        return "\n\n".join(lines)


class ProgressView(pn.viewable.Viewer):
    """How far the study is: runs done of planned, with a bar; reads the folder again while it runs."""

    state = param.ClassSelector(class_=ExplorerState)

    def __panel__(self):
        return pn.Column(pn.bind(self.view, self.state.param.results), sizing_mode="stretch_width")

    def text(self, results) -> str:
        done, planned, failed = self.state.progress()
        if results is None:
            return "Geen studie gekozen / No study chosen"
        share = 100 * done / planned if planned else 0.0
        if planned and done >= planned:
            state = "klaar / complete"
        elif done == 0:
            state = "gestart, nog geen runs geschreven / started, no runs written yet"
        else:
            state = "loopt / running"
        failed_text = f", {failed} mislukt / failed" if failed else ""
        return (f"**{_md(results.study.name)}**: {done} van {planned} runs gedaan / "
                f"{done} of {planned} runs done ({share:.0f} %){failed_text} — {state}")

    def view(self, results):
        done, planned, _ = self.state.progress()
        bar = pn.indicators.Progress(value=min(done, planned), max=max(planned, 1), sizing_mode="stretch_width",
                                     height=16, bar_color="success" if planned and done >= planned else "info")
        return pn.Column(pn.pane.Markdown(self.text(results)), bar, sizing_mode="stretch_width")


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
        if not len(table):
            return pd.DataFrame({"": ["geen indices / no indices yet"]})
        return table.drop(columns=["parameter"]).round(4).rename(columns={"label": "invoer / input"})

    def plot(self, results, output):
        table = self.state.index_table()
        if not len(table):
            return _placeholder("Geen indices / No indices yet", 300)
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
        frame = table[["label", value] + ([conf] if conf else [])].copy()
        bars = hv.Bars(frame, hv.Dimension("label", label="invoer / input"), value).opts(
            title=title, height=300, responsive=True, xrotation=20, tools=["hover"], color="#3a7ca5")
        if conf is None:
            return bars
        errors = hv.ErrorBars(frame, "label", [value, conf])
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
            return _placeholder("Nog geen runs / No runs yet", 320)
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
            return _placeholder("Nog geen runs / No runs yet", 340)
        inputs = results.study.parameter_names
        data = means.dropna(subset=[output])
        if len(data) > MAX_LINES:
            data = data.sample(MAX_LINES, random_state=0)
        bounds = results.study.bounds()
        scaled = np.column_stack([(data[p] - bounds[p][0]) / (bounds[p][1] - bounds[p][0]) for p in inputs])
        xs = np.arange(len(inputs), dtype=float)
        # axis names that no output can be called (an analytic model's output is "y")
        lines = [{"_input": xs, "_scaled": row, output: value} for row, value in zip(scaled, data[output].to_numpy())]
        return hv.Contours(lines, ["_input", "_scaled"], [hv.Dimension(output, label=short_label(output))]).opts(
            color=output, cmap="viridis", colorbar=True, line_width=1.2, alpha=0.5, responsive=True, height=340,
            xticks=[(i, short_label(p)) for i, p in enumerate(inputs)], xrotation=20, ylim=(-0.02, 1.02),
            xlabel="", ylabel="binnen grenzen / within bounds (0–1)", tools=["hover"],
            title=f"Parallelle coördinaten / Parallel coordinates — {display_label(output)}")


class RunsView(pn.viewable.Viewer):
    """The runs behind the selected design point, with a link to open each in the workshop app."""

    state = param.ClassSelector(class_=ExplorerState)

    def __panel__(self):
        return pn.Column(
            pn.pane.HTML(pn.bind(self.links, self.state.param.results, self.state.param.point_id), sizing_mode="stretch_width"),
            pn.widgets.Tabulator(pn.bind(self.table, self.state.param.results, self.state.param.point_id), disabled=True,
                                 show_index=False, height=220, sizing_mode="stretch_width"),
        )

    def table(self, results, point_id) -> pd.DataFrame:
        runs = self.state.point_runs()
        if not len(runs):
            return pd.DataFrame({"": ["geen runs / no runs"]})
        return runs.rename(columns={c: short_label(c) for c in runs.columns})

    def links(self, results, point_id) -> str:
        runs = self.state.point_runs()
        if not len(runs):
            return "<p>Kies een ontwerppunt / Choose a design point</p>"
        items = [f'<li><a href="{html.escape(self.state.workshop_url(r))}" target="_blank" rel="noopener">'
                 f"Open run {int(r)} in de workshop-app / in the workshop app</a></li>" for r in runs["run_id"]]
        return f"<p><b>Ontwerppunt / Design point {int(point_id)}</b></p><ul>{''.join(items)}</ul>"


def create_app(studies_root: str | Path | None = None) -> pn.viewable.Viewable:
    """The explorer: folder picker beside progress, indices, scatter, parallel coordinates and runs.

    ``studies_root`` is the folder the explorer reads below (default
    :func:`model.experiments.default_results_root`). When served, a running study's
    folder is read again every few seconds.
    """
    state = ExplorerState(studies_root=studies_root)
    main = pn.Column(
        pn.pane.Markdown("## Verkenner van studies / Study explorer"),
        ProgressView(state=state),
        IndicesView(state=state),
        pn.Row(ScatterView(state=state), ParallelView(state=state), sizing_mode="stretch_width"),
        RunsView(state=state),
        sizing_mode="stretch_width",
    )
    app = pn.Row(FolderPicker(state=state), main, sizing_mode="stretch_width")
    app.state = state  # handy in notebooks and tests
    if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
        pn.state.add_periodic_callback(state.poll, period=POLL_MS)
    return app


if pn.state.served:
    create_app().servable(title="Verkenner van studies / Study explorer")
