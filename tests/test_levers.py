"""Every lever the seed names bites, in its stated direction (issue 9, item 3).

Each test compares two settings of one lever on the same seeds (common random numbers)
on the tiny hand-made geography (:mod:`tests.tiny_geography`) and states the expected
direction in its docstring; a statistical effect is asserted with the paired interval of
:func:`model.compare.interval` excluding zero on the expected side. The last tests check
that a lever value that cannot bite gets a warning naming its key
(:func:`model.run.lever_warnings`).

The tiny geography's venues: ``near_venue`` in home_wijk (a buurthuis), ``far_venue`` in
isolated_wijk (a maker space, 10 km away), ``regina_mundi`` in adjacent_wijk (the site).
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from tiny_geography import FAR_VENUE, ISOLATED_WIJK, NEAR_VENUE, TinyGenk

from model.compare import interval
from model.domain import THEMES, Channel
from model.model import LearningEcosystem
from model.run import Results, collect_results, lever_warnings
from model.scenario import Scenario, load_scenario, validate_scenario

SEEDS = (1, 2, 3, 4, 5)
WEEKS = 26
GEO = TinyGenk()
#: The same three wijken with three times the residents (972), for effects that are small per resident.
BIG_GEO = TinyGenk(count_per_age=12)

SITE = {"enabled": True, "place": {"kind": "venue", "venue_id": "regina_mundi"}, "opening_hours_per_week": 60,
        "rooms": [{"name": "toonzaal", "kind": "showcase_space", "capacity": 40},
                  {"name": "maakleerplek", "kind": "maker_space", "capacity": 15},
                  {"name": "wijkruimte", "kind": "club_room", "capacity": 20},
                  {"name": "oefenruimte", "kind": "practice_room", "capacity": 10}],
        "permanent_providers": ["academy", "makerspace"], "guest_providers": ["company", "library"], "guest_weeks": 8,
        "showcase_events_per_month": 0}


def paid_offer(offer_id: str = "cursus", venue: str = NEAR_VENUE, **kw: Any) -> dict:
    """A paid zien-doen offer in every theme: wanted by nearly everyone who knows it."""
    spec = {"id": offer_id, "themes": [t.value for t in THEMES], "level": "zien_doen", "price_eur": 50.0,
            "place": {"kind": "venue", "venue_id": venue}, "capacity_per_week": 1000, "duration_weeks": 2}
    spec.update(kw)
    return spec


def scenario(levers: dict, **uncertainties: Any) -> Scenario:
    return validate_scenario({"name": "tiny", "levers": {"providers": {"adaptation": False}, **levers},
                              "uncertainties": uncertainties}, source="<tiny lever test>")


@functools.cache
def _run(scenario_json: str, seed: int, big: bool) -> tuple[LearningEcosystem, Results]:
    model = LearningEcosystem(validate_scenario(json.loads(scenario_json), source="<cached>"), seed=seed,
                              geography=BIG_GEO if big else GEO, population_scale=1.0, weeks=WEEKS)
    model.run()
    return model, collect_results(model)


def run(sc: Scenario, seed: int, big: bool = False) -> tuple[LearningEcosystem, Results]:
    """One run on the tiny geography (``big``: three times the residents), cached by the scenario's content."""
    return _run(json.dumps(sc.model_dump(mode="json"), sort_keys=True), seed, big)


def paired(design: Scenario, base: Scenario, outcome: Callable[[LearningEcosystem, Results], float], big: bool = False):
    """Design minus base of ``outcome`` over the paired seeds: (mean, lo, hi)."""
    return interval([outcome(*run(design, s, big)) - outcome(*run(base, s, big)) for s in SEEDS])


def assert_higher(design: Scenario, base: Scenario, outcome, what: str, big: bool = False) -> tuple[float, float, float]:
    mean, lo, hi = paired(design, base, outcome, big)
    assert lo > 0, f"{what}: expected higher, diff {mean:.3g} [{lo:.3g}, {hi:.3g}]"
    return mean, lo, hi


def summary(key: str) -> Callable[[LearningEcosystem, Results], float]:
    return lambda model, results: float(results.summary[key])


# =========================================================================== the desk
DESK_ON = scenario({"catalogue": {"enabled": True}, "wegwijzer": {"desk": True}},
                   initial_knowledge_prob=0.1, desk_visit_prob=0.1)
DESK_OFF = DESK_ON.with_values({"levers.wegwijzer.desk": False})


def test_the_desk_advises_residents_who_take_part_in_nothing_before_anyone_takes_part():
    """Week 1, before the weekly choice, nobody takes part: every desk discovery then is a walk-in."""
    model = LearningEcosystem(DESK_ON, seed=SEEDS[0], geography=GEO, population_scale=1.0, weeks=1)
    model.week = 1
    assert (model.pop.enrolled < 0).all()
    model.inform()
    assert model.discoveries[Channel.DESK] > 0


def test_with_the_desk_non_participants_discover_more_offers_and_more_of_them_take_part():
    """Expected: desk on > desk off in desk discoveries and in reach (everyone starts as a non-participant)."""
    assert_higher(DESK_ON, DESK_OFF, lambda m, r: m.discoveries[Channel.DESK], "desk discoveries")
    assert_higher(DESK_ON, DESK_OFF, summary("reach"), "reach")


# =========================================================================== the shared overview
SHARED = scenario({"catalogue": {"enabled": True}, "central_site": SITE,
                   "wegwijzer": {"desk": True, "shared_overview": True}}, initial_knowledge_prob=0.3)
NOT_SHARED = SHARED.with_values({"levers.wegwijzer.shared_overview": False})


def participations_per_participant(model: LearningEcosystem, results: Results) -> float:
    took_part = model.pop.participations > 0
    return float(model.pop.participations[took_part].mean())


def referred_but_stuck(model: LearningEcosystem, results: Results) -> float:
    """Share of the completers a provider referred who learned of no next step (providers do not adapt here)."""
    stuck = float(model.review_stuck.sum())
    return stuck / (stuck + model.discoveries[Channel.REFERRAL])


def test_with_the_shared_overview_every_provider_signposts_everyones_offer():
    """Expected: a provider that knows only its own and its neighbours' offer often has no next step
    to refer to; with the shared overview it points to everyone's offer (the site, online), so fewer
    referred completers are left without a next step."""
    mean, lo, hi = paired(SHARED, NOT_SHARED, referred_but_stuck)
    assert hi < 0, f"share of referred completers left without a next step: diff {mean:.3g} [{lo:.3g}, {hi:.3g}]"


def completers_who_went_on(model: LearningEcosystem, results: Results) -> float:
    """Share of the residents who completed an activity and took part in more than one."""
    pop = model.pop
    done = pop.completions > 0
    return float((pop.participations[done] >= 2).mean())


def test_the_shared_overview_makes_a_next_activity_after_an_experience_easy():
    """Expected: with the shared overview every provider refers to everyone's offer and the next
    activity can be taken at once, so more completers go on to another activity and participants
    take part in more activities each (972 residents: the effect is a fraction of an activity each)."""
    assert_higher(SHARED, NOT_SHARED, lambda m, r: m.discoveries[Channel.REFERRAL], "referral discoveries", big=True)
    assert_higher(SHARED, NOT_SHARED, completers_who_went_on, "completers who went on", big=True)
    assert_higher(SHARED, NOT_SHARED, participations_per_participant, "participations per participant", big=True)


# =========================================================================== club priority
def clubs(**club: Any) -> Scenario:
    spec = {"enabled": True, "budget_eur_per_year": 1500, "cap_per_member_eur": 200, "means_test": True,
            "membership_share": 1.0, "connected": False, "priority": "first_come", **club}
    return scenario({"catalogue": {"enabled": False}, "offers": [paid_offer()], "clubs": spec},
                    initial_knowledge_prob=1.0, low_means_share=0.6, search_prob_per_week=0.3)


def budget_share_less_autonomous(model: LearningEcosystem, results: Results) -> float:
    """Share of the club budget spent on residents less autonomous than the median (the indicator a
    workshop sees, checked here against the residents' own funded amounts)."""
    pop = model.pop
    spent = pop.funded_eur * pop.weight
    direct = float(spent[pop.autonomy < model.autonomy_median].sum() / spent.sum())
    assert results.summary["budget_to_less_autonomous"] / 100 == pytest.approx(direct, rel=1e-9)
    return direct


def test_club_priority_less_autonomous_gives_the_less_autonomous_a_larger_share_of_the_years_budget():
    """Expected: with priority less_autonomous a share of the year's budget (here 80 %) is kept for the
    less autonomous, who act less often and lose out when the budget goes first come, first served.
    It is the year's reserve that does it, not the order within one week's batch."""
    first_come = clubs(priority="first_come", budget_eur_per_year=3000)
    priority = clubs(priority="less_autonomous", priority_reserved_share=0.8, budget_eur_per_year=3000)
    order_only = clubs(priority="less_autonomous", priority_reserved_share=0.0, budget_eur_per_year=3000)
    for s in SEEDS:  # the budget binds where residents can reach the offer: otherwise priority could not matter
        model, _ = run(first_come, s)
        assert all(club.open_left < 50 for club in model.clubs if model.wijk_names[club.wijk] != ISOLATED_WIJK)
    assert_higher(priority, first_come, budget_share_less_autonomous, "budget share of the less autonomous")
    assert_higher(priority, order_only, budget_share_less_autonomous, "budget share, reserve vs week order only")


# =========================================================================== connected clubs
def connected_clubs(connected: bool) -> Scenario:
    """A paid offer at near_venue that isolated_wijk cannot reach (15 min at most): its club's budget idles
    unless clubs are connected. Desk and shared overview point to offers."""
    sc = clubs(connected=connected, budget_eur_per_year=2400)
    return sc.with_values({"uncertainties.max_travel_minutes_adult": 15.0, "uncertainties.initial_knowledge_prob": 0.3,
                           "levers.catalogue.enabled": True, "levers.wegwijzer.desk": True,
                           "levers.wegwijzer.shared_overview": True})


def spent_beyond_own_club(model: LearningEcosystem, results: Results) -> float:
    """Budget spent on a wijk's residents beyond what its own club had (summed over wijken)."""
    pop = model.pop
    spent = np.bincount(pop.wijk, weights=pop.funded_eur * pop.weight, minlength=model.n_wijken)
    own = np.array([club.budget_eur for club in model.clubs])
    return float(np.clip(spent - own, 0, None).sum())


def known_elsewhere(model: LearningEcosystem, results: Results) -> float:
    """Residents who know an offer at a venue in another wijk."""
    off, m = model.offers, model.offers.n
    wijk = model._offer_wijk()
    elsewhere = (wijk[None, :m] >= 0) & (wijk[None, :m] != model.pop.wijk[:, None]) & ~off.at_site[None, :m]
    return float((model.known[:, :m] & elsewhere).any(axis=1).sum())


def test_connected_clubs_share_their_budget_across_wijken():
    """Expected: connected, a wijk whose club ran out is paid for by another club, so more of the
    town's budget is spent; not connected, no wijk ever gets more than its own club's budget."""
    on, off = connected_clubs(True), connected_clubs(False)
    assert all(spent_beyond_own_club(*run(off, s)) == 0 for s in SEEDS)
    assert_higher(on, off, spent_beyond_own_club, "budget spent beyond the own club")
    assert_higher(on, off, summary("budget_spent_eur"), "budget spent")


def test_connected_clubs_refer_residents_to_offers_in_other_wijken():
    """Expected: connected, desk and referral suggestions reach offers in other wijken."""
    assert_higher(connected_clubs(True), connected_clubs(False), known_elsewhere, "residents knowing an offer elsewhere")


# =========================================================================== the central site
def site(**values: Any) -> Scenario:
    sc = scenario({"catalogue": {"enabled": True}, "central_site": SITE, "wegwijzer": {"website": True}},
                  initial_knowledge_prob=0.5, search_prob_per_week=0.3)
    return sc.with_values({f"levers.central_site.{k}": v for k, v in values.items()})


def site_places(model: LearningEcosystem, results: Results) -> float:
    return float(results.site["places"].sum()) if not results.site.empty else 0.0


def rooms(opening_hours: float) -> Scenario:
    """Two offers placed at the site (no catalogue): a big zien-doen one for everyone, then a second one.
    Only the site's showcase room (10 places), open ``opening_hours`` a week, sessions of 2 hours."""
    big = paid_offer("toonmoment", price_eur=0.0, capacity_per_week=100, duration_weeks=4, place={"kind": "central_site"})
    second = paid_offer("tweede", price_eur=0.0, capacity_per_week=40, duration_weeks=4, place={"kind": "central_site"})
    room = {**SITE, "rooms": [{"name": "toonzaal", "kind": "showcase_space", "capacity": 10}],
            "permanent_providers": [], "guest_providers": [], "opening_hours_per_week": opening_hours}
    return scenario({"catalogue": {"enabled": False}, "central_site": room, "offers": [big, second]},
                    initial_knowledge_prob=1.0, search_prob_per_week=0.3)


def test_fewer_opening_hours_give_the_site_fewer_places_and_more_residents_wait():
    """Expected: a site offer's places are sessions x the room's places within the opening hours.
    Open 60 h a week both offers fit (100 + 40 places); open 4 h the first gets 2 sessions (20
    places) and the second none (unscheduled); demand beyond the places waits."""
    open_long, open_short = rooms(60), rooms(4)
    long_run, short_run = run(open_long, SEEDS[0])[1], run(open_short, SEEDS[0])[1]
    assert dict(zip(long_run.site["offer_id"], long_run.site["places"])) == {"toonmoment": 100, "tweede": 40}
    assert dict(zip(short_run.site["offer_id"], short_run.site["places"])) == {"toonmoment": 20}
    assert short_run.unscheduled == ["tweede"] and long_run.unscheduled == []
    assert short_run.site["hours_per_week"].sum() <= 4
    assert_higher(open_short, open_long, summary("waiting_list"), "waiting list")
    mean, lo, hi = paired(open_short, open_long, summary("reach"))
    assert hi < 0, f"reach: expected lower, diff {mean:.3g} [{lo:.3g}, {hi:.3g}]"


def test_guests_rotate_one_after_the_other_in_periods_of_guest_weeks_over_the_whole_run():
    """Expected: company and library take turns, weeks 1-8, 9-16, 17-24, 25-26 (a 26-week run), and
    residents start a guest's offer only during its own period."""
    sc = site(guest_weeks=8)
    results = run(sc, SEEDS[0])[1]
    guests = results.site[results.site["role"] == "guest"]
    periods = guests.groupby(["start_week", "end_week"])["offer_id"].agg(list).sort_index()
    assert list(periods.index) == [(1, 8), (9, 16), (17, 24), (25, 26)]
    kinds = [{offer_id.split(":")[2] for offer_id in ids} for ids in periods]
    assert kinds == [{"company"}, {"library"}, {"company"}, {"library"}]
    weeks = guests.set_index("offer_id")[["start_week", "end_week"]]
    started = 0.0
    for s in SEEDS:
        uptake = run(sc, s)[1].uptake
        new = uptake[uptake["offer_id"].isin(weeks.index) & (uptake["new_participants"] > 0)]
        lo, hi = weeks.loc[new["offer_id"], "start_week"].to_numpy(), weeks.loc[new["offer_id"], "end_week"].to_numpy()
        assert ((new["week"].to_numpy() >= lo) & (new["week"].to_numpy() <= hi)).all()
        started += float(new["new_participants"].sum())
    assert started > 0, "nobody took a guest's offer: the test would say nothing"


def test_share_moved_takes_places_away_from_the_providers_own_venue():
    """Expected: the maker space of far_venue moves share_moved of its places to the site; the more it
    moves, the fewer places (and participants) remain at far_venue and the more at the site."""
    kept = {}
    for share in (0.0, 0.5, 1.0):
        model, _ = run(site(share_moved=share), SEEDS[0])
        off = model.offers
        at_venue = [k for k in range(off.n) if off.ids[k].startswith(f"{FAR_VENUE}:")]
        at_site = [k for k in range(off.n) if off.ids[k].startswith("site:makerspace:")]
        kept[share] = (sum(off.capacity[k] for k in at_venue), sum(off.capacity[k] for k in at_site))
    assert kept[0.0][1] == 0 and kept[0.0][0] == 35  # repair café 20 + maakplek 15 stay home
    assert kept[0.5] == (17, 18)  # half of 20 and of 15 (rounded) moves; no place is made or lost
    assert kept[1.0] == (0, 35)
    assert kept[0.0][0] > kept[0.5][0] > kept[1.0][0] == 0
    assert kept[0.0][1] < kept[0.5][1] < kept[1.0][1]

    def took_part_at_far_venue(model: LearningEcosystem, results: Results) -> float:
        by_offer = results.by_offer
        return float(by_offer.loc[by_offer["offer_id"].str.startswith(f"{FAR_VENUE}:"), "participants"].sum())

    mean, lo, hi = paired(site(share_moved=1.0), site(share_moved=0.0), took_part_at_far_venue)
    assert hi < 0, f"participants at far_venue: expected lower, diff {mean:.3g} [{lo:.3g}, {hi:.3g}]"


# =========================================================================== warnings for levers that cannot bite
def test_a_club_budget_with_clubs_off_is_warned_about_by_its_key():
    sc = load_scenario("baseline").with_values({"levers.clubs.enabled": False, "levers.clubs.budget_eur_per_year": 10_000})
    assert any(w.startswith("levers.clubs.budget_eur_per_year:") for w in lever_warnings(sc))
    assert not any(w.startswith("levers.clubs") for w in lever_warnings(load_scenario("leerclubs")))


def test_an_offer_starting_after_the_runs_last_week_is_warned_about_by_its_key():
    late = paid_offer("te-laat", start_week=60, end_week=80)
    sc = load_scenario("baseline").with_values({"levers.offers": [paid_offer("op-tijd"), late], "run.weeks": 52})
    warnings = lever_warnings(sc)
    assert any(w.startswith("levers.offers[1].start_week:") and "te-laat" in w for w in warnings)
    assert not any(w.startswith("levers.offers[0]") for w in warnings)


def test_a_site_nobody_holds_an_offer_in_is_warned_about_by_its_key():
    empty = load_scenario("regina-mundi-hub").with_values({"levers.central_site.permanent_providers": [],
                                                           "levers.central_site.guest_providers": []})
    assert any(w.startswith("levers.central_site:") for w in lever_warnings(empty))
    assert not any(w.startswith("levers.central_site:") for w in lever_warnings(load_scenario("regina-mundi-hub")))


# =========================================================================== once bugs, now fixed
def test_the_cap_per_member_starts_afresh_every_year():
    """Expected: with an ample budget the second year spends about what the first did."""
    sc = clubs(budget_eur_per_year=1_000_000, cap_per_member_eur=200).with_values(
        {"levers.offers": [paid_offer(price_eur=100.0)]})
    model = LearningEcosystem(sc, seed=SEEDS[0], geography=GEO, population_scale=1.0, weeks=104)
    spent = []
    for _ in range(2):
        before = model.budget_spent_eur
        for _ in range(52):
            model.step()
        spent.append(model.budget_spent_eur - before)
    assert spent[1] > 0.5 * spent[0], f"budget spent per year: {spent}"
