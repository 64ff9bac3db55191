"""Rebuild the compact data bundle in ``data/`` from the raw files in ``../shared/data/raw``.

Usage (from the checkout root)::

    python data/build_bundle.py [--raw ../shared/data/raw] [--out data] [--providers]

The project never reads the raw folder at run time: this script is the only bridge.
Every product is written to a temporary file next to its target and moved into
place with ``os.replace``, so an interrupted run never leaves a half-written file.

``--providers`` also regenerates ``providers.csv`` from the OSM POIs. That file is a
curated, hand-editable catalogue, so it is NOT rebuilt by default (edits would be lost).

See ``data/README.md`` for the source, licence and processing of every file.
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run as a script from the checkout

from model.data import with_home_weights  # noqa: E402  (shared with `model.data refresh`)
from model.paths import write_atomic  # noqa: E402

DEFAULT_RAW = HERE.parent.parent / "shared" / "data" / "raw"
LAMBERT = "EPSG:31370"
WGS84 = "EPSG:4326"


def _geoparquet(gdf: gpd.GeoDataFrame, target: Path) -> None:
    write_atomic(target, lambda p: gdf.to_parquet(p, compression="zstd", index=False))


def _parquet(df: pd.DataFrame, target: Path) -> None:
    write_atomic(target, lambda p: df.to_parquet(p, compression="zstd", index=False))


def build(raw: Path, out: Path) -> None:
    print(f"reading {raw}")
    wijken = gpd.read_file(raw / "genk_wijken_ggw7.geojson").to_crs(LAMBERT)
    code_col = next(c for c in wijken.columns if wijken[c].astype(str).str.startswith("71016W").all())
    wijken = wijken.rename(columns={code_col: "wijk_code"})
    wijken["area_km2"] = wijken.geometry.area / 1e6
    wijken = wijken[["wijk_code", "wijk", "area_km2", "geometry"]].sort_values("wijk").reset_index(drop=True)
    _geoparquet(wijken, out / "wijken.parquet")

    boundary = gpd.read_file(raw / "genk_gemeente_boundary.geojson").to_crs(LAMBERT)
    boundary = gpd.GeoDataFrame({"name": ["Genk"], "nis": ["71016"]}, geometry=boundary.geometry.values, crs=LAMBERT)
    _geoparquet(boundary, out / "boundary.parquet")
    genk_poly = boundary.geometry.iloc[0]

    # --- CRAB addresses (home weights are added once land use and POIs are read) ------------
    addr = pd.read_csv(raw / "genk_crab_addresses_2021.csv", dtype={"huisnr": str, "hnrlabel": str})
    pts = gpd.GeoDataFrame(addr, geometry=gpd.points_from_xy(addr.lon, addr.lat), crs=WGS84).to_crs(LAMBERT)
    addr["x"] = pts.geometry.x.round(2)
    addr["y"] = pts.geometry.y.round(2)

    buildings = gpd.read_file(raw / "genk_osm2021_buildings.gpkg")
    buildings = buildings[buildings["in_genk"].astype(bool)].to_crs(LAMBERT)
    buildings = buildings[["area_m2", "wijk", "render_height", "geometry"]].reset_index(drop=True)
    buildings["area_m2"] = buildings["area_m2"].round(1)
    buildings["render_height"] = buildings["render_height"].astype("float32")
    # Quantise vertices to 0.1 m: the source is already quantised to ~0.38 m.
    import shapely

    buildings["geometry"] = shapely.set_precision(buildings.geometry.values, 0.1)
    _geoparquet(buildings, out / "buildings.parquet")


    # --- OSM 2015 layers (Geofabrik), kept inside the Genk bbox -----------------------------
    points = gpd.read_file(raw / "genk_bbox_osm2015_points.geojson")
    points["in_genk"] = points.to_crs(LAMBERT).within(genk_poly)
    points = points[["osm_id", "name", "type", "timestamp", "in_genk", "geometry"]]
    points["timestamp"] = points["timestamp"].astype(str)
    _geoparquet(points, out / "osm2015_points.parquet")
    for layer in ("railways", "waterways", "places"):
        g = gpd.read_file(raw / f"genk_bbox_osm2015_{layer}.geojson")
        g["in_genk"] = g.to_crs(LAMBERT).intersects(genk_poly)
        _geoparquet(g, out / f"osm2015_{layer}.parquet")

    # --- OSM 2021 road network (whole tile block, so routes may leave Genk and come back) ---
    edges = gpd.read_file(raw / "genk_osm2021_roads_edges.geojson")
    edges = edges[["u", "v", "highway", "name", "ref", "oneway", "length_m", "geometry"]]
    edges["u"] = edges["u"].astype("int64")
    edges["v"] = edges["v"].astype("int64")
    edges["oneway"] = edges["oneway"].fillna(0).astype("int8")
    _geoparquet(edges, out / "roads_edges.parquet")
    nodes = pd.read_csv(raw / "genk_osm2021_roads_nodes.csv")
    npts = gpd.GeoSeries(gpd.points_from_xy(nodes.lon, nodes.lat), crs=WGS84).to_crs(LAMBERT)
    nodes["x"] = npts.x.round(2)
    nodes["y"] = npts.y.round(2)
    nodes["in_genk"] = npts.within(genk_poly).values
    _parquet(nodes[["node_id", "lon", "lat", "x", "y", "degree", "in_genk"]], out / "roads_nodes.parquet")

    # --- OSM 2021 POIs and landuse, inside Genk ---------------------------------------------
    pois = gpd.read_file(raw / "genk_osm2021_pois.geojson")
    pois = pois[pois["in_genk"].astype(bool)].drop(columns=["in_genk", "geometry"])
    _parquet(pd.DataFrame(pois).reset_index(drop=True), out / "pois2021.parquet")

    landuse = gpd.read_file(raw / "genk_osm2021_landuse.gpkg")
    landuse = landuse[landuse["in_genk"].astype(bool)].to_crs(LAMBERT)
    landuse["geometry"] = shapely.set_precision(
        shapely.simplify(landuse.geometry.values, 0.5), 0.1
    )
    landuse = landuse[["layer", "class", "subclass", "name", "area_m2", "geometry"]].reset_index(drop=True)
    _geoparquet(landuse, out / "landuse.parquet")

    # --- homes: dasymetric weights from buildings, land use and POIs (data/README.md) -------
    addr = with_home_weights(addr[["straatnaam", "huisnr", "hnrlabel", "lon", "lat", "x", "y", "wijk"]],
                             buildings, landuse, pois)
    _parquet(addr, out / "addresses.parquet")
    rules = addr["home_rule"].value_counts()
    print("addresses.parquet: home rules " + ", ".join(f"{k} {v:,}" for k, v in rules.items()))

    # --- Statbel -----------------------------------------------------------------------------
    pop = pd.read_csv(raw / "genk_statbel_pop_struct_2015.csv")
    pop = (
        pop.assign(age=pop["CD_AGE"].clip(upper=100).astype(int), sex=pop["CD_SEX"],
                   belgian=pop["CD_NATLTY"].eq("BEL"))
        .groupby(["age", "sex", "belgian"], as_index=False)["MS_POPULATION"].sum()
        .rename(columns={"MS_POPULATION": "count"})
    )
    write_atomic(out / "population_2015.csv", lambda p: pop.to_csv(p, index=False))
    for name, target in (
        ("genk_statbel_income_munty_2005_2013.csv", "income_2005_2013.csv"),
        ("genk_statsec2025_to_wijk.csv", "statsec2025_to_wijk.csv"),
        ("genk_statsec2024_to_wijk.csv", "statsec2024_to_wijk.csv"),
    ):
        write_atomic(out / target, lambda p, n=name: shutil.copyfile(raw / n, p))

    # --- Waterschei OSM extract as a test fixture ------------------------------------------
    import bz2

    fixture = HERE.parent / "tests" / "fixtures" / "osm" / "genk_terril_waterschei.osm.bz2"
    write_atomic(fixture, lambda p: p.write_bytes(bz2.compress((raw / "genk_terril_waterschei.osm").read_bytes(), 9)))
    print("bundle written to", out)


# ------------------------------------------------------------------------------------------
# Provider catalogue
# ------------------------------------------------------------------------------------------
YOUTH_HOUSES = ("De Singel", "El Dorado", "Pionier", "TNT", "Rondpunt 26", "Jeugdcomplex")
POI_SRC = "genk_osm2021_pois.geojson"


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def build_providers(raw: Path, out: Path) -> pd.DataFrame:
    """Derive a first provider catalogue from the 2021 POIs and 2015 points (then curate by hand)."""
    pois = gpd.read_file(raw / POI_SRC)
    pois = pois[pois["in_genk"].astype(bool)].copy()
    pois["name"] = pois["name"].fillna("")
    rows: list[dict] = []

    def add(poi, ptype: str, note: str = "", name: str | None = None, match: str | None = None):
        nm = name or poi["name"]
        rows.append(dict(name=nm, provider_type=ptype, lon=round(poi["lon"], 7), lat=round(poi["lat"], 7),
                         location_status="osm2021_poi",
                         source=f"{POI_SRC} {match or 'name=' + poi['name']}" if poi["name"] else
                         f"{POI_SRC} {match}", notes=note, wijk=poi["wijk"]))

    named = pois[pois["name"] != ""]
    by_name = {n: g for n, g in named.groupby("name")}

    def first(name: str):
        return by_name[name].iloc[0]

    # Schools (class school: school + kindergarten)
    schools = pois[pois["class"] == "school"]
    special = {"Academie Genk": "academy", "Campus O3 - Huis van het Kind": "childcare",
               "Kinderdagverblijf Thor Familia": "childcare"}
    seen: set[str] = set()
    for _, p in schools[schools["name"] != ""].iterrows():
        if p["name"].lower() in seen:
            continue
        seen.add(p["name"].lower())
        ptype = special.get(p["name"], "school")
        note = "OSM subclass " + p["subclass"]
        if p["name"] in ("PLOT Brandweerschool", "PLOT Politieschool"):
            note += "; professional training school (fire brigade / police)"
        add(p, ptype, note, match=f"class=school name={p['name']}")
    for wijk, g in schools[schools["name"] == ""].groupby("wijk"):
        for i, (_, p) in enumerate(g.iterrows(), 1):
            suffix = f" {i}" if len(g) > 1 else ""
            add(p, "school", "unnamed OSM school POI", name=f"School (zonder naam), {wijk}{suffix}",
                match=f"class=school unnamed, wijk={wijk}")
    # Named buildings/areas of interest
    for nm, ptype, note in [
        ("Genks Academie voor Beeldende Kunst & Media", "academy", "named building (no POI class)"),
        ("T2-Campus", "company", "technology campus (Campus T2); named building"),
        ("Thor Park", "company", "science/business park; named area"),
        ("Thor Central", "company", "Thor Park central building; named building"),
        ("IncubaThor", "makerspace", "incubator at Thor Park; named building"),
        ("Middenschool", "school", "named building"),
        ("Technisch Atheneum De Wijzer", "school", "named building"),
        ("Leerwerkplaats De Sluis", "craftsperson", "learning workplace; named building"),
        ("Stedelijke werkplaatsen Genk", "city_service", "city workshops; named area"),
        ("VDAB", "city_service", "public employment and training service; named building"),
        ("Stebo vzw", "neighbourhood_work", "community development organisation; named building"),
        ("Ocmw - Genk - Sociaal Huis Portavida", "city_service", "social services; named building"),
        ("ocmw wijkcentrum", "neighbourhood_work", "OCMW neighbourhood centre; named building"),
        ("C-mine Labyrint", "museum", "C-mine site"),
        ("C-Mine Crib", "museum", "C-mine site"),
    ]:
        if nm in by_name:
            add(first(nm), ptype, note)
    # Library, museums, arts centres, college, theatre, cinema
    lib = pois[pois["subclass"] == "library"]
    for _, p in lib.iterrows():
        add(p, "library", "the public library")
    seen_m: set[str] = set()
    for _, p in pois[pois["subclass"].isin(["museum", "arts_centre", "theatre"])].iterrows():
        if p["name"] and p["name"] not in seen_m:
            seen_m.add(p["name"])
            add(p, "museum", "OSM subclass " + p["subclass"])
    for _, p in pois[pois["subclass"] == "college"].iterrows():
        add(p, "academy", "higher education (arts/design) at C-mine")
    # Community centres: jeugdhuizen -> youth_work, others -> neighbourhood_work
    cc = pois[(pois["subclass"] == "community_centre")]
    for _, p in cc[cc["name"] != ""].iterrows():
        youth = any(k in p["name"] for k in YOUTH_HOUSES) and not p["name"].startswith("Buurthuis") \
            or p["name"].startswith("Jeugd") or p["name"].startswith("Scouts")
        add(p, "youth_work" if youth else "neighbourhood_work", "OSM community_centre")
    # Sports centres (named) and stadium
    sc = pois[pois["subclass"].isin(["sports_centre", "stadium", "swimming_pool"])]
    for _, p in sc[sc["name"] != ""].drop_duplicates("name").iterrows():
        add(p, "sports_club", "OSM subclass " + p["subclass"])
    for _, p in pois[(pois["class"].isna() | (pois["class"] == "")) & pois["name"].str.contains(
            r"club|Tennisclub|Ruitersclub|volleybal|Squash", case=False, regex=True)].iterrows():
        add(p, "sports_club", "named building (no POI class)")
    # Stadhuis
    th = pois[pois["subclass"] == "townhall"]
    for _, p in th.iterrows():
        add(p, "city_service", "town hall")

    # Regina Mundi: the 2015 OSM point (gone from 2021 OSM; near today's Mater Dei school)
    pts = gpd.read_file(raw / "genk_bbox_osm2015_points.geojson")
    rm = pts[pts["name"] == "Regina Mundi"].iloc[0]
    rows.append(dict(venue_id="regina_mundi", name="Regina Mundi site", provider_type="city_service",
                     lon=round(rm.geometry.x, 7), lat=round(rm.geometry.y, 7), location_status="osm2015_point",
                     source=f"genk_bbox_osm2015_points.geojson osm_id={rm['osm_id']} name=Regina Mundi",
                     notes="former school site in the centre, the future central learning hub (case 1); "
                           "22 m from the 2021 'Mater Dei' school", wijk="Genk-Centrum"))
    # Actors named by the source but absent from the data
    for nm, ptype in [("Repair Café Genk", "makerspace"), ("Maakplaats (FabLab) Genk", "makerspace"),
                      ("Naschoolse opvang (BSO) Genk", "childcare"), ("Ambachtslui in de stad", "craftsperson")]:
        rows.append(dict(name=nm, provider_type=ptype, lon=np.nan, lat=np.nan, location_status="unknown",
                         source="none (not in the bundled data)",
                         notes="named in the concept note; location to be filled in by the pilot team", wijk=""))

    df = pd.DataFrame(rows)
    ids: list[str] = []
    used: set[str] = set()
    for _, r in df.iterrows():
        if isinstance(r.get("venue_id"), str):
            vid = r["venue_id"]
        else:
            vid = _slug(r["name"])
            if vid in used:
                vid = f"{vid}_{_slug(r['wijk'] or 'x')}"
            k = 2
            base = vid
            while vid in used:
                vid, k = f"{base}_{k}", k + 1
        used.add(vid)
        ids.append(vid)
    df["venue_id"] = ids
    df = df[["venue_id", "name", "provider_type", "lon", "lat", "location_status", "source", "notes"]]
    write_atomic(out / "providers.csv", lambda p: df.to_csv(p, index=False))
    print(f"providers.csv: {len(df)} rows")
    return df


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", type=Path, default=DEFAULT_RAW)
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--providers", action="store_true", help="also regenerate providers.csv (overwrites edits)")
    ap.add_argument("--only-providers", action="store_true")
    args = ap.parse_args(argv)
    if not args.only_providers:
        build(args.raw, args.out)
    if args.providers or args.only_providers:
        build_providers(args.raw, args.out)


if __name__ == "__main__":
    main()
