"""Task plugins for the tests, registered through ``OPTBENCH_TASKS`` (no install): one
that works, and each way a plugin can be unusable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from pydantic import Field
from torch import nn
from torch.utils.data import TensorDataset

from shared.tasks import Metric, Task, TaskData, TaskDeclaration, TaskOptions

ERROR = Metric("error_rate", "lower", "fraction of test examples misclassified", 0.0, 1.0)


class LineOptions(TaskOptions):
    points: int = Field(64, ge=8, le=10_000, description="examples generated")
    kind: Literal["steep", "flat"] = "steep"
    label: str | None = Field(None, max_length=8)
    verbose: bool = False
    scale: float = Field(1.0, gt=0, lt=10)


class LineTask(Task):
    """Points on a line, labelled by their side of zero; a linear model."""

    def load(self) -> TaskData:
        x = torch.linspace(-1, 1, self.options.points)[:, None]
        y = (x[:, 0] > 0).long()
        return TaskData(TensorDataset(x[::2], y[::2]), TensorDataset(x[1::2], y[1::2]), 2)

    def build_model(self, num_labels: int) -> nn.Module:
        return nn.Linear(1, num_labels)

    def evaluate(self, targets, predictions, test_loss):  # type: ignore[no-untyped-def]
        return {"error_rate": float((targets != predictions).mean())}


class ExplodingTask(LineTask):
    def load(self) -> TaskData:
        raise RuntimeError("the plugin's dataset server is down\n  (and a second line)")


LINE = TaskDeclaration("line", "points on a line", (ERROR,), LineOptions, LineTask)
EXPLODING = TaskDeclaration(
    "exploding", "raises while loading", (ERROR,), LineOptions, ExplodingTask
)


class CallbackOptions(TaskOptions):
    callback: Callable[[int], int] | None = None


class ListOptions(TaskOptions):
    widths: list[int] = Field(default_factory=lambda: [8, 8])


UNRENDERABLE = TaskDeclaration("unrenderable", "", (ERROR,), CallbackOptions, LineTask)
LIST_OPTIONS = TaskDeclaration("list_options", "", (ERROR,), ListOptions, LineTask)
NOT_A_DECLARATION = object()
