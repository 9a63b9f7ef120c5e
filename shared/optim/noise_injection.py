"""Noise in the gradient and noise in the model, around any base optimizer.

* ``nig``: the base steps with g + ζ, ζ ~ U(B₀(ρ)) fresh every step (``nig_sgd``:
  w ← w − η·(g + ζ)).
* ``nim`` (perturbed gradient descent): if ‖g‖ < ε and at least τ steps have passed
  since the last perturbation, w ← w + ζ and g ← ∇f(w) is recomputed; then the base
  steps with g. τ counts from the start of training (``tau_mode="start"``, the
  default): no perturbation before step τ. ``tau_mode="rate_limited"`` only spaces
  perturbations τ steps apart, so the first may come at step 0.
"""

from __future__ import annotations

from typing import Any

import torch

from shared.optim.base import Closure
from shared.optim.declarations import WRAPPERS
from shared.optim.wrapping import PaperWrapper, Wrapper


class NoiseInGradient(Wrapper):
    """The base steps with g + ζ: a fresh noise vector every step."""

    name = "nig(base)"
    kind = "nig"
    own = WRAPPERS["nig"].hyperparameters
    needs_closure = False

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> torch.Tensor | None:
        loss = self._gradient(closure)
        groups = self._groups_with_grad()
        for (_, params), noise in zip(groups, self._noise(groups), strict=True):
            torch._foreach_add_([p.grad for p in params], noise)
        self._descend()
        self.steps += 1
        return loss


class NoiseInModel(Wrapper):
    """Perturbed gradient descent: jump by ζ when the gradient is small, then step."""

    name = "nim(base)"
    kind = "nim"
    own = WRAPPERS["nim"].hyperparameters

    def __init__(self, params: Any, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        # τ counts from the start; rate-limited: as if τ steps had passed already.
        rate_limited = self._setting("tau_mode") == "rate_limited"
        self.steps_since_perturbation = int(self._setting("tau")) if rate_limited else 0

    def _initial_telemetry(self) -> dict[str, float]:
        return {"perturbations": 0, "perturbation_norm_sum": 0.0}

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> torch.Tensor | None:
        closure = self._require_closure(closure)
        loss = self._gradient(closure)
        if self._gradient_norm() < self._setting(
            "eps"
        ) and self.steps_since_perturbation >= self._setting("tau"):
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
        self._descend()
        self.steps_since_perturbation += 1
        self.steps += 1
        return loss

    def _bookkeeping(self) -> dict[str, Any]:
        return {"steps_since_perturbation": self.steps_since_perturbation}

    def _load_bookkeeping(self, saved: dict[str, Any]) -> None:
        self.steps_since_perturbation = saved["steps_since_perturbation"]


class NoiseInGradientSGD(PaperWrapper, NoiseInGradient):
    """w ← w − η·(g + ζ): a fresh noise vector every step."""

    name = "nig_sgd"


class NoiseInModelSGD(PaperWrapper, NoiseInModel):
    """Perturbed gradient descent: jump by ζ when the gradient is small, then step."""

    name = "nim_sgd"
