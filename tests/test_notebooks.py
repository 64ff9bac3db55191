"""The notebooks in notebooks/ are clean, orchestrate the package and hold no model logic.

Executing them is nbmake's job (``pytest --nbmake notebooks``, part of
``python3 tasks.py test``, which runs them in memory and never writes them back);
these tests read the stored files only, so they are fast:

- every notebook is stored without outputs and without execution counts, and small;
- JupyterLab started by ``python3 tasks.py lab`` saves notebooks under ``notebooks/``
  without outputs (its pre-save hook), so autosave cannot put them back;
- an app is shown in a notebook through a frame of fixed height, served from the
  kernel (``apps.server.show_in_notebook``): full size in JupyterLab, and a few hundred
  bytes of output instead of tens of megabytes;
- a notebook defines no model logic the package does not have: no ``def``, ``class``
  or named ``lambda`` in a code cell, and imports only from the package, the standard
  library and the plotting/data stack (:data:`ALLOWED_IMPORTS`);
- every notebook opens with a title and keeps its run-time files out of the checkout;
- the README tells how to start JupyterLab and which notebook to open first.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import sys
import urllib.request
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {"tour.ipynb", "sensitivity.ipynb"}

# Top-level modules a notebook may import from, besides the standard library.
ALLOWED_IMPORTS = frozenset({
    "model", "apps", "numpy", "pandas", "panel", "holoviews", "hvplot", "geoviews", "bokeh", "matplotlib",
    "IPython", "dask",
})
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}
MAX_STORED_BYTES = 64_000  # the notebooks are text: an output that slipped in (a plot, inlined JS) is megabytes
SAVE_HOOK = "apps.server.strip_outputs_before_save"


def notebook_id(path: Path) -> str:
    return f"notebooks/{path.name}"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def import_allowed(module: str) -> bool:
    top = module.split(".")[0]
    return top in ALLOWED_IMPORTS or top in STDLIB


def logic_violations(nb: nbformat.NotebookNode, name: str) -> list[str]:
    """Every place where a notebook defines logic or imports from outside the allow-list.

    Each entry names the notebook, the cell (counting from 1, markdown cells included, as
    JupyterLab lists them), the line within the cell and the offending source line.
    """
    problems: list[str] = []
    to_python = TransformerManager()  # turns %magics and !shell lines into plain Python
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        source = cell.source
        lines = source.splitlines()
        try:
            tree = ast.parse(to_python.transform_cell(source))
        except SyntaxError as exc:
            problems.append(f"{name}, cell {number}, line {exc.lineno}: does not parse ({exc.msg})")
            continue

        def report(node: ast.AST, what: str) -> None:
            lineno = getattr(node, "lineno", 1)
            text = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
            problems.append(f"{name}, cell {number}, line {lineno}: {what}: `{text}`")

        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                report(node, f"defines function {node.name!r}; put it in model/ (or apps/) and call it")
            elif isinstance(node, ast.ClassDef):
                report(node, f"defines class {node.name!r}; put it in model/ (or apps/) and use it")
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and isinstance(node.value, ast.Lambda):
                report(node, "names a lambda (a function by another name); put it in model/ (or apps/)")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if not import_allowed(alias.name):
                        report(node, f"imports {alias.name!r}, which is not in the allow-list {sorted(ALLOWED_IMPORTS)} "
                                     "or the standard library")
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    report(node, "uses a relative import; import from the package (model, apps)")
                elif not import_allowed(node.module or ""):
                    report(node, f"imports from {node.module!r}, which is not in the allow-list "
                                 f"{sorted(ALLOWED_IMPORTS)} or the standard library")
            elif isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if called in ("__import__", "import_module"):
                    arg = node.args[0] if node.args else None
                    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str) and import_allowed(arg.value)):
                        report(node, "imports dynamically from outside the allow-list")
    return problems


# --------------------------------------------------------------------------- the notebooks exist
def test_the_tour_and_the_sensitivity_study_are_in_notebooks():
    assert EXPECTED <= {p.name for p in NOTEBOOKS}, f"missing in {NOTEBOOK_DIR}: {sorted(EXPECTED - {p.name for p in NOTEBOOKS})}"


# --------------------------------------------------------------------------- stored clean
@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_is_stored_without_outputs_or_execution_counts(path: Path):
    nb = read(path)
    dirty = [f"cell {i} ({'outputs' if cell.get('outputs') else 'execution_count'})"
             for i, cell in enumerate(nb.cells, start=1)
             if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, (f"{notebook_id(path)} is stored with outputs or execution counts in {', '.join(dirty)}; "
                       f"clear them: jupyter nbconvert --clear-output --inplace {notebook_id(path)}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_is_stored_small(path: Path):
    size = path.stat().st_size
    assert size < MAX_STORED_BYTES, (f"{notebook_id(path)} is {size:,} bytes (bound {MAX_STORED_BYTES:,}): an output or "
                                     "embedded data was stored; clear outputs and keep data in data/")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_is_a_valid_nbformat_4_file(path: Path):
    nbformat.validate(read(path))


# --------------------------------------------------------------------------- no model logic
@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_defines_no_model_logic_the_package_does_not_have(path: Path):
    problems = logic_violations(read(path), notebook_id(path))
    assert not problems, "a notebook only orchestrates and plots; move logic into the package:\n" + "\n".join(problems)


def test_the_logic_check_names_notebook_cell_and_line_of_each_offence():
    """The check above is not vacuous: a notebook with logic and a foreign import fails it."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("import pandas as pd\nfrom model.run import run_scenario\nimport os, json\n%matplotlib inline"),
        nbformat.v4.new_code_cell("x = 1\n\ndef reach(model):\n    return 0"),
        nbformat.v4.new_code_cell("class Resident:\n    pass\nscale = lambda v: v * 2\nasync def go():\n    pass"),
        nbformat.v4.new_code_cell("import requests\nfrom scipy import stats\nfrom . import local\n__import__('sklearn')"),
        nbformat.v4.new_code_cell("df.assign(y=lambda d: d.x)  # an inline lambda argument is fine"),
    ])
    problems = logic_violations(nb, "notebooks/example.ipynb")
    assert len(problems) == 8, "\n".join(problems)
    assert problems[0].startswith("notebooks/example.ipynb, cell 3, line 3: defines function 'reach'")
    assert problems[0].endswith("`def reach(model):`")
    assert any("cell 4, line 1: defines class 'Resident'" in p for p in problems)
    assert any("cell 4, line 3: names a lambda" in p and "`scale = lambda v: v * 2`" in p for p in problems)
    assert any("cell 4, line 4: defines function 'go'" in p for p in problems)
    assert any("cell 5, line 1: imports 'requests'" in p and "`import requests`" in p for p in problems)
    assert any("cell 5, line 2: imports from 'scipy'" in p for p in problems)
    assert any("cell 5, line 3: uses a relative import" in p for p in problems)
    assert any("cell 5, line 4: imports dynamically" in p for p in problems)


# --------------------------------------------------------------------------- titles and run-time folder
@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_opens_with_a_title(path: Path):
    markdown = [cell for cell in read(path).cells if cell.cell_type == "markdown"]
    assert markdown, f"{notebook_id(path)} has no markdown cell; start it with one holding a '# Title'"
    first_line = next((line.strip() for line in markdown[0].source.splitlines() if line.strip()), "")
    assert first_line.startswith("# ") and len(first_line) > 2, (
        f"{notebook_id(path)}: the first markdown cell should start with a title line '# ...', got {first_line!r}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_keeps_its_run_time_files_out_of_the_checkout(path: Path):
    code = [cell.source for cell in read(path).cells if cell.cell_type == "code"]
    assert code and "LEERECO_VAR_DIR" in code[0], (
        f"{notebook_id(path)}: the first code cell should point LEERECO_VAR_DIR at a temporary folder unless it is "
        "set, e.g. os.environ.setdefault('LEERECO_VAR_DIR', tempfile.mkdtemp())")


# --------------------------------------------------------------------------- README
def test_readme_says_how_to_start_jupyterlab_and_which_notebook_to_open_first():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for phrase in ("python3 tasks.py lab", "notebooks/tour.ipynb"):
        assert phrase in readme, f"README.md should mention {phrase!r}"


# --------------------------------------------------------------------------- saved and executed without bloat
def executed_copy() -> dict:
    """A notebook as JupyterLab holds it after a run: outputs, execution counts, widget state."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("1 + 1")])
    nb.cells[1].execution_count = 1
    nb.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2", "text/html": "x" * 10_000},
                                                  execution_count=1)]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return json.loads(nbformat.writes(nb))


def test_jupyterlab_saves_notebooks_under_notebooks_without_outputs(tmp_path):
    """Through Jupyter's own contents manager, configured as `tasks.py lab` configures it."""
    from jupyter_server.services.contents.filemanager import FileContentsManager

    manager = FileContentsManager(root_dir=str(tmp_path), pre_save_hook=SAVE_HOOK)
    (tmp_path / "notebooks").mkdir()
    manager.save({"type": "notebook", "format": "json", "content": executed_copy()}, "notebooks/tour.ipynb")
    saved = nbformat.read(tmp_path / "notebooks" / "tour.ipynb", as_version=4)
    assert saved.cells[1].outputs == [] and saved.cells[1].execution_count is None
    assert "widgets" not in saved.metadata and saved.cells[1].source == "1 + 1"
    # a notebook of one's own elsewhere keeps what it shows
    manager.save({"type": "notebook", "format": "json", "content": executed_copy()}, "scratch.ipynb")
    assert nbformat.read(tmp_path / "scratch.ipynb", as_version=4).cells[1].outputs


def load_tasks():
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    return tasks


def command_line(monkeypatch, *argv: str) -> list[str]:
    """The command `python3 tasks.py <argv>` would start (nothing is run)."""
    tasks = load_tasks()
    started: list[list[str]] = []
    monkeypatch.setattr(tasks, "ensure_venv", lambda *a, **k: None)
    monkeypatch.setattr(tasks.subprocess, "call", lambda args, **kw: started.append([str(a) for a in args]) or 0)
    tasks.main(list(argv))
    assert len(started) == 1
    return started[0]


def test_tasks_lab_starts_jupyterlab_with_the_hook_that_strips_outputs(monkeypatch):
    assert f"--ContentsManager.pre_save_hook={SAVE_HOOK}" in command_line(monkeypatch, "lab")


def test_executing_the_notebooks_in_the_test_suite_never_writes_them_back(monkeypatch):
    args = command_line(monkeypatch, "test")
    assert "--nbmake" in args and "notebooks" in args
    assert not any(a.startswith("--overwrite") for a in args), "nbmake --overwrite writes outputs into notebooks/"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "--overwrite" not in pyproject


def test_an_app_shown_in_a_notebook_is_served_from_the_kernel_in_a_frame_of_fixed_height():
    import panel as pn

    from apps import server

    app = pn.Column(pn.pane.Markdown("# Probe"), sizing_mode="stretch_both")
    frame = server.show_in_notebook(app, height=900, name="probe")
    port = int(frame.src.split(":")[2].split("/")[0])
    try:
        html = frame._repr_html_()
        assert 'height="900"' in html and 'width="100%"' in html
        assert len(html.encode()) < 1_000  # the whole output of the cell
        assert frame.src.startswith("http://127.0.0.1:") and frame.src.endswith("/probe")
        assert urllib.request.urlopen(frame.src, timeout=30).status == 200
    finally:
        server._IN_NOTEBOOK.pop(port).stop()


def test_the_tour_shows_the_workshop_app_in_a_frame_not_as_an_embedded_document():
    tour = read(NOTEBOOK_DIR / "tour.ipynb")
    code = [cell.source for cell in tour.cells if cell.cell_type == "code"]
    app_cells = [source for source in code if "create_app(" in source]
    assert app_cells, "the tour should end with the workshop app"
    for source in app_cells:
        last = source.strip().splitlines()[-1]
        assert last.startswith("show_in_notebook("), (
            f"the tour displays the app as {last!r}: embedded, it is a 45 px strip in JupyterLab and ~44 MB of output; "
            "show it with apps.server.show_in_notebook(app, height=...)")
