"""Bowker's symmetry test on paired outcomes: df over discordant pairs only, the exact
conditional law wherever it can be enumerated, checked against brute force."""

from __future__ import annotations

import itertools

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


def brute_force_pvalue(upper: np.ndarray, lower: np.ndarray) -> float:
    """The exact conditional p by listing every split of every discordant pair."""
    totals = (upper + lower)[(upper + lower) > 0]
    observed = float((((upper - lower) ** 2) / np.maximum(upper + lower, 1)).sum())
    pvalue = 0.0
    for splits in itertools.product(*(range(n + 1) for n in totals)):
        k = np.array(splits)
        value = float(((2 * k - totals) ** 2 / totals).sum())
        if value >= observed - 1e-9:
            pvalue += float(np.prod(stats.binom.pmf(k, totals, 0.5)))
    return pvalue


def test_bowker_statistic_as_statsmodels_computes_it_with_df_over_discordant_pairs() -> None:
    table = np.array([[200, 30, 12], [14, 150, 25], [20, 11, 80]])
    result = symmetry_test(*outcomes(table), 3)
    expected = SquareTable(table, shift_zeros=False).symmetry()
    assert result.statistic == pytest.approx(expected.statistic)
    by_hand = sum(
        (table[i, j] - table[j, i]) ** 2 / (table[i, j] + table[j, i])
        for i, j in [(0, 1), (0, 2), (1, 2)]
    )
    assert result.statistic == pytest.approx(by_hand)
    assert result.dof == 3 and result.method == "exact"  # three pairs: enumerable
    assert result.agreement == pytest.approx(430 / table.sum())
    assert result.discordant == table.sum() - 430


def test_empty_category_pairs_carry_no_degree_of_freedom() -> None:
    """Three basins, restarts moving only between the first two (the review's table):
    df = 1 and the exact p = 0.016, not χ²(3)'s 0.088."""
    table = np.array([[50, 9, 0], [1, 40, 0], [0, 0, 30]])
    result = symmetry_test(*outcomes(table), 3)
    assert result.dof == 1 and result.method == "exact"
    assert result.pvalue == pytest.approx(stats.binomtest(9, 10).pvalue, rel=1e-9)
    assert result.pvalue == pytest.approx(0.0215, abs=1e-4)
    table = np.array([[50, 7, 0], [0, 40, 0], [0, 0, 30]])
    assert symmetry_test(*outcomes(table), 3).pvalue == pytest.approx(2 / 2**7)
    assert SquareTable(table, shift_zeros=False).symmetry().df == 3  # what it used to use


@pytest.mark.parametrize(
    "table",
    [
        [[9, 4, 1], [0, 7, 2], [3, 5, 6]],
        [[0, 6, 2, 1], [1, 0, 0, 3], [5, 0, 0, 2], [0, 1, 0, 0]],
        [[3, 12, 0], [2, 5, 1], [0, 6, 4]],
        [[1, 0, 4], [0, 2, 0], [4, 0, 1]],
    ],
)
def test_exact_pvalue_equals_brute_force_enumeration(table) -> None:
    table = np.array(table)
    upper_index = np.triu_indices(len(table), 1)
    expected = brute_force_pvalue(table[upper_index], table.T[upper_index])
    result = symmetry_test(*outcomes(table), len(table))
    assert result.method == "exact"
    assert result.pvalue == pytest.approx(expected, rel=1e-9)


def test_the_chi2_rule_holds_on_a_grid_of_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """χ² is used only for tables too large to enumerate whose every discordant pair has
    ``LARGE_PAIR`` restarts or more. Where that rule would apply (7 pairs of 50–70), the
    exact law, enumerated here with a larger limit, is within 0.005 of χ²'s tail (and
    within 40% of it down to p = 1e-5)."""
    rng = np.random.default_rng(11)
    for _ in range(8):
        totals = rng.integers(paired.LARGE_PAIR, paired.LARGE_PAIR + 20, 7)
        upper = rng.binomial(totals, rng.uniform(0.5, 0.62))
        lower = totals - upper
        chi2 = stats.chi2.sf(paired.bowker_statistic(upper, lower), 7)
        assert paired.exact_pvalue(totals, paired.bowker_statistic(upper, lower)) is None
        monkeypatch.setattr(paired, "ENUMERATION_LIMIT", 1 << 22)
        exact = paired.exact_pvalue(totals, paired.bowker_statistic(upper, lower))
        monkeypatch.undo()
        assert abs(chi2 - exact) < 0.005
        if exact > 1e-5:
            assert chi2 == pytest.approx(exact, rel=0.4)


@pytest.mark.parametrize("limit", [paired.ENUMERATION_LIMIT, 30, 12])
def test_a_more_lopsided_table_never_gets_a_larger_p(limit, monkeypatch) -> None:
    """Moving a restart of a pair from its minority to its majority never raises p, and
    neither does adding restarts to the majority of a lopsided pair (at least twice the
    minority: near balance the exact law's discreteness rightly decides), across the
    switch from the enumerated law to χ² or Monte Carlo (moved to small counts here by
    lowering the enumeration limit). χ² is allowed its tail error (1e-6) and Monte Carlo
    three standard errors."""
    monkeypatch.setattr(paired, "ENUMERATION_LIMIT", limit)
    for other in ((0, 0), (40, 22), (60, 50)):
        previous, methods = None, []
        for k in range(6, 130):
            table = np.array([[100, k, other[0]], [3, 100, 0], [other[1], 0, 100]])
            result = symmetry_test(*outcomes(table), 3)
            methods.append(result.method)
            slack = 3 * (result.pvalue_standard_error or 0.0)
            slack += 1e-6 if "bowker" in methods[-2:] else 0.0
            if previous is not None:
                assert result.pvalue <= previous.pvalue + slack, (limit, other, k)
            moved = table.copy()
            moved[0, 1], moved[1, 0] = k + 1, 2
            assert symmetry_test(*outcomes(moved), 3).pvalue <= result.pvalue + slack
            previous = result
        if limit < paired.ENUMERATION_LIMIT:
            assert len(set(methods)) > 1  # the path does cross a switch


@pytest.mark.parametrize(("up", "down"), [(7, 1), (0, 6), (3, 3), (6, 2)])
def test_two_categories_small_cells_is_mcnemars_exact_test(up: int, down: int) -> None:
    table = np.array([[40, up], [down, 50]])
    result = symmetry_test(*outcomes(table), 2)
    assert result.method == "exact"
    assert result.pvalue == pytest.approx(stats.binomtest(up, up + down).pvalue, rel=1e-9)


def test_monte_carlo_agrees_with_enumeration(monkeypatch: pytest.MonkeyPatch) -> None:
    table = np.array([[60, 5, 2, 0], [1, 70, 4, 3], [6, 1, 40, 2], [0, 0, 8, 30]])
    exact = symmetry_test(*outcomes(table), 4)
    assert exact.method == "exact" and exact.pvalue_standard_error is None
    monkeypatch.setattr(paired, "ENUMERATION_LIMIT", 1)
    sampled = symmetry_test(*outcomes(table), 4)
    assert sampled.method == "monte_carlo"
    assert sampled.pvalue_standard_error == pytest.approx(
        np.sqrt(sampled.pvalue * (1 - sampled.pvalue) / paired.MONTE_CARLO_DRAWS)
    )
    assert abs(sampled.pvalue - exact.pvalue) < 4 * sampled.pvalue_standard_error
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
