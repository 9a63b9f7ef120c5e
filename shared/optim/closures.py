"""Closures in the convention every optbench optimizer understands."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def minibatch_closure(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    inputs: torch.Tensor,
    targets: torch.Tensor,
) -> Callable[..., torch.Tensor]:
    """A closure bound to one minibatch.

    ``closure()`` zeroes the gradients, computes the loss, back-propagates and returns
    the (detached) loss; ``closure(backward=False)`` only computes the loss on the same
    minibatch (used by monotonic basin hopping's acceptance test).
    """

    def closure(backward: bool = True) -> torch.Tensor:
        if not backward:
            return loss_fn(model(inputs), targets).detach()
        model.zero_grad(set_to_none=True)
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        return loss.detach()

    return closure
