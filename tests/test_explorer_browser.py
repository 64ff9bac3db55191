"""The study explorer in a real browser, served as `python3 tasks.py explorer` serves it
(apps.server: /explorer and /workshop on one server), in Debian's chromium.

A study folder that has started but written no runs shows its progress, and follows the
runs as they are written (without reloading the page); inputs carry
their labels; the "open in the workshop app" link opens that run in the workshop on the
same server (it was a 404 when the explorer had a server of its own).
"""
from __future__ import annotations

import time
import urllib.request

import pytest
from browser_support import chromium_available, free_port, new_page, wait_until_up

from model.experiments import default_results_root, load_study, plan_study, run_study
from model.experiments.results import write_part

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium")]

UNCERTAINTIES = ["uncertainties.search_prob_per_week", "uncertainties.friend_weight"]
STARTED = load_study({"name": "browser-started", "model": "analytic:g_function", "parameters": ["x1", "x2"],
                      "design": {"method": "morris", "trajectories": 4}, "replications": 2, "seed": 1})


@pytest.fixture(scope="module")
def studies():
    """In the session's studies folder: a study of the model with runs written by hand, and a
    started study without runs (folder, design and manifest only)."""
    root = default_results_root()
    model_study = load_study({"name": "browser-uncertain", "model": "leerecosysteem", "base_scenario": "baseline",
                              "parameters": UNCERTAINTIES, "design": {"method": "lhs", "n": 8}, "replications": 1,
                              "seed": 3, "outputs": ["reach"], "weeks": 4, "population_scale": 0.01})
    plan = plan_study(model_study, root / "browser-uncertain", create=True)
    runs = plan.runs.assign(reach=20 + 10 * plan.runs[UNCERTAINTIES[0]], status="ok", error="", duration_s=0.1)
    write_part(root / "browser-uncertain", runs)
    plan_study(STARTED, root / "browser-started", create=True)
    return root


@pytest.fixture(scope="module")
def base_url(studies):
    from apps.server import serve
    from apps.workshop import warm_server

    warm_server()
    port = free_port()
    server = serve(port=port, address="127.0.0.1", threaded=True)
    wait_until_up(port, path="/explorer")
    yield f"http://127.0.0.1:{port}"
    server.stop()
    from apps.components.pool import stop_pool

    stop_pool()  # warm_server started the workshop's run pool: no worker outlives the module


def test_one_server_serves_both_apps(base_url):
    for path in ("/explorer", "/workshop"):
        assert urllib.request.urlopen(base_url + path, timeout=60).status == 200


def test_a_started_study_shows_its_progress_and_a_link_opens_a_run_in_the_workshop(chrome, base_url, studies):
    context, page = new_page(chrome, (1600, 1000))
    try:
        start = time.perf_counter()
        page.goto(base_url + "/explorer")
        page.get_by_text("Verkenner van studies / Study explorer").first.wait_for(timeout=60_000)
        page.get_by_text("runs done").first.wait_for(timeout=60_000)
        print(f"explorer first render: {time.perf_counter() - start:.1f} s")

        study = page.get_by_label("Studie / Study")
        study.select_option("browser-started")
        page.get_by_text("0 of 24 runs done").first.wait_for()
        page.get_by_text("no runs written yet").first.wait_for()
        run_study(STARTED, studies / "browser-started", serial=True, progress=False, max_runs=6)  # the study runs on
        page.get_by_text("6 of 24 runs done").first.wait_for(timeout=20_000)

        study.select_option("browser-uncertain")
        page.get_by_text("8 of 8 runs done").first.wait_for()
        inputs = page.get_by_label("Invoer / Input (x)")
        assert "Zoekkans / Search probability (kans/week)" in inputs.inner_text()
        assert "uncertainties." not in inputs.inner_text()

        link = page.get_by_role("link", name="Open run 0 in de workshop-app / in the workshop app")
        with context.expect_page() as opened:
            link.click()
        workshop = opened.value
        workshop.get_by_text("Run 0 van studie browser-uncertain geopend").first.wait_for(timeout=90_000)
        assert workshop.url.startswith(base_url + "/workshop?")
    finally:
        context.close()
