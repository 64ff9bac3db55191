"""An upload box that checks a file's size in the browser and sends the file in chunks.

Panel's ``FileInput`` has no size limit of its own: it reads any file into the page and
sends it over the websocket in one message, and a message above the server's
``websocket_max_message_size`` (8 MB) drops the connection: the session is gone without
a word. :class:`UploadBox` reads the file's size in the browser first. A file above
``max_bytes`` is never read: the server gets only its name and size and shows the
app's own refusal ("het bestand is 9,0 MB groot; hoogstens 2 MB is toegelaten"), and
the session goes on. A file within the limit is read one slice at a time
(``file.slice`` and a ``FileReader``, ``chunk_bytes`` of the file per message, base64),
so a file of any size up to ``max_bytes`` passes a websocket limited to 8 MB. The server
acknowledges each chunk and the browser keeps at most four unacknowledged, so a large
file is never all queued in the browser at once; a refusal midway tells it to stop.

The server takes nothing on the browser's word: it puts the chunks together in order,
refuses the file when the chunks together exceed ``max_bytes``, when a chunk arrives out
of order, when a chunk does not decode, or when the bytes do not add up to the size
announced; and only a complete file sets ``value`` and ``filename``. A new file chosen
midway replaces the one under way (that one is let go without a refusal: nothing went
wrong), and from its first chunk ``value`` no longer holds the file chosen before. The single-message form
(``kind: "file"``) of earlier versions is still read, with the same checks.
"""
from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass, field

import param
from panel.custom import JSComponent

log = logging.getLogger(__name__)

CHUNK_BYTES = 1_000_000  # of the file per message: 1.33 MB as base64, far below the servers' 8 MB websocket limit
#: The apps' servers refuse websocket messages above this (``websocket_max_message_size``): every upload
#: box sends at most ``CHUNK_BYTES`` of a file per message, so nothing honest comes near it, and a larger
#: message is refused before a session holds it (Bokeh's default would take 20 MB per message).
WEBSOCKET_MAX_BYTES = 8 * 1024 * 1024


@dataclass
class _Pending:
    """An upload under way: the bytes so far, and what every next chunk must match."""

    name: str
    size: int
    total: int
    upload: int | None = None  # the browser's number for it, echoed in acknowledgements (used for nothing else)
    buffer: bytearray = field(default_factory=bytearray)  # never more than max_bytes: checked chunk by chunk
    chunks: int = 0

    @property
    def key(self) -> tuple[str, int, int]:
        return self.name, self.size, self.total


class UploadBox(JSComponent):
    """A file input: ``value`` (bytes) and ``filename`` once a whole file within ``max_bytes`` has arrived;
    ``refusal`` (name and size) when it was larger or did not arrive whole, without ``value`` keeping an older file."""

    accept = param.String(default=".yaml,.yml", doc="file types offered by the browser's file dialog")
    max_bytes = param.Integer(default=2_000_000, bounds=(0, None), doc="largest file taken, in bytes")
    chunk_bytes = param.Integer(default=CHUNK_BYTES, bounds=(1, 4_000_000),
                                doc="bytes of the file per websocket message (base64 makes them a third larger)")
    label = param.String(default="", doc="the input's accessible name")
    value = param.Parameter(default=None, doc="the file's bytes (server side only)")
    filename = param.String(default="", doc="name of the last file read")
    refusal = param.Dict(default={}, doc="{'name', 'size', 'readable'} of the last file refused")
    progress = param.Integer(default=0, bounds=(0, 100), doc="per cent of the file under way that has arrived")
    uploading = param.String(default="", doc="name of the file under way ('' when none)")

    # server side only: never sent to the browser
    _rename = {"value": None, "filename": None, "refusal": None, "progress": None, "uploading": None}

    _esm = """
export function render({ model, el }) {
  const input = document.createElement("input")
  input.type = "file"
  input.className = "upload-input"
  input.accept = model.accept
  if (model.label) input.setAttribute("aria-label", model.label)
  model.on("accept", () => { input.accept = model.accept })
  model.on("label", () => { input.setAttribute("aria-label", model.label) })
  // One upload at a time: a newer choice stops an older one. At most WINDOW chunks travel before the
  // server acknowledges them, so a large file is never all queued in the browser's websocket buffer.
  const WINDOW = 4
  let uploads = 0
  let upload = null
  const pump = () => {
    const u = upload
    if (!u || u.reading || u.sent >= u.total || u.sent - u.acked >= WINDOW) return
    u.reading = true
    const index = u.sent
    const reader = new FileReader()
    reader.onload = () => {
      u.reading = false
      if (upload !== u) return
      const url = String(reader.result)
      const comma = url.indexOf(",")
      model.send_msg({kind: "chunk", name: u.file.name, size: u.file.size, index: index, total: u.total, upload: u.id,
                      data: comma < 0 ? "" : url.slice(comma + 1)})
      u.sent = index + 1
      if (u.sent < u.total) pump()
      else { upload = null; input.value = "" }
    }
    reader.onerror = () => {
      if (upload !== u) return
      upload = null
      model.send_msg({kind: "unreadable", name: u.file.name, size: u.file.size})
      input.value = ""
    }
    reader.readAsDataURL(u.file.slice(index * u.step, Math.min(u.file.size, (index + 1) * u.step)))
  }
  model.on("msg:custom", (msg) => {
    const u = upload
    if (!u || !msg || msg.upload !== u.id) return
    if (msg.kind === "ack") { u.acked = Math.max(u.acked, msg.index + 1); pump() }
    else if (msg.kind === "stop") { upload = null; input.value = "" }  // refused: the server has said why
  })
  input.addEventListener("change", () => {
    const file = input.files && input.files[0]
    if (!file) return
    upload = null
    if (file.size > model.max_bytes) {
      // never read: only the name and size go to the server, which says why
      model.send_msg({kind: "too_large", name: file.name, size: file.size})
      input.value = ""
      return
    }
    const step = Math.max(1, Math.floor(model.chunk_bytes))
    upload = {id: ++uploads, file: file, step: step, total: Math.max(1, Math.ceil(file.size / step)), sent: 0, acked: 0,
              reading: false}
    pump()
  })
  el.appendChild(input)
}
"""
    _stylesheets = [""":host { width: 100%; }
.upload-input { font-size: 17px; padding: 10px 4px; width: 100%; min-height: 48px; box-sizing: border-box; }
.upload-input::file-selector-button { font-size: 17px; padding: 8px 14px; margin-right: 10px; }"""]

    def __init__(self, **params):
        super().__init__(**params)
        self._pending: _Pending | None = None
        self._dropped: set[tuple[str, int, int]] = set()  # uploads refused midway: their later chunks are let go quietly

    # ------------------------------------------------------------------ messages from the browser
    def _handle_msg(self, data) -> None:
        if not isinstance(data, dict):
            return
        kind = data.get("kind")
        name = str(data.get("name") or "upload")[:200]
        size = _integer(data.get("size"))
        if kind == "chunk":
            self._receive_chunk(name, size, data)
            return
        if kind not in ("file", "too_large", "unreadable"):
            return
        if self._pending is not None:  # whatever was under way does not end now
            self._drop(self._pending.key)
        self._abandon()
        if kind == "file":  # the whole file in one message (earlier versions of this box)
            raw = _decode(data.get("data"))
            if raw is None:
                log.warning("an upload could not be decoded")
                self.receive_refusal(name, size or 0, readable=False)
            elif len(raw) > self.max_bytes:  # the browser's word is not taken for it
                self.receive_refusal(name, len(raw))
            else:
                self._take(name, raw)
        elif kind == "too_large":
            self.receive_refusal(name, size or 0)
        else:
            self.receive_refusal(name, size or 0, readable=False)

    def _receive_chunk(self, name: str, size: int | None, data: dict) -> None:
        index, total = _integer(data.get("index")), _integer(data.get("total"))
        if size is None or index is None or total is None or size < 0 or not 0 <= index < total:
            log.warning("an upload chunk of %r without a valid size, index or total", name)
            self._refuse_pending(name, max(size or 0, 0))
            return
        key = (name, size, total)
        if index == 0:
            if self._pending is not None:  # a new upload midway through another: the other is not taken, and
                log.info("upload of %r replaced by %r", self._pending.name, name)  # no refusal: nothing went wrong
                self._drop(self._pending.key)
                self._stop(self._pending)
                self._abandon()
            if self.value is not None:  # from now on nothing acts on the file chosen before this one
                self.param.update(value=None, filename="")
            self._dropped.discard(key)
            if size > self.max_bytes:
                self._drop(key)
                self._send_msg({"kind": "stop", "upload": _integer(data.get("upload"))})  # the browser sends no more
                self.receive_refusal(name, size)
                return
            self._pending = _Pending(name, size, total, upload=_integer(data.get("upload")))
            self.param.update(uploading=name, progress=0)
        pending = self._pending
        if pending is None or pending.key != key or index != pending.chunks:
            if key in self._dropped:
                return  # the rest of an upload already refused
            log.warning("upload chunk %s of %r out of order", index, name)
            if pending is None:  # nothing under way to stop: tell the browser to stop this one
                self._send_msg({"kind": "stop", "upload": _integer(data.get("upload"))})
            self._refuse_pending(pending.name if pending else name, pending.size if pending else size)
            self._drop(key)
            return
        raw = _decode(data.get("data"))
        if raw is None or len(raw) > self.chunk_bytes or (not raw and size > 0):
            log.warning("upload chunk %s of %r does not decode, or is empty or too long", index, name)
            self._refuse_pending(name, size)
            self._drop(key)
            return
        if len(pending.buffer) + len(raw) > self.max_bytes:  # counted here: the browser's word for the size is not taken
            received = len(pending.buffer) + len(raw)
            self._stop(pending)
            self._abandon()
            self._drop(key)
            self.receive_refusal(name, max(received, size))
            return
        pending.buffer += raw
        pending.chunks += 1
        if index < total - 1:
            self.progress = min(99, 100 * len(pending.buffer) // max(size, 1))
            self._send_msg({"kind": "ack", "upload": pending.upload, "index": index})  # the browser may send more
            return
        self._abandon()
        if len(pending.buffer) != size:
            log.warning("upload of %r: %d bytes arrived, %d announced", name, len(pending.buffer), size)
            self.receive_refusal(name, len(pending.buffer), readable=False)
            return
        whole = bytes(pending.buffer)
        pending.buffer.clear()
        self._take(name, whole)

    # ------------------------------------------------------------------ outcomes
    def _take(self, name: str, raw: bytes) -> None:
        self.filename = name
        if self.value == raw:  # the same file again: read it again
            self.param.trigger("value")
        else:
            self.value = raw

    def _abandon(self) -> None:
        self._pending = None
        if self.uploading or self.progress:
            self.param.update(uploading="", progress=0)

    def _drop(self, key: tuple[str, int, int]) -> None:
        if len(self._dropped) >= 16:  # a handful is all an honest browser leaves behind
            self._dropped.clear()
        self._dropped.add(key)

    def _refuse_pending(self, name: str, size: int) -> None:
        if self._pending is not None:
            self._drop(self._pending.key)
            self._stop(self._pending)
        self._abandon()
        self.receive_refusal(name, size, readable=False)

    def _stop(self, pending: _Pending) -> None:
        """Tell the browser to send no more of a refused upload."""
        self._send_msg({"kind": "stop", "upload": pending.upload})

    def receive_refusal(self, name: str, size: int, readable: bool = True) -> None:
        """A file not taken (too large, unreadable, or not arrived whole): watchers of ``refusal`` say why.

        ``value`` no longer holds an earlier file, so that nothing acts on a file other than the one chosen last.
        """
        if self.value is not None:
            self.param.update(value=None, filename="")
        refusal = {"name": str(name)[:200], "size": int(size), "readable": readable}
        if self.refusal == refusal:  # the same file refused again: say so again
            self.param.trigger("refusal")
        else:
            self.refusal = refusal


def _integer(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _decode(text) -> bytes | None:
    try:
        return base64.b64decode(str(text if text is not None else ""), validate=True)
    except (binascii.Error, ValueError):
        return None


__all__ = ["CHUNK_BYTES", "UploadBox", "WEBSOCKET_MAX_BYTES"]
