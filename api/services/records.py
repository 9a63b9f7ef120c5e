"""Model records of a training experiment, as a DataFrame for the statistics.

A record's test metrics are a JSON object (whatever its task declares); the frame gives
each metric its own float column beside the fixed ones, so the statistics see
``accuracy`` or ``perplexity`` like ``train_loss``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import NamedTuple

import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from shared.db.models import ModelRecord, Run

RECORD_COLUMNS = [
    "step",
    "epoch",
    "gradient_evaluations",
    "loss_evaluations",
    "wall_time",
    "train_loss",
    "running_loss",
    "test_loss",
    "metrics",
    "diverged",
    "sharpness",
    "sharpness_gradient_evaluations",
    "sharpness_converged",
    "sharpness_products",
    "hessian_min_eigenvalue",
]
FLOAT_COLUMNS = ["train_loss", "running_loss", "test_loss", "sharpness", "hessian_min_eigenvalue"]


def records_query(
    experiment_id: int, optimizer: str | None = None, trajectory: int | None = None
) -> Select:
    query = (
        select(Run.optimizer, Run.trajectory, *(getattr(ModelRecord, c) for c in RECORD_COLUMNS))
        .join(ModelRecord, ModelRecord.run_id == Run.id)
        .where(Run.experiment_id == experiment_id)
    )
    if optimizer is not None:
        query = query.where(Run.optimizer == optimizer)
    if trajectory is not None:
        query = query.where(Run.trajectory == trajectory)
    return query.order_by(Run.optimizer, Run.trajectory, ModelRecord.step)


class RecordCount(NamedTuple):
    """How far an experiment's records go: their number and the largest record id."""

    count: int
    last_id: int


def record_count(session: Session, experiment_id: int) -> RecordCount:
    """The experiment's records counted (one indexed aggregate; no record is loaded)."""
    count, last = session.execute(
        select(func.count(ModelRecord.id), func.coalesce(func.max(ModelRecord.id), 0))
        .join(Run, ModelRecord.run_id == Run.id)
        .where(Run.experiment_id == experiment_id)
    ).one()
    return RecordCount(int(count), int(last))


def records_frame(
    session: Session, experiment_id: int, metrics: Iterable[str] = (), up_to: int | None = None
) -> pd.DataFrame:
    """Every record: optimizer (the configuration's key), trajectory, the record's fixed
    fields, and one float column per metric (``metrics``, the task's declared ones, are
    always present, NaN where a record lacks them; others found in the records too).
    ``up_to``: only records with an id up to it (those a :class:`RecordCount` counted)."""
    # Unordered (the statistics sort what they need), and as plain tuples: pandas probes
    # each row's attributes, which SQLAlchemy rows answer slowly.
    query = records_query(experiment_id).order_by(None)
    if up_to is not None:
        query = query.where(ModelRecord.id <= up_to)
    return _frame([tuple(row) for row in session.execute(query)], metrics)


def records_frames(
    session: Session, experiment_ids: Iterable[int], metrics: Iterable[str] = ()
) -> Iterator[tuple[int, pd.DataFrame]]:
    """``(experiment_id, records_frame(...))`` of each of the experiments that has
    records, by ascending id, from one query (not one per experiment), streamed: one
    experiment's rows are in memory at a time."""
    ids, metrics = sorted(set(experiment_ids)), list(metrics)
    if not ids:
        return
    query = (
        select(
            Run.experiment_id,
            Run.optimizer,
            Run.trajectory,
            *(getattr(ModelRecord, c) for c in RECORD_COLUMNS),
        )
        .join(ModelRecord, ModelRecord.run_id == Run.id)
        .where(Run.experiment_id.in_(ids))
        .order_by(Run.experiment_id)
    )
    rows = session.execute(query.execution_options(yield_per=10_000))
    for experiment_id, group in groupby(rows, key=lambda row: row[0]):
        yield experiment_id, _frame([tuple(row)[1:] for row in group], metrics)


def _frame(rows: list[tuple], metrics: Iterable[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["optimizer", "trajectory", *RECORD_COLUMNS])
    values = pd.DataFrame.from_records([m or {} for m in frame.pop("metrics")], index=frame.index)
    names = list(dict.fromkeys([*metrics, *values.columns]))
    for name in names:
        frame[name] = values[name].astype(float) if name in values.columns else float("nan")
    frame[FLOAT_COLUMNS] = frame[FLOAT_COLUMNS].astype(float)
    return frame
