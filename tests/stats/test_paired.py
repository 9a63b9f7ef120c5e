"""Bowker's symmetry test on paired outcomes, exact when cells are small."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import SquareTable

from shared.stats import paired
from shared.stats.paired import paired_table, symmetry_test
from shared.stats.proportions import compare_distributions


def outcomes(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paired category sequences with the given k×k table."""
    k = table.shape[0]
    a, b = np.divmod(np.repeat(np.arange(k * k), table.ravel()), k)
    return a, b


def test_paired_table_counts_each_restart_once() -> None:
    a, b = np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 0, 2])
    assert paired_table(a, b, 3).tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]


def test_large_cells_use_bowker_as_statsmodels_computes_it() -> None:
    table = np.array([[200, 30, 12], [14, 150, 25], [20, 11, 80]])
    result = symmetry_test(*outcomes(table), 3)
    expected = SquareTable(table, shift_zeros=False).symmetry()
    assert result.method == "bowker"
    assert result.statistic == pytest.approx(expected.statistic)
    by_hand = sum(
        (table[i, j] - table[j, i]) ** 2 / (table[i, j] + table[j, i])
        for i, j in [(0, 1), (0, 2), (1, 2)]
    )
    assert result.statistic == pytest.approx(by_hand)
    assert result.dof == 3
    assert result.pvalue == pytest.approx(stats.chi2.sf(by_hand, 3))
    assert result.agreement == pytest.approx(430 / table.sum())
    assert result.discordant == table.sum() - 430


@pytest.mark.parametrize(("up", "down"), [(7, 1), (0, 6), (3, 3), (6, 2)])
def test_two_categories_small_cells_is_mcnemars_exact_test(up: int, down: int) -> None:
    table = np.array([[40, up], [down, 50]])
    result = symmetry_test(*outcomes(table), 2)
    assert result.method == "exact"
    assert result.pvalue == pytest.approx(stats.binomtest(up, up + down).pvalue, rel=1e-9)


def test_monte_carlo_agrees_with_enumeration(monkeypatch: pytest.MonkeyPatch) -> None:
    table = np.array([[60, 5, 2, 0], [1, 70, 4, 3], [6, 1, 40, 2], [0, 0, 8, 30]])
    exact = symmetry_test(*outcomes(table), 4)
    assert exact.method == "exact"
    monkeypatch.setattr(paired, "ENUMERATION_LIMIT", 1)
    sampled = symmetry_test(*outcomes(table), 4)
    assert sampled.method == "monte_carlo"
    assert sampled.pvalue == pytest.approx(exact.pvalue, abs=0.01)
    assert sampled.statistic == exact.statistic


def test_no_discordant_restart_means_p_one() -> None:
    result = symmetry_test(np.array([0, 1, 2, 2]), np.array([0, 1, 2, 2]), 3)
    assert (result.method, result.pvalue, result.agreement, result.discordant) == (
        "none",
        1.0,
        1.0,
        0,
    )


def test_pairing_sees_a_shift_the_unpaired_test_misses() -> None:
    """480 of 500 restarts agree; the other 20 all move from basin 0 to basin 1."""
    table = np.array([[240, 20], [0, 240]])
    a, b = outcomes(table)
    unpaired = compare_distributions(np.bincount(a).tolist(), np.bincount(b).tolist())
    result = symmetry_test(a, b, 2)
    assert unpaired.pvalue > 0.05
    assert result.pvalue < 1e-5


def test_unequal_lengths_are_an_error() -> None:
    with pytest.raises(ValueError, match="equally long"):
        symmetry_test(np.array([0, 1]), np.array([0]), 2)
