"""Noise over all parameter groups, frozen groups, MBH's acceptance batch, reported weights."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from shared.optim import OPTIMIZERS, build, minibatch_closure

NOISY = {
    "nig_sgd": {"rho": 1.0},
    "nim_sgd": {"rho": 1.0, "eps": 1e9, "tau": 1, "tau_mode": "rate_limited"},
    "nig_bh": {"rho": 1.0, "eps": 1e9, "tau": 1},
    "nim_bh": {"rho": 1.0, "eps": 1e9, "tau": 1},
    "nig_mbh": {"rho": 1.0, "eps": 1e9, "tau": 1},
    "nim_mbh": {"rho": 1.0, "eps": 1e9, "tau": 1},
}


def flat_closure(params: list[torch.Tensor]):
    """A loss with zero gradient everywhere: each move of w is the noise alone."""

    def closure(backward: bool = True) -> torch.Tensor:
        loss = sum((0.0 * p).sum() for p in params)
        if backward:
            for p in params:
                p.grad = None
            loss.backward()
        return loss.detach()

    return closure


@pytest.mark.parametrize("name", ["nig_sgd", "nim_sgd", "nim_bh"])
def test_one_noise_ball_over_all_parameter_groups(name: str) -> None:
    """‖ζ‖ ≤ ρ over the whole model; a ball per group would reach ρ·√2 with two."""
    a = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    # lr = 1 so that nig's step moves w by exactly ζ (the gradient is zero).
    opt = build(name, [{"params": [a]}, {"params": [b]}], seed=4, lr=1.0, **NOISY[name])
    closure = flat_closure([a, b])
    largest = 0.0
    for _ in range(300):
        before = torch.cat([a, b]).detach().clone()
        opt.step(closure)
        moved = torch.linalg.vector_norm(torch.cat([a, b]).detach() - before)
        largest = max(largest, float(moved))
    assert largest <= 1.0 + 1e-12
    # In 12 dimensions nearly all of a uniform ball's mass is near its surface.
    assert largest > 0.9


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_groups_without_gradients_are_left_alone(name: str) -> None:
    used = torch.ones(3, dtype=torch.float64, requires_grad=True)
    frozen = torch.ones(3, dtype=torch.float64, requires_grad=True)
    settings = NOISY.get(name, {"rho": 0.1} if name == "sam" else {})
    opt = build(
        name,
        [{"params": [used]}, {"params": [frozen]}],
        seed=1,
        lr=0.1,
        weight_decay=0.1,
        **settings,
    )

    def closure(backward: bool = True) -> torch.Tensor:
        loss = (used * used).sum()
        if backward:
            used.grad = None
            loss.backward()
        return loss.detach()

    for _ in range(10):
        opt.step(closure)
    assert frozen.grad is None
    assert torch.equal(frozen.detach(), torch.ones(3, dtype=torch.float64))
    assert not torch.equal(used.detach(), torch.ones(3, dtype=torch.float64))


class Recording(nn.Module):
    """A linear model that records the mode and the batch of every forward pass."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1).double()
        self.dropout = nn.Dropout(0.5)
        self.calls: list[tuple[bool, float]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, float(x[0, 0])))
        return self.dropout(self.linear(x))


@pytest.mark.parametrize("name", ["nig_mbh", "nim_mbh"])
def test_mbh_judges_on_a_fresh_minibatch_in_eval_mode(name: str) -> None:
    model = Recording()
    opt = build(name, model.parameters(), seed=0, model=model, lr=0.01, tau=1, eps=1e-12)
    step_batch = (torch.full((4, 2), 1.0, dtype=torch.float64), torch.zeros(4, 1).double())
    drawn = []

    def draw() -> tuple[torch.Tensor, torch.Tensor]:
        drawn.append(len(drawn))
        return torch.full((4, 2), 100.0 + len(drawn), dtype=torch.float64), step_batch[1]

    for _ in range(6):
        model.train()
        opt.step(minibatch_closure(model, nn.MSELoss(), *step_batch, draw=draw))
        assert model.training  # the loss-only passes put the mode back
    loss_only = [c for c in model.calls if c[1] != 1.0]
    decisions = len(drawn)  # one fresh batch per acceptance decision
    assert decisions >= 2 and opt.telemetry["hops"] - decisions in (0, 1)  # one may be under way
    assert len(loss_only) == 2 * decisions == opt.loss_evaluations
    assert all(not training for training, _ in loss_only)  # eval mode: no dropout
    # Both passes of a decision saw the same drawn batch, never the step's batch.
    values = [v for _, v in loss_only]
    assert values[0::2] == values[1::2] == [101.0 + i for i in range(decisions)]
    # The gradient passes ran in train mode on the step's own batch.
    assert all(training for training, v in model.calls if v == 1.0)


def test_loss_only_closure_on_a_fixed_model_is_deterministic_under_dropout() -> None:
    model = Recording()
    x, y = torch.randn(8, 2, dtype=torch.float64), torch.randn(8, 1, dtype=torch.float64)
    closure = minibatch_closure(model, nn.MSELoss(), x, y)
    model.train()
    first = closure(backward=False, fresh=True)
    assert torch.equal(first, closure(backward=False))
    assert model.training and model.dropout.training


@pytest.mark.parametrize("name", ["nim_bh", "nim_mbh"])
def test_basin_hopping_reports_the_incumbent_not_the_candidate(name: str) -> None:
    w = torch.tensor([4.0, 0.0], dtype=torch.float64, requires_grad=True)
    opt = build(name, [w], seed=2, lr=0.5, rho=3.0, tau=3, eps=1e-12)

    def closure(backward: bool = True) -> torch.Tensor:
        loss = 0.5 * (w * w).sum()
        if backward:
            w.grad = None
            loss.backward()
        return loss.detach()

    with opt.reported_weights():  # before the first search ends: the iterate
        assert w.tolist() == [4.0, 0.0]
    for _ in range(5):  # the first search ends at step 3; steps 4-5 are mid-hop
        opt.step(closure)
    iterate = w.detach().clone()
    incumbent = opt.incumbent()[0]
    assert not torch.equal(iterate, incumbent)
    with opt.reported_weights():
        assert torch.equal(w.detach(), incumbent)
    assert torch.equal(w.detach(), iterate)  # bit for bit afterwards
    opt.step(closure)  # and the algorithm carries on from the iterate
    assert opt.telemetry["hops"] == 1
