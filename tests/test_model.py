"""The model in layers: smoke, determinism, known answers on a tiny geography,
mechanisms switched off, clear errors, and the Mesa structure (see ../shared/STYLE.md).

Runs on the real Genk geography use a small population (``SCALE``) and at most 26
weeks; known answers use :mod:`tests.tiny_geography`, where every travel time is a
straight line over a speed and can be checked by hand.
"""
from __future__ import annotations

import functools
from typing import Any

import mesa
import numpy as np
import pandas as pd
import pytest

from model.agents import Mentor, Provider
from model.domain import THEMES, Channel, Level
from model.model import LearningEcosystem
from model.run import Results, collect_results, run_scenario
from model.scenario import Scenario, ScenarioError, list_scenarios, load_scenario, validate_scenario
from tiny_geography import (
    ADJACENT_WIJK, FAR_VENUE, HOME_WIJK, ISOLATED_WIJK, NEAR_VENUE, REGINA_MUNDI, TinyGenk, travel_minutes_by_hand,
)

SCALE = 0.02
WEEKS = 26


# =========================================================================== helpers
def tiny_offer(offer_id: str = "offer", venue: str = NEAR_VENUE, **kw: Any) -> dict:
    """A free offer in every theme at zien doen: nearly everyone who knows it and can reach it wants it."""
    spec = {"id": offer_id, "themes": [t.value for t in THEMES], "level": "zien_doen",
            "place": {"kind": "venue", "venue_id": venue}, "capacity_per_week": 1000, "duration_weeks": 4}
    spec.update(kw)
    return spec


def tiny_scenario(offers: list[dict], levers: dict | None = None, **uncertainties: Any) -> Scenario:
    """A scenario for the tiny geography: no catalogue, only the given offers (and levers)."""
    lev = {"catalogue": {"enabled": False}, "offers": offers, "providers": {"adaptation": False}, **(levers or {})}
    unc = {"initial_knowledge_prob": 1.0, "search_prob_per_week": 0.3, **uncertainties}
    return validate_scenario({"name": "tiny", "levers": lev, "uncertainties": unc}, source="<tiny test scenario>")


def tiny_model(scenario: Scenario, seed: int = 1, geography: TinyGenk | None = None, weeks: int = 26) -> LearningEcosystem:
    return LearningEcosystem(scenario, seed=seed, geography=geography or TinyGenk(), population_scale=1.0, weeks=weeks)


def reach_in(model: LearningEcosystem, wijk: str, mask: np.ndarray | None = None) -> float:
    """Share of a wijk's residents who took part in an offer at least once."""
    took_part = model.pop.participations > 0
    in_wijk = model.pop.wijk == model.wijk_index[wijk]
    if mask is not None:
        in_wijk &= mask
    return float(took_part[in_wijk].mean())


def channel_discoveries(results: Results, channel: Channel) -> float:
    return float(results.channels.set_index("channel").loc[channel.value, "discoveries"])


# =========================================================================== tiny geography sanity
def test_tiny_geography_travel_times_are_straight_lines_over_speed():
    geo = TinyGenk()
    home = geo.addresses.index[geo.addresses["wijk"] == HOME_WIJK][0]  # 50 m into home_wijk
    tt = geo.travel_minutes([home], np.vstack([geo.venue_xy(NEAR_VENUE), geo.venue_xy(FAR_VENUE)]), "walk")
    assert tt[0, 0] == pytest.approx(450 / 75)
    assert tt[0, 1] == pytest.approx(12_450 / 75)
    assert travel_minutes_by_hand(10_050, "car") == pytest.approx(20.1)
    assert geo.wijk_of(*geo.venue_xy(REGINA_MUNDI)) == ADJACENT_WIJK
    assert not geo.contains(237_000, 185_500)  # the gap between adjacent_wijk and isolated_wijk


# =========================================================================== smoke and determinism
@pytest.mark.parametrize("name", list_scenarios())
def test_every_shipped_scenario_loads_and_runs_a_few_weeks(name):
    results = run_scenario(name, seed=3, weeks=4, population_scale=SCALE)
    assert set(results.weekly["week"]) == {1, 2, 3, 4}
    assert 0 <= results.summary["reach"] <= 100
    assert all(np.isfinite(v) for v in results.summary.values())


@functools.lru_cache(maxsize=None)
def _baseline_run(seed: int) -> Results:
    return run_scenario("leerclubs", seed=seed, weeks=WEEKS, population_scale=SCALE)


def test_same_scenario_and_seed_give_identical_results():
    first = _baseline_run(7)
    again = run_scenario("leerclubs", seed=7, weeks=WEEKS, population_scale=SCALE)
    assert first.summary == again.summary
    for name, frame in first.frames().items():
        pd.testing.assert_frame_equal(frame, again.frames()[name], obj=f"Results.{name}")


def test_different_seeds_give_different_results():
    a, b = _baseline_run(7), _baseline_run(8)
    assert a.summary != b.summary
    assert not a.by_wijk.equals(b.by_wijk)


# =========================================================================== known answers (tiny geography)
def test_with_distance_decay_residents_near_an_offer_take_part_more_than_distant_ones():
    """One offer at near_venue: home_wijk walks there in <= 6 min, isolated_wijk only by car (~24 min)."""
    model = tiny_model(tiny_scenario([tiny_offer()], distance_decay_per_min=0.15))
    model.run()
    home, isolated = reach_in(model, HOME_WIJK), reach_in(model, ISOLATED_WIJK)
    assert home > 0.3
    assert home > isolated + 0.2, f"reach home_wijk {home:.2f} vs isolated_wijk {isolated:.2f}"


def test_an_offer_beyond_everyones_max_travel_time_gets_no_offline_participants():
    """far_venue is >= 10 050 m from every home (20.1 min by car) and adults travel at most 20 min."""
    geo = TinyGenk(weights={ISOLATED_WIJK: 0.0})
    model = tiny_model(tiny_scenario([tiny_offer(venue=FAR_VENUE)], max_travel_minutes_adult=20, max_travel_minutes_child=15),
                       geography=geo)
    assert (model.pop.wijk != model.wijk_index[ISOLATED_WIJK]).all()
    model.known[:, 0] = True  # everyone knows the far offer: knowing is not enough to take part
    model.run()
    assert model.enrolments[0] == 0
    assert (model.pop.participations == 0).all()


def test_an_online_playlist_is_taken_only_by_residents_with_digital_access():
    scenario = tiny_scenario([], levers={"playlists": {"enabled": True, "n_playlists": 5, "age_min": 0, "age_max": 100}},
                             digital_access_share=0.3)  # the lower bound of the uncertainty
    model = tiny_model(scenario, weeks=40)
    assert model.offers.online[: model.offers.n].all()
    model.run()
    took_part = model.pop.participations > 0
    assert took_part.sum() > 0, "nobody started a playlist"
    assert (~model.pop.digital).sum() > 0
    assert model.pop.digital[took_part].all(), "a resident without digital access took part in an online playlist"


def test_capacity_one_never_seats_more_than_one_and_builds_a_waiting_list():
    model = tiny_model(tiny_scenario([tiny_offer(capacity_per_week=1, duration_weeks=4)]))
    assert model.offers.capacity[0] == 1 and np.allclose(model.pop.weight, 1)
    most = 0
    for _ in range(model.weeks):
        model.step()
        most = max(most, int((model.pop.enrolled == 0).sum()))
    assert most == 1
    assert model.waitlisted[0] > 0
    assert collect_results(model).summary["waiting_list"] > 0


def test_the_club_budget_is_never_overspent_and_runs_out_when_small():
    budget, price = 600.0, 100.0
    scenario = tiny_scenario(
        [tiny_offer(price_eur=price, duration_weeks=2)],
        levers={"clubs": {"enabled": True, "budget_eur_per_year": budget, "cap_per_member_eur": 200,
                          "means_test": True, "membership_share": 1.0}},
        low_means_share=0.6)
    model = tiny_model(scenario, weeks=52)
    model.run()
    spent = collect_results(model).summary["budget_spent_eur"]
    assert 0 < spent <= budget + 1e-6
    home_club = next(c for c in model.clubs if model.wijk_names[c.wijk] == HOME_WIJK)
    assert home_club.budget_left_eur < price, f"home_wijk's club still has EUR {home_club.budget_left_eur:.0f} left"
    assert (model.pop.funded_eur <= 200 + 1e-9).all()


def test_mentors_never_take_more_mentees_than_their_slots():
    scenario = tiny_scenario([tiny_offer()], levers={"mentors": {"enabled": True, "hours_per_week": 5, "hours_per_mentee": 1}})
    model = tiny_model(scenario, weeks=40)
    assert model.mentor_places == 5
    for _ in range(model.weeks):
        model.step()
        assert (model.pop.mentored_until >= model.week).sum() <= model.mentor_places
        assert all(m.caseload() <= m.places + 1e-9 for m in model.mentors)
    assert 0 < collect_results(model).summary["mentor_utilisation"] <= 100


def test_no_resident_is_enrolled_in_an_offer_outside_its_age_range():
    offers = [tiny_offer("teens", age_min=12, age_max=17), tiny_offer("adults", venue=REGINA_MUNDI, age_min=30, age_max=60)]
    model = tiny_model(tiny_scenario(offers))
    lo, hi = model.offers.age_min, model.offers.age_max
    seen = 0
    for _ in range(model.weeks):
        model.step()
        busy = np.flatnonzero(model.pop.enrolled >= 0)
        k = model.pop.enrolled[busy]
        age = model.pop.age[busy]
        assert ((age >= lo[k]) & (age <= hi[k])).all(), f"ages {sorted(set(age[(age < lo[k]) | (age > hi[k])]))} enrolled"
        seen += busy.size
    assert seen > 0


# =========================================================================== mechanisms switched off
HUB = load_scenario("regina-mundi-hub").levers.central_site.model_dump(mode="json")
#: Every mechanism on at once; each test switches one off.
ALL_ON: dict[str, Any] = {
    "levers.wegwijzer": {"website": True, "desk": True, "magazine": True, "magazine_issues_per_year": 12, "shared_overview": True},
    "levers.central_site": HUB,
    "levers.playlists.enabled": True,
    "levers.playlists.n_playlists": 20,
}
SWITCHES: dict[str, dict[str, Any]] = {
    "all_on": {},
    "badges_off": {"levers.badges.enabled": False},
    "mentors_off": {"levers.mentors.enabled": False},
    "clubs_off": {"levers.clubs.enabled": False},
    "peer_groups_off": {"levers.peer_groups.enabled": False},
    "matchmaking_off": {"levers.peer_groups.matchmaking": False},
    "playlists_off": {"levers.playlists.enabled": False},
    "website_off": {"levers.wegwijzer.website": False},
    "magazine_off": {"levers.wegwijzer.magazine": False},
    "desk_off": {"levers.wegwijzer.desk": False},
    "central_site_off": {"levers.central_site.enabled": False},
    "friends_silent": {"uncertainties.friend_tell_prob": 0.0},
    "no_progression": {"uncertainties.progression_prob": 0.0, "uncertainties.peer_progress_prob": 0.0,
                       "levers.central_site.enabled": False, "levers.badges.enabled": False},
}


@functools.lru_cache(maxsize=None)
def switched(name: str) -> Results:
    scenario = load_scenario("leerclubs").with_values({**ALL_ON, **SWITCHES[name]})
    return run_scenario(scenario, seed=11, weeks=WEEKS, population_scale=SCALE)


def test_with_everything_on_every_mechanism_shows_an_effect():
    s = switched("all_on").summary
    for key in ("badges_earned", "mentor_utilisation", "budget_spent_eur", "learners_turned_teachers", "playlists_started",
                "progression_steps"):
        assert s[key] > 0, key
    for channel in (Channel.WEBSITE, Channel.MAGAZINE, Channel.DESK, Channel.SHOWCASE, Channel.FRIENDS, Channel.MENTOR):
        assert channel_discoveries(switched("all_on"), channel) > 0, channel
    assert switched("all_on").by_offer["from_learner"].any()


def test_with_badges_disabled_no_badges_are_earned_and_no_opportunities_taken():
    s = switched("badges_off").summary
    assert s["badges_earned"] == 0
    assert s["opportunities_taken"] == 0


def test_with_mentors_disabled_there_is_no_mentor_use_and_no_mentor_discovery():
    r = switched("mentors_off")
    assert r.summary["mentor_utilisation"] == 0
    assert channel_discoveries(r, Channel.MENTOR) == 0


def test_with_clubs_disabled_no_club_budget_is_spent():
    assert switched("clubs_off").summary["budget_spent_eur"] == 0


@pytest.mark.parametrize("name", ["peer_groups_off", "matchmaking_off"])
def test_without_peer_groups_or_matchmaking_no_learner_becomes_a_teacher(name):
    r = switched(name)
    assert r.summary["learners_turned_teachers"] == 0
    assert not r.by_offer["from_learner"].any()
    assert channel_discoveries(r, Channel.MATCHMAKING) == 0


def test_with_playlists_off_no_playlist_is_started():
    r = switched("playlists_off")
    assert r.summary["playlists_started"] == 0
    assert not r.by_offer["online"].any()


@pytest.mark.parametrize("name, channel", [("website_off", Channel.WEBSITE), ("magazine_off", Channel.MAGAZINE),
                                           ("desk_off", Channel.DESK)])
def test_a_wegwijzer_channel_switched_off_makes_no_discoveries(name, channel):
    found = channel_discoveries(switched(name), channel)
    assert found == 0, (
        f"{found:.0f} discoveries via '{channel}' with levers.wegwijzer.{channel.value} off. MODEL BUG (website): "
        "model/model.py LearningEcosystem.inform() records the playlist platform's own discoveries "
        "(playlists on, wegwijzer website off) under Channel.WEBSITE, so the channels table credits a wegwijzer "
        "website that does not exist; record them under their own channel (e.g. Channel.PLAYLIST_PLATFORM).")


def test_with_the_central_site_off_nobody_discovers_through_a_showcase():
    assert channel_discoveries(switched("central_site_off"), Channel.SHOWCASE) == 0


def test_when_friends_never_tell_nobody_discovers_through_friends():
    assert channel_discoveries(switched("friends_silent"), Channel.FRIENDS) == 0


def test_without_progression_peer_progress_showcases_and_badges_nobody_moves_up_a_learning_path():
    """progression_steps counts steps up from the start level; the only ways up are completion (progression_prob),
    opportunities (progression_prob, badges), peer groups (peer_progress_prob) and showcases (central site)."""
    r = switched("no_progression")
    assert r.summary["progression_steps"] == 0
    prog = r.progression
    assert np.allclose(prog["residents_start"], prog["residents_end"])


# =========================================================================== clear errors
def _with_offer(place: dict) -> Scenario:
    offer = {"id": "atelier-bij-de-bib", "themes": ["maken_en_ontwerpen"], "place": place}
    return load_scenario("baseline").with_values({"levers.offers": [offer]})


def test_an_offer_at_an_unknown_venue_names_the_offer_and_suggests_close_venue_ids():
    with pytest.raises(ScenarioError) as err:
        run_scenario(_with_offer({"kind": "venue", "venue_id": "bibliotheek_gnek"}), seed=1, weeks=1, population_scale=SCALE)
    message = str(err.value)
    assert "atelier-bij-de-bib" in message
    assert "bibliotheek_gnek" in message
    assert "bibliotheek_genk" in message


def test_an_offer_at_a_point_outside_genk_is_refused():
    # (5.31, 50.86) lies inside the schema's lon/lat box but south-west of Genk (near Hasselt)
    with pytest.raises(ScenarioError, match="outside Genk"):
        run_scenario(_with_offer({"kind": "point", "lon": 5.31, "lat": 50.86}), seed=1, weeks=1, population_scale=SCALE)


# =========================================================================== Mesa structure
@pytest.fixture(scope="module")
def tiny_with_mentors() -> LearningEcosystem:
    scenario = tiny_scenario([tiny_offer()], levers={"mentors": {"enabled": True, "hours_per_week": 2, "hours_per_mentee": 1}})
    return tiny_model(scenario, weeks=4)


def test_residents_are_array_backed_rows_and_the_acting_agents_are_mesa_agents(tiny_with_mentors):
    model = tiny_with_mentors
    assert isinstance(model, mesa.Model)
    assert model.pop.n == 324  # 81 ages x 4 residents at scale 1
    assert np.isclose(model.pop.weight.sum(), 324)
    for kind in (Provider, Mentor):
        assert len(model.agents_by_type[kind]) > 0 and all(isinstance(a, mesa.Agent) for a in model.agents_by_type[kind])
    assert all(hasattr(a, "step") for a in model.agents)


def test_a_mentor_takes_on_residents_only_while_it_has_free_places(tiny_with_mentors):
    model = tiny_with_mentors
    mentor = model.agents_by_type[Mentor][0]
    assert mentor.places == 2
    model.week += 1
    mentor.step()
    assert mentor.caseload() <= 2
    taken = int((model.mentor_of == mentor.unique_id).sum())
    mentor.step()
    assert int((model.mentor_of == mentor.unique_id).sum()) == taken, "a full mentor took on more residents"


# =========================================================================== schedules and budgets over time
@pytest.mark.parametrize("issues", [3, 4, 5, 7, 12, 40])
def test_the_magazine_appears_exactly_as_often_as_the_scenario_says(issues):
    scenario = tiny_scenario([tiny_offer()], levers={"wegwijzer": {"magazine": True, "magazine_issues_per_year": issues}},
                             magazine_reach=1.0, initial_knowledge_prob=0.0)
    model = tiny_model(scenario, weeks=1)
    weeks_with_issue = 0
    for week in range(1, 53):
        model.week = week
        before = model.discoveries[Channel.MAGAZINE]
        model.known[:] = False
        model.inform()
        weeks_with_issue += model.discoveries[Channel.MAGAZINE] > before
    assert weeks_with_issue == issues


def test_a_mentorship_lasts_exactly_its_weeks():
    scenario = tiny_scenario([tiny_offer(capacity_per_week=1)],
                             levers={"mentors": {"enabled": True, "hours_per_week": 1, "hours_per_mentee": 1, "mentorship_weeks": 5}})
    model = tiny_model(scenario, weeks=20)
    weeks_mentored = np.zeros(model.pop.n, dtype=int)
    for _ in range(20):
        model.step()
        weeks_mentored += model.pop.mentored_until >= model.week
    first = np.flatnonzero(weeks_mentored)[0]
    assert weeks_mentored[first] == 5


def test_guests_keep_rotating_when_a_run_is_longer_than_the_scenario_says():
    scenario = load_scenario("regina-mundi-hub")
    model = LearningEcosystem(scenario, seed=1, population_scale=0.01, weeks=104)
    guest_rows = [k for k, offer_id in enumerate(model.offers.ids) if ":guest" in offer_id]
    assert guest_rows
    assert max(model.offers.end_week[k] for k in guest_rows) == 104


def test_an_offer_at_the_central_site_needs_the_site_enabled():
    offer = tiny_offer(place={"kind": "central_site"})
    with pytest.raises(ScenarioError, match="central site is not enabled"):
        tiny_model(tiny_scenario([offer]))


def test_the_club_budget_is_a_budget_per_year():
    scenario = load_scenario("leerclubs").with_values({"levers.clubs.budget_eur_per_year": 5000.0})
    model = LearningEcosystem(scenario, seed=1, population_scale=0.1, weeks=104)
    spent_by_year = []
    for year in range(2):
        before = model.budget_spent_eur
        for _ in range(52):
            model.step()
        spent_by_year.append(model.budget_spent_eur - before)
    assert spent_by_year[0] <= 5000 + 1e-6 and spent_by_year[1] <= 5000 + 1e-6
    assert spent_by_year[1] > 0.5 * spent_by_year[0], f"the second year's budget was not renewed: {spent_by_year}"
