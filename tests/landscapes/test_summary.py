"""One summary of a function's stationary distributions, with its pair tests."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from shared.landscapes import landscape
from shared.landscapes.basins import BasinAssignment
from shared.landscapes.summary import summarize_distribution
from shared.stats.paired import symmetry_test
from shared.stats.proportions import compare_distributions


def assignment(basins: list[int], converged: list[bool] | None = None) -> BasinAssignment:
    b = np.array(basins)
    c = np.array(converged if converged is not None else [x >= 0 for x in basins])
    zeros = np.zeros(b.size, dtype=np.int64)
    return BasinAssignment("basin", b, c, zeros, zeros + 2)


def test_counts_fractions_converged_and_every_pair_with_holm() -> None:
    minima = landscape("himmelblau").minima  # four minima: G1..G4, then else
    rng = np.random.default_rng(0)
    data = {
        "a": rng.integers(-1, 4, 200).tolist(),
        "b": rng.integers(-1, 4, 200).tolist(),
        "c": [0] * 150 + [1] * 50,
    }
    summary = summarize_distribution(minima, {k: assignment(v) for k, v in data.items()})
    assert summary.labels == ["G1", "G2", "G3", "G4", "else"]
    c = summary.optimizers[2]
    assert c.counts == {"G1": 150, "G2": 50, "G3": 0, "G4": 0, "else": 0}
    assert c.fractions["G1"] == 0.75 and c.converged["G1"] == 150
    assert c.polish_gradient_evaluations_per_restart == 2.0
    pairs = {(p.a, p.b): p for p in summary.pairs}
    assert list(pairs) == [("a", "b"), ("a", "c"), ("b", "c")]
    index = {k: np.where(np.array(v) >= 0, v, 4) for k, v in data.items()}
    for (a, b), pair in pairs.items():
        expected = compare_distributions(
            np.bincount(index[a], minlength=5).tolist(), np.bincount(index[b], minlength=5).tolist()
        )
        assert pair.pvalue == pytest.approx(expected.pvalue)
        assert pair.paired == symmetry_test(index[a], index[b], 5)
        assert pair.agreement == pytest.approx((index[a] == index[b]).mean())
    unpaired = [p.pvalue for p in summary.pairs]
    paired = [p.paired.pvalue for p in summary.pairs]
    holm = multipletests(unpaired, method="holm")[1]
    assert [p.pvalue_holm for p in summary.pairs] == pytest.approx(holm)
    holm = multipletests(paired, method="holm")[1]
    assert [p.paired_pvalue_holm for p in summary.pairs] == pytest.approx(holm)


def test_not_converged_is_counted_in_the_basin_but_not_as_converged() -> None:
    minima = landscape("himmelblau").minima
    summary = summarize_distribution(
        minima, {"sam": assignment([3, 3, 3, -1], [True, False, False, False])}
    )
    (sam,) = summary.optimizers
    assert sam.counts["G4"] == 3 and sam.converged["G4"] == 1 and sam.counts["else"] == 1


def test_unequal_restarts_have_no_paired_test() -> None:
    minima = landscape("himmelblau").minima
    summary = summarize_distribution(minima, {"a": assignment([0, 1]), "b": assignment([0])})
    (pair,) = summary.pairs
    assert pair.paired is None and pair.agreement is None and pair.paired_pvalue_holm is None
