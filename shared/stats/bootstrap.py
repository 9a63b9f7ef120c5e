"""Cluster bootstrap: confidence intervals that resample whole trajectories.

The ``L`` models of one trajectory are neighbouring points of one run, so resampling
models as if they were independent pretends there is more evidence than there is (50
models from 5 runs are closer to 5 observations than to 50). These intervals resample
*trajectories* with replacement and recompute the statistic on all models of the drawn
trajectories; an interval is then as wide as the run-to-run variation makes it.

The resampling is that of ``scipy.stats.bootstrap`` over trajectory indices (percentile
method, the same draws for the same seed); the statistic looks the drawn trajectories'
models up in a NaN-padded ``(trajectories, longest)`` matrix. Memory is bounded: each
vectorised call handles at most ``BOOTSTRAP_CELLS`` model values per sample, whatever
``n_resamples`` and the population size are, and the interval is the same however the
resamples are batched (the indices, a few bytes per trajectory, are drawn first).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

BOOTSTRAP_RESAMPLES = 999
"""Resamples per interval (percentile method: the 2.5% and 97.5% points of 999 draws)."""

BOOTSTRAP_CELLS = 1 << 20
"""Model values gathered per vectorised call and sample (8 MB of float64)."""


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval; ``low``/``high`` are NaN when undefined, and
    ``note`` then says why in words."""

    low: float
    high: float
    confidence_level: float
    resampled: str
    """What was drawn with replacement: ``"trajectories"`` (cluster bootstrap)."""
    note: str | None = None


def median(values: np.ndarray, axis: int = -1) -> np.ndarray:
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


def padded_median(values: np.ndarray) -> np.ndarray:
    """Median of each row of ``values`` ignoring NaN (the padding), for rows of any
    length; rows without NaN take the fast :func:`median`."""
    if not np.isnan(values).any():
        return median(values)
    ordered = np.sort(values, axis=-1)  # NaN sorts last
    count = np.sum(~np.isnan(values), axis=-1)
    low = np.take_along_axis(ordered, ((count - 1) // 2)[..., None], axis=-1)[..., 0]
    high = np.take_along_axis(ordered, (count // 2)[..., None], axis=-1)[..., 0]
    return (low + high) / 2


def padded(groups: Sequence[npt.ArrayLike]) -> np.ndarray:
    """Per-trajectory arrays of finite values as one ``(trajectories, longest)`` matrix,
    NaN-padded."""
    arrays = [np.asarray(g, dtype=float).ravel() for g in groups]
    width = max((a.size for a in arrays), default=0)
    matrix = np.full((len(arrays), width), np.nan)
    for row, array in enumerate(arrays):
        matrix[row, : array.size] = array
    return matrix


def _batch(*matrices: np.ndarray) -> int:
    cells = max(m.size for m in matrices)
    return max(1, BOOTSTRAP_CELLS // max(cells, 1))


def _gathered_median(matrix: np.ndarray, drawn: np.ndarray) -> np.ndarray:
    """Pooled median of the drawn trajectories: ``drawn`` is (batch, n) row indices."""
    rows = drawn.astype(np.intp)
    return padded_median(matrix[rows].reshape(*rows.shape[:-1], -1))


def _interval(
    samples: tuple[np.ndarray, ...],
    statistic,
    *,
    paired: bool,
    batch: int,
    seed: int | None,
    confidence_level: float,
    n_resamples: int,
) -> tuple[float, float]:
    """The percentile interval of ``statistic`` over ``n_resamples`` resamples of the
    trajectory indices ``samples``, evaluated ``batch`` resamples at a time.

    Every resample is drawn before any is evaluated, in the order
    ``scipy.stats.bootstrap`` draws them unbatched (one (resamples, n) index array per
    sample; one shared by both when paired), and the interval is its percentile one
    (``scipy.stats.quantile``). So the interval is scipy's, and the same whatever the
    batch size: scipy itself draws batch by batch, interleaving the samples, so batching
    an unpaired comparison would change its interval.
    """
    rng = np.random.default_rng(seed)
    if paired:
        drawn = rng.integers(0, samples[0].size, (n_resamples, samples[0].size))
        draws = [samples[0][drawn], samples[1][drawn]]
    else:
        draws = [s[rng.integers(0, s.size, (n_resamples, s.size))] for s in samples]
    values = np.concatenate(
        [
            statistic(*(d[start : start + batch] for d in draws), axis=-1)
            for start in range(0, n_resamples, batch)
        ]
    )
    tail = (1 - confidence_level) / 2
    low, high = stats.quantile(values, [tail, 1 - tail])
    return float(low), float(high)


def median_interval(
    groups: Sequence[npt.ArrayLike],
    *,
    seed: int | None = 0,
    confidence_level: float = 0.95,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
) -> Interval:
    """Cluster-bootstrap interval of the pooled median of one population.

    Args:
        groups: one array of finite model values per trajectory (empty ones are dropped).

    A population from a single trajectory has no run-to-run variation to resample: the
    interval is then NaN, with a note.
    """
    matrix = padded([g for g in groups if np.size(g)])
    if matrix.shape[0] < 2:
        return Interval(
            math.nan,
            math.nan,
            confidence_level,
            "trajectories",
            f"needs at least 2 trajectories, got {matrix.shape[0]}",
        )
    low, high = _interval(
        (np.arange(matrix.shape[0]),),
        lambda drawn, axis=-1: _gathered_median(matrix, drawn),
        paired=False,
        batch=_batch(matrix),
        seed=seed,
        confidence_level=confidence_level,
        n_resamples=n_resamples,
    )
    return Interval(low, high, confidence_level, "trajectories")


def median_difference_interval(
    first: Sequence[npt.ArrayLike],
    second: Sequence[npt.ArrayLike],
    *,
    paired: bool = False,
    seed: int | None = 0,
    confidence_level: float = 0.95,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
) -> Interval:
    """Cluster-bootstrap interval of median(first) − median(second), medians over all
    models of the drawn trajectories.

    Args:
        first, second: one array of finite model values per trajectory.
        paired: ``first[i]`` and ``second[i]`` are two selections from the same
            trajectory (Set A and Set B of one run): trajectory ``i`` is drawn for both
            at once, keeping the pairing. Independent otherwise (two optimizers' runs),
            each side drawn on its own. Pairs or trajectories with no values are dropped.
    """
    if paired:
        if len(first) != len(second):
            raise ValueError(
                f"second: a paired interval needs one entry per trajectory of first "
                f"({len(first)}), got {len(second)}"
            )
        kept = [(u, v) for u, v in zip(first, second, strict=True) if np.size(u) and np.size(v)]
        first, second = [u for u, _ in kept], [v for _, v in kept]
    else:
        first = [g for g in first if np.size(g)]
        second = [g for g in second if np.size(g)]
    m1, m2 = padded(first), padded(second)
    if m1.shape[0] < 2 or m2.shape[0] < 2:
        unit = "pairs of trajectories" if paired else "trajectories on each side"
        got = str(m1.shape[0]) if paired else f"{m1.shape[0]} and {m2.shape[0]}"
        return Interval(
            math.nan,
            math.nan,
            confidence_level,
            "trajectories",
            f"needs at least 2 {unit}, got {got}",
        )

    def difference(drawn1: np.ndarray, drawn2: np.ndarray, axis: int = -1) -> np.ndarray:
        return _gathered_median(m1, drawn1) - _gathered_median(m2, drawn2)

    low, high = _interval(
        (np.arange(m1.shape[0]), np.arange(m2.shape[0])),
        difference,
        paired=paired,
        batch=_batch(m1, m2),
        seed=seed,
        confidence_level=confidence_level,
        n_resamples=n_resamples,
    )
    return Interval(low, high, confidence_level, "trajectories")
