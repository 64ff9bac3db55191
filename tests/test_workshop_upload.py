"""The upload box checks a file's size in the browser; the server says why a file is not taken.

The browser half (a 9 MB and a 30 MB file refused with a message, the session going on)
is in tests/test_workshop_browser.py; here the server half, without a browser.
"""
from __future__ import annotations

import base64

import pytest

from apps.components.results import SaveView
from apps.components.state import WorkshopState
from apps.components.upload import UploadBox
from model.store import Store


@pytest.fixture
def save_view(tmp_path):
    return SaveView(state=WorkshopState(store=Store(tmp_path / "store.sqlite")))


def test_a_file_the_browser_found_too_large_is_refused_with_its_size_and_the_limit(save_view):
    s = save_view.state
    save_view.upload._handle_msg({"kind": "too_large", "name": "groot.yaml", "size": 9_000_000})
    assert s.message_kind == "danger"
    assert "groot.yaml: het bestand is 9.0 MB groot; hoogstens 2 MB is toegelaten" in s.message
    s.lang = "en"
    assert "the file is 9.0 MB; at most 2 MB is allowed" in s.message


def test_a_file_within_the_limit_is_read_saved_and_opened(save_view, monkeypatch):
    # outside a served session the file is read at once; a browser test run earlier in this
    # worker process can leave pn.state.curdoc behind, whose next-tick callbacks never run here
    monkeypatch.setattr("apps.components.results._session_schedule", lambda: None)
    s = save_view.state
    data = base64.b64encode(b"name: via-de-browser\ntitle: Via de browser\n").decode()
    save_view.upload._handle_msg({"kind": "file", "name": "klein.yaml", "size": 40, "data": data})
    assert s.scenario.name == "via-de-browser"
    assert "Geïmporteerd en bewaard als via-de-browser r1." in s.message


def test_the_server_does_not_take_the_browsers_word_for_the_size():
    box = UploadBox(max_bytes=10)
    box._handle_msg({"kind": "file", "name": "a.yaml", "size": 1, "data": base64.b64encode(b"x" * 11).decode()})
    assert box.value is None and box.refusal["size"] == 11


def test_garbage_from_the_browser_is_no_file():
    box = UploadBox()
    box._handle_msg({"kind": "file", "name": "a.yaml", "data": "not base64!"})
    box._handle_msg("nonsense")
    assert box.value is None and box.refusal == {"name": "a.yaml", "size": 0, "readable": False}


def test_the_limit_sent_to_the_browser_is_the_loaders_limit(save_view):
    assert save_view.upload.max_bytes == save_view.state.library.max_upload_bytes == 2_000_000
