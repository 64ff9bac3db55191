"""Observed uptake against the model's prediction bands: bands, fit, alerts, wijk differences, the synthetic label."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.pilot.compare import (
    ALERT_WEEKS,
    PilotComparison,
    band_table,
    compare_uptake,
    find_alerts,
    goodness_of_fit,
    observed_uptake,
)
from model.pilot.monitor import main as monitor_main
from model.pilot.report import comparison_report
from model.pilot.synthetic import (
    EXAMPLE_VALUES,
    SYNTHETIC_LABEL_NL,
    is_synthetic,
    make_synthetic,
)
from model.pilot.uptake import reference_for, validate_uptake

WEEKS = 5
SCALE = 0.03


def hand_simulated(values_by_seed: dict[int, list[float]], offer: str = "a:b", wijk: str = "Bret") -> pd.DataFrame:
    """A hand-made 'simulation': one cell, one value per seed and week."""
    rows = [{"seed": s, "week": w + 1, "offer_id": offer, "wijk": wijk, "age_group": "6-11", "participants": v,
             "new_participants": v / 2} for s, vals in values_by_seed.items() for w, v in enumerate(vals)]
    return pd.DataFrame(rows)


def hand_observed(values: list[float], offer: str = "a:b", wijk: str = "Bret") -> pd.DataFrame:
    return pd.DataFrame([{"week": w + 1, "offer_id": offer, "wijk": wijk, "age_group": "6-11", "participants": v,
                          "new_participants": v / 2} for w, v in enumerate(values)])


# ---------------------------------------------------------------------------- bands on a hand-made example
def test_the_band_is_the_central_90_percent_of_the_replications_and_the_prediction_their_mean():
    sim = hand_simulated({s: [float(s)] * 3 for s in range(1, 22)})  # 21 seeds: values 1..21 each week
    table = band_table(hand_observed([11, 1, 30]), sim, "total", "participants")
    assert table["mean"].tolist() == [11.0] * 3
    assert table["lo"].tolist() == pytest.approx([np.quantile(range(1, 22), 0.05)] * 3)
    assert table["hi"].tolist() == pytest.approx([np.quantile(range(1, 22), 0.95)] * 3)
    assert table["inside"].tolist() == [True, False, False]
    assert table["side"].tolist() == ["", "below", "above"]


def test_a_missing_row_counts_as_nobody_and_an_offer_without_rows_as_an_offer_nobody_took():
    sim = pd.concat([hand_simulated({1: [5, 5, 5], 2: [5, 5, 5]}),
                     hand_simulated({1: [100, 100, 100], 2: [100, 100, 100]}, offer="other:offer")])
    observed = hand_observed([5, 5, 5]).iloc[[0, 2]]  # week 2 not reported
    table = band_table(observed, sim, "total", "participants", weeks=range(1, 4))
    assert table["observed"].tolist() == [5, 0, 5]
    assert table["mean"].tolist() == [105, 105, 105]  # the other offer had nobody in the pilot, 100 in the model


def test_a_pilot_that_reports_some_offers_is_compared_on_those_offers_only():
    sim = pd.concat([hand_simulated({1: [5, 5, 5], 2: [5, 5, 5]}),
                     hand_simulated({1: [100, 100, 100], 2: [100, 100, 100]}, offer="other:offer")])
    table = band_table(hand_observed([5, 5, 5]), sim, "total", "participants", offers=["a:b"])
    assert table["mean"].tolist() == [5, 5, 5]


def test_goodness_of_fit_reports_mae_rmse_bias_and_the_share_inside():
    table = pd.DataFrame({"observed": [1.0, 3.0, 10.0], "mean": [2.0, 2.0, 2.0], "inside": [True, True, False]})
    fit = goodness_of_fit(table)
    assert fit["mae"] == pytest.approx((1 + 1 + 8) / 3)
    assert fit["rmse"] == pytest.approx(np.sqrt((1 + 1 + 64) / 3))
    assert fit["bias"] == pytest.approx((-1 + 1 + 8) / 3)
    assert fit["inside_share"] == pytest.approx(2 / 3)


# ---------------------------------------------------------------------------- the alert rule
def _table(sides: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"grouping": "wijk", "measure": "participants", "group": "Bret", "week": range(1, len(sides) + 1),
                         "observed": 1.0, "side": sides})


def test_an_alert_needs_three_consecutive_weeks_on_the_same_side_of_the_band():
    assert ALERT_WEEKS == 3
    assert find_alerts(_table(["above", "above", "", "above", "above"])) == []
    assert find_alerts(_table(["above", "above", "below", "below", "above"])) == []
    [alert] = find_alerts(_table(["", "below", "below", "below", ""]))
    assert (alert.direction, alert.first_week, alert.last_week, alert.open) == ("below", 2, 4, False)


def test_an_alert_still_running_in_the_last_week_is_open_and_says_so():
    [alert] = find_alerts(_table(["", "", "above", "above", "above", "above"]))
    assert alert.open and alert.weeks == 4
    assert "nog steeds" in alert.message("nl") and "still" in alert.message("en")
    assert "Bret" in alert.message("en") and "above the band" in alert.message("en")


# ---------------------------------------------------------------------------- on the model
@pytest.fixture(scope="module")
def synthetic_frame():
    """The synthetic example (model output with known values), read back through the import's checks."""
    ex = make_synthetic(weeks=WEEKS, population_scale=SCALE)
    report = validate_uptake(ex.csv_bytes(), "SYNTHETISCH-test.csv", reference_for("baseline"))
    assert report.ok, report.problem_table("en")
    return report.frame


@pytest.fixture(scope="module")
def comparison(synthetic_frame) -> PilotComparison:
    return compare_uptake(synthetic_frame, "baseline", n_seeds=6, population_scale=SCALE, source="SYNTHETISCH-test.csv")


def test_the_synthetic_example_is_valid_import_data_and_labelled_as_synthetic(synthetic_frame, comparison):
    assert len(synthetic_frame) > 100
    assert comparison.synthetic
    assert comparison.label("nl").startswith(SYNTHETIC_LABEL_NL)
    assert comparison_report(comparison, "en").startswith("*** SYNTHETIC")


def test_the_synthetic_file_refuses_a_name_that_would_look_real(tmp_path):
    ex = make_synthetic(weeks=2, population_scale=0.02)
    with pytest.raises(ValueError, match="must say so"):
        ex.write(tmp_path / "deelname-pilot.csv")
    assert is_synthetic(ex.write(tmp_path / "SYNTHETISCH-x.csv").name)


def test_the_true_values_fit_the_synthetic_pilot_better_than_the_default_ones(synthetic_frame, comparison):
    """With the values that made the data, errors are smaller and most offers' weeks fall inside their bands."""
    truth = reference_scenario().with_values(EXAMPLE_VALUES)
    cmp = compare_uptake(synthetic_frame, truth, n_seeds=8, population_scale=SCALE, synthetic=True)
    fit = cmp.fit().set_index(["grouping", "measure"])
    default = comparison.fit().set_index(["grouping", "measure"])
    for key in [("total", "participants"), ("total", "new_participants")]:
        assert fit.loc[key, "mae"] < default.loc[key, "mae"], key
    assert fit.loc[("offer_id", "participants"), "inside_share"] > 0.6


def test_the_default_scenario_overpredicts_the_synthetic_pilot_and_raises_an_open_alert(comparison):
    """The example's residents look for offers less often than the baseline assumes (0.07 against 0.12 a week)."""
    total = comparison.table("total", "participants")
    assert (total["observed"] < total["mean"]).all()
    alerts = [a for a in comparison.alerts() if a.grouping == "total" and a.measure == "participants"]
    assert alerts and alerts[0].direction == "below" and alerts[0].open


def test_bands_come_from_paired_replication_seeds_and_are_reproducible(synthetic_frame, comparison):
    again = compare_uptake(synthetic_frame, "baseline", seeds=comparison.seeds, population_scale=SCALE)
    pd.testing.assert_frame_equal(again.table("wijk"), comparison.table("wijk"))


def test_the_wijk_difference_covers_the_31_wijken_and_sums_to_the_total(comparison):
    wd = comparison.wijk_difference()
    assert len(wd) == 31
    total = comparison.table("total")
    assert wd["observed"].sum() == pytest.approx(total["observed"].sum())
    assert wd["mean"].sum() == pytest.approx(total["mean"].sum())


def test_observed_uptake_names_a_missing_column():
    with pytest.raises(ValueError, match="new_participants"):
        observed_uptake(pd.DataFrame({"pilot_week": [1], "offer_id": ["a"], "wijk": ["Bret"], "age_group": ["0-5"],
                                      "participants": [1]}))


def test_the_command_line_prints_fit_and_alerts_and_strict_exits_1_on_alerts(tmp_path, capsys):
    ex = make_synthetic(weeks=4, population_scale=0.02)
    path = ex.write(tmp_path / "SYNTHETISCH-cli.csv")
    code = monitor_main(["compare", "--file", str(path), "--seeds", "4", "--scale", "0.02", "--lang", "en", "--strict"])
    out = capsys.readouterr().out
    assert out.startswith("*** SYNTHETIC")
    assert "Goodness of fit" in out and "Alerts" in out and "3 or more consecutive weeks" in out
    assert code == 1
    assert monitor_main(["compare", "--seeds", "2"]) == 2  # neither --dataset nor --file


def reference_scenario():
    from model.scenario import load_scenario

    return load_scenario("baseline")
