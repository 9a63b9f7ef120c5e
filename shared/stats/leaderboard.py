"""Ranking optimizer configurations by their Set A populations, honestly: those the data
cannot tell apart from the best share its rank.

The evidence is counted in trajectories, not models: the interval of each median is a
cluster bootstrap (whole trajectories resampled), and "indistinguishable from the best"
is decided by the trajectory-level test on per-trajectory means. Ten models from each of
three runs are three observations, and the board must not separate configurations on
the strength of thirty.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shared.stats.bootstrap import median_interval
from shared.stats.corrections import holm_finite
from shared.stats.model_level import finite
from shared.stats.trajectory_level import trajectory_tests


def tie_rule(alpha: float) -> str:
    """How the board decides ties, in words (the response carries it)."""
    return (
        "Each configuration's trajectories are reduced to their mean Set A metric and "
        "compared with the best configuration's by a two-sided Mann–Whitney test (whole "
        "trajectories, not models, are the observations): exact with untied means and at "
        "most 8 trajectories on a side (or tied ones whose arrangements can all be "
        "listed), Monte Carlo for tied means with more arrangements, asymptotic with more "
        "than 8 on both sides; each entry names its method and why. The p-values are "
        f"Holm-adjusted over all comparisons with the best. A configuration whose adjusted "
        f"p is at least {alpha:g}, or that has too few trajectories for the test, shares "
        "rank 1. The smallest p the test can reach is listed per entry: with few "
        "trajectories nothing can be separated from the best."
    )


@dataclass(frozen=True)
class Ranked:
    key: str
    n: int
    """Models in the population."""
    trajectories: int
    median: float
    ci_low: float
    """Cluster-bootstrap interval of the median (trajectories resampled)."""
    ci_high: float
    pvalue_vs_best: float | None
    """Trajectory-level Mann–Whitney U (two-sided) against the best configuration,
    Holm-adjusted over all comparisons with the best; None for the best itself, NaN when
    either side has fewer than 2 trajectories."""
    pvalue_floor: float | None
    """The smallest p-value that comparison could give with these trajectory means."""
    rank: int
    note: str | None = None
    test_method: str | None = None
    """How the comparison with the best was computed (``exact``, ``asymptotic`` or
    ``monte_carlo``) and why; None for the best itself and for untested entries."""


def rank_configurations(
    samples: Mapping[str, Sequence[npt.ArrayLike]],
    *,
    higher_is_better: bool = True,
    alpha: float = 0.05,
    seed: int = 0,
) -> list[Ranked]:
    """Rank configurations given as one array of model values per trajectory.

    Sort by pooled median (best first); the best and every configuration the
    trajectory-level test cannot tell apart from it at ``alpha`` (see :func:`tie_rule`)
    share rank 1; the rest take competition ranks (1, 1, 3, 4, …) in median order.
    """
    clean = {
        key: [g for g in (finite(group) for group in groups) if g.size]
        for key, groups in samples.items()
    }
    clean = {k: v for k, v in clean.items() if v}
    if not clean:
        return []
    pooled = {k: np.concatenate(v) for k, v in clean.items()}
    sign = 1.0 if higher_is_better else -1.0
    order = sorted(clean, key=lambda k: (-sign * float(np.median(pooled[k])), k))
    best, others = order[0], order[1:]
    means = {k: np.array([g.mean() for g in v]) for k, v in clean.items()}
    tests = trajectory_tests([(means[best], means[k]) for k in others], paired=False, seed=seed)
    adjusted = dict(zip(others, holm_finite([t[1] for t in tests]), strict=True))
    floors = {k: t.floor for k, t in zip(others, tests, strict=True)}
    methods = {
        k: f"{t.method}: {t.method_reason}" if t.method else None
        for k, t in zip(others, tests, strict=True)
    }
    ranked = []
    for position, key in enumerate(order):
        p = None if key == best else float(adjusted[key])
        note = None
        if p is not None and math.isnan(p):
            note = (
                "not tested against the best: needs at least 2 trajectories on each side; "
                "shares its rank"
            )
        tied = key == best or p is None or math.isnan(p) or p >= alpha
        interval = median_interval(clean[key], seed=seed)
        ranked.append(
            Ranked(
                key=key,
                n=int(pooled[key].size),
                trajectories=len(clean[key]),
                median=float(np.median(pooled[key])),
                ci_low=interval.low,
                ci_high=interval.high,
                pvalue_vs_best=p,
                pvalue_floor=None if key == best else float(floors[key]),
                rank=1 if tied else position + 1,
                note=note or interval.note,
                test_method=None if key == best else methods[key],
            )
        )
    return ranked
