"""CIFAR-10/100 from tiny pickles in the python format, and the ResNet-50 stem option."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from shared.tasks.base import TaskDataError
from shared.tasks.options import TaskOptionError
from shared.tasks.registry import build_task


def test_cifar10_reads_all_batches_and_normalises(cifar10_dir: Path) -> None:
    data = build_task("cifar10", {"data_dir": str(cifar10_dir)}).load()
    assert len(data.train) == 20 and len(data.test) == 6 and data.num_labels == 10
    assert data.label_names is not None and data.label_names[0] == "airplane"
    image, label = data.train[5]  # second image of data_batch_2
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32
    assert label.dtype == torch.long and label.item() == 1
    with (cifar10_dir / "data_batch_2").open("rb") as handle:
        raw = pickle.load(handle, encoding="bytes")[b"data"][1]
    red = raw[:1024].reshape(32, 32) / 255.0  # channel-major: the first 1024 bytes are red
    expected = (red - 0.4914) / 0.2470
    assert np.allclose(image[0].numpy(), expected, atol=1e-5)


def test_cifar100_uses_fine_labels(cifar100_dir: Path) -> None:
    data = build_task("cifar100", {"data_dir": str(cifar100_dir)}).load()
    assert len(data.train) == 20 and len(data.test) == 5 and data.num_labels == 100
    assert data.train[7][1].item() == 7
    assert data.label_names is not None and len(data.label_names) == 100


def test_parent_of_the_extracted_directory_is_accepted(cifar10_dir: Path) -> None:
    data = build_task("cifar10", {"data_dir": str(cifar10_dir.parent)}).load()
    assert len(data.train) == 20


def test_missing_directory_and_files_name_the_path_and_format(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(TaskDataError, match=r"nowhere.*data_batch_1"):
        build_task("cifar10", {"data_dir": str(missing)}).load()
    with pytest.raises(TaskOptionError, match="data_dir"):
        build_task("cifar100", {}).load()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TaskDataError) as raised:
        build_task("cifar100", {"data_dir": str(empty)}).load()
    assert str(empty / "train") in str(raised.value) and "fine_labels" in str(raised.value)


def test_a_missing_batch_file_is_reported(cifar10_dir: Path) -> None:
    (cifar10_dir / "data_batch_3").unlink()
    with pytest.raises(TaskDataError, match="data_batch_3"):
        build_task("cifar10", {"data_dir": str(cifar10_dir)}).load()


def test_malformed_batches_are_refused(cifar10_dir: Path) -> None:
    path = cifar10_dir / "test_batch"
    path.write_bytes(pickle.dumps({b"data": np.zeros((3, 100), np.uint8), b"labels": [0] * 3}))
    with pytest.raises(TaskDataError, match="shape"):
        build_task("cifar10", {"data_dir": str(cifar10_dir)}).load()
    path.write_bytes(pickle.dumps({b"data": np.zeros((3, 3072), np.uint8), b"labels": [0, 11, 2]}))
    with pytest.raises(TaskDataError, match="labels outside"):
        build_task("cifar10", {"data_dir": str(cifar10_dir)}).load()
    path.write_bytes(b"not a pickle")
    with pytest.raises(TaskDataError, match="unpickle"):
        build_task("cifar10", {"data_dir": str(cifar10_dir)}).load()


def test_cifar_stem_option_replaces_conv1_and_maxpool() -> None:
    cifar = build_task("cifar10", {"data_dir": "unused"}).build_model(10)
    imagenet = build_task("cifar10", {"cifar_stem": False}).build_model(10)
    assert cifar.conv1.kernel_size == (3, 3) and cifar.conv1.stride == (1, 1)
    assert isinstance(cifar.maxpool, torch.nn.Identity)
    assert imagenet.conv1.kernel_size == (7, 7) and imagenet.conv1.stride == (2, 2)
    assert isinstance(imagenet.maxpool, torch.nn.MaxPool2d)
    assert imagenet.fc.out_features == 10


def test_resnet50_forward_loss_backward(cifar100_dir: Path) -> None:
    task = build_task("cifar100", {"data_dir": str(cifar100_dir)})
    data = task.load()
    model = task.build_model(data.num_labels)
    inputs, targets = torch.utils.data.default_collate([data.train[0], data.train[1]])
    logits = model(inputs)
    assert logits.shape == (2, 100)
    loss = task.loss(logits, targets)
    loss.backward()
    assert torch.isfinite(loss) and model.conv1.weight.grad is not None
    assert task.predict(logits).shape == (2,)
