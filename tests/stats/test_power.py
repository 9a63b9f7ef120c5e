"""Planning trajectories from a pilot: simulated power of the trajectory-level tests."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pytest
from scipy import stats

from shared.stats.power import plan_trajectories, simulated_power


@pytest.fixture(autouse=True)
def no_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_below_the_floor_there_is_no_power() -> None:
    # 5 pairs cannot reach p < 0.05 (floor 2/32), however large the difference
    assert simulated_power(10.0, 0.1, 0.0, 0.0, 5, paired=True, alpha=0.05) == 0.0
    # 6 pairs of identical huge differences: every simulated p is 2/64
    assert simulated_power(10.0, 0.0, 0.0, 0.0, 6, paired=True, alpha=0.05) == 1.0


def test_independent_power_matches_scipy_simulated_by_hand() -> None:
    # The same draws, the same exact test: the estimate is reproducible by hand.
    rng = np.random.default_rng(0)
    first = 1.0 + 0.5 * rng.standard_normal((400, 6))
    second = 0.0 + 0.8 * rng.standard_normal((400, 6))
    by_hand = np.mean(stats.mannwhitneyu(first, second, axis=-1, method="exact").pvalue < 0.05)
    power = simulated_power(1.0, 0.5, 0.0, 0.8, 6, paired=False, alpha=0.05, seed=0)
    assert power == pytest.approx(by_hand)


def test_paired_power_is_close_to_the_t_test_power_for_many_pairs() -> None:
    # 20 pairs, effect 0.6 σ: the sign-flip test's power is close to the t-test's
    # (noncentral t, computed by scipy): about 0.62.
    n, effect = 20, 0.6
    t_critical = stats.t.ppf(0.975, n - 1)
    analytic = stats.nct.sf(t_critical, n - 1, effect * np.sqrt(n)) + stats.nct.cdf(
        -t_critical, n - 1, effect * np.sqrt(n)
    )
    simulated = simulated_power(effect, 1.0, 0.0, 0.0, n, paired=True, alpha=0.05)
    assert simulated == pytest.approx(analytic, abs=0.06)


def test_plan_finds_the_smallest_count_reaching_the_power() -> None:
    pilot1 = np.array([0.80, 0.82, 0.81, 0.83, 0.79])
    pilot2 = np.array([0.78, 0.80, 0.79, 0.77, 0.81])
    plan = plan_trajectories(pilot1, pilot2, paired=False)
    assert plan.trajectories is not None and plan.note is None
    assert plan.observed_difference == pytest.approx(0.02)
    assert plan.between_std1 == pytest.approx(np.std(pilot1, ddof=1))
    assert plan.achieved_power >= 0.8
    below = simulated_power(
        pilot1.mean(),
        plan.between_std1,
        pilot2.mean(),
        plan.between_std2,
        plan.trajectories - 1,
        paired=False,
        alpha=0.05,
    )
    assert below < 0.8
    # a bigger difference needs fewer trajectories
    bigger = plan_trajectories(pilot1 + 0.02, pilot2, paired=False)
    assert bigger.trajectories < plan.trajectories


def test_plans_that_cannot_be_made_say_why() -> None:
    same = plan_trajectories(np.array([0.5, 0.6]), np.array([0.5, 0.6]), paired=True)
    assert same.trajectories is None and "no difference" in same.note
    short = plan_trajectories(np.array([0.5]), np.array([0.4, 0.6]), paired=False)
    assert short.note == "the pilot needs at least 2 trajectories on each side, got 1 and 2"
    tiny = plan_trajectories(
        np.array([0.50, 0.70, 0.30]), np.array([0.49, 0.69, 0.31]), paired=False
    )
    assert tiny.trajectories is None and tiny.note.startswith("even 100 trajectories")
    capped = plan_trajectories(
        np.array([1.0, 2.0]), np.array([0.0, 1.0]), paired=True, alpha=1e-6, max_trajectories=10
    )
    assert capped.trajectories is None and "needs 21 pairs" in capped.note
