"""LARS (You et al. 2017): SGD with momentum whose step per tensor is scaled by the
trust ratio ‖w‖ / (‖g‖ + λ‖w‖), so each layer moves by a set fraction of its size."""

from __future__ import annotations

import torch
from torch.optim import Optimizer


class LARS(Optimizer):
    def __init__(self, params, lr=0.1, momentum=0.9, weight_decay=0.0, trust=0.001, eps=1e-9):
        super().__init__(
            params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, trust=trust, eps=eps)
        )

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.add(p, alpha=group["weight_decay"])
                w_norm, g_norm = torch.linalg.vector_norm(p), torch.linalg.vector_norm(g)
                ratio = torch.where(
                    (w_norm > 0) & (g_norm > 0),
                    group["trust"] * w_norm / (g_norm + group["eps"]),
                    torch.ones_like(w_norm),
                )
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(p)
                buffer = state["momentum_buffer"]
                buffer.mul_(group["momentum"]).add_(g, alpha=float(group["lr"] * ratio))
                p.sub_(buffer)
        return loss
