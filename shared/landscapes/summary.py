"""The stationary-distribution summary of one function, and its tests between optimizers.

One function, :func:`summarize_distribution`, used by the library, the CLI and the API:
given each optimizer's basin assignment it returns counts, fractions with confidence
intervals, how many end points settled (``converged``), and for every pair of
optimizers

* the unpaired test of whether the two distributions differ (G-test or Pearson χ²),
* the paired test (Bowker's symmetry test on the paired table, exact when cells are
  small) with the restart-by-restart agreement rate, valid because restart r of every
  optimizer starts from the same point,

each family Holm-adjusted across all pairs of the function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import numpy as np

from shared.landscapes.basins import BasinAssignment
from shared.landscapes.catalog import Minimum
from shared.stats.corrections import holm
from shared.stats.paired import PairedTest, symmetry_test
from shared.stats.proportions import compare_distributions, proportion_intervals

ELSE = "else"


@dataclass(frozen=True)
class OptimizerSummary:
    """One optimizer's distribution over the minima (labels in catalog order, then
    ``else``): counts, fractions, intervals [low, high], and per minimum how many end
    points lie within the capture radius of it (``converged``)."""

    optimizer: str
    restarts: int
    counts: dict[str, int]
    fractions: dict[str, float]
    intervals: dict[str, list[float]]
    converged: dict[str, int]
    polish_gradient_evaluations_per_restart: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PairSummary:
    """Two optimizers compared: unpaired test, paired test, agreement, Holm-adjusted p."""

    a: str
    b: str
    test: str
    statistic: float
    dof: int
    pvalue: float
    pvalue_holm: float
    agreement: float | None
    paired: PairedTest | None
    paired_pvalue_holm: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DistributionSummary:
    labels: list[str]
    optimizers: list[OptimizerSummary]
    pairs: list[PairSummary]

    def as_dict(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "optimizers": [o.as_dict() for o in self.optimizers],
            "pairs": [p.as_dict() for p in self.pairs],
        }


def optimizer_summary(
    key: str, labels: list[str], assignment: BasinAssignment, confidence: float = 0.95
) -> OptimizerSummary:
    """One optimizer's counts, fractions, intervals and ``converged`` counts; ``labels``
    are the minima's then ``else``."""
    k = len(labels) - 1
    index = np.where(assignment.basins >= 0, assignment.basins, k)  # else last
    counts = np.bincount(index, minlength=k + 1)
    settled = np.bincount(index[assignment.converged], minlength=k + 1)
    intervals = proportion_intervals([int(c) for c in counts], confidence)
    return OptimizerSummary(
        optimizer=key,
        restarts=assignment.restarts,
        counts={label: int(c) for label, c in zip(labels, counts, strict=True)},
        fractions={label: i.fraction for label, i in zip(labels, intervals, strict=True)},
        intervals={label: [i.low, i.high] for label, i in zip(labels, intervals, strict=True)},
        converged={label: int(c) for label, c in zip(labels[:-1], settled[:-1], strict=True)},
        polish_gradient_evaluations_per_restart=float(
            assignment.polish_gradient_evaluations.mean()
        ),
    )


def summarize_distribution(
    minima: Sequence[Minimum],
    assignments: Mapping[str, BasinAssignment],
    *,
    confidence: float = 0.95,
    test: str = "g",
) -> DistributionSummary:
    """Every optimizer's distribution and every pair's tests (see the module).

    ``assignments`` maps optimizer keys (in display order) to their basin assignments.
    Pairs are unordered, in that order; the paired test needs equally many restarts
    (same starts), else it is ``None``.
    """
    labels = [m.label for m in minima] + [ELSE]
    k = len(minima)
    summaries = [optimizer_summary(key, labels, a, confidence) for key, a in assignments.items()]
    # Category per restart: the minimum's index, or k for ``else``.
    categories = {key: np.where(a.basins >= 0, a.basins, k) for key, a in assignments.items()}
    counts = {s.optimizer: list(s.counts.values()) for s in summaries}
    raw = []
    for ka, kb in combinations(assignments, 2):
        unpaired = compare_distributions(counts[ka], counts[kb], test)
        paired = None
        if categories[ka].shape == categories[kb].shape:
            paired = symmetry_test(categories[ka], categories[kb], k + 1)
        raw.append((ka, kb, unpaired, paired))
    unpaired_holm = holm([u.pvalue for _, _, u, _ in raw])
    paired_p = [p.pvalue for *_, p in raw if p is not None]
    paired_holm = iter(holm(paired_p))
    pairs = [
        PairSummary(
            a=ka,
            b=kb,
            test=u.test,
            statistic=u.statistic,
            dof=u.dof,
            pvalue=u.pvalue,
            pvalue_holm=float(adjusted),
            agreement=p.agreement if p is not None else None,
            paired=p,
            paired_pvalue_holm=float(next(paired_holm)) if p is not None else None,
        )
        for (ka, kb, u, p), adjusted in zip(raw, unpaired_holm, strict=True)
    ]
    return DistributionSummary(labels=labels, optimizers=summaries, pairs=pairs)
