"""Made-up uptake files in the import format, for tests and the import benchmark.

**Not real data and not model output**: counts are random draws that only respect the
format's rules (new participants never above participants). The model-generated
synthetic example for the tour is another thing. Every file written here says so in
its name (``formaat-voorbeeld-...``) unless the caller chooses otherwise.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from model.domain import AGE_GROUPS
from model.pilot.period import PilotPeriod, iso_label

DUTCH_HEADER = {"offer_id": "aanbod", "week": "week", "wijk": "wijk", "age_group": "leeftijdsgroep",
                "participants": "deelnemers", "new_participants": "nieuwe_deelnemers", "badges": "badges",
                "opportunities": "kansen"}


def uptake_rows(
    offer_ids: Sequence[str], wijken: Sequence[str], period: PilotPeriod, weeks: int | None = None, seed: int = 0,
) -> pd.DataFrame:
    """One row per offer x week x wijk (age groups taking turns), Dutch column names, random counts.

    A year of weekly rows for every offer and wijk of the baseline is 261 x 52 x 31 = 420,732 rows.
    """
    weeks = weeks or period.weeks
    rng = np.random.default_rng(seed)
    offers = np.asarray(offer_ids, dtype=object)
    wijk_arr = np.asarray(wijken, dtype=object)
    o, w, k = np.meshgrid(np.arange(len(offers)), np.arange(weeks), np.arange(len(wijk_arr)), indexing="ij")
    o, w, k = o.ravel(), w.ravel(), k.ravel()
    labels = np.asarray([g[0] for g in AGE_GROUPS], dtype=object)
    week_labels = np.asarray([iso_label(period.monday(i + 1)) for i in range(weeks)], dtype=object)
    participants = rng.poisson(3.0, o.size)
    new = rng.binomial(participants, 0.3)
    badges = rng.binomial(new, 0.2)
    return pd.DataFrame({
        "aanbod": offers[o], "week": week_labels[w], "wijk": wijk_arr[k], "leeftijdsgroep": labels[(o + k) % len(labels)],
        "deelnemers": participants, "nieuwe_deelnemers": new, "badges": badges, "kansen": rng.binomial(badges, 0.5),
    })


def write_csv(frame: pd.DataFrame, path: str | Path, sep: str = ";") -> Path:
    """The frame as a CSV file as Dutch-language Excel writes it (';'-separated, UTF-8 with BOM)."""
    path = Path(path)
    frame.to_csv(path, sep=sep, index=False, encoding="utf-8-sig")
    return path


def write_xlsx(frame: pd.DataFrame, path: str | Path) -> Path:
    """The frame as an Excel workbook (one sheet, header in row 1)."""
    path = Path(path)
    frame.to_excel(path, index=False, sheet_name="deelname", engine="openpyxl")
    return path
