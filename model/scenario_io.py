"""Reading, validating and writing scenario files; the errors a user reads about them.

The schema lives in :mod:`model.scenario`; this module turns text and mappings into
validated :class:`~model.scenario.Scenario` objects and back, and reports every problem
as a structured :class:`Problem` (file, key path, a code, its parameters and a short
excerpt of the offending value). :class:`ScenarioProblems` (a
:class:`~model.scenario.ScenarioError`) carries them; ``str()`` of it is the English
text, :meth:`ScenarioProblems.render` gives Dutch or English from the same problems, so
no message is ever translated by matching English text.

Reading is hardened against hostile or broken files: a size limit, a limit on YAML
nesting and on what aliases expand to, integers of at most 100 digits, UTF-8 only
(other encodings and NUL bytes are refused naming the file), booleans are not numbers,
and messages quote at most a short excerpt of a value. Nothing but
:class:`~model.scenario.ScenarioError` leaves the loader.

:mod:`model.scenario` re-exports the public functions, so
``from model.scenario import load_scenario`` keeps working.
"""
from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from model.paths import SCENARIO_DIR
from model.scenario import Scenario, ScenarioError, _bounds

#: Largest scenario file or upload read, in bytes (5000 offers take about 1.5 MB).
MAX_SCENARIO_BYTES = 2_000_000
#: Deepest nesting of mappings and lists a scenario may have (the schema needs 6).
MAX_DEPTH = 40
#: Most YAML nodes a document may expand to once aliases are followed.
MAX_NODES = 200_000
#: Longest integer literal read (a 5,001-digit integer would otherwise fail deep inside Python).
MAX_INT_DIGITS = 100
#: Longest excerpt of a value quoted in a message.
EXCERPT_CHARS = 60


# ============================================================================ problems
@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, as data: render it in any language.

    Attributes:
        source: the file (or ``<values>``, ``<upload>``) it came from.
        path: the key path, e.g. ``("levers", "offers", 0, "capacity_per_week")``.
        code: what is wrong (see :data:`MESSAGES`).
        params: the numbers and names the message needs (bounds, unit, suggestion, ...).
        value_excerpt: at most :data:`EXCERPT_CHARS` characters of the offending value.
    """

    source: str
    path: tuple = ()
    code: str = "invalid"
    params: dict = field(default_factory=dict)
    value_excerpt: str = ""

    @property
    def dotted(self) -> str:
        return path_text(self.path)

    def render(self, lang: str = "en", labels: bool = False) -> str:
        """The problem as one line in ``lang`` (``nl`` or ``en``).

        With ``labels`` the key path is replaced by the field's screen label where the
        schema declares one (``Capaciteit`` instead of ``levers.offers[0].capacity_per_week``).
        """
        return render_problem(self, lang, labels=labels)


class ScenarioProblems(ScenarioError):
    """A :class:`~model.scenario.ScenarioError` with its :class:`Problem` list; ``str()`` is English."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(p.render("en") for p in self.problems))

    def render(self, lang: str = "en", labels: bool = False, sep: str = "\n") -> str:
        return sep.join(p.render(lang, labels=labels) for p in self.problems)


def problems_of(exc: BaseException, source: str = "<scenario>") -> list[Problem]:
    """The structured problems of any scenario error (a plain one becomes one ``message`` problem)."""
    if isinstance(exc, ScenarioProblems):
        return exc.problems
    return [Problem(source, (), "message", {"text": excerpt(str(exc), 400)})]


def render_error(exc: BaseException, lang: str = "en", labels: bool = False, sep: str = "\n") -> str:
    """Any scenario error in ``lang`` (structured problems translated, plain ones as they are)."""
    if isinstance(exc, ScenarioProblems):
        return exc.render(lang, labels=labels, sep=sep)
    return excerpt(str(exc), 400)


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A short, single-line representation of a value for a message."""
    try:
        text = repr(value) if not isinstance(value, str) else value
    except Exception:  # noqa: BLE001 - a value whose repr fails (huge int): say what it is
        text = f"<{type(value).__name__}>"
    text = text.replace("\x00", "\\0").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def path_text(loc: tuple) -> str:
    return ".".join(f"[{k}]" if isinstance(k, int) else str(k) for k in loc).replace(".[", "[") or "<top>"


# ============================================================================ rendering
def _num(value: Any) -> str:
    try:
        return f"{float(value):,.10g}".replace(",", " ")
    except (TypeError, ValueError, OverflowError):
        return str(value)


#: code -> (Dutch, English). Placeholders: {where} (file and key path), {value}, and the params.
MESSAGES: dict[str, tuple[str, str]] = {
    "unknown_key": ("{source}: onbekende sleutel {path!r}: {hint_nl}", "{source}: unknown key {path!r}: {hint_en}"),
    "out_of_range": ("{where} = {value} ligt buiten het toegelaten bereik{range_nl}",
                     "{where} = {value} is out of range{range_en}"),
    "missing": ("{where} ontbreekt maar is verplicht{range_nl}", "{where} is required but missing{range_en}"),
    "bool_not_number": ("{where} = {value}: een ja/nee-waarde is geen getal; geef een getal{range_nl}",
                        "{where} = {value}: a boolean is not a number; give a number{range_en}"),
    "not_a_number": ("{where} = {value}: dit is geen getal{range_nl}", "{where} = {value}: not a number{range_en}"),
    "not_an_integer": ("{where} = {value}: geef een geheel getal{range_nl}", "{where} = {value}: give a whole number{range_en}"),
    "not_a_bool": ("{where} = {value}: geef true of false", "{where} = {value}: give true or false"),
    "not_text": ("{where} = {value}: geef tekst", "{where} = {value}: give text"),
    "not_a_list": ("{where}: geef een lijst", "{where}: give a list"),
    "not_a_mapping": ("{where}: geef sleutels met waarden", "{where}: give keys with values"),
    "choice": ("{where} = {value}: moet een van {expected} zijn", "{where} = {value}: must be one of {expected}"),
    "too_long": ("{where}: te lang (hoogstens {max_length})", "{where}: too long (at most {max_length})"),
    "too_short": ("{where}: te kort (minstens {min_length})", "{where}: too short (at least {min_length})"),
    "pattern": ("{where} = {value}: alleen letters, cijfers en _ . : - zijn toegelaten",
                "{where} = {value}: only letters, digits and _ . : - are allowed"),
    "age_order": ("{where}: de leeftijd vanaf ({age_min}) ligt boven de leeftijd tot ({age_max}); wissel ze om",
                  "{where}: age_min ({age_min}) is above age_max ({age_max}); swap them"),
    "week_order": ("{where}: de startweek ({start_week}) ligt na de eindweek ({end_week})",
                   "{where}: start_week ({start_week}) is after end_week ({end_week})"),
    "duplicate_id": ("{where}: offers[{index}].id {id!r} komt twee keer voor; geef elk aanbod een eigen id",
                     "{where}: offers[{index}].id {id!r} is used twice; give each offer its own id"),
    "venue_needs_id": ("{where}: een plek van soort 'venue' heeft een venue_id nodig (uit data/providers.csv)",
                       "{where}: a place of kind 'venue' needs venue_id (a venue_id from data/providers.csv)"),
    "point_needs_lonlat": ("{where}: een plek van soort 'point' heeft lon en lat nodig (WGS84, in Genk)",
                           "{where}: a place of kind 'point' needs lon and lat (WGS84, inside Genk)"),
    "site_needs_id": ("{where}: een plek van soort 'site' heeft een site_id nodig (de id van een van levers.sites)",
                      "{where}: a place of kind 'site' needs site_id (the id of one of levers.sites)"),
    "opening_hours_text": ("{where}.opening_hours.{day}: de openingsuren {text!r} zijn niet te lezen ({why_nl}); "
                           "schrijf ze als '09:00-12:00, 13:00-17:00' of '9-17'",
                           "{where}.opening_hours.{day}: the opening hours {text!r} do not parse ({why_en}); "
                           "write them as '09:00-12:00, 13:00-17:00' or '9-17'"),
    "opening_hours_day": ("{where}.opening_hours: {day!r} is geen dag; gebruik ma, di, wo, do, vr, za, zo (of {known})",
                          "{where}.opening_hours: {day!r} is not a day; use {known} (or ma, di, wo, do, vr, za, zo)"),
    "opening_hours_twice": ("{where}.opening_hours: {day} staat er twee keer in ({key!r}); hou er één",
                            "{where}.opening_hours: {day} is given twice ({key!r}); keep one"),
    "opening_hours_form": ("{where}.opening_hours: geef dagen met uren, bv. {{ma: '09:00-17:00', za: '10-16'}}",
                           "{where}.opening_hours: give days with hours, e.g. {{mon: '09:00-17:00', sat: '10-16'}}"),
    "opening_hours_mismatch": ("{where}: opening_hours_per_week ({stated}) verschilt van het totaal van opening_hours "
                               "({total} uur); laat opening_hours_per_week weg (het volgt uit de uren per dag) of maak ze gelijk",
                               "{where}: opening_hours_per_week ({stated}) differs from the total of opening_hours ({total} h); "
                               "leave opening_hours_per_week out (it follows from the hours by day) or make them agree"),
    "duplicate_site_id": ("{where}: sites[{index}].id {id!r} komt twee keer voor; geef elke plek een eigen id",
                          "{where}: sites[{index}].id {id!r} is used twice; give each site its own id"),
    "site_id_reserved": ("{where} = {id!r}: die id is van de hoofdplek (levers.central_site); kies een andere id",
                         "{where} = {id!r}: that id is the main site's (levers.central_site); choose another id"),
    "unknown_site_id": ("{where}: offers[{index}].place.site_id {site_id!r} is geen plek; gekende plekken: {known}",
                        "{where}: offers[{index}].place.site_id {site_id!r} is not a site; known sites: {known}"),
    "site_same_spot": ("{where}: {first} ({first_name!r}) en {second} ({second_name!r}) liggen op dezelfde plek ({place}); "
                       "twee plekken moeten minstens {metres} m uit elkaar liggen: verplaats er een of zet er een uit",
                       "{where}: {first} ({first_name!r}) and {second} ({second_name!r}) are on one spot ({place}); "
                       "two sites need to be at least {metres} m apart: move one or switch one off"),
    "site_place_kind": ("{where}: een plek (site) ligt aan een venue of een punt, niet {kind!r}",
                        "{where}: a site's place must be a venue or a point, not {kind!r}"),
    "level_choice": ("{where}: het niveau van een aanbod is zien_doen, samen_doen of zelf_doen",
                     "{where}: an offer's level must be zien_doen, samen_doen or zelf_doen"),
    "rule": ("{where}: {text}", "{where}: {text}"),
    "invalid": ("{where} = {value}: ongeldige waarde ({text})", "{where} = {value}: {text}"),
    "empty": ("{source}: het scenario is leeg; begin van scenarios/baseline.yaml",
              "{source}: the scenario is empty; start from scenarios/baseline.yaml"),
    "not_a_scenario": ("{source}: een scenario bestaat uit sleutels (name, levers, uncertainties, run), niet uit {kind}",
                       "{source}: a scenario must be a mapping of keys (name, levers, uncertainties, run), got {kind}"),
    "yaml": ("{source}:{line} is geen geldige YAML: {text}", "{source}:{line} is not valid YAML: {text}"),
    "duplicate_key": ("{source}:{line} sleutel {key!r} komt twee keer voor; hou er één",
                      "{source}:{line} key {key!r} appears twice; keep one"),
    "too_deep": ("{source}:{line} is dieper genest dan {limit} niveaus; een scenario heeft er hoogstens enkele nodig",
                 "{source}:{line} is nested deeper than {limit} levels; a scenario needs only a few"),
    "too_many_nodes": ("{source}: de YAML-ankers en -verwijzingen (aliassen) blazen het bestand op tot meer dan {limit} waarden; "
                       "schrijf de waarden uit",
                       "{source}: the YAML anchors and aliases expand to more than {limit} values; write the values out"),
    "huge_integer": ("{source}:{line} een geheel getal van {digits} cijfers; hoogstens {limit} cijfers zijn toegelaten",
                     "{source}:{line} an integer of {digits} digits; at most {limit} digits are allowed"),
    "too_large": ("{source}: het bestand is {size} groot; hoogstens {limit} is toegelaten",
                  "{source}: the file is {size}; at most {limit} is allowed"),
    "encoding": ("{source}: geen UTF-8-tekst ({detail}); bewaar het bestand als UTF-8",
                 "{source}: not UTF-8 text ({detail}); save the file as UTF-8"),
    "nul_byte": ("{source}: het bestand bevat een NUL-teken (byte {offset}); dit is geen tekstbestand",
                 "{source}: the file holds a NUL character (byte {offset}); it is not a text file"),
    "unreadable": ("{source}: kan het bestand niet lezen ({text})", "{source}: cannot read the file ({text})"),
    "no_such_file": ("{source}: geen scenariobestand met die naam; gekende scenario's: {known}",
                     "{source}: no such scenario file; known scenarios: {known}"),
    "unknown_parameter": ("onbekende parameter {path!r}: {hint_nl}", "unknown parameter {path!r}: {hint_en}"),
    "message": ("{text}", "{text}"),
}


def _field_info(loc: tuple):
    """The pydantic field at ``loc`` (None if the path does not name a field)."""
    owner = _model_at(loc)
    if owner is not None and loc and isinstance(loc[-1], str) and loc[-1] in owner.model_fields:
        return owner.model_fields[loc[-1]]
    return None


def _range_params(loc: tuple) -> dict:
    info = _field_info(loc)
    out = {"range_en": "", "range_nl": "", "label_nl": "", "label_en": ""}
    if info is None:
        return out
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    lo, hi = _bounds(info)
    unit = extra.get("unit", "")
    if lo is not None and hi is not None:
        out["range_en"] = f" (allowed range {_num(lo)} to {_num(hi)} {unit}".rstrip() + ")"
        out["range_nl"] = f" (toegelaten {_num(lo)} tot {_num(hi)} {unit}".rstrip() + ")"
        out.update(lo=lo, hi=hi, unit=unit)
    if info.description:
        out["range_en"] += f"; {info.description}"
    out["label_nl"], out["label_en"] = extra.get("label_nl", ""), extra.get("label_en", "")
    return out


def render_problem(problem: Problem, lang: str = "en", labels: bool = False) -> str:
    nl, en = MESSAGES.get(problem.code, MESSAGES["invalid"])
    template = nl if lang == "nl" else en
    path = problem.dotted
    params = {"text": "", "line": "", "hint_nl": "", "hint_en": "", **_range_params(problem.path), **problem.params}
    if labels:  # the screen: the field's label, or nothing where the problem is about a whole section
        where = params.get("label_nl" if lang == "nl" else "label_en") or ""
    else:
        where = f"{problem.source}: {path}" if problem.source else path
    value = problem.value_excerpt or "…"
    try:
        text = template.format(source=problem.source, path=path, where=where, value=value, **params)
    except (KeyError, IndexError, ValueError):
        return f"{problem.source}: {path}: {problem.code}"
    return text.lstrip(": ") if labels and not where else text


# ============================================================================ pydantic errors
def _suggest(key: str, options: Any) -> str:
    names = list(options)
    close = difflib.get_close_matches(str(key), names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}allowed keys: {', '.join(map(str, names))}"


def _suggest_nl(key: str, options: Any) -> str:
    names = list(options)
    close = difflib.get_close_matches(str(key), names, n=1)
    hint = f"bedoelde je {close[0]!r}? " if close else ""
    return f"{hint}toegelaten sleutels: {', '.join(map(str, names))}"


def _submodel(annotation) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
        for inner in typing.get_args(candidate):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that owns the key at ``loc`` (for suggestions and labels)."""
    model: Any = Scenario
    for key in loc[:-1]:
        if isinstance(key, int):
            continue
        field_ = model.model_fields.get(key) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field_ is None:
            return None
        sub = _submodel(field_.annotation)
        if sub is not None:
            model = sub
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


_RANGE_KINDS = ("greater_than_equal", "less_than_equal", "greater_than", "less_than")


def _rule_problem(source: str, loc: tuple, err: dict) -> Problem:
    """A model validator's refusal as a coded problem.

    The schema's validators raise plain ``ValueError``; their code is recognised from the
    validator that raised (the model at ``loc``) and the input, never from the message text.
    A validator raising ``PydanticCustomError(code, ..., ctx)`` is used as it is.
    """
    data = err.get("input") if isinstance(err.get("input"), dict) else {}
    owner = _model_at(loc + ("_",)) if loc else Scenario
    name = owner.__name__ if owner is not None else ""
    text = excerpt(str(err.get("msg", "")).replace("Value error, ", ""), 300)
    if name in ("OfferSpec", "PlaylistSpec") and _gt(data.get("age_min"), data.get("age_max")):
        return Problem(source, loc, "age_order", {"age_min": data["age_min"], "age_max": data["age_max"]})
    if name == "OfferSpec" and _gt(data.get("start_week"), data.get("end_week")):
        return Problem(source, loc, "week_order", {"start_week": data["start_week"], "end_week": data["end_week"]})
    if name == "PlaceSpec":
        kind = data.get("kind", "venue")
        if kind == "venue" and not data.get("venue_id"):
            return Problem(source, loc, "venue_needs_id")
        if kind == "point":
            return Problem(source, loc, "point_needs_lonlat")
    if name == "Levers" and isinstance(data.get("offers"), list):
        seen: set = set()
        for i, offer in enumerate(data["offers"]):
            oid = offer.get("id") if isinstance(offer, dict) else getattr(offer, "id", None)
            if oid in seen:
                return Problem(source, loc, "duplicate_id", {"index": i, "id": excerpt(oid)})
            seen.add(oid)
    if loc and loc[-1] == "level":
        return Problem(source, loc, "level_choice", value_excerpt=excerpt(err.get("input")))
    return Problem(source, loc, "rule", {"text": text})


def _gt(a: Any, b: Any) -> bool:
    try:
        return float(a) > float(b)
    except (TypeError, ValueError):
        return False


def problem_from_pydantic(err: dict, source: str) -> Problem:
    """One pydantic error dict as a :class:`Problem`."""
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    ctx = err.get("ctx", {}) or {}
    value = err.get("input")
    shown = "" if isinstance(value, (dict, list)) else excerpt(value)
    if kind == "extra_forbidden":
        owner = _model_at(loc)
        fields = owner.model_fields if owner else {}
        return Problem(source, loc, "unknown_key",
                       {"hint_en": _suggest(loc[-1], fields) if owner else "remove it",
                        "hint_nl": _suggest_nl(loc[-1], fields) if owner else "verwijder ze"}, shown)
    if kind in _RANGE_KINDS:
        return Problem(source, loc, "out_of_range", {}, shown)
    if kind == "missing":
        return Problem(source, loc, "missing")
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "finite_number") and isinstance(value, str | None):
        return Problem(source, loc, "not_a_number", {}, shown)
    if kind in ("int_from_float", "int_parsing", "int_type"):
        return Problem(source, loc, "not_an_integer", {}, shown)
    if kind in ("float_type", "float_parsing", "finite_number"):
        return Problem(source, loc, "not_a_number", {}, shown)
    if kind in ("bool_type", "bool_parsing"):
        return Problem(source, loc, "not_a_bool", {}, shown)
    if kind in ("string_type",):
        return Problem(source, loc, "not_text", {}, shown)
    if kind in ("list_type",):
        return Problem(source, loc, "not_a_list")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return Problem(source, loc, "not_a_mapping")
    if kind in ("enum", "literal_error"):
        return Problem(source, loc, "choice", {"expected": excerpt(ctx.get("expected", ""), 300)}, shown)
    if kind in ("string_too_long", "too_long"):
        return Problem(source, loc, "too_long", {"max_length": ctx.get("max_length", "?")})
    if kind in ("string_too_short", "too_short"):
        return Problem(source, loc, "too_short", {"min_length": ctx.get("min_length", "?")})
    if kind == "string_pattern_mismatch":
        return Problem(source, loc, "pattern", {}, shown)
    if kind in MESSAGES:  # a validator raising PydanticCustomError(code, message, ctx)
        return Problem(source, loc, kind, dict(ctx), shown)
    if kind in ("value_error", "assertion_error"):
        return _rule_problem(source, loc, err)
    return Problem(source, loc, "invalid", {"text": excerpt(err.get("msg", "invalid value"), 200)}, shown)


# ============================================================================ booleans are not numbers
def _bool_problems(data: Any, model: type[BaseModel], loc: tuple, source: str, out: list[Problem]) -> None:
    """``population_scale: true`` would validate as 1.0 (pydantic's lax mode): refuse it instead."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        info = model.model_fields.get(key) if isinstance(key, str) else None
        if info is None:
            continue
        ann = info.annotation
        args = typing.get_args(ann)
        numeric = ann in (int, float) or (args and all(a in (int, float, type(None)) for a in args) and bool(set(args) & {int, float}))
        if numeric and isinstance(value, bool):
            out.append(Problem(source, loc + (key,), "bool_not_number", {}, excerpt(value)))
            continue
        sub = _submodel(ann)
        if sub is None:
            continue
        if isinstance(value, dict):
            _bool_problems(value, sub, loc + (key,), source, out)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                _bool_problems(item, sub, loc + (key, i), source, out)


def validate_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate a mapping as a :class:`Scenario`, raising :class:`ScenarioProblems` with every problem."""
    if data is None:
        raise ScenarioProblems([Problem(source, (), "empty")])
    if not isinstance(data, dict):
        raise ScenarioProblems([Problem(source, (), "not_a_scenario", {"kind": type(data).__name__})])
    problems: list[Problem] = []
    _bool_problems(data, Scenario, (), source, problems)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        flagged = {p.path for p in problems}
        problems += [p for p in (problem_from_pydantic(e, source) for e in exc.errors()) if p.path not in flagged]
    except RecursionError:
        problems.append(Problem(source, (), "too_deep", {"limit": MAX_DEPTH, "line": ""}))
    if problems:
        raise ScenarioProblems(problems)
    return scenario


# ============================================================================ YAML
class _LimitError(Exception):
    def __init__(self, code: str, mark=None, **params):
        super().__init__(code)
        self.code, self.mark, self.params = code, mark, params


class _SafeScenarioLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice, deep nesting, alias bombs and huge integers."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _LimitError("too_deep", self.peek_event().start_mark, limit=MAX_DEPTH)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise _LimitError("yaml", key_node.start_mark, text="a key must be text or a number") from None
            if key in seen:
                raise _LimitError("duplicate_key", key_node.start_mark, key=excerpt(key))
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        digits = sum(ch.isdigit() for ch in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise _LimitError("huge_integer", node.start_mark, digits=digits, limit=MAX_INT_DIGITS)
        return super().construct_yaml_int(node)


_SafeScenarioLoader.add_constructor("tag:yaml.org,2002:int", _SafeScenarioLoader.construct_yaml_int)
_UniqueKeyLoader = _SafeScenarioLoader  # the name earlier code used


def _expanded_size(node, memo: dict) -> int:
    """How many nodes ``node`` stands for once aliases are followed (shared nodes counted each time)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = MAX_NODES + 1  # a node that contains itself expands without end
    size = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, memo) + _expanded_size(v, memo)
            if size > MAX_NODES:
                break
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            size += _expanded_size(v, memo)
            if size > MAX_NODES:
                break
    memo[key] = size
    return size


def _line(mark) -> str:
    return f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _flow_depth_line(text: str) -> int | None:
    """The line where ``[``/``{`` nesting (outside quotes and comments) first passes :data:`MAX_DEPTH`, else None.

    PyYAML spends about a second scanning a few thousand nested brackets before its composer
    sees the depth: this pass refuses them at once.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth, line, quote, comment = 0, 1, "", False
    for ch in text:
        if ch == "\n":
            line, comment = line + 1, False
            continue
        if comment:
            continue
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "#":
            comment = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif ch in "]}":
            depth = max(0, depth - 1)
    return None


def _parse_yaml(text: str, source: str) -> Any:
    deep = _flow_depth_line(text)
    if deep is not None:
        raise ScenarioProblems([Problem(source, (), "too_deep", {"line": f" line {deep}", "limit": MAX_DEPTH})])
    loader = _SafeScenarioLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_NODES:
            raise ScenarioProblems([Problem(source, (), "too_many_nodes", {"limit": f"{MAX_NODES:,}".replace(",", " ")})])
        return loader.construct_document(node)
    except ScenarioProblems:
        raise
    except _LimitError as exc:
        raise ScenarioProblems([Problem(source, (), exc.code, {"line": _line(exc.mark), **exc.params})]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioProblems([Problem(source, (), "yaml", {"line": _line(mark),
                                                             "text": excerpt(getattr(exc, "problem", None) or exc, 200)})]) from None
    except RecursionError:
        raise ScenarioProblems([Problem(source, (), "too_deep", {"line": "", "limit": MAX_DEPTH})]) from None
    except (ValueError, OverflowError, TypeError) as exc:  # e.g. a bad timestamp or float literal
        raise ScenarioProblems([Problem(source, (), "yaml", {"line": "", "text": excerpt(exc, 200)})]) from None
    finally:
        loader.dispose()


def _size_text(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"


def decode_scenario_bytes(data: bytes, source: str = "<upload>") -> str:
    """UTF-8 text of a scenario file, or :class:`ScenarioProblems` naming the file (size, encoding, NUL)."""
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioProblems([Problem(source, (), "too_large", {"size": _size_text(len(data)),
                                                                  "limit": _size_text(MAX_SCENARIO_BYTES)})])
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ScenarioProblems([Problem(source, (), "encoding", {"detail": "UTF-16"})])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioProblems([Problem(source, (), "encoding",
                                        {"detail": f"byte {exc.start}: {data[exc.start:exc.start + 1]!r}"})]) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise ScenarioProblems([Problem(source, (), "nul_byte", {"offset": nul})])
    return text


def scenario_from_yaml(text: str | bytes, source: str = "<yaml>") -> Scenario:
    """Parse YAML text (or UTF-8 bytes) into a validated :class:`Scenario`.

    Raises:
        ScenarioProblems: every problem, each naming the file, the key and a short excerpt.
    """
    if isinstance(text, bytes):
        text = decode_scenario_bytes(text, source)
    elif len(text) > MAX_SCENARIO_BYTES:
        raise ScenarioProblems([Problem(source, (), "too_large", {"size": _size_text(len(text)),
                                                                  "limit": _size_text(MAX_SCENARIO_BYTES)})])
    elif "\x00" in text:
        raise ScenarioProblems([Problem(source, (), "nul_byte", {"offset": text.index("\x00")})])
    data = _parse_yaml(text, source)
    return validate_scenario(data, source=source)


def scenario_to_yaml(scenario: Scenario) -> str:
    """YAML text that :func:`scenario_from_yaml` reads back to an equal scenario."""
    data = scenario.model_dump(mode="json")
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a scenario by name (``baseline`` → ``scenarios/baseline.yaml``) or path."""
    try:
        path = Path(name_or_path)
        if not path.suffix and not path.exists():
            path = SCENARIO_DIR / f"{name_or_path}.yaml"
        exists = path.is_file()
    except (ValueError, OSError) as exc:  # a NUL byte or an impossible path
        raise ScenarioProblems([Problem(excerpt(name_or_path), (), "unreadable", {"text": excerpt(exc, 120)})]) from None
    if not exists:
        known = ", ".join(list_scenarios())
        raise ScenarioProblems([Problem(str(path), (), "no_such_file", {"known": known})])
    try:
        size = path.stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise ScenarioProblems([Problem(str(path), (), "too_large", {"size": _size_text(size),
                                                                         "limit": _size_text(MAX_SCENARIO_BYTES)})])
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioProblems([Problem(str(path), (), "unreadable", {"text": excerpt(exc.strerror or exc, 120)})]) from None
    return scenario_from_yaml(decode_scenario_bytes(data, str(path)), source=str(path))


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``scenarios/``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


__all__ = ["MAX_SCENARIO_BYTES", "MESSAGES", "Problem", "ScenarioProblems", "decode_scenario_bytes", "excerpt",
           "list_scenarios", "load_scenario", "problems_of", "render_error", "scenario_from_yaml", "scenario_to_yaml",
           "validate_scenario"]
