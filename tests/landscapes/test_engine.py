"""The batched engine reproduces the torch.optim optimizers restart by restart."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from shared.landscapes import landscape
from shared.landscapes.engine import KERNELS, ball_noise, run_batched
from shared.optim import OPTIMIZERS, build, resolve_hyperparameters

# Settings that make every branch happen within a short run: NiM triggers, searches
# that end by ε and by τ, hops accepted and rejected, momentum, weight decay.
CASES = {
    "sgd": {"momentum": 0.5, "weight_decay": 0.01},
    "nig_sgd": {"rho": 5.0, "weight_decay": 0.01},
    "nim_sgd": {"rho": 0.8, "eps": 0.05, "tau": 15},
    "sam": {"rho": 0.05, "momentum": 0.3},
    "nig_bh": {"rho": 60.0, "eps": 0.05, "tau": 25},
    "nim_bh": {"rho": 1.0, "eps": 0.05, "tau": 25},
    "nig_mbh": {"rho": 60.0, "eps": 0.05, "tau": 25},
    "nim_mbh": {"rho": 1.0, "eps": 0.05, "tau": 25, "noise": "gaussian"},
}
#: Further settings replayed the same way (options that change a kernel's branches).
VARIANTS = [("nim_sgd", {"rho": 0.8, "eps": 0.05, "tau": 15, "tau_mode": "rate_limited"})]
RESTARTS, ITERATIONS = 8, 400
# SAM never settles: near a minimum e = ρ·g/‖g‖ turns with rounding-level changes of g,
# so any two implementations part after a few dozen steps near convergence (measured:
# 1e-12 apart after ~40 steps, 1e-3 after 400). Free-running comparisons of SAM stop
# before that; the lockstep test below checks all 400 of its steps one by one.
HORIZON = {"sam": 30}


def test_every_registered_optimizer_has_a_kernel() -> None:
    assert set(KERNELS) == set(OPTIMIZERS) == set(CASES)


class Recorder:
    """The engine's noise source, remembering each iteration's draw."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.iteration = 0
        self.draws: dict[int, np.ndarray] = {}

    def __call__(self, kind: str, rho: float) -> np.ndarray:
        assert self.iteration not in self.draws  # at most one draw per iteration
        draw = ball_noise(self.rng, kind, rho, (2, RESTARTS))
        self.draws[self.iteration] = draw
        return draw


@pytest.mark.parametrize("function", ["six_hump_camel", "himmelblau"])
@pytest.mark.parametrize(("name", "settings"), [*CASES.items(), *VARIANTS])
def test_engine_matches_torch_optimizer_per_restart(
    name: str, settings: dict, function: str
) -> None:
    f = landscape(function)
    hp = resolve_hyperparameters(name, settings)
    rng = np.random.default_rng(3)
    (x0, x1), (y0, y1) = f.domain
    starts = np.column_stack((rng.uniform(x0, x1, RESTARTS), rng.uniform(y0, y1, RESTARTS)))

    recorder = Recorder(seed=11)
    kernel = KERNELS[name](f, hp, RESTARTS, recorder)
    w = starts.T.copy()
    iterations = HORIZON.get(name, ITERATIONS)
    with np.errstate(all="ignore"):  # a restart may diverge; torch must agree on that too
        for t in range(iterations):
            recorder.iteration = t
            kernel.step(w)
    outcome = kernel.outcome(w)

    for r in range(RESTARTS):
        p = torch.tensor(starts[r], dtype=torch.float64, requires_grad=True)
        opt = build(name, [p], **hp)
        clock = {"t": 0}

        def replay(dimension, rho, kind, like, r=r, clock=clock):
            return torch.from_numpy(recorder.draws[clock["t"]][:, r].copy())

        opt._noise_vector = replay

        def closure(backward: bool = True, p=p, opt=opt) -> torch.Tensor:
            loss = f.torch_value(p)
            if backward:
                opt.zero_grad()
                loss.backward()
            return loss.detach()

        for t in range(iterations):
            clock["t"] = t
            opt.step(closure)

        np.testing.assert_allclose(p.detach().numpy(), w[:, r], rtol=0, atol=1e-9)
        c = kernel.counters
        assert opt.gradient_evaluations == c.gradient_evaluations[r]
        assert opt.loss_evaluations == c.loss_evaluations[r]
        if name.endswith("bh"):
            assert opt.telemetry["hops"] == c.perturbations[r]
            assert opt.telemetry["accepted_hops"] == c.accepted_hops[r]
            np.testing.assert_allclose(opt.incumbent()[0].numpy(), outcome[:, r], atol=1e-9)
        elif name == "nim_sgd":
            assert opt.telemetry["perturbations"] == c.perturbations[r]

    # The settings really exercised the interesting branches somewhere.
    if name == "nim_sgd" or name.endswith("bh"):
        assert kernel.counters.perturbations.sum() > 0
    if name.endswith("mbh"):
        hops = kernel.counters.perturbations.sum()
        assert 0 < kernel.counters.accepted_hops.sum() < hops


@pytest.mark.parametrize("momentum", [0.0, 0.3])
def test_sam_kernel_matches_sam_step_by_step(momentum: float) -> None:
    f = landscape("six_hump_camel")
    hp = resolve_hyperparameters("sam", {"rho": 0.05, "momentum": momentum})
    starts = np.random.default_rng(3).uniform(-1.5, 1.5, (RESTARTS, 2))
    kernel = KERNELS["sam"](f, hp, RESTARTS, None)
    w = starts.T.copy()
    for _ in range(ITERATIONS):
        before, buffer = w.copy(), None if kernel.buffer is None else kernel.buffer.copy()
        kernel.step(w)
        for r in range(RESTARTS):
            p = torch.tensor(before[:, r], dtype=torch.float64, requires_grad=True)
            opt = build("sam", [p], **hp)
            if buffer is not None:
                opt.base.state[p]["momentum_buffer"] = torch.tensor(buffer[:, r])  # SGD under SAM

            def closure(p=p, opt=opt) -> torch.Tensor:
                opt.zero_grad()
                loss = f.torch_value(p)
                loss.backward()
                return loss.detach()

            opt.step(closure)
            np.testing.assert_allclose(p.detach().numpy(), w[:, r], rtol=0, atol=1e-12)


def test_run_batched_is_the_kernel_loop_with_snapshots() -> None:
    f = landscape("himmelblau")
    hp = resolve_hyperparameters("nim_mbh", CASES["nim_mbh"])
    starts = np.array([[0.0, 0.0], [1.0, -1.0], [-4.0, 4.0]])
    run = run_batched(
        f,
        "nim_mbh",
        starts,
        200,
        hp,
        lambda kind, rho: ball_noise(np.random.default_rng(0), kind, rho, (2, 3)),
        path_points=5,
    )
    assert run.path.shape == (5, 3, 2)
    np.testing.assert_array_equal(run.path[0], starts)
    np.testing.assert_array_equal(run.path[-1], run.last_iterates)
    assert run.path_iterations.tolist() == [0, 50, 100, 150, 200]
    assert (run.counters.gradient_evaluations == 200).all()


def test_diverged_restarts_stay_non_finite_without_warnings() -> None:
    f = landscape("three_hump_camel")
    hp = resolve_hyperparameters("sgd", {"lr": 0.05})
    starts = np.array([[5.0, 5.0], [0.1, 0.1]])
    with np.errstate(all="raise"):
        run = run_batched(f, "sgd", starts, 100, hp, lambda k, r: None)
    assert not np.isfinite(run.last_iterates[0]).all()
    assert np.allclose(run.last_iterates[1], 0.0, atol=1e-3)
