"""Categorical outcomes: confidence intervals for proportions, tests between samples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint


@dataclass(frozen=True)
class ProportionInterval:
    count: int
    total: int
    fraction: float
    low: float
    high: float


def proportion_intervals(
    counts: Sequence[int], confidence: float = 0.95, method: str = "wilson"
) -> list[ProportionInterval]:
    """Each category's fraction of the total with a confidence interval.

    Intervals are per category (statsmodels' vectorised ``proportion_confint``; Wilson
    score by default, which stays inside [0, 1] and behaves at counts of 0 or n).
    """
    total = int(sum(counts))
    if total <= 0:
        raise ValueError("counts: the total must be positive")
    if not 0 < confidence < 1:
        raise ValueError("confidence: must be between 0 and 1")
    array = np.asarray(counts, dtype=float)
    low, high = proportion_confint(array, total, alpha=1 - confidence, method=method)
    # At counts of 0 and n the closed forms land a rounding error off the fraction.
    fractions = array / total
    low = np.clip(np.minimum(low, fractions), 0.0, 1.0)
    high = np.clip(np.maximum(high, fractions), 0.0, 1.0)
    return [
        ProportionInterval(int(c), total, c / total, float(lo), float(hi))
        for c, lo, hi in zip(array, np.atleast_1d(low), np.atleast_1d(high), strict=True)
    ]


@dataclass(frozen=True)
class DistributionTest:
    """A test of whether two samples come from the same categorical distribution."""

    test: str
    statistic: float
    pvalue: float
    dof: int
    categories: int


def compare_distributions(
    counts_a: Sequence[int], counts_b: Sequence[int], test: str = "g"
) -> DistributionTest:
    """G-test (``test='g'``, log-likelihood ratio) or Pearson chi-square (``'chi2'``).

    A 2×K contingency test via ``scipy.stats.chi2_contingency`` (no continuity
    correction); categories empty in both samples are dropped. When one category holds
    everything in both samples the distributions are identical: statistic 0, p = 1.
    """
    if test not in ("g", "chi2"):
        raise ValueError("test: expected 'g' or 'chi2'")
    table = np.array([counts_a, counts_b], dtype=float)
    if table.shape[0] != 2 or table.ndim != 2:
        raise ValueError("counts: two equally long sequences expected")
    if (table.sum(axis=1) <= 0).any():
        raise ValueError("counts: each sample needs a positive total")
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return DistributionTest(test, 0.0, 1.0, 0, int(table.shape[1]))
    result = stats.chi2_contingency(
        table, correction=False, lambda_="log-likelihood" if test == "g" else None
    )
    return DistributionTest(
        test,
        float(result.statistic),
        float(result.pvalue),
        int(result.dof),
        int(table.shape[1]),
    )
