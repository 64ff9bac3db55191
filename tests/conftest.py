"""Test-wide setup: every test session works in its own run-time folder (store, caches),
so tests never touch the checkout's var/ and run offline."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def isolated_var_dir(tmp_path_factory):
    """Point the store and the travel-time cache at a temporary folder for the session."""
    previous = os.environ.get("LEERECO_VAR_DIR")
    os.environ["LEERECO_VAR_DIR"] = str(tmp_path_factory.mktemp("var"))
    yield
    if previous is None:
        os.environ.pop("LEERECO_VAR_DIR", None)
    else:
        os.environ["LEERECO_VAR_DIR"] = previous


@pytest.fixture(scope="module")
def chrome():
    """A headless Debian chromium for the browser tests of one module (see ``browser_support``)."""
    from browser_support import chromium

    with chromium() as browser:
        yield browser
