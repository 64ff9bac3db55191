"""The council report (model/report.py): one self-contained HTML file and a CSV of every table.

Specifications: every section is there; every figure names its travel-time method and the
network date; the population-weight assumptions and attributions are stated; differences
inside the noise are said to be so; the scenarios are attached as YAML that reads back
into the same layouts; nothing is fetched from the network (and Chromium opens it with
every non-local request blocked); user text is escaped.
"""
from __future__ import annotations

import base64
import html
import re
import zipfile
from dataclasses import replace
from io import BytesIO

import pandas as pd
import pytest

from model.geography import ATTRIBUTIONS
from model.planner import LayoutCatchments, example_layouts, layout_from_scenario, robustness, simulate_layouts
from model.report import SECTIONS, build_report, write_report
from model.scenario import scenario_from_yaml

HOSTILE = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def genk():
    from model.geography import load_genk

    return load_genk()


@pytest.fixture(scope="module")
def layouts(genk):
    rm, hub = example_layouts(genk)
    # a planner's own text reaches the report: it must come out as text, never as markup
    hub = hub.with_site(replace(hub.sites[1], name=f"Winterslag {HOSTILE}"))
    return [rm, hub]


@pytest.fixture(scope="module")
def catchments(genk, layouts):
    return LayoutCatchments(genk, layouts)


@pytest.fixture(scope="module")
def report(catchments, layouts, tmp_path_factory):
    sim = simulate_layouts(layouts, n_seeds=2, weeks=4, population_scale=0.01)
    rob = robustness(layouts, tmp_path_factory.mktemp("robust"), n_samples=2, weeks=2, population_scale=0.01, serial=True,
                     progress=False)
    return build_report(catchments, sim=sim, robust=rob, compare=(layouts[0].name, layouts[1].name))


def section(report, sid: str) -> str:
    m = re.search(rf"<section id='{sid}'>(.*?)</section>", report.html, re.S)
    assert m, f"section {sid} missing"
    return m.group(1)


def test_the_report_has_every_section_with_dutch_and_english_headings(report):
    for sid, nl, en in SECTIONS:
        body = section(report, sid)
        assert f"<h2>{html.escape(nl)} <span class='en'>/ {html.escape(en)}</span></h2>" in body
        assert len(body) > 200, f"section {sid} is empty"


def test_every_figure_names_its_travel_time_method_and_the_network_date(report, catchments):
    for sid in ("bereik", "toegankelijkheid", "gebruik", "verschilkaart", "robuustheid"):
        body = section(report, sid)
        assert "class='method'" in body, f"{sid} has no travel-time method"
    catch = section(report, "bereik")
    for mode in catchments.engine.modes:
        assert catchments.method(mode, "nl").split("(")[0].replace("&", "&amp;")[:40] in catch
    assert "2021-08-06" in section(report, "methode")
    assert "bushalte plus een aanname" in section(report, "methode")


def test_every_assumption_behind_the_population_weights_is_stated(report, catchments):
    body = section(report, "aannames")
    assert catchments.engine.groups.assumption("en")[:60] in body
    assert "Homes and weights (dasymetric)" in body  # from data/README.md, ## Assumptions
    readme = (pd.io.common.Path(__file__).resolve().parents[1] / "data" / "README.md").read_text(encoding="utf-8")
    bullets = re.findall(r"^- \*\*(.+?)\*\*", readme.split("## Assumptions", 1)[1].split("\n## ", 1)[0], re.M)
    assert bullets and all(b.replace("&", "&amp;") in body for b in bullets)


def test_sources_and_attributions_are_stated(report):
    body = section(report, "bronnen")
    for attribution in ATTRIBUTIONS:
        assert html.escape(attribution) in body
    # and on every map (a room's week of hour blocks is no map)
    for svg in re.findall(r"<svg.*?</svg>", report.html, re.S):
        if "data-figure='timetable'" not in svg:
            assert html.escape(ATTRIBUTIONS[0]) in svg


def test_figures_inside_the_noise_are_said_to_be_so(report):
    cmp = report.tables["vergelijking"]
    unclear = cmp[cmp["verdict"] == "no_clear_difference"]
    assert len(unclear), "with 2 seeds of 4 weeks at least one indicator is inside the noise"
    body = section(report, "gebruik")
    assert body.count("binnen de ruis / inside the noise") >= len(unclear)
    diff = report.tables["verschil_per_wijk"]
    n_unclear = int((~diff["clear"]).sum())
    assert f"{n_unclear} van {len(diff)} wijken binnen de ruis" in section(report, "verschilkaart")


def test_tables_carry_intervals(report):
    ind = report.tables["indicatoren"]
    assert {"mean", "lo", "hi"} <= set(ind.columns)
    assert re.search(r"\d+\.\d \(-?\d+\.\d – -?\d+\.\d\)", section(report, "gebruik"))


def test_the_scenarios_are_attached_as_yaml_that_reads_back_into_the_layouts(report, layouts, genk):
    links = re.findall(r"download='([^']+\.yaml)' href='data:text/yaml;charset=utf-8;base64,([^']+)'", report.html)
    assert [name for name, _ in links] == [f"{l.name}.yaml" for l in layouts]
    for (_, data), layout in zip(links, layouts):
        scenario = scenario_from_yaml(base64.b64decode(data).decode("utf-8"))
        assert layout_from_scenario(scenario, genk) == layout


def test_every_table_is_a_csv_attached_and_written(report, tmp_path):
    links = dict(re.findall(r"download='([^']+\.csv)' href='data:text/csv;charset=utf-8;base64,([^']+)'", report.html))
    assert set(links) == {f"{name}.csv" for name in report.tables}
    for name, df in report.tables.items():
        back = pd.read_csv(BytesIO(base64.b64decode(links[f"{name}.csv"])))
        assert back.shape == df.shape
    paths = write_report(report, tmp_path)
    assert paths["html"].read_text(encoding="utf-8") == report.html
    assert sorted(p.name for k, p in paths.items() if k != "html") == sorted(f"raadsrapport-{n}.csv" for n in report.tables)
    with zipfile.ZipFile(BytesIO(report.csv_zip())) as zf:
        assert sorted(zf.namelist()) == sorted(f"{n}.csv" for n in report.tables)


def test_the_report_loads_nothing_from_the_network(report):
    refs = re.findall(r"""(?:src|href|url)\s*[=(]\s*['"]?([^'" >)]+)""", report.html)
    outside = [r for r in refs if not (r.startswith("data:") or r.startswith("#"))]
    assert outside == []
    assert "<script" not in report.html  # nothing to run, nothing to fetch


def test_user_text_is_escaped(report):
    assert HOSTILE not in report.html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in report.html


def test_without_simulation_the_report_says_what_was_not_run(catchments):
    rep = build_report(catchments)
    for sid, *_ in SECTIONS:
        assert f"<section id='{sid}'>" in rep.html
    assert "Niet gesimuleerd" in section(rep, "gebruik") and "not run" in section(rep, "robuustheid")


# ============================================================================ in a real browser, offline


@pytest.mark.browser
def test_the_report_opens_in_chromium_without_network(report, tmp_path):
    from browser_support import chromium, chromium_available

    if not chromium_available():
        pytest.fail("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    path = write_report(report, tmp_path)["html"]
    asked: list[str] = []
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1200, "height": 900}, offline=True)

        def refuse(route):
            asked.append(route.request.url)
            route.abort()

        context.route(re.compile(r"^(?!file:|data:)"), refuse)
        page = context.new_page()
        page.goto(path.as_uri())
        for _, nl, en in SECTIONS:
            assert page.get_by_role("heading", name=f"{nl} / {en}").is_visible()
        maps = page.locator("svg")
        assert maps.count() >= 4
        box = maps.first.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 200  # drawn, not an empty frame
        assert page.evaluate("document.querySelectorAll('svg path').length") > 31 * 4
        context.close()
    assert asked == []


def test_every_simulated_room_has_its_week_of_visitors_per_hour_block(report, layouts):
    body = section(report, "gebruik")
    assert "Bezoekers per ruimte per uurblok / visitors per room per hour block" in body
    blocks = report.tables["bezoekers_per_uurblok"]
    rooms = blocks[["layout", "site", "room"]].drop_duplicates()
    assert len(re.findall(r"data-figure='timetable'", body)) == len(rooms)
    assert {"rm", "winterslag", "waterschei", "zwartberg"} <= set(blocks.loc[blocks["layout"] == layouts[1].name, "site"])
    assert ((blocks["crowding"] - blocks["visitors"] / blocks["places"]).abs() < 1e-9).all()
    assert (blocks["visitors_lo"] <= blocks["visitors"] + 1e-9).all() and (blocks["visitors_lo"] >= 0).all()
    assert "Winterslag &lt;script&gt;" in body and "<script>alert" not in body


def test_running_cost_per_site_gives_a_cost_per_participant(report, layouts):
    cost = report.tables["kosten_per_site"].set_index(["layout", "site"])
    hub = layouts[1]
    assert cost.loc[(hub.name, "winterslag"), "running_cost_eur_per_year"] == hub.sites[1].cost_eur_per_year
    ok = cost.dropna(subset=["cost_per_participant_eur"])
    assert len(ok) and (ok["cost_per_participant_eur"] > 0).all()
    assert "Werkingskosten per site en kost per deelnemer" in section(report, "gebruik")


def test_a_rooms_week_heatmap_by_hand():
    from model.report import block_heatmap_svg

    blocks = pd.DataFrame({"day": ["mon", "mon", "wed"], "hour": [9, 10, 14], "visitors": [0.0, 12.0, 6.0],
                           "crowding": [0.0, 1.2, 0.6], "places": [10, 10, 10]})
    svg = block_heatmap_svg(blocks, title="zaal <b>1</b>")
    assert svg.count("<rect") == 3  # one cell per open hour, none for closed hours
    assert svg.count("stroke='#000000'") == 1  # above 1: outlined
    assert ">12</text>" in svg and ">6</text>" in svg and "zaal &lt;b&gt;1&lt;/b&gt;" in svg
    assert "ma / Mon" in svg and "wo / Wed" in svg and "di / Tue" not in svg
    assert block_heatmap_svg(blocks.iloc[:0], title="leeg") == ""


def test_the_layouts_section_has_every_sites_timetable_before_simulation(catchments, layouts):
    rep = build_report(catchments)
    table = rep.tables["rooster"]
    assert set(table["layout"]) == {layouts[0].name, layouts[1].name}
    assert {"rm", "winterslag", "waterschei", "zwartberg"} <= set(table.loc[table["layout"] == layouts[1].name, "site"])
    assert (table["end"] > table["start"]).all()
    body = section(rep, "opstellingen")
    assert "Rooster: elk aanbod van een site in zijn ruimte en uren" in body and "Winterslag &lt;script&gt;" in body
