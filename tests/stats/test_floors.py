"""The trajectory-level floor is the smallest p-value the test actually returns: checked
against every arrangement of the same trajectory means, with zero differences (paired)
and ties (independent), and the warnings and trajectories needed that follow from it."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from shared.stats.floors import extreme_ties, trajectories_needed
from shared.stats.trajectory_level import compare_groups, mean_difference, trajectory_tests


def sign_flip_p(differences: np.ndarray) -> float:
    result = stats.permutation_test(
        (differences, np.zeros_like(differences)),
        mean_difference,
        permutation_type="samples",
        vectorized=True,
        n_resamples=10_000,
        alternative="two-sided",
    )
    return float(result.pvalue)


def test_six_pairs_with_one_zero_difference_floor_is_one_sixteenth_and_warns() -> None:
    base = np.array([1.1, 2.3, 0.7, 1.5, 3.0, 2.0])
    differences = np.array([0.5, -0.2, 0.3, 0.0, 0.4, -0.1])
    result = compare_groups(
        [[v] for v in base + differences], [[v] for v in base], paired=True, alpha=0.05
    )
    smallest = min(
        sign_flip_p(np.array(signs) * differences)
        for signs in itertools.product((1.0, -1.0), repeat=6)
    )
    assert result.trajectory_pvalue_floor == pytest.approx(smallest) == pytest.approx(0.0625)
    assert result.trajectory_method == "exact"
    assert "1 of them with no difference" in result.notes["floor"]
    assert "below 0.0625" in result.notes["floor"]
    assert result.trajectories_needed == 7
    # Without the zero the same six pairs can reach α.
    differences[3] = 0.05
    untied = compare_groups(
        [[v] for v in base + differences], [[v] for v in base], paired=True, alpha=0.05
    )
    assert untied.trajectory_pvalue_floor == pytest.approx(2 / 64)
    assert "floor" not in untied.notes and untied.trajectories_needed == 6


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ([0.8, 0.8, 0.9, 0.95], [0.8, 0.7, 0.6, 0.5]),  # three means tied at the boundary
        ([0.5, 0.5, 0.9, 0.95], [0.5, 0.7, 0.6, 0.9]),  # ties at both ends
        ([0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]),  # untied: 2/70
        ([0.3, 0.3, 0.3], [0.3, 0.3, 0.9, 0.1]),
    ],
)
def test_independent_floor_is_the_smallest_p_over_every_arrangement(first, second) -> None:
    first, second = np.array(first), np.array(second)
    pooled = np.concatenate([first, second])
    n1 = first.size
    arrangements = []
    for chosen in itertools.combinations(range(pooled.size), n1):
        mask = np.zeros(pooled.size, dtype=bool)
        mask[list(chosen)] = True
        arrangements.append((pooled[mask], pooled[~mask]))
    everything = trajectory_tests(arrangements, paired=False, seed=0)
    (observed,) = trajectory_tests([(first, second)], paired=False, seed=0)
    assert observed.floor == pytest.approx(min(t.pvalue for t in everything))
    untied_floor = 2 / math.comb(pooled.size, n1)
    ties = extreme_ties(first, second)
    assert observed.floor == pytest.approx(min(1.0, ties * untied_floor))


def test_ties_raise_the_floor_above_alpha_and_the_comparison_says_so() -> None:
    first, second = [0.8, 0.8, 0.9, 0.95], [0.8, 0.7, 0.6, 0.5]
    result = compare_groups([[v] for v in first], [[v] for v in second], alpha=0.05)
    assert extreme_ties(np.array(first), np.array(second)) == 3
    assert result.trajectory_pvalue_floor == pytest.approx(3 * 2 / 70)
    assert "tied means" in result.notes["floor"]
    assert result.trajectories_needed == trajectories_needed(0.05, paired=False, extreme_ties=3)
    assert result.trajectories_needed == 5  # 3 · 2/C(10, 5) = 0.024 < 0.05


def test_asymptotic_floor_is_that_of_the_normal_approximation() -> None:
    """Past 8 a side the test is asymptotic, whose smallest p is far above 2/C(18, 9)."""
    rng = np.random.default_rng(3)
    first, second = rng.normal(size=9), rng.normal(size=9)
    (test,) = trajectory_tests([(first, second)], paired=False, seed=0)
    assert test.method == "asymptotic" and "more than 8" in test.method_reason
    pooled = np.concatenate([first, second])
    masks = np.zeros((math.comb(18, 9), 18), dtype=bool)
    for row, chosen in enumerate(itertools.combinations(range(18), 9)):
        masks[row, list(chosen)] = True
    x = np.stack([pooled[m] for m in masks])
    y = np.stack([pooled[~m] for m in masks])
    smallest = stats.mannwhitneyu(x, y, axis=-1, method="asymptotic").pvalue.min()
    assert test.floor == pytest.approx(smallest)
    assert test.floor > 10 * 2 / math.comb(18, 9)


def test_methods_are_named_with_their_reason() -> None:
    untied = compare_groups([[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]])
    assert untied.trajectory_method == "exact" and "untied" in untied.trajectory_method_reason
    tied = compare_groups([[1.0], [2.0], [2.0]], [[2.0], [5.0], [6.0]])
    assert tied.trajectory_method == "exact" and "midrank" in tied.trajectory_method_reason
    rng = np.random.default_rng(0)
    many = [[v] for v in np.round(rng.normal(size=8), 1)]
    more = [[v] for v in np.round(rng.normal(size=8), 1)]
    sampled = compare_groups(many, more)
    assert sampled.trajectory_method == "monte_carlo" and not sampled.trajectory_exact
    flips = compare_groups([[v] for v in range(12)], [[v + 0.5] for v in range(12)], paired=True)
    assert flips.trajectory_method == "monte_carlo" and "random sign" in (
        flips.trajectory_method_reason
    )


@pytest.mark.parametrize(
    ("first", "second", "method"),
    [
        (np.arange(5.0), np.arange(6.0) + 0.5, "exact"),
        (np.arange(5.0), np.arange(6.0), "asymptotic"),  # tied
        (np.arange(50.0), np.arange(40.0) + 0.25, "asymptotic"),
        (np.arange(3.0), np.arange(40.0) + 0.25, "exact"),  # one side of at most 8
    ],
)
def test_model_level_mann_whitney_names_scipys_method(first, second, method) -> None:
    from shared.stats.model_level import compare_samples

    result = compare_samples(first, second, seed=0)
    assert result.mwu_method == method and result.mwu_method_reason
    auto = stats.mannwhitneyu(first, second, alternative="two-sided")
    assert result.mwu_pvalue == pytest.approx(auto.pvalue)  # what scipy's auto picks
    named = stats.mannwhitneyu(first, second, alternative="two-sided", method=method)
    assert result.mwu_pvalue == pytest.approx(named.pvalue)


def test_the_leaderboard_names_each_comparisons_method() -> None:
    from shared.stats.leaderboard import rank_configurations, tie_rule

    rng = np.random.default_rng(2)
    samples = {
        "best": [rng.normal(0.9, 0.01, 10) for _ in range(5)],
        "worse": [rng.normal(0.8, 0.01, 10) for _ in range(5)],
        "many": [rng.normal(0.85, 0.01, 10) for _ in range(9)],
    }
    ranked = {r.key: r for r in rank_configurations(samples)}
    assert ranked["best"].test_method is None
    assert ranked["worse"].test_method.startswith("exact: untied")
    assert ranked["many"].test_method.startswith("exact")  # 5 vs 9: one side of at most 8
    assert "exact" not in tie_rule(0.05).split("by a two-sided")[0]
    assert "asymptotic with more than 8 on both sides" in tie_rule(0.05)
