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
from .updates import Deferred
from .state import WorkshopState, design_key
from .widgets import touch

# verdict -> (background, border): blue for better, orange for worse (colour-blind safe), with a word and an arrow too
VERDICT_STYLE = {"better": ("#e8f1fb", "#0072B2", "▲"), "worse": ("#fdf0e6", "#D55E00", "▼"),
                 "same": ("#f2f2f2", "#777777", "="), None: ("#f2f2f2", "#777777", "")}


def _session_schedule():
    """How to get back onto this session's thread (with the document lock) from a worker thread."""
    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        return doc.add_next_tick_callback
    return None


class MessageView(pn.viewable.Viewer):
    """The last message, always visible (an alert), and as a toast when served."""

    state = param.ClassSelector(class_=WorkshopState)

    def __init__(self, **params):
        super().__init__(**params)
        self._alert = pn.pane.Alert("", alert_type="info", visible=False, sizing_mode="stretch_width",
                                    styles={"font-size": "18px"})
        self.state.param.watch(self._show, ["message_count"])

    def _show(self, *_):
        s = self.state
        with pn.io.hold():
            self._alert.object = html.escape(s.message)
            self._alert.alert_type = s.message_kind
            self._alert.visible = bool(s.message)
        notes = pn.state.notifications
        if notes is not None and s.message and s.message_kind in ("danger", "warning"):
            try:
                (notes.error if s.message_kind == "danger" else notes.warning)(s.message, duration=6000)
            except Exception:  # noqa: BLE001 - a toast is a nicety; the alert stays
                pass

    def __panel__(self):
        return self._alert


class RunControls(pn.viewable.Viewer):
    """Run button, full-population run, scale and seeds, progress, undo and language."""

    state = param.ClassSelector(class_=WorkshopState)

    def __init__(self, **params):
        super().__init__(**params)
        s = self.state
        self.run = touch(pn.widgets.Button(color="success", sizing_mode="stretch_width", height=60))
        self.run.stylesheets = [*self.run.stylesheets, ".bk-btn { font-size: 19px; }"]
        self.full = touch(pn.widgets.Button(color="default", sizing_mode="stretch_width"))
        self.undo = touch(pn.widgets.Button(color="warning", sizing_mode="stretch_width"))
        self.lang = touch(pn.widgets.RadioButtonGroup(options={"Nederlands": "nl", "English": "en"}, value=s.lang,
                                                      color="primary", sizing_mode="stretch_width"))
        self.scale = touch(pn.widgets.FloatInput(value=s.population_scale, step=0.01, sizing_mode="stretch_width"))
        self.seeds = touch(pn.widgets.IntSlider(start=1, end=5, value=s.n_seeds, sizing_mode="stretch_width"))
        self.progress = pn.indicators.Progress(value=0, max=100, visible=False, sizing_mode="stretch_width", height=24,
                                               bar_color="success")
        self.status = pn.pane.Markdown("", styles={"font-size": "17px"})
        self.design = pn.pane.Markdown("", styles={"font-size": "18px"})
        self.run.on_click(self._run)
        self.full.on_click(self._run_full)
        self.undo.on_click(lambda e: s.undo())
        self.lang.param.watch(lambda e: setattr(s, "lang", e.new), "value")
        self.scale.param.watch(self._scale, "value")
        self.seeds.param.watch(lambda e: setattr(s, "n_seeds", int(e.new)), "value")
        s.param.watch(self._progress, ["running", "progress", "status"])
        s.param.watch(self._relabel, ["lang", "revision", "version"])
        self._relabel()

    def _run(self, event=None):
        self.state.start_run(full=False, schedule=_session_schedule())

    def _run_full(self, event=None):
        self.state.start_run(full=True, schedule=_session_schedule())

    def _scale(self, event):
        s = self.state
        lo, hi = s.param.population_scale.bounds
        if event.new is None or not (lo <= event.new <= hi):
            s.refuse(s.t("out_of_range", label=s.t("scale"), value=event.new, lo=lo, hi=hi, unit=""))
            self.scale.value = s.population_scale
            return
        s.population_scale = float(event.new)

    def _progress(self, *_):
        s = self.state
        with pn.io.hold():
            self.progress.visible = s.running
            self.progress.value = int(s.progress)
            self.status.object = s.status
            self.run.disabled = s.running
            self.full.disabled = s.running

    def _relabel(self, *_):
        s = self.state
        with pn.io.hold():
            self.run.label, self.full.label, self.undo.label = s.t("run"), s.t("run_full"), s.t("undo")
            self.scale.label, self.seeds.label = s.t("scale"), s.t("seeds")
            saved = s.revision is not None and design_key(s.scenario) == design_key(s.revision.scenario)
            label = s.revision.label if saved else f"{s.scenario.name} ({s.t('unsaved')})"
            self.design.object = f"**{s.t('design_of', name=html.escape(label))}**"

    def __panel__(self):
        return pn.Column(self.lang, self.design, self.run, self.progress, self.status, self.undo,
                         pn.layout.Divider(), self.scale, self.seeds, self.full, sizing_mode="stretch_width")


class CardsView(pn.viewable.Viewer):
    """Indicator cards: value, unit, change against the baseline, spread over seeds, meaning."""

    state = param.ClassSelector(class_=WorkshopState)

    def __init__(self, **params):
        super().__init__(**params)
        self._html = pn.pane.HTML("", sizing_mode="stretch_width")
        self.state.param.watch(self._render, ["results", "baseline", "lang", "version"])
        self._render()

    def _render(self, *_):
        s = self.state
        cards = s.cards()
        if not cards:
            self._html.object = f'<div style="font-size:19px;padding:8px">{html.escape(s.t("need_run"))}</div>'
            return
        stale = (f'<div class="stale" style="font-size:18px;padding:8px;margin-bottom:6px;background:#fff3cd;'
                 f'border-left:8px solid #E69F00">{html.escape(s.t("results_stale"))}</div>') if s.results_out_of_date else ""
        parts = []
        for c in cards:
            bg, border, arrow = VERDICT_STYLE[c.verdict]
            parts.append(
                f'<div class="card" data-indicator="{c.name}" style="background:{bg};border-left:8px solid {border};'
                f'padding:8px 12px;border-radius:6px;min-width:210px;flex:1 1 210px">'
                f'<div style="font-size:17px;font-weight:600">{html.escape(c.label)}</div>'
                f'<div style="font-size:30px;font-weight:700">{c.value_text} <span style="font-size:17px">{html.escape(c.unit)}</span></div>'
                f'<div style="font-size:16px;color:{border};font-weight:600">{arrow} {html.escape(c.delta_text)}</div>'
                f'<div style="font-size:14px;color:#333">{html.escape(c.spread_text)}</div>'
                f'<div style="font-size:14px;color:#333">{html.escape(c.meaning)}</div></div>')
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
        self.state.param.watch(self._render, ["results", "baseline", "lang"])
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
    """Who gains, who loses: the wijken whose reach changes most against the baseline."""

    state = param.ClassSelector(class_=WorkshopState)

    def __init__(self, **params):
        super().__init__(**params)
        self._md = pn.pane.Markdown("", styles={"font-size": "17px"}, sizing_mode="stretch_width")
        self.state.param.watch(self._render, ["results", "baseline", "lang"])
        self._render()

    def _render(self, *_):
        s = self.state
        if s.results is None or s.baseline is None:
            self._md.object = ""
            return
        gains, losses = s.gains_and_losses()
        spread = s.wijk_change_range()
        n = len(s.results.seeds)

        def fmt(series):
            if series.empty:
                return s.t("no_change")
            parts = []
            for w, v in series.items():
                text = f"{w} ({'+' if v > 0 else '−'}{number(abs(v), 1)} {s.t('pct_points')}"
                if n > 1 and w in spread.index:
                    text += f"; {number(spread.loc[w, 'lo'], 1)} … {number(spread.loc[w, 'hi'], 1)}"
                parts.append(text + ")")
            return ", ".join(parts)

        note = s.t("wijk_noise", n=n, scale=number(100 * s.results.population_scale, 0)) if s.results.population_scale < 1 else ""
        self._md.object = (f"#### {s.t('who_gains')}\n**{s.t('gains')}:** {fmt(gains)}  \n"
                           f"**{s.t('losses')}:** {fmt(losses)}" + (f"  \n*{note}*" if note else ""))

    def __panel__(self):
        return self._md


def _table_html(frame: pd.DataFrame, diff_cols: list[str]) -> str:
    """A plain, large-type table; differences signed and coloured (blue up, orange down)."""
    if frame.empty:
        return ""
    head = "".join(f"<th style='padding:4px 8px;text-align:right'>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for col in frame.columns:
            v = row[col]
            if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool):
                text = number(float(v))
                style = "text-align:right;padding:4px 8px"
                if col in diff_cols and np.isfinite(v) and abs(v) > 1e-9:
                    text = ("+" if v > 0 else "−") + number(abs(float(v)))
                    style += ";color:" + ("#0072B2" if v > 0 else "#D55E00") + ";font-weight:600"
                cells.append(f"<td style='{style}'>{text}</td>")
            else:
                cells.append(f"<td style='padding:4px 8px'>{html.escape(str(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table style='border-collapse:collapse;font-size:16px;width:100%'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


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
        s.param.watch(self._render, ["results", "baseline", "comparison", "lang"])
        s.param.watch(self._options, ["store_version", "lang"])
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
        diffs = [c for c in frame.columns if c.startswith(s.t("difference"))]
        wijk = s.compare_wijk_table()
        with pn.io.hold():
            self.table.object = _table_html(frame, diffs)
            self._wijk_title.object = f"#### {s.t('per_wijk')}"
            self.wijk_table.object = _table_html(wijk, [c for c in wijk.columns if c.startswith(s.t("difference"))])

    def __panel__(self):
        return pn.Column(pn.Row(self.choice, pn.Column(pn.Spacer(height=24), pn.Row(self.add, self.clear))),
                         self.table, self._wijk_title, self.wijk_table, sizing_mode="stretch_width")


class SaveView(pn.viewable.Viewer):
    """Save as a named revision; open, branch, export and import; the link that reopens it."""

    state = param.ClassSelector(class_=WorkshopState)

    def __init__(self, **params):
        super().__init__(**params)
        s = self.state
        self.name_input = touch(pn.widgets.TextInput(value=s.scenario.name, sizing_mode="stretch_width"))
        self.group = touch(pn.widgets.TextInput(sizing_mode="stretch_width"))
        self.notes = touch(pn.widgets.TextAreaInput(height=90, sizing_mode="stretch_width"))
        self.save_button = touch(pn.widgets.Button(color="success", sizing_mode="stretch_width"))
        self.link = pn.pane.HTML("", sizing_mode="stretch_width")
        self.saved = touch(pn.widgets.Select(options=[], sizing_mode="stretch_width"))
        self.open = touch(pn.widgets.Button(color="primary", width=140))
        self.branch_name = touch(pn.widgets.TextInput(sizing_mode="stretch_width"))
        self.branch = touch(pn.widgets.Button(color="default", width=220))
        self.download = touch(pn.widgets.FileDownload(callback=self._yaml, filename="scenario.yaml", color="default",
                                                      sizing_mode="stretch_width"))
        self.upload = touch(pn.widgets.FileInput(accept=".yaml,.yml", sizing_mode="stretch_width"))
        self._upload_title = pn.pane.Markdown("")
        self.save_button.on_click(lambda e: s.save(self.name_input.value_input or self.name_input.value, group=self.group.value_input or self.group.value,
                                            notes=self.notes.value_input or self.notes.value))
        self.open.on_click(lambda e: s.open_label(self.saved.value) if self.saved.value else None)
        self.branch.on_click(lambda e: s.branch(self.branch_name.value_input or self.branch_name.value,
                                                group=self.group.value))
        self.upload.param.watch(self._uploaded, "value")
        s.param.watch(self._relabel, ["lang"])
        s.param.watch(self._refresh, ["store_version", "revision", "link", "lang", "version"])
        self._relabel()

    def _yaml(self):
        s = self.state
        self.download.filename = f"{s.scenario.name}.yaml"
        return io.StringIO(s.export_yaml())

    def _uploaded(self, event):
        if event.new:
            self.state.import_yaml(event.new, filename=self.upload.filename or "upload.yaml", group=self.group.value)

    def _refresh(self, *_):
        s = self.state
        with pn.io.hold():
            options = [k for k, v in s.compare_options().items()]
            self.saved.options = options
            if s.revision is not None and s.revision.label in options:
                self.saved.value = s.revision.label
            if self.name_input.value != s.scenario.name:
                self.name_input.value = s.scenario.name
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
            self._upload_title.object = f"**{s.t('import')}**"
        self._refresh()

    def __panel__(self):
        return pn.Column(self.name_input, self.group, self.notes, self.save_button, self.link, pn.layout.Divider(),
                         pn.Row(self.saved, pn.Column(pn.Spacer(height=24), self.open)),
                         pn.Row(self.branch_name, pn.Column(pn.Spacer(height=24), self.branch)),
                         pn.layout.Divider(), self.download, self._upload_title, self.upload, sizing_mode="stretch_width")
