"""The stationary-distribution study on synthetic landscapes.

R restarts per optimizer, starts uniform over the domain; restart r of every optimizer
starts from the same point (common random numbers: the starts depend only on the seed
and the function). Each optimizer's noise stream is seeded from (seed, function,
optimizer). Each end point is assigned to the minimum whose basin of attraction holds
it, and marked ``converged`` when it also lies within the capture radius of that
minimum (:mod:`shared.landscapes.basins`; the capture radius alone is selectable).
Summaries and tests between optimizers come from :mod:`shared.landscapes.summary`.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shared.landscapes.basins import ASSIGNMENT_METHODS, BasinAssignment, assign_basins
from shared.landscapes.basins import classify as classify  # the capture-radius view
from shared.landscapes.catalog import Minimum
from shared.landscapes.engine import BatchedRun, NoiseSource, ball_noise, run_batched
from shared.landscapes.functions import Landscape, landscape
from shared.landscapes.summary import (
    ELSE,
    DistributionSummary,
    optimizer_summary,
    summarize_distribution,
)
from shared.optim.declarations import (
    BASE_PREFIX,
    declaration,
    hyperparameters,
    resolve_hyperparameters,
)
from shared.optim.hyperparameters import HyperparameterError
from shared.stats.proportions import ProportionInterval, proportion_intervals

DEFAULT_RESTARTS = 500
DEFAULT_ITERATIONS = 5000
DEFAULT_CAPTURE_RADIUS = 0.1
#: Key of hyperparameter overrides that apply to every optimizer declaring the name.
ALL_OPTIMIZERS = "*"

Overrides = Mapping[str, Mapping[str, Any]]


class StudyError(ValueError):
    """An invalid study setting; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def stable_id(name: str) -> int:
    """A name's seed component, the same in every process (unlike ``hash``)."""
    return zlib.crc32(name.encode())


def starting_points(f: Landscape, restarts: int, seed: int) -> np.ndarray:
    """R starts uniform over the domain, shape (R, 2); the same for every optimizer."""
    rng = np.random.default_rng([seed, stable_id(f.name)])
    (x0, x1), (y0, y1) = f.domain
    return np.column_stack((rng.uniform(x0, x1, restarts), rng.uniform(y0, y1, restarts)))


def noise_source(f: Landscape, optimizer: str, restarts: int, seed: int) -> NoiseSource:
    rng = np.random.default_rng([seed, stable_id(f.name), stable_id(optimizer)])
    return lambda kind, rho: ball_noise(rng, kind, rho, (2, restarts))


def recommendations(f: Landscape, optimizer: str) -> dict[str, Any]:
    """The function's recommended settings that apply to ``optimizer``: its step size is
    in gradient units, so it applies to SGD and the paper's optimizers (and to ``base.lr``
    of a wrapper around SGD); adaptive baselines and plugins keep their own defaults."""
    declared = declaration(optimizer)
    if declared.implementation == "native":
        names = {h.name for h in declared.hyperparameters}
        return {k: v for k, v in f.recommended.items() if k in names}
    if declared.implementation == "wrapper":
        names = {h.name for h in declared.hyperparameters}
        base = declaration(declared.base or "")
        return {
            (
                BASE_PREFIX + k
                if BASE_PREFIX + k in names and base.implementation == "native"
                else k
            ): v
            for k, v in f.recommended.items()
            if k in names or (BASE_PREFIX + k in names and base.implementation == "native")
        }
    return {}


def study_hyperparameters(
    f: Landscape, optimizer: str, overrides: Overrides | None = None
) -> dict[str, Any]:
    """Optimizer defaults ← the function's recommendations ← the user's overrides."""
    declared = {h.name for h in hyperparameters(optimizer)}
    values = recommendations(f, optimizer)
    overrides = overrides or {}
    values.update({k: v for k, v in overrides.get(ALL_OPTIMIZERS, {}).items() if k in declared})
    values.update(overrides.get(optimizer, {}))
    return resolve_hyperparameters(optimizer, values)


@dataclass
class StationaryDistribution:
    """One optimizer's outcome on one function."""

    function: str
    optimizer: str
    hyperparameters: dict[str, Any]
    iterations: int
    minima: tuple[Minimum, ...]
    assignment: BasinAssignment = field(repr=False)
    run: BatchedRun = field(repr=False)

    @property
    def basins(self) -> np.ndarray:
        """(R,) the assigned minimum's index per restart, -1 = ``else``."""
        return self.assignment.basins

    @property
    def labels(self) -> list[str]:
        return [m.label for m in self.minima] + [ELSE]

    @property
    def counts(self) -> dict[str, int]:
        tally = np.bincount(self.basins + 1, minlength=len(self.minima) + 1)
        return {label: int(tally[i + 1]) for i, label in enumerate(self.labels[:-1])} | {
            ELSE: int(tally[0])
        }

    @property
    def restarts(self) -> int:
        return int(self.basins.size)

    def intervals(self, confidence: float = 0.95) -> dict[str, ProportionInterval]:
        counts = self.counts
        return dict(
            zip(counts, proportion_intervals(list(counts.values()), confidence), strict=True)
        )

    @property
    def diverged(self) -> int:
        return int((~np.isfinite(self.run.last_iterates).all(axis=1)).sum())

    @property
    def converged(self) -> int:
        """End points within the capture radius of their assigned minimum."""
        return int(self.assignment.converged.sum())

    def as_dict(self, confidence: float = 0.95) -> dict[str, Any]:
        """The run's settings and cost, and its summary (as the API reports it)."""
        c = self.run.counters
        summary = optimizer_summary(self.optimizer, self.labels, self.assignment, confidence)
        return {
            "function": self.function,
            "iterations": self.iterations,
            "hyperparameters": self.hyperparameters,
            "assignment": self.assignment.method,
            **summary.as_dict(),
            "diverged": self.diverged,
            "gradient_evaluations_per_restart": float(c.gradient_evaluations.mean()),
            "loss_evaluations_per_restart": float(c.loss_evaluations.mean()),
        }


def summarize(
    results: Mapping[str, StationaryDistribution], *, confidence: float = 0.95, test: str = "g"
) -> DistributionSummary:
    """The summary and pair tests of one function's results (keys in display order)."""
    first = next(iter(results.values()))
    return summarize_distribution(
        first.minima,
        {key: r.assignment for key, r in results.items()},
        confidence=confidence,
        test=test,
    )


def _check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise StudyError(
            name, f"must be {'non-negative' if allow_zero else 'positive'}, got {value}"
        )


def validate_overrides(optimizers: Sequence[str], overrides: Overrides) -> None:
    """Every override names a selected optimizer and a hyperparameter it declares."""
    for owner, values in overrides.items():
        if owner == ALL_OPTIMIZERS:
            for name in values:
                if not any(name in {h.name for h in hyperparameters(o)} for o in optimizers):
                    raise StudyError(name, "no selected optimizer has this hyperparameter")
        elif owner not in optimizers:
            declaration(owner)  # unknown names raise with the valid list
            raise StudyError(owner, "hyperparameters given for an optimizer not selected")


def stationary_distribution(
    function: str,
    optimizer: str,
    *,
    restarts: int = DEFAULT_RESTARTS,
    iterations: int = DEFAULT_ITERATIONS,
    overrides: Overrides | None = None,
    capture_radius: float = DEFAULT_CAPTURE_RADIUS,
    assignment: str = "basin",
    seed: int = 0,
    path_points: int = 0,
    on_progress: Callable[[float], None] | None = None,
) -> StationaryDistribution:
    """Run ``optimizer`` from ``restarts`` starts on ``function`` and assign the ends
    (``assignment``: ``basin`` of attraction, or ``radius`` alone)."""
    f = landscape(function)
    declaration(optimizer)
    _check_positive("restarts", restarts)
    _check_positive("iterations", iterations)
    _check_positive("capture_radius", capture_radius)
    if assignment not in ASSIGNMENT_METHODS:
        raise StudyError("assignment", f"expected one of {', '.join(ASSIGNMENT_METHODS)}")
    try:
        values = study_hyperparameters(f, optimizer, overrides)
    except HyperparameterError as error:
        raise StudyError(error.name, error.reason) from None
    coupling = declaration(optimizer).coupling
    starts = starting_points(f, restarts, seed)
    if coupling == "kernel":
        run = run_batched(
            f,
            optimizer,
            starts,
            iterations,
            values,
            noise_source(f, optimizer, restarts, seed),
            path_points=path_points,
            on_progress=on_progress,
        )
    elif coupling is None:
        notes = "; ".join(declaration(optimizer).notes) or "it was not found to run there"
        raise StudyError("optimizers", f"{optimizer} cannot run on the landscapes: {notes}")
    else:
        run = torch_run(
            f, optimizer, coupling, starts, iterations, values, seed, path_points, on_progress
        )
    return StationaryDistribution(
        function=f.name,
        optimizer=optimizer,
        hyperparameters=values,
        iterations=iterations,
        minima=f.minima,
        assignment=assign_basins(f, run.end_points, capture_radius, assignment),
        run=run,
    )


def torch_run(
    f: Landscape,
    optimizer: str,
    coupling: str,
    starts: np.ndarray,
    iterations: int,
    values: dict[str, Any],
    seed: int,
    path_points: int,
    on_progress: Callable[[float], None] | None,
) -> BatchedRun:
    """An optimizer without a NumPy kernel, through PyTorch batched by its coupling; an
    instance carrying restarts ``r…`` is seeded from (seed, function, optimizer, r), so
    each restart of a per-restart instance draws its own noise."""
    from shared.landscapes.torch_engine import run_torch_batched  # loads torch
    from shared.optim.registry import build

    def make(params: list[Any], restarts: range) -> Any:
        instance_seed = stable_id(f"{seed}/{f.name}/{optimizer}/{restarts.start}")
        return build(optimizer, params, seed=instance_seed, **values)

    return run_torch_batched(
        f, make, coupling, starts, iterations, path_points=path_points, on_progress=on_progress
    )


def landscape_study(
    functions: Sequence[str],
    optimizers: Sequence[str],
    **options: Any,
) -> dict[str, dict[str, StationaryDistribution]]:
    """Every optimizer on every function: ``result[function][optimizer]``."""
    for name in functions:
        landscape(name)
    for name in optimizers:
        declaration(name)
    validate_overrides(optimizers, options.get("overrides") or {})
    return {
        landscape(fn).name: {opt: stationary_distribution(fn, opt, **options) for opt in optimizers}
        for fn in functions
    }
