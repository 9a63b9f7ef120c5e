"""Comparing populations of models: Set A against Set B, and optimizer against optimizer.

The pieces live by concern, and are all importable from here:

* :mod:`shared.stats.model_level` – models pooled as independent observations
  (Mann–Whitney U, Student and Welch t, A12, Cliff's δ, median difference);
* :mod:`shared.stats.trajectory_level` – whole trajectories as the unit (exact
  permutation tests on per-trajectory means, their smallest reachable p-value, the
  trajectories a test needs);
* :mod:`shared.stats.bootstrap` – cluster-bootstrap intervals that resample trajectories;
* :mod:`shared.stats.set_comparisons` – both levels applied to model records: Set A vs
  Set B per optimizer, optimizer pairs with Holm's correction, rank correlations.
"""

from __future__ import annotations

from shared.stats.bootstrap import BOOTSTRAP_RESAMPLES
from shared.stats.corrections import holm_finite
from shared.stats.model_level import SampleComparison, compare_samples
from shared.stats.set_comparisons import (
    Correlation,
    PairComparison,
    SetComparison,
    Summary,
    compare_sets,
    loss_metric_correlation,
    optimizer_pairs,
    rank_correlation,
    set_a_vs_set_b,
    summarize,
)
from shared.stats.trajectory_level import (
    ALPHA,
    PERMUTATION_RESAMPLES,
    GroupComparison,
    compare_groups,
    pvalue_floor,
    trajectories_needed,
)

__all__ = [
    "ALPHA",
    "BOOTSTRAP_RESAMPLES",
    "PERMUTATION_RESAMPLES",
    "Correlation",
    "GroupComparison",
    "PairComparison",
    "SampleComparison",
    "SetComparison",
    "Summary",
    "compare_groups",
    "compare_samples",
    "compare_sets",
    "holm_finite",
    "loss_metric_correlation",
    "optimizer_pairs",
    "pvalue_floor",
    "rank_correlation",
    "set_a_vs_set_b",
    "summarize",
    "trajectories_needed",
]
