"""A tiny hand-made geography that duck-types :class:`model.geography.Genk`.

Three square wijken of 1 km x 1 km in Belgian Lambert 72 (EPSG:31370, metres), laid
out along the x axis so that every distance can be worked out by hand::

    y = 185 000 .. 186 000
    x:  230 000 ─ 231 000 ─ 232 000 ............ 242 000 ─ 243 000
        │ home_wijk │ adjacent_wijk │   10 km of nothing   │ isolated_wijk │

- ``near_venue`` sits in the middle of home_wijk (230 500, 185 500);
- ``far_venue`` sits in the middle of isolated_wijk (242 500, 185 500);
- ``regina_mundi`` sits in the middle of adjacent_wijk (231 500, 185 500).

Each wijk has 10 addresses on a line through its middle (y = 185 500, x every 100 m
from 50 m to 950 m into the square), each with weight 10 by default, so 30 addresses.
Travel time is straight-line distance / speed: walk 75 m/min, bike 250 m/min, car
500 m/min. So a home in home_wijk is at most 450 m (6 min walking) from ``near_venue``,
and every home outside isolated_wijk is at least 10 050 m from ``far_venue``: 134 min
walking, 40.2 min by bike, 20.1 min by car.

The model reads exactly these attributes (``grep -n "geo\\." model/model.py`` and
``geography\\.`` in ``model/population.py``): ``wijken["wijk"]``, ``addresses``
(``weight``, ``wijk``, rows = address ids), ``population`` (``age``, ``count``),
``venues`` (index ``venue_id``; ``name``, ``provider_type``, ``wijk``, ``x``, ``y``),
``travel_minutes(origins, destinations, mode)``, ``wijk_of(x, y)``, ``contains(x, y)``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from model.domain import Mode

#: Metres per minute by mode (the hand-computable stand-in for the street network).
SPEED_M_PER_MIN = {Mode.WALK: 75.0, Mode.BIKE: 250.0, Mode.CAR: 500.0}

SIDE_M = 1000.0
Y0 = 185_000.0
HOME_WIJK, ADJACENT_WIJK, ISOLATED_WIJK = "home_wijk", "adjacent_wijk", "isolated_wijk"
#: Lower-left x of each wijk square.
WIJK_X0 = {HOME_WIJK: 230_000.0, ADJACENT_WIJK: 231_000.0, ISOLATED_WIJK: 242_000.0}
NEAR_VENUE, FAR_VENUE, REGINA_MUNDI = "near_venue", "far_venue", "regina_mundi"


def travel_minutes_by_hand(distance_m: float, mode: Mode | str) -> float:
    """The tiny geography's travel time: straight-line metres over the mode's speed."""
    return distance_m / SPEED_M_PER_MIN[Mode(mode)]


class TinyGenk:
    """Three wijken, 30 addresses, three venues and a small age table (see module docstring).

    Args:
        weights: address weight (residents per address) per wijk; a wijk with weight 0
            has addresses but nobody lives there.
        ages: the population table's ages; each age gets ``count_per_age`` residents.
    """

    def __init__(self, weights: dict[str, float] | None = None, ages: range | list[int] = range(0, 81),
                 count_per_age: int = 4) -> None:
        weights = {HOME_WIJK: 10.0, ADJACENT_WIJK: 10.0, ISOLATED_WIJK: 10.0, **(weights or {})}
        self.wijken = pd.DataFrame({"wijk_code": ["W1", "W2", "W3"], "wijk": [ADJACENT_WIJK, HOME_WIJK, ISOLATED_WIJK],
                                    "area_km2": [1.0, 1.0, 1.0]})
        rows = []
        for wijk in (HOME_WIJK, ADJACENT_WIJK, ISOLATED_WIJK):
            for i in range(10):
                rows.append({"straatnaam": f"{wijk}straat", "huisnr": str(i + 1), "x": WIJK_X0[wijk] + 50.0 + 100.0 * i,
                             "y": Y0 + SIDE_M / 2, "wijk": wijk, "weight": weights[wijk]})
        self.addresses = pd.DataFrame(rows)
        self.addresses.insert(0, "address_id", np.arange(len(rows), dtype=np.int64))
        self.venues = pd.DataFrame(
            {"name": ["Buurthuis om de hoek", "Verre maakplaats", "Regina Mundi site"],
             "provider_type": ["neighbourhood_work", "makerspace", "city_service"],
             "wijk": [HOME_WIJK, ISOLATED_WIJK, ADJACENT_WIJK],
             "x": [WIJK_X0[HOME_WIJK] + 500.0, WIJK_X0[ISOLATED_WIJK] + 500.0, WIJK_X0[ADJACENT_WIJK] + 500.0],
             "y": [Y0 + 500.0] * 3},
            index=pd.Index([NEAR_VENUE, FAR_VENUE, REGINA_MUNDI], name="venue_id"))
        ages = list(ages)
        self.population = pd.DataFrame({"age": ages, "sex": ["F"] * len(ages), "belgian": [True] * len(ages),
                                         "count": [count_per_age] * len(ages)})

    # ------------------------------------------------------------------ places
    def contains(self, x: float, y: float) -> bool:
        """True inside one of the three squares."""
        return self.wijk_of(x, y) is not None

    def wijk_of(self, x: float, y: float) -> str | None:
        """The wijk whose square holds the point, None outside."""
        if not (Y0 <= y < Y0 + SIDE_M):
            return None
        for wijk, x0 in WIJK_X0.items():
            if x0 <= x < x0 + SIDE_M:
                return wijk
        return None

    def wijken_of(self, xs, ys) -> np.ndarray:
        """Vectorised :meth:`wijk_of` (object array, None outside), as :class:`model.geography.Genk` has."""
        return np.array([self.wijk_of(float(x), float(y)) for x, y in zip(xs, ys)], dtype=object)

    def venue_xy(self, venue_id: str) -> np.ndarray:
        return self.venues.loc[venue_id, ["x", "y"]].to_numpy(dtype=float)

    def address_xy(self, address_ids) -> np.ndarray:
        return self.addresses[["x", "y"]].to_numpy(dtype=float)[np.asarray(address_ids, dtype=np.int64)]

    # ------------------------------------------------------------------ travel
    def travel_minutes(self, origins, destinations, mode: Mode | str) -> np.ndarray:
        """Straight-line minutes (n_origins, n_destinations) from address ids to (n, 2) xy points."""
        a = self.address_xy(origins)
        b = np.asarray(destinations, dtype=float).reshape(-1, 2)
        dist = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
        return (dist / SPEED_M_PER_MIN[Mode(mode)]).astype(np.float32)

    def __repr__(self) -> str:
        return "TinyGenk(home_wijk | adjacent_wijk | ... 10 km ... | isolated_wijk)"
