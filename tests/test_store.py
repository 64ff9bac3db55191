"""The store keeps every revision, refuses what does not validate and survives concurrency."""
from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.scenario import Scenario, ScenarioError, scenario_to_yaml
from model.store import SCHEMA_VERSION, Revision, Store, StoreError, scenario_hash


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.sqlite")


@pytest.fixture
def workshop_scenario() -> Scenario:
    return Scenario(name="wijk_centrum", title="Aanbod in het centrum").with_values(
        {"levers.mentors.enabled": True, "levers.mentors.hours_per_week": 40, "uncertainties.friend_weight": 2.0}
    )


def snapshot(store: Store) -> tuple:
    """Everything a user can see of the scenarios, to show that a refused import changed nothing."""
    listing = store.list_scenarios()
    histories = {name: store.history(name) for name in store.names()}
    return listing.to_dict("records"), histories


# --------------------------------------------------------------------------- the file
def test_a_new_store_has_the_current_schema_in_wal_mode(store: Store) -> None:
    assert store.schema_version == SCHEMA_VERSION
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.names() == []
    assert store.list_scenarios().empty


def test_reopening_a_store_keeps_its_contents_and_does_not_migrate_twice(tmp_path: Path, workshop_scenario: Scenario) -> None:
    Store(tmp_path / "s.sqlite").save(workshop_scenario)
    again = Store(tmp_path / "s.sqlite")
    assert again.names() == ["wijk_centrum"]
    with sqlite3.connect(again.path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == SCHEMA_VERSION


def test_the_default_location_is_in_the_var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEERECO_VAR_DIR", str(tmp_path / "var"))
    assert Store().path == tmp_path / "var" / "leerecosysteem.sqlite"


def test_a_file_that_is_not_sqlite_gives_a_clear_store_error(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.sqlite"
    not_a_db.write_text("this is a text file, not a database\n" * 100)
    with pytest.raises(StoreError, match=r"notes\.sqlite.*not a database.*move it aside"):
        Store(not_a_db)


def test_a_store_written_by_newer_code_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with sqlite3.connect(store.path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, 'later')", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer than this code"):
        Store(store.path)


# --------------------------------------------------------------------------- revisions
def test_saving_twice_makes_two_revisions_and_keeps_the_first_intact(store: Store, workshop_scenario: Scenario) -> None:
    first = store.save(workshop_scenario, group="tafel 1", notes="eerste idee", author="an")
    changed = workshop_scenario.with_values({"uncertainties.friend_weight": 4.0})
    second = store.save(changed, group="tafel 1", notes="meer vrienden", parent_id=first.id)

    assert (first.number, second.number) == (1, 2)
    assert second.parent_id == first.id
    history = store.history("wijk_centrum")
    assert history == [first, second]
    assert history[0].scenario == workshop_scenario
    assert history[0].notes == "eerste idee" and history[0].author == "an"
    assert store.get(first.id) == first


def test_load_gives_back_the_latest_or_the_asked_revision(store: Store, workshop_scenario: Scenario) -> None:
    store.save(workshop_scenario)
    changed = workshop_scenario.with_values({"run.weeks": 104})
    store.save(changed)
    assert store.load("wijk_centrum") == changed
    assert store.load("wijk_centrum", 1) == workshop_scenario
    assert store.load("wijk_centrum", 2) == changed
    assert store.latest("wijk_centrum").number == 2


def test_a_revision_stores_the_canonical_yaml_and_its_hash(store: Store, workshop_scenario: Scenario) -> None:
    rev = store.save(workshop_scenario)
    assert rev.yaml == scenario_to_yaml(workshop_scenario)
    assert rev.content_hash == scenario_hash(workshop_scenario)
    assert isinstance(rev, Revision) and rev.label == "wijk_centrum r1"


def test_the_scenario_list_shows_one_row_per_name_with_the_latest_revision(store: Store, workshop_scenario: Scenario) -> None:
    store.save(workshop_scenario, group="tafel 1", notes="a")
    latest = store.save(workshop_scenario, group="tafel 2", notes="b")
    store.save(Scenario(name="basis"))
    listing = store.list_scenarios()
    assert list(listing["name"]) == ["basis", "wijk_centrum"]
    row = listing.set_index("name").loc["wijk_centrum"]
    assert (row["revision"], row["revision_id"], row["n_revisions"]) == (2, latest.id, 2)
    assert (row["group"], row["notes"]) == ("tafel 2", "b")
    assert store.names() == ["basis", "wijk_centrum"]


def test_an_invalid_scenario_is_refused_and_nothing_is_stored(store: Store, workshop_scenario: Scenario) -> None:
    store.save(workshop_scenario)
    before = snapshot(store)
    broken = workshop_scenario.model_copy(deep=True)
    object.__setattr__(broken.uncertainties, "friend_weight", 99.0)  # as if validation were bypassed
    with pytest.raises(ScenarioError, match=r"uncertainties\.friend_weight"):
        store.save(broken)
    with pytest.raises(ScenarioError, match=r"run\.weeks"):
        store.save({"name": "uit_dict", "run": {"weeks": 0}})
    assert snapshot(store) == before


def test_unknown_names_and_ids_say_what_exists(store: Store, workshop_scenario: Scenario) -> None:
    rev = store.save(workshop_scenario)
    with pytest.raises(StoreError, match=r"no scenario 'wijk_centrm'; did you mean 'wijk_centrum'"):
        store.history("wijk_centrm")
    with pytest.raises(StoreError, match="did you mean 'wijk_centrum'"):
        store.load("wijk-centrum")
    with pytest.raises(StoreError, match=r"no revision 7; it has revisions 1 to 1"):
        store.load("wijk_centrum", 7)
    with pytest.raises(StoreError, match=rf"no revision with id 999; revision ids run from {rev.id} to {rev.id}"):
        store.get(999)
    with pytest.raises(LookupError):
        store.latest("niets")
    with pytest.raises(StoreError, match="no revision with id 42"):
        store.save(workshop_scenario, parent_id=42)
    assert len(store.history("wijk_centrum")) == 1


# --------------------------------------------------------------------------- branches
def test_a_branch_is_a_copy_under_a_new_name_linked_to_its_parent(store: Store, workshop_scenario: Scenario) -> None:
    source = store.save(workshop_scenario, group="tafel 1")
    branch = store.branch(source.id, "wijk_centrum_met_clubs", notes="met leerclubs")
    assert (branch.name, branch.number, branch.parent_id) == ("wijk_centrum_met_clubs", 1, source.id)
    assert branch.group == "tafel 1"  # inherits the group unless told otherwise
    assert branch.scenario == workshop_scenario.with_values({"name": "wijk_centrum_met_clubs"})
    assert store.children(source.id) == [branch]
    assert store.history("wijk_centrum") == [source]


def test_a_branch_refuses_a_name_that_exists(store: Store, workshop_scenario: Scenario) -> None:
    source = store.save(workshop_scenario)
    store.save(Scenario(name="bezet"))
    before = snapshot(store)
    with pytest.raises(StoreError, match=r"'bezet' already exists.*choose another name"):
        store.branch(source.id, "bezet")
    with pytest.raises(StoreError, match=r"'wijk_centrum' already exists"):
        store.branch(source.id, "wijk_centrum")
    with pytest.raises(StoreError, match="no revision with id 555"):
        store.branch(555, "nieuw")
    assert snapshot(store) == before


# --------------------------------------------------------------------------- files
def test_export_then_import_round_trips_to_an_equal_scenario(store: Store, workshop_scenario: Scenario, tmp_path: Path) -> None:
    rev = store.save(workshop_scenario)
    path = store.export_yaml(rev.id, tmp_path / "out.yaml")
    assert path.read_text(encoding="utf-8").startswith("# wijk_centrum r1")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []  # no temp file left
    imported = store.import_yaml(path, group="thuis")
    assert imported.scenario == workshop_scenario
    assert (imported.number, imported.group, imported.notes) == (2, "thuis", "imported from out.yaml")


def test_export_replaces_an_existing_file_whole(store: Store, workshop_scenario: Scenario, tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("old content that is much longer than nothing\n" * 1000)
    rev = store.save(workshop_scenario)
    store.export_yaml(rev.id, target)
    assert "old content" not in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name: kapot\nlevers: [open\n", r"kapot\.yaml: line \d+, column \d+ is not valid YAML"),
        ("name: typfout\nuncertainties:\n  friend_weigth: 1\n", r"typfout\.yaml: unknown key 'uncertainties\.friend_weigth'"),
        ("name: te_groot\nuncertainties:\n  friend_weight: 50\n", r"te_groot\.yaml: uncertainties\.friend_weight = 50 is out of range"),
    ],
    ids=["malformed_yaml", "unknown_key", "out_of_range"],
)
def test_importing_a_bad_file_names_file_and_key_and_stores_nothing(
    store: Store, workshop_scenario: Scenario, tmp_path: Path, content: str, expected: str
) -> None:
    store.save(workshop_scenario)
    before = snapshot(store)
    name = expected.split("\\.yaml")[0]
    bad = tmp_path / f"{name}.yaml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(ScenarioError, match=expected):
        store.import_yaml(bad)
    assert snapshot(store) == before


def test_importing_a_missing_file_names_it(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nergens\.yaml: cannot read"):
        store.import_yaml(tmp_path / "nergens.yaml")


# --------------------------------------------------------------------------- links
def test_a_link_reopens_the_same_revision(store: Store, workshop_scenario: Scenario) -> None:
    first = store.save(workshop_scenario)
    store.save(workshop_scenario.with_values({"run.weeks": 10}))
    link = store.link_for(first.id)
    assert link == "?scenario=wijk_centrum&revision=1"
    assert store.resolve_link(link) == first
    assert store.resolve_link({"scenario": "wijk_centrum", "revision": "1"}) == first
    # pn.state.session_args gives lists of bytes
    assert store.resolve_link({"scenario": [b"wijk_centrum"], "revision": [b"1"]}) == first
    assert store.resolve_link({"scenario": "wijk_centrum"}).number == 2


def test_a_link_with_an_awkward_name_survives_encoding(store: Store) -> None:
    rev = store.save(Scenario(name="Zwartberg & Winterslag? 50%"))
    assert store.resolve_link(store.link_for(rev.id)) == rev


def test_a_broken_link_says_what_is_wrong(store: Store, workshop_scenario: Scenario) -> None:
    store.save(workshop_scenario)
    with pytest.raises(StoreError, match="names no scenario"):
        store.resolve_link({})
    with pytest.raises(StoreError, match="not a revision number"):
        store.resolve_link("?scenario=wijk_centrum&revision=twee")
    with pytest.raises(StoreError, match="not a revision number"):
        store.resolve_link(f"?scenario=wijk_centrum&revision={2**63}")  # once an OverflowError from sqlite
    with pytest.raises(StoreError, match="not a name"):
        store.resolve_link("?scenario=wijk%00centrum&revision=1")
    with pytest.raises(StoreError, match="did you mean 'wijk_centrum'"):
        store.resolve_link("?scenario=wijk_centrun")


# --------------------------------------------------------------------------- concurrency
def test_concurrent_saves_from_eight_threads_are_all_kept(store: Store) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def session(i: int) -> None:
        try:
            barrier.wait()
            for j in range(5):
                store.save(Scenario(name="gedeeld", title=f"sessie {i} poging {j}"), author=f"sessie{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    history = store.history("gedeeld")
    assert [rev.number for rev in history] == list(range(1, 41))
    assert sorted(rev.scenario.title for rev in history) == sorted(f"sessie {i} poging {j}" for i in range(8) for j in range(5))


def _save_from_process(path: str, worker: int, n: int) -> None:
    store = Store(path)
    for j in range(n):
        store.save(Scenario(name="gedeeld", title=f"proces {worker} poging {j}"))


def test_concurrent_saves_from_two_processes_are_all_kept(tmp_path: Path) -> None:
    path = str(tmp_path / "store.sqlite")
    Store(path)
    ctx = multiprocessing.get_context("spawn")  # no inherited state: like two real servers
    workers = [ctx.Process(target=_save_from_process, args=(path, w, 10)) for w in range(2)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=120)
    assert [p.exitcode for p in workers] == [0, 0]
    history = Store(path).history("gedeeld")
    assert [rev.number for rev in history] == list(range(1, 21))
    assert len({rev.scenario.title for rev in history}) == 20


# --------------------------------------------------------------------------- runs
def test_a_run_round_trips_with_its_summary_and_frames(store: Store, workshop_scenario: Scenario) -> None:
    rev = store.save(workshop_scenario)
    weekly = pd.DataFrame(
        {"week": np.arange(1, 5), "wijk": ["Centrum", "Winterslag", "Zwartberg", "Bret"], "uptake": [0.1, 0.2, 0.25, 0.3]}
    )
    summary = {"uptake": 0.31, "participation_gap": np.float64(0.12), "n_badges": 7}
    key = (scenario_hash(workshop_scenario), 3, 52, 0.1)
    run_id = store.save_run(rev.id, *key, summary, {"weekly": weekly})

    found = store.find_run(*key)
    assert found is not None and found["id"] == run_id and found["revision_id"] == rev.id
    assert found["summary"] == {"uptake": 0.31, "participation_gap": 0.12, "n_badges": 7}
    pd.testing.assert_frame_equal(found["frames"]["weekly"], weekly)
    assert store.find_run(key[0], 4, 52, 0.1) is None
    assert store.find_run(*key, model_version="v2") is None
    assert store.get_run(run_id, with_frames=False)["summary"]["uptake"] == 0.31

    runs = store.runs_for(rev.id)
    assert list(runs["id"]) == [run_id] and runs.loc[0, "uptake"] == 0.31


def test_a_run_of_an_unsaved_scenario_is_kept_and_the_newest_run_is_found(store: Store) -> None:
    h = scenario_hash(Scenario())
    store.save_run(None, h, 1, 52, 0.1, {"uptake": 0.1})
    newest = store.save_run(None, h, 1, 52, 0.1, {"uptake": 0.2})
    assert store.find_run(h, 1, 52, 0.1)["id"] == newest
    assert store.find_run(h, 1, 52, 0.1)["frames"] == {}


def test_a_run_for_an_unknown_revision_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="no revision with id 5"):
        store.save_run(5, "abc", 1, 52, 0.1, {"uptake": 0.1})
    with pytest.raises(StoreError, match="no run with id 1; the store holds no runs yet"):
        store.get_run(1)


# --------------------------------------------------------------------------- datasets
def test_a_dataset_is_versioned_and_round_trips(store: Store) -> None:
    january = pd.DataFrame({"wijk": ["Centrum", "Bret"], "participants": [12, 4], "date": pd.to_datetime(["2026-01-31"] * 2)})
    february = january.assign(participants=[15, 9])
    assert store.save_dataset("uptake_pilot", "uptake", january, source="stad Genk") == 1
    assert store.save_dataset("uptake_pilot", "uptake", february, notes="februari") == 2

    pd.testing.assert_frame_equal(store.load_dataset("uptake_pilot"), february)
    pd.testing.assert_frame_equal(store.load_dataset("uptake_pilot", 1), january)
    listing = store.datasets()
    row = listing.set_index("name").loc["uptake_pilot"]
    assert (row["version"], row["n_versions"], row["kind"], row["n_rows"]) == (2, 2, "uptake", 2)
    assert row["columns"] == ["wijk", "participants", "date"]


def test_unknown_datasets_say_what_exists(store: Store) -> None:
    assert store.datasets().empty
    store.save_dataset("uptake_pilot", "uptake", pd.DataFrame({"x": [1]}))
    with pytest.raises(StoreError, match="did you mean 'uptake_pilot'"):
        store.load_dataset("uptake_pilott")
    with pytest.raises(StoreError, match="has no version 3; it has versions 1 to 1"):
        store.load_dataset("uptake_pilot", 3)


# --------------------------------------------------------------------------- hashing
def test_equal_scenarios_have_equal_hashes_and_any_change_changes_it(workshop_scenario: Scenario) -> None:
    copy = Scenario.model_validate(workshop_scenario.model_dump())
    assert scenario_hash(copy) == scenario_hash(workshop_scenario)
    assert scenario_hash(workshop_scenario.with_values({"uncertainties.friend_weight": 2.5})) != scenario_hash(workshop_scenario)
    assert len(scenario_hash(workshop_scenario)) == 64


# --------------------------------------------------------------------------- dataset versions
def _uptake(participants: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"wijk": ["Genk-Centrum", "Bret"], "participants": participants})


def test_putting_the_same_content_twice_keeps_one_version_and_says_so(store: Store) -> None:
    first = store.put_dataset("uptake_pilot", "uptake", _uptake([12, 4]), source="week1.csv")
    again = store.put_dataset("uptake_pilot", "uptake", _uptake([12, 4]), source="week1 (kopie).csv")
    assert (first.created, again.created) == (True, False)
    assert again.version == first.version and again.version.source == "week1.csv"
    assert [v.version for v in store.dataset_versions("uptake_pilot")] == [1]


def test_a_corrected_table_becomes_the_next_version_and_the_history_keeps_both(store: Store) -> None:
    first = store.put_dataset("uptake_pilot", "uptake", _uptake([12, 4]), source="week1.csv", meta={"format": "csv"})
    corrected = store.put_dataset("uptake_pilot", "uptake", _uptake([12, 5]), source="week1-v2.csv", notes="Bret geteld")
    assert corrected.created and corrected.version.version == 2
    history = store.dataset_versions("uptake_pilot")
    assert [(v.version, v.source) for v in history] == [(1, "week1.csv"), (2, "week1-v2.csv")]
    assert history[0].content_hash != history[1].content_hash and len(history[0].content_hash) == 64
    assert history[0].meta == {"format": "csv"} and history[0].created_at < history[1].created_at
    assert history[1].label == "uptake_pilot v2" and store.dataset_version("uptake_pilot") == history[1]
    pd.testing.assert_frame_equal(store.load_dataset("uptake_pilot", 1), _uptake([12, 4]))
    # re-importing the old file later does not push it back on top
    assert store.put_dataset("uptake_pilot", "uptake", _uptake([12, 4])).version == first.version
    assert store.datasets().set_index("name").loc["uptake_pilot", "version"] == 2


def test_the_content_hash_ignores_how_the_table_was_serialised_but_not_its_values() -> None:
    from model.store import frame_hash

    assert frame_hash(_uptake([12, 4])) == frame_hash(_uptake([12, 4]).copy())
    assert frame_hash(_uptake([12, 4])) != frame_hash(_uptake([4, 12]))
    assert frame_hash(_uptake([12, 4])) != frame_hash(_uptake([12, 4]).rename(columns={"participants": "deelnemers"}))


def test_a_dataset_keeps_its_kind_and_lists_filter_by_kind(store: Store) -> None:
    store.put_dataset("uptake_pilot", "uptake", _uptake([1, 2]))
    store.put_dataset("badges_pilot", "badges", pd.DataFrame({"badges": [3]}))
    with pytest.raises(StoreError, match=r"'uptake_pilot' holds kind uptake, not 'badges'; choose another name"):
        store.put_dataset("uptake_pilot", "badges", pd.DataFrame({"badges": [3]}))
    assert list(store.datasets(kind="uptake")["name"]) == ["uptake_pilot"]
    with pytest.raises(StoreError, match="did you mean 'uptake_pilot'"):
        store.dataset_versions("uptake_pilott")
    with pytest.raises(StoreError, match="has no version 4; it has versions 1 to 1"):
        store.dataset_version("uptake_pilot", 4)


def test_a_store_of_the_first_schema_is_migrated_and_keeps_its_datasets(tmp_path: Path) -> None:
    from model import store as store_module

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:  # what a version-1 store looks like on disk
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)")
        conn.executescript(store_module._MIGRATIONS[0])
        conn.execute("INSERT INTO schema_version VALUES (1, '2026-01-01')")
        conn.execute("INSERT INTO dataset VALUES ('oud', '2026-01-01')")
        conn.execute(  # a dataset with the first schema's columns only
            "INSERT INTO dataset_version (dataset_name, version, kind, n_rows, columns_json, content_hash, parquet, created_at)"
            " VALUES ('oud', 1, 'uptake', 2, '[\"wijk\", \"participants\"]', 'x', ?, '2026-01-01')",
            (store_module._to_parquet(_uptake([1, 2])),),
        )
    migrated = Store(path)
    assert migrated.schema_version == SCHEMA_VERSION >= 2
    assert migrated.dataset_versions("oud")[0].meta == {}
    pd.testing.assert_frame_equal(migrated.load_dataset("oud"), _uptake([1, 2]))
