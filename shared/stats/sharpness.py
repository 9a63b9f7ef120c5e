"""The flat-minima question asked of populations: are the models an optimizer ends in
flatter or sharper, and does sharpness go with the test metric?

Experiments whose spec sets ``sharpness: true`` store, for every evaluated model, the
largest Hessian eigenvalue of its training loss (the ``sharpness`` column). Here the same
populations as the metric comparisons – Set A by training loss, Set B by the test metric
– are compared on that column instead, with the tests the metric comparisons use (model
level and trajectory level), and Spearman's rank correlation between sharpness and the
metric says whether flatter models generalize better within a population.

Models whose sharpness was not measured (NaN), and by default models whose estimate did
not converge (``sharpness_converged`` False: its Lanczos residual missed the tolerance
within the product budget), are left out of every statistic here; the populations
themselves are chosen exactly as without sharpness, and the candidate counts say how many
estimates were unconverged (``CandidateCounts.sharpness_unconverged``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from shared.stats.families import PairFamily, pair_family
from shared.stats.populations import (
    Direction,
    candidates,
    population,
    set_a,
    set_b,
    unconverged_sharpness,
)
from shared.stats.set_comparisons import (
    Correlation,
    PairComparison,
    Summary,
    compare_sets,
    optimizer_pairs,
    optimizers,
    rank_correlation,
    split_by_optimizer,
    summary,
    trajectory_arrays,
)
from shared.stats.trajectory_level import ALPHA, GroupComparison

SHARPNESS = "sharpness"
"""The record column: largest Hessian eigenvalue of the training loss (larger: sharper)."""


def converged_sharpness(records: pd.DataFrame) -> pd.DataFrame:
    """The records with the sharpness of unconverged estimates set to NaN, so the
    statistics leave those models out (records without the flag are kept as they are)."""
    unconverged = unconverged_sharpness(records)
    if SHARPNESS not in records.columns or not unconverged.any():
        return records
    records = records.copy()
    records.loc[unconverged, SHARPNESS] = np.nan
    return records


@dataclass(frozen=True)
class SharpnessSetComparison:
    """One optimizer's Set A (first) against its Set B on sharpness."""

    optimizer: str
    set_a: Summary
    """Sharpness over Set A (the L lowest-training-loss models of each trajectory)."""
    set_b: Summary
    """Sharpness over Set B (the L best-metric models of each trajectory)."""
    on_sharpness: GroupComparison
    """Set A vs Set B on sharpness: model-level tests and the paired trajectory-level one."""
    set_a_correlation: Correlation
    """Spearman's ρ between sharpness and the test metric over Set A's models."""
    set_b_correlation: Correlation
    """Spearman's ρ between sharpness and the test metric over Set B's models."""
    candidates_correlation: Correlation
    """Spearman's ρ over every candidate model of the optimizer (after step 0, before any
    divergence): along the whole training, do sharper models score worse?"""


@dataclass(frozen=True)
class SharpnessPairs:
    """Every optimizer pair compared on sharpness over Set ``which`` (Holm-adjusted)."""

    which: str
    pairs: list[PairComparison]
    correlations: dict[str, Correlation]
    """Per optimizer, Spearman's ρ between sharpness and the metric over its Set ``which``."""
    family: PairFamily | None = None
    """What the Holm-adjusted trajectory-level family can reach at all, with a warning when
    no pair can be significant."""


def sharpness_recorded(records: pd.DataFrame) -> bool:
    """Whether any record carries a finite sharpness (specs with ``sharpness: true``)."""
    if SHARPNESS not in records.columns:
        return False
    values = pd.to_numeric(records[SHARPNESS], errors="coerce").to_numpy(dtype=float)
    return bool(np.isfinite(values).any())


def sharpness_set_comparisons(
    records: pd.DataFrame,
    L: int,
    metric: str,
    *,
    direction: Direction = "higher",
    seed: int | None = 0,
    paired: bool = True,
    alpha: float = ALPHA,
    include_unconverged: bool = False,
) -> dict[str, SharpnessSetComparison]:
    """Per optimizer (sorted), Set A against Set B on sharpness, and the rank correlation
    of sharpness with ``metric`` within Set A, Set B and all candidates.

    The sets are those of :func:`shared.stats.set_comparisons.set_a_vs_set_b` (same L,
    same metric); ``paired``, ``seed`` and ``alpha`` mean what they mean there.
    Unconverged estimates count only with ``include_unconverged``.

    Raises:
        ValueError: when the records have no ``sharpness`` column.
    """
    _check_sharpness(records)
    if not include_unconverged:
        records = converged_sharpness(records)
    chosen_a = split_by_optimizer(set_a(records, L))
    chosen_b = split_by_optimizer(set_b(records, L, metric, direction))
    everything = split_by_optimizer(candidates(records))
    result: dict[str, SharpnessSetComparison] = {}
    for optimizer in optimizers(records):
        a = chosen_a.get(optimizer, records.iloc[:0])
        b = chosen_b.get(optimizer, records.iloc[:0])
        result[optimizer] = SharpnessSetComparison(
            optimizer=optimizer,
            set_a=summary(list(trajectory_arrays(a, SHARPNESS).values())),
            set_b=summary(list(trajectory_arrays(b, SHARPNESS).values())),
            on_sharpness=compare_sets(a, b, SHARPNESS, seed=seed, paired=paired, alpha=alpha),
            set_a_correlation=rank_correlation(a, SHARPNESS, metric),
            set_b_correlation=rank_correlation(b, SHARPNESS, metric),
            candidates_correlation=rank_correlation(
                everything.get(optimizer, records.iloc[:0]), SHARPNESS, metric
            ),
        )
    return result


def sharpness_optimizer_pairs(
    records: pd.DataFrame,
    L: int,
    metric: str,
    which: Literal["A", "B"] = "A",
    *,
    direction: Direction = "higher",
    seed: int | None = 0,
    alpha: float = ALPHA,
    include_unconverged: bool = False,
) -> SharpnessPairs:
    """Every optimizer pair on the sharpness of their Set ``which`` populations (Set B
    ranked by ``metric``), Holm-adjusted as the metric's pairs are, and per optimizer the
    rank correlation of sharpness with ``metric`` over that population. Unconverged
    estimates count only with ``include_unconverged``."""
    _check_sharpness(records)
    if not include_unconverged:
        records = converged_sharpness(records)
    pairs = optimizer_pairs(
        records, L, metric, which, column=SHARPNESS, direction=direction, seed=seed, alpha=alpha
    )
    chosen = split_by_optimizer(population(records, which, L, metric, direction))
    correlations = {
        str(optimizer): rank_correlation(chosen.get(optimizer, records.iloc[:0]), SHARPNESS, metric)
        for optimizer in optimizers(records)
    }
    return SharpnessPairs(
        which=which, pairs=pairs, correlations=correlations, family=pair_family(pairs, alpha)
    )


def _check_sharpness(records: pd.DataFrame) -> None:
    if not isinstance(records, pd.DataFrame):
        raise TypeError("records: expected a pandas DataFrame")
    if SHARPNESS not in records.columns:
        raise ValueError("records: no 'sharpness' column (the spec did not set sharpness)")
