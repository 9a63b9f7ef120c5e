"""The GPU check's exactness rows: every optimizer resumed onto the device bit for bit,
and sharpness on the device against the CPU (see ``bench/gpu.py``)."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from bench.gpu_rows import Row, Sizes, mnist1d, relative
from shared.artifacts.weights import checkpoint_bytes, load_checkpoint
from shared.optim import build, minibatch_closure
from shared.optim.declarations import REGISTRY
from shared.protocol.runner import Batches
from shared.protocol.sharpness import SharpnessSettings, model_sharpness

# -- exact resume of every optimizer ----------------------------------------------------

#: Small tau and large eps, so perturbations, hops and acceptance happen within the steps.
ACTIVE = {
    "nim_sgd": {"eps": 10.0, "tau": 3},
    "nig_bh": {"eps": 1e-9, "tau": 3},
    "nim_bh": {"eps": 1e-9, "tau": 3, "rho": 0.05},
    "nig_mbh": {"eps": 1e-9, "tau": 3},
    "nim_mbh": {"eps": 1e-9, "tau": 3, "rho": 0.05},
}


def small_model(seed: int) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))


def same_state(a: Any, b: Any) -> bool:
    """Equal bit for bit: tensors (compared on the CPU), containers, numbers."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a.cpu(), b.cpu())
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
        )
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def on_device(state: Any, device: torch.device) -> Iterator[bool]:
    """Whether each floating-point tensor of an optimizer's per-parameter state is on
    ``device`` (the generator's state is bytes on the CPU by design)."""
    if isinstance(state, torch.Tensor):
        if state.is_floating_point() and state.dim() > 0:
            yield state.device.type == device.type
    elif isinstance(state, dict):
        for value in state.values():
            yield from on_device(value, device)


def resume_problem(name: str, device: torch.device, steps: tuple[int, int]) -> str | None:
    """None when optimizer ``name`` resumes exactly on ``device``, else what differed."""
    generator = torch.Generator().manual_seed(11)
    data = [
        (
            torch.randn(8, 6, generator=generator).to(device),
            torch.randint(0, 3, (8,), generator=generator).to(device),
        )
        for _ in range(sum(steps))
    ]
    loss = nn.functional.cross_entropy

    def make(model: nn.Module, seed: int) -> Any:
        return build(
            name, model.parameters(), seed=seed, model=model, lr=0.05, **ACTIVE.get(name, {})
        )

    def train(optimizer: Any, model: nn.Module, batches: list) -> None:
        for x, y in batches:
            optimizer.step(minibatch_closure(model, loss, x, y))

    model = small_model(0).to(device)
    optimizer = make(model, seed=7)
    train(optimizer, model, data[: steps[0]])
    saved = load_checkpoint(
        checkpoint_bytes({"model": model.state_dict(), "optimizer": optimizer.state_dict()})
    )  # host memory, as the worker loads it
    train(optimizer, model, data[steps[0] :])

    resumed_model = small_model(1).to(device)
    resumed_model.load_state_dict(saved["model"])
    resumed = make(resumed_model, seed=999)  # seed and generator come from the checkpoint
    resumed.load_state_dict(saved["optimizer"])
    if not all(on_device(resumed.state_dict()["state"], device)):
        return "state left off the device"
    train(resumed, resumed_model, data[steps[0] :])
    if not same_state(model.state_dict(), resumed_model.state_dict()):
        return "weights differ"
    back = load_checkpoint(checkpoint_bytes({"optimizer": resumed.state_dict()}))["optimizer"]
    expected = load_checkpoint(checkpoint_bytes({"optimizer": optimizer.state_dict()}))["optimizer"]
    if not same_state(back, expected):
        return "state saved again differs"
    return None


def resume_row(device: torch.device) -> Row:
    names = REGISTRY.names()
    problems = {}
    for name in names:
        try:
            problem = resume_problem(name, device, (4, 5))
        except Exception as error:  # a failure of one optimizer is a row's detail
            problem = f"{type(error).__name__}: {error}"
        if problem is not None:
            problems[name] = problem
    exact = len(names) - len(problems)
    detail = "; ".join(f"{k}: {v}" for k, v in problems.items())
    return Row(
        f"exact resume of {len(names)} optimizers: checkpoint → {device.type} → checkpoint",
        f"{exact}/{len(names)} bit for bit" + (f" ({detail})" if detail else ""),
        "weights, counters and state (generator included) vs the uninterrupted run",
        not problems,
    )


# -- sharpness ----------------------------------------------------------------------------


def sharpness_row(device: torch.device, sizes: Sizes) -> Row:
    task, data = mnist1d(sizes.runner_samples, sizes.mnist1d_model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = task.build_model(data.num_labels)
    batches = Batches(data.train, 64, 0, None)
    optimizer = build("sgd", model.parameters(), model=model, lr=0.05)
    for step in range(20):  # away from the initial weights
        optimizer.step(minibatch_closure(model, task.loss, *batches(step)))
    inputs, targets = (
        data.train.tensors[0][: sizes.sharpness_batch],
        data.train.tensors[1][: sizes.sharpness_batch],
    )
    settings = SharpnessSettings(iterations=60)
    reference = model_sharpness(
        copy.deepcopy(model).double(), task.loss, inputs.double(), targets, settings
    )
    measured = model_sharpness(
        copy.deepcopy(model).to(device), task.loss, inputs.to(device), targets.to(device), settings
    )
    tolerance = 2 * settings.tolerance
    if measured.eigenvalue is None or reference.eigenvalue is None:
        gap = math.inf
    else:
        gap = relative(measured.eigenvalue, reference.eigenvalue)
    converged = bool(measured.converged and reference.converged)
    return Row(
        f"sharpness (mnist1d {sizes.mnist1d_model.upper()}, batch {sizes.sharpness_batch}), "
        f"{device.type} float32",
        f"λ = {measured.eigenvalue:.5g} in {measured.products} products",
        f"CPU float64 λ = {reference.eigenvalue:.5g}: rel. diff {gap:.1e} ≤ {tolerance:g}"
        + ("" if converged else " (not converged)"),
        converged and gap <= tolerance,
    )
