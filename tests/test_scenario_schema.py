"""The scenario schema as a workshop participant and a study rely on it."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.domain import Level, Theme
from model.scenario import (
    NumericField,
    OfferSpec,
    Scenario,
    ScenarioError,
    Uncertainties,
    lever_fields,
    load_scenario,
    numeric_fields,
    scenario_from_yaml,
    scenario_to_yaml,
    uncertainty_fields,
    validate_scenario,
)

OFFER = """\
  - id: moestuin_bret
    title: Samen tuinieren
    themes: [kweken_en_natuur]
    level: samen_doen
    place: {kind: venue, venue_id: buurthuis_bret}
"""


def yaml_with_offers(offers: str) -> str:
    return f"name: tafel_1\nlevers:\n  offers:\n{offers}"


def error_of(text: str, source: str = "tafel_1.yaml") -> str:
    with pytest.raises(ScenarioError) as info:
        scenario_from_yaml(text, source=source)
    return str(info.value)


@pytest.fixture
def rich_scenario() -> Scenario:
    """A scenario that uses every section, so a round trip has something to lose."""
    return validate_scenario(
        {
            "name": "regina_mundi_open",
            "title": "Regina Mundi als centrale site",
            "description": "Een hub met vaste en gastaanbieders; ëüé unicode blijft.",
            "levers": {
                "catalogue": {"offers_per_provider": 0.5, "removed_offers": ["oud_1"]},
                "offers": [
                    {
                        "id": "moestuin_bret",
                        "themes": ["kweken_en_natuur", "eten"],
                        "level": "zelf_doen",
                        "age_min": 12,
                        "age_max": 18,
                        "price_eur": 25.5,
                        "place": {"kind": "point", "lon": 5.5, "lat": 50.96},
                    },
                    {"id": "online_code", "themes": ["maken_en_ontwerpen"], "place": {"kind": "online"}},
                ],
                "central_site": {"enabled": True, "permanent_providers": ["library", "makerspace"], "rooms": [{"name": "atelier", "capacity": 12}]},
                "wegwijzer": {"website": True, "desk": True},
                "mentors": {"enabled": True, "hours_per_week": 80, "priority": "low_means"},
                "clubs": {"enabled": True, "budget_eur_per_year": 20000},
                "badges": {"enabled": True, "opportunity_places_per_year": 50, "opportunity_kinds": ["internship"]},
            },
            "uncertainties": {"friend_weight": 0.0, "completion_prob": 1.0},
            "run": {"weeks": 104, "population_scale": 0.05},
        },
        source="rich",
    )


# --------------------------------------------------------------------------- defaults and round trip
def test_the_defaults_validate_and_an_empty_mapping_means_the_defaults() -> None:
    assert validate_scenario({}) == Scenario()
    assert scenario_from_yaml("name: naamloos\n") == Scenario()


def test_yaml_round_trip_gives_an_equal_scenario(rich_scenario: Scenario) -> None:
    text = scenario_to_yaml(rich_scenario)
    again = scenario_from_yaml(text)
    assert again == rich_scenario
    assert scenario_to_yaml(again) == text  # canonical: stable under a second round trip
    assert rich_scenario.to_yaml() == text
    assert again.levers.offers[0].level is Level.ZELF_DOEN
    assert again.levers.offers[0].themes == [Theme.KWEKEN_EN_NATUUR, Theme.ETEN]


def test_a_scenario_file_loads_by_path_and_an_unknown_name_lists_the_known_ones(tmp_path: Path, rich_scenario: Scenario) -> None:
    path = tmp_path / "regina.yaml"
    path.write_text(scenario_to_yaml(rich_scenario), encoding="utf-8")
    assert load_scenario(path) == rich_scenario
    with pytest.raises(ScenarioError, match=r"no such scenario file; known scenarios:"):
        load_scenario("bestaat_niet")


def test_an_empty_file_or_a_list_is_refused_with_a_hint() -> None:
    assert "empty; start from scenarios/baseline.yaml" in error_of("")
    assert "must be a mapping of keys" in error_of("- name: a\n")


# --------------------------------------------------------------------------- messages a participant reads
@pytest.mark.parametrize(
    ("text", "path", "suggestion"),
    [
        ("name: a\nuncertanties: {}\n", "uncertanties", "uncertainties"),
        ("uncertainties:\n  friend_weigth: 1\n", "uncertainties.friend_weigth", "friend_weight"),
        ("levers:\n  mentors:\n    hours_per_weak: 4\n", "levers.mentors.hours_per_weak", "hours_per_week"),
        (yaml_with_offers(OFFER + "    capacty_per_week: 3\n"), "levers.offers[0].capacty_per_week", "capacity_per_week"),
        ("levers:\n  central_site:\n    rooms:\n    - {name: a, capacty: 3}\n", "levers.central_site.rooms[0].capacty", "capacity"),
    ],
    ids=["top_level", "uncertainty", "lever_section", "inside_an_offer", "inside_a_room"],
)
def test_an_unknown_key_names_the_file_the_key_path_and_a_suggestion(text: str, path: str, suggestion: str) -> None:
    message = error_of(text)
    assert message.startswith("tafel_1.yaml: ")
    assert f"unknown key {path!r}" in message
    assert f"did you mean {suggestion!r}?" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("uncertainties:\n  friend_weight: 9\n", "uncertainties.friend_weight = 9 is out of range (allowed range 0 to 5 nut)"),
        ("run:\n  weeks: 0\n", "run.weeks = 0 is out of range (allowed range 1 to 260 weken)"),
        ("levers:\n  clubs:\n    membership_share: 1.5\n", "levers.clubs.membership_share = 1.5 is out of range (allowed range 0 to 1 aandeel)"),
        (yaml_with_offers(OFFER + "    price_eur: -1\n"), "levers.offers[0].price_eur = -1 is out of range (allowed range 0 to 2 000 EUR)"),
    ],
    ids=["uncertainty", "run_setting", "lever", "offer_field"],
)
def test_an_out_of_range_value_names_the_key_path_and_the_allowed_range(text: str, expected: str) -> None:
    message = error_of(text)
    assert message.startswith("tafel_1.yaml: ")
    assert expected in message


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    message = error_of("uncertainties:\n  friend_weight: 9\n  completion_prob: 0\nrun:\n  weeks: 0\n")
    assert len(message.splitlines()) == 3


def test_an_offer_whose_age_min_is_above_age_max_is_refused() -> None:
    message = error_of(yaml_with_offers(OFFER + "    age_min: 50\n    age_max: 10\n"))
    assert "levers.offers[0]" in message
    assert "age_min (50) is above age_max (10); swap them" in message


def test_an_offer_that_starts_after_it_ends_is_refused() -> None:
    message = error_of(yaml_with_offers(OFFER + "    start_week: 40\n    end_week: 10\n"))
    assert "start_week (40) is after end_week (10)" in message


def test_a_venue_place_without_a_venue_id_is_refused() -> None:
    offer = OFFER.replace("{kind: venue, venue_id: buurthuis_bret}", "{kind: venue}")
    message = error_of(yaml_with_offers(offer))
    assert "levers.offers[0].place" in message
    assert "a place of kind 'venue' needs venue_id" in message


def test_a_point_place_without_coordinates_is_refused() -> None:
    offer = OFFER.replace("{kind: venue, venue_id: buurthuis_bret}", "{kind: point, lon: 5.5}")
    assert "a place of kind 'point' needs lon and lat" in error_of(yaml_with_offers(offer))


def test_two_offers_with_the_same_id_are_refused() -> None:
    message = error_of(yaml_with_offers(OFFER + OFFER))
    assert "offers[1].id 'moestuin_bret' is used twice; give each offer its own id" in message


def test_an_unknown_theme_or_level_lists_the_allowed_ones() -> None:
    assert "kweken_en_natuur" in error_of(yaml_with_offers(OFFER.replace("[kweken_en_natuur]", "[tuinieren]")))
    message = error_of(yaml_with_offers(OFFER.replace("level: samen_doen", "level: geen")))
    assert "levers.offers[0].level" in message and "zien_doen, samen_doen or zelf_doen" in message


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("name: a\nlevers: [open\n", 3, 1), ("name: a\n  title: b\n", 2, 8), ("name: a\n\tlevers: {}\n", 2, 1)],
    ids=["unclosed_list", "bad_indent", "tab"],
)
def test_invalid_yaml_syntax_gives_line_and_column(text: str, line: int, column: int) -> None:
    message = error_of(text)
    assert f"tafel_1.yaml: line {line}, column {column} is not valid YAML" in message


# --------------------------------------------------------------------------- with_values
def test_with_values_sets_dotted_paths_and_leaves_the_original_alone() -> None:
    base = Scenario()
    changed = base.with_values(
        {"uncertainties.friend_weight": 0, "levers.mentors.enabled": True, "levers.central_site.place.venue_id": "c_mine", "run.weeks": 26}
    )
    assert changed.uncertainties.friend_weight == 0
    assert changed.levers.mentors.enabled is True
    assert changed.levers.central_site.place.venue_id == "c_mine"
    assert changed.run.weeks == 26
    assert base == Scenario()


def test_with_values_refuses_unknown_paths_and_out_of_range_values() -> None:
    with pytest.raises(ScenarioError, match=r"unknown parameter 'uncertainties.friend_weigth': did you mean 'friend_weight'"):
        Scenario().with_values({"uncertainties.friend_weigth": 1})
    with pytest.raises(ScenarioError, match=r"unknown parameter 'uncertanties.friend_weight'"):
        Scenario().with_values({"uncertanties.friend_weight": 1})
    with pytest.raises(ScenarioError, match=r"uncertainties.friend_weight = 99 is out of range"):
        Scenario().with_values({"uncertainties.friend_weight": 99})
    with pytest.raises(ScenarioError, match=r"unknown parameter 'run.weeks.extra'"):
        Scenario().with_values({"run.weeks.extra": 1})


def test_assignment_is_validated_too() -> None:
    scenario = Scenario()
    with pytest.raises(ValueError):
        scenario.uncertainties.friend_weight = 99


# --------------------------------------------------------------------------- declarations for widgets and samplers
def test_every_uncertainty_is_declared_with_bounds_unit_and_labels() -> None:
    fields = uncertainty_fields()
    assert set(fields) == {f"uncertainties.{name}" for name in Uncertainties.model_fields}
    for path, field in fields.items():
        assert isinstance(field, NumericField) and field.path == path
        assert field.lo < field.hi, path
        assert field.lo <= field.default <= field.hi, path
        assert field.unit, f"{path} has no unit"
        assert field.label_nl and field.label_nl != path, f"{path} has no Dutch label"
        assert field.label_en and field.label_en != path, f"{path} has no English label"
        assert field.description, f"{path} has no description"


def test_every_numeric_lever_and_run_setting_is_declared_with_bounds_unit_and_labels() -> None:
    fields = list(numeric_fields(Scenario))
    assert {f.path for f in fields} >= {"run.weeks", "run.population_scale", "levers.mentors.hours_per_week", "levers.clubs.budget_eur_per_year"}
    assert set(lever_fields()) == {f.path for f in fields if f.path.startswith("levers.")}
    for field in fields:
        assert field.lo < field.hi and field.lo <= field.default <= field.hi, field
        assert field.unit and field.label_nl != field.path and field.label_en != field.path, field
    assert lever_fields()["levers.peer_groups.n_hosts"].is_int
    assert not uncertainty_fields()["uncertainties.friend_weight"].is_int


def test_the_offer_fields_are_declared_too() -> None:
    paths = {f.path for f in numeric_fields(OfferSpec)}
    assert {"age_min", "age_max", "capacity_per_week", "price_eur"} <= paths


def _uncertainty_value(field: NumericField) -> st.SearchStrategy:
    if field.is_int:
        return st.integers(min_value=int(field.lo), max_value=int(field.hi))
    return st.floats(min_value=field.lo, max_value=field.hi, allow_nan=False, allow_infinity=False)


UNCERTAINTY_VALUES = st.fixed_dictionaries({path: _uncertainty_value(f) for path, f in uncertainty_fields().items()})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=UNCERTAINTY_VALUES)
def test_any_in_range_uncertainties_validate_and_round_trip_through_yaml(values: dict[str, float]) -> None:
    scenario = Scenario(name="studie").with_values(values)
    for path, value in values.items():
        assert getattr(scenario.uncertainties, path.split(".", 1)[1]) == value
    assert scenario_from_yaml(scenario_to_yaml(scenario)) == scenario


def test_playlist_age_range_is_checked():
    with pytest.raises(ScenarioError, match="age_min"):
        scenario_from_yaml("levers:\n  playlists:\n    age_min: 50\n    age_max: 20\n", "f.yaml")


def test_offer_levels_are_written_back_as_words_not_numbers():
    scenario = Scenario(levers={"offers": [{"id": "a", "themes": ["eten"], "level": "zelf_doen", "place": {"kind": "online"}}]})
    text = scenario_to_yaml(scenario)
    assert "level: zelf_doen" in text
    assert scenario_from_yaml(text) == scenario


def test_a_key_given_twice_is_refused_with_its_line():
    with pytest.raises(ScenarioError, match=r"line 2.*'name' appears twice"):
        scenario_from_yaml("name: a\nname: b\n", "f.yaml")


def test_with_values_never_changes_the_callers_dictionaries():
    """A dict given as a value is copied: a later dotted path in the same call must not write into it."""
    from model.scenario import validate_scenario

    base = validate_scenario({"name": "x"}, source="<test>")
    wegwijzer = {"website": True, "desk": True, "magazine": False, "shared_overview": False}
    before = dict(wegwijzer)
    sc = base.with_values({"levers.wegwijzer": wegwijzer, "levers.wegwijzer.desk": False})
    assert sc.levers.wegwijzer.desk is False
    assert wegwijzer == before
