"""Every registered optimizer honours the same torch.optim contract."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from shared.optim import (
    OPTIMIZERS,
    ClosureRequiredError,
    HyperparameterError,
    build,
    catalog,
    declaration,
    minibatch_closure,
)
from shared.optim.inference import constructor_arguments
from tests.optim.conftest import batches, small_model

# Small tau / large eps so that every phase (perturbation, hops, acceptance) happens
# within a few steps of a small model.
ACTIVE = {
    "nim_sgd": {"eps": 10.0, "tau": 3},
    "nig_bh": {"eps": 1e-9, "tau": 3},
    "nim_bh": {"eps": 1e-9, "tau": 3, "rho": 0.05},
    "nig_mbh": {"eps": 1e-9, "tau": 3},
    "nim_mbh": {"eps": 1e-9, "tau": 3, "rho": 0.05},
}
NAMES = list(OPTIMIZERS)
loss_fn = nn.MSELoss()


def make(name: str, model: nn.Module, seed: int = 0) -> torch.optim.Optimizer:
    return build(name, model.parameters(), seed=seed, model=model, lr=0.01, **ACTIVE.get(name, {}))


def run(opt: torch.optim.Optimizer, model: nn.Module, data: list) -> list[float]:
    return [float(opt.step(minibatch_closure(model, loss_fn, x, y))) for x, y in data]


@pytest.mark.parametrize("name", NAMES)
def test_is_a_torch_optimizer_with_hyperparameters_in_param_groups(name: str) -> None:
    model = small_model()
    opt = make(name, model)
    assert isinstance(opt, torch.optim.Optimizer)
    declared = {h.name for h in OPTIMIZERS[name].hyperparameters}
    assert declared <= set(opt.param_groups[0])
    assert opt.param_groups[0]["lr"] == 0.01


@pytest.mark.parametrize("name", NAMES)
def test_step_returns_the_closure_loss_and_counts_evaluations(name: str) -> None:
    model = small_model()
    opt = make(name, model)
    x, y = batches(1)[0]
    expected = float(loss_fn(model(x), y).detach())
    closure = minibatch_closure(model, loss_fn, x, y)
    assert float(opt.step(closure)) == pytest.approx(expected, rel=1e-12)
    per_step = 2 if name == "sam" else 1
    assert opt.gradient_evaluations >= per_step
    for _ in range(9):
        opt.step(closure)
    assert opt.steps == 10
    if name in ("sgd", "nig_sgd", "sam") or name.endswith("bh"):
        assert opt.gradient_evaluations == 10 * per_step
    else:  # nim_sgd: one more each time it perturbs
        assert opt.gradient_evaluations == 10 + opt.telemetry["perturbations"]
        assert opt.telemetry["perturbations"] >= 1
    if name.endswith("mbh"):
        assert opt.loss_evaluations == 2 * (opt.telemetry["hops"] - (opt.phase == "search"))
        assert opt.loss_evaluations > 0
    else:
        assert opt.loss_evaluations == 0


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_trajectory_and_global_rng_untouched(name: str) -> None:
    data = batches(12)
    finals = []
    for _ in range(2):
        model = small_model()
        opt = make(name, model, seed=7)
        global_state = torch.get_rng_state()
        run(opt, model, data)
        assert torch.equal(torch.get_rng_state(), global_state)
        finals.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.equal(finals[0], finals[1])


@pytest.mark.parametrize("name", ["nig_sgd", "nig_bh", "nim_bh"])
def test_noise_depends_on_the_seed(name: str) -> None:
    data = batches(12)
    finals = []
    for seed in (1, 2):
        model = small_model()
        run(make(name, model, seed=seed), model, data)
        finals.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert not torch.equal(finals[0], finals[1])


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip_resumes_identically(name: str) -> None:
    data = batches(16)
    model = small_model()
    opt = make(name, model)
    run(opt, model, data[:5])
    saved_model = copy.deepcopy(model.state_dict())
    saved_opt = copy.deepcopy(opt.state_dict())
    run(opt, model, data[5:])

    resumed_model = small_model(seed=123)
    resumed_model.load_state_dict(saved_model)
    resumed = make(name, resumed_model, seed=999)  # seed and state come from the checkpoint
    resumed.load_state_dict(saved_opt)
    run(resumed, resumed_model, data[5:])

    for a, b in zip(model.parameters(), resumed_model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert resumed.gradient_evaluations == opt.gradient_evaluations
    assert resumed.loss_evaluations == opt.loss_evaluations
    assert resumed.telemetry == opt.telemetry
    assert resumed.steps == opt.steps == 16


@pytest.mark.parametrize("name", [n for n in NAMES if OPTIMIZERS[n].needs_closure])
def test_missing_closure_is_a_clear_error(name: str) -> None:
    model = small_model()
    opt = make(name, model)
    x, y = batches(1)[0]
    loss_fn(model(x), y).backward()
    with pytest.raises(ClosureRequiredError, match=name):
        opt.step()


@pytest.mark.parametrize("name", [n for n in NAMES if not OPTIMIZERS[n].needs_closure])
def test_gradient_already_computed_works_without_closure(name: str) -> None:
    model = small_model()
    opt = make(name, model)
    before = [p.detach().clone() for p in model.parameters()]
    x, y = batches(1)[0]
    loss_fn(model(x), y).backward()
    assert opt.step() is None
    assert opt.gradient_evaluations == 1
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


@pytest.mark.parametrize("name", ["nig_mbh", "nim_mbh"])
def test_mbh_needs_a_closure_that_can_skip_backward(name: str) -> None:
    model = small_model()
    opt = make(name, model)
    x, y = batches(1)[0]

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    with pytest.raises(ClosureRequiredError, match="backward=False"):
        opt.step(closure)


@pytest.mark.parametrize("name", NAMES)
def test_out_of_range_hyperparameters_are_rejected_by_name(name: str) -> None:
    model = small_model()
    with pytest.raises(ValueError, match=r"\blr\b"):
        OPTIMIZERS[name](model.parameters(), lr=-1.0)
    with pytest.raises(HyperparameterError, match=rf"{name}\.lr"):
        build(name, model.parameters(), lr=0)
    with pytest.raises(HyperparameterError, match="unknown hyperparameter"):
        build(name, model.parameters(), learning_rate=0.1)


def test_catalog_describes_every_hyperparameter() -> None:
    entries = {entry["name"]: entry for entry in catalog()}
    assert set(OPTIMIZERS) <= set(entries)
    assert {"adam", "adamw", "rmsprop", "adagrad", "nadam", "radam", "adamax"} <= set(entries)
    assert {"nig", "nim", "bh", "mbh"} <= set(entries)
    for name, entry in entries.items():
        assert entry["available"], entry["reason"]
        assert entry["description"]
        for h in entry["hyperparameters"]:
            assert h["description"] and h["range"] and "default" in h
        defaults = {h["name"].removeprefix("base."): h["default"] for h in entry["hyperparameters"]}
        opt = build(name, small_model().parameters())
        # In the groups as the class takes them (Adam's beta1, beta2 as betas).
        expected = constructor_arguments(defaults, declaration(name).tuples)
        group = opt.param_groups[0]
        assert {k: group[k] for k in expected} == expected
