"""SGD and its two noise-injection variants (SPEC §2).

* ``sgd``:     w ← w − η·g                     (momentum, weight decay optional)
* ``nig_sgd``: w ← w − η·(g + ζ)               noise in gradient, ζ ~ U(B₀(ρ))
* ``nim_sgd``: perturbed gradient descent: if ‖g‖ < ε and at least τ steps have passed
  since the last perturbation, w ← w + ζ and g ← ∇f(w) is recomputed; then w ← w − η·g.
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


class NoiseInGradientSGD(StochasticOptimizer):
    """w ← w − η·(g + ζ): a fresh noise vector every step."""

    name = "nig_sgd"

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> torch.Tensor | None:
        loss = self._gradient(closure)
        for group in self.param_groups:
            params = self._with_grad(group)
            if not params:
                continue
            noisy = torch._foreach_add([p.grad for p in params], self._noise(group, params))
            descend(params, noisy, group["lr"], group["weight_decay"])
        self.steps += 1
        return loss


class NoiseInModelSGD(StochasticOptimizer):
    """Perturbed gradient descent: jump by ζ when the gradient is small, then step."""

    name = "nim_sgd"

    def __init__(self, params: Any, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        # The first perturbation may happen at once: count as if τ steps had passed.
        self.steps_since_perturbation = int(self.defaults["tau"])

    def _initial_telemetry(self) -> dict[str, float]:
        return {"perturbations": 0, "perturbation_norm_sum": 0.0}

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> torch.Tensor | None:
        closure = self._require_closure(closure)
        loss = self._gradient(closure)
        tau = self.param_groups[0]["tau"]
        if (
            self._gradient_norm() < self.param_groups[0]["eps"]
            and self.steps_since_perturbation >= tau
        ):
            for group in self.param_groups:
                params = self._with_grad(group)
                noise = self._noise(group, params)
                torch._foreach_add_(params, noise)
                self.telemetry["perturbation_norm_sum"] += float(
                    torch.linalg.vector_norm(torch.cat([z.flatten() for z in noise]))
                )
            self.telemetry["perturbations"] += 1
            self._extra_gradient(closure)
            self.steps_since_perturbation = 0
        for group in self.param_groups:
            params = self._with_grad(group)
            if params:
                descend(params, [p.grad for p in params], group["lr"], group["weight_decay"])
        self.steps_since_perturbation += 1
        self.steps += 1
        return loss

    def _bookkeeping(self) -> dict[str, Any]:
        return {"steps_since_perturbation": self.steps_since_perturbation}

    def _load_bookkeeping(self, saved: dict[str, Any]) -> None:
        self.steps_since_perturbation = saved["steps_since_perturbation"]
