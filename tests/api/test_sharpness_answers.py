"""The set-comparison and optimizer-comparison answers carry ``on_sharpness`` when the
records hold sharpness, validate against their response models, and say null otherwise."""

from __future__ import annotations

import pytest
from scipy import stats

from api.schemas.training import OptimizerComparisons, SetComparisons
from api.services.populations import optimizer_comparison_answer, set_comparison_answer
from shared.stats.populations import set_a
from shared.tasks.metrics import ACCURACY
from tests.stats.test_sharpness import overfitting_records


def test_set_comparison_answer_on_sharpness() -> None:
    records = overfitting_records()
    answer = SetComparisons.model_validate(set_comparison_answer(records, 10, ACCURACY, 0.05))
    assert answer.on_sharpness is not None and set(answer.on_sharpness) == {"sam", "sgd"}
    sgd = answer.on_sharpness["sgd"]
    assert sgd.set_a.median > sgd.set_b.median  # the late, low-loss models are sharper
    assert sgd.on_sharpness.model.mwu_pvalue < 1e-6
    assert sgd.set_a_correlation.n == 50 and sgd.set_a_correlation.rho < 0
    dumped = answer.model_dump(mode="json")
    assert dumped["on_sharpness"]["sgd"]["on_sharpness"]["trajectory_pvalue_floor"] == (
        pytest.approx(2 / 2**5)
    )


def test_optimizer_comparison_answer_on_sharpness() -> None:
    records = overfitting_records()
    raw = optimizer_comparison_answer(records, 10, ACCURACY, "A", 0.05)
    answer = OptimizerComparisons.model_validate(raw)
    assert answer.on_sharpness is not None and answer.on_sharpness.which == "A"
    pair = answer.on_sharpness.pairs[0]
    chosen = set_a(records, 10)
    sam, sgd = (chosen[chosen["optimizer"] == o]["sharpness"] for o in ("sam", "sgd"))
    assert pair.comparison.model.mwu_pvalue == pytest.approx(
        stats.mannwhitneyu(sam, sgd, alternative="two-sided").pvalue
    )
    assert set(answer.on_sharpness.correlations) == {"sam", "sgd"}


def test_no_sharpness_measured_answers_null() -> None:
    records = overfitting_records()
    records["sharpness"] = float("nan")
    assert set_comparison_answer(records, 10, ACCURACY, 0.05)["on_sharpness"] is None
    plain = records.drop(columns="sharpness")
    answer = optimizer_comparison_answer(plain, 10, ACCURACY, "B", 0.05)
    assert OptimizerComparisons.model_validate(answer).on_sharpness is None


def test_unconverged_sharpness_is_counted_in_candidates_and_left_out() -> None:
    records = overfitting_records()
    records["sharpness_converged"] = records.index % 5 != 2
    raw = set_comparison_answer(records, 10, ACCURACY, 0.05)
    answer = SetComparisons.model_validate(raw)
    sgd = records.query("optimizer == 'sgd' and step > 0")
    expected = int((~sgd["sharpness_converged"]).sum())
    assert answer.optimizers["sgd"].candidates.sharpness_unconverged == expected > 0
    chosen = set_a(records, 10).query("optimizer == 'sgd'")
    assert answer.on_sharpness["sgd"].set_a.n == int(chosen["sharpness_converged"].sum()) < 50
