"""Leaderboard ranks: indistinguishable configurations share the best rank, judged on
trajectories rather than on models."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from shared.stats.leaderboard import rank_configurations, tie_rule


def runs(centres: list[float], models: int = 10, spread: float = 0.002, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [c + spread * rng.standard_normal(models) for c in centres]


def test_clear_winner_and_a_tie() -> None:
    samples = {
        "best": runs([0.90, 0.91, 0.89, 0.905, 0.895], seed=1),
        "close": runs([0.899, 0.909, 0.889, 0.904, 0.894], seed=2),  # within the spread
        "worse": runs([0.80, 0.81, 0.79, 0.805, 0.795], seed=3),
        "worst": runs([0.70, 0.71, 0.69, 0.705, 0.695], seed=4),
    }
    ranked = {r.key: r for r in rank_configurations(samples)}
    assert ranked["best"].rank == 1 and ranked["best"].pvalue_vs_best is None
    assert ranked["close"].rank == 1 and ranked["close"].pvalue_vs_best >= 0.05
    assert ranked["worse"].rank == 3 and ranked["worst"].rank == 4
    # trajectory level: 5 vs 5 fully separated means, p = 2/252, Holm ×3 and ×2
    means = [np.mean(v) for v in samples["best"]], [np.mean(v) for v in samples["worse"]]
    raw = stats.mannwhitneyu(*means, method="exact").pvalue
    assert raw == pytest.approx(2 / 252)
    assert ranked["worse"].pvalue_vs_best == pytest.approx(3 * raw)
    assert ranked["worse"].pvalue_floor == pytest.approx(2 / 252)
    best = ranked["best"]
    assert best.ci_low <= best.median <= best.ci_high
    assert (best.n, best.trajectories) == (50, 5)


def test_many_models_from_few_runs_do_not_separate_configurations() -> None:
    # 3 runs of 30 tight models each: model-level Mann–Whitney would call these apart
    # (p < 1e-10); at trajectory level 3 vs 3 cannot go below p = 0.1, so they tie.
    samples = {"x": runs([0.90, 0.91, 0.92], 30), "y": runs([0.88, 0.89, 0.90], 30, seed=5)}
    pooled = [np.concatenate(v) for v in samples.values()]
    assert stats.mannwhitneyu(*pooled).pvalue < 1e-10
    ranked = rank_configurations(samples)
    assert [r.rank for r in ranked] == [1, 1]
    assert ranked[1].pvalue_floor == pytest.approx(0.1)
    assert "trajectories" in tie_rule(0.05) and "0.05" in tie_rule(0.05)


def test_the_interval_resamples_trajectories() -> None:
    # two runs far apart: the interval of the median spans both, not the models' spread
    ranked = rank_configurations({"a": runs([0.5, 0.9], 50)})
    assert ranked[0].ci_low < 0.55 and ranked[0].ci_high > 0.85


def test_lower_is_better_single_trajectories_and_empty_input() -> None:
    ranked = rank_configurations(
        {"a": runs([1.0, 1.1, 0.9, 1.0]), "b": runs([2.0, 2.1, 1.9, 2.0], seed=1)},
        higher_is_better=False,
    )
    assert [r.key for r in ranked] == ["a", "b"] and ranked[1].rank == 2
    lone = rank_configurations({"a": runs([0.9, 0.91]), "b": runs([0.5])})
    assert lone[1].rank == 1 and math.isnan(lone[1].pvalue_vs_best)
    assert "needs at least 2 trajectories" in lone[1].note
    assert rank_configurations({}) == []
    assert rank_configurations({"nan": [np.array([np.nan])]}) == []
