"""The upload box sends a file in chunks; the server puts it together and takes nothing on the browser's word.

First the server half without a browser: chunks give back the same bytes, each one
acknowledged so the browser may send more; a file whose chunks together exceed the
limit, chunks out of order, a new upload midway through another, a chunk that does not
decode, or bytes that do not add up to the size announced are refused (and the browser
told to stop), and no earlier file stays behind. Then the two apps that took Panel's
``FileInput`` (the pilot monitor, the site planner's GTFS feed): each box has its
reader's limit and a refusal says why, in Dutch and English, where the app shows its
messages; and the server for the four apps limits a websocket message to 8 MB. Last, in
Debian's chromium: a pilot CSV larger than the test server's websocket limit arrives in
chunks and is validated; a pilot file and a GTFS feed above their (lowered) limits are
refused with the app's message while the page stays connected.
"""
from __future__ import annotations

import base64
import math
import random
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from browser_support import chromium_available, free_port, new_page, wait_until_up

from apps.components.upload import CHUNK_BYTES, UploadBox
from model.pilot.formats import DEFAULT_LIMITS, Limits
from model.pilot.synthetic import make_synthetic
from model.store import Store


def chunks(data: bytes, name: str = "a.csv", step: int = 4, size: int | None = None, total: int | None = None) -> list[dict]:
    """The messages the browser sends for ``data`` (``size`` and ``total`` as announced, when they lie)."""
    n = max(1, math.ceil(len(data) / step))
    return [{"kind": "chunk", "name": name, "size": len(data) if size is None else size, "index": i,
             "total": n if total is None else total, "data": base64.b64encode(data[i * step:(i + 1) * step]).decode()}
            for i in range(n)]


class Seen:
    """Every value, refusal and progress a box announces, in order."""

    def __init__(self, box: UploadBox):
        self.values: list[bytes] = []
        self.refusals: list[dict] = []
        self.progress: list[int] = []
        box.param.watch(lambda e: self.values.append(e.new) if e.new is not None else None, "value")
        box.param.watch(lambda e: self.refusals.append(dict(e.new)), "refusal")
        box.param.watch(lambda e: self.progress.append(e.new), "progress")


def send(box: UploadBox, messages: list[dict]) -> None:
    for m in messages:
        box._handle_msg(m)


# ============================================================================ the box, server side
def test_a_file_sent_in_chunks_arrives_byte_for_byte_with_its_name_and_progress():
    data = random.Random(7).randbytes(10_007)
    box = UploadBox(max_bytes=20_000, chunk_bytes=1000)
    seen = Seen(box)
    messages = chunks(data, "deelname.csv", step=1000)
    assert len(messages) == 11
    send(box, messages[:-1])
    assert box.value is None and box.uploading == "deelname.csv"  # nothing until the last chunk
    send(box, messages[-1:])
    assert box.value == data and box.filename == "deelname.csv" and seen.values == [data]
    assert seen.refusals == [] and box.uploading == "" and box.progress == 0
    assert seen.progress[:3] == [9, 19, 29] and max(seen.progress) == 99
    send(box, chunks(data, "deelname.csv", step=1000))  # the same file again is read again
    assert seen.values == [data, data]


def test_the_server_acknowledges_each_chunk_so_the_browser_sends_more_and_says_stop_on_a_refusal(monkeypatch):
    box = UploadBox(max_bytes=10, chunk_bytes=4)
    told: list[dict] = []
    monkeypatch.setattr(box, "_send_msg", told.append)
    m = [c | {"upload": 7} for c in chunks(b"abcdefghij", "a.csv")]
    send(box, m)
    assert told == [{"kind": "ack", "upload": 7, "index": 0}, {"kind": "ack", "upload": 7, "index": 1}]
    assert box.value == b"abcdefghij"  # the last chunk needs no acknowledgement
    told.clear()
    send(box, [m[0], m[2]])  # out of order: the browser is told to send no more of it
    assert told == [{"kind": "ack", "upload": 7, "index": 0}, {"kind": "stop", "upload": 7}]
    told.clear()
    send(box, [c | {"upload": 8} for c in chunks(b"x" * 12, "groot.csv")][:1])  # announced above the limit
    assert told == [{"kind": "stop", "upload": 8}]  # told at once, or the browser would wait for acknowledgements
    told.clear()
    send(box, [chunks(b"abcdefgh", "b.csv")[1] | {"upload": 9}])  # a chunk of an upload that never started
    assert told == [{"kind": "stop", "upload": 9}]


def test_an_empty_file_and_a_file_of_exactly_one_chunk_arrive_whole():
    box = UploadBox(max_bytes=100, chunk_bytes=10)
    send(box, chunks(b"", "leeg.csv", step=10))
    assert box.value == b"" and box.refusal == {}
    send(box, chunks(b"0123456789", "tien.csv", step=10))
    assert box.value == b"0123456789" and box.filename == "tien.csv"


def test_chunks_together_above_the_limit_are_refused_at_the_chunk_that_crosses_it():
    box = UploadBox(max_bytes=10, chunk_bytes=4)
    seen = Seen(box)
    # the browser says 5 bytes in 5 chunks, and sends 4 bytes a chunk: the third passes the limit of 10
    lying = chunks(b"x" * 20, "klein.csv", step=4, size=5, total=5)
    send(box, lying[:3])
    assert seen.refusals == [{"name": "klein.csv", "size": 12, "readable": True}]  # too large: said so at once
    send(box, lying[3:])
    assert box.value is None and len(seen.refusals) == 1  # the rest of a refused upload is let go quietly


def test_a_file_announced_above_the_limit_is_refused_at_its_first_chunk_and_nothing_is_kept():
    box = UploadBox(max_bytes=10, chunk_bytes=4)
    seen = Seen(box)
    send(box, chunks(b"y" * 12, "groot.csv", step=4))
    assert seen.refusals == [{"name": "groot.csv", "size": 12, "readable": True}]
    assert box.value is None and box._pending is None


def test_chunks_out_of_order_are_refused():
    box = UploadBox(max_bytes=100, chunk_bytes=4)
    seen = Seen(box)
    m = chunks(b"abcdefghijkl", "a.csv", step=4)
    send(box, [m[0], m[2], m[1]])
    assert box.value is None and seen.refusals == [{"name": "a.csv", "size": 12, "readable": False}]
    send(box, [m[1], m[2]])  # a chunk without its start is no file either
    assert box.value is None and len(seen.refusals) == 1
    send(box, [chunks(b"abcd", "b.csv")[0] | {"index": 1, "total": 2}])  # a file that never started
    assert seen.refusals[-1] == {"name": "b.csv", "size": 4, "readable": False}


def test_a_new_upload_midway_replaces_the_one_under_way_and_none_of_its_chunks_are_mixed_in():
    box = UploadBox(max_bytes=100, chunk_bytes=4)
    seen = Seen(box)
    a, b = chunks(b"A" * 12, "a.csv"), chunks(b"B" * 12, "b.csv")
    send(box, [a[0], b[0], a[1], b[1], a[2], b[2]])  # interleaved
    assert seen.refusals == []  # the user chose another file: nothing went wrong, nothing to say
    assert seen.values == [b"B" * 12] and box.filename == "b.csv"


def test_a_new_upload_lets_go_of_the_file_chosen_before_it_at_once():
    """While the next file is on its way, nothing (the planner's button) acts on the one before."""
    box = UploadBox(max_bytes=100, chunk_bytes=4)
    send(box, chunks(b"A" * 8, "a.zip"))
    assert box.value == b"A" * 8
    b = chunks(b"B" * 12, "b.zip")
    send(box, b[:1])
    assert box.value is None and box.filename == "" and box.uploading == "b.zip"
    send(box, b[1:])
    assert box.value == b"B" * 12 and box.filename == "b.zip"


def test_a_chunk_that_does_not_decode_refuses_the_file():
    box = UploadBox(max_bytes=100, chunk_bytes=4)
    m = chunks(b"abcdefgh", "a.csv")
    send(box, [m[0], m[1] | {"data": "not base64!"}])
    assert box.value is None and box.refusal == {"name": "a.csv", "size": 8, "readable": False}


def test_a_chunk_longer_than_the_chunk_size_is_refused():
    box = UploadBox(max_bytes=100, chunk_bytes=4)
    send(box, chunks(b"abcdefgh", "a.csv", step=8))
    assert box.value is None and box.refusal["readable"] is False


def test_bytes_that_do_not_add_up_to_the_size_announced_are_refused():
    box = UploadBox(max_bytes=100, chunk_bytes=4)
    send(box, chunks(b"abcd", "a.csv", size=9))
    assert box.value is None and box.refusal == {"name": "a.csv", "size": 4, "readable": False}


@pytest.mark.parametrize("broken", [{"index": "x"}, {"total": None}, {"index": 3, "total": 2}, {"size": -1},
                                    {"index": True}])
def test_a_chunk_without_a_valid_index_total_or_size_is_no_file(broken):
    box = UploadBox(max_bytes=100, chunk_bytes=4)
    send(box, [chunks(b"abcd", "a.csv")[0] | broken])
    assert box.value is None and box.refusal["readable"] is False


def test_a_refusal_leaves_no_earlier_file_behind():
    box = UploadBox(max_bytes=10, chunk_bytes=4)
    send(box, chunks(b"klein", "a.csv"))
    assert box.value == b"klein"
    box._handle_msg({"kind": "too_large", "name": "groot.csv", "size": 11})
    assert box.value is None and box.filename == ""


def test_the_browser_is_told_the_chunk_size_and_the_limit_and_nothing_of_the_file():
    data = UploadBox(max_bytes=123, chunk_bytes=45).get_root().data
    synced = set(data.properties_with_values())
    assert {"max_bytes", "chunk_bytes", "accept", "label"} <= synced and (data.max_bytes, data.chunk_bytes) == (123, 45)
    assert not synced & {"value", "filename", "refusal", "progress", "uploading"}
    assert 4 * CHUNK_BYTES / 3 < 2 * 1024 * 1024  # a chunk's message (base64) stays far below the servers' 8 MB


# ============================================================================ the pilot monitor
TINY = {"n_seeds": 3, "population_scale": 0.02, "population_size": 8, "generations": 1, "synthetic_weeks": 4,
        "predict_weeks": 6, "n_draws": 2}


@pytest.fixture
def monitor(tmp_path):
    from apps.pilot_monitor import MonitorState, PilotMonitor, Settings

    return PilotMonitor(MonitorState(Settings(**TINY, upload_chunk_bytes=4096), Store(tmp_path / "s.sqlite")))


def test_the_monitors_box_takes_the_readers_limit_and_file_types(monitor):
    assert monitor.upload.max_bytes == DEFAULT_LIMITS.max_bytes == 64 * 1024 * 1024
    assert monitor.upload.accept == ".csv,.xlsx" and monitor.upload.chunk_bytes == 4096


def test_a_pilot_file_too_large_is_refused_in_dutch_and_english_naming_the_file_and_sizes(monitor):
    monitor.upload._handle_msg({"kind": "too_large", "name": "<b>groot</b>.csv", "size": 70 * 1024 * 1024})
    text = monitor.validation.object
    assert "&lt;b&gt;groot&lt;/b&gt;.csv" in text and "<b>groot" not in text
    assert "het bestand is 70.0 MB, meer dan de grens van 64.0 MB" in text
    assert "the file is 70.0 MB, above the limit of 64.0 MB" in text
    assert "niet opgeladen / not uploaded" in text


def test_a_pilot_file_sent_in_chunks_is_validated_off_the_event_loop(monitor, monkeypatch):
    import panel as pn

    monkeypatch.setattr(pn.state, "curdoc", None)  # read at once outside a served session (see test_workshop_upload)
    threads: list[str] = []
    validate = monitor.state.validate
    monkeypatch.setattr(monitor.state, "validate",
                        lambda data, name: (threads.append(threading.current_thread().name), validate(data, name)))
    data = make_synthetic(weeks=2, population_scale=0.02).csv_bytes()
    send(monitor.upload, chunks(data, "SYNTHETISCH-upload.csv", step=4096))
    assert threads and threads[0] != threading.current_thread().name
    assert "geldig, geen problemen / valid, no problems" in monitor.validation.object
    assert monitor.state.observed is not None and not monitor.compare.disabled


def test_the_monitor_reads_with_the_limits_it_gives_the_box(tmp_path):
    from apps.pilot_monitor import MonitorState, PilotMonitor, Settings

    monitor = PilotMonitor(MonitorState(Settings(**TINY, limits=Limits(max_bytes=1000)), Store(tmp_path / "s.sqlite")))
    assert monitor.upload.max_bytes == 1000
    monitor.state.validate(b"x" * 1001, "a.csv")  # the reader refuses above the same limit
    assert list(monitor.state.problems["code"]) == ["file_too_large"]


# ============================================================================ the site planner
@pytest.fixture(scope="module")
def planner(tmp_path_factory):
    import apps.site_planner as sp
    from apps.planner.state import PlannerState
    from model.geography import load_genk

    return sp.SitePlannerApp(state=PlannerState(geo=load_genk(), store=Store(tmp_path_factory.mktemp("p") / "s.sqlite")))


def test_the_planners_gtfs_box_takes_the_readers_limit(planner, monkeypatch):
    import apps.site_planner as sp
    from apps.planner.state import PlannerState

    assert planner.gtfs_file.max_bytes == PlannerState.max_gtfs_bytes == 300_000_000
    assert planner.gtfs_file.accept == ".zip"
    monkeypatch.setattr(planner.state, "max_gtfs_bytes", 12_345)
    assert sp.SitePlannerApp(state=planner.state).gtfs_file.max_bytes == 12_345


def test_a_gtfs_file_too_large_is_refused_in_dutch_and_english_naming_the_file_and_sizes(planner):
    planner.gtfs_file._handle_msg({"kind": "too_large", "name": "de-lijn.zip", "size": 350_000_000})
    s = planner.state
    assert s.level == "danger"
    assert "de-lijn.zip: het GTFS-bestand is 350.0 MB groot; hoogstens 300 MB is toegelaten" in s.message
    assert "de-lijn.zip: the GTFS file is 350.0 MB; at most 300 MB is allowed" in s.message
    assert "350.0 MB" in planner.message.object  # where the planner shows its messages


def test_a_gtfs_feed_sent_in_chunks_is_what_the_button_reads_and_a_refusal_takes_it_back(planner, monkeypatch):
    used: list[tuple[bytes, str]] = []
    monkeypatch.setattr(planner.state, "use_gtfs", lambda data, name, schedule=None: used.append((data, name)))
    feed = b"PK" + random.Random(3).randbytes(2500)
    send(planner.gtfs_file, chunks(feed, "de-lijn.zip", step=planner.gtfs_file.chunk_bytes))
    assert "de-lijn.zip ontvangen / received" in planner.gtfs_status.object
    planner.gtfs_btn.clicks += 1
    assert used == [(feed, "de-lijn.zip")]
    planner.gtfs_file._handle_msg({"kind": "unreadable", "name": "kapot.zip", "size": 10})
    assert "kapot.zip: het GTFS-bestand kwam niet volledig aan" in planner.state.message
    planner.gtfs_btn.clicks += 1  # the earlier feed is no longer taken for the one chosen last
    assert len(used) == 1 and "Kies eerst een GTFS-bestand" in planner.state.message


# ============================================================================ one server for the four apps
def test_the_server_for_the_four_apps_refuses_websocket_messages_above_8_mb(monkeypatch):
    import panel as pn

    from apps import server

    seen: dict = {}
    monkeypatch.setattr(pn, "serve", lambda *a, **kw: seen.update(kw))
    server.serve(port=1)
    assert seen["websocket_max_message_size"] == 8 * 1024 * 1024
    server.serve(port=1, websocket_max_message_size=1000)  # a caller's own value stays
    assert seen["websocket_max_message_size"] == 1000


# ============================================================================ in the browser
WEBSOCKET_LIMIT = 32 * 1024  # the test server's: a 40 kB pilot file in one message would drop the connection
CHUNK = 8 * 1024  # 11 kB a message as base64
LIMIT = 100_000  # the test monitor's largest pilot file

browser = pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import panel as pn

    from apps.pilot_monitor import Settings, serve

    folder = tmp_path_factory.mktemp("monitor")
    port = free_port()
    errors: list[BaseException] = []  # raised in the server's callbacks (else only printed)
    handler, pn.config.exception_handler = pn.config.exception_handler, errors.append
    settings = Settings(**TINY, limits=Limits(max_bytes=LIMIT), upload_chunk_bytes=CHUNK)
    server = serve(port, settings=settings, store=Store(folder / "store.sqlite"), show=False, threaded=True,
                   websocket_max_message_size=WEBSOCKET_LIMIT)
    wait_until_up(port)
    try:
        yield f"http://127.0.0.1:{port}/pilot_monitor", folder, errors
    finally:
        server.stop()
        pn.config.exception_handler = handler


@pytest.fixture
def page(chrome, served):
    from playwright.sync_api import expect

    context, page = new_page(chrome)
    page.goto(served[0])
    expect(page.get_by_text("1. Gegevens / 1. Data")).to_be_visible(timeout=60_000)
    yield page
    context.close()


@browser
@pytest.mark.browser
def test_a_pilot_file_larger_than_a_websocket_message_arrives_in_chunks_and_is_validated(page, served):
    from playwright.sync_api import expect

    path = make_synthetic(weeks=8, population_scale=0.02).write(served[1] / "SYNTHETISCH-acht-weken.csv")
    assert WEBSOCKET_LIMIT < path.stat().st_size < LIMIT
    page.locator("input[type=file]").set_input_files(str(path))
    expect(page.get_by_text("geldig, geen problemen / valid, no problems")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("SYNTHETISCH-acht-weken.csv", exact=False).first).to_be_visible()
    assert served[2] == []  # the page was refreshed whole, with the document lock held


@browser
@pytest.mark.browser
def test_a_pilot_file_above_the_limit_is_refused_with_a_message_and_the_page_stays_connected(page, served):
    from playwright.sync_api import expect

    path = served[1] / "groot.csv"
    path.write_bytes(b"aanbod;week\n" + b"x;2026-W37\n" * 15_000)  # 165 kB, above the lowered limit of 100 kB
    page.locator("input[type=file]").set_input_files(str(path))
    refusal = page.get_by_role("alert").filter(has_text="groot.csv")
    expect(refusal).to_contain_text("niet opgeladen / not uploaded", timeout=30_000)
    expect(refusal).to_contain_text("het bestand is 0.2 MB, meer dan de grens van 0.1 MB")
    expect(refusal).to_contain_text("the file is 0.2 MB, above the limit of 0.1 MB")
    page.get_by_role("button", name="Gebruik het SYNTHETISCHE voorbeeld / Use the SYNTHETIC example").click()
    expect(page.get_by_text("geldig, geen problemen / valid, no problems")).to_be_visible(timeout=60_000)
    assert served[2] == []


@pytest.fixture(scope="module")
def planner_url():
    import apps.site_planner as sp
    from apps.planner.state import PlannerState

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(PlannerState, "max_gtfs_bytes", 50_000)  # lowered for the test: 0.05 MB
        port = free_port()
        server = sp.serve(port=port, threaded=True)
        wait_until_up(port)
        try:
            yield f"http://127.0.0.1:{port}/site-planner"
        finally:
            server.stop()


@browser
@pytest.mark.browser
def test_a_gtfs_file_above_the_planners_limit_is_refused_and_the_page_stays_connected(chrome, planner_url, tmp_path):
    import zipfile

    from playwright.sync_api import expect

    context, page = new_page(chrome, (1700, 1100))
    try:
        page.goto(planner_url)
        page.get_by_text("Bereik / Catchment", exact=True).first.wait_for(timeout=60_000)
        small = tmp_path / "de-lijn.zip"
        with zipfile.ZipFile(small, "w") as z:
            z.writestr("stops.txt", "stop_id,stop_name,stop_lat,stop_lon\nA,Genk Station,50.9650,5.4980\n")
        page.locator("input[type=file]").set_input_files(str(small))
        expect(page.get_by_text("de-lijn.zip ontvangen / received", exact=False)).to_be_visible(timeout=30_000)
        big = tmp_path / "groot.zip"
        big.write_bytes(b"PK" + random.Random(5).randbytes(80_000))
        page.locator("input[type=file]").set_input_files(str(big))
        expect(page.get_by_role("status").filter(has_text="groot.zip: het GTFS-bestand is 0.1 MB groot")).to_contain_text(
            "groot.zip: the GTFS file is 0.1 MB; at most 0.05 MB is allowed", timeout=30_000)
        # still connected; and the refused file took the earlier one's place: there is no feed to use
        page.get_by_role("button", name="Gebruik deze dienstregeling (GTFS) / use this timetable").click()
        expect(page.get_by_text("Kies eerst een GTFS-bestand (zip).", exact=False)).to_be_visible(timeout=30_000)
    finally:
        context.close()
