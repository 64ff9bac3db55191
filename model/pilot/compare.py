"""Observed uptake next to the model's prediction bands: per offer, wijk, age group and week.

What is compared (*wat vergeleken wordt*):

- **Observed** is a canonical uptake table (``docs/pilot-data.md``; ``pilot_week`` is the
  model's week). **Simulated** are the model's *enrolments* (:attr:`model.run.Results.uptake`,
  at true scale), never exposure (showcase audiences are not participants).
- Every offer of the scenario is compared, for weeks 1 to the last observed week; a row
  missing from the file means nobody took part (0), as the import format says. A pilot
  that reports only some offers names them (``offers=``); the model's uptake is then
  restricted to the same offers. (Inferring the offers from the rows present would be
  biased: an offer that happened to have nobody would drop out of the observed side
  only, and the model would look too low.)
- **Prediction band**: the scenario is run on replication seeds from
  :func:`model.compare.replication_seeds` (common random numbers: the same seeds for every
  comparison, so that two datasets or two scenarios are judged on the same draws). Per
  cell (group x week) the band is the central :data:`BAND` share of the replications
  (the 5th to 95th percentile for 90 %), with the mean as the prediction.
- **Goodness of fit** per grouping: mean absolute error, root mean squared error and
  bias (observed minus predicted mean), the mean observed value, and the share of cells
  whose observed value lies inside its band (about 90 % when the model fits; much lower
  means the model is off, or the bands too narrow for the replications run).
- **Alert rule** (*signaalregel*): for the whole pilot, each offer, each wijk and each age
  group, an alert is raised when the observed value lies **above** the band, or **below**
  it, in :data:`ALERT_WEEKS` (3) or more consecutive weeks on the same side. Single
  weeks outside the band are expected (one in ten for a 90 % band), three in a row on one
  side are not (about 1 in 8,000 for independent weeks).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.compare import replication_seeds
from model.scenario import Scenario, load_scenario

#: Central share of the replications a prediction band holds.
BAND = 0.90
#: Consecutive weeks on one side of the band that raise an alert.
ALERT_WEEKS = 3
MEASURES: tuple[str, ...] = ("participants", "new_participants")
#: Groupings compared, by name: the columns each aggregates over.
GROUPINGS: dict[str, tuple[str, ...]] = {
    "total": (), "offer_id": ("offer_id",), "wijk": ("wijk",), "age_group": ("age_group",),
    "cell": ("offer_id", "wijk", "age_group"),
}
GROUPING_LABELS: dict[str, tuple[str, str]] = {
    "total": ("hele pilot", "whole pilot"), "offer_id": ("aanbod", "offer"), "wijk": ("wijk", "wijk"),
    "age_group": ("leeftijdsgroep", "age group"), "cell": ("aanbod x wijk x leeftijd", "offer x wijk x age"),
}
MEASURE_LABELS: dict[str, tuple[str, str]] = {
    "participants": ("deelnemers", "participants"), "new_participants": ("nieuwe deelnemers", "new participants"),
}
ABOVE, BELOW = "above", "below"
DIRECTION_LABELS = {ABOVE: ("boven de band", "above the band"), BELOW: ("onder de band", "below the band")}
UPTAKE_COLUMNS = ("week", "offer_id", "wijk", "age_group", "participants", "new_participants")


# --------------------------------------------------------------------------- inputs
def observed_uptake(canonical: pd.DataFrame) -> pd.DataFrame:
    """A canonical uptake table (``pilot_week``...) as the model's uptake columns (``week``...)."""
    if "pilot_week" in canonical.columns:
        frame = canonical.rename(columns={"pilot_week": "week"})
    else:
        frame = canonical
    missing = [c for c in UPTAKE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"observed uptake lacks column(s) {missing}; pass the canonical table of an uptake import")
    out = frame[list(UPTAKE_COLUMNS)].copy()
    out["week"] = out["week"].astype(int)
    for m in MEASURES:
        out[m] = out[m].astype(float)
    return out


def simulate_uptake(
    scenario: Scenario | str,
    *,
    seeds: Sequence[int] | None = None,
    n_seeds: int = 10,
    weeks: int,
    population_scale: float = 0.05,
    run: Callable | None = None,
    progress: Callable[[int, int], None] | None = None,
    client=None,
) -> pd.DataFrame:
    """The scenario's uptake on each replication seed: the uptake columns plus ``seed``.

    Args:
        scenario: the scenario the pilot follows.
        seeds: replication seeds (default :func:`replication_seeds` of ``n_seeds``).
        weeks: weeks to simulate.
        population_scale: share of residents simulated (counts are at true scale).
        run: ``run(scenario, seed=, weeks=, population_scale=) -> Results`` (default
            :func:`model.run.run_scenario`; an app passes its shared cache).
        progress: ``progress(done, total)`` after each run.
        client: a ``dask.distributed.Client``: the runs go to its workers.
    """
    from model.run import run_scenario

    scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    seeds = list(seeds) if seeds is not None else replication_seeds(n_seeds)
    frames = []
    if client is not None:
        from dask.distributed import as_completed

        futures = [client.submit(_uptake_of_run, scenario, s, weeks, population_scale, pure=False) for s in seeds]
        for done, fut in enumerate(as_completed(futures), 1):
            frames.append(fut.result())
            if progress:
                progress(done, len(seeds))
    else:
        run = run or run_scenario
        for done, seed in enumerate(seeds, 1):
            res = run(scenario, seed=seed, weeks=weeks, population_scale=population_scale)
            frames.append(res.uptake.assign(seed=int(seed)))
            if progress:
                progress(done, len(seeds))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*UPTAKE_COLUMNS, "seed"])
    return out.sort_values(["seed", "week", "offer_id", "wijk", "age_group"], kind="stable").reset_index(drop=True)


def _uptake_of_run(scenario: Scenario, seed: int, weeks: int, population_scale: float) -> pd.DataFrame:
    from model.run import run_scenario

    return run_scenario(scenario, seed=seed, weeks=weeks, population_scale=population_scale).uptake.assign(seed=int(seed))


# --------------------------------------------------------------------------- bands
def _aggregate(frame: pd.DataFrame, keys: list[str], measure: str) -> pd.Series:
    return frame.groupby(keys, observed=True, sort=False)[measure].sum() if keys else frame[measure].sum()


def band_table(
    observed: pd.DataFrame, simulated: pd.DataFrame, grouping: str = "total", measure: str = "participants",
    band: float = BAND, weeks: Sequence[int] | None = None, offers: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per group and week: observed, the predicted mean and median, the band, and whether observed is inside.

    With ``offers`` both frames are first restricted to those offers; cells missing on
    either side count as 0. ``observed`` may be empty (a prediction without data:
    ``observed`` is NaN).

    Returns:
        columns ``group`` (a label; ``"Genk"`` for the total), ``week``, ``observed``,
        ``mean``, ``median``, ``lo``, ``hi``, ``inside``, ``side`` (``above``/``below``/"").
    """
    cols = list(GROUPINGS[grouping])
    sim, obs = restrict(simulated, offers), restrict(observed, offers)
    if weeks is None:
        last = int(obs["week"].max()) if len(obs) else int(sim["week"].max())
        weeks = range(1, last + 1)
    weeks = list(weeks)
    seeds = sorted(simulated["seed"].unique())
    sim = sim.assign(group=_labels(sim, cols))
    obs = obs.assign(group=_labels(obs, cols))
    groups = pd.Index(sorted(set(sim["group"]) | set(obs["group"])) or ["Genk"], name="group")
    cube = (sim.groupby(["seed", "group", "week"])[measure].sum()
            .reindex(pd.MultiIndex.from_product([seeds, groups, weeks], names=["seed", "group", "week"]), fill_value=0.0))
    arr = cube.to_numpy(dtype=float).reshape(len(seeds), len(groups), len(weeks))
    q = (1 - band) / 2
    lo, med, hi = np.quantile(arr, [q, 0.5, 1 - q], axis=0)
    mean = arr.mean(axis=0)
    idx = pd.MultiIndex.from_product([groups, weeks], names=["group", "week"])
    out = pd.DataFrame({"mean": mean.ravel(), "median": med.ravel(), "lo": lo.ravel(), "hi": hi.ravel()}, index=idx)
    if len(obs):
        out["observed"] = obs.groupby(["group", "week"])[measure].sum().reindex(idx, fill_value=0.0).astype(float)
    else:
        out["observed"] = np.nan
    out["inside"] = (out["observed"] >= out["lo"]) & (out["observed"] <= out["hi"])
    out["side"] = np.where(out["observed"] > out["hi"], ABOVE, np.where(out["observed"] < out["lo"], BELOW, ""))
    out = out.reset_index()
    out.insert(0, "grouping", grouping)
    out.insert(1, "measure", measure)
    return out[["grouping", "measure", "group", "week", "observed", "mean", "median", "lo", "hi", "inside", "side"]]


def restrict(frame: pd.DataFrame, offers: Sequence[str] | None) -> pd.DataFrame:
    """The rows of the given offers (all rows when ``offers`` is None)."""
    return frame if offers is None else frame[frame["offer_id"].isin(set(offers))]


def _labels(frame: pd.DataFrame, cols: list[str]) -> pd.Series | str:
    """A group label per row: the grouping's values joined by `` | ``; ``Genk`` for the whole pilot."""
    if not cols:
        return "Genk"
    if len(cols) == 1:
        return frame[cols[0]].astype(str)
    return frame[cols].astype(str).agg(" | ".join, axis=1)


def goodness_of_fit(table: pd.DataFrame) -> dict[str, float]:
    """MAE, RMSE, bias (observed minus predicted mean), mean observed, share inside the band, cells."""
    t = table.dropna(subset=["observed"])
    err = (t["observed"] - t["mean"]).to_numpy(dtype=float)
    n = int(err.size)
    if n == 0:
        return {"mae": np.nan, "rmse": np.nan, "bias": np.nan, "mean_observed": np.nan, "inside_share": np.nan, "cells": 0}
    return {"mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err ** 2).mean())), "bias": float(err.mean()),
            "mean_observed": float(t["observed"].mean()), "inside_share": float(t["inside"].mean()), "cells": n}


@dataclass(frozen=True)
class Alert:
    """Observed uptake outside the band for ``weeks`` consecutive weeks on one side."""

    grouping: str
    group: str
    measure: str
    direction: str  # above / below
    first_week: int
    last_week: int
    open: bool  # still running in the last observed week

    @property
    def weeks(self) -> int:
        return self.last_week - self.first_week + 1

    def message(self, lang: str = "nl") -> str:
        """One sentence naming the group, the measure, the side and the weeks."""
        g = GROUPING_LABELS[self.grouping][lang == "en"]
        m = MEASURE_LABELS[self.measure][lang == "en"]
        d = DIRECTION_LABELS[self.direction][lang == "en"]
        who = self.group if self.grouping == "total" else f"{g} {self.group}"
        if lang == "en":
            still = " and still is" if self.open else ""
            return f"{who}: {m} {d} in weeks {self.first_week}-{self.last_week} ({self.weeks} weeks in a row{still})"
        still = " en nog steeds" if self.open else ""
        return f"{who}: {m} {d} in week {self.first_week}-{self.last_week} ({self.weeks} weken op rij{still})"


def find_alerts(table: pd.DataFrame, run_weeks: int = ALERT_WEEKS) -> list[Alert]:
    """Every run of at least ``run_weeks`` consecutive weeks with observed on one side of the band."""
    out: list[Alert] = []
    t = table.dropna(subset=["observed"]).sort_values(["group", "week"])
    for (grouping, measure, group), g in t.groupby(["grouping", "measure", "group"], sort=True):
        weeks = g["week"].to_numpy()
        sides = g["side"].to_numpy()
        last_week = int(weeks.max())
        start = 0
        for i in range(1, len(sides) + 1):
            if i == len(sides) or sides[i] != sides[start] or weeks[i] != weeks[i - 1] + 1:
                if sides[start] and i - start >= run_weeks:
                    out.append(Alert(grouping, str(group), measure, str(sides[start]), int(weeks[start]),
                                     int(weeks[i - 1]), int(weeks[i - 1]) == last_week))
                start = i
    return out


def wijk_difference(observed: pd.DataFrame, simulated: pd.DataFrame, measure: str = "participants",
                    band: float = BAND, offers: Sequence[str] | None = None) -> pd.DataFrame:
    """Per wijk over the observed weeks: observed total, predicted mean and band, difference and relative difference (%)."""
    last = int(observed["week"].max())
    sim = restrict(simulated, offers)
    sim = sim[sim["week"] <= last]
    obs = restrict(observed, offers)
    obs = obs[obs["week"] <= last]
    from model.geography import load_genk

    wijken = pd.Index(sorted(load_genk().wijken["wijk"]), name="wijk")
    seeds = sorted(simulated["seed"].unique())
    per = (sim.groupby(["seed", "wijk"])[measure].sum()
           .reindex(pd.MultiIndex.from_product([seeds, wijken], names=["seed", "wijk"]), fill_value=0.0))
    arr = per.to_numpy(dtype=float).reshape(len(seeds), len(wijken))
    q = (1 - band) / 2
    lo, hi = np.quantile(arr, [q, 1 - q], axis=0)
    out = pd.DataFrame({"observed": obs.groupby("wijk")[measure].sum().reindex(wijken, fill_value=0.0).astype(float),
                        "mean": arr.mean(axis=0), "lo": lo, "hi": hi}, index=wijken)
    out["difference"] = out["observed"] - out["mean"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["relative_pct"] = np.where(out["mean"] > 0, 100 * out["difference"] / out["mean"], np.nan)
    out["inside"] = (out["observed"] >= out["lo"]) & (out["observed"] <= out["hi"])
    return out.reset_index()


# --------------------------------------------------------------------------- the comparison
@dataclass
class PilotComparison:
    """Observed uptake against the scenario's replications.

    Attributes:
        scenario: the scenario name; seeds, weeks, population_scale: how it was simulated.
        observed, simulated: uptake frames (simulated with ``seed``).
        synthetic: the observed data is the synthetic example (labelled everywhere).
        source: where the observed data came from (dataset name and version, or file).
    """

    scenario: str
    seeds: list[int]
    weeks: int
    population_scale: float
    observed: pd.DataFrame
    simulated: pd.DataFrame
    synthetic: bool = False
    source: str = ""
    band: float = BAND
    offers: tuple[str, ...] | None = None
    _tables: dict = field(default_factory=dict, repr=False)

    def table(self, grouping: str = "total", measure: str = "participants") -> pd.DataFrame:
        """The band table of one grouping and measure (see :func:`band_table`), computed once."""
        key = (grouping, measure)
        if key not in self._tables:
            self._tables[key] = band_table(self.observed, self.simulated, grouping, measure, self.band,
                                           weeks=range(1, self.weeks + 1), offers=self.offers)
        return self._tables[key]

    def fit(self, groupings: Sequence[str] = tuple(GROUPINGS)) -> pd.DataFrame:
        """Goodness of fit: one row per grouping and measure."""
        rows = [{"grouping": g, "measure": m, **goodness_of_fit(self.table(g, m))} for g in groupings for m in MEASURES]
        return pd.DataFrame(rows)

    def alerts(self, run_weeks: int = ALERT_WEEKS) -> list[Alert]:
        """Alerts for the whole pilot, each offer, wijk and age group (not for single cells)."""
        out: list[Alert] = []
        for g in ("total", "offer_id", "wijk", "age_group"):
            for m in MEASURES:
                out += find_alerts(self.table(g, m), run_weeks)
        return out

    def wijk_difference(self, measure: str = "participants") -> pd.DataFrame:
        return wijk_difference(self.observed, self.simulated, measure, self.band, self.offers)

    def label(self, lang: str = "nl") -> str:
        """What the observed data is, with the synthetic label when it applies."""
        from model.pilot.synthetic import SYNTHETIC_LABEL_EN, SYNTHETIC_LABEL_NL

        text = self.source or ("observed" if lang == "en" else "waargenomen")
        if self.synthetic:
            text = f"{SYNTHETIC_LABEL_EN if lang == 'en' else SYNTHETIC_LABEL_NL}: {text}"
        return text


def compare_uptake(
    observed: pd.DataFrame,
    scenario: Scenario | str = "baseline",
    *,
    seeds: Sequence[int] | None = None,
    n_seeds: int = 10,
    population_scale: float = 0.05,
    synthetic: bool | None = None,
    source: str = "",
    run: Callable | None = None,
    progress: Callable[[int, int], None] | None = None,
    client=None,
    band: float = BAND,
    offers: Sequence[str] | None = None,
) -> PilotComparison:
    """Simulate the scenario on replication seeds for the observed weeks and compare.

    Args:
        observed: a canonical uptake table (or the uptake columns with ``week``).
        scenario: the scenario the pilot follows.
        seeds, n_seeds: replication seeds (default: :func:`replication_seeds` of ``n_seeds``).
        population_scale: share of residents simulated.
        synthetic: whether the observed data is synthetic (default: guessed from ``source``).
        source: a label of the observed data (dataset name and version, file name).
        offers: the offers the pilot reports (default: all of the scenario's).
    """
    from model.pilot.synthetic import is_synthetic

    obs = observed_uptake(observed)
    if obs.empty:
        raise ValueError("no observed uptake to compare: the dataset has no rows")
    weeks = int(obs["week"].max())
    scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    seeds = list(seeds) if seeds is not None else replication_seeds(n_seeds)
    sim = simulate_uptake(scenario, seeds=seeds, weeks=weeks, population_scale=population_scale, run=run,
                          progress=progress, client=client)
    flag = is_synthetic(source) if synthetic is None else bool(synthetic)
    return PilotComparison(scenario.name, seeds, weeks, float(population_scale), obs, sim, flag, source, band,
                           tuple(offers) if offers is not None else None)


__all__ = [
    "ALERT_WEEKS",
    "BAND",
    "GROUPINGS",
    "GROUPING_LABELS",
    "MEASURES",
    "MEASURE_LABELS",
    "Alert",
    "PilotComparison",
    "band_table",
    "compare_uptake",
    "find_alerts",
    "goodness_of_fit",
    "observed_uptake",
    "restrict",
    "simulate_uptake",
    "wijk_difference",
]
