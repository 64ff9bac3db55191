"""The scenario loader: hostile and broken files are refused fast with the project's own error.

Every failure is a :class:`model.scenario.ScenarioError` naming the file, the key and a
short excerpt; problems are structured, so the same refusal reads in Dutch and English.
"""
from __future__ import annotations

import time

import pytest

from model.scenario import RoomSpec, ScenarioError, load_scenario, numeric_fields
from model.scenario_io import (
    EXCERPT_CHARS,
    MAX_SCENARIO_BYTES,
    ScenarioProblems,
    decode_scenario_bytes,
    render_error,
    scenario_from_yaml,
)

OFFER = """levers:
  offers:
  - id: moestuin
    themes: [kweken_en_natuur]
    place: {kind: online}
"""


def refusal(text, source="tafel.yaml") -> ScenarioProblems:
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        scenario_from_yaml(text, source=source)
    assert time.perf_counter() - started < 1.0, "a refusal must come within a second"
    assert isinstance(info.value, ScenarioProblems)
    return info.value


def alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    lines.append(f"levers: {{catalogue: {{removed_offers: *a{levels - 1}}}}}")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_within_a_second():
    err = refusal(alias_bomb())
    assert err.problems[0].code == "too_many_nodes"
    assert "tafel.yaml" in str(err) and "aliases" in str(err)


def test_a_thousand_aliases_of_one_anchor_are_refused_before_they_expand():
    anchor = "x: &big [" + ",".join(f'"offer-{i}"' for i in range(300)) + "]\n"
    text = anchor + "levers: {catalogue: {removed_offers: [" + ",".join(["*big"] * 1000) + "]}}\n"
    assert len(text) < 20_000
    assert refusal(text).problems[0].code == "too_many_nodes"


def test_deeply_nested_brackets_are_refused_naming_the_line_not_a_recursion_error():
    err = refusal("[" * 2000 + "]" * 2000)
    assert err.problems[0].code == "too_deep"
    assert "tafel.yaml: line 1" in str(err)


def test_a_5001_digit_integer_is_refused_with_its_digit_count():
    err = refusal("run:\n  weeks: " + "9" * 5001 + "\n")
    assert err.problems[0].code == "huge_integer"
    assert "5001 digits" in str(err) and "line 2" in str(err)
    assert len(str(err)) < 300


@pytest.mark.parametrize(("encoding", "detail"), [("latin-1", "byte"), ("utf-16", "UTF-16")])
def test_a_file_in_another_encoding_is_refused_naming_the_file(tmp_path, encoding, detail):
    path = tmp_path / "tafel.yaml"
    path.write_bytes("name: café\ntitle: Genk-Zuid\n".encode(encoding))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value) and "not UTF-8" in str(info.value) and detail in str(info.value)
    assert "UTF-8" in render_error(info.value, "nl")


def test_a_utf8_file_with_a_byte_order_mark_is_read():
    assert decode_scenario_bytes("\ufeffname: ok\n".encode("utf-8")) == "name: ok\n"


def test_a_nul_byte_is_refused():
    assert refusal("name: a\x00b\n").problems[0].code == "nul_byte"


def test_a_huge_file_is_refused_at_once():
    err = refusal(b"name: x\n" + b"#" * (MAX_SCENARIO_BYTES + 1))
    assert err.problems[0].code == "too_large" and "MB" in str(err)


@pytest.mark.parametrize("path", ["run.population_scale", "uncertainties.friend_weight"])
def test_a_boolean_is_not_a_number(path):
    section, key = path.split(".")
    err = refusal(f"{section}:\n  {key}: true\n")
    assert [p.code for p in err.problems] == ["bool_not_number"]
    assert f"tafel.yaml: {path} = True: a boolean is not a number" in str(err)
    assert "ja/nee-waarde is geen getal" in err.render("nl")


def test_a_boolean_inside_an_offer_is_not_a_number_either():
    err = refusal(OFFER + "    capacity_per_week: yes\n")
    assert err.problems[0].path == ("levers", "offers", 0, "capacity_per_week")
    assert err.problems[0].code == "bool_not_number"


def test_a_huge_value_is_quoted_as_a_short_excerpt():
    err = refusal("name: ok\nrun:\n  weeks: '" + "x" * 1_000_000 + "'\n")
    assert len(str(err)) < 400
    assert err.problems[0].value_excerpt.endswith("…") and len(err.problems[0].value_excerpt) == EXCERPT_CHARS


def test_the_same_refusal_reads_in_dutch_and_english_from_its_structure():
    err = refusal(OFFER + "    age_min: 60\n    age_max: 12\n    capacity_per_week: -3\n")
    codes = sorted(p.code for p in err.problems)
    assert codes == ["age_order", "out_of_range"] or codes == ["out_of_range"]
    err = refusal(OFFER + "    age_min: 60\n    age_max: 12\n")
    assert [p.code for p in err.problems] == ["age_order"]
    assert err.problems[0].params == {"age_min": 60, "age_max": 12}
    assert "age_min (60) is above age_max (12); swap them" in err.render("en")
    assert "de leeftijd vanaf (60) ligt boven de leeftijd tot (12); wissel ze om" in err.render("nl")


def test_labels_replace_raw_key_paths_for_the_screen():
    err = refusal("levers:\n  central_site:\n    rooms:\n    - {name: a, capacity: -5}\n")
    problem = err.problems[0]
    assert problem.path == ("levers", "central_site", "rooms", 0, "capacity")
    field = next(f for f in numeric_fields(RoomSpec) if f.path == "capacity")
    nl = problem.render("nl", labels=True)
    assert nl.startswith(f"{field.label_nl} = -5 ligt buiten het toegelaten bereik (toegelaten 1 tot 500 personen)")
    assert "levers." not in nl
    assert problem.render("en", labels=True).startswith(f"{field.label_en} = -5 is out of range")


def test_an_unknown_key_is_suggested_in_both_languages():
    err = refusal("uncertainties:\n  friend_weigth: 1\n")
    assert "did you mean 'friend_weight'?" in err.render("en")
    assert "bedoelde je 'friend_weight'?" in err.render("nl")


def test_a_path_with_a_nul_byte_is_the_projects_own_error():
    with pytest.raises(ScenarioError):
        load_scenario("base\x00line")


def test_a_rule_about_a_whole_offer_reads_without_raw_paths_on_the_screen():
    err = refusal(OFFER + "    age_min: 60\n    age_max: 12\n")
    nl = err.render("nl", labels=True)
    assert nl == "de leeftijd vanaf (60) ligt boven de leeftijd tot (12); wissel ze om"
    assert "levers" not in err.render("en", labels=True)
