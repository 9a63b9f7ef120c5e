"""digits and MNIST-1D: offline, fixed splits independent of any trajectory seed."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from shared.tasks.base import TaskData
from shared.tasks.options import TaskOptionError
from shared.tasks.registry import build_task
from shared.tasks.small import generate_mnist1d


def assert_same_data(a: TaskData, b: TaskData) -> None:
    for split in ("train", "test"):
        for left, right in zip(getattr(a, split).tensors, getattr(b, split).tensors, strict=True):
            assert torch.equal(left, right)


def one_step(task_name: str, data: TaskData, options: dict | None = None) -> None:
    """One forward pass, loss and backward on a batch of 8: every parameter gets a gradient."""
    task = build_task(task_name, options or {})
    model = task.build_model(data.num_labels)
    inputs, targets = torch.utils.data.default_collate([data.train[i] for i in range(8)])
    logits = model(inputs)
    assert logits.shape == (8, data.num_labels)
    loss = task.loss(logits, targets)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is not None for p in model.parameters())
    assert task.predict(logits).shape == (8,)


def test_digits_shapes_range_and_split() -> None:
    data = build_task("digits", {}).load()
    x_train, y_train = data.train.tensors
    x_test, y_test = data.test.tensors
    assert x_train.shape == (1437, 64) and x_test.shape == (360, 64)
    assert x_train.dtype == torch.float32 and y_train.dtype == torch.long
    assert x_train.min() >= 0.0 and x_train.max() == 1.0
    assert data.num_labels == 10 and set(y_test.tolist()) == set(range(10))
    # the split is a partition of the 1,797 bundled images
    from sklearn.datasets import load_digits

    full = load_digits()
    rows = sorted(map(tuple, torch.cat([x_train, x_test]).mul(16).round().int().tolist()))
    assert rows == sorted(map(tuple, full.data.astype(int).tolist()))
    one_step("digits", data)


def test_digits_split_ignores_global_seeds_and_follows_split_seed() -> None:
    torch.manual_seed(1)
    np.random.seed(1)
    first = build_task("digits", {}).load()
    torch.manual_seed(2)
    np.random.seed(2)
    assert_same_data(first, build_task("digits", {"split_seed": 0}).load())
    other = build_task("digits", {"split_seed": 1}).load()
    assert not torch.equal(first.test.tensors[1], other.test.tensors[1])


def test_digits_training_subset_label_noise_and_width() -> None:
    full = build_task("digits", {}).load()
    options = {"train_size": 300, "label_noise": 0.2, "hidden_width": 512}
    small = build_task("digits", options).load()
    x_full, y_full = full.train.tensors
    x_small, y_small = small.train.tensors
    # The subset is the first 300 of the fixed training split; the test set is untouched.
    assert torch.equal(x_small, x_full[:300])
    assert_same_data(TaskData(small.test, small.test, 10), TaskData(full.test, full.test, 10))
    flipped = y_small != y_full[:300]
    assert 0.12 < flipped.float().mean() < 0.28  # about a fifth, each to another digit
    assert set(y_small.tolist()) == set(range(10))
    again = build_task("digits", options).load()
    assert torch.equal(again.train.tensors[1], y_small)  # fixed, not drawn per run
    model = build_task("digits", options).build_model(10)
    assert [m.out_features for m in model if isinstance(m, torch.nn.Linear)] == [512, 10]
    one_step("digits", small, options)
    clean = build_task("digits", {"train_size": 300}).load()
    assert torch.equal(clean.train.tensors[1], y_full[:300])


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"train_size": 5}, "train_size"),
        ({"train_size": 2000}, "train_size"),
        ({"label_noise": 1.0}, "label_noise"),
        ({"label_noise": True}, "label_noise"),
        ({"hidden_width": 0}, "hidden_width"),
    ],
)
def test_digits_options_out_of_range_name_themselves(options, field) -> None:
    with pytest.raises(TaskOptionError, match=f"task_options.{field}"):
        build_task("digits", options)


def test_mnist1d_generates_offline_and_deterministically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    monkeypatch.chdir(tmp_path)  # the package's download path would drop a pickle here
    generate_mnist1d.cache_clear()
    torch.manual_seed(1)
    first = build_task("mnist1d", {"num_samples": 500}).load()
    x_train, y_train = first.train.tensors
    assert x_train.shape == (400, 40) and first.test.tensors[0].shape == (100, 40)
    assert x_train.dtype == torch.float32 and y_train.dtype == torch.long
    assert set(y_train.tolist()) == set(range(10)) and first.num_labels == 10
    assert list(tmp_path.iterdir()) == []

    generate_mnist1d.cache_clear()
    torch.manual_seed(2)
    np.random.seed(2)
    assert_same_data(first, build_task("mnist1d", {"num_samples": 500}).load())
    other = build_task("mnist1d", {"num_samples": 500, "data_seed": 7}).load()
    assert not torch.equal(first.train.tensors[0], other.train.tensors[0])


def test_mnist1d_leaves_the_global_random_streams_alone() -> None:
    generate_mnist1d.cache_clear()
    np.random.seed(123)
    random.seed(123)
    build_task("mnist1d", {"num_samples": 200}).load()
    after = (np.random.rand(), random.random())
    np.random.seed(123)
    random.seed(123)
    assert after == (np.random.rand(), random.random())


@pytest.mark.parametrize("architecture", ["mlp", "cnn"])
def test_mnist1d_models_train(architecture: str) -> None:
    options = {"num_samples": 200, "architecture": architecture}
    data = build_task("mnist1d", options).load()
    one_step("mnist1d", data, options)


def test_mnist1d_models_differ_by_architecture() -> None:
    mlp = build_task("mnist1d", {}).build_model(10)
    cnn = build_task("mnist1d", {"architecture": "cnn"}).build_model(10)
    assert any(isinstance(m, torch.nn.Conv1d) for m in cnn.modules())
    assert not any(isinstance(m, torch.nn.Conv1d) for m in mlp.modules())


def test_mnist1d_refuses_bad_options() -> None:
    with pytest.raises(TaskOptionError, match="architecture"):
        build_task("mnist1d", {"architecture": "transformer"}).build_model(10)
    with pytest.raises(TaskOptionError, match="num_samples"):
        build_task("mnist1d", {"num_samples": 5}).load()


def test_build_model_draws_from_the_global_torch_rng() -> None:
    task = build_task("digits", {})
    torch.manual_seed(5)
    a = task.build_model(10)
    torch.manual_seed(5)
    b = task.build_model(10)
    c = task.build_model(10)
    pa, pb, pc = (torch.nn.utils.parameters_to_vector(m.parameters()) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)
