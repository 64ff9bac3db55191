"""Sites in the scenario schema: other sites beside the main one, opening hours by day, running cost.

What a city planner types (a satellite in a cité, "ma 9-12, 13-17") must be read as they
mean it, or refused at entry with the day, the text and the accepted form, in Dutch and
English; old scenarios must load and save as before.
"""
from __future__ import annotations

import glob

import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.scenario import (
    DAYS,
    MAIN_SITE_ID,
    PlaceSpec,
    default_opening_hours,
    lever_fields,
    load_scenario,
    parse_day_hours,
    scenario_from_yaml,
    validate_scenario,
)
from model.scenario_io import ScenarioProblems

VENUE_A = {"kind": "venue", "venue_id": "c_mine"}
POINT_WINTERSLAG = {"kind": "point", "lon": 5.4795, "lat": 50.9790}


def scenario(central: dict | None = None, sites: list | None = None, offers: list | None = None):
    levers: dict = {"central_site": central or {"enabled": True}}
    if sites is not None:
        levers["sites"] = sites
    if offers is not None:
        levers["offers"] = offers
    return validate_scenario({"name": "sites", "levers": levers}, source="<test>")


def refusal(**kw) -> ScenarioProblems:
    with pytest.raises(ScenarioProblems) as info:
        scenario(**kw)
    return info.value


def satellite(site_id: str = "winterslag", place: dict | None = None, **kw) -> dict:
    return {"id": site_id, "name": f"Clubhuis {site_id}", "place": place or POINT_WINTERSLAG, **kw}


# =========================================================================== opening hours by day
@pytest.mark.parametrize("text, minutes", [
    ("9-17", ((540, 1020),)),
    ("09:00-17:30", ((540, 1050),)),
    ("09:00-12:00, 13:00-17:00", ((540, 720), (780, 1020))),
    ("13-17; 9-12", ((540, 720), (780, 1020))),
    ("9u-12u30", ((540, 750),)),
    ("9.30-12", ((570, 720),)),
    ("18:00-24:00", ((1080, 1440),)),
    ("gesloten", ()),
    ("", ()),
])
def test_opening_hours_are_read_as_people_write_them(text, minutes):
    assert parse_day_hours(text, "mon") == minutes


def test_dutch_day_keys_are_normalised_and_the_weekly_total_follows_the_days():
    site = scenario({"enabled": True, "opening_hours": {"ma": "9-12, 13-17", "Zaterdag": "10-16", "wo": "gesloten"}}
                    ).levers.central_site
    assert site.opening_hours == {"mon": "09:00-12:00, 13:00-17:00", "sat": "10:00-16:00"}
    assert site.opening_hours_per_week == 13.0
    assert site.week_hours() == {"mon": ((540, 720), (780, 1020)), "sat": ((600, 960),)}


def test_the_same_weekly_total_may_be_given_but_a_different_one_is_refused_in_dutch_and_english():
    assert scenario({"enabled": True, "opening_hours": {"mon": "9-17"}, "opening_hours_per_week": 8}
                    ).levers.central_site.opening_hours_per_week == 8
    err = refusal(central={"enabled": True, "opening_hours": {"mon": "9-17"}, "opening_hours_per_week": 40})
    (problem,) = err.problems
    assert problem.code == "opening_hours_mismatch" and problem.path == ("levers", "central_site")
    assert "opening_hours_per_week (40.0)" in err.render("en") and "8.0 h" in err.render("en")
    assert "verschilt van het totaal" in err.render("nl") and "laat opening_hours_per_week weg" in err.render("nl")


@pytest.mark.parametrize("text, why_en, why_nl", [
    ("9-25", "'9-25' is not a time of day", "'9-25' is geen uur van de dag"),
    ("17-9", "'17-9' ends before it starts", "'17-9' eindigt voor het begint"),
    ("negen tot vijf", "'negen tot vijf' is not from-to", "'negen tot vijf' is geen van-tot"),
    ("9-12, 11-14", "two intervals overlap", "twee periodes overlappen"),
    ("9:75-12", "'9:75-12' is not a time of day", "'9:75-12' is geen uur van de dag"),
])
def test_opening_hours_that_do_not_parse_are_refused_naming_the_day_the_text_and_the_form(text, why_en, why_nl):
    err = refusal(sites=[satellite(opening_hours={"di": text})])
    (problem,) = err.problems
    assert problem.code == "opening_hours_text" and problem.path == ("levers", "sites", 0)
    en, nl = err.render("en"), err.render("nl")
    assert f"levers.sites[0].opening_hours.tue: the opening hours {text!r} do not parse ({why_en})" in en
    assert "'09:00-12:00, 13:00-17:00' or '9-17'" in en
    assert f"de openingsuren {text!r} zijn niet te lezen ({why_nl})" in nl and "of '9-17'" in nl


def test_a_day_that_is_not_a_day_or_is_given_twice_is_refused():
    err = refusal(central={"enabled": True, "opening_hours": {"maan": "9-12"}})
    assert err.problems[0].code == "opening_hours_day"
    assert "'maan' is not a day; use mon, tue" in err.render("en") and "'maan' is geen dag" in err.render("nl")
    err = refusal(central={"enabled": True, "opening_hours": {"ma": "9-12", "mon": "13-14"}})
    assert err.problems[0].code == "opening_hours_twice" and "mon is given twice" in err.render("en")
    err = refusal(central={"enabled": True, "opening_hours": "ma-vr 9-17"})
    assert err.problems[0].code == "opening_hours_form" and "geef dagen met uren" in err.render("nl")


@given(st.floats(min_value=0, max_value=98, allow_nan=False))
def test_the_default_pattern_keeps_the_weekly_hours_exactly_weekdays_from_nine(hours):
    pattern = default_opening_hours(hours)
    assert sum(b - a for day in pattern.values() for a, b in day) == round(hours * 60)
    assert all(a == 9 * 60 and b <= 24 * 60 for day in pattern.values() for a, b in day)
    if hours <= 75:
        assert set(pattern) <= set(DAYS[:5])


def test_the_default_pattern_of_forty_hours_is_nine_to_five_on_weekdays():
    assert default_opening_hours(40) == {d: ((540, 1020),) for d in DAYS[:5]}
    assert default_opening_hours(2) == {"mon": ((540, 600),), "tue": ((540, 600),)}
    assert default_opening_hours(0) == {}


def test_setting_one_of_the_two_opening_hours_fields_keeps_the_other_in_step():
    hub = load_scenario("regina-mundi-hub")
    by_day = hub.with_values({"levers.central_site.opening_hours": {"ma": "9-12", "do": "14-18"}})
    assert by_day.levers.central_site.opening_hours_per_week == 7
    weekly = by_day.with_values({"levers.central_site.opening_hours_per_week": 20})
    assert weekly.levers.central_site.opening_hours is None
    assert weekly.levers.central_site.week_hours() == {d: ((540, 780),) for d in DAYS[:5]}


# =========================================================================== other sites
def test_sites_beside_the_main_one_come_in_order_main_first_each_with_its_id():
    sc = scenario(sites=[satellite("winterslag"), satellite("zwartberg", {"kind": "venue", "venue_id": "x"}),
                         satellite("waterschei", {"kind": "venue", "venue_id": "y"}, enabled=False)])
    assert [s.id for s in sc.levers.all_sites()] == [MAIN_SITE_ID, "winterslag", "zwartberg"]
    assert sc.levers.site("waterschei").enabled is False and sc.levers.site("nergens") is None
    assert sc.levers.site_of(PlaceSpec(kind="site", site_id="zwartberg")).name == "Clubhuis zwartberg"
    off = scenario(central={"enabled": False}, sites=[satellite()])
    assert [s.id for s in off.levers.all_sites()] == ["winterslag"]


def test_a_site_id_is_a_unique_slug_and_not_the_main_sites():
    err = refusal(sites=[satellite("cite"), satellite("cite", {"kind": "venue", "venue_id": "x"})])
    assert err.problems[0].code == "duplicate_site_id" and "sites[1].id 'cite' is used twice" in err.render("en")
    assert "komt twee keer voor" in err.render("nl")
    err = refusal(sites=[satellite(MAIN_SITE_ID)])
    assert err.problems[0].path == ("levers", "sites", 0, "id") and "main site" in err.render("en")
    err = refusal(sites=[satellite("Cité Winterslag")])
    assert err.problems[0].code == "pattern"


def test_an_offer_at_a_site_that_does_not_exist_is_refused_naming_the_key_and_the_known_sites():
    offer = {"id": "kook", "themes": ["eten"], "place": {"kind": "site", "site_id": "zwartberk"}}
    err = refusal(sites=[satellite("zwartberg")], offers=[offer])
    (problem,) = err.problems
    assert problem.code == "unknown_site_id"
    assert "offers[0].place.site_id 'zwartberk' is not a site; known sites: central_site, zwartberg" in err.render("en")
    assert "is geen plek; gekende plekken: central_site, zwartberg" in err.render("nl")
    err = refusal(offers=[{**offer, "place": {"kind": "site"}}])
    assert err.problems[0].code == "site_needs_id"


def test_the_main_site_by_id_is_the_central_site():
    place = PlaceSpec(kind="site", site_id=MAIN_SITE_ID)
    assert place.kind == "central_site" and place.site_key == MAIN_SITE_ID and place.at_a_site


@pytest.mark.parametrize("second", [
    {"kind": "venue", "venue_id": "regina_mundi"},  # the main site's venue
])
def test_two_enabled_sites_on_one_venue_are_refused(second):
    err = refusal(sites=[satellite("tweede", second)])
    (problem,) = err.problems
    assert problem.code == "site_same_spot"
    assert "central_site ('Regina Mundi') and sites[0] ('Clubhuis tweede') are on one spot" in err.render("en")
    assert "liggen op dezelfde plek" in err.render("nl")


def test_two_points_within_25_m_are_one_spot_and_30_m_apart_are_two():
    lat = POINT_WINTERSLAG["lat"]
    close = {**POINT_WINTERSLAG, "lat": lat + 20 / 111_195}  # 20 m north
    apart = {**POINT_WINTERSLAG, "lat": lat + 30 / 111_195}
    assert refusal(sites=[satellite("a"), satellite("b", close)]).problems[0].code == "site_same_spot"
    assert len(scenario(sites=[satellite("a"), satellite("b", apart)]).levers.all_sites()) == 3
    # a site that is switched off takes no spot
    assert len(scenario(sites=[satellite("a"), satellite("b", close, enabled=False)]).levers.all_sites()) == 2


def test_a_site_is_at_a_venue_or_a_point_and_its_rooms_need_places():
    assert refusal(sites=[satellite(place={"kind": "online"})]).problems[0].code == "site_place_kind"
    err = refusal(sites=[satellite(rooms=[{"name": "clubruimte", "kind": "club_room", "capacity": 0}])])
    assert err.problems[0].path == ("levers", "sites", 0, "rooms", 0, "capacity") and err.problems[0].code == "out_of_range"
    assert refusal(sites=[{"id": "zonder_plek"}]).problems[0].code == "missing"


def test_twenty_sites_at_most():
    many = [satellite(f"s{i}", {"kind": "venue", "venue_id": f"v{i}"}) for i in range(21)]
    assert refusal(sites=many).problems[0].code == "too_long"


def test_a_sites_running_cost_is_a_labelled_non_negative_amount_not_a_workshop_slider():
    site = scenario(sites=[satellite(running_cost_eur_per_year=45_000)]).levers.sites[0]
    assert site.running_cost_eur_per_year == 45_000
    err = refusal(sites=[satellite(running_cost_eur_per_year=-1)])
    assert err.problems[0].code == "out_of_range" and "Running cost" in err.render("en", labels=True)
    assert "Werkingskosten" in err.render("nl", labels=True)
    assert refusal(sites=[satellite(running_cost_eur_per_year=float("inf"))]).problems
    assert "levers.central_site.running_cost_eur_per_year" not in lever_fields()


# =========================================================================== old scenarios
@pytest.mark.parametrize("path", sorted(glob.glob("scenarios/*.yaml")))
def test_every_scenario_file_loads_unchanged_and_saves_back_to_the_same_scenario(path):
    sc = load_scenario(path)
    assert sc.levers.sites == [] and sc.levers.central_site.opening_hours is None
    assert scenario_from_yaml(sc.to_yaml()) == sc


def test_a_layout_with_sites_and_hours_by_day_saves_and_loads_back():
    sc = scenario({"enabled": True, "opening_hours": {"ma": "9-12"}, "running_cost_eur_per_year": 1000},
                  sites=[satellite(opening_hours={"za": "10-16"}, permanent_providers=["library"])],
                  offers=[{"id": "kook", "themes": ["eten"], "place": {"kind": "site", "site_id": "winterslag"}}])
    again = scenario_from_yaml(sc.to_yaml())
    assert again == sc and again.levers.sites[0].opening_hours == {"sat": "10:00-16:00"}


def test_the_club_budget_reserves_eighty_percent_for_the_priority_group_by_default():
    assert validate_scenario({"name": "x"}).levers.clubs.priority_reserved_share == 0.8
