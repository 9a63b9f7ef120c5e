"""Each update rule against steps computed by hand on small quadratics."""

from __future__ import annotations

import math

import pytest
import torch

from shared.optim import build

A = torch.tensor([1.0, 4.0], dtype=torch.float64)  # f(w) = ½ Σ A_i w_i²  ⇒  g = A ⊙ w


def quadratic(w: torch.Tensor, scale: torch.Tensor = A):
    def closure(backward: bool = True) -> torch.Tensor:
        loss = 0.5 * (scale * w * w).sum()
        if backward:
            w.grad = None
            loss.backward()
        return loss.detach()

    return closure


def param(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def test_sgd_step() -> None:
    w = param(1.0, 1.0)
    opt = build("sgd", [w], lr=0.1)
    loss = opt.step(quadratic(w))
    assert float(loss) == pytest.approx(2.5)  # ½(1 + 4)
    assert w.tolist() == pytest.approx([0.9, 0.6], abs=1e-15)


def test_sgd_momentum_and_weight_decay() -> None:
    w = param(1.0, 1.0)
    opt = build("sgd", [w], lr=0.1, momentum=0.9)
    opt.step(quadratic(w))  # buf = g = (1, 4) → w = (0.9, 0.6)
    opt.step(quadratic(w))  # g = (0.9, 2.4); buf = 0.9·(1, 4) + g = (1.8, 6.0)
    assert w.tolist() == pytest.approx([0.72, 0.0], abs=1e-15)

    w = param(1.0, 1.0)
    build("sgd", [w], lr=0.1, weight_decay=0.5).step(quadratic(w))  # d = g + 0.5·w
    assert w.tolist() == pytest.approx([0.85, 0.55], abs=1e-15)


def test_nig_sgd_adds_the_noise_to_the_gradient(replay) -> None:
    w = param(1.0, 1.0)
    opt = build("nig_sgd", [w], lr=0.1, rho=3.0)
    opt._noise_vector = replay([0.5, -1.0], [0.0, 2.0])
    opt.step(quadratic(w))  # w − 0.1·((1, 4) + (0.5, −1))
    assert w.tolist() == pytest.approx([0.85, 0.7], abs=1e-15)
    opt.step(quadratic(w))  # g = (0.85, 2.8); w − 0.1·(g + (0, 2))
    assert w.tolist() == pytest.approx([0.765, 0.22], abs=1e-15)


def test_nim_sgd_perturbs_when_gradient_small_and_recomputes(replay) -> None:
    w = param(0.001, 0.0)
    opt = build("nim_sgd", [w], lr=0.1, rho=1.0, eps=0.01, tau=5, tau_mode="rate_limited")
    opt._noise_vector = replay([1.0, 0.0])
    scale = torch.ones(2, dtype=torch.float64)
    opt.step(quadratic(w, scale))  # ‖g‖ = 0.001 < ε: w = (1.001, 0); g = w; w −= 0.1·g
    assert w.tolist() == pytest.approx([0.9009, 0.0], abs=1e-15)
    assert opt.gradient_evaluations == 2
    assert opt.telemetry["perturbations"] == 1
    opt.step(quadratic(w, scale))  # ‖g‖ = 0.9 ≥ ε: a plain step
    assert w.tolist() == pytest.approx([0.81081, 0.0], abs=1e-15)
    assert opt.gradient_evaluations == 3


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        # τ counts from the start: nothing before step τ = 3, then every 3 steps.
        ("start", [0, 0, 0, 1, 1, 1, 2]),
        # rate-limited: the first perturbation at once, then every 3 steps.
        ("rate_limited", [1, 1, 1, 2, 2, 2, 3]),
    ],
)
def test_nim_sgd_tau_counts_from_the_start_or_between_perturbations(
    replay, mode: str, expected: list[int]
) -> None:
    # lr = 1 on ½‖w‖² sends w to 0 in one step, so ‖g‖ < ε at every step after that.
    w = param(0.0, 0.0)
    opt = build("nim_sgd", [w], lr=1.0, rho=1.0, eps=0.1, tau=3, tau_mode=mode)
    opt._noise_vector = replay([1.0, 0.0], [0.0, 1.0], [1.0, 1.0])
    scale = torch.ones(2, dtype=torch.float64)
    perturbations = []
    for _ in range(7):
        opt.step(quadratic(w, scale))
        perturbations.append(opt.telemetry["perturbations"])
    assert perturbations == expected
    assert opt.gradient_evaluations == 7 + expected[-1]


def test_sam_descends_with_the_gradient_at_the_ascent_point() -> None:
    w = param(1.0, 1.0)
    opt = build("sam", [w], lr=0.1, rho=0.5)
    opt.step(quadratic(w))
    norm = math.sqrt(17.0)  # ‖(1, 4)‖
    ascent = (1 + 0.5 * 1 / norm, 1 + 0.5 * 4 / norm)
    expected = (1 - 0.1 * 1 * ascent[0], 1 - 0.1 * 4 * ascent[1])
    # 1e-12: SAM divides by ‖g‖ + 1e-12 (the zero-gradient guard)
    assert w.tolist() == pytest.approx(expected, abs=1e-12)
    assert opt.gradient_evaluations == 2


def test_basin_hopping_sequence_by_hand(replay) -> None:
    # f = ½‖w‖², lr = 0.5 halves w each search step; τ = 2 search steps.
    scale = torch.ones(2, dtype=torch.float64)
    trace = {}
    for name in ("nim_bh", "nim_mbh"):
        w = param(4.0, 0.0)
        opt = build(name, [w], lr=0.5, rho=1.0, tau=2, eps=1e-12)
        opt._noise_vector = replay([0.0, 2.0], [10.0, 0.0])
        states = []
        for _ in range(6):
            opt.step(quadratic(w, scale))
            states.append(w.tolist())
        trace[name] = (states, opt)
    states, bh = trace["nim_bh"]
    # search (4,0)→(2,0)→(1,0): incumbent; hop: (1,2) → (.5,1) → (.25,.5): accepted;
    # hop: (10.25,.5) → (5.125,.25) → (2.5625,.125): BH accepts it too.
    assert states == [[2, 0], [1, 0], [0.5, 1], [0.25, 0.5], [5.125, 0.25], [2.5625, 0.125]]
    assert bh.telemetry["hops"] == 2 and bh.telemetry["accepted_hops"] == 2
    assert bh.incumbent()[0].tolist() == [2.5625, 0.125]
    states, mbh = trace["nim_mbh"]
    # MBH accepts the first hop (f .15625 < .5) and rejects the second (f 3.29 > .15625).
    assert states[:5] == [[2, 0], [1, 0], [0.5, 1], [0.25, 0.5], [5.125, 0.25]]
    assert states[5] == [0.25, 0.5]
    assert mbh.telemetry["accepted_hops"] == 1 and mbh.loss_evaluations == 4


def test_nig_bh_perturbs_with_one_noisy_gradient_step(replay) -> None:
    scale = torch.ones(2, dtype=torch.float64)
    w = param(4.0, 0.0)
    opt = build("nig_bh", [w], lr=0.5, rho=1.0, tau=1, eps=1e-12)
    opt._noise_vector = replay([0.0, 6.0])
    opt.step(quadratic(w, scale))  # search step (τ = 1): (2, 0) becomes the incumbent
    opt.step(quadratic(w, scale))  # perturb: w − 0.5·((2, 0) + (0, 6)) = (1, −3)
    assert w.tolist() == [1.0, -3.0]
    assert opt.telemetry["last_perturbation_norm"] == 6.0


def test_mbh_rejection_restores_weights_exactly() -> None:
    torch.manual_seed(0)
    w = torch.randn(50, dtype=torch.float64, requires_grad=True)
    scale = torch.rand(50, dtype=torch.float64) + 0.5
    # A large perturbation and one search step: every candidate is worse, so rejected.
    opt = build("nim_mbh", [w], lr=0.01, rho=100.0, tau=1, eps=1e-12, seed=3)
    opt.step(quadratic(w, scale))  # first search ends: incumbent
    incumbent = w.detach().clone()
    for _ in range(10):
        opt.step(quadratic(w, scale))
        assert torch.equal(w.detach(), incumbent)  # bit for bit, not approximately
    assert opt.telemetry["hops"] == 10 and opt.telemetry["accepted_hops"] == 0


def test_closure_free_gradient_counts_and_ball_noise_radius() -> None:
    from shared.optim.noise import sample_noise

    g = torch.Generator().manual_seed(0)
    draws = torch.stack([sample_noise("ball", 2.0, 3, g) for _ in range(4000)])
    norms = torch.linalg.vector_norm(draws, dim=1)
    assert float(norms.max()) <= 2.0
    # uniform in a 3-ball: P(‖ζ‖ ≤ r) = (r/ρ)³, so the median radius is ρ·0.5^(1/3)
    assert float(norms.median()) == pytest.approx(2.0 * 0.5 ** (1 / 3), rel=0.05)
    gauss = torch.stack([sample_noise("gaussian", 2.0, 3, g) for _ in range(4000)])
    assert float(gauss.std()) == pytest.approx(2.0, rel=0.05)
