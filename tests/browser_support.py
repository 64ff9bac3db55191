"""Helpers to drive the workshop app in Debian's chromium (tests, benchmark, screenshot).

Serves the app in-process on a free port (``pn.serve(..., threaded=True)``), launches
``/usr/bin/chromium`` headless with Playwright's sync API (never ``playwright
install``), and blocks every request that is not to 127.0.0.1/localhost.
"""
from __future__ import annotations

import contextlib
import re
import socket
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NON_LOCAL = re.compile(r"^https?://(?!127\.0\.0\.1|localhost)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, timeout_s: float = 30.0, path: str = "/") -> None:
    """Wait until a server on 127.0.0.1:``port`` answers at ``path`` (at most ``timeout_s``)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.2)


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


@contextlib.contextmanager
def served_workshop(port: int | None = None):
    """Serve the workshop app at ``http://127.0.0.1:<port>/workshop``; yields the base URL."""
    from apps.workshop import serve, warm_server

    warm_server()
    port = port or free_port()
    server = serve(port=port, address="127.0.0.1", show=False, threaded=True)
    url = f"http://127.0.0.1:{port}/workshop"
    wait_until_up(port)
    try:
        yield url
    finally:
        server.stop()


@contextlib.contextmanager
def chromium():
    """A headless chromium (Playwright sync API) whose contexts block non-local requests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, viewport=(1600, 1000)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    context.route(NON_LOCAL, lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(60_000)  # the machine is shared: a busy minute must not fail a test
    return context, page


def wait_for_map(page, timeout: float = 60_000) -> None:
    """Wait until the Bokeh map canvas is drawn (the page is usable)."""
    page.get_by_text("Kleur de wijken volgens").or_(page.get_by_text("Colour the wijken by")).first.wait_for(timeout=timeout)
    page.locator("canvas").first.wait_for(state="visible", timeout=timeout)
