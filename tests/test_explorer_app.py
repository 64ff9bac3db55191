"""The study explorer: its state loads results folders made by tiny analytic studies,
every view renders, and a run links to the workshop app."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import panel as pn
import pytest

from apps.explorer import ExplorerState, FolderPicker, IndicesView, ParallelView, RunsView, ScatterView, create_app
from model.experiments import load_study, run_study


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


def render(viewable) -> None:
    pn.panel(viewable).get_root()


def test_the_state_lists_the_results_folders_and_loads_one(studies_root):
    state = ExplorerState(root=str(studies_root))
    assert set(state.param.folder.objects) == {"g-morris", "ish-sobol"}
    state.folder = "g-morris"
    assert state.results.study.name == "g-morris"
    assert state.output == "y" and state.x_input == "x1" and state.point_id == 0
    table = state.index_table()
    assert list(table["parameter"]) == ["x1", "x2", "x3", "x4"]
    assert table.set_index("parameter")["mu_star"].idxmax() == "x1"
    assert len(state.point_runs()) == 2  # two replications behind each point


def test_every_view_renders_for_a_complete_and_an_incomplete_study(studies_root):
    state = ExplorerState(root=str(studies_root))
    views = [FolderPicker(state=state), IndicesView(state=state), ScatterView(state=state), ParallelView(state=state),
             RunsView(state=state)]
    for folder in ("g-morris", "ish-sobol"):
        state.folder = folder
        for view in views:
            render(view)
    # the Sobol' study is unfinished: no indices yet, and the reason is shown
    assert state.index_table().empty
    assert "no successful run" in state.message


def test_choosing_another_input_output_or_point_updates_what_is_shown(studies_root):
    state = ExplorerState(root=str(studies_root))
    state.folder = "g-morris"
    state.x_input = "x3"
    state.point_id = 5
    assert set(state.point_runs()["point_id"]) == {5}
    assert RunsView(state=state).links(state.results, 5).count("/workshop?") == 2


def test_the_open_in_workshop_link_names_the_study_folder_and_the_run(studies_root):
    state = ExplorerState(root=str(studies_root))
    state.folder = "g-morris"
    run_id = int(state.point_runs()["run_id"].iloc[1])
    url = urlparse(state.workshop_url(run_id))
    assert url.path == "/workshop"
    assert parse_qs(url.query) == {"study": ["g-morris"], "run": [str(run_id)]}


def test_the_whole_app_builds_and_an_empty_root_says_what_to_do(studies_root, tmp_path):
    app = create_app(studies_root)
    render(app)
    empty = create_app(tmp_path)
    render(empty)
    assert empty.state.results is None and "run a study first" in empty.state.message


def test_the_app_module_imports_without_serving():
    import apps.explorer as explorer

    assert callable(explorer.create_app)
