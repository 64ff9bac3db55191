"""Genk as one domain object: wijken, homes, venues, bus stops, population and travel times.

Everything is read from files under ``data/`` (see ``data/README.md``), once, and kept
in Belgian Lambert 72 (EPSG:31370, metres). Reproject to WGS84 / EPSG:3857 only for
display. Downloading lives in ``python -m model.data refresh``, never here.

>>> from model.geography import load_genk
>>> genk = load_genk()
>>> genk.travel_minutes([0, 1], ["bibliotheek_genk", "regina_mundi"], "walk").shape
(2, 2)

Residents' homes (``genk.addresses.weight``, expected residents per address): the Statbel 2015
population (65,463) is spread over the 22,732 CRAB address points in proportion to the
dasymetric ``home_weight`` column of ``data/addresses.parquet`` (residential floor area: no
residents in industrial, commercial or public buildings and land use, flats weighted by
footprint and levels; the rules are :func:`model.data.home_weights` and ``data/README.md``,
"Homes and weights"). This is an assumption, not a census. If
``data/population_sectors.parquet`` exists (written by ``python -m model.data refresh``),
weights are rescaled per wijk to its population.
"""
from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from model.domain import Mode, ProviderType
from model.paths import DATA_DIR

from .errors import AddressNotFound, GeographyError
from .network import ACCESS_KMH, NETWORK_DATE, SPEED_KMH, RoadNetwork

__all__ = [
    "ATTRIBUTION", "ATTRIBUTIONS", "NETWORK_DATE", "SPEED_KMH", "ACCESS_KMH", "LAMBERT", "WGS84",
    "Address", "AddressNotFound", "Genk", "GeographyError", "RoadNetwork", "load_genk",
]

LAMBERT = "EPSG:31370"
WGS84 = "EPSG:4326"

ATTRIBUTIONS: tuple[str, ...] = (
    "© OpenStreetMap contributors (ODbL)",
    "Wijken voor omgevingsanalyse. © gemeentebesturen, verzameld door Data & Analyse van de "
    "Vlaamse provincies (Modellicentie Gratis Hergebruik Vlaanderen v1.0)",
    "Bron: CRAB, Informatie Vlaanderen / Digitaal Vlaanderen",
    "Statbel / Algemene Directie Statistiek",
)
ATTRIBUTION: str = " | ".join(ATTRIBUTIONS)
"""One line for map footers and exports; every map and export must show it."""

POPULATION_TOTAL_2015 = 65_463  # Statbel TF_SOC_POP_STRUCT_2015, Genk (REFNIS 71016)
LOCATION_STATUSES = ("osm2021_poi", "osm2015_point", "crab_address", "unknown")
PROVIDERS_FILE = "providers.csv"


@dataclass(frozen=True)
class Address:
    """A CRAB address point (EPSG:31370 coordinates)."""

    straatnaam: str
    huisnr: str
    x: float
    y: float
    wijk: str
    address_id: int


def _fix_hint(path: Path) -> str:
    return (f"Restore it with `git checkout data/` (or rebuild the bundle with "
            f"`python data/build_bundle.py` / `python -m model.data refresh`). File: {path}")


def _house_key(number: str) -> tuple[int, str]:
    """Sort key of a house number as people read it: 2 < 10 < 100, then 10A < 10B (not 1, 10, 100, 2)."""
    m = re.match(r"\s*(\d+)(.*)", str(number))
    return (int(m.group(1)), m.group(2).strip().casefold()) if m else (10**9, str(number).casefold())


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[\s\-_.,']+", " ", text).strip()


class Genk:
    """The municipality of Genk as read from ``data_dir`` (see module docstring)."""

    def __init__(self, data_dir: Path | str | None = None, network_dir: Path | str | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
        self._network_dir = Path(network_dir) if network_dir is not None else self.data_dir
        self.network_date = NETWORK_DATE
        self.network_source = (
            "OpenStreetMap street network as of 2021-08-06, rebuilt from the vector tiles of "
            "tokenless-tiles/belgium (gh-pages 337b87b); © OpenStreetMap contributors (ODbL)"
        )
        self.wijken = self._read_geo("wijken.parquet", ["wijk_code", "wijk", "area_km2"], 31)
        self.wijken = self.wijken.sort_values("wijk").reset_index(drop=True)
        self.boundary = self._read_geo("boundary.parquet", [], 1)
        self._genk_polygon = self.boundary.geometry.iloc[0]
        shapely.prepare(self._genk_polygon)
        self._wijk_geoms = self.wijken.geometry.values
        self._wijk_tree = shapely.STRtree(self._wijk_geoms)
        self.population = self._read_population()
        self.addresses = self._read_addresses()
        self.providers = self._read_providers()
        self.venues = self._venues_from(self.providers)
        self.bus_stops = self._read_bus_stops()
        self._network: RoadNetwork | None = None
        self._street_index: dict[str, str] | None = None
        self._address_index: dict[tuple[str, str], int] | None = None

    # ================================================================== reading
    def _path(self, name: str) -> Path:
        path = self.data_dir / name
        if not path.exists():
            raise GeographyError(f"{name} is missing from {self.data_dir}. {_fix_hint(path)}")
        if path.stat().st_size == 0:
            raise GeographyError(f"{name} is empty. {_fix_hint(path)}")
        return path

    def _read_table(self, name: str, columns: Sequence[str] | None = None, geo: bool = False):
        path = self._path(name)
        try:
            if path.suffix == ".csv":
                df = pd.read_csv(path)
            elif geo:
                df = gpd.read_parquet(path)
            else:
                df = pd.read_parquet(path, columns=list(columns) if columns else None)
        except Exception as exc:  # noqa: BLE001 - unreadable means corrupt
            raise GeographyError(f"{name} cannot be read ({type(exc).__name__}: {exc}). {_fix_hint(path)}") from None
        missing = [c for c in (columns or []) if c not in df.columns]
        if missing:
            raise GeographyError(f"{name} lacks column(s) {missing}. {_fix_hint(path)}")
        if len(df) == 0:
            raise GeographyError(f"{name} has no rows. {_fix_hint(path)}")
        return df

    def _read_geo(self, name: str, columns: list[str], expected_rows: int | None) -> gpd.GeoDataFrame:
        gdf = self._read_table(name, columns, geo=True)
        if expected_rows is not None and len(gdf) != expected_rows:
            raise GeographyError(f"{name} has {len(gdf)} rows, expected {expected_rows}. {_fix_hint(self.data_dir / name)}")
        if gdf.crs is None:
            gdf = gdf.set_crs(LAMBERT)
        return gdf.to_crs(LAMBERT)[[*columns, "geometry"]]

    def _read_population(self) -> pd.DataFrame:
        pop = self._read_table("population_2015.csv", ["age", "sex", "belgian", "count"])
        pop = pop.astype({"age": int, "sex": str, "belgian": bool, "count": int})
        return pop[["age", "sex", "belgian", "count"]].reset_index(drop=True)

    def _read_addresses(self) -> gpd.GeoDataFrame:
        cols = ["straatnaam", "huisnr", "x", "y", "wijk"]
        df = self._read_table("addresses.parquet")  # all columns: home_weight gets its own message
        path = self._path("addresses.parquet")
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise GeographyError(f"addresses.parquet lacks column(s) {missing}. {_fix_hint(path)}")
        if "home_weight" not in df.columns:
            raise GeographyError(
                "data/addresses.parquet lacks the column home_weight (the dasymetric residents' weight per "
                "address, see data/README.md 'Homes and weights'); it was written by an older bundle. "
                f"Rebuild it with `python data/build_bundle.py` or restore it with `git checkout data/`. File: {path}")
        hw = pd.to_numeric(df["home_weight"], errors="coerce").to_numpy(dtype=float)
        df = df[cols].reset_index(drop=True)
        df["huisnr"] = df["huisnr"].astype(str)
        bad = np.flatnonzero(~np.isfinite(hw) | (hw < 0))
        if bad.size:
            i = int(bad[0])
            raise GeographyError(f"data/addresses.parquet row {i}, field home_weight: {hw[i]!r} must be a number of "
                                 f"m² of residential floor area, 0 or more ({bad.size} rows affected). {_fix_hint(path)}")
        if hw.sum() <= 0:
            raise GeographyError(f"data/addresses.parquet, field home_weight: every address has weight 0, so nobody "
                                 f"lives in Genk. {_fix_hint(path)}")
        weight = hw / hw.sum() * int(self.population["count"].sum())
        sectors = self.data_dir / "population_sectors.parquet"
        if sectors.exists():
            weight = self._scale_to_sectors(df, weight, sectors)
        df.insert(0, "address_id", np.arange(len(df), dtype=np.int64))
        df["weight"] = weight
        return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.x, df.y), crs=LAMBERT)

    def _scale_to_sectors(self, df: pd.DataFrame, weight: np.ndarray, path: Path) -> np.ndarray:
        try:
            sec = pd.read_parquet(path, columns=["wijk", "population"])
        except Exception as exc:  # noqa: BLE001
            raise GeographyError(f"{path.name} cannot be read ({exc}). Delete it or rerun "
                                 "`python -m model.data refresh`.") from None
        per_wijk = sec.groupby("wijk")["population"].sum()
        current = pd.Series(weight).groupby(df["wijk"].to_numpy()).sum()
        unknown = sorted(set(per_wijk.index) - set(current.index))
        if unknown:
            raise GeographyError(f"{path.name}: wijk(en) {unknown} are not wijken of Genk (data/wijken.parquet); "
                                 "fix the sector → wijk table and rerun `python -m model.data refresh`.")
        homeless = sorted(w for w in per_wijk.index if per_wijk[w] > 0 and current[w] <= 0)
        if homeless:
            raise GeographyError(f"{path.name}: wijk(en) {homeless} have residents but no address with a home weight "
                                 "in data/addresses.parquet; rebuild it with `python data/build_bundle.py`.")
        factor = (per_wijk / current).reindex(df["wijk"]).fillna(1.0).to_numpy()
        return weight * factor

    def _read_providers(self) -> pd.DataFrame:
        path = self._path(PROVIDERS_FILE)
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        except Exception as exc:  # noqa: BLE001
            raise GeographyError(f"data/{PROVIDERS_FILE} cannot be read ({exc}). {_fix_hint(path)}") from None
        required = ["venue_id", "name", "provider_type", "lon", "lat", "location_status", "source", "notes"]
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise GeographyError(f"data/{PROVIDERS_FILE} lacks column(s) {missing}; expected {required}.")
        types = {t.value for t in ProviderType}
        seen: set[str] = set()
        lon = np.full(len(df), np.nan)
        lat = np.full(len(df), np.nan)
        for i, row in df.iterrows():
            line = i + 2  # header is line 1
            where = f"data/{PROVIDERS_FILE} row {line}"
            vid = row["venue_id"].strip()
            if not re.fullmatch(r"[a-z0-9_]+", vid):
                raise GeographyError(f"{where}, field venue_id: {vid!r} must be a slug (a-z, 0-9, _).")
            if vid in seen:
                raise GeographyError(f"{where}, field venue_id: {vid!r} is used twice; venue ids must be unique.")
            seen.add(vid)
            if row["provider_type"] not in types:
                raise GeographyError(f"{where}, field provider_type: {row['provider_type']!r} is not one of "
                                     f"{sorted(types)}.")
            if row["location_status"] not in LOCATION_STATUSES:
                raise GeographyError(f"{where}, field location_status: {row['location_status']!r} is not one of "
                                     f"{list(LOCATION_STATUSES)}.")
            if (row["lon"].strip() == "") != (row["lat"].strip() == ""):
                raise GeographyError(f"{where}, fields lon/lat: give both or neither.")
            if row["lon"].strip():
                for field_name, store in (("lon", lon), ("lat", lat)):
                    try:
                        store[i] = float(row[field_name])
                    except ValueError:
                        store[i] = np.nan
                    if not np.isfinite(store[i]):
                        raise GeographyError(f"{where}, field {field_name}: {row[field_name]!r} is not a number "
                                             "(WGS84 degrees).")
        known = ~np.isnan(lon)
        xy = np.full((len(df), 2), np.nan)
        if known.any():
            pts = gpd.GeoSeries(gpd.points_from_xy(lon[known], lat[known]), crs=WGS84).to_crs(LAMBERT)
            xy[known, 0], xy[known, 1] = pts.x.to_numpy(), pts.y.to_numpy()
            inside = shapely.contains_xy(self._genk_polygon, xy[known, 0], xy[known, 1])
            if not inside.all():
                i = int(np.flatnonzero(known)[np.flatnonzero(~inside)[0]])
                raise GeographyError(
                    f"data/{PROVIDERS_FILE} row {i + 2}, fields lon/lat: ({lon[i]}, {lat[i]}) for "
                    f"{df.loc[i, 'venue_id']!r} lies outside Genk. Fix the coordinates (WGS84 lon, lat) "
                    "or leave both empty with location_status=unknown."
                )
        df["lon"], df["lat"], df["x"], df["y"] = lon, lat, xy[:, 0], xy[:, 1]
        df["wijk"] = self.wijken_of(df["x"].to_numpy(), df["y"].to_numpy())
        return df

    def _venues_from(self, providers: pd.DataFrame) -> gpd.GeoDataFrame:
        df = providers[providers["x"].notna()]
        cols = ["venue_id", "name", "provider_type", "wijk", "x", "y", "location_status", "source"]
        out = gpd.GeoDataFrame(df[cols].copy(), geometry=gpd.points_from_xy(df.x, df.y), crs=LAMBERT)
        out.index = pd.Index(out["venue_id"].to_numpy(), name="venue_id")
        return out

    def _read_bus_stops(self) -> gpd.GeoDataFrame:
        pts = self._read_table("osm2015_points.parquet", ["osm_id", "name", "type", "in_genk"], geo=True)
        stops = pts[(pts["type"] == "bus_stop") & pts["in_genk"].astype(bool)].to_crs(LAMBERT)
        stops = stops[["osm_id", "name", "geometry"]].reset_index(drop=True)
        stops["x"], stops["y"] = stops.geometry.x, stops.geometry.y
        return stops

    # ================================================================== places
    def contains(self, x: float, y: float) -> bool:
        """True when the EPSG:31370 point lies inside the municipality."""
        return bool(shapely.contains_xy(self._genk_polygon, x, y))

    def wijk_of(self, x: float, y: float) -> str | None:
        """Name of the wijk containing the EPSG:31370 point, ``None`` outside Genk."""
        return self.wijken_of(np.array([x], float), np.array([y], float))[0]

    def wijken_of(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`wijk_of` (object array with ``None`` outside Genk)."""
        xs, ys = np.asarray(xs, float), np.asarray(ys, float)
        out = np.full(len(xs), None, dtype=object)
        ok = ~(np.isnan(xs) | np.isnan(ys))
        if ok.any():
            pts = shapely.points(xs[ok], ys[ok])
            pi, wi = self._wijk_tree.query(pts, predicate="intersects")
            idx = np.flatnonzero(ok)
            names = self.wijken["wijk"].to_numpy()
            # first match wins (points on a shared border)
            order = np.argsort(pi, kind="stable")[::-1]
            out[idx[pi[order]]] = names[wi[order]]
        return out

    # ================================================================== geocoding
    def _build_geocoder(self) -> None:
        streets = self.addresses["straatnaam"].to_numpy()
        nrs = self.addresses["huisnr"].to_numpy()
        self._street_index = {}
        for s in np.unique(streets):
            self._street_index.setdefault(_norm(s), s)
        self._address_index = {}
        for i, (s, n) in enumerate(zip(streets, nrs)):
            self._address_index.setdefault((_norm(s), _norm(n)), i)

    def geocode(self, text: str) -> Address:
        """Offline lookup of "Straatnaam 12[A]" in CRAB (case and accents do not matter).

        Raises:
            AddressNotFound: with the closest street names (or house numbers) in the message.
        """
        if self._address_index is None:
            self._build_geocoder()
        assert self._street_index is not None and self._address_index is not None
        core = str(text).split(",")[0].strip()
        m = re.match(r"^(.*?)[\s,]+(\d+\s*[A-Za-z]?(?:[/-]\w+)?)$", core)
        if not m:
            street, number = core, ""
        else:
            street, number = m.group(1), m.group(2).replace(" ", "")
        skey = _norm(street)
        if skey not in self._street_index:
            close = difflib.get_close_matches(skey, list(self._street_index), n=5, cutoff=0.6)
            suggestions = [self._street_index[c] for c in close]
            hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
            raise AddressNotFound(f"street {street!r} is not in the CRAB register of Genk.{hint}", suggestions)
        key = (skey, _norm(number))
        if key not in self._address_index:
            on_street = self.addresses.loc[
                self.addresses["straatnaam"] == self._street_index[skey], "huisnr"].tolist()
            wanted = _house_key(number)
            if number and wanted[0] < 10**9:  # the numerically nearest numbers on the street, in house-number order
                close = sorted(sorted(set(on_street), key=lambda n: (abs(_house_key(n)[0] - wanted[0]), _house_key(n)))[:5],
                               key=_house_key)
            else:
                close = sorted(difflib.get_close_matches(number, on_street, n=5, cutoff=0.3), key=_house_key)
            sugg = [f"{self._street_index[skey]} {n}" for n in close]
            first = ", ".join(sorted(set(on_street), key=_house_key)[:5])
            raise AddressNotFound(
                f"{self._street_index[skey]} {number or '(no house number)'} is not in the CRAB register. "
                f"Known numbers nearby: {', '.join(sugg) or first}", sugg)
        row = self.addresses.iloc[self._address_index[key]]
        return Address(row["straatnaam"], row["huisnr"], float(row["x"]), float(row["y"]), row["wijk"],
                       int(row["address_id"]))

    # ================================================================== travel
    @property
    def network(self) -> RoadNetwork:
        """The street network (loaded on first use)."""
        if self._network is None:
            self._network = RoadNetwork.from_dir(self._network_dir)
        return self._network

    def graph(self, mode: Mode | str):
        """osmnx-compatible ``networkx.MultiDiGraph`` for ``mode`` (crs EPSG:31370, x/y in metres;
        ``length`` m and ``travel_time`` s per edge). Built on each call: cache it if needed."""
        return self.network.to_networkx(Mode(mode))

    def points_xy(self, places) -> np.ndarray:
        """(n, 2) EPSG:31370 coordinates of address ids, venue ids or coordinates."""
        if isinstance(places, (str, int, np.integer)):
            places = [places]
        if isinstance(places, (pd.Index, pd.Series)):
            places = places.to_numpy()
        if isinstance(places, (list, tuple)) and places and all(isinstance(p, str) for p in places):
            unknown = [p for p in places if p not in self.venues.index]
            if unknown:
                raise KeyError(f"unknown venue_id(s) {unknown[:5]} (venues with a known location are in "
                               f"genk.venues; data/{PROVIDERS_FILE})")
            return self.venues.loc[list(places), ["x", "y"]].to_numpy(dtype=float)
        arr = np.asarray(places)
        if arr.dtype.kind in "OUS":
            return self.points_xy([str(p) for p in arr.ravel()])
        if arr.dtype.kind in "iu" and arr.ndim == 1:
            n = len(self.addresses)
            if arr.size and (arr.min() < 0 or arr.max() >= n):
                raise IndexError(f"address_id out of range 0..{n - 1}")
            return self.addresses[["x", "y"]].to_numpy(dtype=float)[arr]
        if arr.size == 0:
            return np.zeros((0, 2))
        arr = np.asarray(arr, dtype=float)
        if arr.ndim == 1 and arr.shape[0] == 2:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError("places must be address ids (int array), venue ids (list of str) "
                             "or an (n, 2) array of EPSG:31370 x, y")
        return arr

    def travel_minutes(self, origins, destinations, mode: Mode | str) -> np.ndarray:
        """Door-to-door travel minutes, float32 array (n_origins, n_destinations); ``inf`` if unreachable.

        Args:
            origins, destinations: address ids (int array), venue ids (list of str) or an
                (n, 2) float array of EPSG:31370 x, y.
            mode: :class:`model.domain.Mode` or its value ("walk", "bike", "car").
        """
        return self.network.travel_minutes_xy(self.points_xy(origins), self.points_xy(destinations), Mode(mode))

    def bus_stop_walk_minutes(self, origins) -> np.ndarray:
        """Walking minutes from each origin to its nearest (by time) OSM 2015 bus stop."""
        stops = self.bus_stops[["x", "y"]].to_numpy(dtype=float)
        return self.network.nearest_of_minutes(self.points_xy(origins), stops, Mode.WALK)

    def __repr__(self) -> str:
        return (f"Genk({len(self.wijken)} wijken, {len(self.addresses)} addresses, {len(self.venues)} venues, "
                f"network {self.network_date}, data_dir={str(self.data_dir)!r})")


@functools.lru_cache(maxsize=4)
def _load(data_dir: str, network_dir: str | None) -> Genk:
    return Genk(data_dir, network_dir)


def load_genk(data_dir: Path | str | None = None, network_dir: Path | str | None = None) -> Genk:
    """Load Genk once per process (cached per ``data_dir``); see :class:`Genk`."""
    return _load(str(Path(data_dir) if data_dir is not None else DATA_DIR),
                 str(network_dir) if network_dir is not None else None)


load_genk.cache_clear = _load.cache_clear  # type: ignore[attr-defined]
