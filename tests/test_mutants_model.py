"""Known answers that kill the mutants of the rule code the other model tests let live.

A mutation run (``python3 tasks.py mutate``; figures in benchmarks/results/mutation.json)
changed model/model.py and model/agents.py one small edit at a time; these tests pin the
rules whose change no other test noticed. Each test says which rule it holds; all run on
the tiny geography (three square wijken, weight 1 per resident at ``population_scale=1``)
or on agents fed a hand-made pool, so every expected number can be worked out by hand.
"""
from __future__ import annotations

import types
from typing import Any

import numpy as np
import pytest

from model.agents import Club, Host, Mentor, Provider, fill_fraction
from model.domain import Channel, Level
from model.model import LearningEcosystem
from model.scenario import Scenario, validate_scenario
from tiny_geography import NEAR_VENUE, TinyGenk

GEO = TinyGenk()


# =========================================================================== helpers
def offer(offer_id: str = "offer", **kw: Any) -> dict:
    spec = {"id": offer_id, "themes": ["eten"], "level": "samen_doen", "place": {"kind": "venue", "venue_id": NEAR_VENUE},
            "capacity_per_week": 10, "duration_weeks": 4}
    spec.update(kw)
    return spec


def scenario(offers: list[dict], levers: dict | None = None, **uncertainties: Any) -> Scenario:
    lev = {"catalogue": {"enabled": False}, "offers": offers, "providers": {"adaptation": False}, **(levers or {})}
    return validate_scenario({"name": "mutants", "levers": lev, "uncertainties": uncertainties}, source="<test>")


def model_of(sc: Scenario, seed: int = 1, weeks: int = 52, knock_out: list[str] | None = None) -> LearningEcosystem:
    return LearningEcosystem(sc, seed=seed, geography=GEO, population_scale=1.0, weeks=weeks, knock_out=knock_out)


class FixedRng:
    """Stands in for a random stream: every draw is ``x``."""

    def __init__(self, x: float) -> None:
        self.x = x

    def random(self, *_: Any) -> float:
        return self.x


# =========================================================================== the last fraction of a place
def test_the_last_fraction_of_a_place_is_filled_with_the_chance_of_its_size_once_per_vacancy():
    agent = types.SimpleNamespace()
    # one free place for a resident who stands for four: filled when the draw is below 1/4
    assert fill_fraction(agent, 1.0, 4.0, FixedRng(0.1))
    assert fill_fraction(agent, 1.0, 4.0, FixedRng(0.1)), "a filled vacancy of the same size is drawn again"
    assert not fill_fraction(agent, 1.0, 4.0, FixedRng(0.3))
    assert not fill_fraction(agent, 1.0, 4.0, FixedRng(0.0)), "a refused fraction is not drawn again"
    assert fill_fraction(agent, 2.0, 4.0, FixedRng(0.3)), "a changed vacancy is drawn again (0.3 < 2/4)"


# =========================================================================== mentors and hosts take from a pool
def at_week(model: LearningEcosystem, week: int = 1) -> LearningEcosystem:
    """The model as the weekly schedule leaves it at the start of ``week`` (for calling one rule by hand)."""
    model.week = week
    model._refused_this_week = 0.0
    return model


def _with_pool(sc: Scenario, knock_out: list[str] | None = None) -> LearningEcosystem:
    return at_week(model_of(sc, weeks=4, knock_out=knock_out))


MENTORS = {"mentors": {"enabled": True, "hours_per_week": 2, "hours_per_mentee": 1, "mentorship_weeks": 8}}


def _mentor_takes(pool: list[int], knock_out: list[str] | None = None) -> np.ndarray:
    model = _with_pool(scenario([offer()], MENTORS), knock_out)
    mentor = model.agents_by_type[Mentor][0]
    assert mentor.places == 2
    model.mentor_candidates = lambda: np.array(pool, dtype=np.int64)  # residents who asked this week, in order
    model.mentor_load = lambda m: 0.0
    mentor.step()
    return np.flatnonzero(model.mentor_of == mentor.unique_id)


def test_a_mentor_with_two_free_places_takes_the_first_two_who_ask_and_one_who_asks_alone():
    assert _mentor_takes([5, 9, 12]).tolist() == [5, 9]  # weights 1 + 1 fill the 2 places exactly
    assert _mentor_takes([7]).tolist() == [7]


def test_knocked_out_mentors_take_on_nobody():
    assert _mentor_takes([5, 9], knock_out=["mentors"]).size == 0


PEERS = {"peer_groups": {"enabled": True, "n_hosts": 1, "group_size": 6, "matchmaking": False}}


def _host_takes(members: list[int], pool: list[int], member_weight: float = 1.0) -> np.ndarray:
    model = _with_pool(scenario([offer()], PEERS))
    host = model.agents_by_type[Host][0]
    model.pop.weight[members] = member_weight
    model.streams["peer"] = FixedRng(0.1)  # the last fraction of a place is filled (0.1 < its size)
    model.host_members = lambda h: np.array(members, dtype=np.int64)
    model.peer_candidates = lambda: np.array(pool, dtype=np.int64)
    host.step()
    return np.flatnonzero(model.host_of == host.unique_id)


def test_a_host_fills_the_last_places_of_the_group_exactly():
    assert _host_takes([1, 2, 3, 4, 5], [20, 21]).tolist() == [20], "one place left: the first who wants to join"
    assert _host_takes([1, 2, 3, 4], [20, 21, 22]).tolist() == [20, 21], "two places left, three want to join"
    assert _host_takes([1, 2, 3, 4, 5, 6], [20]).size == 0, "a full group takes nobody"
    # members who stand for 1.1 residents each leave half a place: it is filled with the chance of its size
    assert _host_takes([1, 2, 3, 4, 5], [20, 21], member_weight=1.1).tolist() == [20]


def test_knocked_out_peer_groups_take_on_nobody_and_count_nobody_as_active():
    model = _with_pool(scenario([offer()], PEERS), ["peer_groups"])
    host = model.agents_by_type[Host][0]
    model.host_members = lambda h: np.zeros(0, dtype=np.int64)
    model.peer_candidates = lambda: np.array([20, 21], dtype=np.int64)
    host.step()
    assert (model.host_of < 0).all() and not model.pop.ever_active[[20, 21]].any()


# =========================================================================== clubs' budget
def _club(budget: float = 100.0, reserved_share: float = 0.5) -> tuple[LearningEcosystem, Club]:
    model = model_of(scenario([offer()]), weeks=4)
    return model, Club(model, 0, budget, 200.0, reserved_share)


def test_a_club_keeps_its_reserve_for_the_priority_group_and_never_pays_more_than_it_has():
    _, club = _club()  # 50 EUR reserved, 50 open
    assert club.can_pay(50.0, priority=False) and not club.can_pay(60.0, priority=False)
    assert club.can_pay(100.0, priority=True) and not club.can_pay(100.5, priority=True)
    assert not club.can_pay(50.5, priority=False)
    club.pay_for(60.0, priority=True)  # the reserve first, the rest from the open part
    assert (club.reserved_left, club.open_left) == (0.0, 40.0)


def test_a_clubs_budget_and_its_members_caps_start_afresh_every_52_weeks():
    model, club = _club()
    in_wijk = model.pop.wijk == 0
    for week, renewed in ((2, False), (52, False), (53, True), (54, False), (105, True)):
        club.pay_for(30.0, priority=False)
        model.pop.funded_eur[:] = 150.0
        before = club.budget_left_eur
        model.week = week
        club.step()
        assert (club.budget_left_eur == 100.0) == renewed and (renewed or club.budget_left_eur == before), week
        assert (model.pop.funded_eur[in_wijk] == 0.0).all() == renewed, week
        club.new_year()


# =========================================================================== providers' review
def _review_model(offers: list[dict], growth: float = 0.25) -> tuple[LearningEcosystem, Provider]:
    sc = scenario(offers, {"providers": {"adaptation": True, "growth_limit_share": growth}})
    model = model_of(sc)
    model.week = 13
    return model, next(a for a in model.agents_by_type[Provider] if 0 in a.offers)


def test_a_review_covers_every_offer_of_the_provider_and_counts_each_change():
    offers = [offer("closed", provider="atelier", end_week=5), offer("a", provider="atelier"),
              offer("b", provider="atelier"), offer("c", provider="atelier", capacity_per_week=1),
              offer("d", provider="atelier", capacity_per_week=1)]
    model, provider = _review_model(offers)
    assert provider.offers == [0, 1, 2, 3, 4]
    model.review_waitlisted[[1, 2]] = 4.0  # both open offers turned people away
    provider.step()
    assert model.offers.capacity[1] == 12 and model.offers.capacity[2] == 12, "an offer after a closed one was not reviewed"
    assert model.provider_changes == {"grown": 2, "shrunk": 2, "dropped": 2, "follow_on": 0}


def test_an_offer_someone_still_takes_part_in_is_not_shrunk_and_one_whole_place_stays_open():
    model, provider = _review_model([offer(capacity_per_week=10)])
    model.pop.enrolled[0] = 0  # one resident (weight 1) is still taking part, though nobody started this quarter
    provider.step()
    assert model.offers.capacity[0] == 10 and model.provider_changes["shrunk"] == 0
    model, provider = _review_model([offer(capacity_per_week=2)], growth=0.5)
    provider.step()
    assert model.offers.capacity[0] == 1.0 and model.offers.end_week[0] > model.week, "one place is still an offer"
    provider.step()
    assert model.offers.capacity[0] == 0.0 and model.offers.end_week[0] == model.week


def test_one_stuck_completer_is_enough_for_a_follow_on_and_it_is_added_once_per_offer():
    offers = [offer("a", provider="atelier"), offer("b", provider="atelier", themes=["kweken_en_natuur"])]
    model, provider = _review_model(offers)
    model.review_enrolled[[0, 1]] = 5.0
    model.review_stuck[[0, 1]] = 1.0  # one completer of each found no next step
    provider.step()
    assert model.offers.n == 4 and model.provider_changes["follow_on"] == 2
    # the follow-ons close; completers are stuck again: the provider does not add a second follow-on
    model.offers.end_week[2:4] = model.week - 1
    model.offers.capacity[2:4] = 0.0
    model.week += 13
    provider.step()
    assert model.offers.n == 4 and model.provider_changes["follow_on"] == 2


# =========================================================================== clubs connected, local offers
CLUBS = {"enabled": True, "budget_eur_per_year": 3000, "cap_per_member_eur": 150, "membership_share": 1.0}


def _broke_club_member(connected: bool, knock_out: list[str] | None = None) -> bool:
    """Whether a low-means member whose own club has run out can still be paid for."""
    model = model_of(scenario([offer(price_eur=20)], {"clubs": {**CLUBS, "connected": connected}}), knock_out=knock_out)
    r = int(np.flatnonzero(model.pop.low_means & model.pop.club_member)[0])
    own = model.clubs[int(model.pop.wijk[r])]
    own.reserved_left = own.open_left = 0.0
    assert sum(c.budget_left_eur for c in model.clubs) > 0
    return bool(model._fundable(np.array([r]))[0])


def test_only_connected_clubs_pay_for_a_member_whose_own_club_ran_out():
    assert not _broke_club_member(connected=False)
    assert _broke_club_member(connected=True)
    assert not _broke_club_member(connected=True, knock_out=["connected_clubs"])


def test_local_offers_are_those_in_ones_own_wijk_at_the_site_or_online():
    offers = [offer("near"), offer("far", place={"kind": "venue", "venue_id": "far_venue"}),
              offer("online", place={"kind": "online"})]
    for connected, expected in ((False, [False, True, True]), (True, [True, True, True])):
        model = model_of(scenario(offers, {"clubs": {**CLUBS, "connected": connected}}))
        isolated = np.flatnonzero(model.pop.wijk == model.wijk_index["isolated_wijk"])
        assert (model._local_mask(isolated) == np.array(expected)).all()
        assert model._offer_wijk().tolist() == [model.wijk_index["home_wijk"], model.wijk_index["isolated_wijk"], -1]


# =========================================================================== the desk, referral
def test_participants_hear_of_a_next_step_at_their_providers_desk_a_quarter_as_often():
    sc = scenario([offer(capacity_per_week=1000)], {"wegwijzer": {"desk": True}}, desk_referral_prob=1.0,
                  desk_visit_prob=0.0)
    model = model_of(sc)
    model.week = 1
    assert model.desk_advises().size == 0, "nobody walks in when the visit chance is zero"
    model.pop.enrolled[:] = 0  # everyone takes part: each is at the desk with chance 1.0 x 1/4
    visitors = model.desk_advises().size
    assert 0.18 * model.pop.n < visitors < 0.32 * model.pop.n, visitors


def test_a_single_resident_referred_learns_of_a_fitting_offer():
    model = model_of(scenario([offer(level="zien_doen", themes=["eten", "ontspanning", "kweken_en_natuur",
                                                                "maken_en_ontwerpen", "denken_en_bespreken"])]))
    model.week = 1
    model.known[:] = False
    everyone = np.arange(model.pop.n)
    ok = model._pair_fit(everyone, np.zeros(model.pop.n, dtype=np.int64))[0]
    r = int(np.flatnonzero(ok & (model.pop.wijk == model.wijk_index["home_wijk"]))[0])
    learned = model._refer_from(np.array([r]), Channel.REFERRAL, "referral")
    assert learned.tolist() == [0] and model.known[r, 0]


def test_with_the_shared_overview_a_completer_is_referred_half_as_often_again():
    for shared, expected in ((False, 0.4), (True, 0.6)):
        model = at_week(model_of(scenario([offer()], {"wegwijzer": {"shared_overview": shared}}, referral_prob=0.4)))
        n = model.pop.n
        referred = model.refer(np.arange(n), np.zeros(n, dtype=np.int64)).size  # one answer per resident referred
        assert abs(referred / n - expected) < 0.08, (shared, referred / n)


# =========================================================================== mentors
def test_residents_from_six_years_old_can_be_reached_by_a_mentor():
    for age, reached in ((6, True), (5, False)):
        model = LearningEcosystem(scenario([offer()], MENTORS), seed=1, geography=TinyGenk(ages=[age], count_per_age=400),
                                  population_scale=1.0, weeks=4)
        model.week = 1
        assert (model.mentor_candidates().size > 0) == reached, age


def test_mentors_with_priority_low_means_take_low_means_residents_first_each_in_order_of_arrival():
    def pool(priority: str) -> tuple[np.ndarray, LearningEcosystem]:
        model = model_of(scenario([offer()], {"mentors": {**MENTORS["mentors"], "priority": priority}}))
        model.week = 1
        return model.mentor_candidates(), model

    arrival, model = pool("first_come")
    low_first, _ = pool("low_means")
    expected = arrival[np.argsort(~model.pop.low_means[arrival], kind="stable")]
    assert model.pop.low_means[arrival].any() and not model.pop.low_means[arrival].all()
    assert low_first.tolist() == expected.tolist()


def test_mentors_point_their_mentees_to_local_offers_only():
    def guided(wijk: str) -> tuple[float, bool]:
        model = at_week(model_of(scenario([offer("near", level="zien_doen")], MENTORS)))
        rows = np.flatnonzero((model.pop.wijk == model.wijk_index[wijk]) & (model.pop.age >= 10))
        model.known[:] = False
        model.pop.enrolled[:] = -1
        model.pop.mentored_until[rows] = 8
        model.pop.max_travel[rows] = 1e6  # the offer is within reach of everyone
        model.pop.level[rows] = 0
        model.mentors_guide()
        return model.discoveries[Channel.MENTOR], bool(model.known[rows, 0].any())

    assert guided("home_wijk")[1], "mentees in the offer's own wijk learn of it"
    assert guided("isolated_wijk") == (0.0, False), "an offer in another wijk is not a mentor's local next step"


# =========================================================================== club budget pays, peers progress
def test_a_member_over_the_cap_is_skipped_and_the_next_one_is_still_paid():
    model = model_of(scenario([offer(price_eur=50)], {"clubs": {**CLUBS, "budget_eur_per_year": 100_000, "cap_per_member_eur": 100}}))
    r1, r2 = (int(r) for r in np.flatnonzero(model.pop.low_means & model.pop.club_member)[:2])
    model.pop.funded_eur[r1] = 80.0  # 80 + 50 is over the cap of 100
    paid = model._pay(np.array([r1, r2]), np.zeros(2, dtype=np.int64), np.array([True, True]))
    assert paid.tolist() == [False, True]
    assert model.pop.funded_eur[r2] == 50.0 and model.budget_spent_eur == pytest.approx(50.0 * model.pop.weight[r2])


def test_peer_group_members_move_up_only_when_progression_is_not_knocked_out():
    for knock_out, moved in ((None, True), (["progression"], False)):
        sc = scenario([offer()], PEERS, peer_progress_prob=0.5)
        model = model_of(sc, knock_out=knock_out)
        model.week = 1
        members = np.arange(100)
        model.pop.level[members] = Level.ZIEN_DOEN
        model.pop.level[members, 0] = Level.SAMEN_DOEN
        model.peer_members_progress(members)
        up = int((model.pop.level[members, 0] == Level.ZELF_DOEN).sum())
        assert (30 < up < 70) if moved else up == 0, (knock_out, up)


# =========================================================================== follow-on offers
def test_a_follow_on_offer_copies_its_offer_one_level_up_and_is_told_to_its_completers():
    model, provider = _review_model([offer("atelier", level="samen_doen", duration_weeks=6)])
    model.offers.at_site[0] = True
    model.known[:] = False
    model.known[[3, 4], 0] = True
    model.pop.participations[3] = 1  # resident 3 took part; resident 4 only knows of it
    new = model.add_follow_on(provider, 0, 0.5)
    off = model.offers
    assert off.level[new] == Level.ZELF_DOEN and off.duration[new] == 6 and off.at_site[new]
    assert off.badge[new], "a follow-on at zelf doen awards a badge"
    assert not off.is_open(new, model.week) and off.is_open(new, model.week + 1) and off.is_open(new, model.week + 200)
    assert model.known[3, new] and not model.known[4, new]
    low, low_provider = _review_model([offer("kijk", level="zien_doen")])
    assert not low.offers.badge[low.add_follow_on(low_provider, 0, 0.5)], "samen doen without a badge stays without"


def test_follow_on_offers_stop_when_the_table_has_no_free_row():
    model, provider = _review_model([offer()])
    added = [model.add_follow_on(provider, 0, 0.5) for _ in range(model.offers_capacity_rows + 5)]
    assert added[-1] is None and model.offers.n == model.offers_capacity_rows


# =========================================================================== who the club budget favours
@pytest.mark.parametrize("priority", ["first_come", "less_autonomous", "lowest_level"])
def test_the_club_budgets_priority_group_is_the_one_the_scenario_names(priority):
    model = model_of(scenario([offer()], {"clubs": {**CLUBS, "priority": priority}}))
    pop = model.pop
    expected = {"first_come": np.zeros(pop.n, dtype=bool), "less_autonomous": pop.autonomy < model.autonomy_median,
                "lowest_level": pop.level.max(axis=1) <= Level.ZIEN_DOEN}[priority]
    assert (model.priority_group == expected).all()
    assert priority == "first_come" or 0 < expected.sum() < pop.n


# =========================================================================== badges open opportunities
def _opportunities(levers: dict, badge_rows: np.ndarray, weeks: int, seed: int = 1, badge_week: int | None = None
                   ) -> LearningEcosystem:
    """Badge holders (one unused badge each, from ``badge_week``; default the last week) claim opportunities."""
    levers = {**levers, "badges": {"enabled": True, **levers["badges"]}}
    sc = scenario([offer()], levers, opportunity_uptake_prob=1.0)
    model = model_of(sc, seed=seed)
    model.pop.badges_unused[:] = 0
    for week in range(1, weeks + 1):
        if week == (badge_week or weeks):
            model.pop.badges_unused[badge_rows] = 1
        at_week(model, week).unlock_opportunities()
    return model


def test_unused_opportunity_places_carry_over_to_later_weeks():
    # 26 places a year: half a place a week; a badge holder who comes in week 10 finds five places waiting
    for seed in range(8):
        model = _opportunities({"badges": {"opportunity_places_per_year": 26}}, np.array([0]), weeks=10, seed=seed)
        assert model.pop.opportunities[0] == 1, seed
        assert model.opportunity_places.sum() == pytest.approx(10 * 0.5 - 1)


def test_with_unconnected_clubs_a_badge_opens_only_the_opportunities_of_ones_own_wijk():
    levers = {"badges": {"opportunity_places_per_year": 52 * 3}, "clubs": {**CLUBS, "connected": False}}
    probe = model_of(scenario([offer()]))
    home = np.flatnonzero(probe.pop.wijk == probe.wijk_index["home_wijk"])
    model = _opportunities(levers, home, weeks=6, badge_week=1)
    # a third of the 3 places a week are home_wijk's (its share of residents): 6 weeks x 1 place
    assert model.pop.opportunities[home].sum() == pytest.approx(6, abs=1)
    connected = _opportunities({**levers, "clubs": {**CLUBS, "connected": True}}, home, weeks=6, badge_week=1)
    assert connected.pop.opportunities[home].sum() == pytest.approx(18, abs=1), "one city-wide pool when connected"


def test_a_claimant_who_stands_for_two_takes_the_last_single_place_half_the_time():
    model = _opportunities({"badges": {"opportunity_places_per_year": 52}}, np.zeros(0, dtype=np.int64), weeks=1)
    r = 7
    model.pop.weight[r] = 2.0
    taken = 0
    for _ in range(60):
        model.opportunity_places[:] = 0.0  # the week adds one place
        model.pop.badges_unused[r], model.pop.opportunities[r] = 1, 0
        model.unlock_opportunities()
        taken += int(model.pop.opportunities[r])
    assert 18 < taken < 42, taken


def test_no_opportunity_is_taken_once_the_places_are_used_up():
    model = _opportunities({"badges": {"opportunity_places_per_year": 52}}, np.arange(50), weeks=1)
    assert model.pop.opportunities.sum() <= 1  # one place this week, at most one claimant
    assert model.opportunity_places.sum() > -1


# =========================================================================== learners' own offers
def test_each_learners_offer_belongs_to_its_own_new_provider():
    sc = scenario([offer()], {"peer_groups": {"enabled": True, "n_hosts": 1, "matchmaking": True, "max_new_offers": 50}},
                  teacher_prob_per_week=0.2)
    model = model_of(sc)
    model.pop.level[:40, 0] = Level.ZELF_DOEN
    model._levels_changed(np.arange(40))
    at_week(model, 1).learners_become_teachers()
    at_week(model, 2).learners_become_teachers()
    learner_offers = [k for k in range(model.offers.n) if model.offers.from_learner[k]]
    assert len(learner_offers) >= 2
    capped = model_of(scenario([offer()], {"peer_groups": {"enabled": True, "n_hosts": 1, "matchmaking": True,
                                                           "max_new_offers": 2}}, teacher_prob_per_week=0.2))
    capped.pop.level[:40, 0] = Level.ZELF_DOEN
    capped._levels_changed(np.arange(40))
    for week in (1, 2, 3):
        at_week(capped, week).learners_become_teachers()
    assert int(capped.offers.from_learner[:capped.offers.n].sum()) == 2, "max_new_offers caps the learners' offers"
    for k in learner_offers:
        provider = model.provider_list[model.offer_provider[k]]
        assert provider.offers == [k] and provider.name.startswith("bewoner")


def test_the_best_pair_per_row_is_found_whatever_the_order_of_the_pairs():
    r_loc = np.array([2, 0, 2, 1, 0, 2])
    key = np.array([0.5, 3.0, 0.9, 1.0, 4.0, 0.9])
    best, row = LearningEcosystem._best_per_row(r_loc, key)
    assert row.tolist() == [0, 1, 2] and best.tolist() == [4, 3, 2]  # ties: the first pair that reaches the maximum


# =========================================================================== eligibility, referral partners, the website
ALL_THEMES = ["eten", "ontspanning", "kweken_en_natuur", "maken_en_ontwerpen", "denken_en_bespreken"]


def test_only_offers_open_this_week_with_places_are_eligible():
    offers = [offer("open", level="zien_doen", themes=ALL_THEMES), offer("ended", level="zien_doen", themes=ALL_THEMES, end_week=5),
              offer("later", level="zien_doen", themes=ALL_THEMES, start_week=20), offer("full", level="zien_doen", themes=ALL_THEMES)]
    model = at_week(model_of(scenario(offers)), 10)
    model.offers.capacity[3] = 0.0  # dropped by its provider
    r = int(np.flatnonzero(model.pop.wijk == model.wijk_index["home_wijk"])[0])
    model.pop.level[r] = 0
    model.pop.max_travel[r] = 1e6
    ok = model._pair_fit(np.full(4, r), np.arange(4))[0]
    assert ok.tolist() == [True, False, False, False]


def test_a_provider_refers_its_participants_to_its_own_online_offer():
    offers = [offer("atelier", provider="atelier", level="zien_doen", themes=ALL_THEMES),
              offer("online", provider="atelier", level="zien_doen", themes=ALL_THEMES, place={"kind": "online"})]
    model = at_week(model_of(scenario(offers)))
    pop = model.pop
    r = int(np.flatnonzero(pop.digital & (pop.wijk == model.wijk_index["isolated_wijk"]) & (pop.age >= 10))[0])
    pop.level[r] = 0
    model.known[:] = False
    model.known[r, 0] = True
    pop.enrolled[r] = 0
    assert model._refer_from(np.array([r]), Channel.REFERRAL, "referral").tolist() == [1]


def test_only_residents_with_digital_access_find_offers_on_the_website():
    sc = scenario([offer(f"o{i}", level="zien_doen", themes=ALL_THEMES) for i in range(3)], {"wegwijzer": {"website": True}},
                  friend_tell_prob=0.0, website_use_prob=0.5)
    model = at_week(model_of(sc))
    model.known[:] = False
    model.pop.level[:] = 0
    model.pop.max_travel[:] = 1e6
    model.inform()
    learned = model.known.any(axis=1)
    assert learned.any() and model.pop.digital[learned].all() and not model.pop.digital.all()


# =========================================================================== showcases at the central site
def _site_model(**site: Any) -> LearningEcosystem:
    spec = {"enabled": True, "place": {"kind": "venue", "venue_id": "regina_mundi"}, "opening_hours_per_week": 40,
            "rooms": [{"name": "toonzaal", "kind": "showcase_space", "capacity": 40},
                      {"name": "atelier", "kind": "maker_space", "capacity": 15}],
            "permanent_providers": ["makerspace"], "guest_providers": [],
            "showcase_events_per_month": 52 / 12, "showcase_visitors_per_event": 60, **site}  # one showcase a week
    sc = validate_scenario({"name": "site", "levers": {"catalogue": {"enabled": True}, "central_site": spec,
                                                       "providers": {"adaptation": False}},
                            "uncertainties": {"showcase_learn_prob": 1.0, "showcase_inspiration": 0.5}}, source="<test>")
    model = at_week(model_of(sc))
    model.known[:] = False
    return model


def test_a_showcase_draws_its_audience_exposes_inspires_and_teaches_it_an_offer_at_the_site():
    model = _site_model()
    pop = model.pop
    interests, curiosity = pop.interests.copy(), pop.curiosity.copy()
    model.showcase()
    audience = np.flatnonzero(pop.exposed)
    assert 60 <= model.showcase_visits <= 61 and audience.size == round(model.showcase_visits)
    theme = int(model.primary_theme[np.flatnonzero(model.offers.at_site[:model.offers.n])[0]])
    assert (pop.level[audience, theme] >= Level.ZIEN_DOEN).all()
    onehot = np.eye(interests.shape[1])[theme]
    assert np.allclose(pop.interests[audience], 0.75 * interests[audience] + 0.25 * onehot)  # a = inspiration / 2
    assert np.allclose(pop.curiosity[audience], curiosity[audience] + 0.1 * (1 - curiosity[audience]))
    learned = model.known[:, :model.offers.n]
    assert learned.any() and model.offers.at_site[:model.offers.n][learned.any(axis=0)].all(), "visitors learn site offers"
    walk = model.site_walk[pop.home_row]
    assert walk[audience].mean() < walk.mean(), "a showcase draws from near the site"


@pytest.mark.parametrize("site, shows", [({"showcase_visitors_per_event": 0}, False), ({"showcase_visitors_per_event": 1}, True),
                                         ({"showcase_events_per_month": 0}, False)])
def test_a_showcase_needs_visitors_events_and_opening_hours(site, shows):
    model = _site_model(**site)
    model.showcase()
    assert (model.showcase_visits > 0) == shows


def test_one_showcase_a_week_and_with_the_shared_overview_visitors_are_signposted_to_offers_elsewhere():
    model = _site_model(showcase_visitors_per_event=20)
    model.levers.wegwijzer.shared_overview = True
    for week in (1, 2, 3, 4):
        at_week(model, week).showcase()
    assert 80 <= model.showcase_visits <= 84, "52/12 showcases a month is one every week"
    assert model.discoveries[Channel.REFERRAL] > 0


# =========================================================================== completing an offer
@pytest.mark.parametrize("knock_out, moved", [(None, True), (["progression"], False)])
def test_completers_move_up_a_level_only_while_progression_is_not_knocked_out(knock_out, moved):
    sc = scenario([offer(level="samen_doen")], completion_prob=1.0, progression_prob=1.0)
    model = at_week(model_of(sc, knock_out=knock_out))
    rows = np.arange(30)
    model.pop.level[rows] = Level.ZIEN_DOEN
    model.pop.enrolled[rows], model.pop.weeks_left[rows] = 0, 1  # their last week
    model.take_part()
    theme = int(model.primary_theme[0])  # eten
    assert (model.pop.completions[rows] == 1).all()
    assert (model.pop.level[rows, theme] == Level.SAMEN_DOEN).all() == moved
    assert (model.pop.level[rows, theme] == Level.ZIEN_DOEN).all() == (not moved)


# =========================================================================== a knocked-out mechanism does nothing
def _channel(channel: Channel, levers: dict, **unc: Any):
    def measure(knock_out: list[str] | None) -> float:
        offers = [offer(f"o{i}", level="zien_doen", themes=ALL_THEMES) for i in range(3)]
        offers.append(offer("online", level="zien_doen", themes=ALL_THEMES, place={"kind": "online"}))  # not a playlist
        sc = scenario(offers, levers, friend_tell_prob=0.0, **unc)
        model = at_week(model_of(sc, knock_out=knock_out))
        model.known[:] = False
        model.pop.level[:] = 0
        model.pop.max_travel[:] = 1e6
        model.inform()
        return model.discoveries[channel]
    return measure


def _opportunities_taken(knock_out: list[str] | None) -> float:
    sc = scenario([offer()], {"badges": {"enabled": True, "opportunity_places_per_year": 520}}, opportunity_uptake_prob=1.0)
    model = model_of(sc, knock_out=knock_out)
    model.pop.badges_unused[:40] = 1
    for week in (1, 2):
        at_week(model, week).unlock_opportunities()
    return float(model.pop.opportunities.sum())


def _learners_offers(knock_out: list[str] | None) -> float:
    sc = scenario([offer()], {"peer_groups": {"enabled": True, "n_hosts": 1, "matchmaking": True}}, teacher_prob_per_week=0.2)
    model = model_of(sc, knock_out=knock_out)
    model.pop.level[:40, 0] = Level.ZELF_DOEN
    model._levels_changed(np.arange(40))
    at_week(model, 1).learners_become_teachers()
    return float(model.offers.from_learner[:model.offers.n].sum())


def _fundable_members(knock_out: list[str] | None) -> float:
    model = model_of(scenario([offer(price_eur=20)], {"clubs": CLUBS}), knock_out=knock_out)
    return float(model._fundable(np.arange(model.pop.n)).sum())


def _badges_earned(knock_out: list[str] | None) -> float:
    sc = scenario([offer(awards_badge=True)], {"badges": {"enabled": True}}, completion_prob=1.0)
    model = at_week(model_of(sc, knock_out=knock_out))
    model.pop.enrolled[:30], model.pop.weeks_left[:30] = 0, 1
    model.take_part()
    return float(model.pop.badges.sum())


@pytest.mark.parametrize("mechanism, outcome", [
    ("website", _channel(Channel.WEBSITE, {"wegwijzer": {"website": True}}, website_use_prob=0.5)),
    ("playlists", _channel(Channel.PLATFORM, {"playlists": {"enabled": True, "n_playlists": 4}}, website_use_prob=0.5)),
    ("magazine", _channel(Channel.MAGAZINE, {"wegwijzer": {"magazine": True, "magazine_issues_per_year": 12}},
                          magazine_reach=1.0)),
    ("opportunities", _opportunities_taken),
    ("learners_become_teachers", _learners_offers),
    ("club_budget", _fundable_members),
    ("badges", _badges_earned),
])
def test_a_knocked_out_mechanism_does_nothing(mechanism, outcome):
    assert outcome(None) > 0
    assert outcome([mechanism]) == 0


def test_the_playlist_platform_is_found_by_half_as_many_as_use_the_website_and_playlists_count_as_started():
    sc = scenario([offer()], {"playlists": {"enabled": True, "n_playlists": 6}}, friend_tell_prob=0.0, website_use_prob=0.5)
    model = at_week(model_of(sc))
    model.known[:] = False
    model.pop.level[:] = 0
    digital = model.pop.digital
    online = np.flatnonzero(model.offers.online[:model.offers.n])
    n = model.pop.n
    fits = model._pair_fit(np.repeat(np.arange(n), online.size), np.tile(online, n))[0].reshape(n, online.size).any(axis=1)
    model.inform()
    found = model.known.any(axis=1)
    assert found.any() and not found[~digital].any()
    assert 0.12 < found[fits].mean() < 0.38, "a quarter of digital residents come to the platform (0.5 x 0.5)"
    who = np.flatnonzero(digital)[:5]
    model._enrol(who, np.full(who.size, online[0]), np.zeros(who.size, dtype=np.float32))
    assert model.playlists_started == pytest.approx(model.pop.weight[who].sum())


@pytest.mark.parametrize("knock_out", [None, ["choice"]])
def test_residents_choose_among_known_eligible_offers_and_a_week_without_searchers_is_fine(knock_out):
    model = at_week(model_of(scenario([offer(level="zien_doen", themes=ALL_THEMES, capacity_per_week=1000)],
                                      search_prob_per_week=0.3), knock_out=knock_out))
    assert model.look_for_next_step(np.zeros(0, dtype=np.int64)).size == 0
    model.pop.level[:] = 0
    model.pop.max_travel[:] = 1e6
    model.known[:, 0] = True
    started = model.look_for_next_step(np.arange(model.pop.n))
    assert started.size > 0 and (model.pop.enrolled[started] == 0).all()
