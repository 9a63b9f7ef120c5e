"""Crop-and-flip on whole batches (the CIFAR augmentation, done where the images live)
against a per-image reference, its draws, and the CIFAR set's batched path: what a GPU
worker runs, checked on the CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn
from torch.utils.data import TensorDataset, default_collate

from shared.protocol.runner import Batches, Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.tasks.augment import CropFlip, crop_and_flip, draw_crop_flip, random_crop_flip
from shared.tasks.base import BatchedDataset, Task, TaskData
from shared.tasks.data_root import DataRoot
from shared.tasks.declarations import TaskDeclaration
from shared.tasks.metrics import ACCURACY, MACRO_F1
from shared.tasks.options import TaskOptions
from shared.tasks.registry import build_task
from shared.tasks.vision import CROP_PADDING, CifarImages


def reference(image: np.ndarray, top: int, left: int, flip: bool, padding: int) -> np.ndarray:
    """One image (C, H, W) as torchvision transforms it: zero padding, crop, mirror."""
    _, height, width = image.shape
    padded = np.pad(image, ((0, 0), (padding, padding), (padding, padding)))
    crop = padded[:, top : top + height, left : left + width]
    return crop[:, :, ::-1] if flip else crop


def test_every_offset_and_flip_matches_the_per_image_reference() -> None:
    padding, height, width = 2, 5, 7  # not square: rows and columns cannot be swapped
    cases = [(t, left, f) for t in range(5) for left in range(5) for f in (False, True)]
    images = torch.randint(0, 256, (len(cases), 3, height, width), dtype=torch.uint8)
    draws = CropFlip(
        torch.tensor([[t, left] for t, left, _ in cases]),
        torch.tensor([f for _, _, f in cases]),
        padding,
    )
    out = crop_and_flip(images, draws)
    assert out.dtype == torch.uint8 and out.shape == images.shape
    for k, (top, left, flip) in enumerate(cases):
        expected = reference(images[k].numpy(), top, left, flip, padding)
        assert np.array_equal(out[k].numpy(), expected), (top, left, flip)


def test_float_images_and_no_padding() -> None:
    images = torch.randn(64, 2, 4, 4, dtype=torch.float64)
    out = random_crop_flip(images, 0, torch.Generator().manual_seed(1))
    mirrored = images.flip(-1)
    for k in range(64):  # without padding only the flip is left
        assert torch.equal(out[k], images[k]) or torch.equal(out[k], mirrored[k])
    assert 0 < sum(torch.equal(out[k], mirrored[k]) for k in range(64)) < 64


def test_draws_are_uniform_fair_independent_and_seeded() -> None:
    count = 40_000
    draws = draw_crop_flip(count, 4, torch.Generator().manual_seed(0))
    for axis in (0, 1):
        counts = np.bincount(draws.offsets[:, axis].numpy(), minlength=9)
        assert len(counts) == 9 and counts.min() > 0
        assert stats.chisquare(counts).pvalue > 1e-4
    flips = int(draws.flips.sum())
    assert stats.binomtest(flips, count).pvalue > 1e-4
    table = np.zeros((9, 2))  # offsets and flips independent
    np.add.at(table, (draws.offsets[:, 0].numpy(), draws.flips.long().numpy()), 1)
    assert stats.chi2_contingency(table).pvalue > 1e-4
    again = draw_crop_flip(count, 4, torch.Generator().manual_seed(0))
    other = draw_crop_flip(count, 4, torch.Generator().manual_seed(1))
    assert torch.equal(draws.offsets, again.offsets) and torch.equal(draws.flips, again.flips)
    assert not torch.equal(draws.offsets, other.offsets)


def cifar_images(count: int = 12, augment: bool = True) -> CifarImages:
    generator = torch.Generator().manual_seed(5)
    images = torch.randint(0, 256, (count, 3, 32, 32), dtype=torch.uint8, generator=generator)
    labels = torch.arange(count) % 10
    return CifarImages(images, labels, (0.49, 0.48, 0.45), (0.25, 0.24, 0.26), augment)


def test_a_batch_is_the_items_collated_bit_for_bit() -> None:
    dataset = cifar_images()
    index = torch.tensor([3, 0, 7, 7, 11])
    inputs, labels = dataset.batch(index)  # no draws: evaluation batches stay clean
    items, item_labels = default_collate([dataset[int(i)] for i in index])
    assert torch.equal(inputs, items) and torch.equal(labels, item_labels)
    assert isinstance(dataset, BatchedDataset)


def test_a_training_batch_is_cropped_and_flipped_before_normalising() -> None:
    dataset = cifar_images()
    index = torch.arange(12)
    inputs, _ = dataset.batch(index, torch.Generator().manual_seed(9))
    draws = draw_crop_flip(12, CROP_PADDING, torch.Generator().manual_seed(9))
    raw = crop_and_flip(dataset.images[index], draws)
    expected = (raw.float() / 255.0 - dataset.mean) / dataset.std
    assert torch.equal(inputs, expected)
    # padding is black, as torchvision pads before normalising
    cornered = (draws.offsets == 0).all(dim=1)
    assert cornered.any() or (draws.offsets == 2 * CROP_PADDING).any()
    black = (0.0 - dataset.mean) / dataset.std
    for k in torch.nonzero(cornered).flatten():
        assert torch.equal(inputs[k, :, 0, :], black.view(3, 1).expand(3, 32))
    plain = cifar_images(augment=False)
    clean, _ = plain.batch(index, torch.Generator().manual_seed(9))
    assert torch.equal(clean, dataset.batch(index)[0])


def test_seeded_training_batches_resume_identically_and_keep_the_order() -> None:
    dataset, plain = cifar_images(), cifar_images(augment=False)
    first, second = Batches(dataset, 4, 123, None), Batches(dataset, 4, 123, None)
    unaugmented = Batches(plain, 4, 123, None)
    for step in (5, 0, 3, 5):  # any step, any order, a fresh instance: same batch
        a, b = first(step), second(step)
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
        assert torch.equal(a[1], unaugmented(step)[1])  # same examples, augmented
    assert not torch.equal(first(0)[0], first(3)[0])
    assert not torch.equal(first(0)[0], unaugmented(0)[0])
    assert not torch.equal(first(0)[0], Batches(dataset, 4, 124, None)(0)[0])


def test_data_moves_to_a_device_only_where_it_can(tmp_path: Path) -> None:
    dataset = cifar_images()
    tensors = TensorDataset(torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))
    data = TaskData(dataset, tensors, num_labels=10)
    assert data.on("cpu") is data
    moved = data.on("meta")  # a device without memory: where the data lives, not its values
    assert moved.train.images.device.type == "meta" and moved.train.augments
    assert all(t.device.type == "meta" for t in moved.test.tensors)
    inputs, labels = moved.train.batch(torch.arange(6), torch.Generator().manual_seed(0))
    assert inputs.device.type == "meta" and inputs.shape == (6, 3, 32, 32)
    assert labels.device.type == "meta"
    assert data.train.images.device.type == "cpu"  # the cached data itself is untouched


def test_cifar_task_augments_its_training_set_only(cifar10_dir: Path, data_root: Path) -> None:
    data = build_task("cifar10", {}, data_root).load()
    assert data.train.augments and not data.test.augments
    assert not build_task("cifar10", {"augment": False}, data_root).load().train.augments


class SmallImages(Task):
    """CIFAR-shaped images with augmentation and a small convolutional network."""

    name = "small_images"
    declaration = TaskDeclaration(
        "small_images",
        "CIFAR-shaped random images",
        (ACCURACY, MACRO_F1),
        TaskOptions,
        "tests.tasks.test_augment:SmallImages",
    )

    def __init__(self) -> None:
        super().__init__(TaskOptions(), DataRoot(Path("/nonexistent")))

    def load(self) -> TaskData:
        return TaskData(cifar_images(48), cifar_images(8, augment=False), num_labels=10)

    def build_model(self, num_labels: int) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(3, 4, 3, stride=2),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
            nn.Linear(16, num_labels),
        )


def test_an_augmented_trajectory_resumes_with_the_same_records() -> None:
    task = SmallImages()
    data = task.load()
    config = TrajectoryConfig(
        "nig_sgd",
        {"lr": 0.05},
        trajectory_seeds(1, "nig_sgd", 0),
        Budget(epochs=2),
        batch_size=8,
        evaluate_every=0.5,
    )
    saved: list[bytes] = []
    full = TrajectoryRunner(task, data, config, lambda r, c: saved.append(c)).run()
    rest = TrajectoryRunner(task, data, config).run(checkpoint=saved[2])
    assert [r.comparable() for r in rest] == [r.comparable() for r in full[3:]]
    plain = TaskData(cifar_images(48, augment=False), data.test, num_labels=10)
    unaugmented = TrajectoryRunner(task, plain, config).run()
    assert unaugmented[-1].train_loss != full[-1].train_loss


@pytest.mark.parametrize("count", [1, 3])
def test_draws_must_match_the_batch(count: int) -> None:
    with pytest.raises(ValueError, match="draws for"):
        crop_and_flip(torch.zeros(2, 1, 4, 4), draw_crop_flip(count, 1, torch.Generator()))
