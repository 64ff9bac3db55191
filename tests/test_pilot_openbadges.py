"""Open Badges 2.0 and 3.0 exports become badge counts per achievement, week and wijk; recipients are never kept."""
from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from model.domain import Level, Theme
from model.offers import build_offer_specs
from model.pilot import PilotPeriod, import_badges, load_talent_language, validate_badges
from model.pilot.__main__ import main
from model.pilot.formats import Limits
from model.pilot.talent import TALENT_LANGUAGE_FILE, TalentLanguageError, parse_talent_language
from model.store import Store

PERIOD = PilotPeriod(date(2026, 9, 1), 52)
WIJKEN = ["Bret", "Genk-Centrum", "Winterslag 1"]
EETEN_SAMEN = "urn:leerecosysteem-genk:talent:eten:samen_doen"
MAKEN_ZELF = "urn:leerecosysteem-genk:talent:maken_en_ontwerpen:zelf_doen"


def assertion(n: int, badge: str = EETEN_SAMEN, issued: str = "2026-09-15T10:00:00Z", wijk: str | None = "Bret",
              email: str = "an@example.org", **extra) -> dict:
    """An Open Badges 2.0 assertion, hosted verification, hashed e-mail recipient."""
    item = {
        "@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": f"https://badges.genk.be/assertions/{n}",
        "recipient": {"type": "email", "hashed": False, "identity": email},
        "badge": {"type": "BadgeClass", "id": badge, "name": "Kookatelier"},
        "issuedOn": issued, "verification": {"type": "hosted"}, **extra,
    }
    if wijk is not None:
        item["extensions:WijkExtension"] = {"type": ["Extension", "extensions:WijkExtension"], "wijk": wijk}
    return item


def credential(n: int, achievement: str = MAKEN_ZELF, wijk: str | None = "Genk-Centrum", subject: str = "did:example:lerende1",
               date_key: str = "validFrom", when: str = "2026-09-22T09:00:00+02:00") -> dict:
    """An Open Badges 3.0 OpenBadgeCredential (VC 2.0 by default)."""
    subject_obj = {"id": subject, "type": ["AchievementSubject"],
                   "achievement": {"id": achievement, "type": ["Achievement"], "name": "Maakplek"}}
    if wijk is not None:
        subject_obj["wijk"] = wijk
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": f"urn:uuid:cred-{n}", "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://badges.genk.be/issuer", "type": ["Profile"]},
        date_key: when, "credentialSubject": subject_obj,
    }


def files(*items, name: str = "export.json") -> list[tuple[str, bytes]]:
    return [(name, json.dumps(list(items)).encode("utf-8"))]


def count(source, **kw):
    """Badge counts for the test pilot and three wijken, from a path or (name, bytes) pairs."""
    return validate_badges(source, period=PERIOD, wijken=WIJKEN, **kw)


# --------------------------------------------------------------------------- counting
def test_version_2_assertions_are_counted_per_achievement_week_and_wijk() -> None:
    report = count(files(assertion(1), assertion(2, email="bo@example.org"), assertion(3, issued="2026-09-21T08:00:00Z"),
                         assertion(4, wijk="Genk-Centrum")))
    assert report.ok and report.problems == []
    rows = report.frame[["achievement_id", "theme", "level", "iso_week", "pilot_week", "wijk", "badges", "recipients"]]
    assert rows.values.tolist() == [
        [EETEN_SAMEN, "eten", "samen_doen", "2026-W38", 3, "Bret", 2, 2],
        [EETEN_SAMEN, "eten", "samen_doen", "2026-W38", 3, "Genk-Centrum", 1, 1],
        [EETEN_SAMEN, "eten", "samen_doen", "2026-W39", 4, "Bret", 1, 1],
    ]
    assert report.versions == {"2.0": 4}


def test_version_3_credentials_are_counted_with_valid_from_or_issuance_date() -> None:
    report = count(files(credential(1), credential(2, subject="did:example:lerende2"),
                         credential(3, date_key="issuanceDate", when="2026-09-20T23:30:00Z")))  # Sunday in UTC, Monday 01:30 in Genk
    assert report.ok
    assert report.frame[["achievement_id", "iso_week", "wijk", "badges", "recipients"]].values.tolist() == [
        [MAKEN_ZELF, "2026-W39", "Genk-Centrum", 3, 2]]
    assert report.versions == {"3.0": 3}


def test_a_signed_credential_as_a_compact_jwt_is_read() -> None:
    def b64(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    token = f"{b64({'alg': 'ES256'})}.{b64({'vc': credential(9), 'iss': 'https://badges.genk.be'})}.c2lnbmF0dXJl"
    report = count([("badge.jwt", token.encode())])
    assert report.ok and report.n_badges == 1 and report.frame.loc[0, "achievement_id"] == MAKEN_ZELF


def test_a_folder_is_read_recursively_without_following_links(tmp_path: Path) -> None:
    (tmp_path / "sept").mkdir()
    (tmp_path / "sept" / "a.json").write_text(json.dumps(assertion(1)))
    (tmp_path / "b.jsonld").write_text(json.dumps(credential(2)))
    (tmp_path / "notities.txt").write_text("geen badge")
    outside = tmp_path.parent / f"{tmp_path.name}-buiten.json"
    outside.write_text(json.dumps(assertion(3)))
    (tmp_path / "link.json").symlink_to(outside)
    report = count(tmp_path)
    assert report.ok and (report.n_files, report.n_badges) == (2, 2)


# --------------------------------------------------------------------------- what is not counted
def test_duplicates_revoked_badges_and_badges_outside_the_pilot_are_not_counted_and_said() -> None:
    report = count(files(assertion(1), assertion(1), assertion(2, revoked=True), assertion(3, issued="2025-06-01T10:00:00Z")))
    assert report.ok and report.n_badges == 1
    assert sorted((p.code, p.params["n"]) for p in report.warnings) == [
        ("badge_duplicate", 1), ("badge_outside_pilot", 1), ("badge_revoked", 1)]


def test_the_wijk_comes_from_the_extension_and_a_missing_or_unknown_one_is_counted_as_unknown() -> None:
    report = count(files(assertion(1, wijk=None), assertion(2, wijk="Winterslag")))
    assert report.ok and list(report.frame["wijk"]) == [""]
    assert int(report.frame["badges"].sum()) == 2
    codes = {p.code: p for p in report.warnings}
    assert set(codes) == {"badge_without_wijk", "badge_unknown_wijk"}
    assert codes["badge_unknown_wijk"].params["suggestion"] == "Winterslag 1"
    assert "extensions:WijkExtension" in " ".join(report.lines("en"))


def test_an_achievement_outside_the_talent_language_is_counted_under_its_own_id_with_a_warning() -> None:
    platform_url = "https://badges.genk.be/badgeclasses/kookatelier"
    report = count(files(assertion(1, badge=platform_url)))
    assert report.ok and report.frame.loc[0, "achievement_id"] == platform_url and report.frame.loc[0, "theme"] == ""
    assert [p.code for p in report.warnings] == ["badge_unknown_achievement"]
    assert "add this id as an alias in data/talent_language.yaml" in report.lines("en")[0]


def test_an_alias_or_an_alignment_maps_a_platform_badge_to_the_talent_language() -> None:
    data = yaml.safe_load(TALENT_LANGUAGE_FILE.read_text(encoding="utf-8"))
    entry = next(e for e in data["achievements"] if e["id"] == EETEN_SAMEN)
    entry["aliases"] = ["https://badges.genk.be/badgeclasses/kookatelier"]
    talent = parse_talent_language(data)
    aligned = assertion(2, badge="https://elders.be/b/7")
    aligned["badge"]["alignment"] = [{"targetName": "Maken - zelf doen", "targetUrl": MAKEN_ZELF}]
    report = count(files(assertion(1, badge="https://badges.genk.be/badgeclasses/kookatelier"), aligned), talent=talent)
    assert report.ok and report.warnings == []
    assert sorted(report.frame["achievement_id"]) == [EETEN_SAMEN, MAKEN_ZELF]


# --------------------------------------------------------------------------- refusals and safety
def test_broken_files_are_named_and_block_the_import(tmp_path: Path) -> None:
    report = count([("kapot.json", b"{\"type\": \"Assertion\", "), ("raar.json", json.dumps({"type": "Profile"}).encode()),
                    ("leeg.json", json.dumps({"type": "Assertion", "issuedOn": "2026-09-15"}).encode()),
                    ("datum.json", json.dumps(assertion(1, issued="vorige dinsdag")).encode())])
    assert [(p.code, p.file) for p in report.errors] == [
        ("json_invalid", "kapot.json"), ("not_a_badge", "raar.json"), ("badge_missing_field", "leeg.json"),
        ("badge_date_unreadable", "datum.json")]
    assert report.frame is None
    assert report.lines("en")[0].startswith("kapot.json: error: not valid JSON (line 1, column")


def test_json_nested_deeper_than_the_limit_or_too_large_is_refused() -> None:
    deep = ("[" * 40 + "]" * 40).encode()
    assert [p.code for p in count([("diep.json", deep)]).errors] == ["json_too_deep"]
    very_deep = ("[" * 100_000 + "]" * 100_000).encode()  # would exhaust the parser's recursion
    assert [p.code for p in count([("dieper.json", very_deep)]).errors] == ["json_too_deep"]
    big = json.dumps([assertion(i) for i in range(50)]).encode()
    assert [p.code for p in count([("groot.json", big)], limits=Limits(max_json_bytes=1000)).errors] == ["file_too_large"]


def test_recipient_identities_are_never_stored(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    source = tmp_path / "export.json"
    source.write_text(json.dumps([assertion(1, email="geheim.adres@example.org"), credential(2, subject="did:example:geheim")]))
    outcome = import_badges(source, "badges_pilot", period=PERIOD, store=store)
    assert outcome.stored and outcome.version.kind == "badges"
    raw = (tmp_path / "s.sqlite").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("s.sqlite-*"))
    assert b"geheim" not in raw and b"example.org" not in raw
    stored = store.load_dataset("badges_pilot")
    assert set(stored.columns) == {"achievement_id", "theme", "level", "iso_week", "week_start", "pilot_week", "wijk",
                                   "badges", "recipients"}
    again = import_badges(source, "badges_pilot", period=PERIOD, store=store)
    assert not again.created and again.version.version == 1


def test_the_badge_commands_check_and_import(tmp_path: Path, capsys) -> None:
    source = tmp_path / "export.json"
    source.write_text(json.dumps([assertion(1), credential(2)]))
    assert main(["check-badges", str(source), "--lang", "en"]) == 0
    assert "2 badge(s) counted" in capsys.readouterr().out
    db = str(tmp_path / "s.sqlite")
    assert main(["import-badges", str(source), "--name", "badges_pilot", "--store", db]) == 0
    assert "bewaard als badges_pilot versie 1" in capsys.readouterr().out
    (tmp_path / "kapot.json").write_text("{")
    assert main(["check-badges", str(tmp_path / "kapot.json")]) == 1


# --------------------------------------------------------------------------- the talent language
def test_the_talent_language_names_every_theme_at_every_level_once_with_a_uri_id() -> None:
    talent = load_talent_language()
    assert len(talent.achievements) == len(Theme) * 3
    assert len(set(talent.ids)) == 15 and all(i.startswith("urn:leerecosysteem-genk:talent:") for i in talent.ids)
    entry = talent.for_(Theme.ETEN, Level.SAMEN_DOEN)
    assert (entry.id, entry.name("nl"), entry.name("en")) == (EETEN_SAMEN, "Eten – samen doen", "Food – do it together")
    assert talent.resolve(EETEN_SAMEN) is entry and talent.resolve("https://elders") is None


def test_a_model_badge_counts_as_its_offers_first_theme_at_its_level() -> None:
    from model.geography import load_genk
    from model.scenario import load_scenario

    talent = load_talent_language()
    offers = {o.id: o for o in build_offer_specs(load_scenario("baseline"), load_genk().venues) if o.awards_badge}
    craft = next(o for o in offers.values() if o.id.endswith(":leerling"))  # In de leer bij een vakman: maken, eten; zelf doen
    assert talent.for_offer(craft).id == MAKEN_ZELF


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["achievements"].pop(), r"missing entries for denken_en_bespreken x zelf_doen"),
        (lambda d: d["achievements"][1].update(id=d["achievements"][0]["id"]), r"achievements\[1\]: id .* is used twice"),
        (lambda d: d["achievements"][0].update(id="eten samen"), r"achievements\[0\]: id 'eten samen' is not an absolute URI"),
        (lambda d: d["achievements"][0].update(theme="sport"), r"achievements\[0\]\.theme: 'sport' is no theme"),
        (lambda d: d["achievements"][0].update(level="geen"), r"achievements\[0\]\.level: 'geen' is no level"),
        (lambda d: d["achievements"][0].update(name_en=""), r"achievements\[0\]\.name_en: needs a non-empty text"),
        (lambda d: d["achievements"][0].update(colour="red"), r"unknown key\(s\) \['colour'\]"),
    ],
    ids=["missing_cell", "duplicate_id", "not_a_uri", "unknown_theme", "unknown_level", "empty_name", "unknown_key"],
)
def test_a_broken_talent_language_is_refused_naming_entry_and_key(change, expected) -> None:
    data = yaml.safe_load(TALENT_LANGUAGE_FILE.read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(TalentLanguageError, match=expected):
        parse_talent_language(data, "talent.yaml")


def test_a_zip_export_is_read_within_the_limits() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/1.json", json.dumps(assertion(1)))
        archive.writestr("export/2.json", json.dumps(credential(2)))
        archive.writestr("export/leesmij.txt", "geen badge")
    report = count([("export.zip", buffer.getvalue())])
    assert report.ok and (report.n_files, report.n_badges) == (2, 2)

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("groot.json", b" " * 3_000_000)  # packs to a few kB, unpacks past the limit
    refused = count([("bom.zip", bomb.getvalue())], limits=Limits(max_json_bytes=1_000_000))
    assert [(p.code, p.file) for p in refused.errors] == [("file_too_large", "bom.zip/groot.json")]


def test_a_presentation_of_jwt_credentials_is_read() -> None:
    def b64(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    tokens = [f"{b64({'alg': 'ES256'})}.{b64({'vc': credential(n)})}.c2ln" for n in (1, 2)]
    presentation = {"type": ["VerifiablePresentation"], "verifiableCredential": tokens}
    report = count([("vp.json", json.dumps(presentation).encode())])
    assert report.ok and report.n_badges == 2
