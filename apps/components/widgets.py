"""Widgets derived from the scenario schema: levers, the central site and the offer editor.

No widget here is written by hand for one model parameter: :func:`schema_widget` reads
a pydantic field (type, bounds, unit, ``label_nl``/``label_en``) and makes the widget;
:class:`SchemaSection` does that for every field of a lever section, so a parameter
added to :mod:`model.scenario` appears on screen without touching the app. Values
outside the declared range are refused by the state with the reason, and the widget
snaps back to the design's value.
"""
from __future__ import annotations

import typing
from typing import Any, Literal

import panel as pn
import param
from pydantic import BaseModel

from model.domain import Level, Opportunity, ProviderType, Theme
from model.scenario import Levers, OfferSpec, PlaceSpec, RoomSpec, numeric_fields

from .i18n import choice_label, field_label, level_label, opportunity_label, plain, provider_label, theme_label, tr, unit_label
from .state import WorkshopState

# Large, touch-friendly controls (the projector or touch table): >= 44 px targets.
TOUCH_CSS = """
:host { --bokeh-font-size: 17px; }
.bk-input, select.bk-input { min-height: 44px; font-size: 17px; }
.bk-btn { min-height: 48px; font-size: 17px; font-weight: 600; }
label { font-size: 17px; }
input[type="checkbox"], input[type="radio"] { width: 24px; height: 24px; vertical-align: middle; }
"""


def touch(widget):
    widget.stylesheets = [*widget.stylesheets, TOUCH_CSS]
    return widget


def _annotation_kind(annotation) -> tuple[str, Any]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is bool:
        return "bool", None
    if annotation in (int, float):
        return "number", None
    if annotation is str:
        return "text", None
    if origin is Literal:
        return "choice", list(args)
    if origin is list and args:
        inner = args[0]
        if inner is ProviderType:
            return "providers", None
        if inner is Opportunity:
            return "opportunities", None
        if inner is RoomSpec:
            return "rooms", None
        return "skip", None
    if annotation is PlaceSpec:
        return "place", None
    return "skip", None


class SchemaSection(pn.viewable.Viewer):
    """The widgets of one lever section (``clubs``, ``mentors``, ...), generated from the schema."""

    state = param.ClassSelector(class_=WorkshopState)
    section = param.String()
    skip = param.List(default=["removed_offers", "offers"])

    def __init__(self, **params):
        super().__init__(**params)
        self._header = None
        self._model: type[BaseModel] = Levers.model_fields[self.section].annotation
        self._numeric = {f.path: f for f in numeric_fields(self._model, prefix=f"levers.{self.section}.")}
        self._widgets: dict[str, pn.widgets.Widget] = {}
        self._kinds: dict[str, str] = {}
        self._syncing = False
        for name, info in self._model.model_fields.items():
            if name in self.skip:
                continue
            kind, extra = _annotation_kind(info.annotation)
            path = f"levers.{self.section}.{name}"
            if kind == "number" and path not in self._numeric:
                continue
            widget = self._make(kind, extra, path)
            if widget is None:
                continue
            self._widgets[path], self._kinds[path] = widget, kind
            if kind != "rooms":
                widget.param.watch(lambda e, p=path: self._changed(p, e.new), "value")
        self.state.param.watch(self._sync, ["version"])
        self.state.param.watch(self._relabel, ["lang"])
        self._relabel()
        self._sync()

    # ------------------------------------------------------------------ construction
    def _make(self, kind: str, extra: Any, path: str):
        if kind == "bool":
            return touch(pn.widgets.Checkbox(label=path, sizing_mode="stretch_width"))
        if kind == "number":
            f = self._numeric[path]
            cls = pn.widgets.IntInput if f.is_int else pn.widgets.FloatInput
            step = 1 if f.is_int else (10 ** max(-2, int(len(str(int(f.hi)))) - 3) if f.hi > 1 else 0.05)
            return touch(cls(label=path, step=step, sizing_mode="stretch_width"))
        if kind == "choice":
            return touch(pn.widgets.Select(label=path, options=list(extra), sizing_mode="stretch_width"))
        if kind == "text":
            return touch(pn.widgets.TextInput(label=path, sizing_mode="stretch_width"))
        if kind == "providers":
            return touch(pn.widgets.MultiChoice(label=path, options=[p.value for p in ProviderType], sizing_mode="stretch_width"))
        if kind == "opportunities":
            return touch(pn.widgets.CheckBoxGroup(label=path, options=[o.value for o in Opportunity], inline=True))
        if kind == "place":
            venues = self.state.genk.venues
            return touch(pn.widgets.Select(label=path, options={str(n): str(v) for v, n in venues["name"].items()},
                                           sizing_mode="stretch_width"))
        if kind == "rooms":
            return RoomsEditor(state=self.state, path=path)
        return None

    def _relabel(self, *_):
        lang = self.state.lang
        for path, widget in self._widgets.items():
            kind, name = self._kinds[path], path.rsplit(".", 1)[-1]
            if kind == "number":
                f = self._numeric[path]
                label = f.label_nl if lang == "nl" else f.label_en
                widget.label = f"{label} ({unit_label(f.unit, lang)}; {plain(f.lo)}–{plain(f.hi)})"
            elif kind == "choice":
                widget.label = field_label(name, lang=lang)
                widget.options = {choice_label(v, lang): v for v in (widget.options.values() if isinstance(widget.options, dict) else widget.options)}
            elif kind == "providers":
                widget.label = tr(name, lang)
                widget.options = {provider_label(p, lang): p.value for p in ProviderType}
            elif kind == "opportunities":
                widget.label = tr("opportunity_kinds", lang)
                widget.options = {opportunity_label(o, lang): o.value for o in Opportunity}
            elif kind == "place":
                widget.label = tr("site_place", lang)
            elif kind == "text":
                widget.label = tr(f"site_{name}", lang) if name == "name" else field_label(name, lang=lang)
            elif kind == "rooms":
                widget.relabel()
            else:
                info = self._model.model_fields[name]
                widget.label = field_label(name, info.description or "", lang)
                if self.section == "central_site" and name == "enabled":
                    widget.label = tr("site_enabled", lang)

    # ------------------------------------------------------------------ syncing
    def _design_value(self, path: str):
        value = self.state.value(path)
        kind = self._kinds[path]
        if kind in ("providers", "opportunities"):
            return [v.value if hasattr(v, "value") else v for v in value]
        if kind == "place":
            return value.venue_id if value.kind == "venue" else None
        return value

    def _sync(self, *_):
        self._syncing = True
        try:
            with pn.io.hold():
                for path, widget in self._widgets.items():
                    if self._kinds[path] == "rooms":
                        widget.sync()
                        continue
                    value = self._design_value(path)
                    if widget.value != value:
                        widget.value = value
        finally:
            self._syncing = False

    def _changed(self, path: str, value):
        if self._syncing:
            return
        kind = self._kinds[path]
        if kind == "place":
            ok = self.state.set_site(value) if value else False
        else:
            ok = self.state.set_value(path, value)
        if not ok:
            self._sync()  # snap back to the design's value; the state says why

    def widget(self, path: str):
        return self._widgets[path]

    def __panel__(self):
        if self._header is None:  # built once: __panel__ may be called more than once
            self._header = pn.pane.Markdown(f"### {tr(f'sec_{self.section}', self.state.lang)}", margin=(10, 5, 0, 5))
            self.state.param.watch(lambda e: setattr(self._header, "object", f"### {tr(f'sec_{self.section}', e.new)}"), "lang")
        return pn.Column(self._header, *self._widgets.values(), sizing_mode="stretch_width")


class RoomsEditor(pn.viewable.Viewer):
    """The central site's rooms: a name and a capacity each; add or remove rooms."""

    state = param.ClassSelector(class_=WorkshopState)
    path = param.String(default="levers.central_site.rooms")

    def __init__(self, **params):
        super().__init__(**params)
        self._rows = pn.Column(sizing_mode="stretch_width")
        self._title = pn.pane.Markdown("")
        self._add = touch(pn.widgets.Button(label="", color="default"))
        self._remove = touch(pn.widgets.Button(label="", color="default"))
        self._add.on_click(lambda e: self._set(self._rooms() + [{"name": f"zaal {len(self._rooms()) + 1}", "capacity": 20}]))
        self._remove.on_click(lambda e: self._set(self._rooms()[:-1]) if len(self._rooms()) > 0 else None)
        self._shown: list | None = None
        self.relabel()
        self.sync()

    def _rooms(self) -> list[dict]:
        return [r.model_dump() for r in self.state.value(self.path)]

    def _set(self, rooms: list[dict]) -> None:
        if not self.state.set_value(self.path, rooms):
            self.sync(force=True)

    def relabel(self) -> None:
        lang = self.state.lang
        self._title.object = f"**{tr('rooms', lang)}**"
        self._add.label, self._remove.label = tr("add_room", lang), tr("remove_room", lang)
        self.sync(force=True)

    def sync(self, force: bool = False) -> None:
        rooms = self._rooms()
        if rooms == self._shown and not force:
            return
        self._shown = rooms
        lang = self.state.lang
        rows = []
        for i, room in enumerate(rooms):
            name = touch(pn.widgets.TextInput(label=tr("room_name", lang), value=room["name"], width=220))
            f = _ROOM_CAPACITY
            label = f.label_nl if lang == "nl" else f.label_en
            cap = touch(pn.widgets.IntInput(label=f"{label} ({unit_label(f.unit, lang)}; {f.lo:g}–{f.hi:g})", value=room["capacity"], width=220))
            name.param.watch(lambda e, i=i: self._edit(i, "name", e.new), "value")
            cap.param.watch(lambda e, i=i: self._edit(i, "capacity", e.new), "value")
            rows.append(pn.Row(name, cap))
        self._rows.objects = rows

    def _edit(self, i: int, key: str, value) -> None:
        rooms = self._rooms()
        rooms[i][key] = value
        self._set(rooms)

    def __panel__(self):
        return pn.Column(self._title, self._rows, pn.Row(self._add, self._remove), sizing_mode="stretch_width")


_ROOM_CAPACITY = next(f for f in numeric_fields(RoomSpec) if f.path == "capacity")


# ============================================================================ offers
OFFER_TEXT_FIELDS = ("title", "provider")


class OfferEditor(pn.viewable.Viewer):
    """Place, describe, move and remove the table's own offers."""

    state = param.ClassSelector(class_=WorkshopState)

    def __init__(self, **params):
        super().__init__(**params)
        s = self.state
        venues = s.genk.venues.sort_values("name")
        self._how = pn.pane.Markdown("")
        self.venue = touch(pn.widgets.Select(options={}, sizing_mode="stretch_width"))
        self._venue_options = {str(n): str(v) for v, n in venues["name"].items()}
        self.address = touch(pn.widgets.TextInput(placeholder="Stalenstraat 1", sizing_mode="stretch_width"))
        self.find = touch(pn.widgets.Button(color="primary", width=170))
        self.at_site = touch(pn.widgets.Button(color="default", sizing_mode="stretch_width"))
        self.chosen = pn.pane.Markdown("", styles={"font-size": "17px"})
        self.catchment_minutes = touch(pn.widgets.IntSlider(start=5, end=30, step=5, value=s.catchment_minutes,
                                                            sizing_mode="stretch_width"))
        self.catchment_mode = touch(pn.widgets.RadioButtonGroup(options={}, value=s.catchment_mode))
        self._fields_title = pn.pane.Markdown("")
        self.title = touch(pn.widgets.TextInput(sizing_mode="stretch_width"))
        self.provider = touch(pn.widgets.TextInput(sizing_mode="stretch_width"))
        self.provider_type = touch(pn.widgets.Select(options={}, value=ProviderType.NEIGHBOURHOOD_WORK.value,
                                                     sizing_mode="stretch_width"))
        self.themes = touch(pn.widgets.CheckButtonGroup(options={}, value=[Theme.MAKEN_EN_ONTWERPEN.value],
                                                        color="primary", variant="outline", orientation="vertical",
                                                        sizing_mode="stretch_width"))
        self.level = touch(pn.widgets.RadioButtonGroup(options={}, value=Level.SAMEN_DOEN.slug, color="primary",
                                                       variant="outline", sizing_mode="stretch_width"))
        self.badge = touch(pn.widgets.Checkbox(value=False))
        self._numeric = {f.path: f for f in numeric_fields(OfferSpec)}
        self.numbers: dict[str, pn.widgets.Widget] = {}
        for path, f in self._numeric.items():
            cls = pn.widgets.IntInput if f.is_int else pn.widgets.FloatInput
            self.numbers[path] = touch(cls(value=f.default, width=185))
            self.numbers[path].param.watch(lambda e, p=path: self._check_number(p, e.new), "value")
        self.add = touch(pn.widgets.Button(color="success", sizing_mode="stretch_width"))
        self.update = touch(pn.widgets.Button(color="primary", sizing_mode="stretch_width"))
        self.move = touch(pn.widgets.Button(color="primary", sizing_mode="stretch_width"))
        self.remove = touch(pn.widgets.Button(color="danger", sizing_mode="stretch_width"))
        self._list_title = pn.pane.Markdown("")
        self.offer_list = touch(pn.widgets.RadioBoxGroup(options={}, sizing_mode="stretch_width"))
        self._none = pn.pane.Markdown("")

        self.venue.param.watch(self._venue_picked, "value")
        self.find.on_click(lambda e: s.choose_address(self.address.value_input or self.address.value))
        if "enter_pressed" in self.address.param:
            self.address.param.watch(lambda e: s.choose_address(self.address.value_input or self.address.value), "enter_pressed")
        self.at_site.on_click(lambda e: s.choose_site())
        self.catchment_minutes.param.watch(lambda e: setattr(s, "catchment_minutes", int(e.new)), "value")
        self.catchment_mode.param.watch(lambda e: setattr(s, "catchment_mode", e.new), "value")
        self.add.on_click(lambda e: s.add_offer(**self.fields()))
        self.update.on_click(lambda e: s.update_offer(s.selected_offer, **self.fields()) if s.selected_offer else
                             s.refuse(s.t("select_offer")))
        self.move.on_click(lambda e: s.move_offer(s.selected_offer) if s.selected_offer else s.refuse(s.t("select_offer")))
        self.remove.on_click(lambda e: s.remove_offer(s.selected_offer) if s.selected_offer else s.refuse(s.t("select_offer")))
        self.offer_list.param.watch(self._offer_picked, "value")
        s.param.watch(self._relabel, ["lang"])
        s.param.watch(self._refresh_list, ["version", "selected_offer", "lang"])
        s.param.watch(self._refresh_chosen, ["proposed_place", "catchment_text", "lang"])
        s.param.watch(self._load_selected, ["selected_offer"])
        self._relabel()

    # ------------------------------------------------------------------ reading the form
    def fields(self) -> dict[str, Any]:
        """The offer as described in the form (OfferSpec fields, without id and place)."""
        out = {"title": self.title.value.strip(), "provider": self.provider.value.strip(),
               "provider_type": self.provider_type.value, "themes": list(self.themes.value), "level": self.level.value,
               "awards_badge": bool(self.badge.value)}
        for path, widget in self.numbers.items():
            out[path] = widget.value
        return out

    def _check_number(self, path: str, value) -> None:
        f = self._numeric[path]
        if value is None:
            return
        if not (f.lo <= value <= f.hi):
            s = self.state
            label = f.label_nl if s.lang == "nl" else f.label_en
            s.refuse(s.t("out_of_range", label=label, value=plain(value), lo=plain(f.lo), hi=plain(f.hi), unit=unit_label(f.unit, s.lang)))
            self.numbers[path].value = f.default if not self.state.selected_offer else getattr(
                self.state.offer(self.state.selected_offer), path)

    # ------------------------------------------------------------------ events
    def _venue_picked(self, event) -> None:
        if event.new:
            self.state.choose_venue(event.new)

    def _offer_picked(self, event) -> None:
        if event.new and event.new != "__new__":
            self.state.selected_offer = event.new
        elif event.new == "__new__":
            self.state.selected_offer = None

    def _load_selected(self, *_):
        offer = self.state.offer(self.state.selected_offer) if self.state.selected_offer else None
        if offer is None:
            return
        with pn.io.hold():
            self.title.value, self.provider.value = offer.title, offer.provider
            self.provider_type.value = ProviderType(offer.provider_type).value
            self.themes.value = [Theme(t).value for t in offer.themes]
            self.level.value = Level(offer.level).slug
            self.badge.value = offer.awards_badge
            for path, widget in self.numbers.items():
                widget.value = getattr(offer, path)

    def _refresh_list(self, *_):
        s = self.state
        options = {s.t("new_offer"): "__new__"}
        for o in s.offers:
            level = Level(o.level)
            options[f"{o.title} · {level_label(level, s.lang)} · {s.wijk_of_place(o.place)}"] = o.id
        with pn.io.hold():
            self.offer_list.options = options
            self.offer_list.value = s.selected_offer if s.selected_offer in options.values() else "__new__"
            self._none.object = "" if s.offers else f"*{s.t('no_offers')}*"

    def _refresh_chosen(self, *_):
        s = self.state
        if s.proposed_place is None:
            self.chosen.object = ""
            return
        self.chosen.object = (f"**{s.t('point_chosen', where=s.proposed_label, wijk=s.wijk_of_place(s.proposed_place))}**"
                              f"  \n{s.catchment_text}")

    def _relabel(self, *_):
        s, lang = self.state, self.state.lang
        with pn.io.hold():
            self._how.object = f"**{s.t('place_how')}**"
            self.venue.label = s.t("venue")
            self.venue.options = {s.t("venue_none"): None, **self._venue_options}
            self.address.label = s.t("address")
            self.find.label = s.t("find_address")
            self.at_site.label = s.t("at_site")
            self.catchment_minutes.label = s.t("catchment_minutes")
            self.catchment_mode.options = {s.t("walk"): "walk", s.t("bike"): "bike"}
            self._fields_title.object = f"**{s.t('offer_fields')}**"
            self.title.label, self.provider.label = s.t("title"), s.t("provider")
            self.provider_type.label = s.t("provider_type")
            self.provider_type.options = {provider_label(p, lang): p.value for p in ProviderType}
            self.themes.label = s.t("themes")
            self.themes.options = {theme_label(t, lang): t.value for t in Theme}
            self.level.label = s.t("level")
            self.level.options = {level_label(lv, lang): lv.slug for lv in (Level.ZIEN_DOEN, Level.SAMEN_DOEN, Level.ZELF_DOEN)}
            self.badge.label = s.t("badge")
            for path, widget in self.numbers.items():
                f = self._numeric[path]
                label = f.label_nl if lang == "nl" else f.label_en
                widget.label = f"{label} ({unit_label(f.unit, s.lang)})"
            self.add.label, self.update.label = s.t("add_offer"), s.t("update_offer")
            self.move.label, self.remove.label = s.t("move_offer"), s.t("remove_offer")
            self._list_title.object = f"**{s.t('offers_list')}**"
        self._refresh_list()
        self._refresh_chosen()

    def __panel__(self):
        numbers = pn.GridBox(*self.numbers.values(), ncols=2, sizing_mode="stretch_width")
        return pn.Column(
            self._how, self.venue, pn.Row(self.address, pn.Column(pn.Spacer(height=24), self.find)), self.at_site,
            self.chosen, pn.Row(self.catchment_minutes, pn.Column(pn.Spacer(height=24), self.catchment_mode)),
            pn.layout.Divider(), self._fields_title, self.title, self.provider, self.provider_type,
            pn.pane.Markdown(""), self.themes, self.level, self.badge, numbers, self.add,
            pn.layout.Divider(), self._list_title, self._none, self.offer_list, self.update, self.move, self.remove,
            sizing_mode="stretch_width",
        )


class SiteView(pn.viewable.Viewer):
    """The central site: where it is, who lives there, who visits, rooms and showcases."""

    state = param.ClassSelector(class_=WorkshopState)

    def __init__(self, **params):
        super().__init__(**params)
        self.form = SchemaSection(state=self.state, section="central_site")

    def __panel__(self):
        return self.form


class LeversView(pn.viewable.Viewer):
    """Budgets and levers: every other section of the schema's levers."""

    state = param.ClassSelector(class_=WorkshopState)
    sections = param.List(default=["clubs", "mentors", "wegwijzer", "playlists", "badges", "peer_groups", "catalogue"])

    def __init__(self, **params):
        super().__init__(**params)
        known = [s for s in self.sections if s in Levers.model_fields]
        extra = [name for name, info in Levers.model_fields.items()
                 if name not in known and name not in ("offers", "central_site")
                 and isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)]
        self.forms = {name: SchemaSection(state=self.state, section=name) for name in known + extra}

    def __panel__(self):
        return pn.Column(*self.forms.values(), sizing_mode="stretch_width")
