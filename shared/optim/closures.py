"""Closures in the convention every optbench optimizer understands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

Batch = tuple[Any, torch.Tensor]


def minibatch_closure(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    inputs: Any,
    targets: torch.Tensor,
    *,
    draw: Callable[[], Batch] | None = None,
) -> Callable[..., torch.Tensor]:
    """A closure bound to one minibatch.

    ``closure()`` zeroes the gradients, computes the loss on ``(inputs, targets)`` in the
    model's current mode, back-propagates and returns the (detached) loss.

    ``closure(backward=False)`` only computes a loss, with the model in eval mode (and
    its modes restored afterwards): monotonic basin hopping's acceptance test. With
    ``fresh=True`` it first calls ``draw()`` for a new minibatch and keeps it; loss-only
    calls evaluate on the kept minibatch, so the candidate and the incumbent are judged
    on the same batch, one neither descended on. Without ``draw`` they use the step's
    minibatch.
    """
    kept: list[Batch] = []

    def closure(backward: bool = True, fresh: bool = False) -> torch.Tensor:
        if backward:
            model.zero_grad(set_to_none=True)
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            return loss.detach()
        if fresh and draw is not None:
            kept[:] = [draw()]
        x, y = kept[0] if kept else (inputs, targets)
        modules = list(model.modules())
        modes = [m.training for m in modules]
        model.eval()
        try:
            return loss_fn(model(x), y).detach()
        finally:
            for m, mode in zip(modules, modes, strict=True):
                m.training = mode

    return closure
