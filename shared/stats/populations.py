"""Set A and Set B: the populations of models an optimizer's trajectories settle into.

Model records are one row per evaluated model, with at least the columns ``optimizer``,
``trajectory``, ``step`` and ``train_loss`` (and, for Set B, the test metric). From each
trajectory of each optimizer,

* **Set A** keeps the ``L`` records with the lowest training loss: the models the
  optimizer itself would pick, since it only sees the training objective;
* **Set B** keeps the ``L`` records with the best test metric in the metric's direction
  (highest accuracy, lowest perplexity): the models an oracle would pick, the best the
  trajectory visited.

So a population holds up to ``trajectories × L`` models. Only *candidates* are ranked:
records after step 0 and before any divergence (:func:`candidates`). The step-0 model is
the untrained initial model every trajectory of an experiment shares, not something an
optimizer found; a record at or after a divergence belongs to a run that no longer
trains. :func:`candidate_counts` says how many records each rule left out.

The selections are pure functions of the frame: rows are never modified, and ties are
broken by ``step`` (earlier first), so the same records always give the same population
whatever their row order.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import Literal

import numpy as np
import pandas as pd

Direction = Literal["higher", "lower"]
"""In which direction a metric's values are better (the task declares it)."""

KEYS = ("optimizer", "trajectory")
"""A trajectory is identified by both: trajectory numbers restart for every optimizer."""

NOT_METRICS = frozenset(
    {"optimizer", "trajectory", "step", "epoch", "gradient_evaluations", "diverged"}
)
"""Bookkeeping columns, never a test metric."""

_RANK = "__rank"

OVERLAP_WARNING = 0.5
"""At this overlap of Set A with Set B (or above) a comparison warns that the two sets
are largely the same models."""


@dataclass(frozen=True)
class CandidateCounts:
    """How one optimizer's records became candidates for Set A and Set B."""

    records: int
    """All records of the optimizer."""
    initial_models: int
    """Step-0 records left out: the untrained model each trajectory starts from."""
    at_or_after_divergence: int
    """Records left out because their trajectory had diverged at or before them."""
    candidates: int
    trajectories: int
    """Trajectories with at least one record."""
    fewest_per_trajectory: int
    """Candidates of the trajectory with the fewest (0 for one that diverged at once)."""
    most_per_trajectory: int
    sharpness_unconverged: int = 0
    """Candidates whose sharpness estimate did not converge within its product budget:
    left out of the sharpness statistics (not of Set A or Set B)."""


def candidate_mask(records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Two boolean arrays over the rows: (step 0, at or after its trajectory's first
    diverged record). A frame without a ``diverged`` column has no divergence."""
    _check_records(records)
    steps = pd.to_numeric(records["step"], errors="coerce").to_numpy(dtype=float)
    initial = steps == 0
    if "diverged" not in records.columns:
        return initial, np.zeros(len(records), dtype=bool)
    diverged = records["diverged"].fillna(False).astype(bool).to_numpy()
    if not diverged.any():
        return initial, np.zeros(len(records), dtype=bool)
    first = (
        pd.Series(np.where(diverged, steps, np.inf), index=records.index)
        .groupby([records[k] for k in KEYS], sort=False)
        .transform("min")
        .to_numpy()
    )
    return initial, (steps >= first) & ~initial


def candidates(records: pd.DataFrame) -> pd.DataFrame:
    """The records Set A and Set B choose from: after step 0, before any divergence."""
    initial, broken = candidate_mask(records)
    return records.loc[~(initial | broken)]


def candidate_counts(records: pd.DataFrame) -> dict[object, CandidateCounts]:
    """Per optimizer (sorted), what :func:`candidates` kept and left out, and why."""
    initial, broken = candidate_mask(records)
    kept = ~(initial | broken)
    frame = pd.DataFrame(
        {
            "optimizer": records["optimizer"].to_numpy(),
            "trajectory": records["trajectory"].to_numpy(),
            "initial": initial,
            "broken": broken,
            "kept": kept,
            "unconverged": kept & unconverged_sharpness(records),
        }
    )
    out: dict[object, CandidateCounts] = {}
    for optimizer, rows in frame.groupby("optimizer", sort=True):
        per_trajectory = rows.groupby("trajectory")["kept"].sum()
        out[optimizer] = CandidateCounts(
            records=len(rows),
            initial_models=int(rows["initial"].sum()),
            at_or_after_divergence=int(rows["broken"].sum()),
            candidates=int(rows["kept"].sum()),
            trajectories=int(per_trajectory.size),
            fewest_per_trajectory=int(per_trajectory.min()),
            most_per_trajectory=int(per_trajectory.max()),
            sharpness_unconverged=int(rows["unconverged"].sum()),
        )
    return out


def unconverged_sharpness(records: pd.DataFrame) -> np.ndarray:
    """Rows whose sharpness estimate is flagged as not converged (False, not missing)."""
    if "sharpness_converged" not in records.columns:
        return np.zeros(len(records), dtype=bool)
    flags = records["sharpness_converged"]
    return flags.map(lambda flag: flag is False or flag == 0).to_numpy(bool)


def population_size_error(records: pd.DataFrame, L: int) -> str | None:
    """Why ``L`` models per trajectory cannot be formed from these records, or None.

    ``L`` may not exceed the candidates of the longest trajectory: no trajectory could
    fill its share, and every "population" would be whole trajectories. (A trajectory
    cut short by a divergence contributes what it has; the counts report it.)
    """
    counts = candidate_counts(records)
    most = max((c.most_per_trajectory for c in counts.values()), default=0)
    if most < L:
        return (
            f"L: {L} is more than the {most} candidate models a trajectory holds "
            "(evaluated models after step 0 and before any divergence); "
            f"ask for at most {most}"
        )
    return None


def overlap(chosen_a: pd.DataFrame, chosen_b: pd.DataFrame) -> dict[object, float]:
    """Per optimizer, the fraction of its Set A models that are also in its Set B (a model
    is its optimizer, trajectory and step); NaN for an empty Set A."""
    out: dict[object, float] = {}
    b_models = {
        optimizer: set(zip(rows["trajectory"], rows["step"], strict=True))
        for optimizer, rows in chosen_b.groupby("optimizer", sort=False)
    }
    for optimizer, rows in chosen_a.groupby("optimizer", sort=True):
        models = list(zip(rows["trajectory"], rows["step"], strict=True))
        shared = b_models.get(optimizer, set())
        out[optimizer] = sum(m in shared for m in models) / len(models) if models else np.nan
    return out


def overlap_warning(fraction: float) -> str | None:
    """A plain sentence when Set A and Set B are mostly the same models, else None."""
    if not np.isfinite(fraction) or fraction < OVERLAP_WARNING:
        return None
    return (
        f"{fraction:.0%} of the Set A models are also in Set B: the models with the lowest "
        "training loss are largely the ones with the best test metric, so the two sets "
        "can hardly differ and their comparison says little. More evaluation points per "
        "trajectory (a smaller evaluate_every) or a smaller L separate them."
    )


def set_a(records: pd.DataFrame, L: int) -> pd.DataFrame:
    """Set A: per optimizer and trajectory, the ``L`` records with the lowest ``train_loss``.

    Args:
        records: model records, one row per evaluated model (columns as in the module
            docstring; others are carried along untouched).
        L: models kept per trajectory, at least 1. A trajectory with fewer ranked
            candidates contributes all of them.

    Returns:
        The selected rows (all columns), ordered by optimizer, trajectory, then rank (best
        first), with a fresh ``RangeIndex``. Only candidates are ranked (no step-0
        model, nothing at or after a divergence), and records whose ``train_loss`` is NaN
        or ±inf are never selected: an unevaluated or diverged loss ranks nothing.

    Raises:
        ValueError: naming the argument, for an ``L`` that is not an integer of at least 1
            or a missing or non-numeric column.
        TypeError: when ``records`` is not a DataFrame.
    """
    _check_records(records, "train_loss")
    _check_L(L)
    return _top(records, L, "train_loss", lowest=True)


def set_b(
    records: pd.DataFrame, L: int, metric: str, direction: Direction = "higher"
) -> pd.DataFrame:
    """Set B: per optimizer and trajectory, the ``L`` records with the best ``metric``:
    the highest values when ``direction`` is ``"higher"``, the lowest when ``"lower"``.

    ``metric`` names a test metric column, ranked in the direction its task declares; a
    loss column ranked as higher-is-better is refused (its best is its lowest).
    Otherwise as :func:`set_a`: NaN/±inf metric values are excluded, ties go to the
    earlier step, and a short trajectory contributes all its ranked records.
    """
    _check_records(records)
    _check_L(L)
    check_metric(records, metric, direction)
    return _top(records, L, metric, lowest=direction == "lower")


def population(
    records: pd.DataFrame,
    which: Literal["A", "B"],
    L: int,
    metric: str | None = None,
    direction: Direction = "higher",
) -> pd.DataFrame:
    """Set A (``which="A"``) or Set B (``which="B"``) of every optimizer in ``records``.

    ``metric`` is required for Set B (ranked in ``direction``); for Set A it is optional
    and only validated, so a caller can check its request once whichever set it asks for.
    """
    if which not in ("A", "B"):
        raise ValueError(f"which: expected 'A' or 'B', got {which!r}")
    if which == "B":
        if metric is None:
            raise ValueError("metric: Set B ranks by a test metric; none was given")
        return set_b(records, L, metric, direction)
    if metric is not None:
        _check_records(records)
        check_metric(records, metric, direction)
    return set_a(records, L)


def check_metric(records: pd.DataFrame, metric: str, direction: Direction = "higher") -> None:
    """Raise ``ValueError`` unless ``metric`` is a numeric column that can be ranked in
    ``direction`` (a loss is never higher-is-better)."""
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction: expected 'higher' or 'lower', got {direction!r}")
    if not isinstance(metric, str) or metric not in records.columns:
        known = sorted(c for c in records.columns if isinstance(c, str) and c not in NOT_METRICS)
        raise ValueError(f"metric: unknown column {metric!r}; columns: {known}")
    if metric in NOT_METRICS:
        raise ValueError(f"metric: {metric!r} is a bookkeeping column, not a test metric")
    if metric.endswith("_loss") and direction == "higher":
        raise ValueError(
            f"metric: {metric!r} is a loss (lower is better), not a higher-is-better metric"
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
    records = candidates(records)
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
