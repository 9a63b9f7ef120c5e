"""Paired categorical outcomes: does optimizer A send restarts elsewhere than B does?

Restart r of every optimizer starts from the same point, so two optimizers' outcomes
form a k×k table: ``table[i, j]`` restarts ended in category i under A and j under B.
If the two optimizers have the same stationary distribution *and* the pairing carries
no direction, the table is symmetric (``table[i, j]`` ≈ ``table[j, i]``). Bowker's
symmetry test checks that; it only looks at discordant restarts (off the diagonal), so it
is far more sensitive than an unpaired test when most restarts agree.

Bowker's statistic is Σ (n_ij − n_ji)² / (n_ij + n_ji) over the pairs of categories with
at least one discordant restart; a pair nobody moved between contributes nothing and
carries no degree of freedom, so df counts only those pairs (statsmodels'
``SquareTable.symmetry`` counts every pair of a category that appears anywhere, which
turns p = 0.016 into 0.088 when two of three basins exchange restarts).

Which p-value (the rule is checked against the exact law on a grid of tables in the
tests):

* ``exact``: the conditional law given each pair's total n_p: under symmetry the split
  K_p ~ Binomial(n_p, ½), independently across pairs, and p = P(statistic ≥ observed).
  It is computed exactly whenever the law can be enumerated, which with a meet-in-the-
  middle split of the pairs covers up to ``ENUMERATION_LIMIT``² tables (one pair of any
  size, three pairs of up to 2,000 restarts each): almost every table a study produces.
  With two categories this is McNemar's exact test. The same law throughout means no
  jump where a rule would switch: a more lopsided table never gets a larger p.
* ``bowker`` (χ² with df = discordant pairs): only when the law is too large to
  enumerate *and* every discordant pair has at least ``LARGE_PAIR`` restarts, where the χ²
  tail is within a few per cent of the exact one.
* ``monte_carlo``: otherwise, ``MONTE_CARLO_DRAWS`` seeded draws of the exact law; its
  standard error is reported (``pvalue_standard_error``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Largest half of the enumerated law (values per side of the meet-in-the-middle split).
ENUMERATION_LIMIT = 1 << 16
#: Every discordant pair needs this many restarts before χ² replaces the exact law.
LARGE_PAIR = 50
MONTE_CARLO_DRAWS = 20_000
MONTE_CARLO_SEED = 20240601


@dataclass(frozen=True)
class PairedTest:
    """Bowker's symmetry test on the paired table of two optimizers' outcomes.

    ``method``: ``exact`` (the enumerated conditional law), ``bowker`` (χ²
    approximation), ``monte_carlo`` (the conditional law, sampled) or ``none`` (no
    discordant restart). ``dof``: pairs of categories with a discordant restart.
    ``agreement``: the fraction of restarts that end in the same category under both.
    """

    method: str
    statistic: float
    dof: int
    pvalue: float
    agreement: float
    discordant: int
    restarts: int
    pvalue_standard_error: float | None = None
    """The Monte Carlo p-value's standard error; None for the other methods."""


def paired_table(a: np.ndarray, b: np.ndarray, categories: int) -> np.ndarray:
    """The k×k table of paired outcomes; ``a`` and ``b`` hold category indices 0..k−1."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("paired outcomes: two equally long 1-D arrays expected")
    return np.bincount(a * categories + b, minlength=categories * categories).reshape(
        categories, categories
    )


def bowker_statistic(upper: np.ndarray, lower: np.ndarray) -> float:
    """Σ (u − l)² / (u + l) over the pairs with u + l > 0."""
    totals = upper + lower
    used = totals > 0
    return float(((upper[used] - lower[used]) ** 2 / totals[used]).sum())


def _pair_law(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The law of (2K − n)²/n, K ~ Binomial(n, ½), on its distinct values (K and n − K
    give the same one)."""
    k = np.arange(n // 2 + 1)
    probabilities = 2 * stats.binom.pmf(k, n, 0.5)
    if n % 2 == 0:
        probabilities[-1] /= 2  # K = n/2 is its own mirror
    return (n - 2 * k) ** 2 / n, probabilities


def _joint_law(laws: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    values, probabilities = np.zeros(1), np.ones(1)
    for pair_values, pair_probabilities in laws:
        values = (values[:, None] + pair_values[None, :]).ravel()
        probabilities = (probabilities[:, None] * pair_probabilities[None, :]).ravel()
    return values, probabilities


def _split(totals: np.ndarray) -> tuple[list[int], list[int]] | None:
    """Pairs in two groups whose laws each have at most ``ENUMERATION_LIMIT`` values
    (largest first, each to the smaller group), or None when no such split is found."""
    sizes = [n // 2 + 1 for n in totals]
    groups: tuple[list[int], list[int]] = ([], [])
    products = [1, 1]
    for index in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        side = 0 if products[0] <= products[1] else 1
        groups[side].append(index)
        products[side] *= sizes[index]
    return groups if max(products) <= ENUMERATION_LIMIT else None


def exact_pvalue(totals: np.ndarray, observed: float) -> float | None:
    """P(Σ (2K_p − n_p)²/n_p ≥ observed), K_p ~ Binomial(n_p, ½) independent, by
    enumeration (meet in the middle: one group's law sorted, the other's values looked
    up in it); None when the law is too large to enumerate."""
    groups = _split(totals)
    if groups is None:
        return None
    tolerance = 1e-9 * max(1.0, observed)
    first, second = (_joint_law([_pair_law(int(totals[i])) for i in g]) for g in groups)
    order = np.argsort(second[0])
    values, tail = second[0][order], np.cumsum(second[1][order][::-1])[::-1]
    # For each value v of the first group: P(second ≥ observed − v).
    start = np.searchsorted(values, observed - first[0] - tolerance, side="left")
    reachable = start < values.size
    pvalue = float((first[1][reachable] * tail[start[reachable]]).sum())
    return min(1.0, pvalue)


def monte_carlo_pvalue(totals: np.ndarray, observed: float) -> tuple[float, float]:
    """The same tail probability from ``MONTE_CARLO_DRAWS`` seeded draws of the law:
    (hits + 1)/(draws + 1), and its standard error."""
    tolerance = 1e-9 * max(1.0, observed)
    rng = np.random.default_rng(MONTE_CARLO_SEED)
    draws = rng.binomial(totals, 0.5, size=(MONTE_CARLO_DRAWS, totals.size))
    simulated = ((2 * draws - totals) ** 2 / totals).sum(axis=1)
    hits = int((simulated >= observed - tolerance).sum())
    pvalue = (hits + 1) / (MONTE_CARLO_DRAWS + 1)
    return pvalue, math.sqrt(pvalue * (1 - pvalue) / MONTE_CARLO_DRAWS)


def symmetry_test(a: np.ndarray, b: np.ndarray, categories: int) -> PairedTest:
    """Bowker's test of two paired category sequences, exact whenever it can be (see the
    module docstring for the rule)."""
    table = paired_table(a, b, categories)
    restarts = int(table.sum())
    if restarts == 0:
        raise ValueError("paired outcomes: no restarts")
    agreement = float(np.trace(table)) / restarts
    upper_index = np.triu_indices(categories, 1)
    upper, lower = table[upper_index], table.T[upper_index]
    totals = upper + lower
    discordant = int(totals.sum())
    if discordant == 0:
        return PairedTest("none", 0.0, 0, 1.0, agreement, 0, restarts)
    statistic = bowker_statistic(upper, lower)
    nonempty = totals[totals > 0]
    dof = int(nonempty.size)
    exact = exact_pvalue(nonempty, statistic)
    if exact is not None:
        return PairedTest("exact", statistic, dof, exact, agreement, discordant, restarts)
    if nonempty.min() >= LARGE_PAIR:
        pvalue = float(stats.chi2.sf(statistic, dof))
        return PairedTest("bowker", statistic, dof, pvalue, agreement, discordant, restarts)
    pvalue, error = monte_carlo_pvalue(nonempty, statistic)
    return PairedTest("monte_carlo", statistic, dof, pvalue, agreement, discordant, restarts, error)
