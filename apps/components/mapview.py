"""The map of Genk: the 31 wijken coloured by an indicator, offers, the central site.

Drawn with Bokeh directly in Web Mercator (EPSG:3857); the bundled layers are
projected once per process (:func:`display_layers`). The wijk polygons, the venues and
the offers are the interactive vector layers; railways, waterways and bus stops are
there for orientation; dense layers (roads, buildings) are left out. Every change
updates the data sources in place (no new figure): the colour mapper, the colour bar's
title and the point sources.

Colour: sequential indicators in *cividis*, changes in a purple–orange diverging
palette (PuOr), themes in the Okabe–Ito palette: all readable with colour-blind
vision. Levels are shapes (▲ zien doen, ● samen doen, ■ zelf doen), so nothing
depends on colour alone. Nothing is shown on hover only: a tap names the wijk and its
value below the map.
"""
from __future__ import annotations

import functools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.events import RangesUpdate, Tap
from bokeh.models import (
    ColorBar,
    ColumnDataSource,
    LabelSet,
    LinearColorMapper,
    Title,
    TileRenderer,
    WMTSTileSource,
)
from bokeh.palettes import PuOr, cividis
from bokeh.plotting import figure
from pyproj import Transformer

from model.domain import Level, Theme
from model.geography import ATTRIBUTIONS, NETWORK_DATE, load_genk
from model.offers import build_offer_specs
from model.paths import DATA_DIR

from .i18n import level_label, number, theme_label, tr
from .updates import Deferred
from .state import WorkshopState

WEB_MERCATOR = "EPSG:3857"
#: Okabe & Ito (2008), colour-blind-safe categorical colours, one per theme.
THEME_COLORS: dict[Theme, str] = {
    Theme.ONTSPANNING: "#E69F00",
    Theme.MAKEN_EN_ONTWERPEN: "#0072B2",
    Theme.ETEN: "#D55E00",
    Theme.KWEKEN_EN_NATUUR: "#009E73",
    Theme.DENKEN_EN_BESPREKEN: "#CC79A7",
}
LEVEL_MARKERS: dict[Level, str] = {Level.ZIEN_DOEN: "triangle", Level.SAMEN_DOEN: "circle", Level.ZELF_DOEN: "square"}
LEVEL_SYMBOLS: dict[Level, str] = {Level.ZIEN_DOEN: "▲", Level.SAMEN_DOEN: "●", Level.ZELF_DOEN: "■"}
SEQUENTIAL = cividis(256)
DIVERGING = list(PuOr[11][::-1])  # losses orange, gains purple
NAN_COLOR = "#d9d9d9"
TILE_URL = "https://tile.openstreetmap.org/{Z}/{X}/{Y}.png"
_TO_3857 = Transformer.from_crs("EPSG:31370", WEB_MERCATOR, always_xy=True)
_FROM_3857 = Transformer.from_crs(WEB_MERCATOR, "EPSG:31370", always_xy=True)


def to_mercator(x, y):
    return _TO_3857.transform(x, y)


def from_mercator(x, y):
    return _FROM_3857.transform(x, y)


def _lines(gdf: gpd.GeoDataFrame) -> tuple[list, list]:
    xs, ys = [], []
    for geom in gdf.geometry:
        parts = getattr(geom, "geoms", [geom])
        for part in parts:
            cx, cy = part.xy
            xs.append(np.asarray(cx))
            ys.append(np.asarray(cy))
    return xs, ys


def _joined(xs: list, ys: list) -> tuple[np.ndarray, np.ndarray]:
    """Many lines as one pair of arrays broken by NaN: one glyph and two buffers instead of two per line."""
    if not xs:
        return np.array([]), np.array([])
    gap = np.array([np.nan])
    return (np.concatenate([c for x in xs for c in (x, gap)][:-1]),
            np.concatenate([c for y in ys for c in (y, gap)][:-1]))


@functools.lru_cache(maxsize=1)
def display_layers() -> dict:
    """The bundled layers in EPSG:3857, projected once per process."""
    genk = load_genk()
    wijken = genk.wijken.copy()
    wijken["geometry"] = wijken.geometry.simplify(5)
    wijken = wijken.to_crs(WEB_MERCATOR)
    xs, ys = [], []
    for geom in wijken.geometry:
        polys = getattr(geom, "geoms", [geom])
        exterior = max(polys, key=lambda p: p.area).exterior  # wijken are single polygons
        cx, cy = exterior.xy
        xs.append(np.asarray(cx))
        ys.append(np.asarray(cy))
    points = wijken.geometry.representative_point()
    boundary = genk.boundary.to_crs(WEB_MERCATOR)

    def read(name: str) -> gpd.GeoDataFrame:
        gdf = gpd.read_parquet(DATA_DIR / name)
        if "in_genk" in gdf.columns:
            gdf = gdf[gdf["in_genk"].astype(bool)]
        gdf = gdf.copy()
        gdf["geometry"] = gdf.geometry.simplify(5)  # metres (Lambert 72): invisible at city zoom
        return gdf.to_crs(WEB_MERCATOR)

    rail_xs, rail_ys = _lines(read("osm2015_railways.parquet"))
    water_xs, water_ys = _lines(read("osm2015_waterways.parquet"))
    rail_x, rail_y = _joined(rail_xs, rail_ys)
    water_x, water_y = _joined(water_xs, water_ys)
    bx, by = to_mercator(genk.bus_stops["x"].to_numpy(), genk.bus_stops["y"].to_numpy())
    vx, vy = to_mercator(genk.venues["x"].to_numpy(), genk.venues["y"].to_numpy())
    bxs, bys = _lines(boundary.boundary.to_frame("geometry").set_geometry("geometry"))
    minx, miny, maxx, maxy = boundary.total_bounds
    order = list(np.argsort(-wijken.geometry.area.to_numpy()))
    return {
        "label_order": order,
        "wijk": list(wijken["wijk"]), "wijk_xs": xs, "wijk_ys": ys,
        "wijk_label_x": points.x.to_numpy(), "wijk_label_y": points.y.to_numpy(),
        "rail_xs": rail_xs, "rail_ys": rail_ys, "water_xs": water_xs, "water_ys": water_ys,
        "rail_x": rail_x, "rail_y": rail_y, "water_x": water_x, "water_y": water_y,
        "bus_x": np.asarray(bx), "bus_y": np.asarray(by),
        "venue_id": list(genk.venues.index), "venue_name": list(genk.venues["name"]), "venue_x": np.asarray(vx),
        "venue_y": np.asarray(vy), "boundary_xs": bxs, "boundary_ys": bys, "bounds": (minx, miny, maxx, maxy),
    }


class MapView(pn.viewable.Viewer):
    """The big map: wijken by indicator, offers by theme and level, the central site, the chosen place."""

    state = param.ClassSelector(class_=WorkshopState)
    tiles = param.Boolean(default=False, doc="show an OpenStreetMap tile layer (needs internet)")
    height = param.Integer(default=640, doc="map height in pixels")

    def __init__(self, **params):
        super().__init__(**params)
        self._layers = display_layers()
        self._figure = self._make_figure()
        self._defer = Deferred(lambda: self._figure)
        self._pane = pn.pane.Bokeh(self._figure, sizing_mode="stretch_width", height=self.height)
        self._info = pn.pane.Markdown("", styles={"font-size": "18px"}, sizing_mode="stretch_width")
        self._attribution = pn.pane.HTML("", sizing_mode="stretch_width", styles={"font-size": "13px", "color": "#333"})
        self._meaning = pn.pane.Markdown("", styles={"font-size": "17px"}, sizing_mode="stretch_width")
        self._legend = pn.pane.HTML("", sizing_mode="stretch_width")
        self._layer_select = pn.widgets.Select(label="", options={}, sizing_mode="stretch_width")
        self._layer_select.param.watch(self._layer_chosen, "value")
        from .widgets import Tick

        self._tiles_toggle = Tick(value=self.tiles)
        self._tiles_toggle.param.watch(lambda e: setattr(self, "tiles", bool(e.new)), "value")
        self._catalogue_cache: tuple[str, list] | None = None
        s = self.state
        s.param.watch(self._redraw_all, ["lang"])
        s.watch(self._redraw_wijken, ["map_layer", "results", "paired", "catchment"])
        s.watch(self._redraw_points, ["version", "proposed_place", "selected_offer"])
        s.watch(lambda e: self._redraw_wijken() if s.map_layer == "travel" else None, ["version"])
        self.param.watch(self._toggle_tiles, "tiles")
        self._redraw_all()

    # ------------------------------------------------------------------ figure
    def _make_figure(self):
        L = self._layers
        minx, miny, maxx, maxy = L["bounds"]
        pad = 600
        # no axes or grid at all (they were hidden): a dozen fewer models to build and send per session
        p = figure(x_range=(minx - pad, maxx + pad), y_range=(miny - pad, maxy + pad), x_axis_location=None,
                   y_axis_location=None, match_aspect=True, tools="pan,wheel_zoom,zoom_in,zoom_out,reset,save",
                   active_scroll=None, toolbar_location="above", sizing_mode="stretch_width",
                   height=self.height, output_backend="canvas")
        p.grid.visible = False
        p.background_fill_color = "#f7f7f2"
        p.toolbar.logo = None
        # The optional web tiles are added only when switched on: an (even invisible)
        # TileRenderer in the figure stopped visibility and layout changes elsewhere on the
        # page from reaching the browser (Panel 1.9.4 / Bokeh 3.9.2).
        self._tile = None
        self._mapper = LinearColorMapper(palette=SEQUENTIAL, low=0, high=1, nan_color=NAN_COLOR)
        self._wijk_src = ColumnDataSource({"xs": L["wijk_xs"], "ys": L["wijk_ys"], "wijk": L["wijk"],
                                           "value": [np.nan] * len(L["wijk"])})
        self._wijk_renderer = p.patches("xs", "ys", source=self._wijk_src, fill_color={"field": "value", "transform": self._mapper},
                                        fill_alpha=0.85, line_color="white", line_width=1.5)
        p.multi_line(L["boundary_xs"], L["boundary_ys"], line_color="#222222", line_width=2.5)
        p.line(L["water_x"], L["water_y"], line_color="#3a7dc9", line_width=2, line_alpha=0.9)
        p.line(L["rail_x"], L["rail_y"], line_color="#555555", line_width=2, line_dash="dashed")
        p.scatter(L["bus_x"], L["bus_y"], size=3, color="#444444", alpha=0.6)
        self._label_src = ColumnDataSource({"x": [], "y": [], "text": []})
        p.add_layout(LabelSet(x="x", y="y", text="text", source=self._label_src, text_font_size="15px",
                              text_font_style="bold", text_align="center", text_baseline="middle", text_color="#111111",
                              background_fill_color="white", background_fill_alpha=0.8))
        p.scatter(L["venue_x"], L["venue_y"], size=7, marker="circle", fill_color="white", line_color="#333333",
                  line_width=1)
        # the chosen place is drawn under the offers, so that an offer just placed there shows on top
        self._proposed_src = ColumnDataSource({"x": [], "y": []})
        p.scatter("x", "y", source=self._proposed_src, marker="circle_cross", size=34, fill_color="white",
                  fill_alpha=0.35, line_color="black", line_width=3)
        self._site_src = ColumnDataSource({"x": [], "y": []})
        p.scatter("x", "y", source=self._site_src, marker="star", size=38, fill_color="#FFD400", line_color="black",
                  line_width=2.5)
        self._offer_src = ColumnDataSource({k: [] for k in ("x", "y", "color", "marker", "size", "line", "width")})
        p.scatter("x", "y", source=self._offer_src, marker="marker", size="size", fill_color="color",
                  line_color="line", line_width="width")
        self._selected_src = ColumnDataSource({"x": [], "y": []})
        p.scatter("x", "y", source=self._selected_src, marker="circle", size=40, fill_alpha=0, line_color="black",
                  line_width=3, line_dash="dotted")
        self._colorbar = ColorBar(color_mapper=self._mapper, title="", title_text_font_size="15px",
                                  major_label_text_font_size="14px", width=18, location=(0, 0))
        p.add_layout(self._colorbar, "right")
        p.on_event(Tap, self._tapped)
        p.on_event(RangesUpdate, self._zoomed)
        self._place_labels((minx - pad, maxx + pad), (miny - pad, maxy + pad))
        return p

    # ------------------------------------------------------------------ labels
    def _zoomed(self, event) -> None:
        if None in (event.x0, event.x1, event.y0, event.y1):
            return
        width = getattr(self._figure, "inner_width", None)
        self._place_labels((event.x0, event.x1), (event.y0, event.y1), float(width) if width else None)

    def _place_labels(self, xr, yr, width_px: float | None = None) -> None:
        """Wijk names that do not overlap at this zoom: a greedy pick, larger wijken first."""
        L = self._layers
        width_px = width_px or 520.0  # until the browser reports the map's width: a laptop's map
        per_px = max((xr[1] - xr[0]) / width_px, 1e-9)
        boxes, keep = [], []
        for i in L["label_order"]:
            x, y, name = L["wijk_label_x"][i], L["wijk_label_y"][i], L["wijk"][i]
            if not (xr[0] <= x <= xr[1] and yr[0] <= y <= yr[1]):
                continue
            half_w, half_h = (len(name) * 9 + 8) * per_px / 2, 13 * per_px
            box = (x - half_w, x + half_w, y - half_h, y + half_h)
            if any(not (box[1] < b[0] or box[0] > b[1] or box[3] < b[2] or box[2] > b[3]) for b in boxes):
                continue
            boxes.append(box)
            keep.append(i)
        data = {"x": [L["wijk_label_x"][i] for i in keep], "y": [L["wijk_label_y"][i] for i in keep],
                "text": [L["wijk"][i] for i in keep]}
        if getattr(self, "_defer", None) is None:
            self._label_src.data = data
        else:
            self._defer("labels", lambda: setattr(self._label_src, "data", data))

    # ------------------------------------------------------------------ events
    def _tapped(self, event) -> None:
        x, y = from_mercator(event.x, event.y)
        s = self.state
        wijk = s.genk.wijk_of(x, y)
        if wijk is not None:
            layer = s.map_values()
            value = layer.values.get(wijk, np.nan)
            shown = s.t("no_results_yet") if value != value else f"{number(value)} {layer.unit}"
            self._info.object = "**" + s.t("wijk_info", wijk=wijk, label=layer.label, value=shown) + "**"
        s.choose_point(x, y)

    def _layer_chosen(self, event) -> None:
        if event.new and event.new != self.state.map_layer:
            self.state.map_layer = event.new

    def _toggle_tiles(self, event) -> None:
        def draw():
            if self._tile is None and event.new:
                self._tile = TileRenderer(tile_source=_tile_source(), level="underlay")
                self._figure.renderers.insert(0, self._tile)
            if self._tile is not None:
                self._tile.visible = bool(event.new)
            self._wijk_renderer.glyph.fill_alpha = 0.55 if event.new else 0.85

        self._defer("tiles", draw)

    @staticmethod
    def _date_text(lang: str) -> str:
        return f"{tr('network_date', lang, date=NETWORK_DATE)} · " + " · ".join(ATTRIBUTIONS)

    # ------------------------------------------------------------------ drawing
    def _redraw_all(self, *_):
        s = self.state
        import html as _html

        with pn.io.hold():
            self._attribution.object = f"<div class='attribution'>{_html.escape(self._date_text(s.lang))}</div>"
            self._layer_select.label = s.t("map_indicator")
            self._layer_select.options = {s.layer_label(k): k for k in s.layer_keys()}
            self._layer_select.value = s.map_layer if s.map_layer in s.layer_keys() else None
            self._tiles_toggle.text = s.t("tiles")
            self._legend.object = self._legend_html()
            self._redraw_wijken()
            self._redraw_points()

    def _redraw_wijken(self, *_):
        s = self.state
        layer = s.map_values()
        values = layer.values.reindex(self._layers["wijk"]).to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if layer.diverging:
            m = float(np.abs(finite).max()) if finite.size else 1.0
            # better is purple, worse orange: flipped for an indicator where lower is better
            palette = DIVERGING if layer.higher_is_better is not False else DIVERGING[::-1]
            mapper = {"palette": palette, "low": -(m if m > 0 else 1.0), "high": m if m > 0 else 1.0}
        else:
            lo = float(finite.min()) if finite.size else 0.0
            hi = float(finite.max()) if finite.size else 1.0
            if layer.key in ("catchment", "reach", "reach_low_means"):
                lo = 0.0
            if hi <= lo:
                hi = lo + 1.0
            # travel time: short is good, so the dark end of cividis is far away
            mapper = {"palette": SEQUENTIAL[::-1] if layer.key == "travel" else SEQUENTIAL, "low": lo, "high": hi}
        title = f"{layer.label} ({layer.unit})"

        def draw():
            self._mapper.update(**mapper)
            self._wijk_src.data["value"] = values  # only the colour column travels, not the wijk outlines
            self._colorbar.title = title

        self._defer("wijken", draw)
        with pn.io.hold():
            if self._layer_select.value != layer.key and layer.key in self._layer_select.options.values():
                self._layer_select.value = layer.key
            empty = not finite.size and not (layer.diverging and s.paired is not None)
            note = f" — *{s.t('no_results_yet')}*" if empty else ""
            text = f"**{layer.label}** ({layer.unit}): {layer.meaning}{note}"
            if layer.diverging and s.paired is not None:
                swatch = (f'<span class="grey-legend" style="display:inline-block;width:18px;height:18px;background:{NAN_COLOR};'
                          f'border:1px solid #555;vertical-align:middle"></span>')
                text += f"  \n{swatch} {s.readout.grey_note()} ({len(layer.unclear)}/{len(values)})"
            if layer.key == "catchment" and s.catchment_text:
                text += f"  \n{s.catchment_text}"
            self._meaning.object = text

    def _catalogue(self) -> list:
        """All offers of the design except the workshop's own (cached per catalogue + site settings)."""
        s = self.state
        levers = s.scenario.levers
        key = levers.catalogue.model_dump_json() + levers.central_site.model_dump_json() + str(s.scenario.run.weeks)
        if self._catalogue_cache is None or self._catalogue_cache[0] != key:
            base = s.scenario.model_copy(update={"levers": levers.model_copy(update={"offers": []})})
            self._catalogue_cache = (key, build_offer_specs(base, s.genk.venues))
        return self._catalogue_cache[1]

    def _redraw_points(self, *_):
        s = self.state
        rows = []
        own = {o.id for o in s.offers}
        removed = set(s.scenario.levers.catalogue.removed_offers)
        offers = [o for o in self._catalogue() if o.id not in own and o.id not in removed] + s.offers
        by_place: dict[tuple, list] = {}
        for offer in offers:
            xy = s.place_xy(offer.place)
            if xy is None:
                continue
            by_place.setdefault((round(xy[0], 1), round(xy[1], 1)), []).append(offer)
        for (x, y), group in by_place.items():
            mx, my = to_mercator(x, y)
            n = len(group)
            for k, offer in enumerate(group):
                mine = offer.id in own
                r = 0 if n == 1 or mine else 90 + 12 * (n // 12)
                angle = 2 * math.pi * k / n
                rows.append({"x": mx + r * math.cos(angle), "y": my + r * math.sin(angle),
                             "color": THEME_COLORS[Theme(offer.themes[0])],
                             "marker": LEVEL_MARKERS[Level(offer.level)], "size": 24 if mine else 9,
                             "line": "black" if mine else "white", "width": 2.5 if mine else 0.5, "mine": mine})
        frame = pd.DataFrame(rows, columns=["x", "y", "color", "marker", "size", "line", "width", "mine"])
        frame = frame.sort_values("mine", kind="stable")  # the table's own offers on top
        site = s.scenario.levers.central_site
        site_xy = s.site_xy() if site.enabled else None
        proposed = s.place_xy(s.proposed_place)
        selected = s.offer(s.selected_offer) if s.selected_offer else None
        selected_xy = s.place_xy(selected.place) if selected is not None else None
        offer_data = {c: frame[c].tolist() for c in ("x", "y", "color", "marker", "size", "line", "width")}

        def draw():
            self._offer_src.data = offer_data
            self._site_src.data = _xy(site_xy)
            self._proposed_src.data = _xy(proposed)
            self._selected_src.data = _xy(selected_xy)

        self._defer("points", draw)

    def _legend_html(self) -> str:
        s = self.state
        themes = " ".join(
            f'<span style="white-space:nowrap;margin-right:14px"><span style="display:inline-block;width:18px;height:18px;'
            f'background:{c};border:1px solid #000;vertical-align:middle"></span> {theme_label(t, s.lang)}</span>'
            for t, c in THEME_COLORS.items())
        levels = " ".join(f'<span style="white-space:nowrap;margin-right:14px">{LEVEL_SYMBOLS[lv]} {level_label(lv, s.lang)}</span>'
                          for lv in LEVEL_MARKERS)
        other = " · ".join([s.t("legend_site"), s.t("legend_proposed"), s.t("legend_venue"), s.t("legend_workshop"),
                            s.t("legend_bus")])
        return (f'<div style="font-size:16px;line-height:1.6">'
                f'<b>{s.t("legend_themes")}:</b> {themes}<br><b>{s.t("legend_levels")}:</b> {levels}<br>'
                f'<b>{s.t("legend_other")}:</b> {other}</div>')

    # ------------------------------------------------------------------ layout
    def __panel__(self):
        controls = pn.Column(self._layer_select, self._tiles_toggle, sizing_mode="stretch_width")
        return pn.Column(controls, self._meaning, self._pane, self._attribution, self._info, self._legend,
                         sizing_mode="stretch_width")


def _xy(xy) -> dict:
    if xy is None:
        return {"x": [], "y": []}
    mx, my = to_mercator(*xy)
    return {"x": [mx], "y": [my]}


def _tile_source():
    return WMTSTileSource(url=TILE_URL, attribution="© OpenStreetMap contributors (ODbL)")
