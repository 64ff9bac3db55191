"""Catchments and capacity-aware accessibility of candidate sites, without simulation.

The site planner (issue 12) asks, for a layout of one or more sites, two questions that
need no model run:

1. **Catchment**: how many residents live within 5/10/15/20/30 minutes of each site, on
   foot, by bike, by car and by public transport ("pt"), by age group and by means group;
   which share of each wijk's children and youth (0-17) is within reach of any site; and
   which wijken are outside every site's reach.
2. **Places per resident**: the two-step floating catchment (2SFCA, Luo and Wang 2003)
   and its enhanced distance-decay form (E2SFCA, Luo and Qi 2009), which divide a site's
   places over the residents who can reach it and sum, for each home, the shares of every
   site it can reach.

Residents are the CRAB address points weighted by ``geo.addresses.weight`` (expected
residents per address; read at every engine build, never copied). Groups are
assumptions, stated in :data:`GROUP_ASSUMPTION_NL` / :data:`GROUP_ASSUMPTION_EN`:

- age groups (:data:`model.domain.AGE_GROUPS`) come from Statbel's municipal age table
  (``geo.population``) applied uniformly to every address, since no age structure per
  wijk or address is bundled;
- the means group is the scenario's ``uncertainties.low_means_share`` applied uniformly
  (the bundled income table is municipal only).

So a group's catchment is the total catchment times the group's share, and a wijk's
share of children within reach equals its share of residents within reach. The engine
keeps per-address group weights as an ``(addresses, groups)`` matrix, so better data
(an age structure per wijk) changes one function, :func:`resident_groups`.

:class:`CatchmentEngine` holds the minutes from every address to every candidate site
per mode; moving a site recomputes only that site's column (one Dijkstra per street
mode, cached by :mod:`model.geography.network`, plus numpy).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from model.domain import AGE_GROUPS, MeansGroup, Mode

if TYPE_CHECKING:  # pragma: no cover
    from model.transit import TransitAccess

BANDS_MINUTES: tuple[int, ...] = (5, 10, 15, 20, 30)
"""Travel-time bands of the catchment (minutes, inclusive upper bounds)."""

YOUTH_AGE_GROUPS: tuple[str, ...] = ("0-5", "6-11", "12-17")
"""The age groups that make up "children and youth (0-17)"."""

E2SFCA_STEPS: tuple[tuple[float, float], ...] = ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))
"""Stepwise Gaussian weights of the E2SFCA: (upper bound in minutes, weight).

Luo and Qi (2009, Health & Place 15:1100-1107) weight three travel-time zones 0-10,
10-20 and 20-30 minutes by 1.00, 0.68 and 0.22 (a Gaussian decay evaluated per zone);
beyond 30 minutes the weight is 0. Bounds are inclusive, as in PySAL ``access.weights.step_fn``.
"""

GROUP_ASSUMPTION_NL = (
    "Inwoners: CRAB-adrespunten gewogen met het verwachte aantal inwoners per adres. "
    "Leeftijdsgroepen: de leeftijdsverdeling van heel Genk (Statbel 2015), voor elk adres gelijk "
    "toegepast (er is geen leeftijdsverdeling per wijk). Middelengroep: het aandeel lage middelen "
    "van het scenario ({share:.0%}), voor elk adres gelijk toegepast."
)
GROUP_ASSUMPTION_EN = (
    "Residents: CRAB address points weighted by the expected residents per address. Age groups: "
    "the age structure of all of Genk (Statbel 2015) applied uniformly to every address (no age "
    "structure per wijk is available). Means group: the scenario's low-means share ({share:.0%}), "
    "applied uniformly to every address."
)


class AccessMode(StrEnum):
    """How a resident reaches a site: the three street modes and public transport."""

    WALK = "walk"
    BIKE = "bike"
    CAR = "car"
    PT = "pt"

    @property
    def label_nl(self) -> str:
        return {"walk": "te voet", "bike": "fiets", "car": "auto", "pt": "openbaar vervoer"}[self.value]

    @property
    def label_en(self) -> str:
        return {"walk": "on foot", "bike": "by bike", "car": "by car", "pt": "public transport"}[self.value]


ACCESS_MODES: tuple[AccessMode, ...] = tuple(AccessMode)
STREET_MODES: tuple[AccessMode, ...] = (AccessMode.WALK, AccessMode.BIKE, AccessMode.CAR)


@dataclass(frozen=True)
class Site:
    """A candidate learning site: a point in EPSG:31370 (metres) with a number of places."""

    site_id: str
    x: float
    y: float
    places: float = 0.0
    name: str = ""


class SiteError(ValueError):
    """A site a planner entered cannot be used; the message is in Dutch (``nl``) and English (``en``)."""

    def __init__(self, nl: str, en: str) -> None:
        super().__init__(f"{nl} / {en}")
        self.nl, self.en = nl, en


SAME_SPOT_M = 1.0
"""Two sites of one layout closer than this (metres) are "on one spot"."""


def check_site(geo: Any, site: Site) -> None:
    """Refuse a site outside the municipality or with negative places (Dutch and English message)."""
    if not (np.isfinite(site.x) and np.isfinite(site.y)) or not geo.contains(site.x, site.y):
        raise SiteError(f"Site {site.site_id!r} ligt buiten Genk ({site.x:.0f}, {site.y:.0f} in Lambert 72); "
                        "kies een punt binnen de gemeente.",
                        f"Site {site.site_id!r} lies outside Genk ({site.x:.0f}, {site.y:.0f} in Lambert 72); "
                        "pick a point inside the municipality.")
    if not np.isfinite(site.places) or site.places < 0:
        raise SiteError(f"Site {site.site_id!r}: het aantal plaatsen ({site.places!r}) moet 0 of meer zijn.",
                        f"Site {site.site_id!r}: places ({site.places!r}) must be 0 or more.")


def check_layout(sites: Sequence[Site]) -> None:
    """Refuse a layout with two sites on one spot, or a layout whose sites have no places at all."""
    for i, a in enumerate(sites):
        for b in sites[i + 1:]:
            if np.hypot(a.x - b.x, a.y - b.y) < SAME_SPOT_M:
                raise SiteError(f"Sites {a.site_id!r} en {b.site_id!r} liggen op dezelfde plek; voeg ze samen of "
                                "verplaats er één.",
                                f"Sites {a.site_id!r} and {b.site_id!r} are on one spot; merge them or move one.")
    if sites and not any(s.places > 0 for s in sites):
        raise SiteError("Geen enkele site van deze opstelling heeft plaatsen; geef minstens één ruimte plaatsen.",
                        "No site of this layout has places; give at least one room some places.")


def sites_from_venues(geo: Any, venue_ids: Sequence[str], places: Mapping[str, float] | float = 0.0) -> list[Site]:
    """Sites at venues of ``geo.venues`` (ids in order), with places per venue or one number for all."""
    unknown = [v for v in venue_ids if v not in geo.venues.index]
    if unknown:
        raise KeyError(f"unknown venue_id(s) {unknown[:5]}: candidate sites must be venues with a known "
                       "location (genk.venues, data/providers.csv) or be given as Site(x, y)")
    rows = geo.venues.loc[list(venue_ids)]
    get = (lambda v: float(places.get(v, 0.0))) if isinstance(places, Mapping) else (lambda v: float(places))
    return [Site(str(v), float(r["x"]), float(r["y"]), get(v), str(r.get("name", v))) for v, r in rows.iterrows()]


# =========================================================================== resident groups
@dataclass(frozen=True)
class ResidentGroups:
    """Residents per address and group: ``weights[:, g]`` = residents of group ``names[g]``.

    Age groups sum to the address weight, and so do the two means groups.
    """

    names: tuple[str, ...]
    kinds: tuple[str, ...]  # "age" or "means", one per name
    weights: np.ndarray  # (n_addresses, n_groups) float64
    low_means_share: float
    uniform_shares: np.ndarray | None = None  # (n_groups,) when every address has the same shares

    def column(self, name: str) -> np.ndarray:
        return self.weights[:, self.names.index(name)]

    def youth(self) -> np.ndarray:
        """Residents aged 0-17 per address."""
        return sum(self.column(g) for g in YOUTH_AGE_GROUPS)

    def assumption(self, lang: str = "nl") -> str:
        """The population-weight assumptions in Dutch ("nl") or English ("en"), for screens and reports."""
        text = GROUP_ASSUMPTION_NL if lang == "nl" else GROUP_ASSUMPTION_EN
        return text.format(share=self.low_means_share)


def age_shares(population: pd.DataFrame) -> pd.Series:
    """Share of residents per age group (:data:`AGE_GROUPS`) in a Statbel age table (``age``, ``count``)."""
    ages = population["age"].to_numpy()
    counts = population["count"].to_numpy(dtype=float)
    total = counts.sum()
    if total <= 0:
        raise ValueError("population table has no residents (column count sums to 0)")
    return pd.Series({name: counts[(ages >= lo) & (ages <= hi)].sum() / total for name, lo, hi in AGE_GROUPS})


def resident_groups(geo: Any, low_means_share: float = 0.3) -> ResidentGroups:
    """Per-address residents by age group and means group (uniform shares; see module docstring)."""
    if not 0.0 <= low_means_share <= 1.0:
        raise ValueError(f"low_means_share must be a share between 0 and 1, got {low_means_share!r}")
    w = geo.addresses["weight"].to_numpy(dtype=float)
    ages = age_shares(geo.population)
    shares = np.concatenate([ages.to_numpy(), [low_means_share, 1.0 - low_means_share]])
    names = (*ages.index, MeansGroup.LOW.value, MeansGroup.OTHER.value)
    kinds = ("age",) * len(ages) + ("means",) * 2
    return ResidentGroups(tuple(names), kinds, w[:, None] * shares[None, :], float(low_means_share), shares)


# =========================================================================== routing
class _Router:
    """Minutes from every address to points, per street mode.

    On the real Genk (a :class:`model.geography.RoadNetwork` behind ``geo.network``) the
    addresses are snapped once per mode and a new site costs one cached Dijkstra column
    (``RoadNetwork.columns_to``) plus indexing; the result equals ``geo.travel_minutes``.
    Any other geography (the tiny test one) is asked through ``geo.travel_minutes``.
    """

    def __init__(self, geo: Any) -> None:
        self.geo = geo
        self.n = len(geo.addresses)
        self._ids = np.arange(self.n, dtype=np.int64)
        self._snap: dict[Mode, tuple[np.ndarray, np.ndarray]] = {}
        net = getattr(type(geo), "network", None)
        self.network = geo.network if net is not None else None

    def _origin_snap(self, mode: Mode) -> tuple[np.ndarray, np.ndarray]:
        if mode not in self._snap:
            net = self.network
            xy = self.geo.addresses[["x", "y"]].to_numpy(dtype=float)
            node, dist = net.snap(xy, mode)
            access = net.access_kmh[mode] / 3.6
            self._snap[mode] = (node, (dist / access).astype(np.float32))
        return self._snap[mode]

    def minutes(self, xy: np.ndarray, mode: Mode) -> np.ndarray:
        """(n_addresses, len(xy)) float32 minutes; ``inf`` where unreachable."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if self.network is None:
            return np.asarray(self.geo.travel_minutes(self._ids, xy, mode), dtype=np.float32)
        net = self.network
        o_node, o_secs = self._origin_snap(mode)
        d_node, d_dist = net.snap(xy, mode)
        cols = net.columns_to(d_node, mode)  # (k, n_nodes) seconds, cached per destination node
        secs = cols[:, o_node].T + o_secs[:, None]
        secs = secs + (d_dist / (net.access_kmh[mode] / 3.6)).astype(np.float32)[None, :]
        return (secs / np.float32(60.0)).astype(np.float32)


# =========================================================================== the engine
class CatchmentEngine:
    """Cached minutes from every address to every candidate site, per mode, and the catchments read off them.

    Args:
        geo: :class:`model.geography.Genk` (or a duck-typed geography such as ``tests/tiny_geography``).
        sites: the candidate sites (unique ``site_id``).
        modes: the access modes to hold (walk, bike, car, pt).
        bands_minutes: catchment bands (inclusive upper bounds, minutes).
        low_means_share: the scenario's ``uncertainties.low_means_share`` (applied uniformly).
        transit: how public-transport minutes are made (:mod:`model.transit`); by default the
            flat assumption of :class:`model.transit.FlatTransit` on the geography's bus stops.
    """

    def __init__(self, geo: Any, sites: Sequence[Site], *, modes: Sequence[AccessMode | str] = ACCESS_MODES,
                 bands_minutes: Sequence[float] = BANDS_MINUTES, low_means_share: float = 0.3,
                 transit: TransitAccess | None = None) -> None:
        self.geo = geo
        self.modes = tuple(AccessMode(m) for m in modes)
        self.bands_minutes = tuple(float(b) for b in bands_minutes)
        if list(self.bands_minutes) != sorted(set(self.bands_minutes)) or not self.bands_minutes:
            raise ValueError(f"bands_minutes must be increasing and distinct, got {tuple(bands_minutes)}")
        self.reload_residents(low_means_share)
        self._router = _Router(geo)
        # street modes needed: the ones asked for, plus walk and car when pt is built from them
        needed = {m for m in self.modes if m in STREET_MODES}
        if AccessMode.PT in self.modes:
            needed |= {AccessMode.WALK, AccessMode.CAR}
        self._street_modes = tuple(m for m in STREET_MODES if m in needed)
        if AccessMode.PT in self.modes and transit is None:
            from model.transit import FlatTransit

            transit = FlatTransit.for_geography(geo)
        self.transit = transit
        self._sites: list[Site] = []
        self._minutes: dict[AccessMode, np.ndarray] = {
            m: np.zeros((self._router.n, 0), np.float32) for m in (*self._street_modes, *self._pt_modes)}
        self._counts: dict[AccessMode, np.ndarray] = {m: self._count(col) for m, col in self._minutes.items()}
        self.add_sites(sites)

    def reload_residents(self, low_means_share: float | None = None) -> None:
        """Read the residents per address (``geo.addresses.weight``) and the group shares again.

        Call it when the population weights were revised or the scenario's low-means share
        changed; the travel-time matrices do not depend on them and are kept.
        """
        share = self.groups.low_means_share if low_means_share is None else low_means_share
        self.groups = resident_groups(self.geo, share)
        self.weights = self.geo.addresses["weight"].to_numpy(dtype=float)
        self._group_weights = np.concatenate([self.weights[:, None], self.groups.weights], axis=1)  # (n, 1 + groups)
        wijk = self.geo.addresses["wijk"].astype(str).to_numpy()
        self.wijk_names, self.wijk_codes = np.unique(wijk, return_inverse=True)
        n = len(wijk)
        self._wijk_sum = sparse.csr_matrix((np.ones(n), (self.wijk_codes, np.arange(n))),
                                           shape=(len(self.wijk_names), n))  # sums addresses per wijk
        if hasattr(self, "_minutes"):
            self.recount()

    @property
    def _pt_modes(self) -> tuple[AccessMode, ...]:
        return (AccessMode.PT,) if AccessMode.PT in self.modes else ()

    # ------------------------------------------------------------------ sites
    @property
    def sites(self) -> tuple[Site, ...]:
        return tuple(self._sites)

    @property
    def site_ids(self) -> tuple[str, ...]:
        return tuple(s.site_id for s in self._sites)

    def site(self, site_id: str) -> Site:
        return self._sites[self._index(site_id)]

    def _index(self, site_id: str) -> int:
        for i, s in enumerate(self._sites):
            if s.site_id == site_id:
                return i
        raise KeyError(f"no candidate site {site_id!r}; known: {list(self.site_ids)[:10]}")

    def _columns(self, xy: np.ndarray) -> dict[AccessMode, np.ndarray]:
        cols = {m: self._router.minutes(xy, Mode(m.value)) for m in self._street_modes}
        if AccessMode.PT in self.modes:
            cols[AccessMode.PT] = self.transit.minutes_to(xy, walk=cols[AccessMode.WALK], car=cols[AccessMode.CAR])
        return cols

    def add_sites(self, sites: Sequence[Site]) -> None:
        """Add candidate sites (one Dijkstra column per new site and street mode, unless cached)."""
        sites = list(sites)
        ids = [s.site_id for s in sites]
        clash = sorted(set(ids) & set(self.site_ids) | {i for i in ids if ids.count(i) > 1})
        if clash:
            raise ValueError(f"site_id(s) {clash} used twice; every candidate site needs its own id")
        if not sites:
            return
        for site in sites:
            check_site(self.geo, site)
        cols = self._columns(np.array([[s.x, s.y] for s in sites], dtype=float))
        for m, col in cols.items():
            self._minutes[m] = np.concatenate([self._minutes[m], col], axis=1)
            self._counts[m] = np.concatenate([self._counts[m], self._count(col)], axis=2)
        self._sites.extend(sites)

    def move_site(self, site_id: str, x: float, y: float) -> None:
        """Put a site elsewhere: recompute only its column, per mode."""
        i = self._index(site_id)
        check_site(self.geo, replace(self._sites[i], x=float(x), y=float(y)))
        cols = self._columns(np.array([[x, y]], dtype=float))
        for m, col in cols.items():
            self._minutes[m][:, i] = col[:, 0]
            self._counts[m][:, :, i] = self._count(col)[:, :, 0]
        self._sites[i] = replace(self._sites[i], x=float(x), y=float(y))

    def set_places(self, site_id: str, places: float) -> None:
        """Change a site's number of places (no routing)."""
        i = self._index(site_id)
        check_site(self.geo, replace(self._sites[i], places=float(places)))
        self._sites[i] = replace(self._sites[i], places=float(places))

    def remove_site(self, site_id: str) -> None:
        i = self._index(site_id)
        for m in self._minutes:
            self._minutes[m] = np.delete(self._minutes[m], i, axis=1)
            self._counts[m] = np.delete(self._counts[m], i, axis=2)
        del self._sites[i]

    # ------------------------------------------------------------------ counting
    def _count(self, minutes: np.ndarray) -> np.ndarray:
        """Residents within each band of each column, per group: shape (1 + groups, bands, columns).

        Each (address, site) pair gets the index of the first band that holds it; one weighted
        ``bincount`` over (band, site) then gives residents per band, and a cumulative sum the
        residents within each band (float64, exact to rounding). With uniform group shares only
        the residents are counted, times the shares.
        """
        uniform = self.groups.uniform_shares
        gw = self._group_weights[:, :1] if uniform is not None else self._group_weights
        n, k = minutes.shape
        nb = len(self.bands_minutes)
        band_of = np.zeros((n, k), dtype=np.int32)  # 0: within the first band; nb: beyond the last
        for band in self.bands_minutes:
            band_of += minutes > np.float32(band)
        cell = (band_of * k + np.arange(k, dtype=np.int32)[None, :]).ravel()
        out = np.empty((gw.shape[1], nb, k))
        for g in range(gw.shape[1]):
            per_band = np.bincount(cell, weights=np.repeat(gw[:, g], k), minlength=(nb + 1) * k).reshape(nb + 1, k)
            out[g] = np.cumsum(per_band, axis=0)[:nb]
        if uniform is not None:
            out = out * np.concatenate([[1.0], uniform])[:, None, None]
        return out

    def recount(self) -> None:
        """Count every site's catchment again from the cached matrices (after new weights or shares)."""
        self._counts = {m: self._count(col) for m, col in self._minutes.items()}

    def travel_time_method(self, mode: AccessMode | str, lang: str = "nl") -> str:
        """How this engine's minutes for ``mode`` were made, in Dutch or English (for every figure shown)."""
        mode = AccessMode(mode)
        if mode is AccessMode.PT:
            return self.transit.assumption(lang)
        date = getattr(self.geo, "network_date", None)
        if date is None:
            return ("rechte lijn / vaste snelheid (testgeografie)" if lang == "nl"
                    else "straight line at a fixed speed (test geography)")
        if lang == "nl":
            return (f"kortste route {mode.label_nl} over het OpenStreetMap-stratennet van {date} "
                    "(deur tot deur, Dijkstra)")
        return f"shortest route {mode.label_en} on the OpenStreetMap street network of {date} (door to door, Dijkstra)"

    # ------------------------------------------------------------------ matrices
    def minutes(self, mode: AccessMode | str, site_ids: Sequence[str] | None = None) -> np.ndarray:
        """(n_addresses, n_sites) float32 minutes from every address to the sites (all candidates by default)."""
        mode = AccessMode(mode)
        if mode not in self._minutes:
            raise KeyError(f"mode {mode.value!r} is not held by this engine (modes={[m.value for m in self.modes]})")
        m = self._minutes[mode]
        if site_ids is None:
            return m
        return m[:, [self._index(s) for s in site_ids]]

    def _modes(self, modes: Sequence[AccessMode | str] | None) -> tuple[AccessMode, ...]:
        return self.modes if modes is None else tuple(AccessMode(m) for m in modes)

    # ------------------------------------------------------------------ catchments
    def catchments(self, site_ids: Sequence[str] | None = None,
                   modes: Sequence[AccessMode | str] | None = None) -> pd.DataFrame:
        """Residents within each band of each site, per mode, in total and per group (tidy).

        Read from counts kept per site and updated with every added or moved site (see
        :meth:`recount` for the full counting pass over the cached matrices).

        Returns:
            Columns ``site_id, mode, band_minutes, group_kind ("all", "age", "means"), group, residents``.
        """
        ids = list(self.site_ids if site_ids is None else site_ids)
        cols = None if site_ids is None else [self._index(i) for i in ids]
        gnames = np.array(["all", *self.groups.names], dtype=object)
        gkinds = np.array(["all", *self.groups.kinds], dtype=object)
        n_g = len(gnames)
        blocks = []
        for mode in self._modes(modes):
            if mode not in self._counts:
                self.minutes(mode)  # raises the KeyError that names the modes held
            counts = self._counts[mode] if cols is None else self._counts[mode][:, :, cols]  # (groups, bands, sites)
            for k, band in enumerate(self.bands_minutes):
                blocks.append((mode.value, band, counts[:, k, :].T))  # (n_sites, n_groups)
        n_s = len(ids)
        values = np.stack([b[2] for b in blocks])  # (n_blocks, n_sites, n_groups)
        nb = len(blocks)
        return pd.DataFrame({
            "site_id": np.tile(np.repeat(np.array(ids, dtype=object), n_g), nb),
            "mode": np.repeat([b[0] for b in blocks], n_s * n_g),
            "band_minutes": np.repeat([b[1] for b in blocks], n_s * n_g),
            "group_kind": np.tile(gkinds, nb * n_s),
            "group": np.tile(gnames, nb * n_s),
            "residents": values.reshape(-1).astype(float),
        })

    def totals(self, site_ids: Sequence[str] | None = None,
               modes: Sequence[AccessMode | str] | None = None) -> pd.DataFrame:
        """Residents within each band of each site, per mode (``site_id, mode, band_minutes, residents``)."""
        df = self.catchments(site_ids, modes)
        return df[df["group_kind"] == "all"].drop(columns=["group_kind", "group"]).reset_index(drop=True)

    def nearest_minutes(self, mode: AccessMode | str, site_ids: Sequence[str] | None = None) -> np.ndarray:
        """Minutes from every address to the quickest of the sites."""
        m = self.minutes(mode, site_ids)
        return m.min(axis=1) if m.shape[1] else np.full(m.shape[0], np.inf, np.float32)

    def reach_by_wijk(self, site_ids: Sequence[str] | None = None,
                      modes: Sequence[AccessMode | str] | None = None) -> pd.DataFrame:
        """Per wijk, mode and band: residents and children and youth (0-17) within reach of any site.

        Returns:
            Columns ``wijk, mode, band_minutes, residents, residents_within, share_within,
            youth, youth_within, youth_share_within`` (shares 0-1; the youth share equals the
            resident share while age shares are uniform, see module docstring).
        """
        youth = self.groups.youth()
        modes = self._modes(modes)
        bands = np.array(self.bands_minutes)
        # (addresses, modes x bands): is the quickest site within the band?
        inside = np.concatenate([self.nearest_minutes(m, site_ids)[:, None] <= bands[None, :] for m in modes], axis=1)
        r_in = self._wijk_sum @ (self.weights[:, None] * inside)  # (wijken, modes x bands)
        y_in = self._wijk_sum @ (youth[:, None] * inside)
        res_total = self._wijk_sum @ self.weights
        youth_total = self._wijk_sum @ youth
        nw, nc = r_in.shape
        res_rep, youth_rep = np.repeat(res_total, nc), np.repeat(youth_total, nc)
        r_in, y_in = r_in.reshape(-1), y_in.reshape(-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return pd.DataFrame({
                "wijk": np.repeat(self.wijk_names, nc),
                "mode": np.tile(np.repeat([m.value for m in modes], len(bands)), nw),
                "band_minutes": np.tile(bands, nw * len(modes)),
                "residents": res_rep, "residents_within": r_in,
                "share_within": np.where(res_rep > 0, r_in / res_rep, 0.0),
                "youth": youth_rep, "youth_within": y_in,
                "youth_share_within": np.where(youth_rep > 0, y_in / youth_rep, 0.0),
            })

    def wijken_out_of_reach(self, site_ids: Sequence[str] | None = None,
                            modes: Sequence[AccessMode | str] | None = None,
                            max_share: float = 0.0) -> pd.DataFrame:
        """The wijken outside every site's reach, per mode and band.

        A wijk is out of reach when the share of its residents within the band of any site is
        at most ``max_share`` (0: nobody of the wijk is within reach).

        Returns:
            Columns ``mode, band_minutes, wijk, share_within``.
        """
        df = self.reach_by_wijk(site_ids, modes)
        out = df[(df["residents"] > 0) & (df["share_within"] <= max_share)]
        return out[["mode", "band_minutes", "wijk", "share_within"]].reset_index(drop=True)

    # ------------------------------------------------------------------ capacity-aware accessibility
    def places_per_resident(self, places: Mapping[str, float] | None = None, *, mode: AccessMode | str = AccessMode.WALK,
                            method: str = "2sfca", max_minutes: float = 30.0,
                            steps: Sequence[tuple[float, float]] = E2SFCA_STEPS,
                            demand_group: str | None = None) -> np.ndarray:
        """2SFCA or E2SFCA places per resident at every address for a layout.

        Args:
            places: places per site of the layout (``site_id -> places``); default: every
                candidate with its own ``places``.
            mode: travel mode of the cost matrix.
            method: ``"2sfca"`` (every site within ``max_minutes`` counts fully) or ``"e2sfca"``
                (stepwise weights ``steps``).
            demand_group: count only this group's residents as demand (e.g. ``"6-11"``), so
                the result is places per resident of that group; default all residents.
        """
        places = {s.site_id: s.places for s in self._sites} if places is None else dict(places)
        ids = list(places)
        check_layout([replace(self.site(i), places=float(places[i])) for i in ids])
        cost = self.minutes(mode, ids)
        demand = self.weights if demand_group is None else self.groups.column(demand_group)
        weight = catchment_weights(cost, method=method, max_minutes=max_minutes, steps=steps)
        return two_step_fca(demand, np.array([places[i] for i in ids], dtype=float), weight)

    def places_by_wijk(self, places: Mapping[str, float] | None = None, **kwargs: Any) -> pd.DataFrame:
        """Places per resident averaged over each wijk's residents (weighted by residents), per group.

        Keyword arguments go to :meth:`places_per_resident` (mode, method, max_minutes, steps).

        Returns:
            Columns ``wijk, group_kind, group, residents, places_per_resident``; group "all" is
            every resident, the other groups weight the same per-address figure by the group's
            residents (identical while shares are uniform).
        """
        kwargs.pop("demand_group", None)
        a = self.places_per_resident(places, **kwargs)
        gw = np.concatenate([self.weights[:, None], self.groups.weights], axis=1)  # (n, groups)
        res = self._wijk_sum @ gw  # (wijken, groups): one sparse product instead of a loop per group
        acc = self._wijk_sum @ (gw * a[:, None])
        with np.errstate(invalid="ignore", divide="ignore"):
            ppr = np.where(res > 0, acc / res, 0.0)
        nw, ng = res.shape
        return pd.DataFrame({
            "wijk": np.repeat(self.wijk_names, ng), "group_kind": np.tile(["all", *self.groups.kinds], nw),
            "group": np.tile(["all", *self.groups.names], nw), "residents": res.reshape(-1),
            "places_per_resident": ppr.reshape(-1)})


# =========================================================================== 2SFCA on a cost matrix
def step_weights(cost: np.ndarray, steps: Sequence[tuple[float, float]] = E2SFCA_STEPS) -> np.ndarray:
    """Stepwise weights of a cost matrix: the weight of the first step whose bound is ≥ the cost, else 0."""
    cost = np.asarray(cost, dtype=float)
    bounds = np.array([b for b, _ in steps], dtype=float)
    values = np.array([*(w for _, w in steps), 0.0], dtype=float)
    return values[np.searchsorted(bounds, cost, side="left")]


def catchment_weights(cost: np.ndarray, *, method: str = "2sfca", max_minutes: float = 30.0,
                      steps: Sequence[tuple[float, float]] = E2SFCA_STEPS) -> np.ndarray:
    """Weight of each (home, site) pair: 1 within ``max_minutes`` (2SFCA) or the stepwise decay (E2SFCA)."""
    cost = np.asarray(cost, dtype=float)
    if method == "2sfca":
        return (cost <= max_minutes).astype(float)
    if method == "e2sfca":
        return step_weights(cost, steps) * (cost <= max_minutes)
    raise ValueError(f"method must be '2sfca' or 'e2sfca', got {method!r}")


def two_step_fca(demand: np.ndarray, supply: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The two-step floating catchment on a weight matrix, vectorised.

    Step 1, per site j: ``R_j = S_j / Σ_k W_kj · P_k`` (places per resident who can reach it;
    a site nobody can reach serves nobody, ``R_j = 0``). Step 2, per home i:
    ``A_i = Σ_j W_ij · R_j``.

    Args:
        demand: residents per home, shape (n,).
        supply: places per site, shape (m,).
        weight: (n, m) catchment weights (:func:`catchment_weights`).

    Returns:
        Places per resident at every home, shape (n,).
    """
    demand = np.asarray(demand, dtype=float)
    supply = np.asarray(supply, dtype=float)
    weight = np.asarray(weight, dtype=float)
    reached = demand @ weight  # (m,)
    ratio = np.divide(supply, reached, out=np.zeros_like(supply), where=reached > 0)
    return weight @ ratio


def two_step_fca_loop(demand: Sequence[float], supply: Sequence[float], cost: Sequence[Sequence[float]],
                      weight_of: Callable[[float], float]) -> list[float]:
    """The same 2SFCA as an obviously-correct double loop (the oracle of the tests)."""
    n, m = len(demand), len(supply)
    ratio = []
    for j in range(m):
        reached = sum(weight_of(cost[k][j]) * demand[k] for k in range(n))
        ratio.append(supply[j] / reached if reached > 0 else 0.0)
    return [sum(weight_of(cost[i][j]) * ratio[j] for j in range(m)) for i in range(n)]
