"""Specifications of the data command line (python -m model.data), all offline."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

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


def test_cli_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "model.data", "--help"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 0 and "refresh" in proc.stdout
