"""Errors raised by the geography layer."""
from __future__ import annotations


class GeographyError(RuntimeError):
    """A bundled data file is missing, empty, corrupt or inconsistent (the message names it)."""


class AddressNotFound(LookupError):
    """An address is not in the CRAB register; the message lists the closest streets."""

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []
