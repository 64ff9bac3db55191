"""Several sites in one run: each is a place, holds its own offers and showcases, and fills its rooms by the hour.

A city planner compares a hub at Regina Mundi with a hub plus a satellite in a cité
(issue 12). On the tiny geography: the main site at ``regina_mundi`` (adjacent_wijk)
and a satellite ``cite`` at ``far_venue`` (isolated_wijk, 10 km from the other wijken).
"""
from __future__ import annotations

import numpy as np
import pytest
from tiny_geography import FAR_VENUE, ISOLATED_WIJK, REGINA_MUNDI, TinyGenk

from model.model import LearningEcosystem
from model.run import collect_results
from model.scenario import ScenarioError, validate_scenario

GEO = TinyGenk()
ROOMS = [{"name": "toonzaal", "kind": "showcase_space", "capacity": 30},
         {"name": "keuken", "kind": "kitchen", "capacity": 12}]


def scenario(main_showcases: float = 0, cite_showcases: float = 4, cite_enabled: bool = True, **offer):
    site_offer = {"id": "kookles_cite", "themes": ["eten"], "level": "samen_doen",
                  "place": {"kind": "site", "site_id": "cite"}, "capacity_per_week": 24, "duration_weeks": 4,
                  "hours_per_week": 2, **offer}
    levers = {
        "catalogue": {"enabled": True},
        "central_site": {"enabled": True, "place": {"kind": "venue", "venue_id": REGINA_MUNDI}, "rooms": ROOMS,
                         "permanent_providers": ["academy"], "opening_hours": {"ma": "9-17", "wo": "13-21"},
                         "showcase_events_per_month": main_showcases, "showcase_visitors_per_event": 30},
        "sites": [{"id": "cite", "name": "Cité", "enabled": cite_enabled, "place": {"kind": "venue", "venue_id": FAR_VENUE},
                   "rooms": ROOMS, "opening_hours": {"di": "18-21", "za": "10-16"},
                   "showcase_events_per_month": cite_showcases, "showcase_visitors_per_event": 30}],
        "offers": [site_offer],
    }
    return validate_scenario({"name": "twee sites", "levers": levers,
                              "uncertainties": {"initial_knowledge_prob": 0.3}}, source="<test>")


def run(sc, seed: int = 1, weeks: int = 26, **kw):
    model = LearningEcosystem(sc, seed=seed, geography=GEO, population_scale=1.0, weeks=weeks, **kw)
    model.run()
    return model, collect_results(model)


def test_an_offer_at_another_site_is_at_that_site_and_the_main_sites_offers_at_the_main_one():
    model = LearningEcosystem(scenario(), seed=1, geography=GEO, population_scale=1.0, weeks=4)
    assert [s.id for s in model.sites] == ["central_site", "cite"]
    k = model.offers.ids.index("kookles_cite")
    assert model.offer_site[k] == 1 and model.offers.at_site[k]
    assert tuple(model.places_xy[model.offers.place[k]]) == tuple(GEO.venue_xy(FAR_VENUE))
    main = [i for i in range(model.offers.n) if model.offers.ids[i].startswith("site:")]
    assert main, "the academy moves in at the main site"
    assert all(model.offer_site[i] == 0 for i in main)
    assert all(tuple(model.places_xy[model.offers.place[i]]) == tuple(GEO.venue_xy(REGINA_MUNDI)) for i in main)


def test_a_satellites_showcases_draw_their_audience_from_around_the_satellite():
    """Only the satellite in the isolated wijk holds showcases: who saw it done lives mostly there."""
    model, _ = run(scenario(main_showcases=0, cite_showcases=4))
    pop = model.pop
    isolated = np.array([model.wijk_names[w] == ISOLATED_WIJK for w in pop.wijk])
    assert pop.exposed.any()
    share_exposed_isolated = pop.weight[pop.exposed & isolated].sum() / pop.weight[pop.exposed].sum()
    share_isolated = pop.weight[isolated].sum() / pop.weight.sum()
    assert share_exposed_isolated > 2 * share_isolated
    # the same showcases at the main site instead: the audience comes from the other wijken
    model_main, _ = run(scenario(main_showcases=4, cite_showcases=0))
    pop = model_main.pop
    assert pop.exposed.any()
    assert pop.weight[pop.exposed & isolated].sum() / pop.weight[pop.exposed].sum() < share_isolated


def test_without_showcases_anywhere_nobody_saw_it_done():
    model, _ = run(scenario(main_showcases=0, cite_showcases=0))
    assert not model.pop.exposed.any()


def test_visitors_per_room_and_hour_block_add_up_to_the_learner_hours_of_each_site():
    model, res = run(scenario())
    blocks = res.site_blocks
    assert set(blocks["site"]) == {"central_site", "cite"}
    # rooms are open only in their opening hours: the satellite on Tuesday evening and Saturday
    cite = blocks[blocks["site"] == "cite"]
    assert set(cite["day"]) == {"tue", "sat"}
    assert set(cite.loc[cite["day"] == "tue", "hour"]) == {18, 19, 20}
    # people are counted in every week they take part (all their weeks, also a completer's last)
    row = {offer_id: k for k, offer_id in enumerate(model.offers.ids)}
    taking_part = model.taking_part_by_week()
    site = res.site
    assert (site["start_week"] <= 1).all() and (site["end_week"] >= model.weeks).all(), "every booking runs all year here"
    for site_id, part in site.groupby("site_id"):
        hours_per_session = part["hours_per_week"] / part["sessions_per_week"]
        weekly = [taking_part[:, row[i]].mean() if i in row else 0.0 for i in part["offer_id"]]
        learner_hours = float((np.array(weekly) * hours_per_session.to_numpy()).sum())
        assert blocks.loc[blocks["site"] == site_id, "visitors"].sum() == pytest.approx(learner_hours, rel=1e-9)
    assert taking_part[:, row["kookles_cite"]].sum() > 0, "people take part at the satellite"
    assert (blocks["crowding"] == blocks["visitors"] / blocks["places"]).all()
    assert (blocks["visitors_peak"] >= blocks["visitors"] - 1e-9).all()


def test_a_one_week_offer_at_a_site_fills_its_room():
    """Each participation counts for all its weeks: a one-week workshop's room is not empty."""
    sc = scenario(duration_weeks=1)
    model, res = run(sc)
    k = model.offers.ids.index("kookles_cite")
    assert model.enrolments[k] > 0
    cite = res.site_blocks[res.site_blocks["site"] == "cite"]
    assert cite["visitors"].sum() > 0 and cite["visitors_peak"].max() > 0


def test_a_guests_room_is_as_full_in_its_weeks_as_a_permanent_one_not_spread_over_the_year():
    """A booking counts in its own weeks: an offer at the site only in weeks 1-8 shows its weeks' crowd."""
    short = scenario(end_week=8)
    model, res = run(short)
    row = model.offers.ids.index("kookles_cite")
    booking = res.site[res.site["offer_id"] == "kookles_cite"].iloc[0]
    weeks = np.arange(1, model.weeks + 1)
    active = (weeks >= booking["start_week"]) & (weeks <= booking["end_week"])
    people = model.taking_part_by_week()[:, row]
    cite = res.site_blocks[(res.site_blocks["site"] == "cite") & (res.site_blocks["room"] == booking["room"])]
    hours = booking["hours_per_week"] / booking["sessions_per_week"]
    expected = people[active].mean() * hours
    assert active.sum() < model.weeks
    assert cite["visitors"].sum() == pytest.approx(expected, rel=1e-9)
    assert cite["visitors"].sum() > people.mean() * hours  # the year's mean would understate it


def test_an_offer_at_a_site_that_is_off_is_refused_naming_the_site():
    with pytest.raises(ScenarioError, match=r"site 'cite' is not enabled.*levers\.sites\[0\]\.enabled"):
        LearningEcosystem(scenario(cite_enabled=False), seed=1, geography=GEO, population_scale=1.0, weeks=2)


def test_knocking_out_the_central_site_switches_off_every_site():
    model, res = run(scenario(main_showcases=4, cite_showcases=4), knock_out=["central_site"])
    assert model.sites == [] and not model.pop.exposed.any()
    assert res.site_blocks.empty


def test_the_main_site_is_local_to_every_wijk_a_satellite_only_to_its_own():
    """Without connected clubs, desk, referrals and mentors stay local: one's wijk, the city's hub, online."""
    model = LearningEcosystem(scenario(), seed=1, geography=GEO, population_scale=1.0, weeks=2)
    cite = model.offers.ids.index("kookles_cite")
    main = [i for i in range(model.offers.n) if model.offers.ids[i].startswith("site:")]
    wijk = np.array([model.wijk_names[w] for w in model.pop.wijk])
    outside, inside = np.flatnonzero(wijk != ISOLATED_WIJK)[:5], np.flatnonzero(wijk == ISOLATED_WIJK)[:5]
    local_out, local_in = model._local_mask(outside), model._local_mask(inside)
    assert not local_out[:, cite].any() and local_in[:, cite].all()
    assert local_out[:, main].all() and local_in[:, main].all()
