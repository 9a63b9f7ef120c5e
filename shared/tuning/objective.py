"""Which metric a study may optimise, in which direction, and its value in a record.

The task declares its metrics and their directions (:mod:`shared.tasks.metrics`); a
study may also minimise ``loss``, the validation split's loss (stored where a training
run stores its test loss).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from shared.tasks.catalog import task_declaration, task_metric

Direction = Literal["higher", "lower"]

#: The validation loss as an objective.
LOSS = "loss"


def objective_metrics(task: str) -> dict[str, Direction]:
    """The metrics ``task`` reports at every evaluation point, each with its direction,
    and the loss."""
    metrics: dict[str, Direction] = {m.name: m.direction for m in task_declaration(task).metrics}
    metrics[LOSS] = "lower"
    return metrics


def default_objective(task: str) -> str:
    """The task's default metric (the one Set B ranks by)."""
    return task_metric(task).name


def objective_value(
    metrics: Mapping[str, float | None] | None, test_loss: float | None, objective: str
) -> float | None:
    """The objective at one evaluation point, from its metrics and its (validation) loss."""
    if objective == LOSS:
        return test_loss
    return (metrics or {}).get(objective)
