"""The workshop app in a real browser: Debian's chromium driven by Playwright (sync API).

One served app and one browser for the module (the first page load takes seconds);
every non-local request is blocked, and the store lives in the session's temporary
LEERECO_VAR_DIR (tests/conftest.py).
"""
from __future__ import annotations

import time

import pytest

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from browser_support import chromium_available, new_page, served_workshop, wait_for_map
from model.store import Store

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium")]

RUN = "▶ Simuleer de pilootperiode"
ADD = "✚ Voeg aanbod toe op de gekozen plek"
MAPPER_JS = """() => { const out = [];
  for (const d of Bokeh.documents) for (const m of d._all_models.values())
    if (m.type == 'LinearColorMapper') out.push([m.low, m.high, m.palette.length]);
  return out; }"""
OFFERS_JS = """() => { const out = [];
  for (const d of Bokeh.documents) for (const m of d._all_models.values())
    if (m.type == 'ColumnDataSource' && m.data.marker !== undefined) out.push(m.data.size.filter(s => s > 20).length);
  return out; }"""


@pytest.fixture(scope="module")
def app_url():
    from apps.components.pool import start_pool, stop_pool

    with served_workshop() as url:
        start_pool()  # as after `python -m apps.server`: the seeds run side by side in the run pool
        yield url
    stop_pool()  # no worker process outlives the module


@pytest.fixture
def tab(chrome):
    context, page = new_page(chrome, (1600, 1000))
    yield page
    context.close()


def tap_map(page, fx: float = 0.45, fy: float = 0.55) -> None:
    canvas = page.locator("canvas").first
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)


def wait_until(page, js: str, predicate, timeout: float = 20.0):
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        value = page.evaluate(js)
        if predicate(value):
            return value
        time.sleep(0.2)
    raise AssertionError(f"condition not met; last value {value!r}")


def test_place_an_offer_run_see_the_change_save_reopen_with_the_link_and_switch_to_english(tab, app_url):
    page = tab
    page.goto(app_url)
    wait_for_map(page)
    before = page.evaluate(MAPPER_JS)

    tap_map(page)
    page.get_by_text("Gekozen plek:").first.wait_for()
    page.get_by_text("wonen binnen 15 min te voet").first.wait_for()  # the catchment, before any run
    wait_until(page, MAPPER_JS, lambda v: v != before)  # the wijken are recoloured by the catchment

    page.get_by_label("Titel").fill("Repair café")
    page.get_by_role("button", name=ADD).click()
    page.get_by_text("Aanbod 'Repair café' toegevoegd").first.wait_for()
    wait_until(page, OFFERS_JS, lambda v: v and max(v) == 1)  # the table's offer is drawn large

    catchment = page.evaluate(MAPPER_JS)
    page.get_by_role("button", name=RUN).click()
    page.get_by_text("Klaar: 3 runs van 52 weken").first.wait_for()
    page.get_by_text("Deelnamekloof middelen").first.wait_for()  # indicator cards
    page.get_by_text("t.o.v. vandaag (basis)").first.wait_for()
    after = wait_until(page, MAPPER_JS, lambda v: v != catchment)
    assert after[0][0] == pytest.approx(-after[0][1])  # a diverging scale for the change per wijk

    page.get_by_text("Bewaar", exact=True).click()
    page.get_by_label("Naam van het scenario").fill("browser-tafel")
    page.get_by_label("Groep (werktafel)").fill("Tafel 1")
    page.get_by_role("button", name="💾 Bewaar als nieuwe versie").click()
    page.get_by_text("Bewaard als browser-tafel r1.").first.wait_for()
    link = page.locator("a.scenario-link").first
    link.wait_for()
    assert link.get_attribute("href") == "?scenario=browser-tafel&revision=1"

    page.goto(app_url + "?scenario=browser-tafel&revision=1")
    wait_for_map(page)
    page.get_by_text("Geopend: browser-tafel r1").first.wait_for()
    page.get_by_text("Repair café · samen doen").first.wait_for()  # the offer is back in the list
    wait_until(page, OFFERS_JS, lambda v: v and max(v) == 1)

    page.get_by_role("button", name="English").click()
    page.get_by_text("Colour the wijken by").first.wait_for()
    page.get_by_role("button", name="▶ Simulate the pilot period").wait_for()
    page.get_by_text("Budgets", exact=True).wait_for()


def test_a_run_in_one_session_does_not_block_another_and_both_saves_are_kept(chrome, app_url):
    ctx_a, a = new_page(chrome, (1600, 1000))
    ctx_b, b = new_page(chrome, (1600, 1000))
    try:
        for p in (a, b):
            p.goto(app_url)
            wait_for_map(p)
        a.get_by_role("button", name="Volledige bevolking (trager)").click()  # a long run
        a.get_by_text("Bezig met simuleren").first.wait_for()
        started = time.perf_counter()
        tap_map(b, 0.55, 0.45)
        b.get_by_text("Gekozen plek:").first.wait_for()
        b.get_by_role("button", name=ADD).click()
        b.get_by_text("toegevoegd").first.wait_for()
        b.get_by_text("Bewaar", exact=True).click()
        b.get_by_label("Naam van het scenario").fill("sessie-b")
        b.get_by_role("button", name="💾 Bewaar als nieuwe versie").click()
        b.get_by_text("Bewaard als sessie-b r1.").first.wait_for()
        b_done = time.perf_counter() - started
        assert a.get_by_text("Bezig met simuleren").first.is_visible()  # session A is still running
        a.get_by_text("Klaar: 3 runs van 52 weken met 100% van de bevolking").first.wait_for(timeout=120_000)
        assert b_done < time.perf_counter() - started
        a.get_by_text("Bewaar", exact=True).click()
        a.get_by_label("Naam van het scenario").fill("sessie-a")
        a.get_by_role("button", name="💾 Bewaar als nieuwe versie").click()
        a.get_by_text("Bewaard als sessie-a r1.").first.wait_for()
        names = set(Store().names())
        assert {"sessie-a", "sessie-b"} <= names
    finally:
        ctx_a.close()
        ctx_b.close()


def test_bad_input_in_the_browser_is_refused_with_a_message(tab, app_url):
    page = tab
    page.goto(app_url)
    wait_for_map(page)
    page.get_by_role("button", name=ADD).click()  # no place chosen yet
    page.get_by_text("Een aanbod zonder plek kan niet").first.wait_for()
    page.get_by_label("Adres in Genk (straat en huisnummer)").fill("Nergensstraat 5")
    page.get_by_role("button", name="Zoek adres").click()
    page.get_by_text("Dit adres ligt niet in Genk").first.wait_for()
    page.get_by_text("Budgetten", exact=True).click()
    budget = page.get_by_label("Clubbudget (EUR/jaar; 0–5\u202f000\u202f000)")
    budget.fill("9000000")
    budget.press("Enter")
    page.get_by_text("ligt buiten het toegelaten bereik").first.wait_for()


def test_design_the_central_site_rooms_appear_and_go_on_the_screen(tab, app_url):
    page = tab
    page.goto(app_url)
    wait_for_map(page)
    page.get_by_text("Centrale plek", exact=True).first.click()
    rooms = page.get_by_label("Naam ruimte").filter(visible=True)
    wait_until(page, "() => 0", lambda _: rooms.count() == 1, timeout=30)
    page.get_by_role("button", name="✚ Ruimte").first.click()
    wait_until(page, "() => 0", lambda _: rooms.count() == 2, timeout=10)
    assert rooms.count() == 2
    page.get_by_role("button", name="✖ Laatste ruimte weg").first.click()
    wait_until(page, "() => 0", lambda _: rooms.count() == 1, timeout=10)
    assert rooms.count() == 1


# ---------------------------------------------------------------------------- a live room
XSS = "<img src=x onerror=alert(document.domain)>"
OVERFLOW_JS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
TABS = ("Aanbod", "Centrale plek", "Budgetten", "Resultaten", "Vergelijk", "Bewaar")


def watch_dialogs(page) -> list:
    fired = []
    page.on("dialog", lambda d: (fired.append(d.message), d.dismiss()))
    return fired


def test_script_typed_in_the_address_box_is_shown_as_text(tab, app_url):
    page = tab
    fired = watch_dialogs(page)
    page.goto(app_url)
    wait_for_map(page)
    page.get_by_label("Adres in Genk (straat en huisnummer)").fill(XSS)
    page.get_by_role("button", name="Zoek adres").click()
    page.get_by_text(XSS, exact=False).first.wait_for()  # the text itself, not an image
    time.sleep(0.5)
    assert fired == []
    assert page.locator("img[src='x']").count() == 0


def test_script_in_an_uploaded_file_is_shown_as_text(tab, app_url, tmp_path):
    page = tab
    fired = watch_dialogs(page)
    page.goto(app_url)
    wait_for_map(page)
    path = tmp_path / "xss.yaml"
    path.write_text(f"name: '{XSS}'\ntitle: '{XSS}'\n", encoding="utf-8")
    page.get_by_text("Bewaar", exact=True).click()
    page.locator("input[type=file]").first.set_input_files(str(path))
    page.get_by_text(f"Geïmporteerd en bewaard als {XSS} r1.").first.wait_for()
    time.sleep(0.5)
    assert fired == [] and page.locator("img[src='x']").count() == 0


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 800)])
def test_every_tab_and_control_fits_without_sideways_scrolling(chrome, app_url, size):
    context, page = new_page(chrome, size)
    try:
        page.goto(app_url)
        wait_for_map(page)
        width, client = page.evaluate(OVERFLOW_JS)
        assert width <= client, f"the page scrolls sideways at {size}: {width} > {client}"
        for name in TABS:
            box = page.get_by_role("button", name=name, exact=True).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= size[0], f"tab {name!r} off screen at {size}"
        for name in (RUN, "↶ Ongedaan maken", "↷ Opnieuw doen", "⟲ Terug naar vandaag", "Volledige bevolking (trager)"):
            box = page.get_by_role("button", name=name).bounding_box()
            assert box["x"] + box["width"] <= size[0]
        assert page.evaluate("() => window.scrollY") == 0
        page.mouse.move(size[0] * 0.4, size[1] * 0.6)  # over the map: the wheel scrolls the page, it does not zoom
        before = page.evaluate(MAPPER_JS)
        page.mouse.wheel(0, 400)
        time.sleep(0.5)
        ranges = page.evaluate("""() => { for (const d of Bokeh.documents) for (const m of d._all_models.values())
            if (m.type == 'Plot' && m.x_axis_type !== undefined) return null; return 'ok'; }""")
        assert ranges in ("ok", None) and page.evaluate(MAPPER_JS) == before
    finally:
        context.close()


def test_fifty_thousand_the_belgian_way_becomes_50000(tab, app_url):
    page = tab
    page.goto(app_url)
    wait_for_map(page)
    page.get_by_text("Budgetten", exact=True).click()
    budget = page.get_by_label("Clubbudget (EUR/jaar; 0–5\u202f000\u202f000)")
    budget.fill("50.000")
    budget.press("Enter")
    page.get_by_text("gelezen als 50\u202f000 EUR/jaar").first.wait_for()
    budget.fill("-5")
    budget.press("Enter")
    refusal = page.locator("div.refusal")  # beside the box
    refusal.filter(has_text="ligt buiten het toegelaten bereik").first.wait_for()
    budget.fill("60000")
    budget.press("Enter")
    wait_until(page, "() => 0", lambda _: refusal.count() == 0, timeout=10)  # the old refusal is gone once fixed
    page.get_by_text("gelezen als 60\u202f000 EUR/jaar").first.wait_for(state="detached")


def test_a_difference_inside_the_noise_is_shown_as_no_clear_difference(tab, app_url):
    page = tab
    page.goto(app_url)
    wait_for_map(page)
    page.get_by_role("button", name=RUN).click()  # today's design against today's baseline: nothing to tell
    page.get_by_text("Klaar: 3 runs van 52 weken").first.wait_for()
    page.get_by_text("geen duidelijk verschil t.o.v. vandaag").first.wait_for()
    assert page.get_by_text("(beter;").count() == 0 and page.get_by_text("(slechter;").count() == 0
    page.get_by_text("grijs = geen duidelijk verschil").first.wait_for()  # the map's legend


def test_the_presenter_view_shows_the_map_and_key_cards_in_large_type(tab, app_url):
    page = tab
    page.goto(app_url)
    wait_for_map(page)
    page.get_by_role("button", name=RUN).click()
    page.get_by_text("Klaar:").first.wait_for()
    page.get_by_role("button", name="Presentatie: kaart en kerncijfers groot").click()
    page.get_by_role("button", name="← Terug naar de werktafel").wait_for()
    page.get_by_role("button", name="Bewaar", exact=True).wait_for(state="hidden")
    sizes = page.evaluate("""() => { const out = [];
      function walk(root) { for (const el of root.querySelectorAll('*')) {
        if (el.classList && el.classList.contains('card') && el.offsetParent !== null)
          out.push(parseFloat(getComputedStyle(el.children[1]).fontSize));
        if (el.shadowRoot) walk(el.shadowRoot); } }
      walk(document); return out; }""")
    assert sizes and min(sizes) >= 48  # key figures readable from the back of the room
    assert page.locator("canvas").first.is_visible()
    page.get_by_role("button", name="← Terug naar de werktafel").click()
    page.get_by_role("button", name="Bewaar", exact=True).wait_for()


def test_redo_beside_undo_in_the_browser(tab, app_url):
    page = tab
    page.goto(app_url)
    wait_for_map(page)
    tap_map(page, 0.5, 0.5)
    page.get_by_text("Gekozen plek:").first.wait_for()
    page.get_by_label("Titel").fill("Kookcafé")
    page.get_by_role("button", name=ADD).click()
    page.get_by_text("Aanbod 'Kookcafé' toegevoegd").first.wait_for()
    assert page.get_by_label("Titel").input_value() == ""  # a fresh form for the next offer
    page.get_by_role("button", name="↶ Ongedaan maken").click()
    page.get_by_text("Ongedaan gemaakt: Aanbod 'Kookcafé' toegevoegd").first.wait_for()
    page.get_by_role("button", name="↷ Opnieuw doen").click()
    page.get_by_text("Opnieuw gedaan: Aanbod 'Kookcafé' toegevoegd").first.wait_for()
    page.get_by_text("Kookcafé · samen doen").first.wait_for()


def test_a_hostile_upload_is_refused_within_a_second_while_another_session_stays_responsive(chrome, app_url, tmp_path):
    from test_scenario_io import alias_bomb

    path = tmp_path / "bom.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    ctx_a, a = new_page(chrome, (1600, 1000))
    ctx_b, b = new_page(chrome, (1600, 1000))
    try:
        for p in (a, b):
            p.goto(app_url)
            wait_for_map(p)
        a.get_by_text("Bewaar", exact=True).click()

        def shown() -> str:
            slot = b.locator("div.message").first
            return slot.inner_text() if slot.count() else ""

        def tap_and_time(fx: float) -> float:
            b.mouse.move(5, 5)  # a person's hand leaves the map between taps (no hover over the last point)
            time.sleep(0.5)
            before = shown()
            t = time.perf_counter()
            tap_map(b, fx, 0.45)
            deadline = t + 20
            while time.perf_counter() < deadline and not (shown() != before and shown().startswith("Gekozen plek:")):
                time.sleep(0.02)
            assert shown() != before, "the other session did not answer the tap"
            return time.perf_counter() - t

        # taps far apart: a tap picks the nearest address, so taps close together can pick the same one
        tap_and_time(0.62)  # a first tap warms the session
        quiet = tap_and_time(0.40)  # how long a tap takes with nothing else going on
        started = time.perf_counter()
        a.locator("input[type=file]").first.set_input_files(str(path))
        during = tap_and_time(0.55)  # the other table taps the map while the file is read
        a.get_by_text("Dit scenariobestand wordt geweigerd").first.wait_for()
        refused = time.perf_counter() - started
        print(f"refused after {refused:.2f} s (browser round trips included); a tap took {during:.2f} s during the upload, "
              f"{quiet:.2f} s without")
        assert refused < 2.0 + during
        assert during < quiet + 1.0
    finally:
        ctx_a.close()
        ctx_b.close()


def test_the_words_of_a_yes_no_choice_are_tappable_and_english_reaches_the_title(tab, app_url):
    page = tab
    page.goto(app_url)
    wait_for_map(page)
    page.get_by_text("Centrale plek", exact=True).first.click()
    page.get_by_text("Er is een centrale plek").first.click()  # the words themselves
    page.get_by_role("button", name="☑ Er is een centrale plek").wait_for()
    page.get_by_role("button", name="English").click()
    page.get_by_text("Leerecosysteem Genk: the workshop table").first.wait_for()
    page.get_by_role("button", name="☑ There is a central site").wait_for()
    page.get_by_text("Central site", exact=True).first.wait_for()


@pytest.mark.parametrize("megabytes", [9, 30])
def test_a_file_too_large_to_send_is_refused_with_a_message_and_the_session_keeps_working(tab, app_url, tmp_path, megabytes):
    page = tab
    page.goto(app_url)
    wait_for_map(page)
    path = tmp_path / f"groot-{megabytes}.yaml"
    path.write_bytes(b"name: groot\n" + b"# " + b"x" * (megabytes * 1_000_000) + b"\n")
    page.get_by_text("Bewaar", exact=True).click()
    page.locator("input[type=file]").first.set_input_files(str(path))
    page.get_by_text(f"groot-{megabytes}.yaml: het bestand is {megabytes}").first.wait_for(timeout=20_000)
    page.get_by_text("hoogstens 2 MB is toegelaten").first.wait_for()
    # the websocket is still there: the session answers a tap and a language switch
    tap_map(page, 0.5, 0.5)
    page.get_by_text("Gekozen plek:").first.wait_for()
    page.get_by_role("button", name="English").click()
    page.get_by_text("Colour the wijken by").first.wait_for()
    page.locator("input[type=file]").first.set_input_files(str(path))
    page.get_by_text("the file is").first.wait_for()
    small = tmp_path / "klein.yaml"
    small.write_text(f"name: klein-bestand-{megabytes}\ntitle: Klein\n", encoding="utf-8")
    page.locator("input[type=file]").first.set_input_files(str(small))
    page.get_by_text(f"Imported and saved as klein-bestand-{megabytes} r1.").first.wait_for()
