"""Paired categorical outcomes: does optimizer A send restarts elsewhere than B does?

Restart r of every optimizer starts from the same point, so two optimizers' outcomes
form a k×k table: ``table[i, j]`` restarts ended in category i under A and j under B.
If the two optimizers have the same stationary distribution *and* the pairing carries
no direction, the table is symmetric (``table[i, j]`` ≈ ``table[j, i]``). Bowker's
symmetry test checks that; it only looks at discordant restarts (off the diagonal), so it
is far more sensitive than an unpaired test when most restarts agree.

Bowker's statistic is Σ_{i<j} (n_ij − n_ji)² / (n_ij + n_ji), asymptotically χ² with one
degree of freedom per pair of categories (statsmodels' ``SquareTable.symmetry``). When
cells are small (any discordant pair with fewer than ``SMALL_PAIR`` restarts) the χ²
approximation is poor, and the p-value is the exact conditional one instead: given each
pair's total n_ij + n_ji, under symmetry n_ij ~ Binomial(n_ij + n_ji, ½) independently
across pairs, and the p-value is P(statistic ≥ observed) under that law, by full
enumeration when it is small enough, else by a seeded Monte Carlo draw of the same law
(``MONTE_CARLO_DRAWS`` tables). With two categories the exact test is McNemar's exact
(binomial) test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import SquareTable

#: A discordant pair of categories with fewer restarts than this makes the test exact.
SMALL_PAIR = 10
#: Full enumeration of the exact law when it has at most this many tables.
ENUMERATION_LIMIT = 200_000
MONTE_CARLO_DRAWS = 20_000
MONTE_CARLO_SEED = 20240601


@dataclass(frozen=True)
class PairedTest:
    """Bowker's symmetry test on the paired table of two optimizers' outcomes.

    ``method``: ``bowker`` (χ² approximation), ``exact`` (enumerated conditional law),
    ``monte_carlo`` (the same law, sampled) or ``none`` (no discordant restart).
    ``agreement``: the fraction of restarts that end in the same category under both.
    """

    method: str
    statistic: float
    dof: int
    pvalue: float
    agreement: float
    discordant: int
    restarts: int


def paired_table(a: np.ndarray, b: np.ndarray, categories: int) -> np.ndarray:
    """The k×k table of paired outcomes; ``a`` and ``b`` hold category indices 0..k−1."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("paired outcomes: two equally long 1-D arrays expected")
    return np.bincount(a * categories + b, minlength=categories * categories).reshape(
        categories, categories
    )


def _bowker(table: np.ndarray) -> tuple[float, int, float]:
    result = SquareTable(table, shift_zeros=False).symmetry()
    return float(result.statistic), int(result.df), float(result.pvalue)


def _exact_pvalue(totals: np.ndarray, observed: float) -> tuple[str, float]:
    """P(Σ (2K_p − n_p)²/n_p ≥ observed), K_p ~ Binomial(n_p, ½) independent."""
    tolerance = 1e-9 * max(1.0, observed)
    if np.prod(totals.astype(float) + 1) <= ENUMERATION_LIMIT:
        values, probabilities = np.zeros(1), np.ones(1)
        for n in totals:
            k = np.arange(n + 1)
            contribution = (2 * k - n) ** 2 / n
            weight = stats.binom.pmf(k, n, 0.5)
            values = (values[:, None] + contribution[None, :]).ravel()
            probabilities = (probabilities[:, None] * weight[None, :]).ravel()
        return "exact", float(min(1.0, probabilities[values >= observed - tolerance].sum()))
    rng = np.random.default_rng(MONTE_CARLO_SEED)
    draws = rng.binomial(totals, 0.5, size=(MONTE_CARLO_DRAWS, totals.size))
    simulated = ((2 * draws - totals) ** 2 / totals).sum(axis=1)
    hits = int((simulated >= observed - tolerance).sum())
    return "monte_carlo", (hits + 1) / (MONTE_CARLO_DRAWS + 1)


def symmetry_test(a: np.ndarray, b: np.ndarray, categories: int) -> PairedTest:
    """Bowker's test (exact when cells are small) of two paired category sequences."""
    table = paired_table(a, b, categories)
    restarts = int(table.sum())
    if restarts == 0:
        raise ValueError("paired outcomes: no restarts")
    agreement = float(np.trace(table)) / restarts
    upper = np.triu_indices(categories, 1)
    totals = (table + table.T)[upper]
    discordant = int(totals.sum())
    if discordant == 0:
        return PairedTest("none", 0.0, 0, 1.0, agreement, 0, restarts)
    # Categories nobody reached under either optimizer carry no information.
    used = (table.sum(axis=0) + table.sum(axis=1)) > 0
    statistic, dof, pvalue = _bowker(table[np.ix_(used, used)])
    nonempty = totals[totals > 0]
    method = "bowker"
    if nonempty.min() < SMALL_PAIR:
        method, pvalue = _exact_pvalue(nonempty, statistic)
    return PairedTest(method, statistic, dof, pvalue, agreement, discordant, restarts)
