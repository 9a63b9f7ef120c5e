"""Which metric a study may optimise, and in which direction.

One function, so that when tasks declare their metrics and directions themselves this
is the only place that changes.
"""

from __future__ import annotations

from typing import Literal

from shared.tasks.declarations import task_declaration

Direction = Literal["higher", "lower"]

#: Tasks whose records carry micro-F1 too (multi-label classification).
_MULTILABEL = frozenset({"goemotions"})

#: The record column each objective reads (``loss`` is the validation split's loss,
#: stored where a training run stores its test loss).
COLUMNS = {
    "accuracy": "accuracy",
    "macro_f1": "macro_f1",
    "micro_f1": "micro_f1",
    "loss": "test_loss",
}


def objective_metrics(task: str) -> dict[str, Direction]:
    """The metrics ``task`` reports at every evaluation point, each with its direction."""
    metrics: dict[str, Direction] = {"accuracy": "higher", "macro_f1": "higher"}
    if task in _MULTILABEL:
        metrics["micro_f1"] = "higher"
    metrics["loss"] = "lower"
    default = task_declaration(task).metric
    metrics.setdefault(default, "higher")
    return metrics


def default_objective(task: str) -> str:
    return task_declaration(task).metric
