"""The library: saved scenarios, shipped scenarios and the links that reopen them.

:class:`Library` wraps the store (:class:`model.store.Store`) for a screen: what can be
opened or compared (:meth:`Library.options`), saving with the checks a room needs
(an unchanged design is not saved again; a name another table uses is not silently
continued: :class:`SaveOutcome` says so and offers a branch), links
(``?scenario=<name>&revision=<n>``, also for the shipped ``scenarios/*.yaml``, and
``?study=<folder>&run=<id>``) checked before they reach the store, and uploads decoded and
validated with the loader's limits. Every failure is a :class:`LibraryError` whose text
is safe to show: no traceback, no server path.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import param

from model.scenario import Scenario, ScenarioError, list_scenarios, load_scenario
from model.scenario_io import MAX_SCENARIO_BYTES, decode_scenario_bytes, render_error, scenario_from_yaml
from model.store import Revision, Store, StoreError, scenario_hash

_NAME = re.compile(r"^[\w .:()+-]{1,120}$")
_FOLDER = re.compile(r"^[\w.-]{1,120}(/[\w.-]{1,120}){0,3}$")


class LibraryError(ValueError):
    """A refusal whose text is safe to show; :meth:`render` gives it in Dutch or English."""

    def __init__(self, render: Callable[[str], str]):
        self.render = render
        super().__init__(render("en"))


def _error(exc: BaseException, prefix: Callable[[str], str] | None = None, **kw) -> LibraryError:
    """A store or scenario error as a LibraryError, translated from its structure."""
    if prefix is None:
        return LibraryError(lambda lang: render_error(exc, lang, **kw))
    return LibraryError(lambda lang: prefix(lang).format(why=render_error(exc, lang, **kw)))


@dataclass(frozen=True)
class SaveOutcome:
    """What a save did: ``saved`` (a new revision), ``unchanged`` (nothing new to save) or ``name_taken``."""

    kind: str
    revision: Revision | None
    latest: Revision | None = None  # for name_taken: the other table's latest revision
    suggestion: str = ""  # for name_taken: a free name for a branch


def link_args(query: Any) -> dict[str, str]:
    """First value of each key of a query string, a dict, or Panel's session_args (lists of bytes)."""
    if isinstance(query, str):
        from urllib.parse import parse_qs

        query = parse_qs(query.lstrip("?"))
    out = {}
    for key, value in dict(query or {}).items():
        if isinstance(value, (list, tuple)):
            value = value[0] if value else ""
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        out[str(key)] = str(value)
    return out


def _clean(text: str, limit: int = 60) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


_LINK_BAD = ("De link kon niet geopend worden: {why}", "The link could not be opened: {why}")


class Library(param.Parameterized):
    """Saved and shipped scenarios for one screen; the revision the design was last saved as or opened from."""

    revision = param.ClassSelector(class_=Revision, default=None, allow_None=True, doc="last saved/opened revision")
    store_version = param.Integer(default=0, doc="bumped when the store changed")
    lang = param.Selector(default="nl", objects=["nl", "en"])

    def __init__(self, store: Store | None = None, **params):
        self._store = store
        super().__init__(**params)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store()
        return self._store

    @staticmethod
    def _say(nl: str, en: str, **kw) -> LibraryError:
        return LibraryError(lambda lang: (nl if lang == "nl" else en).format(**kw))

    @property
    def link(self) -> str:
        return self.store.link_for(self.revision.id) if self.revision is not None else ""

    # ------------------------------------------------------------------ what can be opened
    def options(self, shipped_word: str = "meegeleverd") -> dict[str, tuple[str, str, int | None]]:
        """Label -> (source, name, revision) for every scenario one can open or compare."""
        options: dict[str, tuple[str, str, int | None]] = {}
        for name in list_scenarios():
            options[f"{name} ({shipped_word})"] = ("file", name, None)
        try:
            table = self.store.list_scenarios()
        except StoreError:
            return options
        for row in table.itertuples():
            for number_ in range(int(row.revision), 0, -1):
                options[f"{row.name} r{number_}"] = ("store", row.name, number_)
        return options

    def scenario(self, source: str, name: str, revision: int | None) -> tuple[Scenario, Revision | None]:
        try:
            if source == "file":
                return load_scenario(name), None
            rev = self.store.revision(name, revision)
            return rev.scenario, rev
        except (ScenarioError, StoreError) as exc:
            raise _error(exc) from None

    # ------------------------------------------------------------------ saving
    def save(self, scenario: Scenario, name: str, group: str = "", notes: str = "", branch_ok: bool = False) -> SaveOutcome:
        """Save ``scenario`` as ``name``: a new revision, or why not.

        * unchanged: the design equals the revision it was opened from or saved as (or the
          latest revision of ``name``): nothing is stored.
        * name_taken: ``name`` exists and this screen did not derive from it (another table
          uses it): nothing is stored; :attr:`SaveOutcome.suggestion` is a free name for a branch.
        """
        name = (name or scenario.name).strip()
        if not _NAME.match(name):
            raise self._say("'{name}' is geen geldige naam (letters, cijfers, spatie, - _ . : ( ) +; hoogstens 120)",
                            "'{name}' is not a valid name (letters, digits, space, - _ . : ( ) +; at most 120)", name=_clean(name))
        try:
            named = scenario if name == scenario.name else scenario.with_values({"name": name})
            latest = self._latest(name)
            mine = self.revision
            if latest is not None and scenario_hash(named) == latest.content_hash and (mine is None or mine.name == name):
                return SaveOutcome("unchanged", latest)
            derived = mine is not None and latest is not None and mine.id == latest.id
            if latest is not None and not derived and not branch_ok:
                return SaveOutcome("name_taken", None, latest, self.free_name(name))
            parent = mine.id if mine is not None else None
            rev = self.store.save(named, group=group, notes=notes, parent_id=parent)
        except (ScenarioError, StoreError) as exc:
            raise _error(exc, labels=True, sep="; ") from None
        self.param.update(revision=rev, store_version=self.store_version + 1)
        return SaveOutcome("saved", rev)

    def _latest(self, name: str) -> Revision | None:
        try:
            return self.store.latest(name)
        except StoreError:
            return None

    def free_name(self, name: str) -> str:
        taken = set(self.store.names())
        n = 2
        while f"{name}-{n}" in taken:
            n += 1
        return f"{name}-{n}"

    def branch(self, new_name: str, group: str = "", notes: str = "") -> Revision:
        """Branch the last saved revision under a new name (the screen continues on the branch)."""
        if self.revision is None:
            raise self._say("Bewaar eerst een versie om van af te takken.", "Save a revision first to branch from.")
        new_name = new_name.strip()
        if not _NAME.match(new_name):
            raise self._say("'{name}' is geen geldige naam", "'{name}' is not a valid name", name=_clean(new_name))
        try:
            rev = self.store.branch(self.revision.id, new_name, group=group, notes=notes)
        except (ScenarioError, StoreError) as exc:
            raise _error(exc) from None
        self.param.update(revision=rev, store_version=self.store_version + 1)
        return rev

    def import_bytes(self, data: bytes | str, filename: str, group: str = "") -> tuple[Scenario, Revision]:
        """Decode, validate (with the loader's limits) and save an uploaded scenario file."""
        source = _clean(filename or "upload.yaml", 80)
        try:
            if isinstance(data, str):
                data = data.encode("utf-8")
            text = decode_scenario_bytes(data, source)
            scenario = scenario_from_yaml(text, source=source)
            rev = self.store.save(scenario, group=group, notes=f"imported from {source}")
        except (ScenarioError, StoreError) as exc:
            raise _error(exc, sep="; ") from None
        self.param.update(revision=rev, store_version=self.store_version + 1)
        return scenario, rev

    max_upload_bytes = MAX_SCENARIO_BYTES

    # ------------------------------------------------------------------ links
    def resolve(self, query: Any) -> tuple[str, Scenario, Revision | None, dict]:
        """What a link opens: ``("revision" | "shipped" | "study", scenario, revision, extra)``.

        Raises:
            LibraryError: a short, safe message (never a traceback or a server path).
        """
        args = link_args(query)
        if "study" in args:
            return self._study(args.get("study", ""), args.get("run", "0"))
        name, number = args.get("scenario", ""), args.get("revision", "")
        bad = _LINK_BAD
        if not name or not _NAME.match(name):
            raise self._say(bad[0].format(why="'{n}' is geen scenarionaam"), bad[1].format(why="'{n}' is not a scenario name"),
                            n=_clean(name))
        if number and not re.fullmatch(r"\d{1,9}", number):
            raise self._say(bad[0].format(why="revisie '{n}' is geen (klein) geheel getal"),
                            bad[1].format(why="revision '{n}' is not a (small) whole number"), n=_clean(number))
        prefix = lambda lang: bad[0] if lang == "nl" else bad[1]  # noqa: E731
        try:
            rev = self.store.revision(name, int(number)) if number else self.store.latest(name)
            return "revision", rev.scenario, rev, {}
        except StoreError as exc:
            if not number and name in list_scenarios():
                return "shipped", load_scenario(name), None, {}
            text = _clean(str(exc), 300)
            raise LibraryError(lambda lang: prefix(lang).format(why=text)) from None
        except ScenarioError as exc:
            raise _error(exc, prefix, sep="; ") from None
        except Exception:  # noqa: BLE001 - a broken store must not show its traceback
            raise self._say(bad[0].format(why="de opslag kon het niet lezen"), bad[1].format(why="the store could not read it")) from None

    def _study(self, folder: str, run: str) -> tuple[str, Scenario, None, dict]:
        from model.experiments import StudyError, default_results_root, load_results

        bad = _LINK_BAD
        if not _FOLDER.match(folder or "") or ".." in folder.split("/"):
            raise self._say(bad[0].format(why="'{f}' is geen studiemap"), bad[1].format(why="'{f}' is not a study folder"),
                            f=_clean(folder))
        if not re.fullmatch(r"\d{1,9}", run or ""):
            raise self._say(bad[0].format(why="run '{r}' is geen geheel getal"), bad[1].format(why="run '{r}' is not a whole number"),
                            r=_clean(run))
        try:
            root = default_results_root().resolve()
            path = (root / folder).resolve()
            if not path.is_relative_to(root):
                raise ValueError("outside")
            scenario, _seed = load_results(path).scenario_of_run(int(run))
        except (StudyError, ScenarioError, KeyError, ValueError, OSError, LookupError):
            raise self._say(bad[0].format(why="geen run {r} in studie '{f}'"), bad[1].format(why="no run {r} in study '{f}'"),
                            r=int(run), f=_clean(folder)) from None
        return "study", scenario, None, {"run": int(run), "study": path.name}


__all__ = ["Library", "LibraryError", "SaveOutcome", "link_args"]
