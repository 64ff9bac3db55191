"""Specifications of model.geography on the bundled data and on a tiny hand-made network."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from model.domain import Mode
from model.geography import (
    ATTRIBUTION, NETWORK_DATE, AddressNotFound, Genk, GeographyError, RoadNetwork, load_genk,
)
from model.geography.network import SPEED_KMH
from model.paths import DATA_DIR


@pytest.fixture(autouse=True)
def private_var_dir(tmp_path, monkeypatch):
    """Travel-time caches go to a temporary folder, never into the checkout."""
    monkeypatch.setenv("LEERECO_VAR_DIR", str(tmp_path / "var"))


@pytest.fixture(scope="module")
def genk() -> Genk:
    return load_genk()


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A throw-away copy of data/ that a test may damage."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target, ignore=shutil.ignore_patterns("imported", "*.py", "README.md"))
    return target


# ---------------------------------------------------------------- wijken and boundary
def test_31_wijken_cover_the_municipality(genk):
    assert len(genk.wijken) == 31
    assert list(genk.wijken.columns) == ["wijk_code", "wijk", "area_km2", "geometry"]
    assert genk.wijken["wijk"].is_monotonic_increasing
    assert genk.wijken["area_km2"].sum() == pytest.approx(87.6, abs=0.1)
    union = genk.wijken.union_all()
    boundary = genk.boundary.geometry.iloc[0]
    assert union.symmetric_difference(boundary).area / boundary.area < 0.01


def test_everything_is_in_belgian_lambert(genk):
    for frame in (genk.wijken, genk.boundary, genk.addresses, genk.venues, genk.bus_stops):
        assert frame.crs.to_epsg() == 31370


def test_every_address_lies_in_exactly_one_wijk(genk):
    joined = gpd.sjoin(genk.addresses[["address_id", "geometry"]], genk.wijken[["wijk", "geometry"]],
                       predicate="within")
    assert joined["address_id"].value_counts().max() == 1
    assert joined["address_id"].nunique() == len(genk.addresses) == 22_732
    assert (joined.set_index("address_id")["wijk"].sort_index().to_numpy() == genk.addresses["wijk"].to_numpy()).all()


def test_counts_match_provenance(genk):
    assert len(genk.addresses) == 22_732
    assert (genk.addresses["address_id"].to_numpy() == np.arange(22_732)).all()
    assert len(genk.bus_stops) == 387
    assert len(genk.network.edges) == 36_038  # whole tile block, so routes may cross the border
    assert len(genk.network.nodes) == 25_336
    assert int(genk.population["count"].sum()) == 65_463
    assert genk.network_date == NETWORK_DATE == "2021-08-06"


def test_home_weights_sum_to_the_2015_population(genk):
    assert genk.addresses["weight"].sum() == pytest.approx(65_463)
    assert (genk.addresses["weight"] >= 0).all()
    per_wijk = genk.addresses.groupby("wijk")["weight"].sum()
    assert len(per_wijk) == 31 and (per_wijk > 0).all()  # every wijk keeps residents


INDUSTRIAL_ESTATES = ["Industrieterrein Genk-Noord", "Industrieterrein Genk-Zuid"]


def test_industrial_estates_hold_about_the_share_of_homes_they_really_have(genk):
    """The estates have 302 CRAB addresses in residential land or in clear houses (1.4 % of the
    21,740 addresses with a home weight); halls are not homes. The footprint weights gave them 11.3 %.
    Bound: at most twice their share of homes (3 %), and not emptied either (0.5 %)."""
    w = genk.addresses.groupby("wijk")["weight"].sum()
    share = w[INDUSTRIAL_ESTATES].sum() / w.sum()
    assert 0.005 < share < 0.03
    assert w["Industrieterrein Genk-Zuid"] < w.median()  # no longer the second-largest wijk


def test_halls_on_the_industrial_estates_get_no_residents():
    addr = pd.read_parquet(DATA_DIR / "addresses.parquet")
    hall = (addr["landuse"] == "industrial") & (addr["building_m2"] >= 1_000)
    assert hall.sum() > 300
    assert (addr.loc[hall, "home_weight"] == 0).all()


def test_sector_population_rescales_each_wijk(data_copy):
    sectors = pd.DataFrame({"statsec": ["A", "B"], "population": [1_000, 250], "year": 2025, "source": "test",
                            "wijk": ["Bret", "Kattevenne"]})
    sectors.to_parquet(data_copy / "population_sectors.parquet", index=False)
    w = Genk(data_copy).addresses.groupby("wijk")["weight"].sum()
    assert w["Bret"] == pytest.approx(1_000)
    assert w["Kattevenne"] == pytest.approx(250)


# ---------------------------------------------------------------- the dasymetric rule on a hand-made town
def _square(x0: float, y0: float, side: float):
    from shapely.geometry import box

    return box(x0, y0, x0 + side, y0 + side)


@pytest.fixture
def tiny_town():
    """A residential square (x < 1000) beside an industrial estate (x 1000..2000).

    Addresses: a 10 x 10 m house, a 20 x 20 m block of flats with 3 tagged levels, a 60 x 60 m
    hall deep in the estate, a 10 x 10 m house 5 m inside the estate's edge, the same house in
    the estate's core, a school building, and a field with no building.
    """
    buildings = gpd.GeoDataFrame(
        {"render_height": [3.66, 3 * 3.66, 3.66, 3.66, 3.66, 3.66]},
        geometry=[_square(100, 100, 10), _square(300, 100, 20), _square(1400, 400, 60),
                  _square(1010, 100, 10), _square(1500, 600, 10), _square(500, 500, 40)],
        crs="EPSG:31370")
    landuse = gpd.GeoDataFrame(
        {"layer": ["landuse", "landuse"], "class": ["residential", "industrial"]},
        geometry=[_square(0, 0, 1000), _square(1000, 0, 1000)], crs="EPSG:31370")
    school = gpd.GeoSeries(gpd.points_from_xy([520], [520]), crs="EPSG:31370").to_crs("EPSG:4326")
    pois = pd.DataFrame({"class": ["school"], "subclass": ["school"], "lon": school.x, "lat": school.y})
    xy = np.array([[105, 105], [310, 110], [1430, 430], [1015, 105], [1505, 605], [520, 520], [800, 800.0]])
    return xy, buildings, landuse, pois


def test_an_industrial_hall_gets_no_residents_and_flats_get_more_than_a_house(tiny_town):
    from model.data import home_weights

    w = home_weights(*tiny_town)
    house, flats, hall, edge_house, core_house, school, field = w["home_weight"]
    assert hall == 0 and w["home_rule"][2] == "non_residential_landuse"
    assert house == pytest.approx(100.0)           # 10 x 10 m, one level
    assert flats == pytest.approx(20 * 20 * 3)     # footprint x levels
    assert flats > house
    assert edge_house == pytest.approx(100.0) and w["home_rule"][3] == "house_at_edge"
    assert core_house == 0                          # a small building deep in the estate is no home
    assert school == 0 and w["home_rule"][5] == "public_building"
    assert field > 0 and w["home_rule"][6] == "no_building"


def test_addresses_sharing_a_building_share_its_floor_area(tiny_town):
    from model.data import home_weights

    xy, buildings, landuse, pois = tiny_town
    two = np.array([[302, 102], [318, 118]])  # two entrances of the block of flats
    w = home_weights(two, buildings, landuse, pois)["home_weight"]
    assert w.tolist() == pytest.approx([600.0, 600.0])


def test_a_wijk_left_without_residents_stops_the_build(tiny_town):
    from model.data import DataCommandError, with_home_weights

    xy, buildings, landuse, pois = tiny_town
    addr = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1],
                         "wijk": ["Woonwijk", "Woonwijk", "Industrie", "Woonwijk", "Industrie", "Woonwijk", "Woonwijk"]})
    with pytest.raises(DataCommandError, match=r"\['Industrie'\] without residents"):
        with_home_weights(addr, buildings, landuse, pois)
    addr.loc[3, "wijk"] = "Industrie"  # the house at the estate's edge
    assert with_home_weights(addr, buildings, landuse, pois).groupby("wijk")["home_weight"].sum()["Industrie"] > 0


def test_levels_come_from_tagged_heights_only():
    from model.data import building_levels

    assert building_levels([3.66, 7.32, 10.98, 0.0, 66.0, float("nan")]).tolist() == [1, 2, 3, 1, 1, 1]


def test_population_table_shape(genk):
    pop = genk.population
    assert list(pop.columns) == ["age", "sex", "belgian", "count"]
    assert pop["age"].between(0, 100).all() and set(pop["sex"]) == {"M", "F"}
    assert pop.loc[pop["belgian"], "count"].sum() == 57_646


def test_wijk_of_and_contains(genk):
    rm = genk.venues.loc["regina_mundi"]
    assert genk.wijk_of(rm.x, rm.y) == "Genk-Centrum"
    assert genk.contains(rm.x, rm.y)
    assert genk.wijk_of(150_000.0, 170_000.0) is None  # Brussels
    assert not genk.contains(150_000.0, 170_000.0)


def test_attribution_names_every_source():
    for part in ("OpenStreetMap", "ODbL", "Wijken voor omgevingsanalyse", "CRAB", "Statbel"):
        assert part in ATTRIBUTION


# ---------------------------------------------------------------- providers
def test_providers_all_inside_genk_and_regina_mundi_present(genk):
    providers = pd.read_csv(DATA_DIR / "providers.csv")
    assert 140 <= len(providers) <= 260
    assert providers["venue_id"].is_unique
    located = providers.dropna(subset=["lon"])
    assert len(genk.venues) == len(located)
    assert genk.venues["wijk"].notna().all()
    rm = genk.venues.loc["regina_mundi"]
    assert rm.location_status == "osm2015_point"
    for name in ("bibliotheek_genk", "academie_genk", "campus_o3_huis_van_het_kind", "stadhuis_genk",
                 "t2_campus", "thor_park", "jeugdhuis_el_dorado"):
        assert name in genk.venues.index
    unknown = providers[providers["location_status"] == "unknown"]
    assert unknown["lon"].isna().all() and len(unknown) >= 1


# ---------------------------------------------------------------- geocoding
def test_geocode_finds_a_real_address_whatever_the_case(genk):
    a = genk.geocode("stalenstraat 32")
    assert (a.straatnaam, a.huisnr, a.wijk) == ("Stalenstraat", "32", "Waterschei-Zuid")
    assert genk.addresses.loc[a.address_id, "straatnaam"] == "Stalenstraat"
    assert genk.contains(a.x, a.y)
    assert genk.geocode("STALENSTRAAT 32, 3600 Genk") == a


def test_geocode_suggests_streets_for_a_misspelling(genk):
    with pytest.raises(AddressNotFound, match="Stalenstraat") as info:
        genk.geocode("Stalnstraat 32")
    assert "Stalenstraat" in info.value.suggestions


def test_geocode_unknown_number_names_the_street(genk):
    with pytest.raises(AddressNotFound, match="Stalenstraat 99999"):
        genk.geocode("Stalenstraat 99999")


# ---------------------------------------------------------------- travel times: known answers
def line_network(oneway_middle: bool = False) -> RoadNetwork:
    """Four nodes in a line, 100 m apart, joined by residential streets."""
    nodes = pd.DataFrame({"node_id": [10, 11, 12, 13], "lon": 0.0, "lat": 0.0,
                          "x": [0.0, 100.0, 200.0, 300.0], "y": 0.0})
    edges = pd.DataFrame({"u": [10, 11, 12], "v": [11, 12, 13], "highway": "residential", "name": "Lijn",
                          "ref": None, "oneway": [0, int(oneway_middle), 0], "length_m": 100.0})
    return RoadNetwork(edges, nodes, source="line fixture")


def test_walking_a_line_network_takes_length_over_speed():
    net = line_network()
    t = net.travel_minutes_xy(np.array([[0.0, 0.0]]), np.array([[300.0, 0.0], [100.0, 0.0]]), Mode.WALK)
    # 300 m at 4.5 km/h = 4 min; 100 m = 1.333 min
    np.testing.assert_allclose(t, [[4.0, 4.0 / 3]], rtol=1e-5)


def test_access_and_egress_legs_are_added_at_access_speed():
    net = line_network()
    t = net.travel_minutes_xy(np.array([[0.0, 45.0]]), np.array([[300.0, -45.0]]), "walk")
    # 45 m off the network at each end: 2 × 0.6 min on top of 4 min
    np.testing.assert_allclose(t, [[5.2]], rtol=1e-5)


def test_car_on_a_line_network_uses_the_road_class_speed():
    net = line_network()
    t = net.travel_minutes_xy(np.array([[0.0, 0.0]]), np.array([[300.0, 0.0]]), Mode.CAR)
    np.testing.assert_allclose(t, [[300 / (30 / 3.6) / 60]], rtol=1e-5)  # 36 s


def test_car_honours_oneway_walkers_do_not():
    net = line_network(oneway_middle=True)
    # the car's strongly connected part is one half of the line; the walker uses the whole line
    walk = net.travel_minutes_xy(np.array([[300.0, 0.0]]), np.array([[0.0, 0.0]]), "walk")
    np.testing.assert_allclose(walk, [[4.0]], rtol=1e-5)
    fr, to, _, _ = net.directed_arcs(Mode.CAR)
    assert (1, 2) in set(zip(fr.tolist(), to.tolist())) and (2, 1) not in set(zip(fr.tolist(), to.tolist()))


def test_unreachable_pairs_are_infinite():
    net = line_network()
    g = net.mode_graph("walk")
    g.columns[3] = np.array([np.inf, np.inf, np.inf, 0.0], dtype=np.float32)  # pretend a cut
    t = net.travel_minutes_xy(np.array([[0.0, 0.0]]), np.array([[300.0, 0.0]]), "walk")
    assert np.isinf(t).all()


# ---------------------------------------------------------------- travel times: oracle on the real network
@pytest.mark.parametrize("mode", [Mode.WALK, Mode.CAR])
def test_travel_minutes_agree_with_networkx(genk, mode):
    rng = np.random.default_rng(20150101)
    origins = rng.choice(len(genk.addresses), size=20, replace=False)
    venues = list(rng.choice(genk.venues.index.to_numpy(), size=20, replace=False))
    fast = genk.travel_minutes(origins, venues, mode)
    assert fast.shape == (20, 20) and fast.dtype == np.float32
    G = genk.graph(mode)
    net = genk.network
    o_node, o_dist = net.snap(genk.points_xy(origins), mode)
    d_node, d_dist = net.snap(genk.points_xy(venues), mode)
    access = net.access_kmh[mode] / 3.6
    for k in range(20):  # the diagonal pairs: 20 random (address, venue) pairs
        secs = nx.shortest_path_length(G, int(net.node_ids[o_node[k]]), int(net.node_ids[d_node[k]]),
                                       weight="travel_time")
        expected = (secs + o_dist[k] / access + d_dist[k] / access) / 60
        assert fast[k, k] == pytest.approx(expected, rel=1e-4, abs=1e-3)


def test_inputs_can_be_address_ids_venue_ids_or_coordinates(genk):
    xy = genk.addresses.loc[[5, 6], ["x", "y"]].to_numpy()
    vxy = genk.venues.loc[["regina_mundi"], ["x", "y"]].to_numpy()
    a = genk.travel_minutes(np.array([5, 6]), ["regina_mundi"], "bike")
    b = genk.travel_minutes(xy, vxy, Mode.BIKE)
    np.testing.assert_array_equal(a, b)


def test_walking_is_slower_than_cycling_and_times_are_plausible(genk):
    ids = np.arange(0, len(genk.addresses), 97)
    walk = genk.travel_minutes(ids, ["regina_mundi"], "walk")
    bike = genk.travel_minutes(ids, ["regina_mundi"], "bike")
    assert np.isfinite(walk).all()
    assert (bike <= walk + 1e-3).all()
    assert 10 < np.median(walk) < 120


def test_bus_stop_walk_minutes_are_short_where_stops_are(genk):
    stop_xy = genk.bus_stops[["x", "y"]].to_numpy()[:5]
    assert (genk.bus_stop_walk_minutes(stop_xy) < 1.0).all()
    m = genk.bus_stop_walk_minutes(np.arange(len(genk.addresses)))
    assert m.shape == (22_732,) and np.isfinite(m).all() and 1 < np.median(m) < 15


def test_graph_is_osmnx_compatible(genk):
    G = genk.graph(Mode.BIKE)
    assert G.graph["crs"] == "EPSG:31370"
    _, _, d = next(iter(G.edges(data=True)))
    assert {"length", "travel_time", "highway"} <= set(d)
    assert not any(d["highway"] in ("motorway", "trunk") for _, _, d in G.edges(data=True))


# ---------------------------------------------------------------- cache
def test_second_load_reads_columns_from_disk_not_dijkstra(tmp_path):
    first = Genk()
    t1 = first.travel_minutes(np.arange(100), ["regina_mundi", "bibliotheek_genk"], "walk")
    assert first.network.dijkstra_runs == 2
    cached = list((tmp_path / "var" / "cache" / "travel").rglob("*.npy"))
    assert len(cached) == 2
    again = Genk()
    t2 = again.travel_minutes(np.arange(100), ["regina_mundi", "bibliotheek_genk"], "walk")
    assert again.network.dijkstra_runs == 0 and again.network.disk_reads == 2
    np.testing.assert_array_equal(t1, t2)
    # one new destination costs one Dijkstra
    again.travel_minutes(np.arange(100), ["regina_mundi", "bibliotheek_genk", "stadhuis_genk"], "walk")
    assert again.network.dijkstra_runs == 1


def test_minutes_from_the_same_homes_are_kept_and_only_a_new_place_is_computed(genk):
    """A design and its baseline run on the same homes: the second asks only for its new place."""
    net = genk.network
    homes = np.arange(0, len(genk.addresses), 11)
    first = genk.travel_minutes(homes, ["regina_mundi", "bibliotheek_genk"], "bike")
    before = net.minutes_computed
    second = genk.travel_minutes(homes, ["bibliotheek_genk", "stadhuis_genk", "regina_mundi"], "bike")
    assert net.minutes_computed - before == 1
    np.testing.assert_array_equal(second[:, [2, 0]], first)
    uncached = net._travel_minutes_xy(genk.points_xy(homes), genk.points_xy(["bibliotheek_genk", "stadhuis_genk",
                                                                             "regina_mundi"]), Mode.BIKE)
    np.testing.assert_array_equal(second, uncached)  # the same numbers as without the memory
    other = genk.travel_minutes(homes[1:], ["regina_mundi"], "bike")  # other homes: computed anew
    assert net.minutes_computed - before == 2
    np.testing.assert_array_equal(other[:, 0], first[1:, 0])


def test_kept_minutes_stay_right_and_bounded_when_threads_share_the_network(genk, monkeypatch):
    """The planner's threads share one network: no error, the same numbers, and the memory's count is true."""
    import concurrent.futures
    import pickle

    from model.geography import network as network_module

    net = genk.network
    monkeypatch.setattr(network_module, "MAX_CACHED_MINUTES_BYTES", 40_000)  # a few sets only: eviction all along
    venues = list(genk.venues.index[:12])
    asks = [(np.arange(k, 400 + k, 3), venues[k % 5: k % 5 + 6]) for k in range(40)]
    expected = [net._travel_minutes_xy(genk.points_xy(o), genk.points_xy(d), Mode.WALK) for o, d in asks]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads change hands between any two bytecodes: races show
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda a: genk.travel_minutes(a[0], a[1], "walk"), asks * 10))
    finally:
        sys.setswitchinterval(switch)
    for i, minutes in enumerate(got):
        np.testing.assert_array_equal(minutes, expected[i % len(asks)])
    kept = sum(col.nbytes for cols in net._minutes.values() for col in cols.values())
    assert net._minutes_bytes == kept <= 40_000
    again = pickle.loads(pickle.dumps(net))  # picklable as before (a Dask worker gets it without the memory)
    assert not again._minutes and again._minutes_bytes == 0


def test_changed_inputs_change_the_cache_key(genk):
    net = genk.network
    base = net.mode_graph("walk").cache_key
    slower = {**SPEED_KMH, Mode.WALK: {k: v * 0.9 for k, v in SPEED_KMH[Mode.WALK].items()}}
    other = RoadNetwork(net.edges, net.nodes, digest=net.digest, speeds=slower)
    assert other.mode_graph("walk").cache_key != base
    edited = net.edges.copy()
    edited.loc[0, "length_m"] += 1
    assert RoadNetwork(edited, net.nodes).digest != RoadNetwork(net.edges, net.nodes).digest
    assert net.mode_graph("car").cache_key != base


# ---------------------------------------------------------------- bad data
def test_missing_file_names_the_file_and_the_fix(data_copy):
    (data_copy / "wijken.parquet").unlink()
    with pytest.raises(GeographyError, match=r"wijken\.parquet.*git checkout data/"):
        Genk(data_copy)


def test_corrupt_file_names_the_file(data_copy):
    (data_copy / "addresses.parquet").write_bytes(b"this is not parquet")
    with pytest.raises(GeographyError, match=r"addresses\.parquet"):
        Genk(data_copy)


def test_empty_file_names_the_file(data_copy):
    (data_copy / "population_2015.csv").write_bytes(b"")
    with pytest.raises(GeographyError, match=r"population_2015\.csv.*empty"):
        Genk(data_copy)


def test_addresses_without_home_weights_say_how_to_rebuild(data_copy):
    addr = pd.read_parquet(data_copy / "addresses.parquet").drop(columns=["home_weight"])
    addr.to_parquet(data_copy / "addresses.parquet", index=False)
    with pytest.raises(GeographyError, match=r"addresses\.parquet lacks the column home_weight.*build_bundle"):
        Genk(data_copy)


def test_a_negative_home_weight_names_row_and_field(data_copy):
    addr = pd.read_parquet(data_copy / "addresses.parquet")
    addr.loc[7, "home_weight"] = -3.0
    addr.to_parquet(data_copy / "addresses.parquet", index=False)
    with pytest.raises(GeographyError, match=r"addresses\.parquet row 7, field home_weight"):
        Genk(data_copy)


def test_corrupt_network_file_names_the_file(data_copy):
    (data_copy / "roads_edges.parquet").write_bytes(b"garbage")
    genk = Genk(data_copy)
    with pytest.raises(GeographyError, match=r"roads_edges\.parquet"):
        genk.travel_minutes([0], ["regina_mundi"], "walk")


def _edit_provider(data_copy: Path, venue_id: str, **changes) -> None:
    df = pd.read_csv(data_copy / "providers.csv", dtype=str, keep_default_na=False)
    for field, value in changes.items():
        df.loc[df["venue_id"] == venue_id, field] = value
    df.to_csv(data_copy / "providers.csv", index=False)


def test_provider_outside_genk_names_row_and_field(data_copy):
    _edit_provider(data_copy, "regina_mundi", lon="5.3000", lat="50.9000")  # Hasselt side
    row = pd.read_csv(data_copy / "providers.csv").index[
        pd.read_csv(data_copy / "providers.csv")["venue_id"] == "regina_mundi"][0] + 2
    with pytest.raises(GeographyError, match=rf"providers\.csv row {row}, fields lon/lat.*outside Genk"):
        Genk(data_copy)


def test_unknown_provider_type_names_row_and_field(data_copy):
    _edit_provider(data_copy, "academie_genk", provider_type="circus")
    with pytest.raises(GeographyError, match=r"providers\.csv row \d+, field provider_type: 'circus'"):
        Genk(data_copy)


def test_walking_time_to_the_nearest_bus_stop_is_the_quickest_of_all_stops(genk):
    """Oracle: the minimum over a full travel-time matrix to every stop (stops that share a
    street node, e.g. on both sides of a road, must not add their egress legs together)."""
    rng = np.random.default_rng(7)
    origins = rng.choice(len(genk.addresses), 150, replace=False)
    stops = genk.bus_stops[["x", "y"]].to_numpy(dtype=float)
    oracle = genk.travel_minutes(origins, stops, "walk").min(axis=1)
    fast = genk.bus_stop_walk_minutes(origins)
    np.testing.assert_allclose(fast, oracle, atol=1e-3)


def test_a_provider_with_nan_coordinates_is_refused_with_its_row(data_copy):
    path = data_copy / "providers.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("lon")] = "nan"
    path.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    with pytest.raises(GeographyError, match=r"row 2, field lon"):
        Genk(data_copy)


def test_house_number_suggestions_are_the_nearest_numbers_in_house_number_order():
    """A number not in CRAB: the suggestions are numerically close and sorted as people read them (2 < 10 < 100)."""
    from model.geography import AddressNotFound, _house_key, load_genk

    assert sorted(["100", "10", "2", "10B", "10A", "1"], key=_house_key) == ["1", "2", "10", "10A", "10B", "100"]
    with pytest.raises(AddressNotFound) as err:
        load_genk().geocode("Stalenstraat 9999")
    numbers = [s.rsplit(" ", 1)[1] for s in err.value.suggestions]
    assert numbers == sorted(numbers, key=_house_key) and len(numbers) == 5
    assert all(_house_key(n)[0] > 200 for n in numbers), numbers
