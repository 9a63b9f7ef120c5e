"""``optbench optimizers check NAME``: what a plugin author runs before installing an
optimizer on a lab's workers.

Each property is tried on its own, small, known problem and reported in one line:

* **deterministic**: two runs with one seed give bit-identical weights;
* **resumes exactly**: ``state_dict`` saved mid-run and loaded into a fresh instance (other
  seed) continues bit-identically, counters included — so a resumed trajectory gives the
  records of an uninterrupted one;
* **global RNG untouched**: ``torch``'s global generator is the same before and after;
* **evaluations counted**: the optimizer's gradient and loss-evaluation counters equal the
  closure calls actually made (and its declared gradient evaluations per step);
* **finite on a quadratic**: steps on ½·wᵀAw with a known spectrum stay finite.

A property whose code raises or runs longer than ``seconds_per_property`` fails with the
cause in one line; the others are still tried.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from shared.deadline import run_time_limit
from shared.optim.declarations import declaration, resolve_hyperparameters
from shared.optim.registry import build, warm_up

STEPS = 12


@dataclass(frozen=True)
class PropertyResult:
    name: str
    passed: bool
    detail: str


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()


def _batches(count: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    return [
        (torch.randn(16, 4, generator=g, dtype=torch.float64),
         torch.randn(16, 1, generator=g, dtype=torch.float64))
        for _ in range(count)
    ]  # fmt: skip


class _Calls:
    """A closure over one minibatch that counts the gradients and losses it computed."""

    def __init__(self) -> None:
        self.gradients = 0
        self.losses = 0

    def closure(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Callable[..., Any]:
        def closure(backward: bool = True, fresh: bool = False) -> torch.Tensor:
            if backward:
                self.gradients += 1
                model.zero_grad(set_to_none=True)
                loss = nn.functional.mse_loss(model(x), y)
                loss.backward()
                return loss.detach()
            self.losses += 1
            with torch.no_grad():
                return nn.functional.mse_loss(model(x), y)

        return closure


def _train(opt: Any, model: nn.Module, data: list, calls: _Calls | None = None) -> None:
    calls = calls or _Calls()
    for x, y in data:
        opt.step(calls.closure(model, x, y))


def _weights(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


class ConformanceCheck:
    """The properties of one optimizer (``name`` as a spec gives it, e.g. ``sam(lion)``)
    at ``hyperparameters`` over its defaults."""

    def __init__(self, name: str, hyperparameters: dict[str, Any] | None = None) -> None:
        self.name = name
        self.declared = declaration(name)
        self.values = resolve_hyperparameters(name, hyperparameters or {})

    def make(self, model: nn.Module, seed: int = 0) -> Any:
        return build(self.name, model.parameters(), seed=seed, model=model, **self.values)

    def deterministic(self) -> str:
        finals = []
        for _ in range(2):
            model = _model()
            _train(self.make(model, seed=3), model, _batches(STEPS))
            finals.append(_weights(model))
        if not torch.equal(finals[0], finals[1]):
            gap = float((finals[0] - finals[1]).abs().max())
            raise AssertionError(f"two runs with one seed differ (max |Δw| = {gap:.3g})")
        return f"two seeded runs of {STEPS} steps give identical weights"

    def resumes_exactly(self) -> str:
        data = _batches(STEPS)
        model = _model()
        opt = self.make(model)
        _train(opt, model, data[: STEPS // 2])
        saved_model, saved = copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict())
        _train(opt, model, data[STEPS // 2 :])
        resumed_model = _model(seed=99)
        resumed_model.load_state_dict(saved_model)
        resumed = self.make(resumed_model, seed=12345)
        resumed.load_state_dict(saved)
        _train(resumed, resumed_model, data[STEPS // 2 :])
        if not torch.equal(_weights(model), _weights(resumed_model)):
            gap = float((_weights(model) - _weights(resumed_model)).abs().max())
            raise AssertionError(
                f"a run resumed from state_dict() parts from the uninterrupted one "
                f"(max |Δw| = {gap:.3g}): some state is not saved or not restored"
            )
        if (resumed.gradient_evaluations, resumed.loss_evaluations) != (
            opt.gradient_evaluations,
            opt.loss_evaluations,
        ):
            raise AssertionError("the evaluation counters are not restored by load_state_dict")
        return "a run resumed from state_dict() matches the uninterrupted one bit for bit"

    def global_rng_untouched(self) -> str:
        model = _model()
        opt = self.make(model)
        before = torch.get_rng_state()
        _train(opt, model, _batches(STEPS))
        if not torch.equal(before, torch.get_rng_state()):
            raise AssertionError(
                "step() draws from torch's global generator; keep a torch.Generator of your "
                "own (seeded from the optimizer's seed) so runs stay reproducible"
            )
        return "torch's global generator is the same before and after"

    def evaluations_counted(self) -> str:
        model = _model()
        opt = self.make(model)
        calls = _Calls()
        _train(opt, model, _batches(STEPS), calls)
        counted = (opt.gradient_evaluations, opt.loss_evaluations)
        if counted != (calls.gradients, calls.losses):
            raise AssertionError(
                f"counted {counted[0]} gradient and {counted[1]} loss evaluations, but the "
                f"closure computed {calls.gradients} and {calls.losses}"
            )
        per_step = self.declared.gradient_evaluations_per_step
        if per_step is not None and calls.gradients != per_step * STEPS:
            raise AssertionError(
                f"declares {per_step} gradient evaluations per step but made "
                f"{calls.gradients} in {STEPS} steps"
            )
        return f"{calls.gradients} gradient and {calls.losses} loss evaluations, all counted"

    def finite_on_a_quadratic(self) -> str:
        # f(w) = ½ Σ λᵢ wᵢ², eigenvalues 0.1 … 1 (a well-conditioned bowl).
        spectrum = torch.linspace(0.1, 1.0, 8, dtype=torch.float64)
        w = nn.Parameter(torch.ones(8, dtype=torch.float64))
        holder = nn.Module()
        holder.w = w
        opt = build(self.name, [w], seed=0, model=holder, **self.values)
        start = float(0.5 * (spectrum * w.detach() ** 2).sum())

        def closure(backward: bool = True, fresh: bool = False) -> torch.Tensor:
            loss = 0.5 * (spectrum * w**2).sum()
            if backward:
                opt.zero_grad()
                loss.backward()
            return loss.detach()

        for _ in range(100):
            opt.step(closure)
        end = float(0.5 * (spectrum * w.detach() ** 2).sum())
        if not (math.isfinite(end) and torch.isfinite(w).all()):
            raise AssertionError("100 steps on a quadratic bowl left non-finite weights")
        return f"100 steps on a quadratic bowl: loss {start:.3g} → {end:.3g}, finite"

    def run(self, seconds_per_property: float = 60.0) -> list[PropertyResult]:
        warm_up()  # nothing the time limit interrupts is one of torch's own imports
        results = []
        for name, prove in (
            ("deterministic", self.deterministic),
            ("resumes exactly", self.resumes_exactly),
            ("global RNG untouched", self.global_rng_untouched),
            ("evaluations counted", self.evaluations_counted),
            ("finite on a quadratic", self.finite_on_a_quadratic),
        ):
            try:
                with run_time_limit(seconds_per_property, what=name):
                    results.append(PropertyResult(name, True, prove()))
            except Exception as error:  # the property failed: say why in one line
                text = str(error).strip().splitlines()[0] if str(error).strip() else ""
                detail = (
                    text if isinstance(error, AssertionError) else f"{type(error).__name__}: {text}"
                )
                results.append(PropertyResult(name, False, detail))
        return results
