"""The road network as sparse matrices: fast door-to-door travel times for walk, bike and car.

Routing never touches networkx: for each mode the edge table becomes a
``scipy.sparse`` CSR matrix of travel seconds, and ``scipy.sparse.csgraph.dijkstra``
runs once per distinct *destination* node on the reversed graph, which yields the
time from every node to that destination at once. A travel-time matrix for all
22,732 addresses × all venues is therefore one Dijkstra per venue plus array indexing.

Door-to-door time = access leg (straight line from the origin point to its nearest
node of the mode's largest connected component, at ``ACCESS_KMH``) + network
shortest path + egress leg (destination node to the destination point, same speed).

Per-destination columns (seconds from every node) are cached in memory and on disk
under ``model.paths.cache_dir() / "travel" / <key>``, where the key hashes the network
files, the speed table and the mode. Adding one destination costs one Dijkstra.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from model.domain import Mode
from model.paths import cache_dir, write_atomic

from .errors import GeographyError

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

NETWORK_DATE = "2021-08-06"
"""OSM state of the bundled street network (tokenless-tiles/belgium gh-pages commit 337b87b)."""

EDGES_FILE = "roads_edges.parquet"
NODES_FILE = "roads_nodes.parquet"
CACHE_VERSION = "1"
#: Destination columns kept in memory per mode (each ~100 kB: seconds from all 25,336 nodes).
MAX_COLUMNS_IN_MEMORY = 2000
#: Door-to-door minutes already computed from one set of origins (a run's simulated homes) to a place are
#: kept, up to this many bytes in all and for sets of at most ``MAX_CACHED_ORIGINS`` origins: the
#: workshop runs a design and its baseline on the same seeds, so the same homes, and only a new place
#: needs new minutes (a fifth of a small run was spent on these). Whole origin sets are dropped, least
#: recently used first.
MAX_CACHED_MINUTES_BYTES = 96 * 2**20
MAX_CACHED_ORIGINS = 20_000

# Speeds in km/h per mode and OSM ``highway`` value. A highway value missing from a
# mode's table is not usable by that mode. Sources/assumptions: walking 4.5 km/h is a
# common planning value (steps slower); cycling 15 km/h on roads and cycleways, slower
# on unpaved tracks and shared footways; car speeds approximate Belgian limits and
# urban congestion per road class (the 2021 tiles carry no maxspeed tags).
SPEED_KMH: dict[Mode, dict[str, float]] = {
    Mode.WALK: {
        **{h: 4.5 for h in (
            "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
            "unclassified", "residential", "living_street", "service", "pedestrian", "footway",
            "path", "cycleway", "track", "platform", "corridor", "bridleway", "road",
        )},
        "steps": 2.0,
    },
    Mode.BIKE: {
        **{h: 15.0 for h in (
            "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
            "unclassified", "residential", "service", "cycleway", "path", "road",
        )},
        "living_street": 10.0,
        "track": 12.0,
        "pedestrian": 8.0,
        "footway": 8.0,
    },
    Mode.CAR: {
        "motorway": 100.0, "motorway_link": 60.0, "trunk": 80.0, "trunk_link": 50.0,
        "primary": 60.0, "primary_link": 40.0, "secondary": 50.0, "secondary_link": 40.0,
        "tertiary": 50.0, "tertiary_link": 30.0, "unclassified": 40.0, "road": 30.0,
        "residential": 30.0, "living_street": 10.0, "service": 15.0,
    },
}
"""Travel speed (km/h) per mode and highway class; absent classes are closed to the mode."""

ACCESS_KMH: dict[Mode, float] = {Mode.WALK: 4.5, Mode.BIKE: 10.0, Mode.CAR: 4.5}
"""Speed of the straight-line access/egress legs between a point and the network.
Car: walking between the door and the parked car."""

ONEWAY_MODES = frozenset({Mode.CAR})
"""Modes that honour ``oneway`` (walkers and cyclists use both directions)."""


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class ModeGraph:
    """One mode's routable graph: CSR of seconds, its reverse, the snapping tree."""

    mode: Mode
    csr: sparse.csr_matrix
    csr_reversed: sparse.csr_matrix
    lcc_nodes: np.ndarray  # positions (row numbers) of nodes in the largest component
    tree: cKDTree
    cache_key: str
    columns: dict[int, np.ndarray] = field(default_factory=dict)  # dest node pos -> secs from every node


class RoadNetwork:
    """Edge/node tables of a street network and the routing built on them.

    Node coordinates are in EPSG:31370 (metres). Edge table columns: ``u, v, highway,
    name, ref, oneway, length_m`` (geometry optional); node table: ``node_id, lon, lat, x, y``.
    """

    def __init__(self, edges: pd.DataFrame, nodes: pd.DataFrame, *, source: str = "",
                 digest: str = "", speeds: dict[Mode, dict[str, float]] | None = None,
                 access_kmh: dict[Mode, float] | None = None) -> None:
        self.edges = edges.reset_index(drop=True)
        self.nodes = nodes.reset_index(drop=True)
        self.source = source
        self.speeds = speeds or SPEED_KMH
        self.access_kmh = access_kmh or ACCESS_KMH
        self.node_ids = self.nodes["node_id"].to_numpy(dtype=np.int64)
        order = np.argsort(self.node_ids)
        self._sorted_ids = self.node_ids[order]
        self._sorted_pos = order
        self.xy = self.nodes[["x", "y"]].to_numpy(dtype=np.float64)
        self.u_pos = self._positions(self.edges["u"].to_numpy(dtype=np.int64), "u")
        self.v_pos = self._positions(self.edges["v"].to_numpy(dtype=np.int64), "v")
        self.digest = digest or hashlib.sha256(
            pd.util.hash_pandas_object(self.edges[["u", "v", "highway", "oneway", "length_m"]]).values.tobytes()
            + self.xy.tobytes() + self.node_ids.tobytes()
        ).hexdigest()
        self._graphs: dict[Mode, ModeGraph] = {}
        # (mode, digest of the origins' coordinates) -> {(x, y) of a destination: minutes from each origin}
        self._minutes: OrderedDict[tuple, dict[tuple[float, float], np.ndarray]] = OrderedDict()
        self._minutes_bytes = 0
        self._minutes_lock = threading.Lock()
        self.minutes_computed = 0
        """Destinations whose minutes were computed, not taken from memory (tests read it)."""
        self.dijkstra_runs = 0
        """Number of single-source Dijkstra runs done by this object (tests and benchmarks read it)."""
        self.disk_reads = 0

    def __getstate__(self) -> dict:
        """Pickled (a Dask worker, a process) without its lock and the minutes kept in memory."""
        state = self.__dict__.copy()
        state.update(_minutes=OrderedDict(), _minutes_bytes=0, _minutes_lock=None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._minutes_lock = threading.Lock()

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_dir(cls, directory: Path) -> "RoadNetwork":
        """Read ``roads_edges.parquet`` and ``roads_nodes.parquet`` from ``directory``."""
        directory = Path(directory)
        edge_cols = ["u", "v", "highway", "name", "ref", "oneway", "length_m"]
        node_cols = ["node_id", "lon", "lat", "x", "y"]
        frames = []
        for name, cols in ((EDGES_FILE, edge_cols), (NODES_FILE, node_cols)):
            path = directory / name
            if not path.exists():
                raise GeographyError(
                    f"{path} is missing. Restore it with `git checkout data/` or rebuild it with "
                    "`python -m model.data refresh` (or `python -m model.data import FILE`)."
                )
            try:
                df = pd.read_parquet(path, columns=cols)
            except Exception as exc:  # noqa: BLE001 - any read failure means a bad file
                raise GeographyError(
                    f"{path} cannot be read as a network table with columns {cols} ({exc}). "
                    "Restore it with `git checkout data/` or `python -m model.data refresh`."
                ) from None
            if df.empty:
                raise GeographyError(f"{path} has no rows. Restore it with `git checkout data/`.")
            frames.append(df)
        digest = hashlib.sha256(
            (file_digest(directory / EDGES_FILE) + file_digest(directory / NODES_FILE)).encode()
        ).hexdigest()
        return cls(frames[0], frames[1], source=str(directory), digest=digest)

    def _positions(self, ids: np.ndarray, column: str) -> np.ndarray:
        pos = np.searchsorted(self._sorted_ids, ids)
        pos = np.clip(pos, 0, len(self._sorted_ids) - 1)
        bad = self._sorted_ids[pos] != ids
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise GeographyError(
                f"network edge table row {first}: {column}={ids[first]} is not in the node table"
            )
        return self._sorted_pos[pos]

    # ------------------------------------------------------------------ per-mode graphs
    def edge_seconds(self, mode: Mode) -> tuple[np.ndarray, np.ndarray]:
        """(mask of edges usable by ``mode``, travel seconds per edge)."""
        speeds = self.speeds[mode]
        kmh = self.edges["highway"].map(speeds).to_numpy(dtype=np.float64)
        mask = ~np.isnan(kmh)
        seconds = self.edges["length_m"].to_numpy(dtype=np.float64) / (kmh / 3.6)
        return mask, seconds

    def directed_arcs(self, mode: Mode) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Arrays (from_pos, to_pos, seconds, edge_row) of the arcs usable by ``mode``."""
        mask, seconds = self.edge_seconds(mode)
        rows = np.flatnonzero(mask)
        u, v, s = self.u_pos[rows], self.v_pos[rows], seconds[rows]
        if mode in ONEWAY_MODES:
            two_way = self.edges["oneway"].to_numpy()[rows] == 0
        else:
            two_way = np.ones(len(rows), dtype=bool)
        fr = np.concatenate([u, v[two_way]])
        to = np.concatenate([v, u[two_way]])
        sec = np.concatenate([s, s[two_way]])
        er = np.concatenate([rows, rows[two_way]])
        return fr, to, sec, er

    def mode_graph(self, mode: Mode | str) -> ModeGraph:
        mode = Mode(mode)
        if mode in self._graphs:
            return self._graphs[mode]
        fr, to, sec, _ = self.directed_arcs(mode)
        keep = fr != to
        fr, to, sec = fr[keep], to[keep], np.maximum(sec[keep], 1e-3)  # explicit zeros are not edges
        # Parallel arcs: keep the fastest (a CSR built from COO would sum them).
        order = np.lexsort((sec, to, fr))
        fr, to, sec = fr[order], to[order], sec[order]
        first = np.ones(len(fr), dtype=bool)
        first[1:] = (fr[1:] != fr[:-1]) | (to[1:] != to[:-1])
        n = len(self.node_ids)
        csr = sparse.csr_matrix((sec[first], (fr[first], to[first])), shape=(n, n))
        n_comp, labels = csgraph.connected_components(csr, directed=True, connection="strong")
        used = np.zeros(n, dtype=bool)
        used[fr] = True
        used[to] = True
        counts = np.bincount(labels[used], minlength=n_comp)
        lcc = np.flatnonzero(labels == int(np.argmax(counts)))
        key_src = json.dumps({
            "v": CACHE_VERSION, "network": self.digest, "mode": mode.value,
            "speeds": sorted(self.speeds[mode].items()), "oneway": mode in ONEWAY_MODES,
        })
        key = hashlib.sha256(key_src.encode()).hexdigest()[:20]
        graph = ModeGraph(mode, csr, csr.T.tocsr(), lcc, cKDTree(self.xy[lcc]), key)
        self._graphs[mode] = graph
        return graph

    # ------------------------------------------------------------------ snapping
    def snap(self, xy: np.ndarray, mode: Mode | str) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node (row position) of the mode's largest component, and distance in metres."""
        g = self.mode_graph(mode)
        dist, idx = g.tree.query(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
        return g.lcc_nodes[idx], dist

    # ------------------------------------------------------------------ routing
    def _cache_folder(self, g: ModeGraph) -> Path:
        return cache_dir() / "travel" / f"{g.mode.value}-{g.cache_key}"

    def columns_to(self, dest_nodes: np.ndarray, mode: Mode | str) -> np.ndarray:
        """Seconds from every node to each of ``dest_nodes`` (positions): shape (len, n_nodes), float32."""
        g = self.mode_graph(mode)
        uniq = np.unique(dest_nodes)
        folder = self._cache_folder(g)
        missing = []
        for node in uniq:
            node = int(node)
            if node in g.columns:
                continue
            path = folder / f"{node}.npy"
            if path.exists():
                try:
                    g.columns[node] = np.load(path)
                    self.disk_reads += 1
                    continue
                except Exception:  # noqa: BLE001 - a corrupt cache file is simply recomputed
                    pass
            missing.append(node)
        if missing:
            dist = csgraph.dijkstra(g.csr_reversed, directed=True, indices=np.asarray(missing))
            self.dijkstra_runs += len(missing)
            dist = np.atleast_2d(dist).astype(np.float32)
            for node, col in zip(missing, dist):
                g.columns[node] = col
                write_atomic(folder / f"{node}.npy", lambda tmp, col=col: np.save(tmp, col))
        # bounded memory: a long workshop taps many places; keep the most recent columns
        wanted = set(int(n) for n in uniq)
        for node in list(g.columns)[: max(0, len(g.columns) - MAX_COLUMNS_IN_MEMORY)]:
            if node not in wanted:
                del g.columns[node]
        stack = np.stack([g.columns[int(n)] for n in uniq]) if len(uniq) else np.zeros((0, len(self.node_ids)), np.float32)
        return stack[np.searchsorted(uniq, dest_nodes)]

    def travel_minutes_xy(self, origins_xy: np.ndarray, dests_xy: np.ndarray, mode: Mode | str) -> np.ndarray:
        """Door-to-door minutes, shape (n_origins, n_destinations), float32; inf if unreachable.

        Each (origin, destination) pair is computed on its own, so the minutes to destinations met
        before from the same origins are taken from memory (see ``MAX_CACHED_MINUTES_BYTES``) and
        are the same numbers.
        """
        mode = Mode(mode)
        origins_xy = np.ascontiguousarray(origins_xy, dtype=np.float64).reshape(-1, 2)
        dests_xy = np.asarray(dests_xy, dtype=np.float64).reshape(-1, 2)
        if len(origins_xy) > MAX_CACHED_ORIGINS or not len(dests_xy):
            return self._travel_minutes_xy(origins_xy, dests_xy, mode)
        key = (mode, hashlib.blake2b(origins_xy.tobytes(), digest_size=16).digest())
        dests = [(float(x), float(y)) for x, y in dests_xy]
        with self._minutes_lock:  # the planner's threads share one network: bookkeeping under the lock
            known = self._minutes.pop(key, None)
            known = self._minutes[key] = known if known is not None else {}  # now the most recently used
            columns = {d: known.get(d) for d in dests}
        new = [d for d in dict.fromkeys(dests) if columns[d] is None]
        if new:
            minutes = self._travel_minutes_xy(origins_xy, np.array(new, dtype=np.float64), mode)
            fresh = {d: np.ascontiguousarray(minutes[:, j]) for j, d in enumerate(new)}
            columns.update(fresh)
            with self._minutes_lock:
                self.minutes_computed += len(new)
                if self._minutes.get(key) is known:  # not dropped meanwhile
                    for d, col in fresh.items():
                        if d not in known:
                            known[d] = col
                            self._minutes_bytes += col.nbytes
                # least recently used sets first; a set that alone exceeds the limit goes too
                while self._minutes_bytes > MAX_CACHED_MINUTES_BYTES and self._minutes:
                    _, dropped = self._minutes.popitem(last=False)
                    self._minutes_bytes -= sum(col.nbytes for col in dropped.values())
        return np.stack([columns[d] for d in dests], axis=1)

    def _travel_minutes_xy(self, origins_xy: np.ndarray, dests_xy: np.ndarray, mode: Mode) -> np.ndarray:
        access = self.access_kmh[mode] / 3.6
        o_node, o_dist = self.snap(origins_xy, mode)
        d_node, d_dist = self.snap(dests_xy, mode)
        cols = self.columns_to(d_node, mode)  # (n_d, n_nodes)
        secs = cols[:, o_node].T  # (n_o, n_d)
        secs = secs + (o_dist / access).astype(np.float32)[:, None] + (d_dist / access).astype(np.float32)[None, :]
        return (secs / np.float32(60.0)).astype(np.float32)

    def nearest_of_minutes(self, origins_xy: np.ndarray, targets_xy: np.ndarray, mode: Mode | str) -> np.ndarray:
        """Minutes from each origin to the nearest (in time) of ``targets``: one multi-source Dijkstra
        on an augmented graph with a virtual sink joined to every target node by its egress time."""
        mode = Mode(mode)
        g = self.mode_graph(mode)
        access = self.access_kmh[mode] / 3.6
        t_node, t_dist = self.snap(targets_xy, mode)
        n = g.csr.shape[0]
        sink = n
        # reversed graph + arcs sink -> target node (reverse of target node -> sink)
        rev = g.csr_reversed.tocoo()
        # several targets can snap to one node (bus stops on both sides of a street): keep the
        # quickest egress per node, since csr_matrix would add duplicate arcs together
        t_node, inverse = np.unique(t_node, return_inverse=True)
        egress = np.full(len(t_node), np.inf)
        np.minimum.at(egress, inverse, np.maximum(t_dist / access, 1e-3))
        rows = np.concatenate([rev.row, np.full(len(t_node), sink)])
        cols = np.concatenate([rev.col, t_node])
        data = np.concatenate([rev.data, egress])
        aug = sparse.csr_matrix((data, (rows, cols)), shape=(n + 1, n + 1))
        dist = csgraph.dijkstra(aug, directed=True, indices=sink)
        self.dijkstra_runs += 1
        o_node, o_dist = self.snap(origins_xy, mode)
        return ((dist[o_node] + o_dist / access) / 60.0).astype(np.float32)

    # ------------------------------------------------------------------ networkx view
    def to_networkx(self, mode: Mode | str) -> "nx.MultiDiGraph":
        """An osmnx-compatible MultiDiGraph (crs EPSG:31370; x/y in metres, lon/lat too)
        with ``length`` (m) and ``travel_time`` (s) on every edge usable by ``mode``."""
        import networkx as nx

        mode = Mode(mode)
        fr, to, sec, er = self.directed_arcs(mode)
        G = nx.MultiDiGraph(crs="EPSG:31370", name=f"Genk {mode.value}", source=self.source)
        used = np.unique(np.concatenate([fr, to]))
        lon = self.nodes["lon"].to_numpy()
        lat = self.nodes["lat"].to_numpy()
        G.add_nodes_from(
            (int(self.node_ids[p]), {"x": float(self.xy[p, 0]), "y": float(self.xy[p, 1]),
                                     "lon": float(lon[p]), "lat": float(lat[p])})
            for p in used
        )
        hw = self.edges["highway"].to_numpy()
        nm = self.edges["name"].to_numpy()
        ln = self.edges["length_m"].to_numpy(dtype=float)
        ow = self.edges["oneway"].to_numpy()
        ids = self.node_ids
        G.add_edges_from(
            (int(ids[a]), int(ids[b]), {"length": float(ln[r]), "travel_time": float(s),
                                        "highway": hw[r], "name": nm[r], "oneway": bool(ow[r])})
            for a, b, s, r in zip(fr, to, sec, er)
        )
        return G
