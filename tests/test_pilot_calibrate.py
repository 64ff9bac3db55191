"""Calibration by ABC-SMC: known answers come back, unidentifiable parameters are named, results are stored with a parent."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.paths import var_dir
from model.pilot.calibrate import (
    IDENTIFIED_SHRINKAGE,
    Summaries,
    calibrate,
    intervals_of,
    predict,
    save_calibrated,
    screen_parameters,
    seed_for,
    weighted_quantile,
)
from model.pilot.compare import observed_uptake
from model.pilot.synthetic import EXAMPLE_VALUES, make_synthetic
from model.pilot.uptake import reference_for, validate_uptake
from model.scenario import uncertainty_fields
from model.store import Store

WEEKS = 4
SCALE = 0.03
SEARCH = "uncertainties.search_prob_per_week"
KNOWLEDGE = "uncertainties.initial_knowledge_prob"
WEBSITE = "uncertainties.website_use_prob"


@pytest.fixture(scope="module")
def synthetic_observed() -> pd.DataFrame:
    """SYNTHETIC 'observed' uptake: the model run with the known values of EXAMPLE_VALUES."""
    ex = make_synthetic(weeks=WEEKS, population_scale=SCALE)
    report = validate_uptake(ex.csv_bytes(), "SYNTHETISCH-test.csv", reference_for("baseline"))
    assert report.ok
    return observed_uptake(report.frame)


@pytest.fixture(scope="module")
def calibration(synthetic_observed):
    """A small ABC-SMC run on a real 2-worker Dask cluster: 2 parameters, 20 particles, 2 generations."""
    seen = []
    result = calibrate(synthetic_observed, "baseline", [SEARCH, KNOWLEDGE], population_size=20, generations=2,
                       population_scale=SCALE, n_workers=2, progress=seen.append, source="SYNTHETISCH-test")
    return result, seen


def test_known_parameter_values_lie_inside_their_90_percent_credible_intervals(calibration):
    """Every known value (identified or not) is inside its interval, and the data did narrow the search probability.

    A run this small (20 particles, 2 generations) narrows an interval to about half the
    prior's at best, so 'identified' (at most half) is not required here; the benchmark
    runs the realistic size.
    """
    result, _ = calibration
    assert result.synthetic
    assert result.intervals.loc[SEARCH, "shrinkage"] < 0.8, result.intervals  # the data inform how often people look
    covers = result.covers({p: EXAMPLE_VALUES[p] for p in result.parameters})
    assert all(covers.values()), (covers, result.intervals[["lo", "median", "hi"]])


def test_progress_reports_the_prior_sample_and_every_generation_with_acceptance_and_time_left(calibration):
    result, seen = calibration
    assert [g.t for g in seen] == [-1, 0, 1]
    assert all(0 < g.acceptance_rate <= 1 for g in seen)
    assert seen[-1].seconds_left == 0 and seen[0].seconds_left > 0
    assert result.simulations == sum(g.simulations for g in seen)
    assert list(result.generations["t"]) == [-1, 0, 1]


def test_the_history_is_a_sqlite_file_under_var_never_in_the_repository(calibration):
    result, _ = calibration
    assert result.db_path.exists() and result.db_path.suffix == ".sqlite"
    assert Path(var_dir()) in result.db_path.parents
    assert Path(__file__).resolve().parent.parent not in result.db_path.resolve().parents


def test_the_calibrated_scenario_is_a_new_revision_with_the_base_as_parent(calibration, tmp_path):
    result, _ = calibration
    store = Store(tmp_path / "store.sqlite")
    parent, rev = save_calibrated("baseline", result, store=store)
    assert rev.parent_id == parent.id and parent.name == "baseline"
    assert "synthetisch" in rev.name  # calibrated on the synthetic example, and says so
    sc = rev.scenario
    assert sc.uncertainties.search_prob_per_week == pytest.approx(result.point()[SEARCH])
    assert "SYNTHETISCH" in sc.description
    _, again = save_calibrated("baseline", result, store=store)
    assert again.parent_id == parent.id  # the base is stored once


def test_predictions_for_the_rest_of_the_pilot_come_with_bands(calibration, synthetic_observed):
    result, _ = calibration
    pred = predict("baseline", result, synthetic_observed, weeks=WEEKS + 2, n_draws=3, population_scale=0.02)
    part = pred[pred["measure"] == "participants"]
    assert list(part["week"]) == list(range(1, WEEKS + 3))
    assert part["predicted"].tolist() == [False] * WEEKS + [True, True]
    assert part.loc[part["predicted"], "observed"].isna().all()
    assert (part["lo"] <= part["mean"] + 1e-9).all() and (part["mean"] <= part["hi"] + 1e-9).all()


def test_a_parameter_of_a_mechanism_that_is_off_cannot_be_identified(synthetic_observed):
    """The baseline has no wegwijzer website: website use moves no statistic; search moves many."""
    screen = screen_parameters(synthetic_observed.query("week <= 2"), "baseline", [SEARCH, WEBSITE], n_seeds=2,
                               population_scale=0.02)
    assert bool(screen.loc[WEBSITE, "no_effect"]) and not screen.loc[WEBSITE, "informed"]
    assert bool(screen.loc[SEARCH, "informed"])


def test_an_interval_counts_as_identified_only_when_it_is_at_most_half_the_prior():
    f = uncertainty_fields()[SEARCH]
    narrow = pd.DataFrame({SEARCH: np.linspace(0.19, 0.21, 50), "weight": 1.0})
    wide = pd.DataFrame({SEARCH: np.linspace(f.lo, f.hi, 50), "weight": 1.0})
    assert intervals_of(narrow, [SEARCH]).loc[SEARCH, "identified"]
    row = intervals_of(wide, [SEARCH]).loc[SEARCH]
    assert not row["identified"] and row["shrinkage"] > IDENTIFIED_SHRINKAGE


def test_weighted_quantiles_match_quantiles_of_the_repeated_sample():
    values, weights = np.array([3.0, 1.0, 2.0, 7.0, 5.0]), np.array([1, 2, 1, 3, 2])
    repeated = np.repeat(values, weights)
    for q in (0.05, 0.25, 0.5, 0.8, 0.95):
        expected = np.quantile(repeated, q, method="inverted_cdf")
        assert weighted_quantile(values, weights.astype(float), [q])[0] == pytest.approx(expected), q


def test_a_simulation_seed_follows_from_the_parameter_values():
    assert seed_for({SEARCH: 0.2}) == seed_for({SEARCH: 0.2})
    assert seed_for({SEARCH: 0.2}) != seed_for({SEARCH: 0.2000001})


def test_summary_statistics_are_square_roots_of_counts_by_week_age_wijk_group_and_provider_type():
    observed = pd.DataFrame({"week": [1, 1, 2], "offer_id": ["x", "x", "y"], "wijk": ["Bret", "Bokrijk", "Bret"],
                             "age_group": ["6-11", "25-64", "6-11"], "participants": [4.0, 9.0, 16.0],
                             "new_participants": [4.0, 9.0, 1.0]})
    s = Summaries(2, ("x", "y"), (("x", "school"), ("y", "library")), (("Bret", "zuidwest"), ("Bokrijk", "zuidoost")))
    stats = s(observed)
    assert stats["new_w1"] == pytest.approx(np.sqrt(13)) and stats["part_w2"] == pytest.approx(4.0)
    assert stats["new_age_6-11"] == pytest.approx(np.sqrt(5)) and stats["new_age_0-5"] == 0
    assert stats["new_type_school"] == pytest.approx(np.sqrt(13))
    assert set(stats) == set(s.names())


def test_calibrating_something_that_is_not_an_uncertainty_is_refused(synthetic_observed):
    with pytest.raises(ValueError, match="not an uncertain parameter"):
        calibrate(synthetic_observed, "baseline", ["levers.mentors.hours_per_week"])


def test_the_posterior_and_the_prediction_draw_as_bokeh_figures_labelled_synthetic(calibration, synthetic_observed):
    import holoviews as hv

    from model.pilot.report import band_figure, calibration_report, posterior_figure

    result, _ = calibration
    layout = posterior_figure(result)
    hv.render(layout, backend="bokeh")
    titles = [panel.opts.get().kwargs["title"] for panel in layout]
    assert len(titles) == len(result.parameters)
    assert calibration_report(result, "en").startswith("*** SYNTHETIC")
    pred = predict("baseline", result, synthetic_observed, weeks=WEEKS + 1, n_draws=2, population_scale=0.02)
    plot = band_figure(pred[pred["measure"] == "participants"], "prediction", result.synthetic)
    hv.render(plot, backend="bokeh")
    assert plot.opts.get().kwargs["title"].startswith("SYNTHETISCH / SYNTHETIC")
    assert all(t.startswith("SYNTHETISCH / SYNTHETIC") for t in titles)


def test_the_same_data_and_entropy_give_the_same_posterior_on_a_dask_cluster(synthetic_observed):
    """Proposals are seeded by their place in the generation, so the workers' timing does not matter."""
    runs = [calibrate(synthetic_observed, "baseline", [SEARCH], population_size=6, generations=1,
                      population_scale=SCALE, n_workers=2, source="SYNTHETISCH-test", entropy=e) for e in (7, 7, 8)]
    first, again, other = (r.posterior[SEARCH].to_numpy() for r in runs)
    np.testing.assert_array_equal(first, again)
    assert runs[0].simulations == runs[1].simulations
    assert not np.array_equal(first, other)
