"""The read-out: what a run means, as cards, compare tables and map layers, in Dutch or English.

:class:`Readout` holds the latest results of the design, its baseline on the same seeds
and their paired comparison (:func:`model.compare.compare_runs`), plus any compared
scenarios. A difference is called a difference only when its interval excludes zero;
otherwise it reads "geen duidelijk verschil / no clear difference". Better and worse
follow each indicator's direction (:attr:`model.indicators.Indicator.higher_is_better`,
:data:`model.indicators.WIJK_DIRECTIONS`) in cards, compare tables and the change map;
the change map leaves out (greys) wijken whose change is not clear or that hold too few
simulated residents. Nothing here knows Panel: a pilot monitor can format its own runs.
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import param
from scipy import stats

from model.compare import (CONFIDENCE, MIN_WIJK_RESIDENTS, UNCLEAR, PairedComparison, interval, pair_by_seed,
                           summary_differences, verdict, verdict_label)
from model.indicators import INDICATORS, WIJK_DIRECTIONS

from .i18n import number, tr, unit_label
from .runs import RunSummary, wijk_table

#: The indicators shown as cards, in this order.
CARD_INDICATORS: tuple[str, ...] = (
    "reach", "participation_gap_means", "participation_gap_wijken", "progression_steps", "share_zelf_doen",
    "mean_travel_minutes", "waiting_list", "badges_earned", "budget_spent_eur", "cost_per_participant_eur",
)
#: The few cards of the presenter view.
KEY_CARDS: tuple[str, ...] = ("reach", "participation_gap_means", "progression_steps", "share_zelf_doen")

#: Per-wijk indicators the map can show, with Dutch/English label, unit and meaning.
WIJK_LAYERS: dict[str, tuple[str, str, str, str, str]] = {
    "reach": ("Bereik", "Reach", "%", "aandeel bewoners van de wijk dat minstens één keer deelnam",
              "share of the wijk's residents who took part at least once"),
    "reach_low_means": ("Bereik lage middelen", "Reach (low means)", "%",
                        "aandeel bewoners met lage middelen dat minstens één keer deelnam",
                        "share of low-means residents who took part at least once"),
    "steps_per_100": ("Stappen vooruit per 100", "Steps of progress per 100", "stappen/100 bewoners",
                      "stappen omhoog op een leerpad per 100 bewoners", "steps up a learning path per 100 residents"),
    "participants": ("Deelnemers", "Participants", "bewoners", "bewoners die minstens één keer deelnamen",
                     "residents who took part at least once"),
}


@dataclass(frozen=True)
class Card:
    """One indicator card as the screen shows it."""

    name: str
    label: str
    value: float
    value_text: str
    unit: str
    meaning: str
    delta: float | None
    delta_text: str
    verdict: str | None  # a model.compare verdict code, or None (no baseline)
    spread_text: str
    interval_text: str = ""
    verdict_text: str = ""


@dataclass(frozen=True)
class MapLayer:
    """What the wijken are coloured by."""

    key: str
    label: str
    unit: str
    meaning: str
    values: pd.Series  # index wijk; NaN where unknown or (change layers) not clear
    diverging: bool
    higher_is_better: bool | None = True
    unclear: tuple[str, ...] = ()  # wijken greyed because their change is not clear


def signed(value: float, digits: int | None = None) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return sign + number(abs(value), digits)


def interval_text(lo: float, hi: float, digits: int | None = None) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "?"
    return f"{signed(lo, digits)} … {signed(hi, digits)}"


@functools.lru_cache(maxsize=64)
def _t(confidence: float, dof: int) -> float:
    return float(stats.t.ppf(0.5 + confidence / 2, dof))


def _row_intervals(diff: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`model.compare.interval` of every row of ``diff`` (wijken × seeds) at once, with the same numbers."""
    n_rows, n = diff.shape
    mean, lo, hi = (np.full(n_rows, np.nan) for _ in range(3))
    finite = np.isfinite(diff).all(axis=1)
    if n >= 2 and finite.any():
        d = diff[finite]
        m = d.mean(axis=1)
        half = _t(confidence, n - 1) * d.std(axis=1, ddof=1) / math.sqrt(n)
        mean[finite], lo[finite], hi[finite] = m, m - half, m + half
    for i in np.flatnonzero(~finite if n >= 2 else np.ones(n_rows, bool)):  # a missing value or one seed: row by row
        mean[i], lo[i], hi[i] = interval(diff[i], confidence)
    return mean, lo, hi


def paired_runs(design_runs, baseline_runs, confidence: float = CONFIDENCE) -> PairedComparison:
    """:func:`model.compare.compare_runs`, with the per-wijk part done a whole indicator at a time.

    The same pairing, intervals, verdicts and frames (``tests/test_workshop_readout.py`` checks it
    against the model's function value for value); about ten times quicker, which is most of the
    time between the last run finishing and the cards being shown.
    """
    base_runs = pair_by_seed(design_runs, baseline_runs)
    seeds = [r.seed for r in design_runs]
    summary = summary_differences(design_runs, base_runs, confidence)

    tables_d = [wijk_table(r) for r in design_runs]
    tables_b = [wijk_table(r) for r in base_runs]
    names = [c for c in tables_d[0].columns if c in tables_b[0].columns]
    residents = [t["simulated_residents"] if "simulated_residents" in t.columns else pd.Series(np.nan, index=t.index)
                 for t in tables_d + tables_b]
    sim = pd.concat(residents, axis=1).min(axis=1)
    # the wijken as the model's version lines them up (the design's tables side by side)
    index = pd.concat([t[names[0]] for t in tables_d], axis=1).index if names else tables_d[0].index
    sim_here = sim.reindex(index).to_numpy(dtype=float)
    few = np.isfinite(sim_here) & (sim_here < MIN_WIJK_RESIDENTS)
    columns: dict[str, list] = {k: [] for k in ("wijk", "indicator", "design", "baseline", "diff", "lo", "hi",
                                                 "simulated_residents", "clear", "verdict")}
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a wijk nobody lives in: NaN, as in the model's version
        for name in names:
            d = np.column_stack([t[name].reindex(index).to_numpy(dtype=float) for t in tables_d])
            b = np.column_stack([t[name].reindex(index).to_numpy(dtype=float) for t in tables_b])
            mean, lo, hi = _row_intervals(d - b, confidence)
            direction = WIJK_DIRECTIONS.get(name, True)
            codes = [UNCLEAR if few[i] else verdict(lo[i], hi[i], direction) for i in range(len(index))]
            columns["wijk"] += list(index)
            columns["indicator"] += [name] * len(index)
            columns["design"] += [float(v) for v in np.nanmean(d, axis=1)]
            columns["baseline"] += [float(v) for v in np.nanmean(b, axis=1)]
            columns["diff"] += [float(v) for v in mean]
            columns["lo"] += [float(v) for v in lo]
            columns["hi"] += [float(v) for v in hi]
            columns["simulated_residents"] += [float(v) for v in sim_here]
            columns["clear"] += [c != UNCLEAR for c in codes]
            columns["verdict"] += codes
    by_wijk = pd.DataFrame(columns) if names else pd.DataFrame([])
    first = design_runs[0]
    return PairedComparison(first.scenario_name, base_runs[0].scenario_name, seeds, confidence, summary, by_wijk,
                            list(design_runs), base_runs)


class Readout(param.Parameterized):
    """Results of the design, its baseline and compared scenarios, read for the screen."""

    results = param.ClassSelector(class_=RunSummary, default=None, allow_None=True, doc="latest good run of the design")
    baseline = param.ClassSelector(class_=RunSummary, default=None, allow_None=True, doc="today's baseline, same seeds")
    paired = param.ClassSelector(class_=PairedComparison, default=None, allow_None=True, doc="design minus baseline")
    comparison = param.Dict(default={}, doc="label -> RunSummary of compared scenarios")
    compared = param.Dict(default={}, doc="label -> PairedComparison of the design against that scenario")
    results_key = param.String(default="", doc="design_key of the design the results belong to")
    lang = param.Selector(default="nl", objects=["nl", "en"])

    def t(self, key: str, **kw) -> str:
        return tr(key, self.lang, **kw)

    # ------------------------------------------------------------------ setting
    def show(self, design: RunSummary, baseline: RunSummary | None, key: str,
             compared: dict[str, RunSummary] | None = None) -> None:
        """New results: pair the design with its baseline and each compared scenario (same seeds)."""
        paired = paired_runs(design.runs, baseline.runs) if baseline is not None and baseline.runs else None
        pairs = {label: paired_runs(design.runs, other.runs) for label, other in (compared or {}).items() if other.runs}
        with param.parameterized.batch_call_watchers(self):
            self.results, self.baseline, self.paired, self.results_key = design, baseline, paired, key
            self.comparison, self.compared = dict(compared or {}), pairs

    def add_compared(self, label: str, other: RunSummary) -> None:
        pair = paired_runs(self.results.runs, other.runs) if self.results is not None else None
        with param.parameterized.batch_call_watchers(self):
            self.comparison = {**self.comparison, label: other}
            if pair is not None:
                self.compared = {**self.compared, label: pair}

    def clear(self) -> None:
        self.param.update(results=None, baseline=None, paired=None, comparison={}, compared={}, results_key="")

    def clear_comparison(self) -> None:
        self.param.update(comparison={}, compared={})

    # ------------------------------------------------------------------ cards
    def verdict_words(self, code: str | None) -> str:
        return verdict_label(code, self.lang) if code else ""

    def cards(self, names: tuple[str, ...] = CARD_INDICATORS) -> list[Card]:
        """The indicator cards a user reads: value, unit, change with its interval and verdict, meaning."""
        out: list[Card] = []
        if self.results is None:
            return out
        n = len(self.results.seeds)
        for name in names:
            if name not in INDICATORS:
                continue
            ind = INDICATORS[name]
            value = self.results.value(name)
            lo, hi = (float(self.results.summary.loc[name, c]) for c in ("lo", "hi"))
            unit = unit_label(ind.unit, self.lang)
            delta = code = None
            delta_text = interval = words = ""
            if self.paired is not None and name in self.paired.summary.index:
                row = self.paired.summary.loc[name]
                delta, code = float(row["diff"]), str(row["verdict"])
                words = self.verdict_words(code)
                interval = interval_text(float(row["lo"]), float(row["hi"]))
                pct = int(round(100 * self.paired.confidence))
                if code == UNCLEAR:
                    delta_text = f"{words} {self.t('vs_baseline')} ({signed(delta)}; {pct}%: {interval} {unit})"
                else:
                    delta_text = f"{signed(delta)} {unit} {self.t('vs_baseline')} ({words}; {pct}%: {interval})"
            spread = f"{number(lo)}–{number(hi)} ({n} seeds)" if n > 1 else ""
            out.append(Card(name, ind.label(self.lang), value, number(value), unit, ind.meaning(self.lang),
                            delta, delta_text, code, spread, interval, words))
        return out

    # ------------------------------------------------------------------ compare tables
    def compare_table(self, names: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Per indicator: this design, the baseline, the difference with its interval and verdict, compared scenarios.

        Verdict columns hold the words; :meth:`compare_verdicts` gives the codes for colouring.
        """
        if self.results is None:
            return pd.DataFrame()
        rows = []
        for name in names or tuple(INDICATORS):
            if name not in INDICATORS:
                continue
            ind = INDICATORS[name]
            row = {self.t("indicator"): f"{ind.label(self.lang)} ({unit_label(ind.unit, self.lang)})",
                   self.t("current_design"): self.results.value(name)}
            for label, pair, other in self._pairs():
                if pair is None or name not in pair.summary.index:
                    continue
                r = pair.summary.loc[name]
                row[label] = float(r["baseline"])
                row[f"{self.t('difference')} ↔ {label}"] = float(r["diff"])
                row[f"{self.t('interval')} ↔ {label}"] = interval_text(float(r["lo"]), float(r["hi"]))
                row[f"{self.t('verdict')} ↔ {label}"] = self.verdict_words(str(r["verdict"]))
            rows.append(row)
        return pd.DataFrame(rows)

    def compare_verdicts(self, names: tuple[str, ...] | None = None) -> pd.DataFrame:
        """The verdict codes behind :meth:`compare_table` (same rows; one column per compared label)."""
        rows = []
        for name in names or tuple(INDICATORS):
            if name not in INDICATORS:
                continue
            rows.append({label: (str(pair.summary.loc[name, "verdict"]) if pair is not None and name in pair.summary.index else None)
                         for label, pair, _ in self._pairs()})
        return pd.DataFrame(rows)

    def _pairs(self) -> list[tuple[str, PairedComparison | None, RunSummary | None]]:
        out = []
        if self.baseline is not None:
            out.append((self.t("baseline"), self.paired, self.baseline))
        for label, other in self.comparison.items():
            out.append((label, self.compared.get(label), other))
        return out

    def compare_wijk_table(self, name: str = "reach") -> pd.DataFrame:
        """Per wijk: the design, the baseline, the change with its interval and verdict, simulated residents."""
        if self.results is None:
            return pd.DataFrame()
        frame = pd.DataFrame({self.t("current_design"): self.results.wijk[name]})
        if self.paired is not None:
            change = self.paired.wijk_change(name)
            frame[self.t("baseline")] = change["baseline"]
            frame[f"{self.t('difference')} ↔ {self.t('baseline')}"] = change["diff"]
            frame[self.t("interval")] = [interval_text(lo, hi, 1) for lo, hi in zip(change["lo"], change["hi"])]
            frame[self.t("verdict")] = [self.verdict_words(v) for v in change["verdict"]]
            frame[self.t("simulated")] = change["simulated_residents"]
        for label, other in self.comparison.items():
            frame[label] = other.wijk[name]
        frame.index.name = "wijk"
        return frame.reset_index()

    def wijk_verdicts(self, name: str = "reach") -> pd.Series:
        if self.paired is None:
            return pd.Series(dtype=object)
        return self.paired.wijk_change(name)["verdict"]

    def gains_and_losses(self, name: str = "reach", n: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, int]:
        """The wijken with the largest *clear* gains and losses (diff, lo, hi), and how many changes are not clear."""
        empty = pd.DataFrame(columns=["diff", "lo", "hi"])
        if self.paired is None:
            return empty, empty, 0
        change = self.paired.wijk_change(name)
        clear = change[change["clear"]]
        better = WIJK_DIRECTIONS.get(name, True) is not False
        gains = clear[clear["diff"] > 0].sort_values("diff", ascending=False).head(n)[["diff", "lo", "hi"]]
        losses = clear[clear["diff"] < 0].sort_values("diff").head(n)[["diff", "lo", "hi"]]
        if not better:
            gains, losses = losses, gains
        return gains, losses, int((~change["clear"]).sum())

    # ------------------------------------------------------------------ map layers
    def layer_label(self, key: str) -> str:
        change = key.startswith("change:")
        base = WIJK_LAYERS[key.split(":")[-1]]
        label = base[0] if self.lang == "nl" else base[1]
        if change:
            return (f"Verandering: {label.lower()} t.o.v. vandaag" if self.lang == "nl"
                    else f"Change: {label.lower()} vs today")
        return label

    def map_layer(self, key: str, wijken: pd.Index) -> MapLayer:
        """A results layer (``reach``) or a change layer (``change:reach``: only clear changes, others NaN)."""
        name = key.split(":")[-1]
        spec = WIJK_LAYERS[name]
        meaning = spec[3] if self.lang == "nl" else spec[4]
        label = self.layer_label(key)
        empty = pd.Series(np.nan, index=wijken)
        direction = WIJK_DIRECTIONS.get(name, True)
        if key.startswith("change:"):
            unit = unit_label("%-punt" if spec[2] == "%" else spec[2], self.lang)
            if self.paired is None:
                return MapLayer(key, label, unit, meaning, empty, True, direction)
            change = self.paired.wijk_change(name).reindex(wijken)
            clear = change["clear"].fillna(False).astype(bool)
            values = change["diff"].where(clear)
            unclear = tuple(w for w in wijken if not clear.get(w, False))
            return MapLayer(key, label, unit, meaning, values, True, direction, unclear)
        if self.results is None:
            return MapLayer(key, label, unit_label(spec[2], self.lang), meaning, empty, False, direction)
        return MapLayer(key, label, unit_label(spec[2], self.lang), meaning, self.results.wijk[name].reindex(wijken),
                        False, direction)

    def grey_note(self) -> str:
        """What grey means on a change map (for its legend)."""
        return self.t("grey_legend", n=MIN_WIJK_RESIDENTS)


__all__ = ["CARD_INDICATORS", "KEY_CARDS", "Card", "MapLayer", "Readout", "WIJK_LAYERS", "interval_text", "paired_runs",
           "signed"]
