"""Indicators: small named functions that count what agents did.

The same names serve as DataCollector keys, study outputs, results columns and app
labels (with Dutch display names and a one-line meaning). Agents never increment
shared counters; each indicator reads the model's state.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from model.domain import Level

if TYPE_CHECKING:  # pragma: no cover
    from model.model import LearningEcosystem


@dataclass(frozen=True)
class Indicator:
    name: str
    label_nl: str
    label_en: str
    unit: str
    meaning_nl: str
    meaning_en: str
    higher_is_better: bool | None
    fn: Callable[["LearningEcosystem"], float]

    def __call__(self, model: "LearningEcosystem") -> float:
        return float(self.fn(model))

    def label(self, lang: str = "nl") -> str:
        return self.label_nl if lang == "nl" else self.label_en

    def meaning(self, lang: str = "nl") -> str:
        return self.meaning_nl if lang == "nl" else self.meaning_en


INDICATORS: dict[str, Indicator] = {}


def indicator(name: str, nl: str, en: str, unit: str, meaning_nl: str, meaning_en: str, higher_is_better: bool | None = True):
    """Register a model-level indicator function under ``name``."""

    def wrap(fn: Callable[["LearningEcosystem"], float]) -> Callable[["LearningEcosystem"], float]:
        INDICATORS[name] = Indicator(name, nl, en, unit, meaning_nl, meaning_en, higher_is_better, fn)
        return fn

    return wrap


def _share(model: "LearningEcosystem", mask: np.ndarray, within: np.ndarray | None = None) -> float:
    """Weighted share of residents (each simulated resident stands for ``weight`` residents)."""
    w = model.pop.weight
    if within is not None:
        mask, w = mask[within], w[within]
        total = float(w.sum())
    else:
        total = model.total_weight
    return float((w * mask).sum() / total) if total > 0 else 0.0


def _group_share(model: "LearningEcosystem", group: str) -> float:
    """Weighted reach within one of the model's fixed groups (means, autonomy): their weights are summed once."""
    weight, total = model.group_weights(group)
    return float((weight * model.pop.ever_active).sum() / total) if total > 0 else 0.0


def _total(model: "LearningEcosystem", values: np.ndarray) -> float:
    """Sum over residents at true scale (weighted)."""
    return float((model.pop.weight * values).sum())


# --------------------------------------------------------------------------- reach and gaps
@indicator("reach", "Bereik", "Reach", "%", "aandeel bewoners dat minstens één keer deelnam aan een aanbod (ingeschreven)",
           "share of residents who took part in an offer at least once (enrolled)")
def reach(model: "LearningEcosystem") -> float:
    return 100 * _share(model, model.pop.ever_active)


@indicator("saw_it_done", "Zag het doen", "Saw it done", "%", "aandeel bewoners dat een toonmoment bijwoonde (blootstelling, geen deelname)",
           "share of residents who attended a showcase (exposure, not taking part)", higher_is_better=None)
def saw_it_done(model: "LearningEcosystem") -> float:
    return 100 * _share(model, model.pop.exposed)


@indicator("participants", "Deelnemers", "Participants", "bewoners", "bewoners die minstens één keer deelnamen (op ware schaal)",
           "residents who took part at least once (at true scale)")
def participants(model: "LearningEcosystem") -> float:
    return _total(model, model.pop.ever_active)


@indicator("active_now", "Nu actief", "Active now", "%", "aandeel bewoners dat deze week deelneemt",
           "share of residents taking part this week")
def active_now(model: "LearningEcosystem") -> float:
    return 100 * _share(model, model.pop.enrolled >= 0)


@indicator("participation_gap_means", "Deelnamekloof middelen", "Participation gap (means)", "%-punt",
           "bereik bij andere bewoners min bereik bij bewoners met lage middelen",
           "reach among other residents minus reach among low-means residents", higher_is_better=False)
def participation_gap_means(model: "LearningEcosystem") -> float:
    return 100 * (_group_share(model, "other_means") - _group_share(model, "low_means"))


@indicator("participation_gap_autonomy", "Deelnamekloof autonomie", "Participation gap (autonomy)", "%-punt",
           "bereik bij zelfstandige bewoners min bereik bij minder zelfstandige",
           "reach among autonomous residents minus reach among less autonomous ones", higher_is_better=False)
def participation_gap_autonomy(model: "LearningEcosystem") -> float:
    return 100 * (_group_share(model, "autonomous") - _group_share(model, "less_autonomous"))


@indicator("participation_gap_wijken", "Deelnamekloof wijken", "Participation gap (wijken)", "%-punt",
           "bereik in het best bereikte kwart van de wijken min het minst bereikte kwart (gecorrigeerd voor steekproefruis)",
           "reach in the best-reached quarter of wijken minus the least-reached quarter (corrected for sampling noise)",
           higher_is_better=False)
def participation_gap_wijken(model: "LearningEcosystem") -> float:
    rates, n, residents = reach_by_wijk(model, with_counts=True)
    if rates.size < 4:
        return 0.0
    # A wijk of a few dozen simulated residents has a noisy reach, and the quarter statistic
    # picks the extremes of that noise. Deconvolve: shrink each wijk towards the town's reach by
    # its sampling variance (empirical Bayes), then stretch the shrunk values so that their spread
    # equals the estimated spread of the true reach (constrained Bayes, Louis 1984), so that a
    # small run estimates the town's gap. With many residents per wijk the noise is ~0 and
    # nothing changes.
    weights = residents / residents.sum()
    mean = float((rates * weights).sum())
    noise = rates * (1 - rates) / np.maximum(n, 1)
    spread = max(float((weights * (rates - mean) ** 2).sum() - (weights * noise).sum()), 0.0)
    if spread <= 0:
        return 0.0
    shrunk = mean + (rates - mean) * (spread / (spread + noise))
    var_shrunk = float((weights * (shrunk - mean) ** 2).sum())
    adjusted = mean + (shrunk - mean) * np.sqrt(spread / var_shrunk) if var_shrunk > 0 else shrunk
    ordered = np.sort(adjusted)
    q = max(1, ordered.size // 4)
    return 100 * float(ordered[-q:].mean() - ordered[:q].mean())


def reach_by_wijk(model: "LearningEcosystem", with_counts: bool = False):
    """Reach (share) per wijk index, over wijken with residents (and the simulated and true residents per wijk)."""
    pop = model.pop
    n_sim = np.bincount(pop.wijk, minlength=model.n_wijken).astype(float)
    n = np.bincount(pop.wijk, weights=pop.weight, minlength=model.n_wijken)
    active = np.bincount(pop.wijk, weights=pop.weight * pop.ever_active, minlength=model.n_wijken)
    has = n > 0
    rates = active[has] / n[has]
    return (rates, n_sim[has], n[has]) if with_counts else rates


# --------------------------------------------------------------------------- progression
@indicator("progression_steps", "Stappen vooruit", "Steps of progress", "stappen", "stappen omhoog op een leerpad (op ware schaal)",
           "steps up a learning path (at true scale)")
def progression_steps(model: "LearningEcosystem") -> float:
    return _total(model, model.steps_up())


@indicator("share_samen_doen", "Samen doen bereikt", "Reached samen doen", "%", "aandeel bewoners op minstens samen doen in een thema",
           "share of residents at samen doen or higher in some theme")
def share_samen_doen(model: "LearningEcosystem") -> float:
    return 100 * _share(model, model.max_level() >= Level.SAMEN_DOEN)


@indicator("share_zelf_doen", "Zelf doen bereikt", "Reached zelf doen", "%", "aandeel bewoners op zelf doen in een thema",
           "share of residents at zelf doen in some theme")
def share_zelf_doen(model: "LearningEcosystem") -> float:
    return 100 * _share(model, model.max_level() >= Level.ZELF_DOEN)


# --------------------------------------------------------------------------- badges, budget, mentors
@indicator("badges_earned", "Badges behaald", "Badges earned", "badges", "badges behaald (op ware schaal)", "badges earned (at true scale)")
def badges_earned(model: "LearningEcosystem") -> float:
    return _total(model, model.pop.badges)


@indicator("opportunities_taken", "Kansen benut", "Opportunities taken", "plaatsen", "stages, workshops en coaching benut (op ware schaal)",
           "internships, workshops and coaching taken up (at true scale)")
def opportunities_taken(model: "LearningEcosystem") -> float:
    return _total(model, model.pop.opportunities)


@indicator("budget_spent_eur", "Budget besteed", "Budget spent", "EUR", "clubbudget besteed aan betalend aanbod",
           "club budget spent on paid offers", higher_is_better=None)
def budget_spent_eur(model: "LearningEcosystem") -> float:
    return model.budget_spent_eur


@indicator("budget_to_less_autonomous", "Budget naar minder autonomen", "Budget to the less autonomous", "%",
           "aandeel van het besteed clubbudget dat naar de minder autonome helft ging",
           "share of the club budget spent that went to the less autonomous half", higher_is_better=None)
def budget_to_less_autonomous(model: "LearningEcosystem") -> float:
    spent = model.budget_spent_eur
    return 100.0 * model.budget_spent_less_autonomous_eur / spent if spent > 0 else 0.0


@indicator("cost_per_participant_eur", "Kost per deelnemer", "Cost per participant", "EUR",
           "besteed budget per bewoner die deelnam", "budget spent per resident who took part", higher_is_better=False)
def cost_per_participant_eur(model: "LearningEcosystem") -> float:
    n = participants(model)
    return model.budget_spent_eur / n if n else 0.0


@indicator("cost_per_step_eur", "Kost per stap", "Cost per step", "EUR", "besteed budget per stap vooruit op een leerpad",
           "budget spent per step of progress", higher_is_better=False)
def cost_per_step_eur(model: "LearningEcosystem") -> float:
    n = progression_steps(model)
    return model.budget_spent_eur / n if n else 0.0


@indicator("mentor_utilisation", "Benutting mentoren", "Mentor utilisation", "%", "aandeel mentoruren in gebruik (gemiddeld per week)",
           "share of mentor hours in use (weekly mean)", higher_is_better=None)
def mentor_utilisation(model: "LearningEcosystem") -> float:
    return 100 * model.mentor_utilisation_mean()


@indicator("mean_travel_minutes", "Reistijd deelnemers", "Participants' travel time", "min",
           "gemiddelde reistijd van een deelname (offline aanbod)", "mean travel time of a participation (offline offers)", higher_is_better=False)
def mean_travel_minutes(model: "LearningEcosystem") -> float:
    return model.mean_travel_minutes()


@indicator("waiting_list", "Wachtlijst", "Waiting list", "bewoners", "gemiddeld aantal bewoners per week dat een volle plaats vindt en op de wachtlijst komt (op ware schaal)",
           "mean residents per week who find an offer full and join its waiting list (at true scale)", higher_is_better=False)
def waiting_list(model: "LearningEcosystem") -> float:
    return model.waitlist_mean()


@indicator("learners_turned_teachers", "Lerenden die leraar werden", "Learners turned teachers", "bewoners",
           "bewoners die zelf aanbod startten (op ware schaal)", "residents who started an offer of their own (at true scale)")
def learners_turned_teachers(model: "LearningEcosystem") -> float:
    return _total(model, model.pop.is_teacher)


@indicator("playlists_started", "Playlists gestart", "Playlists started", "keer", "playlists gestart (op ware schaal)",
           "playlists started (at true scale)")
def playlists_started(model: "LearningEcosystem") -> float:
    return model.playlists_started


@indicator("playlists_completed", "Playlists voltooid", "Playlists completed", "keer", "playlists voltooid (op ware schaal)",
           "playlists completed (at true scale)")
def playlists_completed(model: "LearningEcosystem") -> float:
    return model.playlists_completed


INDICATOR_NAMES: tuple[str, ...] = tuple(INDICATORS)


#: Direction of the per-wijk indicators of :meth:`model.run.Results.wijk_table` (None: no better or worse).
WIJK_DIRECTIONS: dict[str, bool | None] = {
    "residents": None, "simulated_residents": None, "participants": True, "reach": True, "reach_low_means": True,
    "progression_steps": True, "steps_per_100": True,
}
