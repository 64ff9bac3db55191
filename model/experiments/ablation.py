"""Ablation study: which mechanisms matter for which outcome, with intervals.

For a scenario, every mechanism of :data:`model.mechanisms.MECHANISMS` is knocked out in
turn (``run_scenario(..., knock_out=[name])``) and compared with the full model on the
same seeds (common random numbers). A mechanism's *effect* on an outcome is
``full - knocked out``: what the mechanism adds. Its interval is the paired Student-t
interval of :func:`model.compare.interval`; an effect whose interval holds zero is
"no clear effect" in this scenario (often because the scenario does not switch the
mechanism on: knocking out the club budget in the baseline changes nothing).

Runs go through a Dask client when one is given (a ``LocalCluster`` or a real scheduler
address), else a plain loop: the same runs, the same numbers.

    python -m model.experiments ablation leerclubs --seeds 4 --scale 0.05 [--workers 2 | --serial]
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from model.compare import CONFIDENCE, interval, replication_seeds, verdict
from model.indicators import INDICATORS
from model.mechanisms import MECHANISMS

#: Outcomes reported by default (reach, the gaps, progression and exposure).
DEFAULT_OUTCOMES: tuple[str, ...] = ("reach", "participation_gap_means", "participation_gap_autonomy",
                                     "participation_gap_wijken", "progression_steps", "saw_it_done")


def _one_run(scenario_yaml: str, seed: int, weeks: int, scale: float, knock_out: tuple[str, ...]) -> dict[str, float]:
    """One run's summary (module level, so Dask workers can import it)."""
    from model.run import run_scenario
    from model.scenario import scenario_from_yaml

    res = run_scenario(scenario_from_yaml(scenario_yaml, "<ablation>"), seed=seed, weeks=weeks, population_scale=scale,
                       knock_out=list(knock_out))
    return dict(res.summary)


def ablation_study(scenario, mechanisms: Sequence[str] | None = None, *, seeds: Sequence[int] | None = None,
                   n_seeds: int = 4, weeks: int | None = None, population_scale: float | None = None,
                   outcomes: Sequence[str] = DEFAULT_OUTCOMES, confidence: float = CONFIDENCE, client=None,
                   progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Knock out each mechanism in turn and report its effect on each outcome over paired seeds.

    Args:
        scenario: a :class:`model.scenario.Scenario` or a scenario name.
        mechanisms: names to knock out (default: all of :data:`MECHANISMS`).
        seeds / n_seeds: the paired replication seeds.
        client: a ``dask.distributed.Client``; None runs a plain loop in this process.
        progress: ``progress(done, total)`` after each run.

    Returns:
        One row per (mechanism, outcome): ``full`` and ``knocked_out`` means, ``effect``
        (full minus knocked out) with ``lo``/``hi``, ``clear`` and ``verdict`` (in the
        outcome's direction: ``better`` means the mechanism makes the outcome better).
    """
    from model.scenario import Scenario, load_scenario, scenario_to_yaml

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    names = list(mechanisms) if mechanisms is not None else list(MECHANISMS)
    unknown = [n for n in names if n not in MECHANISMS]
    if unknown:
        raise ValueError(f"unknown mechanism(s) {unknown}; known: {', '.join(MECHANISMS)}")
    bad = [o for o in outcomes if o not in INDICATORS]
    if bad:
        raise ValueError(f"unknown outcome(s) {bad}; known: {', '.join(INDICATORS)}")
    seeds = list(seeds) if seeds is not None else replication_seeds(n_seeds)
    weeks = int(weeks or scenario.run.weeks)
    scale = float(population_scale or scenario.run.population_scale)
    text = scenario_to_yaml(scenario)
    jobs = [((), s) for s in seeds] + [((name,), s) for name in names for s in seeds]
    total = len(jobs)
    if client is None:
        summaries = []
        for i, (ko, seed) in enumerate(jobs):
            summaries.append(_one_run(text, seed, weeks, scale, ko))
            if progress:
                progress(i + 1, total)
    else:
        from dask.distributed import as_completed

        futures = [client.submit(_one_run, text, seed, weeks, scale, ko, pure=False) for ko, seed in jobs]
        index = {f.key: i for i, f in enumerate(futures)}
        summaries = [None] * total
        for done, future in enumerate(as_completed(futures), start=1):
            summaries[index[future.key]] = future.result()
            if progress:
                progress(done, total)
    full = {seed: summaries[i] for i, seed in enumerate(seeds)}
    rows = []
    for j, name in enumerate(names):
        ko = {seed: summaries[len(seeds) * (j + 1) + i] for i, seed in enumerate(seeds)}
        for outcome in outcomes:
            a = np.array([full[s][outcome] for s in seeds])
            b = np.array([ko[s][outcome] for s in seeds])
            mean, lo, hi = interval(a - b, confidence)
            code = verdict(lo, hi, INDICATORS[outcome].higher_is_better)
            rows.append({"mechanism": name, "outcome": outcome, "full": float(a.mean()), "knocked_out": float(b.mean()),
                         "effect": mean, "lo": lo, "hi": hi, "clear": code != "no_clear_difference", "verdict": code,
                         "n_seeds": len(seeds)})
    return pd.DataFrame(rows)


def format_table(frame: pd.DataFrame) -> str:
    """A plain-text table: mechanism × outcome, effect [lo, hi], '·' where there is no clear effect."""
    lines = []
    outcomes = list(dict.fromkeys(frame["outcome"]))
    lines.append(f"{'mechanism':26s} " + " ".join(f"{o[:24]:>26s}" for o in outcomes))
    for name, group in frame.groupby("mechanism", sort=False):
        cells = []
        for o in outcomes:
            r = group[group["outcome"] == o].iloc[0]
            mark = "" if r["clear"] else " ·"
            cells.append(f"{r['effect']:+9.2f} [{r['lo']:+.1f}, {r['hi']:+.1f}]{mark}".rjust(26))
        lines.append(f"{name:26s} " + " ".join(cells))
    return "\n".join(lines)


__all__ = ["DEFAULT_OUTCOMES", "ablation_study", "format_table"]
