"""The study schema: which model, which parameters within which bounds, which design.

A study is declared in YAML and validated here before any run starts::

    name: uncertainties-morris
    base_scenario: baseline          # a name in scenarios/ or a path
    model: leerecosysteem            # or analytic:ishigami, analytic:g_function
    parameters:
      - uncertainties.friend_weight              # bounds from the scenario schema
      - path: uncertainties.search_prob_per_week
        bounds: [0.05, 0.3]                      # narrower than the schema's: fine
    design: {method: morris, trajectories: 10, levels: 4}
    replications: 2
    seed: 42
    outputs: [reach, participation_gap_means]
    weeks: 52
    population_scale: 0.05

Parameters are the scenario's dotted paths (one name everywhere, see STYLE.md); their
default bounds are those declared once in :mod:`model.scenario`, and bounds outside
them are refused. Outputs are names of :data:`model.indicators.INDICATORS`.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from model.analytic import ANALYTIC_MODELS
from model.paths import ROOT

DESIGN_METHODS = ("oat", "full_factorial", "lhs", "morris", "sobol")
REAL_MODEL = "leerecosysteem"


class StudyError(ValueError):
    """A study that cannot run. The message names the file, the field and how to fix it."""


def _did_you_mean(name: str, options: Any) -> str:
    close = difflib.get_close_matches(str(name), list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- parameters
class ParameterSpec(_Strict):
    """A parameter varied by the study: a dotted path and optional bounds ``[lo, hi]``."""

    path: str = Field(..., min_length=1)
    bounds: tuple[float, float] | None = None

    @field_validator("bounds")
    @classmethod
    def _ordered(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not value[0] < value[1]:
            raise ValueError(f"bounds {list(value)} must be [low, high] with low < high")
        return value


# --------------------------------------------------------------------------- designs
class OatDesign(_Strict):
    """One at a time: each parameter over ``levels`` even steps, the others at the base value."""

    method: Literal["oat"] = "oat"
    levels: int = Field(5, ge=2, le=1001)


class FullFactorialDesign(_Strict):
    """Every combination of ``levels`` even steps per parameter (an int, or one per path)."""

    method: Literal["full_factorial"] = "full_factorial"
    levels: int | dict[str, int] = 3
    max_points: int = Field(100_000, ge=1, description="refuse larger grids (a typo guard)")


class LhsDesign(_Strict):
    """A Latin hypercube of ``n`` points (SALib ``latin``), seeded by the study seed."""

    method: Literal["lhs"] = "lhs"
    n: int = Field(100, ge=2)


class MorrisDesign(_Strict):
    """Morris elementary effects (SALib): ``trajectories`` × (k + 1) points on a ``levels`` grid."""

    method: Literal["morris"] = "morris"
    trajectories: int = Field(10, ge=2)
    levels: int = Field(4, ge=2, le=100)
    optimal_trajectories: int | None = Field(None, ge=2, description="choose this many spread-out trajectories from `trajectories`")
    local_optimization: bool = True

    @model_validator(mode="after")
    def _optimal(self) -> "MorrisDesign":
        if self.optimal_trajectories is not None and self.optimal_trajectories >= self.trajectories:
            raise ValueError(f"optimal_trajectories ({self.optimal_trajectories}) must be below trajectories ({self.trajectories})")
        return self


class SobolDesign(_Strict):
    """Saltelli's scheme on a Sobol' sequence (SALib ``sobol``): n (k + 2) points, n a power of two."""

    method: Literal["sobol"] = "sobol"
    n: int = Field(256, ge=2)
    calc_second_order: bool = False
    scramble: bool = True

    @field_validator("n")
    @classmethod
    def _power_of_two(cls, n: int) -> int:
        if n & (n - 1):
            lower = 1 << (n.bit_length() - 1)
            raise ValueError(f"n = {n}: Sobol' sampling needs a power of two for its convergence properties; use {lower} or {lower * 2}")
        return n


Design = Annotated[Union[OatDesign, FullFactorialDesign, LhsDesign, MorrisDesign, SobolDesign], Field(discriminator="method")]


# --------------------------------------------------------------------------- the study
class Study(_Strict):
    """A declared experiment on one model. Validation refuses anything that cannot run."""

    name: str = Field(..., min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$", description="also the default results folder name")
    description: str = Field("", max_length=5000)
    base_scenario: str = Field("baseline", description="a scenario name in scenarios/ or a path; ignored by analytic models")
    model: str = Field(REAL_MODEL, description="leerecosysteem, analytic:<name> or python:<module>:<function>")
    parameters: list[ParameterSpec] = Field(..., min_length=1)
    design: Design = Field(default_factory=LhsDesign)
    replications: int = Field(1, ge=1, le=10_000)
    seed: int = Field(0, ge=0, description="seeds the sampler and the replication seeds")
    outputs: list[str] | None = Field(None, description="indicator names; all of the model's outputs when omitted")
    weeks: int | None = Field(None, ge=1, le=260, description="weeks per run; the base scenario's when omitted")
    population_scale: float | None = Field(None, ge=0.005, le=1.0, description="agents per resident; the base scenario's when omitted")

    # ------------------------------------------------------------------ shorthand and clear refusals
    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        params = data.get("parameters")
        if isinstance(params, dict):  # {path: {bounds: [..]} | [lo, hi] | None}
            data["parameters"] = [
                {"path": p, **(v if isinstance(v, dict) else {"bounds": v} if v is not None else {})} for p, v in params.items()
            ]
        elif isinstance(params, list):
            data["parameters"] = [{"path": p} if isinstance(p, str) else p for p in params]
        design = data.get("design")
        if isinstance(design, str):
            design = {"method": design}
        if isinstance(design, dict):
            method = design.get("method")
            if method not in DESIGN_METHODS:
                hint = _did_you_mean(method, DESIGN_METHODS)
                raise ValueError(f"design.method {method!r} is not a known design; {hint + ' ' if hint else ''}choose one of {', '.join(DESIGN_METHODS)}")
            data["design"] = design
        return data

    @model_validator(mode="after")
    def _check_against_model(self) -> "Study":
        kind, _, name = self.model.partition(":")
        if self.model == REAL_MODEL:
            pass
        elif kind == "analytic":
            if name not in ANALYTIC_MODELS:
                hint = _did_you_mean(name, ANALYTIC_MODELS)
                raise ValueError(f"model {self.model!r}: no analytic model {name!r}; {hint + ' ' if hint else ''}known: {', '.join('analytic:' + n for n in ANALYTIC_MODELS)}")
        elif kind == "python":
            if not re.fullmatch(r"[\w.]+:\w+", name):
                raise ValueError(f"model {self.model!r}: write python:<module>:<function>, e.g. python:mypackage.models:run")
        else:
            raise ValueError(f"model {self.model!r} is not known; use {REAL_MODEL!r}, analytic:<name> ({', '.join(ANALYTIC_MODELS)}) or python:<module>:<function>")

        declared = declared_parameters(self.model)
        seen: set[str] = set()
        for i, spec in enumerate(self.parameters):
            if spec.path in seen:
                raise ValueError(f"parameters[{i}]: {spec.path!r} is listed twice")
            seen.add(spec.path)
            if declared is None:  # python: models declare nothing; bounds are required
                if spec.bounds is None:
                    raise ValueError(f"parameters[{i}] {spec.path!r}: a python: model declares no bounds; give bounds: [lo, hi]")
                continue
            if spec.path not in declared:
                hint = _suggest_path(spec.path, declared)
                where = ("see model.scenario.uncertainty_fields() / lever_fields() for the names" if self.model == REAL_MODEL
                         else f"known: {', '.join(declared)}")
                raise ValueError(f"parameters[{i}]: {spec.path!r} is not a parameter of {self.model}; {hint + ' ' if hint else ''}{where}")
            lo, hi = declared[spec.path]
            if spec.bounds is not None and (spec.bounds[0] < lo or spec.bounds[1] > hi):
                raise ValueError(f"parameters[{i}] {spec.path!r}: bounds {list(spec.bounds)} lie outside the model's declared range [{_n(lo)}, {_n(hi)}]; narrow them")

        if isinstance(self.design, FullFactorialDesign) and isinstance(self.design.levels, dict):
            unknown = set(self.design.levels) - seen
            if unknown:
                raise ValueError(f"design.levels names {sorted(unknown)}, which are not among the study's parameters")
            missing = seen - set(self.design.levels)
            if missing:
                raise ValueError(f"design.levels gives no number of levels for {sorted(missing)}")
        if self.model == REAL_MODEL:
            from model.indicators import INDICATORS

            known_outputs = INDICATORS
        elif kind == "analytic":
            known_outputs = ANALYTIC_MODELS[name].outputs
        else:
            known_outputs = None
            if not self.outputs:
                raise ValueError("a python: model needs outputs: the names of the values its function returns")
        if self.outputs is not None:
            if not self.outputs:
                raise ValueError("outputs is empty; name at least one output or leave the key out for all of them")
            if len(set(self.outputs)) != len(self.outputs):
                raise ValueError(f"outputs lists a name twice: {self.outputs}")
            for i, out in enumerate(self.outputs):
                if known_outputs is not None and out not in known_outputs:
                    hint = _did_you_mean(out, known_outputs)
                    raise ValueError(f"outputs[{i}] {out!r} is not an output of {self.model}; {hint + ' ' if hint else ''}known: {', '.join(known_outputs)}")
        return self

    # ------------------------------------------------------------------ derived
    @property
    def parameter_names(self) -> list[str]:
        return [p.path for p in self.parameters]

    @property
    def output_names(self) -> list[str]:
        if self.outputs:
            return list(self.outputs)
        kind, _, name = self.model.partition(":")
        if kind == "analytic":
            return list(ANALYTIC_MODELS[name].outputs)
        from model.indicators import INDICATORS

        return list(INDICATORS)

    def bounds(self) -> dict[str, tuple[float, float]]:
        """Each parameter's sampling bounds: the study's, else the model's declared ones."""
        declared = declared_parameters(self.model) or {}
        return {p.path: tuple(p.bounds) if p.bounds is not None else declared[p.path] for p in self.parameters}

    def integer_parameters(self) -> set[str]:
        """Paths of integer fields (sampled values are rounded before a run)."""
        if self.model != REAL_MODEL:
            return set()
        from model.scenario import Scenario, numeric_fields

        return {f.path for f in numeric_fields(Scenario) if f.is_int and f.path in self.parameter_names}

    def problem(self) -> dict[str, Any]:
        """The SALib problem definition (names in study order, bounds)."""
        b = self.bounds()
        return {"num_vars": len(b), "names": list(b), "bounds": [list(v) for v in b.values()]}

    def canonical(self) -> dict[str, Any]:
        """Everything that determines the results, with defaults filled in (for hashing and study.yaml)."""
        data = self.model_dump(mode="json")
        data["parameters"] = [{"path": p, "bounds": list(b)} for p, b in self.bounds().items()]
        data["outputs"] = self.output_names
        return data

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.canonical(), sort_keys=False, allow_unicode=True)

    def with_changes(self, **changes: Any) -> "Study":
        """A validated copy with top-level fields replaced (notebook-friendly)."""
        return validate_study({**self.model_dump(mode="json"), **changes})

    # ------------------------------------------------------------------ base scenario
    @property
    def uses_scenario(self) -> bool:
        return self.model == REAL_MODEL

    def load_base_scenario(self):
        """The validated base scenario (real model only), from scenarios/ or a path."""
        from model.scenario import ScenarioError, load_scenario

        path = Path(self.base_scenario)
        candidates = [path, ROOT / path] if path.suffix else [path]
        for cand in candidates:
            if cand.suffix and cand.exists():
                path = cand
                break
        try:
            return load_scenario(path if path.suffix else self.base_scenario)
        except ScenarioError as exc:
            raise StudyError(f"base_scenario {self.base_scenario!r}: {exc}") from None

    def fingerprint(self, base_scenario: dict | None = None) -> str:
        """A hash of the canonical study (plus the base scenario's content, if given).

        The description is left out: rewording it does not change the results.
        """
        study = {k: v for k, v in self.canonical().items() if k != "description"}
        payload = {"study": study, "base_scenario": base_scenario}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _suggest_path(path: str, declared: dict) -> str:
    """``did you mean 'uncertainties.friend_weight'?`` for a near miss on the full path or its last key."""
    hint = _did_you_mean(path, declared)
    if hint:
        return hint
    tails = {p.rsplit(".", 1)[-1]: p for p in declared}
    close = difflib.get_close_matches(path.rsplit(".", 1)[-1], list(tails), n=1, cutoff=0.6)
    return f"did you mean {tails[close[0]]!r}?" if close else ""


def _n(v: float) -> str:
    return f"{v:.10g}"


def declared_parameters(model: str) -> dict[str, tuple[float, float]] | None:
    """Parameters a model declares, path → (lo, hi); ``None`` for python: models."""
    kind, _, name = model.partition(":")
    if model == REAL_MODEL:
        from model.scenario import Scenario, numeric_fields

        return {f.path: (float(f.lo), float(f.hi)) for f in numeric_fields(Scenario)}
    if kind == "analytic" and name in ANALYTIC_MODELS:
        return dict(ANALYTIC_MODELS[name].parameters)
    return None


# --------------------------------------------------------------------------- reading
def _format(err: dict, source: str) -> str:
    keys = list(err.get("loc", ()))
    if len(keys) > 1 and keys[0] == "design" and keys[1] in DESIGN_METHODS:  # drop the union's tag
        del keys[1]
    loc = ".".join(str(k) if not isinstance(k, int) else f"[{k}]" for k in keys).replace(".[", "[")
    msg = str(err.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        key = str(err["loc"][-1])
        hint = _did_you_mean(key, Study.model_fields) if len(err["loc"]) == 1 else ""
        return f"{source}: unknown key {loc!r}{'; ' + hint if hint else ''}"
    where = f" {loc}:" if loc else ""
    return f"{source}:{where} {msg}"


def validate_study(data: Any, source: str = "<study>") -> Study:
    """Validate a mapping as a :class:`Study`; raise :class:`StudyError` naming every problem."""
    if not isinstance(data, dict):
        raise StudyError(f"{source}: a study must be a mapping with name, parameters and design, got {type(data).__name__}")
    try:
        return Study.model_validate(data)
    except ValidationError as exc:
        raise StudyError("\n".join(_format(e, source) for e in exc.errors())) from None


def load_study(path_or_text: str | Path | dict | Study) -> Study:
    """A :class:`Study` from a YAML file, YAML text, a mapping or a study (returned as is)."""
    if isinstance(path_or_text, Study):
        return path_or_text
    if isinstance(path_or_text, dict):
        return validate_study(path_or_text)
    text, source = str(path_or_text), "<yaml>"
    path = Path(text) if "\n" not in text else None
    if path is not None and not path.exists() and (ROOT / "studies" / f"{text}.yaml").exists():
        path = ROOT / "studies" / f"{text}.yaml"
    if path is not None and path.suffix in (".yaml", ".yml"):
        if not path.exists():
            raise StudyError(f"{path}: no such study file")
        text, source = path.read_text(encoding="utf-8"), str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise StudyError(f"{source}:{where} is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return validate_study(data, source=source)
