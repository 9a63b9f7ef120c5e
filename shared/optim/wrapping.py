"""Wrappers: the paper's perturbations around any base optimizer.

A wrapper builds its base over its own parameter groups and then shares the base's
``param_groups`` (as SAM implementations usually do), so the groups hold the base's
hyperparameters (``lr``, ``betas``…) and the wrapper's (ρ, τ, ε, the noise kind), and
schedulers and checkpoints see one optimizer. Where a name of the wrapper's is also the
base's (basin hopping's ``eps`` beside Adam's), the wrapper's is kept as ``KIND_NAME``
(``bh_eps``); ``_setting`` reads either. Like the paper's optimizers, the wrapper reads
ρ, τ, ε and the noise kind from the first group.

Each wrapper evaluates the gradient (counting it), perturbs the gradient or the model
as its rule says, and then lets the base take its step with whatever is in ``.grad``.
The paper's names (``sam``, ``nig_sgd``, ``nim_bh``…) are these wrappers around
:class:`~shared.optim.sgd.SGD`, taking the base's hyperparameters in the same flat
namespace as before (:class:`PaperWrapper`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import nn
from torch.optim import Optimizer

from shared.optim.base import Closure, StochasticOptimizer
from shared.optim.hyperparameters import Hyperparameter, HyperparameterError, validate_all

#: Builds the base over the wrapper's parameter groups.
BaseFactory = Callable[[list[dict[str, Any]]], Optimizer]


class Wrapper(StochasticOptimizer):
    """A perturbation around ``base``; subclasses implement ``step``."""

    name: ClassVar[str] = "wrapper"
    #: Prefix of a setting whose name the base also uses.
    kind: ClassVar[str] = "wrapper"
    #: The wrapper's own hyperparameters (the base declares its own).
    own: ClassVar[tuple[Hyperparameter, ...]] = ()
    needs_closure: ClassVar[bool] = True
    needs_loss_closure: ClassVar[bool] = False

    def __init__(
        self,
        params: Any,
        *,
        base: BaseFactory,
        seed: int = 0,
        model: nn.Module | None = None,
        **own: Any,
    ) -> None:
        try:
            hyper = validate_all(self.own, own)
        except HyperparameterError as error:
            raise ValueError(f"{self.name}: {error}") from None
        Optimizer.__init__(self, params, {})
        self._setup(seed, model)
        self.base = base(self.param_groups)
        self.param_groups = self.base.param_groups
        taken = set(self.base.defaults)
        self._keys = {n: f"{self.kind}_{n}" if n in taken else n for n in hyper}
        for group in self.param_groups:
            for n, key in self._keys.items():
                group.setdefault(key, hyper[n])
        self.defaults = {**self.base.defaults, **{key: hyper[n] for n, key in self._keys.items()}}

    def _setting(self, name: str, group: dict[str, Any] | None = None) -> Any:
        return (self.param_groups[0] if group is None else group)[self._keys.get(name, name)]

    def _descend(self) -> None:
        """The base's step with the gradient now in ``.grad``."""
        self.base.step()

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["base"] = self.base.state_dict()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        base = state_dict.pop("base")
        super().load_state_dict(state_dict)
        self.base.load_state_dict(base)
        # Loading gives each optimizer fresh group dicts: share the base's again.
        self.param_groups = self.base.param_groups


class PaperWrapper(Wrapper):
    """The paper's name for a wrapper around SGD: one flat set of hyperparameters (its
    declaration's), split into the wrapper's own and SGD's (``lr``, ``momentum``,
    ``weight_decay``), with the wrapper's ``fixed`` settings (e.g. the perturbation)."""

    fixed: ClassVar[dict[str, Any]] = {}

    def __init__(
        self, params: Any, *, seed: int = 0, model: nn.Module | None = None, **flat: Any
    ) -> None:
        from shared.optim.sgd import SGD

        values = self._validated(flat)
        own_names = {h.name for h in self.own}
        own = {k: v for k, v in values.items() if k in own_names} | self.fixed
        sgd = {k: v for k, v in values.items() if k not in own_names}

        def base(groups: list[dict[str, Any]]) -> Optimizer:
            return SGD(groups, seed=seed, model=model, **sgd)

        super().__init__(params, base=base, seed=seed, model=model, **own)


class CountingClosure:
    """A closure that counts what it is asked for: gradients, or losses only
    (``backward=False``), on the optimizer that handed it out."""

    def __init__(self, closure: Closure, owner: StochasticOptimizer) -> None:
        self.closure = closure
        self.owner = owner

    def __call__(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        if kwargs.get("backward", args[0] if args else True):
            self.owner.gradient_evaluations += 1
        else:
            self.owner.loss_evaluations += 1
        return self.closure(*args, **kwargs)
