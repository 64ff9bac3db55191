"""The workshop's paired comparison is the model's, only quicker: an oracle test.

:func:`apps.components.readout.paired_runs` does the per-wijk intervals a whole
indicator at a time; :func:`model.compare.compare_runs` (the obviously-correct loop)
must give the very same frames, value for value, on real runs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.components.readout import paired_runs
from model.compare import compare_runs, replication_seeds
from model.run import run_scenario
from model.scenario import load_scenario

SCALE, WEEKS = 0.03, 12


@pytest.fixture(scope="module")
def runs():
    seeds = replication_seeds(3)
    made = {}
    for name in ("baseline", "leerclubs", "wegwijzer"):
        scenario = load_scenario(name)
        made[name] = [run_scenario(scenario, seed=s, weeks=WEEKS, population_scale=SCALE) for s in seeds]
    return made


def same(a, b) -> None:
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
    pd.testing.assert_frame_equal(a.by_wijk, b.by_wijk, check_exact=True)
    assert (a.design_name, a.baseline_name, a.seeds, a.confidence) == (b.design_name, b.baseline_name, b.seeds, b.confidence)


@pytest.mark.parametrize("design", ["leerclubs", "wegwijzer", "baseline"])
def test_the_quick_comparison_gives_the_models_frames_value_for_value(runs, design):
    same(paired_runs(runs[design], runs["baseline"]), compare_runs(runs[design], runs["baseline"]))


def test_two_seeds_and_a_seed_order_of_its_own_give_the_models_frames_too(runs):
    design = runs["leerclubs"][:2]
    base = list(reversed(runs["baseline"][:2]))  # paired by seed, not by position
    same(paired_runs(design, base), compare_runs(design, base))


def test_a_missing_value_in_one_wijk_is_handled_row_by_row_as_the_model_does(runs):
    import copy

    design = [copy.copy(r) for r in runs["wegwijzer"]]
    frame = design[0].by_wijk.copy()
    frame.loc[(frame["indicator"] == "reach").to_numpy().nonzero()[0][:2], "value"] = np.nan
    design[0].by_wijk = frame
    same(paired_runs(design, runs["baseline"]), compare_runs(design, runs["baseline"]))


def test_unpaired_runs_are_refused_as_the_model_refuses_them(runs):
    with pytest.raises(ValueError, match="same seeds"):
        paired_runs(runs["leerclubs"], runs["baseline"][:2])
    with pytest.raises(ValueError, match="no runs"):
        paired_runs([], runs["baseline"])
