"""Model records of a training experiment, as a DataFrame for the statistics."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Select, select
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
    "accuracy",
    "macro_f1",
    "micro_f1",
    "diverged",
    "sharpness",
    "sharpness_gradient_evaluations",
    "sharpness_converged",
    "sharpness_products",
    "hessian_min_eigenvalue",
]


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


def records_frame(session: Session, experiment_id: int) -> pd.DataFrame:
    """Every record: optimizer (the configuration's key), trajectory, and the record."""
    # Unordered (the statistics sort what they need), and as plain tuples: pandas probes
    # each row's attributes, which SQLAlchemy rows answer slowly.
    query = records_query(experiment_id).order_by(None)
    rows = [tuple(row) for row in session.execute(query)]
    frame = pd.DataFrame(rows, columns=["optimizer", "trajectory", *RECORD_COLUMNS])
    float_columns = [
        "train_loss",
        "running_loss",
        "test_loss",
        "accuracy",
        "macro_f1",
        "micro_f1",
        "sharpness",
        "hessian_min_eigenvalue",
    ]
    frame[float_columns] = frame[float_columns].astype(float)
    return frame
