"""What a family of Holm-adjusted comparisons can show at all.

Optimizer pairs are reported Holm-adjusted over every pair of the experiment. Holm
multiplies the smallest p-value of the family by the number of comparisons m, so no pair
can get an adjusted p below m times the smallest floor among them: with 6 optimizers × 5
trajectories, 15 × 2/252 = 0.12 at the trajectory level, and no pair can be significant
there whatever the data. :func:`pair_family` says so, with the trajectories per side
that would let the family reach α.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from shared.stats.floors import trajectories_needed
from shared.stats.set_comparisons import PairComparison


@dataclass(frozen=True)
class PairFamily:
    """The optimizer pairs' trajectory-level family under Holm's correction."""

    pairs: int
    """Pairs with a trajectory-level p-value: the family Holm adjusts over."""
    alpha: float
    trajectory_pvalue_floor_holm: float
    """The smallest Holm-adjusted trajectory-level p any pair can reach: the number of
    pairs times the smallest of their floors (at most 1); NaN without a tested pair."""
    trajectories_needed_holm: int | None
    """Trajectories per side (untied) before that floor is below α; None without pairs."""
    warning: str | None = None
    """In words, when no pair can be significant at the trajectory level."""


def pair_family(pairs: Sequence[PairComparison], alpha: float) -> PairFamily:
    """The Holm-adjusted floor of ``pairs`` at the trajectory level, and a warning when
    it is not below ``alpha``."""
    floors = [
        p.comparison.trajectory_pvalue_floor
        for p in pairs
        if not math.isnan(p.comparison.trajectory_pvalue)
    ]
    m = len(floors)
    if m == 0:
        return PairFamily(0, alpha, math.nan, None)
    floor = min(1.0, m * min(floors))
    needed = trajectories_needed(alpha / m, paired=False)
    warning = None
    if floor >= alpha:
        warning = (
            f"Holm-adjusted over {m} optimizer pairs, no pair can reach a trajectory-level "
            f"p below {m} × {min(floors):.3g} = {floor:.3g}, so none can be significant at "
            f"α = {alpha:g} at the trajectory level, whatever the data; that needs at least "
            f"{needed} trajectories on each side."
        )
    return PairFamily(m, alpha, floor, needed, warning)
