"""The PyTorch landscape path reproduces separate single-restart runs in every coupling
class, the probe finds each optimizer's class, and the counters count closure calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch.optim import Optimizer

from shared.landscapes import LANDSCAPES, landscape
from shared.landscapes.torch_engine import (
    COUPLINGS,
    CouplingProbeError,
    probe_coupling,
    run_torch_batched,
)
from shared.optim import build

RESTARTS, STEPS = 5, 60
TOLERANCE = 1e-10


class TrustRatioSGD(Optimizer):
    """LARS-style momentum SGD: each tensor's gradient scaled by its trust ratio ‖w‖/‖g‖
    (per-tensor: the ratio of a stacked tensor mixes restarts)."""

    def __init__(self, params: Any, lr: float = 0.05, momentum: float = 0.5) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                trust = torch.linalg.vector_norm(p) / (torch.linalg.vector_norm(p.grad) + 1e-12)
                update = p.grad * trust
                state = self.state[p]
                if "buffer" not in state:
                    state["buffer"] = update.clone()
                else:
                    state["buffer"].mul_(group["momentum"]).add_(update)
                p.sub_(state["buffer"], alpha=group["lr"])
        return loss


class NormalisedGD(Optimizer):
    """w ← w − lr·g/‖g‖, the norm over every parameter (global)."""

    def __init__(self, params: Any, lr: float = 0.05) -> None:
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        params = [p for g in self.param_groups for p in g["params"] if p.grad is not None]
        norm = torch.sqrt(sum(p.grad.square().sum() for p in params))
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if not torch.isfinite(p.grad).all():
                        raise FloatingPointError("non-finite gradient")
                    p.sub_(p.grad / (norm + 1e-12), alpha=group["lr"])
        return loss


class StrictSGD(torch.optim.SGD):
    """SGD that refuses a non-finite gradient (as some plugins do)."""

    def step(self, closure: Any = None) -> Any:
        loss = super().step(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if not torch.isfinite(p.grad).all():
                    raise FloatingPointError("non-finite gradient")
        return loss


class GradientOnlySGD(Optimizer):
    """Reads ``p.grad`` and never calls the closure (the usual backward(); step() use)."""

    def __init__(self, params: Any, lr: float = 0.01) -> None:
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                p.sub_(p.grad, alpha=group["lr"])


class RebindingSGD(Optimizer):
    """Old-style code that rebinds ``p.data`` to a new tensor every step."""

    def __init__(self, params: Any, lr: float = 0.01) -> None:
        super().__init__(params, {"lr": lr})

    def step(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:
        loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                p.data = p.data - group["lr"] * p.grad
        return loss


class PrefilledSAM(Optimizer):
    """SAM as davda54's implementation is used: the ascent reads the gradient already in
    ``p.grad``; the closure is called once, at the perturbed point (global)."""

    def __init__(self, params: Any, lr: float = 0.01, rho: float = 0.05) -> None:
        super().__init__(params, {"lr": lr, "rho": rho})

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:
        params = [p for g in self.param_groups for p in g["params"]]
        norm = torch.sqrt(sum(p.grad.square().sum() for p in params))
        shifts = [p.grad * (self.defaults["rho"] / (norm + 1e-12)) for p in params]
        for p, e in zip(params, shifts, strict=True):
            p.add_(e)
        with torch.enable_grad():
            loss = closure()
        for p, e in zip(params, shifts, strict=True):
            p.sub_(e)
            p.sub_(p.grad, alpha=self.defaults["lr"])
        return loss


def seeded(name: str, **hp: Any) -> Callable[..., Optimizer]:
    return lambda params, restarts: build(name, params, seed=restarts.start, **hp)


ELEMENTWISE = {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.05, amsgrad=True),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.05, weight_decay=0.1),
    "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda ps: torch.optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
    "nadam": lambda ps: torch.optim.NAdam(ps, lr=0.05),
    "radam": lambda ps: torch.optim.RAdam(ps, lr=0.05),
    "adamax": lambda ps: torch.optim.Adamax(ps, lr=0.05),
    "adam_fused": lambda ps: torch.optim.Adam(ps, lr=0.05, fused=True),
    "gradient_only": lambda ps: GradientOnlySGD(ps, lr=0.01),
    "rebinding": lambda ps: RebindingSGD(ps, lr=0.01),
}
PER_TENSOR = {
    "trust_ratio": lambda ps: TrustRatioSGD(ps, lr=0.05),
    # Adafactor factors a 2-D tensor's second moment by rows and columns: not elementwise.
    "adafactor": lambda ps: torch.optim.Adafactor(ps, lr=0.05),
}
GLOBAL = {
    "normalised_gd": lambda ps: NormalisedGD(ps, lr=0.05),
    "lbfgs": lambda ps: torch.optim.LBFGS(ps, lr=0.5, max_iter=4, history_size=5),
    "prefilled_sam": lambda ps: PrefilledSAM(ps, lr=0.01),
    "sam": seeded("sam", lr=0.01, rho=0.05, momentum=0.3),
    "nim_mbh": seeded("nim_mbh", lr=0.01, rho=1.0, eps=0.05, tau=8, noise="gaussian"),
}
CLASS_OF = {
    **dict.fromkeys(ELEMENTWISE, "elementwise"),
    **dict.fromkeys(PER_TENSOR, "per_tensor"),
    **dict.fromkeys(GLOBAL, "global"),
}
FACTORIES = {**ELEMENTWISE, **PER_TENSOR, **GLOBAL}
#: Optimizers that expect ``p.grad`` filled before ``step`` (as after ``backward()``).
PREFILLED = {"gradient_only", "prefilled_sam"}
#: Factories that take the restarts too (a seed per restart).
SEEDED = {"sam", "nim_mbh"}


def starts_for(function: str, restarts: int = RESTARTS, seed: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = landscape(function).domain
    return np.column_stack((rng.uniform(x0, x1, restarts), rng.uniform(y0, y1, restarts)))


class Separate:
    """Each restart alone, as a user runs it: one (2,) parameter, one optimizer, a
    counting closure in the optbench convention. The closure evaluates the landscape's
    exact gradient (the values the engine uses, so only the batching differs), or with
    ``autograd=True`` differentiates ``torch_value`` as a user would."""

    def __init__(
        self, name: str, function: str, starts: np.ndarray, steps: int, *, autograd: bool = False
    ) -> None:
        f = landscape(function)
        make = FACTORIES[name]
        self.paths, self.gradients, self.losses, self.reported = [], [], [], []
        self.telemetry = []
        for r, start in enumerate(starts):
            p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
            opt = make([p], range(r, r + 1)) if name in SEEDED else make([p])
            count = {"gradients": 0, "losses": 0}

            def loss_at(p: torch.Tensor) -> torch.Tensor:
                if autograd:
                    return f.torch_value(p)
                return torch.tensor(f.compiled_value(p.detach().numpy()[:, None])[0])

            def closure(backward: bool = True, p=p, count=count) -> torch.Tensor:
                if not backward:
                    count["losses"] += 1
                    with torch.no_grad():
                        return loss_at(p)
                count["gradients"] += 1
                p.grad = None
                if not autograd:
                    p.grad = torch.from_numpy(f.gradient(p.detach().numpy()[:, None])[:, 0])
                    return loss_at(p)
                with torch.enable_grad():
                    loss = f.torch_value(p)
                    loss.backward()
                return loss.detach()

            path = [start.copy()]
            with np.errstate(all="ignore"):
                for _ in range(steps):
                    if name in PREFILLED:
                        closure()
                    opt.step(closure)
                    path.append(p.detach().numpy().copy())
            report = getattr(opt, "reported_weights", None)
            if report is not None:
                with report():
                    self.reported.append(p.detach().numpy().copy())
            else:
                self.reported.append(p.detach().numpy().copy())
            self.paths.append(np.stack(path))
            self.gradients.append(count["gradients"])
            self.losses.append(count["losses"])
            self.telemetry.append(dict(getattr(opt, "telemetry", {})))
        self.path = np.stack(self.paths, axis=1)  # (steps + 1, R, 2)


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    assert np.array_equal(np.isfinite(actual), np.isfinite(expected))
    finite = np.isfinite(expected)
    scale = np.maximum(1.0, np.abs(expected[finite]))
    assert np.max(np.abs(actual[finite] - expected[finite]) / scale, initial=0.0) <= TOLERANCE


def couplings_for(name: str) -> list[str]:
    """Every class at least as separate as the optimizer's own reproduces it."""
    return list(COUPLINGS[COUPLINGS.index(CLASS_OF[name]) :])


@pytest.mark.parametrize("function", ["six_hump_camel", "himmelblau"])
@pytest.mark.parametrize("name", list(FACTORIES))
def test_iterates_equal_separate_runs(name: str, function: str) -> None:
    starts = starts_for(function)
    reference = Separate(name, function, starts, STEPS)
    for coupling in couplings_for(name):
        run = run_torch_batched(
            landscape(function), FACTORIES[name], coupling, starts, STEPS, path_points=STEPS + 1
        )
        assert run.path.shape == (STEPS + 1, RESTARTS, 2)
        assert_close(run.path, reference.path)
        assert_close(run.end_points, np.stack(reference.reported))
        assert_close(run.last_iterates, reference.path[-1])
        assert run.counters.gradient_evaluations.tolist() == reference.gradients, coupling
        assert run.counters.loss_evaluations.tolist() == reference.losses, coupling
        assert run.extra["coupling"] == coupling


@pytest.mark.parametrize("name", ["adam", "rmsprop", "trust_ratio", "lbfgs"])
def test_exact_gradient_agrees_with_autograd(name: str) -> None:
    """The engine's gradient is the one autograd gives on ``torch_value``: a user's own
    loop with autograd lands on the same iterates (rounding apart)."""
    starts = starts_for("six_hump_camel")
    reference = Separate(name, "six_hump_camel", starts, 30, autograd=True)
    run = run_torch_batched(
        landscape("six_hump_camel"), FACTORIES[name], CLASS_OF[name], starts, 30, path_points=31
    )
    np.testing.assert_allclose(run.path, reference.path, rtol=1e-8, atol=1e-8)
    assert run.counters.gradient_evaluations.tolist() == reference.gradients


@pytest.mark.parametrize("name", list(FACTORIES))
def test_probe_finds_the_coupling_class(name: str) -> None:
    assert probe_coupling(FACTORIES[name]) == CLASS_OF[name]


def test_counters_count_every_closure_call() -> None:
    """LBFGS evaluates several times per step (a different number per restart), SAM
    twice, the prefilled SAM once in step() plus the fill; basin hopping also counts
    its loss-only acceptance tests and reports hops and its incumbent."""
    starts = starts_for("six_hump_camel", restarts=6, seed=9)
    f = landscape("six_hump_camel")
    lbfgs = run_torch_batched(f, GLOBAL["lbfgs"], "global", starts, 20)
    calls = lbfgs.counters.gradient_evaluations
    assert (calls > 20).all() and (calls <= 20 * 5).all() and len(set(calls.tolist())) > 1
    assert (
        run_torch_batched(
            f, GLOBAL["sam"], "global", starts, 20
        ).counters.gradient_evaluations.tolist()
        == [40] * 6
    )
    prefilled = run_torch_batched(f, GLOBAL["prefilled_sam"], "global", starts, 20)
    assert prefilled.counters.gradient_evaluations.tolist() == [40] * 6
    adam = run_torch_batched(f, ELEMENTWISE["adam"], "elementwise", starts, 20)
    assert adam.counters.gradient_evaluations.tolist() == [20] * 6
    assert adam.counters.loss_evaluations.tolist() == [0] * 6

    steps = 205  # mid-search: the candidate under search is not the incumbent
    mbh = run_torch_batched(f, GLOBAL["nim_mbh"], "global", starts, steps)
    reference = Separate("nim_mbh", "six_hump_camel", starts, steps)
    assert mbh.counters.loss_evaluations.tolist() == reference.losses
    assert min(reference.losses) > 0
    assert mbh.counters.perturbations.tolist() == [t["hops"] for t in reference.telemetry]
    assert mbh.counters.accepted_hops.tolist() == [t["accepted_hops"] for t in reference.telemetry]
    assert_close(mbh.end_points, np.stack(reference.reported))
    # The incumbent differs from the iterate (a candidate under search) somewhere.
    assert not np.allclose(mbh.end_points, mbh.last_iterates)


def diverging_starts() -> np.ndarray:
    # Six-Hump Camel's x⁶ term throws far starts out with a large step; near ones settle.
    return np.array([[0.1, -0.7], [2.9, 1.9], [-0.2, 0.6], [-2.95, -1.9]])


@pytest.mark.parametrize("coupling", COUPLINGS)
def test_diverging_restarts_do_not_end_the_run(coupling: str) -> None:
    f = landscape("six_hump_camel")
    make = lambda ps: torch.optim.SGD(ps, lr=0.05)  # noqa: E731
    run = run_torch_batched(f, make, coupling, diverging_starts(), 200, path_points=5)
    finite = np.isfinite(run.end_points).all(axis=1)
    assert finite.tolist() == [True, False, True, False]
    # The healthy restarts are exactly as if alone.
    alone = run_torch_batched(f, make, "global", diverging_starts()[[0, 2]], 200)
    assert_close(run.end_points[finite], alone.end_points)


def test_a_lone_restart_whose_optimizer_raises_after_diverging_stops_there() -> None:
    f = landscape("six_hump_camel")
    make = lambda ps: StrictSGD(ps, lr=0.05)  # noqa: E731
    run = run_torch_batched(f, make, "global", diverging_starts(), 100)
    assert np.isfinite(run.end_points).all(axis=1).tolist() == [True, False, True, False]
    # The frozen restarts stopped counting; the others ran every step.
    calls = run.counters.gradient_evaluations
    assert calls[[0, 2]].tolist() == [100, 100] and (calls[[1, 3]] < 100).all()
    # Stacked, one raising restart would take the others with it: the error surfaces.
    with pytest.raises(FloatingPointError):
        run_torch_batched(f, make, "per_tensor", diverging_starts(), 100)


def test_path_snapshots_and_progress() -> None:
    f = landscape("himmelblau")
    starts = starts_for("himmelblau", restarts=7)
    seen: list[float] = []
    run = run_torch_batched(
        f, ELEMENTWISE["adam"], "per_tensor", starts, 40, path_points=6, on_progress=seen.append
    )
    assert run.path.shape == (6, 7, 2)
    assert run.path_iterations.tolist() == [0, 8, 16, 24, 32, 40]
    np.testing.assert_array_equal(run.path[0], starts)
    np.testing.assert_array_equal(run.path[-1], run.last_iterates)
    assert seen == sorted(seen) and len(seen) == 20 and seen[-1] == 1.0
    unkept = run_torch_batched(f, ELEMENTWISE["adam"], "global", starts, 5)
    assert unkept.path.shape == (0, 7, 2)
    for coupling in COUPLINGS:
        none = run_torch_batched(
            f, ELEMENTWISE["adam"], coupling, np.zeros((0, 2)), 5, path_points=3
        )
        assert none.end_points.shape == none.last_iterates.shape == (0, 2)
        assert none.path.shape == (3, 0, 2) and none.counters.gradient_evaluations.shape == (0,)


def test_factories_with_and_without_the_restarts() -> None:
    """A factory gets the restarts only if it asks: a second required positional
    parameter, or one named ``restarts``; loop variables bound as defaults are left."""
    seen: list[range] = []

    def positional(params: list[torch.Tensor], rows: range) -> Optimizer:
        seen.append(rows)
        return torch.optim.SGD(params, lr=0.01)

    def keyword(params: list[torch.Tensor], *, restarts: range) -> Optimizer:
        seen.append(restarts)
        return torch.optim.SGD(params, lr=0.01)

    f, starts = landscape("himmelblau"), starts_for("himmelblau", restarts=3)
    run_torch_batched(f, positional, "global", starts, 2)
    run_torch_batched(f, keyword, "elementwise", starts, 2)
    assert seen == [range(0, 1), range(1, 2), range(2, 3), range(0, 3)]
    bound = lambda ps, lr=0.01, cls=torch.optim.SGD: cls(ps, lr=lr)  # noqa: E731
    assert run_torch_batched(f, bound, "global", starts, 2).end_points.shape == (3, 2)


def test_probe_reports_an_optimizer_that_raises() -> None:
    class Broken(Optimizer):
        def __init__(self, params: Any) -> None:
            super().__init__(params, {})

        def step(self, closure: Any = None) -> None:
            raise RuntimeError("no step for you")

    with pytest.raises(CouplingProbeError, match=r"RuntimeError.*no step for you"):
        probe_coupling(lambda ps: Broken(ps))
    with pytest.raises(CouplingProbeError, match="diverged"):
        probe_coupling(lambda ps: torch.optim.SGD(ps, lr=1e3))


@pytest.mark.parametrize("function", list(LANDSCAPES))
def test_compiled_value_is_the_function(function: str) -> None:
    """The closure's loss comes from the compiled compact form: the same values as the
    expression as written, over the domain and a margin around it."""
    f = landscape(function)
    (x0, x1), (y0, y1) = f.domain
    rng = np.random.default_rng(5)
    points = np.stack((rng.uniform(x0 - 1, x1 + 1, 400), rng.uniform(y0 - 1, y1 + 1, 400)))
    expected = f.value(points)
    np.testing.assert_allclose(f.compiled_value(points), expected, rtol=1e-12, atol=1e-12)
    scalar = f.compiled_value(points[:, :1])
    assert scalar.shape == (1,) and scalar[0] == pytest.approx(expected[0], rel=1e-12)


def test_unknown_coupling_is_refused() -> None:
    with pytest.raises(ValueError, match="per_tensor"):
        run_torch_batched(
            landscape("himmelblau"), ELEMENTWISE["sgd"], "rowwise", starts_for("himmelblau"), 3
        )
