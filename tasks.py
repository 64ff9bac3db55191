#!/usr/bin/env python3
"""The project's commands, needing nothing but Python 3.11+ (standard library only).

    python3 tasks.py app      set up .venv from pyproject.toml and start the workshop app
    python3 tasks.py test     set up .venv (with test extras) and run the whole test suite
    python3 tasks.py bench    run the benchmarks in benchmarks/ and print their tables
    python3 tasks.py explorer serve the study explorer (results of sensitivity studies)
    python3 tasks.py planner  serve the site planner (city planners)
    python3 tasks.py monitor  serve the pilot monitor (pilot teams)
    python3 tasks.py lab      start JupyterLab in the project's environment
    python3 tasks.py refresh  download current OSM/Statbel data for Genk (needs internet)
    python3 tasks.py mutate   mutation testing of the model's rule code (slow; not part of `test`)

The virtual environment is (re)installed only when pyproject.toml changed since the
last install (a hash stamp in .venv/), so the second call starts at once.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("LEERECO_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def ensure_venv(extras: str = "test") -> None:
    """Create .venv and install the project (with extras) when pyproject.toml changed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.read_text().strip() == digest and PY.exists():
        return
    if not PY.exists():
        print(f"Creating the virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing the project and its dependencies (a few minutes the first time) ...", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "-e", f".[{extras}]"], check=True, cwd=ROOT)
    stamp.write_text(digest)


def run(*args: str) -> int:
    return subprocess.call([str(PY), *args], cwd=ROOT)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    ensure_venv("test,mutation" if command == "mutate" else "test")
    if command == "app":
        return run("-m", "apps.server", "--port", "5006", *rest)  # /workshop, and /explorer beside it
    if command == "test":
        code = run("-m", "pytest", "-n", "2", "--nbmake", "tests", "notebooks", *rest)
        if code == 5:
            print("pytest collected no tests: that is a failure, not a pass", file=sys.stderr)
        return code
    if command == "bench":
        code = 0
        for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
            print(f"\n=== {script.name} ===", flush=True)
            code = run(str(script), *rest) or code
        return code
    if command == "explorer":
        # the same server as `app` (its links open runs in /workshop), on its own port
        return run("-m", "apps.server", "--port", "5007", "--open", "explorer", *rest)
    if command in ("planner", "monitor"):  # the same server; the app's address printed first
        page = {"planner": "site-planner", "monitor": "pilot-monitor"}[command]
        return run("-m", "apps.server", "--port", "5006", "--open", page, *rest)
    if command == "lab":
        # notebooks/ is stored without outputs: JupyterLab's (auto)save strips them (apps.server)
        return subprocess.call([str(BIN / "jupyter"), "lab", "--notebook-dir", str(ROOT),
                                "--ContentsManager.pre_save_hook=apps.server.strip_outputs_before_save", *rest], cwd=ROOT)
    if command == "refresh":
        return run("-m", "model.data", "refresh", *rest)
    if command == "mutate":
        # [tool.mutmut] in pyproject.toml says what is mutated and which tests must kill the mutants
        code = subprocess.call([str(BIN / "mutmut"), "run", *rest], cwd=ROOT)
        subprocess.call([str(BIN / "mutmut"), "results"], cwd=ROOT)
        return code
    print(f"unknown command {command!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
