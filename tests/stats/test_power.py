"""Planning trajectories from a pilot: simulated power of the trajectory-level tests."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pytest
from scipy import stats

from shared.stats.power import (
    MAX_TRAJECTORIES,
    plan_trajectories,
    power_curve,
    simulated_power,
)


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


def nested_draws(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The simulation's draws: 400 experiments of 100 trajectories a side, each count
    using the first columns."""
    rng = np.random.default_rng(seed)
    first = rng.standard_normal((400, MAX_TRAJECTORIES))
    second = rng.standard_normal((400, MAX_TRAJECTORIES))
    return first, second, rng.random((400, MAX_TRAJECTORIES))


@pytest.mark.parametrize("trajectories", [6, 9, 20, 57])
def test_independent_power_matches_scipy_simulated_by_hand(trajectories) -> None:
    # The same nested draws, the same test as the API (exact to 8 a side, then
    # asymptotic): the estimate is reproducible by hand at every count.
    z1, z2, _ = nested_draws()
    first = 1.0 + 0.5 * z1[:, :trajectories]
    second = 0.3 + 0.8 * z2[:, :trajectories]
    method = "exact" if trajectories <= 8 else "asymptotic"
    pvalues = stats.mannwhitneyu(first, second, axis=-1, method=method).pvalue
    for alpha in (0.05, 0.05 / 15):
        power = simulated_power(1.0, 0.5, 0.3, 0.8, trajectories, paired=False, alpha=alpha)
        assert power == pytest.approx(np.mean(pvalues < alpha))


def test_paired_power_with_zero_differences_matches_by_hand() -> None:
    z, _, u = nested_draws()
    differences = 0.4 + 1.0 * z[:, :14]
    differences[u[:, :14] < 0.25] = 0.0
    spread = np.sqrt((differences**2).sum(axis=-1))
    z_score = np.divide(
        np.abs(differences.sum(axis=-1)), spread, out=np.zeros(400), where=spread > 0
    )
    by_hand = np.mean(2 * stats.norm.sf(z_score) < 0.05)
    power = simulated_power(0.4, 1.0, 0.0, 0.0, 14, paired=True, alpha=0.05, zero_fraction=0.25)
    assert power == pytest.approx(by_hand)
    assert power < simulated_power(0.4, 1.0, 0.0, 0.0, 14, paired=True, alpha=0.05)


@pytest.mark.parametrize(
    ("paired", "counts"),
    [(False, range(3, 9)), (False, range(9, 60)), (True, range(11, 60))],
)
def test_power_is_monotone_in_the_trajectories(paired, counts) -> None:
    """Nested draws: one more trajectory adds to the same experiments, so the estimated
    power does not fall, except by the odd experiment that the added trajectory turns
    non-significant: never more than 5 of the 400 at a step here.
    Independent draws per count wobble by their standard error (about 0.02): on these
    curves their steps fall by up to 0.065. Checked within one test method (its switches
    at 9 a side and 11 pairs make real dips)."""
    for effect, alpha in ((0.5, 0.05), (0.3, 0.05 / 15), (1.0, 0.05 / 15)):
        curve = power_curve(effect, 1.0, 0.0, 1.0, max(counts), paired=paired, alpha=alpha)
        steps = np.diff(curve[list(counts)])
        assert steps.min() >= -5 / 400, (effect, alpha, steps.min())
        assert curve[max(counts)] > curve[min(counts)]


def test_pairs_are_planned_at_the_holm_level() -> None:
    """15 pairs: a pair needs p < 0.05/15, which 4 vs 4 (floor 0.029) and 5 vs 5 (0.008)
    cannot give; 6 vs 6 can (0.0022), whatever the difference."""
    huge1, huge2 = np.array([10.0, 10.1, 10.2, 9.9]), np.array([0.0, 0.1, -0.1, 0.2])
    alone = plan_trajectories(huge1, huge2, paired=False)
    assert alone.trajectories == 4 and alone.family_size == 1 and alone.level == 0.05
    family = plan_trajectories(huge1, huge2, paired=False, family_size=15)
    assert family.trajectories == 6 and family.level == pytest.approx(0.05 / 15)
    assert family.achieved_power == 1.0
    # A modest difference needs more trajectories at the family level.
    pilot1 = np.array([0.80, 0.82, 0.81, 0.83, 0.79])
    pilot2 = np.array([0.78, 0.80, 0.79, 0.77, 0.81])
    single = plan_trajectories(pilot1, pilot2, paired=False)
    holm = plan_trajectories(pilot1, pilot2, paired=False, family_size=15)
    assert holm.trajectories > single.trajectories


def test_a_pilot_with_zero_differences_simulates_them() -> None:
    first = np.array([0.90, 0.85, 0.88, 0.87, 0.91, 0.86])
    second = first - np.array([0.02, 0.0, 0.03, 0.01, 0.0, 0.025])
    plan = plan_trajectories(first, second, paired=True)
    assert plan.zero_fraction == pytest.approx(2 / 6)
    nonzero = np.array([0.02, 0.03, 0.01, 0.025])
    at_plan = simulated_power(
        nonzero.mean(),
        nonzero.std(ddof=1),
        0.0,
        0.0,
        plan.trajectories,
        paired=True,
        alpha=0.05,
        zero_fraction=2 / 6,
    )
    assert plan.achieved_power == pytest.approx(at_plan) and at_plan >= 0.8


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
