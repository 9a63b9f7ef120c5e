"""How many trajectories a comparison needs: power from a pilot experiment, by simulation.

A pilot gives, per compared side, the mean metric of each trajectory. From those the
plan takes the observed difference (of the sides' mean trajectory means) and the
between-trajectory spread (the standard deviation of trajectory means, ddof=1; for a
paired comparison, of the per-trajectory differences). It then simulates experiments
with ``Tr`` trajectories per side, drawing trajectory means from normal distributions
with the pilot's means and spreads, runs on each the same trajectory-level test the API
runs (exact Mann–Whitney U on trajectory means, asymptotic past 8 a side; the sign-flip
permutation test for pairs, in its normal limit past 10 pairs), and reports the smallest
``Tr`` whose share of p < α reaches the requested power.

The simulation treats the pilot's difference as the truth: a pilot's difference is
itself uncertain (and tends to be overestimated when it was picked for being large), so
read the answer as "at least this many".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from shared.stats.trajectory_level import (
    PERMUTATION_RESAMPLES,
    mean_difference,
    pvalue_floor,
    trajectories_needed,
)

SIMULATIONS = 400
"""Simulated experiments per trajectory count: the power estimate's standard error is
about 0.02 near 0.8."""

MAX_TRAJECTORIES = 100
"""The plan looks no further than this many trajectories per side."""

PERMUTATION_CELLS = 1 << 21
"""Bounds the values one vectorised permutation call handles (16 MB of float64)."""


@dataclass(frozen=True)
class TrajectoryPlan:
    """Trajectories per side needed to detect the pilot's difference with ``power``."""

    paired: bool
    pilot_trajectories1: int
    pilot_trajectories2: int
    observed_difference: float
    """Mean of the first side's trajectory means − the second's (paired: mean of the
    per-trajectory differences)."""
    between_std1: float
    """Standard deviation of the first side's trajectory means (paired: of the
    differences)."""
    between_std2: float
    alpha: float
    power: float
    trajectories: int | None
    """Per side (pairs, when paired); None when no count up to ``max_trajectories``
    reaches ``power`` (``note`` says why)."""
    achieved_power: float
    """The simulated power at ``trajectories`` (or at the largest count tried)."""
    simulations: int
    note: str | None = None


def simulated_power(
    mean1: float,
    std1: float,
    mean2: float,
    std2: float,
    trajectories: int,
    *,
    paired: bool,
    alpha: float,
    simulations: int = SIMULATIONS,
    seed: int = 0,
) -> float:
    """Share of ``simulations`` experiments with ``trajectories`` per side whose
    trajectory-level p-value is below ``alpha``.

    Paired: the per-trajectory differences are drawn from N(mean1 − mean2, std1) (``std1``
    is the differences' spread; ``std2`` is unused).
    """
    if pvalue_floor(trajectories, trajectories, paired=paired) >= alpha:
        return 0.0
    rng = np.random.default_rng(seed)
    shape = (simulations, trajectories)
    if paired:
        differences = (mean1 - mean2) + std1 * rng.standard_normal(shape)
        pvalues = _sign_flip_pvalues(differences, seed=seed)
    else:
        first = mean1 + std1 * rng.standard_normal(shape)
        second = mean2 + std2 * rng.standard_normal(shape)
        # Simulated means are continuous, so untied: the branches the API's test takes.
        method = "exact" if trajectories <= 8 else "asymptotic"
        pvalues = stats.mannwhitneyu(first, second, axis=-1, method=method).pvalue
    return float(np.mean(pvalues < alpha))


def _sign_flip_pvalues(differences: np.ndarray, *, seed: int) -> np.ndarray:
    """The paired trajectory-level test on each row of ``differences`` (vs zero).

    Up to ``2**n <= PERMUTATION_RESAMPLES`` the API enumerates every sign pattern, and so
    does this (``scipy.stats.permutation_test``, in batches of bounded memory). Past that
    the API draws random sign patterns, estimating the permutation distribution of
    Σ sᵢdᵢ, whose limit is normal with variance Σ dᵢ²; the plan uses that limit, since
    thousands of random patterns per simulated experiment would make it slow.
    """
    simulations, n = differences.shape
    if 2**n > PERMUTATION_RESAMPLES:
        spread = np.sqrt(np.sum(differences**2, axis=-1))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(spread > 0, np.abs(differences.sum(axis=-1)) / spread, 0.0)
        return 2 * stats.norm.sf(z)
    batch = max(1, PERMUTATION_CELLS // (simulations * n))
    result = stats.permutation_test(
        (differences, np.zeros_like(differences)),
        mean_difference,
        permutation_type="samples",
        vectorized=True,
        n_resamples=PERMUTATION_RESAMPLES,
        batch=min(batch, 2**n),
        alternative="two-sided",
        axis=-1,
        rng=seed,
    )
    return np.asarray(result.pvalue)


def plan_trajectories(
    means1: np.ndarray,
    means2: np.ndarray,
    *,
    paired: bool,
    alpha: float = 0.05,
    power: float = 0.8,
    max_trajectories: int = MAX_TRAJECTORIES,
    simulations: int = SIMULATIONS,
    seed: int = 0,
) -> TrajectoryPlan:
    """The fewest trajectories per side giving ``power`` at ``alpha``, from pilot means.

    Args:
        means1, means2: the pilot's per-trajectory means of each side (paired: same
            length, trajectory ``i`` of both from one run).

    The search starts where the test can reach ``alpha`` at all
    (:func:`~shared.stats.trajectory_level.trajectories_needed`), doubles until the power
    is reached, then bisects; every count reuses the same random stream (common random
    numbers), so the estimates are smooth in ``Tr``.
    """
    means1 = np.asarray(means1, dtype=float)
    means2 = np.asarray(means2, dtype=float)
    if paired:
        differences = means1 - means2
        n1 = n2 = differences.size
        difference = float(differences.mean()) if n1 else math.nan
        std1 = float(differences.std(ddof=1)) if n1 > 1 else math.nan
        std2 = math.nan
        center1, center2 = difference, 0.0
    else:
        n1, n2 = means1.size, means2.size
        difference = float(means1.mean() - means2.mean()) if n1 and n2 else math.nan
        std1 = float(means1.std(ddof=1)) if n1 > 1 else math.nan
        std2 = float(means2.std(ddof=1)) if n2 > 1 else math.nan
        center1 = float(means1.mean()) if n1 else math.nan
        center2 = float(means2.mean()) if n2 else math.nan

    def answer(trajectories: int | None, achieved: float, note: str | None) -> TrajectoryPlan:
        return TrajectoryPlan(
            paired,
            int(n1),
            int(n2),
            difference,
            std1,
            std2,
            alpha,
            power,
            trajectories,
            achieved,
            simulations,
            note,
        )

    unit = "pairs of trajectories" if paired else "trajectories on each side"
    if n1 < 2 or n2 < 2:
        got = str(n1) if paired else f"{n1} and {n2}"
        return answer(None, math.nan, f"the pilot needs at least 2 {unit}, got {got}")
    if difference == 0:
        return answer(
            None,
            math.nan,
            "the pilot shows no difference at all, so no number of trajectories "
            "gives power to detect it",
        )

    def power_at(trajectories: int) -> float:
        return simulated_power(
            center1,
            std1,
            center2,
            0.0 if paired else std2,
            trajectories,
            paired=paired,
            alpha=alpha,
            simulations=simulations,
            seed=seed,
        )

    low = trajectories_needed(alpha, paired=paired)
    if low > max_trajectories:
        return answer(
            None,
            0.0,
            f"the test needs {low} {unit} to reach α = {alpha:g} at all, more than "
            f"{max_trajectories}",
        )
    tried: dict[int, float] = {}

    def reaches(trajectories: int) -> bool:
        tried[trajectories] = power_at(trajectories)
        return tried[trajectories] >= power

    high = low
    while not reaches(high):
        if high >= max_trajectories:
            return answer(
                None,
                tried[high],
                f"even {max_trajectories} {unit} give only {tried[high]:.0%} power for "
                f"the pilot's difference of {difference:.4g}",
            )
        low, high = high + 1, min(2 * high, max_trajectories)
    while low < high:  # the smallest count that reaches the power lies in [low, high]
        middle = (low + high) // 2
        if reaches(middle):
            high = middle
        else:
            low = middle + 1
    return answer(high, tried[high], None)
