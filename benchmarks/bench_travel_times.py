"""Benchmark: travel-time matrix for all CRAB addresses × all venues, per mode.

    python benchmarks/bench_travel_times.py [--pairs 200]

Compares ``Genk.travel_minutes`` (scipy.sparse Dijkstra from each destination on the
reversed graph) cold (empty cache in a temporary LEERECO_VAR_DIR, fresh process state)
and cached (a new Genk reading the columns from disk), with the naive per-pair loop
``nx.shortest_path_length(G, u, v, weight='travel_time')`` on the same network, timed on
a random sample of pairs and scaled to the full matrix. Writes
``benchmarks/results/travel_times.json``.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from results_file import write_results  # noqa: E402  (benchmarks/ is on sys.path when run as a script)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=200, help="sampled pairs for the naive loop per mode")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="leereco-bench-") as var:
        os.environ["LEERECO_VAR_DIR"] = var
        import networkx as nx

        from model.domain import Mode
        from model.geography import Genk

        t0 = time.perf_counter()
        genk = Genk()
        load_s = time.perf_counter() - t0
        origins = np.arange(len(genk.addresses))
        venues = list(genk.venues.index)
        n_pairs_full = len(origins) * len(venues)
        rng = np.random.default_rng(args.seed)
        rows = []
        for mode in Mode:
            cold_genk = Genk()
            t = time.perf_counter()
            cold = cold_genk.travel_minutes(origins, venues, mode)
            cold_s = time.perf_counter() - t  # includes loading the network and building the CSR
            warm_genk = Genk()
            t = time.perf_counter()
            warm = warm_genk.travel_minutes(origins, venues, mode)
            cached_s = time.perf_counter() - t
            assert warm_genk.network.dijkstra_runs == 0
            assert np.array_equal(cold, warm)
            t = time.perf_counter()
            again = cold_genk.travel_minutes(origins, venues, mode)
            memory_s = time.perf_counter() - t
            assert np.array_equal(cold, again)

            # naive: per-pair networkx shortest paths on the same graph and snapping
            G = genk.graph(mode)
            net = genk.network
            oi = rng.choice(len(origins), size=args.pairs)
            vi = rng.choice(len(venues), size=args.pairs)
            o_node, _ = net.snap(genk.points_xy(origins[oi]), mode)
            d_node, _ = net.snap(genk.points_xy([venues[i] for i in vi]), mode)
            t = time.perf_counter()
            naive = [nx.shortest_path_length(G, int(net.node_ids[a]), int(net.node_ids[b]), weight="travel_time")
                     for a, b in zip(o_node, d_node)]
            naive_s = time.perf_counter() - t
            naive_full_s = naive_s / args.pairs * n_pairs_full
            # sanity: the same network times (without access legs) as the fast columns
            cols = net.columns_to(d_node, mode)
            fast_net = cols[np.arange(args.pairs), o_node]
            max_diff_s = float(np.max(np.abs(fast_net - np.asarray(naive))))
            rows.append({
                "mode": mode.value, "matrix_shape": list(cold.shape),
                "cold_s": round(cold_s, 3), "cached_disk_s": round(cached_s, 3), "cached_memory_s": round(memory_s, 4),
                "naive_per_pair_ms": round(naive_s / args.pairs * 1e3, 3),
                "naive_full_matrix_s_estimated": round(naive_full_s, 1),
                "speedup_cold": round(naive_full_s / cold_s, 1), "speedup_cached": round(naive_full_s / cached_s, 1),
                "max_abs_diff_vs_networkx_s": round(max_diff_s, 4),
                "unreachable_pairs": int(np.isinf(cold).sum()),
            })
    result = {
        "what": "travel_minutes for all addresses x all venues",
        "n_addresses": len(origins), "n_venues": len(venues), "pairs_sampled_for_naive": args.pairs,
        "genk_load_s": round(load_s, 3), "python": platform.python_version(), "machine": platform.machine(),
        "cpu_count": os.cpu_count(), "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"), "modes": rows,
    }
    print(f"{len(origins):,} addresses x {len(venues)} venues = {n_pairs_full:,} pairs; Genk() load {load_s:.2f} s")
    head = f"{'mode':<6}{'cold s':>9}{'disk s':>9}{'mem s':>9}{'naive ms/pair':>15}{'naive full s':>14}" \
           f"{'x cold':>9}{'x cached':>10}{'max diff s':>12}"
    print(head)
    for r in rows:
        print(f"{r['mode']:<6}{r['cold_s']:>9.2f}{r['cached_disk_s']:>9.2f}{r['cached_memory_s']:>9.3f}"
              f"{r['naive_per_pair_ms']:>15.2f}{r['naive_full_matrix_s_estimated']:>14,.0f}"
              f"{r['speedup_cold']:>9,.0f}{r['speedup_cached']:>10,.0f}{r['max_abs_diff_vs_networkx_s']:>12.4f}")
    write_results("travel_times", result)
    return result


if __name__ == "__main__":
    main()
