"""Any ``torch.optim``-style optimizer under optbench's bookkeeping.

The ``torch.optim`` baselines and plugins' classes run as they are; this wrapper adds
what the runner reads of every optimizer: the gradient and loss evaluations it caused,
the step count, a seeded generator in its checkpoint and ``state_dict`` round-trips of
all of it. An optimizer whose ``step`` needs a closure (LBFGS, line searches, a plugin's
SAM) gets one that counts each call; any other gets the gradient evaluated first, as in
an ordinary training loop (``loss.backward(); optimizer.step()``).
"""

from __future__ import annotations

from typing import Any

import torch

from shared.optim.base import Closure
from shared.optim.wrapping import CountingClosure, Wrapper


class PlainOptimizer(Wrapper):
    """``base`` (any ``torch.optim.Optimizer``) with evaluation counting."""

    name = "plain"
    own = ()
    needs_closure = False

    def __init__(self, params: Any, *, base_needs_closure: bool = False, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self.base_needs_closure = base_needs_closure
        self.needs_closure = base_needs_closure

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> torch.Tensor | None:
        if self.base_needs_closure:
            loss = self.base.step(CountingClosure(self._require_closure(closure), self))
        else:
            loss = self._gradient(closure)
            self.base.step()
        self.steps += 1
        return loss
