"""Learning curves: a column of the model records against gradient evaluations.

Gradient evaluations, not steps or epochs, are the common axis because optimizers spend
different numbers of gradient evaluations per step (line searches, SAM's two passes…):
curves compare at equal cost.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd

from shared.stats.populations import numeric_values

CURVE_COLUMNS = ("optimizer", "gradient_evaluations", "mean", "std", "min", "max", "n", "smoothed")


def learning_curves(records: pd.DataFrame, column: str, window: int = 1) -> pd.DataFrame:
    """Per optimizer and gradient-evaluation count, ``column`` across trajectories.

    Each trajectory counts once per point: its records at one gradient-evaluation count
    are first averaged (normally there is exactly one). Then, across trajectories,

    * ``mean``, ``std`` (ddof=1; NaN from a single trajectory), ``min``, ``max``;
    * ``n``: trajectories with a finite value there – NaN/±inf (unevaluated metrics,
      diverged losses) are left out, and a point none of them has is dropped;
    * ``smoothed``: trailing moving average of ``mean`` over the last ``window`` points of
      that optimizer, including this one (fewer at the start of the curve).

    The points are the gradient-evaluation counts the records carry; trajectories of one
    optimizer are expected to be evaluated at the same counts (the runner evaluates at
    regular points), otherwise each point sees only the trajectories evaluated there.

    Returns:
        A DataFrame with columns ``CURVE_COLUMNS``, one row per optimizer and point, sorted
        by optimizer then gradient evaluations, with a fresh ``RangeIndex``.
    """
    if not isinstance(records, pd.DataFrame):
        raise TypeError(f"records: expected a pandas DataFrame, got {type(records).__name__}")
    missing = [
        c for c in ("optimizer", "trajectory", "gradient_evaluations") if c not in records.columns
    ]
    if missing:
        raise ValueError(f"records: missing column(s) {missing}")
    if not isinstance(column, str) or column not in records.columns:
        raise ValueError(f"column: unknown column {column!r}")
    if isinstance(window, bool) or not isinstance(window, Integral) or window < 1:
        raise ValueError(f"window: expected an integer of at least 1, got {window!r}")

    values = numeric_values(records, column, "column")
    finite = np.isfinite(values)
    points = ["optimizer", "gradient_evaluations"]
    per_trajectory = (
        records.loc[finite, [*points, "trajectory"]]
        .assign(value=values[finite])
        .groupby([*points, "trajectory"], sort=False)["value"]
        .mean()
    )
    curves = (
        per_trajectory.groupby(level=points, sort=True)
        .agg(["mean", "std", "min", "max", "count"])
        .rename(columns={"count": "n"})
        .reset_index()
    )
    curves["n"] = curves["n"].astype(int)
    curves["smoothed"] = curves.groupby("optimizer", sort=False)["mean"].transform(
        lambda mean: mean.rolling(int(window), min_periods=1).mean()
    )
    return curves.loc[:, list(CURVE_COLUMNS)].reset_index(drop=True)
