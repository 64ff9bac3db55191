"""Let observed uptake calibrate the model's uncertain behaviour: ABC-SMC with pyabc on Dask.

Approximate Bayesian computation by sequential Monte Carlo (pyabc 0.13): parameter sets
are drawn from the prior (uniform over each uncertainty's declared bounds,
:func:`model.scenario.uncertainty_fields`), the model is run with them, and a set is kept
when the run's **summary statistics** lie close enough to the observed ones; each
generation tightens "close enough" (the median distance of the last generation) and
proposes from the previous generation's particles. Simulations go to the same Dask
cluster as the sensitivity studies (a ``LocalCluster`` of 2 processes by default, a
scheduler address for a real cluster). The history (every generation's particles) is a
SQLite file under ``model.paths.var_dir() / "calibration"``, never in the repository.

**Summary statistics** (*samenvattende maten*): what the data can inform, aggregated so
that noise in single cells does not dominate, each as the square root of a count
(variance-stabilising for counts), over the observed offers and weeks:

- ``new_w<k>``: new participants in pilot week k (how quickly people find offers:
  search, initial knowledge);
- ``part_w<k>``: participants in week k (how long they stay: duration, completion);
- ``new_age_<group>``: new participants per age group (children's choices decay faster
  with distance than adults');
- ``new_wijkgroep_<quadrant>``: per group of wijken (the four quadrants of Genk around
  the median wijk centre: where people take part);
- ``new_type_<provider type>``: per kind of provider (what they choose).

The **distance** is pyabc's adaptive weighted Euclidean distance: each statistic is
scaled by its spread (median absolute deviation) among the generation's simulations, so
that large and small counts count alike.

**Identifiability** (*identificeerbaarheid*): a parameter is *identified by the data*
when its 90 % posterior interval is at most :data:`IDENTIFIED_SHRINKAGE` (half) of its
prior's 90 % interval; otherwise the data leaves it about where the prior had it, and the
calibrated scenario keeps a value the data did not inform. :func:`screen_parameters`
says beforehand which uncertainties move the summary statistics at all in a scenario
(those of mechanisms the scenario switches off, e.g. website use without a wegwijzer
website, cannot be identified by any uptake data), and by how much relative to the noise
between replications.

Randomness: each simulation's seed is derived from its parameter values through
``numpy.random.SeedSequence`` (reproducible for the same values); each proposal's
draws are seeded by its generation and its place in it (:func:`_seeded_batch`), so the
same data and ``entropy`` give the same posterior on any number of workers.
"""
from __future__ import annotations

import contextlib
import json
import math
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model.compare import replication_seeds
from model.scenario import Scenario, load_scenario, uncertainty_fields

#: Parameters calibrated by default: two that uptake data moves most in the baseline (see
#: :func:`screen_parameters`) and that leave the catchments alone, so each run stays cheap
#: (a new distance decay or maximum travel time recomputes the catchments: about 2.5 s a run
#: instead of 0.3 s at 5 % of the population). Add ``uncertainties.distance_decay_per_min``
#: (it moves the age groups' shares) when there is time for it.
DEFAULT_PARAMETERS: tuple[str, ...] = (
    "uncertainties.search_prob_per_week",
    "uncertainties.initial_knowledge_prob",
)
#: A posterior 90 % interval at most this share of the prior's counts as identified.
IDENTIFIED_SHRINKAGE = 0.5
CREDIBLE = 0.90
ENTROPY = 20261201


# --------------------------------------------------------------------------- summary statistics
def wijk_groups() -> dict[str, str]:
    """Each wijk's quadrant of Genk (noordwest, noordoost, zuidwest, zuidoost) around the median wijk centre."""
    from model.geography import load_genk

    w = load_genk().wijken
    c = w.geometry.representative_point()
    mx, my = float(np.median(c.x)), float(np.median(c.y))
    return {name: ("noord" if y >= my else "zuid") + ("oost" if x >= mx else "west")
            for name, x, y in zip(w["wijk"], c.x, c.y)}


def offer_types(scenario: Scenario, horizon: int | None = None) -> dict[str, str]:
    """Each offer id of the scenario with its provider type (``school``, ``sports_club`` ...)."""
    from model.geography import load_genk
    from model.offers import build_offer_specs

    specs = build_offer_specs(scenario, load_genk().venues, horizon)
    return {s.id: getattr(s.provider_type, "value", str(s.provider_type)) for s in specs}


@dataclass(frozen=True)
class Summaries:
    """Turns an uptake frame into the summary statistics (a flat dict of floats). Small and picklable."""

    weeks: int
    offers: tuple[str, ...]  # the offers counted
    types: tuple[tuple[str, str], ...]
    groups: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, observed: pd.DataFrame, scenario: Scenario, offers: Sequence[str] | None = None) -> Summaries:
        types = offer_types(scenario)
        chosen = tuple(sorted(set(offers) if offers is not None else set(types) | set(observed["offer_id"])))
        return cls(int(observed["week"].max()), chosen, tuple(sorted(types.items())), tuple(sorted(wijk_groups().items())))

    def names(self) -> list[str]:
        from model.domain import AGE_GROUPS

        return ([f"new_w{k}" for k in range(1, self.weeks + 1)] + [f"part_w{k}" for k in range(1, self.weeks + 1)]
                + [f"new_age_{g[0]}" for g in AGE_GROUPS] + [f"new_wijkgroep_{g}" for g in sorted(set(dict(self.groups).values()))]
                + [f"new_type_{t}" for t in sorted(set(dict(self.types).values()))])

    def __call__(self, uptake: pd.DataFrame) -> dict[str, float]:
        u = uptake[uptake["offer_id"].isin(self.offers) & (uptake["week"] <= self.weeks)]
        out = dict.fromkeys(self.names(), 0.0)
        for k, v in u.groupby("week")["new_participants"].sum().items():
            out[f"new_w{int(k)}"] = float(v)
        for k, v in u.groupby("week")["participants"].sum().items():
            out[f"part_w{int(k)}"] = float(v)
        for k, v in u.groupby("age_group")["new_participants"].sum().items():
            out[f"new_age_{k}"] = float(v)
        groups, types = dict(self.groups), dict(self.types)
        for k, v in u.groupby(u["wijk"].map(groups))["new_participants"].sum().items():
            out[f"new_wijkgroep_{k}"] = float(v)
        for k, v in u.groupby(u["offer_id"].map(types))["new_participants"].sum().items():
            if f"new_type_{k}" in out:
                out[f"new_type_{k}"] = float(v)
        return {k: math.sqrt(max(v, 0.0)) for k, v in out.items()}


# --------------------------------------------------------------------------- the simulator (runs in workers)
_BASE: dict[str, Scenario] = {}


def _scenario_from(text: str) -> Scenario:
    if text not in _BASE:
        from model.scenario import validate_scenario

        _BASE.clear()
        _BASE[text] = validate_scenario(json.loads(text), source="<calibration base scenario>")
    return _BASE[text]


def seed_for(values: dict[str, float], entropy: int = ENTROPY) -> int:
    """A run seed derived from parameter values (the same values give the same seed)."""
    words = [entropy]
    for key in sorted(values):
        words += list(struct.unpack("<II", struct.pack("<d", float(values[key]))))
    return int(np.random.SeedSequence(words).generate_state(1, dtype=np.uint32)[0])


@dataclass(frozen=True)
class UptakeSimulator:
    """pyabc's model: parameter values -> summary statistics of one run. Picklable, importable by workers."""

    scenario_json: str
    parameters: tuple[str, ...]
    summaries: Summaries
    population_scale: float
    entropy: int = ENTROPY

    def __call__(self, par) -> dict[str, float]:
        from model.run import run_scenario

        values = {p: float(par[_key(p)]) for p in self.parameters}
        scenario = _scenario_from(self.scenario_json).with_values(values)
        res = run_scenario(scenario, seed=seed_for(values, self.entropy), weeks=self.summaries.weeks,
                           population_scale=self.population_scale)
        return self.summaries(res.uptake)


def _key(path: str) -> str:
    """pyabc parameter names cannot hold dots: ``uncertainties.friend_weight`` -> ``friend_weight``."""
    return path.split(".")[-1]


# --------------------------------------------------------------------------- the cluster
@contextlib.contextmanager
def dask_client(client=None, scheduler: str | None = None, n_workers: int = 2) -> Iterator:
    """A Dask client: ``client`` as given, one to ``scheduler``, or a local cluster of ``n_workers`` processes."""
    if client is not None:
        yield client
        return
    from dask.distributed import Client, LocalCluster

    if scheduler:
        own = Client(scheduler)
        try:
            yield own
        finally:
            own.close()
        return
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           host="127.0.0.1")
    own = Client(cluster)
    try:
        yield own
    finally:
        own.close()
        cluster.close()


# --------------------------------------------------------------------------- progress
@dataclass(frozen=True)
class Generation:
    """One finished ABC-SMC generation (``t = -1`` is the prior sample that calibrates the distance)."""

    t: int
    generations: int
    accepted: int
    simulations: int
    seconds: float
    elapsed_s: float
    epsilon: float = float("nan")

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.simulations if self.simulations else float("nan")

    @property
    def seconds_left(self) -> float:
        """Left for the remaining generations at this generation's pace (later ones are usually slower)."""
        return max(0, self.generations - 1 - self.t) * self.seconds

    @property
    def fraction(self) -> float:
        return (self.t + 2) / (self.generations + 1)


Progress = Callable[[Generation], None]


def _seeded_batch(simulate_one_pickle: bytes, job_ids: list[int], entropy: int, t: int) -> list[tuple]:
    """Run one Dask task's simulations, each with random numbers fixed by (entropy, generation, job id).

    pyabc's own task function reseeds every worker from the operating system, so which
    parameter sets it proposes differs from one calibration to the next; here a proposal
    depends only on its place in the generation, and pyabc keeps the first ``n`` accepted by
    that place, so the same data and entropy give the same posterior whatever the workers'
    timing.
    """
    import random

    import cloudpickle

    simulate_one = cloudpickle.loads(simulate_one_pickle)
    out = []
    for job_id in job_ids:
        state = np.random.SeedSequence([entropy, t + 1, job_id]).generate_state(2)
        # pyabc's priors and transitions draw from the global generators and take none of their
        # own: seeding those (in this Dask worker process, not in a model) is the only hook
        random.seed(int(state[0]))
        np.random.seed(int(state[1]))
        result = simulate_one()
        out.append((result, result.accepted, job_id))
    return out


def _reporting_sampler(client, batch_size: int, on_sample: Callable[[int, int, int, float], None],
                       entropy: int = ENTROPY):
    from pyabc.sampler import DaskDistributedSampler

    class ReportingDaskSampler(DaskDistributedSampler):
        """pyabc's Dask sampler with seeded proposals, telling after each generation how many it simulated and kept.

        The loop is pyabc's ``EPSMixin.sample_until_n_accepted`` (0.13) with the task function
        swapped for :func:`_seeded_batch`.
        """

        def sample_until_n_accepted(self, n, simulate_one, t, **kwargs):
            import cloudpickle
            from sortedcontainers import SortedList

            t0 = time.perf_counter()
            pickled = cloudpickle.dumps(simulate_one)
            accepted, next_id, running = 0, 0, []
            results = SortedList(key=lambda r: r[2])
            while True:
                for job_id, job in list(running):
                    if job.done():
                        batch = job.result()
                        results.update(batch)
                        accepted += sum(1 for r in batch if r[1])
                        running.remove((job_id, job))
                if accepted >= n:
                    nth = [r[2] for r in results if r[1]][n - 1]
                    for job_id, job in list(running):
                        if job_id > nth:  # started after the n-th accepted one: not needed
                            running.remove((job_id, job))
                            job.cancel()
                    if not running:
                        break
                n_max = int(min(self.client_max_jobs, self.client_cores()))
                if len(running) < n_max and accepted < n:
                    for _ in range(n_max - len(running)):
                        ids = list(range(next_id, next_id + self.batch_size))
                        running.append((next_id, self.client.submit(_seeded_batch, pickled, ids, entropy, int(t),
                                                                    pure=False)))
                        next_id += self.batch_size
                time.sleep(0.01)
            sample = self._create_empty_sample()  # the results up to the n-th accepted one (``nth``)
            while True:
                r = results.pop(0)
                sample.append(r[0])
                if r[2] == nth:
                    break
            # what was needed up to the n-th accepted one: the same for the same seeds (pyabc
            # counts every task started, which depends on the workers' timing)
            self.nr_evaluations_ = nth + 1
            on_sample(int(t), int(n), int(self.nr_evaluations_), time.perf_counter() - t0)
            return sample

    return ReportingDaskSampler(dask_client=client, batch_size=batch_size)


# --------------------------------------------------------------------------- results
@dataclass
class CalibrationResult:
    """What a calibration found.

    Attributes:
        posterior: the last generation's particles, one column per parameter (dotted path) and ``weight``.
        intervals: per parameter: ``label_nl``, ``label_en``, ``prior_lo``, ``prior_hi``, ``median``, ``mean``,
            ``lo``, ``hi`` (the 90 % credible interval), ``width``, ``prior_width`` (the prior's 90 %),
            ``shrinkage`` (width / prior_width), ``identified``.
        generations: one row per generation: ``t``, ``epsilon``, ``accepted``, ``simulations``,
            ``acceptance_rate``, ``seconds``.
        simulations: all model runs, the prior's sample included; wall_s: the calibration's wall time.
        db_path, history_id: where pyabc's history is (``pyabc.History(f"sqlite:///{db_path}", _id=history_id)``).
    """

    scenario: str
    parameters: tuple[str, ...]
    posterior: pd.DataFrame
    intervals: pd.DataFrame
    generations: pd.DataFrame
    simulations: int
    wall_s: float
    db_path: Path
    history_id: int
    population_scale: float
    weeks: int
    synthetic: bool = False
    source: str = ""
    observed_stats: dict = field(default_factory=dict, repr=False)
    offers: tuple[str, ...] | None = None  # the offers the pilot reports (None: all)

    def point(self) -> dict[str, float]:
        """Posterior medians by dotted path: the calibrated values."""
        return {p: float(self.intervals.loc[p, "median"]) for p in self.parameters}

    def not_identified(self) -> list[str]:
        return [p for p in self.parameters if not bool(self.intervals.loc[p, "identified"])]

    def covers(self, truth: dict[str, float]) -> dict[str, bool]:
        """For known values: whether each lies inside its 90 % credible interval."""
        return {p: bool(self.intervals.loc[p, "lo"] <= v <= self.intervals.loc[p, "hi"]) for p, v in truth.items()}

    def draws(self, n: int, entropy: int = ENTROPY) -> pd.DataFrame:
        """``n`` parameter sets resampled from the posterior by weight (seeded)."""
        rng = np.random.default_rng(np.random.SeedSequence(entropy))
        w = self.posterior["weight"].to_numpy(dtype=float)
        idx = rng.choice(len(w), size=n, replace=True, p=w / w.sum())
        return self.posterior.iloc[idx][list(self.parameters)].reset_index(drop=True)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample: the smallest value whose cumulative weight reaches q (numpy's inverted_cdf)."""
    order = np.argsort(values)
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cdf = np.cumsum(w) / w.sum()
    idx = np.searchsorted(cdf, np.asarray(q, float) - 1e-12, side="left")
    return v[np.clip(idx, 0, len(v) - 1)]


def intervals_of(posterior: pd.DataFrame, parameters: Sequence[str], credible: float = CREDIBLE) -> pd.DataFrame:
    fields = uncertainty_fields()
    rows = []
    q = (1 - credible) / 2
    w = posterior["weight"].to_numpy(dtype=float)
    for p in parameters:
        f = fields[p]
        lo, med, hi = weighted_quantile(posterior[p].to_numpy(dtype=float), w, [q, 0.5, 1 - q])
        prior_width = credible * (f.hi - f.lo)
        width = float(hi - lo)
        rows.append({"parameter": p, "label_nl": f.label_nl, "label_en": f.label_en, "unit": f.unit,
                     "prior_lo": f.lo, "prior_hi": f.hi, "median": float(med),
                     "mean": float(np.average(posterior[p], weights=w)), "lo": float(lo), "hi": float(hi),
                     "width": width, "prior_width": prior_width, "shrinkage": width / prior_width,
                     "identified": width <= IDENTIFIED_SHRINKAGE * prior_width})
    return pd.DataFrame(rows).set_index("parameter")


def calibration_dir() -> Path:
    from model.paths import var_dir

    path = var_dir() / "calibration"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --------------------------------------------------------------------------- calibrate
def calibrate(
    observed: pd.DataFrame,
    scenario: Scenario | str = "baseline",
    parameters: Sequence[str] = DEFAULT_PARAMETERS,
    *,
    population_size: int = 100,
    generations: int = 4,
    population_scale: float = 0.05,
    priors: dict[str, tuple[float, float]] | None = None,
    client=None,
    scheduler: str | None = None,
    n_workers: int = 2,
    batch_size: int = 2,
    db_path: str | Path | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    synthetic: bool | None = None,
    source: str = "",
    offers: Sequence[str] | None = None,
    entropy: int = ENTROPY,
) -> CalibrationResult:
    """Estimate ``parameters`` from observed uptake by ABC-SMC on a Dask cluster.

    Args:
        observed: a canonical uptake table (or the uptake columns with ``week``).
        scenario: the scenario the pilot follows; its other values stay as they are.
        parameters: dotted paths of uncertainties (:func:`model.scenario.uncertainty_fields`).
        population_size: particles per generation.
        generations: ABC-SMC generations (each tightens the tolerance).
        population_scale: share of residents simulated in each run.
        priors: ``{path: (lo, hi)}`` uniform priors narrower than the declared bounds.
        client, scheduler, n_workers: the Dask cluster (see :func:`dask_client`).
        batch_size: simulations per Dask task.
        db_path: the history's SQLite file (default: a new file under :func:`calibration_dir`).
        progress: called with a :class:`Generation` after the prior sample and each generation.
        stop: when set, the calibration ends after the generation under way.
        synthetic, source: what the observed data is (the synthetic example is labelled).
        offers: the offers the pilot reports (default: all of the scenario's; a missing row is 0).
        entropy: seeds the proposals and the runs; the same data and entropy give the same posterior.
    """
    import pyabc

    from model.pilot.compare import observed_uptake
    from model.pilot.synthetic import is_synthetic

    fields = uncertainty_fields()
    unknown = [p for p in parameters if p not in fields]
    if unknown:
        raise ValueError(f"not an uncertain parameter: {unknown}; choose from {sorted(fields)}")
    if not parameters:
        raise ValueError("choose at least one parameter to calibrate")
    obs = observed_uptake(observed)
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    summaries = Summaries.of(obs, base, offers)
    observed_stats = summaries(obs)
    sim = UptakeSimulator(json.dumps(base.model_dump(mode="json")), tuple(parameters), summaries, float(population_scale),
                          entropy)
    bounds = {p: (priors or {}).get(p, (fields[p].lo, fields[p].hi)) for p in parameters}
    prior = pyabc.Distribution(**{_key(p): pyabc.RV("uniform", lo, hi - lo) for p, (lo, hi) in bounds.items()})
    distance = pyabc.AdaptivePNormDistance(p=2, max_scale_weight_ratio=100)
    db_path = Path(db_path) if db_path else calibration_dir() / f"abc-{base.name}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}.sqlite"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    t_start = time.perf_counter()
    holder: dict = {}

    def on_sample(t: int, n: int, evaluations: int, seconds: float) -> None:
        rows.append({"t": t, "accepted": n, "simulations": evaluations, "seconds": seconds})
        if progress is not None:
            progress(Generation(t, generations, n, evaluations, seconds, time.perf_counter() - t_start))
        if stop is not None and stop.is_set() and "abc" in holder and t >= 0:
            holder["abc"].max_t = t  # pyabc stops after this generation (check_terminate: t >= max_t)

    with dask_client(client, scheduler, n_workers) as c:
        sampler = _reporting_sampler(c, batch_size, on_sample, entropy)
        abc = pyabc.ABCSMC(sim, prior, distance, population_size=population_size, sampler=sampler)
        holder["abc"] = abc
        abc.new(f"sqlite:///{db_path}", observed_stats)
        history = abc.run(max_nr_populations=generations)
    wall = time.perf_counter() - t_start
    frame, weights = history.get_distribution()
    posterior = frame.rename(columns={_key(p): p for p in parameters})[list(parameters)].reset_index(drop=True)
    posterior["weight"] = np.asarray(weights, dtype=float)
    pops = history.get_all_populations()
    eps = dict(zip(pops["t"], pops["epsilon"]))
    gen = pd.DataFrame(rows)
    gen["epsilon"] = gen["t"].map(eps).astype(float)
    gen["acceptance_rate"] = gen["accepted"] / gen["simulations"]
    flag = is_synthetic(source) if synthetic is None else bool(synthetic)
    return CalibrationResult(base.name, tuple(parameters), posterior, intervals_of(posterior, parameters), gen,
                             int(gen["simulations"].sum()), wall, db_path, int(history.id), float(population_scale),
                             summaries.weeks, flag, source, observed_stats,
                             tuple(offers) if offers is not None else None)


# --------------------------------------------------------------------------- screening
def screen_parameters(
    observed: pd.DataFrame,
    scenario: Scenario | str = "baseline",
    parameters: Sequence[str] | None = None,
    *,
    n_seeds: int = 3,
    population_scale: float = 0.03,
    client=None,
) -> pd.DataFrame:
    """Which uncertainties the summary statistics can see: each set to its lower and upper bound on paired seeds.

    Returns one row per parameter: ``effect`` (the largest change of a summary statistic
    between the bounds, in units of its standard deviation between replications, at least
    0.5 on the square-root scale),
    ``no_effect`` (the statistics do not move at all: the mechanism is off in this
    scenario) and ``informed`` (effect at least 2).
    """
    from model.pilot.compare import observed_uptake

    obs = observed_uptake(observed)
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    fields = uncertainty_fields()
    parameters = list(parameters or fields)
    summaries = Summaries.of(obs, base)
    seeds = replication_seeds(n_seeds)
    jobs = [(None, None, s) for s in seeds] + [(p, side, s) for p in parameters for side in ("lo", "hi") for s in seeds]

    def one(job):
        p, side, s = job
        sc = base if p is None else base.with_values({p: getattr(fields[p], side)})
        return _stats_of_run(sc, s, summaries, population_scale)

    if client is not None:
        futures = [client.submit(_stats_of_run, base if p is None else base.with_values({p: getattr(fields[p], side)}),
                                 s, summaries, population_scale, pure=False) for p, side, s in jobs]
        stats = client.gather(futures)
    else:
        stats = [one(j) for j in jobs]
    names = summaries.names()
    arr = np.array([[st[k] for k in names] for st in stats])
    b = arr[:n_seeds]
    # On the square-root scale a count's noise is at least about 0.5 (Poisson); the floor keeps
    # statistics that barely vary between a few seeds from looking infinitely informative.
    noise = np.maximum(b.std(axis=0, ddof=1) if n_seeds > 1 else np.zeros(len(names)), 0.5)
    rows = []
    for i, p in enumerate(parameters):
        lo = arr[n_seeds + 2 * i * n_seeds: n_seeds + (2 * i + 1) * n_seeds]
        hi = arr[n_seeds + (2 * i + 1) * n_seeds: n_seeds + (2 * i + 2) * n_seeds]
        delta = np.abs(hi.mean(axis=0) - lo.mean(axis=0))
        effect = float(np.nanmax(delta / noise)) if np.isfinite(delta / noise).any() else 0.0
        rows.append({"parameter": p, "label_nl": fields[p].label_nl, "label_en": fields[p].label_en,
                     "effect": effect, "no_effect": bool(np.allclose(hi, lo)), "informed": effect >= 2.0})
    return pd.DataFrame(rows).set_index("parameter").sort_values("effect", ascending=False)


def _stats_of_run(scenario: Scenario, seed: int, summaries: Summaries, population_scale: float) -> dict[str, float]:
    from model.run import run_scenario

    return summaries(run_scenario(scenario, seed=seed, weeks=summaries.weeks, population_scale=population_scale).uptake)


# --------------------------------------------------------------------------- the calibrated scenario
def calibrated_scenario(base: Scenario | str, result: CalibrationResult, name: str | None = None) -> Scenario:
    """The base scenario with the posterior medians of the calibrated parameters, described with their intervals."""
    from model.pilot.synthetic import SYNTHETIC_NOTE

    base = base if isinstance(base, Scenario) else load_scenario(base)
    lines = [f"Gekalibreerd op / calibrated on: {result.source or 'waargenomen deelname'} "
             f"({result.weeks} weken, {result.simulations} simulaties)."]
    if result.synthetic:
        lines.insert(0, SYNTHETIC_NOTE)
    for p in result.parameters:
        r = result.intervals.loc[p]
        tag = "" if r["identified"] else " (niet geïdentificeerd door de gegevens / not identified by the data)"
        lines.append(f"- {p} = {r['median']:.4g} [90 %: {r['lo']:.4g} – {r['hi']:.4g}]{tag}")
    suffix = "-synthetisch-gekalibreerd" if result.synthetic else "-gekalibreerd"
    out = base.with_values(result.point())
    return out.model_copy(update={"name": name or f"{base.name}{suffix}"[:120],
                                  "description": "\n".join(lines)[:5000]})


def save_calibrated(base: Scenario | str, result: CalibrationResult, *, store=None, parent_id: int | None = None,
                    name: str | None = None, author: str | None = None):
    """Save the calibrated scenario as a new store revision whose parent is the base scenario's revision.

    Without ``parent_id`` the base's latest stored revision is the parent (the base is saved
    first when the store has none). Returns ``(parent, revision)``.
    """
    from model.store import Store, StoreError

    store = store or Store()
    base = base if isinstance(base, Scenario) else load_scenario(base)
    if parent_id is None:
        try:
            parent = store.latest(base.name)
        except StoreError:
            parent = store.save(base, notes="basis voor kalibratie / base of a calibration", author=author)
    else:
        parent = store.get(parent_id)
    scenario = calibrated_scenario(parent.scenario, result, name)
    notes = scenario.description.splitlines()[0] if result.synthetic else "kalibratie / calibration (ABC-SMC)"
    rev = store.save(scenario, parent_id=parent.id, notes=notes, author=author)
    return parent, rev


# --------------------------------------------------------------------------- predictions
def predict(
    base: Scenario | str,
    result: CalibrationResult,
    observed: pd.DataFrame,
    *,
    weeks: int,
    n_draws: int = 20,
    population_scale: float | None = None,
    client=None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Uptake for the whole pilot (observed weeks and the rest) from posterior draws: the posterior predictive.

    Each draw is a parameter set resampled from the posterior, run on its own replication
    seed; the band is the central 90 % of the draws. Returns the band table of the whole
    pilot (:func:`model.pilot.compare.band_table`, grouping ``total``) for both measures,
    with ``predicted`` True for weeks after the last observed one.
    """
    from model.pilot.compare import MEASURES, band_table, observed_uptake

    base = base if isinstance(base, Scenario) else load_scenario(base)
    obs = observed_uptake(observed)
    draws = result.draws(n_draws)
    seeds = replication_seeds(n_draws, entropy=ENTROPY + 1)
    scale = float(population_scale or result.population_scale)
    scenarios = [base.with_values({p: float(v) for p, v in row.items()}) for _, row in draws.iterrows()]
    frames = []
    if client is not None:
        from dask.distributed import as_completed

        from model.pilot.compare import _uptake_of_run

        futures = [client.submit(_uptake_of_run, sc, s, weeks, scale, pure=False) for sc, s in zip(scenarios, seeds)]
        for done, fut in enumerate(as_completed(futures), 1):
            frames.append(fut.result())
            if progress:
                progress(done, n_draws)
    else:
        from model.run import run_scenario

        for done, (sc, s) in enumerate(zip(scenarios, seeds), 1):
            frames.append(run_scenario(sc, seed=s, weeks=weeks, population_scale=scale).uptake.assign(seed=int(s)))
            if progress:
                progress(done, n_draws)
    sim = pd.concat(frames, ignore_index=True)
    last = int(obs["week"].max())
    out = pd.concat([band_table(obs, sim, "total", m, weeks=range(1, weeks + 1), offers=result.offers)
                     for m in MEASURES], ignore_index=True)
    out.loc[out["week"] > last, ["observed", "inside"]] = [np.nan, False]
    out.loc[out["week"] > last, "side"] = ""
    out["predicted"] = out["week"] > last
    return out


__all__ = [
    "CREDIBLE",
    "DEFAULT_PARAMETERS",
    "IDENTIFIED_SHRINKAGE",
    "CalibrationResult",
    "Generation",
    "Summaries",
    "UptakeSimulator",
    "calibrate",
    "calibrated_scenario",
    "calibration_dir",
    "dask_client",
    "intervals_of",
    "offer_types",
    "predict",
    "save_calibrated",
    "screen_parameters",
    "seed_for",
    "weighted_quantile",
    "wijk_groups",
]
