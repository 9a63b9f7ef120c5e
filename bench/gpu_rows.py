"""What the GPU check's rows are made of: sizes, rows with their verdicts, a device clock."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from shared.tasks.registry import build_task


@dataclass(frozen=True)
class Sizes:
    #: The CIFAR stem keeps 32×32 feature maps into the first stage; the ImageNet stem
    #: (the tiny mode's) quarters them, 16× fewer operations for the same 50 layers.
    cifar_stem: bool
    resnet_batch: int
    warmup: int
    steps: int
    cifar_images: int
    minilm_batch: int
    minilm_length: int
    minilm_steps: int
    sharpness_batch: int
    #: mnist1d's model for sharpness and the runner: the CNN exercises convolutions'
    #: double backward, which PyTorch's CPU kernels take 10× longer over than the MLP's.
    mnist1d_model: str
    runner_samples: int
    runner_epochs: float
    runner_batch: int
    repeats: int


@dataclass(frozen=True)
class Row:
    check: str
    measured: str
    compared: str
    passed: bool
    #: ``check``: a correctness comparison (fails the run); ``target``: a speed target.
    kind: str = "check"

    @property
    def verdict(self) -> str:
        if self.kind == "target":
            return "met" if self.passed else "missed"
        return "pass" if self.passed else "FAIL"


class Clock:
    """Wall time of work on ``device``, waiting for the device's queue at both ends."""

    def __init__(self, device: torch.device) -> None:
        self.device = device

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def time(self, work: Callable[[], Any]) -> float:
        self.sync()
        started = time.perf_counter()
        work()
        self.sync()
        return time.perf_counter() - started


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


def rate(per_second: float) -> str:
    return f"{per_second:,.0f}" if per_second >= 10 else f"{per_second:.2f}"


@functools.lru_cache(maxsize=2)
def mnist1d(samples: int, model: str) -> tuple[Any, Any]:
    """The mnist1d task and its data (generated once for both rows that use it)."""
    task = build_task("mnist1d", {"num_samples": samples, "architecture": model})
    return task, task.load()
