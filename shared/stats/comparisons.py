"""Comparing populations of models: Set A against Set B, and optimizer against optimizer.

Every test statistic and p-value comes from ``scipy.stats``; this module chooses the
tests, feeds them the right arrays, and defines what happens on degenerate input.

Two levels, because the ``L`` models of one trajectory are not independent (they are
neighbouring points of one run and share its seed):

* **model level** – all models of a population pooled: Mann–Whitney U (two-sided), Student
  and Welch t-tests, Vargha–Delaney A12, Cliff's δ, and the median difference with a
  percentile-bootstrap confidence interval. These treat models as independent, which
  overstates the evidence;
* **trajectory level** – one number per trajectory (the mean of its models), compared by
  an exact permutation test that moves whole trajectories: for independent trajectories
  (optimizer against optimizer) Mann–Whitney U on the trajectory means, whose exact null
  is precisely the distribution of the rank sum over all relabellings of trajectories; for
  paired trajectories (Set A against Set B of the same runs) sign flips of the
  per-trajectory mean differences (``scipy.stats.permutation_test``). This is the honest
  unit of replication, at the price of power: the p-value can never be below
  ``trajectory_pvalue_floor`` (2/252 ≈ 0.008 for 5 vs 5 independent trajectories,
  2/32 = 0.0625 for 5 paired ones).

A :class:`GroupComparison` carries both and flags when they disagree at ``alpha``.

Direction: every statistic compares the first sample with the second – A12 is P(X > Y) +
½·P(X = Y), differences are first minus second.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from shared.stats.corrections import holm
from shared.stats.populations import KEYS, numeric_values, population, set_a, set_b

BOOTSTRAP_RESAMPLES = 999
"""Resamples for the median-difference interval: ~1 ms per comparison, vectorised."""

PERMUTATION_RESAMPLES = 1999
"""Permutations for trajectory-level permutation tests: scipy enumerates all arrangements
when there are at most this many (up to 10 pairs of trajectories; tied independent ones
up to 7 vs 6), and otherwise draws this many at random (Monte Carlo error of p about
0.005 near 0.05)."""

ALPHA = 0.05

ArrayLike = npt.ArrayLike


@dataclass(frozen=True)
class SampleComparison:
    """Two samples of models compared as independent observations.

    ``n1``/``n2`` count the finite values used (NaN and ±inf are dropped first). Degenerate
    input never raises; what is undefined is NaN:

    * an empty sample: every statistic NaN (the other sample's median and mean still given);
    * Mann–Whitney U: defined from one value per sample; all values equal gives p = 1
      (scipy's answer);
    * Student t: NaN with fewer than 3 values in all, or when neither sample varies (0/0);
    * Welch t: NaN with fewer than 2 values in a sample, or when neither sample varies;
    * the bootstrap interval: NaN with fewer than 2 values in a sample; a point interval
      when both samples are constant.
    """

    n1: int
    n2: int
    median1: float
    median2: float
    mean1: float
    mean2: float
    mwu_statistic: float
    """U of the first sample (scipy's ``mannwhitneyu(...).statistic``)."""
    mwu_pvalue: float
    student_statistic: float
    student_pvalue: float
    welch_statistic: float
    welch_pvalue: float
    a12: float
    """Vargha–Delaney A12 = U / (n1·n2): P(X > Y) + ½·P(X = Y); 0.5 is no effect."""
    cliffs_delta: float
    """Cliff's δ = 2·A12 − 1 = P(X > Y) − P(X < Y), in [−1, 1]."""
    median_difference: float
    """median1 − median2, in the units of the compared column."""
    median_difference_low: float
    median_difference_high: float
    confidence_level: float


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

    Either needs 2 trajectories (pairs) per side; with fewer its fields are NaN.
    ``disagree`` is True when exactly one of the model-level Mann–Whitney p and the
    trajectory-level p is below ``alpha``; False when either is NaN.
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
    """The smallest p-value the exact test can give with these counts: 2 over the number
    of arrangements (2/C(n1+n2, n1) independent, 2/2^pairs paired); with random
    permutations 2/(resamples + 1)."""
    alpha: float
    disagree: bool


@dataclass(frozen=True)
class Summary:
    """One column over one population: ``n`` finite values in ``groups`` trajectories."""

    n: int
    groups: int
    median: float
    mean: float
    median_within_std: float
    """Median over trajectories of the within-trajectory standard deviation (ddof=1;
    trajectories with a single value have none and are left out): how spread a single
    run's models are, as opposed to how far runs are apart."""


@dataclass(frozen=True)
class SetComparison:
    """One optimizer's Set A (first) against its Set B (second)."""

    optimizer: str
    metric: str
    per_trajectory: int
    """L, the models kept per trajectory."""
    set_a: Summary
    """Set A on the test metric."""
    set_b: Summary
    set_a_train_loss: Summary
    set_b_train_loss: Summary
    on_metric: GroupComparison
    on_train_loss: GroupComparison


@dataclass(frozen=True)
class PairComparison:
    """Two optimizers' populations on the metric, with Holm-adjusted p-values.

    Each ``*_holm`` adjusts its own family – the same test over all optimizer pairs of one
    call. A NaN p-value stays NaN and does not count towards the family size.
    """

    optimizer1: str
    optimizer2: str
    comparison: GroupComparison
    mwu_pvalue_holm: float
    student_pvalue_holm: float
    welch_pvalue_holm: float
    trajectory_pvalue_holm: float


@dataclass(frozen=True)
class Correlation:
    """Spearman rank correlation of training loss with the metric over ``n`` models."""

    rho: float
    pvalue: float
    n: int


def compare_samples(
    x: ArrayLike,
    y: ArrayLike,
    *,
    seed: int | None = 0,
    confidence_level: float = 0.95,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
) -> SampleComparison:
    """Compare two 1-D samples of models (any shape is flattened).

    The bootstrap interval is scipy's percentile interval (``method="percentile"``) of
    median(x) − median(y) over ``n_resamples`` independent resamples of each sample drawn
    from ``seed``: it needs no jackknife and stays defined with the heavy ties of
    accuracy-like metrics, where BCa's acceleration can be undefined (NaN and a warning
    for a constant sample).
    """
    a, b = _finite(x), _finite(y)
    n1, n2 = a.size, b.size
    median1, median2 = _median_or_nan(a), _median_or_nan(b)
    mean1 = float(a.mean()) if n1 else math.nan
    mean2 = float(b.mean()) if n2 else math.nan
    nan = math.nan
    if n1 == 0 or n2 == 0:
        return SampleComparison(
            n1, n2, median1, median2, mean1, mean2, *([nan] * 11), confidence_level
        )

    mwu = stats.mannwhitneyu(a, b, alternative="two-sided")
    a12 = float(mwu.statistic) / (n1 * n2)
    student = welch = (nan, nan)
    # scipy's ttest_ind emits RuntimeWarnings whenever a sample is constant (common for
    # accuracies), and silencing them (warnings.catch_warnings) is process-global, not
    # thread-safe in a server. So the t-tests go through ttest_ind_from_stats – the same
    # formulae, a test checks they agree – with numpy's moments.
    var1 = float(a.var(ddof=1)) if n1 > 1 else 0.0
    var2 = float(b.var(ddof=1)) if n2 > 1 else 0.0
    varies = var1 > 0 or var2 > 0
    with np.errstate(all="ignore"):
        if varies and n1 + n2 > 2:
            result = stats.ttest_ind_from_stats(
                mean1, math.sqrt(var1), n1, mean2, math.sqrt(var2), n2, equal_var=True
            )
            student = (float(result.statistic), float(result.pvalue))
        if varies and n1 > 1 and n2 > 1:
            result = stats.ttest_ind_from_stats(
                mean1, math.sqrt(var1), n1, mean2, math.sqrt(var2), n2, equal_var=False
            )
            welch = (float(result.statistic), float(result.pvalue))

    low = high = nan
    if n1 > 1 and n2 > 1:
        interval = stats.bootstrap(
            (a, b),
            _median_difference,
            vectorized=True,
            paired=False,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            method="percentile",
            rng=seed,
        ).confidence_interval
        low, high = float(interval.low), float(interval.high)

    return SampleComparison(
        n1=n1,
        n2=n2,
        median1=median1,
        median2=median2,
        mean1=mean1,
        mean2=mean2,
        mwu_statistic=float(mwu.statistic),
        mwu_pvalue=float(mwu.pvalue),
        student_statistic=student[0],
        student_pvalue=student[1],
        welch_statistic=welch[0],
        welch_pvalue=welch[1],
        a12=a12,
        cliffs_delta=2 * a12 - 1,
        median_difference=median1 - median2,
        median_difference_low=low,
        median_difference_high=high,
        confidence_level=confidence_level,
    )


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

    Model level: :func:`compare_samples` on all values pooled. Trajectory level: an exact
    permutation-type test on the per-trajectory means (see :class:`GroupComparison`),
    which needs at least 2 trajectories (pairs) per side and is NaN below that.

    ``seed`` drives the bootstrap and any random permutations, so results repeat exactly.
    ``paired=True`` is for two selections from the same trajectories (Set A and Set B of
    one optimizer): ``x_by_trajectory[i]`` and ``y_by_trajectory[i]`` must come from the
    same trajectory, and pairs missing a side are dropped.
    """
    model, means1, means2 = _prepare(x_by_trajectory, y_by_trajectory, paired=paired, seed=seed)
    (test,) = _trajectory_tests(
        [(means1, means2)], paired=paired, seed=seed, n_permutations=n_permutations
    )
    return _group_comparison(model, means1, means2, test, paired=paired, alpha=alpha)


def summarize(population_frame: pd.DataFrame, metric: str, *, by: str = "trajectory") -> Summary:
    """Median, mean and typical within-trajectory spread of ``metric`` over a population.

    Groups are ``by`` values – within each optimizer when the frame has an ``optimizer``
    column, since trajectory numbers restart per optimizer. NaN/±inf values are dropped.
    """
    if not isinstance(population_frame, pd.DataFrame):
        raise TypeError("population_frame: expected a pandas DataFrame")
    if metric not in population_frame.columns:
        raise ValueError(f"metric: unknown column {metric!r}")
    if by not in population_frame.columns:
        raise ValueError(f"by: unknown column {by!r}")
    values = numeric_values(population_frame, metric, "metric")
    per_optimizer = "optimizer" in population_frame.columns and by != "optimizer"
    keys = ["optimizer", by] if per_optimizer else [by]
    rows = population_frame.groupby(keys, sort=False).indices.values()
    return _summary([_finite(values[group]) for group in rows])


def set_a_vs_set_b(
    records: pd.DataFrame,
    L: int,
    metric: str,
    *,
    seed: int | None = 0,
    paired: bool = True,
) -> dict[str, SetComparison]:
    """Per optimizer, Set A (first) against Set B (second) on ``metric`` and ``train_loss``.

    Both sets come from the same trajectories, so the trajectory-level test pairs them by
    trajectory (``paired=True``, sign flips of per-trajectory mean differences). With 5
    trajectories that test cannot go below p = 0.0625, and ``disagree`` will flag every
    model-level significance; ``paired=False`` treats the two sets' trajectories as
    independent groups instead (floor 2/252), ignoring that they are the same runs.

    Returns:
        ``{optimizer: SetComparison}`` in sorted optimizer order.
    """
    chosen_a = set_a(records, L)
    chosen_b = set_b(records, L, metric)
    a_metric = _by_trajectory(chosen_a, metric)
    b_metric = _by_trajectory(chosen_b, metric)
    a_loss = _by_trajectory(chosen_a, "train_loss")
    b_loss = _by_trajectory(chosen_b, "train_loss")

    result: dict[str, SetComparison] = {}
    for optimizer in _optimizers(records):
        trajectories = sorted(set(a_metric.get(optimizer, {})) | set(b_metric.get(optimizer, {})))
        result[optimizer] = SetComparison(
            optimizer=optimizer,
            metric=metric,
            per_trajectory=int(L),
            set_a=_summary(list(a_metric.get(optimizer, {}).values())),
            set_b=_summary(list(b_metric.get(optimizer, {}).values())),
            set_a_train_loss=_summary(list(a_loss.get(optimizer, {}).values())),
            set_b_train_loss=_summary(list(b_loss.get(optimizer, {}).values())),
            on_metric=compare_groups(
                _aligned(a_metric, optimizer, trajectories),
                _aligned(b_metric, optimizer, trajectories),
                seed=seed,
                paired=paired,
            ),
            on_train_loss=compare_groups(
                _aligned(a_loss, optimizer, trajectories),
                _aligned(b_loss, optimizer, trajectories),
                seed=seed,
                paired=paired,
            ),
        )
    return result


def optimizer_pairs(
    records: pd.DataFrame,
    L: int,
    metric: str,
    which: Literal["A", "B"] = "A",
    *,
    seed: int | None = 0,
) -> list[PairComparison]:
    """Every pair of optimizers (sorted names, first < second), compared on ``metric``
    over their Set ``which`` populations; trajectories of different optimizers are
    independent runs, so the trajectory-level test is unpaired.

    Holm's correction is applied across all pairs separately for the Mann–Whitney,
    Student, Welch and trajectory-level p-values. Fewer than 2 optimizers: no pairs.
    """
    chosen = population(records, which, L, metric)
    arrays = _by_trajectory(chosen, metric)
    optimizers = _optimizers(records)
    names = list(combinations(optimizers, 2))
    prepared = [
        _prepare(
            list(arrays.get(first, {}).values()),
            list(arrays.get(second, {}).values()),
            paired=False,
            seed=seed,
        )
        for first, second in names
    ]
    # One batched trajectory test for all pairs alike, instead of one call per pair.
    tests = _trajectory_tests(
        [(means1, means2) for _, means1, means2 in prepared],
        paired=False,
        seed=seed,
        n_permutations=PERMUTATION_RESAMPLES,
    )
    comparisons = [
        (first, second, _group_comparison(model, m1, m2, test, paired=False, alpha=ALPHA))
        for (first, second), (model, m1, m2), test in zip(names, prepared, tests, strict=True)
    ]
    families = [
        _holm_finite([c.model.mwu_pvalue for *_, c in comparisons]),
        _holm_finite([c.model.student_pvalue for *_, c in comparisons]),
        _holm_finite([c.model.welch_pvalue for *_, c in comparisons]),
        _holm_finite([c.trajectory_pvalue for *_, c in comparisons]),
    ]
    return [
        PairComparison(first, second, comparison, *(float(f[i]) for f in families))
        for i, (first, second, comparison) in enumerate(comparisons)
    ]


def loss_metric_correlation(population_frame: pd.DataFrame, metric: str) -> Correlation:
    """Spearman's ρ between ``train_loss`` and ``metric`` over the models of a population.

    Rows where either is NaN/±inf are dropped; ``n`` counts the rest. A frame with several
    optimizers is pooled – pass one optimizer's population for a per-optimizer answer.
    Undefined cases are NaN without a warning: fewer than 2 models, or a constant column
    (scipy itself gives p = NaN for exactly 2 models).
    """
    if not isinstance(population_frame, pd.DataFrame):
        raise TypeError("population_frame: expected a pandas DataFrame")
    for column, argument in (("train_loss", "population_frame"), (metric, "metric")):
        if column not in population_frame.columns:
            raise ValueError(f"{argument}: unknown column {column!r}")
    loss = numeric_values(population_frame, "train_loss", "population_frame")
    values = numeric_values(population_frame, metric, "metric")
    both = np.isfinite(loss) & np.isfinite(values)
    loss, values = loss[both], values[both]
    n = int(both.sum())
    if n < 2 or np.ptp(loss) == 0 or np.ptp(values) == 0:
        return Correlation(math.nan, math.nan, n)
    result = stats.spearmanr(loss, values)
    return Correlation(float(result.statistic), float(result.pvalue), n)


# --- helpers -------------------------------------------------------------------------

_EMPTY = np.empty(0)


def _finite(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    return array[np.isfinite(array)]


def _concat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else _EMPTY


def _median_or_nan(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else math.nan


def _median(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """``np.median`` along ``axis`` for finite data, ~5× faster on bootstrap batches.

    numpy partitions around both middle ranks at once, which is slow for (999, n) arrays;
    one partition at the upper middle plus a max below it finds the same two values.
    """
    values = np.moveaxis(values, axis, -1)
    n = values.shape[-1]
    upper = np.partition(values, n // 2, axis=-1)
    high = upper[..., n // 2]
    if n % 2:
        return high
    return (upper[..., : n // 2].max(axis=-1) + high) / 2


def _median_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return _median(x, axis) - _median(y, axis)


def _mean_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


TrajectoryTest = tuple[float, float, bool, float]
"""(statistic, p-value, exact, floor) of one trajectory-level test."""

_NO_TEST: TrajectoryTest = (math.nan, math.nan, False, math.nan)


def _prepare(
    x_by_trajectory: Sequence[ArrayLike],
    y_by_trajectory: Sequence[ArrayLike],
    *,
    paired: bool,
    seed: int | None,
) -> tuple[SampleComparison, np.ndarray, np.ndarray]:
    """The model-level comparison and the two arrays of trajectory means."""
    xs = [_finite(values) for values in x_by_trajectory]
    ys = [_finite(values) for values in y_by_trajectory]
    if paired and len(xs) != len(ys):
        raise ValueError(
            "y_by_trajectory: a paired comparison needs one entry per trajectory of "
            f"x_by_trajectory ({len(xs)}), got {len(ys)}"
        )
    model = compare_samples(_concat(xs), _concat(ys), seed=seed)
    if paired:
        kept = [(u, v) for u, v in zip(xs, ys, strict=True) if u.size and v.size]
        means1 = np.array([u.mean() for u, _ in kept])
        means2 = np.array([v.mean() for _, v in kept])
    else:
        means1 = np.array([u.mean() for u in xs if u.size])
        means2 = np.array([v.mean() for v in ys if v.size])
    return model, means1, means2


def _group_comparison(
    model: SampleComparison,
    means1: np.ndarray,
    means2: np.ndarray,
    test: TrajectoryTest,
    *,
    paired: bool,
    alpha: float,
) -> GroupComparison:
    statistic, pvalue, exact, floor = test
    tested = not math.isnan(pvalue)
    disagree = bool(
        tested
        and not math.isnan(model.mwu_pvalue)
        and (model.mwu_pvalue < alpha) != (pvalue < alpha)
    )
    return GroupComparison(
        model=model,
        paired=paired,
        trajectories1=int(means1.size),
        trajectories2=int(means2.size),
        trajectory_test="sign-flip permutation" if paired else "mannwhitneyu",
        trajectory_statistic=statistic,
        trajectory_mean_difference=float(means1.mean() - means2.mean()) if tested else math.nan,
        trajectory_pvalue=pvalue,
        trajectory_exact=exact,
        trajectory_pvalue_floor=floor,
        alpha=alpha,
        disagree=disagree,
    )


def _trajectory_tests(
    means: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    paired: bool,
    seed: int | None,
    n_permutations: int,
) -> list[TrajectoryTest]:
    """The trajectory-level test of each (means1, means2), as :class:`GroupComparison`
    describes it.

    Independent, small and tied comparisons that can be enumerated exactly are batched:
    comparisons with the same numbers of trajectories share one ``permutation_test`` call
    along a leading axis, which enumerates the arrangements once (deterministic, so the
    same p-values as one call each: about 1 ms for all 15 pairs of 6 optimizers instead
    of about 1 ms per pair).
    """
    results: list[TrajectoryTest] = [_NO_TEST] * len(means)
    tied_batches: dict[tuple[int, int], list[int]] = {}
    for index, (means1, means2) in enumerate(means):
        n1, n2 = means1.size, means2.size
        if n1 < 2 or n2 < 2:
            continue
        if paired:
            results[index] = _sign_flip_test(
                means1, means2, seed=seed, n_permutations=n_permutations
            )
            continue
        arrangements = math.comb(n1 + n2, n1)
        floor = min(1.0, 2 / arrangements)
        pooled = np.concatenate([means1, means2])
        if min(n1, n2) > 8:
            result = stats.mannwhitneyu(means1, means2, method="asymptotic")
            results[index] = (float(result.statistic), float(result.pvalue), False, floor)
        elif np.unique(pooled).size == pooled.size:
            result = stats.mannwhitneyu(means1, means2, method="exact")
            results[index] = (float(result.statistic), float(result.pvalue), True, floor)
        elif arrangements <= n_permutations:
            tied_batches.setdefault((n1, n2), []).append(index)
        else:
            ((statistic, pvalue),) = _tied_rank_sum(
                means1[np.newaxis], means2[np.newaxis], seed=seed, n_permutations=n_permutations
            )
            results[index] = (statistic, pvalue, False, 2 / (n_permutations + 1))
    for (n1, n2), indices in tied_batches.items():
        batch1 = np.stack([means[i][0] for i in indices])
        batch2 = np.stack([means[i][1] for i in indices])
        floor = min(1.0, 2 / math.comb(n1 + n2, n1))
        tested = _tied_rank_sum(batch1, batch2, seed=seed, n_permutations=n_permutations)
        for index, (statistic, pvalue) in zip(indices, tested, strict=True):
            results[index] = (statistic, pvalue, True, floor)
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


def _sign_flip_test(
    means1: np.ndarray, means2: np.ndarray, *, seed: int | None, n_permutations: int
) -> TrajectoryTest:
    """Paired permutation test of mean(first − second): (statistic, p, exact, floor)."""
    arrangements = 2**means1.size
    result = stats.permutation_test(
        (means1, means2),
        _mean_difference,
        permutation_type="samples",
        vectorized=True,
        n_resamples=n_permutations,
        alternative="two-sided",
        rng=seed,
    )
    exact = arrangements <= n_permutations
    floor = min(1.0, 2 / arrangements) if exact else 2 / (n_permutations + 1)
    return float(result.statistic), float(result.pvalue), exact, floor


def _holm_finite(pvalues: Sequence[float]) -> np.ndarray:
    """Holm over the finite p-values; NaN (an undefined test) stays NaN, uncounted."""
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full_like(p, np.nan)
    finite = np.isfinite(p)
    adjusted[finite] = holm(p[finite])
    return adjusted


def _summary(groups: list[np.ndarray]) -> Summary:
    """:class:`Summary` of per-trajectory arrays of finite values."""
    groups = [group for group in groups if group.size]
    if not groups:
        return Summary(0, 0, math.nan, math.nan, math.nan)
    pooled = np.concatenate(groups)
    spreads = [group.std(ddof=1) for group in groups if group.size > 1]
    return Summary(
        n=int(pooled.size),
        groups=len(groups),
        median=float(np.median(pooled)),
        mean=float(pooled.mean()),
        median_within_std=float(np.median(spreads)) if spreads else math.nan,
    )


def _aligned(
    by: Mapping[object, Mapping[object, np.ndarray]], optimizer: object, trajectories: list
) -> list[np.ndarray]:
    """One optimizer's arrays in ``trajectories`` order, empty where a set has none."""
    arrays = by.get(optimizer, {})
    return [arrays.get(trajectory, _EMPTY) for trajectory in trajectories]


def _optimizers(records: pd.DataFrame) -> list:
    """Every optimizer of the records, sorted – also those whose population came out empty
    (no finite metric), which then compare as NaN rather than vanish."""
    return sorted(records["optimizer"].dropna().unique().tolist())


def _by_trajectory(frame: pd.DataFrame, column: str) -> dict[object, dict[object, np.ndarray]]:
    """``{optimizer: {trajectory: values of column}}``, trajectories in sorted order."""
    values = numeric_values(frame, column, "metric")
    nested: dict[object, dict[object, np.ndarray]] = {}
    for (optimizer, trajectory), rows in frame.groupby(list(KEYS), sort=True).indices.items():
        nested.setdefault(optimizer, {})[trajectory] = values[rows]
    return nested
