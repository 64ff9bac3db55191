"""The agents of the learning ecosystem that act on their own: providers, mentors, hosts, clubs.

They are few (about 150 providers, a few dozen mentors and hosts, one club per wijk),
so each is a Mesa agent with its own ``step``, called by the model's weekly schedule.

Residents are *not* agent objects: they are the array-backed population of
:mod:`model.population` (one row per resident) and their rules are written once for a
batch of rows in :class:`model.model.LearningEcosystem` (choice, taking part, progress).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from model.domain import Level, ProviderType

if TYPE_CHECKING:  # pragma: no cover
    from model.model import LearningEcosystem

#: A follow-on offer starts with this share of the places of the offer it follows.
FOLLOW_ON_SHARE = 0.5


class Provider(mesa.Agent):
    """A provider (aanbieder): school, academy, library, youth work, club, company, ...

    Every review period (``levers.providers.review_weeks``) it tunes its offer to what
    learners asked of it (seed §1: organisations "stemmen hun aanbod af op de vragen van
    de lerenden"): it grows offers that turned people away, within the growth limit; it
    shrinks offers nobody took and drops those left with no places; where its
    completers found no next step it adds a follow-on offer one level up; and with the
    shared overview it forms referral partnerships with the providers of the next step
    (:meth:`LearningEcosystem.form_partnerships`).
    """

    model: "LearningEcosystem"

    def __init__(self, model: "LearningEcosystem", name: str, provider_type: ProviderType, site_role: str | None = None):
        super().__init__(model)
        self.name = name
        self.provider_type = provider_type
        self.offers: list[int] = []
        self.site_role = site_role  # "permanent", "guest", "newcomer", "workshop" or None
        self.followed_up: set[int] = set()
        self.index = -1  # position in the model's provider list (set by the model)

    def step(self) -> None:
        """Review the offer: grow where people waited, shrink where nobody came, add a next step.

        The schedule (``LearningEcosystem.step``) calls this every review period, when
        adaptation is on and not knocked out; the tallies it reads cover that period.
        """
        model = self.model
        ps = model.levers.providers
        if self.provider_type == ProviderType.RESIDENT:  # a learner's own offer is not reviewed
            return
        off = model.offers
        for k in list(self.offers):
            if not off.is_open(k, model.week):
                continue
            waited, came = model.review_waitlisted[k], model.review_enrolled[k]
            cap = off.capacity[k]
            if waited >= 1:  # whole places, at least one, at most the growth limit and what was asked
                off.capacity[k] = cap + max(1.0, math.floor(min(ps.growth_limit_share * cap, waited)))
                model.provider_changes["grown"] += 1
            elif came <= 0 and model.occupancy_of(k) <= 0:
                off.capacity[k] = cap * (1 - ps.growth_limit_share)
                model.provider_changes["shrunk"] += 1
                if off.capacity[k] < 1:
                    off.capacity[k] = 0.0
                    off.end_week[k] = model.week
                    model.provider_changes["dropped"] += 1
            if (k not in self.followed_up and off.level[k] < Level.ZELF_DOEN and model.review_stuck[k] > 0
                    and not model.has_next_step(k)):
                new = model.add_follow_on(self, k, FOLLOW_ON_SHARE)
                if new is not None:
                    self.followed_up.add(k)
                    model.provider_changes["follow_on"] += 1
        model.form_partnerships(self)  # with the shared overview: refer on to whoever offers the next step


def take_prefix(pool: np.ndarray, weight: np.ndarray, free: float) -> np.ndarray:
    """The longest front of ``pool`` whose summed ``weight`` fits in ``free`` places.

    Only a window of the pool is summed (a caseload or a group is small, a week's pool is
    not); a running sum is sequential, so the window's sums equal the whole pool's.
    """
    k = 64
    while True:
        head = pool[:k]
        n = int(np.searchsorted(np.cumsum(weight[head]), free + 1e-9, side="right"))
        if n < head.size or head.size == pool.size:
            return head[:n]
        k *= 4


def fill_fraction(agent: mesa.Agent, free: float, weight: float, rng: np.random.Generator) -> bool:
    """Whether the last fraction of a place (``free`` < one resident's ``weight``) is filled.

    Once per vacancy, with chance ``free / weight``: a simulated resident stands for ``weight``
    people, so a place a third as large is taken a third of the time, and the expected load is
    the true number of places at any population scale. A refused fraction is not drawn again
    until the vacancy changes (else it would be filled almost surely within weeks).
    """
    if abs(getattr(agent, "_refused_free", -1.0) - free) < 1e-9:
        return False
    if rng.random() < free / weight:
        agent._refused_free = -1.0
        return True
    agent._refused_free = free
    return False


class Mentor(mesa.Agent):
    """A mentor who knows the offer and helps compose a learning path, within their hours (seed §3)."""

    model: "LearningEcosystem"

    def __init__(self, model: "LearningEcosystem", places: float):
        super().__init__(model)
        self.places = float(places)  # residents (true scale) this mentor can guide at once

    def caseload(self) -> float:
        """Residents (true scale) this mentor guides now."""
        return self.model.mentor_load(self)

    def step(self) -> None:
        """Take on residents by the scenario's priority until the caseload is full."""
        model = self.model
        if not model.on("mentors"):
            return
        pool = model.mentor_candidates()
        free = self.places - self.caseload()
        if free <= 0 or pool.size == 0:
            return
        take = take_prefix(pool, model.pop.weight, free)
        if take.size == 0:
            take = pool[:1] if fill_fraction(self, free, model.pop.weight[pool[0]], model.streams["mentors"]) else take
        model.start_mentorship(take, self)


class Host(mesa.Agent):
    """A trained host of a peer-to-peer learning group (seed §3)."""

    model: "LearningEcosystem"

    def __init__(self, model: "LearningEcosystem", group_size: int):
        super().__init__(model)
        self.group_size = group_size

    def members(self) -> np.ndarray:
        """The residents in this host's group this week."""
        return self.model.host_members(self)

    def step(self) -> None:
        """Fill the group from residents at samen/zelf doen who want to join.

        (What members then learn from each other is one rule for every group, applied to all
        members at once after the hosts' turn: ``LearningEcosystem.peer_members_progress``.)
        """
        model = self.model
        if not model.on("peer_groups"):
            return
        pop = model.pop
        free = self.group_size - float(pop.weight[self.members()].sum())
        if free <= 0:
            return
        pool = model.peer_candidates()
        take = take_prefix(pool, pop.weight, free)
        if take.size == 0 and pool.size:
            take = pool[:1] if fill_fraction(self, free, pop.weight[pool[0]], model.streams["peer"]) else take
        model.join_peer_group(take, self)


class Club(mesa.Agent):
    """A learning club (leerclub) of one wijk: members and a club budget for paid offers (seed §3).

    With a priority other than ``first_come`` a share of each year's budget is kept for
    the priority group (the less autonomous, or those lowest on their path); the rest
    is open to every member who cannot pay. Budgets start afresh every 52 weeks.
    """

    model: "LearningEcosystem"

    def __init__(self, model: "LearningEcosystem", wijk: int, budget_eur: float, cap_per_member_eur: float,
                 reserved_share: float):
        super().__init__(model)
        self.wijk = wijk
        self.budget_eur = budget_eur
        self.cap_per_member_eur = cap_per_member_eur
        self.reserved_share = reserved_share
        self.reserved_left = self.open_left = 0.0
        self.new_year()

    def new_year(self) -> None:
        """The year's budget, part of it kept for the priority group."""
        self.reserved_left = self.budget_eur * self.reserved_share
        self.open_left = self.budget_eur - self.reserved_left

    @property
    def budget_left_eur(self) -> float:
        return self.reserved_left + self.open_left

    def can_pay(self, cost_eur: float, priority: bool) -> bool:
        """Whether the budget can pay this cost for a member (of the priority group or not)."""
        return cost_eur <= (self.budget_left_eur if priority else self.open_left) + 1e-9

    def pay_for(self, cost_eur: float, priority: bool) -> None:
        """Spend budget on a member's paid offer: the priority group from its reserve first."""
        if priority:
            from_reserve = min(cost_eur, self.reserved_left)
            self.reserved_left -= from_reserve
            cost_eur -= from_reserve
        self.open_left -= cost_eur

    def step(self) -> None:
        """A new budget year every 52 weeks: the budget and each member's cap start afresh."""
        if self.model.week > 1 and (self.model.week - 1) % 52 == 0:
            self.new_year()
            pop = self.model.pop
            pop.funded_eur[pop.wijk == self.wijk] = 0.0


__all__ = ["Club", "FOLLOW_ON_SHARE", "Host", "Mentor", "Provider", "fill_fraction", "take_prefix"]
