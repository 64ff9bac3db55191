"""In-place updates of a session's raw Bokeh models (the map's colour mapper and sources).

Panel widgets and panes are updated directly (Panel dispatches those itself, batched
with ``pn.io.hold()``). Raw Bokeh models are different: Panel runs widget callbacks
without the Bokeh document lock, and a raw model changed there either raises
("_pending_writes should be non-None ...") or, under ``pn.io.hold()`` on a server whose
loop runs in a thread (``pn.serve(threaded=True)``, as in the tests), never reached
the browser (Panel 1.9.4, Bokeh 3.9.2). :func:`in_document` therefore runs such
updates where Bokeh wants them: directly when there is no server session (notebook,
tests), else in a next-tick callback (which holds the document lock), with Bokeh's
own document hold so that one redraw is one message.

Work done in a worker thread (a run, an upload) comes back through :func:`session_schedule`:
a next-tick callback (it holds the document lock) under one ``pn.io.hold()``, in which raw
models are changed at once too. Everything it changes (cards, tables, messages, progress,
the map's colours and data) then reaches the browser as one message, laid out once, instead
of a dozen that each make the browser lay the page out again.
"""
from __future__ import annotations

import threading
from typing import Callable

import panel as pn
from tornado.ioloop import IOLoop

_BATCH = threading.local()  # .doc: the document whose scheduled callback is running on this thread


def session_schedule() -> Callable[[Callable[[], None]], None] | None:
    """How to get back onto this session's thread from a worker thread (None outside a served session).

    The returned function runs its argument in a next-tick callback of the session's document,
    under one hold (see the module's docstring).
    """
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return None
    # through the session's IOLoop (thread-safe): a worker thread that added the next-tick callback itself
    # would, while the document is held, put it among the held events, and an unhold that copies and then
    # clears that list can lose it (a lost "run finished" leaves the session running for good)
    app = getattr(getattr(doc.session_context, "server_context", None), "application_context", None)
    loop = getattr(app, "io_loop", None) or IOLoop.current()

    def schedule(fn: Callable[[], None]) -> None:
        loop.add_callback(lambda: doc.add_next_tick_callback(lambda: _batched(doc, fn)))

    return schedule


def _batched(doc, fn: Callable[[], None]) -> None:
    outer = getattr(_BATCH, "doc", None)
    _BATCH.doc = doc
    try:
        with pn.io.hold(doc):
            fn()
    finally:
        _BATCH.doc = outer


def _session(doc):
    ctx = getattr(doc, "session_context", None)
    return getattr(ctx, "session", None) if ctx is not None else None


def _held(doc, fn: Callable[[], None]) -> None:
    if doc.callbacks.hold_value is not None:
        fn()
        return
    doc.hold("combine")
    try:
        fn()
    finally:
        doc.unhold()


def in_document(model, fn: Callable[[], None]) -> None:
    """Run ``fn`` (which changes Bokeh models of ``model``'s document) safely for that document."""
    doc = getattr(model, "document", None)
    session = _session(doc) if doc is not None else None
    if session is None or getattr(_BATCH, "doc", None) is doc:  # no server, or already in its locked, held callback
        fn()
    else:
        doc.add_next_tick_callback(lambda: _held(doc, fn))


class Deferred:
    """Coalesces redraws: many requests before the next tick make one redraw."""

    def __init__(self, model_getter: Callable[[], object]):
        self._model = model_getter
        self._pending: dict[str, Callable[[], None]] = {}

    def __call__(self, key: str, fn: Callable[[], None]) -> None:
        first = key not in self._pending
        self._pending[key] = fn
        if not first:
            return

        def run() -> None:
            job = self._pending.pop(key, None)
            if job is not None:
                job()

        in_document(self._model(), run)
