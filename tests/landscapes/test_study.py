"""The stationary-distribution study: classification, common starts, paper results."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from shared.landscapes import ELSE, PAPER_FUNCTIONS, StudyError, landscape
from shared.landscapes.basins import classify
from shared.landscapes.study import (
    landscape_study,
    starting_points,
    stationary_distribution,
    summarize,
)
from shared.optim import OPTIMIZERS


def test_classify_nearest_minimum_within_capture_radius() -> None:
    minima = landscape("himmelblau").minima
    g2 = next(i for i, m in enumerate(minima) if m.location == pytest.approx((3.0, 2.0)))
    ends = np.array(
        [
            [3.05, 2.0],  # 0.05 from (3, 2)
            [3.0, 2.2],  # 0.2 away: else
            [np.nan, 1.0],  # diverged: else
            [np.inf, np.inf],
            [0.0, 0.0],  # between basins: else
        ]
    )
    assert classify(ends, minima, 0.1).tolist() == [g2, -1, -1, -1, -1]
    assert classify(ends, minima, 0.25).tolist() == [g2, g2, -1, -1, -1]


def test_sgd_on_himmelblau_splits_over_four_basins() -> None:
    result = stationary_distribution("himmelblau", "sgd", restarts=500, seed=0)
    counts = result.counts
    assert counts[ELSE] == 0
    for label in ("G1", "G2", "G3", "G4"):
        assert 0.15 <= counts[label] / 500 <= 0.35
    assert sum(counts.values()) == 500
    intervals = result.intervals()
    assert all(i.low <= i.fraction <= i.high for i in intervals.values())


@pytest.mark.parametrize("function", PAPER_FUNCTIONS)
def test_defaults_never_diverge_for_sgd_on_the_paper_functions(function: str) -> None:
    result = stationary_distribution(function, "sgd", restarts=2000, seed=5)
    assert result.diverged == 0
    assert result.counts[ELSE] == 0


def test_six_hump_distribution_is_symmetric() -> None:
    """f(x, y) = f(−x, −y) on a symmetric domain: mirrored basins hold equal shares."""
    result = stationary_distribution(
        "six_hump_camel", "sgd", restarts=20000, iterations=1500, seed=1
    )
    counts = result.counts
    by_location = {m.location: m.label for m in result.minima}
    for location, label in by_location.items():
        mirror = by_location[
            min(by_location, key=lambda p: np.hypot(p[0] + location[0], p[1] + location[1]))
        ]
        pair = counts[label] + counts[mirror]
        assert stats.binomtest(counts[label], pair).pvalue > 0.001, (label, mirror, counts)


def test_common_random_numbers_same_starts_for_every_optimizer() -> None:
    study = landscape_study(
        ["six_hump_camel"], list(OPTIMIZERS), restarts=50, iterations=20, path_points=2, seed=4
    )
    runs = study["six_hump_camel"]
    first = runs["sgd"].run.path[0]
    np.testing.assert_array_equal(first, starting_points(landscape("six_hump_camel"), 50, 4))
    for result in runs.values():
        np.testing.assert_array_equal(result.run.path[0], first)
    pairs = {(p.a, p.b): p for p in summarize(runs).pairs}
    assert pairs["sgd", "nig_sgd"].agreement <= 1.0
    assert summarize({"a": runs["sgd"], "b": runs["sgd"]}).pairs[0].agreement == 1.0


def test_different_seeds_different_starts_and_noise() -> None:
    f = landscape("himmelblau")
    assert not np.array_equal(starting_points(f, 10, 0), starting_points(f, 10, 1))
    a = stationary_distribution("himmelblau", "nig_sgd", restarts=20, iterations=50, seed=0)
    b = stationary_distribution("himmelblau", "nig_sgd", restarts=20, iterations=50, seed=0)
    np.testing.assert_array_equal(a.run.end_points, b.run.end_points)


def test_diverged_runs_count_as_else() -> None:
    result = stationary_distribution(
        "three_hump_camel", "sgd", restarts=200, iterations=50, overrides={"sgd": {"lr": 0.05}}
    )
    assert result.diverged > 0
    assert result.counts[ELSE] >= result.diverged


def test_overrides_layer_over_function_recommendations() -> None:
    result = stationary_distribution("three_hump_camel", "nim_bh", restarts=5, iterations=5)
    assert result.hyperparameters["lr"] == 0.002  # the function's recommendation
    assert result.hyperparameters["tau"] == 1000
    result = stationary_distribution(
        "three_hump_camel",
        "nim_bh",
        restarts=5,
        iterations=5,
        overrides={"*": {"lr": 0.001}, "nim_bh": {"tau": 7}},
    )
    assert (result.hyperparameters["lr"], result.hyperparameters["tau"]) == (0.001, 7)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"restarts": 0}, "restarts"),
        ({"iterations": -5}, "iterations"),
        ({"capture_radius": -0.1}, "capture_radius"),
        ({"overrides": {"sgd": {"lr": -1}}}, "sgd.lr"),
        ({"overrides": {"sgd": {"rho": 1}}}, "sgd.rho"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(StudyError) as error:
        stationary_distribution("himmelblau", "sgd", **kwargs)
    assert error.value.field == field


def test_study_rejects_overrides_nobody_uses() -> None:
    with pytest.raises(StudyError, match="momentum"):
        landscape_study(["himmelblau"], ["nig_sgd"], overrides={"*": {"momentum": 0.9}})
    with pytest.raises(StudyError, match="not selected"):
        landscape_study(["himmelblau"], ["sgd"], overrides={"sam": {"rho": 0.1}})


def test_between_optimizer_test_detects_a_real_difference() -> None:
    study = landscape_study(["six_hump_camel"], ["sgd", "nim_mbh"], restarts=300, seed=2)
    sgd, mbh = study["six_hump_camel"]["sgd"], study["six_hump_camel"]["nim_mbh"]
    pair = summarize({"sgd": sgd, "nim_mbh": mbh}).pairs[0]
    assert pair.pvalue < 1e-6  # MBH leaves the high (f≈2.1) minima
    assert pair.paired is not None and pair.paired.pvalue < 1e-6
    same = summarize({"a": sgd, "b": sgd}).pairs[0]
    assert same.pvalue == 1.0 and same.paired is not None and same.paired.pvalue == 1.0


def test_progress_is_reported_and_can_abandon_the_run() -> None:
    seen: list[float] = []
    stationary_distribution(
        "himmelblau", "sgd", restarts=5, iterations=200, on_progress=seen.append
    )
    assert len(seen) == 20 and seen[-1] == 1.0 and seen == sorted(seen)

    class Stop(Exception):
        pass

    def stop(fraction: float) -> None:
        if fraction >= 0.5:
            raise Stop

    with pytest.raises(Stop):
        stationary_distribution("himmelblau", "sgd", restarts=5, iterations=200, on_progress=stop)
