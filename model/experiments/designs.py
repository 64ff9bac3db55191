"""Samplers: a study's design as a table of points, and the runs that evaluate them.

:func:`make_design` returns the sample as drawn (``point_id`` plus one column per
parameter path); it is what the analysis needs (Morris reads the exact grid steps).
:func:`expand_runs` crosses the points with the replication seeds and rounds integer
parameters, giving the runs the model sees. Both are deterministic in the study seed.

Replication seeds come from ``numpy.random.SeedSequence(study.seed)``: replication r
uses the same seed at every design point (common random numbers), so differences
between points are not drowned in seed noise.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from model.experiments.study import FullFactorialDesign, LhsDesign, MorrisDesign, OatDesign, SobolDesign, Study


def replication_seeds(study: Study) -> list[int]:
    """One seed per replication, from a SeedSequence seeded with the study seed."""
    from model.compare import replication_seeds as seeds_from

    return seeds_from(study.replications, study.seed)


def base_values(study: Study, scenario=None) -> dict[str, float]:
    """Where OAT holds the other parameters: the base scenario's values, or an analytic
    model's defaults, clipped into the study's bounds; else the middle of the bounds."""
    from model.analytic import ANALYTIC_MODELS

    kind, _, name = study.model.partition(":")
    analytic = ANALYTIC_MODELS.get(name) if kind == "analytic" else None
    values = {}
    for path, (lo, hi) in study.bounds().items():
        value = None
        if scenario is not None:
            node = scenario
            for key in path.split("."):
                node = getattr(node, key)
            value = float(node)
        elif analytic is not None:
            value = analytic.default(path)
        values[path] = float(np.clip(value, lo, hi)) if value is not None else (lo + hi) / 2
    return values


def make_design(study: Study, scenario=None) -> pd.DataFrame:
    """The design points of ``study``: ``point_id`` and one float column per parameter."""
    problem = study.problem()
    names, bounds = problem["names"], np.array(problem["bounds"], dtype=float)
    design = study.design
    if isinstance(design, OatDesign):
        base = base_values(study, scenario)
        rows = [dict(base)]
        for name, (lo, hi) in zip(names, bounds):
            for v in np.linspace(lo, hi, design.levels):
                rows.append({**base, name: float(v)})
        x = np.array([[r[n] for n in names] for r in rows])
    elif isinstance(design, FullFactorialDesign):
        levels = design.levels if isinstance(design.levels, dict) else {n: design.levels for n in names}
        size = int(np.prod([levels[n] for n in names], dtype=float))
        if size > design.max_points:
            raise ValueError(f"design: a full factorial of {size:,} points exceeds max_points ({design.max_points:,}); use fewer levels or lhs")
        axes = [np.linspace(lo, hi, levels[n]) for n, (lo, hi) in zip(names, bounds)]
        x = np.array(list(itertools.product(*axes)), dtype=float)
    elif isinstance(design, LhsDesign):
        from SALib.sample import latin

        x = latin.sample(problem, design.n, seed=study.seed)
    elif isinstance(design, MorrisDesign):
        from SALib.sample import morris

        x = morris.sample(problem, design.trajectories, num_levels=design.levels, optimal_trajectories=design.optimal_trajectories,
                          local_optimization=design.local_optimization, seed=study.seed)
    elif isinstance(design, SobolDesign):
        from SALib.sample import sobol

        x = sobol.sample(problem, design.n, calc_second_order=design.calc_second_order, scramble=design.scramble, seed=study.seed)
    else:  # pragma: no cover - the schema allows no other
        raise ValueError(f"unknown design {design!r}")
    frame = pd.DataFrame(np.asarray(x, dtype=float), columns=names)
    frame.insert(0, "point_id", np.arange(len(frame), dtype=np.int64))
    return frame


def expand_runs(study: Study, design: pd.DataFrame) -> pd.DataFrame:
    """One row per run: ``run_id = point_id * replications + replication``, its seed and values."""
    seeds = replication_seeds(study)
    reps = study.replications
    n = len(design)
    runs = pd.DataFrame({
        "run_id": np.arange(n * reps, dtype=np.int64),
        "point_id": np.repeat(design["point_id"].to_numpy(), reps),
        "replication": np.tile(np.arange(reps, dtype=np.int64), n),
        "seed": np.tile(np.array(seeds, dtype=np.int64), n),
    })
    ints = study.integer_parameters()
    for name in study.parameter_names:
        values = np.repeat(design[name].to_numpy(), reps)
        runs[name] = np.rint(values).astype(np.int64) if name in ints else values
    return runs
