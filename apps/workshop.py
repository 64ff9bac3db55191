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
from apps.components.updates import in_document
from apps.components.mapview import MapView, display_layers
from apps.components.readout import KEY_CARDS
from apps.components.results import CardsView, CompareView, GainsView, RunControls, SaveView, TimelineView
from apps.components.state import WorkshopState, warm_up
from apps.components.widgets import LeversView, MessageView, OfferEditor, SiteView
from model.store import Store

pn.extension(notifications=True, design="bootstrap")

APP_CSS = """
:root { --bokeh-font-size: 17px; --base-font-size: 17px; }
body { font-size: 17px; overflow-x: hidden; }
#main, .main { overflow-x: hidden; }
#header .title, .title { white-space: normal; font-size: clamp(18px, 2.2vw, 28px); }
@media (max-width: 700px) { :root { --bokeh-font-size: 16px; } body { font-size: 16px; } }
"""
# Tab headers wrap onto a second line rather than scrolling out of view (1280 px, phones).
TAB_CSS = """
.bk-header { flex-wrap: wrap; }
.bk-tab { font-size: 16px; padding: 10px 9px; min-height: 44px; white-space: nowrap; }
.bk-tab.bk-active { font-weight: 700; border-bottom: 4px solid #0072B2; }
"""
#: Widths of the two halves of the main area: they sit side by side from about 1200 px (sidebar
#: included) and stack on narrower screens (a phone), never scrolling sideways.
LEFT_BASIS, RIGHT_BASIS, RIGHT_MAX = 460, 400, 640


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
        self.site = SiteView(state=s)
        self.levers = LeversView(state=s)
        self.timeline = TimelineView(state=s)
        self.gains = GainsView(state=s)
        self.compare = CompareView(state=s)
        self.save = SaveView(state=s)
        self.sections = {
            "tab_offers": self.offers, "tab_site": self.site, "tab_levers": self.levers,
            "tab_results": pn.Column(self.gains, self.timeline, sizing_mode="stretch_width"),
            "tab_compare": self.compare, "tab_save": self.save,
        }
        self.tabs = pn.Tabs(*[(key, view) for key, view in self.sections.items()], sizing_mode="stretch_width",
                            dynamic=False, stylesheets=[TAB_CSS])
        self.heading = pn.pane.Markdown("", styles={"font-size": "18px"}, margin=(0, 10))
        s.param.watch(self._relabel, ["lang"])
        self._relabel()
        self._template = None

    def _relabel(self, *_):
        s = self.state
        names = [s.t(key) for key in self.sections]
        self.heading.object = f"## {s.t('app_title')}"
        if getattr(self, "_template", None) is not None:
            self._template.title = s.t("app_title")
        if list(self.tabs._names) == names:
            return
        self.tabs._names[:] = names
        # Tabs reuse their rendered panels and BokehJS redraws the headers only when the
        # list of panels changes: give each panel a retitled twin holding the same child.
        from bokeh.models import TabPanel

        for ref, (model, _) in list(self.tabs._models.items()):
            panels = self.tabs._panels.get(ref, {})

            def retitle(model=model, panels=panels):
                fresh = []
                for pane, name, old in zip(self.tabs.objects, names, list(model.tabs)):
                    new = TabPanel(title=name, name=old.name, child=old.child, closable=old.closable)
                    panels[id(pane)] = new
                    fresh.append(new)
                model.tabs = fresh

            in_document(model, retitle)

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
        self._left = pn.Column(self.message, self.map, self._key_cards_box, self._cards_box, sizing_mode="stretch_width",
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
        return pn.Column(self.heading, pn.Row(sidebar, self.main(), sizing_mode="stretch_width"), sizing_mode="stretch_width")

    @property
    def template(self) -> pn.template.BootstrapTemplate:
        """The served page: controls in the sidebar, map and tabs in the main area."""
        if self._template is None:
            # Bootstrap rather than the Fast templates: those load a Google font (no CDN here).
            self._template = pn.template.BootstrapTemplate(
                title=tr("app_title", self.state.lang), sidebar=[self.controls], main=[self.main()], sidebar_width=310,
                header_background="#12355b", raw_css=[APP_CSS],
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
    """Load the geography, network, geocoder, map layers and baseline runs once per process."""
    with _WARM_LOCK:
        if _WARMED.is_set():
            return
        warm_up()
        display_layers()
        _WARMED.set()


def serve(port: int = 5006, address: str = "127.0.0.1", show: bool = False, threaded: bool = False, **kwargs):
    """Serve the app at ``http://{address}:{port}/workshop`` (returns the server when threaded)."""
    # an upload travels over the websocket: refuse messages far above the loader's 2 MB limit there
    kwargs.setdefault("websocket_max_message_size", 8 * 1024 * 1024)
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
