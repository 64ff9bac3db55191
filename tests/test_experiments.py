"""The experiments layer: studies are validated before any run, run through a real Dask
cluster or a plain loop with the same results, resume after an interruption, record
failing runs, and recover known sensitivity indices of analytic functions."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from model.analytic import g_function_indices, ishigami_indices
from model.experiments import (Study, StudyError, discover, load_results, load_study, make_design, expand_runs,
                               morris_indices, parse_condition, prim, rank_correlations, replication_seeds, report,
                               run_study, sobol_indices, tree_rules)
from model.experiments.__main__ import main as cli
from model.experiments.results import TIMING_COLUMNS, part_files
from model.paths import ROOT


def ishigami_study(**changes) -> Study:
    data = {"name": "ishigami", "model": "analytic:ishigami", "parameters": ["x1", "x2", "x3"],
            "design": {"method": "lhs", "n": 40}, "replications": 2, "seed": 5}
    return load_study({**data, **changes})


def without_timing(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=list(TIMING_COLUMNS)).reset_index(drop=True)


@pytest.fixture(scope="module")
def dask_client():
    """One real LocalCluster with two worker processes, shared by the tests of this module."""
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1")
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


# --------------------------------------------------------------------------- known answers through Dask
def test_sobol_on_ishigami_through_a_dask_cluster_recovers_the_known_indices(dask_client, tmp_path):
    study = ishigami_study(design={"method": "sobol", "n": 4096}, replications=1, seed=1)
    results = run_study(study, tmp_path / "sobol", client=dask_client, progress=False)

    assert results.complete and len(results.runs) == 4096 * 5
    assert set(results.runs["status"]) == {"ok"}
    table = sobol_indices(results).set_index("parameter")
    known = ishigami_indices()
    np.testing.assert_allclose(table["S1"].to_numpy(), known["S1"], atol=0.05)
    np.testing.assert_allclose(table["ST"].to_numpy(), known["ST"], atol=0.05)
    assert (table["S1_conf"] > 0).all() and (table["ST_conf"] < 0.1).all()


def test_morris_on_the_g_function_ranks_parameters_by_their_known_importance(dask_client, tmp_path):
    study = load_study({"name": "g", "model": "analytic:g_function", "parameters": [f"x{i}" for i in range(1, 9)],
                        "design": {"method": "morris", "trajectories": 50, "levels": 4}, "seed": 3})
    results = run_study(study, tmp_path / "g", client=dask_client, progress=False)

    mu_star = morris_indices(results).set_index("parameter")["mu_star"]
    # a = (0, 1, 4.5, 9, 99, ...): x1 > x2 > x3 > x4 > each of the four unimportant ones
    assert list(mu_star.index[:4][np.argsort(-mu_star.to_numpy()[:4])]) == ["x1", "x2", "x3", "x4"]
    assert mu_star["x4"] > 3 * mu_star[["x5", "x6", "x7", "x8"]].max()
    assert np.argsort(-g_function_indices()["ST"])[:4].tolist() == [0, 1, 2, 3]


def test_a_dask_study_and_a_plain_loop_give_identical_results(dask_client, tmp_path):
    study = ishigami_study()
    on_dask = run_study(study, tmp_path / "dask", client=dask_client, batch_size=7, progress=False)
    in_loop = run_study(study, tmp_path / "loop", serial=True, progress=False)

    assert len(on_dask.runs) == 80
    pd.testing.assert_frame_equal(without_timing(on_dask.runs), without_timing(in_loop.runs))


def test_a_failing_run_is_recorded_as_an_error_and_the_others_complete(dask_client, tmp_path):
    study = load_study({"name": "flaky", "model": "analytic:linear_with_failures", "parameters": ["x1", "x2"],
                        "design": {"method": "lhs", "n": 50}})
    results = run_study(study, tmp_path / "flaky", client=dask_client, batch_size=10, progress=False)

    assert results.complete
    failed = results.runs["x1"] > 0.8
    assert failed.any() and (~failed).any()
    assert (results.runs.loc[failed, "status"] == "error").all()
    assert results.runs.loc[failed, "error"].str.contains("fails there on purpose").all()
    assert results.runs.loc[failed, "y"].isna().all()
    ok = results.runs[~failed]
    assert (ok["status"] == "ok").all()
    np.testing.assert_allclose(ok["y"], ok["x1"] + 2 * ok["x2"])


def test_without_a_client_a_study_starts_and_closes_its_own_local_cluster(tmp_path):
    results = run_study(ishigami_study(), tmp_path / "own", n_workers=2, progress=False)
    assert results.complete and len(results.executed) == 80


def test_a_study_can_use_a_running_scheduler_by_its_address(dask_client, tmp_path):
    address = dask_client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    assert cli(["run", "g-function-morris", "--results", str(tmp_path / "g"), "--scheduler", address, "--no-progress"]) == 0
    assert load_results(tmp_path / "g").complete


def test_an_analytic_parameter_left_out_of_a_study_stays_at_its_default(tmp_path):
    study = ishigami_study(parameters=["x1", "x2"])  # x3 = 0: y = sin x1 + 7 sin^2 x2
    runs = run_study(study, tmp_path / "sub", serial=True, progress=False).runs
    assert (runs["status"] == "ok").all()
    np.testing.assert_allclose(runs["y"], np.sin(runs["x1"]) + 7 * np.sin(runs["x2"]) ** 2)


def test_a_python_model_function_runs_per_run_with_the_replication_seed(dask_client, tmp_path):
    study = load_study({"name": "py", "model": "python:model.analytic:noisy_linear", "outputs": ["y"], "replications": 3,
                        "parameters": [{"path": "x1", "bounds": [0, 1]}, {"path": "x2", "bounds": [0, 1]}],
                        "design": {"method": "lhs", "n": 10}})
    on_dask = run_study(study, tmp_path / "d", client=dask_client, progress=False)
    in_loop = run_study(study, tmp_path / "l", serial=True, progress=False)
    pd.testing.assert_frame_equal(without_timing(on_dask.runs), without_timing(in_loop.runs))
    runs = on_dask.runs
    assert runs.groupby("point_id")["y"].nunique().eq(3).all()  # replications differ by their seed only
    np.testing.assert_allclose(on_dask.point_means()["y"], on_dask.design["x1"] + 2 * on_dask.design["x2"], atol=0.3)
    with pytest.raises(StudyError, match="declares no bounds"):
        load_study({"name": "py", "model": "python:model.analytic:noisy_linear", "outputs": ["y"], "parameters": ["x1"]})


# --------------------------------------------------------------------------- resume
def test_an_interrupted_study_resumes_with_only_the_missing_runs(tmp_path):
    study = ishigami_study()
    first = run_study(study, tmp_path / "r", serial=True, batch_size=5, max_runs=25, flush_seconds=0, progress=False)
    assert not first.complete and first.executed == list(range(25))

    resumed = run_study(study, tmp_path / "r", serial=True, batch_size=5, progress=False)
    assert resumed.executed == list(range(25, 80))
    assert resumed.complete

    again = run_study(study, tmp_path / "r", serial=True, progress=False)
    assert again.executed == []

    uninterrupted = run_study(study, tmp_path / "u", serial=True, progress=False)
    pd.testing.assert_frame_equal(without_timing(resumed.runs), without_timing(uninterrupted.runs))


def test_a_study_stopped_by_ctrl_c_on_dask_keeps_its_finished_runs_and_resumes(dask_client, tmp_path):
    study = ishigami_study()

    def interrupt_after_30(done: int, total: int) -> None:
        if done >= 30:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_study(study, tmp_path / "k", client=dask_client, batch_size=10, flush_seconds=0, progress=interrupt_after_30)
    saved = load_results(tmp_path / "k").runs
    assert 30 <= len(saved) < 80

    resumed = run_study(study, tmp_path / "k", client=dask_client, batch_size=10, progress=False)
    assert set(resumed.executed) == set(range(80)) - set(saved["run_id"])
    uninterrupted = run_study(study, tmp_path / "u", serial=True, progress=False)
    pd.testing.assert_frame_equal(without_timing(resumed.runs), without_timing(uninterrupted.runs))


def test_retry_errors_runs_only_the_failed_runs_again(tmp_path):
    study = load_study({"name": "flaky", "model": "analytic:linear_with_failures", "parameters": ["x1", "x2"],
                        "design": {"method": "lhs", "n": 20}})
    first = run_study(study, tmp_path / "f", serial=True, progress=False)
    again = run_study(study, tmp_path / "f", serial=True, retry_errors=True, progress=False)
    assert again.executed == first.errors["run_id"].tolist()
    assert len(again.runs) == 20


# --------------------------------------------------------------------------- refused before any run
@pytest.mark.parametrize("change, reason", [
    ({"parameters": ["uncertainties.frend_weight"]}, "did you mean 'uncertainties.friend_weight'"),
    ({"parameters": ["friend_weight"]}, "did you mean 'uncertainties.friend_weight'"),
    ({"parameters": [{"path": "uncertainties.friend_weight", "bounds": [0, 9]}]}, "outside the model's declared range [0, 5]"),
    ({"design": {"method": "sobel"}}, "did you mean 'sobol'"),
    ({"design": {"method": "sobol", "n": 1000}}, "design.n: n = 1000: Sobol' sampling needs a power of two"),
    ({"outputs": ["reech"]}, "did you mean 'reach'"),
    ({"desing": {"method": "lhs"}}, "unknown key 'desing'; did you mean 'design'"),
    ({"model": "analytic:ishigamy"}, "did you mean 'ishigami'"),
    ({"parameters": [{"path": "uncertainties.friend_weight", "bounds": [2, 1]}]}, "low < high"),
])
def test_a_bad_study_is_refused_with_a_clear_reason(change, reason):
    data = {"name": "bad", "parameters": ["uncertainties.friend_weight"], **change}
    with pytest.raises(StudyError) as err:
        load_study(data)
    assert reason in str(err.value)


def test_a_bad_study_file_is_refused_before_any_run_and_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nmodel: analytic:ishigami\nparameters: [x1, x4]\n")
    with pytest.raises(StudyError, match=r"bad\.yaml: parameters\[1\]: 'x4' is not a parameter"):
        run_study(path, tmp_path / "out", serial=True)
    assert not (tmp_path / "out").exists()


def test_a_results_folder_of_a_different_study_is_refused_before_any_run(tmp_path):
    run_study(ishigami_study(), tmp_path / "r", serial=True, progress=False)
    parts = part_files(tmp_path / "r")
    other = ishigami_study(seed=6)
    with pytest.raises(StudyError, match=r"holds the results of a different study.*study\.seed: 5 there, 6 now"):
        run_study(other, tmp_path / "r", serial=True)
    assert part_files(tmp_path / "r") == parts


def test_a_non_empty_folder_without_a_manifest_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StudyError, match="not a results folder"):
        run_study(ishigami_study(), tmp_path, serial=True)


def test_rewording_the_description_keeps_the_results_folder(tmp_path):
    run_study(ishigami_study(), tmp_path / "r", serial=True, progress=False)
    again = run_study(ishigami_study(description="now explained"), tmp_path / "r", serial=True, progress=False)
    assert again.executed == []


# --------------------------------------------------------------------------- designs
def test_replication_seeds_come_from_a_seeded_seed_sequence_and_are_shared_by_all_points():
    study = ishigami_study(replications=3, seed=11)
    expected = [int(s) for s in np.random.SeedSequence(11).generate_state(3, dtype=np.uint32)]
    assert replication_seeds(study) == expected
    runs = expand_runs(study, make_design(study))
    assert runs.groupby("point_id")["seed"].apply(list).map(lambda s: s == expected).all()
    assert (runs["run_id"] == runs["point_id"] * 3 + runs["replication"]).all()


def test_designs_have_the_expected_shapes_and_stay_within_bounds():
    def design(d, params=("x1", "x2", "x3")):
        study = load_study({"name": "d", "model": "analytic:ishigami", "parameters": list(params), "design": d})
        return make_design(study)

    oat = design({"method": "oat", "levels": 3})
    assert len(oat) == 1 + 3 * 3
    assert (oat.iloc[1:4][["x2", "x3"]] == 0).all().all()  # others at the middle of their bounds
    assert len(design({"method": "full_factorial", "levels": {"x1": 2, "x2": 3, "x3": 4}})) == 24
    assert len(design({"method": "morris", "trajectories": 5})) == 5 * 4
    assert len(design({"method": "sobol", "n": 16})) == 16 * 5
    lhs = design({"method": "lhs", "n": 30})
    assert lhs[["x1", "x2", "x3"]].abs().max().max() <= np.pi
    pd.testing.assert_frame_equal(lhs, design({"method": "lhs", "n": 30}))  # seeded
    for col in ("x1", "x2", "x3"):  # one point in each of the 30 strata
        assert sorted(np.floor((lhs[col] + np.pi) / (2 * np.pi) * 30).astype(int)) == list(range(30))


def test_integer_parameters_are_rounded_for_the_runs_but_kept_as_drawn_in_the_design():
    study = load_study({"name": "ints", "parameters": ["levers.peer_groups.n_hosts", "uncertainties.friend_weight"],
                        "design": {"method": "lhs", "n": 10}})
    design = make_design(study)
    runs = expand_runs(study, design)
    assert runs["levers.peer_groups.n_hosts"].dtype == np.int64
    assert (design["levers.peer_groups.n_hosts"] % 1 != 0).any()


def test_oat_holds_the_other_parameters_at_the_base_scenario_values():
    from model.scenario import load_scenario

    study = load_study({"name": "oat", "parameters": ["uncertainties.friend_weight", "uncertainties.search_prob_per_week"],
                        "design": {"method": "oat", "levels": 2}})
    base = load_scenario("baseline")
    design = make_design(study, base)
    assert design.loc[0, "uncertainties.friend_weight"] == base.uncertainties.friend_weight
    assert design.loc[1:2, "uncertainties.search_prob_per_week"].eq(base.uncertainties.search_prob_per_week).all()


# --------------------------------------------------------------------------- scenario discovery
@pytest.fixture
def box_case():
    """Uniform inputs; the cases of interest lie exactly in x1 > 0.7 and x2 < 0.3."""
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.uniform(size=(2000, 3)), columns=["x1", "x2", "x3"])
    return x, (x["x1"] > 0.7).to_numpy() & (x["x2"] < 0.3).to_numpy()


def test_prim_finds_the_box_that_holds_the_cases_of_interest(box_case):
    x, y = box_case
    result = prim(x, y, alpha=0.05, min_coverage=0.8)
    box = result.box().set_index("parameter")
    row = result.trajectory.iloc[result.chosen]
    assert row["density"] > 0.9 and row["coverage"] >= 0.8
    assert box.loc["x1", "lo"] == pytest.approx(0.7, abs=0.05) and box.loc["x2", "hi"] == pytest.approx(0.3, abs=0.05)
    assert not box.loc["x3", "restricted"]
    assert result.trajectory["mass"].is_monotonic_decreasing
    assert "x1" in result.describe()


def test_tree_rules_name_the_same_box(box_case):
    x, y = box_case
    rules = tree_rules(x, y, max_depth=2)
    assert len(rules) == 1
    conditions = dict(re.findall(r"(x\d (?:>|<=)) ([\d.]+)", rules.loc[0, "rule"]))
    assert set(conditions) == {"x1 >", "x2 <="}
    assert float(conditions["x1 >"]) == pytest.approx(0.7, abs=0.01) and float(conditions["x2 <="]) == pytest.approx(0.3, abs=0.01)
    assert rules.loc[0, "density"] == 1.0 and rules.loc[0, "coverage"] == 1.0


def test_conditions_are_parsed_and_bad_ones_refused():
    assert parse_condition("participation_gap_means > 5") == ("participation_gap_means", ">", 5.0)
    assert parse_condition("reach<=1e-2") == ("reach", "<=", 0.01)
    with pytest.raises(ValueError, match="write <output> <op> <number>"):
        parse_condition("reach is high")


def test_discovery_and_correlations_on_a_study(tmp_path):
    results = run_study(ishigami_study(design={"method": "lhs", "n": 400}, replications=1), tmp_path / "d", serial=True, progress=False)
    box, rules = discover(results, "y > 8")
    assert box.trajectory.loc[box.chosen, "density"] > box.trajectory.loc[0, "density"]
    rho = rank_correlations(results).set_index("parameter")["spearman"]
    assert rho["x1"] > 0.3 and abs(rho["x3"]) < 0.15
    with pytest.raises(ValueError, match="not an output of this study"):
        discover(results, "reach > 1")


def test_analyses_refuse_the_wrong_design_or_missing_points(tmp_path):
    results = run_study(ishigami_study(), tmp_path / "a", serial=True, progress=False)
    with pytest.raises(ValueError, match="need a morris design"):
        morris_indices(results)
    partial = run_study(ishigami_study(design={"method": "sobol", "n": 8}), tmp_path / "b", serial=True, max_runs=10, progress=False)
    with pytest.raises(ValueError, match="points have no successful run"):
        sobol_indices(partial)


# --------------------------------------------------------------------------- command line and shipped studies
def test_the_command_line_runs_resumes_and_analyses_a_study(tmp_path, capsys):
    study = tmp_path / "g.yaml"
    study.write_text((ROOT / "studies" / "g-function-morris.yaml").read_text())
    out = tmp_path / "results"
    assert cli(["run", str(study), "--results", str(out), "--serial", "--no-progress", "--max-runs", "100"]) == 0
    assert "not complete" in capsys.readouterr().err
    assert cli(["run", str(study), "--results", str(out), "--serial", "--no-progress"]) == 0
    assert "450 of 450 runs (450 ok" in capsys.readouterr().out
    assert cli(["analyse", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "mu_star" in printed and "x1" in printed
    assert json.loads((out / "manifest.json").read_text())["n_runs"] == 450
    assert (out / "study.yaml").exists() and (out / "design.parquet").exists()
    assert cli(["check", str(tmp_path / "missing.yaml")]) == 2
    assert "no such study file" in capsys.readouterr().err


@pytest.mark.parametrize("path", sorted((ROOT / "studies").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_study_validates(path):
    study = load_study(path)
    assert make_design(study, study.load_base_scenario() if study.uses_scenario else None).shape[0] > 0


# --------------------------------------------------------------------------- the real model
def test_a_tiny_study_of_the_real_model_runs_on_dask_and_matches_run_scenario(dask_client, tmp_path):
    from model.run import run_scenario
    from model.scenario import load_scenario

    study = load_study({"name": "tiny", "parameters": ["uncertainties.friend_weight", "uncertainties.search_prob_per_week"],
                        "design": {"method": "lhs", "n": 2}, "replications": 2, "outputs": ["reach", "participation_gap_means"],
                        "weeks": 4, "population_scale": 0.01})
    results = run_study(study, tmp_path / "tiny", client=dask_client, progress=False)

    assert results.complete and set(results.runs["status"]) == {"ok"}, results.runs["error"].tolist()
    run = results.runs.iloc[3]
    scenario = load_scenario("baseline").with_values({p: float(run[p]) for p in study.parameter_names})
    direct = run_scenario(scenario, seed=int(run["seed"]), weeks=4, population_scale=0.01).summary
    assert run["reach"] == direct["reach"] and run["participation_gap_means"] == direct["participation_gap_means"]
    assert "reach" in report(results)

    # the explorer's "open this run in the workshop" rebuilds exactly that run's scenario and seed
    reopened, seed = load_results(tmp_path / "tiny").scenario_of_run(int(run["run_id"]))
    assert seed == int(run["seed"]) and reopened.name == f"tiny-run{int(run['run_id'])}"
    assert run_scenario(reopened, seed=seed).summary["reach"] == run["reach"]
    with pytest.raises(KeyError, match="no run 99"):
        results.scenario_of_run(99)


# --------------------------------------------------------------------------- one folder, one run, one design
def test_a_second_run_into_a_folder_that_is_being_run_is_refused(tmp_path):
    import fcntl

    folder = tmp_path / "busy"
    with open(tmp_path / ".busy.lock", "a+") as held:  # what a running study holds
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(StudyError, match="being run by another process"):
            run_study(ishigami_study(), folder, serial=True, progress=False)
    assert run_study(ishigami_study(), folder, serial=True, progress=False).complete


def test_indices_refuse_points_with_missing_replications_unless_asked(tmp_path):
    study = ishigami_study(design={"method": "morris", "trajectories": 6, "levels": 4}, replications=2)
    results = run_study(study, tmp_path / "m", serial=True, progress=False)
    results.runs = results.runs[results.runs["run_id"] != 1]  # point 0 keeps 1 of 2 replications
    with pytest.raises(ValueError, match="every replication"):
        morris_indices(results, ["y"])
    assert len(morris_indices(results, ["y"], allow_partial=True)) == 3


def test_a_folder_whose_design_no_longer_matches_is_refused_on_resume(tmp_path):
    folder = tmp_path / "d"
    run_study(ishigami_study(), folder, serial=True, progress=False, max_runs=10)
    design = pd.read_parquet(folder / "design.parquet")
    design.loc[0, "x1"] += 0.5  # as if a new sampler had drawn another design
    design.to_parquet(folder / "design.parquet", index=False)
    with pytest.raises(StudyError, match="differs from the stored design"):
        run_study(ishigami_study(), folder, serial=True, progress=False)
