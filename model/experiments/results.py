"""The results folder of a study: what it holds, how it is written and read back.

::

    var/studies/<name>/
        study.yaml          canonical copy of the study (defaults filled in)
        manifest.json       fingerprint, base scenario, versions, sizes
        design.parquet      the full sample as drawn (point_id + one column per parameter)
        part-00001.parquet  runs, one row each, written atomically in chunks as they finish
        part-00002.parquet  ...

A folder belongs to one study: its fingerprint (a hash of the canonical study and the
base scenario's content) is checked before any run, so results of different studies
never mix. Rows of a run written twice (a retried error) count once: the later wins.
"""
from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.paths import write_atomic
from model.experiments.study import Study, StudyError, load_study
from model.paths import var_dir

RUN_COLUMNS = ("run_id", "point_id", "replication", "seed")
STATUS_COLUMNS = ("status", "error", "duration_s")
TIMING_COLUMNS = ("duration_s",)
MANIFEST = "manifest.json"


def default_results_root() -> Path:
    """Where studies write by default: ``var/studies/`` (``LEERECO_VAR_DIR`` moves it)."""
    return var_dir() / "studies"


@dataclass
class StudyResults:
    """A results folder read back: the study, its design and one row per finished run."""

    path: Path
    study: Study
    design: pd.DataFrame
    runs: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    executed: list[int] = field(default_factory=list)  # run_ids executed by the call that returned this

    @property
    def n_expected(self) -> int:
        return len(self.design) * self.study.replications

    @property
    def complete(self) -> bool:
        return len(self.runs) == self.n_expected

    @property
    def ok(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == "ok"]

    @property
    def errors(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] != "ok"]

    def point_means(self, outputs: list[str] | None = None) -> pd.DataFrame:
        """The design (as drawn) with each output's mean over the successful replications.

        ``n_ok`` counts those replications; a point without any has NaN outputs.
        """
        outputs = outputs or self.study.output_names
        ok = self.ok
        means = ok.groupby("point_id")[outputs].mean()
        frame = self.design.set_index("point_id").join(means, how="left")
        frame["n_ok"] = ok.groupby("point_id").size().reindex(frame.index, fill_value=0)
        return frame.reset_index()

    def runs_of_point(self, point_id: int) -> pd.DataFrame:
        return self.runs[self.runs["point_id"] == point_id]

    def scenario_of_run(self, run_id: int):
        """The scenario and seed behind one run of a study of the real model, ready to open in the workshop.

        Returns ``(scenario, seed)``: the study's base scenario with the run's parameter values,
        weeks and population scale, named ``<study>-run<run_id>``.
        """
        from model.scenario import validate_scenario

        base = self.manifest.get("base_scenario")
        if base is None:
            raise ValueError(f"{self.path}: study {self.study.name!r} is not a study of the model (model: {self.study.model}); "
                             "only runs of the real model open in the workshop app")
        row = self.runs[self.runs["run_id"] == int(run_id)]
        if row.empty:
            raise KeyError(f"{self.path}: no run {run_id}; runs go from 0 to {self.n_expected - 1}")
        row = row.iloc[0]
        values = {name: (row[name].item() if hasattr(row[name], "item") else row[name]) for name in self.study.parameter_names}
        if self.study.weeks is not None:
            values["run.weeks"] = int(self.study.weeks)
        if self.study.population_scale is not None:
            values["run.population_scale"] = float(self.study.population_scale)
        values["name"] = f"{self.study.name}-run{int(run_id)}"
        return validate_scenario(base, source=str(self.path)).with_values(values), int(row["seed"])

    def summary(self) -> str:
        counts = self.runs["status"].value_counts().to_dict() if len(self.runs) else {}
        return (f"{self.study.name}: {len(self.runs)} of {self.n_expected} runs "
                f"({counts.get('ok', 0)} ok, {len(self.runs) - counts.get('ok', 0)} errors) in {self.path}")


# --------------------------------------------------------------------------- folder checks
def manifest_for(study: Study, base_scenario: dict | None, n_points: int) -> dict[str, Any]:
    import dask

    return {
        "fingerprint": study.fingerprint(base_scenario),
        "study": study.canonical(),
        "base_scenario": base_scenario,
        "n_points": n_points,
        "n_runs": n_points * study.replications,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "versions": {"numpy": np.__version__, "pandas": pd.__version__, "dask": dask.__version__},
    }


def _differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {json.dumps(a)[:80]} there, {json.dumps(b)[:80]} now")
    return out


def prepare_folder(path: Path, study: Study, base_scenario: dict | None, design: pd.DataFrame, create: bool = True) -> None:
    """Check the results folder (and create it unless ``create=False``); refuse one that
    holds another study's results."""
    path = Path(path)
    manifest_path = path / MANIFEST
    new = manifest_for(study, base_scenario, len(design))
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
        if old.get("fingerprint") != new["fingerprint"]:
            def strip(study: dict | None) -> dict:
                return {k: v for k, v in (study or {}).items() if k != "description"}

            diffs = _differences({"study": strip(old.get("study")), "base_scenario": old.get("base_scenario")},
                                 {"study": strip(new["study"]), "base_scenario": new["base_scenario"]})
            shown = "; ".join(diffs[:5]) + (f"; and {len(diffs) - 5} more" if len(diffs) > 5 else "")
            raise StudyError(
                f"{path} holds the results of a different study (fingerprint {old.get('fingerprint')}, this study's is "
                f"{new['fingerprint']}): {shown}. Choose another results folder (--results), or rename the study.")
        # same study, but is it still the same design? (a changed sampler or library draws another one)
        stored = pd.read_parquet(path / "design.parquet")
        same = stored.shape == design.shape and list(stored.columns) == list(design.columns) and all(
            np.allclose(stored[c].to_numpy(dtype=float), design[c].to_numpy(dtype=float), equal_nan=True)
            for c in design.columns)
        if not same:
            raise StudyError(f"{path}: the design drawn now differs from the stored design.parquet (a library or "
                             "sampler changed since the study started); resuming would mix two designs. "
                             "Run the study into a new results folder (--results).")
        return
    # a setup that stopped before the manifest (only design and study.yaml written) is taken over
    leftovers = {"design.parquet", "study.yaml"}
    if path.exists() and any(p for p in path.iterdir() if not p.name.startswith(".") and p.name not in leftovers):
        raise StudyError(f"{path} is not empty and has no {MANIFEST}: it is not a results folder of a study; choose an empty or new folder")
    if not create:
        return
    path.mkdir(parents=True, exist_ok=True)
    write_atomic(path / "design.parquet", lambda tmp: design.to_parquet(tmp, index=False))
    write_atomic(path / "study.yaml", lambda tmp: Path(tmp).write_text(study.to_yaml(), encoding="utf-8"))
    # the manifest last: a folder with a manifest has its design and study.yaml
    write_atomic(manifest_path, lambda tmp: Path(tmp).write_text(json.dumps(new, indent=2), encoding="utf-8"))


# --------------------------------------------------------------------------- parts
def part_files(path: Path) -> list[Path]:
    return sorted(Path(path).glob("part-*.parquet"))


def write_part(path: Path, frame: pd.DataFrame) -> Path:
    """Append a chunk of runs as the next ``part-NNNNN.parquet``."""
    parts = part_files(path)
    number = int(parts[-1].stem.split("-")[1]) + 1 if parts else 1
    target = Path(path) / f"part-{number:05d}.parquet"
    write_atomic(target, lambda tmp: frame.to_parquet(tmp, index=False))
    return target


def read_runs(path: Path) -> pd.DataFrame:
    """All runs in the folder's parts, one row per run_id (the last written wins), by run_id."""
    parts = part_files(path)
    if not parts:
        return pd.DataFrame(columns=[*RUN_COLUMNS, *STATUS_COLUMNS])
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    frame = frame.drop_duplicates("run_id", keep="last").sort_values("run_id", kind="stable")
    return frame.reset_index(drop=True)


def load_results(path: str | Path) -> StudyResults:
    """Read a results folder (complete or not) into :class:`StudyResults`."""
    path = Path(path)
    manifest_path = path / MANIFEST
    if not manifest_path.exists():
        raise StudyError(f"{path}: no {MANIFEST}; not a results folder (run a study into it first)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    study = load_study(manifest["study"])
    design = pd.read_parquet(path / "design.parquet")
    return StudyResults(path=path, study=study, design=design, runs=read_runs(path), manifest=manifest)


def list_results(root: str | Path | None = None) -> list[Path]:
    """Results folders under ``root`` (default ``var/studies/``), newest first."""
    root = Path(root) if root is not None else default_results_root()
    if not root.exists():
        return []
    found = [p.parent for p in root.glob(f"*/{MANIFEST}")]
    return sorted(found, key=lambda p: (p / MANIFEST).stat().st_mtime, reverse=True)
