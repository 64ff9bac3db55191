"""Knock-out tests: every mechanism of :data:`model.mechanisms.MECHANISMS` moves its outcome.

Each test runs a scenario in which the mechanism is enabled, and the same scenario with
``knock_out=[name]``, on the same seeds (common random numbers), and asserts that the
knock-out moves the outcome the mechanism is responsible for in the stated direction:
for a statistical effect, the paired interval (:func:`model.compare.interval`) excludes
zero on the expected side. A mechanism whose code does nothing gives identical runs with
and without the knock-out, a zero-width interval at zero, and a red test (STYLE.md: "a
mechanism earns its place with a test that fails when the mechanism is switched off").

All runs use the tiny hand-made geography (:mod:`tests.tiny_geography`, 324 residents of
weight 1) with today's catalogue generated for its three venues:

- ``near_venue`` (home_wijk): a buurthuis with a kookatelier and a buurtmoestuin;
- ``far_venue`` (isolated_wijk): a maker space with a repair café and a paid maakplek
  (zelf doen, badge);
- ``regina_mundi`` (adjacent_wijk): the empty site, the central site when it is on.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from tiny_geography import ADJACENT_WIJK, HOME_WIJK, NEAR_VENUE, TinyGenk

from model.compare import interval
from model.domain import Channel
from model.mechanisms import MECHANISMS
from model.model import LearningEcosystem
from model.run import Results, collect_results
from model.scenario import Scenario, validate_scenario

SEEDS = (1, 2, 3, 4, 5)
WEEKS = 26
GEO = TinyGenk()

#: The central site at regina_mundi (adjacent_wijk): an academy moves in (a newcomer: no academy
#: is located in the tiny geography), the maker space of far_venue moves half its places in,
#: a company and the library rotate as guests; showcases every week.
SITE = {"enabled": True, "place": {"kind": "venue", "venue_id": "regina_mundi"}, "opening_hours_per_week": 60,
        "rooms": [{"name": "toonzaal", "kind": "showcase_space", "capacity": 40},
                  {"name": "maakleerplek", "kind": "maker_space", "capacity": 15},
                  {"name": "wijkruimte", "kind": "club_room", "capacity": 20},
                  {"name": "oefenruimte", "kind": "practice_room", "capacity": 10}],
        "permanent_providers": ["academy", "makerspace"], "guest_providers": ["company", "library"], "guest_weeks": 8,
        "showcase_events_per_month": 4, "showcase_visitors_per_event": 40}

#: Every mechanism on at once, with a budget and mentor hours that bind.
ALL_ON_LEVERS = {
    "catalogue": {"enabled": True},
    "wegwijzer": {"website": True, "desk": True, "magazine": True, "magazine_issues_per_year": 12, "shared_overview": True},
    "central_site": SITE,
    "mentors": {"enabled": True, "hours_per_week": 24, "hours_per_mentee": 1, "mentorship_weeks": 8},
    "clubs": {"enabled": True, "budget_eur_per_year": 3000, "cap_per_member_eur": 200, "connected": True,
              "priority": "less_autonomous", "membership_share": 0.8},
    "badges": {"enabled": True, "opportunity_places_per_year": 40},
    "peer_groups": {"enabled": True, "n_hosts": 6, "group_size": 6, "matchmaking": True, "teacher_capacity": 6,
                    "max_new_offers": 20},
    "playlists": {"enabled": True, "n_playlists": 6, "age_min": 10, "age_max": 70},
    "providers": {"adaptation": True, "review_weeks": 13},
}
ALL_ON_UNCERTAINTIES = {"initial_knowledge_prob": 0.3, "teacher_prob_per_week": 0.05}


def _scenario(name: str, levers: dict, uncertainties: dict) -> Scenario:
    return validate_scenario({"name": name, "levers": levers, "uncertainties": uncertainties}, source=f"<{name}>")


def _catalogue_offer(offer_id: str, **kw) -> dict:
    spec = {"id": offer_id, "themes": ["eten"], "level": "samen_doen",
            "place": {"kind": "venue", "venue_id": NEAR_VENUE}, "capacity_per_week": 1000, "duration_weeks": 4}
    spec.update(kw)
    return spec


SCENARIOS: dict[str, Scenario] = {
    "all_on": _scenario("all_on", ALL_ON_LEVERS, ALL_ON_UNCERTAINTIES),
    # the desk is the only way to learn of an offer: nobody knows one at the start, nobody takes part yet
    "desk_only": _scenario("desk_only", {"catalogue": {"enabled": True}, "wegwijzer": {"desk": True},
                                         "providers": {"adaptation": False}},
                           {"initial_knowledge_prob": 0.0, "desk_visit_prob": 0.1}),
    # word of mouth is the main channel: few know an offer at the start, friends tell often
    "word_of_mouth": _scenario("word_of_mouth", {"catalogue": {"enabled": True}, "providers": {"adaptation": False}},
                               {"initial_knowledge_prob": 0.1, "friend_tell_prob": 0.5, "friends_per_resident": 8.0,
                                "friend_weight": 2.0}),
    # friends never tell, but residents like the offers their friends take part in
    "friends_attract": _scenario("friends_attract", {"catalogue": {"enabled": True}, "providers": {"adaptation": False}},
                                 {"initial_knowledge_prob": 1.0, "friend_tell_prob": 0.0, "friends_per_resident": 8.0,
                                  "friend_weight": 3.0}),
    # one popular small offer that everyone knows: a waiting list forms and providers can grow it
    "crowded": _scenario("crowded", {"catalogue": {"enabled": False},
                                     "offers": [_catalogue_offer("kookles", themes=["eten", "ontspanning", "kweken_en_natuur",
                                                                                    "maken_en_ontwerpen", "denken_en_bespreken"],
                                                                 level="zien_doen", capacity_per_week=10)],
                                     "providers": {"adaptation": True, "review_weeks": 4, "growth_limit_share": 0.5}},
                         {"initial_knowledge_prob": 1.0, "search_prob_per_week": 0.3}),
    # a next step one level up exists only with another provider in another wijk: the buurthuis's cooking
    # class in home_wijk, the academy's cooking school at regina_mundi (adjacent_wijk). Residents learn
    # offers only at the desk of their own wijk (no clubs: the desk and referrals stay local), so a
    # home_wijk completer can only get to the cooking school by a referral partnership.
    "partners": _scenario("partners", {
        "catalogue": {"enabled": False},
        "offers": [_catalogue_offer("kookles", provider="buurthuis", capacity_per_week=40, duration_weeks=3),
                   _catalogue_offer("kookschool", provider="academie", level="zelf_doen", capacity_per_week=200,
                                    duration_weeks=4, place={"kind": "venue", "venue_id": "regina_mundi"})],
        "wegwijzer": {"website": False, "desk": True, "magazine": False, "shared_overview": True},
        "providers": {"adaptation": True, "review_weeks": 4}},
        {"initial_knowledge_prob": 0.0, "desk_visit_prob": 0.1, "search_prob_per_week": 0.3}),
}


@functools.cache
def run(scenario: str, seed: int, knock_out: str | None = None) -> tuple[LearningEcosystem, Results]:
    """One run of a named scenario on the tiny geography (cached: the designs share their base runs)."""
    model = LearningEcosystem(SCENARIOS[scenario], seed=seed, geography=GEO, population_scale=1.0, weeks=WEEKS,
                              knock_out=[knock_out] if knock_out else None)
    model.run()
    return model, collect_results(model)


def effect(scenario: str, mechanism: str, outcome: Callable[[LearningEcosystem, Results], float],
           seeds: tuple[int, ...] = SEEDS) -> tuple[float, float, float]:
    """Knock-out minus base of ``outcome`` over the paired seeds: (mean, lo, hi) of the 90 % interval."""
    diffs = [outcome(*run(scenario, s, mechanism)) - outcome(*run(scenario, s)) for s in seeds]
    return interval(diffs)


def lowers(scenario: str, mechanism: str, outcome: Callable[[LearningEcosystem, Results], float],
           seeds: tuple[int, ...] = SEEDS) -> None:
    mean, lo, hi = effect(scenario, mechanism, outcome, seeds)
    assert hi < 0, f"knocking out {mechanism} should lower the outcome: diff {mean:.3g} [{lo:.3g}, {hi:.3g}]"


def raises(scenario: str, mechanism: str, outcome: Callable[[LearningEcosystem, Results], float],
           seeds: tuple[int, ...] = SEEDS) -> None:
    mean, lo, hi = effect(scenario, mechanism, outcome, seeds)
    assert lo > 0, f"knocking out {mechanism} should raise the outcome: diff {mean:.3g} [{lo:.3g}, {hi:.3g}]"


def summary(key: str) -> Callable[[LearningEcosystem, Results], float]:
    return lambda model, results: float(results.summary[key])


def discoveries(channel: Channel) -> Callable[[LearningEcosystem, Results], float]:
    return lambda model, results: float(model.discoveries[channel])


def reach_in(wijk: str) -> Callable[[LearningEcosystem, Results], float]:
    return lambda model, results: float(results.wijk_table().loc[wijk, "reach"])


def known_offers(model: LearningEcosystem, results: Results) -> float:
    """Offers known per resident at the end of the run (whatever the channel)."""
    return float(model.known.sum(axis=1).mean())


def taking_part_with_a_friend(model: LearningEcosystem, results: Results) -> float:
    """Share of the residents taking part now whose friend takes part in the same offer."""
    pop = model.pop
    busy = np.flatnonzero(pop.enrolled >= 0)
    friends = pop.friends[busy]
    their = np.where(friends >= 0, pop.enrolled[np.maximum(friends, 0)], -1)
    return float((their == pop.enrolled[busy][:, None]).any(axis=1).mean()) if busy.size else 0.0


def places_taken_in_learner_offers(model: LearningEcosystem, results: Results) -> float:
    """Enrolments in offers that residents started themselves (learners turned teachers)."""
    by_offer = results.by_offer
    return float(by_offer.loc[by_offer["from_learner"], "participants"].sum())


def discovered_outside_own_wijk(model: LearningEcosystem, results: Results) -> float:
    """Residents who know an offer at a venue in another wijk (not the site, not online)."""
    off = model.offers
    m = off.n
    wijk = model._offer_wijk()
    elsewhere = (wijk[None, :m] >= 0) & (wijk[None, :m] != model.pop.wijk[:, None]) & ~off.at_site[None, :m]
    return float((model.known[:, :m] & elsewhere).any(axis=1).sum())


# =========================================================================== the registry is covered
def test_every_registered_mechanism_has_a_knock_out_test_in_this_file():
    tested = {name for name in globals() if name.startswith("test_knocking_out_")}
    for mechanism in MECHANISMS:
        assert any(name.startswith(f"test_knocking_out_{mechanism}_") for name in tested), (
            f"mechanism {mechanism!r} has no test_knocking_out_{mechanism}_... test")


def test_a_knock_out_leaves_the_seeded_residents_the_same():
    """Paired seeds only make sense if a knock-out changes the rules, not the residents."""
    base, _ = run("all_on", SEEDS[0])
    ko, _ = run("all_on", SEEDS[0], "website")
    assert np.array_equal(base.pop.age, ko.pop.age) and np.array_equal(base.pop.home_row, ko.pop.home_row)
    assert np.array_equal(base.pop.level_start, ko.pop.level_start)


# =========================================================================== discovery channels
def test_knocking_out_website_ends_website_discoveries_and_residents_know_fewer_offers():
    lowers("all_on", "website", discoveries(Channel.WEBSITE))
    assert all(run("all_on", s, "website")[0].discoveries[Channel.WEBSITE] == 0 for s in SEEDS)
    lowers("all_on", "website", known_offers)


def test_knocking_out_magazine_ends_magazine_discoveries_and_residents_know_fewer_offers():
    lowers("all_on", "magazine", discoveries(Channel.MAGAZINE))
    assert all(run("all_on", s, "magazine")[0].discoveries[Channel.MAGAZINE] == 0 for s in SEEDS)
    lowers("all_on", "magazine", known_offers)


def test_knocking_out_desk_ends_desk_discoveries_and_lowers_reach_among_those_who_were_not_taking_part():
    """With the desk the only channel and nobody taking part at the start, every participant
    first heard of an offer at a desk as a non-participant: knocked out, nobody takes part."""
    lowers("desk_only", "desk", discoveries(Channel.DESK))
    lowers("desk_only", "desk", summary("reach"))
    assert all(run("desk_only", s, "desk")[1].summary["reach"] == 0 for s in SEEDS)
    # and in the full ecosystem the desk still adds discoveries
    lowers("all_on", "desk", discoveries(Channel.DESK))


def test_knocking_out_friends_ends_word_of_mouth_so_residents_know_fewer_offers_and_fewer_take_part():
    """Friends tell of the offer they take part in and make it more attractive: without them
    offers stay unknown and fewer residents take part."""
    lowers("all_on", "friends", discoveries(Channel.FRIENDS))
    assert all(run("all_on", s, "friends")[0].discoveries[Channel.FRIENDS] == 0 for s in SEEDS)
    lowers("word_of_mouth", "friends", known_offers)
    lowers("word_of_mouth", "friends", summary("reach"))
    # and where friends never tell, residents still join the offer their friends are in
    lowers("friends_attract", "friends", taking_part_with_a_friend)


def test_knocking_out_showcase_ends_exposure_and_lowers_reach():
    """Showcases are exposure (zag het doen), and what visitors learn there brings some to enrol."""
    lowers("all_on", "showcase", summary("saw_it_done"))
    assert all(run("all_on", s, "showcase")[1].summary["saw_it_done"] == 0 for s in SEEDS)
    lowers("all_on", "showcase", discoveries(Channel.SHOWCASE))
    lowers("all_on", "showcase", summary("reach"))


def test_knocking_out_referral_ends_referral_discoveries_and_fewer_next_activities_are_taken():
    """Referral points completers to a next step (with the shared overview they may take it at once);
    without it fewer activities are taken in all (participations, true scale)."""
    lowers("all_on", "referral", discoveries(Channel.REFERRAL))
    lowers("all_on", "referral", lambda model, results: float((model.pop.participations * model.pop.weight).sum()))


# =========================================================================== choice and progression
def started_in(offer_id: str, wijk: str) -> Callable[[LearningEcosystem, Results], float]:
    """Residents of a wijk who took part in an offer (true scale, started over the run)."""
    def outcome(model: LearningEcosystem, results: Results) -> float:
        up = results.uptake
        return float(up.loc[(up["offer_id"] == offer_id) & (up["wijk"] == wijk), "new_participants"].sum())
    return outcome


def test_knocking_out_referral_partnerships_ends_handovers_so_no_completer_reaches_the_next_step_elsewhere():
    """The buurthuis's completers find no next step in their wijk; at its review it partners the academy
    (the nearest cooking school one level up) and hands its completers over: some start the school,
    and more residents of home_wijk reach zelf doen. Without partnerships none of them ever gets there."""
    for s in SEEDS:
        model, results = run("partners", s)
        assert model.partnerships_formed >= 1 and model.partner_handovers > 0
        ko, ko_results = run("partners", s, "referral_partnerships")
        assert ko.partnerships_formed == 0 and ko.partner_handovers == 0
        assert started_in("kookschool", HOME_WIJK)(ko, ko_results) == 0
        assert started_in("kookschool", HOME_WIJK)(model, results) > 0
    lowers("partners", "referral_partnerships", summary("share_zelf_doen"))
    # the rule draws from its own stream: before the first review (week 4) both runs are the same run
    base = run("partners", SEEDS[0])[1].weekly
    ko = run("partners", SEEDS[0], "referral_partnerships")[1].weekly
    assert base[base["week"] <= 4].equals(ko[ko["week"] <= 4])


def test_knocking_out_choice_makes_participants_travel_further():
    """Informed choice weighs travel time; an uninformed pick among known offers ignores it.

    (The effect is small on the tiny town, about half a minute a trip: ten paired seeds.)"""
    raises("all_on", "choice", summary("mean_travel_minutes"), seeds=SEEDS + (6, 7, 8, 9, 10))


def test_knocking_out_progression_removes_the_steps_earned_by_completing_offers():
    """What remains without progression is only the zien doen of showcases."""
    lowers("all_on", "progression", summary("progression_steps"))
    lowers("all_on", "progression", summary("share_samen_doen"))


def test_knocking_out_badges_means_no_badge_is_earned_and_no_opportunity_taken():
    lowers("all_on", "badges", summary("badges_earned"))
    assert all(run("all_on", s, "badges")[1].summary["badges_earned"] == 0 for s in SEEDS)
    assert all(run("all_on", s, "badges")[1].summary["opportunities_taken"] == 0 for s in SEEDS)


def test_knocking_out_opportunities_means_badges_still_count_but_unlock_nothing():
    lowers("all_on", "opportunities", summary("opportunities_taken"))
    assert all(run("all_on", s, "opportunities")[1].summary["opportunities_taken"] == 0 for s in SEEDS)
    assert all(run("all_on", s, "opportunities")[1].summary["badges_earned"] > 0 for s in SEEDS)


# =========================================================================== mentors, clubs, peers
def test_knocking_out_mentors_leaves_mentor_hours_unused_and_lowers_reach():
    lowers("all_on", "mentors", summary("mentor_utilisation"))
    lowers("all_on", "mentors", discoveries(Channel.MENTOR))
    lowers("all_on", "mentors", summary("reach"))


def test_knocking_out_club_budget_spends_nothing_and_fewer_low_means_members_take_paid_offers():
    lowers("all_on", "club_budget", summary("budget_spent_eur"))
    assert all(run("all_on", s, "club_budget")[1].summary["budget_spent_eur"] == 0 for s in SEEDS)

    def low_means_in_paid_offers(model: LearningEcosystem, results: Results) -> float:
        return float(model.pop.funded_eur.sum())

    lowers("all_on", "club_budget", low_means_in_paid_offers)


def test_knocking_out_connected_clubs_keeps_referrals_within_the_own_wijk():
    """Connected clubs widen referral, desk and mentor suggestions to other wijken."""
    lowers("all_on", "connected_clubs", discoveries(Channel.REFERRAL))
    lowers("all_on", "connected_clubs", discovered_outside_own_wijk)


def test_knocking_out_peer_groups_lowers_progression_and_leaves_fewer_learners_to_become_teachers():
    lowers("all_on", "peer_groups", summary("progression_steps"))
    lowers("all_on", "peer_groups", summary("learners_turned_teachers"))


def test_knocking_out_learners_become_teachers_means_no_learner_offers_and_nobody_learns_from_a_neighbour():
    lowers("all_on", "learners_become_teachers", summary("learners_turned_teachers"))
    assert all(not run("all_on", s, "learners_become_teachers")[1].by_offer["from_learner"].any() for s in SEEDS)
    lowers("all_on", "learners_become_teachers", places_taken_in_learner_offers)


# =========================================================================== site, playlists, providers
def test_knocking_out_central_site_lowers_reach_most_in_the_wijk_that_holds_the_site():
    """The site is in adjacent_wijk; home_wijk has its own buurthuis. Without the site reach falls,
    and it falls more next to the site than in home_wijk."""
    lowers("all_on", "central_site", reach_in(ADJACENT_WIJK))
    lowers("all_on", "central_site", lambda m, r: reach_in(ADJACENT_WIJK)(m, r) - reach_in(HOME_WIJK)(m, r),
           seeds=SEEDS + (6, 7, 8, 9, 10))  # the difference of two wijken's reach is noisier: ten paired seeds
    assert all(run("all_on", s, "central_site")[1].site.empty for s in SEEDS)


def test_knocking_out_playlists_means_no_playlist_is_started_and_reach_falls():
    lowers("all_on", "playlists", summary("playlists_started"))
    assert all(run("all_on", s, "playlists")[1].summary["playlists_started"] == 0 for s in SEEDS)
    lowers("all_on", "playlists", summary("reach"))


def test_knocking_out_provider_adaptation_leaves_every_offer_unchanged_and_the_waiting_list_longer():
    """Providers grow an offer that turned people away; knocked out, they never change anything."""
    for s in SEEDS:
        assert sum(run("crowded", s)[0].provider_changes.values()) > 0
        assert sum(run("crowded", s, "provider_adaptation")[0].provider_changes.values()) == 0
    raises("crowded", "provider_adaptation", summary("waiting_list"))
    lowers("crowded", "provider_adaptation", summary("reach"))


# =========================================================================== once bugs, now fixed
def test_mentors_are_on_average_used_at_most_their_hours():
    """Expected: mentor_utilisation (share of mentor hours in use, weekly mean) is at most 100 %."""
    sc = _scenario("half_a_mentor", {"catalogue": {"enabled": True}, "providers": {"adaptation": False},
                                     "mentors": {"enabled": True, "hours_per_week": 0.5, "hours_per_mentee": 1}}, {})
    utilisation = []
    for s in SEEDS[:3]:
        model = LearningEcosystem(sc, seed=s, geography=GEO, population_scale=1.0, weeks=WEEKS)
        model.run()
        utilisation.append(collect_results(model).summary["mentor_utilisation"])
    assert np.mean(utilisation) <= 100 + 1e-9, f"mentor utilisation {utilisation}"
