"""Public-transport minutes (model/transit.py): the stated flat assumption, and a GTFS feed.

The GTFS tests write a tiny feed by hand: one bus line with two stops, one at a home in
Waterschei-Zuid (Bevrijdingslaan 27, 4 km from the Regina Mundi site) and one at the
Regina Mundi site, a bus every 10 minutes taking 6 minutes. Leaving between 08:00 and
09:00 (every minute), the wait is 0..9 minutes, each equally often: median 4.5, so the
stop-to-stop time is 4.5 + 6 = 10.5 minutes.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from model.accessibility import CatchmentEngine, Site, sites_from_venues
from model.domain import Mode
from model.transit import FlatTransit, GtfsTransit, read_stop_to_stop
from tests.tiny_geography import FAR_VENUE, TinyGenk

HOME = "Bevrijdingslaan 27"


@pytest.fixture(scope="module")
def genk():
    from model.geography import load_genk

    return load_genk()


# ============================================================================ flat assumption
def test_flat_pt_is_walk_to_stop_plus_wait_plus_ride_plus_walk_from_stop():
    transit = FlatTransit(np.array([3.0, 1.0]), lambda xy: np.full(len(xy), 2.0), wait_minutes=8,
                          in_vehicle_factor=2.0)
    walk = np.array([[90.0], [10.0]], dtype=np.float32)
    car = np.array([[12.0], [4.0]], dtype=np.float32)
    got = transit.minutes_to(np.zeros((1, 2)), walk=walk, car=car)
    # home 0: 3 + 8 + 2 x 12 + 2 = 37 (walking takes 90); home 1: 1 + 8 + 8 + 2 = 19 > walking 10
    assert got[:, 0].tolist() == [37.0, 10.0]


def test_flat_assumption_is_stated_in_dutch_and_english():
    transit = FlatTransit(np.zeros(1), lambda xy: np.zeros(len(xy)), wait_minutes=12, in_vehicle_factor=1.8)
    nl, en = transit.assumption("nl"), transit.assumption("en")
    assert "12 minuten wachten" in nl and "1.8 keer de autotijd" in nl and "aanname" in nl
    assert "12 minutes" in en and "1.8 times the car time" in en and "assumption" in en
    assert transit.method == "flat"


def test_flat_assumption_refuses_negative_waits():
    with pytest.raises(ValueError, match="wait_minutes"):
        FlatTransit(np.zeros(1), lambda xy: np.zeros(len(xy)), wait_minutes=-1)


def test_geography_without_bus_stops_says_how_to_give_them():
    with pytest.raises(ValueError, match="FlatTransit"):
        FlatTransit.for_geography(TinyGenk())


def test_flat_transit_on_genk_walks_to_the_nearest_osm_bus_stop(genk):
    transit = FlatTransit.for_geography(genk)
    ids = np.arange(0, len(genk.addresses), 97)
    np.testing.assert_allclose(transit.access_walk_minutes[ids], genk.bus_stop_walk_minutes(ids), rtol=1e-5)
    rm = genk.venues.loc[["regina_mundi"], ["x", "y"]].to_numpy(float)
    np.testing.assert_allclose(transit.egress_walk(rm), genk.bus_stop_walk_minutes(rm), rtol=1e-5)


def test_genk_pt_default_is_never_slower_than_walking(genk):
    engine = CatchmentEngine(genk, sites_from_venues(genk, ["regina_mundi"]), modes=["walk", "pt"])
    pt, walk = engine.minutes("pt")[:, 0], engine.minutes("walk")[:, 0]
    assert np.all(pt <= walk)
    assert (pt < walk).mean() > 0.5  # most of Genk is quicker by bus than on foot to the centre
    assert engine.transit.method == "flat"


# ============================================================================ GTFS
def _lonlat(xy: np.ndarray) -> np.ndarray:
    import pyproj

    t = pyproj.Transformer.from_crs("EPSG:31370", "EPSG:4326", always_xy=True)
    lon, lat = t.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def write_feed(path: Path, stops: dict[str, np.ndarray], trips: list[list[tuple[str, int]]]) -> Path:
    """A GTFS zip with the given stops (EPSG:31370 points) and trips [(stop_id, minutes after midnight), ...],
    running on weekdays of 2026."""
    ids = list(stops)
    ll = _lonlat(np.array([stops[i] for i in ids]))
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nDL,De Lijn (test),https://example.org,Europe/Brussels\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n" + "".join(
            f"{i},halte {i},{lat:.9f},{lon:.9f}\n" for i, (lon, lat) in zip(ids, ll)),
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\nR1,DL,1,Waterschei - Centrum,3\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                        "WK,1,1,1,1,1,0,0,20260105,20261231\n",
        "trips.txt": "route_id,service_id,trip_id\n" + "".join(f"R1,WK,T{i}\n" for i in range(len(trips))),
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" + "".join(
            f"T{i},{_clock(t)},{_clock(t)},{stop},{k + 1}\n" for i, trip in enumerate(trips) for k, (stop, t) in enumerate(trip)),
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def write_tiny_feed(path: Path, stop_xy: np.ndarray, *, headway_min: int = 10, ride_min: int = 6) -> Path:
    """Stops A (home) and B (site), one line A -> B from 07:00 to 10:00, a bus every ``headway_min``."""
    departures = range(7 * 60, 10 * 60 + 1, headway_min)
    return write_feed(path, {"A": stop_xy[0], "B": stop_xy[1]}, [[("A", t), ("B", t + ride_min)] for t in departures])


@pytest.fixture(scope="module")
def home_and_site(genk):
    home = genk.geocode(HOME)
    site = genk.venues.loc["regina_mundi", ["x", "y"]].to_numpy(float)
    return home, np.array([[home.x, home.y], site])


@pytest.fixture(scope="module")
def tiny_feed(tmp_path_factory, home_and_site):
    return write_tiny_feed(tmp_path_factory.mktemp("gtfs") / "tiny.zip", home_and_site[1])


def test_stop_to_stop_time_is_median_wait_plus_ride(tiny_feed):
    table = read_stop_to_stop(tiny_feed, date="20260112", start="08:00", end="09:00", step_minutes=1)
    assert table.between("A", "B") == pytest.approx(4.5 + 6)
    assert table.between("B", "A") == np.inf  # the line runs one way only
    assert table.between("A", "A") == 0.0
    assert table.date == "20260112"


def test_no_bus_on_a_sunday_and_after_the_last_trip(tiny_feed):
    with pytest.raises(ValueError, match="no trips run on 20260111"):
        read_stop_to_stop(tiny_feed, date="20260111")
    late = read_stop_to_stop(tiny_feed, date="20260112", start="10:01", end="11:00", step_minutes=5)
    assert late.between("A", "B") == np.inf


def test_a_sparser_timetable_means_a_longer_median_wait(tmp_path, home_and_site):
    feed = write_tiny_feed(tmp_path / "sparse.zip", home_and_site[1], headway_min=30)
    table = read_stop_to_stop(feed, date="20260112", start="08:00", end="09:00", step_minutes=1)
    # waits 0..29 twice each over 60 departures: median 14.5
    assert table.between("A", "B") == pytest.approx(14.5 + 6)


def test_a_transfer_walks_between_nearby_stops(tmp_path, home_and_site):
    # line 1 A -> B at :x0, 5 min; walk 200 m from B to C (2.67 min at 4.5 km/h); line 2 C -> D at :x8,
    # 6 min. Leaving A at :x0 one reaches D at :x14, so door to door = median wait 4.5 + 14 = 18.5.
    a, d = home_and_site[1]
    b = (a + d) / 2
    c = b + np.array([200.0, 0.0])
    trips = [[("A", t), ("B", t + 5)] for t in range(420, 601, 10)] + [[("C", t + 8), ("D", t + 14)] for t in range(420, 601, 10)]
    feed = write_feed(tmp_path / "transfer.zip", {"A": a, "B": b, "C": c, "D": d}, trips)
    table = read_stop_to_stop(feed, date="20260112", start="08:00", end="09:00", step_minutes=1)
    assert table.between("A", "D") == pytest.approx(18.5)
    assert table.between("A", "C") == pytest.approx(4.5 + 5 + 200 / (4.5 / 3.6) / 60)
    strict = read_stop_to_stop(feed, date="20260112", start="08:00", end="09:00", step_minutes=1, transfer_max_m=150)
    assert strict.between("A", "D") == np.inf  # no walk between B and C: no way to D


def test_default_date_is_a_weekday_the_feed_runs(tiny_feed):
    table = read_stop_to_stop(tiny_feed, start="08:00", end="09:00", step_minutes=1)
    assert table.between("A", "B") == pytest.approx(10.5)


def test_gtfs_door_to_door_is_walk_to_stop_ride_and_walk_to_site(genk, tiny_feed, home_and_site):
    home, xy = home_and_site
    transit = GtfsTransit.from_feed(genk, tiny_feed, date="20260112", start="08:00", end="09:00", step_minutes=1)
    net = genk.network
    walk_to_a = float(net.travel_minutes_xy(xy[[0]], xy[[0]], Mode.WALK)[0, 0])  # home is at stop A
    walk_b_site = float(net.travel_minutes_xy(xy[[1]], xy[[1]], Mode.WALK)[0, 0])  # stop B is at the site
    walk = genk.travel_minutes([home.address_id], xy[[1]], "walk")
    car = genk.travel_minutes([home.address_id], xy[[1]], "car")
    # GtfsTransit works for all addresses: take the home's row
    full_walk = genk.travel_minutes(np.arange(len(genk.addresses)), xy[[1]], "walk")
    full_car = genk.travel_minutes(np.arange(len(genk.addresses)), xy[[1]], "car")
    got = transit.minutes_to(xy[[1]], walk=full_walk, car=full_car)[home.address_id, 0]
    expected = walk_to_a + 10.5 + walk_b_site
    assert walk[0, 0] > 45  # 4 km on foot
    assert got == pytest.approx(expected, abs=1e-4)
    assert got < car[0, 0] * 10  # sanity: a finite bus time
    assert "GTFS" in transit.assumption("nl") and "12/01/2026" in transit.assumption("en")


def test_engine_takes_a_gtfs_feed_for_public_transport(genk, tiny_feed, home_and_site):
    home, xy = home_and_site
    transit = GtfsTransit.from_feed(genk, tiny_feed, date="20260112", start="08:00", end="09:00", step_minutes=1)
    engine = CatchmentEngine(genk, [Site("rm", *xy[1])], modes=["walk", "pt"], transit=transit)
    pt = engine.minutes("pt")[:, 0]
    walk = engine.minutes("walk")[:, 0]
    assert pt[home.address_id] < 15 < walk[home.address_id]
    # far from both stops, nobody takes this bus
    homes = genk.addresses[["x", "y"]].to_numpy(float)
    far = int(np.argmax(np.minimum(np.hypot(*(homes - xy[0]).T), np.hypot(*(homes - xy[1]).T))))
    assert pt[far] == pytest.approx(walk[far])
    t = engine.totals(modes=["pt"])
    assert t[t.band_minutes == 15].residents.iloc[0] > engine.totals(modes=["walk"]).query("band_minutes == 15").residents.iloc[0]


def test_missing_feed_names_the_file(tmp_path, genk):
    with pytest.raises(FileNotFoundError, match="nowhere.zip"):
        GtfsTransit.from_feed(genk, tmp_path / "nowhere.zip")


def test_flat_transit_works_on_the_tiny_geography_when_stop_walks_are_given():
    tiny = TinyGenk()
    transit = FlatTransit(np.full(len(tiny.addresses), 5.0), lambda xy: np.zeros(len(xy)))
    engine = CatchmentEngine(tiny, sites_from_venues(tiny, [FAR_VENUE]), modes=["pt"], transit=transit)
    assert engine.minutes("pt")[0, 0] == pytest.approx(5 + 10 + 1.5 * 12450 / 500)


def test_a_second_read_of_the_same_feed_comes_from_the_cache(tmp_path, home_and_site, monkeypatch):
    import model.transit as transit_module

    feed = write_tiny_feed(tmp_path / "cached.zip", home_and_site[1], headway_min=20)
    first = read_stop_to_stop(feed, date="20260112", start="08:00", end="09:00", step_minutes=1)

    def no_scan(*args, **kwargs):
        raise AssertionError("the feed was scanned again")

    monkeypatch.setattr(transit_module, "_scan_feed", no_scan)
    again = read_stop_to_stop(feed, date="20260112", start="08:00", end="09:00", step_minutes=1)
    np.testing.assert_array_equal(again.minutes, first.minutes)
    assert list(again.stop_ids) == ["A", "B"] and again.date == "20260112"
    with pytest.raises(AssertionError, match="scanned again"):  # other arguments: scanned anew
        read_stop_to_stop(feed, date="20260112", start="08:00", end="09:30", step_minutes=1)


def test_scanning_sources_in_batches_gives_the_same_times(tmp_path, home_and_site, monkeypatch):
    import model.transit as transit_module

    a, d = home_and_site[1]
    b = (a + d) / 2
    trips = [[("A", t), ("B", t + 5), ("D", t + 12)] for t in range(420, 601, 15)] + \
        [[("D", t), ("B", t + 7)] for t in range(425, 601, 20)]
    feed = write_feed(tmp_path / "two_way.zip", {"A": a, "B": b, "D": d}, trips)
    whole = read_stop_to_stop(feed, date="20260112", start="08:00", end="09:00", step_minutes=2, cache=False)
    monkeypatch.setattr(transit_module, "MAX_SCAN_COLUMNS", 30)  # 30 departures: one source per scan
    batched = read_stop_to_stop(feed, date="20260112", start="08:00", end="09:00", step_minutes=2, cache=False)
    np.testing.assert_array_equal(batched.minutes, whole.minutes)
    assert np.isfinite(whole.between("D", "B")) and whole.between("B", "A") == np.inf
    # A -> D staying on board at B: the median wait for a bus every 15 min, leaving every 2 min, plus 12 min riding
    assert whole.between("A", "D") == pytest.approx(np.median([(15 - m % 15) % 15 for m in range(0, 60, 2)]) + 12)
