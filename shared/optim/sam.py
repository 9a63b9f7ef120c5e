"""Sharpness-aware minimisation (SAM, Foret et al. 2021).

One step: e ← ρ·g/‖g‖;  g' ← ∇f(w + e);  w ← w − η·g'  (momentum / weight decay as SGD).
Two gradient evaluations per step. ‖g‖ is taken over every parameter of the optimizer.
The second forward pass runs with BatchNorm running statistics frozen (pass
``model=``), so they are updated once per step, as in plain SGD. w is restored from a
copy before the descent step, not by subtracting e, so no rounding drift accumulates.
"""

from __future__ import annotations

import torch

from shared.optim.base import Closure, descend
from shared.optim.declarations import NORM_GUARD
from shared.optim.sgd import SGD


class SAM(SGD):
    """Sharpness-aware minimisation: descend with the gradient at w + ρ·g/‖g‖."""

    name = "sam"

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> torch.Tensor | None:
        closure = self._require_closure(closure)
        loss = self._gradient(closure)
        scale_base = 1.0 / (float(self._gradient_norm()) + NORM_GUARD)
        saved: list[tuple[list[torch.Tensor], list[torch.Tensor]]] = []
        for group in self.param_groups:
            params = self._with_grad(group)
            saved.append((params, [p.detach().clone() for p in params]))
            if params:
                torch._foreach_add_(
                    params, [p.grad for p in params], alpha=group["rho"] * scale_base
                )
        self._extra_gradient(closure)
        for group, (params, originals) in zip(self.param_groups, saved, strict=True):
            if not params:
                continue
            torch._foreach_copy_(params, originals)
            directions = [p.grad for p in params]
            if group["momentum"]:
                descend(params, self._momentum(group, params, directions), group["lr"], 0.0)
            else:
                descend(params, directions, group["lr"], group["weight_decay"])
        self.steps += 1
        return loss
