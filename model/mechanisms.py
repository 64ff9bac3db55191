"""The model's mechanisms by name, so that a run can switch any of them off (a knock-out).

``scenario.run.knock_out: [desk, showcase]`` (or ``run_scenario(..., knock_out=[...])``)
runs the model with those mechanisms' code disabled and everything else unchanged; the
experiments layer's ablation study (:mod:`model.experiments.ablation`) knocks out each
mechanism in turn over paired seeds and reports what it does to each outcome.

Each entry states, in domain words, what the mechanism does, where the code is (the
model method that checks :meth:`LearningEcosystem.on`), the lever that enables it in a
scenario (if any), and the direction a knock-out is expected to move reach when the
mechanism is enabled: the knock-out tests in ``tests/test_mechanisms.py`` check exactly
that, and fail when the mechanism's code does nothing.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mechanism:
    """One switchable mechanism of the model."""

    name: str
    label_nl: str
    label_en: str
    rule: str  # what it does, in domain words
    code: str  # the method(s) that carry it
    lever: str  # the scenario lever that turns it on ('' = always on)
    source: str  # where in the seed it comes from

    def label(self, lang: str = "nl") -> str:
        return self.label_nl if lang == "nl" else self.label_en


_ALL = (
    Mechanism("website", "Wegwijzer-website", "Signposting website",
              "digital residents consult the shared website and learn the best-fitting unknown offer",
              "LearningEcosystem.inform", "levers.wegwijzer.website", "§1 wegwijzer: een website"),
    Mechanism("magazine", "Magazine", "Magazine",
              "in issue weeks, readers learn two fitting offers", "LearningEcosystem.inform",
              "levers.wegwijzer.magazine", "§1 wegwijzer: een magazine"),
    Mechanism("desk", "Balie", "Desk",
              "residents who walk in at a provider's desk near home (participant or not) hear of a fitting offer",
              "LearningEcosystem.desk_advises", "levers.wegwijzer.desk", "§1 wegwijzer: een persoon achter een balie"),
    Mechanism("friends", "Mond-tot-mond", "Word of mouth",
              "residents hear of the offer a friend takes part in, and like offers their friends take part in",
              "LearningEcosystem.inform, LearningEcosystem.look_for_next_step", "", "§3 peer-to-peer"),
    Mechanism("showcase", "Toonmomenten", "Showcases",
              "an audience attends the site's showcases: exposure (zag het doen), inspiration and knowledge of an offer",
              "LearningEcosystem.showcase", "levers.central_site.showcase_events_per_month", "§2.1 zien doen, toonplaatsen"),
    Mechanism("referral", "Doorverwijzing", "Referral",
              "after an activity the provider points the participant to a next step (with the shared overview: "
              "everyone's offer, and the next activity is easy to take)", "LearningEcosystem.refer", "",
              "§1 na een ervaring gemakkelijk een volgende activiteit vinden"),
    Mechanism("choice", "Keuze naar interesse", "Informed choice",
              "residents weigh interest, level fit, travel time, price and friends; knocked out, they pick a known "
              "eligible offer at random", "LearningEcosystem.look_for_next_step", "", "§1 nieuwsgierigheid"),
    Mechanism("progression", "Doorgroei", "Progression",
              "completing an offer above one's level moves one up the learning path", "LearningEcosystem.take_part",
              "", "§2.1 zien doen, samen doen, zelf doen"),
    Mechanism("badges", "Badges", "Badges", "completing an offer that awards a badge earns one",
              "LearningEcosystem.take_part", "levers.badges.enabled", "§2.2, §3 open badges"),
    Mechanism("opportunities", "Kansen", "Opportunities",
              "badge holders take up limited internships, workshops and coaching: a zelf doen step",
              "LearningEcosystem.unlock_opportunities", "levers.badges.opportunity_places_per_year", "§2.2 LRNG"),
    Mechanism("mentors", "Mentoren", "Mentors",
              "mentors take on residents by priority and help them find and take a next step",
              "Mentor.step, LearningEcosystem.mentors_guide", "levers.mentors.enabled", "§3 mentoren"),
    Mechanism("club_budget", "Clubbudget", "Club budget",
              "the club budget pays for paid offers of members who cannot pay, by the year's priority",
              "Club.pay_for, LearningEcosystem._pay", "levers.clubs.enabled", "§3 budget"),
    Mechanism("connected_clubs", "Verbonden clubs", "Connected clubs",
              "clubs share members' budget, mentors, referrals and one talent language (badges open opportunities "
              "anywhere) across wijken", "LearningEcosystem._local_mask, _pay, unlock_opportunities",
              "levers.clubs.connected", "§3 verbonden met andere leerclubs"),
    Mechanism("peer_groups", "Peergroepen", "Peer groups",
              "hosts run peer-to-peer learning groups; members move up a level", "Host.step",
              "levers.peer_groups.enabled", "§3 peer-to-peer learning groups"),
    Mechanism("learners_become_teachers", "Lerenden worden leraar", "Learners become teachers",
              "with matchmaking, residents at zelf doen start offers of their own",
              "LearningEcosystem.learners_become_teachers", "levers.peer_groups.matchmaking", "§3 lerenden worden leraar"),
    Mechanism("central_site", "Centrale leerplek", "Central site",
              "permanent providers and guests hold part of their offer in the site's rooms, timetabled within "
              "opening hours", "model.site.plan_site", "levers.central_site.enabled", "§2.1 Regina Mundi"),
    Mechanism("playlists", "Playlists", "Playlists", "curated online playlists: no travel, need digital access",
              "model.offers.playlist_offers", "levers.playlists.enabled", "§2.2 LRNG playlists"),
    Mechanism("referral_partnerships", "Doorverwijspartners", "Referral partnerships",
              "with the shared overview, a provider whose completers find no next step with it partners the provider "
              "of the nearest next-level offer in the theme; its completers are handed over there first, and take "
              "that step at once more often", "LearningEcosystem.form_partnerships, LearningEcosystem.refer",
              "levers.wegwijzer.shared_overview (with levers.providers.adaptation)",
              "§1 organisaties verwijzen lerenden naar elkaar door"),
    Mechanism("provider_adaptation", "Aanbieders passen aan", "Providers adapt",
              "each review period providers grow offers with waiting lists, shrink empty ones and add a next step "
              "where completers find none", "Provider.step", "levers.providers.adaptation",
              "§1 organisaties stemmen hun aanbod af"),
)

MECHANISMS: dict[str, Mechanism] = {m.name: m for m in _ALL}
"""Every switchable mechanism by name (the names ``run.knock_out`` accepts)."""

__all__ = ["MECHANISMS", "Mechanism"]
