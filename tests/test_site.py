"""The central site's plan, worked out by hand: who moves in, which room each offer gets, for how many.

The tiny geography's venues: ``near_venue`` (a buurthuis: kookatelier 12 places, buurttuin 15,
both 2 h a week), ``far_venue`` (a maker space: repair café 20 places 2 h, maakplek 15 places
3 h) and the empty ``regina_mundi`` site. No craftsperson or company has a venue there, so
those come as newcomers with their typical offer (leerling: 3 places, 4 h; technologiedag:
100 places, 2 h; stage: 3 places, 8 h).
"""
from __future__ import annotations

import pandas as pd
import pytest

from model.offers import CATALOGUE_RULES, build_offers, catalogue_offers, rule_offer, site_xy
from model.scenario import PlaceSpec, validate_scenario
from model.site import plan_site
from tiny_geography import FAR_VENUE, NEAR_VENUE, REGINA_MUNDI, TinyGenk

GEO = TinyGenk()
ROOMS = [{"name": "keuken", "kind": "kitchen", "capacity": 12}, {"name": "tuin", "kind": "garden", "capacity": 5},
         {"name": "atelier", "kind": "maker_space", "capacity": 10}]


def scenario(**site):
    spec = {"enabled": True, "place": {"kind": "venue", "venue_id": REGINA_MUNDI}, "opening_hours_per_week": 10,
            "rooms": ROOMS, "share_moved": 0.5, "permanent_providers": ["neighbourhood_work", "makerspace", "craftsperson"],
            "guest_providers": [], **site}
    return validate_scenario({"name": "site", "levers": {"central_site": spec}}, source="<test>")


def plan(sc, venues=None, horizon: int = 52):
    venues = GEO.venues if venues is None else venues
    return plan_site(sc, catalogue_offers(venues), venues, site_xy(sc, venues), horizon, CATALOGUE_RULES, rule_offer)


def bookings(p) -> pd.DataFrame:
    return p.frame().set_index("offer_id")


def test_permanent_providers_move_half_their_places_into_rooms_of_their_kind():
    b = bookings(plan(scenario()))
    # kookatelier (eten): 6 of 12 places, one 2-hour session in the kitchen of 12 places
    assert b.loc["site:neighbourhood_work:kookatelier", ["room", "sessions_per_week", "places", "role"]].tolist() == \
        ["keuken", 1, 6, "permanent"]
    # buurttuin (kweken): 8 of 15 places, in a garden of 5 places: two sessions
    assert b.loc["site:neighbourhood_work:buurttuin", ["room", "sessions_per_week", "places"]].tolist() == ["tuin", 2, 8]
    # repair café and maakplek (maken) in the maker space of 10 places
    assert b.loc["site:makerspace:repair-cafe", ["room", "sessions_per_week", "places"]].tolist() == ["atelier", 1, 10]
    assert b.loc["site:makerspace:maakplek", ["room", "sessions_per_week", "places", "hours_per_week"]].tolist() == \
        ["atelier", 1, 8, 3.0]


def test_the_places_that_move_leave_the_providers_own_venue():
    p = plan(scenario())
    assert p.moved_from == {f"{NEAR_VENUE}:kookatelier": 6, f"{NEAR_VENUE}:buurttuin": 8,
                            f"{FAR_VENUE}:repair-cafe": 10, f"{FAR_VENUE}:maakplek": 8}
    specs, _ = build_offers(scenario(), GEO.venues)
    places = {o.id: o.capacity_per_week for o in specs}
    assert places[f"{NEAR_VENUE}:kookatelier"] == 6 and places[f"{NEAR_VENUE}:buurttuin"] == 7
    assert places[f"{FAR_VENUE}:repair-cafe"] == 10 and places[f"{FAR_VENUE}:maakplek"] == 7
    assert sum(places.values()) == sum(o.capacity_per_week for o in catalogue_offers(GEO.venues)) + 3  # + the newcomer


def test_a_provider_type_without_a_venue_comes_as_a_newcomer_with_its_typical_offer():
    b = bookings(plan(scenario()))
    # leerling (maken, zelf doen, 4 h): the atelier has 10 - 2 - 3 = 5 hours left: one session, 3 places
    assert b.loc["site:craftsperson:leerling", ["room", "sessions_per_week", "places", "role"]].tolist() == \
        ["atelier", 1, 3, "newcomer"]


def test_opening_hours_bind_an_offer_that_finds_no_free_hours_is_unscheduled():
    p = plan(scenario(permanent_providers=["neighbourhood_work", "makerspace", "craftsperson", "company"]))
    b = bookings(p)
    # technologiedag (zien doen, 2 h, 100 places): no showcase space, so the first room with hours, the kitchen
    # (8 h left): 4 sessions of 12 places
    assert b.loc["site:company:technologiedag", ["room", "sessions_per_week", "places"]].tolist() == ["keuken", 4, 48]
    # stage (8 h a week): no room has 8 free hours left
    assert p.unscheduled == ["site:company:stage"]
    used = b.groupby("room")["hours_per_week"].sum()
    assert (used <= 10).all() and used.to_dict() == {"atelier": 9.0, "keuken": 10.0, "tuin": 4.0}


def test_fewer_opening_hours_give_fewer_places_at_the_site():
    wide, narrow = plan(scenario(opening_hours_per_week=10)), plan(scenario(opening_hours_per_week=2))
    assert bookings(narrow)["places"].sum() < bookings(wide)["places"].sum()
    assert len(narrow.unscheduled) > len(wide.unscheduled)


def test_the_nearest_provider_of_a_type_is_the_one_that_moves_in():
    venues = GEO.venues.copy()
    closer = venues.loc[NEAR_VENUE].copy()
    closer["x"] = venues.loc[REGINA_MUNDI, "x"] + 50.0
    venues.loc["buurthuis_naast_de_site"] = closer
    p = plan(scenario(), venues=venues)
    assert "buurthuis_naast_de_site:kookatelier" in p.moved_from
    assert f"{NEAR_VENUE}:kookatelier" not in p.moved_from


def test_nothing_moves_with_share_moved_zero_and_everything_with_one():
    none, full = plan(scenario(share_moved=0.0)), plan(scenario(share_moved=1.0))
    assert none.moved_from == {}
    assert full.moved_from[f"{NEAR_VENUE}:kookatelier"] == 12


def test_guests_take_turns_for_their_period_up_to_the_horizon():
    p = plan(scenario(permanent_providers=[], guest_providers=["company", "makerspace"], guest_weeks=4), horizon=10)
    b = p.frame()
    periods = sorted({(r.start_week, r.end_week) for r in b.itertuples()})
    assert periods == [(1, 4), (5, 8), (9, 10)]
    by_period = b.groupby("start_week")["offer_id"].apply(lambda s: sorted({i.split(":")[2] for i in s})).to_dict()
    assert by_period == {1: ["company"], 5: ["makerspace"], 9: ["company"]}
    assert set(b["role"]) == {"guest"} and p.moved_from == {}


def test_an_offer_placed_at_the_site_by_the_workshop_gets_its_room_first():
    offer = {"id": "kookles", "themes": ["eten"], "place": {"kind": "central_site"}, "capacity_per_week": 24,
             "hours_per_week": 2}
    sc = validate_scenario({"name": "site", "levers": {"central_site": scenario().levers.central_site.model_dump(mode="json"),
                                                       "offers": [offer]}}, source="<test>")
    b = bookings(plan(sc))
    assert b.loc["kookles", ["room", "sessions_per_week", "places", "role"]].tolist() == ["keuken", 2, 24, "workshop"]
    assert b.loc["site:neighbourhood_work:kookatelier", "sessions_per_week"] == 1  # the kitchen still had hours


@pytest.mark.parametrize("site", [{"enabled": False}, {"rooms": []}])
def test_a_site_that_is_off_or_has_no_rooms_holds_nothing(site):
    sc = scenario() if site.get("enabled", True) else None
    if sc is None:
        sc = validate_scenario({"name": "site", "levers": {"central_site": {"enabled": False}}}, source="<test>")
    else:
        sc = sc.with_values({"levers.central_site.rooms": []})
    p = plan(sc)
    assert p.offers == [] and p.bookings == [] and p.moved_from == {}


# =========================================================================== providers' reviews, by hand
def _review_model(capacity: int = 10, level: str = "samen_doen"):
    from model.agents import Provider
    from model.model import LearningEcosystem

    offer = {"id": "atelier", "themes": ["maken_en_ontwerpen"], "level": level,
             "place": {"kind": "venue", "venue_id": NEAR_VENUE}, "capacity_per_week": capacity}
    sc = validate_scenario({"name": "review", "levers": {"catalogue": {"enabled": False}, "offers": [offer],
                                                         "providers": {"growth_limit_share": 0.25}}}, source="<test>")
    model = LearningEcosystem(sc, seed=1, geography=GEO, population_scale=1.0, weeks=52)
    model.week = 13
    return model, next(a for a in model.agents_by_type[Provider] if 0 in a.offers)


def test_a_provider_grows_an_offer_that_turned_people_away_by_the_growth_limit():
    model, provider = _review_model(capacity=10)
    model.review_waitlisted[0] = 7.0  # 7 people found it full this quarter
    provider.step()
    assert model.offers.capacity[0] == 12  # + floor(min(0.25 x 10, 7)) = 2 places
    assert model.provider_changes == {"grown": 1, "shrunk": 0, "dropped": 0, "follow_on": 0}
    model.review_waitlisted[0] = 1.0
    provider.step()
    assert model.offers.capacity[0] == 13  # at least one whole place, at most what was asked


def test_a_provider_shrinks_an_offer_nobody_took_and_drops_it_below_one_place():
    model, provider = _review_model(capacity=2)
    provider.step()
    assert model.offers.capacity[0] == pytest.approx(1.5) and model.offers.end_week[0] > model.week
    provider.step()
    provider.step()
    assert model.offers.capacity[0] == 0 and model.offers.end_week[0] == model.week
    assert model.provider_changes == {"grown": 0, "shrunk": 3, "dropped": 1, "follow_on": 0}


def test_where_completers_find_no_next_step_a_provider_adds_one_level_up_once():
    model, provider = _review_model(capacity=10, level="samen_doen")
    model.review_enrolled[0] = 5.0  # taken, so not shrunk
    model.review_stuck[0] = 3.0  # three completers learned of no next step
    provider.step()
    assert model.offers.n == 2 and model.offers.level[1] == 3 and model.offers.capacity[1] == 5  # zelf doen, half the places
    assert model.offers.ids[1] == "atelier:vervolg" and model.offers.start_week[1] == model.week + 1
    provider.step()
    assert model.offers.n == 2, "the follow-on is added once"
    assert model.provider_changes["follow_on"] == 1
    top, top_provider = _review_model(capacity=10, level="zelf_doen")
    top.review_enrolled[0], top.review_stuck[0] = 5.0, 3.0
    top_provider.step()
    assert top.offers.n == 1, "there is no level above zelf doen"


# =========================================================================== hour blocks by day, by hand
def kitchen_site(opening_hours=None, hours_per_week=None, offers=(), rooms=None):
    """A site with one kitchen of 10 places and only the workshop's own offers (eten)."""
    site = {"enabled": True, "place": {"kind": "venue", "venue_id": REGINA_MUNDI}, "permanent_providers": [],
            "rooms": rooms or [{"name": "keuken", "kind": "kitchen", "capacity": 10}]}
    if opening_hours is not None:
        site["opening_hours"] = opening_hours
    if hours_per_week is not None:
        site["opening_hours_per_week"] = hours_per_week
    workshop = [{"id": oid, "themes": ["eten"], "place": {"kind": "central_site"}, "capacity_per_week": places,
                 "hours_per_week": hours} for oid, hours, places in offers]
    return validate_scenario({"name": "blokken", "levers": {"catalogue": {"enabled": False}, "central_site": site,
                                                            "offers": workshop}}, source="<test>")


def blocks_of(p) -> dict[str, tuple]:
    return {b.offer_id: b.blocks for b in p.bookings}


def test_with_hours_by_day_each_session_takes_the_first_free_stretch_of_a_day():
    # open Monday 9-12 and Tuesday 14-16; 'lang' (3 h) fills Monday, 'kort' (2 h, 20 places = 2 sessions)
    # finds only Tuesday for one session, 'nog' (1 h) finds nothing
    p = plan(kitchen_site({"ma": "9-12", "di": "14-16"}, offers=[("lang", 3, 10), ("kort", 2, 20), ("nog", 1, 10)]))
    assert blocks_of(p) == {"lang": (("mon", 9.0, 12.0),), "kort": (("tue", 14.0, 16.0),)}
    b = bookings(p)
    assert b.loc["kort", ["sessions_per_week", "places"]].tolist() == [1, 10]
    assert p.unscheduled == ["nog"]


def test_by_day_a_session_needs_one_stretch_while_weekly_hours_only_count_hours():
    by_day = plan(kitchen_site({"ma": "9-11", "di": "9-11"}, offers=[("drie_uur", 3, 10)]))
    assert by_day.unscheduled == ["drie_uur"] and by_day.bookings == []
    weekly = plan(kitchen_site(hours_per_week=4, offers=[("drie_uur", 3, 10)]))
    # 4 h a week in the default pattern is 09-10 Monday to Thursday: the session is laid out over three of them
    assert blocks_of(weekly) == {"drie_uur": (("mon", 9.0, 10.0), ("tue", 9.0, 10.0), ("wed", 9.0, 10.0))}
    assert weekly.bookings[0].block_session == (0, 0, 0)


def test_a_lunch_break_splits_the_day_and_a_session_does_not_cross_it():
    p = plan(kitchen_site({"vr": "09:00-12:00, 13:00-17:30"}, offers=[("ochtend", 2, 10), ("twee", 2, 20)]))
    # ochtend 9-11; twee: 11-12 is too short, so 13-15 and 15-17 (two sessions)
    assert blocks_of(p) == {"ochtend": (("fri", 9.0, 11.0),), "twee": (("fri", 13.0, 15.0), ("fri", 15.0, 17.0))}
    assert p.bookings[1].block_session == (0, 1)


def test_guests_of_different_periods_may_use_the_same_hours():
    sc = kitchen_site({"ma": "9-11"}).with_values({"levers.central_site.guest_providers": ["neighbourhood_work"],
                                                   "levers.central_site.guest_weeks": 26})
    p = plan(sc, horizon=52)
    kook = [b for b in p.bookings if b.offer_id.endswith("kookatelier")]
    assert [(b.start_week, b.blocks) for b in kook] == [(1, (("mon", 9.0, 11.0),)), (27, (("mon", 9.0, 11.0),))]


def test_permanent_bookings_in_weekly_hours_are_laid_out_in_booking_order():
    p = plan(scenario())  # 10 h a week: 09-11 on weekdays
    blocks = p.blocks_frame()
    atelier = blocks[blocks["room"] == "atelier"]
    # repair café 2 h, then maakplek 3 h (continues on Tuesday), then the leerling 4 h
    assert atelier[["offer_id", "day", "start", "end"]].values.tolist() == [
        ["site:makerspace:repair-cafe", "mon", 9.0, 11.0],
        ["site:makerspace:maakplek", "tue", 9.0, 11.0], ["site:makerspace:maakplek", "wed", 9.0, 10.0],
        ["site:craftsperson:leerling", "wed", 10.0, 11.0], ["site:craftsperson:leerling", "thu", 9.0, 11.0],
        ["site:craftsperson:leerling", "fri", 9.0, 10.0]]
    hours = blocks.assign(h=blocks["end"] - blocks["start"]).groupby("offer_id")["h"].sum()
    assert hours.to_dict() == bookings(p)["hours_per_week"].to_dict()


# =========================================================================== visitors per hour block
def test_visitors_per_block_hold_each_sessions_learners_and_crowding_is_over_the_rooms_places():
    from model.site import visitors_by_block

    p = plan(kitchen_site({"ma": "9-12", "di": "14-16, 19-20"}, offers=[("lang", 3, 10), ("kort", 2, 20)]))
    v = visitors_by_block(p, {"lang": 6, "kort": 8})
    assert list(v.columns[:9]) == ["site", "site_name", "room", "room_kind", "day", "hour", "visitors", "places", "crowding"]
    assert v[["day", "hour", "visitors", "crowding"]].values.tolist() == [
        ["mon", 9, 6.0, 0.6], ["mon", 10, 6.0, 0.6], ["mon", 11, 6.0, 0.6],
        ["tue", 14, 8.0, 0.8], ["tue", 15, 8.0, 0.8], ["tue", 19, 0.0, 0.0]]  # an open hour nobody uses
    assert v["visitors"].sum() == 6 * 3 + 8 * 2  # learner-hours per week


def test_an_offers_learners_are_split_over_its_sessions_and_part_hours_count_for_their_part():
    from model.site import visitors_by_block

    p = plan(kitchen_site({"wo": "09:30-12:30"}, offers=[("twee", 1.5, 20)]))
    assert blocks_of(p) == {"twee": (("wed", 9.5, 11.0), ("wed", 11.0, 12.5))}
    v = visitors_by_block(p, pd.DataFrame({"offer_id": ["twee"], "weekly_enrolled": [12.0]})).set_index("hour")
    # 6 learners a session: 9:30-10 is half an hour, 11-12 both halves are the second session
    assert v["visitors"].to_dict() == {9: 3.0, 10: 6.0, 11: 6.0, 12: 3.0}
    assert v["visitors"].sum() == pytest.approx(12 * 1.5)


def test_visitors_of_several_sites_sum_to_each_offers_learner_hours():
    from model.site import visitors_by_block

    specs, combined = build_offers(two_sites(), GEO.venues)
    enrolled = {b.offer_id: 5.0 for b in combined.bookings}
    v = visitors_by_block(combined, pd.Series(enrolled))
    assert set(v["site"]) == {"central_site", "cite"}
    expected = sum(5.0 * b.hours_per_week / b.sessions_per_week for b in combined.bookings)
    assert v["visitors"].sum() == pytest.approx(expected)


# =========================================================================== several sites
SITE_AT_FAR_VENUE = {"id": "cite", "name": "Cité-clubhuis", "place": {"kind": "venue", "venue_id": FAR_VENUE},
                     "opening_hours": {"ma": "9-21", "wo": "9-21"}, "share_moved": 0.75,
                     "rooms": [{"name": "werkplaats", "kind": "maker_space", "capacity": 20},
                               {"name": "keuken", "kind": "kitchen", "capacity": 12}],
                     "permanent_providers": ["makerspace", "neighbourhood_work"], "running_cost_eur_per_year": 30_000}


def two_sites(**extra):
    main = scenario().levers.central_site.model_dump(mode="json")
    return validate_scenario({"name": "twee", "levers": {"central_site": main, "sites": [{**SITE_AT_FAR_VENUE, **extra}]}},
                             source="<test>")


def test_every_site_is_planned_with_its_own_rooms_and_its_offers_carry_the_site():
    specs, combined = build_offers(two_sites(), GEO.venues)
    assert [p.site_id for p in combined.sites] == ["central_site", "cite"]
    cite = combined.sites[1]
    assert cite.xy == (242_500.0, 185_500.0) and cite.room_places == {"werkplaats": 20, "keuken": 12}
    by_id = {o.id: o for o in specs}
    assert by_id["site.cite:makerspace:repair-cafe"].place == PlaceSpec(kind="site", site_id="cite")
    assert by_id["site:makerspace:repair-cafe"].place.kind == "central_site"
    assert {b.site_id for b in combined.bookings} == {"central_site", "cite"}
    assert combined.site_of_offer()["site.cite:makerspace:repair-cafe"] == "cite"


def test_a_provider_never_moves_more_than_all_its_places_over_all_sites():
    specs, combined = build_offers(two_sites(), GEO.venues)
    b = bookings(combined)
    # repair café has 20 places: the main site takes 10 (half), the cité wants 15 (three quarters) but 10 are left
    assert b.loc["site:makerspace:repair-cafe", "places"] == 10 and b.loc["site.cite:makerspace:repair-cafe", "places"] == 10
    assert combined.moved_from[f"{FAR_VENUE}:repair-cafe"] == 20
    assert f"{FAR_VENUE}:repair-cafe" not in {o.id for o in specs}  # nothing left at its own venue


def test_each_site_takes_from_the_provider_of_a_type_nearest_to_it():
    venues = GEO.venues.copy()
    next_door = venues.loc[NEAR_VENUE].copy()
    next_door["x"] = venues.loc[FAR_VENUE, "x"] + 100.0
    venues.loc["buurthuis_in_de_cite"] = next_door
    specs, combined = build_offers(two_sites(), venues)
    main, cite = combined.sites
    assert f"{NEAR_VENUE}:kookatelier" in main.moved_from and "buurthuis_in_de_cite:kookatelier" in cite.moved_from
    assert "buurthuis_in_de_cite:kookatelier" not in main.moved_from


def test_a_point_site_on_the_main_sites_venue_is_refused_when_the_coordinates_are_known():
    from pyproj import Transformer

    from model.scenario_io import ScenarioProblems

    x, y = GEO.venues.loc[REGINA_MUNDI, ["x", "y"]]
    lon, lat = Transformer.from_crs(31370, 4326, always_xy=True).transform(x + 10, y)
    sc = two_sites(place={"kind": "point", "lon": lon, "lat": lat})
    with pytest.raises(ScenarioProblems) as info:
        build_offers(sc, GEO.venues)
    assert info.value.problems[0].code == "site_same_spot" and "sites[0] ('Cité-clubhuis')" in str(info.value)


def test_knocking_out_the_central_site_switches_every_site_off_and_offers_stay_as_written():
    offer = {"id": "kook", "themes": ["eten"], "place": {"kind": "site", "site_id": "cite"}, "capacity_per_week": 9}
    sc = two_sites().model_copy(deep=True)
    sc = validate_scenario({**sc.model_dump(mode="json"), "levers": {**sc.levers.model_dump(mode="json"), "offers": [offer]}})
    specs, combined = build_offers(sc, GEO.venues, knock_out=frozenset({"central_site"}))
    assert combined.bookings == [] and {o.id: o.capacity_per_week for o in specs}["kook"] == 9
    specs, combined = build_offers(sc, GEO.venues)
    assert bookings(combined).loc["kook", ["site_id", "role"]].tolist() == ["cite", "workshop"]


def test_an_offer_at_a_site_that_is_switched_off_is_kept_as_written():
    offer = {"id": "kook", "themes": ["eten"], "place": {"kind": "site", "site_id": "cite"}, "capacity_per_week": 9}
    data = two_sites(enabled=False).model_dump(mode="json")
    data["levers"]["offers"] = [offer]
    specs, combined = build_offers(validate_scenario(data), GEO.venues)
    assert [p.site_id for p in combined.sites] == ["central_site"]
    assert next(o for o in specs if o.id == "kook").place.site_id == "cite"


# =========================================================================== old scenarios are planned as before
def test_every_old_scenario_gets_the_same_timetable_as_before_there_were_other_sites():
    """Bookings, places, moved places and the offers of scenarios/*.yaml (and hub variants), from the code before."""
    import json
    from pathlib import Path

    from model.geography import load_genk

    fixture = Path(__file__).parent / "fixtures" / "sites" / "plans_before_sites.json"
    before = json.loads(fixture.read_text())
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixture", Path(__file__).parent / "fixtures" / "sites" / "make_fixture.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    geos = {"genk": load_genk().venues, "tiny": GEO.venues}
    now = {f"{name}|{geo}": make.summary(sc, venues, 52) for name, sc in make.cases() for geo, venues in geos.items()}
    assert json.loads(json.dumps(now, default=str)) == before
