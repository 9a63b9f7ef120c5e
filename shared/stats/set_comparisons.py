"""Population comparisons on model records: one optimizer's Set A against its Set B, and
optimizer against optimizer, each at model level and at trajectory level.

Every comparison takes the compared column as a parameter (``column``), separately from
the metric that selects Set B, so the same code compares populations on the test metric,
on training loss, or on any other per-record measurement.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from shared.stats.corrections import holm_finite
from shared.stats.model_level import finite
from shared.stats.populations import (
    KEYS,
    CandidateCounts,
    Direction,
    candidate_counts,
    numeric_values,
    overlap,
    overlap_warning,
    population,
    set_a,
    set_b,
)
from shared.stats.trajectory_level import (
    ALPHA,
    PERMUTATION_RESAMPLES,
    GroupComparison,
    compare_groups,
    group_comparison,
    prepare,
    trajectory_tests,
)

_EMPTY = np.empty(0)


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
    overlap: float = math.nan
    """Fraction of the Set A models that are also in Set B (same trajectory and step)."""
    candidates: CandidateCounts | None = None
    """How the records became candidates: step-0 and post-divergence records left out."""
    warnings: list[str] = field(default_factory=list)
    """Plain sentences on what limits this comparison (overlap, too few candidates or
    trajectories)."""


@dataclass(frozen=True)
class PairComparison:
    """Two optimizers' populations on the metric, with Holm-adjusted p-values.

    Each ``*_holm`` adjusts its own family – the same test over all optimizer pairs of one
    call. A NaN p-value stays NaN and does not count towards the family size.
    ``comparison.disagree`` compares the raw p-values; ``disagree_holm`` the adjusted
    ones, which is what a table of adjusted p-values shows beside it.
    """

    optimizer1: str
    optimizer2: str
    comparison: GroupComparison
    mwu_pvalue_holm: float
    student_pvalue_holm: float
    welch_pvalue_holm: float
    trajectory_pvalue_holm: float
    disagree_holm: bool = False
    """Exactly one of the Holm-adjusted model-level Mann–Whitney p and the Holm-adjusted
    trajectory-level p is below α; False when either is NaN."""


@dataclass(frozen=True)
class Correlation:
    """Spearman rank correlation over ``n`` models; ``note`` says why it is undefined."""

    rho: float
    pvalue: float
    n: int
    note: str | None = None


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
    return summary([finite(values[group]) for group in rows])


def compare_sets(
    set_a_models: pd.DataFrame,
    set_b_models: pd.DataFrame,
    column: str,
    *,
    seed: int | None = 0,
    paired: bool = True,
    alpha: float = ALPHA,
) -> GroupComparison:
    """One optimizer's Set A models (first) against its Set B models on ``column``,
    trajectory by trajectory (paired: both sets come from the same runs).

    Both frames hold one optimizer's population (``trajectory`` and ``column`` columns).
    """
    return compare_trajectories(
        trajectory_arrays(set_a_models, column),
        trajectory_arrays(set_b_models, column),
        seed=seed,
        paired=paired,
        alpha=alpha,
    )


def compare_trajectories(
    a: Mapping[object, np.ndarray],
    b: Mapping[object, np.ndarray],
    *,
    seed: int | None = 0,
    paired: bool = True,
    alpha: float = ALPHA,
) -> GroupComparison:
    """:func:`compare_sets` on ``{trajectory: values}`` mappings of the two sets."""
    trajectories = sorted(set(a) | set(b))
    return compare_groups(
        [a.get(t, _EMPTY) for t in trajectories],
        [b.get(t, _EMPTY) for t in trajectories],
        seed=seed,
        paired=paired,
        alpha=alpha,
    )


def set_a_vs_set_b(
    records: pd.DataFrame,
    L: int,
    metric: str,
    *,
    direction: Direction = "higher",
    seed: int | None = 0,
    paired: bool = True,
    alpha: float = ALPHA,
) -> dict[str, SetComparison]:
    """Per optimizer, Set A (first) against Set B (second) on ``metric`` and ``train_loss``.

    Both sets come from the same trajectories, so the trajectory-level test pairs them by
    trajectory (``paired=True``, sign flips of per-trajectory mean differences). With 5
    trajectories that test cannot go below p = 0.0625, and a warning says so;
    ``paired=False`` treats the two sets' trajectories as independent groups instead
    (floor 2/252), ignoring that they are the same runs.

    Returns:
        ``{optimizer: SetComparison}`` in sorted optimizer order.
    """
    chosen_a = set_a(records, L)
    chosen_b = set_b(records, L, metric, direction)
    overlaps = overlap(chosen_a, chosen_b)
    counts = candidate_counts(records)

    a_by_optimizer = split_by_optimizer(chosen_a)
    b_by_optimizer = split_by_optimizer(chosen_b)

    result: dict[str, SetComparison] = {}
    for optimizer in optimizers(records):
        a = a_by_optimizer.get(optimizer, chosen_a.iloc[:0])
        b = b_by_optimizer.get(optimizer, chosen_b.iloc[:0])
        a_metric, b_metric = trajectory_arrays(a, metric), trajectory_arrays(b, metric)
        a_loss, b_loss = trajectory_arrays(a, "train_loss"), trajectory_arrays(b, "train_loss")
        options = {"seed": seed, "paired": paired, "alpha": alpha}
        on_metric = compare_trajectories(a_metric, b_metric, **options)
        fraction = float(overlaps.get(optimizer, math.nan))
        warnings = [
            w
            for w in (
                overlap_warning(fraction),
                short_schedule_warning(counts.get(optimizer), L),
                on_metric.notes.get("floor"),
            )
            if w
        ]
        result[optimizer] = SetComparison(
            optimizer=optimizer,
            metric=metric,
            per_trajectory=int(L),
            set_a=summary(list(a_metric.values())),
            set_b=summary(list(b_metric.values())),
            set_a_train_loss=summary(list(a_loss.values())),
            set_b_train_loss=summary(list(b_loss.values())),
            on_metric=on_metric,
            on_train_loss=compare_trajectories(a_loss, b_loss, **options),
            overlap=fraction,
            candidates=counts.get(optimizer),
            warnings=warnings,
        )
    return result


def short_schedule_warning(counts: CandidateCounts | None, L: int) -> str | None:
    """A sentence when some trajectory has fewer than 2L candidates, so its Set A and
    Set B must share models whatever the training did."""
    if counts is None or counts.fewest_per_trajectory >= 2 * L:
        return None
    return (
        f"A trajectory holds only {counts.fewest_per_trajectory} candidate models for "
        f"L = {L}: with fewer than 2L = {2 * L}, Set A and Set B share models by "
        "construction."
    )


def optimizer_pairs(
    records: pd.DataFrame,
    L: int,
    metric: str,
    which: Literal["A", "B"] = "A",
    *,
    column: str | None = None,
    direction: Direction = "higher",
    seed: int | None = 0,
    alpha: float = ALPHA,
) -> list[PairComparison]:
    """Every pair of optimizers (sorted names, first < second), compared on ``column``
    (default: ``metric``) over their Set ``which`` populations (Set B ranked by
    ``metric``); trajectories of different optimizers are independent runs, so the
    trajectory-level test is unpaired.

    Holm's correction is applied across all pairs separately for the Mann–Whitney,
    Student, Welch and trajectory-level p-values. Fewer than 2 optimizers: no pairs.
    """
    chosen = population(records, which, L, metric, direction)
    arrays = by_trajectory(chosen, column or metric)
    names = list(combinations(optimizers(records), 2))
    prepared = [
        prepare(
            list(arrays.get(first, {}).values()),
            list(arrays.get(second, {}).values()),
            paired=False,
            seed=seed,
        )
        for first, second in names
    ]
    # One batched trajectory test for all pairs alike, instead of one call per pair.
    tests = trajectory_tests(
        [(means1, means2) for _, means1, means2 in prepared],
        paired=False,
        seed=seed,
        n_permutations=PERMUTATION_RESAMPLES,
    )
    comparisons = [
        (first, second, group_comparison(model, m1, m2, test, paired=False, alpha=alpha))
        for (first, second), (model, m1, m2), test in zip(names, prepared, tests, strict=True)
    ]
    families = [
        holm_finite([c.model.mwu_pvalue for *_, c in comparisons]),
        holm_finite([c.model.student_pvalue for *_, c in comparisons]),
        holm_finite([c.model.welch_pvalue for *_, c in comparisons]),
        holm_finite([c.trajectory_pvalue for *_, c in comparisons]),
    ]
    out = []
    for i, (first, second, comparison) in enumerate(comparisons):
        mwu, student, welch, trajectory = (float(f[i]) for f in families)
        disagree = not (math.isnan(mwu) or math.isnan(trajectory)) and (
            (mwu < alpha) != (trajectory < alpha)
        )
        out.append(
            PairComparison(
                first, second, comparison, mwu, student, welch, trajectory, bool(disagree)
            )
        )
    return out


def rank_correlation(population_frame: pd.DataFrame, column: str, metric: str) -> Correlation:
    """Spearman's ρ between ``column`` and ``metric`` over the models of a population.

    Rows where either is NaN/±inf are dropped; ``n`` counts the rest. A frame with several
    optimizers is pooled – pass one optimizer's population for a per-optimizer answer.
    Undefined cases are NaN without a warning, with ``note`` saying why: fewer than 3
    models (scipy itself gives p = NaN for exactly 2), or a constant column.
    """
    if not isinstance(population_frame, pd.DataFrame):
        raise TypeError("population_frame: expected a pandas DataFrame")
    for name, argument in ((column, "column"), (metric, "metric")):
        if name not in population_frame.columns:
            raise ValueError(f"{argument}: unknown column {name!r}")
    first = numeric_values(population_frame, column, "column")
    values = numeric_values(population_frame, metric, "metric")
    both = np.isfinite(first) & np.isfinite(values)
    first, values = first[both], values[both]
    n = int(both.sum())
    note = None
    if n < 3:
        note = f"undefined: needs at least 3 models with both values, got {n}"
    elif np.ptp(first) == 0 or np.ptp(values) == 0:
        constant = column if np.ptp(first) == 0 else metric
        note = f"undefined: {constant} is the same for every model, so it has no ranks"
    if note is not None:
        return Correlation(math.nan, math.nan, n, note)
    result = stats.spearmanr(first, values)
    return Correlation(float(result.statistic), float(result.pvalue), n)


def loss_metric_correlation(population_frame: pd.DataFrame, metric: str) -> Correlation:
    """Spearman's ρ between ``train_loss`` and ``metric`` (:func:`rank_correlation`)."""
    if isinstance(population_frame, pd.DataFrame) and "train_loss" not in population_frame:
        raise ValueError("population_frame: unknown column 'train_loss'")
    return rank_correlation(population_frame, "train_loss", metric)


# --- building blocks -----------------------------------------------------------------


def summary(groups: list[np.ndarray]) -> Summary:
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


def split_by_optimizer(frame: pd.DataFrame) -> dict[object, pd.DataFrame]:
    """``{optimizer: its rows}``."""
    return {name: rows for name, rows in frame.groupby("optimizer", sort=True)}


def trajectory_arrays(frame: pd.DataFrame, column: str) -> dict[object, np.ndarray]:
    """``{trajectory: finite values of column}`` over one optimizer's rows, sorted."""
    values = numeric_values(frame, column, "metric")
    trajectories = frame["trajectory"].to_numpy()
    order = np.argsort(trajectories, kind="stable")
    names, starts = np.unique(trajectories[order], return_index=True)
    groups = np.split(values[order], starts[1:]) if names.size else []
    return {name.item(): finite(group) for name, group in zip(names, groups, strict=True)}


def optimizers(records: pd.DataFrame) -> list:
    """Every optimizer of the records, sorted – also those whose population came out empty
    (no finite metric), which then compare as NaN rather than vanish."""
    return sorted(records["optimizer"].dropna().unique().tolist())


def by_trajectory(frame: pd.DataFrame, column: str) -> Mapping[object, dict[object, np.ndarray]]:
    """``{optimizer: {trajectory: values of column}}``, trajectories in sorted order."""
    values = numeric_values(frame, column, "metric")
    nested: dict[object, dict[object, np.ndarray]] = {}
    for (optimizer, trajectory), rows in frame.groupby(list(KEYS), sort=True).indices.items():
        nested.setdefault(optimizer, {})[trajectory] = values[rows]
    return nested
