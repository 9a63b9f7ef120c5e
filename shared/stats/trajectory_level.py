"""Trajectory-level comparison: whole runs as the unit of replication.

The ``L`` models of one trajectory are not independent (neighbouring points of one run
that share its seed), so beside the model-level tests a population comparison reduces
each trajectory to one number – the mean of its models – and compares those by an exact
permutation test that moves whole trajectories:

* independent trajectories (optimizer against optimizer): Mann–Whitney U on the
  trajectory means, whose exact null is the distribution of the rank sum over all
  relabellings of trajectories;
* paired trajectories (Set A against Set B of the same runs): sign flips of the
  per-trajectory mean differences (``scipy.stats.permutation_test``).

This is the honest unit, at the price of power: the p-value can never be below
:func:`pvalue_floor` (2/252 ≈ 0.008 for 5 vs 5 independent trajectories, 2/32 = 0.0625
for 5 paired ones), and :func:`trajectories_needed` says how many a test needs before it
can reach a given α at all. The floor a comparison reports is that of its own data: the
p-value the test gives for the most extreme arrangement of the observed trajectory means.
A zero difference between paired trajectories flips to itself, and means tied at the
extreme of the pooled order can swap without changing U, so zeros (paired) and ties
(independent) raise it: 6 pairs with one zero difference cannot go below 2/2^5 = 0.0625.

The median-difference interval of a :class:`GroupComparison` is a cluster bootstrap
(:mod:`shared.stats.bootstrap`), for the same reason.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import stats

from shared.stats.bootstrap import median_difference_interval
from shared.stats.floors import (  # noqa: F401  (re-exported: the trajectory-level API)
    TRAJECTORIES_LIMIT,
    extreme_ties,
    floor_warning,
    pvalue_floor,
    trajectories_needed,
    zero_differences,
)
from shared.stats.model_level import ArrayLike, SampleComparison, compare_samples, finite

PERMUTATION_RESAMPLES = 1999
"""Permutations for trajectory-level permutation tests: scipy enumerates all arrangements
when there are at most this many (up to 10 pairs of trajectories; tied independent ones
up to 7 vs 6), and otherwise draws this many at random (Monte Carlo error of p about
0.005 near 0.05)."""

ALPHA = 0.05


@dataclass(frozen=True)
class GroupComparison:
    """Two populations compared at model level (pooled) and at trajectory level.

    Trajectory level, on per-trajectory means (see the module docstring):

    * ``paired=False``: Mann–Whitney U (two-sided) on the two sets of means – scipy's
      exact distribution when a side has at most 8 trajectories and the means are untied;
      when tied, the exact (past ``PERMUTATION_RESAMPLES`` arrangements, Monte Carlo)
      permutation distribution of the midrank sum; asymptotic when both sides have more
      than 8 trajectories;
    * ``paired=True``: ``scipy.stats.permutation_test`` with ``permutation_type="samples"``
      on statistic mean(first − second): the labels are swapped within each pair of
      trajectories, all 2^pairs ways when that is at most ``PERMUTATION_RESAMPLES``.

    Either needs 2 trajectories (pairs) per side; with fewer its fields are NaN and
    ``notes`` says so. ``disagree`` is True when exactly one of the model-level
    Mann–Whitney p and the trajectory-level p (both raw, as here) is below ``alpha``;
    False when either is NaN. Optimizer pairs add the same verdict on their Holm-adjusted
    p-values (``PairComparison.disagree_holm``).
    """

    model: SampleComparison
    paired: bool
    trajectories1: int
    """Trajectories with at least one finite value (for ``paired``, complete pairs)."""
    trajectories2: int
    trajectory_test: str
    """``"mannwhitneyu"`` or ``"sign-flip permutation"``."""
    trajectory_statistic: float
    """The test's statistic as scipy reports it: U of the first sample's trajectory
    means, or (paired) the mean of the per-pair differences."""
    trajectory_mean_difference: float
    """Mean of the first side's trajectory means − mean of the second's."""
    trajectory_pvalue: float
    trajectory_exact: bool
    """True when the p-value comes from the complete permutation distribution (not a
    normal approximation or random permutations)."""
    trajectory_pvalue_floor: float
    """The smallest p-value the test can give on these trajectory means: the p of their
    most extreme arrangement. Without zero differences or ties, 2 over the number of
    arrangements (2/C(n1+n2, n1) independent, 2/2^pairs paired); each paired zero
    difference doubles it, ties at the extreme multiply it; with random permutations
    2/(resamples + 1)."""
    alpha: float
    disagree: bool
    trajectories_needed: int = 0
    """Trajectories per side (pairs, when paired) the exact test needs before its floor is
    below ``alpha``, counting this comparison's zero differences (paired) and its ties at
    the extreme (independent) as staying."""
    notes: dict[str, str] = field(default_factory=dict)
    """Why each undefined trajectory-level field is undefined, and (``floor``) a plain
    warning when the test cannot reach ``alpha`` with these trajectories."""
    trajectory_method: str = ""
    """How the trajectory-level p-value was computed: ``exact`` (every arrangement),
    ``asymptotic`` (normal approximation) or ``monte_carlo`` (seeded random arrangements);
    empty when untested."""
    trajectory_method_reason: str = ""
    """Why that method: sizes, ties, number of arrangements."""


class TrajectoryTest(NamedTuple):
    """One trajectory-level test: its statistic and p-value, whether the p-value is exact,
    its floor (the p-value of the most extreme arrangement of the same means), which
    method computed it (``exact``, ``asymptotic``, ``monte_carlo``) and why."""

    statistic: float
    pvalue: float
    exact: bool
    floor: float
    method: str
    method_reason: str


_NO_TEST = TrajectoryTest(math.nan, math.nan, False, math.nan, "", "")


def compare_groups(
    x_by_trajectory: Sequence[ArrayLike],
    y_by_trajectory: Sequence[ArrayLike],
    *,
    seed: int | None = 0,
    paired: bool = False,
    alpha: float = ALPHA,
    n_permutations: int = PERMUTATION_RESAMPLES,
) -> GroupComparison:
    """Compare two populations given as one array of model values per trajectory.

    Model level: :func:`~shared.stats.model_level.compare_samples` on all values pooled,
    with the median-difference interval from a cluster bootstrap over trajectories.
    Trajectory level: an exact permutation-type test on the per-trajectory means (see
    :class:`GroupComparison`), which needs at least 2 trajectories (pairs) per side.

    ``seed`` drives the bootstrap and any random permutations, so results repeat exactly.
    ``paired=True`` is for two selections from the same trajectories (Set A and Set B of
    one optimizer): ``x_by_trajectory[i]`` and ``y_by_trajectory[i]`` must come from the
    same trajectory, and pairs missing a side are dropped.
    """
    model, means1, means2 = prepare(x_by_trajectory, y_by_trajectory, paired=paired, seed=seed)
    (test,) = trajectory_tests(
        [(means1, means2)], paired=paired, seed=seed, n_permutations=n_permutations
    )
    return group_comparison(model, means1, means2, test, paired=paired, alpha=alpha)


def prepare(
    x_by_trajectory: Sequence[ArrayLike],
    y_by_trajectory: Sequence[ArrayLike],
    *,
    paired: bool,
    seed: int | None,
) -> tuple[SampleComparison, np.ndarray, np.ndarray]:
    """The model-level comparison (cluster-bootstrap interval) and the two arrays of
    trajectory means."""
    xs = [finite(values) for values in x_by_trajectory]
    ys = [finite(values) for values in y_by_trajectory]
    if paired and len(xs) != len(ys):
        raise ValueError(
            "y_by_trajectory: a paired comparison needs one entry per trajectory of "
            f"x_by_trajectory ({len(xs)}), got {len(ys)}"
        )
    pooled_x = np.concatenate(xs) if xs else np.empty(0)
    pooled_y = np.concatenate(ys) if ys else np.empty(0)
    model = compare_samples(pooled_x, pooled_y, seed=seed, interval=False)
    if model.n1 and model.n2:
        interval = median_difference_interval(xs, ys, paired=paired, seed=seed)
        notes = dict(model.notes)
        if interval.note:
            notes["median_difference_low"] = notes["median_difference_high"] = (
                f"undefined: the cluster bootstrap {interval.note}"
            )
        model = dataclasses.replace(
            model,
            median_difference_low=interval.low,
            median_difference_high=interval.high,
            median_difference_resampled="trajectories",
            notes=notes,
        )
    else:
        model = dataclasses.replace(model, median_difference_resampled="trajectories")
    if paired:
        kept = [(u, v) for u, v in zip(xs, ys, strict=True) if u.size and v.size]
        means1 = np.array([_mean(u) for u, _ in kept])
        means2 = np.array([_mean(v) for _, v in kept])
    else:
        means1 = np.array([_mean(u) for u in xs if u.size])
        means2 = np.array([_mean(v) for v in ys if v.size])
    return model, means1, means2


def _mean(values: np.ndarray) -> float:
    """The mean of sorted values: the same models chosen in another order (Set A ranks by
    loss, Set B by metric) give bit-for-bit the same mean, so a zero difference or a tie
    is recognised as one."""
    return float(np.sort(values).mean())


def group_comparison(
    model: SampleComparison,
    means1: np.ndarray,
    means2: np.ndarray,
    test: TrajectoryTest,
    *,
    paired: bool,
    alpha: float,
) -> GroupComparison:
    """Assemble a :class:`GroupComparison` from its parts."""
    statistic, pvalue, exact, floor, method, method_reason = test
    tested = not math.isnan(pvalue)
    disagree = bool(
        tested
        and not math.isnan(model.mwu_pvalue)
        and (model.mwu_pvalue < alpha) != (pvalue < alpha)
    )
    n1, n2 = int(means1.size), int(means2.size)
    notes: dict[str, str] = {}
    if not tested:
        unit = "pairs of trajectories" if paired else "trajectories on each side"
        got = str(n1) if paired else f"{n1} and {n2}"
        reason = f"undefined: needs at least 2 {unit} with finite values, got {got}"
        for name in (
            "trajectory_statistic",
            "trajectory_pvalue",
            "trajectory_pvalue_floor",
            "trajectory_mean_difference",
        ):
            notes[name] = reason
    needed = trajectories_needed(alpha, paired=paired)
    if tested:
        zeros = zero_differences(means1, means2) if paired else 0
        ties = 1 if paired else extreme_ties(means1, means2)
        needed = trajectories_needed(alpha, paired=paired, zeros=zeros, extreme_ties=ties)
        why = ""
        if zeros:
            why = f" ({zeros} of them with no difference)"
        elif ties > 1:
            why = " (tied means at the extreme of the ranking)"
        warning = floor_warning(
            n1, n2, paired=paired, alpha=alpha, floor=floor, needed=needed, why=why
        )
        if warning is not None:
            notes["floor"] = warning
    return GroupComparison(
        model=model,
        paired=paired,
        trajectories1=n1,
        trajectories2=n2,
        trajectory_test="sign-flip permutation" if paired else "mannwhitneyu",
        trajectory_statistic=statistic,
        trajectory_mean_difference=float(means1.mean() - means2.mean()) if tested else math.nan,
        trajectory_pvalue=pvalue,
        trajectory_exact=exact,
        trajectory_pvalue_floor=floor,
        alpha=alpha,
        disagree=disagree,
        trajectories_needed=needed,
        notes=notes,
        trajectory_method=method,
        trajectory_method_reason=method_reason,
    )


def trajectory_tests(
    means: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    paired: bool,
    seed: int | None,
    n_permutations: int = PERMUTATION_RESAMPLES,
) -> list[TrajectoryTest]:
    """The trajectory-level test of each (means1, means2), as :class:`GroupComparison`
    describes it, with its floor: the smallest p-value the same test gives over every
    arrangement of these means, which is that of the most extreme one (paired: every
    non-zero difference of one sign; independent: one side holding the smallest, or the
    largest, of the pooled means).

    Independent, small and tied comparisons that can be enumerated exactly are batched:
    comparisons with the same numbers of trajectories share one ``permutation_test`` call
    along a leading axis, which enumerates the arrangements once (deterministic, so the
    same p-values as one call each: about 1 ms for all 15 pairs of 6 optimizers instead
    of about 1 ms per pair).
    """
    cases: list[tuple[np.ndarray, np.ndarray]] = []
    owners: list[tuple[int, bool]] = []  # (comparison, is it the observed arrangement)
    for index, (means1, means2) in enumerate(means):
        if means1.size < 2 or means2.size < 2:
            continue
        cases.append((means1, means2))
        owners.append((index, True))
        for extreme in _extreme_arrangements(means1, means2, paired=paired):
            cases.append(extreme)
            owners.append((index, False))
    run = _sign_flip_tests if paired else _rank_sum_tests
    tested = run(cases, seed=seed, n_permutations=n_permutations)
    observed: dict[int, TrajectoryTest] = {}
    floors: dict[int, float] = {}
    for (index, is_observed), test in zip(owners, tested, strict=True):
        if is_observed:
            observed[index] = test
        else:
            floors[index] = min(floors.get(index, math.inf), test.pvalue)
    results = [_NO_TEST] * len(means)
    for index, test in observed.items():
        results[index] = test._replace(floor=floors[index])
    return results


def _extreme_arrangements(
    means1: np.ndarray, means2: np.ndarray, *, paired: bool
) -> list[tuple[np.ndarray, np.ndarray]]:
    if paired:  # only the differences matter: all of them made non-negative
        return [(np.abs(means1 - means2), np.zeros(means1.size))]
    pooled = np.sort(np.concatenate([means1, means2]))
    n1, n2 = means1.size, means2.size
    return [(pooled[:n1], pooled[n1:]), (pooled[n2:], pooled[:n2])]


def _rank_sum_tests(
    cases: Sequence[tuple[np.ndarray, np.ndarray]], *, seed: int | None, n_permutations: int
) -> list[TrajectoryTest]:
    """Mann–Whitney U of each (means1, means2) by the method its sizes and ties call for;
    the floor field is filled in by the caller."""
    results: list[TrajectoryTest] = [_NO_TEST] * len(cases)
    tied_batches: dict[tuple[int, int], list[int]] = {}
    for index, (means1, means2) in enumerate(cases):
        n1, n2 = means1.size, means2.size
        arrangements = math.comb(n1 + n2, n1)
        pooled = np.concatenate([means1, means2])
        if min(n1, n2) > 8:
            result = stats.mannwhitneyu(means1, means2, method="asymptotic")
            results[index] = TrajectoryTest(
                float(result.statistic),
                float(result.pvalue),
                False,
                math.nan,
                "asymptotic",
                "more than 8 trajectories on each side: scipy's normal approximation "
                "with tie and continuity corrections",
            )
        elif np.unique(pooled).size == pooled.size:
            result = stats.mannwhitneyu(means1, means2, method="exact")
            results[index] = TrajectoryTest(
                float(result.statistic),
                float(result.pvalue),
                True,
                math.nan,
                "exact",
                "untied trajectory means, at most 8 on a side: scipy's exact "
                f"distribution of U over all {arrangements} arrangements",
            )
        elif arrangements <= n_permutations:
            tied_batches.setdefault((n1, n2), []).append(index)
        else:
            ((statistic, pvalue),) = _tied_rank_sum(
                means1[np.newaxis], means2[np.newaxis], seed=seed, n_permutations=n_permutations
            )
            results[index] = TrajectoryTest(
                statistic,
                pvalue,
                False,
                math.nan,
                "monte_carlo",
                f"tied trajectory means and {arrangements} arrangements: the midrank "
                f"permutation distribution from {n_permutations} seeded random ones",
            )
    for (n1, n2), indices in tied_batches.items():
        batch1 = np.stack([cases[i][0] for i in indices])
        batch2 = np.stack([cases[i][1] for i in indices])
        tested = _tied_rank_sum(batch1, batch2, seed=seed, n_permutations=n_permutations)
        arrangements = math.comb(n1 + n2, n1)
        for index, (statistic, pvalue) in zip(indices, tested, strict=True):
            results[index] = TrajectoryTest(
                statistic,
                pvalue,
                True,
                math.nan,
                "exact",
                "tied trajectory means: the permutation distribution of the midrank sum "
                f"over all {arrangements} arrangements",
            )
    return results


def _tied_rank_sum(
    means1: np.ndarray, means2: np.ndarray, *, seed: int | None, n_permutations: int
) -> list[tuple[float, float]]:
    """Mann–Whitney U with ties, by permutation: (U, p) per row of (k, n1) and (k, n2).

    scipy's ``mannwhitneyu`` would use the normal approximation on tied small samples
    (``method="auto"``, poor at 5 vs 5) or ignore the ties (``method="exact"``). Instead
    ``scipy.stats.permutation_test`` permutes trajectory labels over the pooled midranks
    (``scipy.stats.rankdata``) with U as the statistic: the p-value of
    ``mannwhitneyu(method=PermutationMethod())`` (a test checks it) at a fraction of the
    cost, and batched over rows.
    """
    n1 = means1.shape[-1]

    def u_statistic(ranks1: np.ndarray, ranks2: np.ndarray, axis: int = -1) -> np.ndarray:
        # U of the first sample from its midranks, as mannwhitneyu defines it.
        return ranks1.sum(axis=axis) - n1 * (n1 + 1) / 2

    ranks = stats.rankdata(np.concatenate([means1, means2], axis=-1), axis=-1)
    result = stats.permutation_test(
        (ranks[:, :n1], ranks[:, n1:]),
        u_statistic,
        permutation_type="independent",
        vectorized=True,
        n_resamples=n_permutations,
        alternative="two-sided",
        axis=-1,
        rng=seed,
    )
    return [
        (float(u), float(p))
        for u, p in zip(np.atleast_1d(result.statistic), np.atleast_1d(result.pvalue), strict=True)
    ]


def mean_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """mean(x) − mean(y) along ``axis``: the paired test's statistic (mean of x − y)."""
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _sign_flip_tests(
    cases: Sequence[tuple[np.ndarray, np.ndarray]], *, seed: int | None, n_permutations: int
) -> list[TrajectoryTest]:
    """Paired permutation test of mean(first − second) for each case; the floor field is
    filled in by the caller."""
    results = []
    for means1, means2 in cases:
        arrangements = 2**means1.size
        result = stats.permutation_test(
            (means1, means2),
            mean_difference,
            permutation_type="samples",
            vectorized=True,
            n_resamples=n_permutations,
            alternative="two-sided",
            rng=seed,
        )
        exact = arrangements <= n_permutations
        reason = (
            f"all {arrangements} sign patterns of the per-pair differences"
            if exact
            else f"{n_permutations} seeded random sign patterns of the {arrangements}"
        )
        results.append(
            TrajectoryTest(
                float(result.statistic),
                float(result.pvalue),
                exact,
                math.nan,
                "exact" if exact else "monte_carlo",
                reason,
            )
        )
    return results
