"""Data command line: refresh the bundle from the internet, import an OSM file, check the bundle.

    python -m model.data refresh [--dry-run] [--year 2024]
    python -m model.data import FILE.osm|FILE.osm.bz2|FILE.osm.pbf [--out DIR]
    python -m model.data check

This is the only place that downloads (osmnx against Overpass, Statbel open data). The
model only reads files under ``data/`` (see ``model.geography``). Every command writes
into a temporary folder first and moves the finished files into place only when all
of them succeeded, so a failure never leaves ``data/`` half-updated. ``import`` refuses a
network mostly outside Genk and replaces its output folder as a whole (edges and nodes
always from the same import). ``check`` also verifies the coordinate systems of the
geometry files and that every located venue lies in a wijk. The dasymetric home weights
of ``data/addresses.parquet`` (:func:`home_weights`) are computed here too, for
``data/build_bundle.py`` and ``refresh``.

Exit codes: 0 ok, 1 bad input or failed check, 2 offline / missing tool.
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from model.paths import DATA_DIR

LAMBERT = "EPSG:31370"
WGS84 = "EPSG:4326"
OVERPASS_HOST = ("overpass-api.de", 443)

# Tags of OSM features that can host learning (used by `refresh`).
LEARNING_TAGS: dict[str, list[str] | bool] = {
    "amenity": ["school", "kindergarten", "library", "community_centre", "arts_centre", "college",
                "university", "theatre", "childcare", "music_school", "social_centre", "youth_centre",
                "townhall", "cinema", "language_school", "dancing_school", "training", "prep_school"],
    "leisure": ["sports_centre", "stadium", "swimming_pool", "hackerspace", "fitness_centre", "pitch"],
    "tourism": ["museum", "gallery", "artwork", "zoo", "theme_park"],
    "office": ["educational_institution", "ngo", "association", "government", "company", "research"],
    "craft": True,
    "shop": ["books", "craft", "art", "music", "musical_instrument"],
}
STATBEL_SECTOR_URLS = (
    "https://statbel.fgov.be/sites/default/files/files/opendata/bevolking/sectoren/OPENDATA_SECTOREN_{year}.zip",
    "https://statbel.fgov.be/sites/default/files/files/opendata/bevolking/sectoren/OPENDATA_SECTOREN_{year}.xlsx",
)


class DataCommandError(RuntimeError):
    """A data command failed; ``code`` is the process exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# ============================================================================ helpers
def is_online(host: tuple[str, int] = OVERPASS_HOST, timeout_s: float = 3.0) -> bool:
    """Quick connectivity probe: can we open a TCP connection to Overpass?"""
    try:
        with socket.create_connection(host, timeout=timeout_s):
            return True
    except OSError:
        return False


def move_into_place(staging: Path, target: Path) -> list[Path]:
    """Move every file of ``staging`` into ``target`` (os.replace per file, same filesystem)."""
    target.mkdir(parents=True, exist_ok=True)
    moved = []
    for src in sorted(staging.iterdir()):
        if src.is_file():
            dst = target / src.name
            os.replace(src, dst)
            moved.append(dst)
    return moved


def footprint_per_address(addresses_xy: np.ndarray, buildings: gpd.GeoDataFrame,
                          max_distance_m: float = 30.0, cap_m2: float = 1500.0,
                          fallback_m2: float = 50.0) -> np.ndarray:
    """Footprint (m²) attributed to each address point (EPSG:31370): the area of the building
    that contains it (else the nearest within ``max_distance_m``), split over all addresses
    attributed to that building and capped at ``cap_m2`` (industrial halls are not homes);
    ``fallback_m2`` when no building is near. Used to weight homes by expected residents."""
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(addresses_xy[:, 0], addresses_xy[:, 1]), crs=LAMBERT)
    b = buildings[["geometry"]].to_crs(LAMBERT).copy()
    b["area_m2"] = b.geometry.area
    joined = gpd.sjoin_nearest(pts, b, how="left", max_distance=max_distance_m)
    joined = joined[~joined.index.duplicated(keep="first")].sort_index()
    bidx = joined["index_right"]
    share = joined["area_m2"] / bidx.map(bidx.value_counts())
    return share.clip(upper=cap_m2).fillna(fallback_m2).clip(lower=10.0).round(1).to_numpy()


# ============================================================================ home weights
# Dasymetric weights: where in Genk do people live? Every figure below is an assumption,
# stated again in data/README.md ("Homes and weights"); tests/test_geography.py pins them.
LEVEL_HEIGHT_M = 3.66          # OpenMapTiles: render_height = building:levels x 3.66 m
MAX_LEVELS = 12                # taller tagged values are towers or data errors
HOUSE_FOOTPRINT_M2 = 250.0     # below this footprint (per address) a building can be a single-family house
HOUSE_MAX_LEVELS = 2
HOUSE_CAP_M2 = 300.0           # floor area per address of a single-family dwelling, at most
FLATS_CAP_M2 = 2_000.0         # floor area per address of a block of flats (about 20 flats), at most
MIN_FLOOR_M2 = 40.0            # an address whose nearest building is a shed is still one small home
NO_BUILDING_FLOOR_M2 = 100.0   # no building within 30 m: one small home, shared by co-located addresses
EDGE_M = 50.0                  # a house in non-residential land use counts only within this of the edge
NON_RESIDENTIAL_LANDUSE = ("industrial", "commercial", "retail", "school", "college", "university",
                           "kindergarten", "library", "hospital", "cemetery", "military", "pitch",
                           "playground", "stadium")
# OSM 2021 POI subclasses that make their building public (no residents there). Nursing homes
# are not on the list: Statbel counts their residents.
PUBLIC_POI_SUBCLASSES = ("school", "kindergarten", "college", "university", "library", "place_of_worship",
                         "community_centre", "townhall", "courthouse", "public_building", "police",
                         "fire_station", "post_office", "hospital", "sports_centre", "swimming", "stadium",
                         "soccer", "museum", "arts_centre", "theatre", "cinema")
# POI classes of businesses: a building holding one is a shop-house when house-sized, else a store.
BUSINESS_POI_CLASSES = ("grocery", "mall", "doityourself", "furniture", "garden_centre", "car", "fuel",
                        "lodging", "bank", "clothing_store", "electronics", "shop", "restaurant",
                        "fast_food", "bar", "beer", "cafe", "shoes", "sports", "outdoor", "bicycle",
                        "pet", "toys", "music", "chemist", "pharmacy", "motorcycle", "karting")
HOME_RULES = ("house", "flats", "no_building", "house_at_edge",
              "public_building", "business_building", "non_residential_landuse")
"""Why an address got its weight: the first three are homes in residential (or unmapped) land,
``house_at_edge`` a small house at the edge of non-residential land use; the rest get no residents."""


def building_levels(render_height) -> np.ndarray:
    """Storeys per building from OpenMapTiles' ``render_height``: a whole multiple of 3.66 m is
    ``building:levels`` x 3.66 (untagged buildings have 3.66, one level); any other value comes
    from a ``height`` tag (towers, headframes) and counts as one level. Capped at ``MAX_LEVELS``."""
    h = np.nan_to_num(np.asarray(render_height, dtype=float), nan=LEVEL_HEIGHT_M)
    ratio = h / LEVEL_HEIGHT_M
    whole = np.abs(ratio - np.round(ratio)) < 0.02
    return np.where(whole, np.clip(np.round(ratio), 1, MAX_LEVELS), 1).astype(int)


def home_weights(addresses_xy: np.ndarray, buildings: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame,
                 pois: pd.DataFrame | None = None, max_distance_m: float = 30.0) -> pd.DataFrame:
    """Dasymetric home weight (residential floor area, m²) of each address point (EPSG:31370).

    Rules, first match wins (see ``data/README.md``, "Homes and weights"):

    1. the address's building (containing it, else nearest within ``max_distance_m``) holds a
       public POI (school, church, community centre, sports centre, ...): 0 (``public_building``);
    2. it holds a business POI (shop, supermarket, hotel, restaurant, ...), is not house-sized
       and has fewer than 3 levels (3 or more: flats above shops): 0 (``business_building``);
    3. the address lies in non-residential land use (industrial, commercial, retail, school,
       hospital, ...): only a house-sized building (footprint < 250 m², at most 2 levels)
       within ``EDGE_M`` of the land use's edge counts (``house_at_edge``), everything else 0;
    4. no building near: ``NO_BUILDING_FLOOR_M2`` shared by the addresses at that point;
    5. otherwise floor area = footprint x levels, split over the building's addresses, capped at
       ``HOUSE_CAP_M2`` for a house-sized building (``house``) and ``FLATS_CAP_M2`` otherwise
       (``flats``), at least ``MIN_FLOOR_M2``.

    Args:
        addresses_xy: (n, 2) EPSG:31370 coordinates.
        buildings: footprints with ``render_height`` (any CRS).
        landuse: polygons with ``class`` (and optionally ``layer``; only ``layer == 'landuse'`` is used).
        pois: OSM POIs with ``class``, ``subclass``, ``lon``, ``lat`` (WGS84); optional.

    Returns:
        DataFrame (one row per address, in order) with ``building_m2`` (footprint of the whole building),
        ``levels``, ``landuse`` (class or ""), ``home_weight`` (m², >= 0) and ``home_rule``.
    """
    import shapely

    xy = np.asarray(addresses_xy, dtype=float)
    n = len(xy)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=LAMBERT)
    b = gpd.GeoDataFrame({"levels": building_levels(buildings["render_height"])},
                         geometry=buildings.geometry.to_crs(LAMBERT).values, crs=LAMBERT)
    b["area_m2"] = b.geometry.area
    joined = gpd.sjoin_nearest(pts, b[["geometry"]], how="left", max_distance=max_distance_m)
    bidx = joined[~joined.index.duplicated(keep="first")].sort_index()["index_right"].to_numpy()
    has_b = ~pd.isna(bidx)
    bi = np.where(has_b, bidx, 0).astype(np.int64)
    footprint = np.where(has_b, b["area_m2"].to_numpy()[bi], np.nan)
    levels = np.where(has_b, b["levels"].to_numpy()[bi], 1)
    n_addr = pd.Series(bi[has_b]).value_counts()
    per_building = np.where(has_b, pd.Series(bi).map(n_addr).fillna(1).to_numpy(), 1)

    # POIs inside buildings
    public_b = np.zeros(len(b), bool)
    business_b = np.zeros(len(b), bool)
    if pois is not None and len(pois):
        p = pois.dropna(subset=["lon", "lat"])
        pxy = gpd.GeoSeries(gpd.points_from_xy(p["lon"], p["lat"]), crs=WGS84).to_crs(LAMBERT)
        tree = shapely.STRtree(b.geometry.values)
        for mask, target in ((p["subclass"].isin(PUBLIC_POI_SUBCLASSES).to_numpy(), public_b),
                             (p["class"].isin(BUSINESS_POI_CLASSES).to_numpy(), business_b)):
            if mask.any():
                _, hit = tree.query(pxy.values[mask], predicate="within")
                target[hit] = True

    # land use: non-residential wins over residential where polygons overlap
    lu = landuse.to_crs(LAMBERT)
    if "layer" in lu.columns:
        lu = lu[lu["layer"] == "landuse"]
    klass = np.full(n, "", dtype=object)
    for classes in (("residential",), NON_RESIDENTIAL_LANDUSE):
        sub = lu[lu["class"].isin(classes)]
        if len(sub):
            pi, li = shapely.STRtree(sub.geometry.values).query(pts.geometry.values, predicate="within")
            klass[pi] = sub["class"].to_numpy()[li]
    non_res = np.isin(klass, NON_RESIDENTIAL_LANDUSE)
    d_edge = np.full(n, np.inf)
    if non_res.any():
        union = lu[lu["class"].isin(NON_RESIDENTIAL_LANDUSE)].union_all()
        d_edge[non_res] = shapely.distance(union.boundary, pts.geometry.values[non_res])

    house_sized = has_b & (footprint / per_building < HOUSE_FOOTPRINT_M2) & (levels <= HOUSE_MAX_LEVELS)
    clearly_house = (has_b & (footprint < HOUSE_FOOTPRINT_M2) & (levels <= HOUSE_MAX_LEVELS)
                     & ~public_b[bi] & ~business_b[bi])
    floor = np.where(has_b, footprint * levels / per_building, 0.0)
    weight = np.where(house_sized, np.minimum(floor, HOUSE_CAP_M2), np.minimum(floor, FLATS_CAP_M2))
    weight = np.maximum(weight, MIN_FLOOR_M2)
    rule = np.where(house_sized, "house", "flats").astype(object)

    # no building near: one small home per point, shared by the addresses at that point
    spot = pd.Series(list(zip(np.round(xy[:, 0]), np.round(xy[:, 1]))))
    at_spot = spot.map(spot[~has_b].value_counts()).fillna(1).to_numpy()
    weight = np.where(has_b, weight, NO_BUILDING_FLOOR_M2 / at_spot)
    rule[~has_b] = "no_building"

    edge_house = non_res & clearly_house & (d_edge <= EDGE_M)
    weight = np.where(non_res & ~edge_house, 0.0, weight)
    rule[non_res] = np.where(edge_house[non_res], "house_at_edge", "non_residential_landuse")
    business = has_b & business_b[bi] & ~house_sized & (levels < 3)
    weight[business] = 0.0
    rule[business] = "business_building"
    public = has_b & public_b[bi]
    weight[public] = 0.0
    rule[public] = "public_building"
    return pd.DataFrame({"building_m2": np.round(footprint, 1), "levels": levels.astype("int16"),
                         "landuse": klass.astype(str), "home_weight": np.round(weight, 1),
                         "home_rule": rule.astype(str)})


ADDRESS_COLUMNS = ["straatnaam", "huisnr", "hnrlabel", "lon", "lat", "x", "y", "wijk", "footprint_m2",
                   "building_m2", "levels", "landuse", "home_weight", "home_rule"]


def with_home_weights(addresses: pd.DataFrame, buildings: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame,
                      pois: pd.DataFrame | None) -> pd.DataFrame:
    """The address table with ``footprint_m2`` (the former weight, kept for comparison) and the
    dasymetric columns of :func:`home_weights`, in the order of ``data/addresses.parquet``.

    Raises:
        DataCommandError: when a wijk would be left without any residents.
    """
    out = addresses.drop(columns=[c for c in ADDRESS_COLUMNS[8:] if c in addresses.columns]).reset_index(drop=True)
    xy = out[["x", "y"]].to_numpy()
    out["footprint_m2"] = footprint_per_address(xy, buildings)
    out = pd.concat([out, home_weights(xy, buildings, landuse, pois)], axis=1)
    per_wijk = out.groupby("wijk")["home_weight"].sum()
    empty = sorted(per_wijk.index[per_wijk <= 0])
    if empty:
        raise DataCommandError(f"the home weights leave wijk(en) {empty} without residents; check the land use "
                               "and POIs there (see data/README.md, 'Homes and weights').")
    return out[[c for c in ADDRESS_COLUMNS if c in out.columns]]


def _genk_boundary(data_dir: Path):
    path = data_dir / "boundary.parquet"
    if not path.exists():
        return None
    return gpd.read_parquet(path).to_crs(LAMBERT).geometry.iloc[0]


def graph_to_tables(G, boundary=None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Turn an osmnx MultiDiGraph (crs EPSG:4326) into the bundle's edge and node tables.

    Only ``highway`` edges are kept. Two-way streets appear once (u < v) with ``oneway=0``;
    one-way streets keep their direction with ``oneway=1``, as in ``roads_edges.parquet``.
    """
    import osmnx as ox

    if G.number_of_edges() == 0:
        raise DataCommandError("the OSM data contain no ways at all")
    edges = ox.graph_to_gdfs(G, nodes=False, fill_edge_geometry=True).reset_index()
    if "highway" not in edges.columns:
        raise DataCommandError("the OSM data contain no highway ways (no street network to route on)")
    edges = edges[edges["highway"].notna()].copy()
    if edges.empty:
        raise DataCommandError("the OSM data contain no highway ways (no street network to route on)")

    def first(value):
        return value[0] if isinstance(value, list) else value

    for col in ("highway", "name", "ref"):
        edges[col] = edges[col].map(first) if col in edges.columns else None
    oneway = edges["oneway"].map(lambda v: bool(first(v))) if "oneway" in edges.columns else False
    edges["oneway"] = np.asarray(oneway, dtype="int8")
    keep = (edges["oneway"] == 1) | (edges["u"] < edges["v"])
    edges = edges[keep & (edges["u"] != edges["v"])]
    edges["length_m"] = edges["length"].astype(float).round(2)
    edges = edges[["u", "v", "highway", "name", "ref", "oneway", "length_m", "geometry"]].reset_index(drop=True)
    edges["u"] = edges["u"].astype("int64")
    edges["v"] = edges["v"].astype("int64")
    edges = gpd.GeoDataFrame(edges, geometry="geometry", crs=G.graph.get("crs", WGS84)).to_crs(WGS84)

    ids = np.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]))
    lon = np.array([G.nodes[i]["x"] for i in ids])
    lat = np.array([G.nodes[i]["y"] for i in ids])
    xy = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=WGS84).to_crs(LAMBERT)
    deg = pd.Series(np.concatenate([edges["u"], edges["v"]])).value_counts()
    nodes = pd.DataFrame({"node_id": ids.astype("int64"), "lon": lon, "lat": lat,
                          "x": xy.x.round(2).to_numpy(), "y": xy.y.round(2).to_numpy(),
                          "degree": deg.reindex(ids).fillna(0).astype(int).to_numpy()})
    if boundary is not None:
        import shapely

        nodes["in_genk"] = shapely.contains_xy(boundary, nodes["x"], nodes["y"])
    else:
        nodes["in_genk"] = False
    return edges, nodes


def write_network(edges: gpd.GeoDataFrame, nodes: pd.DataFrame, staging: Path) -> None:
    edges.to_parquet(staging / "roads_edges.parquet", compression="zstd", index=False)
    nodes.to_parquet(staging / "roads_nodes.parquet", compression="zstd", index=False)


# ============================================================================ import
def _osm_to_xml(path: Path, workdir: Path) -> Path:
    """Return an .osm(.bz2) path osmnx can read; converts .pbf with osmium-tool."""
    name = path.name.lower()
    if name.endswith((".osm", ".osm.bz2", ".xml")):
        return path
    if name.endswith(".pbf"):
        osmium = shutil.which("osmium")
        if osmium is None:
            raise DataCommandError(
                f"{path} is an .osm.pbf file and osmium-tool is not installed. Install it "
                "(`apt-get install osmium-tool`) or convert the file to .osm first.", code=2)
        out = workdir / "highways.osm"
        proc = subprocess.run([osmium, "tags-filter", str(path), "w/highway", "-o", str(out),
                               "--overwrite", "-f", "osm"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise DataCommandError(f"osmium could not read {path}: {proc.stderr.strip()}")
        return out
    raise DataCommandError(f"{path}: unsupported file type; use .osm, .osm.bz2 or .osm.pbf")


NETWORK_FILES = ("roads_edges.parquet", "roads_nodes.parquet")
GENK_MARGIN_M = 2_000.0     # routes may leave Genk and come back: nodes this close to the border count as near
MIN_NEAR_SHARE = 0.5        # at least half of an imported network's nodes lie in Genk or within the margin
MIN_INSIDE_SHARE = 0.1      # and at least a tenth inside Genk itself


def check_network_in_genk(nodes: pd.DataFrame, boundary, source: Path) -> None:
    """Refuse a network mostly outside Genk (a file of another town would give reach 0 everywhere).

    Raises:
        DataCommandError: fewer than ``MIN_NEAR_SHARE`` of the nodes within ``GENK_MARGIN_M`` of Genk,
            or fewer than ``MIN_INSIDE_SHARE`` inside it.
    """
    import shapely

    near = shapely.contains_xy(boundary.buffer(GENK_MARGIN_M), nodes["x"], nodes["y"]).mean()
    inside = float(np.mean(nodes["in_genk"]))
    if near < MIN_NEAR_SHARE or inside < MIN_INSIDE_SHARE:
        lon, lat = float(nodes["lon"].median()), float(nodes["lat"].median())
        raise DataCommandError(
            f"{source} lies mostly outside Genk: {inside:.0%} of its {len(nodes):,} street nodes are inside Genk "
            f"and {near:.0%} within {GENK_MARGIN_M / 1000:g} km of its border (at least {MIN_INSIDE_SHARE:.0%} and "
            f"{MIN_NEAR_SHARE:.0%} needed); its median node is at lon {lon:.4f}, lat {lat:.4f} (Genk is near "
            "lon 5.50, lat 50.97). Use an extract of Genk, e.g. `osmium extract --bbox 5.36,50.90,5.62,51.04 "
            "in.osm.pbf -o genk.osm.pbf`. Nothing was changed.")


def _swap_folder(staging: Path, out_dir: Path) -> None:
    """Put ``staging`` in the place of ``out_dir`` with two renames: a reader sees the old set of
    files or the new one, never a mix (for an instant, no folder). A failure restores the old one."""
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        old.rmdir()
        os.replace(out_dir, old)
    try:
        os.replace(staging, out_dir)
    except BaseException:
        if old is not None:
            os.replace(old, out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def import_osm(path: Path | str, out_dir: Path | str, data_dir: Path = DATA_DIR) -> tuple[int, int]:
    """Build ``roads_edges.parquet`` + ``roads_nodes.parquet`` in ``out_dir`` from an OSM file.

    Returns (n_edges, n_nodes). Both files are written into a staging folder beside ``out_dir``,
    which then takes the place of ``out_dir`` as a whole (:func:`_swap_folder`): the previous
    output stays untouched unless the whole build succeeds, and edges and nodes always come from
    the same import. ``out_dir`` must be a folder of its own (only the network files).

    Raises:
        DataCommandError: unreadable file, no street network, a network mostly outside Genk
            (:func:`check_network_in_genk`) or an ``out_dir`` that holds other files.
    """
    import networkx as nx
    import osmnx as ox

    ox.settings.doh_url_template = None
    path, out_dir = Path(path), Path(out_dir)
    if not path.exists():
        raise DataCommandError(f"{path} does not exist")
    if out_dir.exists():
        others = sorted(p.name for p in out_dir.iterdir() if p.name not in NETWORK_FILES)
        if not out_dir.is_dir() or others:
            raise DataCommandError(
                f"--out {out_dir} holds other files ({', '.join(others[:5]) or 'it is not a folder'}); the import "
                "replaces its folder as a whole, so give it a folder of its own (default data/imported/<name>/) "
                "and load it with load_genk(network_dir=...). Nothing was changed.")
    boundary = _genk_boundary(data_dir)
    if boundary is None:
        raise DataCommandError(f"{data_dir / 'boundary.parquet'} is missing, so the import cannot check that the "
                               "network covers Genk; restore it with `git checkout data/boundary.parquet`.")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".import-", dir=out_dir.parent) as tmp:
        tmp = Path(tmp)
        xml = _osm_to_xml(path, tmp)
        try:
            G = ox.graph_from_xml(xml, simplify=False, retain_all=True)
        except Exception as exc:  # noqa: BLE001 - osmnx raises various errors for empty input
            raise DataCommandError(f"{path} has no usable street network: {type(exc).__name__}: {exc}") from None
        G.remove_edges_from([(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if "highway" not in d])
        G.remove_nodes_from(list(nx.isolates(G)))
        if G.number_of_edges() == 0:
            raise DataCommandError(f"{path} contains no highway ways (no street network to route on)")
        G = ox.simplify_graph(G)
        edges, nodes = graph_to_tables(G, boundary)
        check_network_in_genk(nodes, boundary, path)
        staging = tmp / "out"
        staging.mkdir()
        write_network(edges, nodes, staging)
        _swap_folder(staging, out_dir)
    return len(edges), len(nodes)


# ============================================================================ refresh
def _fetch_sector_population(year: int) -> pd.DataFrame:
    import requests

    last = None
    for template in STATBEL_SECTOR_URLS:
        url = template.format(year=year)
        try:
            r = requests.get(url, timeout=60)
            r.raise_for_status()
        except Exception as exc:  # noqa: BLE001
            last = exc
            continue
        if url.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
                member = next(n for n in zf.namelist() if n.lower().endswith((".txt", ".csv", ".xlsx")))
                raw = zf.read(member)
                df = (pd.read_excel(io.BytesIO(raw)) if member.lower().endswith(".xlsx")
                      else pd.read_csv(io.BytesIO(raw), sep="|", dtype=str))
        else:
            df = pd.read_excel(io.BytesIO(r.content))
        df.columns = [c.upper() for c in df.columns]
        sector = next(c for c in df.columns if c in ("CD_SECTOR", "CD_STAT_SECTOR"))
        total = next(c for c in df.columns if c in ("TOTAL", "MS_POPULATION", "POPULATION"))
        df = df[df[sector].astype(str).str.startswith("71016")]
        return pd.DataFrame({"statsec": df[sector].astype(str), "population": pd.to_numeric(df[total]).astype(int),
                             "year": year, "source": url})
    raise DataCommandError(f"Statbel sector population {year} could not be downloaded ({last})")


def refresh(data_dir: Path = DATA_DIR, dry_run: bool = False, year: int | None = None,
            online_check=None) -> list[Path]:
    """Download the current network, POIs, buildings and sector population into ``data_dir``."""
    import osmnx as ox

    ox.settings.doh_url_template = None
    if not (online_check or is_online)():
        raise DataCommandError(
            "offline: cannot reach overpass-api.de:443. `refresh` needs the internet; the bundled "
            "data in data/ were left untouched. Use `python -m model.data import FILE` for an OSM "
            "file you already have.", code=2)
    year = year or time.gmtime().tm_year - 1
    plan = ["roads_edges.parquet + roads_nodes.parquet (osmnx graph_from_polygon, network_type='all')",
            "pois_current.parquet (features_from_polygon, learning tags)",
            "buildings.parquet + addresses.parquet footprints and home weights (features_from_polygon building=True)",
            f"population_sectors.parquet (Statbel OPENDATA_SECTOREN_{year}, aggregated to wijk)"]
    if dry_run:
        print("refresh would write into", data_dir)
        for p in plan:
            print("  -", p)
        return []
    wijken = gpd.read_parquet(data_dir / "wijken.parquet").to_crs(LAMBERT)
    boundary = _genk_boundary(data_dir)
    poly_wgs = gpd.GeoSeries([boundary], crs=LAMBERT).to_crs(WGS84).iloc[0]
    with tempfile.TemporaryDirectory(prefix=".refresh-", dir=data_dir) as tmp:
        staging = Path(tmp)
        # One 'all' graph (not separate walk/bike graphs): it keeps true one-way flags, and
        # model.geography.SPEED_KMH decides per mode which highway classes are usable.
        G = ox.graph_from_polygon(poly_wgs.buffer(0.01), network_type="all", simplify=True, retain_all=False)
        edges, nodes = graph_to_tables(G, boundary)
        write_network(edges, nodes, staging)

        feats = ox.features_from_polygon(poly_wgs, tags=LEARNING_TAGS).reset_index()
        pts = feats.to_crs(LAMBERT).representative_point()
        wgs = pts.to_crs(WGS84)
        pois = pd.DataFrame({
            "osm_type": feats.get("element"), "osm_id": feats.get("id"),
            "key": [next((k for k in LEARNING_TAGS if k in feats and pd.notna(r.get(k))), None)
                    for _, r in feats.iterrows()],
            "name": feats.get("name"), "lon": wgs.x.round(7), "lat": wgs.y.round(7),
        })
        pois["subclass"] = [feats.loc[i, k] if k else None for i, k in enumerate(pois["key"])]
        pois["wijk"] = gpd.sjoin(gpd.GeoDataFrame(geometry=pts.values, crs=LAMBERT), wijken[["wijk", "geometry"]],
                                 how="left").groupby(level=0)["wijk"].first().to_numpy()
        pois.to_parquet(staging / "pois_current.parquet", index=False)

        b = ox.features_from_polygon(poly_wgs, tags={"building": True})
        b = b[b.geom_type.isin(["Polygon", "MultiPolygon"])].to_crs(LAMBERT).reset_index(drop=True)
        buildings = gpd.GeoDataFrame({"area_m2": b.geometry.area.round(1)}, geometry=b.geometry.values, crs=LAMBERT)
        rp = buildings.representative_point()
        buildings["wijk"] = gpd.sjoin(gpd.GeoDataFrame(geometry=rp.values, crs=LAMBERT), wijken[["wijk", "geometry"]],
                                      how="left").groupby(level=0)["wijk"].first().to_numpy()
        # as the OpenMapTiles rule of the bundle: building:levels x 3.66 m, else one level
        levels = pd.to_numeric(b["building:levels"], errors="coerce").to_numpy() if "building:levels" in b else np.nan
        buildings["render_height"] = np.where(np.asarray(levels, float) > 0, np.asarray(levels, float) * LEVEL_HEIGHT_M,
                                              LEVEL_HEIGHT_M).astype("float32")
        import shapely

        buildings = buildings[shapely.contains_xy(boundary, rp.x, rp.y)]
        buildings[["area_m2", "wijk", "render_height", "geometry"]].to_parquet(
            staging / "buildings.parquet", compression="zstd", index=False)
        addr = with_home_weights(pd.read_parquet(data_dir / "addresses.parquet"), buildings,
                                 gpd.read_parquet(data_dir / "landuse.parquet"),
                                 pd.read_parquet(data_dir / "pois2021.parquet"))
        addr.to_parquet(staging / "addresses.parquet", compression="zstd", index=False)

        pop = _fetch_sector_population(year)
        table = pd.read_csv(data_dir / "statsec2025_to_wijk.csv")[["statsec", "wijk"]]
        # residents of the 'unknown sector' (71016ZZZZ) have no wijk: they are left out of the scaling
        pop = pop[pop["statsec"].astype(str) != "71016ZZZZ"]
        pop = pop.merge(table, on="statsec", how="left")
        unmatched = sorted(pop.loc[pop["wijk"].isna(), "statsec"].astype(str))
        if unmatched:
            raise DataCommandError(
                f"Statbel's sectors of {year} do not all match the 2025 division in data/statsec2025_to_wijk.csv "
                f"({len(unmatched)} unmatched, e.g. {unmatched[:5]}); use --year 2025 or later. Nothing was changed.")
        pop.to_parquet(staging / "population_sectors.parquet", index=False)
        moved = move_into_place(staging, data_dir)
    return moved


# ============================================================================ check
EXPECTED = {
    "wijken": 31, "boundary": 1, "addresses": 22_732, "bus_stops": 387,
    "population total": 65_463, "network edges": 36_038, "network nodes": 25_336,
}


# Coordinate system every geometry file is stored in (data/README.md, "Files").
EXPECTED_CRS = {"wijken.parquet": 31370, "boundary.parquet": 31370, "buildings.parquet": 31370,
                "landuse.parquet": 31370, "roads_edges.parquet": 4326, "osm2015_points.parquet": 4326}
GENK_BBOX_LAMBERT = (221_380.0, 178_690.0, 236_130.0, 190_670.0)  # bounds of boundary.parquet, EPSG:31370
BBOX_MARGIN_M = 10_000.0  # the road tile block reaches about 2 km beyond Genk


def check_crs(data_dir: Path = DATA_DIR) -> list[str]:
    """Problems with the coordinate systems of the geometry files (empty list when all is well).

    A file fails when it has no CRS, a CRS other than the one in ``EXPECTED_CRS``, or coordinates
    that do not lie near Genk once read in their CRS (a wrong label). Each message names the file
    and how to fix it.
    """
    problems = []
    x0, y0, x1, y1 = GENK_BBOX_LAMBERT
    for name, epsg in EXPECTED_CRS.items():
        path = data_dir / name
        rel = f"data/{name}" if data_dir == DATA_DIR else str(path)
        restore = (f"restore it with `git checkout data/{name}` or rebuild it with `python data/build_bundle.py`")
        if not path.exists():
            problems.append(f"{rel} is missing; {restore}.")
            continue
        try:
            gdf = gpd.read_parquet(path, columns=["geometry"])
        except Exception as exc:  # noqa: BLE001 - unreadable means corrupt
            problems.append(f"{rel} cannot be read as GeoParquet ({type(exc).__name__}: {exc}); {restore}.")
            continue
        if gdf.crs is None:
            problems.append(
                f"{rel} has no coordinate reference system (expected EPSG:{epsg}). If its coordinates are "
                f"EPSG:{epsg}, label them: `gdf.set_crs('EPSG:{epsg}').to_parquet(...)`; otherwise {restore}.")
            continue
        found = gdf.crs.to_epsg()
        if found != epsg:
            problems.append(
                f"{rel} is stored in {gdf.crs.to_string()}, expected EPSG:{epsg}. If that label is right, "
                f"reproject: `gdf.to_crs('EPSG:{epsg}').to_parquet(...)`; if it is wrong, {restore}.")
            continue
        try:
            bx0, by0, bx1, by1 = gdf.geometry.to_crs(LAMBERT).total_bounds
        except Exception:  # noqa: BLE001 - degrees labelled as metres and the like
            bx0 = by0 = bx1 = by1 = float("nan")
        m = BBOX_MARGIN_M
        if not (bx0 >= x0 - m and by0 >= y0 - m and bx1 <= x1 + m and by1 <= y1 + m):
            problems.append(
                f"{rel} says EPSG:{epsg} but its coordinates do not lie near Genk (bounds "
                f"{gdf.total_bounds.round(3).tolist()}); the label is wrong (e.g. degrees marked as metres). "
                f"Fix the label with `gdf.set_crs(<the real CRS>, allow_override=True).to_crs('EPSG:{epsg}')`, "
                f"or {restore}.")
    return problems


def check_venues_in_wijken(genk) -> list[str]:
    """Problems: located venues (data/providers.csv) that lie in no wijk of data/wijken.parquet."""
    lost = genk.providers[genk.providers["x"].notna() & genk.providers["wijk"].isna()]
    return [f"data/providers.csv row {i + 2} ({r.venue_id!r} at lon {r.lon}, lat {r.lat}) lies in no wijk of "
            "data/wijken.parquet: the wijken do not cover Genk there (check their coordinate system with this "
            "command, or restore them with `git checkout data/wijken.parquet`) or the coordinates are wrong."
            for i, r in lost.iterrows()]


def check(data_dir: Path = DATA_DIR) -> bool:
    """Check coordinate systems, load the bundle, check that venues lie in wijken and compare
    counts with data/README.md; print a table and every problem."""
    from model.geography import Genk, GeographyError

    crs_problems = check_crs(data_dir)
    try:
        genk = Genk(data_dir)
        net = genk.network
    except GeographyError as exc:
        for p in [*crs_problems, str(exc)]:
            print(f"FAILED: {p}")
        return False
    venue_problems = check_venues_in_wijken(genk)
    problems = crs_problems + venue_problems
    actual = {
        "wijken": len(genk.wijken), "boundary": len(genk.boundary), "addresses": len(genk.addresses),
        "bus_stops": len(genk.bus_stops), "population total": int(genk.population["count"].sum()),
        "network edges": len(net.edges), "network nodes": len(net.nodes),
    }
    ok = not problems
    print(f"{'item':<22}{'expected':>10}{'actual':>10}  status")
    for key, exp in EXPECTED.items():
        good = actual[key] == exp
        ok &= good
        print(f"{key:<22}{exp:>10,}{actual[key]:>10,}  {'ok' if good else 'MISMATCH'}")
    extra = {"venues (located)": len(genk.venues), "providers (all rows)": len(genk.providers),
             "weights sum": round(float(genk.addresses["weight"].sum()))}
    for key, val in extra.items():
        print(f"{key:<22}{'':>10}{val:>10,}  info")
    n_in = int(genk.venues["wijk"].notna().sum())
    print(f"{'coordinate systems':<22}{len(EXPECTED_CRS):>10}{len(EXPECTED_CRS) - len(crs_problems):>10}  "
          f"{'FAILED' if crs_problems else 'ok'}")
    print(f"{'venues in wijken':<22}{len(genk.venues):>10,}{n_in:>10,}  {'FAILED' if venue_problems else 'ok'}")
    size = sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())
    print(f"data/ size: {size / 1e6:.1f} MB")
    for p in problems:
        print(f"FAILED: {p}")
    return ok


# ============================================================================ CLI
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m model.data", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("refresh", help="download current OSM + Statbel data into data/")
    r.add_argument("--dry-run", action="store_true")
    r.add_argument("--year", type=int, default=None, help="Statbel sector population year")
    r.add_argument("--data-dir", type=Path, default=DATA_DIR)
    i = sub.add_parser("import", help="build the network tables from an OSM file you have")
    i.add_argument("file", type=Path)
    i.add_argument("--out", type=Path, default=None,
                   help="output folder (default data/imported/<file stem>); load it with "
                        "model.geography.load_genk(network_dir=...)")
    c = sub.add_parser("check", help="verify that the bundled files load and counts match")
    c.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = ap.parse_args(argv)
    try:
        if args.command == "refresh":
            moved = refresh(args.data_dir, dry_run=args.dry_run, year=args.year)
            for p in moved:
                print("updated", p)
            return 0
        if args.command == "import":
            stem = args.file.name.split(".")[0]
            out = args.out or DATA_DIR / "imported" / stem
            n_e, n_n = import_osm(args.file, out)
            print(f"wrote {n_e:,} edges and {n_n:,} nodes to {out}")
            return 0
        return 0 if check(args.data_dir) else 1
    except DataCommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code


if __name__ == "__main__":
    sys.exit(main())
