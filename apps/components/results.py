"""Views of what a run did, of the comparison and of the store; plus the run controls.

Each view renders the :class:`~apps.components.state.WorkshopState` and updates its
panes in place (``.object`` of an HTML pane, ``.data`` of a Bokeh source) when the
state changes.
"""
from __future__ import annotations

import html
import io

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models import ColumnDataSource, Legend, LegendItem
from bokeh.plotting import figure

from model.indicators import INDICATORS

from .i18n import number, unit_label
from .readout import KEY_CARDS, interval_text, signed
from .updates import Deferred, session_schedule
from .state import WorkshopState, design_key
from .upload import UploadBox
from .widgets import MessageView, NumberBox, touch

# verdict code (model.compare) -> (background, border, arrow): blue for better, orange for worse (colour-blind
# safe), grey for no clear difference; a word and an arrow too, so nothing depends on colour alone
VERDICT_STYLE = {"better": ("#e8f1fb", "#0072B2", "▲"), "worse": ("#fdf0e6", "#D55E00", "▼"),
                 "higher": ("#f2f2f2", "#555555", "↑"), "lower": ("#f2f2f2", "#555555", "↓"),
                 "no_clear_difference": ("#f2f2f2", "#777777", "≈"), None: ("#f2f2f2", "#777777", "")}
VERDICT_TEXT_COLOUR = {"better": "#0057a0", "worse": "#b34700", "higher": "#333333", "lower": "#333333",
                       "no_clear_difference": "#555555", None: "#333333"}


def _session_schedule():
    """How to get back onto this session's thread (with the document lock) from a worker thread."""
    return session_schedule()


class RunControls(pn.viewable.Viewer):
    """Run button, full-population run, scale and seeds, progress, undo/redo/reset, presenter view and language."""

    state = param.ClassSelector(class_=WorkshopState)
    presenting = param.Boolean(default=False, doc="the presenter view is on")

    def __init__(self, **params):
        super().__init__(**params)
        s = self.state
        self.run = touch(pn.widgets.Button(color="success", sizing_mode="stretch_width", height=60))
        self.run.stylesheets = [*self.run.stylesheets, ".bk-btn { font-size: 19px; }"]
        self.full = touch(pn.widgets.Button(color="default", sizing_mode="stretch_width"))
        self.undo = touch(pn.widgets.Button(color="warning", sizing_mode="stretch_width"))
        self.redo = touch(pn.widgets.Button(color="warning", variant="outline", sizing_mode="stretch_width"))
        self.reset = touch(pn.widgets.Button(color="default", sizing_mode="stretch_width"))
        self.present = touch(pn.widgets.Toggle(value=False, color="primary", sizing_mode="stretch_width"))
        self.lang = touch(pn.widgets.RadioButtonGroup(options={"Nederlands": "nl", "English": "en"}, value=s.lang,
                                                      color="primary", sizing_mode="stretch_width"))
        self.scale = NumberBox(state=s, path="population_scale", lo=0.005, hi=1.0, unit="aandeel",
                               label_key="scale", value=s.population_scale, on_value=lambda v: setattr(s, "population_scale", float(v)))
        self.seeds = touch(pn.widgets.IntSlider(start=2, end=5, value=s.n_seeds, sizing_mode="stretch_width"))
        self.progress = pn.indicators.Progress(value=0, max=100, visible=False, sizing_mode="stretch_width", height=24,
                                               bar_color="success")
        self.status = pn.pane.Markdown("", styles={"font-size": "17px"}, css_classes=["run-status"])
        self.design = pn.pane.Markdown("", styles={"font-size": "18px"})
        self.run.on_click(self._run)
        self.full.on_click(self._run_full)
        self.undo.on_click(lambda e: s.undo())
        self.redo.on_click(lambda e: s.redo())
        self.reset.on_click(lambda e: s.reset())
        self.present.param.watch(lambda e: setattr(self, "presenting", bool(e.new)), "value")
        self.lang.param.watch(lambda e: setattr(s, "lang", e.new), "value")
        self.seeds.param.watch(lambda e: setattr(s, "n_seeds", int(e.new)), "value")
        s.watch(self._progress, ["running", "progress", "run_index", "seconds_left"])
        s.watch(self._relabel, ["lang", "revision", "version", "can_undo", "can_redo"])
        self._relabel()

    def _run(self, event=None):
        self.state.start_run(full=False, schedule=_session_schedule())

    def _run_full(self, event=None):
        self.state.start_run(full=True, schedule=_session_schedule())

    def _progress(self, *_):
        s = self.state
        with pn.io.hold():
            self.progress.visible = s.running
            self.progress.value = int(s.progress)
            self.status.object = html.escape(s.status_text())
            self.run.disabled = s.running
            self.full.disabled = s.running

    def _relabel(self, *_):
        s = self.state
        with pn.io.hold():
            self.run.label, self.full.label = s.t("run"), s.t("run_full")
            self.undo.label, self.redo.label, self.reset.label = s.t("undo"), s.t("redo"), s.t("reset")
            self.undo.disabled, self.redo.disabled = not s.can_undo, not s.can_redo
            self.present.label = s.t("presenter_back") if self.present.value else s.t("presenter")
            self.seeds.name = s.t("seeds")
            saved = s.revision is not None and design_key(s.scenario) == design_key(s.revision.scenario)
            label = s.revision.label if saved else f"{s.scenario.name} ({s.t('unsaved')})"
            self.design.object = f"**{html.escape(s.t('design_of', name=label))}**"
        self.scale.relabel()

    def secondary(self) -> list:
        """The controls the presenter view hides (run, progress and the presenter toggle stay)."""
        return [self.lang, self.design, self.undo, self.redo, self.reset, self._divider, self.scale.__panel__(), self.seeds,
                self.full]

    def __panel__(self):
        if getattr(self, "_panel", None) is not None:
            return self._panel
        self._divider = pn.layout.Divider()
        self._panel = pn.Column(self.lang, self.design, self.run, self.progress, self.status, self.undo, self.redo, self.reset,
                                self.present, self._divider, self.scale, self.seeds, self.full, sizing_mode="stretch_width")
        return self._panel


def card_html(c, size: float = 1.0) -> str:
    """One indicator card (``size`` scales the type: 1 on the table, larger in the presenter view)."""
    bg, border, arrow = VERDICT_STYLE.get(c.verdict, VERDICT_STYLE[None])
    colour = VERDICT_TEXT_COLOUR.get(c.verdict, "#333333")
    px = lambda n: f"{round(n * size)}px"  # noqa: E731
    return (f'<div class="card" data-indicator="{html.escape(c.name)}" data-verdict="{html.escape(c.verdict or "")}" '
            f'style="background:{bg};border-left:8px solid {border};padding:8px 12px;border-radius:6px;'
            f'min-width:{px(210)};flex:1 1 {px(210)}">'
            f'<div style="font-size:{px(17)};font-weight:600">{html.escape(c.label)}</div>'
            f'<div style="font-size:{px(30)};font-weight:700">{html.escape(c.value_text)} '
            f'<span style="font-size:{px(17)}">{html.escape(c.unit)}</span></div>'
            f'<div class="delta" style="font-size:{px(16)};color:{colour};font-weight:600">{arrow} {html.escape(c.delta_text)}</div>'
            + (f'<div style="font-size:{px(14)};color:#333">{html.escape(c.spread_text)}</div>' if size <= 1 else "")
            + (f'<div style="font-size:{px(14)};color:#333">{html.escape(c.meaning)}</div></div>' if size <= 1 else "</div>"))


class CardsView(pn.viewable.Viewer):
    """Indicator cards: value, unit, change against the baseline with its interval and verdict, meaning."""

    state = param.ClassSelector(class_=WorkshopState)
    names = param.Parameter(default=None, doc="tuple of indicators shown (default: all cards)")
    size = param.Number(default=1.0, doc="type size factor (the presenter view uses larger type)")

    def __init__(self, **params):
        super().__init__(**params)
        self._html = pn.pane.HTML("", sizing_mode="stretch_width")
        self.state.watch(self._render, ["results", "baseline", "paired", "lang", "version"])
        self._render()

    def _render(self, *_):
        s = self.state
        cards = s.cards(self.names) if self.names else s.cards()
        if not cards:
            self._html.object = f'<div style="font-size:{round(19 * self.size)}px;padding:8px">{html.escape(s.t("need_run"))}</div>'
            return
        stale = (f'<div class="stale" style="font-size:18px;padding:8px;margin-bottom:6px;background:#fff3cd;'
                 f'border-left:8px solid #E69F00">{html.escape(s.t("results_stale"))}</div>') if s.results_out_of_date else ""
        parts = [card_html(c, self.size) for c in cards]
        self._html.object = stale + f'<div style="display:flex;flex-wrap:wrap;gap:8px">{"".join(parts)}</div>'

    def __panel__(self):
        return self._html


class TimelineView(pn.viewable.Viewer):
    """Week by week: the design (mean and min–max band over seeds) against the baseline."""

    state = param.ClassSelector(class_=WorkshopState)
    indicator = param.Selector(default="reach", objects=list(INDICATORS))

    def __init__(self, **params):
        super().__init__(**params)
        self._select = touch(pn.widgets.Select(options={}, value=self.indicator, sizing_mode="stretch_width"))
        self._select.param.watch(lambda e: setattr(self, "indicator", e.new), "value")
        self._src = {k: ColumnDataSource({"week": [], "mean": [], "lo": [], "hi": []}) for k in ("design", "baseline")}
        p = figure(height=300, sizing_mode="stretch_width", toolbar_location=None, tools="")
        p.varea("week", "lo", "hi", source=self._src["baseline"], fill_color="#E69F00", fill_alpha=0.25)
        b = p.line("week", "mean", source=self._src["baseline"], line_color="#D55E00", line_width=3, line_dash="dashed")
        p.varea("week", "lo", "hi", source=self._src["design"], fill_color="#56B4E9", fill_alpha=0.35)
        d = p.line("week", "mean", source=self._src["design"], line_color="#0072B2", line_width=4)
        self._legend = Legend(items=[LegendItem(label="", renderers=[d]), LegendItem(label="", renderers=[b])],
                              location="top_left", label_text_font_size="15px")
        p.add_layout(self._legend)
        p.xaxis.axis_label_text_font_size = p.yaxis.axis_label_text_font_size = "15px"
        p.xaxis.major_label_text_font_size = p.yaxis.major_label_text_font_size = "14px"
        self._fig = p
        self._defer = Deferred(lambda: self._fig)
        self._note = pn.pane.Markdown("", styles={"font-size": "15px"})
        self.state.watch(self._render, ["results", "baseline", "lang"])
        self.param.watch(self._render, "indicator")
        self._render()

    def _render(self, *_):
        s = self.state
        ind = INDICATORS[self.indicator]
        data = {}
        for key, summary in (("design", s.results), ("baseline", s.baseline)):
            if summary is None:
                data[key] = {"week": [], "mean": [], "lo": [], "hi": []}
                continue
            w = summary.weekly[summary.weekly["indicator"] == self.indicator]
            data[key] = {c: w[c].to_numpy() for c in ("week", "mean", "lo", "hi")}
        labels = (f"{ind.label(s.lang)} ({unit_label(ind.unit, s.lang)})", s.t("week"), s.t("current_design"), s.t("baseline"))

        def draw():
            self._fig.yaxis.axis_label, self._fig.xaxis.axis_label = labels[0], labels[1]
            self._legend.items[0].label = {"value": labels[2]}
            self._legend.items[1].label = {"value": labels[3]}
            for key, values in data.items():
                self._src[key].data = values

        self._defer("timeline", draw)
        n = len(s.results.seeds) if s.results is not None else 0
        with pn.io.hold():
            self._select.label = s.t("timeline_indicator")
            self._select.options = {INDICATORS[name].label(s.lang): name for name in INDICATORS}
            self._note.object = f"*{ind.meaning(s.lang)}; {s.t('band', n=n)}*" if n else ""

    def __panel__(self):
        return pn.Column(self._select, pn.pane.Bokeh(self._fig, sizing_mode="stretch_width"), self._note,
                         sizing_mode="stretch_width")


class GainsView(pn.viewable.Viewer):
    """Who gains, who loses: the wijken whose reach changes clearly against the baseline (with intervals)."""

    state = param.ClassSelector(class_=WorkshopState)

    def __init__(self, **params):
        super().__init__(**params)
        self._md = pn.pane.Markdown("", styles={"font-size": "17px"}, sizing_mode="stretch_width")
        self.state.watch(self._render, ["results", "baseline", "paired", "lang"])
        self._render()

    def _render(self, *_):
        s = self.state
        if s.results is None or s.paired is None:
            self._md.object = ""
            return
        gains, losses, unclear = s.gains_and_losses()
        n = len(s.results.seeds)

        def fmt(frame):
            if frame.empty:
                return s.t("no_clear_gains")
            return ", ".join(f"{html.escape(str(w))} ({signed(r['diff'], 1)} {s.t('pct_points')}; "
                             f"{interval_text(r['lo'], r['hi'], 1)})" for w, r in frame.iterrows())

        note = s.t("wijk_noise", n=n, scale=number(100 * s.results.population_scale, 0)) if s.results.population_scale < 1 else ""
        self._md.object = (f"#### {s.t('who_gains')}\n**{s.t('gains')}:** {fmt(gains)}  \n"
                           f"**{s.t('losses')}:** {fmt(losses)}  \n{s.t('no_clear_wijken', n=unclear)}"
                           + (f"  \n*{note}*" if note else ""))

    def __panel__(self):
        return self._md


def _table_html(frame: pd.DataFrame, verdicts: dict[str, list] | None = None) -> str:
    """A plain, large-type table; a difference column is coloured by its verdict (by the indicator's
    direction: blue better, orange worse, grey no clear difference), never by its sign alone."""
    if frame.empty:
        return ""
    verdicts = verdicts or {}
    head = "".join(f"<th style='padding:4px 8px;text-align:right'>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for i, (_, row) in enumerate(frame.iterrows()):
        cells = []
        for col in frame.columns:
            v = row[col]
            style = "padding:4px 8px"
            if col in verdicts:
                code = verdicts[col][i]
                bg, border, arrow = VERDICT_STYLE.get(code, VERDICT_STYLE[None])
                style += f";color:{VERDICT_TEXT_COLOUR.get(code, '#333')};font-weight:600;background:{bg}"
            if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool):
                text = signed(float(v)) if col in verdicts else number(float(v))
                cells.append(f"<td data-verdict='{html.escape(str(verdicts[col][i]) if col in verdicts else '')}' "
                             f"style='{style};text-align:right'>{text}</td>")
            else:
                cells.append(f"<td style='{style}'>{html.escape(str(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<div style='overflow-x:auto'><table style='border-collapse:collapse;font-size:16px;width:100%'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


class CompareView(pn.viewable.Viewer):
    """The design next to the baseline and saved scenarios: per indicator and per wijk."""

    state = param.ClassSelector(class_=WorkshopState)

    def __init__(self, **params):
        super().__init__(**params)
        s = self.state
        self.choice = touch(pn.widgets.Select(options=[], sizing_mode="stretch_width"))
        self.add = touch(pn.widgets.Button(color="primary"))
        self.clear = touch(pn.widgets.Button(color="default"))
        self.table = pn.pane.HTML("", sizing_mode="stretch_width")
        self.wijk_table = pn.pane.HTML("", sizing_mode="stretch_width", max_height=520, styles={"overflow-y": "auto"})
        self._wijk_title = pn.pane.Markdown("")
        self.add.on_click(lambda e: s.compare_with(self.choice.value, schedule=_session_schedule()) if self.choice.value else None)
        self.clear.on_click(lambda e: s.clear_comparison())
        s.watch(self._render, ["results", "baseline", "comparison", "compared", "lang"])
        s.watch(self._options, ["store_version", "lang"])
        self._options()
        self._render()

    def _options(self, *_):
        s = self.state
        with pn.io.hold():
            self.choice.label = s.t("compare_with")
            self.choice.options = list(s.compare_options())
            self.add.label, self.clear.label = s.t("compare_button"), s.t("compare_clear")

    def _render(self, *_):
        s = self.state
        if s.results is None:
            self.table.object = f"<p style='font-size:18px'>{html.escape(s.t('need_run'))}</p>"
            self.wijk_table.object = ""
            self._wijk_title.object = ""
            return
        frame = s.compare_table()
        codes = s.readout.compare_verdicts()
        verdicts = {}
        for label in codes.columns:
            for col in (f"{s.t('difference')} ↔ {label}", f"{s.t('verdict')} ↔ {label}"):
                if col in frame.columns:
                    verdicts[col] = list(codes[label])
        wijk = s.compare_wijk_table()
        wijk_codes = list(s.readout.wijk_verdicts().reindex(wijk["wijk"]).fillna("no_clear_difference")) if s.paired is not None else []
        wijk_cols = {c: wijk_codes for c in (f"{s.t('difference')} ↔ {s.t('baseline')}", s.t("verdict")) if c in wijk.columns}
        with pn.io.hold():
            self.table.object = _table_html(frame, verdicts)
            self._wijk_title.object = f"#### {s.t('per_wijk')}"
            self.wijk_table.object = _table_html(wijk, wijk_cols)

    def __panel__(self):
        return pn.Column(pn.Row(self.choice, pn.Column(pn.Spacer(height=24), pn.Row(self.add, self.clear))),
                         self.table, self._wijk_title, self.wijk_table, sizing_mode="stretch_width")


class SaveView(pn.viewable.Viewer):
    """Save as a named revision (unchanged designs and names of other tables are caught); open, branch,
    export and import (read in a worker thread, with the loader's limits); the link that reopens it."""

    state = param.ClassSelector(class_=WorkshopState)

    def __init__(self, **params):
        super().__init__(**params)
        s = self.state
        self.name_input = touch(pn.widgets.TextInput(value=s.scenario.name, sizing_mode="stretch_width", max_length=120))
        self.group = touch(pn.widgets.TextInput(sizing_mode="stretch_width", max_length=80))
        self.notes = touch(pn.widgets.TextAreaInput(height=90, sizing_mode="stretch_width", max_length=2000))
        self.save_button = touch(pn.widgets.Button(color="success", sizing_mode="stretch_width"))
        self.branch_instead = touch(pn.widgets.Button(color="primary", sizing_mode="stretch_width", visible=False))
        self.feedback = MessageView(state=s, height=80)
        self.link = pn.pane.HTML("", sizing_mode="stretch_width")
        self.saved = touch(pn.widgets.Select(options=[], sizing_mode="stretch_width"))
        self.open = touch(pn.widgets.Button(color="primary", width=140))
        self.branch_name = touch(pn.widgets.TextInput(sizing_mode="stretch_width", max_length=120))
        self.branch = touch(pn.widgets.Button(color="default", width=220))
        self.download = touch(pn.widgets.FileDownload(callback=self._yaml, filename="scenario.yaml", color="default",
                                                      sizing_mode="stretch_width"))
        # the browser checks the size before sending (a file above the websocket's limit would drop the session)
        self.upload = UploadBox(accept=".yaml,.yml", max_bytes=s.library.max_upload_bytes, sizing_mode="stretch_width",
                                min_height=52)
        self._upload_title = pn.pane.Markdown("")
        self.save_button.on_click(lambda e: s.save(self._text(self.name_input), group=self._text(self.group),
                                                   notes=self._text(self.notes)))
        self.branch_instead.on_click(lambda e: s.save_as_branch(group=self._text(self.group), notes=self._text(self.notes)))
        self.open.on_click(lambda e: s.open_label(self.saved.value) if self.saved.value else None)
        self.branch.on_click(lambda e: s.branch(self._text(self.branch_name), group=self._text(self.group)))
        self.upload.param.watch(self._uploaded, "value")
        self.upload.param.watch(self._refused, "refusal")
        s.watch(self._relabel, ["lang"])
        s.watch(self._refresh, ["store_version", "revision", "lang", "version", "conflict"])
        self._relabel()

    @staticmethod
    def _text(widget) -> str:
        return (widget.value_input if getattr(widget, "value_input", None) is not None else widget.value) or ""

    def _yaml(self):
        s = self.state
        self.download.filename = f"{s.scenario.name}.yaml"
        return io.StringIO(s.export_yaml())

    def _uploaded(self, event):
        if event.new:
            s = self.state
            s.notify(s.t("reading_upload"), "info")
            s.import_yaml(event.new, filename=self.upload.filename or "upload.yaml", group=self._text(self.group),
                          schedule=_session_schedule())

    def _refused(self, event):
        if event.new:
            self.state.refuse_upload(event.new["name"], event.new["size"], event.new.get("readable", True))

    def _refresh(self, *_):
        s = self.state
        with pn.io.hold():
            options = list(s.compare_options())
            self.saved.options = options
            if s.revision is not None and s.revision.label in options:
                self.saved.value = s.revision.label
            if self.name_input.value != s.scenario.name:
                self.name_input.value = s.scenario.name
            if s.conflict is not None:
                self.branch_instead.label = s.t("save_branch", name=s.conflict.suggestion)
            self.branch_instead.visible = s.conflict is not None
            if s.link:
                href = html.escape(s.link)
                self.link.object = (f"<div style='font-size:18px'><b>{html.escape(s.t('link'))}:</b> "
                                    f"<a class='scenario-link' href='{href}'>{href}</a></div>")
            else:
                self.link.object = f"<div style='font-size:17px'>{html.escape(s.t('nothing_saved'))}</div>"

    def _relabel(self, *_):
        s = self.state
        with pn.io.hold():
            self.name_input.label, self.group.label, self.notes.label = s.t("scenario_name"), s.t("group"), s.t("notes")
            self.save_button.label, self.saved.label, self.open.label = s.t("save"), s.t("saved_list"), s.t("reload")
            self.branch_name.label, self.branch.label = s.t("branch_name"), s.t("branch")
            self.download.label = s.t("export")
            mb = s.library.max_upload_bytes // 1_000_000
            self._upload_title.object = f"**{s.t('import')}** ({s.t('upload_limit', mb=mb)})"
            self.upload.label = f"{s.t('import')} ({s.t('upload_limit', mb=mb)})"
        self._refresh()

    def __panel__(self):
        return pn.Column(self.name_input, self.group, self.notes, self.save_button, self.branch_instead, self.feedback,
                         self.link, pn.layout.Divider(),
                         pn.Row(self.saved, pn.Column(pn.Spacer(height=24), self.open)),
                         pn.Row(self.branch_name, pn.Column(pn.Spacer(height=24), self.branch)),
                         pn.layout.Divider(), self.download, self._upload_title, self.upload, sizing_mode="stretch_width")
