"""Ranking optimizer configurations by their Set A populations, honestly: those the data
cannot tell apart from the best share its rank."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

from shared.stats.corrections import holm


@dataclass(frozen=True)
class Ranked:
    key: str
    n: int
    median: float
    ci_low: float
    ci_high: float
    #: Mann–Whitney U (two-sided) against the best configuration, Holm-adjusted over all
    #: comparisons with the best; None for the best itself.
    pvalue_vs_best: float | None
    rank: int


def median_interval(
    values: np.ndarray, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the median (scipy.stats.bootstrap)."""
    if values.size < 2 or np.all(values == values[0]):
        median = float(np.median(values)) if values.size else float("nan")
        return median, median
    result = stats.bootstrap(
        (values,),
        np.median,
        confidence_level=confidence,
        n_resamples=999,
        method="percentile",
        vectorized=True,
        random_state=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def rank_configurations(
    samples: Mapping[str, np.ndarray],
    *,
    higher_is_better: bool = True,
    alpha: float = 0.05,
    seed: int = 0,
) -> list[Ranked]:
    """Sort by median (best first); the best and every configuration whose Holm-adjusted
    Mann–Whitney p against it is ≥ ``alpha`` share rank 1; the rest take competition
    ranks (1, 1, 3, 4, …) in median order."""
    clean = {k: np.asarray(v, dtype=float)[np.isfinite(v)] for k, v in samples.items()}
    clean = {k: v for k, v in clean.items() if v.size}
    if not clean:
        return []
    sign = 1.0 if higher_is_better else -1.0
    order = sorted(clean, key=lambda k: (-sign * float(np.median(clean[k])), k))
    best = order[0]
    others = order[1:]
    raw = [
        float(stats.mannwhitneyu(clean[best], clean[k], alternative="two-sided").pvalue)
        for k in others
    ]
    adjusted = dict(zip(others, holm(raw), strict=True)) if others else {}
    ranked = []
    for position, key in enumerate(order):
        p = None if key == best else float(adjusted[key])
        tied = key == best or (p is not None and p >= alpha)
        low, high = median_interval(clean[key], seed=seed)
        ranked.append(
            Ranked(
                key=key,
                n=int(clean[key].size),
                median=float(np.median(clean[key])),
                ci_low=low,
                ci_high=high,
                pvalue_vs_best=p,
                rank=1 if tied else position + 1,
            )
        )
    return ranked
