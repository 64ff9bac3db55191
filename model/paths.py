"""Where the project's files live, resolved from this file so that every entry point
(apps, notebooks, tests, Dask workers) finds the same data."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SCENARIO_DIR = ROOT / "scenarios"


def var_dir() -> Path:
    """Folder for run-time state (the scenario store, travel-time caches).

    ``LEERECO_VAR_DIR`` overrides it (tests point it at a temporary folder);
    the default is ``var/`` in the checkout, which git ignores.
    """
    path = Path(os.environ.get("LEERECO_VAR_DIR", ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Folder for derived, rebuildable products (travel-time matrices)."""
    path = var_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
