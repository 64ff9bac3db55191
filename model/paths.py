"""Where the project's files live, resolved from this file so that every entry point
(apps, notebooks, tests, Dask workers) finds the same data."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

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


def write_atomic(target: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``target``, then rename it onto ``target``.

    A reader never sees half a file, and a failed write leaves ``target`` as it was. The
    temporary file keeps ``target``'s suffix (``np.save`` and pandas writers rely on it).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
