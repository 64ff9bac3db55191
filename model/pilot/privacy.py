"""Aggregates only: recognise columns that hold, or look like, personal data.

The pilot monitor takes totals per offer, week, wijk and age group; it has no use for
who took part. A file is refused (and nothing of it stored) when a column

- is **named** like personal data, in Dutch or English (naam, voornaam, e-mail,
  telefoon, gsm, geboortedatum, rijksregisternummer, adres ...; see :data:`PERSONAL_NAMES`), or
- **holds** values that look like it: e-mail addresses, Belgian or international phone
  numbers, Belgian national register numbers (rijksregisternummer: 11 digits whose last
  two are the mod-97 check of the first nine, with a 2 in front for births from 2000),
  exact dates of birth (a full date long before the pilot) and, in columns outside the
  format, person names (most values two or three capitalised words).

The checks run on each column's distinct values, so a year of weekly rows costs little.
Problems name the column and what it looks like, never the value found.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

import pandas as pd

from model.pilot.problems import Problem

# kind -> (Dutch, English) wording for messages
KINDS: dict[str, tuple[str, str]] = {
    "name": ("namen van personen", "names of people"),
    "email": ("e-mailadressen", "e-mail addresses"),
    "phone": ("telefoonnummers", "phone numbers"),
    "national_number": ("rijksregisternummers", "national register numbers"),
    "birth_date": ("geboortedata", "dates of birth"),
    "address": ("adressen", "addresses"),
}

#: Column names (normalised: lower case, no accents, words joined by '_') per kind of personal data.
PERSONAL_NAMES: dict[str, frozenset[str]] = {
    "name": frozenset({"naam", "voornaam", "achternaam", "familienaam", "roepnaam", "name", "firstname", "first_name",
                       "lastname", "last_name", "surname", "fullname", "full_name", "given_name", "family_name",
                       "volledige_naam", "participant_name", "naam_deelnemer", "naam_leerling"}),
    "email": frozenset({"email", "e_mail", "mail", "emailadres", "e_mailadres", "mailadres", "email_address",
                        "e_mail_address", "emailaddress"}),
    "phone": frozenset({"telefoon", "telefoonnummer", "tel", "telnr", "gsm", "gsmnummer", "gsm_nummer", "phone",
                        "phone_number", "phonenumber", "mobile", "mobiel", "mobile_number"}),
    "national_number": frozenset({"rijksregisternummer", "rijksregister", "rijksregister_nummer", "rrn", "insz",
                                  "inss", "niss", "bisnummer", "national_number", "national_register_number",
                                  "nationalnumber", "ssn", "social_security_number"}),
    "birth_date": frozenset({"geboortedatum", "geboortedag", "geboren", "geboren_op", "birth_date", "birthdate",
                             "date_of_birth", "dob", "birthday", "verjaardag"}),
    "address": frozenset({"adres", "address", "straat", "straatnaam", "street", "huisnummer", "house_number",
                          "domicilie", "woonplaats_adres"}),
}
# Words that make a 'name' column the name of a thing, not a person (offer_name, wijknaam ...).
_THING_WORDS = frozenset({"aanbod", "offer", "activiteit", "activity", "wijk", "school", "organisatie", "organisation",
                          "organization", "provider", "aanbieder", "badge", "achievement", "thema", "theme", "project",
                          "locatie", "location", "venue", "straat_wijk"})

_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}")
_PHONE = re.compile(
    r"^(?:(?:\+|00)32[\s./-]?(?:\(0\))?[\s./-]?[1-9](?:[\s./-]?\d){7,8}"  # +32 89 12 34 56, 0032 470 12 34 56
    r"|0[1-9](?:[\s./-]?\d){7,8}"  # 089 12 34 56, 0470/12.34.56
    r"|\+[1-9](?:[\s./-]?\d){7,14})$"  # other countries
)
_RRN = re.compile(r"^(\d{2})[.\s]?(\d{2})[.\s]?(\d{2})[-.\s]?(\d{3})[.\s]?(\d{2})$")
_DATE_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_DATE_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_PERSON = re.compile(
    r"^[A-ZÀ-Ý][a-zà-ÿ'’-]+(?:\s+(?:(?:van|de|der|den|het|ter|ten|el|al|ben|bin|da|di|du|le|la|von|vanden|vander)\s+)*"
    r"[A-ZÀ-Ý][a-zà-ÿ'’-]+){1,3}$"
)


def normalise_header(text: str) -> str:
    """``"E-mailadres "`` -> ``"e_mailadres"``: lower case, accents off, words joined by '_'."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


def personal_kind_of_name(header: str) -> str | None:
    """The kind of personal data a column name points to, or None."""
    norm = normalise_header(header)
    words = set(norm.split("_"))
    for kind, names in PERSONAL_NAMES.items():
        compact = {n.replace("_", "") for n in names}
        if norm in names or norm.replace("_", "") in compact or (words & names and len(norm) > 1):
            if kind == "name" and words & _THING_WORDS:
                continue
            return kind
    return None


def is_national_number(text: str) -> bool:
    """True for a Belgian national register number (rijksregisternummer) with valid check digits."""
    m = _RRN.match(text.strip())
    if not m:
        return False
    yy, mm, dd, serial, check = m.groups()
    if not (0 <= int(mm) <= 12 or 20 <= int(mm) <= 32 or 40 <= int(mm) <= 52):  # bis numbers add 20 or 40 to the month
        return False
    base = int(yy + mm + dd + serial)
    return 97 - base % 97 == int(check) or 97 - (2_000_000_000 + base) % 97 == int(check)


def _exact_date(text: str) -> date | None:
    for pattern, order in ((_DATE_YMD, (0, 1, 2)), (_DATE_DMY, (2, 1, 0))):
        m = pattern.match(text)
        if m:
            parts = [int(g) for g in m.groups()]
            try:
                return date(parts[order[0]], parts[order[1]], parts[order[2]])
            except ValueError:
                return None
    return None


def content_kind(value: str, *, pilot_start: date, names_too: bool) -> str | None:
    """The kind of personal data one cell looks like, or None."""
    text = value.strip()
    if not text:
        return None
    if _EMAIL.search(text):
        return "email"
    if is_national_number(text):
        return "national_number"
    if _PHONE.match(text):
        return "phone"
    found = _exact_date(text)
    # a full date a year or more before the pilot is no week of the pilot: a date of birth
    if found is not None and date(1900, 1, 1) <= found <= date(pilot_start.year - 1, pilot_start.month, 1):
        return "birth_date"
    if names_too and _PERSON.match(text):
        return "name"
    return None


def scan_column(values: pd.Series, column: str, *, pilot_start: date, names_too: bool = False,
                skip_dates: bool = False) -> list[Problem]:
    """Problems for one column whose content looks like personal data (one problem per kind).

    Args:
        values: the column as text, index = spreadsheet row.
        column: its name as written.
        pilot_start: the pilot's first day (older full dates look like dates of birth).
        names_too: also look for person names (for columns outside the format).
        skip_dates: the column is the format's week/date column (its dates are checked as weeks).
    """
    uniques = pd.unique(values.to_numpy())
    kinds: dict[str, str] = {}
    for value in uniques:
        kind = content_kind(str(value), pilot_start=pilot_start, names_too=names_too)
        if kind is not None and not (skip_dates and kind == "birth_date"):
            kinds[value] = kind
    if not kinds:
        return []
    if "name" in kinds.values():
        # names only when they are the column's usual content, not a stray capitalised phrase
        filled = [v for v in uniques if str(v).strip()]
        n_names = sum(1 for k in kinds.values() if k == "name")
        if n_names < 3 or n_names < 0.5 * len(filled):
            kinds = {v: k for v, k in kinds.items() if k != "name"}
    problems = []
    kind_series = values.map(kinds)
    for kind in dict.fromkeys(kinds.values()):
        hit = kind_series[kind_series == kind]
        nl, en = KINDS[kind]
        problems.append(Problem("personal_content", column=column, params={
            "kind": kind, "kind_nl": nl, "kind_en": en, "n_rows": int(len(hit)), "first_row": int(hit.index[0])}))
    return problems


def name_problem(column: str) -> Problem | None:
    """The problem for a column named like personal data, or None."""
    kind = personal_kind_of_name(column)
    if kind is None:
        return None
    nl, en = KINDS[kind]
    return Problem("personal_column_name", column=column, params={"kind": kind, "kind_nl": nl, "kind_en": en})
