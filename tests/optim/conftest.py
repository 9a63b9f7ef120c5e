from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch import nn


def small_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 1)).double()


def batches(count: int, seed: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [
        (
            torch.randn(16, 4, generator=g, dtype=torch.float64),
            torch.randn(16, 1, generator=g, dtype=torch.float64),
        )
        for _ in range(count)
    ]


class Replay:
    """Stands in for an optimizer's noise source: returns given vectors in order."""

    def __init__(self, *vectors: list[float]) -> None:
        self.vectors: Iterator[list[float]] = iter(vectors)
        self.calls = 0

    def __call__(self, dimension: int, rho: float, kind: str, like: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        value = torch.tensor(next(self.vectors), dtype=like.dtype)
        assert value.numel() == dimension
        return value


@pytest.fixture
def replay() -> type[Replay]:
    return Replay
