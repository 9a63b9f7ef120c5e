"""Sharpness-aware minimisation (SAM, Foret et al. 2021), around any base optimizer.

One step: e ← ρ·g/‖g‖;  g' ← ∇f(w + e);  w back to where it was;  the base steps with g'
(SGD for the paper's ``sam``: w ← w − η·g', momentum and weight decay as SGD). Two gradient
evaluations per step. ‖g‖ is taken over every parameter of the optimizer. The second
forward pass runs with BatchNorm running statistics frozen (pass ``model=``), so they
are updated once per step, as in plain SGD. w is restored from a copy before the base's
step, not by subtracting e, so no rounding drift accumulates.
"""

from __future__ import annotations

import torch

from shared.optim.base import Closure
from shared.optim.declarations import NORM_GUARD, WRAPPERS
from shared.optim.wrapping import PaperWrapper, Wrapper


class SharpnessAware(Wrapper):
    """SAM around ``base``: the base descends with the gradient at w + ρ·g/‖g‖."""

    name = "sam(base)"
    kind = "sam"
    own = WRAPPERS["sam"].hyperparameters

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
                    params, [p.grad for p in params], alpha=self._setting("rho", group) * scale_base
                )
        self._extra_gradient(closure)
        for params, originals in saved:
            if params:
                torch._foreach_copy_(params, originals)
        self._descend()
        self.steps += 1
        return loss


class SAM(PaperWrapper, SharpnessAware):
    """Sharpness-aware minimisation: descend with the gradient at w + ρ·g/‖g‖."""

    name = "sam"
