"""Multiple-comparison corrections."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm–Bonferroni step-down adjusted p-values, in the input order.

    Identical to ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``
    (a test checks it), which we do not call on the request path: its Holm branch runs a
    full ``gc.collect()`` per call, over 100 ms in a long-lived service process.
    """
    p = np.asarray(pvalues, dtype=float)
    if p.size == 0:
        return p
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * np.arange(p.size, 0, -1))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def holm_finite(pvalues: Sequence[float]) -> np.ndarray:
    """Holm over the finite p-values; NaN (an undefined test) stays NaN, uncounted."""
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full_like(p, np.nan)
    finite = np.isfinite(p)
    adjusted[finite] = holm(p[finite])
    return adjusted
