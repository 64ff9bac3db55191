"""The study explorer: its state loads results folders made by tiny analytic studies,
every view renders (also for a study that has started but written no runs), inputs and
outputs carry their labels from the schema, a run links to the workshop app on the same
server, and the folder box never reads outside the studies folder."""
from __future__ import annotations

import os
from urllib.parse import parse_qs, urljoin, urlparse

import numpy as np
import panel as pn
import pytest

from apps.explorer import (
    ExplorerState,
    FolderPicker,
    IndicesView,
    ParallelView,
    ProgressView,
    RunsView,
    ScatterView,
    create_app,
    display_label,
)
from model.experiments import load_study, plan_study, run_study
from model.experiments.results import write_part

UNCERTAINTIES = ["uncertainties.search_prob_per_week", "uncertainties.friend_weight"]


@pytest.fixture(scope="module")
def studies_root(tmp_path_factory):
    """A root with two results folders: a Morris study of the G-function (2 replications) and
    a partly finished Sobol' study of Ishigami."""
    root = tmp_path_factory.mktemp("studies")
    morris = load_study({"name": "g-morris", "model": "analytic:g_function", "parameters": ["x1", "x2", "x3", "x4"],
                         "design": {"method": "morris", "trajectories": 6}, "replications": 2, "seed": 1})
    run_study(morris, root / "g-morris", serial=True, progress=False)
    sobol = load_study({"name": "ish-sobol", "model": "analytic:ishigami", "parameters": ["x1", "x2", "x3"],
                        "design": {"method": "sobol", "n": 64}})
    run_study(sobol, root / "ish-sobol", serial=True, progress=False, max_runs=100)
    return root


def g_study(name: str = "g-started", description: str | None = None):
    spec = {"name": name, "model": "analytic:g_function", "parameters": ["x1", "x2"],
            "design": {"method": "morris", "trajectories": 4}, "replications": 2, "seed": 1}
    if description:
        spec["description"] = description
    return load_study(spec)


@pytest.fixture
def started_root(tmp_path):
    """A root with one study that has started (folder, design and manifest written) but has no runs yet."""
    plan_study(g_study(), tmp_path / "g-started", create=True)
    return tmp_path


@pytest.fixture(scope="module")
def model_study_root(tmp_path_factory):
    """A study of the real model over two uncertainties, its runs written by hand (no simulation)."""
    root = tmp_path_factory.mktemp("model-studies")
    study = load_study({"name": "uncertain", "model": "leerecosysteem", "base_scenario": "baseline",
                        "parameters": UNCERTAINTIES, "design": {"method": "lhs", "n": 12}, "replications": 1, "seed": 3,
                        "outputs": ["reach", "participation_gap_means"], "weeks": 4, "population_scale": 0.01})
    plan = plan_study(study, root / "uncertain", create=True)
    runs = plan.runs.copy()
    rng = np.random.default_rng(0)
    runs["reach"] = 20 + 10 * runs[UNCERTAINTIES[0]] + rng.normal(0, 0.1, len(runs))
    runs["participation_gap_means"] = rng.normal(3, 1, len(runs))
    runs["status"], runs["error"], runs["duration_s"] = "ok", "", 0.1
    write_part(root / "uncertain", runs)
    return root


def render(viewable) -> None:
    pn.panel(viewable).get_root()


# --------------------------------------------------------------------------- loading and views
def test_the_state_lists_the_results_folders_and_loads_one(studies_root):
    state = ExplorerState(studies_root=studies_root)
    assert set(state.param.folder.objects) == {"g-morris", "ish-sobol"}
    state.folder = "g-morris"
    assert state.results.study.name == "g-morris"
    assert state.output == "y" and state.x_input == "x1" and state.point_id == 0
    table = state.index_table()
    assert list(table["parameter"]) == ["x1", "x2", "x3", "x4"]
    assert table.set_index("parameter")["mu_star"].idxmax() == "x1"
    assert len(state.point_runs()) == 2  # two replications behind each point


def test_every_view_renders_for_a_complete_and_an_incomplete_study(studies_root):
    state = ExplorerState(studies_root=studies_root)
    views = [FolderPicker(state=state), ProgressView(state=state), IndicesView(state=state), ScatterView(state=state),
             ParallelView(state=state), RunsView(state=state)]
    for folder in ("g-morris", "ish-sobol"):
        state.folder = folder
        for view in views:
            render(view)
    # the Sobol' study is unfinished: no indices yet, and the reason is shown
    assert state.index_table().empty
    assert "no successful run" in state.message


def test_choosing_another_input_output_or_point_updates_what_is_shown(studies_root):
    state = ExplorerState(studies_root=studies_root)
    state.folder = "g-morris"
    state.x_input = "x3"
    state.point_id = 5
    assert set(state.point_runs()["point_id"]) == {5}
    assert RunsView(state=state).links(state.results, 5).count("workshop?") == 2


def test_the_whole_app_builds_and_an_empty_root_says_what_to_do(studies_root, tmp_path):
    app = create_app(studies_root)
    render(app)
    empty = create_app(tmp_path)
    render(empty)
    assert empty.state.results is None and "run a study first" in empty.state.message


def test_the_app_module_imports_without_serving():
    import apps.explorer as explorer

    assert callable(explorer.create_app)


# --------------------------------------------------------------------------- a study that is still running
def test_a_started_study_without_runs_renders_a_progress_view_not_a_blank_page(started_root):
    app = create_app(started_root)
    render(app)  # raised KeyError (no output column yet) before, which left the served page blank
    state = app.state
    assert state.results is not None and state.progress() == (0, 24, 0)
    text = ProgressView(state=state).text(state.results)
    assert "0 van 24 runs" in text and "0 of 24 runs done" in text and "no runs written yet" in text
    assert "no runs yet" in state.message
    assert state.means().empty and state.index_table().empty


def test_the_progress_view_follows_a_running_study_through_its_results_folder(started_root):
    state = ExplorerState(studies_root=started_root)
    assert state.poll() is False  # nothing new written
    run_study(g_study(), started_root / "g-started", serial=True, progress=False, max_runs=6)
    assert state.poll() is True
    assert state.progress()[0] == 6 and "6 of 24 runs done" in ProgressView(state=state).text(state.results)
    assert "running" in ProgressView(state=state).text(state.results)
    state.x_input = "x2"  # a choice made while the study runs survives the next read
    run_study(g_study(), started_root / "g-started", serial=True, progress=False)
    assert state.poll() is True and state.x_input == "x2"
    assert "24 of 24 runs done" in ProgressView(state=state).text(state.results)
    assert state.poll() is False  # complete: the folder is no longer read


# --------------------------------------------------------------------------- labels from the schema
def test_inputs_and_outputs_are_shown_by_their_dutch_and_english_labels_with_units(model_study_root):
    state = ExplorerState(studies_root=model_study_root)
    assert display_label("uncertainties.search_prob_per_week") == "Zoekkans / Search probability (kans/week)"
    inputs = state.param.x_input.names
    assert "Zoekkans / Search probability (kans/week)" in inputs
    assert all("uncertainties." not in label for label in inputs)
    outputs = state.param.output.names
    assert outputs and all(label != name for label, name in outputs.items())
    assert state.x_input == UNCERTAINTIES[0]  # the value stays the schema's name
    table = IndicesView(state=state).table(state.results, state.output)
    assert "Zoekkans / Search probability" in set(table["invoer / input"])
    ticks = dict(ParallelView(state=state).plot(state.results, state.output).opts.get().kwargs["xticks"])
    assert ticks[0] == "Zoekkans / Search probability"
    runs = RunsView(state=state).table(state.results, state.point_id)
    assert "Zoekkans / Search probability" in runs.columns and UNCERTAINTIES[0] not in runs.columns
    render(create_app(model_study_root))


def test_names_nobody_declared_are_shown_as_they_are():
    assert display_label("x1") == "x1"


# --------------------------------------------------------------------------- links to the workshop
def test_the_open_in_workshop_link_names_the_study_folder_and_the_run(studies_root):
    state = ExplorerState(studies_root=studies_root)
    state.folder = "g-morris"
    run_id = int(state.point_runs()["run_id"].iloc[1])
    url = urlparse(state.workshop_url(run_id))
    assert parse_qs(url.query) == {"study": ["g-morris"], "run": [str(run_id)]}


@pytest.mark.parametrize("page", ["http://127.0.0.1:5007/explorer", "http://127.0.0.1:5006/explorer",
                                  "http://example.org/prefix/explorer?x=1"])
def test_the_workshop_link_reaches_the_workshop_app_on_whichever_server_shows_the_explorer(studies_root, page):
    state = ExplorerState(studies_root=studies_root)
    state.folder = "g-morris"
    target = urlparse(urljoin(page, state.workshop_url(3)))
    served = urlparse(page)
    assert (target.netloc, target.path) == (served.netloc, served.path.rsplit("/", 1)[0] + "/workshop")


# --------------------------------------------------------------------------- only below the studies folder
@pytest.mark.parametrize("typed, why", [
    ("..", "'..' is not allowed"),
    ("../..", "'..' is not allowed"),
    ("sub/../../x", "'..' is not allowed"),
    ("..\\x", "'..' is not allowed"),
    ("/etc", "not an absolute path"),
    ("C:\\Windows", "not an absolute path"),
    ("\\\\server\\share", "not an absolute path"),
    ("~", "not an absolute path"),
    ("g-morris\x00", "null character"),
    ("x" * 500, "longer than"),
])
def test_the_folder_box_refuses_paths_that_leave_the_studies_folder(studies_root, typed, why):
    state = ExplorerState(studies_root=studies_root)
    assert state.results is not None
    state.root = typed
    assert state.results is None and state.param.folder.objects in ([], [None])
    assert why in state.message
    assert str(studies_root) not in state.message and os.sep + "tmp" not in state.message
    assert why in FolderPicker._summary(state.results, state.message)


def test_a_symlink_out_of_the_studies_folder_is_not_followed(studies_root, tmp_path):
    base = tmp_path / "studies"
    base.mkdir()
    (base / "elsewhere").symlink_to(studies_root, target_is_directory=True)  # a folder of studies outside
    (base / "one-study").symlink_to(studies_root / "g-morris", target_is_directory=True)  # one study outside
    state = ExplorerState(studies_root=base)
    assert state.param.folder.objects in ([], [None]), "a results folder outside was listed"
    state.root = "elsewhere"
    assert state.results is None and "leads outside the studies folder" in state.message
    assert str(studies_root) not in state.message


def test_a_subfolder_of_the_studies_folder_is_read_and_linked_by_its_path(studies_root, tmp_path):
    base = tmp_path / "studies"
    run_study(g_study("g-sub"), base / "spring" / "g-sub", serial=True, progress=False)
    state = ExplorerState(studies_root=base)
    state.root = "spring"
    assert state.folder == "g-sub" and state.results is not None and state.message == ""
    assert parse_qs(urlparse(state.workshop_url(0)).query)["study"] == ["spring/g-sub"]


def test_a_folder_that_cannot_be_read_says_so_without_a_server_path(tmp_path):
    plan_study(g_study("g-broken"), tmp_path / "g-broken", create=True)
    (tmp_path / "g-broken" / "design.parquet").write_bytes(b"not parquet")
    state = ExplorerState(studies_root=tmp_path)
    assert state.results is None and state.message.startswith("g-broken")
    assert str(tmp_path) not in state.message
    render(create_app(tmp_path))


def test_text_from_a_results_folder_is_shown_as_text_not_markup(tmp_path):
    plan_study(g_study("g-xss", description="<img src=x onerror=alert(1)> **bold**"), tmp_path / "g-xss", create=True)
    state = ExplorerState(studies_root=tmp_path)
    summary = FolderPicker._summary(state.results, state.message)
    assert "<img" not in summary and "&lt;img src=x onerror=alert(1)&gt;" in summary
    assert "\\*\\*bold\\*\\*" in summary


# --------------------------------------------------------------------------- one server for both apps
def test_tasks_app_and_explorer_both_serve_the_workshop_and_the_explorer_from_one_server(monkeypatch):
    import importlib.util
    from pathlib import Path

    from apps import server

    assert set(server.routes()) == {"workshop", "explorer", "site-planner", "pilot-monitor"}
    spec = importlib.util.spec_from_file_location("tasks", Path(__file__).resolve().parent.parent / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    started: list[list[str]] = []
    monkeypatch.setattr(tasks, "ensure_venv", lambda *a, **k: None)
    monkeypatch.setattr(tasks.subprocess, "call", lambda args, **kw: started.append([str(a) for a in args]) or 0)
    tasks.main(["app"])
    tasks.main(["explorer"])
    app, explorer = started
    assert app[1:] == ["-m", "apps.server", "--port", "5006"]
    assert explorer[1:] == ["-m", "apps.server", "--port", "5007", "--open", "explorer"]
