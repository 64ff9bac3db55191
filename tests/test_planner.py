"""The site planner's model side (model/planner.py) and its screen state (apps/planner/state.py), as specifications.

Known answers on the tiny geography (tests/tiny_geography.py: walking 75 m/min, homes
every 100 m on a line through each 1 km square, 10 residents each); simulated use on
the real Genk with small, seeded runs; the robustness design through the experiments
runner (a plain loop, and Dask once).
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from model.accessibility import SiteError, catchment_weights, two_step_fca_loop
from model.planner import (SATELLITE_SESSIONS_MAX, SESSION_HOURS, Layout, LayoutCatchments, PlannerError, check_layout,
                           duplicate_layout, layout_from_scenario, layout_to_scenario, parse_opening_hours, robustness,
                           rooms_from_text, simulate_layouts, site_at_point, site_at_venue, weekly_hours)
from model.scenario import RoomSpec
from tests.tiny_geography import ADJACENT_WIJK, FAR_VENUE, HOME_WIJK, ISOLATED_WIJK, NEAR_VENUE, REGINA_MUNDI, TinyGenk

ROOMS = (RoomSpec(name="zaal", kind="club_room", capacity=20),)
STREET = ("walk", "bike", "car")


@pytest.fixture
def tiny():
    return TinyGenk()


def one_site(geo, venue, name="a", places=20, **kw):
    return Layout(name, (site_at_venue(geo, venue, "main", rooms=(RoomSpec(name="zaal", capacity=places),), **kw),))


# ============================================================================ opening hours
@pytest.mark.parametrize("text, hours", [
    ("ma-vr 9-17", 40), ("ma-vr 9-17; za 10-14", 44), ("di,do 14-18; za 10-13", 11), ("maandag 9:30-12:00, 13-17", 6.5),
    ("mo-fr 9u-12u", 15), ("za-ma 10-12", 6), ("40 u/week", 40), ("12,5 h", 12.5)])
def test_opening_hours_by_day_are_read_as_people_write_them(text, hours):
    assert weekly_hours(text) == pytest.approx(hours)


def test_opening_hours_keep_the_day(tiny):
    assert parse_opening_hours("ma-vr 9-17; za 10-14") == {0: 8, 1: 8, 2: 8, 3: 8, 4: 8, 5: 4}


@pytest.mark.parametrize("text, nl, en", [
    ("", "geen openingsuren", "no opening hours"), ("ma 9", "geen tijdvak", "not a time range"),
    ("xx 9-17", "geen dag", "not a day"), ("ma 17-9", "einde niet na het begin", "end is not after the start"),
    ("ma 25-26", "geen uur van de dag", "not a time of day"), ("200 u", "hoogstens 98", "at most 98"),
    ("ma 0-20, 1-23", "hoogstens 24", "at most 24")])
def test_opening_hours_that_do_not_parse_are_refused_in_dutch_and_english(text, nl, en):
    with pytest.raises(PlannerError) as err:
        parse_opening_hours(text)
    assert nl in err.value.nl and en in err.value.en


# ============================================================================ rooms and sites
def test_rooms_are_read_with_dutch_or_english_kinds():
    rooms = rooms_from_text("keuken 12\nmaker space 20 atelier; tuin 8")
    assert [(r.kind, r.capacity) for r in rooms] == [("kitchen", 12), ("maker_space", 20), ("garden", 8)]
    assert rooms[1].name == "atelier"


@pytest.mark.parametrize("text", ["keuken 0", "keuken -3", "keuken veel", "keuken 2,5"])
def test_a_room_without_places_is_refused_in_dutch_and_english(text):
    with pytest.raises(PlannerError) as err:
        rooms_from_text(text)
    assert "minstens 1 plaats" in err.value.nl and "at least 1 place" in err.value.en


def test_an_unknown_room_kind_names_the_known_ones():
    with pytest.raises(PlannerError) as err:
        rooms_from_text("zwembad 30")
    assert "keuken/kitchen" in err.value.nl and "kitchen" in err.value.en


def test_a_site_outside_genk_is_refused(tiny):
    layout = Layout("a", (site_at_point(100.0, 100.0, "main", rooms=ROOMS),))
    with pytest.raises(SiteError) as err:
        check_layout(tiny, layout)
    assert "buiten Genk" in err.value.nl and "outside Genk" in err.value.en


def test_two_sites_on_one_spot_are_refused(tiny):
    a = site_at_venue(tiny, NEAR_VENUE, "main", rooms=ROOMS)
    layout = Layout("a", (a, site_at_venue(tiny, NEAR_VENUE, "second", rooms=ROOMS)))
    with pytest.raises(SiteError) as err:
        check_layout(tiny, layout)
    assert "dezelfde plek" in err.value.nl and "on one spot" in err.value.en


def test_a_site_without_rooms_is_refused(tiny):
    with pytest.raises(PlannerError) as err:
        check_layout(tiny, Layout("a", (site_at_venue(tiny, NEAR_VENUE, "main"),)))
    assert "minstens één ruimte" in err.value.nl and "at least one room" in err.value.en


def test_a_satellite_may_have_permanent_providers_and_guests_of_its_own(tiny):
    main = site_at_venue(tiny, NEAR_VENUE, "main", rooms=ROOMS)
    sat = site_at_venue(tiny, FAR_VENUE, "sat", rooms=ROOMS, permanent=("academy",), guests=("library",))
    check_layout(tiny, Layout("a", (main, sat)))
    scenario = layout_to_scenario(Layout("a", (main, sat)))
    (site,) = scenario.levers.sites
    assert [p.value for p in site.permanent_providers] == ["academy"] and [p.value for p in site.guest_providers] == ["library"]
    assert not [o for o in scenario.levers.offers if o.id.startswith("sat.")]  # providers hold its rooms, no house offers


# ============================================================================ layouts as scenarios
def test_a_layout_is_a_scenario_main_site_central_the_others_as_sites(tiny):
    main = site_at_venue(tiny, REGINA_MUNDI, "rm", rooms=rooms_from_text("keuken 15\ntoonplaats 80"),
                         opening_hours="ma-vr 9-17; za 10-14", permanent=("academy",), guests=("library",),
                         cost_eur_per_year=250_000)
    sat = site_at_venue(tiny, FAR_VENUE, "Far Site", rooms=rooms_from_text("tuin 8\ntoonplaats 30"), opening_hours="di 14-18",
                        cost_eur_per_year=40_000)
    scenario = layout_to_scenario(Layout("twee", (main, sat)))
    cs = scenario.levers.central_site
    assert cs.enabled and cs.place.venue_id == REGINA_MUNDI and cs.opening_hours_per_week == 44
    assert cs.opening_hours == {**{d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}, "sat": "10:00-14:00"}
    assert [(r.kind, r.capacity) for r in cs.rooms] == [("kitchen", 15), ("showcase_space", 80)]
    assert [p.value for p in cs.permanent_providers] == ["academy"] and [p.value for p in cs.guest_providers] == ["library"]
    assert cs.running_cost_eur_per_year == 250_000
    (site,) = scenario.levers.sites
    assert site.id == "far-site" and site.place.venue_id == FAR_VENUE and site.opening_hours == {"tue": "14:00-18:00"}
    assert site.running_cost_eur_per_year == 40_000 and site.showcase_events_per_month == 0
    sat_offers = [o for o in scenario.levers.offers if o.id.startswith("sat.")]
    assert [(o.place.kind, o.place.site_id) for o in sat_offers] == [("site", "far-site")] * 2
    sessions = min(SATELLITE_SESSIONS_MAX, int(4 // SESSION_HOURS))  # di 14-18 = 4 h: two 2-hour sessions
    assert [o.capacity_per_week for o in sat_offers] == [8 * sessions, 30 * sessions]
    assert [o.hours_per_week for o in sat_offers] == [SESSION_HOURS] * 2
    assert [o.themes[0].value for o in sat_offers] == ["kweken_en_natuur", "ontspanning"]
    assert [o.level.slug for o in sat_offers] == ["samen_doen", "zien_doen"]


def test_a_satellites_room_offers_are_timetabled_into_its_hour_blocks(tiny):
    from model.offers import build_offers

    main = site_at_venue(tiny, REGINA_MUNDI, "rm", rooms=ROOMS, opening_hours="ma 9-12")
    sat = site_at_venue(tiny, FAR_VENUE, "far", rooms=rooms_from_text("tuin 8\ntoonplaats 30"), opening_hours="di 14-18")
    _, plan = build_offers(layout_to_scenario(Layout("twee", (main, sat))), tiny.venues)
    b = {x.offer_id: x for x in plan.bookings}
    assert b["sat.far.0"].site_id == "far" and b["sat.far.0"].room == "tuin 1"
    assert b["sat.far.0"].blocks == (("tue", 14.0, 16.0), ("tue", 16.0, 18.0)) and b["sat.far.0"].places == 16
    assert b["sat.far.1"].blocks == (("tue", 14.0, 16.0), ("tue", 16.0, 18.0)) and b["sat.far.1"].room == "toonplaats 2"


def test_visitors_per_hour_block_of_a_layout_for_fixed_enrolment(tiny):
    from model.offers import build_offers
    from model.planner import layout_blocks

    main = site_at_venue(tiny, REGINA_MUNDI, "rm", rooms=ROOMS, opening_hours="ma 9-12")
    sat = site_at_venue(tiny, FAR_VENUE, "far", rooms=rooms_from_text("tuin 8"), opening_hours="di 14-18")
    layout = Layout("twee", (main, sat))
    _, plan = build_offers(layout_to_scenario(layout), tiny.venues)
    v = layout_blocks(layout, plan, {"sat.far.0": 12.0}, demand={"sat.far.0": 20.0})
    far = v[v["site"] == "far"]
    # 12 learners over two sessions of the garden (8 places): 6 an hour, crowding 0.75; demand 20: 10 an hour, 1.25
    assert far[["day", "hour", "visitors", "crowding", "demand", "demand_crowding"]].values.tolist() == [
        ["tue", h, 6.0, 0.75, 10.0, 1.25] for h in (14, 15, 16, 17)]
    main_rows = v[v["site"] == "rm"]
    assert main_rows[["day", "hour"]].values.tolist() == [["mon", 9], ["mon", 10], ["mon", 11]]
    assert (main_rows["visitors"] == 0).all()  # open, nothing booked


def test_a_weekly_total_is_kept_as_weekly_hours_in_the_default_pattern(tiny):
    main = site_at_venue(tiny, REGINA_MUNDI, "rm", rooms=ROOMS, opening_hours="20 u/week")
    cs = layout_to_scenario(Layout("week", (main,))).levers.central_site
    assert cs.opening_hours is None and cs.opening_hours_per_week == 20


def test_overlapping_opening_hours_of_a_day_are_refused_in_dutch_and_english():
    with pytest.raises(PlannerError) as err:
        parse_opening_hours("ma-vr 9-17; wo 16-20")
    assert "op wo overlappen 9:00-17:00 en 16:00-20:00" in err.value.nl
    assert "on Wed 9:00-17:00 and 16:00-20:00 overlap" in err.value.en


def test_sites_nearer_than_the_schemas_one_spot_distance_are_refused(tiny):
    a = site_at_point(230_500.0, 185_500.0, "main", rooms=ROOMS)
    layout = Layout("a", (a, site_at_point(230_510.0, 185_500.0, "b", rooms=ROOMS)))  # 10 m apart
    with pytest.raises(SiteError) as err:
        check_layout(tiny, layout)
    assert "dezelfde plek" in err.value.nl and "on one spot" in err.value.en


def test_a_layout_saved_before_sites_were_in_the_schema_is_still_read(tiny):
    import json

    from model.scenario import load_scenario

    meta = {"base": "regina-mundi-hub", "title": "oud", "sites": [
        {"id": "rm", "name": "Regina Mundi", "x": 231500.0, "y": 185500.0, "hours": "ma-vr 9-17", "cost": 5.0,
         "venue": REGINA_MUNDI, "rooms": [["kitchen", 12, "keuken"]]},
        {"id": "sat", "name": "Ver", "x": 242500.0, "y": 185500.0, "hours": "di 14-18", "cost": 1.0, "venue": FAR_VENUE,
         "rooms": [["garden", 8, "tuin"]]}]}
    old = load_scenario("regina-mundi-hub").model_copy(update={
        "name": "oud", "description": "Opstelling\n[planner] " + json.dumps(meta)})
    layout = layout_from_scenario(old, tiny)
    assert [s.site_id for s in layout.sites] == ["rm", "sat"] and layout.sites[1].rooms[0].kind == "garden"
    assert layout.cost_eur_per_year == 6.0 and layout.sites[1].opening_hours == "di 14-18"


def test_a_layout_survives_the_scenario_yaml_and_the_store(tiny, tmp_path):
    from model.scenario import scenario_from_yaml
    from model.store import Store

    main = site_at_venue(tiny, REGINA_MUNDI, "rm", rooms=ROOMS, opening_hours="ma,wo 9-12", cost_eur_per_year=1000)
    layout = Layout("heen-en-terug", (main, site_at_point(242_400.0, 185_400.0, "p", name="Punt", rooms=ROOMS)), "titel")
    back = layout_from_scenario(scenario_from_yaml(layout_to_scenario(layout).to_yaml()), tiny)
    assert back == layout
    store = Store(tmp_path / "store.sqlite")
    store.save(layout_to_scenario(layout))
    assert layout_from_scenario(store.latest("heen-en-terug").scenario, tiny) == layout


def test_duplicating_a_layout_leaves_the_original(tiny):
    a = one_site(tiny, NEAR_VENUE)
    b = duplicate_layout(a, "b").with_site(site_at_venue(tiny, FAR_VENUE, "sat", rooms=ROOMS))
    assert len(a.sites) == 1 and len(b.sites) == 2 and b.name == "b"


# ============================================================================ catchments (tiny, known answers)
def test_a_satellite_in_the_isolated_wijk_brings_it_within_reach(tiny):
    hub = one_site(tiny, NEAR_VENUE, "hub")
    plus = duplicate_layout(hub, "plus").with_site(site_at_venue(tiny, FAR_VENUE, "sat", rooms=ROOMS))
    c = LayoutCatchments(tiny, [hub, plus], modes=STREET)
    assert ISOLATED_WIJK in c.out_of_reach("hub", "walk", 15)
    assert ISOLATED_WIJK not in c.out_of_reach("plus", "walk", 15)
    wijk = c.reach_by_wijk("plus", "walk", 5).set_index("wijk")
    # 5 min walking = 375 m: 8 homes of 10 around each venue; adjacent_wijk's nearest home is 550 m away
    assert wijk.loc[ISOLATED_WIJK, "share_within"] == pytest.approx(0.8)
    assert wijk.loc[HOME_WIJK, "share_within"] == pytest.approx(0.8)
    assert wijk.loc[ADJACENT_WIJK, "share_within"] == 0
    assert wijk.loc[ISOLATED_WIJK, "youth_share_within"] == pytest.approx(0.8)


def test_catchment_per_site_counts_homes_band_by_band(tiny):
    c = LayoutCatchments(tiny, [one_site(tiny, NEAR_VENUE)], modes=["walk"])
    walk = c.totals("a").iloc[0]
    # see tests/test_accessibility.py: 80, 130, 160, 200, 200 residents within 5..30 min
    assert [walk[f"{b} min"] for b in (5, 10, 15, 20, 30)] == pytest.approx([80, 130, 160, 200, 200])


def test_moving_a_site_changes_only_its_own_layout(tiny):
    a, b = one_site(tiny, NEAR_VENUE, "a"), one_site(tiny, NEAR_VENUE, "b")
    c = LayoutCatchments(tiny, [a, b], modes=["walk"])
    before_b = c.totals("b")
    x, y = tiny.venue_xy(FAR_VENUE)
    moved = c.move("a", "main", x, y)
    assert (moved.main.x, moved.main.y) == (x, y) and moved.main.venue_id is None
    assert HOME_WIJK in c.out_of_reach("a", "walk", 15)
    assert c.totals("b").equals(before_b)


def test_places_per_resident_of_a_layout_match_the_obvious_loop(tiny):
    # two sites of a layout, 20 and 5 places; 2SFCA within 30 min and E2SFCA, against two_step_fca_loop
    main = site_at_venue(tiny, NEAR_VENUE, "main", rooms=(RoomSpec(name="z", capacity=20),))
    sat = site_at_venue(tiny, REGINA_MUNDI, "sat", rooms=(RoomSpec(name="z", capacity=5),))
    c = LayoutCatchments(tiny, [Layout("a", (main, sat))], modes=["walk"])
    cost = c.engine.minutes("walk", ["a/main", "a/sat"]).astype(float)
    demand = tiny.addresses["weight"].to_numpy(float)
    for method in ("2sfca", "e2sfca"):
        w = catchment_weights(cost, method=method, max_minutes=30)
        lookup = {(i, j): w[i, j] for i in range(len(demand)) for j in range(2)}
        cells = [[(i, j) for j in range(2)] for i in range(len(demand))]
        loop = np.array(two_step_fca_loop(demand, [20, 5], cells, lambda ij: lookup[ij]))
        got = c.places_by_wijk(["a"], mode="walk", method=method)
        got = got[got["group"] == "all"].set_index("wijk")["places_per_1000"] / 1000
        wijk = tiny.addresses["wijk"].to_numpy()
        for name in (HOME_WIJK, ADJACENT_WIJK, ISOLATED_WIJK):
            m = wijk == name
            expected = float((loop[m] * demand[m]).sum() / demand[m].sum())
            assert got[name] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    # every place is shared out over the residents who can reach it (2SFCA conserves supply)
    got = c.places_by_wijk(["a"], mode="walk", method="2sfca")
    got = got[got["group"] == "all"]
    assert float((got["places_per_1000"] / 1000 * got["residents"]).sum()) == pytest.approx(25)


# ============================================================================ simulated use (real Genk, small runs)
@pytest.fixture(scope="module")
def genk():
    from model.geography import load_genk

    return load_genk()


@pytest.fixture(scope="module")
def two_layouts(genk):
    from model.planner import example_layouts

    return example_layouts(genk)


@pytest.fixture(scope="module")
def simulated(two_layouts):
    twin = duplicate_layout(two_layouts[0], "tweeling")
    return simulate_layouts([*two_layouts, twin], n_seeds=3, weeks=6, population_scale=0.01)


def test_every_layout_runs_on_the_same_seeds(simulated):
    seeds = {name: [r.seed for r in runs] for name, runs in simulated.runs.items()}
    assert len({tuple(s) for s in seeds.values()}) == 1 and len(simulated.seeds) == 3


def test_a_layout_against_its_identical_twin_is_no_clear_difference(simulated):
    # common random numbers: the same layout on the same seeds gives the same runs, so every paired
    # difference is exactly 0 (with independent seeds it would not be)
    cmp = simulated.compare("regina-mundi", "tweeling").set_index("indicator")
    assert (cmp["diff"].fillna(0) == 0).all()
    assert (cmp["verdict"] == "no_clear_difference").all()
    diff = simulated.wijk_difference("regina-mundi", "tweeling")
    assert not diff["clear"].any() and (diff["diff"] == 0).all()


def test_side_by_side_indicators_carry_intervals_around_the_mean(simulated):
    ind = simulated.indicators()
    ok = ind.dropna(subset=["lo", "hi"])
    assert len(ok) and ((ok["lo"] <= ok["mean"] + 1e-9) & (ok["mean"] <= ok["hi"] + 1e-9)).all()
    assert set(ind["layout"]) == {"regina-mundi", "hub-en-satellieten", "tweeling"}


def test_rooms_report_visitors_waiting_and_crowding_as_demand_over_places(simulated, two_layouts):
    rooms = simulated.rooms()
    hub = rooms[rooms["layout"] == "hub-en-satellieten"]
    assert {"rm", "winterslag", "waterschei", "zwartberg"} <= set(hub["site"])  # the satellites' rooms are there
    for col in ("visitors_per_week", "waitlisted", "crowding"):  # intervals stay where the quantity can be
        ok = rooms.dropna(subset=[f"{col}_lo"])
        assert (ok[f"{col}_lo"] >= 0).all() and (ok[f"{col}_lo"] <= ok[col] + 1e-9).all()
    from model.planner import _site_rooms

    run = simulated.runs["regina-mundi"][0]
    per = _site_rooms(run, two_layouts[0], simulated.weeks)
    expected = (per["visitors_per_week"] + per["waitlisted"] / simulated.weeks) / per["places"]
    assert np.allclose(per["crowding"], expected)
    assert (per["places"] > 0).all() and (per["visitors_per_week"] >= 0).all()
    # the main site's rooms book at most their opening hours; a session's visitors are the week's over its sessions
    assert (per["hours_booked"] <= per["hours_open"] + 1e-9).all()
    assert np.allclose(per["visitors_per_session"], per["visitors_per_week"] / per["sessions_per_week"])


def test_uptake_by_wijk_and_group_and_cost_per_participant(simulated, two_layouts):
    assert set(simulated.by_wijk()["wijk"]) == set(simulated.runs["regina-mundi"][0].wijk_table().index)
    groups = simulated.by_group()
    assert {"age_group", "means"} == set(groups["grouping"])
    ind = simulated.indicators().set_index(["layout", "indicator"])
    cost = ind.loc[("regina-mundi", "site_cost_per_participant_eur"), "mean"]
    run_people = [float(_rooms(r, two_layouts[0], simulated.weeks)["participants"].sum()) for r in simulated.runs["regina-mundi"]]
    expected = np.mean([two_layouts[0].cost_eur_per_year * simulated.weeks / 52 / p for p in run_people])
    assert cost == pytest.approx(expected)


def _rooms(run, layout, weeks):
    from model.planner import _site_rooms

    return _site_rooms(run, layout, weeks)


# ============================================================================ robustness (experiments runner)
def test_robustness_shares_add_up_and_a_twin_always_ties(two_layouts, tmp_path):
    twin = duplicate_layout(two_layouts[0], "tweeling")
    rob = robustness([two_layouts[0], twin, two_layouts[1]], tmp_path, n_samples=3, weeks=3, population_scale=0.01,
                     serial=True, progress=False)
    wins = rob.wins().set_index(["layout", "other"])
    assert wins.loc[("regina-mundi", "tweeling"), "share_tied"] == 1.0
    a, b = "regina-mundi", "hub-en-satellieten"
    total = wins.loc[(a, b), "share_better"] + wins.loc[(b, a), "share_better"] + wins.loc[(a, b), "share_tied"]
    assert total == pytest.approx(1.0) and wins.loc[(a, b), "n"] == 3
    # every layout saw the same samples (same parameter values and seeds, one row per sample)
    assert len(rob.samples) == 3 and rob.samples["seed"].nunique() == 1


def test_robustness_through_dask_equals_the_plain_loop(two_layouts, tmp_path):
    from dask.distributed import Client, LocalCluster

    kw = dict(n_samples=2, weeks=2, population_scale=0.01, progress=False)
    serial = robustness(two_layouts, tmp_path / "serial", serial=True, **kw)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1") as cl, \
            Client(cl) as client:
        dask = robustness(two_layouts, tmp_path / "dask", client=client, **kw)
    cols = [l.name for l in two_layouts]
    assert np.allclose(serial.samples[cols].to_numpy(), dask.samples[cols].to_numpy())


# ============================================================================ the screen's state
@pytest.fixture(scope="module")
def state(genk, tmp_path_factory):
    from apps.planner.state import PlannerState
    from model.store import Store

    return PlannerState(geo=genk, store=Store(tmp_path_factory.mktemp("store") / "s.sqlite"))


def test_bad_input_is_refused_at_entry_and_changes_nothing(state):
    before = state.current
    assert not state.edit_site(name="x", rooms="keuken 0", opening_hours="ma 9-17", permanent=[], guests=[])
    assert "plaats" in state.message and "place" in state.message and state.level == "danger"
    assert not state.edit_site(name="x", rooms="keuken 5", opening_hours="maandag", permanent=[], guests=[])
    assert "Openingsuren" in state.message and "Opening hours" in state.message
    assert not state.move_site(0.0, 0.0)
    assert "buiten Genk" in state.message and "outside Genk" in state.message
    assert not state.add_site(address="Nergensstraat 1")
    assert "Adres" in state.message and "Address" in state.message
    assert state.current == before


def test_duplicate_edit_undo_and_save(state):
    name = state.layout
    assert state.duplicate("kopie-test") and state.layout == "kopie-test"
    assert state.add_site(address="Stalenstraat 32")
    assert len(state.current.sites) == 2 and len(state.layouts[name].sites) == len(state.layouts[name].sites)
    x, y = state.current_site.x, state.current_site.y
    assert state.move_site(x + 200, y + 100)
    state.undo()
    assert (state.current_site.x, state.current_site.y) == (x, y)
    state.redo()
    assert state.current_site.x == pytest.approx(x + 200)
    link = state.save()
    assert link.endswith("scenario=kopie-test&revision=1")
    # two sites on one spot: a satellite at the main site's own venue is refused
    assert not state.add_site(venue_id=state.current.main.venue_id) and "one spot" in state.message
    assert len(state.current.sites) == 2


def test_dragging_recomputes_the_catchment_fast_and_only_the_final_position_is_kept(state):
    state.select("regina-mundi")
    before = state.catchments.reach_by_wijk("regina-mundi", "walk", 15)["residents_within"].sum()
    x, y = state.current_site.x, state.current_site.y
    n_undo = len(state.designs["regina-mundi"]._undo)
    assert state.move_site(x + 1500, y + 1500, final=False)
    during = state.catchments.reach_by_wijk("regina-mundi", "walk", 15)["residents_within"].sum()
    assert during != before and state.last_recatch_ms < 1000
    assert len(state.designs["regina-mundi"]._undo) == n_undo  # a drag step is not an undo step
    assert state.move_site(x + 1500, y + 1500, final=True)
    assert len(state.designs["regina-mundi"]._undo) == n_undo + 1


def test_dragging_on_the_map_moves_the_site_while_the_pointer_moves(state):
    from types import SimpleNamespace

    from apps.components.mapview import to_mercator
    from apps.planner.views import PlannerMap

    state.select("hub-en-satellieten")
    view = PlannerMap(state=state)
    site = state.current_site
    n_undo = len(state.designs[state.layout]._undo)
    mx, my = to_mercator(site.x, site.y)
    before = view._wijk_src.data["value"]
    view._pan_start(SimpleNamespace(x=mx, y=my))
    for k in range(1, 4):  # three pointer positions, each re-routes the site and recolours the map
        time.sleep(0.1)
        view._pan(SimpleNamespace(x=mx + 400 * k, y=my + 300 * k))
    during = view._wijk_src.data["value"]
    assert during != before
    assert len(state.designs[state.layout]._undo) == n_undo  # nothing recorded yet
    view._pan_end(SimpleNamespace(x=mx + 1200, y=my + 900))
    assert len(state.designs[state.layout]._undo) == n_undo + 1
    assert state.current_site.x != pytest.approx(site.x)


def test_a_drag_that_does_not_start_on_a_site_moves_nothing(state):
    from types import SimpleNamespace

    from apps.planner.views import PlannerMap

    view = PlannerMap(state=state)
    site = state.current_site
    view._pan_start(SimpleNamespace(x=0.0, y=0.0))
    view._pan(SimpleNamespace(x=10.0, y=10.0))
    view._pan_end(SimpleNamespace(x=10.0, y=10.0))
    assert state.current_site == site


def test_the_app_imports_without_serving_and_escapes_what_a_planner_types(state):
    import importlib

    import panel as pn

    module = importlib.import_module("apps.site_planner")
    assert not pn.state.served
    app = module.SitePlannerApp(state=state)
    hostile = "<img src=x onerror=alert(1)>"
    assert state.edit_site(name=hostile, rooms="keuken 10", opening_hours="ma 9-17", permanent=[], guests=[])
    state.move_site(0.0, 0.0)  # refused: the message names the site
    assert "lies outside Genk" in state.message
    shown = [app.message.object, app.out_note.object, app.method_note.object]
    assert all("<img" not in str(text) for text in shown)
    assert "&lt;img" in app.message.object
    assert f"1. {hostile} (hoofdsite / main)" in app.site_select.options  # a Select shows its options as text


def test_a_gtfs_feed_replaces_the_public_transport_assumption(genk, tmp_path):
    from apps.planner.state import PlannerState
    from tests.test_transit import write_tiny_feed

    state = PlannerState(geo=genk, layouts=[])
    from model.planner import example_layouts

    for layout in example_layouts(genk)[:1]:
        state._put(layout)
    state.select("regina-mundi")
    assert "assumption" in state.catchments.method("pt", "en") and not state.uses_timetable
    home = genk.geocode("Stalenstraat 32")
    site = state.current.main
    feed = write_tiny_feed(tmp_path / "dl.zip", np.array([[home.x, home.y], [site.x, site.y]]))
    state.use_gtfs(b"not a zip", "x.zip")
    assert "geen zip" in state.message and "not a zip" in state.message
    state.use_gtfs(feed.read_bytes(), "de-lijn.zip", wait=True, date="20260112", start="08:00", end="09:00", step_minutes=1)
    assert state.uses_timetable and state.level == "success"
    assert "de-lijn.zip (GTFS)" in state.catchments.method("pt", "en")
    assert str(tmp_path) not in state.catchments.method("pt", "en")


def test_a_new_site_that_nobody_holds_an_offer_in_is_flagged_after_simulation(genk):
    main = site_at_venue(genk, "regina_mundi", "main", rooms=ROOMS)
    sim = simulate_layouts([Layout("leeg", (main,))], n_seeds=2, weeks=2, population_scale=0.01)
    assert any("nobody holds an offer there" in w for w in sim.warnings()["leeg"])
    assert sim.unscheduled().empty


def test_the_simulation_tab_shows_each_rooms_week_of_hour_blocks_and_the_cost_per_site(state):
    import apps.site_planner as sp

    app = sp.SitePlannerApp(state=state)
    assert state.simulate(["regina-mundi"], n_seeds=2, weeks=4, scale=0.01, wait=True)
    blocks = state.blocks()
    assert set(blocks["layout"]) == {"regina-mundi"} and len(blocks) and state.blocks() is blocks  # computed once
    rooms = blocks[["site", "room"]].drop_duplicates()
    assert len(app.block_room.options) == len(rooms)
    assert "data-figure='timetable'" in app.block_map.object and "plaatsen / places" in app.block_map.object
    first = next(iter(app.block_room.options.values()))
    app.block_room.value = list(app.block_room.options.values())[-1]
    assert app.block_room.value != first or len(rooms) == 1
    cost = app.site_cost_table.object
    assert list(cost["site"]) == [state.layouts["regina-mundi"].main.site_id]
    assert cost["running_cost_eur_per_year"].iloc[0] == state.layouts["regina-mundi"].main.cost_eur_per_year


def test_the_form_shows_how_the_opening_hours_are_read_as_they_are_typed(state):
    import apps.site_planner as sp

    app = sp.SitePlannerApp(state=state)
    app.hours.value = "ma-wo 9-12, 13-17; za 10-14"
    assert app.hours_note.object == "ma 09:00-12:00, 13:00-17:00 · di 09:00-12:00, 13:00-17:00 · " \
                                    "wo 09:00-12:00, 13:00-17:00 · za 10:00-14:00"
    app.hours.value = "ma 9-12; ma 11-14"
    assert "overlappen" in app.hours_note.object
    app.hours.value = "30 u/week"
    assert "weekly total" in app.hours_note.object


def test_a_satellite_in_the_planner_takes_permanent_providers(state):
    state.select("hub-en-satellieten")
    sat = state.current.sites[1]
    state.site = sat.site_id
    assert state.edit_site(name=sat.name, rooms="keuken 12", opening_hours="di,do 14-18", permanent=["library"], guests=[],
                           cost="40000")
    site = state.designs["hub-en-satellieten"].scenario.levers.sites[0]
    assert [p.value for p in site.permanent_providers] == ["library"] and site.opening_hours == {
        "tue": "14:00-18:00", "thu": "14:00-18:00"}


def test_the_timetable_tab_shows_each_sites_week_before_any_run(state):
    import apps.site_planner as sp

    app = sp.SitePlannerApp(state=state)
    state.select("hub-en-satellieten")
    frame, _ = state.timetable()
    assert {"winterslag", "waterschei", "zwartberg"} <= set(frame["site"])  # (earlier tests emptied the main site)
    assert len(app.timetable.object) == len(frame)
    shown = app.timetable.object[frame["site"].to_numpy() == "zwartberg"]
    assert set(shown["dag / day"]) <= {"di / Tue", "do / Thu", "za / Sat"}  # its opening days only
    assert "every offer has a room and hours" in app.unscheduled_note.object
    # hours so short that no two-hour session fits: the satellite's offers are unscheduled, and it says so
    state.site = state.current.sites[1].site_id
    assert state.edit_site(name="Winterslag (Kliniekske)", rooms="keuken 12", opening_hours="za 10-11", permanent=[],
                           guests=[], cost="40000")
    assert "found no free hours" in app.unscheduled_note.object and "sat.winterslag.0" in app.unscheduled_note.object


def test_layout_timetable_by_hand(tiny):
    from model.planner import layout_timetable

    main = site_at_venue(tiny, REGINA_MUNDI, "rm", rooms=ROOMS, opening_hours="ma 9-12")
    sat = site_at_venue(tiny, FAR_VENUE, "far", name="Ver", rooms=rooms_from_text("tuin 8"), opening_hours="di 14-18")
    table, unscheduled = layout_timetable(Layout("twee", (main, sat)), tiny.venues)
    assert table[["site", "site_name", "room", "offer_id", "day", "start", "end"]].values.tolist() == [
        ["far", "Ver", "tuin 1", "sat.far.0", "tue", 14.0, 16.0], ["far", "Ver", "tuin 1", "sat.far.0", "tue", 16.0, 18.0]]
    assert unscheduled == []
