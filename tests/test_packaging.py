"""The project's own files are enough to set it up: pyproject, environment.yml, CI."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = {}
    for req in project["dependencies"] + project["optional-dependencies"]["test"]:
        name, extra, spec = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]+\])?(.*)$", req).groups()
        reqs[name.lower()] = spec.replace(" ", "")
        if name.lower() == "dask" and extra:
            reqs["distributed"] = spec.replace(" ", "")
    return reqs


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    reqs = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, _, spec = dep.partition(" ")
            reqs[name.lower()] = spec.replace(" ", "")
    return reqs


def test_environment_yml_carries_the_same_dependencies_as_pyproject():
    pyproject, conda = _pyproject_requirements(), _conda_requirements()
    missing = sorted(set(pyproject) - set(conda))
    assert not missing, f"environment.yml lacks {missing}; add them with the ranges of pyproject.toml"
    differing = {name: (spec, conda[name]) for name, spec in pyproject.items() if conda[name] != spec}
    assert not differing, f"ranges differ between pyproject.toml and environment.yml: {differing}"
    extra = sorted(set(conda) - set(pyproject) - {"python", "pip"})
    assert not extra, f"environment.yml has dependencies pyproject.toml lacks: {extra}"


def test_no_declared_dependency_goes_unused():
    """geoviews, cartopy, datashader and mesa-geo were declared but nothing imported them: keep them out."""
    assert not {"geoviews", "cartopy", "datashader", "mesa-geo"} & set(_pyproject_requirements())


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 tasks.py test" in readme
    assert "\npython3 tasks.py test\n" in ci
    assert "apt-get install" in ci and "chromium" in ci
    assert '"$code" -eq 5' in ci, "pytest's exit code 5 (no tests) must fail CI"
