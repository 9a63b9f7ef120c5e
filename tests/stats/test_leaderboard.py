"""Leaderboard ranks: indistinguishable configurations share the best rank."""

from __future__ import annotations

import numpy as np
import pytest

from shared.stats.leaderboard import median_interval, rank_configurations


def test_clear_winner_and_a_tie() -> None:
    rng = np.random.default_rng(0)
    samples = {
        "best": 0.90 + rng.normal(0, 0.005, 50),
        "close": 0.899 + rng.normal(0, 0.005, 50),  # cannot be told apart from best
        "worse": 0.80 + rng.normal(0, 0.005, 50),
        "worst": 0.70 + rng.normal(0, 0.005, 50),
    }
    ranked = {r.key: r for r in rank_configurations(samples)}
    assert ranked["best"].rank == 1 and ranked["best"].pvalue_vs_best is None
    assert ranked["close"].rank == 1 and ranked["close"].pvalue_vs_best >= 0.05
    assert ranked["worse"].rank == 3 and ranked["worst"].rank == 4
    assert ranked["worse"].pvalue_vs_best < 1e-6
    best = ranked["best"]
    assert best.ci_low <= best.median <= best.ci_high


def test_lower_is_better_and_empty_input() -> None:
    ranked = rank_configurations(
        {"a": np.array([1.0, 1.1, 0.9] * 5), "b": np.array([2.0, 2.1, 1.9] * 5)},
        higher_is_better=False,
    )
    assert [r.key for r in ranked] == ["a", "b"] and ranked[1].rank == 2
    assert rank_configurations({}) == []
    assert rank_configurations({"nan": np.array([np.nan])}) == []


def test_median_interval_covers_the_median() -> None:
    values = np.arange(1.0, 21.0)
    low, high = median_interval(values)
    assert low < 10.5 < high
    assert median_interval(np.array([3.0, 3.0])) == (3.0, 3.0)
    assert median_interval(np.array([2.0])) == pytest.approx((2.0, 2.0))
