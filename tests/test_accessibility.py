"""Catchments and 2SFCA / E2SFCA places per resident (model/accessibility.py).

Known answers on the tiny geography (tests/tiny_geography.py: walking 75 m/min, homes
every 100 m on a line through each 1 km square, 10 residents each), an obviously-correct
loop as oracle, and PySAL ``access`` on the real Genk cost matrix.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.accessibility import (
    E2SFCA_STEPS,
    AccessMode,
    CatchmentEngine,
    Site,
    age_shares,
    catchment_weights,
    resident_groups,
    sites_from_venues,
    step_weights,
    two_step_fca,
    two_step_fca_loop,
)
from model.domain import Mode
from model.transit import FlatTransit
from tests.tiny_geography import (
    ADJACENT_WIJK,
    FAR_VENUE,
    HOME_WIJK,
    ISOLATED_WIJK,
    NEAR_VENUE,
    REGINA_MUNDI,
    TinyGenk,
)

STREET = ("walk", "bike", "car")


@pytest.fixture
def tiny():
    return TinyGenk()


@pytest.fixture
def near_venue_only(tiny):
    return CatchmentEngine(tiny, sites_from_venues(tiny, [NEAR_VENUE]), modes=STREET)


def _total(engine, site, mode, band):
    t = engine.totals()
    return float(t[(t.site_id == site) & (t["mode"] == mode) & (t.band_minutes == band)].residents.iloc[0])


# ============================================================================ catchments: known answers
def test_walking_catchment_of_the_near_venue_counts_homes_band_by_band(near_venue_only):
    # near_venue at x=230 500; home_wijk homes at 50..450 m, adjacent_wijk homes at 550..1450 m.
    # 5 min = 375 m: 8 homes; 10 min = 750 m: 10 + 3 (the 750 m home counts: bounds are inclusive);
    # 15 min = 1125 m: 10 + 6; 20 min = 1500 m: 10 + 10; isolated_wijk is 11 km away.
    expected = {5: 80, 10: 130, 15: 160, 20: 200, 30: 200}
    got = {b: _total(near_venue_only, NEAR_VENUE, "walk", b) for b in expected}
    assert got == pytest.approx(expected)


def test_by_car_the_isolated_wijk_is_within_half_an_hour(tiny):
    engine = CatchmentEngine(tiny, sites_from_venues(tiny, [FAR_VENUE]), modes=STREET)
    # far_venue (x 242 500) to the homes of the other two wijken: 10 550..12 450 m by car at
    # 500 m/min = 21.1..24.9 min
    assert _total(engine, FAR_VENUE, "car", 20) == pytest.approx(100)  # its own wijk only
    assert _total(engine, FAR_VENUE, "car", 30) == pytest.approx(300)


def test_age_groups_are_statbel_shares_and_sum_to_the_total(near_venue_only):
    df = near_venue_only.catchments()
    sel = df[(df.site_id == NEAR_VENUE) & (df["mode"] == "walk") & (df.band_minutes == 10)]
    by = sel.set_index("group").residents
    # the tiny age table has 4 residents at every age 0..80: 0-5 is 6 ages of 81, 65+ is 16 of 81
    assert by["0-5"] == pytest.approx(130 * 6 / 81)
    assert by["65+"] == pytest.approx(130 * 16 / 81)
    ages = sel[sel.group_kind == "age"].residents.sum()
    assert ages == pytest.approx(by["all"])


def test_means_group_is_the_scenarios_low_means_share(tiny):
    engine = CatchmentEngine(tiny, sites_from_venues(tiny, [NEAR_VENUE]), modes=["walk"], low_means_share=0.25)
    df = engine.catchments()
    sel = df[(df.band_minutes == 10)].set_index("group").residents
    assert sel["low"] == pytest.approx(0.25 * 130)
    assert sel["other"] == pytest.approx(0.75 * 130)
    assert "0.25" in engine.groups.assumption("en") or "25%" in engine.groups.assumption("en")


def test_catchment_frame_is_tidy_one_row_per_site_mode_band_and_group(tiny):
    engine = CatchmentEngine(tiny, sites_from_venues(tiny, [NEAR_VENUE, REGINA_MUNDI]), modes=STREET)
    df = engine.catchments()
    assert list(df.columns) == ["site_id", "mode", "band_minutes", "group_kind", "group", "residents"]
    assert len(df) == 2 * 3 * 5 * (1 + 6 + 2)
    assert not df.duplicated(["site_id", "mode", "band_minutes", "group"]).any()


def test_weights_are_read_from_the_geography_not_assumed(tiny):
    heavy = TinyGenk(weights={HOME_WIJK: 30.0})
    engine = CatchmentEngine(heavy, sites_from_venues(heavy, [NEAR_VENUE]), modes=["walk"])
    assert _total(engine, NEAR_VENUE, "walk", 5) == pytest.approx(8 * 30)


def test_age_shares_follow_the_population_table():
    pop = pd.DataFrame({"age": [3, 10, 40, 70], "count": [1, 1, 6, 2]})
    shares = age_shares(pop)
    assert shares["0-5"] == pytest.approx(0.1) and shares["25-64"] == pytest.approx(0.6)
    assert shares.sum() == pytest.approx(1.0)


def test_low_means_share_outside_0_1_is_refused(tiny):
    with pytest.raises(ValueError, match="low_means_share"):
        resident_groups(tiny, 1.5)


# ============================================================================ per wijk, out of reach
def test_share_of_children_within_reach_per_wijk(near_venue_only):
    df = near_venue_only.reach_by_wijk(modes=["walk"])
    at15 = df[df.band_minutes == 15].set_index("wijk")
    assert at15.loc[HOME_WIJK, "youth_share_within"] == pytest.approx(1.0)
    assert at15.loc[ADJACENT_WIJK, "youth_share_within"] == pytest.approx(0.6)
    assert at15.loc[ISOLATED_WIJK, "youth_share_within"] == pytest.approx(0.0)
    # children and youth 0-17: 18 of the 81 ages, 4 residents each, per 10-resident home
    assert at15.loc[HOME_WIJK, "youth"] == pytest.approx(100 * 18 / 81)


def test_wijken_outside_every_sites_reach(tiny):
    engine = CatchmentEngine(tiny, sites_from_venues(tiny, [NEAR_VENUE, FAR_VENUE]), modes=["walk"])
    out_near = engine.wijken_out_of_reach([NEAR_VENUE])
    assert set(out_near[out_near.band_minutes == 30].wijk) == {ISOLATED_WIJK}
    out_both = engine.wijken_out_of_reach()
    assert set(out_both[out_both.band_minutes == 30].wijk) == set()
    # 5 minutes: nobody of adjacent_wijk (550 m at least) is within reach of either site
    assert set(out_both[out_both.band_minutes == 5].wijk) == {ADJACENT_WIJK}


# ============================================================================ moving a site
def test_moving_a_site_recomputes_only_its_column(tiny):
    engine = CatchmentEngine(tiny, sites_from_venues(tiny, [NEAR_VENUE, REGINA_MUNDI, FAR_VENUE]), modes=STREET)
    before = {m: engine.minutes(m).copy() for m in STREET}
    x, y = tiny.venue_xy(NEAR_VENUE)
    engine.move_site(REGINA_MUNDI, x, y)
    for m in STREET:
        after = engine.minutes(m)
        np.testing.assert_array_equal(after[:, 0], before[m][:, 0])
        np.testing.assert_array_equal(after[:, 2], before[m][:, 2])
        np.testing.assert_array_equal(after[:, 1], before[m][:, 0])  # now where near_venue is
    assert engine.site(REGINA_MUNDI).x == x
    # and its catchment is counted anew: at the west end of home_wijk (x 230 100) 5 walking
    # minutes (375 m) hold the homes at 230 050..230 450, 10 minutes (750 m) those up to 230 850
    engine.move_site(REGINA_MUNDI, 230_100.0, y)
    assert _total(engine, REGINA_MUNDI, "walk", 5) == pytest.approx(50)
    assert _total(engine, REGINA_MUNDI, "walk", 10) == pytest.approx(90)
    assert _total(engine, NEAR_VENUE, "walk", 10) == pytest.approx(130)


def test_site_ids_must_be_unique(tiny):
    sites = sites_from_venues(tiny, [NEAR_VENUE])
    with pytest.raises(ValueError, match="used twice"):
        CatchmentEngine(tiny, sites + sites, modes=["walk"])


def test_public_transport_uses_the_given_transit_model(tiny):
    # walk 2 min to a stop, wait 10, ride 1.5 x car, walk 1 min from the stop: far_venue from the
    # 230 050 home is 12 450 m by car = 24.9 min, so pt = 2 + 10 + 37.35 + 1 = 50.35 (walking: 166 min)
    transit = FlatTransit(np.full(len(tiny.addresses), 2.0), lambda xy: np.full(len(xy), 1.0))
    engine = CatchmentEngine(tiny, sites_from_venues(tiny, [FAR_VENUE]), transit=transit)
    assert engine.minutes(AccessMode.PT)[0, 0] == pytest.approx(2 + 10 + 1.5 * 12450 / 500 + 1, rel=1e-6)
    # near the stop walking wins: a far_venue neighbour walks
    own = tiny.addresses.index[tiny.addresses.wijk == ISOLATED_WIJK][4]
    assert engine.minutes("pt")[own, 0] == pytest.approx(engine.minutes("walk")[own, 0])


# ============================================================================ 2SFCA / E2SFCA known answers
@pytest.fixture
def two_sites(tiny):
    sites = [Site(NEAR_VENUE, *tiny.venue_xy(NEAR_VENUE), places=100), Site(REGINA_MUNDI, *tiny.venue_xy(REGINA_MUNDI), places=50)]
    return CatchmentEngine(tiny, sites, modes=["walk"])


def test_2sfca_divides_places_over_everyone_who_can_reach_the_site(two_sites):
    # 10 walking minutes = 750 m. near_venue (x 230 500) reaches 10 home + 3 adjacent homes: 130
    # residents, so 100/130 places each; regina_mundi (231 500) reaches 10 adjacent + 3 home homes:
    # 50/130. A home at 230 050 reaches only near_venue; the one at 230 750 reaches both.
    a = two_sites.places_per_resident(mode="walk", method="2sfca", max_minutes=10)
    assert a[0] == pytest.approx(100 / 130)
    assert a[7] == pytest.approx(150 / 130)
    assert a[13] == pytest.approx(50 / 130)  # adjacent 231 350: 850 m from near_venue, 150 m from RM
    assert a[20:].tolist() == [0.0] * 10  # isolated_wijk
    # every place is handed out exactly once
    assert float(two_sites.weights @ a) == pytest.approx(150)


def test_e2sfca_weights_nearer_residents_more(tiny):
    # steps: ≤ 5 min weight 1, ≤ 10 min weight 0.5. near_venue with 21 places: 8 homes at weight 1
    # (80), 2 homes at 450 m = 6 min (10) and 3 adjacent homes ≤ 750 m (15) at weight 0.5: 105.
    # R = 21/105 = 0.2; a home at 50 m gets 0.2, one at 450 m 0.1, one at 850 m nothing.
    engine = CatchmentEngine(tiny, [Site(NEAR_VENUE, *tiny.venue_xy(NEAR_VENUE), places=21)], modes=["walk"])
    a = engine.places_per_resident(method="e2sfca", max_minutes=10, steps=((5, 1.0), (10, 0.5)))
    assert a[4] == pytest.approx(0.2)
    assert a[0] == pytest.approx(0.1)
    assert a[10] == pytest.approx(0.1)
    assert a[13] == 0.0


def test_vectorised_2sfca_agrees_with_the_naive_loop(tiny):
    engine = CatchmentEngine(tiny, [Site(v, *tiny.venue_xy(v), places=p) for v, p in
                                    ((NEAR_VENUE, 40), (REGINA_MUNDI, 25), (FAR_VENUE, 10))], modes=["bike"])
    cost = engine.minutes("bike").astype(float)
    demand, supply = engine.weights, np.array([40.0, 25.0, 10.0])
    for method, weight_of in (("2sfca", lambda c: 1.0 if c <= 30 else 0.0),
                              ("e2sfca", lambda c: next((w for b, w in E2SFCA_STEPS if c <= b), 0.0))):
        fast = engine.places_per_resident(mode="bike", method=method, max_minutes=30)
        slow = two_step_fca_loop(demand.tolist(), supply.tolist(), cost.tolist(), weight_of)
        np.testing.assert_allclose(fast, slow, rtol=1e-12)


def test_places_by_wijk_is_the_resident_weighted_mean(two_sites):
    df = two_sites.places_by_wijk(mode="walk", max_minutes=10)
    allg = df[df.group == "all"].set_index("wijk")
    # home_wijk: 7 homes get 100/130, 3 homes get 150/130
    assert allg.loc[HOME_WIJK, "places_per_resident"] == pytest.approx((7 * 100 + 3 * 150) / 130 / 10)
    kids = df[df.group == "6-11"].set_index("wijk")
    assert kids.loc[HOME_WIJK, "places_per_resident"] == pytest.approx(allg.loc[HOME_WIJK, "places_per_resident"])


def test_a_site_nobody_reaches_serves_nobody():
    a = two_step_fca(np.array([10.0]), np.array([5.0, 7.0]), np.array([[1.0, 0.0]]))
    assert a.tolist() == [0.5]


def test_step_weights_bounds_are_inclusive():
    w = step_weights(np.array([0, 10, 10.001, 20, 30, 30.5]))
    assert w.tolist() == [1.0, 1.0, 0.68, 0.68, 0.22, 0.0]
    with pytest.raises(ValueError, match="2sfca"):
        catchment_weights(np.zeros((1, 1)), method="gravity")


# ============================================================================ real Genk
CANDIDATES = ["regina_mundi", "schoolke_oud_waterschei", "school_zonder_naam_oud_winterslag", "gigos_zwartberg",
              "stedelijke_sportcomplex_winterslag", "tc_rapid_waterschei", "campus_o3_huis_van_het_kind",
              "kinderdagverblijf_thor_familia", "acli_circolo_winterslag",
              "internationale_culturele_vrouwenwerking_winterslag", "tc_winterslag"]


@pytest.fixture(scope="module")
def genk():
    from model.geography import load_genk

    return load_genk()


@pytest.fixture(scope="module")
def genk_engine(genk):
    places = {v: 20.0 + 10 * i for i, v in enumerate(CANDIDATES)}
    return CatchmentEngine(genk, sites_from_venues(genk, CANDIDATES, places))


def test_genk_matrices_equal_travel_minutes(genk, genk_engine):
    for mode in STREET:
        np.testing.assert_allclose(genk_engine.minutes(mode, ["regina_mundi"])[:, 0],
                                   genk.travel_minutes(np.arange(len(genk.addresses)), ["regina_mundi"], mode)[:, 0],
                                   rtol=1e-6)


def test_genk_moving_a_site_costs_at_most_one_dijkstra_per_street_mode(genk, genk_engine):
    site = genk_engine.site("tc_winterslag")
    x, y = site.x + 137.0, site.y - 91.0
    runs = genk.network.dijkstra_runs
    genk_engine.move_site("tc_winterslag", x, y)
    assert genk.network.dijkstra_runs - runs <= 3
    for mode in STREET:
        np.testing.assert_allclose(genk_engine.minutes(mode, ["tc_winterslag"])[:, 0],
                                   genk.travel_minutes(np.arange(len(genk.addresses)), np.array([[x, y]]), mode)[:, 0],
                                   rtol=1e-6)
    counted = genk_engine.totals(["tc_winterslag"], modes=["walk"]).residents.to_numpy()
    col = genk_engine.minutes("walk", ["tc_winterslag"])[:, 0]
    by_hand = [genk.addresses.weight.to_numpy()[col <= b].sum() for b in genk_engine.bands_minutes]
    np.testing.assert_allclose(counted, by_hand, rtol=1e-9)
    genk_engine.move_site("tc_winterslag", site.x, site.y)


def test_genk_catchment_by_car_within_30_minutes_is_all_of_genk(genk, genk_engine):
    t = genk_engine.totals(["regina_mundi"], modes=["car"])
    assert t[t.band_minutes == 30].residents.iloc[0] == pytest.approx(genk.addresses.weight.sum(), rel=1e-5)
    walk = genk_engine.totals(["regina_mundi"], modes=["walk"]).residents.to_numpy()
    assert np.all(np.diff(walk) >= 0)  # a wider band never holds fewer residents


def _pysal(demand: np.ndarray, places: dict[str, float], cost: np.ndarray, method: str) -> np.ndarray:
    from access import Access, weights

    ids = list(places)
    n = len(demand)
    cost_df = pd.DataFrame({"origin": np.repeat(np.arange(n), len(ids)), "dest": np.tile(ids, n),
                            "cost": cost.astype(float).reshape(-1)})
    acc = Access(demand_df=pd.DataFrame({"geoid": np.arange(n), "pop": demand}), demand_index="geoid",
                 demand_value="pop", supply_df=pd.DataFrame({"geoid": ids, "places": [places[i] for i in ids]}),
                 supply_index="geoid", supply_value="places", cost_df=cost_df, cost_origin="origin",
                 cost_dest="dest", cost_name="cost", neighbor_cost_df=cost_df, neighbor_cost_origin="origin",
                 neighbor_cost_dest="dest", neighbor_cost_name="cost")
    if method == "2sfca":
        out = acc.two_stage_fca(name="ref", max_cost=15)
    else:
        out = acc.enhanced_two_stage_fca(name="ref", weight_fn=weights.step_fn({b: w for b, w in E2SFCA_STEPS}))
    return out.iloc[:, 0].reindex(np.arange(n)).fillna(0.0).to_numpy()


@pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")  # inside access 1.1.10 under pandas 3.1
@pytest.mark.parametrize("method", ["2sfca", "e2sfca"])
def test_genk_2sfca_agrees_with_pysal_access_to_1e_9(genk_engine, method):
    places = {s.site_id: s.places for s in genk_engine.sites}
    ours = genk_engine.places_per_resident(places, mode=Mode.WALK.value, method=method,
                                           max_minutes=15 if method == "2sfca" else 30)
    ref = _pysal(genk_engine.weights, places, genk_engine.minutes("walk", list(places)), method)
    assert ref.max() > 0 and (ours > 0).sum() > 1000
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=0)


# ============================================================================ bad input, stated methods
def test_a_site_outside_genk_is_refused_in_dutch_and_english(tiny):
    from model.accessibility import SiteError

    with pytest.raises(SiteError) as err:
        CatchmentEngine(tiny, [Site("maan", 100.0, 100.0, places=10)], modes=["walk"])
    assert "buiten Genk" in err.value.nl and "outside Genk" in err.value.en
    engine = CatchmentEngine(tiny, sites_from_venues(tiny, [NEAR_VENUE]), modes=["walk"])
    with pytest.raises(SiteError, match="outside Genk"):
        engine.move_site(NEAR_VENUE, 236_000.0, 185_500.0)  # in the 10 km of nothing
    assert engine.site(NEAR_VENUE).x == tiny.venue_xy(NEAR_VENUE)[0]  # left where it was


def test_two_sites_on_one_spot_and_negative_places_are_refused(tiny):
    from model.accessibility import SiteError

    x, y = tiny.venue_xy(NEAR_VENUE)
    engine = CatchmentEngine(tiny, [Site("a", x, y, 10), Site("b", x + 0.5, y, 10)], modes=["walk"])
    with pytest.raises(SiteError, match="one spot"):
        engine.places_per_resident()
    with pytest.raises(SiteError, match="places"):
        engine.set_places("a", -3)
    with pytest.raises(SiteError, match="no site of this layout has places|No site"):
        engine.places_per_resident({"a": 0.0})


def test_every_mode_says_how_its_minutes_were_made(genk_engine):
    assert "2021-08-06" in genk_engine.travel_time_method("walk", "en")
    assert "fiets" in genk_engine.travel_time_method("bike", "nl")
    assert genk_engine.travel_time_method("pt", "nl") == genk_engine.transit.assumption("nl")


def test_revised_weights_and_share_are_read_again_without_rerouting(tiny):
    engine = CatchmentEngine(tiny, sites_from_venues(tiny, [NEAR_VENUE]), modes=["walk"])
    minutes = engine.minutes("walk").copy()
    tiny.addresses.loc[tiny.addresses.wijk == HOME_WIJK, "weight"] = 20.0
    engine.reload_residents(low_means_share=0.5)
    assert _total(engine, NEAR_VENUE, "walk", 5) == pytest.approx(8 * 20)
    df = engine.catchments()
    assert df[(df.band_minutes == 5) & (df.group == "low")].residents.iloc[0] == pytest.approx(80)
    np.testing.assert_array_equal(engine.minutes("walk"), minutes)


def test_per_address_group_weights_give_the_same_counts_as_uniform_shares(tiny):
    from dataclasses import replace as replaced

    engine = CatchmentEngine(tiny, sites_from_venues(tiny, [NEAR_VENUE, REGINA_MUNDI]), modes=STREET)
    uniform = engine.catchments()
    engine.groups = replaced(engine.groups, uniform_shares=None)  # as if shares differed per address
    engine.recount()
    np.testing.assert_allclose(engine.catchments().residents, uniform.residents, rtol=1e-12)


def test_a_removed_site_leaves_the_others_counts(tiny):
    engine = CatchmentEngine(tiny, sites_from_venues(tiny, [NEAR_VENUE, REGINA_MUNDI]), modes=["walk"])
    engine.remove_site(NEAR_VENUE)
    assert engine.site_ids == (REGINA_MUNDI,)
    assert _total(engine, REGINA_MUNDI, "walk", 10) == pytest.approx(130)
