"""Real uptake files: the format is checked whole, every problem named, only valid aggregates stored, once."""
from __future__ import annotations

import io
import time
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from model.pilot import PilotPeriod, import_uptake, reference_for, render, validate_uptake
from model.pilot.__main__ import main
from model.pilot.formats import Limits
from model.pilot.privacy import is_national_number
from model.pilot.problems import MESSAGES, Problem, message
from model.pilot.testdata import uptake_rows, write_csv, write_xlsx
from model.store import Store

OUDER_KIND = "campus_o3_huis_van_het_kind:ouder-kind"
HEADER = "aanbod;week;wijk;leeftijdsgroep;deelnemers;nieuwe_deelnemers;badges;kansen"


@pytest.fixture(scope="module")
def reference():
    """The baseline's offers, Genk's 31 wijken, a pilot from 1 September 2026 for 52 weeks (2026-W36 to 2027-W34)."""
    return reference_for("baseline", PilotPeriod(date(2026, 9, 1), 52))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.sqlite")


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


GOOD_ROWS = (
    f"{OUDER_KIND};2026-W37;Genk-Centrum;25-64;12;3;1;0",
    f"{OUDER_KIND};2026-W37;Bret;0-5;7;7;;",
    f"{OUDER_KIND};2026-W38;Genk-Centrum;25-64;10;1;0;0",
)


def codes_at(report) -> list[tuple[str, int | None, str | None]]:
    return [(p.code, p.row, p.column) for p in report.problems]


# --------------------------------------------------------------------------- a valid file
def test_a_valid_file_becomes_the_canonical_table_with_iso_and_pilot_weeks(reference) -> None:
    report = validate_uptake(csv_bytes(*GOOD_ROWS), "deelname.csv", reference)
    assert report.ok and report.problems == []
    frame = report.frame
    assert list(frame.columns) == ["offer_id", "iso_week", "week_start", "pilot_week", "wijk", "age_group",
                                   "participants", "new_participants", "badges", "opportunities"]
    first = frame.iloc[0]
    assert (first["iso_week"], first["pilot_week"], first["week_start"]) == ("2026-W37", 2, pd.Timestamp("2026-09-07"))
    assert list(frame["pilot_week"]) == [2, 2, 3]
    assert frame["badges"].isna().sum() == 1  # an empty optional cell is unknown, not zero
    assert str(frame["participants"].dtype) == "Int64"


def test_english_columns_dates_commas_and_excel_give_the_same_table(reference, tmp_path: Path) -> None:
    dutch = validate_uptake(csv_bytes(*GOOD_ROWS), "deelname.csv", reference).frame
    english = csv_bytes(
        f"{OUDER_KIND},2026-09-09,genk-centrum,25 - 64,12,3,1,0",  # a Wednesday, lower case, spaced dash
        f"{OUDER_KIND},07/09/2026,Bret,0–5 jaar,7,7,,",  # day first, an en dash, "jaar"
        f"{OUDER_KIND},2026-09-14,Genk-Centrum,25-64,10,1,0,0",
        header="offer_id,date,neighbourhood,age_group,participants,new_participants,badges_awarded,opportunities_taken",
    )
    pd.testing.assert_frame_equal(validate_uptake(english, "uptake.csv", reference).frame, dutch)
    table = pd.read_csv(io.BytesIO(csv_bytes(*GOOD_ROWS)), sep=";", dtype=str, keep_default_na=False)
    for column in ("deelnemers", "nieuwe_deelnemers"):
        table[column] = table[column].astype(int)  # Excel keeps numbers as numbers
    xlsx = write_xlsx(table, tmp_path / "deelname.xlsx").read_bytes()
    pd.testing.assert_frame_equal(validate_uptake(xlsx, "deelname.xlsx", reference).frame, dutch)


def test_week_numbers_need_a_year_column(reference) -> None:
    header = "aanbod;jaar;week;wijk;leeftijdsgroep;deelnemers;nieuwe_deelnemers"
    with_year = validate_uptake(csv_bytes(f"{OUDER_KIND};2026;37;Bret;6-11;4;1", header=header), "w.csv", reference)
    assert with_year.ok and with_year.frame.loc[0, "iso_week"] == "2026-W37"
    header = "aanbod;week;wijk;leeftijdsgroep;deelnemers;nieuwe_deelnemers"
    without = validate_uptake(csv_bytes(f"{OUDER_KIND};37;Bret;6-11;4;1", header=header), "w.csv", reference)
    assert codes_at(without) == [("week_without_year", 2, "week")]


# --------------------------------------------------------------------------- every problem at once
def test_every_problem_is_reported_at_once_with_row_and_column(reference) -> None:
    data = csv_bytes(
        GOOD_ROWS[0],
        f"{OUDER_KIND}x;2026-W37;Centrum;25-64;12;3;1;0",  # row 3: unknown offer, unknown wijk
        f"{OUDER_KIND};2026-W39;Bret;25-65;-2;twee;0;0",  # row 4: age group, negative, not a count
        f"{OUDER_KIND};2025-W37;Bret;6-11;2;5;0;0",  # row 5: outside the pilot, new above participants
        f"{OUDER_KIND};2026-W37;Genk-Centrum;25-64;12;3;1;0",  # row 6: same as row 2
        f"{OUDER_KIND};volgende week;Bret;6-11;2.5;;0;0",  # row 7: no week, not a count, missing value
        f"{OUDER_KIND};2026-W40;Bret;6-11;1.000;0;0;0",  # row 8: a thousand or one? not a count
    )
    report = validate_uptake(data, "fouten.csv", reference)
    assert not report.ok and report.frame is None
    assert codes_at(report) == [
        ("unknown_offer", 3, "aanbod"), ("unknown_wijk", 3, "wijk"),
        ("unknown_age_group", 4, "leeftijdsgroep"), ("negative_count", 4, "deelnemers"), ("not_a_count", 4, "nieuwe_deelnemers"),
        ("week_outside_pilot", 5, "week"), ("new_above_participants", 5, "nieuwe_deelnemers"),
        ("duplicate_row", 6, None),
        ("week_unreadable", 7, "week"), ("not_a_count", 7, "deelnemers"), ("missing_value", 7, "nieuwe_deelnemers"),
        ("not_a_count", 8, "deelnemers"),
    ]
    lines = report.lines("nl")
    assert lines[0].startswith("fouten.csv, rij 3, kolom 'aanbod': fout: onbekend aanbod")
    assert f"bedoelt u '{OUDER_KIND}'?" in lines[0]
    assert "(bedoelt u 'Genk-Centrum'?)" in lines[1]
    assert "rij 2" in render(report.problems[7], "nl")
    english = report.lines("en")
    assert english[1] == ("fouten.csv, row 3, column 'wijk': error: unknown wijk 'Centrum' (did you mean 'Genk-Centrum'?); "
                          "use one of Genk's 31 wijk names (see docs/pilot-data.md)")
    assert "2025-W37 is outside the pilot (2026-W36 to 2027-W34)" in english[5]


def test_missing_required_columns_are_named_with_the_names_they_may_carry(reference) -> None:
    report = validate_uptake(csv_bytes(f"{OUDER_KIND};Bret;3", header="aanbod;wijk;deelnemers"), "kort.csv", reference)
    missing = [(p.code, p.params.get("column")) for p in report.problems]
    assert missing == [("missing_column", "leeftijdsgroep"), ("missing_column", "nieuwe_deelnemers"), ("missing_week_column", None)]
    assert "add a column named one of: leeftijdsgroep, age_group" in message(report.problems[0], "en")


def test_a_repeated_column_is_named_with_its_position(reference) -> None:
    rows = [r + ";Bret" for r in GOOD_ROWS]
    report = validate_uptake(csv_bytes(*rows, header=HEADER + ";wijk"), "dubbel.csv", reference)
    assert codes_at(report) == [("duplicate_column", None, "wijk (kolom 9)")]
    assert "the columns 'wijk', 'wijk (kolom 9)' both mean 'wijk'" in report.lines("en")[0]


def test_a_column_outside_the_format_is_a_warning_and_is_not_stored(reference) -> None:
    report = validate_uptake(csv_bytes(*(r + ";goed" for r in GOOD_ROWS), header=HEADER + ";opmerking"), "extra.csv", reference)
    assert report.ok and codes_at(report) == [("unknown_column", None, "opmerking")]
    assert "opmerking" not in report.frame.columns


def test_every_message_exists_in_dutch_and_english() -> None:
    params = {"size_mb": 1, "limit_mb": 1, "limit": 1, "n": 1, "suffix": ".xls", "reason": "r", "column": "c",
              "columns": "a, b", "aliases": "a", "kind_nl": "k", "kind_en": "k", "n_rows": 1, "first_row": 2,
              "value": "v", "scenario": "s", "allowed": "a", "new": 2, "participants": 1, "week": "w", "first": "f",
              "last": "l", "item": 1, "field": "f"}
    for code in MESSAGES:
        problem = Problem(code, row=2, column="c", params=params)
        assert message(problem, "nl") != message(problem, "en"), code
        assert render(problem, "en", "f.csv").startswith("f.csv, row 2, column 'c': error: ")


# --------------------------------------------------------------------------- aggregates only
@pytest.mark.parametrize("column", ["naam", "Voornaam", "E-mailadres", "email", "telefoon", "GSM", "geboortedatum",
                                    "date_of_birth", "Rijksregisternummer", "INSZ", "first name", "adres"])
def test_a_column_named_like_personal_data_is_refused_and_nothing_is_stored(reference, store: Store, column: str) -> None:
    data = csv_bytes(*(r + ";x" for r in GOOD_ROWS), header=HEADER + f";{column}")
    outcome = import_uptake(data, "uptake_pilot", filename="lijst.csv", reference=reference, store=store)
    assert not outcome.stored and store.datasets().empty
    assert codes_at(outcome.report) == [("personal_column_name", None, column)]
    assert "Nothing was stored" in message(outcome.report.problems[0], "en")


@pytest.mark.parametrize(
    ("cell", "kind"),
    [("jan.peeters@telenet.be", "email"), ("0470 12 34 56", "phone"), ("+32 89 65 44 00", "phone"),
     ("85.07.30-033.28", "national_number"), ("00012556777", "national_number"), ("2012-03-14", "birth_date"),
     ("14/03/2012", "birth_date")],
)
def test_cells_that_look_like_personal_data_are_refused_without_repeating_them(reference, cell: str, kind: str) -> None:
    rows = [r + f";{cell}" for r in GOOD_ROWS]
    report = validate_uptake(csv_bytes(*rows, header=HEADER + ";info"), "lijst.csv", reference)
    assert [(p.code, p.column, p.params["kind"], p.params["first_row"]) for p in report.problems] == [
        ("personal_content", "info", kind, 2)]
    assert not report.ok and report.frame is None
    assert cell not in " ".join(report.lines("nl") + report.lines("en"))


def test_personal_data_in_a_format_column_is_refused_too(reference) -> None:
    rows = [GOOD_ROWS[0], f"{OUDER_KIND};2026-W37;an@example.org;0-5;7;7;;"]
    report = validate_uptake(csv_bytes(*rows), "lijst.csv", reference)
    assert codes_at(report) == [("personal_content", None, "wijk")]
    assert "an@example.org" not in " ".join(report.lines("en"))


def test_a_column_of_person_names_is_refused_but_names_of_things_are_not(reference) -> None:
    names = ["Jan Peeters", "Fatma Yilmaz", "Luca De Smet"]
    rows = [r + f";{n}" for r, n in zip(GOOD_ROWS, names)]
    report = validate_uptake(csv_bytes(*rows, header=HEADER + ";wie"), "namen.csv", reference)
    assert [(p.code, p.params["kind"]) for p in report.problems] == [("personal_content", "name")]
    things = [r + f";{n}" for r, n in zip(GOOD_ROWS, ["Kookatelier", "goed verlopen", "Ouder-kindactiviteit"])]
    fine = validate_uptake(csv_bytes(*things, header=HEADER + ";aanbodnaam"), "ok.csv", reference)
    assert fine.ok


def test_the_national_register_number_check_digits_are_checked() -> None:
    assert is_national_number("85073003328")  # born 1985: 97 - (850730033 mod 97) = 28
    assert is_national_number("00.01.25-567.77")  # born 2000: the check counts a 2 in front
    assert not is_national_number("85073003329")  # one check digit off: just a number
    assert not is_national_number("12345678901")


# --------------------------------------------------------------------------- the pilot period
def test_the_pilot_period_decides_which_weeks_are_outside(reference) -> None:
    data = csv_bytes(f"{OUDER_KIND};2027-W40;Bret;6-11;2;1;0;0")
    assert codes_at(validate_uptake(data, "p.csv", reference)) == [("week_outside_pilot", 2, "week")]
    longer = reference.with_period(PilotPeriod(date(2026, 9, 1), 104))
    report = validate_uptake(data, "p.csv", longer)
    assert report.ok and report.frame.loc[0, "pilot_week"] == 58


# --------------------------------------------------------------------------- the store
def test_importing_the_same_content_again_changes_nothing_and_a_correction_is_a_new_version(reference, store: Store, tmp_path: Path) -> None:
    first = import_uptake(csv_bytes(*GOOD_ROWS), "uptake_pilot", filename="week37.csv", reference=reference, store=store)
    assert first.stored and first.created and first.version.version == 1
    again = import_uptake(csv_bytes(*GOOD_ROWS), "uptake_pilot", filename="week37.csv", reference=reference, store=store)
    assert not again.created and again.version == first.version
    assert "nothing changed: uptake_pilot version 1 already holds this content" in again.message("en")
    corrected = csv_bytes(GOOD_ROWS[0].replace(";12;3;", ";13;3;"), *GOOD_ROWS[1:])
    second = import_uptake(corrected, "uptake_pilot", filename="week37-v2.csv", reference=reference, store=store, notes="Centrum herteld")
    assert second.created and second.version.version == 2
    history = store.dataset_versions("uptake_pilot")
    assert [(v.version, v.source, v.kind) for v in history] == [(1, "week37.csv", "uptake"), (2, "week37-v2.csv", "uptake")]
    assert history[0].meta["pilot_start"] == "2026-09-01" and history[0].meta["scenario"] == "baseline"
    pd.testing.assert_frame_equal(store.load_dataset("uptake_pilot", 1), first.report.frame)


def test_the_excel_copy_of_an_imported_csv_changes_nothing(reference, store: Store, tmp_path: Path) -> None:
    first = import_uptake(csv_bytes(*GOOD_ROWS), "uptake_pilot", filename="week37.csv", reference=reference, store=store)
    table = pd.read_csv(io.BytesIO(csv_bytes(*GOOD_ROWS)), sep=";", dtype=str, keep_default_na=False)
    xlsx = write_xlsx(table, tmp_path / "week37.xlsx")
    again = import_uptake(xlsx, "uptake_pilot", reference=reference, store=store)
    assert again.report.ok and not again.created and again.version == first.version


def test_an_unknown_scenario_stops_the_command_with_the_known_ones(tmp_path: Path) -> None:
    good = tmp_path / "goed.csv"
    good.write_bytes(csv_bytes(*GOOD_ROWS))
    with pytest.raises(SystemExit, match=r"--scenario baselin: .*baseline"):
        main(["check", str(good), "--scenario", "baselin"])


def test_a_file_with_any_error_stores_nothing(reference, store: Store) -> None:
    import_uptake(csv_bytes(*GOOD_ROWS), "uptake_pilot", filename="a.csv", reference=reference, store=store)
    broken = csv_bytes(*GOOD_ROWS, f"{OUDER_KIND};2026-W40;Bret;6-11;-1;0;0;0")
    outcome = import_uptake(broken, "uptake_pilot", filename="b.csv", reference=reference, store=store)
    assert not outcome.stored and "nothing was stored" in outcome.message("en")
    assert len(store.dataset_versions("uptake_pilot")) == 1


# --------------------------------------------------------------------------- the command line
def test_check_exits_1_and_names_file_row_and_column_then_0_when_valid(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "deelname.csv"
    bad.write_bytes(csv_bytes(GOOD_ROWS[0], f"{OUDER_KIND};2026-W37;Centrum;25-64;1;0;0;0"))
    assert main(["check", str(bad), "--scenario", "baseline", "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "deelname.csv, row 3, column 'wijk': error: unknown wijk 'Centrum' (did you mean 'Genk-Centrum'?)" in out
    assert "deelname.csv: NOT valid: 1 error(s), 0 warning(s)" in out
    good = tmp_path / "goed.csv"
    good.write_bytes(csv_bytes(*GOOD_ROWS))
    assert main(["check", str(good)]) == 0
    assert "goed.csv: geldig: 0 fout(en)" in capsys.readouterr().out


def test_import_stores_once_and_versions_lists_the_history(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "s.sqlite")
    good = tmp_path / "goed.csv"
    good.write_bytes(csv_bytes(*GOOD_ROWS))
    assert main(["import", str(good), "--name", "uptake_pilot", "--store", db]) == 0
    assert "bewaard als uptake_pilot versie 1" in capsys.readouterr().out
    assert main(["import", str(good), "--name", "uptake_pilot", "--store", db, "--lang", "en"]) == 0
    assert "nothing changed" in capsys.readouterr().out
    bad = tmp_path / "slecht.csv"
    bad.write_bytes(csv_bytes(f"{OUDER_KIND};2026-W37;Bret;6-11;1;2;0;0"))
    assert main(["import", str(bad), "--name", "uptake_pilot", "--store", db]) == 1
    assert "er werd niets bewaard" in capsys.readouterr().out
    assert main(["versions", "uptake_pilot", "--store", db]) == 0
    listing = capsys.readouterr().out
    assert "goed.csv" in listing and "slecht.csv" not in listing and listing.count("\n") == 2


# --------------------------------------------------------------------------- safety
def test_uploads_above_the_limits_are_refused_before_parsing(reference) -> None:
    small = Limits(max_bytes=200, max_rows=2)
    assert codes_at(validate_uptake(b"x" * 201, "groot.csv", reference, small)) == [("file_too_large", None, None)]
    assert codes_at(validate_uptake(csv_bytes(*GOOD_ROWS), "lang.csv", reference, Limits(max_rows=2))) == [
        ("too_many_rows", None, None)]
    assert codes_at(validate_uptake(b"\xd0\xcf\x11\xe0", "oud.xls", reference)) == [("unsupported_format", None, None)]


def test_an_excel_file_that_unpacks_beyond_the_limit_is_refused_unopened(reference) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 5_000_000)  # packs to a few kB
    data = buffer.getvalue()
    assert len(data) < 50_000
    report = validate_uptake(data, "bom.xlsx", reference, Limits(max_unpacked_bytes=1_000_000))
    assert codes_at(report) == [("unpacked_too_large", None, None)]
    assert codes_at(validate_uptake(b"not a zip", "kapot.xlsx", reference))[0][0] == "unreadable"


def test_excel_xml_is_parsed_with_defusedxml() -> None:
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML


# --------------------------------------------------------------------------- speed
def test_a_month_of_weekly_rows_for_forty_offers_and_every_wijk_checks_quickly(reference) -> None:
    offers = sorted(reference.offer_ids)[:40]
    frame = uptake_rows(offers, reference.wijken, reference.period, weeks=4, seed=1)
    data = frame.to_csv(sep=";", index=False).encode("utf-8")
    started = time.perf_counter()
    report = validate_uptake(data, "maand.csv", reference)
    seconds = time.perf_counter() - started
    assert report.ok and len(report.frame) == 40 * 4 * 31
    assert len(report.frame) / seconds > 5_000  # rows/s; the benchmark measures a whole year (about 420,000 rows)


def test_the_made_up_files_round_trip_through_csv(reference, tmp_path: Path) -> None:
    frame = uptake_rows(sorted(reference.offer_ids)[:3], reference.wijken[:2], reference.period, weeks=2)
    path = write_csv(frame, tmp_path / "formaat-voorbeeld.csv")
    report = validate_uptake(path.read_bytes(), path.name, reference)
    assert report.ok and report.frame["participants"].sum() == frame["deelnemers"].sum()


# --------------------------------------------------------------------------- an app's upload
def test_an_upload_is_validated_off_the_event_loop_and_stored_by_its_kind(reference, store: Store) -> None:
    import asyncio
    import json

    from model.pilot import save_upload, validate_upload_async

    uptake = asyncio.run(validate_upload_async(csv_bytes(*GOOD_ROWS), "deelname.csv", reference))
    badge = {"type": "Assertion", "id": "https://b/1", "badge": "urn:leerecosysteem-genk:talent:eten:samen_doen",
             "issuedOn": "2026-09-15T10:00:00Z", "recipient": {"identity": "x"}, "wijk": "Bret"}
    data = json.dumps(badge).encode()
    badges = asyncio.run(validate_upload_async(data, "badge.json", reference))
    assert uptake.ok and badges.ok and badges.n_badges == 1
    assert save_upload(uptake, "uptake_pilot", reference, csv_bytes(*GOOD_ROWS), store=store).version.kind == "uptake"
    assert save_upload(badges, "badges_pilot", reference, data, store=store).version.kind == "badges"
    assert list(store.datasets()["name"]) == ["badges_pilot", "uptake_pilot"]
