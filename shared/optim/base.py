"""Bookkeeping every optbench optimizer shares.

Subclasses declare ``hyperparameters`` and implement ``step``; this class owns the
seeded generator, the gradient / loss evaluation counters, closure handling, BatchNorm
protection for extra forward passes, and ``state_dict`` round-trips of all of it.

Closure convention (PyTorch's, extended): ``closure()`` zeroes the gradients, computes
the minibatch loss, calls ``backward()`` and returns the loss. Optimizers that need a
*loss-only* evaluation (monotonic basin hopping's acceptance test) call
``closure(backward=False)``, which must return the loss without calling ``backward()``.
A closure that also accepts ``fresh`` serves minibatch training:
``closure(backward=False, fresh=True)`` draws a new minibatch and evaluates on it, and
later ``closure(backward=False)`` calls evaluate on that same drawn minibatch, so both
sides of a comparison see one batch that neither descended on. A closure without
``fresh`` has one loss (full batch, or a deterministic function) and every call uses it.
:func:`shared.optim.closures.minibatch_closure` builds closures of both kinds.

Parameters whose ``.grad`` is None (frozen, or not reached by the loss) are left alone
by every optimizer: no descent, no noise, no weight decay.

Noise: one vector ζ is drawn over *all* parameters that have gradients, whatever the
number of parameter groups, so ‖ζ‖ ≤ ρ holds for the whole model (ρ and the noise kind
are read from the first group, as τ and ε are).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import torch
from torch import nn
from torch.optim import Optimizer

from shared.optim.declarations import PAPER_DECLARATIONS
from shared.optim.hyperparameters import Hyperparameter, HyperparameterError, validate_all
from shared.optim.noise import sample_noise

Closure = Callable[..., torch.Tensor]


class ClosureRequiredError(RuntimeError):
    """``step()`` was called without the closure this optimizer needs."""


class StochasticOptimizer(Optimizer):
    """Base class: seeded noise, evaluation counters, closures, checkpointing."""

    name: ClassVar[str]
    hyperparameters: ClassVar[tuple[Hyperparameter, ...]]
    needs_closure: ClassVar[bool]
    needs_loss_closure: ClassVar[bool]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Concrete optimizers take hyperparameters and needs from their declaration."""
        super().__init_subclass__(**kwargs)
        declared = PAPER_DECLARATIONS.get(cls.__dict__.get("name", ""))
        if declared is not None:
            cls.hyperparameters = declared.hyperparameters
            cls.needs_closure = declared.needs_closure
            cls.needs_loss_closure = declared.needs_loss_closure
            cls.__doc__ = cls.__doc__ or declared.description

    def __init__(
        self,
        params: Any,
        *,
        seed: int = 0,
        model: nn.Module | None = None,
        **hyperparameters: Any,
    ) -> None:
        defaults = self._validated(hyperparameters)
        super().__init__(params, defaults)
        self._setup(seed, model)

    def _validated(self, values: dict[str, Any]) -> dict[str, Any]:
        try:
            return validate_all(self.hyperparameters, values)
        except HyperparameterError as error:
            raise ValueError(f"{self.name}: {error}") from None

    def _setup(self, seed: int, model: nn.Module | None) -> None:
        """Generator, counters and BatchNorm bookkeeping (after the groups exist)."""
        first = next(p for group in self.param_groups for p in group["params"])
        self.seed = int(seed)
        self.generator = torch.Generator(device=first.device)
        self.generator.manual_seed(self.seed)
        self._model = model
        # Modules whose BatchNorm running statistics extra forward passes must not touch.
        self._batchnorms = [
            m
            for m in (model.modules() if model is not None else ())
            if isinstance(m, nn.modules.batchnorm._BatchNorm)
        ]
        self.gradient_evaluations = 0
        self.loss_evaluations = 0
        self.steps = 0
        self.telemetry: dict[str, float] = self._initial_telemetry()

    # -- subclass hooks --------------------------------------------------------------

    def _initial_telemetry(self) -> dict[str, float]:
        return {}

    # -- closures and evaluation counting --------------------------------------------

    def _require_closure(self, closure: Closure | None) -> Closure:
        if closure is None:
            raise ClosureRequiredError(
                f"{self.name} evaluates gradients inside step(); call step(closure) with a "
                "closure that zeroes the gradients, computes the loss, calls backward() "
                "and returns the loss"
            )
        if self.needs_loss_closure and not _accepts_backward_flag(closure):
            raise ClosureRequiredError(
                f"{self.name} also needs loss-only evaluations: the closure must accept "
                "backward=False and then return the loss without calling backward() "
                "(see shared.optim.closures.minibatch_closure)"
            )
        return closure

    def _gradient(self, closure: Closure | None) -> torch.Tensor | None:
        """The gradient for this step: from the closure, or already in ``.grad``."""
        self.gradient_evaluations += 1
        if closure is None:
            return None
        with torch.enable_grad():
            return closure()

    def _extra_gradient(self, closure: Closure) -> torch.Tensor:
        """A further gradient evaluation within one step (BatchNorm stats untouched)."""
        self.gradient_evaluations += 1
        with torch.enable_grad(), self._frozen_batchnorm():
            return closure()

    def _loss_only(self, closure: Closure, *, fresh: bool = False) -> torch.Tensor:
        """f(w), no gradient, BatchNorm statistics untouched, the model in eval mode.

        ``fresh=True`` asks the closure for a newly drawn minibatch (kept for the calls
        that follow); closures that take no ``fresh`` have one loss and ignore it.
        Eval mode (when the optimizer was given ``model=``) makes two passes over the
        same batch comparable: no dropout masks, BatchNorm uses its running statistics.
        """
        self.loss_evaluations += 1
        with torch.no_grad(), self._frozen_batchnorm(), self._eval_mode():
            if fresh and _accepts_keyword(closure, "fresh"):
                return closure(backward=False, fresh=True)
            return closure(backward=False)

    @contextlib.contextmanager
    def _eval_mode(self) -> Iterator[None]:
        modules = list(self._model.modules()) if self._model is not None else []
        modes = [m.training for m in modules]
        for m in modules:
            m.training = False
        try:
            yield
        finally:
            for m, mode in zip(modules, modes, strict=True):
                m.training = mode

    @contextlib.contextmanager
    def _frozen_batchnorm(self) -> Iterator[None]:
        saved = [
            {k: b.detach().clone() for k, b in m.named_buffers(recurse=False) if b is not None}
            for m in self._batchnorms
        ]
        try:
            yield
        finally:
            with torch.no_grad():
                for module, buffers in zip(self._batchnorms, saved, strict=True):
                    for key, value in buffers.items():
                        getattr(module, key).copy_(value)

    # -- parameter-vector helpers ----------------------------------------------------

    def _setting(self, name: str, group: dict[str, Any] | None = None) -> Any:
        """Hyperparameter ``name`` of ``group`` (default: the first group)."""
        return (self.param_groups[0] if group is None else group)[name]

    @staticmethod
    def _with_grad(group: dict[str, Any]) -> list[torch.Tensor]:
        return [p for p in group["params"] if p.grad is not None]

    def _gradient_norm(self) -> torch.Tensor:
        """‖g‖ over every parameter of the optimizer (all groups)."""
        grads = [p.grad for g in self.param_groups for p in self._with_grad(g)]
        if not grads:
            return torch.zeros(())
        return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))

    def _groups_with_grad(self) -> list[tuple[dict[str, Any], list[torch.Tensor]]]:
        """Each group that has parameters with gradients, with those parameters."""
        pairs = [(group, self._with_grad(group)) for group in self.param_groups]
        return [(group, params) for group, params in pairs if params]

    def _noise(
        self, groups: list[tuple[dict[str, Any], list[torch.Tensor]]]
    ) -> list[list[torch.Tensor]]:
        """One ζ over every given parameter of every group, split back per group and
        per parameter; ρ and the noise kind come from the first group."""
        params = [p for _, ps in groups for p in ps]
        if not params:
            return []
        dimension = sum(p.numel() for p in params)
        flat = self._noise_vector(
            dimension, self._setting("rho"), self._setting("noise"), params[0]
        )
        chunks = iter(
            chunk.view_as(p)
            for chunk, p in zip(flat.split([p.numel() for p in params]), params, strict=True)
        )
        return [[next(chunks) for _ in ps] for _, ps in groups]

    def _noise_vector(
        self, dimension: int, rho: float, kind: str, like: torch.Tensor
    ) -> torch.Tensor:
        return sample_noise(
            kind, rho, dimension, self.generator, dtype=like.dtype, device=like.device
        )

    # -- what the optimizer reports -------------------------------------------------

    @contextlib.contextmanager
    def reported_weights(self) -> Iterator[None]:
        """Within the block the parameters hold the model this optimizer reports as its
        current one (what an evaluation should measure); afterwards the iterate is back,
        bit for bit. The iterate itself here; basin hopping reports its incumbent."""
        yield

    # -- checkpointing ---------------------------------------------------------------

    def _bookkeeping(self) -> dict[str, Any]:
        """Optimizer-wide state beyond ``self.state`` (subclasses extend)."""
        return {}

    def _load_bookkeeping(self, saved: dict[str, Any]) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["optbench"] = {
            "seed": self.seed,
            "generator": self.generator.get_state(),
            "gradient_evaluations": self.gradient_evaluations,
            "loss_evaluations": self.loss_evaluations,
            "steps": self.steps,
            "telemetry": dict(self.telemetry),
            **self._bookkeeping(),
        }
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        saved = state_dict.pop("optbench", None)
        super().load_state_dict(state_dict)
        if saved is None:
            return
        self.seed = saved["seed"]
        self.generator.set_state(saved["generator"])
        self.gradient_evaluations = saved["gradient_evaluations"]
        self.loss_evaluations = saved["loss_evaluations"]
        self.steps = saved["steps"]
        self.telemetry = dict(saved["telemetry"])
        self._load_bookkeeping(saved)


def _accepts_backward_flag(closure: Closure) -> bool:
    return _accepts_keyword(closure, "backward")


def _accepts_keyword(closure: Closure, name: str) -> bool:
    try:
        parameters = inspect.signature(closure).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def descend(
    params: list[torch.Tensor],
    directions: list[torch.Tensor],
    lr: float,
    weight_decay: float,
) -> None:
    """w ← w − η·(d + weight_decay·w), in place on ``params`` only."""
    if weight_decay:
        directions = torch._foreach_add(directions, params, alpha=weight_decay)
    torch._foreach_add_(params, directions, alpha=-lr)
