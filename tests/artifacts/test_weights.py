"""Checkpoints that load with ``weights_only=True`` for every optimizer, refusal of
anything else, and kept weights (safetensors) that rebuild the exact model."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from shared.artifacts.weights import (
    UnreadableCheckpoint,
    build_model,
    checkpoint_bytes,
    load_checkpoint,
    save_weights,
    weights_info,
)
from shared.optim.closures import minibatch_closure
from shared.optim.declarations import OPTIMIZER_NAMES
from shared.optim.registry import build
from shared.protocol.runner import Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.tasks.registry import build_task


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_every_optimizer_checkpoints_as_weights_only(name: str) -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 3))
    optimizer = build(name, model.parameters(), seed=0, model=model, lr=0.01)
    inputs, targets = torch.randn(16, 4), torch.randint(0, 3, (16,))
    for _ in range(5):
        optimizer.step(minibatch_closure(model, nn.functional.cross_entropy, inputs, targets))
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "step": 5,
        "rng": torch.get_rng_state(),
        "cuda_rng": None,
    }
    loaded = load_checkpoint(checkpoint_bytes(state))
    fresh = build(name, model.parameters(), seed=1, model=model, lr=0.01)
    fresh.load_state_dict(loaded["optimizer"])
    assert fresh.state_dict()["param_groups"] == optimizer.state_dict()["param_groups"]
    assert torch.equal(loaded["rng"], state["rng"]) and loaded["step"] == 5


class Payload:
    def __reduce__(self):  # what a malicious checkpoint would carry
        return (os.system, ("echo owned",))


@pytest.mark.parametrize(
    "data",
    [
        pickle.dumps({"model": Payload()}),
        b"not a checkpoint at all",
        checkpoint_bytes({"model": {}})[:-10],
    ],
    ids=["pickled object", "garbage", "truncated"],
)
def test_anything_but_weights_is_refused(data: bytes) -> None:
    with pytest.raises(UnreadableCheckpoint):
        load_checkpoint(data)


def test_a_pickled_object_is_refused_even_inside_torch_save() -> None:
    buffer = io.BytesIO()
    torch.save({"model": Payload()}, buffer)
    with pytest.raises(UnreadableCheckpoint, match="checkpoint does not load"):
        load_checkpoint(buffer.getvalue())


def test_kept_weights_rebuild_the_evaluated_model(tmp_path: Path) -> None:
    """The runner hands the evaluated model to ``on_model``; its safetensors file rebuilds
    through the task registry into a model with the record's exact test accuracy."""
    task = build_task("digits")
    data = task.load()
    config = TrajectoryConfig(
        optimizer="sgd",
        hyperparameters={"lr": 0.05},
        seeds=trajectory_seeds(0, "sgd", 0),
        budget=Budget(epochs=1),
        batch_size=64,
        evaluate_every=0.5,
    )
    saved: dict[int, Path] = {}

    def keep(record, model: nn.Module) -> None:
        path = tmp_path / f"{record.step}.safetensors"
        save_weights(model, path, {"task": "digits", "task_options": {}, "num_labels": 10})
        saved[record.step] = path

    records = TrajectoryRunner(task, data, config, on_model=keep).run()
    assert sorted(saved) == [r.step for r in records]
    inputs, targets = data.test.tensors
    for record in records:
        model = build_model(saved[record.step])
        assert not model.training
        with torch.no_grad():
            accuracy = (model(inputs).argmax(-1) == targets).double().mean().item()
        assert accuracy == pytest.approx(record.metrics["accuracy"], abs=1e-12)
    assert weights_info(saved[0])["num_labels"] == 10


def test_a_file_without_our_metadata_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(2)}, str(path))
    with pytest.raises(ValueError, match="not an optbench model file"):
        build_model(path)
