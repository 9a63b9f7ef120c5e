"""Populations compared on sharpness: the same Set A / Set B as the metric comparisons,
checked against scipy called by hand on the selected models."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shared.stats.populations import candidate_counts, set_a, set_b
from shared.stats.sharpness import (
    sharpness_optimizer_pairs,
    sharpness_recorded,
    sharpness_set_comparisons,
)


@pytest.fixture(autouse=True)
def no_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def overfitting_records(seed: int = 0, trajectories: int = 5, points: int = 30) -> pd.DataFrame:
    """Trajectories whose training loss falls throughout while accuracy peaks mid-way;
    sharpness grows as the loss falls (late models are sharper), so Set A (late) is
    sharper than Set B (around the peak). ``sam`` is flatter everywhere."""
    rng = np.random.default_rng(seed)
    rows = []
    for optimizer, flatter in (("sam", 0.5), ("sgd", 1.0)):
        for trajectory in range(trajectories):
            for point in range(points + 1):
                progress = point / points
                rows.append(
                    {
                        "optimizer": optimizer,
                        "trajectory": trajectory,
                        "step": point * 10,
                        "train_loss": 2.0 * (1 - progress) + 0.01 * rng.random(),
                        "accuracy": 0.9 - (progress - 0.5) ** 2 + 0.01 * rng.random(),
                        "sharpness": flatter * (1 + 3 * progress) + 0.05 * rng.random(),
                        "diverged": False,
                    }
                )
    return pd.DataFrame(rows)


def test_set_a_is_sharper_than_set_b_as_scipy_says() -> None:
    records = overfitting_records()
    result = sharpness_set_comparisons(records, 10, "accuracy")
    assert list(result) == ["sam", "sgd"]
    a = set_a(records, 10).query("optimizer == 'sgd'")
    b = set_b(records, 10, "accuracy").query("optimizer == 'sgd'")
    sgd = result["sgd"]
    expected = stats.mannwhitneyu(a["sharpness"], b["sharpness"], alternative="two-sided")
    assert sgd.on_sharpness.model.mwu_pvalue == pytest.approx(expected.pvalue)
    assert sgd.on_sharpness.model.student_pvalue == pytest.approx(
        stats.ttest_ind(a["sharpness"], b["sharpness"]).pvalue
    )
    assert sgd.set_a.median == pytest.approx(a["sharpness"].median())
    assert sgd.set_b.median == pytest.approx(b["sharpness"].median())
    assert sgd.set_a.median > sgd.set_b.median and sgd.on_sharpness.model.mwu_pvalue < 1e-6
    assert sgd.on_sharpness.paired and sgd.on_sharpness.trajectories1 == 5
    # Within Set A the late (sharper) models have the lower accuracy: ρ < 0.
    rho = stats.spearmanr(a["sharpness"], a["accuracy"])
    assert sgd.set_a_correlation.rho == pytest.approx(rho.statistic)
    assert sgd.set_a_correlation.pvalue == pytest.approx(rho.pvalue)
    assert sgd.set_a_correlation.rho < 0 and sgd.set_a_correlation.n == 50
    # Candidates: everything after step 0.
    everything = records.query("optimizer == 'sgd' and step > 0")
    assert sgd.candidates_correlation.n == len(everything)
    assert sgd.candidates_correlation.rho == pytest.approx(
        stats.spearmanr(everything["sharpness"], everything["accuracy"]).statistic
    )


def test_optimizer_pairs_on_sharpness_find_the_flatter_optimizer() -> None:
    records = overfitting_records()
    answer = sharpness_optimizer_pairs(records, 10, "accuracy", "A")
    assert answer.which == "A" and len(answer.pairs) == 1
    pair = answer.pairs[0]
    a = set_a(records, 10)
    sam, sgd = (a.query(f"optimizer == '{o}'")["sharpness"] for o in ("sam", "sgd"))
    assert (pair.optimizer1, pair.optimizer2) == ("sam", "sgd")
    assert pair.comparison.model.mwu_pvalue == pytest.approx(
        stats.mannwhitneyu(sam, sgd, alternative="two-sided").pvalue
    )
    assert pair.comparison.model.median1 < pair.comparison.model.median2
    assert pair.mwu_pvalue_holm == pytest.approx(pair.comparison.model.mwu_pvalue)  # 1 pair
    assert set(answer.correlations) == {"sam", "sgd"}
    # One pair of 5 vs 5 trajectories: the family can reach α (floor 2/252).
    assert answer.family.pairs == 1 and answer.family.warning is None
    assert answer.family.trajectory_pvalue_floor_holm == pytest.approx(2 / 252)
    sam_a = a.query("optimizer == 'sam'")
    assert answer.correlations["sam"].rho == pytest.approx(
        stats.spearmanr(sam_a["sharpness"], sam_a["accuracy"]).statistic
    )


def test_unmeasured_models_are_left_out_without_changing_the_sets() -> None:
    records = overfitting_records()
    records.loc[records.index % 3 == 0, "sharpness"] = np.nan
    result = sharpness_set_comparisons(records, 10, "accuracy")["sgd"]
    a = set_a(records, 10).query("optimizer == 'sgd'")
    measured = a["sharpness"].dropna()
    assert 0 < len(measured) < 50 and result.set_a.n == len(measured)
    assert result.set_a_correlation.n == len(measured)


def test_undefined_when_sharpness_is_constant_and_refused_when_absent() -> None:
    records = overfitting_records()
    records["sharpness"] = 1.0
    result = sharpness_set_comparisons(records, 10, "accuracy")["sgd"]
    assert np.isnan(result.set_a_correlation.rho)
    assert "sharpness is the same for every model" in result.set_a_correlation.note
    with pytest.raises(ValueError, match="sharpness"):
        sharpness_set_comparisons(records.drop(columns="sharpness"), 10, "accuracy")
    with pytest.raises(ValueError, match="sharpness"):
        sharpness_optimizer_pairs(records.drop(columns="sharpness"), 10, "accuracy")


def test_sharpness_recorded() -> None:
    records = overfitting_records()
    assert sharpness_recorded(records)
    assert not sharpness_recorded(records.drop(columns="sharpness"))
    records["sharpness"] = None
    assert not sharpness_recorded(records)


def test_unconverged_estimates_are_left_out_by_default_and_counted() -> None:
    records = overfitting_records()
    records["sharpness_converged"] = True
    # Poison every fourth estimate: were it used, Set A's median would change.
    flagged = records.index % 4 == 1
    records.loc[flagged, "sharpness_converged"] = False
    records.loc[flagged, "sharpness"] = 1e6
    result = sharpness_set_comparisons(records, 10, "accuracy")["sgd"]
    a = set_a(records, 10).query("optimizer == 'sgd'")
    kept = a.loc[a["sharpness_converged"].astype(bool), "sharpness"]
    assert 0 < len(kept) < 50 and result.set_a.n == len(kept)
    assert result.set_a.median == pytest.approx(kept.median())
    pairs = sharpness_optimizer_pairs(records, 10, "accuracy", "A")
    assert pairs.pairs[0].comparison.model.n2 == len(kept)
    # Asked for, they count again (the sets themselves never change).
    everything = sharpness_set_comparisons(records, 10, "accuracy", include_unconverged=True)
    assert everything["sgd"].set_a.n == 50
    counts = candidate_counts(records)["sgd"]
    candidates = records.query("optimizer == 'sgd' and step > 0")
    assert counts.sharpness_unconverged == int((~candidates["sharpness_converged"]).sum()) > 0
    # Records from before convergence was recorded (None) are kept and not counted.
    records["sharpness_converged"] = None
    assert candidate_counts(records)["sgd"].sharpness_unconverged == 0
    assert sharpness_set_comparisons(records, 10, "accuracy")["sgd"].set_a.n == 50
