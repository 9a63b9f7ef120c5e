"""What a training task is: data + model + loss + metrics (AlgoPerf's workload).

A task owns its data, model, loss and metrics; an optimizer only updates; the runner
(``shared.protocol``) owns the loop, the evaluation cadence and the budget.

Batches are ``(inputs, targets)`` as produced by ``TaskData.collate`` (or PyTorch's
default collation): ``inputs`` is a tensor or a dict of tensors (tokenised text), and
``model(inputs)`` returns outputs the task's :meth:`Task.loss` takes with the targets.
The defaults are classification's: logits of shape (batch, num_labels) and class indices
(long, shape (batch,)) or, for multi-label tasks, 0/1 floats of shape (batch, num_labels).
A task with other outputs (a language model's (batch, sequence, vocabulary) logits, a
regression's values) overrides :meth:`Task.loss`, :meth:`Task.predict` and
:meth:`Task.evaluate`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset, TensorDataset

from shared.tasks.classification import classification_metrics
from shared.tasks.data_root import DataRoot, TaskDataError
from shared.tasks.declarations import TaskDeclaration
from shared.tasks.options import TaskOptions

__all__ = ["BatchedDataset", "Task", "TaskData", "TaskDataError"]


@runtime_checkable
class BatchedDataset(Protocol):
    """A dataset that hands out whole minibatches, one indexing op each, and can move
    to a device (the runner then cuts, augments and normalises batches there).

    ``augments``: whether :meth:`batch` changes training batches at random."""

    augments: bool

    def __len__(self) -> int: ...

    def batch(self, index: torch.Tensor, random: torch.Generator | None = None) -> Any:
        """``(inputs, targets)`` of the examples at ``index``, on the dataset's device;
        ``random`` is given for training steps only: the draws of the augmentation."""

    def to(self, device: torch.device | str) -> BatchedDataset:
        """The same dataset on ``device``."""


@dataclass
class TaskData:
    train: Dataset
    test: Dataset
    num_labels: int
    collate: Callable[[list[Any]], Any] | None = None
    label_names: list[str] | None = None

    def on(self, device: torch.device | str) -> TaskData:
        """The same data with the datasets that can be moved (batched datasets and
        ``TensorDataset``s) on ``device``, so minibatches are cut where the model is and
        no CPU loader feeds a GPU; itself on the CPU."""
        device = torch.device(device)
        if device.type == "cpu":
            return self
        return replace(self, train=_on(self.train, device), test=_on(self.test, device))


def _on(dataset: Dataset, device: torch.device) -> Dataset:
    if isinstance(dataset, BatchedDataset):
        return dataset.to(device)  # type: ignore[return-value]
    if isinstance(dataset, TensorDataset):
        return TensorDataset(*(tensor.to(device) for tensor in dataset.tensors))
    return dataset


class Task(ABC):
    """A runnable task; its declaration (:class:`shared.tasks.TaskDeclaration`) names it
    and lists its metrics, and is set on the instance by ``registry.build_task``."""

    name: ClassVar[str] = ""
    multilabel: ClassVar[bool] = False
    declaration: TaskDeclaration | None = None

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
        """Class indices, or 0/1 label indicators (sigmoid > 0.5) for multi-label: what
        :meth:`evaluate` receives as ``predictions``."""
        if self.multilabel:
            return (logits > 0).long()
        return logits.argmax(dim=-1)

    def evaluate(
        self, targets: np.ndarray, predictions: np.ndarray, test_loss: float
    ) -> dict[str, float | None]:
        """The declared test metrics, by name, from the whole test set's ``targets`` and
        :meth:`predict` outputs (concatenated along the first axis) and the mean test
        loss. The runner stores exactly the declared names (a missing one as None).
        Default: accuracy, macro-F1 and, for multi-label tasks, micro-F1."""
        return classification_metrics(targets, predictions, self.multilabel)
