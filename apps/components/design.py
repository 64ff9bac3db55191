"""The design under edit: one scenario, every change validated by the schema, undo and redo.

:class:`Design` knows nothing of Panel, of runs or of the store: a site planner or a
pilot monitor can hold one and edit it the same way. Each accepted change keeps the
previous design (and an opaque ``origin``, e.g. the revision it was opened from) on the
undo stack; undo moves it to the redo stack; a new change clears redo.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import param

from model.scenario import Scenario, ScenarioError

#: How many changes undo remembers.
HISTORY = 50


def design_key(scenario: Scenario) -> str:
    """A hash of what a run depends on (the name, title and description do not count)."""
    data = scenario.model_dump(mode="json", exclude={"name", "title", "description"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


class Design(param.Parameterized):
    """A scenario being designed, with undo and redo.

    Attributes:
        scenario: the design now.
        origin: what the design was opened from or saved as (the library's revision), restored by undo/redo.
        version: bumped on every change (watch it to redraw).
    """

    scenario = param.ClassSelector(class_=Scenario, doc="the design on the table")
    origin = param.Parameter(default=None, doc="where the design came from (a store revision), kept with each step")
    version = param.Integer(default=0, doc="bumped on every change of the design")
    can_undo = param.Boolean(default=False, constant=False)
    can_redo = param.Boolean(default=False, constant=False)

    def __init__(self, scenario: Scenario, **params):
        self._undo: list[tuple[Scenario, Any, str]] = []
        self._redo: list[tuple[Scenario, Any, str]] = []
        super().__init__(scenario=scenario, **params)

    # ------------------------------------------------------------------ reading
    def value(self, path: str) -> Any:
        """The design's value at a dotted path (``levers.clubs.budget_eur_per_year``)."""
        node: Any = self.scenario
        for key in path.split("."):
            node = getattr(node, key)
        return node

    @property
    def key(self) -> str:
        return design_key(self.scenario)

    # ------------------------------------------------------------------ changing
    def with_values(self, values: dict[str, Any]) -> Scenario:
        """The design with dotted-path values set, validated (raises :class:`ScenarioError`)."""
        return self.scenario.with_values(values)

    def change(self, scenario: Scenario, what: str, origin: Any = ...) -> None:
        """Make ``scenario`` the design (``what`` names the change for undo); keeps or sets ``origin``."""
        self._undo.append((self.scenario, self.origin, what))
        del self._undo[:-HISTORY]
        self._redo.clear()
        self._show(scenario, self.origin if origin is ... else origin)

    def set_values(self, values: dict[str, Any], what: str) -> Scenario:
        """Validate and apply dotted-path values; raises :class:`ScenarioError` and leaves the design as it was."""
        scenario = self.with_values(values)
        self.change(scenario, what)
        return scenario

    def undo(self) -> str | None:
        """Go back one change; returns what was undone (None if nothing)."""
        if not self._undo:
            return None
        scenario, origin, what = self._undo.pop()
        self._redo.append((self.scenario, self.origin, what))
        self._show(scenario, origin)
        return what

    def redo(self) -> str | None:
        """Do again the change undo took back; returns what was redone (None if nothing)."""
        if not self._redo:
            return None
        scenario, origin, what = self._redo.pop()
        self._undo.append((self.scenario, self.origin, what))
        self._show(scenario, origin)
        return what

    def _show(self, scenario: Scenario, origin: Any) -> None:
        with param.parameterized.batch_call_watchers(self):
            self.scenario, self.origin = scenario, origin
            self.can_undo, self.can_redo = bool(self._undo), bool(self._redo)
            self.version += 1


__all__ = ["Design", "ScenarioError", "design_key"]
