"""The pilot monitor's report: the comparison and the calibration as text (command line) and as figures.

Text is plain (Markdown-ish) in Dutch or English; figures are HoloViews objects (Bokeh),
imported only when asked for, so that the command line stays light. A report of the
synthetic example says so in its first line, and so does every figure's title.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from model.pilot.compare import (
    ALERT_WEEKS,
    BAND,
    GROUPING_LABELS,
    MEASURE_LABELS,
    Alert,
    PilotComparison,
)


def _num(v: float, digits: int = 1) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:,.{digits}f}".replace(",", " ")


def fit_lines(fit: pd.DataFrame, lang: str = "nl") -> list[str]:
    en = lang == "en"
    head = ("grouping | measure | MAE | RMSE | bias | mean observed | inside band | cells" if en else
            "indeling | maat | MAE | RMSE | afwijking | gem. waargenomen | binnen de band | cellen")
    out = [head]
    for _, r in fit.iterrows():
        out.append(" | ".join([GROUPING_LABELS[r["grouping"]][en], MEASURE_LABELS[r["measure"]][en], _num(r["mae"]),
                               _num(r["rmse"]), _num(r["bias"]), _num(r["mean_observed"]),
                               "–" if not np.isfinite(r["inside_share"]) else f"{100 * r['inside_share']:.0f} %",
                               str(int(r["cells"]))]))
    return out


def alert_lines(alerts: Sequence[Alert], lang: str = "nl", limit: int = 40) -> list[str]:
    en = lang == "en"
    if not alerts:
        return ["No alerts: observed uptake never left the band for "
                f"{ALERT_WEEKS} weeks in a row." if en else
                f"Geen signalen: de waargenomen deelname lag nooit {ALERT_WEEKS} weken op rij buiten de band."]
    ordered = sorted(alerts, key=lambda a: (not a.open, ["total", "offer_id", "wijk", "age_group"].index(a.grouping),
                                            -a.weeks))
    out = [f"- {a.message(lang)}" for a in ordered[:limit]]
    if len(ordered) > limit:
        out.append(f"... and {len(ordered) - limit} more" if en else f"... en nog {len(ordered) - limit}")
    return out


def comparison_report(cmp: PilotComparison, lang: str = "nl") -> str:
    """The comparison as text: what was compared, the fit, the alerts (rule stated), the wijken furthest off."""
    from model.pilot.synthetic import SYNTHETIC_LABEL_EN, SYNTHETIC_LABEL_NL

    en = lang == "en"
    lines = []
    if cmp.synthetic:
        lines += [f"*** {SYNTHETIC_LABEL_EN if en else SYNTHETIC_LABEL_NL} ***", ""]
    pct = round(100 * cmp.band)
    if en:
        lines += [f"# Pilot monitor: {cmp.label('en')} against scenario {cmp.scenario}",
                  f"Weeks 1-{cmp.weeks}, {cmp.observed['offer_id'].nunique()} offers with rows in the data "
                  f"({'the offers reported' if cmp.offers is not None else 'every offer of the scenario compared; a missing row is 0'}); prediction: "
                  f"{len(cmp.seeds)} replications at {100 * cmp.population_scale:g} % of the population, "
                  f"{pct} % bands. Participants compare with the model's enrolments.", "", "## Goodness of fit"]
    else:
        lines += [f"# Pilootmonitor: {cmp.label('nl')} tegenover scenario {cmp.scenario}",
                  f"Week 1-{cmp.weeks}, {cmp.observed['offer_id'].nunique()} aanbod met rijen in de gegevens "
                  f"({'het gemelde aanbod' if cmp.offers is not None else 'al het aanbod van het scenario vergeleken; een ontbrekende rij is 0'}); voorspelling: "
                  f"{len(cmp.seeds)} herhalingen met {100 * cmp.population_scale:g} % van de bevolking, "
                  f"banden van {pct} %. Deelnemers worden vergeleken met de inschrijvingen van het model.", "",
                  "## Overeenkomst"]
    lines += fit_lines(cmp.fit(), lang)
    alerts = cmp.alerts()
    rule = (f"an alert when observed uptake lies above, or below, the {pct} % band in {ALERT_WEEKS} or more "
            "consecutive weeks" if en else
            f"een signaal wanneer de waargenomen deelname {ALERT_WEEKS} of meer weken op rij boven, of onder, "
            f"de band van {pct} % ligt")
    lines += ["", f"## {'Alerts' if en else 'Signalen'} ({len(alerts)}; {rule})"]
    lines += alert_lines(alerts, lang)
    wd = cmp.wijk_difference().sort_values("difference", key=np.abs, ascending=False).head(5)
    lines += ["", "## " + ("Wijken furthest from the prediction (participants, all observed weeks)" if en else
                           "Wijken het verst van de voorspelling (deelnemers, alle waargenomen weken)")]
    for _, r in wd.iterrows():
        inside = ("inside the band" if en else "binnen de band") if r["inside"] else ("outside the band" if en else
                                                                                      "buiten de band")
        lines.append(f"- {r['wijk']}: {_num(r['observed'], 0)} vs {_num(r['mean'], 0)} "
                     f"({'+' if r['difference'] >= 0 else ''}{_num(r['difference'], 0)}; {inside})")
    return "\n".join(lines)


def calibration_report(result, lang: str = "nl") -> str:
    """The calibration as text: generations, intervals, what the data did not identify."""
    from model.pilot.synthetic import SYNTHETIC_LABEL_EN, SYNTHETIC_LABEL_NL

    en = lang == "en"
    lines = []
    if result.synthetic:
        lines += [f"*** {SYNTHETIC_LABEL_EN if en else SYNTHETIC_LABEL_NL} ***", ""]
    lines.append(f"# {'Calibration (ABC-SMC)' if en else 'Kalibratie (ABC-SMC)'}: {result.scenario}, "
                 f"{result.simulations} {'simulations' if en else 'simulaties'}, {result.wall_s:.0f} s")
    for _, g in result.generations.iterrows():
        name = "prior" if g["t"] < 0 else f"{'generation' if en else 'generatie'} {int(g['t']) + 1}"
        lines.append(f"- {name}: {int(g['accepted'])}/{int(g['simulations'])} "
                     f"({100 * g['acceptance_rate']:.0f} %), eps {_num(g['epsilon'], 3)}, {g['seconds']:.0f} s")
    lines += ["", "parameter | median | 90 % | prior | " + ("identified" if en else "geïdentificeerd")]
    for p, r in result.intervals.iterrows():
        ok = ("yes" if en else "ja") if r["identified"] else ("no" if en else "nee")
        lines.append(f"{r['label_en'] if en else r['label_nl']} ({p}) | {r['median']:.4g} | {r['lo']:.4g} – {r['hi']:.4g}"
                     f" | {r['prior_lo']:g} – {r['prior_hi']:g} | {ok}")
    missing = result.not_identified()
    if missing:
        lines.append(("Not identified by these data (posterior interval more than half the prior's): " if en else
                      "Niet geïdentificeerd door deze gegevens (interval meer dan de helft van de prior): ")
                     + ", ".join(missing))
    return "\n".join(lines)


# --------------------------------------------------------------------------- figures (HoloViews)
def _title(text: str, synthetic: bool) -> str:
    return f"SYNTHETISCH / SYNTHETIC: {text}" if synthetic else text


def band_figure(table: pd.DataFrame, title: str = "", synthetic: bool = False, height: int = 300):
    """Observed (dots) over the prediction band (area) and mean (line) by week, for one group."""
    import holoviews as hv
    import holoviews.plotting.bokeh

    t = table.sort_values("week")
    area = hv.Area((t["week"], t["lo"], t["hi"]), "week", ["lo", "hi"], label="band").opts(alpha=0.3, color="#9ecae1")
    mean = hv.Curve((t["week"], t["mean"]), "week", "mean", label="model").opts(color="#08519c")
    parts = [area, mean]
    obs = t.dropna(subset=["observed"])
    if len(obs):
        parts.append(hv.Scatter((obs["week"], obs["observed"]), "week", "observed", label="waargenomen / observed")
                     .opts(color="#d95f02", size=7))
    return hv.Overlay(parts).opts(title=_title(title, synthetic), height=height, responsive=True,
                                  legend_position="top_left", ylabel="aantal / count", xlabel="pilootweek / pilot week")


def posterior_figure(result, height: int = 240):
    """One weighted histogram per calibrated parameter over its prior range, the 90 % interval marked."""
    import holoviews as hv
    import holoviews.plotting.bokeh

    plots = []
    for p in result.parameters:
        r = result.intervals.loc[p]
        edges = np.linspace(r["prior_lo"], r["prior_hi"], 26)
        counts, _ = np.histogram(result.posterior[p], bins=edges, weights=result.posterior["weight"], density=True)
        name = p.split(".")[-1]
        hist = hv.Histogram((edges, counts), kdims=[name], vdims=["density"]).opts(color="#6baed6", line_color=None,
                                                                                  ylabel="dichtheid / density")
        lo = hv.VLine(r["lo"]).opts(color="#08519c", line_dash="dashed")
        hi = hv.VLine(r["hi"]).opts(color="#08519c", line_dash="dashed")
        med = hv.VLine(r["median"]).opts(color="#d95f02")
        plots.append((hist * lo * hi * med).opts(title=_title(f"{r['label_nl']} / {r['label_en']}", result.synthetic),
                                                 height=height, width=320, xlabel=name))
    return hv.Layout(plots).cols(2)


__all__ = ["BAND", "alert_lines", "band_figure", "calibration_report", "comparison_report", "fit_lines",
           "posterior_figure"]
