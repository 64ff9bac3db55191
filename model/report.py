"""The council report of the site planner: one self-contained HTML file, plus a CSV of every table.

The HTML needs no internet to open: maps are inline SVG drawn here from the wijk
polygons, styles are inline, the scenarios (layouts as scenario YAML) and every table
(CSV) are attached as ``data:`` links. It states, next to every figure, which
travel-time method produced it and the network's date; every assumption behind the
population weights (from ``data/README.md`` and :mod:`model.accessibility`); the data
sources and attributions (:data:`model.geography.ATTRIBUTIONS`); and, for every
simulated difference, whether it is inside the noise. All text is escaped.

>>> rep = build_report(catchments, sim=sim, robust=robust, compare=("a", "b"))   # doctest: +SKIP
>>> write_report(rep, "var/reports")                                            # doctest: +SKIP
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from model.accessibility import ACCESS_MODES, BANDS_MINUTES, AccessMode
from model.compare import CONFIDENCE, verdict_label
from model.indicators import INDICATORS
from model.paths import write_atomic
from model.planner import (SATELLITE_SESSIONS_MAX, SESSION_HOURS, ROOM_LABELS, LayoutCatchments, Robustness,
                           SimulatedUse, layout_timetable, layout_to_scenario)

#: The sections of the report, in order: (id, Dutch heading, English heading).
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("samenvatting", "Samenvatting", "Summary"),
    ("opstellingen", "Opstellingen", "Layouts"),
    ("bereik", "Bereik zonder simulatie", "Catchment without simulation"),
    ("toegankelijkheid", "Plaatsen per inwoner (2SFCA / E2SFCA)", "Places per resident (2SFCA / E2SFCA)"),
    ("gebruik", "Gesimuleerd gebruik", "Simulated use"),
    ("verschilkaart", "Verschilkaart", "Difference map"),
    ("robuustheid", "Robuustheid van de keuze", "Robustness of the choice"),
    ("methode", "Methode en reistijden", "Method and travel times"),
    ("aannames", "Aannames achter de bevolkingsgewichten", "Assumptions behind the population weights"),
    ("bronnen", "Bronnen en naamsvermelding", "Sources and attributions"),
    ("scenarios", "Scenario's (YAML, bijgevoegd)", "Scenarios (YAML, attached)"),
    ("tabellen", "Alle tabellen (CSV)", "Every table (CSV)"),
)
NOISE_NL, NOISE_EN = "binnen de ruis", "inside the noise"
_DATA_README = Path(__file__).resolve().parents[1] / "data" / "README.md"


@dataclass
class CouncilReport:
    """The report's HTML and its tables (name -> frame); the CSVs are these tables."""

    html: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def csv_zip(self) -> bytes:
        """Every table as ``<name>.csv`` in one zip (for a download button)."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, df in self.tables.items():
                zf.writestr(f"{name}.csv", df.to_csv(index=False))
        return buf.getvalue()


def write_report(report: CouncilReport, folder: str | Path, stem: str = "raadsrapport") -> dict[str, Path]:
    """Write ``<stem>.html`` and ``<stem>-<table>.csv`` for every table into ``folder`` (atomically)."""
    folder = Path(folder)
    out = {"html": write_atomic(folder / f"{stem}.html", lambda p: p.write_text(report.html, encoding="utf-8"))}
    for name, df in report.tables.items():
        out[name] = write_atomic(folder / f"{stem}-{name}.csv", lambda p, df=df: df.to_csv(p, index=False))
    return out


# =========================================================================== formatting
def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(v: Any, digits: int = 1) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return esc(v)
    if not np.isfinite(f):
        return "–"
    if abs(f) >= 1000:
        return f"{f:,.0f}".replace(",", " ")
    return f"{f:.{digits}f}"


def _hm(hours: float) -> str:
    minutes = int(round(float(hours) * 60))
    return f"{minutes // 60}:{minutes % 60:02d}"


def _ci(mean: float, lo: float, hi: float, digits: int = 1) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{_num(mean, digits)} (interval onbepaald / interval undefined)"
    return f"{_num(mean, digits)} ({_num(lo, digits)} – {_num(hi, digits)})"


def _table(df: pd.DataFrame, caption: str = "", digits: int = 1) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    rows = []
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, (float, np.floating)):
                cells.append(f"<td class='n'>{_num(v, digits)}</td>")
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                cells.append(f"<td class='n'>{esc(v)}</td>")
            else:
                cells.append(f"<td>{esc(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _method_note(catchments: LayoutCatchments, mode: AccessMode | str) -> str:
    return (f"<p class='method'>Reistijd / travel time: {esc(catchments.method(mode, 'nl'))} — "
            f"{esc(catchments.method(mode, 'en'))}</p>")


# =========================================================================== maps (inline SVG)
_SEQ = ("#00204d", "#13386e", "#3b496c", "#575d6d", "#707173", "#8a8779", "#a69d75", "#c4b56c", "#e4cf5b", "#ffea46")
_DIV = ("#b35806", "#e08214", "#fdb863", "#fee0b6", "#f7f7f7", "#d8daeb", "#b2abd2", "#8073ac", "#542788")
_GREY = "#d9d9d9"


def _colour(v: float, lo: float, hi: float, diverging: bool) -> str:
    if not np.isfinite(v):
        return _GREY
    pal = _DIV if diverging else _SEQ
    if diverging:
        m = max(abs(lo), abs(hi)) or 1.0
        t = (v + m) / (2 * m)
    else:
        t = 0.0 if hi <= lo else (v - lo) / (hi - lo)
    return pal[int(np.clip(round(t * (len(pal) - 1)), 0, len(pal) - 1))]


def wijk_map_svg(geo: Any, values: pd.Series, *, title: str, unit: str = "", sites: Sequence[tuple[float, float, str]] = (),
                 diverging: bool = False, unclear: Sequence[str] = (), note: str = "", width: int = 560) -> str:
    """An inline SVG map of the wijken coloured by ``values`` (wijk -> number), with sites as numbered dots.

    ``unclear`` wijken (a difference inside the noise) are drawn grey and hatched, and the
    legend says so; the attributions are part of the picture.
    """
    from model.geography import ATTRIBUTIONS

    wijken = geo.wijken
    minx, miny, maxx, maxy = wijken.total_bounds
    s = width / (maxx - minx)
    height = int((maxy - miny) * s)
    vals = values.reindex(wijken["wijk"]).to_numpy(float)
    finite = vals[np.isfinite(vals)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    unclear = set(unclear)
    paths = []
    for name, geom, v in zip(wijken["wijk"], wijken.geometry.simplify(15), vals):
        polys = getattr(geom, "geoms", [geom])
        d = ""
        for p in polys:
            xy = np.asarray(p.exterior.coords)
            pts = " ".join(f"{(x - minx) * s:.1f},{(maxy - y) * s:.1f}" for x, y in xy)
            d += f"M{pts}Z"
        fill = "url(#hatch)" if name in unclear else _colour(v, lo, hi, diverging)
        label = f"{name}: {_num(v)} {unit}".strip() + (f" ({NOISE_NL} / {NOISE_EN})" if name in unclear else "")
        paths.append(f"<path d='{d}' fill='{fill}' stroke='#ffffff' stroke-width='0.8'><title>{esc(label)}</title></path>")
    dots = []
    for i, (x, y, label) in enumerate(sites, 1):
        cx, cy = (x - minx) * s, (maxy - y) * s
        dots.append(f"<circle cx='{cx:.1f}' cy='{cy:.1f}' r='7' fill='#d7191c' stroke='#fff' stroke-width='2'>"
                    f"<title>{esc(label)}</title></circle><text x='{cx + 9:.1f}' y='{cy + 4:.1f}' font-size='12' "
                    f"font-weight='bold' fill='#000'>{i}</text>")
    legend_h = 66
    pal = _DIV if diverging else _SEQ
    step = 200 / len(pal)
    bar = "".join(f"<rect x='{10 + k * step:.1f}' y='{height + 12}' width='{step + 0.5:.1f}' height='12' fill='{c}'/>"
                  for k, c in enumerate(pal))
    m = max(abs(lo), abs(hi))
    left, right = ((-m, m) if diverging else (lo, hi))
    legend = (f"{bar}<text x='10' y='{height + 38}' font-size='11'>{esc(_num(left))}</text>"
              f"<text x='210' y='{height + 38}' font-size='11' text-anchor='end'>{esc(_num(right))} {esc(unit)}</text>")
    if unclear:
        legend += (f"<rect x='230' y='{height + 12}' width='14' height='12' fill='url(#hatch)' stroke='#999'/>"
                   f"<text x='248' y='{height + 22}' font-size='11'>{esc(NOISE_NL)} / {esc(NOISE_EN)}</text>")
    att = [" · ".join(ATTRIBUTIONS[:2]), " · ".join(ATTRIBUTIONS[2:])]
    legend += "".join(f"<text x='10' y='{height + 50 + 10 * k}' font-size='7' fill='#555'>{esc(t)}</text>"
                      for k, t in enumerate(att))
    defs = ("<defs><pattern id='hatch' width='6' height='6' patternUnits='userSpaceOnUse' patternTransform='rotate(45)'>"
            f"<rect width='6' height='6' fill='{_GREY}'/><line x1='0' y1='0' x2='0' y2='6' stroke='#888' stroke-width='2'/>"
            "</pattern></defs>")
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' role='img' viewBox='0 0 {width} {height + legend_h}' width='{width}' "
           f"height='{height + legend_h}'><title>{esc(title)}</title>{defs}{''.join(paths)}{''.join(dots)}{legend}</svg>")
    cap = f"<figcaption>{esc(title)}{(' — ' + note) if note else ''}</figcaption>"
    return f"<figure>{svg}{cap}</figure>"


# =========================================================================== the report
_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1a1a1a}
h1{color:#12355b}h2{color:#12355b;border-bottom:2px solid #12355b;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.86em}caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top}th{background:#eef2f7;text-align:left}td.n{text-align:right}
.method{font-size:.85em;color:#444;background:#f6f6f6;border-left:3px solid #999;padding:.3em .6em}
.noise{color:#8a5a00}.en{color:#555}figure{margin:1em 0}figcaption{font-size:.85em;color:#333}
pre{background:#f6f6f6;padding:.6em;overflow:auto;font-size:.8em}nav a{margin-right:.8em}
"""


#: Crowding colours, from an empty room (light) to a full one (dark red).
_HEAT = ("#fff7ec", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#b30000", "#7f0000")


def block_heatmap_svg(blocks: pd.DataFrame, *, title: str, width_per_hour: int = 26) -> str:
    """An inline SVG heatmap of one room's week: days (rows) × hours (columns), coloured by crowding.

    ``blocks``: rows of :meth:`model.planner.SimulatedUse.blocks` for one room (``day``,
    ``hour``, ``visitors``, ``crowding``). Colour is crowding (visitors over places, 0 to at
    least 1; a cell above 1 is outlined), the number is visitors (none: open, nobody
    there); hours the room is closed have no cell.
    """
    from model.scenario import DAY_LABELS, DAYS

    if blocks.empty:
        return ""
    days = [d for d in DAYS if d in set(blocks["day"])]
    h0, h1 = int(blocks["hour"].min()), int(blocks["hour"].max())
    finite = blocks["crowding"].to_numpy(float)
    hi = max(1.0, float(np.nanmax(finite)) if np.isfinite(finite).any() else 1.0)
    cw, ch, left, top = width_per_hour, 20, 64, 34
    w, h = max(left + cw * (h1 - h0 + 1) + 8, 560), top + ch * len(days) + 40
    cells = []
    for r in blocks.itertuples():
        x, y = left + cw * (int(r.hour) - h0), top + ch * days.index(r.day)
        crowd = float(r.crowding)
        t = min(1.0, crowd / hi) if np.isfinite(crowd) else 0.0
        fill = _HEAT[round(t * (len(_HEAT) - 1))] if np.isfinite(crowd) else _GREY
        stroke = " stroke='#000000' stroke-width='2'" if np.isfinite(crowd) and crowd > 1 else " stroke='#cccccc'"
        ink = "#ffffff" if t > 0.6 else "#000000"
        tip = (f"{DAY_LABELS[r.day][0]}/{DAY_LABELS[r.day][1]} {int(r.hour):02d}:00: {_num(r.visitors)} bezoekers / visitors, "
               f"drukte / crowding {_num(crowd, 2)}")
        shown = _num(r.visitors, 0) if float(r.visitors) >= 0.5 else ""
        cells.append(f"<rect x='{x}' y='{y}' width='{cw}' height='{ch}' fill='{fill}'{stroke}><title>{esc(tip)}</title></rect>"
                     f"<text x='{x + cw / 2}' y='{y + 14}' text-anchor='middle' font-size='10' fill='{ink}'>{esc(shown)}</text>")
    heads = "".join(f"<text x='{left + cw * (k - h0) + cw / 2}' y='{top - 6}' text-anchor='middle' font-size='10'>{k}</text>"
                    for k in range(h0, h1 + 1))
    rows = "".join(f"<text x='{left - 6}' y='{top + ch * i + 14}' text-anchor='end' font-size='11'>"
                   f"{esc(DAY_LABELS[d][0])} / {esc(DAY_LABELS[d][1])}</text>" for i, d in enumerate(days))
    legend = (f"<text x='{left}' y='{h - 20}' font-size='10'>kleur = drukte (bezoekers / plaatsen, 0 – {_num(hi, 2)}); getal = "
              "bezoekers; zwart omrand: boven 1; geen vak: gesloten</text>"
              f"<text x='{left}' y='{h - 6}' font-size='10'>colour = crowding (visitors over places); number = visitors; "
              "black outline: above 1; no cell: closed</text>")
    return (f"<figure class='heat'><svg xmlns='http://www.w3.org/2000/svg' data-figure='timetable' width='{w}' height='{h}' "
            f"role='img' aria-label='{esc(title)}'><text x='0' y='14' font-size='12' font-weight='bold'>{esc(title)}</text>"
            f"{heads}{rows}{''.join(cells)}{legend}</svg></figure>")


def build_report(catchments: LayoutCatchments, *, sim: SimulatedUse | None = None, robust: Robustness | None = None,
                 compare: tuple[str, str] | None = None, mode: AccessMode | str = AccessMode.WALK, band: float = 15.0,
                 title: str = "Siteplanner Genk — rapport voor de gemeenteraad / report for the council",
                 created: _dt.datetime | None = None) -> CouncilReport:
    """Build the council report from the catchments (always), simulated use and robustness (when run).

    Args:
        catchments: the layouts and their catchment engine.
        sim: simulated use of the layouts (same seeds); without it the section says it was not run.
        robust: the robustness design's result; without it the section says it was not run.
        compare: the two layouts of the difference map and the paired comparison (default: the first two).
        mode, band: the mode and band of the catchment maps.
    """
    geo = catchments.geo
    layouts = catchments.layouts
    names = list(layouts)
    mode = AccessMode(mode)
    if compare is None and len(names) >= 2:
        compare = (names[0], names[1])
    created = created or _dt.datetime.now(_dt.timezone.utc)
    tables: dict[str, pd.DataFrame] = {}
    body: dict[str, str] = {}

    # ---------------------------------------------------------------- layouts
    site_rows = []
    for name, layout in layouts.items():
        for i, s in enumerate(layout.sites):
            site_rows.append({
                "layout": name, "site": s.site_id, "naam / name": s.name, "rol / role": "hoofdsite / main" if i == 0 else
                "satelliet / satellite", "wijk": geo.wijk_of(s.x, s.y) or "", "x (L72)": round(s.x, 1), "y (L72)": round(s.y, 1),
                "ruimtes / rooms": "; ".join(f"{ROOM_LABELS[r.kind][0]}/{ROOM_LABELS[r.kind][1]} {r.name}: {r.capacity}"
                                             for r in s.rooms),
                "plaatsen / places": s.places, "openingsuren / opening hours": s.opening_hours,
                "uur/week / h/week": round(s.hours_per_week, 2), "vaste aanbieders / permanent": ", ".join(s.permanent),
                "gasten / guests": ", ".join(s.guests), "kosten EUR/jaar / cost EUR/year": s.cost_eur_per_year})
    tables["opstellingen"] = pd.DataFrame(site_rows)
    parts = [_table(tables["opstellingen"], "Sites per opstelling / sites per layout")]
    week, missing = [], []
    for name, layout in layouts.items():
        table, unscheduled = layout_timetable(layout, geo.venues)
        week.append(table.assign(layout=name))
        missing += [{"layout": name, "offer_id": o} for o in unscheduled]
    timetable = pd.concat(week, ignore_index=True) if week else pd.DataFrame()
    tables["rooster"] = timetable[["layout", *[c for c in timetable.columns if c != "layout"]]] if len(timetable) else timetable
    tables["rooster_zonder_uren"] = pd.DataFrame(missing, columns=["layout", "offer_id"])
    if len(timetable):
        from model.scenario import DAY_LABELS

        t = timetable.assign(**{"dag / day": [f"{DAY_LABELS[d][0]} / {DAY_LABELS[d][1]}" for d in timetable["day"]],
                                "uren / hours": [f"{_hm(a)}-{_hm(b)}" for a, b in zip(timetable["start"], timetable["end"])],
                                "weken / weeks": [f"{a}-{b}" for a, b in zip(timetable["start_week"], timetable["end_week"])]})
        parts.append(_table(t[["layout", "site_name", "room", "dag / day", "uren / hours", "title", "role", "weken / weeks"]],
                            "Rooster: elk aanbod van een site in zijn ruimte en uren (vóór de simulatie) / timetable: every "
                            "site offer in its room and hours (before simulation)"))
    for name in layouts:
        gone = [m["offer_id"] for m in missing if m["layout"] == name]
        if gone:
            parts.append(f"<p class='noise'><b>{esc(name)}</b>: {len(gone)} aanbod zonder vrije uren / offers without free "
                         f"hours: {esc(', '.join(gone[:12]))}{' …' if len(gone) > 12 else ''}</p>")
    body["opstellingen"] = "".join(parts)

    # ---------------------------------------------------------------- catchments
    totals = pd.concat([catchments.totals(n) .assign(layout=n) for n in names], ignore_index=True)
    totals = totals[["layout", *[c for c in totals.columns if c != "layout"]]]
    tables["bereik_per_site"] = totals
    reach = pd.concat([catchments.layout_reach(n) for n in names], ignore_index=True)
    tables["bereik_per_opstelling"] = reach
    wijk_reach = pd.concat([catchments.reach_by_wijk(n, mode, band) for n in names], ignore_index=True)
    tables["bereik_per_wijk"] = wijk_reach
    groups = pd.concat([catchments.catchment_table(n) for n in names], ignore_index=True)
    groups = groups[groups["group_kind"] != "all"]
    tables["bereik_per_groep"] = groups
    parts = [f"<p>Inwoners binnen 5/10/15/20/30 minuten van elke site, per vervoerswijze (te voet, fiets, auto, "
             f"openbaar vervoer) / residents within 5/10/15/20/30 minutes of each site, per mode. Kaarten: aandeel "
             f"inwoners van elke wijk binnen {band:g} min {esc(mode.label_nl)} van een site / maps: each wijk's share "
             f"within {band:g} min {esc(mode.label_en)} of any site.</p>"]
    for n in names:
        lay = layouts[n]
        sub = wijk_reach[wijk_reach["layout"] == n].set_index("wijk")["share_within"] * 100
        sites = [(s.x, s.y, f"{i}. {s.name}") for i, s in enumerate(lay.sites, 1)]
        parts.append(wijk_map_svg(geo, sub, title=f"{n}: % inwoners binnen {band:g} min {mode.label_nl} / "
                                  f"% of residents within {band:g} min {mode.label_en}", unit="%", sites=sites))
        parts.append(_method_note(catchments, mode))
        out = catchments.out_of_reach(n, mode, band)
        parts.append(f"<p><b>Wijken buiten bereik / wijken out of reach</b> ({band:g} min {esc(mode.label_nl)} / "
                     f"{esc(mode.label_en)}): {esc(', '.join(out) or 'geen / none')}</p>")
    for m in catchments.engine.modes:
        sub = totals[totals["mode"] == m.value]
        parts.append(_table(sub, f"Inwoners binnen reistijd, {m.label_nl} / residents within travel time, {m.label_en}", 0))
        parts.append(_method_note(catchments, m))
    yt = wijk_reach.pivot_table(index="wijk", columns="layout", values="youth_share_within", sort=False) * 100
    parts.append(_table(yt.reset_index(), f"Aandeel kinderen en jongeren (0-17) binnen {band:g} min {mode.label_nl} (%) / "
                        f"share of children and youth (0-17) within {band:g} min {mode.label_en} (%)"))
    parts.append(_method_note(catchments, mode))
    body["bereik"] = "".join(parts)

    # ---------------------------------------------------------------- 2SFCA / E2SFCA
    acc = pd.concat([catchments.places_by_wijk(names, mode=m, method=meth) for m in (AccessMode.WALK, AccessMode.BIKE)
                     for meth in ("2sfca", "e2sfca")], ignore_index=True)
    tables["plaatsen_per_inwoner"] = acc
    parts = ["<p>Plaatsen (tegelijk) per 1 000 inwoners: de twee-staps floating catchment (2SFCA, Luo &amp; Wang 2003; "
             "alles binnen 30 min telt) en de vorm met afstandsverval (E2SFCA, Luo &amp; Qi 2009; 0-10/10-20/20-30 min "
             "met gewicht 1,00/0,68/0,22). Places (at once) per 1,000 residents, 2SFCA and E2SFCA; checked against "
             "PySAL <code>access</code> in the tests.</p>"]
    for m in (AccessMode.WALK, AccessMode.BIKE):
        sub = acc[(acc["group"] == "all") & (acc["mode"] == m.value)]
        wide = sub.pivot_table(index="wijk", columns=["method", "layout"], values="places_per_1000", sort=False)
        wide.columns = [f"{meth} {lay}" for meth, lay in wide.columns]
        parts.append(_table(wide.reset_index(), f"Plaatsen per 1 000 inwoners, {m.label_nl} / places per 1,000 residents, "
                            f"{m.label_en}", 3))
        parts.append(_method_note(catchments, m))
    e2 = acc[(acc["group"] == "all") & (acc["mode"] == "walk") & (acc["method"] == "e2sfca")]
    for n in names:
        parts.append(wijk_map_svg(geo, e2[e2["layout"] == n].set_index("wijk")["places_per_1000"],
                                  title=f"{n}: E2SFCA plaatsen per 1 000 inwoners, te voet / places per 1,000 residents, on foot",
                                  sites=[(s.x, s.y, s.name) for s in layouts[n].sites]))
    parts.append(_method_note(catchments, AccessMode.WALK))
    body["toegankelijkheid"] = "".join(parts)

    # ---------------------------------------------------------------- simulated use
    noise_rule = (f"<p>Intervallen: {CONFIDENCE:.0%} Student-t over de replicaties; een verschil waarvan het interval 0 "
                  f"bevat is <span class='noise'>{NOISE_NL}</span> (geen duidelijk verschil). / Intervals: "
                  f"{CONFIDENCE:.0%} Student-t over the replications; a difference whose interval holds 0 is "
                  f"<span class='noise'>{NOISE_EN}</span> (no clear difference).</p>")
    if sim is None:
        body["gebruik"] = ("<p>Niet gesimuleerd in deze sessie / not simulated in this session: only figures without "
                           "simulation are in this report.</p>")
        body["verschilkaart"] = "<p>Geen simulatie, dus geen verschilkaart / no simulation, so no difference map.</p>"
    else:
        ind = sim.indicators()
        ind["label"] = [f"{_lab(i, 'nl')} / {_lab(i, 'en')}" for i in ind["indicator"]]
        tables["indicatoren"] = ind
        side = ind.assign(value=[_ci(m, l, h) for m, l, h in zip(ind["mean"], ind["lo"], ind["hi"])])
        side = side.pivot_table(index="label", columns="layout", values="value", aggfunc="first", sort=False).reset_index()
        parts = [f"<p>{len(sim.seeds)} replicaties per opstelling op dezelfde seeds (gemeenschappelijke toevalsgetallen), "
                 f"{sim.weeks} weken, {sim.population_scale:.0%} van de bevolking gesimuleerd (gewogen) / "
                 f"{len(sim.seeds)} replications per layout on the same seeds (common random numbers), {sim.weeks} weeks, "
                 f"{sim.population_scale:.0%} of the population simulated (weighted).</p>", noise_rule,
                 _table(side, "Indicatoren naast elkaar, gemiddelde (interval) / indicators side by side, mean (interval)")]
        if compare:
            a, b = compare
            cmp = sim.compare(a, b)
            cmp["label"] = [f"{_lab(i, 'nl')} / {_lab(i, 'en')}" for i in cmp["indicator"]]
            cmp["oordeel / verdict"] = [f"{verdict_label(v, 'nl')} / {verdict_label(v, 'en')}"
                                        + (f" ({NOISE_NL} / {NOISE_EN})" if v == "no_clear_difference" else "")
                                        for v in cmp["verdict"]]
            tables["vergelijking"] = cmp
            show = cmp[["label", a, b, "diff", "lo", "hi", "oordeel / verdict"]]
            parts.append(_table(show, f"{a} min {b}, gepaard over seeds / {a} minus {b}, paired over seeds"))
        rooms = sim.rooms()
        tables["ruimtes"] = rooms
        if len(rooms):
            r = rooms.assign(**{
                "bezoekers/week / visitors/week": [_ci(m, l, h) for m, l, h in zip(rooms["visitors_per_week"],
                                                                                  rooms["visitors_per_week_lo"],
                                                                                  rooms["visitors_per_week_hi"])],
                "wachtlijst / waiting list": [_ci(m, l, h, 0) for m, l, h in zip(rooms["waitlisted"], rooms["waitlisted_lo"],
                                                                                 rooms["waitlisted_hi"])],
                "drukte / crowding": [_ci(m, l, h, 2) for m, l, h in zip(rooms["crowding"], rooms["crowding_lo"],
                                                                          rooms["crowding_hi"])]})
            r["bezet / booked (%)"] = (100 * rooms["booked_share"]).round(0)
            r["per sessie / per session"] = [_ci(m, l, h) for m, l, h in zip(rooms["visitors_per_session"],
                                                                         rooms["visitors_per_session_lo"],
                                                                         rooms["visitors_per_session_hi"])]
            parts.append(_table(r[["layout", "site", "room", "room_kind", "places", "sessions_per_week", "bezet / booked (%)",
                                   "bezoekers/week / visitors/week", "per sessie / per session", "wachtlijst / waiting list",
                                   "drukte / crowding"]],
                                "Gebruik per ruimte (drukte = vraag / plaatsen) / use per room (crowding = demand over places)"))
        site_cost = sim.sites()
        tables["kosten_per_site"] = site_cost
        if len(site_cost):
            c = site_cost.assign(**{
                "deelnemers / participants": [_ci(m, l, h, 0) for m, l, h in zip(
                    site_cost["participants"], site_cost["participants_lo"], site_cost["participants_hi"])],
                "EUR per deelnemer / per participant": [_ci(m, l, h, 0) for m, l, h in zip(
                    site_cost["cost_per_participant_eur"], site_cost["cost_per_participant_eur_lo"],
                    site_cost["cost_per_participant_eur_hi"])]})
            parts.append(_table(c[["layout", "site", "site_name", "places", "hours_per_week", "running_cost_eur_per_year",
                                   "deelnemers / participants", "EUR per deelnemer / per participant"]],
                                f"Werkingskosten per site en kost per deelnemer ({sim.weeks} weken = kosten × {sim.weeks}/52) / "
                                f"running cost per site and cost per participant ({sim.weeks} weeks = cost × {sim.weeks}/52)", 0))
        blocks = sim.blocks()
        tables["bezoekers_per_uurblok"] = blocks
        if len(blocks):
            parts.append("<h3>Bezoekers per ruimte per uurblok / visitors per room per hour block</h3>"
                         "<p>Per ruimte het weekrooster: elke sessie van een aanbod houdt zijn ingeschreven deelnemers "
                         "(gemiddeld per week over de run, verdeeld over de sessies van het aanbod); een uur telt wie er "
                         "(een deel van) dat uur is. / Each room's week: every session of an offer holds its enrolled "
                         "learners (mean per week over the run, split over the offer's sessions); an hour counts who is "
                         "there (for part of) that hour. Drukte = bezoekers / plaatsen; de tabel (CSV) geeft ook de vraag "
                         "(met de wachtenden) / crowding = visitors over places; the table (CSV) also gives demand "
                         "(with those waiting).</p>")
            for (lay, site, site_name, room), sub in blocks.groupby(["layout", "site", "site_name", "room"], sort=False):
                kind = str(sub["room_kind"].iloc[0])
                label = ROOM_LABELS.get(kind, (kind, kind))
                parts.append(block_heatmap_svg(sub, title=f"{lay} · {site_name} · {room} ({label[0]} / {label[1]}, "
                                               f"{int(sub['places'].iloc[0])} plaatsen / places)"))
        uns = sim.unscheduled()
        tables["zonder_ruimte"] = uns
        for name in sim.runs:
            missing = uns.loc[uns["layout"] == name, "offer_id"].tolist()
            parts.append(f"<p><b>{esc(name)}</b>: {len(missing)} aanbod zonder vrije uren in een ruimte / offers that found "
                         f"no free room hours{': ' + esc(', '.join(missing[:12])) if missing else ''}"
                         f"{' …' if len(missing) > 12 else ''}.</p>")
        for name, warns in sim.warnings().items():
            parts.append(f"<p class='noise'>Let op / note ({esc(name)}): {esc('; '.join(warns))}</p>")
        grp = sim.by_group()
        tables["bereik_per_groep_gesimuleerd"] = grp
        g = grp.assign(value=[_ci(m, l, h) for m, l, h in zip(grp["mean"], grp["lo"], grp["hi"])])
        g = g.pivot_table(index=["grouping", "group"], columns="layout", values="value", aggfunc="first", sort=False)
        parts.append(_table(g.reset_index(), "Deelname (%) per leeftijds- en middelengroep / uptake (%) by age and means group"))
        bw = sim.by_wijk("reach")
        tables["deelname_per_wijk"] = bw
        w = bw.assign(value=[_ci(m, l, h) for m, l, h in zip(bw["mean"], bw["lo"], bw["hi"])])
        w = w.pivot_table(index="wijk", columns="layout", values="value", aggfunc="first", sort=False)
        parts.append(_table(w.reset_index(), "Deelname (%) per wijk / uptake (%) by wijk"))
        parts.append("<p class='method'>Reistijden in de simulatie: het model kiest per inwoner te voet, fiets of auto "
                     "over het OpenStreetMap-stratennet van 2021-08-06 (geen openbaar vervoer in de keuze) / travel times in "
                     "the simulation: each resident walks, bikes or drives on the OpenStreetMap street network of "
                     "2021-08-06 (no public transport in choice).</p>")
        body["gebruik"] = "".join(parts)
        if compare:
            a, b = compare
            diff = sim.wijk_difference(a, b, "reach")
            tables["verschil_per_wijk"] = diff
            unclear = list(diff.loc[~diff["clear"], "wijk"])
            shown = layouts.get(a) or sim.layouts[a]  # a layout removed after its run: the simulated version
            sites = [(s.x, s.y, f"{a}: {s.name}") for s in shown.sites]
            body["verschilkaart"] = (
                wijk_map_svg(geo, diff.set_index("wijk")["diff"], title=f"Deelname {a} min {b} (procentpunt) / uptake "
                             f"{a} minus {b} (percentage points)", unit="pt", sites=sites, diverging=True, unclear=unclear,
                             note=f"{len(unclear)} van {len(diff)} wijken {NOISE_NL} / {len(unclear)} of {len(diff)} wijken "
                                  f"{NOISE_EN}")
                + noise_rule + _table(diff, f"Verschil in deelname per wijk / difference in uptake by wijk ({a} − {b})")
                + "<p class='method'>Reistijd: modelkeuze te voet/fiets/auto op het OSM-stratennet van 2021-08-06 / "
                  "travel time: the model's walk/bike/car choice on the OSM street network of 2021-08-06.</p>")
        else:
            body["verschilkaart"] = "<p>Eén opstelling: niets om te vergelijken / one layout: nothing to compare.</p>"

    # ---------------------------------------------------------------- robustness
    if robust is None:
        body["robuustheid"] = "<p>Niet gedraaid in deze sessie / not run in this session.</p>"
    else:
        wins = robust.wins()
        tables["robuustheid"] = wins
        tables["robuustheid_steekproeven"] = robust.samples
        w = wins.assign(**{"aandeel beter / share better": (wins["share_better"] * 100).round(0),
                           "gelijk / tied (%)": (wins["share_tied"] * 100).round(0)})
        body["robuustheid"] = (
            f"<p>{len(robust.samples)} steekproeven (Latin hypercube) over de gedragsonzekerheden "
            f"{esc(', '.join(robust.parameters))} binnen hun grenzen, elke opstelling op dezelfde steekproeven en seeds. "
            f"Indicator: {esc(_lab(robust.indicator, 'nl'))} / {esc(_lab(robust.indicator, 'en'))}. / "
            f"{len(robust.samples)} samples (Latin hypercube) over the behavioural uncertainties within their bounds, "
            "every layout on the same samples and seeds.</p>"
            + _table(w[["layout", "other", "aandeel beter / share better", "gelijk / tied (%)", "n"]],
                     "Aandeel steekproeven waarin de opstelling beter doet dan de andere (%) / share of samples in which "
                     "the layout beats the other (%)", 0)
            + "<p class='method'>Reistijd: modelkeuze op het OSM-stratennet van 2021-08-06 / travel time: the model's "
              "choice on the OSM street network of 2021-08-06.</p>")

    # ---------------------------------------------------------------- method
    methods = pd.DataFrame([{"mode": m.value, "nl": catchments.method(m, "nl"), "en": catchments.method(m, "en")}
                            for m in catchments.engine.modes])
    tables["reistijdmethode"] = methods
    body["methode"] = (
        f"<p>Stratennet / street network: OpenStreetMap, toestand / as of <b>{esc(getattr(geo, 'network_date', '2021-08-06'))}</b>.</p>"
        + _table(methods, "Reistijdmethode per vervoerswijze / travel-time method per mode")
        + "<p><b>Openbaar vervoer / public transport:</b> zonder dienstregeling is dit een wandeling naar de dichtste "
          "bushalte plus een aanname, geen meting; met een GTFS-bestand (De Lijn) echte reistijden. / without a timetable "
          "this is a walk to the nearest bus stop plus an assumption, not a measurement; with a GTFS feed (De Lijn) real "
          "travel times.</p>"
        + f"<p><b>Sites:</b> de hoofdsite en elke andere site (hub of satelliet) zijn plekken met ruimtes, openingsuren "
          f"per dag, vaste aanbieders en gasten (model/site.py): vaste aanbieders verhuizen een deel van hun plaatsen "
          f"(hoogstens al hun plaatsen over alle sites samen), gasten wisselen af, elk aanbod krijgt een ruimte en uren; "
          f"met openingsuren per dag past elke sessie in één aaneengesloten stuk van een dag. Een satelliet zonder "
          f"aanbieders huisvest per ruimte één aanbod in het thema van die ruimte, in sessies van {SESSION_HOURS:g} uur, "
          f"hoogstens {SATELLITE_SESSIONS_MAX} per week; plaatsen = sessies × plaatsen van de ruimte. / the main site and "
          f"every other site (hub or satellite) are places with rooms, opening hours by day, permanent providers and "
          f"guests: permanent providers move a share of their places in (at most all their places over all sites), "
          f"guests rotate, every offer gets a room and hours; with opening hours by day each session fits in one "
          f"stretch of a day. A satellite without providers holds one offer per room in the room's theme, in sessions "
          f"of {SESSION_HOURS:g} h, at most {SATELLITE_SESSIONS_MAX} a week; places = sessions × the room's places.</p>")

    # ---------------------------------------------------------------- assumptions
    grp = catchments.engine.groups
    body["aannames"] = (f"<p>{esc(grp.assumption('nl'))}</p><p class='en'>{esc(grp.assumption('en'))}</p>"
                        "<p>Uit / from <code>data/README.md</code>:</p>" + _readme_section("## Assumptions"))

    # ---------------------------------------------------------------- sources
    from model.geography import ATTRIBUTIONS

    body["bronnen"] = ("<ul>" + "".join(f"<li>{esc(a)}</li>" for a in ATTRIBUTIONS) + "</ul>"
                       + _readme_section("## Attribution") + _readme_section("## Files"))

    # ---------------------------------------------------------------- scenarios
    parts = []
    for n, lay in layouts.items():
        text = layout_to_scenario(lay).to_yaml()
        link = _data_link(text, "text/yaml", f"{n}.yaml")
        parts.append(f"<details><summary>{esc(n)} — {link}</summary><pre>{esc(text)}</pre></details>")
    body["scenarios"] = ("<p>Elke opstelling als scenario (dezelfde YAML als de workshop-app) / every layout as a "
                         "scenario (the workshop app's YAML):</p>" + "".join(parts))

    # ---------------------------------------------------------------- summary
    summ = []
    for n, lay in layouts.items():
        row = reach[(reach["layout"] == n) & (reach["mode"] == mode.value) & (reach["band_minutes"] == float(band))]
        share = float(row["share_within"].iloc[0]) if len(row) else float("nan")
        summ.append(f"<li><b>{esc(n)}</b>: {len(lay.sites)} site(s), {lay.main.places + sum(s.places for s in lay.satellites)} "
                    f"plaatsen / places; {share:.0%} van de inwoners binnen {band:g} min {esc(mode.label_nl)} / of residents "
                    f"within {band:g} min {esc(mode.label_en)}.</li>")
    if sim is not None and compare:
        cmp = sim.compare(*compare)
        r = cmp.set_index("indicator").loc["reach"]
        inside = r["verdict"] == "no_clear_difference"
        summ.append(f"<li>Deelname / uptake {esc(compare[0])} − {esc(compare[1])}: {_ci(r['diff'], r['lo'], r['hi'])} pt"
                    + (f" — <span class='noise'>{NOISE_NL} / {NOISE_EN}</span>" if inside else
                       f" — {esc(verdict_label(r['verdict'], 'nl'))} / {esc(verdict_label(r['verdict'], 'en'))}") + "</li>")
    body["samenvatting"] = (f"<p>Gemaakt / created {esc(created.strftime('%Y-%m-%d %H:%M UTC'))}. Een vergelijking onder "
                            "gestelde aannames, geen voorspelling / a comparison under stated assumptions, not a forecast.</p>"
                            f"<ul>{''.join(summ)}</ul>")

    # ---------------------------------------------------------------- tables as CSV
    body["tabellen"] = "<ul>" + "".join(
        f"<li>{_data_link(df.to_csv(index=False), 'text/csv', f'{name}.csv')} ({len(df)} rijen / rows)</li>"
        for name, df in tables.items()) + "</ul>"

    nav = "".join(f"<a href='#{sid}'>{esc(nl)}</a>" for sid, nl, _ in SECTIONS)
    sections = "".join(f"<section id='{sid}'><h2>{esc(nl)} <span class='en'>/ {esc(en)}</span></h2>{body[sid]}</section>"
                       for sid, nl, en in SECTIONS)
    page = (f"<!DOCTYPE html><html lang='nl'><head><meta charset='utf-8'><title>{esc(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{_CSS}</style></head>"
            f"<body><h1>{esc(title)}</h1><nav>{nav}</nav>{sections}</body></html>")
    return CouncilReport(page, tables)


def _lab(indicator: str, lang: str) -> str:
    if indicator == "site_cost_per_participant_eur":
        return "sitekosten per deelnemer (EUR)" if lang == "nl" else "site cost per participant (EUR)"
    ind = INDICATORS.get(indicator)
    if ind is None:
        return indicator
    return ind.label_nl if lang == "nl" else ind.label_en


def _data_link(text: str, mime: str, filename: str) -> str:
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"<a download='{esc(filename)}' href='data:{mime};charset=utf-8;base64,{data}'>{esc(filename)}</a>"


def _readme_section(heading: str) -> str:
    """A section of data/README.md, escaped, as preformatted text (it is the project's own statement)."""
    try:
        text = _DATA_README.read_text(encoding="utf-8")
    except OSError:
        return "<p>(data/README.md ontbreekt / is missing)</p>"
    start = text.find(heading + "\n")
    if start < 0:
        return ""
    end = text.find("\n## ", start + len(heading))
    chunk = text[start:end if end > 0 else len(text)].strip()
    return f"<pre class='readme'>{esc(chunk)}</pre>"


__all__ = ["CouncilReport", "SECTIONS", "build_report", "wijk_map_svg", "write_report"]
