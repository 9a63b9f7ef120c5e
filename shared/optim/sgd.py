"""SGD: w ← w − η·g (heavy-ball momentum and weight decay optional).

The base of the paper's optimizers: ``nig_sgd``, ``nim_sgd``, ``sam`` and basin hopping
are wrappers around it (:mod:`shared.optim.wrapping`).
"""

from __future__ import annotations

from typing import Any

import torch

from shared.optim.base import Closure, StochasticOptimizer, descend


class SGD(StochasticOptimizer):
    """Plain (minibatch) gradient descent, optionally with heavy-ball momentum."""

    name = "sgd"

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> torch.Tensor | None:
        loss = self._gradient(closure)
        for group in self.param_groups:
            params = self._with_grad(group)
            if not params:
                continue
            directions = [p.grad for p in params]
            if group["momentum"]:
                directions = self._momentum(group, params, directions)
                descend(params, directions, group["lr"], 0.0)
            else:
                descend(params, directions, group["lr"], group["weight_decay"])
        self.steps += 1
        return loss

    def _momentum(
        self, group: dict[str, Any], params: list[torch.Tensor], grads: list[torch.Tensor]
    ) -> list[torch.Tensor]:
        """buf ← μ·buf + (g + weight_decay·w); the update direction is buf."""
        if group["weight_decay"]:
            grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
        buffers = []
        for p, g in zip(params, grads, strict=True):
            state = self.state[p]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = torch.clone(g).detach()
            else:
                state["momentum_buffer"].mul_(group["momentum"]).add_(g)
            buffers.append(state["momentum_buffer"])
        return buffers
