"""The residents of Genk as arrays: who they are, where they live, what they know and do.

Residents are an **array-backed population**: one row per simulated resident, no Mesa
agent object each (65,463 objects would cost more to create than a year of the model
takes to run). Their rules are written once, for a batch of rows, as the methods of
:class:`model.model.LearningEcosystem` (``look_for_next_step``, ``take_part``, ...);
a rule for one resident is the same code with a batch of one.

**Weighted residents.** A run simulates ``population_scale`` of Genk, but never fewer
than ``min_residents_per_wijk`` residents in a wijk (when it has that many): residents
are drawn per wijk (stratified) and each carries a ``weight`` = the wijk's residents
(the addresses' expected residents, summing to Statbel's 65,463) ÷ the wijk's simulated
residents. Every count is a sum of weights, every share a weighted mean, every capacity
is in true places (a participant of weight 20 takes 20 places), so a small run
estimates the whole town rather than a town of a few thousand, and small wijken are
not left to a dozen residents.

Synthesis (each an assumption, documented in ``model/README.md``):
- homes: CRAB address points drawn with the geography's weights (population per
  address), so the population per wijk follows the best data bundled;
- age: Statbel 2015 single-year age structure of Genk;
- interests over the five themes: Dirichlet(0.8), so most people have one or two
  favourite themes;
- curiosity ~ Beta(2, 2); autonomy ~ Beta with the scenario's mean, lower for
  low-means residents and for children under 12 (they depend on parents);
- means: a share ``low_means_share`` cannot pay for paid offers;
- digital access: ``digital_access_share``, lower for 65+ (x0.6) and low means (x0.85);
- travel mode: children under 12 walk, 12-17 bike, adults by car/bike/walk
  (60/25/15 %, low means 35/40/25 %), 65+ walk or car (50/50);
- friends: ``friends_per_resident`` random others of the same wijk and age group;
- learning path: most start at "geen"; some already at zien doen or samen doen in
  their favourite theme (adults more often).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.domain import AGE_GROUPS, THEMES, Level, Mode

MODES: tuple[Mode, ...] = (Mode.WALK, Mode.BIKE, Mode.CAR)


@dataclass
class Population:
    """One row per simulated resident."""

    address: np.ndarray  # int: address_id of the home
    weight: np.ndarray  # float: residents of Genk this simulated resident stands for
    home_row: np.ndarray  # int: row of the home in the travel-time matrices
    wijk: np.ndarray  # int: index into the model's wijk names
    age: np.ndarray  # int years
    interests: np.ndarray  # (n, 5) float, rows sum to 1
    curiosity: np.ndarray  # 0-1
    autonomy: np.ndarray  # 0-1
    low_means: np.ndarray  # bool
    digital: np.ndarray  # bool
    mode: np.ndarray  # int index into MODES
    max_travel: np.ndarray  # minutes
    friends: np.ndarray  # (n, k) int, -1 = none
    level: np.ndarray  # (n, 5) int8
    level_start: np.ndarray  # (n, 5) int8
    # dynamic state
    enrolled: np.ndarray  # int offer index, -1 = none
    weeks_left: np.ndarray
    ever_active: np.ndarray  # bool: took part (enrolled in an offer or a peer group) at least once
    exposed: np.ndarray  # bool: attended a showcase (zag het doen) at least once
    participations: np.ndarray  # int
    completions: np.ndarray  # int
    badges: np.ndarray  # int earned
    badges_unused: np.ndarray  # int
    opportunities: np.ndarray  # int taken
    mentored_until: np.ndarray  # int last week of the mentorship; 0 = never mentored, -1 = mentorship ended
    peer_until: np.ndarray  # int week
    is_teacher: np.ndarray  # bool
    club_member: np.ndarray  # bool
    funded_eur: np.ndarray  # float: paid by the club budget this year
    waiting: np.ndarray  # int offer index on whose waiting list one stands, -1 none

    @property
    def n(self) -> int:
        return int(self.age.size)

    @property
    def is_child(self) -> np.ndarray:
        return self.age < 12

    @property
    def mentored(self) -> np.ndarray:
        return self.mentored_until != 0

    def age_group(self) -> np.ndarray:
        labels = np.array([g[0] for g in AGE_GROUPS], dtype=object)
        edges = np.array([g[2] for g in AGE_GROUPS[:-1]])
        return labels[np.searchsorted(edges, self.age, side="left")]

    def frame(self, wijk_names: list[str]) -> pd.DataFrame:
        """One row per resident: the state a researcher looks at."""
        top = self.interests.argmax(axis=1)
        return pd.DataFrame({
            "address_id": self.address, "weight": self.weight, "wijk": np.asarray(wijk_names, dtype=object)[self.wijk], "age": self.age,
            "age_group": self.age_group(), "low_means": self.low_means, "digital": self.digital,
            "mode": [MODES[m].value for m in self.mode], "autonomy": self.autonomy, "curiosity": self.curiosity,
            "favourite_theme": [THEMES[t].value for t in top], "max_level": self.level.max(axis=1),
            "ever_active": self.ever_active, "exposed": self.exposed, "participations": self.participations, "badges": self.badges,
            "opportunities": self.opportunities, "mentored": self.mentored, "is_teacher": self.is_teacher,
        })


def _draw_modes(rng: np.random.Generator, age: np.ndarray, low_means: np.ndarray) -> np.ndarray:
    n = age.size
    u = rng.random(n)
    mode = np.full(n, MODES.index(Mode.CAR), dtype=np.int8)
    adult_car, adult_bike = np.where(low_means, 0.35, 0.60), np.where(low_means, 0.40, 0.25)
    mode[(u >= adult_car) & (u < adult_car + adult_bike)] = MODES.index(Mode.BIKE)
    mode[u >= adult_car + adult_bike] = MODES.index(Mode.WALK)
    old = age >= 65
    mode[old] = np.where(u[old] < 0.5, MODES.index(Mode.CAR), MODES.index(Mode.WALK))
    mode[age < 18] = MODES.index(Mode.BIKE)
    mode[age < 12] = MODES.index(Mode.WALK)
    return mode


def _friends(rng: np.random.Generator, wijk: np.ndarray, age: np.ndarray, mean_friends: float) -> np.ndarray:
    """Each resident's local friends: random others of the same wijk and age group."""
    n = wijk.size
    k = int(np.ceil(mean_friends))
    if k == 0 or n < 2:
        return np.full((n, 0), -1, dtype=np.int32)
    band = np.searchsorted(np.array([12, 18, 25, 45, 65]), age, side="right")
    block = wijk.astype(np.int64) * 8 + band
    order = np.lexsort((rng.random(n), block))
    sorted_block = block[order]
    starts = np.searchsorted(sorted_block, sorted_block, side="left")
    ends = np.searchsorted(sorted_block, sorted_block, side="right")
    size = ends - starts
    picks = starts[:, None] + (rng.random((n, k)) * size[:, None]).astype(np.int64)
    friends = np.empty((n, k), dtype=np.int32)
    friends[order] = order[picks]
    # fractional mean: drop the last column for a share of residents; no self-friendship
    if mean_friends < k:
        drop = rng.random(n) > (mean_friends - (k - 1))
        friends[drop, k - 1] = -1
    friends[friends == np.arange(n)[:, None]] = -1
    block_size = np.empty(n, dtype=np.int64)
    block_size[order] = size
    friends[block_size <= 1] = -1
    return friends


def residents_per_wijk(true_residents: np.ndarray, population_scale: float, min_per_wijk: int) -> np.ndarray:
    """Simulated residents per wijk: the scaled count, at least ``min_per_wijk``, at most the wijk's residents."""
    true_residents = np.asarray(true_residents, dtype=float)
    n = np.maximum(np.round(true_residents * population_scale), min_per_wijk)
    n = np.minimum(n, np.ceil(true_residents))
    return np.where(true_residents > 0, np.maximum(n, 1), 0).astype(np.int64)


def synthesize(geography, uncertainties, population_scale: float, n_total: int, wijk_index: dict[str, int],
               rng: np.random.Generator, min_per_wijk: int = 0) -> tuple[Population, np.ndarray]:
    """Draw the simulated residents per wijk; returns them and the unique home addresses (rows of the travel matrices)."""
    u = uncertainties
    addresses = geography.addresses
    weights = addresses["weight"].to_numpy(dtype=float)
    weights = weights * (n_total / weights.sum())
    address_wijk = np.array([wijk_index[w] for w in addresses["wijk"].to_numpy()], dtype=np.int32)
    per_wijk_true = np.bincount(address_wijk, weights=weights, minlength=len(wijk_index))
    per_wijk_sim = residents_per_wijk(per_wijk_true, population_scale, min_per_wijk)
    parts = []
    for w in np.flatnonzero(per_wijk_sim):
        rows = np.flatnonzero(address_wijk == w)
        parts.append(rng.choice(rows, size=int(per_wijk_sim[w]), p=weights[rows] / weights[rows].sum()))
    address = np.sort(np.concatenate(parts))  # residents ordered by home: neighbours are near in memory
    n = address.size
    homes, home_row = np.unique(address, return_inverse=True)
    wijk = address_wijk[address]
    weight = (per_wijk_true / np.maximum(per_wijk_sim, 1))[wijk]

    pop_table = geography.population.groupby("age")["count"].sum()
    ages = pop_table.index.to_numpy(dtype=int)
    age = rng.choice(ages, size=n, p=pop_table.to_numpy(dtype=float) / pop_table.sum())

    interests = rng.dirichlet(np.full(len(THEMES), 0.8), size=n)
    curiosity = rng.beta(2.0, 2.0, size=n)
    low_means = rng.random(n) < u.low_means_share
    mean = np.clip(u.autonomy_mean - np.where(low_means, u.low_means_autonomy_penalty, 0.0) - np.where(age < 12, 0.1, 0.0), 0.02, 0.98)
    concentration = 6.0
    autonomy = rng.beta(mean * concentration, (1 - mean) * concentration)
    digital_p = u.digital_access_share * np.where(age >= 65, 0.6, 1.0) * np.where(low_means, 0.85, 1.0)
    digital = rng.random(n) < digital_p
    mode = _draw_modes(rng, age, low_means)
    max_travel = np.where(age < 12, u.max_travel_minutes_child, u.max_travel_minutes_adult).astype(np.float32)
    friends = _friends(rng, wijk, age, u.friends_per_resident)

    level = np.zeros((n, len(THEMES)), dtype=np.int8)
    fav = interests.argmax(axis=1)
    r = rng.random(n)
    start = np.where(r < np.where(age >= 18, 0.10, 0.05), Level.SAMEN_DOEN, np.where(r < 0.35, Level.ZIEN_DOEN, Level.GEEN))
    level[np.arange(n), fav] = start

    def zeros(dtype=np.int32):
        return np.zeros(n, dtype=dtype)

    pop = Population(
        address=address, weight=weight, home_row=home_row.astype(np.int64), wijk=wijk, age=age.astype(np.int16), interests=interests,
        curiosity=curiosity, autonomy=autonomy, low_means=low_means, digital=digital, mode=mode, max_travel=max_travel,
        friends=friends, level=level, level_start=level.copy(), enrolled=np.full(n, -1, dtype=np.int32), weeks_left=zeros(),
        ever_active=zeros(bool), exposed=zeros(bool), participations=zeros(), completions=zeros(), badges=zeros(), badges_unused=zeros(),
        opportunities=zeros(), mentored_until=zeros(), peer_until=zeros(), is_teacher=zeros(bool), club_member=zeros(bool),
        funded_eur=zeros(float), waiting=np.full(n, -1, dtype=np.int32),
    )
    return pop, homes
