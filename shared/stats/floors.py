"""What a trajectory-level test can show at all: the smallest p-value it can give (its
floor) with a number of trajectories, how many it needs before it can reach α, and the
sentence a reader gets when it cannot.

An exact permutation test cannot give a p below 2 over its number of arrangements: 2/2^n
for n pairs (sign flips), 2/C(n1 + n2, n1) for independent sides (Mann–Whitney U). A
paired zero difference flips to itself, so it takes no part in the count; means tied at
the extreme of the pooled order share the extreme rank sum, which multiplies the floor.
"""

from __future__ import annotations

import math

import numpy as np

TRAJECTORIES_LIMIT = 10_000
""":func:`trajectories_needed` stops counting here (α would have to be below 1e-3000)."""


def pvalue_floor(n1: int, n2: int | None = None, *, paired: bool) -> float:
    """The smallest p-value the exact trajectory-level test can give.

    Paired (``n1`` pairs of trajectories): 2 of the 2^n1 sign patterns are as extreme as
    the most extreme one, so 2/2^n1. Independent (``n1`` and ``n2`` trajectories):
    2/C(n1 + n2, n1). At most 1; NaN below 2 trajectories (pairs) a side.
    """
    n2 = n1 if n2 is None else n2
    if n1 < 2 or (not paired and n2 < 2):
        return math.nan
    arrangements = 2**n1 if paired else math.comb(n1 + n2, n1)
    return min(1.0, 2 / arrangements)


def trajectories_needed(
    alpha: float, *, paired: bool, zeros: int = 0, extreme_ties: int = 1
) -> int:
    """The fewest trajectories per side (pairs, when ``paired``) for which the exact
    trajectory-level test can give p < ``alpha`` at all: 6 pairs or 4 vs 4 independent
    trajectories at α = 0.05.

    ``zeros``: paired trajectories whose difference is zero; they take no part in the
    sign flips, so that many more pairs are needed (assuming no further zeros).
    ``extreme_ties``: the arrangements of independent trajectories that share the most
    extreme rank sum because of tied means (1 untied); assuming the ties stay as they are,
    the floor is that many times 2/C(2n, n).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: expected a number in (0, 1), got {alpha!r}")
    n = 2
    while n < TRAJECTORIES_LIMIT:
        if paired:
            floor = pvalue_floor(n, paired=True)
        else:
            floor = min(1.0, extreme_ties * pvalue_floor(n, n, paired=False))
        if floor < alpha:
            break
        n += 1
    return n + zeros if paired else n


def floor_warning(
    n1: int,
    n2: int,
    *,
    paired: bool,
    alpha: float,
    floor: float | None = None,
    needed: int | None = None,
    why: str = "",
) -> str | None:
    """A sentence for a reader when the trajectory-level test cannot reach ``alpha`` with
    these counts (``floor``: the comparison's own floor, default the untied one); None
    when it can (or is undefined, which its note explains). ``why`` names what raised the
    floor (zero differences, ties)."""
    floor = pvalue_floor(n1, n2, paired=paired) if floor is None else floor
    if math.isnan(floor) or floor < alpha:
        return None
    counts = f"{n1} pairs of trajectories" if paired else f"{n1} and {n2} trajectories"
    needed = trajectories_needed(alpha, paired=paired) if needed is None else needed
    unit = "pairs" if paired else "trajectories on each side"
    return (
        f"With {counts}{why} the trajectory-level test cannot give a p-value below "
        f"{floor:.3g}, so it can never be significant at α = {alpha:g}; "
        f"it needs at least {needed} {unit}."
    )


def zero_differences(means1: np.ndarray, means2: np.ndarray) -> int:
    """Pairs of trajectories whose means are equal (no sign to flip)."""
    return int(np.sum(means1 == means2))


def extreme_ties(means1: np.ndarray, means2: np.ndarray) -> int:
    """Arrangements of the pooled means that reach the most extreme rank sum (the fewer
    of the two tails): C(m, j) when the boundary value is shared by m means of which j
    must go to the first side; 1 without ties at the boundary."""
    pooled = np.sort(np.concatenate([means1, means2]))
    counts = []
    for size, values in ((means1.size, pooled), (means1.size, pooled[::-1])):
        boundary = values[size - 1]
        tied = int(np.sum(pooled == boundary))
        inside = int(np.sum(values[:size] == boundary))
        counts.append(math.comb(tied, inside))
    return min(counts)
