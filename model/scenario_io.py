"""Reading, validating and writing scenario files; the errors a user reads about them.

The schema lives in :mod:`model.scenario`; this module turns text and mappings into
validated :class:`~model.scenario.Scenario` objects and back, and formats every problem
with the file, the key path and the allowed range. :mod:`model.scenario` re-exports
everything here, so ``from model.scenario import load_scenario`` keeps working.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from model.paths import SCENARIO_DIR
from model.scenario import Scenario, ScenarioError, _bounds


def _suggest(key: str, options: Any) -> str:
    names = list(options)
    close = difflib.get_close_matches(str(key), names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}allowed keys: {', '.join(map(str, names))}"


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that owns the key at ``loc`` (for suggestions)."""
    model: Any = Scenario
    for key in loc[:-1]:
        if isinstance(key, int):
            continue
        field = model.model_fields.get(key) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        for candidate in (ann, *args):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _num(value: float) -> str:
    return f"{value:,.10g}".replace(",", " ")


def _format_error(err: dict, source: str) -> str:
    loc = tuple(err.get("loc", ()))
    path = ".".join(f"[{k}]" if isinstance(k, int) else str(k) for k in loc).replace(".[", "[") or "<top>"
    kind = err.get("type", "")
    ctx = err.get("ctx", {}) or {}
    if kind == "extra_forbidden":
        owner = _model_at(loc)
        hint = _suggest(loc[-1], owner.model_fields) if owner else "remove it"
        return f"{source}: unknown key {path!r}: {hint}"
    value = err.get("input")
    what = f"{source}: {path}" if isinstance(value, (dict, list)) else f"{source}: {path} = {value!r}"
    field_help = ""
    owner = _model_at(loc)
    if owner is not None and loc and isinstance(loc[-1], str) and loc[-1] in owner.model_fields:
        info = owner.model_fields[loc[-1]]
        lo, hi = _bounds(info)
        unit = (info.json_schema_extra or {}).get("unit", "") if isinstance(info.json_schema_extra, dict) else ""
        if lo is not None and hi is not None:
            field_help = f" (allowed range {_num(lo)} to {_num(hi)} {unit}".rstrip() + ")"
        if info.description:
            field_help += f"; {info.description}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{what} is out of range{field_help}"
    if kind == "missing":
        return f"{source}: {path} is required but missing{field_help}"
    msg = err.get("msg", "invalid value")
    if kind == "enum" and "expected" in ctx:
        msg = f"must be one of {ctx['expected']}"
    return f"{what}: {msg}{field_help}"


def validate_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate a mapping as a :class:`Scenario`, raising :class:`ScenarioError` with every problem."""
    if data is None:
        raise ScenarioError(f"{source}: the scenario is empty; start from scenarios/baseline.yaml")
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario must be a mapping of keys (name, levers, uncertainties, run), got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_format_error(err, source) for err in exc.errors()]
        raise ScenarioError("\n".join(problems)) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice (PyYAML would silently keep the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice; keep one", mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def scenario_from_yaml(text: str, source: str = "<yaml>") -> Scenario:
    """Parse YAML text into a validated :class:`Scenario`."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError(f"{source}:{where} is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return validate_scenario(data, source=source)


def scenario_to_yaml(scenario: Scenario) -> str:
    """YAML text that :func:`scenario_from_yaml` reads back to an equal scenario."""
    data = scenario.model_dump(mode="json")
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a scenario by name (``baseline`` → ``scenarios/baseline.yaml``) or path."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))
        raise ScenarioError(f"{path}: no such scenario file; known scenarios: {known}")
    return scenario_from_yaml(path.read_text(encoding="utf-8"), source=str(path))


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``scenarios/``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
