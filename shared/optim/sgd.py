"""SGD and its two noise-injection variants.

* ``sgd``:     w ← w − η·g                     (momentum, weight decay optional)
* ``nig_sgd``: w ← w − η·(g + ζ)               noise in gradient, ζ ~ U(B₀(ρ))
* ``nim_sgd``: perturbed gradient descent: if ‖g‖ < ε and at least τ steps have passed
  since the last perturbation, w ← w + ζ and g ← ∇f(w) is recomputed; then w ← w − η·g.
  τ counts from the start of training (``tau_mode="start"``, the default): no
  perturbation before step τ. ``tau_mode="rate_limited"`` only spaces perturbations
  τ steps apart, so the first may come at step 0.
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
        groups = self._groups_with_grad()
        for (group, params), noise in zip(groups, self._noise(groups), strict=True):
            noisy = torch._foreach_add([p.grad for p in params], noise)
            descend(params, noisy, group["lr"], group["weight_decay"])
        self.steps += 1
        return loss


class NoiseInModelSGD(StochasticOptimizer):
    """Perturbed gradient descent: jump by ζ when the gradient is small, then step."""

    name = "nim_sgd"

    def __init__(self, params: Any, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        # τ counts from the start; rate-limited: as if τ steps had passed already.
        rate_limited = self.defaults["tau_mode"] == "rate_limited"
        self.steps_since_perturbation = int(self.defaults["tau"]) if rate_limited else 0

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
            groups = self._groups_with_grad()
            noise = self._noise(groups)
            for (_, params), chunks in zip(groups, noise, strict=True):
                torch._foreach_add_(params, chunks)
            flat = [z.flatten() for chunks in noise for z in chunks]
            if flat:
                self.telemetry["perturbation_norm_sum"] += float(
                    torch.linalg.vector_norm(torch.cat(flat))
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
