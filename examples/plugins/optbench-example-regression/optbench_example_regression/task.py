"""The diabetes regression task: data, model, loss and evaluation."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.datasets import load_diabetes
from sklearn.metrics import r2_score
from torch import nn
from torch.utils.data import TensorDataset

from shared.tasks import Task, TaskData


class DiabetesTask(Task):
    name = "diabetes_mlp"

    def load(self) -> TaskData:
        inputs, target = load_diabetes(return_X_y=True)
        order = np.random.default_rng(self.options.split_seed).permutation(len(target))
        cut = int(0.8 * len(target))
        train, test = order[:cut], order[cut:]
        # standardised with the training split's statistics only
        mean, scale = inputs[train].mean(0), inputs[train].std(0)
        y_mean, y_scale = target[train].mean(), target[train].std()
        x = torch.tensor((inputs - mean) / scale, dtype=torch.float32)
        y = torch.tensor((target - y_mean) / y_scale, dtype=torch.float32)
        return TaskData(
            TensorDataset(x[train], y[train]), TensorDataset(x[test], y[test]), num_labels=1
        )

    def build_model(self, num_labels: int) -> nn.Module:
        width = self.options.hidden_width
        return nn.Sequential(nn.Linear(10, width), nn.ReLU(), nn.Linear(width, num_labels))

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(outputs.squeeze(-1), targets)

    def predict(self, outputs: torch.Tensor) -> torch.Tensor:
        return outputs.squeeze(-1)

    def evaluate(
        self, targets: np.ndarray, predictions: np.ndarray, test_loss: float
    ) -> dict[str, float | None]:
        return {
            "mse": float(np.mean((predictions - targets) ** 2)),
            "r2": float(r2_score(targets, predictions)),
        }
