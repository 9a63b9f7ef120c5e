"""Small tasks that run anywhere, offline and without dataset files.

Their train/test splits depend only on the task options, never on a trajectory's seed: the
trajectories of a run differ in initialisation and batch order, not in which examples
they may train on.
"""

from __future__ import annotations

import functools
import itertools
import random

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from shared.tasks.base import Task, TaskData
from shared.tasks.hf import (
    PACKAGED_MODEL,
    HFTextTask,
    ModelSource,
    collate_encoded,
    packaged_minilm_path,
)
from shared.tasks.options import DigitsOptions, MiniLMTextOptions, Mnist1dOptions
from shared.tasks.synthetic_text import LABEL_NAMES, sentiment_corpus

TRAIN_FRACTION = 0.8


def mlp(*widths: int) -> nn.Sequential:
    """Linear layers with ReLU between them."""
    layers: list[nn.Module] = []
    for fan_in, fan_out in itertools.pairwise(widths):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class DigitsTask(Task):
    """scikit-learn's bundled 8×8 digits (1,797 images): 64 pixels in [0, 1], 10 classes."""

    name = "digits"
    options: DigitsOptions

    def load(self) -> TaskData:
        from sklearn.datasets import load_digits

        digits = load_digits()
        inputs = torch.tensor(digits.data / 16.0, dtype=torch.float32)
        targets = torch.tensor(digits.target, dtype=torch.long)
        rng = np.random.default_rng(self.options.split_seed)
        order = torch.from_numpy(rng.permutation(len(targets)))
        cut = int(len(targets) * TRAIN_FRACTION)
        train, test = order[:cut][: self.options.train_size], order[cut:]
        train_targets = noisy_labels(
            targets[train], self.options.label_noise, 10, seed=self.options.split_seed
        )
        return TaskData(
            TensorDataset(inputs[train], train_targets),
            TensorDataset(inputs[test], targets[test]),
            num_labels=10,
            label_names=[str(digit) for digit in range(10)],
        )

    def build_model(self, num_labels: int) -> nn.Module:
        return mlp(64, self.options.hidden_width, num_labels)


def noisy_labels(targets: torch.Tensor, fraction: float, classes: int, seed: int) -> torch.Tensor:
    """A copy of ``targets`` with each label, with probability ``fraction``, replaced by
    one of the other ``classes − 1`` labels drawn uniformly; fixed by ``seed``."""
    if fraction == 0:
        return targets.clone()
    rng = np.random.default_rng([seed, 1])  # a stream apart from the split's
    flip = torch.from_numpy(rng.random(len(targets)) < fraction)
    shift = torch.from_numpy(rng.integers(1, classes, len(targets)))
    return torch.where(flip, (targets + shift) % classes, targets)


@functools.lru_cache(maxsize=4)
def generate_mnist1d(num_samples: int, seed: int) -> dict[str, np.ndarray]:
    """MNIST-1D generated from its templates; never the package's download path.

    ``mnist1d`` draws from the global ``random``/``numpy`` RNGs, so their state is saved
    and restored around it: loading a task must not shift anyone else's random stream.
    """
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.seed, args.train_split = num_samples, seed, TRAIN_FRACTION
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        return make_dataset(args)
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)


class Mnist1dCnn(nn.Module):
    """The small 1-D CNN of the MNIST-1D paper: three strided convolutions, one linear."""

    def __init__(self, num_labels: int, length: int = 40, channels: int = 25) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, channels, 5, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        for kernel in (5, 3, 3):  # output length of each strided convolution
            length = (length + 2 - kernel) // 2 + 1
        self.head = nn.Linear(channels * length, num_labels)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(inputs.unsqueeze(1)))


class Mnist1dTask(Task):
    """MNIST-1D (Greydanus 2020): 40-sample 1-D signals, 10 classes, generated in-process.

    Harder than it looks for linear models and cheap enough for many trajectories on CPU.
    """

    name = "mnist1d"
    options: Mnist1dOptions

    def load(self) -> TaskData:
        data = generate_mnist1d(self.options.num_samples, self.options.data_seed)

        def dataset(x: np.ndarray, y: np.ndarray) -> TensorDataset:
            return TensorDataset(
                torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.long)
            )

        return TaskData(
            dataset(data["x"], data["y"]),
            dataset(data["x_test"], data["y_test"]),
            num_labels=10,
            label_names=[str(digit) for digit in range(10)],
        )

    def build_model(self, num_labels: int) -> nn.Module:
        if self.options.architecture == "cnn":
            return Mnist1dCnn(num_labels)
        return mlp(40, 100, 100, num_labels)


class MiniLMTextTask(HFTextTask):
    """Fine-tune the packaged all-MiniLM-L6-v2 on a SYNTHETIC 3-class sentiment corpus.

    The sentences come from templates (:mod:`shared.tasks.synthetic_text`), not from a real
    corpus: none ships with the platform, and this task must run offline anywhere.
    """

    name = "minilm_text"
    options: MiniLMTextOptions

    @property
    def model_source(self) -> ModelSource:
        return ModelSource(str(packaged_minilm_path()), False, PACKAGED_MODEL)

    def load(self) -> TaskData:
        num_examples = self.options.num_examples
        texts, labels = sentiment_corpus(num_examples, self.options.data_seed)
        cut = int(num_examples * TRAIN_FRACTION)
        targets = torch.tensor(labels, dtype=torch.long)
        return TaskData(
            self.encode(texts[:cut], targets[:cut]),
            self.encode(texts[cut:], targets[cut:]),
            num_labels=len(LABEL_NAMES),
            collate=collate_encoded,
            label_names=list(LABEL_NAMES),
        )
