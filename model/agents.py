"""The agents and entities of the learning ecosystem (nouns of ../shared/DOMAIN.md).

Residents, providers, mentors and hosts are Mesa agents. A resident's state lives in
the model's :class:`model.population.Population` arrays (one row per resident) so that
the model can decide for all residents at once; the agent object is the resident's
identity and reads its row. Each method states its rule in domain words and delegates
to the model's batched rule with a one-row batch, so the single-agent and the batched
path are the same code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from model.domain import THEMES, Level, Opportunity, ProviderType, Theme

if TYPE_CHECKING:  # pragma: no cover
    from model.model import LearningEcosystem


class Resident(mesa.Agent):
    """A resident (learner) of Genk with a home, interests and a learning path (leerpad)."""

    model: "LearningEcosystem"

    def __init__(self, model: "LearningEcosystem", index: int):
        super().__init__(model)
        self.index = index

    @property
    def age(self) -> int:
        return int(self.model.pop.age[self.index])

    @property
    def wijk(self) -> str:
        return self.model.wijk_names[self.model.pop.wijk[self.index]]

    @property
    def learning_path(self) -> dict[Theme, Level]:
        """The level reached per theme: geen → zien doen → samen doen → zelf doen."""
        return {theme: Level(int(v)) for theme, v in zip(THEMES, self.model.pop.level[self.index])}

    @property
    def low_means(self) -> bool:
        return bool(self.model.pop.low_means[self.index])

    @property
    def enrolled_offer(self) -> str | None:
        k = int(self.model.pop.enrolled[self.index])
        return self.model.offers.ids[k] if k >= 0 else None

    def known_offers(self) -> list[str]:
        return [self.model.offers.ids[k] for k in np.flatnonzero(self.model.known[self.index, : self.model.offers.n])]

    def look_for_next_step(self) -> bool:
        """Choose among known offers this week (interest, level, travel, price, friends, capacity)."""
        return bool(self.model.look_for_next_step(np.array([self.index])).size)


class Provider(mesa.Agent):
    """A provider (aanbieder): school, academy, library, youth work, club, company, ..."""

    model: "LearningEcosystem"

    def __init__(self, model: "LearningEcosystem", name: str, provider_type: ProviderType, site_role: str | None = None):
        super().__init__(model)
        self.name = name
        self.provider_type = provider_type
        self.offers: list[int] = []
        self.site_role = site_role  # "permanent", "guest" or None (central site)

    @property
    def knows_others(self) -> bool:
        """Whether this provider knows and shows the others' current offer (wegwijzer)."""
        return self.model.scenario.levers.wegwijzer.shared_overview

    @property
    def referral_partners(self) -> list["Provider"]:
        """Providers this one refers to without a shared overview: those with offers in the same wijk."""
        model = self.model
        offer_wijk = model._offer_wijk()
        wijken = {int(offer_wijk[k]) for k in self.offers} - {-1}
        partners = {int(model.offer_provider[k]) for k in range(model.offers.n) if int(offer_wijk[k]) in wijken}
        return [p for i, p in enumerate(model.provider_list) if i in partners and p is not self]

    def refer(self, resident: Resident) -> str | None:
        """Point a participant to a fitting next step: own offers, or everyone's with the wegwijzer."""
        learned = self.model.refer(np.array([resident.index]), prob=1.0)
        return self.model.offers.ids[learned[0]] if learned.size and learned[0] >= 0 else None


class Mentor(mesa.Agent):
    """A mentor who knows the offer and helps compose a learning path, within their hours."""

    model: "LearningEcosystem"

    def __init__(self, model: "LearningEcosystem", slots: int):
        super().__init__(model)
        self.slots = slots
        self.caseload: set[int] = set()

    @property
    def free_slots(self) -> int:
        return self.slots - len(self.caseload)

    def take_on(self, resident: Resident) -> bool:
        """Take a resident into the caseload if there is room."""
        if self.free_slots <= 0:
            return False
        self.model.start_mentorship(np.array([resident.index]), [self])
        return True


class Host(mesa.Agent):
    """A trained host of a peer-to-peer learning group."""

    model: "LearningEcosystem"

    def __init__(self, model: "LearningEcosystem", group_size: int):
        super().__init__(model)
        self.group_size = group_size


@dataclass
class Club:
    """A learning club (leerclub) of one wijk: a club room, members and a club budget."""

    wijk: str
    budget_eur: float
    cap_per_member_eur: float
    budget_left_eur: float = field(init=False)
    linked_clubs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.budget_left_eur = self.budget_eur

    def can_pay(self, price_eur: float, already_funded_eur: float) -> bool:
        """Whether the budget can still pay this price for a member within the cap."""
        return price_eur <= self.budget_left_eur and already_funded_eur + price_eur <= self.cap_per_member_eur

    def pay_for(self, price_eur: float) -> None:
        """Spend budget on a member's paid offer."""
        self.budget_left_eur -= price_eur


@dataclass(frozen=True)
class Playlist:
    """A curated online sequence (video, podcast, game, online test, offline assignment)."""

    offer_index: int
    theme: Theme
    items: tuple[str, ...] = ("video", "podcast", "game", "online test", "offline assignment")


@dataclass(frozen=True)
class Badge:
    """An open badge earned on completion; it unlocks a limited real-world opportunity."""

    theme: Theme
    unlocks: Opportunity
