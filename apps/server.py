"""One server for both apps: the workshop at ``/workshop`` and the study explorer at ``/explorer``.

The explorer's "open in the workshop app" links are relative (``./workshop?study=…&run=…``),
so they reach the workshop on the server that shows the explorer; serving both apps
from one process is what makes them work whichever command started it::

    python -m apps.server                      # http://127.0.0.1:5006/workshop and /explorer
    python -m apps.server --port 5007 --open explorer

``python3 tasks.py app`` and ``python3 tasks.py explorer`` both run this module. The
workshop's geography, network and baseline runs are loaded once per process
(:func:`apps.workshop.warm_server`): before serving when the workshop is the page to
open, in a background thread when the explorer is (so it shows at once).
"""
from __future__ import annotations

import argparse
import threading
from collections.abc import Callable

import panel as pn

APPS = ("workshop", "explorer")
TITLES = {"workshop": "Leerecosysteem Genk", "explorer": "Verkenner van studies / Study explorer"}


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


def routes() -> dict[str, Callable[[], pn.viewable.Viewable]]:
    """URL path (without the slash) → page factory, one new page per session."""
    return {"workshop": workshop_page, "explorer": explorer_page}


def warm_in_background() -> threading.Thread:
    """Start loading the workshop's data without holding up the explorer."""
    from apps.workshop import warm_server

    thread = threading.Thread(target=warm_server, name="warm-workshop", daemon=True)
    thread.start()
    return thread


def serve(port: int = 5006, address: str = "127.0.0.1", show: bool = False, threaded: bool = False, **kwargs):
    """Serve both apps at ``http://{address}:{port}/workshop`` and ``…/explorer`` (returns the server when threaded)."""
    return pn.serve(routes(), port=port, address=address, websocket_origin=[f"{address}:{port}", f"localhost:{port}"],
                    show=show, threaded=threaded, title=TITLES, **kwargs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the Leerecosysteem Genk workshop app and study explorer.")
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
    else:
        warm_in_background()
    first, other = args.open_app, next(name for name in APPS if name != args.open_app)
    label = {"workshop": "Workshop app", "explorer": "Study explorer"}
    print(f"{label[first]}: {urls[first]}", flush=True)
    print(f"{label[other]}: {urls[other]}", flush=True)
    if args.show:
        import webbrowser

        threading.Timer(1.5, webbrowser.open, args=(urls[first],)).start()
    serve(port=args.port, address=args.address)


if __name__ == "__main__":
    main()
