"""Learning curves as the API answers them: per optimizer, one record column over
gradient evaluations across trajectories."""

from __future__ import annotations

from typing import Any

import pandas as pd

from api.services.jsonable import jsonable
from shared.stats.curves import learning_curves
from shared.stats.sharpness import SHARPNESS, converged_sharpness

CURVE_COLUMNS = ("train_loss", "running_loss", "test_loss", "sharpness")
"""Record columns a learning curve may show besides the task's metrics."""


def curve_column_error(column: str, task: str, metrics: tuple[str, ...]) -> str | None:
    """Why ``column`` cannot be drawn for a task with ``metrics``, or None."""
    valid = (*CURVE_COLUMNS, *metrics)
    if column in valid:
        return None
    return (
        f"column: {column!r} is not a record column of task {task!r}; valid ones: "
        f"{', '.join(valid)}"
    )


def curves_answer(records: pd.DataFrame, column: str, window: int) -> dict[str, Any]:
    """``{"column", "window", "optimizers": {name: Curve}}``; unconverged sharpness left
    out, as in every sharpness statistic."""
    if column == SHARPNESS:
        records = converged_sharpness(records)
    frame = learning_curves(records, column, window)
    return {
        "column": column,
        "window": window,
        "optimizers": {
            str(name): jsonable(group.drop(columns="optimizer").to_dict("list"))
            for name, group in frame.groupby("optimizer", sort=True)
        },
    }
