"""How many trajectories a comparison needs: power from a pilot experiment, by simulation.

A pilot gives, per compared side, the mean metric of each trajectory. From those the
plan takes the observed difference (of the sides' mean trajectory means) and the
between-trajectory spread (the standard deviation of trajectory means, ddof=1; for a
paired comparison, of the per-trajectory differences). It then simulates experiments
with ``Tr`` trajectories per side, drawing trajectory means from normal distributions
with the pilot's means and spreads, runs on each the same trajectory-level test the API
runs (exact Mann–Whitney U on trajectory means, asymptotic past 8 a side; the sign-flip
permutation test for pairs, in its normal limit past 10 pairs), and reports the smallest
``Tr`` whose share of p < the planning level reaches the requested power.

* **Common random numbers, nested.** One draw of ``MAX_TRAJECTORIES`` trajectories per
  side and simulated experiment serves every count: the experiment with ``Tr + 1``
  trajectories is the one with ``Tr`` plus one more, so the power curve is smooth (and
  in practice monotone) in ``Tr`` and the bisection searches a curve, not noise.
* **Zero differences.** A paired pilot whose Set A and Set B coincide in some trajectory
  has zero differences, which the sign flips cannot use; the simulation draws that share
  of zeros and the rest from the non-zero differences' mean and spread.
* **The family-wise level.** The API reports optimizer pairs Holm-adjusted over all the
  experiment's pairs. A pair whose p is below α/m (m pairs) is significant after Holm
  whatever the other pairs show, so pairs are planned at α/m (``family_size`` m, 1 for a
  single stated pair); the power reported is then a lower bound for the Holm-adjusted
  test.

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
    family_size: int = 1
    """Comparisons in the family the answer's p-values are adjusted over (Holm): pairs of
    the experiment, or 1 for Set A vs Set B and for a single stated pair."""
    level: float = math.nan
    """The level each simulated test is judged at: ``alpha / family_size``."""
    zero_fraction: float = 0.0
    """Paired: the share of the pilot's trajectory differences that are exactly zero,
    simulated as such."""


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
    zero_fraction: float = 0.0,
) -> float:
    """Share of ``simulations`` experiments with ``trajectories`` per side whose
    trajectory-level p-value is below ``alpha``.

    Paired: the per-trajectory differences are 0 with probability ``zero_fraction`` and
    otherwise drawn from N(mean1 − mean2, std1) (``std1`` is the differences' spread;
    ``std2`` is unused). Draws are nested (see the module docstring): for one ``seed``,
    the experiments at ``trajectories`` are those at fewer plus more trajectories.
    """
    curve = power_curve(
        mean1,
        std1,
        mean2,
        std2,
        trajectories,
        paired=paired,
        alpha=alpha,
        simulations=simulations,
        seed=seed,
        zero_fraction=zero_fraction,
    )
    return float(curve[trajectories])


def power_curve(
    mean1: float,
    std1: float,
    mean2: float,
    std2: float,
    most: int,
    *,
    paired: bool,
    alpha: float,
    simulations: int = SIMULATIONS,
    seed: int = 0,
    zero_fraction: float = 0.0,
) -> np.ndarray:
    """:func:`simulated_power` at every count 0..``most`` at once, from the same nested
    draws (entry ``Tr``; 0 where the test cannot reach ``alpha``).

    Past the exact tests' sizes the statistics of all counts come from prefix sums of
    the nested draws (the sign-flip sums; U from the cumulated comparison matrix), so
    the whole curve costs about what one count did.
    """
    first, second, zero = _draws(simulations, max(most, MAX_TRAJECTORIES), seed)
    first, second, zero = first[:, :most], second[:, :most], zero[:, :most]
    curve = np.zeros(most + 1)
    if paired:
        differences = (mean1 - mean2) + std1 * first
        differences[zero < zero_fraction] = 0.0
        limit = _largest_enumerated_pairs()
        for trajectories in range(2, min(most, limit) + 1):
            if pvalue_floor(trajectories, paired=True) < alpha:
                pvalues = _sign_flip_pvalues(differences[:, :trajectories], seed=seed)
                curve[trajectories] = np.mean(pvalues < alpha)
        if most > limit:
            total = np.cumsum(differences, axis=-1)[:, limit:]
            spread = np.sqrt(np.cumsum(differences**2, axis=-1))[:, limit:]
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(spread > 0, np.abs(total) / spread, 0.0)
            curve[limit + 1 :] = np.mean(2 * stats.norm.sf(z) < alpha, axis=0)
        return curve
    first = mean1 + std1 * first
    second = mean2 + std2 * second
    untied = std1 > 0 and std2 > 0  # continuous draws: no ties, almost surely
    for trajectories in range(2, most + 1):
        if pvalue_floor(trajectories, trajectories, paired=False) >= alpha:
            continue
        if trajectories <= 8 or not untied:
            # Simulated means are continuous, so untied: the branches the API's test takes.
            method = "exact" if trajectories <= 8 else "asymptotic"
            pvalues = stats.mannwhitneyu(
                first[:, :trajectories], second[:, :trajectories], axis=-1, method=method
            ).pvalue
            curve[trajectories] = np.mean(pvalues < alpha)
    if untied and most > 8:
        counts = np.arange(9, most + 1)
        u = _prefix_u(first, second)[:, 9:]
        # scipy's asymptotic two-sided p: the larger U, continuity-corrected, untied.
        larger = np.maximum(u, counts**2 - u)
        mean = counts**2 / 2
        sd = np.sqrt(counts**2 * (2 * counts + 1) / 12)
        pvalues = np.clip(2 * stats.norm.sf((larger - mean - 0.5) / sd), 0, 1)
        reachable = [pvalue_floor(c, c, paired=False) < alpha for c in counts]
        curve[9:] = np.where(reachable, np.mean(pvalues < alpha, axis=0), 0.0)
    return curve


def _prefix_u(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """U of the first side for every prefix length (entry ``Tr``: the first ``Tr``
    draws of each side). Growing the prefix from k to k + 1 adds x_k against y_0..y_k
    and x_0..x_{k-1} against y_k, so U is the cumulated sum of those two counts."""
    simulations, width = first.shape
    greater = first[:, :, None] > second[:, None, :]  # [s, i, j]: x_i > y_j
    index = np.arange(width)
    new_x = (greater & (index[None, :] <= index[:, None])).sum(axis=2)  # j ≤ i
    new_y = (greater & (index[:, None] < index[None, :])).sum(axis=1)  # i < j
    u = np.zeros((simulations, width + 1))
    u[:, 1:] = np.cumsum(new_x + new_y, axis=1)
    return u


def _largest_enumerated_pairs() -> int:
    """The most pairs whose sign patterns the API enumerates (2^n ≤ resamples)."""
    return math.floor(math.log2(PERMUTATION_RESAMPLES))


def _draws(simulations: int, width: int, seed: int) -> tuple[np.ndarray, ...]:
    """Standard normal draws for each side and uniform draws for zero differences, one
    row per simulated experiment, ``width`` trajectories wide; a count uses the first
    columns, so every count shares them."""
    rng = np.random.default_rng(seed)
    first = rng.standard_normal((simulations, width))
    second = rng.standard_normal((simulations, width))
    return first, second, rng.random((simulations, width))


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
    family_size: int = 1,
) -> TrajectoryPlan:
    """The fewest trajectories per side giving ``power`` at ``alpha / family_size``, from
    pilot means.

    Args:
        means1, means2: the pilot's per-trajectory means of each side (paired: same
            length, trajectory ``i`` of both from one run).
        family_size: the comparisons the reported p-values are Holm-adjusted over.

    The search starts where the test can reach the level at all
    (:func:`~shared.stats.trajectory_level.trajectories_needed`) and goes up one count at
    a time; every count uses the same nested draws (common random numbers), so the
    estimates are smooth in ``Tr``.
    """
    if family_size < 1:
        raise ValueError(f"family_size: expected at least 1, got {family_size}")
    level = alpha / family_size
    means1 = np.asarray(means1, dtype=float)
    means2 = np.asarray(means2, dtype=float)
    zero_fraction = 0.0
    if paired:
        differences = means1 - means2
        n1 = n2 = differences.size
        difference = float(differences.mean()) if n1 else math.nan
        std1 = float(differences.std(ddof=1)) if n1 > 1 else math.nan
        std2 = math.nan
        center1, center2, spread1 = difference, 0.0, std1
        nonzero = differences[differences != 0]
        if n1 > 1 and 0 < nonzero.size < n1:
            zero_fraction = 1 - nonzero.size / n1
            center1 = float(nonzero.mean())
            spread1 = float(nonzero.std(ddof=1)) if nonzero.size > 1 else 0.0
    else:
        n1, n2 = means1.size, means2.size
        difference = float(means1.mean() - means2.mean()) if n1 and n2 else math.nan
        std1 = float(means1.std(ddof=1)) if n1 > 1 else math.nan
        std2 = float(means2.std(ddof=1)) if n2 > 1 else math.nan
        center1 = float(means1.mean()) if n1 else math.nan
        center2 = float(means2.mean()) if n2 else math.nan
        spread1 = std1

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
            family_size,
            level,
            zero_fraction,
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

    low = trajectories_needed(level, paired=paired)
    at = f"α = {alpha:g}" if family_size == 1 else f"α/{family_size} = {level:.3g}"
    if low > max_trajectories:
        return answer(
            None,
            0.0,
            f"the test needs {low} {unit} to reach {at} at all, more than {max_trajectories}",
        )
    # Upwards one count at a time: the first count that reaches the power is the answer
    # even where the curve dips (the API's test changes method at 9 a side and 11 pairs).
    curve = power_curve(
        center1,
        spread1,
        center2,
        0.0 if paired else std2,
        max_trajectories,
        paired=paired,
        alpha=level,
        simulations=simulations,
        seed=seed,
        zero_fraction=zero_fraction,
    )
    achieved = float(curve[max_trajectories])
    for trajectories in range(low, max_trajectories + 1):
        if curve[trajectories] >= power:
            return answer(trajectories, float(curve[trajectories]), None)
    return answer(
        None,
        achieved,
        f"even {max_trajectories} {unit} give only {achieved:.0%} power at {at} for the "
        f"pilot's difference of {difference:.4g}",
    )
