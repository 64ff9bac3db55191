"""Public-transport minutes from every home to a site: a stated assumption, or a GTFS timetable.

No timetable is bundled with the project. Two ways to get public-transport ("pt") minutes:

- :class:`FlatTransit` (the default, no timetable): walk to the nearest bus stop (OSM 2015
  stops, on the walk network) + an assumed mean wait + the bus ride, assumed to take
  ``in_vehicle_factor`` times the car time on the street network + the walk from the
  site's nearest stop to the site. Never slower than walking the whole way. The
  assumption text, in Dutch and English, is :meth:`FlatTransit.assumption` for screens
  and reports.
- :class:`GtfsTransit` (when a planner gives a GTFS feed, e.g. De Lijn's): the feed is read
  with ``gtfs_kit`` (offline once the zip is there), the stop-to-stop times for a weekday
  departure window come from a connection scan (earliest arrival, Dibbelt et al. 2013),
  summarised as the median over departure times in the window (as Conveyal R5 reports
  travel times), and door-to-door = walk to a stop + median stop-to-stop time (waiting
  included) + walk from the stop to the site, or walking all the way if quicker.
  Simplifications, stated: only trips that stop in Genk are scanned (a ride out of Genk
  and back on another line is missed); transfers are straight-line walks of at most
  400 m between stops; stops without times in ``stop_times.txt`` cannot be boarded;
  ``frequencies.txt`` is not expanded; the wait at the first stop is averaged over the
  window independently of the walk to it. The scanned matrix is cached on disk by the
  zip's hash and the arguments.

Both expose ``minutes_to(sites_xy, walk=, car=)`` -> (n_addresses, n_sites) minutes, the
protocol :class:`model.accessibility.CatchmentEngine` uses, plus ``method`` and
``assumption(lang)`` so every figure can say how it was made.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from model.domain import Mode

#: Assumed mean wait at the first stop (minutes): half of a 20-minute headway, a round figure
#: for De Lijn's city lines in Genk (not measured; a lever of the assumption, not data).
FLAT_WAIT_MINUTES = 10.0
#: Assumed bus ride time as a multiple of the car time on the street network (stops, dwell
#: times and detours: about 20 km/h where a car does 30).
FLAT_IN_VEHICLE_FACTOR = 1.5


class TransitAccess(Protocol):
    """What :class:`model.accessibility.CatchmentEngine` needs from a public-transport model."""

    method: str

    def minutes_to(self, sites_xy: np.ndarray, *, walk: np.ndarray, car: np.ndarray) -> np.ndarray: ...

    def assumption(self, lang: str = "nl") -> str: ...


# =========================================================================== no timetable
class FlatTransit:
    """Public transport without a timetable: walk to the stop + wait + bus ride + walk, or walk all the way.

    Args:
        access_walk_minutes: walking minutes from every address to its nearest bus stop.
        egress_walk: function (k, 2) EPSG:31370 points -> (k,) walking minutes from the
            point's nearest bus stop to the point.
        wait_minutes: assumed mean wait at the first stop.
        in_vehicle_factor: bus ride time as a multiple of the car's door-to-door time.
    """

    method = "flat"

    def __init__(self, access_walk_minutes: np.ndarray, egress_walk, *, wait_minutes: float = FLAT_WAIT_MINUTES,
                 in_vehicle_factor: float = FLAT_IN_VEHICLE_FACTOR) -> None:
        if wait_minutes < 0 or in_vehicle_factor <= 0:
            raise ValueError("wait_minutes must be ≥ 0 and in_vehicle_factor > 0 "
                             f"(got {wait_minutes!r}, {in_vehicle_factor!r})")
        self.access_walk_minutes = np.asarray(access_walk_minutes, dtype=np.float32)
        self.egress_walk = egress_walk
        self.wait_minutes = float(wait_minutes)
        self.in_vehicle_factor = float(in_vehicle_factor)

    @classmethod
    def for_geography(cls, geo: Any, **kwargs: Any) -> FlatTransit:
        """Build it on a geography's bus stops: one multi-source Dijkstra on the walk network for Genk."""
        net = geo.network if getattr(type(geo), "network", None) is not None else None
        if net is not None and hasattr(geo, "bus_stops"):
            stops = geo.bus_stops[["x", "y"]].to_numpy(dtype=float)
            lcc = net.mode_graph(Mode.WALK).lcc_nodes
            per_node = np.full(len(net.node_ids), np.inf, dtype=np.float64)
            # walking minutes from every routable node to its nearest stop (origins on nodes snap at 0 m)
            per_node[lcc] = net.nearest_of_minutes(net.xy[lcc], stops, Mode.WALK)
            speed = net.access_kmh[Mode.WALK] / 3.6

            def walk_from_stop(xy: np.ndarray) -> np.ndarray:
                node, dist = net.snap(np.asarray(xy, dtype=float).reshape(-1, 2), Mode.WALK)
                return (per_node[node] + dist / speed / 60.0).astype(np.float32)

            xy = geo.addresses[["x", "y"]].to_numpy(dtype=float)
            return cls(walk_from_stop(xy), walk_from_stop, **kwargs)
        if hasattr(geo, "bus_stop_walk_minutes"):
            ids = np.arange(len(geo.addresses), dtype=np.int64)
            return cls(geo.bus_stop_walk_minutes(ids), geo.bus_stop_walk_minutes, **kwargs)
        raise ValueError(f"{geo!r} has no bus stops: pass transit=FlatTransit(access_walk_minutes=..., "
                         "egress_walk=...) or leave 'pt' out of the modes")

    def minutes_to(self, sites_xy: np.ndarray, *, walk: np.ndarray, car: np.ndarray) -> np.ndarray:
        """(n_addresses, n_sites) pt minutes; ``walk`` and ``car`` are the same pairs' street minutes."""
        egress = np.asarray(self.egress_walk(np.asarray(sites_xy, dtype=float).reshape(-1, 2)), dtype=np.float32)
        ride = self.access_walk_minutes[:, None] + np.float32(self.wait_minutes) \
            + np.float32(self.in_vehicle_factor) * car + egress[None, :]
        return np.minimum(walk, ride).astype(np.float32)

    def assumption(self, lang: str = "nl") -> str:
        """The stated assumption behind every pt figure, in Dutch ("nl") or English ("en")."""
        if lang == "nl":
            return (f"Openbaar vervoer zonder dienstregeling (aanname, geen meting): wandelen naar de dichtstbijzijnde "
                    f"bushalte (OSM 2015) + gemiddeld {self.wait_minutes:g} minuten wachten + de busrit, gerekend als "
                    f"{self.in_vehicle_factor:g} keer de autotijd over het stratennet + wandelen van de halte naar de "
                    "site; wie sneller te voet is, wandelt. Laad een GTFS-bestand (De Lijn) voor echte reistijden.")
        return (f"Public transport without a timetable (an assumption, not a measurement): walk to the nearest bus "
                f"stop (OSM 2015) + a mean wait of {self.wait_minutes:g} minutes + the bus ride, taken as "
                f"{self.in_vehicle_factor:g} times the car time on the street network + the walk from the stop to "
                "the site; whoever is quicker on foot walks. Load a GTFS feed (De Lijn) for real travel times.")


# =========================================================================== GTFS timetable
def _seconds(times: pd.Series) -> np.ndarray:
    """GTFS "H:MM:SS" (hours may pass 24) to seconds after midnight; NaN where empty."""
    parts = times.astype("string").str.strip().str.split(":", expand=True)
    if parts.shape[1] < 3:
        return np.full(len(times), np.nan)
    h, m, s = (pd.to_numeric(parts[i], errors="coerce").to_numpy(dtype=float) for i in range(3))
    return h * 3600 + m * 60 + s


def _clock_seconds(text: str) -> float:
    clock = str(text).strip()
    value = _seconds(pd.Series([clock + ":00" if clock.count(":") == 1 else clock]))[0]
    if not np.isfinite(value):
        raise ValueError(f"time {text!r} must be written H:MM or H:MM:SS (e.g. '07:30')")
    return float(value)


@dataclass(frozen=True)
class StopToStop:
    """Median stop-to-stop minutes (waiting at the first stop included) over a departure window."""

    stop_ids: np.ndarray  # GTFS stop_id of each row/column
    stop_xy: np.ndarray  # (n, 2) EPSG:31370
    minutes: np.ndarray  # (n, n) float64, inf where no trip in the window gets there
    date: str
    start: str
    end: str
    step_minutes: float
    connections: int  # timetable connections scanned

    def between(self, from_stop: str, to_stop: str) -> float:
        ids = list(self.stop_ids)
        return float(self.minutes[ids.index(from_stop), ids.index(to_stop)])


def read_stop_to_stop(feed_path: Path | str, *, date: str | None = None, start: str = "07:00",
                      end: str = "09:00", step_minutes: float = 5.0, area: Any = None,
                      transfer_max_m: float = 400.0, walk_kmh: float = 4.5,
                      max_ride_minutes: float = 120.0, cache: bool = True) -> StopToStop:
    """Read a GTFS zip with ``gtfs_kit`` and scan its connections into a stop-to-stop matrix.

    Args:
        feed_path: GTFS zip file (or folder).
        date: service date "YYYYMMDD"; default the busiest day of the feed's first week.
        start, end: departure window (local clock, "H:MM"); departures are sampled every
            ``step_minutes`` from ``start`` up to but not including ``end``.
        area: a shapely geometry in EPSG:31370; only stops inside it are origins and
            destinations (trips may pass stops outside it). Default: all stops.
        transfer_max_m: stops closer than this (straight line) are joined by a walk at ``walk_kmh``.
        max_ride_minutes: connections departing later than ``end`` + this are not scanned.
        cache: keep the result under ``model.paths.cache_dir() / "gtfs"``, keyed by the feed
            file's hash and every argument, so a second planner session reads it at once.
    """
    path = Path(feed_path)
    if not path.exists():
        raise FileNotFoundError(f"GTFS feed {path} does not exist: give the path of the zip file (e.g. De Lijn's)")
    args = {"date": date, "start": start, "end": end, "step_minutes": step_minutes,
            "transfer_max_m": transfer_max_m, "walk_kmh": walk_kmh, "max_ride_minutes": max_ride_minutes}
    if not cache or path.is_dir():
        return _scan_feed(path, area=area, **args)
    import hashlib
    import json

    from model.geography.network import file_digest
    from model.paths import cache_dir, write_atomic

    key_src = json.dumps({"v": 1, "feed": file_digest(path), "area": None if area is None else area.wkb_hex, **args})
    target = cache_dir() / "gtfs" / f"{hashlib.sha256(key_src.encode()).hexdigest()[:24]}.npz"
    if target.exists():
        try:
            with np.load(target, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                return StopToStop(z["stop_ids"], z["stop_xy"], z["minutes"], **meta)
        except Exception:  # noqa: BLE001, S110 - a corrupt cache file is simply recomputed
            pass
    table = _scan_feed(path, area=area, **args)
    meta = json.dumps({"date": table.date, "start": table.start, "end": table.end,
                       "step_minutes": table.step_minutes, "connections": table.connections})
    write_atomic(target, lambda tmp: np.savez(tmp, stop_ids=table.stop_ids.astype(str), stop_xy=table.stop_xy,
                                              minutes=table.minutes, meta=np.array(meta)))
    return table


def _scan_feed(path: Path, *, date: str | None, start: str, end: str, step_minutes: float, area: Any,
               transfer_max_m: float, walk_kmh: float, max_ride_minutes: float) -> StopToStop:
    import gtfs_kit as gk
    import pyproj
    import shapely

    feed = gk.read_feed(path, dist_units="km")
    if date is None:
        week = feed.get_first_week()
        if not week:
            raise ValueError(f"{path.name}: calendar.txt / calendar_dates.txt name no service dates")
        date = feed.compute_busiest_date(week[:5])
    t0, t1 = _clock_seconds(start), _clock_seconds(end)
    if t1 <= t0:
        raise ValueError(f"departure window end {end!r} must come after start {start!r}")
    st = feed.get_stop_times(date)
    if st is None or st.empty:
        raise ValueError(f"{path.name}: no trips run on {date}; pick a date the feed's calendar covers")
    st = st.assign(arr=_seconds(st["arrival_time"]), dep=_seconds(st["departure_time"]))
    st = st[np.isfinite(st["arr"]) & np.isfinite(st["dep"])]  # untimed stops cannot be boarded here
    st = st.sort_values(["trip_id", "stop_sequence"])
    trip = st["trip_id"].to_numpy()
    same = trip[1:] == trip[:-1]
    conns = pd.DataFrame({"trip": trip[:-1][same], "from": st["stop_id"].to_numpy()[:-1][same],
                          "to": st["stop_id"].to_numpy()[1:][same], "dep": st["dep"].to_numpy()[:-1][same],
                          "arr": st["arr"].to_numpy()[1:][same]})
    conns = conns[(conns["dep"] >= t0) & (conns["dep"] <= t1 + max_ride_minutes * 60)]
    conns = conns.sort_values(["dep", "arr"], kind="stable").reset_index(drop=True)

    stops = feed.stops
    if "location_type" in stops.columns:
        lt = pd.to_numeric(stops["location_type"], errors="coerce").fillna(0)
        stops = stops[lt == 0]
    to_lambert = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:31370", always_xy=True)
    sx, sy = to_lambert.transform(stops["stop_lon"].to_numpy(dtype=float), stops["stop_lat"].to_numpy(dtype=float))
    ids_all = stops["stop_id"].astype(str).to_numpy()
    inside = np.ones(len(ids_all), bool) if area is None else shapely.contains_xy(area, sx, sy)
    if area is not None:
        # only trips that serve the area matter (a ride out of Genk and back on another line is ignored)
        area_ids = set(ids_all[inside])
        serving = set(conns.loc[conns["from"].astype(str).isin(area_ids) | conns["to"].astype(str).isin(area_ids), "trip"])
        conns = conns[conns["trip"].isin(serving)].reset_index(drop=True)
    used = set(conns["from"].astype(str)) | set(conns["to"].astype(str))
    keep = inside | np.isin(ids_all, list(used))
    ids, xy, area_mask = ids_all[keep], np.column_stack([sx, sy])[keep], inside[keep]
    index = {s: i for i, s in enumerate(ids)}
    n = len(ids)

    # walking transfers between nearby stops (straight line at walking speed)
    foot: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for a, b in cKDTree(xy).query_pairs(transfer_max_m):
        secs = float(np.hypot(*(xy[a] - xy[b]))) / (walk_kmh / 3.6)
        foot[a].append((b, secs))
        foot[b].append((a, secs))

    sources = np.flatnonzero(area_mask)
    taus = np.arange(t0, t1, step_minutes * 60.0)
    trip_codes, trip_of = np.unique(conns["trip"].astype(str).to_numpy(), return_inverse=True)
    scan = _Connections(trip_of, len(trip_codes), conns["from"].astype(str).map(index).to_numpy(),
                        conns["to"].astype(str).map(index).to_numpy(), conns["dep"].to_numpy(float),
                        conns["arr"].to_numpy(float), foot, n)
    # sources in batches so that one scan holds at most MAX_SCAN_COLUMNS (source, departure) columns
    per_batch = max(1, MAX_SCAN_COLUMNS // len(taus))
    minutes = np.empty((len(sources), len(sources)))
    for lo in range(0, len(sources), per_batch):
        batch = sources[lo:lo + per_batch]
        arrival = scan.earliest_arrival(batch, taus)  # (n, len(batch) * len(taus))
        travel = (arrival[area_mask] - np.tile(taus, len(batch))[None, :]).reshape(len(sources), len(batch), len(taus))
        minutes[lo:lo + len(batch)] = np.median(travel, axis=2).T / 60.0  # (batch, area stops)
    np.fill_diagonal(minutes, 0.0)
    return StopToStop(ids[area_mask], xy[area_mask], minutes, str(date), start, end, float(step_minutes), len(conns))


MAX_SCAN_COLUMNS = 4096
"""Columns (source stop x departure time) of one vectorised connection scan: bounds memory."""


@dataclass
class _Connections:
    """A day's timetable connections sorted by departure, and the walks between nearby stops."""

    trip_of: np.ndarray
    n_trips: int
    c_from: np.ndarray
    c_to: np.ndarray
    c_dep: np.ndarray
    c_arr: np.ndarray
    foot: list[list[tuple[int, float]]]
    n_stops: int

    def earliest_arrival(self, sources: np.ndarray, taus: np.ndarray) -> np.ndarray:
        """Connection scan (Dibbelt et al. 2013) for every (source, departure time) at once.

        Returns seconds after midnight of the earliest arrival at every stop, shape
        (n_stops, len(sources) * len(taus)), columns source-major.
        """
        k = len(sources) * len(taus)
        ea = np.full((self.n_stops, k), np.inf)
        tau_col = np.tile(taus, len(sources))
        ea[np.repeat(sources, len(taus)), np.arange(k)] = tau_col
        for i, a in enumerate(sources):
            cols = slice(i * len(taus), (i + 1) * len(taus))
            for b, secs in self.foot[a]:
                ea[b, cols] = np.minimum(ea[b, cols], tau_col[cols] + secs)
        on_board = np.zeros((self.n_trips, k), dtype=bool)
        for c in range(len(self.c_dep)):
            t = self.trip_of[c]
            # board if already on this trip, or standing at the stop before it leaves
            can = on_board[t] | (ea[self.c_from[c]] <= self.c_dep[c])
            if not can.any():
                continue
            on_board[t] = can
            arrive = np.where(can, self.c_arr[c], np.inf)
            np.minimum(ea[self.c_to[c]], arrive, out=ea[self.c_to[c]])
            for b, secs in self.foot[self.c_to[c]]:
                np.minimum(ea[b], arrive + secs, out=ea[b])
        return ea


class GtfsTransit:
    """Door-to-door public transport from a GTFS feed on Genk's walk network.

    door-to-door(home, site) = min over stops a, e of walk(home, a) + median stop-to-stop(a, e)
    + walk(e, site), and never more than walking all the way. Homes use their
    ``nearest_stops`` quickest stops within ``max_access_walk_minutes``.

    Args:
        geo: :class:`model.geography.Genk` (its walk network routes the access and egress legs).
        timetable: :func:`read_stop_to_stop` of the feed.
    """

    method = "gtfs"

    def __init__(self, geo: Any, timetable: StopToStop, *, max_access_walk_minutes: float = 15.0,
                 nearest_stops: int = 8, feed_name: str = "") -> None:
        self.geo = geo
        self.timetable = timetable
        self.feed_name = feed_name
        self.max_access_walk_minutes = float(max_access_walk_minutes)
        net = geo.network
        self._net = net
        xy = geo.addresses[["x", "y"]].to_numpy(dtype=float)
        access = net.travel_minutes_xy(xy, timetable.stop_xy, Mode.WALK)  # one cached Dijkstra per stop
        k = min(nearest_stops, access.shape[1])
        idx = np.argpartition(access, k - 1, axis=1)[:, :k] if k < access.shape[1] else \
            np.tile(np.arange(access.shape[1]), (access.shape[0], 1))
        self._access_idx = idx
        acc = np.take_along_axis(access, idx, axis=1).astype(np.float64)
        acc[acc > self.max_access_walk_minutes] = np.inf
        self._access_min = acc

    @classmethod
    def from_feed(cls, geo: Any, feed_path: Path | str, **kwargs: Any) -> GtfsTransit:
        """Read ``feed_path`` (stops inside Genk as origins/destinations) and build the door-to-door model."""
        table_keys = {"date", "start", "end", "step_minutes", "transfer_max_m", "walk_kmh", "max_ride_minutes"}
        table_kw = {k: kwargs.pop(k) for k in list(kwargs) if k in table_keys}
        area = geo.boundary.geometry.iloc[0] if hasattr(geo, "boundary") else None
        table = read_stop_to_stop(feed_path, area=area, **table_kw)
        return cls(geo, table, feed_name=Path(feed_path).name, **kwargs)

    def minutes_to(self, sites_xy: np.ndarray, *, walk: np.ndarray, car: np.ndarray) -> np.ndarray:
        """(n_addresses, n_sites) door-to-door pt minutes."""
        sites_xy = np.asarray(sites_xy, dtype=float).reshape(-1, 2)
        egress = self._net.travel_minutes_xy(self.timetable.stop_xy, sites_xy, Mode.WALK).astype(np.float64)
        out = np.empty((self._access_idx.shape[0], len(sites_xy)), dtype=np.float32)
        for s in range(len(sites_xy)):
            via = (self.timetable.minutes + egress[None, :, s]).min(axis=1)  # from each boarding stop
            out[:, s] = (self._access_min + via[self._access_idx]).min(axis=1)
        return np.minimum(walk, out).astype(np.float32)

    def assumption(self, lang: str = "nl") -> str:
        t = self.timetable
        day = f"{t.date[6:8]}/{t.date[4:6]}/{t.date[:4]}"
        if lang == "nl":
            return (f"Openbaar vervoer volgens de dienstregeling {self.feed_name} (GTFS) op {day}, vertrek tussen "
                    f"{t.start} en {t.end} (mediaan over vertrekmomenten om de {t.step_minutes:g} min, wachten "
                    "inbegrepen): wandelen naar een halte + rit met overstappen + wandelen naar de site; wie sneller "
                    "te voet is, wandelt.")
        return (f"Public transport from the timetable {self.feed_name} (GTFS) on {day}, departing between "
                f"{t.start} and {t.end} (median over departures every {t.step_minutes:g} min, waiting included): "
                "walk to a stop + ride with transfers + walk to the site; whoever is quicker on foot walks.")
