"""Widgets derived from the scenario schema: levers, the central site and the offer editor.

No widget here is written by hand for one model parameter: :func:`schema_widget` reads
a pydantic field (type, bounds, unit, ``label_nl``/``label_en``) and makes the widget;
:class:`SchemaSection` does that for every field of a lever section, so a parameter
added to :mod:`model.scenario` appears on screen without touching the app. Values
outside the declared range are refused by the state with the reason, and the widget
snaps back to the design's value.
"""
from __future__ import annotations

import html
import typing
from typing import Any, Literal

import panel as pn
import param
from pydantic import BaseModel

from model.domain import Level, Opportunity, ProviderType, Theme
from model.scenario import Levers, OfferSpec, PlaceSpec, RoomSpec, numeric_fields

from .i18n import choice_label, field_label, level_label, opportunity_label, plain, provider_label, theme_label, tr, unit_label
from .numbers import NumberRefused, read_number, show_number
from .state import WorkshopState

# Large, touch-friendly controls (the projector or touch table): >= 44 px targets.
TOUCH_CSS = """
:host { --bokeh-font-size: 17px; }
.bk-input, select.bk-input { min-height: 44px; font-size: 17px; }
.bk-btn { min-height: 48px; font-size: 17px; font-weight: 600; white-space: normal; height: auto; }
label { font-size: 17px; }
input[type="checkbox"], input[type="radio"] { width: 24px; height: 24px; vertical-align: middle; }
label:has(input[type="checkbox"]), label:has(input[type="radio"]) { cursor: pointer; display: inline-flex;
  align-items: center; gap: 8px; min-height: 44px; width: 100%; }
.bk-input-group label { white-space: normal; overflow-wrap: anywhere; }
"""


def touch(widget):
    widget.stylesheets = [*widget.stylesheets, TOUCH_CSS]
    return widget


class MessageView(pn.viewable.Viewer):
    """The last message in a slot of fixed height (nothing below it moves), and as a toast when served.

    Message text can carry user and file text (an address, a scenario's name): it is escaped
    for the alert and for the toast, so it is always shown as text, never run as HTML.
    """

    state = param.ClassSelector(class_=WorkshopState)
    height = param.Integer(default=64)

    def __init__(self, **params):
        super().__init__(**params)
        self._alert = pn.pane.HTML("", sizing_mode="stretch_width", height=self.height, css_classes=["message-slot"],
                                   styles={"font-size": "18px", "overflow-y": "auto"})
        self.state.param.watch(self._show, ["message_count"])
        self.state.param.watch(self._render, ["message"])
        self._render()

    def _render(self, *_):
        s = self.state
        colours = {"info": ("#e7f1fb", "#0072B2"), "success": ("#e6f4ea", "#1b7a3a"),
                   "warning": ("#fff3cd", "#E69F00"), "danger": ("#fdecea", "#b3261e")}
        bg, border = colours.get(s.message_kind, colours["info"])
        self._alert.object = (f'<div class="message" role="status" style="background:{bg};border-left:8px solid {border};'
                              f'padding:6px 10px;min-height:{self.height - 14}px">{html.escape(s.message)}</div>'
                              if s.message else "")

    def _show(self, *_):
        s = self.state
        self._render()
        notes = pn.state.notifications
        if notes is not None and s.message and s.message_kind in ("danger", "warning"):
            try:
                (notes.error if s.message_kind == "danger" else notes.warning)(html.escape(s.message), duration=6000)
            except Exception:  # noqa: BLE001 - a toast is a nicety; the alert stays
                pass

    def __panel__(self):
        return self._alert



class Tick(pn.widgets.Toggle):
    """A yes/no choice whose words are the button: a tap anywhere on them toggles it (☑ on, ☐ off).

    Bokeh's checkbox puts its words beside the box, not in a label around it, so tapping
    the words did nothing; this is a large toggle button instead.
    """

    text = param.String(default="", doc="the words, without the box")
    _rename = {**pn.widgets.Toggle._rename, "text": None}

    def __init__(self, **params):
        params.setdefault("color", "primary")
        params.setdefault("variant", "outline")
        params.setdefault("sizing_mode", "stretch_width")
        super().__init__(**params)
        self.stylesheets = [*self.stylesheets, TOUCH_CSS, ".bk-btn { justify-content: flex-start; text-align: left; }"]
        self.param.watch(self._show, ["value", "text"])
        self._show()

    def _show(self, *_):
        self.label = ("☑ " if self.value else "☐ ") + self.text


class NumberBox(pn.viewable.Viewer):
    """A number as people type it (``50.000``, ``€ 50.000,00``, ``2,5``), with its feedback right below.

    The text is read with :func:`apps.components.numbers.read_number` and checked against
    the field's bounds; a refusal is shown next to the box (in the screen's language) and
    the box keeps what was typed so it can be fixed; once fixed, the refusal goes. A value
    read from a written form (``50.000``) is confirmed as read (``gelezen als 50 000``).
    ``on_value(number) -> bool`` applies it (False: refused by the state, whose message is shown).
    """

    state = param.ClassSelector(class_=WorkshopState)
    path = param.String()
    lo = param.Number(default=None, allow_None=True)
    hi = param.Number(default=None, allow_None=True)
    unit = param.String(default="")
    integer = param.Boolean(default=False)
    label_nl = param.String(default="")
    label_en = param.String(default="")
    label_key = param.String(default="", doc="an i18n key for the label instead of label_nl/label_en")
    value = param.Parameter(default=None, doc="the last accepted number")
    on_value = param.Callable(default=None)
    width = param.Integer(default=None, allow_None=True)

    @classmethod
    def for_field(cls, state, f, on_value=None, **kw) -> "NumberBox":
        return cls(state=state, path=f.path, lo=f.lo, hi=f.hi, unit=f.unit, integer=f.is_int, label_nl=f.label_nl,
                   label_en=f.label_en, value=f.default, on_value=on_value, **kw)

    def __init__(self, **params):
        super().__init__(**params)
        sizing = {"width": self.width} if self.width else {"sizing_mode": "stretch_width"}
        self.input = touch(pn.widgets.TextInput(value=self._show(self.value), max_length=40, **sizing))
        self.feedback = pn.pane.HTML("", margin=(0, 10, 4, 10), css_classes=["number-feedback"], **sizing)
        self._syncing = False
        self._refusal = None
        self.input.param.watch(self._typed, "value")
        self.state.param.watch(self._relang, ["lang"])
        self.relabel()

    def _show(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and not value.is_integer():
            return show_number(value)
        return show_number(int(value)) if isinstance(value, (int, float)) else str(value)

    def label(self, lang: str) -> str:
        if self.label_key:
            return tr(self.label_key, lang)
        return self.label_nl if lang == "nl" else self.label_en

    def relabel(self) -> None:
        lang = self.state.lang
        bounds = f"; {plain(self.lo)}–{plain(self.hi)}" if self.lo is not None and self.hi is not None else ""
        unit = unit_label(self.unit, lang)
        self.input.name = f"{self.label(lang)} ({unit}{bounds})" if unit or bounds else self.label(lang)
        self._render()

    def _relang(self, *_):
        self.relabel()

    def set(self, value) -> None:
        """Show the design's value (no feedback, no callback)."""
        self._syncing = True
        try:
            self.value, self._refusal = value, None
            self.input.value = self._show(value)
            self._render()
        finally:
            self._syncing = False

    def read(self) -> float | int | None:
        """The number in the box now, or None (with the refusal shown) if it cannot be taken."""
        return self._accept(self.input.value, apply=False)

    def _typed(self, event) -> None:
        if not self._syncing:
            self._accept(event.new, apply=True)

    def _accept(self, text, apply: bool):
        lang = self.state.lang
        try:
            number_ = read_number(text, integer=self.integer)
        except NumberRefused as exc:
            refused = exc
            return self._refuse(lambda lg: refused.message(lg))
        if self.lo is not None and self.hi is not None and not (self.lo <= number_ <= self.hi):
            return self._refuse(lambda lg: tr("out_of_range", lg, label=self.label(lg), value=plain(number_), lo=plain(self.lo),
                                              hi=plain(self.hi), unit=unit_label(self.unit, lg)))
        if apply and self.on_value is not None and self.on_value(number_) is False:
            message = self.state.message
            return self._refuse(lambda lg: message)
        self.value, self._refusal = number_, None
        plain_digits = str(text).strip().lstrip("-").isdigit()
        self._read_as = None if plain_digits else number_
        self._render()
        _ = lang
        return number_

    def _refuse(self, why):
        self._refusal, self._read_as = why, None
        self._render()
        lang = self.state.lang
        if self.on_value is not None:  # a lever: the table's message too (the form's own numbers are read at 'add')
            self.state.refuse(why)
        _ = lang
        return None

    def _render(self) -> None:
        lang = self.state.lang
        if self._refusal is not None:
            import html as _html

            self.feedback.object = (f'<div class="refusal" role="alert" style="color:#b3261e;font-size:16px;font-weight:600">'
                                    f'✖ {_html.escape(self._refusal(lang))}</div>')
        elif getattr(self, "_read_as", None) is not None:
            self.feedback.object = (f'<div class="read-as" style="color:#1b7a3a;font-size:15px">✓ '
                                    f'{tr("number_read", lang, value=show_number(self._read_as))} {unit_label(self.unit, lang)}</div>')
        else:
            self.feedback.object = ""

    @property
    def refusal(self) -> str:
        return self._refusal(self.state.lang) if self._refusal is not None else ""

    def __panel__(self):
        if getattr(self, "_panel", None) is None:
            sizing = {"width": self.width + 10} if self.width else {"sizing_mode": "stretch_width"}
            self._panel = pn.Column(self.input, self.feedback, margin=0, **sizing)
        return self._panel


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
            if kind not in ("rooms", "number"):
                widget.param.watch(lambda e, p=path: self._changed(p, e.new), "value")
        self.state.watch(self._sync, ["version"])
        self.state.param.watch(self._relabel, ["lang"])
        self._relabel()
        self._sync()

    # ------------------------------------------------------------------ construction
    def _make(self, kind: str, extra: Any, path: str):
        if kind == "bool":
            return Tick(text=path)
        if kind == "number":
            f = self._numeric[path]
            return NumberBox.for_field(self.state, f, on_value=lambda v, p=path: self.state.set_value(p, v))
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
                widget.relabel()
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
                widget.text = field_label(name, info.description or "", lang)
                if self.section == "central_site" and name == "enabled":
                    widget.text = tr("site_enabled", lang)

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
                    if self._kinds[path] == "number":
                        if widget.value != self._design_value(path) or widget.refusal:
                            widget.set(self._design_value(path))
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
            cap = NumberBox(state=self.state, path=f"{self.path}[{i}].capacity", lo=f.lo, hi=f.hi, unit=f.unit, integer=True,
                            label_nl=f.label_nl, label_en=f.label_en, value=room["capacity"], width=220,
                            on_value=lambda v, i=i: self._edit(i, "capacity", v))
            name.param.watch(lambda e, i=i: self._edit(i, "name", e.new), "value")
            rows.append(pn.Row(name, cap))
        self._rows.objects = rows

    def _edit(self, i: int, key: str, value) -> bool:
        rooms = self._rooms()
        rooms[i][key] = value
        ok = self.state.set_value(self.path, rooms)
        if not ok and key != "capacity":
            self.sync(force=True)
        return ok

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
        self.badge = Tick(value=False)
        self._numeric = {f.path: f for f in numeric_fields(OfferSpec)}
        self.numbers: dict[str, NumberBox] = {path: NumberBox.for_field(s, f, width=200) for path, f in self._numeric.items()}
        self.add = touch(pn.widgets.Button(color="success", sizing_mode="stretch_width", height=56))
        self.feedback = MessageView(state=s, height=70)
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
        self.add.on_click(self._add)
        self.update.on_click(lambda e: (s.update_offer(s.selected_offer, **self.fields()) if self.fields() is not None else None)
                             if s.selected_offer else s.refuse(s.t("select_offer")))
        self.move.on_click(lambda e: s.move_offer(s.selected_offer) if s.selected_offer else s.refuse(s.t("select_offer")))
        self.remove.on_click(lambda e: s.remove_offer(s.selected_offer) if s.selected_offer else s.refuse(s.t("select_offer")))
        self.offer_list.param.watch(self._offer_picked, "value")
        s.param.watch(self._relabel, ["lang"])
        s.watch(self._refresh_list, ["version", "selected_offer", "lang"])
        s.param.watch(self._refresh_chosen, ["proposed_place", "catchment_text", "lang"])
        s.param.watch(self._load_selected, ["selected_offer"])
        self._relabel()

    # ------------------------------------------------------------------ reading the form
    def fields(self) -> dict[str, Any] | None:
        """The offer as described in the form (OfferSpec fields, without id and place); None if a number is refused."""
        out = {"title": self.title.value.strip(), "provider": self.provider.value.strip(),
               "provider_type": self.provider_type.value, "themes": list(self.themes.value), "level": self.level.value,
               "awards_badge": bool(self.badge.value)}
        refused = []
        for path, box in self.numbers.items():
            value = box.read()
            if value is None:
                refused.append(box)
            out[path] = value
        if refused:
            self.state.refuse(lambda lang: refused[0].label(lang) + ": " + refused[0].refusal)
            return None
        return out

    def _add(self, event=None) -> None:
        fields = self.fields()
        if fields is None:
            return
        if self.state.add_offer(**fields) is not None:
            self.reset_form()  # a fresh form: the next offer does not repeat this one by accident

    def reset_form(self) -> None:
        """Back to the defaults of the schema (title and provider empty)."""
        with pn.io.hold():
            self.title.value = self.provider.value = ""
            self.provider_type.value = ProviderType.NEIGHBOURHOOD_WORK.value
            self.themes.value = [Theme.MAKEN_EN_ONTWERPEN.value]
            self.level.value = Level.SAMEN_DOEN.slug
            self.badge.value = False
            for path, box in self.numbers.items():
                box.set(self._numeric[path].default)

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
            for path, box in self.numbers.items():
                box.set(getattr(offer, path))

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
            self.badge.text = s.t("badge")
            for box in self.numbers.values():
                box.relabel()
            self.add.label, self.update.label = s.t("add_offer"), s.t("update_offer")
            self.move.label, self.remove.label = s.t("move_offer"), s.t("remove_offer")
            self._list_title.object = f"**{s.t('offers_list')}**"
        self._refresh_list()
        self._refresh_chosen()

    def __panel__(self):
        numbers = pn.GridBox(*self.numbers.values(), ncols=2, sizing_mode="stretch_width")
        self._details = pn.Card(numbers, title="", collapsed=True, sizing_mode="stretch_width",
                                header_css_classes=["offer-details"])
        self._details.title = self.state.t("offer_details")
        self.state.param.watch(lambda e: setattr(self._details, "title", self.state.t("offer_details")), "lang")
        return pn.Column(
            self._how, self.venue, pn.Row(self.address, pn.Column(pn.Spacer(height=24), self.find)), self.at_site,
            self.chosen, pn.Row(self.catchment_minutes, pn.Column(pn.Spacer(height=24), self.catchment_mode)),
            pn.layout.Divider(), self._fields_title, self.title, self.themes, self.level, self.add, self.feedback,
            self.badge, self.provider, self.provider_type, self._details,
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
