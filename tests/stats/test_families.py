"""Verdicts beside Holm-adjusted p-values use Holm-adjusted p-values, and a family that
cannot reach α after Holm says so."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from shared.stats.corrections import holm_finite
from shared.stats.families import pair_family
from shared.stats.set_comparisons import optimizer_pairs
from shared.stats.trajectory_level import pvalue_floor
from tests.api.test_plan_answer import six_optimizer_pilot


def test_six_optimizers_by_five_trajectories_cannot_reach_alpha_after_holm() -> None:
    pairs = optimizer_pairs(six_optimizer_pilot(), 3, "accuracy", "A", alpha=0.05)
    assert len(pairs) == 15
    family = pair_family(pairs, 0.05)
    assert family.pairs == 15
    assert family.trajectory_pvalue_floor_holm == pytest.approx(15 * 2 / 252)  # 0.119
    assert family.trajectories_needed_holm == 6
    assert "no pair can reach a trajectory-level p below 15 × 0.00794 = 0.119" in (family.warning)
    assert "at least 6 trajectories on each side" in family.warning
    # And indeed no adjusted trajectory p is below it.
    assert min(p.trajectory_pvalue_holm for p in pairs) >= family.trajectory_pvalue_floor_holm


def test_a_family_that_can_reach_alpha_has_no_warning() -> None:
    records = six_optimizer_pilot(trajectories=8)
    records = records[records["optimizer"].isin(["sam", "sgd", "nig_bh"])]
    family = pair_family(optimizer_pairs(records, 3, "accuracy", "A"), 0.05)
    assert family.pairs == 3
    assert family.trajectory_pvalue_floor_holm == pytest.approx(
        3 * pvalue_floor(8, 8, paired=False)
    )
    assert family.warning is None


def test_disagree_holm_compares_the_adjusted_p_values() -> None:
    """The laptop example's case: the model-level Holm p is tiny while the trajectory-level
    Holm p cannot go below 0.12; the raw p-values may both be below α (no disagreement)
    while the adjusted ones disagree."""
    rng = np.random.default_rng(7)
    rows = []
    for shift, optimizer in enumerate(["a", "b", "c", "d", "e", "f"]):
        for trajectory in range(5):
            for step in range(1, 11):
                rows.append(
                    {
                        "optimizer": optimizer,
                        "trajectory": trajectory,
                        "step": step,
                        "train_loss": 1.0 / step,
                        "accuracy": 0.8 + 0.02 * shift + 0.001 * rng.standard_normal(),
                        "diverged": False,
                    }
                )
    pairs = optimizer_pairs(pd.DataFrame(rows), 5, "accuracy", "A", alpha=0.05)
    raw_mwu = [p.comparison.model.mwu_pvalue for p in pairs]
    raw_trajectory = [p.comparison.trajectory_pvalue for p in pairs]
    for pair, mwu, trajectory in zip(
        pairs, holm_finite(raw_mwu), holm_finite(raw_trajectory), strict=True
    ):
        assert pair.mwu_pvalue_holm == pytest.approx(mwu)
        expected = (mwu < 0.05) != (trajectory < 0.05)
        assert pair.disagree_holm == expected
    far = next(p for p in pairs if (p.optimizer1, p.optimizer2) == ("a", "f"))
    assert far.comparison.trajectory_pvalue < 0.05 and far.comparison.model.mwu_pvalue < 0.05
    assert not far.comparison.disagree  # raw: both significant
    assert far.mwu_pvalue_holm < 0.05 <= far.trajectory_pvalue_holm
    assert far.disagree_holm  # adjusted: only the model level is


def test_untested_pairs_do_not_count() -> None:
    records = six_optimizer_pilot()
    records = records[(records["optimizer"] != "sgd") | (records["trajectory"] == 0)]
    pairs = optimizer_pairs(records, 3, "accuracy", "A")
    family = pair_family(pairs, 0.05)
    assert family.pairs == 10  # the 5 pairs with sgd (1 trajectory) are not tested
    assert sum(math.isnan(p.comparison.trajectory_pvalue) for p in pairs) == 5
