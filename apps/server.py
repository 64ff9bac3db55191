"""One server for the four apps: the workshop at ``/workshop``, the study explorer at ``/explorer``,
the site planner at ``/site-planner`` and the pilot monitor at ``/pilot-monitor``.

The explorer's "open in the workshop app" links are relative (``./workshop?study=…&run=…``),
so they reach the workshop on the server that shows the explorer; serving both apps
from one process is what makes them work whichever command started it::

    python -m apps.server                      # http://127.0.0.1:5006/workshop and /explorer
    python -m apps.server --port 5007 --open explorer

``python3 tasks.py app`` and ``python3 tasks.py explorer`` both run this module. The
workshop's geography, network and baseline runs are loaded once per process
(:func:`apps.workshop.warm_server`): before serving when the workshop is the page to
open, by the first workshop session when the explorer is (so the explorer shows at once).

Two helpers for notebooks:

- :func:`show_in_notebook` serves an app object from the notebook's kernel on a free
  local port and shows it in a frame of a fixed height. Displayed the usual way, the
  workshop app collapses to a strip about 45 px high in JupyterLab (it stretches to a
  height a notebook output does not have) and, with the resources inlined for offline
  use, writes some 44 MB into the notebook (every component carries its own copy of the
  stylesheets); in a frame it is full size and the output is one ``<iframe>`` tag.
- :func:`strip_outputs_before_save` is JupyterLab's pre-save hook (``python3 tasks.py
  lab`` sets it): notebooks under ``notebooks/`` are written without outputs, so
  autosave never puts a run's outputs into the repository.
"""
from __future__ import annotations

import argparse
import socket
import threading
import time
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

import panel as pn

from apps.components.upload import WEBSOCKET_MAX_BYTES

APPS = ("workshop", "explorer", "site-planner", "pilot-monitor")
TITLES = {"workshop": "Leerecosysteem Genk", "explorer": "Verkenner van studies / Study explorer",
          "site-planner": "Locatieplanner / Site planner", "pilot-monitor": "Pilootmonitor / Pilot monitor"}
LABELS = {"workshop": "Workshop app", "explorer": "Study explorer", "site-planner": "Site planner",
          "pilot-monitor": "Pilot monitor"}


def workshop_page() -> pn.viewable.Viewable:
    """One workshop session; reads ``?scenario=…&revision=…`` or ``?study=…&run=…`` from its URL."""
    from apps.workshop import create_app, warm_server

    warm_server()  # at once when already warm; otherwise waits for the one warm-up of this process
    return create_app(pn.state.session_args).template


def explorer_page() -> pn.viewable.Viewable:
    """One explorer session, reading below the studies folder (``var/studies``)."""
    from apps.explorer import create_app

    template = pn.template.BootstrapTemplate(title=TITLES["explorer"], header_background="#12355b")
    template.main.append(create_app())
    return template


def site_planner_page() -> pn.viewable.Viewable:
    """One site-planner session (city planners: layouts, catchments, simulated use, the council report)."""
    from apps.site_planner import page

    return page()


def pilot_monitor_page() -> pn.viewable.Viewable:
    """One pilot-monitor session (pilot teams: observed against simulated uptake, calibration)."""
    from apps.pilot_monitor import create_app

    return create_app()


def routes() -> dict[str, Callable[[], pn.viewable.Viewable]]:
    """URL path (without the slash) → page factory, one new page per session."""
    return {"workshop": workshop_page, "explorer": explorer_page, "site-planner": site_planner_page,
            "pilot-monitor": pilot_monitor_page}


def serve(port: int = 5006, address: str = "127.0.0.1", show: bool = False, threaded: bool = False, **kwargs):
    """Serve the apps at ``http://{address}:{port}/workshop``, ``…/explorer``, ``…/site-planner`` and
    ``…/pilot-monitor`` (returns the server when threaded)."""
    kwargs.setdefault("websocket_max_message_size", WEBSOCKET_MAX_BYTES)
    return pn.serve(routes(), port=port, address=address, websocket_origin=[f"{address}:{port}", f"localhost:{port}"],
                    show=show, threaded=threaded, title=TITLES, **kwargs)


# --------------------------------------------------------------------------- notebooks
_IN_NOTEBOOK: dict[int, Any] = {}  # port -> server, kept alive for the kernel's lifetime
NOTEBOOK_FOLDER = "notebooks"  # the stored notebooks: kept without outputs


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_listening(port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)


def show_in_notebook(app: pn.viewable.Viewable, height: int = 1100, name: str = "app", port: int | None = None):
    """Serve ``app`` (this very object, live) from the kernel and show it in a frame ``height`` px high.

    Returns an :class:`IPython.display.IFrame` (display it as a cell's last value); the
    server runs in a thread of the kernel, at ``http://127.0.0.1:<port>/<name>``, until
    the kernel stops. Everything is served locally: nothing comes from a CDN.
    """
    from IPython.display import IFrame

    port = port or _free_port()
    server = pn.serve({name: app}, port=port, address="127.0.0.1", show=False, threaded=True,
                      websocket_origin=[f"127.0.0.1:{port}", f"localhost:{port}"], title=name)
    _IN_NOTEBOOK[port] = server
    _wait_until_listening(port)  # else the frame may load before the server does and show an error
    return IFrame(f"http://127.0.0.1:{port}/{name}", width="100%", height=int(height))


def strip_outputs_before_save(model: dict, path: str = "", **_kwargs: Any) -> None:
    """JupyterLab's pre-save hook: a notebook under ``notebooks/`` is saved without outputs.

    Clears every code cell's outputs and execution count and the saved widget state, in
    place, before the contents manager writes the file; other files are left as they are.
    """
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    parts = PurePosixPath(str(path).replace("\\", "/").lstrip("/")).parts
    if not parts or parts[0] != NOTEBOOK_FOLDER:
        return
    content = model["content"]
    for cell in content.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    content.get("metadata", {}).pop("widgets", None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the Leerecosysteem Genk apps: workshop, study explorer, "
                                                 "site planner and pilot monitor.")
    parser.add_argument("--port", type=int, default=5006)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--open", dest="open_app", choices=APPS, default="workshop",
                        help="the app whose address is printed first (and opened with --show)")
    parser.add_argument("--show", action="store_true", help="open a browser")
    args = parser.parse_args(argv)
    urls = {name: f"http://{args.address}:{args.port}/{name}" for name in APPS}
    if args.open_app == "workshop":
        from apps.workshop import warm_server

        print("Loading Genk (geography, street network, baseline runs)…", flush=True)
        warm_server()
    # for the explorer, the workshop's data is loaded by the first workshop session (a few seconds, once):
    # warming it in a thread beside the explorer's first page doubled that page's time (one GIL, two cores)
    first = args.open_app
    for name in (first, *[n for n in APPS if n != first]):
        print(f"{LABELS[name]}: {urls[name]}", flush=True)
    if args.show:
        import webbrowser

        threading.Timer(1.5, webbrowser.open, args=(urls[first],)).start()
    serve(port=args.port, address=args.address)


if __name__ == "__main__":
    main()
