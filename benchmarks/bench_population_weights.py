"""Benchmark: where the model thinks Genk's 65,463 residents live, before and after the dasymetric weights.

    python benchmarks/bench_population_weights.py

"Before" is the former method, recomputed from ``footprint_m2`` (building footprint per address,
capped at 1,500 m²): weights proportional to it. "After" is ``Genk.addresses.weight``, built from
``home_weight`` (``model.data.home_weights``: no residents in industrial, commercial or public
buildings and land use; floor area = footprint x levels, capped per house and per block of flats).
The script also recomputes ``home_weight`` from the bundled buildings, land use and POIs and checks
that it matches the stored column (the bundle is reproducible), and times that computation.
Writes ``benchmarks/results/population_weights.json``.
"""
from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from results_file import write_results  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

INDUSTRIAL_ESTATES = ("Industrieterrein Genk-Noord", "Industrieterrein Genk-Zuid")
HOME_RULES_WITH_RESIDENTS = ("house", "flats", "no_building", "house_at_edge")


def main(argv: list[str] | None = None) -> dict:
    import geopandas as gpd
    import pandas as pd

    import model.data as md
    from model.geography import Genk
    from model.paths import DATA_DIR

    genk = Genk()
    total = int(genk.population["count"].sum())
    addr = pd.read_parquet(DATA_DIR / "addresses.parquet")
    before = addr["footprint_m2"].to_numpy(float)
    before = before / before.sum() * total
    after = genk.addresses["weight"].to_numpy(float)

    t = time.perf_counter()
    again = md.home_weights(addr[["x", "y"]].to_numpy(), gpd.read_parquet(DATA_DIR / "buildings.parquet"),
                            gpd.read_parquet(DATA_DIR / "landuse.parquet"),
                            pd.read_parquet(DATA_DIR / "pois2021.parquet"))
    compute_s = time.perf_counter() - t
    reproducible = bool(np.allclose(again["home_weight"].to_numpy(), addr["home_weight"].to_numpy())
                        and (again["home_rule"].to_numpy() == addr["home_rule"].to_numpy()).all())

    frame = pd.DataFrame({"wijk": addr["wijk"].to_numpy(), "before": before, "after": after,
                          "home": addr["home_rule"].isin(HOME_RULES_WITH_RESIDENTS).to_numpy()})
    per = frame.groupby("wijk").agg(addresses=("before", "size"), home_addresses=("home", "sum"),
                                    before=("before", "sum"), after=("after", "sum"))
    per = per.sort_values("after", ascending=False)
    per["rank_before"] = per["before"].rank(ascending=False).astype(int)
    per["rank_after"] = per["after"].rank(ascending=False).astype(int)
    est = per.loc[list(INDUSTRIAL_ESTATES)]
    share_homes = float(est["home_addresses"].sum() / per["home_addresses"].sum())
    rules = addr.groupby("home_rule").agg(addresses=("home_weight", "size"))
    rules["residents_after"] = pd.Series(after).groupby(addr["home_rule"].to_numpy()).sum().round(0)

    result = {
        "what": "residents per wijk: footprint weights (before) against dasymetric home weights (after)",
        "population_total": total,
        "sum_before": round(float(before.sum()), 3), "sum_after": round(float(after.sum()), 3),
        "industrial_estates": {
            "residents_before": {w: round(float(per.loc[w, "before"])) for w in INDUSTRIAL_ESTATES},
            "residents_after": {w: round(float(per.loc[w, "after"])) for w in INDUSTRIAL_ESTATES},
            "share_before_pct": round(100 * float(est["before"].sum()) / total, 2),
            "share_after_pct": round(100 * float(est["after"].sum()) / total, 2),
            "home_addresses": int(est["home_addresses"].sum()),
            "share_of_home_addresses_pct": round(100 * share_homes, 2),
        },
        "per_wijk": [{"wijk": w, "addresses": int(r.addresses), "home_addresses": int(r.home_addresses),
                      "before": round(float(r.before)), "after": round(float(r.after)),
                      "rank_before": int(r.rank_before), "rank_after": int(r.rank_after)}
                     for w, r in per.iterrows()],
        "home_rules": {k: {"addresses": int(r.addresses), "residents_after": int(r.residents_after)}
                       for k, r in rules.iterrows()},
        "assumptions": {
            "level_height_m": md.LEVEL_HEIGHT_M, "max_levels": md.MAX_LEVELS,
            "house_footprint_below_m2": md.HOUSE_FOOTPRINT_M2, "house_max_levels": md.HOUSE_MAX_LEVELS,
            "house_cap_m2_floor": md.HOUSE_CAP_M2, "flats_cap_m2_floor": md.FLATS_CAP_M2,
            "min_floor_m2": md.MIN_FLOOR_M2, "no_building_floor_m2": md.NO_BUILDING_FLOOR_M2,
            "house_at_edge_within_m": md.EDGE_M, "non_residential_landuse": list(md.NON_RESIDENTIAL_LANDUSE),
            "public_poi_subclasses": list(md.PUBLIC_POI_SUBCLASSES),
            "business_poi_classes": list(md.BUSINESS_POI_CLASSES),
            "method": "data/README.md, 'Homes and weights'",
        },
        "recomputed_matches_bundle": reproducible, "home_weights_compute_s": round(compute_s, 3),
        "python": platform.python_version(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    ie = result["industrial_estates"]
    print(f"industrial estates: {sum(ie['residents_before'].values()):,} residents before "
          f"({ie['share_before_pct']} %), {sum(ie['residents_after'].values()):,} after ({ie['share_after_pct']} %); "
          f"they hold {ie['share_of_home_addresses_pct']} % of the addresses with a home")
    print(f"{'wijk':<30}{'addresses':>10}{'homes':>7}{'before':>8}{'after':>8}{'rank':>9}")
    for r in result["per_wijk"]:
        print(f"{r['wijk']:<30}{r['addresses']:>10,}{r['home_addresses']:>7,}{r['before']:>8,}{r['after']:>8,}"
              f"{r['rank_before']:>4} → {r['rank_after']:<3}")
    print("home rules: " + ", ".join(f"{k} {v['addresses']:,} ({v['residents_after']:,} residents)"
                                     for k, v in result["home_rules"].items()))
    print(f"home_weights recomputed in {compute_s:.2f} s; matches the bundle: {reproducible}")
    if not reproducible:
        raise SystemExit("home_weight in data/addresses.parquet differs from model.data.home_weights: "
                         "rebuild with `python data/build_bundle.py`")
    write_results("population_weights", result)
    return result


if __name__ == "__main__":
    main()
