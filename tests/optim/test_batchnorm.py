"""Extra forward passes inside a step must not update BatchNorm running statistics."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from shared.optim import build, minibatch_closure
from tests.optim.conftest import batches, small_model

loss_fn = nn.MSELoss()


def batchnorm(model: nn.Module) -> nn.BatchNorm1d:
    return next(m for m in model.modules() if isinstance(m, nn.BatchNorm1d))


def after_one_forward(model: nn.Module, x: torch.Tensor) -> nn.BatchNorm1d:
    reference = copy.deepcopy(model)
    reference(x)
    return batchnorm(reference)


def test_sam_updates_running_statistics_once_per_step() -> None:
    model = small_model()
    x, y = batches(1)[0]
    expected = after_one_forward(model, x)
    opt = build("sam", model.parameters(), model=model, rho=0.5)
    opt.step(minibatch_closure(model, loss_fn, x, y))
    bn = batchnorm(model)
    assert int(bn.num_batches_tracked) == 1
    assert torch.equal(bn.running_mean, expected.running_mean)
    assert torch.equal(bn.running_var, expected.running_var)


def test_without_the_model_sam_cannot_protect_them() -> None:
    # Documents why `model=` exists: the second pass would count as a second batch.
    model = small_model()
    x, y = batches(1)[0]
    build("sam", model.parameters(), rho=0.5).step(minibatch_closure(model, loss_fn, x, y))
    assert int(batchnorm(model).num_batches_tracked) == 2


@pytest.mark.parametrize("name", ["nim_sgd", "nig_mbh", "nim_mbh"])
def test_perturbation_and_acceptance_passes_leave_statistics_alone(name: str) -> None:
    model = small_model()
    opt = build(
        name,
        model.parameters(),
        model=model,
        tau=1,
        eps=100.0 if name == "nim_sgd" else 1e-12,
        rho=0.01,
    )
    for step, (x, y) in enumerate(batches(6), start=1):
        opt.step(minibatch_closure(model, loss_fn, x, y))
        assert int(batchnorm(model).num_batches_tracked) == step
    assert opt.loss_evaluations > 0 or opt.telemetry.get("perturbations", 0) > 0
