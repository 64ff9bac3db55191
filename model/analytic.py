"""Analytic test functions with known sensitivity indices, to check the experiments layer.

The sensitivity pipeline (sampling, Dask execution, Parquet collection, SALib
analysis) is checked against functions whose Sobol' indices are known in closed form:

- Ishigami and Homma (1990): ``y = sin x1 + a sin² x2 + b x3⁴ sin x1`` on [-π, π]³;
  with a = 7, b = 0.1: S1 ≈ (0.3139, 0.4424, 0), ST ≈ (0.5576, 0.4424, 0.2437).
- Sobol' G-function (Saltelli and Sobol' 1995): ``y = Π (|4 xi − 2| + ai) / (1 + ai)``
  on [0, 1]^k; the smaller ``ai``, the more important ``xi``.

Each function is vectorised (``(n, k)`` array in, ``(n,)`` out), so a Dask task can
evaluate thousands of design points at once. :data:`ANALYTIC_MODELS` names them for
study files (``model: analytic:ishigami``). Analytic models ignore the seed: they are
deterministic.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1
#: The classic choice of Saltelli et al. (2008): x1 very, x2 much, x3 some, x4.. hardly important.
G_FUNCTION_A = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0)


def ishigami(x: np.ndarray, a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> np.ndarray:
    """The Ishigami function of an ``(n, 3)`` array on [-π, π]³."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> dict[str, np.ndarray]:
    """Closed-form first-order (``S1``) and total (``ST``) Sobol' indices of :func:`ishigami`."""
    pi = np.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return {"S1": np.array([v1, v2, 0.0]) / var, "ST": np.array([v1 + v13, v2, v13]) / var}


def g_function(x: np.ndarray, a: tuple[float, ...] | np.ndarray = G_FUNCTION_A) -> np.ndarray:
    """Sobol's G-function of an ``(n, k)`` array on [0, 1]^k, with ``k = len(a)``."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    a = np.asarray(a, dtype=float)
    return np.prod((np.abs(4 * x - 2) + a) / (1 + a), axis=1)


def g_function_indices(a: tuple[float, ...] | np.ndarray = G_FUNCTION_A) -> dict[str, np.ndarray]:
    """Closed-form ``S1`` and ``ST`` of :func:`g_function`: ``Vi = 1 / (3 (1 + ai)²)``."""
    a = np.asarray(a, dtype=float)
    vi = 1 / (3 * (1 + a) ** 2)
    var = np.prod(1 + vi) - 1
    st = np.array([vi[i] * np.prod(np.delete(1 + vi, i)) for i in range(a.size)]) / var
    return {"S1": vi / var, "ST": st}


def linear_with_failures(x: np.ndarray) -> np.ndarray:
    """``y = x1 + 2 x2`` on [0, 1]², raising for ``x1 > 0.8``: a model that fails for some inputs."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    if np.any(x[:, 0] > 0.8):
        raise ValueError(f"x1 = {x[:, 0].max():.3f} > 0.8: this test model fails there on purpose")
    return x[:, 0] + 2 * x[:, 1]


def noisy_linear(values: dict[str, float], seed: int) -> dict[str, float]:
    """``y = x1 + 2 x2 + N(0, 0.1)``, one run at a time: the contract of a ``python:`` study model
    (``model: python:model.analytic:noisy_linear``), whose noise depends on the replication seed."""
    noise = np.random.default_rng(seed).normal(0.0, 0.1)
    return {"y": values["x1"] + 2 * values["x2"] + float(noise)}


@dataclass(frozen=True)
class AnalyticModel:
    """A vectorised test function with its parameters (name → bounds) and its output name."""

    name: str
    parameters: dict[str, tuple[float, float]]
    fn: Callable[[np.ndarray], np.ndarray]
    output: str = "y"
    indices: Callable[[], dict[str, np.ndarray]] | None = None
    description: str = ""
    defaults: dict[str, float] = field(default_factory=dict)  # where unstudied parameters stay; middle if absent

    @property
    def outputs(self) -> tuple[str, ...]:
        return (self.output,)

    def default(self, name: str) -> float:
        """The value a parameter keeps when a study does not vary it."""
        lo, hi = self.parameters[name]
        return float(self.defaults.get(name, (lo + hi) / 2))

    def evaluate(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Outputs by name for an ``(n, k)`` array whose columns follow :attr:`parameters`."""
        return {self.output: np.asarray(self.fn(x), dtype=float)}

    def evaluate_values(self, values: dict[str, np.ndarray | float], n: int) -> dict[str, np.ndarray]:
        """Outputs for ``n`` points given some parameters by name; the others at their default."""
        x = np.column_stack([np.broadcast_to(np.asarray(values[p], dtype=float), (n,)) if p in values
                             else np.full(n, self.default(p)) for p in self.parameters])
        return self.evaluate(x)


_PI = float(np.pi)
ANALYTIC_MODELS: dict[str, AnalyticModel] = {
    "ishigami": AnalyticModel(
        "ishigami", {f"x{i}": (-_PI, _PI) for i in (1, 2, 3)}, ishigami, indices=ishigami_indices,
        description="Ishigami function, a = 7, b = 0.1",
    ),
    "g_function": AnalyticModel(
        "g_function", {f"x{i + 1}": (0.0, 1.0) for i in range(len(G_FUNCTION_A))}, g_function,
        indices=g_function_indices, description=f"Sobol' G-function, a = {G_FUNCTION_A}",
        # |4 x - 2| = 1: each factor is 1, so an unstudied parameter leaves the others' effects as they are
        defaults={f"x{i + 1}": 0.25 for i in range(len(G_FUNCTION_A))},
    ),
    "linear_with_failures": AnalyticModel(
        "linear_with_failures", {"x1": (0.0, 1.0), "x2": (0.0, 1.0)}, linear_with_failures,
        description="y = x1 + 2 x2, raising for x1 > 0.8 (tests error handling)",
    ),
}
