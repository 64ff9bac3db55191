"""An upload box that checks a file's size in the browser before anything is sent.

Panel's ``FileInput`` has no size limit of its own: it reads any file into the page and
sends it over the websocket in one message, and a message above the server's
``websocket_max_message_size`` (8 MB) drops the connection: the session is gone without
a word. :class:`UploadBox` reads the file's size in the browser first. A file above
``max_bytes`` is never read: the server gets only its name and size and shows the
loader's own refusal ("het bestand is 9,0 MB groot; hoogstens 2 MB is toegelaten"), and
the session goes on. A file within the limit is sent (base64, well below the websocket's
limit) and read as before, with every check of :mod:`model.scenario_io`.
"""
from __future__ import annotations

import base64
import binascii
import logging

import param
from panel.custom import JSComponent

log = logging.getLogger(__name__)


class UploadBox(JSComponent):
    """A file input: ``value`` (bytes) and ``filename`` when a file within ``max_bytes`` was chosen;
    ``refusal`` (name and size) when it was larger, without the file ever leaving the browser."""

    accept = param.String(default=".yaml,.yml", doc="file types offered by the browser's file dialog")
    max_bytes = param.Integer(default=2_000_000, doc="largest file sent to the server, in bytes")
    label = param.String(default="", doc="the input's accessible name")
    value = param.Parameter(default=None, doc="the file's bytes (server side only)")
    filename = param.String(default="", doc="name of the last file read")
    refusal = param.Dict(default={}, doc="{'name', 'size'} of the last file refused for its size")

    _rename = {"value": None, "filename": None, "refusal": None}  # server side only: never sent to the browser

    _esm = """
export function render({ model, el }) {
  const input = document.createElement("input")
  input.type = "file"
  input.className = "upload-input"
  input.accept = model.accept
  if (model.label) input.setAttribute("aria-label", model.label)
  model.on("accept", () => { input.accept = model.accept })
  model.on("label", () => { input.setAttribute("aria-label", model.label) })
  input.addEventListener("change", () => {
    const file = input.files && input.files[0]
    if (!file) return
    if (file.size > model.max_bytes) {
      // never read: only the name and size go to the server, which says why
      model.send_msg({kind: "too_large", name: file.name, size: file.size})
      input.value = ""
      return
    }
    const reader = new FileReader()
    reader.onload = () => {
      const url = String(reader.result)
      model.send_msg({kind: "file", name: file.name, size: file.size, data: url.slice(url.indexOf(",") + 1)})
      input.value = ""
    }
    reader.onerror = () => { model.send_msg({kind: "unreadable", name: file.name, size: file.size}); input.value = "" }
    reader.readAsDataURL(file)
  })
  el.appendChild(input)
}
"""
    _stylesheets = [""":host { width: 100%; }
.upload-input { font-size: 17px; padding: 10px 4px; width: 100%; min-height: 48px; box-sizing: border-box; }
.upload-input::file-selector-button { font-size: 17px; padding: 8px 14px; margin-right: 10px; }"""]

    def _handle_msg(self, data) -> None:
        if not isinstance(data, dict):
            return
        name = str(data.get("name") or "upload.yaml")[:200]
        try:
            size = int(data.get("size") or 0)
        except (TypeError, ValueError):
            size = 0
        if data.get("kind") == "file":
            try:
                raw = base64.b64decode(str(data.get("data") or ""), validate=True)
            except (binascii.Error, ValueError):
                log.warning("an upload could not be decoded")
                self.receive_refusal(name, size, readable=False)
                return
            if len(raw) > self.max_bytes:  # the browser's word is not taken for it
                self.receive_refusal(name, len(raw))
                return
            self.filename = name
            if self.value == raw:  # the same file again: read it again
                self.param.trigger("value")
            else:
                self.value = raw
        elif data.get("kind") == "too_large":
            self.receive_refusal(name, size)
        elif data.get("kind") == "unreadable":
            self.receive_refusal(name, size, readable=False)

    def receive_refusal(self, name: str, size: int, readable: bool = True) -> None:
        """A file not taken (too large, or unreadable in the browser): watchers of ``refusal`` say why."""
        self.refusal = {"name": str(name)[:200], "size": int(size), "readable": readable}
        self.param.trigger("refusal")


__all__ = ["UploadBox"]
