"""Proportion intervals and distribution tests on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from shared.stats import compare_distributions, proportion_intervals


def test_wilson_interval_by_hand() -> None:
    # 5 of 10: centre (5 + z²/2)/(10 + z²) = 0.5, half width z/(10+z²)·√(10·¼ + z²/4)
    z = 1.959963984540054
    half = z / (10 + z * z) * math.sqrt(2.5 + z * z / 4)
    (five, rest) = proportion_intervals([5, 5])
    assert five.fraction == 0.5 and five.total == 10
    assert (five.low, five.high) == pytest.approx((0.5 - half, 0.5 + half), rel=1e-9)
    assert rest.count == 5


def test_empty_and_full_categories_stay_in_the_unit_interval() -> None:
    none, everything = proportion_intervals([0, 20])
    assert none.low == 0.0 and 0 < none.high < 0.2
    assert everything.high == pytest.approx(1.0) and 0.8 < everything.low < 1


def test_g_and_chi_square_by_hand() -> None:
    # [10, 0] vs [0, 10]: expected 5 in every cell
    g = compare_distributions([10, 0], [0, 10], test="g")
    assert g.statistic == pytest.approx(2 * 2 * 10 * math.log(2))
    assert g.dof == 1
    chi2 = compare_distributions([10, 0], [0, 10], test="chi2")
    assert chi2.statistic == pytest.approx(20.0)
    assert chi2.pvalue == pytest.approx(math.erfc(math.sqrt(10)))  # χ²₁ tail at 20


def test_categories_empty_in_both_are_dropped_and_identical_is_p_one() -> None:
    assert compare_distributions([3, 0, 7], [6, 0, 14]).dof == 1
    same = compare_distributions([0, 12, 0], [0, 30, 0])
    assert (same.statistic, same.pvalue) == (0.0, 1.0)


def test_bad_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="counts"):
        proportion_intervals([0, 0])
    with pytest.raises(ValueError, match="counts"):
        compare_distributions([0, 0], [1, 2])
    with pytest.raises(ValueError, match="test"):
        compare_distributions([1, 2], [1, 2], test="fisher")


def test_holm_by_hand_and_against_statsmodels() -> None:
    import numpy as np
    from statsmodels.stats.multitest import multipletests

    from shared.stats.corrections import holm

    # sorted 0.01, 0.02, 0.04 → ×3, ×2, ×1 = 0.03, 0.04, 0.04 (monotone)
    assert holm([0.04, 0.01, 0.02]).tolist() == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, 0.6]).tolist() == [1.0, 1.0]
    assert holm([]).size == 0
    rng = np.random.default_rng(0)
    for size in (1, 2, 7, 28):
        p = rng.uniform(0, 0.2, size) ** 2
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1])
