"""Werktafel / workshop app: co-design offers, the central site and budgets on one shared screen.

A facilitator puts this on a projector or touch screen; stakeholders place learning
offers on the map of Genk, design the central site (Regina Mundi by default), set
budgets and levers, run the model for the pilot period and see at once what it does
for whom, per indicator and per wijk, against today's baseline and saved scenarios.

Structure (STYLE.md, Panel's recommended layout):

- :class:`apps.components.state.WorkshopState`: the scenario under design and the
  latest results (``param.Parameterized``, no widgets);
- views in :mod:`apps.components` (``pn.viewable.Viewer``) render it and update in
  place;
- :func:`create_app` assembles them into :class:`WorkshopApp`, which displays inline
  in a notebook and builds a template for serving.

Serve::

    panel serve apps/workshop.py --address 127.0.0.1 --port 5006 --allow-websocket-origin=127.0.0.1:5006
    python -m apps.workshop            # same, prints http://127.0.0.1:5006/workshop

A link ``/workshop?scenario=<name>&revision=<n>`` reopens a saved scenario. Nothing is
fetched from the internet (the optional background tiles are off by default).
"""
from __future__ import annotations

import argparse
import threading

import panel as pn
import param

from apps.components.i18n import tr
from apps.components.mapview import MapView, display_layers
from apps.components.pool import start_pool
from apps.components.readout import KEY_CARDS
from apps.components.results import CardsView, CompareView, GainsView, RunControls, SaveView, TimelineView
from apps.components.state import WorkshopState, warm_up
from apps.components.upload import WEBSOCKET_MAX_BYTES
from apps.components.widgets import LeversView, MessageView, OfferEditor, SiteView
from model.store import Store

pn.extension(notifications=True, design="bootstrap")

APP_CSS = """
:root { --bokeh-font-size: 17px; --base-font-size: 17px; }
body { font-size: 17px; overflow-x: hidden; }
#main { overflow-x: hidden; }
#header .title { white-space: normal; font-size: clamp(16px, 1.6vw, 22px); }
#sidebar { overflow-x: hidden; }
/* a phone: the controls above the map, one column, scrolling down only */
@media (max-width: 760px) {
  :root { --bokeh-font-size: 16px; } body { font-size: 16px; }
  #content { flex-direction: column; flex-wrap: nowrap; overflow-y: auto !important; overflow-x: hidden; }
  #sidebar { order: 2; width: 100% !important; min-width: 100% !important; max-width: 100% !important; flex: 0 0 auto; }
  #sidebar > ul { width: 100% !important; }
  #main { order: 1; width: 100% !important; max-width: 100% !important; flex: 0 0 auto; overflow: visible !important; }
}
"""
# Tab headers wrap onto a second line rather than scrolling out of view (1280 px, phones).
TAB_CSS = """
.bk-btn { font-size: 17px; font-weight: 600; padding: 8px 12px; white-space: nowrap; }
.bk-btn.bk-active, .bk-btn-primary:not(.bk-btn-outline) { font-weight: 700; }
"""
#: Widths of the two halves of the main area: they sit side by side from about 1200 px (sidebar
#: included) and stack on narrower screens (a phone), never scrolling sideways.
LEFT_BASIS, RIGHT_BASIS, RIGHT_MAX = 460, 400, 720


class TabBar(pn.viewable.Viewer):
    """Tabs whose headers wrap onto a second row instead of running off screen (Bokeh's Tabs do not wrap).

    One button per section (the active one filled), the sections below with only the
    active one visible. A section is built and sent to the browser when it is first
    shown (``pn.Tabs(dynamic=True)`` does the same): the first page carries only the
    visible tab, and a run updates no hidden tab nobody opened. A section may be given
    as a view or as a function that makes it.
    """

    state = param.ClassSelector(class_=WorkshopState)
    sections = param.Dict(default={}, doc="i18n key -> view, or a function making the view")
    active = param.Integer(default=0)

    def __init__(self, **params):
        super().__init__(**params)
        self.buttons = [pn.widgets.Button(label=key, color="primary", variant="outline", height=46, margin=(2, 3),
                                          stylesheets=[TAB_CSS], css_classes=["tab-button"]) for key in self.sections]
        self.bodies = [pn.Column(sizing_mode="stretch_width", visible=(i == 0)) for i in range(len(self.sections))]
        self._views: dict[int, object] = {}
        args = {f"b{k}": body for k, body in enumerate(self.bodies)} | {f"t{k}": b for k, b in enumerate(self.buttons)}
        for i, button in enumerate(self.buttons):
            button.on_click(lambda e, i=i: setattr(self, "active", i))
            # switch at once in the browser too, without waiting for the server (a busy machine, a slow network)
            code = "".join(f"b{k}.visible = {str(k == i).lower()}; t{k}.button_type = 'primary';"
                           for k in range(len(self.bodies)))
            button.js_on_click(args=args, code=code)
        self.header = pn.FlexBox(*self.buttons, flex_wrap="wrap", sizing_mode="stretch_width", css_classes=["tab-bar"],
                                 styles={"border-bottom": "2px solid #0072B2", "margin-bottom": "6px"})
        self.param.watch(self._show, "active")
        self.state.param.watch(self._relabel, ["lang"])
        self._relabel()
        self._show()

    def view(self, i: int):
        """The view of section ``i`` (made now if it was given as a function)."""
        if i not in self._views:
            made = list(self.sections.values())[i]
            self._views[i] = made() if callable(made) and not isinstance(made, (pn.viewable.Viewable, pn.viewable.Viewer)) else made
        return self._views[i]

    def built(self, i: int) -> bool:
        return i in self._views and len(self.bodies[i]) > 0

    @property
    def names(self) -> list[str]:
        return [b.label for b in self.buttons]

    def _relabel(self, *_):
        for key, button in zip(self.sections, self.buttons):
            button.label = self.state.t(key)

    def _show(self, *_):
        with pn.io.hold():
            body = self.bodies[self.active] if self.bodies else None
            if body is not None and not len(body):
                body.objects = [self.view(self.active)]
            for i, (button, body) in enumerate(zip(self.buttons, self.bodies)):
                button.variant = "solid" if i == self.active else "outline"
                body.visible = i == self.active

    def __panel__(self):
        if getattr(self, "_panel", None) is None:
            self._panel = pn.Column(self.header, *self.bodies, sizing_mode="stretch_width")
        return self._panel


class WorkshopApp(pn.viewable.Viewer):
    """The whole workshop screen for one session (or one notebook cell)."""

    state = param.ClassSelector(class_=WorkshopState)

    def __init__(self, **params):
        if params.get("state") is None:
            params["state"] = WorkshopState()
        super().__init__(**params)
        s = self.state
        self.controls = RunControls(state=s)
        self.message = MessageView(state=s)
        self.map = MapView(state=s)
        self.cards = CardsView(state=s)
        self.offers = OfferEditor(state=s)
        # the other tabs are made when first opened (or first asked for: app.site, app.save, …)
        self.sections = {
            "tab_offers": self.offers, "tab_site": lambda: self.site, "tab_levers": lambda: self.levers,
            "tab_results": lambda: pn.Column(self.gains, self.timeline, sizing_mode="stretch_width"),
            "tab_compare": lambda: self.compare, "tab_save": lambda: self.save,
        }
        self.tabs = TabBar(sections=self.sections, state=s)
        self.heading = pn.pane.HTML("", css_classes=["app-heading"], sizing_mode="stretch_width",
                                    styles={"color": "white", "font-size": "clamp(17px, 2vw, 26px)", "font-weight": "600"})
        s.param.watch(self._relabel, ["lang"])
        self._relabel()
        self._template = None

    def _view(self, name: str, cls):
        view = self.__dict__.get("_" + name)
        if view is None:
            view = self.__dict__["_" + name] = cls(state=self.state)
        return view

    site = property(lambda self: self._view("site", SiteView), doc="the central site tab")
    levers = property(lambda self: self._view("levers", LeversView), doc="the budgets and levers tab")
    timeline = property(lambda self: self._view("timeline", TimelineView), doc="week by week (results tab)")
    gains = property(lambda self: self._view("gains", GainsView), doc="who gains, who loses (results tab)")
    compare = property(lambda self: self._view("compare", CompareView), doc="the compare tab")
    save = property(lambda self: self._view("save", SaveView), doc="the save tab")

    def _relabel(self, *_):
        import html as _html

        self.heading.object = f"<span>{_html.escape(self.state.t('app_title'))}</span>"

    def main(self):
        """The main area: map, message and cards on the left; the tabs beside them (stacked on a phone).

        The presenter view (a toggle under the run button) hides the tabs and the full cards
        and shows the map with the key cards in large type.
        """
        if getattr(self, "_main", None) is not None:
            return self._main
        self.key_cards = CardsView(state=self.state, names=KEY_CARDS, size=1.7)
        self._key_cards_box = pn.Column(self.key_cards, visible=False, sizing_mode="stretch_width")
        self._cards_box = pn.Column(self.cards, sizing_mode="stretch_width")
        self._left = pn.Column(self.message, self.map, self._cards_box, self._key_cards_box, sizing_mode="stretch_width",
                               styles={"flex": f"1 1 {LEFT_BASIS}px", "min-width": "0"})
        self._right = pn.Column(self.tabs, sizing_mode="stretch_width",
                                styles={"flex": f"1 1 {RIGHT_BASIS}px", "min-width": "0", "max-width": f"{RIGHT_MAX}px"})
        self._main = pn.FlexBox(self._left, self._right, flex_wrap="wrap", gap="12px", sizing_mode="stretch_width",
                                styles={"overflow-x": "hidden"})
        self.controls.param.watch(self._present, "presenting")
        return self._main

    def _present(self, event) -> None:
        """Presenter view on/off: the same map, the key cards in large type, nothing else."""
        on = bool(event.new)
        with pn.io.hold():
            self._right.visible = not on
            self._cards_box.visible = not on
            self._key_cards_box.visible = on
            self.controls.present.label = self.state.t("presenter_back") if on else self.state.t("presenter")
            for widget in self.controls.secondary():
                widget.visible = not on

    def __panel__(self):
        sidebar = pn.Column(self.controls, width=320)
        header = pn.Row(self.heading, styles={"background": "#12355b", "padding": "6px 12px"}, sizing_mode="stretch_width")
        return pn.Column(header, pn.Row(sidebar, self.main(), sizing_mode="stretch_width"), sizing_mode="stretch_width")

    @property
    def template(self) -> pn.template.BootstrapTemplate:
        """The served page: controls in the sidebar, map and tabs in the main area."""
        if self._template is None:
            # Bootstrap rather than the Fast templates: those load a Google font (no CDN here).
            # the template's title is fixed once rendered: a neutral name there, the screen's title in a pane beside it
            self._template = pn.template.BootstrapTemplate(
                title="Leerecosysteem Genk", sidebar=[self.controls], main=[self.main()], sidebar_width=310,
                header=[self.heading], header_background="#12355b", raw_css=[APP_CSS],
            )
        return self._template


def create_app(session_args: dict | None = None, store: Store | None = None, state: WorkshopState | None = None) -> WorkshopApp:
    """A new workshop app for one session; opens ``?scenario=<name>&revision=<n>`` if given."""
    state = state or WorkshopState(store=store)
    app = WorkshopApp(state=state)
    args = session_args if session_args is not None else (pn.state.session_args if pn.state.curdoc else {})
    if args and ("scenario" in args or "study" in args):
        try:
            state.open_link(args)
        except Exception:  # noqa: BLE001 - whatever a link holds, the page opens and shows no traceback
            state.say("link_refused", "danger", why="?")
    return app


_WARM_LOCK = threading.Lock()
_WARMED = threading.Event()


def warm_server() -> None:
    """Load the geography, network, geocoder, map layers and baseline runs once per process.

    Also starts the run pool (:mod:`apps.components.pool`): worker processes that load the
    geography while this process does, then run the baseline's seeds side by side.
    """
    with _WARM_LOCK:
        if _WARMED.is_set():
            return
        start_pool(wait=False)
        warm_up()
        display_layers()
        _WARMED.set()


def serve(port: int = 5006, address: str = "127.0.0.1", show: bool = False, threaded: bool = False, **kwargs):
    """Serve the app at ``http://{address}:{port}/workshop`` (returns the server when threaded)."""
    kwargs.setdefault("websocket_max_message_size", WEBSOCKET_MAX_BYTES)
    return pn.serve({"workshop": lambda: create_app().template}, port=port, address=address,
                    websocket_origin=[f"{address}:{port}", f"localhost:{port}"], show=show, threaded=threaded,
                    title="Leerecosysteem Genk", **kwargs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the Leerecosysteem Genk workshop app.")
    parser.add_argument("--port", type=int, default=5006)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--show", action="store_true", help="open a browser")
    args = parser.parse_args(argv)
    print("Loading Genk (geography, street network, baseline runs)…", flush=True)
    warm_server()
    print(f"Workshop app: http://{args.address}:{args.port}/workshop", flush=True)
    serve(port=args.port, address=args.address, show=args.show)


if pn.state.served:
    warm_server()
    create_app().template.servable(title="Leerecosysteem Genk")

if __name__ == "__main__":
    main()
