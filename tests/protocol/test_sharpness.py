"""Sharpness: power iteration on Hessian-vector products, checked against Hessians known
in closed form, and measured without disturbing the trajectory."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from shared.protocol.runner import Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.protocol.sharpness import (
    GRADIENT_EVALUATIONS_PER_PRODUCT,
    SharpnessSettings,
    largest_eigenvalue,
    model_sharpness,
)
from shared.tasks.base import Task, TaskData
from shared.tasks.data_root import DataRoot
from shared.tasks.options import TaskOptions
from tests.protocol.test_runner import Blobs


def symmetric(eigenvalues: list[float], seed: int = 0) -> torch.Tensor:
    """Q diag(eigenvalues) Qᵀ with a random orthogonal Q."""
    generator = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(len(eigenvalues), len(eigenvalues), generator=generator))
    return (q * torch.tensor(eigenvalues)) @ q.T


@pytest.mark.parametrize(
    ("eigenvalues", "largest"),
    [
        ([5.0, 2.0, 1.0, 0.5, -0.3], 5.0),
        ([-7.0, 3.0, 1.0, 0.1], 3.0),  # the dominant one is negative: the shift finds 3
        ([-4.0, -2.0, -1.0], -1.0),  # negative definite: the largest is the least negative
    ],
)
def test_power_iteration_finds_the_largest_eigenvalue(eigenvalues, largest) -> None:
    matrix = symmetric(eigenvalues).double()
    settings = SharpnessSettings(iterations=500, tolerance=1e-10)
    value, used = largest_eigenvalue(
        lambda v: matrix @ v, len(eigenvalues), settings, dtype=torch.float64
    )
    assert value == pytest.approx(largest, rel=1e-6)
    assert 1 <= used <= 2 * settings.iterations


def test_power_iteration_is_seeded_and_stops_at_the_iteration_cap() -> None:
    matrix = symmetric([3.0, 2.9, 1.0]).double()  # a small gap: converges slowly
    settings = SharpnessSettings(iterations=4, tolerance=0.0, seed=7)
    first = largest_eigenvalue(lambda v: matrix @ v, 3, settings, dtype=torch.float64)
    again = largest_eigenvalue(lambda v: matrix @ v, 3, settings, dtype=torch.float64)
    assert first == again and first[1] == 4
    assert first[0] <= 3.0 + 1e-12  # a Rayleigh quotient never exceeds the top eigenvalue


class Quadratic(nn.Module):
    """Logits ``w·x`` for one output: the squared-error loss ½·mean((w·x − y)²) has the
    Hessian XᵀX / n, whatever w is."""

    def __init__(self, dimension: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(dimension))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return (inputs @ self.w).unsqueeze(-1)


def squared_error(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((logits.squeeze(-1) - targets) ** 2).mean()


def test_model_sharpness_of_least_squares_is_the_top_eigenvalue_of_xtx() -> None:
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(64, 6, generator=generator) * torch.tensor([3.0, 1, 1, 1, 0.5, 0.1])
    targets = torch.randn(64, generator=generator)
    expected = float(torch.linalg.eigvalsh(inputs.T @ inputs / 64).max())
    settings = SharpnessSettings(iterations=200, tolerance=1e-7)
    estimate = model_sharpness(Quadratic(6), squared_error, inputs, targets, settings)
    assert estimate.eigenvalue == pytest.approx(expected, rel=1e-4)
    assert estimate.gradient_evaluations == 1 + GRADIENT_EVALUATIONS_PER_PRODUCT * estimate.products


def test_model_sharpness_of_softmax_regression_matches_the_full_hessian() -> None:
    generator = torch.Generator().manual_seed(2)
    inputs, targets = torch.randn(40, 4, generator=generator), torch.randint(0, 3, (40,))
    model = nn.Linear(4, 3)

    def loss_of(flat: torch.Tensor) -> torch.Tensor:
        weight, bias = flat[:12].reshape(3, 4), flat[12:]
        return nn.functional.cross_entropy(inputs @ weight.T + bias, targets)

    flat = torch.cat([model.weight.detach().reshape(-1), model.bias.detach()])
    hessian = torch.autograd.functional.hessian(loss_of, flat)
    expected = float(torch.linalg.eigvalsh(hessian).max())
    settings = SharpnessSettings(iterations=300, tolerance=1e-8)
    estimate = model_sharpness(model, nn.functional.cross_entropy, inputs, targets, settings)
    assert estimate.eigenvalue == pytest.approx(expected, rel=1e-3)


def test_model_sharpness_leaves_mode_buffers_grads_and_rng_alone() -> None:
    model = Blobs().build_model(3)
    data = Blobs().load()
    inputs, targets = data.train.tensors[0][:64], data.train.tensors[1][:64]
    model.train()
    nn.functional.cross_entropy(model(inputs), targets).backward()
    grads = [p.grad.clone() for p in model.parameters()]
    buffers = {k: v.clone() for k, v in model.state_dict().items()}
    rng = torch.get_rng_state()
    estimate = model_sharpness(
        model, nn.functional.cross_entropy, inputs, targets, SharpnessSettings(iterations=5)
    )
    assert estimate.eigenvalue is not None and estimate.eigenvalue > 0
    assert model.training
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(p.grad, g) for p, g in zip(model.parameters(), grads, strict=True))
    assert all(torch.equal(v, buffers[k]) for k, v in model.state_dict().items())
    # Eval mode: dropout is off, so the estimate does not depend on the global RNG.
    torch.manual_seed(123)
    again = model_sharpness(
        model, nn.functional.cross_entropy, inputs, targets, SharpnessSettings(iterations=5)
    )
    assert again == estimate


def test_unused_parameters_and_a_loss_linear_in_the_parameters() -> None:
    class Linear(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.ones(3))
            self.unused = nn.Parameter(torch.ones(2))

        def forward(self, inputs: torch.Tensor) -> torch.Tensor:
            return (inputs @ self.w).unsqueeze(-1)

    def mean_logit(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return logits.mean()

    estimate = model_sharpness(
        Linear(), mean_logit, torch.randn(8, 3), torch.zeros(8), SharpnessSettings()
    )
    assert estimate.eigenvalue == 0.0


def test_a_non_finite_loss_gives_no_sharpness() -> None:
    model = Quadratic(2)
    with torch.no_grad():
        model.w.fill_(float("inf"))
    estimate = model_sharpness(
        model, squared_error, torch.ones(4, 2), torch.zeros(4), SharpnessSettings()
    )
    assert estimate.eigenvalue is None


@pytest.mark.parametrize("field", ["iterations", "batch_size"])
def test_settings_are_bounded(field) -> None:
    with pytest.raises(ValueError, match=field.split("_")[0]):
        SharpnessSettings(**{field: 0})


# -- in the runner --------------------------------------------------------------------------


class LeastSquares(Task):
    """A regression through one linear output: its Hessian is XᵀX/n at every point."""

    name = "least_squares"

    def __init__(self) -> None:
        # Generated in memory: no options to validate and nothing under a data root.
        super().__init__(TaskOptions(), DataRoot(Path("/nonexistent")))

    def load(self) -> TaskData:
        generator = torch.Generator().manual_seed(0)
        inputs = torch.randn(96, 5, generator=generator) * torch.tensor([2.0, 1, 1, 0.5, 0.5])
        targets = torch.randint(0, 1, (96,))
        return TaskData(
            TensorDataset(inputs[:64], targets[:64]),
            TensorDataset(inputs[64:], targets[64:]),
            num_labels=1,
        )

    def build_model(self, num_labels: int) -> nn.Module:
        return Quadratic(5)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return squared_error(logits, targets.float())


def config(sharpness: SharpnessSettings | None, optimizer: str = "sgd", **changes):
    values = {
        "optimizer": optimizer,
        "hyperparameters": {"lr": 0.05},
        "seeds": trajectory_seeds(3, optimizer, 0),
        "budget": Budget(epochs=3),
        "batch_size": 32,
        "evaluate_every": 0.5,
        "sharpness": sharpness,
    }
    return TrajectoryConfig(**{**values, **changes})


def test_runner_records_the_closed_form_sharpness_at_every_point() -> None:
    task = LeastSquares()
    data = task.load()
    batch = 48  # the runner's fixed sharpness batch: 48 of the 64 training examples
    settings = SharpnessSettings(iterations=200, tolerance=1e-7, batch_size=batch)
    runner = TrajectoryRunner(task, data, config(settings))
    records = runner.run()
    chosen = data.train.tensors[0][runner.sharpness_index]
    assert len(runner.sharpness_index) == batch
    expected = float(torch.linalg.eigvalsh(chosen.T @ chosen / batch).max())
    assert len(records) == 7
    for record in records:
        assert record.sharpness == pytest.approx(expected, rel=1e-4)
        assert record.sharpness_gradient_evaluations >= 1 + GRADIENT_EVALUATIONS_PER_PRODUCT
    # Outside the optimizer's budget: 2 steps per epoch, 3 epochs.
    assert records[-1].gradient_evaluations == 6


@pytest.mark.parametrize("optimizer", ["sgd", "sam", "nim_mbh"])
def test_measuring_sharpness_does_not_change_the_trajectory(optimizer) -> None:
    """BatchNorm running statistics, dropout and the global RNG are untouched: the records
    equal those of the same trajectory run without sharpness."""
    hyperparameters = {"lr": 0.05, **({"tau": 3, "eps": 1e-9} if "bh" in optimizer else {})}
    task, data = Blobs(), Blobs().load()
    plain = TrajectoryRunner(
        task, data, config(None, optimizer, hyperparameters=hyperparameters)
    ).run()
    measured = TrajectoryRunner(
        task,
        data,
        config(SharpnessSettings(iterations=8), optimizer, hyperparameters=hyperparameters),
    ).run()
    keys = [k for k in plain[0].comparable() if not k.startswith("sharpness")]
    assert [[r.comparable()[k] for k in keys] for r in measured] == [
        [r.comparable()[k] for k in keys] for r in plain
    ]
    assert all(r.sharpness is not None and r.sharpness > 0 for r in measured)
    assert all(r.sharpness is None and r.sharpness_gradient_evaluations is None for r in plain)


def test_resume_with_sharpness_gives_identical_records() -> None:
    saved: list[bytes] = []
    task, data = Blobs(), Blobs().load()
    cfg = config(SharpnessSettings(iterations=6), "sam", budget=Budget(epochs=1.5))
    full = TrajectoryRunner(task, data, cfg, lambda r, c: saved.append(c)).run()
    for k in (1, 2):
        rest = TrajectoryRunner(task, data, cfg).run(checkpoint=saved[k])
        assert [r.comparable() for r in rest] == [r.comparable() for r in full[k + 1 :]]


# -- in the spec ----------------------------------------------------------------------------

TRAINING = {"kind": "training", "task": "digits", "optimizers": ["sgd"]}


def test_the_spec_turns_sharpness_on_with_bounded_settings() -> None:
    from pydantic import ValidationError

    from shared.spec import parse_spec
    from worker.training import trajectory_config

    spec = parse_spec({**TRAINING, "sharpness": True, "sharpness_iterations": 7})
    settings = trajectory_config(spec, "sgd", 0).sharpness
    assert settings == SharpnessSettings(iterations=7, batch_size=spec.sharpness_batch)
    assert trajectory_config(parse_spec(TRAINING), "sgd", 0).sharpness is None
    for field, value in [("sharpness_iterations", 0), ("sharpness_batch", 10**6)]:
        with pytest.raises(ValidationError, match=field):
            parse_spec({**TRAINING, "sharpness": True, field: value})


def test_sharpness_of_a_transformer_classifier() -> None:
    """Double backward through BERT attention (math kernel) on the packaged MiniLM."""
    from shared.protocol.runner import take
    from shared.tasks.registry import build_task

    task = build_task("minilm_text", {"num_examples": 30, "max_length": 16})
    data = task.load()
    torch.manual_seed(0)
    model = task.build_model(data.num_labels)
    inputs, targets = take(data.train, torch.arange(8), data.collate)
    settings = SharpnessSettings(iterations=3, tolerance=0.0)
    estimate = model_sharpness(model, task.loss, inputs, targets, settings)
    assert estimate.eigenvalue is not None and estimate.eigenvalue > 0
    assert estimate.products == 3 and model.training
    assert all(p.grad is None for p in model.parameters())
    assert model_sharpness(model, task.loss, inputs, targets, settings) == estimate
