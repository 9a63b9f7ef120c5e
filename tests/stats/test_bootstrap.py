"""Cluster-bootstrap intervals: checked against scipy run by hand, and bounded in memory."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator

import numpy as np
import pytest
from scipy import stats

import shared.stats.bootstrap as bootstrap
from shared.stats.bootstrap import (
    median_difference_interval,
    median_interval,
    padded,
    padded_median,
)


@pytest.fixture(autouse=True)
def no_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def median_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis) - np.median(y, axis=axis)


def test_one_model_per_trajectory_is_scipys_bootstrap_of_the_values() -> None:
    # With one model per trajectory, drawing trajectories is drawing values: the interval
    # must be exactly scipy's percentile bootstrap on the values, same seed.
    rng = np.random.default_rng(4)
    x, y = rng.normal(0, 1, 7), rng.normal(1, 1, 6)
    result = median_difference_interval([[v] for v in x], [[v] for v in y], seed=3)
    direct = stats.bootstrap(
        (x, y), median_difference, n_resamples=999, method="percentile", rng=3
    ).confidence_interval
    assert (result.low, result.high) == pytest.approx((direct.low, direct.high), rel=1e-12)
    assert result.resampled == "trajectories" and result.note is None
    one = median_interval([[v] for v in x], seed=3)
    direct = stats.bootstrap(
        (x,), np.median, n_resamples=999, method="percentile", rng=3
    ).confidence_interval
    assert (one.low, one.high) == pytest.approx((direct.low, direct.high), rel=1e-12)


def test_paired_draws_keep_trajectories_together() -> None:
    # Set B = Set A + 1 on every trajectory: every paired resample has difference −1
    # exactly (same trajectories drawn on both sides); an unpaired one varies.
    rng = np.random.default_rng(0)
    a = [rng.normal(c, 0.01, 4) for c in (0.0, 5.0, 10.0, 15.0)]
    b = [values + 1 for values in a]
    paired = median_difference_interval(a, b, paired=True)
    assert (paired.low, paired.high) == pytest.approx((-1.0, -1.0))
    unpaired = median_difference_interval(a, b)
    assert unpaired.high - unpaired.low > 5
    with pytest.raises(ValueError, match=r"^second:"):
        median_difference_interval(a, b[:2], paired=True)


def test_ragged_trajectories_use_every_model_of_the_drawn_ones() -> None:
    groups = [[1.0, 2.0, 3.0], [10.0], [4.0, 5.0]]
    matrix = padded(groups)
    assert matrix.shape == (3, 3) and np.isnan(matrix[1, 1:]).all()
    # rows drawn (0, 1) → 1, 2, 3, 10 → median 2.5; (2, 2) → 4, 5, 4, 5 → 4.5
    drawn = np.array([[0, 1], [2, 2]])
    gathered = matrix[drawn].reshape(2, -1)
    assert padded_median(gathered).tolist() == [2.5, 4.5]
    assert padded_median(np.array([[3.0, 1.0, 2.0]])).tolist() == [2.0]


def test_too_few_trajectories_are_explained() -> None:
    one = median_interval([[1.0, 2.0, 3.0]])
    assert math.isnan(one.low) and one.note == "needs at least 2 trajectories, got 1"
    pair = median_difference_interval([[1.0], [2.0]], [[3.0]])
    assert pair.note == "needs at least 2 trajectories on each side, got 2 and 1"
    paired = median_difference_interval([[1.0], []], [[3.0], [4.0]], paired=True)
    assert paired.note == "needs at least 2 pairs of trajectories, got 1"


def test_memory_is_bounded_by_chunks(monkeypatch) -> None:
    # 40 trajectories × 50 models; with a budget of 10,000 cells no call to the statistic
    # may gather more, however many resamples are asked for.
    rng = np.random.default_rng(1)
    x = [rng.normal(0, 1, 50) for _ in range(40)]
    y = [rng.normal(0.5, 1, 50) for _ in range(40)]
    seen: list[int] = []
    original = bootstrap.padded_median

    def watched(values: np.ndarray) -> np.ndarray:
        seen.append(values.size)
        return original(values)

    monkeypatch.setattr(bootstrap, "BOOTSTRAP_CELLS", 10_000)
    monkeypatch.setattr(bootstrap, "padded_median", watched)
    chunked = median_difference_interval(x, y, n_resamples=999)
    assert max(seen) <= 10_000 and len(seen) > 100
    monkeypatch.setattr(bootstrap, "BOOTSTRAP_CELLS", 1 << 24)
    whole = median_difference_interval(x, y, n_resamples=999)
    # The same seed gives the same interval however it is batched, and it is scipy's.
    assert (chunked.low, chunked.high) == (whole.low, whole.high)
    direct = stats.bootstrap(
        (np.concatenate(x), np.concatenate(y)),
        median_difference,
        n_resamples=999,
        method="percentile",
        rng=0,
    )
    assert whole.low != direct.confidence_interval.low  # trajectories, not models, drawn


@pytest.mark.parametrize("paired", [False, True])
@pytest.mark.parametrize("cells", [60, 700, 10_000, 1 << 24])
def test_batched_or_not_the_interval_is_identical(monkeypatch, paired, cells) -> None:
    """Any batch size, paired or not, one population or two, ragged or not."""
    rng = np.random.default_rng(8)
    x = [rng.normal(0, 1, size) for size in (3, 7, 5, 6, 2, 9)]
    y = [rng.normal(0.3, 1, size) for size in (4, 4, 8, 1, 6, 5)]
    reference = (
        median_difference_interval(x, y, paired=paired, seed=5),
        median_interval(x, seed=5),
    )
    monkeypatch.setattr(bootstrap, "BOOTSTRAP_CELLS", cells)
    again = (
        median_difference_interval(x, y, paired=paired, seed=5),
        median_interval(x, seed=5),
    )
    assert again == reference
