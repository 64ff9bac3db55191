"""Numbers as people in Genk write them: ``50.000``, ``50 000``, ``€ 50.000,00``, ``2,5``.

:func:`read_number` reads the Belgian way (dot groups thousands, comma is the decimal
mark), accepts the international way where it is unambiguous (``50,000,000``,
``1,234.5``, ``0.25``) and refuses what it cannot read for sure (``50,000`` could be
fifty thousand or fifty; ``12abc``) with a :class:`NumberRefused` that says how to
write it. Nothing is ever silently changed: a value is either read exactly or refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_CURRENCY = re.compile(r"^(€|eur|euro)|(€|eur|euro)$", re.IGNORECASE)
_DIGITS = re.compile(r"^\d+$")
_GROUPED = re.compile(r"^[1-9]\d{0,2}(?:SEP\d{3})+$")


@dataclass
class NumberRefused(ValueError):
    """A text that is not a number we can read for sure; ``code`` says why (see :data:`REASONS`)."""

    code: str
    text: str

    def __str__(self) -> str:
        return self.message("en")

    def message(self, lang: str = "nl") -> str:
        nl, en = REASONS[self.code]
        shown = self.text if len(self.text) <= 40 else self.text[:39] + "…"
        return (nl if lang == "nl" else en).format(text=shown)


REASONS: dict[str, tuple[str, str]] = {
    "empty": ("geef een getal", "give a number"),
    "letters": ("'{text}' is geen getal (alleen cijfers, punt, komma, spatie en €)",
                "'{text}' is not a number (digits, point, comma, space and € only)"),
    "ambiguous": ("'{text}' kan duizenden of decimalen zijn: schrijf 50000 of 50.000 voor vijftigduizend, 50,5 voor een decimaal",
                  "'{text}' could mean thousands or decimals: write 50000 or 50.000 for fifty thousand, 50,5 for a decimal"),
    "malformed": ("'{text}' is geen getal dat we zeker kunnen lezen; schrijf bv. 50000 of 2,5",
                  "'{text}' is not a number we can read for sure; write e.g. 50000 or 2,5"),
    "not_integer": ("'{text}' is geen geheel getal", "'{text}' is not a whole number"),
    "too_long": ("'{text}' is te lang voor een getal", "'{text}' is too long for a number"),
}


def _grouped(body: str, sep: str) -> bool:
    return bool(re.match(_GROUPED.pattern.replace("SEP", re.escape(sep)), body))


def read_number(text: object, integer: bool = False) -> float | int:
    """The number a person meant by ``text``, or :class:`NumberRefused`.

    >>> read_number("50.000"), read_number("€ 50.000,00"), read_number("2,5"), read_number("50 000")
    (50000, 50000, 2.5, 50000)
    """
    if isinstance(text, bool):
        raise NumberRefused("letters", str(text))
    if isinstance(text, (int, float)):
        value = text
    else:
        raw = str(text or "").strip()
        if not raw:
            raise NumberRefused("empty", raw)
        if len(raw) > 40:
            raise NumberRefused("too_long", raw)
        value = _parse(raw)
    if integer or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        if float(value) != int(value):
            raise NumberRefused("not_integer", str(text))
        return int(value)
    return value


def _parse(raw: str) -> float:
    s = raw.replace("\u2212", "-")
    sign = 1
    s = _CURRENCY.sub("", s.strip()).strip()
    if s.startswith(("-", "+")):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    s = _CURRENCY.sub("", s.strip()).strip()
    spaced = bool(_SPACES.search(s))
    body = _SPACES.sub("", s)
    if spaced and not re.match(r"^[1-9]\d{0,2}(?:[\s\u00a0\u202f\u2009']\d{3})+(?:[.,]\d+)?$", s):
        raise NumberRefused("malformed", raw)
    if spaced and re.search(r"[.,]\d{3}$", s):  # '50 000.000': spaces and a second grouping mark
        raise NumberRefused("malformed", raw)
    if not body or re.search(r"[^\d.,]", body):
        raise NumberRefused("letters", raw)
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        last = "." if body.rfind(".") > body.rfind(",") else ","
        group = "," if last == "." else "."
        whole, frac = body.rsplit(last, 1)
        if body.count(last) != 1 or not _grouped(whole, group) and not _DIGITS.match(whole) or not _DIGITS.match(frac):
            raise NumberRefused("malformed", raw)
        return sign * float(whole.replace(group, "") + "." + frac)
    if commas:
        if commas > 1:
            if _grouped(body, ","):
                return sign * float(body.replace(",", ""))
            raise NumberRefused("malformed", raw)
        whole, frac = body.split(",")
        if not _DIGITS.match(whole or "0") or not _DIGITS.match(frac):
            raise NumberRefused("malformed", raw)
        if len(frac) == 3 and whole and whole != "0" and not whole.startswith("0"):
            raise NumberRefused("ambiguous", raw)
        return sign * float((whole or "0") + "." + frac)
    if dots:
        if _grouped(body, "."):
            return sign * float(body.replace(".", ""))
        if dots > 1:
            raise NumberRefused("malformed", raw)
        whole, frac = body.split(".")
        if not _DIGITS.match(whole or "0") or not _DIGITS.match(frac):
            raise NumberRefused("malformed", raw)
        return sign * float((whole or "0") + "." + frac)
    if not _DIGITS.match(body):
        raise NumberRefused("letters", raw)
    return sign * float(body)


def show_number(value: float | int) -> str:
    """A number the way :func:`read_number` reads it back: ``50 000``, ``2,5`` (thin-space thousands)."""
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.6f}".rstrip("0").rstrip(".")
    else:
        text = f"{int(value):,}"
    return text.replace(",", "\u202f").replace(".", ",")


__all__ = ["NumberRefused", "REASONS", "read_number", "show_number"]
