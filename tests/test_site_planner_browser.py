"""The site planner in a real browser: Debian's chromium driven by Playwright (sync API).

One served app and one browser for the module; every non-local request is blocked and the
store lives in the session's temporary LEERECO_VAR_DIR (tests/conftest.py). The flow is
the issue's: define two layouts, compare them, export the report.
"""
from __future__ import annotations

import contextlib
import re
import time

import pytest

from browser_support import chromium_available, free_port, new_page, wait_until_up

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium")]


@contextlib.contextmanager
def served_planner():
    import apps.site_planner as sp

    port = free_port()
    server = sp.serve(port=port, threaded=True)
    wait_until_up(port)
    try:
        yield f"http://127.0.0.1:{port}/site-planner"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def app_url():
    with served_planner() as url:
        yield url


@pytest.fixture
def tab(chrome, app_url):
    context, page = new_page(chrome, (1700, 1100))
    page.goto(app_url)
    page.get_by_text("Bereik / Catchment", exact=True).first.wait_for(timeout=60_000)
    page.locator("canvas").first.wait_for(state="visible", timeout=60_000)
    yield page
    context.close()


def new_layout(page, name: str, rooms: str, hours: str) -> None:
    page.get_by_label("Naam nieuwe opstelling / name of a new layout").fill(name)
    page.get_by_role("button", name="✚ Nieuw / New").click()
    page.get_by_label("Opstelling / Layout", exact=True).locator("option", has_text=name).wait_for(state="attached")
    page.get_by_label("Ruimtes: soort plaatsen [naam] / rooms: kind places [name]").fill(rooms)
    page.get_by_label("Openingsuren / opening hours").fill(hours)
    page.get_by_role("button", name="✔ Pas site aan / Apply to site").click()


def test_define_two_layouts_compare_them_and_export_the_report(tab, tmp_path):
    page = tab
    # a room without places is refused at entry, in Dutch and English, and nothing changes
    new_layout(page, "twee-hubs", "keuken 0", "ma-vr 9-17")
    page.get_by_text(re.compile(r"minstens 1 plaats.*at least 1 place")).wait_for()
    page.get_by_label("Ruimtes: soort plaatsen [naam] / rooms: kind places [name]").fill("keuken 15\nmaakleerplek 20")
    page.get_by_role("button", name="✔ Pas site aan / Apply to site").click()
    page.get_by_label("Adres in Genk / address in Genk").fill("Stalenstraat 32")
    page.get_by_role("button", name="✚ Satelliet op adres / satellite at address").click()
    page.get_by_label("Site", exact=True).locator("option", has_text="Stalenstraat 32").wait_for(state="attached")
    # opening hours that do not parse are refused too
    page.get_by_label("Openingsuren / opening hours").fill("maandag")
    page.get_by_role("button", name="✔ Pas site aan / Apply to site").click()
    page.get_by_text(re.compile(r"Openingsuren 'maandag'.*Opening hours 'maandag'")).wait_for()

    new_layout(page, "een-hub", "toonplaats 40\nkeuken 12", "ma-za 10-18")
    page.get_by_text("Wijken buiten bereik / wijken out of reach").wait_for()
    # public transport: the screen says it is an assumption
    page.get_by_role("button", name="openbaar vervoer / public transport").click()
    page.get_by_text(re.compile("wandeling naar de dichtste bushalte plus een aanname")).wait_for()

    page.get_by_text("Simulatie / Simulation", exact=True).first.click()
    page.get_by_label("Replicaties / replications").fill("2")
    page.get_by_label("Weken / weeks").fill("4")
    page.get_by_label("Bevolkingsschaal / population scale").fill("0.01")
    page.get_by_role("button", name="▶ Simuleer / Simulate").click()
    page.get_by_text(re.compile(r"runs klaar in")).wait_for(timeout=240_000)
    page.get_by_label("Vergelijk / compare").select_option("twee-hubs")
    page.get_by_label("met / with").select_option("een-hub")
    page.get_by_role("img", name=re.compile("twee-hubs − een-hub")).wait_for(timeout=30_000)  # the difference map
    verdicts = page.get_by_text(re.compile(r"^(binnen de ruis / inside the noise|beter / better|slechter / worse|"
                                           r"hoger / higher|lager / lower)$"))
    assert verdicts.count() >= 5

    page.get_by_text("Rapport / Report", exact=True).first.click()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name=re.compile("Rapport voor de raad")).click()
    path = tmp_path / "rapport.html"
    info.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    for sid in ("samenvatting", "opstellingen", "bereik", "toegankelijkheid", "gebruik", "verschilkaart", "robuustheid",
                "methode", "aannames", "bronnen", "scenarios", "tabellen"):
        assert f"<section id='{sid}'>" in text
    assert "twee-hubs.yaml" in text and "een-hub.yaml" in text and "Stalenstraat 32" in text
    assert "twee-hubs min een-hub" in text  # the comparison the planner chose
    assert "Traceback" not in text and "/work/" not in text


def tap_until(page, x: float, y: float, pattern, tries: int = 3) -> None:
    """Tap the map at (x, y) until ``pattern`` shows: a tap sent while the click choice is still on its way is a no-op."""
    for attempt in range(tries):
        time.sleep(0.5)
        page.mouse.click(x, y)
        try:
            page.get_by_text(pattern).first.wait_for(state="attached", timeout=10_000)
            return
        except Exception:  # noqa: BLE001 - try once more, then fail below
            continue
    page.get_by_text(pattern).first.wait_for(state="attached", timeout=10_000)


def test_a_site_outside_genk_is_refused_when_clicked_and_the_page_shows_no_traceback(tab):
    page = tab
    page.get_by_role("button", name="Klik verplaatst de site / click moves the site").click()
    box = page.locator("canvas").first.bounding_box()
    # the lower left of the map lies outside the municipality
    tap_until(page, box["x"] + 0.06 * box["width"], box["y"] + 0.92 * box["height"],
              re.compile("ligt buiten Genk.*lies outside Genk"))
    content = page.content()
    assert "Traceback" not in content and "/work/" not in content


def test_a_click_on_the_map_adds_a_satellite(tab):
    page = tab
    page.get_by_role("button", name="Klik voegt satelliet toe / click adds a satellite").click()
    x, y = page.evaluate(SITE_ON_SCREEN_JS)
    tap_until(page, x + 60, y - 60, re.compile(r"^2\. Site 2$"))  # a little north-east of Regina Mundi, inside Genk
    assert page.get_by_label("Site", exact=True).locator("option", has_text="2. Site 2").count() == 1


SITE_ON_SCREEN_JS = """() => {
  for (const v of Bokeh.index.all_views()) if (v.model.type == 'Plot' || v.model.type == 'Figure') {
    const src = v.model.renderers.map(r => r.data_source).filter(s => s && s.data.label !== undefined)[0];
    const r = v.canvas_view.el.getBoundingClientRect();
    return [r.left + v.frame.x_scale.compute(src.data.x[0]), r.top + v.frame.y_scale.compute(src.data.y[0])];
  }
  return null; }"""
WIJK_VALUES_JS = """() => { for (const d of Bokeh.documents) for (const m of d._all_models.values())
    if (m.type == 'ColumnDataSource' && m.data.wijk !== undefined && m.data.value !== undefined)
      return Array.from(m.data.value).map(v => Number.isFinite(v) ? Math.round(v * 10) : -1).join(',');
  return null; }"""


def test_dragging_a_site_recolours_the_map_before_the_mouse_is_released(tab):
    page = tab
    page.get_by_text("Wijken buiten bereik / wijken out of reach").wait_for()
    before = page.evaluate(WIJK_VALUES_JS)
    x, y = page.evaluate(SITE_ON_SCREEN_JS)
    page.mouse.move(x, y)
    page.mouse.down()
    changed = None
    for k in range(1, 10):
        page.mouse.move(x + 14 * k, y - 9 * k)
        time.sleep(0.3)
        if page.evaluate(WIJK_VALUES_JS) != before:
            changed = k
            break
    assert changed is not None, "the map did not follow the drag"
    page.mouse.move(x + 14 * (changed + 1), y - 9 * (changed + 1))
    page.mouse.up()
    page.get_by_text(re.compile(r"laatste verplaatsing herberekend in \d+ ms")).wait_for()
