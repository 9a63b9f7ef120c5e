"""The validation split a tuning study scores its trials on: carved from the training
data with a fixed seed, so the test set is never read while tuning (see
:mod:`shared.tuning` for the study itself, which runs on the workers)."""

from __future__ import annotations

import torch
from torch.utils.data import Subset, TensorDataset

from shared.tasks.base import TaskData


def validation_split(data: TaskData, fraction: float = 0.2, seed: int = 0) -> TaskData:
    """Train on (1 − fraction) of the training data, validate on the rest; the test set
    is not touched."""
    if not 0 < fraction < 1:
        raise ValueError("fraction: must be between 0 and 1")
    size = len(data.train)  # type: ignore[arg-type]
    order = torch.randperm(size, generator=torch.Generator().manual_seed(seed))
    cut = size - max(1, round(fraction * size))
    train_index, validation_index = order[:cut].sort().values, order[cut:].sort().values
    if isinstance(data.train, TensorDataset):
        tensors = data.train.tensors
        train = TensorDataset(*(t[train_index] for t in tensors))
        validation = TensorDataset(*(t[validation_index] for t in tensors))
    else:
        train = Subset(data.train, train_index.tolist())
        validation = Subset(data.train, validation_index.tolist())
    return TaskData(
        train=train,
        test=validation,
        num_labels=data.num_labels,
        collate=data.collate,
        label_names=data.label_names,
    )
