"""Sharpness: Lanczos on Hessian-vector products, checked against spectra known by
construction (the hard kinds for power iteration: ±λ dominating together, −λ dominating,
a bulk near zero) and Hessians known in closed form, and measured without disturbing the
trajectory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from shared.protocol.runner import Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.protocol.sharpness import (
    GRADIENT_EVALUATIONS_PER_PRODUCT,
    SharpnessSettings,
    extreme_eigenvalues,
    model_sharpness,
)
from shared.tasks.base import Task, TaskData
from shared.tasks.data_root import DataRoot
from shared.tasks.options import TaskOptions
from tests.protocol.test_runner import Blobs


def symmetric(eigenvalues: list[float] | np.ndarray, seed: int = 0) -> torch.Tensor:
    """Q diag(eigenvalues) Qᵀ with a random orthogonal Q (float64)."""
    generator = torch.Generator().manual_seed(seed)
    n = len(eigenvalues)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=torch.float64))
    return (q * torch.as_tensor(eigenvalues, dtype=torch.float64)) @ q.T


def hard_spectrum(kind: str, seed: int, n: int = 400) -> np.ndarray:
    """Eigenvalues of the kinds that defeat power iteration, over a bulk near zero."""
    rng = np.random.default_rng(seed)
    spectrum = rng.uniform(-0.5, 0.5, n)  # the bulk: 5% of the top eigenvalue
    if kind == "plus_minus":  # +λ and −λ dominate together
        spectrum[:2] = [10.0, -10.0]
    elif kind == "negative_dominates":  # −λ four times the top positive one
        spectrum[:4] = [5.0, -20.0, -15.0, -11.0]
    elif kind == "close_top":  # a near-degenerate top beside a larger −λ
        spectrum[:3] = [10.0, 9.7, -12.0]
    elif kind == "bulk":  # random outliers on a Gaussian bulk
        spectrum = rng.normal(0.0, 0.2, n)
        spectrum[:6] = rng.uniform(1, 4, 3).tolist() + (-rng.uniform(1, 6, 3)).tolist()
    elif kind == "negative_definite":  # a maximum: the largest is the least negative
        spectrum = -rng.uniform(1.0, 20.0, n)
        spectrum[0] = -0.8
    return spectrum


KINDS = ["plus_minus", "negative_dominates", "close_top", "bulk", "negative_definite"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_largest_eigenvalue_within_1_percent_at_the_default_budget(kind) -> None:
    """Every seed tried (the spectrum, its basis and the start vector), at the defaults."""
    settings = SharpnessSettings()
    for seed in range(10):
        spectrum = hard_spectrum(kind, seed)
        matrix = symmetric(spectrum, seed)
        result = extreme_eigenvalues(
            lambda v, m=matrix: m @ v,
            len(spectrum),
            SharpnessSettings(seed=seed, min_eigenvalue=True),
            dtype=torch.float64,
        )
        largest = result.largest
        assert largest == pytest.approx(spectrum.max(), rel=0.01), (kind, seed)
        assert result.largest_converged and result.products <= settings.iterations
        # The most negative one too, where it stands out of the bulk (in a negative
        # definite spectrum it sits in a dense band, and a converged flag is not promised).
        if result.smallest_converged or kind != "negative_definite":
            assert result.smallest_converged
            assert result.smallest == pytest.approx(spectrum.min(), rel=0.01), (kind, seed)
        # The residual ‖Hv − θv‖ Lanczos reports bounds the distance to an eigenvalue.
        assert abs(largest - spectrum.max()) <= result.largest_residual + 1e-9


def test_a_float32_operator_converges_as_well() -> None:
    """Products in float32 (as a network's are), accumulated in float64."""
    spectrum = hard_spectrum("plus_minus", 3)
    matrix = symmetric(spectrum, 3).float()
    result = extreme_eigenvalues(lambda v: matrix @ v, len(spectrum), SharpnessSettings())
    assert result.largest == pytest.approx(10.0, rel=1e-3) and result.largest_converged


def test_an_unconverged_estimate_is_flagged_and_stops_at_the_budget() -> None:
    # A dense spectrum with a tiny top gap: 5 products cannot resolve it.
    spectrum = np.linspace(-3.0, 3.0, 300)
    matrix = symmetric(spectrum, 1)
    settings = SharpnessSettings(iterations=5, seed=7)
    first = extreme_eigenvalues(lambda v: matrix @ v, 300, settings, dtype=torch.float64)
    again = extreme_eigenvalues(lambda v: matrix @ v, 300, settings, dtype=torch.float64)
    assert first == again and first.products == 5
    assert not first.largest_converged
    assert first.largest <= 3.0 + 1e-12  # a Ritz value never exceeds the top eigenvalue
    assert first.largest_residual > settings.tolerance * first.scale


def test_a_small_operator_is_solved_exactly() -> None:
    """Once the Krylov space is the whole space the Ritz values are the eigenvalues."""
    matrix = symmetric([-4.0, -2.0, -1.0], 2)
    result = extreme_eigenvalues(
        lambda v: matrix @ v, 3, SharpnessSettings(tolerance=0.0), dtype=torch.float64
    )
    assert result.largest == pytest.approx(-1.0, rel=1e-10)
    assert result.smallest == pytest.approx(-4.0, rel=1e-10)
    assert result.products <= 3 and result.largest_converged


def test_a_non_finite_product_gives_no_value() -> None:
    result = extreme_eigenvalues(
        lambda v: v * float("nan"), 4, SharpnessSettings(), dtype=torch.float64
    )
    assert result.largest is None and not result.largest_converged and result.products == 1


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
    assert estimate.converged and estimate.products <= 6  # 6 parameters: exact by then


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
    assert estimate.converged and estimate.min_eigenvalue is None  # not asked for
    both = model_sharpness(
        model,
        nn.functional.cross_entropy,
        inputs,
        targets,
        SharpnessSettings(min_eigenvalue=True),
    )
    assert both.eigenvalue == pytest.approx(expected, rel=1e-3)
    # Softmax regression's Hessian is singular (the logits' shift): its smallest is 0.
    assert both.min_eigenvalue == pytest.approx(
        float(torch.linalg.eigvalsh(hessian).min()), abs=1e-4
    )


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


def test_products_run_in_full_float32_and_the_settings_come_back() -> None:
    """TF32 (cuDNN's default on a GPU) would put 1e-3 errors into every product."""
    seen = []

    class Recording(nn.Linear):
        def forward(self, inputs: torch.Tensor) -> torch.Tensor:
            seen.append((torch.backends.cudnn.allow_tf32, torch.get_float32_matmul_precision()))
            return super().forward(inputs)

    convolutions, products = torch.backends.cudnn.allow_tf32, torch.get_float32_matmul_precision()
    torch.backends.cudnn.allow_tf32 = True
    torch.set_float32_matmul_precision("high")
    try:
        inputs, targets = torch.randn(16, 4), torch.randint(0, 3, (16,))
        model_sharpness(
            Recording(4, 3), nn.functional.cross_entropy, inputs, targets, SharpnessSettings()
        )
        assert seen and set(seen) == {(False, "highest")}
        assert torch.backends.cudnn.allow_tf32
        assert torch.get_float32_matmul_precision() == "high"
    finally:
        torch.backends.cudnn.allow_tf32 = convolutions
        torch.set_float32_matmul_precision(products)


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
        assert record.sharpness_converged and record.sharpness_products <= 5
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
    assert all(r.sharpness_products and r.sharpness_converged is not None for r in measured)
    assert all(r.sharpness is None and r.sharpness_gradient_evaluations is None for r in plain)
    assert all(r.sharpness_converged is None and r.sharpness_products is None for r in plain)


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
    both = parse_spec({**TRAINING, "sharpness": True, "sharpness_min_eigenvalue": True})
    assert trajectory_config(both, "sgd", 0).sharpness == SharpnessSettings(min_eigenvalue=True)
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
