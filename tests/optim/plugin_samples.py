"""Optimizer classes as a lab might write them, good and bad, for the plugin tests (named
through OPTBENCH_OPTIMIZERS, so nothing needs installing)."""

from __future__ import annotations

import time

import torch
from torch.optim import Optimizer


class SignSGD(Optimizer):
    """signSGD: w ← w − lr·sign(g) (elementwise, deterministic)."""

    def __init__(self, params, lr=0.01, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    g = p.grad.add(p, alpha=group["weight_decay"])
                    p.add_(g.sign(), alpha=-group["lr"])
        return loss


class NormalizedGD(Optimizer):
    """w ← w − lr·g/‖g‖ with ‖g‖ over every parameter: a global coupling."""

    def __init__(self, params, lr=0.01):
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-group["lr"] / (float(norm) + 1e-12))
        return loss


class Untyped(Optimizer):
    """Only **kwargs: nothing can be typed."""

    def __init__(self, params, **kwargs):
        super().__init__(params, dict(kwargs))


class NeedsArgument(SignSGD):
    """A hyperparameter without a default."""

    def __init__(self, params, lr, weight_decay=0.0):
        super().__init__(params, lr=lr, weight_decay=weight_decay)


class GlobalNoise(SignSGD):
    """Draws its noise from torch's global generator (what a check must catch)."""

    @torch.no_grad()
    def step(self, closure=None):
        loss = super().step(closure)
        for group in self.param_groups:
            for p in group["params"]:
                p.add_(torch.randn_like(p), alpha=1e-3)
        return loss


class ForgetfulMomentum(SignSGD):
    """Keeps momentum in an attribute, outside state_dict (a resume cannot be exact)."""

    def __init__(self, params, lr=0.01, weight_decay=0.0):
        super().__init__(params, lr=lr, weight_decay=weight_decay)
        self.buffers: dict[int, torch.Tensor] = {}

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
                buffer = self.buffers.setdefault(id(p), torch.zeros_like(p))
                buffer.mul_(0.9).add_(p.grad)
                p.add_(buffer, alpha=-group["lr"])
        return loss


class Explodes(SignSGD):
    """Raises in step."""

    def step(self, closure=None):
        raise RuntimeError("the lab's optimizer blew up")


class Hangs(SignSGD):
    """Never returns from step."""

    def step(self, closure=None):
        while True:
            time.sleep(0.01)
