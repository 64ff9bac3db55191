"""Specifications of the data command line (python -m model.data), all offline."""
from __future__ import annotations

import bz2
import hashlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

import model.data as data_cli
from model.geography import RoadNetwork
from model.paths import DATA_DIR, ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "osm" / "genk_terril_waterschei.osm.bz2"

NO_HIGHWAY_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand">
  <node id="1" lat="51.0000" lon="5.5400" version="1"/>
  <node id="2" lat="51.0001" lon="5.5400" version="1"/>
  <node id="3" lat="51.0001" lon="5.5401" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/>
    <tag k="building" v="yes"/></way>
</osm>
"""


@pytest.fixture(autouse=True)
def private_var_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LEERECO_VAR_DIR", str(tmp_path / "var"))


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def assert_agrees_with_bundle(out: Path) -> None:
    bundled = RoadNetwork.from_dir(DATA_DIR)
    nodes = pd.read_parquet(out / "roads_nodes.parquet")
    inside = nodes["in_genk"].to_numpy()
    assert inside.sum() > 100  # the extract overlaps Genk (Nieuw-Texas)
    dist, _ = cKDTree(bundled.xy).query(nodes.loc[inside, ["x", "y"]].to_numpy())
    assert np.median(dist) < 1.0
    assert (dist < 5.0).mean() >= 0.85


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A throw-away copy of data/ that a test may damage."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target, ignore=shutil.ignore_patterns("imported", "*.py", "README.md"))
    return target


def shifted_fixture(tmp_path: Path, dlon: float, dlat: float = 0.0) -> Path:
    """The Waterschei extract with every node moved by (dlon, dlat) degrees."""
    text = bz2.decompress(FIXTURE.read_bytes()).decode()
    text = re.sub(r'lon="([-0-9.]+)"', lambda m: f'lon="{float(m.group(1)) + dlon:.7f}"', text)
    text = re.sub(r'lat="([-0-9.]+)"', lambda m: f'lat="{float(m.group(1)) + dlat:.7f}"', text)
    out = tmp_path / f"shifted_{dlon}_{dlat}.osm"
    out.write_text(text)
    return out


def test_import_of_the_waterschei_extract_matches_the_bundled_network(tmp_path):
    out = tmp_path / "net"
    n_edges, n_nodes = data_cli.import_osm(FIXTURE, out)
    assert n_edges > 300 and n_nodes > 200
    assert sorted(p.name for p in out.iterdir()) == ["roads_edges.parquet", "roads_nodes.parquet"]
    assert_agrees_with_bundle(out)
    # the imported network routes
    net = RoadNetwork.from_dir(out)
    xy = net.xy[net.mode_graph("walk").lcc_nodes[:3]]
    t = net.travel_minutes_xy(xy, xy, "walk")
    assert np.isfinite(t).all() and np.allclose(np.diag(t), 0, atol=1e-3)


@pytest.mark.skipif(shutil.which("osmium") is None, reason="osmium-tool not installed")
def test_import_of_a_pbf_goes_through_osmium(tmp_path):
    pbf = tmp_path / "waterschei.osm.pbf"
    subprocess.run(["osmium", "cat", str(FIXTURE), "-o", str(pbf)], check=True, capture_output=True)
    out = tmp_path / "net"
    n_edges, _ = data_cli.import_osm(pbf, out)
    assert n_edges > 300
    assert_agrees_with_bundle(out)


def test_pbf_without_osmium_is_a_clear_error(tmp_path, monkeypatch):
    pbf = tmp_path / "x.osm.pbf"
    pbf.write_bytes(b"\0")
    monkeypatch.setattr(data_cli.shutil, "which", lambda name: None)
    with pytest.raises(data_cli.DataCommandError, match="osmium-tool is not installed") as info:
        data_cli.import_osm(pbf, tmp_path / "out")
    assert info.value.code == 2


def test_osm_file_without_highways_errors_and_writes_nothing(tmp_path):
    src = tmp_path / "buildings_only.osm"
    src.write_text(NO_HIGHWAY_OSM)
    out = tmp_path / "out"
    with pytest.raises(data_cli.DataCommandError, match="no (highway|usable street)"):
        data_cli.import_osm(src, out)
    assert not out.exists()
    assert not any(p.name.startswith(".import-") for p in tmp_path.iterdir())


def test_import_cli_exit_code_for_bad_file(tmp_path, capsys):
    src = tmp_path / "buildings_only.osm"
    src.write_text(NO_HIGHWAY_OSM)
    assert data_cli.main(["import", str(src), "--out", str(tmp_path / "out")]) == 1
    assert "error:" in capsys.readouterr().err


# ---------------------------------------------------------------- import: only Genk, all at once
@pytest.fixture
def previous_import(tmp_path) -> tuple[Path, str]:
    """A folder holding a good import of the Waterschei extract, and its digest."""
    out = tmp_path / "imported" / "net"
    data_cli.import_osm(FIXTURE, out)
    return out, tree_digest(out)


def test_import_refuses_a_network_outside_genk_and_keeps_the_previous_output(tmp_path, previous_import, capsys):
    out, before = previous_import
    elsewhere = shifted_fixture(tmp_path, dlon=0.3)  # the same streets 21 km east, in Maasmechelen
    assert data_cli.main(["import", str(elsewhere), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "mostly outside Genk" in err and "0% of its" in err and "Nothing was changed" in err
    assert tree_digest(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["net"]  # no staging folder left behind


def test_import_accepts_a_border_extract_with_a_third_of_its_nodes_in_genk(tmp_path):
    out = tmp_path / "net"
    data_cli.import_osm(FIXTURE, out)
    nodes = pd.read_parquet(out / "roads_nodes.parquet")
    assert 0.25 < nodes["in_genk"].mean() < 0.5  # Terril Waterschei lies on the border with As


def test_import_without_a_boundary_cannot_check_and_writes_nothing(tmp_path, data_copy):
    (data_copy / "boundary.parquet").unlink()
    out = tmp_path / "net"
    with pytest.raises(data_cli.DataCommandError, match="boundary.parquet is missing"):
        data_cli.import_osm(FIXTURE, out, data_dir=data_copy)
    assert not out.exists()


def test_a_failure_while_writing_leaves_the_previous_output_whole(tmp_path, previous_import, monkeypatch):
    out, before = previous_import
    moved = shifted_fixture(tmp_path, dlon=0.001)

    def edges_then_crash(edges, nodes, staging):
        edges.to_parquet(staging / "roads_edges.parquet", index=False)
        raise OSError("disk full")

    monkeypatch.setattr(data_cli, "write_network", edges_then_crash)
    with pytest.raises(OSError, match="disk full"):
        data_cli.import_osm(moved, out)
    assert tree_digest(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["net"]


def test_a_failure_while_replacing_restores_the_previous_output(tmp_path, previous_import, monkeypatch):
    """The second rename of the replacement fails: per-file moves would leave new edges beside old nodes."""
    out, before = previous_import
    moved = shifted_fixture(tmp_path, dlon=0.001)  # every coordinate differs from the previous import
    real_replace = data_cli.os.replace
    calls = []

    def replace(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:
            raise OSError("rename failed")
        return real_replace(src, dst)

    monkeypatch.setattr(data_cli.os, "replace", replace)
    with pytest.raises(OSError, match="rename failed"):
        data_cli.import_osm(moved, out)
    monkeypatch.undo()
    assert tree_digest(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["net"]


def test_a_second_import_replaces_edges_and_nodes_together(tmp_path, previous_import):
    out, before = previous_import
    old_nodes = pd.read_parquet(out / "roads_nodes.parquet")
    moved = shifted_fixture(tmp_path, dlon=0.001)  # 70 m east: still Genk, every coordinate new
    data_cli.import_osm(moved, out)
    nodes = pd.read_parquet(out / "roads_nodes.parquet")
    edges = pd.read_parquet(out / "roads_edges.parquet")
    assert tree_digest(out) != before
    assert np.allclose(nodes["lon"].to_numpy(), old_nodes["lon"].to_numpy() + 0.001)
    assert set(edges["u"]) | set(edges["v"]) <= set(nodes["node_id"])


def test_import_into_a_folder_with_other_files_is_refused(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(data_cli.DataCommandError, match="holds other files .*notes.txt"):
        data_cli.import_osm(FIXTURE, out)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_refresh_offline_fails_fast_and_leaves_data_untouched(monkeypatch, capsys):
    before = tree_digest(DATA_DIR)
    monkeypatch.setattr(data_cli, "is_online", lambda *a, **k: False)
    start = time.perf_counter()
    code = data_cli.main(["refresh"])
    assert time.perf_counter() - start < 10
    assert code == 2
    assert "offline" in capsys.readouterr().err
    assert tree_digest(DATA_DIR) == before


def test_connectivity_probe_gives_up_quickly():
    start = time.perf_counter()
    data_cli.is_online(("10.255.255.1", 443), timeout_s=0.5)  # unroutable address
    assert time.perf_counter() - start < 3


def test_check_reports_matching_counts(capsys):
    assert data_cli.main(["check"]) == 0
    out = capsys.readouterr().out
    assert "addresses" in out and "MISMATCH" not in out


# ---------------------------------------------------------------- check: coordinate systems and venues
def _rewrite(path: Path, change) -> None:
    gdf = gpd.read_parquet(path)
    change(gdf).to_parquet(path, index=False)


@pytest.mark.parametrize("name", ["wijken", "boundary", "buildings", "landuse"])
def test_check_fails_on_a_file_without_coordinate_system(data_copy, capsys, name):
    _rewrite(data_copy / f"{name}.parquet", lambda g: g.set_crs(None, allow_override=True))
    assert data_cli.main(["check", "--data-dir", str(data_copy)]) == 1
    out = capsys.readouterr().out
    assert re.search(rf"FAILED: .*{name}\.parquet has no coordinate reference system \(expected EPSG:31370\)", out)
    assert "set_crs('EPSG:31370')" in out and "git checkout" in out


def test_check_fails_on_wijken_in_another_coordinate_system(data_copy, capsys):
    _rewrite(data_copy / "wijken.parquet", lambda g: g.to_crs("EPSG:4326"))
    assert data_cli.main(["check", "--data-dir", str(data_copy)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"wijken\.parquet is stored in EPSG:4326, expected EPSG:31370.*to_crs\('EPSG:31370'\)", out)


def test_check_fails_on_wijken_whose_label_does_not_match_their_coordinates(data_copy, capsys):
    # degrees marked as Lambert metres: every venue then lies in no wijk
    _rewrite(data_copy / "wijken.parquet", lambda g: g.to_crs("EPSG:4326").set_crs("EPSG:31370", allow_override=True))
    assert data_cli.main(["check", "--data-dir", str(data_copy)]) == 1
    out = capsys.readouterr().out
    assert "wijken.parquet says EPSG:31370 but its coordinates do not lie near Genk" in out
    assert "venues in wijken" in out and "lies in no wijk" in out


def test_check_fails_when_a_venue_lies_in_no_wijk(data_copy, capsys):
    providers = pd.read_csv(data_copy / "providers.csv")
    row = int(providers.index[providers["venue_id"] == "regina_mundi"][0]) + 2
    rm = providers.loc[providers["venue_id"] == "regina_mundi", ["lon", "lat"]].to_numpy(dtype=float)[0]
    hole = gpd.GeoSeries(gpd.points_from_xy([rm[0]], [rm[1]]), crs="EPSG:4326").to_crs("EPSG:31370").buffer(30).iloc[0]
    _rewrite(data_copy / "wijken.parquet", lambda g: g.assign(geometry=g.geometry.difference(hole)))
    assert data_cli.main(["check", "--data-dir", str(data_copy)]) == 1
    out = capsys.readouterr().out
    assert f"FAILED: data/providers.csv row {row} ('regina_mundi'" in out
    assert "coordinate systems             6         6  ok" in out


def test_cli_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "model.data", "--help"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 0 and "refresh" in proc.stdout
