"""The site planner's map: wijken coloured by the share within reach of the layout, its sites draggable.

Drawn with Bokeh in Web Mercator from the workshop's projected layers
(:func:`apps.components.mapview.display_layers`). The sites of the layout under edit are
red dots that can be dragged (Bokeh's ``PointDrawTool``); while the planner drags, the
server receives the pointer's position (``Pan`` events) and the catchment of that one
site is recomputed (one routed column, tens of milliseconds), so the colours follow the
hand. A tap moves the site under edit there, or adds a satellite there, as the planner chose.
"""
from __future__ import annotations

import time

import numpy as np
import panel as pn
import param
from bokeh.events import Pan, PanEnd, PanStart, Tap
from bokeh.models import ColorBar, ColumnDataSource, LabelSet, LinearColorMapper, PointDrawTool
from bokeh.palettes import cividis
from bokeh.plotting import figure

from apps.components.mapview import display_layers, from_mercator, to_mercator

from .state import PlannerState

DRAG_GRAB_PX = 18  # a drag that starts this close to a site moves it
DRAG_EVERY_S = 0.08  # at most ~12 re-catchments a second while dragging


class PlannerMap(pn.viewable.Viewer):
    """The map of the layout under edit."""

    state = param.ClassSelector(class_=PlannerState)
    click = param.Selector(default="none", objects=["none", "move", "add"],
                           doc="what a tap on the map does: nothing, move the site under edit there, add a satellite there")

    def __init__(self, **params):
        super().__init__(**params)
        self._layers = display_layers()
        self._figure = self._make_figure()
        self._pane = pn.pane.Bokeh(self._figure, sizing_mode="stretch_width", height=560)
        self._drag: dict | None = None
        s = self.state
        s.param.watch(self._redraw, ["version", "drag_version", "layout", "site", "mode", "band"])
        self._redraw()

    def _make_figure(self):
        L = self._layers
        minx, miny, maxx, maxy = L["bounds"]
        pad = 600
        p = figure(x_range=(minx - pad, maxx + pad), y_range=(miny - pad, maxy + pad), x_axis_type="mercator",
                   y_axis_type="mercator", match_aspect=True, tools="pan,wheel_zoom,reset", active_scroll=None,
                   toolbar_location="above", sizing_mode="stretch_width", height=560, output_backend="canvas")
        p.axis.visible = False
        p.grid.visible = False
        p.toolbar.logo = None
        p.background_fill_color = "#f7f7f2"
        self._mapper = LinearColorMapper(palette=cividis(256), low=0, high=100, nan_color="#d9d9d9")
        self._wijk_src = ColumnDataSource({"xs": L["wijk_xs"], "ys": L["wijk_ys"], "wijk": L["wijk"],
                                           "value": [np.nan] * len(L["wijk"])})
        p.patches("xs", "ys", source=self._wijk_src, fill_color={"field": "value", "transform": self._mapper},
                  fill_alpha=0.85, line_color="white", line_width=1.2)
        p.multi_line(L["boundary_xs"], L["boundary_ys"], line_color="#222222", line_width=2.5)
        p.scatter(L["bus_x"], L["bus_y"], size=3, color="#444444", alpha=0.5)
        p.scatter(L["venue_x"], L["venue_y"], size=6, fill_color="white", line_color="#333333")
        self._others = ColumnDataSource({"x": [], "y": []})
        p.scatter("x", "y", source=self._others, size=10, marker="diamond", fill_color="#bbbbbb", line_color="#555555")
        self._sites = ColumnDataSource({"x": [], "y": [], "label": [], "id": [], "size": [], "line": []})
        r = p.scatter("x", "y", source=self._sites, size="size", fill_color="#d7191c", line_color="line", line_width=3)
        p.add_layout(LabelSet(x="x", y="y", text="label", source=self._sites, x_offset=12, y_offset=6,
                              text_font_size="14px", text_font_style="bold", background_fill_color="white",
                              background_fill_alpha=0.8))
        drag = PointDrawTool(renderers=[r], add=False, drag=True)
        p.add_tools(drag)
        p.toolbar.active_drag = drag
        p.add_layout(ColorBar(color_mapper=self._mapper, title="% binnen bereik / within reach", width=14), "right")
        p.on_event(Tap, self._tapped)
        p.on_event(PanStart, self._pan_start)
        p.on_event(Pan, self._pan)
        p.on_event(PanEnd, self._pan_end)
        return p

    # ------------------------------------------------------------------ drawing
    def _redraw(self, *_) -> None:
        s = self.state
        lay = s.current
        if lay is None:
            return
        df = s.catchments.reach_by_wijk(lay.name, s.mode, float(s.band)).set_index("wijk")["share_within"] * 100
        values = [float(df.get(w, np.nan)) for w in self._layers["wijk"]]
        xs, ys = to_mercator(np.array([x.x for x in lay.sites]), np.array([x.y for x in lay.sites]))
        others = [t for name, l2 in s.layouts.items() if name != lay.name for t in l2.sites]
        ox, oy = to_mercator(np.array([o.x for o in others]), np.array([o.y for o in others]))
        with pn.io.hold():
            self._wijk_src.data.update(value=values)
            self._wijk_src.data = dict(self._wijk_src.data)
            if self._drag is None:  # while dragging the browser owns the dot's position
                self._sites.data = {"x": list(np.atleast_1d(xs)), "y": list(np.atleast_1d(ys)),
                                    "label": [f"{i}. {x.name}" for i, x in enumerate(lay.sites, 1)],
                                    "id": [x.site_id for x in lay.sites],
                                    "size": [22 if x.site_id == s.site else 16 for x in lay.sites],
                                    "line": ["black" if x.site_id == s.site else "white" for x in lay.sites]}
            self._others.data = {"x": list(np.atleast_1d(ox)), "y": list(np.atleast_1d(oy))}

    # ------------------------------------------------------------------ events
    def _tapped(self, event) -> None:
        if self.click == "none":
            return
        x, y = from_mercator(event.x, event.y)
        if self.click == "move":
            self.state.move_site(x, y, final=True)
        else:
            self.state.add_site(xy=(x, y))

    def _nearest(self, mx: float, my: float) -> str | None:
        d = self._sites.data
        if not d["x"]:
            return None
        fr = self._figure.x_range
        per_px = (fr.end - fr.start) / max(self._figure.width or 900, 300)
        dist = np.hypot(np.asarray(d["x"]) - mx, np.asarray(d["y"]) - my) / per_px
        i = int(np.argmin(dist))
        return d["id"][i] if dist[i] <= DRAG_GRAB_PX * 2 else None

    def _pan_start(self, event) -> None:
        sid = self._nearest(event.x, event.y)
        if sid is not None:
            self._drag = {"t": 0.0}
            if sid != self.state.site:
                self.state.site = sid

    def _pan(self, event) -> None:
        if self._drag is None or time.perf_counter() - self._drag["t"] < DRAG_EVERY_S:
            return
        self._drag["t"] = time.perf_counter()
        x, y = from_mercator(event.x, event.y)
        if self.state.geo.contains(x, y):
            self.state.move_site(x, y, final=False)

    def _pan_end(self, event) -> None:
        if self._drag is None:
            return
        self._drag = None
        x, y = from_mercator(event.x, event.y)
        if not self.state.move_site(x, y, final=True):
            self._redraw()

    def __panel__(self):
        return self._pane
