"""Analyse a study's results: Morris screening, Sobol' indices, scenario discovery.

All analyses work on the mean over replications per design point
(:meth:`StudyResults.point_means`) and return tidy DataFrames, one row per output and
parameter, ready for a table or a bar chart with intervals.

- :func:`morris_indices`: μ, μ*, μ*'s confidence interval and σ (SALib ``analyze.morris``);
- :func:`sobol_indices`: S1 and ST with confidence intervals (SALib ``analyze.sobol``);
- :func:`rank_correlations`: Spearman ρ of each input with each output, for any design;
- :func:`prim`: the Patient Rule Induction Method (Friedman and Fisher 1999), peeling
  only, written out by hand: which box of inputs holds the runs meeting a condition,
  with coverage and density along the peeling trajectory;
- :func:`tree_rules`: the same question answered by a shallow decision tree's leaves.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.experiments.results import StudyResults
from model.experiments.study import MorrisDesign, SobolDesign

_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq}


def _complete_means(results: StudyResults, outputs: list[str], method: str, allow_partial: bool = False) -> pd.DataFrame:
    means = results.point_means(outputs)
    missing = means.index[means[outputs].isna().any(axis=1)]
    if len(missing):
        ids = means.loc[missing, "point_id"].tolist()
        raise ValueError(
            f"{method} needs every design point: {len(ids)} of {len(means)} points have no successful run "
            f"(e.g. point_id {ids[:5]}); finish the study (run it again to resume, --retry-errors for errors)")
    short = means[means["n_ok"] < results.study.replications]
    if len(short) and not allow_partial:
        raise ValueError(
            f"{method} needs every replication of every design point (replications share seeds across points): "
            f"{len(short)} of {len(means)} points are short (e.g. point_id {short['point_id'].tolist()[:5]} with "
            f"{short['n_ok'].tolist()[:5]} of {results.study.replications}); run the study again to resume "
            "(--retry-errors for errors), or pass allow_partial=True")
    return means


def _analysis_inputs(results: StudyResults, outputs: list[str] | None, design_type: type, indices: str, method: str,
                     allow_partial: bool) -> tuple[list[str], pd.DataFrame, dict]:
    """The outputs, the complete per-point means and the SALib problem, for a design of ``design_type``."""
    design = results.study.design
    if not isinstance(design, design_type):
        kind = design_type.model_fields["method"].default
        raise ValueError(f"{indices} need a {kind} design; this study used {design.method!r}")
    outputs = outputs or results.study.output_names
    return outputs, _complete_means(results, outputs, method, allow_partial), results.study.problem()


def morris_indices(results: StudyResults, outputs: list[str] | None = None, *, conf_level: float = 0.95,
                   num_resamples: int = 1000, seed: int | None = None, allow_partial: bool = False) -> pd.DataFrame:
    """Morris μ, μ*, μ*_conf and σ per output and parameter (needs a ``morris`` design)."""
    from SALib.analyze import morris

    outputs, means, problem = _analysis_inputs(results, outputs, MorrisDesign, "Morris indices", "Morris analysis",
                                                allow_partial)
    design = results.study.design
    x = means[problem["names"]].to_numpy(dtype=float)
    rows = []
    for out in outputs:
        res = morris.analyze(problem, x, means[out].to_numpy(dtype=float), num_resamples=num_resamples,
                             conf_level=conf_level, num_levels=design.levels, seed=results.study.seed if seed is None else seed)
        for i, name in enumerate(problem["names"]):
            rows.append({"output": out, "parameter": name, "mu": float(res["mu"][i]), "mu_star": float(res["mu_star"][i]),
                         "mu_star_conf": float(res["mu_star_conf"][i]), "sigma": float(res["sigma"][i])})
    return pd.DataFrame(rows)


def sobol_indices(results: StudyResults, outputs: list[str] | None = None, *, conf_level: float = 0.95,
                  num_resamples: int = 100, seed: int | None = None, allow_partial: bool = False) -> pd.DataFrame:
    """S1, S1_conf, ST, ST_conf per output and parameter (needs a ``sobol`` design).

    An output that does not vary at all gets zeros (SALib would divide by zero).
    """
    from SALib.analyze import sobol

    outputs, means, problem = _analysis_inputs(results, outputs, SobolDesign, "Sobol' indices", "Sobol' analysis",
                                                allow_partial)
    design = results.study.design
    rows = []
    for out in outputs:
        y = means[out].to_numpy(dtype=float)
        if np.ptp(y) == 0:
            res = {k: np.zeros(problem["num_vars"]) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            res = sobol.analyze(problem, y, calc_second_order=design.calc_second_order, num_resamples=num_resamples,
                                conf_level=conf_level, seed=results.study.seed if seed is None else seed)
        for i, name in enumerate(problem["names"]):
            rows.append({"output": out, "parameter": name, "S1": float(res["S1"][i]), "S1_conf": float(res["S1_conf"][i]),
                         "ST": float(res["ST"][i]), "ST_conf": float(res["ST_conf"][i])})
    return pd.DataFrame(rows)


def rank_correlations(results: StudyResults, outputs: list[str] | None = None) -> pd.DataFrame:
    """Spearman rank correlation of each input with each output over the design points."""
    outputs = outputs or results.study.output_names
    means = results.point_means(outputs)
    rows = []
    for out in outputs:
        for name in results.study.parameter_names:
            pair = means[[name, out]].dropna()  # rank only the points that have the output
            ok = len(pair) > 2 and pair[name].nunique() > 1 and pair[out].nunique() > 1
            rho = float(pair.corr("spearman").iloc[0, 1]) if ok else np.nan
            rows.append({"output": out, "parameter": name, "spearman": rho})
    return pd.DataFrame(rows)


def indices(results: StudyResults, outputs: list[str] | None = None) -> pd.DataFrame:
    """The design's natural indices: Morris for morris, Sobol' for sobol, else rank correlations."""
    if isinstance(results.study.design, MorrisDesign):
        return morris_indices(results, outputs)
    if isinstance(results.study.design, SobolDesign):
        return sobol_indices(results, outputs)
    return rank_correlations(results, outputs)


# --------------------------------------------------------------------------- scenario discovery
def parse_condition(condition: str) -> tuple[str, str, float]:
    """``"participation_gap_means > 5"`` → ``("participation_gap_means", ">", 5.0)``."""
    m = re.fullmatch(r"\s*([A-Za-z_][\w.]*)\s*(>=|<=|==|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*", condition)
    if not m:
        raise ValueError(f"condition {condition!r}: write <output> <op> <number>, e.g. 'participation_gap_means > 5' (ops: > >= < <= ==)")
    return m.group(1), m.group(2), float(m.group(3))


def case_of_interest(results: StudyResults, condition: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The inputs per design point and whether the point's mean output meets ``condition``."""
    out, op, value = parse_condition(condition)
    if out not in results.study.output_names:
        raise ValueError(f"condition names {out!r}, which is not an output of this study: {', '.join(results.study.output_names)}")
    means = results.point_means([out]).dropna(subset=[out])
    return means[results.study.parameter_names], _OPS[op](means[out].to_numpy(), value)


@dataclass
class PrimResult:
    """The peeling trajectory of PRIM and the box chosen on it."""

    trajectory: pd.DataFrame  # step, coverage, density, mass, n, and lo/hi per parameter
    parameters: list[str]
    chosen: int
    n_interest: int
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)  # full input ranges

    def box(self, step: int | None = None) -> pd.DataFrame:
        """Limits of the box at ``step`` (the chosen one by default), restricted parameters first."""
        row = self.trajectory.iloc[self.chosen if step is None else step]
        rows = []
        for p in self.parameters:
            lo, hi = row[f"{p}.lo"], row[f"{p}.hi"]
            full_lo, full_hi = self.limits[p]
            rows.append({"parameter": p, "lo": lo, "hi": hi, "restricted": bool(lo > full_lo or hi < full_hi)})
        return pd.DataFrame(rows).sort_values("restricted", ascending=False, kind="stable").reset_index(drop=True)

    def describe(self, step: int | None = None) -> str:
        row = self.trajectory.iloc[self.chosen if step is None else step]
        box = self.box(step)
        lines = [f"box at step {int(row['step'])}: coverage {row['coverage']:.2f}, density {row['density']:.2f}, "
                 f"mass {row['mass']:.2f} ({int(row['n'])} points)"]
        for r in box[box["restricted"]].itertuples():
            lines.append(f"  {r.lo:.4g} <= {r.parameter} <= {r.hi:.4g}")
        if not box["restricted"].any():
            lines.append("  (no restriction)")
        return "\n".join(lines)


def prim(x: pd.DataFrame, y: np.ndarray, *, alpha: float = 0.05, mass_min: float = 0.05,
         min_coverage: float = 0.5) -> PrimResult:
    """PRIM peeling: repeatedly cut the ``alpha`` share of points off one side of one input,
    choosing the cut that raises the density of cases of interest most, until the box holds
    less than ``mass_min`` of the points.

    The chosen box is the densest on the trajectory whose coverage is at least
    ``min_coverage`` (the first such when tied). Coverage: share of all cases of interest
    inside the box; density: share of the box's points that are cases of interest; mass:
    share of all points inside the box.
    """
    y = np.asarray(y, dtype=bool)
    values = x.to_numpy(dtype=float)
    names = list(x.columns)
    n, total = len(y), int(y.sum())
    if total == 0:
        raise ValueError("no design point meets the condition: nothing to discover; loosen the threshold")
    limits = {p: (float(values[:, j].min()), float(values[:, j].max())) for j, p in enumerate(names)}
    lo = values.min(axis=0).copy()
    hi = values.max(axis=0).copy()
    inside = np.ones(n, dtype=bool)
    steps = []

    def record() -> None:
        k = int(inside.sum())
        steps.append({"step": len(steps), "coverage": y[inside].sum() / total, "density": y[inside].mean() if k else 0.0,
                      "mass": k / n, "n": k, **{f"{p}.lo": lo[j] for j, p in enumerate(names)},
                      **{f"{p}.hi": hi[j] for j, p in enumerate(names)}})

    record()
    while inside.sum() / n > mass_min:
        best = None
        for j in range(len(names)):
            col = values[inside, j]
            for side in ("lo", "hi"):
                cut = np.quantile(col, alpha if side == "lo" else 1 - alpha)
                keep = inside & (values[:, j] >= cut if side == "lo" else values[:, j] <= cut)
                # a cut must remove something and leave enough
                if keep.sum() == inside.sum() or keep.sum() / n < mass_min or not keep.any():
                    continue
                density = y[keep].mean()
                if best is None or density > best[0]:
                    best = (density, j, side, cut, keep)
        if best is None:
            break
        _, j, side, cut, keep = best
        if side == "lo":
            lo[j] = cut
        else:
            hi[j] = cut
        inside = keep
        record()
    traj = pd.DataFrame(steps)
    eligible = traj[traj["coverage"] >= min_coverage]
    chosen = int(eligible["density"].idxmax()) if len(eligible) else 0
    return PrimResult(traj, names, chosen, total, limits)


def tree_rules(x: pd.DataFrame, y: np.ndarray, *, max_depth: int = 3, min_samples_leaf: int | float = 0.05,
               seed: int = 0) -> pd.DataFrame:
    """Rules (one per leaf where most points meet the condition) of a shallow decision tree,
    with each rule's coverage, density and number of points."""
    from sklearn.tree import DecisionTreeClassifier

    y = np.asarray(y, dtype=bool)
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_samples_leaf, random_state=seed)
    tree.fit(x.to_numpy(dtype=float), y)
    t = tree.tree_
    names = list(x.columns)
    leaves = tree.apply(x.to_numpy(dtype=float))
    total = max(int(y.sum()), 1)
    rows = []

    def walk(node: int, conds: list[str]) -> None:
        if t.children_left[node] == t.children_right[node]:  # a leaf
            members = leaves == node
            density = float(y[members].mean()) if members.any() else 0.0
            if density > 0.5:
                rows.append({"rule": " and ".join(conds) or "(all)", "coverage": float(y[members].sum() / total),
                             "density": density, "n": int(members.sum())})
            return
        name, thr = names[t.feature[node]], t.threshold[node]
        walk(t.children_left[node], conds + [f"{name} <= {thr:.4g}"])
        walk(t.children_right[node], conds + [f"{name} > {thr:.4g}"])

    walk(0, [])
    return pd.DataFrame(rows, columns=["rule", "coverage", "density", "n"]).sort_values("coverage", ascending=False).reset_index(drop=True)


def discover(results: StudyResults, condition: str, **prim_kw) -> tuple[PrimResult, pd.DataFrame]:
    """Scenario discovery for ``condition`` (e.g. ``"participation_gap_means > 5"``): PRIM and tree rules."""
    x, y = case_of_interest(results, condition)
    return prim(x, y, **prim_kw), tree_rules(x, y)


# --------------------------------------------------------------------------- text report
def report(results: StudyResults, outputs: list[str] | None = None, condition: str | None = None) -> str:
    """A plain-text report: run counts, the design's indices per output, optional discovery."""
    lines = [results.summary()]
    if len(results.errors):
        first = results.errors.iloc[0]
        lines.append(f"first error (run {int(first['run_id'])}): {first['error']}")
    if len(results.ok):
        try:
            table = indices(results, outputs)
        except ValueError as exc:
            lines.append(f"indices not computed: {exc}")
        else:
            with pd.option_context("display.width", 160, "display.max_rows", 500, "display.float_format", "{:.4f}".format):
                for out, part in table.groupby("output", sort=False):
                    lines += ["", f"== {out}", part.drop(columns="output").to_string(index=False)]
    if condition:
        p, rules = discover(results, condition)
        lines += ["", f"== scenario discovery: {condition} ({p.n_interest} of {len(p.trajectory) and int(p.trajectory['n'].iloc[0])} points)",
                  "PRIM " + p.describe(), "", "decision-tree rules:", rules.to_string(index=False) if len(rules) else "  (none)"]
    return "\n".join(lines)
