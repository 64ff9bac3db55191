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
from model.scenario import validate_scenario
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
