"""The one entry point that apps, studies and calibration call: :func:`run_scenario`.

Same scenario + seed (+ weeks, population scale) → identical results.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from model.domain import AGE_GROUPS, THEMES, Level
from model.indicators import INDICATORS
from model.scenario import Scenario, load_scenario


@dataclass
class Results:
    """What one run produced, as tidy pandas frames plus an end-of-run summary."""

    scenario_name: str
    seed: int
    weeks: int
    population_scale: float
    summary: dict[str, float]
    weekly: pd.DataFrame  # week, indicator, value
    by_wijk: pd.DataFrame  # wijk, indicator, value
    by_group: pd.DataFrame  # grouping, group, indicator, value
    by_offer: pd.DataFrame  # one row per offer
    progression: pd.DataFrame  # theme, level, residents_start, residents_end (true scale)
    channels: pd.DataFrame  # channel, discoveries (true scale)
    timings: dict[str, float] = field(default_factory=dict)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {"weekly": self.weekly, "by_wijk": self.by_wijk, "by_group": self.by_group, "by_offer": self.by_offer,
                "progression": self.progression, "channels": self.channels}

    def wijk_table(self) -> pd.DataFrame:
        """Wide table: one row per wijk, one column per wijk indicator."""
        return self.by_wijk.pivot(index="wijk", columns="indicator", values="value")

    def to_row(self) -> dict[str, float]:
        return {"scenario": self.scenario_name, "seed": self.seed, "weeks": self.weeks,
                "population_scale": self.population_scale, **self.summary}


def _group_reach(pop, mask_groups: dict[str, np.ndarray], scale: float, grouping: str) -> list[dict]:
    rows = []
    for group, mask in mask_groups.items():
        n = int(mask.sum())
        active = int(pop.ever_active[mask].sum())
        rows += [
            {"grouping": grouping, "group": group, "indicator": "residents", "value": n / scale},
            {"grouping": grouping, "group": group, "indicator": "participants", "value": active / scale},
            {"grouping": grouping, "group": group, "indicator": "reach", "value": 100 * active / n if n else 0.0},
        ]
    return rows


def collect_results(model) -> Results:
    """Turn a finished model into :class:`Results` (tidy frames)."""
    pop, s = model.pop, model.population_scale
    summary = {name: ind(model) for name, ind in INDICATORS.items()}
    weekly = model.datacollector.get_model_vars_dataframe().reset_index(names="step")
    weekly["week"] = weekly["step"] + 1
    weekly = weekly.drop(columns="step").melt(id_vars="week", var_name="indicator", value_name="value")

    # per wijk
    w = pop.wijk
    nw = model.n_wijken
    n = np.bincount(w, minlength=nw).astype(float)
    active = np.bincount(w, weights=pop.ever_active.astype(float), minlength=nw)
    low = np.bincount(w, weights=pop.low_means.astype(float), minlength=nw)
    low_active = np.bincount(w, weights=(pop.ever_active & pop.low_means).astype(float), minlength=nw)
    steps = np.bincount(w, weights=(pop.level - pop.level_start).clip(min=0).sum(axis=1).astype(float), minlength=nw)
    with np.errstate(invalid="ignore", divide="ignore"):
        wijk_values = {
            "residents": n / s, "simulated_residents": n, "participants": active / s, "reach": np.where(n > 0, 100 * active / n, np.nan),
            "reach_low_means": np.where(low > 0, 100 * low_active / low, np.nan), "progression_steps": steps / s,
            "steps_per_100": np.where(n > 0, 100 * steps / n, np.nan),
        }
    by_wijk = pd.DataFrame({"wijk": np.repeat(model.wijk_names, len(wijk_values)),
                            "indicator": list(wijk_values) * nw,
                            "value": np.column_stack(list(wijk_values.values())).ravel()})

    # per group: age, means, autonomy
    ages = pop.age_group()
    groups = _group_reach(pop, {g[0]: ages == g[0] for g in AGE_GROUPS}, s, "age_group")
    groups += _group_reach(pop, {"low": pop.low_means, "other": ~pop.low_means}, s, "means")
    less = pop.autonomy < np.median(pop.autonomy)
    groups += _group_reach(pop, {"less_autonomous": less, "autonomous": ~less}, s, "autonomy")
    groups += [{"grouping": "opportunity", "group": kind, "indicator": "taken", "value": count / s}
               for kind, count in sorted(model.opportunities_by_kind.items())]
    by_group = pd.DataFrame(groups)

    off = model.offers
    by_offer = off.frame()
    m = off.n
    by_offer["participants"] = model.enrolments[:m] / s
    by_offer["completions"] = model.completions[:m] / s
    by_offer["waitlisted"] = model.waitlisted[:m] / s

    prog = []
    for t, theme in enumerate(THEMES):
        for level in Level:
            prog.append({"theme": theme.value, "level": level.slug,
                         "residents_start": float((pop.level_start[:, t] == level).sum() / s),
                         "residents_end": float((pop.level[:, t] == level).sum() / s)})
    channels = pd.DataFrame([{"channel": c.value, "discoveries": v / s} for c, v in model.discoveries.items()])
    return Results(model.scenario.name, int(model.run_seed), model.weeks, s, summary, weekly,
                   by_wijk, by_group, by_offer, pd.DataFrame(prog), channels)


def run_scenario(scenario: Scenario | str | Path, seed: int = 0, weeks: int | None = None,
                 population_scale: float | None = None, progress: Callable[[int, int], None] | None = None,
                 geography=None) -> Results:
    """Run one scenario for one seed and return its results.

    Args:
        scenario: a :class:`Scenario`, a scenario name in ``scenarios/`` or a YAML path.
        seed: the run's seed; the only source of randomness.
        weeks: weeks to simulate (default: the scenario's ``run.weeks``).
        population_scale: share of Genk's residents simulated (default: ``run.population_scale``).
        progress: called as ``progress(week, weeks)`` after each week.
        geography: a geography object (default: the bundled Genk, loaded once per process).
    """
    from model.model import LearningEcosystem

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    t0 = time.perf_counter()
    model = LearningEcosystem(scenario, seed=seed, geography=geography, population_scale=population_scale, weeks=weeks)
    t1 = time.perf_counter()
    model.run(progress)
    t2 = time.perf_counter()
    results = collect_results(model)
    results.timings = {"setup_s": t1 - t0, "steps_s": t2 - t1, "collect_s": time.perf_counter() - t2,
                       "residents": model.pop.n}
    return results
