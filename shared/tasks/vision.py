"""CIFAR-10 and CIFAR-100 from a local directory in the CIFAR *python* format, ResNet-50.

The batches are read with :mod:`pickle` directly: torchvision's dataset class would try to
download when files are missing, and a worker without internet should instead fail at once
with a message that says which file is missing and what it should contain. As with any
pickle, only point ``data_dir`` at files you trust.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from shared.tasks.base import Task, TaskData, TaskDataError
from shared.tasks.options import bool_option, required_path

PIXELS = 3 * 32 * 32


class CifarImages(Dataset):
    """uint8 images normalised per item: a float copy of CIFAR-10 would take 600 MB."""

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        mean: tuple[float, ...],
        std: tuple[float, ...],
    ) -> None:
        self.images = images
        self.labels = labels
        self.mean = torch.tensor(mean).view(3, 1, 1)
        self.std = torch.tensor(std).view(3, 1, 1)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.images[index].float().div_(255.0)
        return (image - self.mean) / self.std, self.labels[index]


def _field(batch: dict[Any, Any], key: str) -> Any:
    """CIFAR pickles are Python 2 dicts with bytes keys; re-packed copies may use str."""
    if key.encode() in batch:
        return batch[key.encode()]
    return batch.get(key)


def _unpickle(path: Path, expected: str) -> dict[Any, Any]:
    if not path.is_file():
        raise TaskDataError(f"missing {path}; expected {expected}")
    try:
        with path.open("rb") as handle:
            batch = pickle.load(handle, encoding="bytes")
    except Exception as error:
        raise TaskDataError(f"cannot unpickle {path} ({error}); expected {expected}") from error
    if not isinstance(batch, dict):
        kind = type(batch).__name__
        raise TaskDataError(f"{path} holds a {kind}, not a dict; expected {expected}")
    return batch


class CifarTask(Task):
    """Shared by CIFAR-10 and CIFAR-100, which differ in file names, label key and statistics."""

    metric = "accuracy"
    num_classes: ClassVar[int]
    archive_dir: ClassVar[str]
    train_files: ClassVar[tuple[str, ...]]
    test_files: ClassVar[tuple[str, ...]]
    meta_file: ClassVar[str]
    label_key: ClassVar[str]
    names_key: ClassVar[str]
    mean: ClassVar[tuple[float, float, float]]
    std: ClassVar[tuple[float, float, float]]

    @property
    def expected(self) -> str:
        files = ", ".join(self.train_files + self.test_files)
        return (
            f"the {self.name} python format ({self.archive_dir}/ from the python tarball): "
            f"files {files}, each a pickled dict with b'data' (N×3072 uint8, channel-major "
            f"32×32 RGB) and b'{self.label_key}' (N ints in 0…{self.num_classes - 1})"
        )

    def data_dir(self) -> Path:
        path = required_path(self.options, "data_dir", self.name, self.expected)
        if not path.is_dir():
            raise TaskDataError(
                f"{self.name} data directory {path} does not exist; expected {self.expected}"
            )
        nested = path / self.archive_dir
        if not (path / self.test_files[0]).exists() and nested.is_dir():
            return nested  # pointed at the directory the tarball was extracted into
        return path

    def read(self, path: Path) -> tuple[np.ndarray, np.ndarray]:
        batch = _unpickle(path, self.expected)
        data, labels = _field(batch, "data"), _field(batch, self.label_key)
        if data is None or labels is None:
            raise TaskDataError(
                f"{path} lacks b'data' or b'{self.label_key}'; expected {self.expected}"
            )
        data, labels = np.asarray(data), np.asarray(labels)
        if data.ndim != 2 or data.shape[1] != PIXELS or data.dtype != np.uint8:
            raise TaskDataError(
                f"{path}: data is {data.dtype} of shape {data.shape}; expected {self.expected}"
            )
        if labels.shape != (len(data),) or not np.issubdtype(labels.dtype, np.integer):
            raise TaskDataError(
                f"{path}: {len(labels)} labels for {len(data)} images; expected {self.expected}"
            )
        if len(labels) and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise TaskDataError(
                f"{path}: labels outside 0…{self.num_classes - 1}; expected {self.expected}"
            )
        return data, labels

    def images(self, directory: Path, files: tuple[str, ...]) -> CifarImages:
        parts = [self.read(directory / name) for name in files]
        images = np.concatenate([data for data, _ in parts]).reshape(-1, 3, 32, 32)
        labels = np.concatenate([labels for _, labels in parts])
        return CifarImages(
            torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64)), self.mean, self.std
        )

    def label_names(self, directory: Path) -> list[str] | None:
        """From the meta file when present; the images and labels do not need it."""
        path = directory / self.meta_file
        if not path.is_file():
            return None
        names = _field(_unpickle(path, f"a pickled dict with b'{self.names_key}'"), self.names_key)
        if names is None or len(names) != self.num_classes:
            raise TaskDataError(f"{path}: expected {self.num_classes} names in b'{self.names_key}'")
        return [name.decode() if isinstance(name, bytes) else str(name) for name in names]

    def load(self) -> TaskData:
        directory = self.data_dir()
        return TaskData(
            self.images(directory, self.train_files),
            self.images(directory, self.test_files),
            num_labels=self.num_classes,
            label_names=self.label_names(directory),
        )

    def build_model(self, num_labels: int) -> nn.Module:
        """torchvision's ResNet-50; with ``cifar_stem`` (default) a 3×3 stride-1 first
        convolution and no max-pool, so 32×32 inputs are not shrunk to 8×8 at once."""
        from torchvision.models import resnet50

        model = resnet50(weights=None, num_classes=num_labels)
        if bool_option(self.options, "cifar_stem", True):
            model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
            nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
            model.maxpool = nn.Identity()
        return model


class Cifar10Task(CifarTask):
    name = "cifar10"
    num_classes = 10
    archive_dir = "cifar-10-batches-py"
    train_files = tuple(f"data_batch_{i}" for i in range(1, 6))
    test_files = ("test_batch",)
    meta_file = "batches.meta"
    label_key = "labels"
    names_key = "label_names"
    mean = (0.4914, 0.4822, 0.4465)
    std = (0.2470, 0.2435, 0.2616)


class Cifar100Task(CifarTask):
    name = "cifar100"
    num_classes = 100
    archive_dir = "cifar-100-python"
    train_files = ("train",)
    test_files = ("test",)
    meta_file = "meta"
    label_key = "fine_labels"
    names_key = "fine_label_names"
    mean = (0.5071, 0.4865, 0.4409)
    std = (0.2673, 0.2564, 0.2762)
