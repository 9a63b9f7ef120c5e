"""CIFAR-10 and CIFAR-100 from the data root, in the CIFAR *python* format, ResNet-50.

The files are those of the published python tarballs, in ``<root>/cifar10/`` and
``<root>/cifar100/`` (or ``task_options.data_dir``); the directory the tarball extracts
to (``cifar-10-batches-py/``) is accepted one level down too. They are read with a
restricted unpickler (:mod:`shared.tasks.safe_pickle`) that admits only the NumPy array
reconstruction they need, never with torchvision's dataset class, which would try to
download when a file is missing: a worker without internet should fail at once with a
message saying which file is missing and what it should contain.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from shared.tasks.augment import random_crop_flip
from shared.tasks.base import Task, TaskData, TaskDataError
from shared.tasks.data_root import DataDirectory
from shared.tasks.layouts import CIFAR10, CIFAR100, DatasetLayout
from shared.tasks.options import CifarOptions
from shared.tasks.safe_pickle import load_cifar_pickle

PIXELS = 3 * 32 * 32
#: Zero pixels around each training image before the random 32×32 crop.
CROP_PADDING = 4


class CifarImages(Dataset):
    """uint8 images normalised when taken: a float copy of CIFAR-10 would take 600 MB.

    A batched dataset (:class:`shared.tasks.base.BatchedDataset`): the runner takes whole
    minibatches with :meth:`batch`, one indexing op wherever the images live, and on a GPU
    moves the set there once (:meth:`to`, 150 MB for CIFAR-10), so batches are cut,
    augmented and normalised on the device. ``augment`` (the training set of a task with
    the ``augment`` option) crops and flips the batches drawn for training steps.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        mean: tuple[float, ...] | torch.Tensor,
        std: tuple[float, ...] | torch.Tensor,
        augment: bool = False,
    ) -> None:
        self.images = images
        self.labels = labels
        self.mean = torch.as_tensor(mean, device=images.device).view(3, 1, 1)
        self.std = torch.as_tensor(std, device=images.device).view(3, 1, 1)
        self.augments = augment

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.images[index].float().div_(255.0)
        return (image - self.mean) / self.std, self.labels[index]

    def batch(
        self, index: torch.Tensor, random: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Images ``index`` normalised, (N, 3, 32, 32) float32, and their labels, on the
        set's device; with ``random`` (training steps, when the set augments) cropped and
        flipped first, with draws from it (black padding, as torchvision pads)."""
        index = index.to(self.images.device)
        images = self.images[index]
        if random is not None and self.augments:
            images = random_crop_flip(images, CROP_PADDING, random)
        return (images.float().div_(255.0) - self.mean) / self.std, self.labels[index]

    def to(self, device: torch.device | str) -> CifarImages:
        """The same set with its images and labels on ``device``."""
        return CifarImages(
            self.images.to(device),
            self.labels.to(device),
            self.mean.to(device),
            self.std.to(device),
            self.augments,
        )


def _field(batch: dict[Any, Any], key: str) -> Any:
    """CIFAR pickles are Python 2 dicts with bytes keys; re-packed copies may use str."""
    if key.encode() in batch:
        return batch[key.encode()]
    return batch.get(key)


def _unpickle(directory: DataDirectory, name: str, expected: str) -> dict[Any, Any]:
    path, shown = directory.child(name), directory.show(name)
    if not path.is_file():
        raise TaskDataError(f"missing {shown} under the data root; expected {expected}")
    try:
        with path.open("rb") as handle:
            batch = load_cifar_pickle(handle)
    except Exception as error:  # a damaged pickle fails in many ways; all mean the same
        raise TaskDataError(f"cannot unpickle {shown} ({error}); expected {expected}") from None
    if not isinstance(batch, dict):
        kind = type(batch).__name__
        raise TaskDataError(f"{shown} holds a {kind}, not a dict; expected {expected}")
    return batch


class CifarTask(Task):
    """Shared by CIFAR-10 and CIFAR-100, which differ in file names, label key and statistics."""

    options: CifarOptions
    layout: ClassVar[DatasetLayout]
    num_classes: ClassVar[int]
    train_files: ClassVar[tuple[str, ...]]
    test_files: ClassVar[tuple[str, ...]]
    meta_file: ClassVar[str]
    label_key: ClassVar[str]
    names_key: ClassVar[str]
    mean: ClassVar[tuple[float, float, float]]
    std: ClassVar[tuple[float, float, float]]

    @property
    def expected(self) -> str:
        return self.layout.expected

    def data_dir(self) -> DataDirectory:
        """``<root>/<data_dir>`` (default ``<root>/<task>``), or the tarball's own directory
        inside it."""
        directory = self.data_root.directory(self.options.data_dir or self.layout.directory)
        if not directory.exists():
            raise TaskDataError(
                f"{self.name}: no directory {directory.shown}/ under the data root; "
                f"expected {self.expected}"
            )
        nested = self.layout.archive_directory
        if nested and not (directory.path / self.test_files[0]).exists():
            inner = directory.sub(nested)
            if inner.exists():
                return inner
        return directory

    def read(self, directory: DataDirectory, name: str) -> tuple[np.ndarray, np.ndarray]:
        batch = _unpickle(directory, name, self.expected)
        shown = directory.show(name)
        data, labels = _field(batch, "data"), _field(batch, self.label_key)
        if data is None or labels is None:
            raise TaskDataError(
                f"{shown} lacks b'data' or b'{self.label_key}'; expected {self.expected}"
            )
        data, labels = np.asarray(data), np.asarray(labels)
        if data.ndim != 2 or data.shape[1] != PIXELS or data.dtype != np.uint8:
            raise TaskDataError(
                f"{shown}: data is {data.dtype} of shape {data.shape}; expected {self.expected}"
            )
        if labels.shape != (len(data),) or not np.issubdtype(labels.dtype, np.integer):
            raise TaskDataError(
                f"{shown}: {len(labels)} labels for {len(data)} images; expected {self.expected}"
            )
        if len(labels) and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise TaskDataError(
                f"{shown}: labels outside 0…{self.num_classes - 1}; expected {self.expected}"
            )
        return data, labels

    def images(
        self, directory: DataDirectory, files: tuple[str, ...], augment: bool = False
    ) -> CifarImages:
        parts = [self.read(directory, name) for name in files]
        images = np.concatenate([data for data, _ in parts]).reshape(-1, 3, 32, 32)
        labels = np.concatenate([labels for _, labels in parts])
        return CifarImages(
            torch.from_numpy(images),
            torch.from_numpy(labels.astype(np.int64)),
            self.mean,
            self.std,
            augment,
        )

    def label_names(self, directory: DataDirectory) -> list[str] | None:
        """From the meta file when present; the images and labels do not need it."""
        if not directory.child(self.meta_file).is_file():
            return None
        batch = _unpickle(directory, self.meta_file, f"a pickled dict with b'{self.names_key}'")
        names = _field(batch, self.names_key)
        if names is None or len(names) != self.num_classes:
            raise TaskDataError(
                f"{directory.show(self.meta_file)}: expected {self.num_classes} names "
                f"in b'{self.names_key}'"
            )
        return [name.decode() if isinstance(name, bytes) else str(name) for name in names]

    def load(self) -> TaskData:
        directory = self.data_dir()
        return TaskData(
            self.images(directory, self.train_files, augment=self.options.augment),
            self.images(directory, self.test_files),
            num_labels=self.num_classes,
            label_names=self.label_names(directory),
        )

    def build_model(self, num_labels: int) -> nn.Module:
        """torchvision's ResNet-50; with ``cifar_stem`` (default) a 3×3 stride-1 first
        convolution and no max-pool, so 32×32 inputs are not shrunk to 8×8 at once."""
        from torchvision.models import resnet50

        model = resnet50(weights=None, num_classes=num_labels)
        if self.options.cifar_stem:
            model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
            nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
            model.maxpool = nn.Identity()
        return model


class Cifar10Task(CifarTask):
    name = "cifar10"
    layout = CIFAR10
    num_classes = 10
    train_files = CIFAR10.required[:5]
    test_files = ("test_batch",)
    meta_file = "batches.meta"
    label_key = "labels"
    names_key = "label_names"
    mean = (0.4914, 0.4822, 0.4465)
    std = (0.2470, 0.2435, 0.2616)


class Cifar100Task(CifarTask):
    name = "cifar100"
    layout = CIFAR100
    num_classes = 100
    train_files = ("train",)
    test_files = ("test",)
    meta_file = "meta"
    label_key = "fine_labels"
    names_key = "fine_label_names"
    mean = (0.5071, 0.4865, 0.4409)
    std = (0.2673, 0.2564, 0.2762)
