"""The project's embedded store: scenarios with revisions, run results and datasets.

One SQLite file (stdlib :mod:`sqlite3`), by default
``var/leerecosysteem.sqlite`` in the checkout, i.e. ``model.paths.var_dir() /
"leerecosysteem.sqlite"``; set ``LEERECO_VAR_DIR`` to put it elsewhere (tests point it
at a temporary folder), or pass a path to :class:`Store`. ``var/`` is ignored by git:
back it up by copying the file while no app writes (or with ``sqlite3 .backup``).

What it holds:

- **scenarios** by name, each save a new **revision** (1, 2, 3 ... per name) holding
  the canonical YAML (:func:`model.scenario.scenario_to_yaml`), who saved it
  (``author``, free text now, a user name once the workshop app has roles), a group
  (workshop table) and notes. A revision may name the revision it was derived from
  (``parent_id``), so branches form a tree. Nothing is ever overwritten or deleted.
- **runs**: the summary indicators (JSON) and optional result frames (Parquet blobs)
  of a model run, keyed by :func:`scenario_hash`, seed, weeks and population scale,
  so that a compare view or a sweep finds a run it already did.
- **datasets**: versioned tables (Parquet blobs) such as real uptake figures that the
  pilot monitor imports to calibrate against. Each version keeps its source, time,
  metadata and a content hash (:func:`frame_hash`); :meth:`Store.put_dataset` adds a
  version only for content the dataset does not hold yet, and
  :meth:`Store.dataset_versions` lists the history.

Concurrency: every operation opens its own connection (so the store is safe to share
between Panel sessions in threads, Dask workers and processes), the file is in WAL
mode (readers never block the writer), waits up to ``busy_timeout`` for a lock, and
every write runs in one ``BEGIN IMMEDIATE`` transaction: it either lands whole or not
at all, and revision numbers per name cannot collide. The schema carries a
``schema_version`` table; :data:`_MIGRATIONS` lists the steps to the current version.
"""
from __future__ import annotations

import contextlib
import dataclasses
import difflib
import hashlib
import io
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, NamedTuple
from urllib.parse import parse_qs, urlencode

import pandas as pd

from model.paths import var_dir, write_atomic
from model.scenario import Scenario, ScenarioError, scenario_from_yaml, scenario_to_yaml, validate_scenario

DEFAULT_FILENAME = "leerecosysteem.sqlite"
BUSY_TIMEOUT_MS = 30_000

# Each step moves the schema one version up; append new steps, never edit old ones.
_MIGRATIONS: list[str] = [
    # 1: scenarios with revisions, runs with frames, versioned datasets.
    """
    CREATE TABLE scenario (
        name        TEXT PRIMARY KEY,
        created_at  TEXT NOT NULL
    );
    CREATE TABLE revision (
        id            INTEGER PRIMARY KEY,
        scenario_name TEXT NOT NULL REFERENCES scenario(name),
        number        INTEGER NOT NULL CHECK (number >= 1),
        parent_id     INTEGER REFERENCES revision(id),
        group_name    TEXT NOT NULL DEFAULT '',
        notes         TEXT NOT NULL DEFAULT '',
        author        TEXT,
        yaml          TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        UNIQUE (scenario_name, number)
    );
    CREATE INDEX revision_by_hash ON revision(content_hash);
    CREATE INDEX revision_by_parent ON revision(parent_id);

    CREATE TABLE run (
        id               INTEGER PRIMARY KEY,
        revision_id      INTEGER REFERENCES revision(id),
        scenario_hash    TEXT NOT NULL,
        seed             INTEGER NOT NULL,
        weeks            INTEGER NOT NULL,
        population_scale REAL NOT NULL,
        model_version    TEXT NOT NULL DEFAULT '',
        summary_json     TEXT NOT NULL,
        author           TEXT,
        created_at       TEXT NOT NULL
    );
    CREATE INDEX run_by_key ON run(scenario_hash, seed, weeks, population_scale, model_version);
    CREATE INDEX run_by_revision ON run(revision_id);
    CREATE TABLE run_frame (
        run_id   INTEGER NOT NULL REFERENCES run(id),
        name     TEXT NOT NULL,
        parquet  BLOB NOT NULL,
        PRIMARY KEY (run_id, name)
    );

    CREATE TABLE dataset (
        name        TEXT PRIMARY KEY,
        created_at  TEXT NOT NULL
    );
    CREATE TABLE dataset_version (
        id           INTEGER PRIMARY KEY,
        dataset_name TEXT NOT NULL REFERENCES dataset(name),
        version      INTEGER NOT NULL CHECK (version >= 1),
        kind         TEXT NOT NULL,
        source       TEXT NOT NULL DEFAULT '',
        notes        TEXT NOT NULL DEFAULT '',
        author       TEXT,
        n_rows       INTEGER NOT NULL,
        columns_json TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        parquet      BLOB NOT NULL,
        created_at   TEXT NOT NULL,
        UNIQUE (dataset_name, version)
    );
    """,
    # 2: dataset versions carry metadata (JSON: format, pilot period, scenario) and are
    # found by content hash, so that importing the same content twice adds nothing.
    """
    ALTER TABLE dataset_version ADD COLUMN meta_json TEXT NOT NULL DEFAULT '{}';
    CREATE INDEX dataset_version_by_hash ON dataset_version(dataset_name, content_hash);
    """,
]
SCHEMA_VERSION = len(_MIGRATIONS)


class StoreError(LookupError):
    """Something asked of the store that it does not hold (or a file that is no store).

    The message names what was asked, what exists (closest matches first) and how to
    go on.
    """


def scenario_hash(scenario: Scenario) -> str:
    """The sha256 (hex) of the scenario's canonical YAML; equal scenarios, equal hash.

    Note that the name, title and description are part of the YAML and so of the hash.
    """
    return _sha256(scenario_to_yaml(scenario).encode("utf-8"))


@dataclasses.dataclass(frozen=True)
class Revision:
    """One saved version of a named scenario."""

    id: int
    name: str
    number: int
    parent_id: int | None
    group: str
    notes: str
    author: str | None
    created_at: str
    yaml: str = dataclasses.field(repr=False)

    @property
    def scenario(self) -> Scenario:
        """The scenario this revision holds, parsed and validated from its YAML."""
        return scenario_from_yaml(self.yaml, source=f"store: {self.name} revision {self.number}")

    @property
    def content_hash(self) -> str:
        """:func:`scenario_hash` of this revision's scenario."""
        return _sha256(self.yaml.encode("utf-8"))

    @property
    def label(self) -> str:
        """``name r3`` for lists and menus."""
        return f"{self.name} r{self.number}"


_REVISION_COLUMNS = "id, scenario_name, number, parent_id, group_name, notes, author, created_at, yaml"


def _revision(row: tuple) -> Revision:
    return Revision(*row)


def frame_hash(frame: pd.DataFrame) -> str:
    """The sha256 (hex) of a table's content: column names, dtypes, index and values.

    Unlike a hash of the Parquet bytes it does not change with the writer's version, so
    equal tables, read from a CSV or an Excel file, get equal hashes.
    """
    digest = hashlib.sha256()
    digest.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode("utf-8"))
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


@dataclasses.dataclass(frozen=True)
class DatasetVersion:
    """One stored version of a dataset: where it came from, when, and the hash of its content."""

    name: str
    version: int
    kind: str
    source: str
    notes: str
    author: str | None
    n_rows: int
    columns: tuple[str, ...]
    content_hash: str
    created_at: str
    meta: dict = dataclasses.field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        """``uptake_pilot v2`` for lists and menus."""
        return f"{self.name} v{self.version}"


class DatasetPut(NamedTuple):
    """What :meth:`Store.put_dataset` did: the version holding the content, and whether this call created it."""

    version: DatasetVersion
    created: bool


_DATASET_COLUMNS = (
    "dataset_name, version, kind, source, notes, author, n_rows, columns_json, content_hash, created_at, meta_json"
)


def _dataset_version(row: tuple) -> DatasetVersion:
    *head, columns, digest, created, meta = row
    return DatasetVersion(*head, tuple(json.loads(columns)), digest, created, json.loads(meta or "{}"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _closest(asked: str, existing: list[str], what: str) -> str:
    """``no scenario 'x'; did you mean 'y'? known: a, b, c``."""
    if not existing:
        return f"no {what} {asked!r}; the store holds no {what}s yet"
    close = difflib.get_close_matches(str(asked), existing, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
    shown = existing if len(existing) <= 30 else existing[:30] + [f"... ({len(existing) - 30} more)"]
    return f"no {what} {asked!r}; {hint}known {what}s: {', '.join(shown)}"


def _to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow")
    return buffer.getvalue()


def _from_parquet(blob: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(blob), engine="pyarrow")


def _json_default(value: Any) -> Any:
    # numpy scalars and the like carry .item(); everything else is refused loudly.
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"summary values must be numbers, got {type(value).__name__}: {value!r}")


class Store:
    """The scenario, run and dataset store in one SQLite file.

    Args:
        path: the database file; default ``model.paths.var_dir() / "leerecosysteem.sqlite"``.
            It is created, with its schema, on first use.

    Raises:
        StoreError: if the file exists but is not a SQLite database, or was written by a
            newer version of this code.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            path = var_dir() / DEFAULT_FILENAME
        if str(path) == ":memory:":
            raise StoreError("the store needs a file (every operation opens its own connection); pass a path")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # ------------------------------------------------------------------ connections
    def _connect(self) -> sqlite3.Connection:
        try:
            # Autocommit mode: transactions are opened explicitly in _write().
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise self._not_a_store(exc) from None
        return conn

    def _not_a_store(self, exc: Exception) -> StoreError:
        return StoreError(
            f"{self.path} cannot be used as the scenario store ({exc}). If it is not a SQLite database, "
            f"move it aside, or pass another path to Store() or set LEERECO_VAR_DIR."
        )

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that takes the write lock at once.

        ``BEGIN IMMEDIATE`` rather than Python's deferred default: a revision number is
        read (max + 1) and then written, and two sessions must not both read the same
        maximum.
        """
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def _migrate(self) -> None:
        try:
            with self._read() as conn:
                # WAL persists in the file; setting it needs no transaction around it.
                conn.execute("PRAGMA journal_mode = WAL")
            with self._write() as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)")
                current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
                if current > SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path} has schema version {current}, newer than this code knows "
                        f"({SCHEMA_VERSION}); update the code (git pull) before opening it"
                    )
                for version in range(current + 1, SCHEMA_VERSION + 1):
                    for statement in _MIGRATIONS[version - 1].split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute("INSERT INTO schema_version VALUES (?, ?)", (version, _now()))
        except sqlite3.DatabaseError as exc:
            raise self._not_a_store(exc) from None

    @property
    def schema_version(self) -> int:
        """The schema version of the file."""
        with self._read() as conn:
            return conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]

    # ------------------------------------------------------------------ scenarios
    def save(
        self,
        scenario: Scenario | Mapping[str, Any],
        *,
        group: str = "",
        notes: str = "",
        parent_id: int | None = None,
        author: str | None = None,
    ) -> Revision:
        """Store the scenario as a new revision under ``scenario.name``.

        Args:
            scenario: the scenario (or a mapping that validates as one).
            group: the workshop group (table) it belongs to.
            notes: what changed and why, in the participants' words.
            parent_id: the revision it was derived from, if any.
            author: who saved it (free text; a user name once there are roles).

        Returns:
            The new revision.

        Raises:
            ScenarioError: if the scenario does not validate; nothing is stored.
            StoreError: if ``parent_id`` names no revision.
        """
        name, text = self._canonical(scenario)
        with self._write() as conn:
            if parent_id is not None:
                self._require_revision(conn, parent_id)
            return self._insert_revision(conn, name, text, group, notes, parent_id, author)

    @staticmethod
    def _canonical(scenario: Scenario | Mapping[str, Any]) -> tuple[str, str]:
        """The name and canonical YAML, re-parsed so that only what reads back is ever stored."""
        if not isinstance(scenario, Scenario):
            scenario = validate_scenario(dict(scenario))
        # model_construct() or assignment tricks can bypass validation; the text cannot.
        text = scenario_to_yaml(scenario)
        reparsed = scenario_from_yaml(text, source=f"scenario {scenario.name!r}")
        return reparsed.name, scenario_to_yaml(reparsed)

    @staticmethod
    def _insert_revision(
        conn: sqlite3.Connection, name: str, text: str, group: str, notes: str, parent_id: int | None, author: str | None
    ) -> Revision:
        now = _now()
        conn.execute("INSERT OR IGNORE INTO scenario (name, created_at) VALUES (?, ?)", (name, now))
        number = conn.execute(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM revision WHERE scenario_name = ?", (name,)
        ).fetchone()[0]
        cursor = conn.execute(
            "INSERT INTO revision (scenario_name, number, parent_id, group_name, notes, author, yaml, content_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, number, parent_id, group, notes, author, text, _sha256(text.encode("utf-8")), now),
        )
        return Revision(cursor.lastrowid, name, number, parent_id, group, notes, author, now, text)

    def names(self) -> list[str]:
        """The names of all stored scenarios, sorted."""
        with self._read() as conn:
            return [row[0] for row in conn.execute("SELECT name FROM scenario ORDER BY name")]

    def list_scenarios(self) -> pd.DataFrame:
        """One row per scenario name with its latest revision.

        Columns: ``name, revision, revision_id, group, notes, author, created_at,
        first_created_at, n_revisions`` (``revision`` is the latest number).
        """
        query = """
            SELECT r.scenario_name AS name, r.number AS revision, r.id AS revision_id,
                   r.group_name AS "group", r.notes, r.author, r.created_at,
                   s.created_at AS first_created_at, counts.n AS n_revisions
            FROM revision r
            JOIN scenario s ON s.name = r.scenario_name
            JOIN (SELECT scenario_name, MAX(number) AS latest, COUNT(*) AS n
                  FROM revision GROUP BY scenario_name) counts
              ON counts.scenario_name = r.scenario_name AND counts.latest = r.number
            ORDER BY r.scenario_name
        """
        with self._read() as conn:
            cursor = conn.execute(query)
            columns = [d[0] for d in cursor.description]
            return pd.DataFrame(cursor.fetchall(), columns=columns)

    def history(self, name: str) -> list[Revision]:
        """Every revision of ``name``, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_REVISION_COLUMNS} FROM revision WHERE scenario_name = ? ORDER BY number", (name,)
            ).fetchall()
            if not rows:
                raise self._unknown_name(conn, name)
        return [_revision(row) for row in rows]

    def get(self, revision_id: int) -> Revision:
        """The revision with this id."""
        with self._read() as conn:
            return self._require_revision(conn, revision_id)

    def latest(self, name: str) -> Revision:
        """The newest revision of ``name``."""
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_REVISION_COLUMNS} FROM revision WHERE scenario_name = ? ORDER BY number DESC LIMIT 1", (name,)
            ).fetchone()
            if row is None:
                raise self._unknown_name(conn, name)
        return _revision(row)

    def revision(self, name: str, number: int | None = None) -> Revision:
        """Revision ``number`` of ``name`` (the latest when ``number`` is None)."""
        if number is None:
            return self.latest(name)
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_REVISION_COLUMNS} FROM revision WHERE scenario_name = ? AND number = ?", (name, int(number))
            ).fetchone()
            if row is None:
                numbers = [r[0] for r in conn.execute("SELECT number FROM revision WHERE scenario_name = ? ORDER BY number", (name,))]
                if not numbers:
                    raise self._unknown_name(conn, name)
                raise StoreError(f"scenario {name!r} has no revision {number}; it has revisions {numbers[0]} to {numbers[-1]}")
        return _revision(row)

    def load(self, name: str, revision: int | None = None) -> Scenario:
        """The scenario ``name`` at revision number ``revision`` (latest when None)."""
        return self.revision(name, revision).scenario

    def branch(self, revision_id: int, new_name: str, *, group: str = "", notes: str = "", author: str | None = None) -> Revision:
        """Copy a revision under a new name, as revision 1 with ``parent_id`` pointing back.

        Args:
            revision_id: the revision to branch from.
            new_name: a name not yet in the store.
            group: the group of the branch (default: the source revision's group).
            notes: why the branch was made (default: ``branched from <name> r<n>``).
            author: who made the branch.

        Raises:
            StoreError: if ``revision_id`` is unknown or ``new_name`` already exists.
            ScenarioError: if ``new_name`` is not a valid scenario name.
        """
        with self._write() as conn:
            source = self._require_revision(conn, revision_id)
            if conn.execute("SELECT 1 FROM scenario WHERE name = ?", (new_name,)).fetchone():
                n = conn.execute("SELECT COUNT(*) FROM revision WHERE scenario_name = ?", (new_name,)).fetchone()[0]
                raise StoreError(
                    f"a scenario named {new_name!r} already exists ({n} revision(s)); choose another name for the "
                    f"branch, or save a new revision of {new_name!r} instead"
                )
            _, text = self._canonical(source.scenario.with_values({"name": new_name}))
            return self._insert_revision(
                conn, new_name, text, group or source.group, notes or f"branched from {source.label}", source.id, author
            )

    def children(self, revision_id: int) -> list[Revision]:
        """The revisions saved or branched with ``parent_id == revision_id``."""
        with self._read() as conn:
            self._require_revision(conn, revision_id)
            rows = conn.execute(f"SELECT {_REVISION_COLUMNS} FROM revision WHERE parent_id = ? ORDER BY id", (revision_id,))
            return [_revision(row) for row in rows]

    def export_yaml(self, revision_id: int, path: str | Path) -> Path:
        """Write a revision's YAML to ``path`` atomically (a temp file, then ``os.replace``)."""
        rev = self.get(revision_id)
        path = Path(path)
        header = f"# {rev.label} (store revision id {rev.id}, saved {rev.created_at})\n"
        return write_atomic(path, lambda tmp: tmp.write_text(header + rev.yaml, encoding="utf-8"))

    def import_yaml(self, path: str | Path, *, group: str = "", notes: str = "", author: str | None = None) -> Revision:
        """Save the scenario in a YAML file as a new revision of its name.

        Raises:
            ScenarioError: naming the file and the key path if it does not validate
                (or cannot be read); nothing is stored.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{path}: cannot read the scenario file ({exc})") from None
        scenario = scenario_from_yaml(text, source=str(path))
        return self.save(scenario, group=group, notes=notes or f"imported from {path.name}", author=author)

    # ------------------------------------------------------------------ links
    def link_for(self, revision_id: int) -> str:
        """A query string (``?scenario=<name>&revision=<n>``) that reopens the revision."""
        rev = self.get(revision_id)
        return "?" + urlencode({"scenario": rev.name, "revision": rev.number})

    def resolve_link(self, query: Mapping[str, Any] | str) -> Revision:
        """The revision a link points to.

        Args:
            query: a query string (``?scenario=a&revision=2``) or a mapping as
                ``pn.state.session_args`` gives it (values may be lists of bytes).
                Without ``revision`` the latest revision is meant.
        """
        if isinstance(query, str):
            query = parse_qs(query.lstrip("?"))

        def first(key: str) -> str | None:
            value = query.get(key)
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            return None if value is None else str(value)

        name, number = first("scenario"), first("revision")
        if not name:
            raise StoreError(f"the link names no scenario (expected ?scenario=<name>&revision=<n>, got {dict(query)!r})")
        if number in (None, ""):
            return self.latest(name)
        if "\x00" in name or len(name) > 200:
            raise StoreError("the link's scenario name is not a name (expected ?scenario=<name>&revision=<n>)")
        if not number.isdigit() or len(number) > 9:
            raise StoreError(f"the link's revision {number[:20]!r} is not a revision number (a whole number from 1, "
                             "expected ?scenario=<name>&revision=<n>)")
        return self.revision(name, int(number))

    # ------------------------------------------------------------------ runs
    def save_run(
        self,
        revision_id: int | None,
        scenario_hash: str,
        seed: int,
        weeks: int,
        population_scale: float,
        summary: Mapping[str, float],
        frames: Mapping[str, pd.DataFrame] | None = None,
        *,
        model_version: str = "",
        author: str | None = None,
    ) -> int:
        """Store the results of one run; returns the run id.

        Args:
            revision_id: the stored revision that was run, or None for an unsaved scenario.
            scenario_hash: :func:`scenario_hash` of the scenario that was run.
            seed, weeks, population_scale: the run settings.
            summary: indicator name → value (stored as JSON).
            frames: name → results table (each stored as a Parquet blob).
            model_version: the model code's version; a cached run only matches the same one.
        """
        summary_json = json.dumps(dict(summary), default=_json_default, sort_keys=True)
        blobs = {str(name): _to_parquet(frame) for name, frame in (frames or {}).items()}
        with self._write() as conn:
            if revision_id is not None:
                self._require_revision(conn, revision_id)
            run_id = conn.execute(
                "INSERT INTO run (revision_id, scenario_hash, seed, weeks, population_scale, model_version, summary_json, author, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (revision_id, scenario_hash, int(seed), int(weeks), float(population_scale), model_version, summary_json, author, _now()),
            ).lastrowid
            conn.executemany(
                "INSERT INTO run_frame (run_id, name, parquet) VALUES (?, ?, ?)",
                [(run_id, name, blob) for name, blob in blobs.items()],
            )
        return run_id

    _RUN_COLUMNS = "id, revision_id, scenario_hash, seed, weeks, population_scale, model_version, summary_json, author, created_at"

    def _run_dict(self, conn: sqlite3.Connection, row: tuple, with_frames: bool) -> dict[str, Any]:
        keys = self._RUN_COLUMNS.replace(" ", "").split(",")
        run = dict(zip(keys, row))
        run["summary"] = json.loads(run.pop("summary_json"))
        if with_frames:
            frames = conn.execute("SELECT name, parquet FROM run_frame WHERE run_id = ? ORDER BY name", (run["id"],))
            run["frames"] = {name: _from_parquet(blob) for name, blob in frames}
        return run

    def find_run(
        self, scenario_hash: str, seed: int, weeks: int, population_scale: float, *, model_version: str = "", with_frames: bool = True
    ) -> dict[str, Any] | None:
        """The newest stored run with exactly these settings, or None.

        Returns:
            ``{"id", "revision_id", "scenario_hash", "seed", "weeks", "population_scale",
            "model_version", "author", "created_at", "summary": dict, "frames": dict}``.
        """
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {self._RUN_COLUMNS} FROM run WHERE scenario_hash = ? AND seed = ? AND weeks = ?"
                " AND population_scale = ? AND model_version = ? ORDER BY id DESC LIMIT 1",
                (scenario_hash, int(seed), int(weeks), float(population_scale), model_version),
            ).fetchone()
            return None if row is None else self._run_dict(conn, row, with_frames)

    def get_run(self, run_id: int, *, with_frames: bool = True) -> dict[str, Any]:
        """The run with this id (same keys as :meth:`find_run`)."""
        with self._read() as conn:
            row = conn.execute(f"SELECT {self._RUN_COLUMNS} FROM run WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                n = conn.execute("SELECT COUNT(*), MIN(id), MAX(id) FROM run").fetchone()
                known = f"run ids run from {n[1]} to {n[2]}" if n[0] else "the store holds no runs yet"
                raise StoreError(f"no run with id {run_id}; {known}")
            return self._run_dict(conn, row, with_frames)

    def runs_for(self, revision_id: int) -> pd.DataFrame:
        """The runs of a revision, one row each, oldest first, with one column per summary key."""
        with self._read() as conn:
            self._require_revision(conn, revision_id)
            rows = conn.execute(f"SELECT {self._RUN_COLUMNS} FROM run WHERE revision_id = ? ORDER BY id", (revision_id,))
            runs = [self._run_dict(conn, row, with_frames=False) for row in rows]
        base = ["id", "revision_id", "scenario_hash", "seed", "weeks", "population_scale", "model_version", "author", "created_at"]
        records = [{**{k: run[k] for k in base}, **run["summary"]} for run in runs]
        return pd.DataFrame.from_records(records, columns=None if records else base)

    # ------------------------------------------------------------------ datasets
    def save_dataset(
        self, name: str, kind: str, frame: pd.DataFrame, *, source: str = "", notes: str = "", author: str | None = None
    ) -> int:
        """Store a table as the next version of dataset ``name``; returns the version number.

        Always adds a version, even for content the dataset already holds; importers that
        must not duplicate use :meth:`put_dataset`.

        Args:
            name: the dataset's name (``uptake_2026_q1``).
            kind: what it is (``uptake``, ``survey``, ``calibration_target`` ...).
            frame: the table (stored as Parquet, index included).
            source: where it came from (file, organisation, date).
            notes: remarks.
        """
        if not name or not kind:
            raise ValueError("a dataset needs a name and a kind (e.g. save_dataset('uptake_2026', 'uptake', frame))")
        with self._write() as conn:
            return self._insert_dataset_version(conn, name, kind, frame, source, notes, author, {}, frame_hash(frame)).version

    def put_dataset(
        self,
        name: str,
        kind: str,
        frame: pd.DataFrame,
        *,
        source: str = "",
        notes: str = "",
        author: str | None = None,
        meta: Mapping[str, Any] | None = None,
        content_hash: str | None = None,
    ) -> "DatasetPut":
        """Store a table as a new version of dataset ``name`` unless some version already holds it.

        The same content (equal :func:`frame_hash`, or the ``content_hash`` the caller
        computed) gives back the version that holds it and changes nothing, even when a
        later version exists; different content becomes the next version, and every
        earlier version stays as it was (see :meth:`dataset_versions`).

        Args:
            name: the dataset's name.
            kind: what it is (``uptake``, ``badges`` ...); a dataset keeps one kind.
            frame: the table (stored as Parquet).
            source: where it came from (file name, organisation).
            notes: remarks.
            author: who stored it.
            meta: JSON-able facts about the version (format, pilot period, scenario).
            content_hash: the identity of the content; default :func:`frame_hash` of ``frame``.

        Returns:
            The version holding the content and whether this call created it.

        Raises:
            ValueError: if name or kind is empty or ``meta`` is not JSON-able.
            StoreError: if the dataset exists with another kind.
        """
        if not name or not kind:
            raise ValueError("a dataset needs a name and a kind (e.g. put_dataset('uptake_2026', 'uptake', frame))")
        meta = dict(meta or {})
        json.dumps(meta)  # refuse what cannot be stored before taking the write lock
        digest = content_hash or frame_hash(frame)
        with self._write() as conn:
            kinds = {r[0] for r in conn.execute("SELECT DISTINCT kind FROM dataset_version WHERE dataset_name = ?", (name,))}
            if kinds and kind not in kinds:
                raise StoreError(
                    f"dataset {name!r} holds kind {', '.join(sorted(kinds))}, not {kind!r}; choose another name for this {kind} data"
                )
            row = conn.execute(
                f"SELECT {_DATASET_COLUMNS} FROM dataset_version WHERE dataset_name = ? AND content_hash = ? ORDER BY version LIMIT 1",
                (name, digest),
            ).fetchone()
            if row is not None:
                return DatasetPut(_dataset_version(row), created=False)
            return DatasetPut(self._insert_dataset_version(conn, name, kind, frame, source, notes, author, meta, digest), created=True)

    @staticmethod
    def _insert_dataset_version(
        conn: sqlite3.Connection, name: str, kind: str, frame: pd.DataFrame, source: str, notes: str,
        author: str | None, meta: Mapping[str, Any], digest: str,
    ) -> "DatasetVersion":
        blob = _to_parquet(frame)
        columns = [str(c) for c in frame.columns]
        now = _now()
        conn.execute("INSERT OR IGNORE INTO dataset (name, created_at) VALUES (?, ?)", (name, now))
        version = conn.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM dataset_version WHERE dataset_name = ?", (name,)
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO dataset_version (dataset_name, version, kind, source, notes, author, n_rows, columns_json,"
            " content_hash, parquet, created_at, meta_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, version, kind, source, notes, author, len(frame), json.dumps(columns), digest, blob, now,
             json.dumps(dict(meta), sort_keys=True)),
        )
        return DatasetVersion(name, version, kind, source, notes, author, len(frame), tuple(columns), digest, now, dict(meta))

    def dataset_versions(self, name: str) -> list["DatasetVersion"]:
        """Every version of dataset ``name``, oldest first: the import history (source, time, content hash)."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_DATASET_COLUMNS} FROM dataset_version WHERE dataset_name = ? ORDER BY version", (name,)
            ).fetchall()
            if not rows:
                raise self._unknown_dataset(conn, name)
        return [_dataset_version(row) for row in rows]

    def dataset_version(self, name: str, version: int | None = None) -> "DatasetVersion":
        """The description of version ``version`` (latest when None) of dataset ``name``, without its table."""
        history = self.dataset_versions(name)
        if version is None:
            return history[-1]
        for item in history:
            if item.version == int(version):
                return item
        raise StoreError(f"dataset {name!r} has no version {version}; it has versions 1 to {history[-1].version}")

    @staticmethod
    def _unknown_dataset(conn: sqlite3.Connection, name: str) -> StoreError:
        known = [r[0] for r in conn.execute("SELECT name FROM dataset ORDER BY name")]
        return StoreError(_closest(name, known, "dataset"))

    def load_dataset(self, name: str, version: int | None = None) -> pd.DataFrame:
        """Version ``version`` (latest when None) of dataset ``name``."""
        with self._read() as conn:
            if version is None:
                row = conn.execute(
                    "SELECT parquet FROM dataset_version WHERE dataset_name = ? ORDER BY version DESC LIMIT 1", (name,)
                ).fetchone()
            else:
                row = conn.execute(
                    "SELECT parquet FROM dataset_version WHERE dataset_name = ? AND version = ?", (name, int(version))
                ).fetchone()
            if row is None:
                known = [r[0] for r in conn.execute("SELECT name FROM dataset ORDER BY name")]
                if name in known:
                    n = conn.execute("SELECT MAX(version) FROM dataset_version WHERE dataset_name = ?", (name,)).fetchone()[0]
                    raise StoreError(f"dataset {name!r} has no version {version}; it has versions 1 to {n}")
                raise StoreError(_closest(name, known, "dataset"))
        return _from_parquet(row[0])

    def datasets(self, kind: str | None = None) -> pd.DataFrame:
        """One row per dataset with its latest version (only datasets of ``kind`` when given).

        Columns: ``name, version, kind, source, notes, author, n_rows, columns,
        created_at, n_versions, content_hash``.
        """
        query = """
            SELECT v.dataset_name AS name, v.version, v.kind, v.source, v.notes, v.author, v.n_rows,
                   v.columns_json AS columns, v.created_at, counts.n AS n_versions, v.content_hash
            FROM dataset_version v
            JOIN (SELECT dataset_name, MAX(version) AS latest, COUNT(*) AS n
                  FROM dataset_version GROUP BY dataset_name) counts
              ON counts.dataset_name = v.dataset_name AND counts.latest = v.version
            ORDER BY v.dataset_name
        """
        with self._read() as conn:
            cursor = conn.execute(query)
            frame = pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])
        frame["columns"] = [json.loads(c) for c in frame["columns"]]
        if kind is not None:
            frame = frame[frame["kind"] == kind].reset_index(drop=True)
        return frame

    # ------------------------------------------------------------------ lookups
    def _require_revision(self, conn: sqlite3.Connection, revision_id: int) -> Revision:
        row = conn.execute(f"SELECT {_REVISION_COLUMNS} FROM revision WHERE id = ?", (revision_id,)).fetchone()
        if row is None:
            count, lo, hi = conn.execute("SELECT COUNT(*), MIN(id), MAX(id) FROM revision").fetchone()
            known = f"revision ids run from {lo} to {hi}" if count else "the store holds no revisions yet"
            raise StoreError(f"no revision with id {revision_id!r}; {known} (see Store.list_scenarios())")
        return _revision(row)

    @staticmethod
    def _unknown_name(conn: sqlite3.Connection, name: str) -> StoreError:
        known = [row[0] for row in conn.execute("SELECT name FROM scenario ORDER BY name")]
        return StoreError(_closest(name, known, "scenario"))


__all__ = [
    "DatasetPut", "DatasetVersion", "Revision", "Store", "StoreError", "frame_hash", "scenario_hash", "SCHEMA_VERSION",
    "DEFAULT_FILENAME",
]
