"""The one entry point that apps, studies and calibration call: :func:`run_scenario`.

Same scenario + seed (+ weeks, population scale) → identical results.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from model.domain import AGE_GROUPS, THEMES, Level
from model.indicators import INDICATORS
from model.scenario import Scenario, load_scenario
from model.site import visitors_by_block


@dataclass
class Results:
    """What one run produced, as tidy pandas frames plus an end-of-run summary."""

    scenario_name: str
    seed: int
    weeks: int
    population_scale: float
    summary: dict[str, float]
    weekly: pd.DataFrame  # week, indicator, value
    by_wijk: pd.DataFrame  # wijk, indicator, value
    by_group: pd.DataFrame  # grouping, group, indicator, value
    by_offer: pd.DataFrame  # one row per offer
    progression: pd.DataFrame  # theme, level, residents_start, residents_end (true scale)
    channels: pd.DataFrame  # channel, discoveries (true scale)
    uptake: pd.DataFrame = field(default_factory=pd.DataFrame)  # week, offer_id, wijk, age_group, participants, new_participants
    site: pd.DataFrame = field(default_factory=pd.DataFrame)  # sites' timetable: site_id, room, offer, sessions, places, uptake
    site_blocks: pd.DataFrame = field(default_factory=pd.DataFrame)  # site, room, day, hour: visitors (mean a week), places, crowding
    unscheduled: list[str] = field(default_factory=list)  # site offers that found no room hours
    knocked_out: list[str] = field(default_factory=list)  # mechanisms switched off in this run
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # levers that cannot bite in this scenario

    def frames(self) -> dict[str, pd.DataFrame]:
        return {"weekly": self.weekly, "by_wijk": self.by_wijk, "by_group": self.by_group, "by_offer": self.by_offer,
                "progression": self.progression, "channels": self.channels, "uptake": self.uptake, "site": self.site,
                "site_blocks": self.site_blocks}

    def wijk_table(self) -> pd.DataFrame:
        """Wide table: one row per wijk, one column per wijk indicator."""
        return self.by_wijk.pivot(index="wijk", columns="indicator", values="value")

    def to_row(self) -> dict[str, float]:
        return {"scenario": self.scenario_name, "seed": self.seed, "weeks": self.weeks,
                "population_scale": self.population_scale, **self.summary}


def _group_reach(pop, mask_groups: dict[str, np.ndarray], grouping: str) -> list[dict]:
    rows = []
    for group, mask in mask_groups.items():
        n = float(pop.weight[mask].sum())
        active = float(pop.weight[mask & pop.ever_active].sum())
        rows += [
            {"grouping": grouping, "group": group, "indicator": "residents", "value": n},
            {"grouping": grouping, "group": group, "indicator": "participants", "value": active},
            {"grouping": grouping, "group": group, "indicator": "reach", "value": 100 * active / n if n else 0.0},
        ]
    return rows


def collect_results(model) -> Results:
    """Turn a finished model into :class:`Results` (tidy frames, every count at true scale)."""
    pop = model.pop
    wt = pop.weight
    summary = {name: ind(model) for name, ind in INDICATORS.items()}
    weekly = model.datacollector.get_model_vars_dataframe().reset_index(names="step")
    weekly["week"] = weekly["step"] + 1
    weekly = weekly.drop(columns="step").melt(id_vars="week", var_name="indicator", value_name="value")

    # per wijk
    w = pop.wijk
    nw = model.n_wijken
    n_sim = np.bincount(w, minlength=nw).astype(float)
    n = np.bincount(w, weights=wt, minlength=nw)
    active = np.bincount(w, weights=wt * pop.ever_active, minlength=nw)
    exposed = np.bincount(w, weights=wt * pop.exposed, minlength=nw)
    low = np.bincount(w, weights=wt * pop.low_means, minlength=nw)
    low_active = np.bincount(w, weights=wt * (pop.ever_active & pop.low_means), minlength=nw)
    steps = np.bincount(w, weights=wt * (pop.level - pop.level_start).clip(min=0).sum(axis=1), minlength=nw)
    with np.errstate(invalid="ignore", divide="ignore"):
        wijk_values = {
            "residents": n, "simulated_residents": n_sim, "participants": active,
            "reach": np.where(n > 0, 100 * active / n, np.nan), "saw_it_done": np.where(n > 0, 100 * exposed / n, np.nan),
            "reach_low_means": np.where(low > 0, 100 * low_active / low, np.nan), "progression_steps": steps,
            "steps_per_100": np.where(n > 0, 100 * steps / n, np.nan),
        }
    by_wijk = pd.DataFrame({"wijk": np.repeat(model.wijk_names, len(wijk_values)),
                            "indicator": list(wijk_values) * nw,
                            "value": np.column_stack(list(wijk_values.values())).ravel()})

    # per group: age, means, autonomy
    ages = pop.age_group()
    groups = _group_reach(pop, {g[0]: ages == g[0] for g in AGE_GROUPS}, "age_group")
    groups += _group_reach(pop, {"low": pop.low_means, "other": ~pop.low_means}, "means")
    less = pop.autonomy < model.autonomy_median
    groups += _group_reach(pop, {"less_autonomous": less, "autonomous": ~less}, "autonomy")
    groups += [{"grouping": "opportunity", "group": kind, "indicator": "taken", "value": count}
               for kind, count in sorted(model.opportunities_by_kind.items())]
    by_group = pd.DataFrame(groups)

    off = model.offers
    by_offer = off.frame()
    m = off.n
    by_offer["participants"] = model.enrolments[:m]
    by_offer["completions"] = model.completions[:m]
    by_offer["waitlisted"] = model.waitlisted[:m]

    prog = []
    for t, theme in enumerate(THEMES):
        for level in Level:
            prog.append({"theme": theme.value, "level": level.slug,
                         "residents_start": float(wt[pop.level_start[:, t] == level].sum()),
                         "residents_end": float(wt[pop.level[:, t] == level].sum())})
    channels = pd.DataFrame([{"channel": c.value, "discoveries": v} for c, v in model.discoveries.items()])
    site = model.site_plan.frame()
    if not site.empty:
        index = {offer_id: k for k, offer_id in enumerate(off.ids[:m])}
        rows = [index.get(i, -1) for i in site["offer_id"]]
        site["participants"] = [model.enrolments[k] if k >= 0 else 0.0 for k in rows]
        site["waitlisted"] = [model.waitlisted[k] if k >= 0 else 0.0 for k in rows]
    uptake = model.uptake_frame()
    site_blocks = pd.DataFrame()
    if model.site_plan.bookings and model.taking_part_weekly:
        # every session of a site offer holds its learners: people in each room per hour, the mean over the
        # weeks the hour is booked, counted while they take part (not at the week's end, after completers left)
        site_ids = sorted({b.offer_id for b in model.site_plan.bookings})
        row_of = {offer_id: k for k, offer_id in enumerate(off.ids[:m])}
        cols = [(i, row_of[i]) for i in site_ids if i in row_of]
        taking_part = model.taking_part_by_week()
        by_week = pd.DataFrame({i: taking_part[:, k] for i, k in cols},
                               index=pd.RangeIndex(1, len(taking_part) + 1, name="week"))
        site_blocks = visitors_by_block(model.site_plan, by_week=by_week)
    return Results(model.scenario.name, int(model.run_seed), model.weeks, model.population_scale, summary, weekly,
                   by_wijk, by_group, by_offer, pd.DataFrame(prog), channels, uptake=uptake, site=site,
                   site_blocks=site_blocks, unscheduled=list(model.site_plan.unscheduled),
                   knocked_out=sorted(model.knocked_out))


def lever_warnings(scenario: Scenario) -> list[str]:
    """Levers set to values that cannot bite in this scenario, each naming its key and how to make it bite."""
    lv, out = scenario.levers, []

    def warn(key: str, why: str) -> None:
        out.append(f"{key}: {why}")

    if not lv.clubs.enabled and lv.clubs.budget_eur_per_year > 0:
        warn("levers.clubs.budget_eur_per_year", "a club budget is set but clubs are off (levers.clubs.enabled: false)")
    reserve_default = type(lv.clubs).model_fields["priority_reserved_share"].default
    if lv.clubs.enabled and lv.clubs.priority == "first_come" and lv.clubs.priority_reserved_share not in (0, reserve_default):
        warn("levers.clubs.priority_reserved_share", "nothing is reserved with priority first_come")
    if not lv.mentors.enabled and lv.mentors.hours_per_week > 0:
        warn("levers.mentors.hours_per_week", "mentor hours are set but mentors are off (levers.mentors.enabled: false)")
    if lv.mentors.enabled and lv.mentors.hours_per_week <= 0:
        warn("levers.mentors.hours_per_week", "mentors are on but have no hours")
    if not lv.peer_groups.enabled and (lv.peer_groups.n_hosts > 0 or lv.peer_groups.matchmaking):
        warn("levers.peer_groups.enabled", "hosts or matchmaking are set but peer groups are off")
    if not lv.badges.enabled and lv.badges.opportunity_places_per_year > 0:
        warn("levers.badges.opportunity_places_per_year", "opportunities need badges (levers.badges.enabled: true)")
    sites = [("levers.central_site", lv.central_site)] + [(f"levers.sites[{i}]", site) for i, site in enumerate(lv.sites)]
    for key, site in sites:
        if site.enabled:
            if site.opening_hours_per_week <= 0:
                warn(f"{key}.opening_hours_per_week", "the site is never open: nothing can happen in its rooms")
            if not (site.permanent_providers or site.guest_providers or any(o.place.site_key == site.id for o in lv.offers)):
                warn(key, "the site is enabled but nobody holds an offer there (no permanent providers, guests "
                     "or offers placed at the site)")
            biggest = max((r.capacity for r in site.rooms), default=0)
            if biggest > 0 and site.showcase_visitors_per_event > 0 and not any(r.kind == "showcase_space" for r in site.rooms):
                warn(f"{key}.rooms", "showcases are planned but the site has no showcase_space room; they use the "
                     "largest room")
        elif site.showcase_events_per_month > 0 and (site.permanent_providers or site.guest_providers):
            warn(f"{key}.enabled", "providers and showcases are set for a site that is off")
    for i, offer in enumerate(lv.offers):
        if offer.start_week > scenario.run.weeks:
            warn(f"levers.offers[{i}].start_week", f"offer {offer.id!r} starts in week {offer.start_week}, after the "
                 f"run's last week ({scenario.run.weeks}); it can never be taken")
    if not lv.playlists.enabled and lv.playlists.n_playlists != 10 and lv.playlists.n_playlists > 0:
        warn("levers.playlists.n_playlists", "playlists are off (levers.playlists.enabled: false)")
    return out


def run_scenario(scenario: Scenario | str | Path, seed: int = 0, weeks: int | None = None,
                 population_scale: float | None = None, progress: Callable[[int, int], None] | None = None,
                 geography=None, knock_out: list[str] | tuple[str, ...] | None = None) -> Results:
    """Run one scenario for one seed and return its results.

    Args:
        scenario: a :class:`Scenario`, a scenario name in ``scenarios/`` or a YAML path.
        seed: the run's seed; the only source of randomness.
        weeks: weeks to simulate (default: the scenario's ``run.weeks``).
        population_scale: share of Genk's residents simulated (default: ``run.population_scale``).
        progress: called as ``progress(week, weeks)`` after each week.
        geography: a geography object (default: the bundled Genk, loaded once per process).
        knock_out: mechanisms to switch off (names of :data:`model.mechanisms.MECHANISMS`), on top
            of the scenario's ``run.knock_out``.
    """
    from model.model import LearningEcosystem

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    t0 = time.perf_counter()
    model = LearningEcosystem(scenario, seed=seed, geography=geography, population_scale=population_scale, weeks=weeks,
                              knock_out=knock_out)
    t1 = time.perf_counter()
    model.run(progress)
    t2 = time.perf_counter()
    results = collect_results(model)
    results.timings = {"setup_s": t1 - t0, "steps_s": t2 - t1, "collect_s": time.perf_counter() - t2,
                       "residents": model.pop.n}
    results.warnings = lever_warnings(scenario)
    return results
