"""Model- and trajectory-level comparisons: hand-computed cases and scipy called directly."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shared.stats.bootstrap import median_difference_interval
from shared.stats.comparisons import (
    compare_groups,
    compare_samples,
    compare_sets,
    loss_metric_correlation,
    optimizer_pairs,
    rank_correlation,
    set_a_vs_set_b,
    summarize,
)
from shared.stats.corrections import holm
from shared.stats.populations import set_a, set_b
from shared.stats.trajectory_level import floor_warning, pvalue_floor, trajectories_needed


@pytest.fixture(autouse=True)
def no_warnings() -> Iterator[None]:
    """Degenerate input must be handled, not warned about (warnings are process-global)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def clusters(centres: list[float], size: int, spread: float, seed: int) -> list[np.ndarray]:
    """One tight cluster of ``size`` models around each trajectory centre."""
    rng = np.random.default_rng(seed)
    return [centre + spread * rng.standard_normal(size) for centre in centres]


# --- compare_samples -------------------------------------------------------------------


def test_effect_sizes_by_hand() -> None:
    # pairs (x, y) with x > y: (3, 2) → 1; ties (2, 2), (3, 3) → ½ each: U = 2 of 9.
    # Cliff: #(x > y) − #(x < y) = 1 − 6 = −5 of 9.
    result = compare_samples([1, 2, 3], [2, 3, 4])
    assert result.mwu_statistic == 2.0
    assert result.a12 == pytest.approx(2 / 9)
    assert result.cliffs_delta == pytest.approx(-5 / 9)
    assert (result.n1, result.n2) == (3, 3)
    assert (result.median1, result.median2, result.median_difference) == (2.0, 3.0, -1.0)
    assert (result.mean1, result.mean2) == (2.0, 3.0)
    # Student by hand: pooled variance 1, t = −1 / √(1/3 + 1/3), df 4.
    t = -1 / math.sqrt(2 / 3)
    assert result.student_statistic == pytest.approx(t)
    assert result.student_pvalue == pytest.approx(2 * stats.t.sf(abs(t), 4))
    assert result.welch_statistic == pytest.approx(t)  # equal variances and sizes


def test_fully_separated_samples_have_cliffs_delta_of_one() -> None:
    low, high = [1.0, 2.0, 3.0], [10.0, 11.0]
    assert compare_samples(low, high).cliffs_delta == -1.0
    assert compare_samples(low, high).a12 == 0.0
    assert compare_samples(high, low).cliffs_delta == 1.0
    assert compare_samples(high, low).a12 == 1.0


def test_matches_scipy_called_directly() -> None:
    rng = np.random.default_rng(7)
    x, y = rng.normal(0.0, 1.0, 40), rng.normal(0.6, 2.0, 35)
    result = compare_samples(x, y, seed=11)
    mwu = stats.mannwhitneyu(x, y, alternative="two-sided")
    student = stats.ttest_ind(x, y)
    welch = stats.ttest_ind(x, y, equal_var=False)
    assert (result.mwu_statistic, result.mwu_pvalue) == (mwu.statistic, mwu.pvalue)
    assert result.student_statistic == pytest.approx(student.statistic, rel=1e-12)
    assert result.student_pvalue == pytest.approx(student.pvalue, rel=1e-10)
    assert result.welch_statistic == pytest.approx(welch.statistic, rel=1e-12)
    assert result.welch_pvalue == pytest.approx(welch.pvalue, rel=1e-10)
    assert result.a12 == pytest.approx(mwu.statistic / (40 * 35))
    assert (result.median1, result.median2) == (np.median(x), np.median(y))

    def median_difference(a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
        return np.median(a, axis=axis) - np.median(b, axis=axis)

    interval = stats.bootstrap(
        (x, y),
        median_difference,
        vectorized=True,
        n_resamples=999,
        method="percentile",
        rng=11,
    ).confidence_interval
    assert result.median_difference_low == pytest.approx(interval.low, rel=1e-12)
    assert result.median_difference_high == pytest.approx(interval.high, rel=1e-12)
    assert result.median_difference_low < result.median_difference < result.median_difference_high
    assert result.confidence_level == 0.95


def test_the_bootstrap_is_seeded() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=30), rng.normal(size=30)
    assert compare_samples(x, y, seed=5) == compare_samples(x, y, seed=5)
    assert compare_samples(x, y, seed=5) != compare_samples(x, y, seed=6)


def test_identical_constant_samples() -> None:
    result = compare_samples([2.0] * 4, [2.0] * 5)
    assert result.mwu_pvalue == 1.0
    assert (result.a12, result.cliffs_delta) == (0.5, 0.0)
    assert math.isnan(result.student_pvalue) and math.isnan(result.welch_pvalue)
    assert (result.median_difference_low, result.median_difference_high) == (0.0, 0.0)


def test_different_constant_samples_leave_the_t_tests_undefined() -> None:
    result = compare_samples([1.0] * 3, [2.0] * 3)
    assert math.isnan(result.student_statistic) and math.isnan(result.welch_statistic)
    assert result.mwu_pvalue == stats.mannwhitneyu([1.0] * 3, [2.0] * 3).pvalue
    assert result.cliffs_delta == -1.0


def test_one_constant_sample_is_fine_for_both_t_tests() -> None:
    x, y = [0.9, 0.9, 0.9], [0.8, 0.9, 0.95, 0.85]
    result = compare_samples(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on the constant sample
        student, welch = stats.ttest_ind(x, y), stats.ttest_ind(x, y, equal_var=False)
    assert result.student_pvalue == pytest.approx(student.pvalue, rel=1e-10)
    assert result.welch_pvalue == pytest.approx(welch.pvalue, rel=1e-10)


def test_single_values_and_empty_samples() -> None:
    one = compare_samples([5.0], [1.0, 2.0, 3.0])
    assert one.a12 == 1.0
    assert math.isnan(one.welch_pvalue)
    assert one.student_pvalue == pytest.approx(stats.ttest_ind([5.0], [1.0, 2.0, 3.0]).pvalue)
    assert math.isnan(one.median_difference_low) and math.isnan(one.median_difference_high)
    assert math.isnan(compare_samples([1.0], [2.0]).student_pvalue)
    assert compare_samples([1.0], [2.0]).mwu_pvalue == 1.0

    empty = compare_samples([], [1.0, 2.0])
    assert (empty.n1, empty.n2, empty.median2, empty.mean2) == (0, 2, 1.5, 1.5)
    assert math.isnan(empty.median1) and math.isnan(empty.mwu_pvalue) and math.isnan(empty.a12)
    assert empty.confidence_level == 0.95


def test_nan_and_infinite_values_are_dropped() -> None:
    result = compare_samples([1.0, np.nan, 2.0, np.inf, 3.0], [2.0, 3.0, -np.inf, 4.0])
    assert result == compare_samples([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])


# --- compare_groups --------------------------------------------------------------------


def test_trajectory_level_disagrees_with_a_pooled_test_on_two_trajectories_each() -> None:
    # 30 tight models around each trajectory: pooled, 60 vs 60 fully separated models;
    # per trajectory, 2 vs 2 means – at best p = 2 / C(4, 2) = 1/3.
    x = clusters([0.0, 1.0], 30, 0.01, seed=1)
    y = clusters([2.0, 3.0], 30, 0.01, seed=2)
    result = compare_groups(x, y)
    assert result.model.mwu_pvalue < 1e-15
    assert result.model.cliffs_delta == -1.0
    assert result.trajectory_test == "mannwhitneyu" and result.trajectory_exact
    assert result.trajectory_pvalue == pytest.approx(1 / 3)
    assert result.trajectory_pvalue_floor == pytest.approx(1 / 3)
    assert result.trajectory_statistic == 0.0
    assert result.trajectory_mean_difference == pytest.approx(-2.0, abs=0.01)
    assert (result.trajectories1, result.trajectories2) == (2, 2)
    assert result.disagree


def test_five_trajectories_each_can_agree() -> None:
    x = clusters([0.0, 0.1, 0.2, 0.3, 0.4], 10, 0.01, seed=1)
    y = clusters([1.0, 1.1, 1.2, 1.3, 1.4], 10, 0.01, seed=2)
    result = compare_groups(x, y)
    assert result.trajectory_pvalue == pytest.approx(2 / 252)
    assert result.trajectory_pvalue_floor == pytest.approx(2 / 252)
    assert result.model.mwu_pvalue < 0.05 and not result.disagree
    # the pooled comparison is compare_samples on the concatenation, but its interval
    # resamples whole trajectories (cluster bootstrap)
    pooled = compare_samples(np.concatenate(x), np.concatenate(y), interval=False)
    cluster = median_difference_interval(x, y, seed=0)
    assert result.model == dataclasses.replace(
        pooled,
        median_difference_low=cluster.low,
        median_difference_high=cluster.high,
        median_difference_resampled="trajectories",
    )
    means_x, means_y = [a.mean() for a in x], [b.mean() for b in y]
    direct = stats.mannwhitneyu(means_x, means_y, method="exact")
    assert (result.trajectory_statistic, result.trajectory_pvalue) == (
        direct.statistic,
        direct.pvalue,
    )


def test_tied_trajectory_means_get_the_permutation_distribution() -> None:
    # Means 0.1, 0.2, 0.2, 0.4, 0.5 against 0.3, 0.5, 0.6, 0.7, 0.8: two ties.
    x = [[m - 0.01, m + 0.01] for m in (0.1, 0.2, 0.2, 0.4, 0.5)]
    y = [[m - 0.01, m + 0.01] for m in (0.3, 0.5, 0.6, 0.7, 0.8)]
    result = compare_groups(x, y)
    means_x, means_y = [0.1, 0.2, 0.2, 0.4, 0.5], [0.3, 0.5, 0.6, 0.7, 0.8]
    direct = stats.mannwhitneyu(means_x, means_y, method=stats.PermutationMethod())
    assert result.trajectory_statistic == direct.statistic == 2.5
    assert result.trajectory_pvalue == pytest.approx(direct.pvalue)
    assert result.trajectory_pvalue == pytest.approx(10 / 252)
    assert result.trajectory_exact


def test_paired_trajectories_flip_signs() -> None:
    # Five pairs, every difference positive: only 2 of the 2⁵ sign patterns are as extreme.
    x = clusters([1.0, 2.0, 3.0, 4.0, 5.0], 10, 0.01, seed=3)
    y = [values - shift for values, shift in zip(x, [0.5, 0.6, 0.7, 0.8, 0.9], strict=True)]
    result = compare_groups(x, y, paired=True)
    assert result.paired and result.trajectory_test == "sign-flip permutation"
    assert result.trajectory_pvalue == pytest.approx(2 / 32)
    assert result.trajectory_pvalue_floor == pytest.approx(2 / 32)
    assert result.trajectory_statistic == pytest.approx(0.7)
    means_x, means_y = np.array([a.mean() for a in x]), np.array([b.mean() for b in y])
    direct = stats.permutation_test(
        (means_x, means_y),
        lambda a, b, axis: np.mean(a - b, axis=axis),
        permutation_type="samples",
        vectorized=True,
    )
    assert result.trajectory_pvalue == pytest.approx(direct.pvalue)
    # Unpaired, the same data are a 5 vs 5 mix: nowhere near significant.
    assert compare_groups(x, y).trajectory_pvalue > 0.5


def test_paired_identical_sets_and_missing_sides() -> None:
    x = clusters([1.0, 2.0, 3.0], 4, 0.1, seed=4)
    same = compare_groups(x, x, paired=True)
    assert same.trajectory_pvalue == 1.0 and same.trajectory_statistic == 0.0
    # A trajectory whose second set is empty (or all NaN) drops out of the pairs.
    partial = compare_groups(x, [x[0], [np.nan], x[2] + 1], paired=True)
    assert (partial.trajectories1, partial.trajectories2) == (2, 2)
    with pytest.raises(ValueError, match=r"^y_by_trajectory:"):
        compare_groups(x, x[:2], paired=True)


def test_one_trajectory_a_side_has_no_trajectory_test() -> None:
    result = compare_groups([[1.0, 2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]])
    assert math.isnan(result.trajectory_pvalue) and math.isnan(result.trajectory_pvalue_floor)
    assert result.model.n1 == 3 and result.model.n2 == 4
    assert not result.disagree


# --- summaries and correlation ---------------------------------------------------------


def test_summarize_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "optimizer": ["sgd"] * 6 + ["adam"],
            "trajectory": [0, 0, 0, 1, 1, 1, 0],
            "accuracy": [1.0, 2.0, 3.0, 10.0, 20.0, np.nan, 7.0],
        }
    )
    # sgd 0: std 1; sgd 1: std √50; adam 0: one value, no std. Values 1 2 3 7 10 20.
    result = summarize(frame, "accuracy")
    assert (result.n, result.groups) == (6, 3)
    assert result.median == 5.0 and result.mean == pytest.approx(43 / 6)
    assert result.median_within_std == pytest.approx((1 + math.sqrt(50)) / 2)
    # grouped by trajectory alone the two optimizers' trajectory 0 would merge
    assert summarize(frame, "accuracy", by="optimizer").groups == 2
    with pytest.raises(ValueError, match=r"^metric:"):
        summarize(frame, "f1")
    with pytest.raises(ValueError, match=r"^by:"):
        summarize(frame, "accuracy", by="seed")


def test_loss_metric_correlation() -> None:
    frame = pd.DataFrame(
        {"train_loss": [0.1, 0.2, 0.3, 0.4, np.nan], "accuracy": [0.9, 0.8, 0.85, 0.1, 0.5]}
    )
    result = loss_metric_correlation(frame, "accuracy")
    direct = stats.spearmanr([0.1, 0.2, 0.3, 0.4], [0.9, 0.8, 0.85, 0.1])
    assert result.n == 4
    assert result.rho == pytest.approx(-0.8) == direct.statistic
    assert result.pvalue == pytest.approx(direct.pvalue)
    constant = loss_metric_correlation(frame.assign(accuracy=0.5), "accuracy")
    assert math.isnan(constant.rho) and constant.n == 4
    with pytest.raises(ValueError, match=r"^metric:"):
        loss_metric_correlation(frame, "f1")


# --- on model records ------------------------------------------------------------------


def model_records(
    optimizers: dict[str, float], trajectories: int = 4, steps: int = 30
) -> pd.DataFrame:
    """Loss falls and accuracy rises with noise; ``optimizers`` maps name → accuracy offset.
    Accuracies are rounded to 1/100 so trajectory means tie now and then."""
    rng = np.random.default_rng(0)
    frames = []
    for name, offset in optimizers.items():
        for trajectory in range(trajectories):
            step = np.arange(steps)
            loss = np.exp(-step / 10) + rng.normal(0, 0.02, steps)
            accuracy = np.round(
                0.5 + offset + 0.3 * (1 - np.exp(-step / 8)) + rng.normal(0, 0.02, steps), 2
            )
            frames.append(
                pd.DataFrame(
                    {
                        "optimizer": name,
                        "trajectory": trajectory,
                        "step": step,
                        "gradient_evaluations": step * 10,
                        "train_loss": loss,
                        "accuracy": accuracy,
                        "diverged": False,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def by_trajectory(frame: pd.DataFrame, optimizer: str, column: str) -> list[np.ndarray]:
    part = frame[frame["optimizer"] == optimizer]
    return [group[column].to_numpy() for _, group in part.groupby("trajectory")]


def test_set_a_vs_set_b_is_compare_groups_on_the_two_sets() -> None:
    records = model_records({"sgd": 0.0, "adam": 0.05})
    result = set_a_vs_set_b(records, 5, "accuracy", seed=3)
    assert list(result) == ["adam", "sgd"]
    a, b = set_a(records, 5), set_b(records, 5, "accuracy")
    for name, comparison in result.items():
        assert comparison.optimizer == name and comparison.per_trajectory == 5
        on_metric = compare_groups(
            by_trajectory(a, name, "accuracy"),
            by_trajectory(b, name, "accuracy"),
            seed=3,
            paired=True,
        )
        assert comparison.on_metric == on_metric
        assert comparison.on_train_loss == compare_groups(
            by_trajectory(a, name, "train_loss"),
            by_trajectory(b, name, "train_loss"),
            seed=3,
            paired=True,
        )
        assert comparison.set_a == summarize(a[a["optimizer"] == name], "accuracy")
        assert comparison.set_b_train_loss == summarize(b[b["optimizer"] == name], "train_loss")
        assert comparison.on_metric.model.n1 == comparison.on_metric.model.n2 == 4 * 5
        # Set B is the best the trajectories visited: never below Set A on the metric.
        assert comparison.set_b.median >= comparison.set_a.median
        assert comparison.on_metric.model.a12 <= 0.5
        # ...and Set A the lowest losses.
        assert comparison.set_a_train_loss.median <= comparison.set_b_train_loss.median
        # 4 pairs of trajectories: the paired test cannot go below 2/16.
        assert comparison.on_metric.trajectory_pvalue >= 2 / 16


def test_optimizer_pairs_holm_and_batched_trajectory_tests() -> None:
    records = model_records({"c": 0.0, "a": 0.02, "b": 0.1, "d": 0.1}, trajectories=5)
    pairs = optimizer_pairs(records, 4, "accuracy", "B", seed=2)
    assert [(p.optimizer1, p.optimizer2) for p in pairs] == [
        ("a", "b"),
        ("a", "c"),
        ("a", "d"),
        ("b", "c"),
        ("b", "d"),
        ("c", "d"),
    ]
    chosen = set_b(records, 4, "accuracy")
    tied = 0
    for pair in pairs:
        alone = compare_groups(
            by_trajectory(chosen, pair.optimizer1, "accuracy"),
            by_trajectory(chosen, pair.optimizer2, "accuracy"),
            seed=2,
        )
        assert pair.comparison == alone  # batching changes nothing
        means = [
            values.mean()
            for name in (pair.optimizer1, pair.optimizer2)
            for values in by_trajectory(chosen, name, "accuracy")
        ]
        tied += int(len(set(means)) < len(means))
    assert tied >= 2  # the batched permutation path was exercised
    for field, holm_field in [
        ("mwu_pvalue", "mwu_pvalue_holm"),
        ("student_pvalue", "student_pvalue_holm"),
        ("welch_pvalue", "welch_pvalue_holm"),
    ]:
        raw = [getattr(p.comparison.model, field) for p in pairs]
        assert [getattr(p, holm_field) for p in pairs] == pytest.approx(list(holm(raw)))
    raw = [p.comparison.trajectory_pvalue for p in pairs]
    assert [p.trajectory_pvalue_holm for p in pairs] == pytest.approx(list(holm(raw)))
    assert all(p.comparison.paired is False for p in pairs)


def test_holm_skips_undefined_tests_and_keeps_order() -> None:
    from shared.stats.comparisons import holm_finite

    # finite 0.04, 0.01, 0.02 → sorted ×3, ×2, ×1 → 0.03, 0.04, 0.04 (monotone)
    adjusted = holm_finite([0.04, np.nan, 0.01, 0.02])
    assert adjusted[[0, 2, 3]].tolist() == pytest.approx([0.04, 0.03, 0.04])
    assert math.isnan(adjusted[1])


def test_an_optimizer_without_a_metric_compares_as_nan() -> None:
    records = model_records({"a": 0.0, "b": 0.1, "c": 0.2})
    records.loc[records["optimizer"] == "c", "accuracy"] = np.nan
    pairs = optimizer_pairs(records, 3, "accuracy", "B")
    assert [(p.optimizer1, p.optimizer2) for p in pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert math.isnan(pairs[1].comparison.model.mwu_pvalue)
    assert math.isnan(pairs[1].mwu_pvalue_holm)
    # a family of one: Holm leaves the a–b p-value alone
    assert pairs[0].mwu_pvalue_holm == pairs[0].comparison.model.mwu_pvalue
    result = set_a_vs_set_b(records, 3, "accuracy")
    assert result["c"].set_b.n == 0 and math.isnan(result["c"].on_metric.model.a12)


def test_fewer_than_two_optimizers_make_no_pairs_and_bad_arguments_are_named() -> None:
    records = model_records({"a": 0.0})
    assert optimizer_pairs(records, 3, "accuracy") == []
    with pytest.raises(ValueError, match=r"^which:"):
        optimizer_pairs(records, 3, "accuracy", "C")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^L:"):
        set_a_vs_set_b(records, 0, "accuracy")
    with pytest.raises(ValueError, match=r"^metric:"):
        set_a_vs_set_b(records, 3, "macro_f1")


# --- undefined tests say why, in words --------------------------------------------------


def test_no_variance_is_explained_not_nan() -> None:
    result = compare_samples([1.0] * 4, [1.0] * 3)
    assert math.isnan(result.student_pvalue) and math.isnan(result.welch_pvalue)
    for field in ("student_pvalue", "student_statistic", "welch_pvalue", "welch_statistic"):
        assert "neither sample varies" in result.notes[field]
        assert "every model of the first is 1" in result.notes[field]
    assert "mwu_pvalue" not in result.notes  # defined: p = 1
    # every NaN field of the result has a note, and no defined field has one
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, float) and math.isnan(value):
            assert field.name in result.notes, field.name
        elif field.name in result.notes:
            raise AssertionError(f"{field.name} is defined but has a note")


def test_too_few_models_are_explained() -> None:
    one_each = compare_samples([1.0], [2.0])
    assert one_each.notes["student_pvalue"] == "undefined: needs at least 3 models in all, got 2"
    assert one_each.notes["welch_pvalue"].startswith("undefined: needs at least 2 models per")
    assert "at least 2 models per sample" in one_each.notes["median_difference_low"]
    empty = compare_samples([], [1.0, 2.0])
    assert empty.notes["mwu_pvalue"] == "the first sample has no finite values"
    assert compare_samples([1.0, 2.0, 3.0], [2.0, 2.5]).notes == {}


def test_one_trajectory_a_side_explains_its_missing_trajectory_test() -> None:
    result = compare_groups([[1.0, 2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]])
    assert result.notes["trajectory_pvalue"] == (
        "undefined: needs at least 2 trajectories on each side with finite values, got 1 and 2"
    )
    assert (
        "cluster bootstrap needs at least 2 trajectories"
        in (result.model.notes["median_difference_low"])
    )
    assert math.isnan(result.model.median_difference_low)


# --- the smallest reachable p and the trajectories needed --------------------------------


def test_pvalue_floor_and_trajectories_needed_by_hand() -> None:
    assert pvalue_floor(5, paired=True) == 2 / 32
    assert pvalue_floor(5, 5, paired=False) == 2 / 252
    assert pvalue_floor(3, 2, paired=False) == 2 / 10
    assert math.isnan(pvalue_floor(1, 5, paired=False))
    # α = 0.05: pairs 2/32 = 0.0625 ≥ α at 5, 2/64 at 6; independent 2/20 at 3, 2/70 at 4
    assert trajectories_needed(0.05, paired=True) == 6
    assert trajectories_needed(0.05, paired=False) == 4
    # α = 0.01: 2/128 ≥ α, 2/256 < α; C(8,4) = 70 → 2/70 ≥ α, C(10,5) = 252 → 2/252 < α
    assert trajectories_needed(0.01, paired=True) == 8
    assert trajectories_needed(0.01, paired=False) == 5
    with pytest.raises(ValueError, match=r"^alpha:"):
        trajectories_needed(0.0, paired=True)


def test_a_comparison_states_its_floor_and_warns_when_alpha_is_out_of_reach() -> None:
    x = clusters([1.0, 2.0, 3.0, 4.0, 5.0], 10, 0.01, seed=3)
    y = [values - 0.5 for values in x]
    paired = compare_groups(x, y, paired=True)
    assert paired.trajectory_pvalue_floor == 2 / 32 and paired.trajectories_needed == 6
    assert paired.notes["floor"] == (
        "With 5 pairs of trajectories the trajectory-level test cannot give a p-value below "
        "0.0625, so it can never be significant at α = 0.05; it needs at least 6 pairs."
    )
    independent = compare_groups(x, y)
    assert independent.trajectories_needed == 4 and "floor" not in independent.notes
    assert floor_warning(5, 5, paired=False, alpha=0.05) is None
    assert "at least 5 trajectories on each side" in floor_warning(4, 4, paired=False, alpha=0.01)


# --- the cluster bootstrap in comparisons -------------------------------------------------


def test_tight_trajectories_get_a_wide_interval_not_a_pooled_one() -> None:
    # Five runs per side, each a tight cluster: 100 models a side pin the pooled median
    # down for a model-level bootstrap; resampling runs shows how little five runs say.
    x = clusters([0.0, 0.25, 0.5, 0.75, 1.0], 20, 0.01, seed=1)
    y = clusters([0.1, 0.35, 0.6, 0.85, 1.1], 20, 0.01, seed=2)
    flat = compare_samples(np.concatenate(x), np.concatenate(y))
    grouped = compare_groups(x, y)
    assert grouped.model.median_difference_resampled == "trajectories"
    assert flat.median_difference_resampled == "models"
    flat_width = flat.median_difference_high - flat.median_difference_low
    grouped_width = grouped.model.median_difference_high - grouped.model.median_difference_low
    assert grouped_width > 1.0 and flat_width < grouped_width / 2


# --- set comparisons: overlap, candidates and warnings ------------------------------------


def test_set_a_vs_set_b_reports_overlap_candidates_and_warnings() -> None:
    records = model_records({"sgd": 0.0}, trajectories=5, steps=12)
    result = set_a_vs_set_b(records, 5, "accuracy")["sgd"]
    a, b = set_a(records, 5), set_b(records, 5, "accuracy")
    shared = len(a.merge(b, on=["optimizer", "trajectory", "step"]))
    assert result.overlap == pytest.approx(shared / len(a))
    assert result.candidates is not None
    assert result.candidates.initial_models == 5 and result.candidates.candidates == 55
    assert result.candidates.fewest_per_trajectory == 11
    assert not (a["step"] == 0).any() and not (b["step"] == 0).any()
    # 11 candidates ≥ 2L = 10: no construction warning, but 5 pairs cannot reach 0.05
    assert any(w.startswith("With 5 pairs of trajectories") for w in result.warnings)
    assert not any("by construction" in w for w in result.warnings)
    if result.overlap >= 0.5:
        assert any("also in Set B" in w for w in result.warnings)
    # L = 6: 11 < 12 candidates, so the sets must share models
    short = set_a_vs_set_b(records, 6, "accuracy")["sgd"]
    assert any("share models by construction" in w for w in short.warnings)


def test_monotone_training_makes_the_sets_coincide_and_says_so() -> None:
    step = np.arange(1, 11)
    records = pd.DataFrame(
        {
            "optimizer": "sgd",
            "trajectory": np.repeat([0, 1, 2], 10),
            "step": np.tile(step, 3),
            "train_loss": np.tile(1.0 / step, 3),
            "accuracy": np.tile(step / 10.0, 3),
            "diverged": False,
        }
    )
    result = set_a_vs_set_b(records, 5, "accuracy")["sgd"]
    assert result.overlap == 1.0
    assert result.warnings[0].startswith("100% of the Set A models are also in Set B")
    assert result.on_metric.model.mwu_pvalue == 1.0


def test_comparisons_take_the_compared_column_as_a_parameter() -> None:
    records = model_records({"a": 0.0, "b": 0.1}).assign(sharpness=lambda f: 10.0 + f["train_loss"])
    on_sharpness = optimizer_pairs(records, 4, "accuracy", "A", column="sharpness")[0]
    chosen = set_a(records, 4)
    alone = compare_groups(
        by_trajectory(chosen, "a", "sharpness"), by_trajectory(chosen, "b", "sharpness")
    )
    assert on_sharpness.comparison == alone
    a, b = set_a(records, 4), set_b(records, 4, "accuracy")
    direct = compare_sets(a[a["optimizer"] == "a"], b[b["optimizer"] == "a"], "sharpness")
    assert direct == compare_groups(
        by_trajectory(a, "a", "sharpness"), by_trajectory(b, "a", "sharpness"), paired=True
    )
    correlation = rank_correlation(chosen[chosen["optimizer"] == "a"], "sharpness", "accuracy")
    assert correlation.n == 16 and correlation.note is None


def test_undefined_correlations_say_why() -> None:
    frame = pd.DataFrame({"train_loss": [0.1, 0.2, 0.3], "accuracy": [0.5, 0.5, 0.5]})
    constant = loss_metric_correlation(frame, "accuracy")
    assert constant.note == "undefined: accuracy is the same for every model, so it has no ranks"
    two = loss_metric_correlation(frame.iloc[:2], "accuracy")
    assert two.note == "undefined: needs at least 3 models with both values, got 2"
