"""The pilot monitor: its state without a browser, then in Debian's chromium (Playwright, sync API).

In the browser: upload the SYNTHETIC file, see it labelled and validated, see the comparison
(fit, alerts), start and finish a short calibration, save the calibrated scenario. The app is
served in-process on 127.0.0.1 with tiny settings (few replications, a small population, one
generation); every non-local request is blocked.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from browser_support import chromium, chromium_available, free_port, new_page, wait_until_up

from model.pilot.synthetic import make_synthetic
from model.store import Store

TINY = {"n_seeds": 3, "population_scale": 0.02, "population_size": 8, "generations": 1, "synthetic_weeks": 4,
        "predict_weeks": 6, "n_draws": 2}


# ---------------------------------------------------------------------------- without a browser
def test_the_app_imports_without_serving_and_escapes_a_hostile_file_name(tmp_path):
    from apps.pilot_monitor import MonitorState, PilotMonitor, Settings

    monitor = PilotMonitor(MonitorState(Settings(**TINY), Store(tmp_path / "s.sqlite")))
    monitor.state.validate(b"aanbod;week\nx;2026-W37\n", "<img src=x onerror=alert(1)>.csv")
    monitor.refresh()
    text = monitor.validation.object
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;.csv" in text
    assert "NIET geldig" in text and monitor.compare.disabled  # nothing to compare from an invalid file


def test_an_uploaded_synthetic_file_is_stored_under_a_synthetic_name_and_then_listed(tmp_path):
    from apps.pilot_monitor import MonitorState, PilotMonitor, Settings

    store = Store(tmp_path / "s.sqlite")
    monitor = PilotMonitor(MonitorState(Settings(**TINY), store))
    data = make_synthetic(weeks=2, population_scale=0.02).csv_bytes()
    monitor.state.validate(data, "SYNTHETISCH-upload.csv")
    monitor.refresh()
    assert not monitor.store_button.disabled
    message = monitor.state.store_upload("pilot_najaar")
    assert "synthetisch_pilot_najaar" in message
    assert store.dataset_versions("synthetisch_pilot_najaar")[0].notes.startswith("SYNTHETISCH")


def test_a_stored_synthetic_dataset_is_labelled_when_picked(tmp_path):
    from apps.pilot_monitor import MonitorState, PilotMonitor, Settings
    from model.pilot.imports import import_uptake
    from model.pilot.synthetic import EXAMPLE_DATASET, SYNTHETIC_NOTE

    store = Store(tmp_path / "s.sqlite")
    path = make_synthetic(weeks=2, population_scale=0.02).write(tmp_path / "SYNTHETISCH-x.csv")
    assert import_uptake(path, EXAMPLE_DATASET, store=store, notes=SYNTHETIC_NOTE).stored
    monitor = PilotMonitor(MonitorState(Settings(**TINY), store))
    assert EXAMPLE_DATASET in monitor.datasets.options.values()
    monitor.state.open_dataset(EXAMPLE_DATASET)
    monitor.refresh()
    assert "SYNTHETISCH voorbeeld" in monitor.banner.object and not monitor.compare.disabled


# ---------------------------------------------------------------------------- in the browser
browser = pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from apps.pilot_monitor import Settings, serve

    folder = tmp_path_factory.mktemp("monitor")
    store = Store(folder / "store.sqlite")
    port = free_port()
    server = serve(port, settings=Settings(**TINY), store=store, show=False, threaded=True)
    wait_until_up(port)
    try:
        yield f"http://127.0.0.1:{port}/pilot_monitor", store, folder
    finally:
        server.stop()


@browser
@pytest.mark.browser
def test_upload_the_synthetic_file_compare_calibrate_and_save(served):
    from playwright.sync_api import expect

    url, store, folder = served
    path = make_synthetic(weeks=TINY["synthetic_weeks"], population_scale=TINY["population_scale"]).write(
        folder / "SYNTHETISCH-voorbeeld-deelname.csv")
    with chromium() as b:
        context, page = new_page(b)
        page.goto(url)
        expect(page.get_by_text("1. Gegevens / 1. Data")).to_be_visible(timeout=60_000)
        page.locator("input[type=file]").set_input_files(str(path))
        expect(page.get_by_text("geldig, geen problemen / valid, no problems")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("alert").get_by_text("SYNTHETISCH voorbeeld", exact=False)).to_be_visible()

        page.get_by_role("button", name="▶ Vergelijk met het model / ▶ Compare with the model").click()
        expect(page.get_by_text("binnen de band / inside band")).to_be_visible(timeout=120_000)
        expect(page.get_by_text("signalen / alerts", exact=False).first).to_be_visible()
        expect(page.get_by_text("Grootste verschillen (deelnemers)", exact=False)).to_be_visible()

        page.get_by_role("button", name="▶ Start kalibratie / ▶ Start calibration").click()
        expect(page.get_by_text("Kalibratie klaar", exact=False)).to_be_visible(timeout=300_000)
        expect(page.get_by_text("geïdentificeerd / identified")).to_be_visible()
        page.get_by_role("button", name="Bewaar het gekalibreerde scenario / Save the calibrated scenario").click()
        expect(page.get_by_text("Bewaard als baseline-synthetisch-gekalibreerd", exact=False)).to_be_visible(timeout=30_000)
        context.close()
    rev = store.latest("baseline-synthetisch-gekalibreerd")
    assert rev.parent_id == store.latest("baseline").id
