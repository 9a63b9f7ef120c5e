"""What a training task is: data + model + loss + metric (AlgoPerf's workload).

A task owns its data, model, loss and metric; an optimizer only updates; the runner
(``shared.protocol``) owns the loop, the evaluation cadence and the budget.

Batches are ``(inputs, targets)`` as produced by ``TaskData.collate`` (or PyTorch's
default collation): ``inputs`` is a tensor or a dict of tensors (tokenised text), and
``model(inputs)`` returns logits of shape (batch, num_labels). Targets are class indices
(long, shape (batch,)) or, for multi-label tasks, 0/1 floats of shape (batch, num_labels).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn
from torch.utils.data import Dataset

from shared.tasks.data_root import DataRoot, TaskDataError
from shared.tasks.options import TaskOptions

__all__ = ["Task", "TaskData", "TaskDataError"]


@dataclass
class TaskData:
    train: Dataset
    test: Dataset
    num_labels: int
    collate: Callable[[list[Any]], Any] | None = None
    label_names: list[str] | None = None


class Task(ABC):
    name: ClassVar[str]
    #: The test metric Set B ranks by: "accuracy" or "macro_f1".
    metric: ClassVar[str]
    multilabel: ClassVar[bool] = False

    def __init__(
        self, options: TaskOptions, data_root: DataRoot, allow_downloads: bool = False
    ) -> None:
        """``options``: the task's validated options model; ``data_root``: where datasets
        and local models are looked up; ``allow_downloads``: whether this server lets a
        spec fetch a model from the hub (build tasks with ``registry.build_task``)."""
        self.options = options
        self.data_root = data_root
        self.allow_downloads = allow_downloads

    @abstractmethod
    def load(self) -> TaskData:
        """Read (or generate) the data; never downloads unless the options ask for it."""

    @abstractmethod
    def build_model(self, num_labels: int) -> nn.Module:
        """A freshly initialised model (draws from the global torch RNG: the runner seeds
        and isolates it)."""

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean loss over the batch: cross-entropy, or BCE-with-logits for multi-label."""
        if self.multilabel:
            return nn.functional.binary_cross_entropy_with_logits(logits, targets.float())
        return nn.functional.cross_entropy(logits, targets)

    def predict(self, logits: torch.Tensor) -> torch.Tensor:
        """Class indices, or 0/1 label indicators (sigmoid > 0.5) for multi-label."""
        if self.multilabel:
            return (logits > 0).long()
        return logits.argmax(dim=-1)
