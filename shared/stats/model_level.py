"""Model-level comparison: two samples of models treated as independent observations.

Mann–Whitney U (two-sided), Student and Welch t-tests, Vargha–Delaney A12, Cliff's δ and
the median difference. Every statistic and p-value comes from ``scipy.stats``. What a
test cannot define on the given data is NaN (``null`` in JSON), and ``notes`` says why in
words, keyed by the field: a reader never meets a bare ``nan``.

Direction: every statistic compares the first sample with the second – A12 is
P(X > Y) + ½·P(X = Y), differences are first minus second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import stats

from shared.stats.bootstrap import BOOTSTRAP_RESAMPLES, median

ArrayLike = npt.ArrayLike


@dataclass(frozen=True)
class SampleComparison:
    """Two samples of models compared as independent observations.

    ``n1``/``n2`` count the finite values used (NaN and ±inf are dropped first). Degenerate
    input never raises; what is undefined is NaN, with the reason in ``notes``:

    * an empty sample: every statistic NaN (the other sample's median and mean still given);
    * Mann–Whitney U: defined from one value per sample; all values equal gives p = 1
      (scipy's answer);
    * Student t: undefined with fewer than 3 values in all, or when neither sample varies
      (the statistic is 0/0);
    * Welch t: undefined with fewer than 2 values in a sample, or when neither varies;
    * the median-difference interval: undefined with fewer than 2 values (or, for a cluster
      bootstrap, 2 trajectories) in a sample; a point interval when both are constant.
    """

    n1: int
    n2: int
    median1: float
    median2: float
    mean1: float
    mean2: float
    mwu_statistic: float
    """U of the first sample (scipy's ``mannwhitneyu(...).statistic``)."""
    mwu_pvalue: float
    student_statistic: float
    student_pvalue: float
    welch_statistic: float
    welch_pvalue: float
    a12: float
    """Vargha–Delaney A12 = U / (n1·n2): P(X > Y) + ½·P(X = Y); 0.5 is no effect."""
    cliffs_delta: float
    """Cliff's δ = 2·A12 − 1 = P(X > Y) − P(X < Y), in [−1, 1]."""
    median_difference: float
    """median1 − median2, in the units of the compared column."""
    median_difference_low: float
    median_difference_high: float
    confidence_level: float
    median_difference_resampled: str = "models"
    """What the interval's bootstrap drew: ``"models"`` (independent values) or
    ``"trajectories"`` (whole runs, as population comparisons do)."""
    notes: dict[str, str] = field(default_factory=dict)
    """Why each undefined (NaN) statistic is undefined, keyed by its field name."""
    mwu_method: str = ""
    """How the Mann–Whitney p-value was computed: ``exact`` (the exact distribution of U)
    or ``asymptotic`` (normal approximation with tie and continuity corrections); empty
    when undefined."""
    mwu_method_reason: str = ""
    """Why that method (scipy's rule: exact only without ties and with at most 8 values
    in a sample)."""


def finite(values: ArrayLike) -> np.ndarray:
    """``values`` flattened to float64, NaN and ±inf dropped."""
    array = np.asarray(values, dtype=float).ravel()
    return array[np.isfinite(array)]


def median_or_nan(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else math.nan


def median_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """median(x) − median(y) along ``axis`` (a vectorised bootstrap statistic)."""
    return median(x, axis) - median(y, axis)


def _constant(values: np.ndarray) -> str:
    return f"{values[0]:.6g}" if values.size else "none"


def compare_samples(
    x: ArrayLike,
    y: ArrayLike,
    *,
    seed: int | None = 0,
    confidence_level: float = 0.95,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    interval: bool = True,
) -> SampleComparison:
    """Compare two 1-D samples of models (any shape is flattened).

    The interval (``interval=True``) is scipy's percentile bootstrap
    (``method="percentile"``) of median(x) − median(y) over ``n_resamples`` independent
    resamples of each sample drawn from ``seed``: right for independent values only.
    Population comparisons pass ``interval=False`` and fill in a cluster-bootstrap
    interval instead (:mod:`shared.stats.bootstrap`). The percentile method needs no
    jackknife and stays defined with the heavy ties of accuracy-like metrics, where BCa's
    acceleration can be undefined.
    """
    a, b = finite(x), finite(y)
    n1, n2 = a.size, b.size
    median1, median2 = median_or_nan(a), median_or_nan(b)
    mean1 = float(a.mean()) if n1 else math.nan
    mean2 = float(b.mean()) if n2 else math.nan
    nan = math.nan
    if n1 == 0 or n2 == 0:
        empty = "the first sample" if n1 == 0 else "the second sample"
        reason = f"{empty} has no finite values"
        names = [
            "mwu_statistic",
            "mwu_pvalue",
            "student_statistic",
            "student_pvalue",
            "welch_statistic",
            "welch_pvalue",
            "a12",
            "cliffs_delta",
            "median_difference",
            "median_difference_low",
            "median_difference_high",
        ]
        return SampleComparison(
            n1,
            n2,
            median1,
            median2,
            mean1,
            mean2,
            *([nan] * 11),
            confidence_level,
            notes=dict.fromkeys(names, reason),
        )

    notes: dict[str, str] = {}
    method, method_reason = mann_whitney_method(a, b)
    mwu = stats.mannwhitneyu(a, b, alternative="two-sided", method=method)
    a12 = float(mwu.statistic) / (n1 * n2)
    student = welch = (nan, nan)
    # scipy's ttest_ind emits RuntimeWarnings whenever a sample is constant (common for
    # accuracies), and silencing them (warnings.catch_warnings) is process-global, not
    # thread-safe in a server. So the t-tests go through ttest_ind_from_stats – the same
    # formulae, a test checks they agree – with numpy's moments.
    var1 = float(a.var(ddof=1)) if n1 > 1 else 0.0
    var2 = float(b.var(ddof=1)) if n2 > 1 else 0.0
    varies = var1 > 0 or var2 > 0
    no_variance = (
        f"undefined: neither sample varies (every model of the first is {_constant(a)}, "
        f"of the second {_constant(b)}), so the t statistic is 0/0"
    )
    with np.errstate(all="ignore"):
        if n1 + n2 < 3:
            notes["student_pvalue"] = f"undefined: needs at least 3 models in all, got {n1 + n2}"
        elif not varies:
            notes["student_pvalue"] = no_variance
        else:
            result = stats.ttest_ind_from_stats(
                mean1, math.sqrt(var1), n1, mean2, math.sqrt(var2), n2, equal_var=True
            )
            student = (float(result.statistic), float(result.pvalue))
        if n1 < 2 or n2 < 2:
            notes["welch_pvalue"] = (
                f"undefined: needs at least 2 models per sample, got {n1} and {n2}"
            )
        elif not varies:
            notes["welch_pvalue"] = no_variance
        else:
            result = stats.ttest_ind_from_stats(
                mean1, math.sqrt(var1), n1, mean2, math.sqrt(var2), n2, equal_var=False
            )
            welch = (float(result.statistic), float(result.pvalue))
    if "student_pvalue" in notes:
        notes["student_statistic"] = notes["student_pvalue"]
    if "welch_pvalue" in notes:
        notes["welch_statistic"] = notes["welch_pvalue"]

    low = high = nan
    if not interval:
        pass
    elif n1 > 1 and n2 > 1:
        bounds = stats.bootstrap(
            (a, b),
            median_difference,
            vectorized=True,
            paired=False,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            method="percentile",
            rng=seed,
        ).confidence_interval
        low, high = float(bounds.low), float(bounds.high)
    else:
        notes["median_difference_low"] = notes["median_difference_high"] = (
            f"undefined: the bootstrap needs at least 2 models per sample, got {n1} and {n2}"
        )

    return SampleComparison(
        n1=n1,
        n2=n2,
        median1=median1,
        median2=median2,
        mean1=mean1,
        mean2=mean2,
        mwu_statistic=float(mwu.statistic),
        mwu_pvalue=float(mwu.pvalue),
        student_statistic=student[0],
        student_pvalue=student[1],
        welch_statistic=welch[0],
        welch_pvalue=welch[1],
        a12=a12,
        cliffs_delta=2 * a12 - 1,
        median_difference=median1 - median2,
        median_difference_low=low,
        median_difference_high=high,
        confidence_level=confidence_level,
        notes=notes,
        mwu_method=method,
        mwu_method_reason=method_reason,
    )


def mann_whitney_method(a: np.ndarray, b: np.ndarray) -> tuple[str, str]:
    """The method scipy's ``mannwhitneyu(method="auto")`` would choose, named, with why:
    exact only without ties and with at most 8 values in one of the samples."""
    if a.size > 8 and b.size > 8:
        return "asymptotic", (
            f"{a.size} and {b.size} models, more than 8 in both: normal approximation "
            "with tie and continuity corrections"
        )
    pooled = np.concatenate([a, b])
    if np.unique(pooled).size < pooled.size:
        return "asymptotic", (
            "tied values: normal approximation with tie and continuity corrections (the "
            "exact distribution assumes no ties)"
        )
    return "exact", f"{a.size} and {b.size} untied models: the exact distribution of U"
