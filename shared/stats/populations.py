"""Set A and Set B: the populations of models an optimizer's trajectories settle into.

Model records are one row per evaluated model, with at least the columns ``optimizer``,
``trajectory``, ``step`` and ``train_loss`` (and, for Set B, the test metric). From each
trajectory of each optimizer,

* **Set A** keeps the ``L`` records with the lowest training loss: the models the
  optimizer itself would pick, since it only sees the training objective;
* **Set B** keeps the ``L`` records with the highest test metric: the models an oracle
  would pick, the best the trajectory visited.

So a population holds up to ``trajectories × L`` models. The selections are pure
functions of the frame: rows are never modified, and ties are broken by ``step`` (earlier
first), so the same records always give the same population whatever their row order.
"""

from __future__ import annotations

from numbers import Integral
from typing import Literal

import numpy as np
import pandas as pd

KEYS = ("optimizer", "trajectory")
"""A trajectory is identified by both: trajectory numbers restart for every optimizer."""

NOT_METRICS = frozenset(
    {"optimizer", "trajectory", "step", "epoch", "gradient_evaluations", "diverged"}
)
"""Bookkeeping columns, never a test metric."""

_RANK = "__rank"


def set_a(records: pd.DataFrame, L: int) -> pd.DataFrame:
    """Set A: per optimizer and trajectory, the ``L`` records with the lowest ``train_loss``.

    Args:
        records: model records, one row per evaluated model (columns as in the module
            docstring; others are carried along untouched).
        L: models kept per trajectory, at least 1. A trajectory with fewer ranked records
            contributes all of them.

    Returns:
        The selected rows (all columns), ordered by optimizer, trajectory, then rank (best
        first), with a fresh ``RangeIndex``. Records whose ``train_loss`` is NaN or ±inf
        are never selected: an unevaluated or diverged loss ranks nothing.

    Raises:
        ValueError: naming the argument, for an ``L`` that is not an integer of at least 1
            or a missing or non-numeric column.
        TypeError: when ``records`` is not a DataFrame.
    """
    _check_records(records, "train_loss")
    _check_L(L)
    return _top(records, L, "train_loss", lowest=True)


def set_b(records: pd.DataFrame, L: int, metric: str) -> pd.DataFrame:
    """Set B: per optimizer and trajectory, the ``L`` records with the highest ``metric``.

    ``metric`` names a higher-is-better test metric column (``"accuracy"``,
    ``"macro_f1"``, …); loss columns are refused because their best is their lowest.
    Otherwise as :func:`set_a`: NaN/±inf metric values are excluded, ties go to the
    earlier step, and a short trajectory contributes all its ranked records.
    """
    _check_records(records)
    _check_L(L)
    check_metric(records, metric)
    return _top(records, L, metric, lowest=False)


def population(
    records: pd.DataFrame,
    which: Literal["A", "B"],
    L: int,
    metric: str | None = None,
) -> pd.DataFrame:
    """Set A (``which="A"``) or Set B (``which="B"``) of every optimizer in ``records``.

    ``metric`` is required for Set B; for Set A it is optional and only validated, so a
    caller can check its request once whichever set it asks for.
    """
    if which not in ("A", "B"):
        raise ValueError(f"which: expected 'A' or 'B', got {which!r}")
    if which == "B":
        if metric is None:
            raise ValueError("metric: Set B ranks by a test metric; none was given")
        return set_b(records, L, metric)
    if metric is not None:
        _check_records(records)
        check_metric(records, metric)
    return set_a(records, L)


def check_metric(records: pd.DataFrame, metric: str) -> None:
    """Raise ``ValueError`` unless ``metric`` is a numeric, higher-is-better column."""
    if not isinstance(metric, str) or metric not in records.columns:
        known = sorted(c for c in records.columns if isinstance(c, str) and c not in NOT_METRICS)
        raise ValueError(f"metric: unknown column {metric!r}; columns: {known}")
    if metric in NOT_METRICS:
        raise ValueError(f"metric: {metric!r} is a bookkeeping column, not a test metric")
    if metric.endswith("_loss"):
        raise ValueError(
            f"metric: {metric!r} is a loss (lower is better); Set B ranks by highest value"
        )
    numeric_values(records, metric, "metric")


def numeric_values(frame: pd.DataFrame, column: str, argument: str) -> np.ndarray:
    """``frame[column]`` as float64, None → NaN; ``ValueError`` naming ``argument`` if the
    column holds something that is not a number (so a typo'd column fails loudly)."""
    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype):
        raise ValueError(f"{argument}: column {column!r} is boolean, not a number")
    try:
        return pd.to_numeric(series, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{argument}: column {column!r} is not numeric") from error


def _top(records: pd.DataFrame, L: int, column: str, *, lowest: bool) -> pd.DataFrame:
    values = numeric_values(records, column, "metric" if column != "train_loss" else "records")
    finite = np.isfinite(values)
    ranked = records.loc[finite].copy()
    # Ascending on this key puts the best first whichever direction the column runs.
    ranked[_RANK] = values[finite] if lowest else -values[finite]
    ranked = ranked.sort_values([*KEYS, _RANK, "step"], kind="mergesort")
    chosen = ranked.groupby(list(KEYS), sort=False).head(L)
    return chosen.drop(columns=_RANK).reset_index(drop=True)


def _check_records(records: pd.DataFrame, *columns: str) -> None:
    if not isinstance(records, pd.DataFrame):
        raise TypeError(f"records: expected a pandas DataFrame, got {type(records).__name__}")
    missing = [c for c in (*KEYS, "step", *columns) if c not in records.columns]
    if missing:
        raise ValueError(f"records: missing column(s) {missing}")


def _check_L(L: object) -> None:
    if isinstance(L, bool) or not isinstance(L, Integral) or L < 1:
        raise ValueError(f"L: expected an integer of at least 1, got {L!r}")
