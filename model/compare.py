"""Paired comparison: a design against its baseline on the same seeds (common random numbers).

A difference between two designs is only worth showing when it is the design's and not
the draw's. Both designs are therefore run on the *same* replication seeds: the same
seed gives the same synthetic residents (homes, ages, interests, friends) and, because
every mechanism draws from its own random stream of that seed (``LearningEcosystem``),
largely the same chance events, so the per-seed difference ``design - baseline`` has
far less noise than the difference of two independent sets of runs. The difference's
interval is a Student-t interval over those paired differences.

A difference is *clear* when its interval excludes zero; otherwise it is "geen duidelijk
verschil / no clear difference", whatever its sign. Whether a clear difference is
better or worse follows the indicator's direction
(:attr:`model.indicators.Indicator.higher_is_better`); indicators without a direction
(budget spent, mentor utilisation) are only "higher" or "lower".

>>> from model.compare import paired_comparison
>>> cmp = paired_comparison("wegwijzer", "baseline", n_seeds=4, population_scale=0.02)  # doctest: +SKIP
>>> cmp.summary.loc["reach", ["diff", "lo", "hi", "verdict"]]                       # doctest: +SKIP
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from model.indicators import INDICATORS
from model.scenario import Scenario, load_scenario

#: Two-sided confidence of the difference intervals shown to users.
CONFIDENCE = 0.90
#: Seeds of the workshop and of comparisons unless a caller gives its own.
DEFAULT_ENTROPY = 20240601
#: Fewer simulated residents than this in a wijk and its per-wijk change is not shown as clear.
MIN_WIJK_RESIDENTS = 30

BETTER, WORSE, HIGHER, LOWER, UNCLEAR = "better", "worse", "higher", "lower", "no_clear_difference"
VERDICT_LABELS: dict[str, tuple[str, str]] = {
    BETTER: ("beter", "better"),
    WORSE: ("slechter", "worse"),
    HIGHER: ("hoger", "higher"),
    LOWER: ("lager", "lower"),
    UNCLEAR: ("geen duidelijk verschil", "no clear difference"),
}


def replication_seeds(n: int, entropy: int = DEFAULT_ENTROPY) -> list[int]:
    """``n`` run seeds from ``numpy.random.SeedSequence(entropy)``: the project's one seed recipe."""
    if n < 1:
        raise ValueError(f"need at least one replication seed, got n={n}")
    return [int(s) for s in np.random.SeedSequence(int(entropy)).generate_state(int(n), dtype=np.uint32)]


@functools.lru_cache(maxsize=64)
def _t_quantile(confidence: float, dof: int) -> float:
    """Student-t quantile of a two-sided interval (cached: a comparison asks it hundreds of times)."""
    return float(stats.t.ppf(0.5 + confidence / 2, dof))


def interval(diffs: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of paired differences.

    One difference (or identical ones) gives no information about noise: with a single
    value the interval is unbounded (never clear); with zero spread it is the point itself.
    """
    d = np.asarray(diffs, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(d.mean())
    if d.size == 1:
        return mean, -math.inf, math.inf
    sd = float(d.std(ddof=1))
    half = _t_quantile(confidence, d.size - 1) * sd / math.sqrt(d.size)
    return mean, mean - half, mean + half


def verdict(lo: float, hi: float, higher_is_better: bool | None) -> str:
    """``better``/``worse`` (or ``higher``/``lower`` without a direction) when the interval excludes 0."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo <= 0 <= hi:
        return UNCLEAR
    up = lo > 0
    if higher_is_better is None:
        return HIGHER if up else LOWER
    return BETTER if up == higher_is_better else WORSE


def verdict_label(code: str, lang: str = "nl") -> str:
    """Dutch or English words for a verdict code."""
    nl, en = VERDICT_LABELS[code]
    return nl if lang == "nl" else en


@dataclass
class PairedComparison:
    """Design minus baseline over paired seeds.

    Attributes:
        summary: index indicator; columns ``design``, ``baseline`` (means over seeds),
            ``diff``, ``lo``, ``hi`` (interval of the paired difference), ``n``, ``clear``,
            ``verdict`` (a code of :data:`VERDICT_LABELS`).
        by_wijk: columns ``wijk``, ``indicator``, ``design``, ``baseline``, ``diff``,
            ``lo``, ``hi``, ``simulated_residents`` (fewest over the seeds), ``clear``,
            ``verdict``; a wijk with fewer than :data:`MIN_WIJK_RESIDENTS` simulated
            residents is never clear.
    """

    design_name: str
    baseline_name: str
    seeds: list[int]
    confidence: float
    summary: pd.DataFrame
    by_wijk: pd.DataFrame
    design_runs: list = field(default_factory=list, repr=False)
    baseline_runs: list = field(default_factory=list, repr=False)

    def is_clear(self, indicator: str) -> bool:
        return bool(self.summary.loc[indicator, "clear"])

    def wijk_change(self, indicator: str = "reach") -> pd.DataFrame:
        """Per wijk (index) the change of one wijk indicator with its interval and whether it is clear."""
        return self.by_wijk[self.by_wijk["indicator"] == indicator].set_index("wijk")


def _wijk_residents(run) -> pd.Series:
    table = run.wijk_table()
    if "simulated_residents" in table.columns:
        return table["simulated_residents"]
    return pd.Series(np.nan, index=table.index)


def pair_by_seed(design_runs: Sequence, baseline_runs: Sequence) -> list:
    """The baseline runs in the design runs' seed order; a clear error unless both hold the same seeds."""
    if not design_runs:
        raise ValueError("no runs to compare: run the design on at least one seed")
    by_seed = {r.seed: r for r in baseline_runs}
    seeds = [r.seed for r in design_runs]
    missing = [s for s in seeds if s not in by_seed]
    if missing or len(set(seeds)) != len(seeds) or len(by_seed) != len(seeds):
        raise ValueError(f"a paired comparison needs the same seeds on both sides; design seeds {seeds}, "
                         f"baseline seeds {sorted(by_seed)}")
    return [by_seed[s] for s in seeds]


def summary_differences(design_runs: Sequence, base_runs: Sequence, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per indicator: design and baseline means, the paired difference with its interval, the verdict."""
    rows = []
    for name, ind in INDICATORS.items():
        d = np.array([r.summary.get(name, np.nan) for r in design_runs], dtype=float)
        b = np.array([r.summary.get(name, np.nan) for r in base_runs], dtype=float)
        mean, lo, hi = interval(d - b, confidence)
        code = verdict(lo, hi, ind.higher_is_better)
        rows.append({"indicator": name, "design": float(np.nanmean(d)), "baseline": float(np.nanmean(b)), "diff": mean,
                     "lo": lo, "hi": hi, "n": len(design_runs), "clear": code != UNCLEAR, "verdict": code})
    return pd.DataFrame(rows).set_index("indicator")


def compare_runs(design_runs: Sequence, baseline_runs: Sequence, confidence: float = CONFIDENCE,
                 wijk_indicators: Sequence[str] | None = None) -> PairedComparison:
    """Pair two lists of :class:`model.run.Results` by seed and summarise design minus baseline.

    Raises:
        ValueError: when the two lists do not hold the same seeds (an unpaired comparison).
    """
    base_runs = pair_by_seed(design_runs, baseline_runs)
    seeds = [r.seed for r in design_runs]
    summary = summary_differences(design_runs, base_runs, confidence)

    tables_d = [r.wijk_table() for r in design_runs]
    tables_b = [r.wijk_table() for r in base_runs]
    names = list(wijk_indicators) if wijk_indicators else [c for c in tables_d[0].columns if c in tables_b[0].columns]
    sim = pd.concat([_wijk_residents(r) for r in design_runs + base_runs], axis=1).min(axis=1)
    wijk_rows = []
    from model.indicators import WIJK_DIRECTIONS

    for name in names:
        d = pd.concat([t[name] for t in tables_d], axis=1)
        b = pd.concat([t[name] for t in tables_b], axis=1).reindex(d.index)
        diff = d.to_numpy(dtype=float) - b.to_numpy(dtype=float)
        for i, wijk in enumerate(d.index):
            mean, lo, hi = interval(diff[i], confidence)
            few = bool(np.isfinite(sim.get(wijk, np.nan)) and sim.get(wijk, np.nan) < MIN_WIJK_RESIDENTS)
            code = UNCLEAR if few else verdict(lo, hi, WIJK_DIRECTIONS.get(name, True))
            wijk_rows.append({"wijk": wijk, "indicator": name, "design": float(np.nanmean(d.iloc[i])),
                              "baseline": float(np.nanmean(b.iloc[i])), "diff": mean, "lo": lo, "hi": hi,
                              "simulated_residents": float(sim.get(wijk, np.nan)), "clear": code != UNCLEAR,
                              "verdict": code})
    by_wijk = pd.DataFrame(wijk_rows)
    first = design_runs[0]
    return PairedComparison(first.scenario_name, base_runs[0].scenario_name, seeds, confidence, summary, by_wijk,
                            list(design_runs), base_runs)


def paired_comparison(design: Scenario | str | Path, baseline: Scenario | str | Path = "baseline", *,
                      seeds: Sequence[int] | None = None, n_seeds: int = 5, weeks: int | None = None,
                      population_scale: float | None = None, confidence: float = CONFIDENCE,
                      run: Callable | None = None, progress: Callable[[int, int], None] | None = None) -> PairedComparison:
    """Run a design and its baseline on the same seeds and return the paired differences.

    Args:
        design, baseline: scenarios (objects, names in ``scenarios/`` or YAML paths).
        seeds: the replication seeds (default: :func:`replication_seeds` of ``n_seeds``).
        weeks, population_scale: run settings for both (default: each scenario's own ``run``
            section; both sides always use the design's values, so they match).
        confidence: two-sided confidence of the intervals.
        run: ``run(scenario, seed=, weeks=, population_scale=) -> Results``; default
            :func:`model.run.run_scenario` (the workshop passes its shared cache).
        progress: called as ``progress(done, total)`` after each run (total = 2 × seeds).
    """
    from model.run import run_scenario

    run = run or run_scenario
    design = design if isinstance(design, Scenario) else load_scenario(design)
    baseline = baseline if isinstance(baseline, Scenario) else load_scenario(baseline)
    seeds = list(seeds) if seeds is not None else replication_seeds(n_seeds)
    weeks = int(weeks if weeks is not None else design.run.weeks)
    scale = float(population_scale if population_scale is not None else design.run.population_scale)
    total, done = 2 * len(seeds), 0
    design_runs, baseline_runs = [], []
    for seed in seeds:
        for scenario, out in ((design, design_runs), (baseline, baseline_runs)):
            out.append(run(scenario, seed=seed, weeks=weeks, population_scale=scale))
            done += 1
            if progress is not None:
                progress(done, total)
    return compare_runs(design_runs, baseline_runs, confidence)


__all__ = ["CONFIDENCE", "PairedComparison", "VERDICT_LABELS", "compare_runs", "interval", "pair_by_seed",
           "paired_comparison", "replication_seeds", "summary_differences", "verdict", "verdict_label"]
