"""The trajectory runner: schedule, budgets, paired seeds, divergence, exact resume."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from shared.protocol.runner import Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.tasks.base import Task, TaskData
from shared.tasks.data_root import DataRoot
from shared.tasks.declarations import TaskDeclaration
from shared.tasks.metrics import ACCURACY, MACRO_F1
from shared.tasks.options import TaskOptions


class Blobs(Task):
    """Three Gaussian blobs in 5-D and a small MLP with dropout and BatchNorm."""

    name = "blobs"
    declaration = TaskDeclaration(
        "blobs",
        "Gaussian blobs",
        (ACCURACY, MACRO_F1),
        TaskOptions,
        "tests.protocol.test_runner:Blobs",
    )

    def __init__(self, options: TaskOptions | None = None, data_root: DataRoot | None = None):
        # Generated in memory: no options to validate and nothing under a data root.
        super().__init__(options or TaskOptions(), data_root or DataRoot(Path("/nonexistent")))

    def load(self) -> TaskData:
        g = torch.Generator().manual_seed(0)
        centres = torch.randn(3, 5, generator=g) * 2
        labels = torch.randint(0, 3, (300,), generator=g)
        inputs = centres[labels] + torch.randn(300, 5, generator=g)
        return TaskData(
            train=TensorDataset(inputs[:240], labels[:240]),
            test=TensorDataset(inputs[240:], labels[240:]),
            num_labels=3,
        )

    def build_model(self, num_labels: int) -> nn.Module:
        return nn.Sequential(
            nn.Linear(5, 16),
            nn.BatchNorm1d(16),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(16, num_labels),
        )


def config(optimizer: str = "sgd", trajectory: int = 0, **changes) -> TrajectoryConfig:
    values = {
        "optimizer": optimizer,
        "hyperparameters": {"lr": 0.05},
        "seeds": trajectory_seeds(3, optimizer, trajectory),
        "budget": Budget(epochs=4),
        "batch_size": 32,
        "evaluate_every": 1.0,
    }
    return TrajectoryConfig(**{**values, **changes})


@pytest.fixture(scope="module")
def data() -> TaskData:
    return Blobs().load()


def test_one_record_per_evaluation_point(data) -> None:
    records = TrajectoryRunner(Blobs(), data, config()).run()
    assert [r.step for r in records] == [0, 8, 16, 24, 32]  # 240 / 32 → 8 steps per epoch
    assert [r.epoch for r in records] == [0, 1, 2, 3, 4]
    assert [r.gradient_evaluations for r in records] == [0, 8, 16, 24, 32]
    assert records[0].running_loss is None and records[1].running_loss is not None
    assert records[-1].metrics["accuracy"] > 0.8 and records[-1].train_loss < records[0].train_loss
    assert all(set(r.metrics) == {"accuracy", "macro_f1"} and not r.diverged for r in records)
    half = TrajectoryRunner(Blobs(), data, config(evaluate_every=0.5)).run()
    assert [r.step for r in half] == [0, 4, 8, 12, 16, 20, 24, 28, 32]


def test_gradient_evaluation_budget_counts_sam_twice(data) -> None:
    records = TrajectoryRunner(
        Blobs(), data, config("sam", budget=Budget(gradient_evaluations=20))
    ).run()
    assert records[-1].gradient_evaluations == 20 and records[-1].step == 10


def test_paired_design_same_start_and_order_different_noise(data) -> None:
    sgd = TrajectoryRunner(Blobs(), data, config("sgd")).run()
    nig = TrajectoryRunner(Blobs(), data, config("nig_sgd")).run()
    assert sgd[0].comparable() == nig[0].comparable()  # same initial weights
    other = TrajectoryRunner(Blobs(), data, config("sgd", trajectory=1)).run()
    assert other[0].train_loss != sgd[0].train_loss
    again = TrajectoryRunner(Blobs(), data, config("sgd")).run()
    assert [r.comparable() for r in again] == [r.comparable() for r in sgd]


def test_global_rng_is_left_alone(data) -> None:
    state = torch.get_rng_state()
    TrajectoryRunner(Blobs(), data, config()).run()
    assert torch.equal(torch.get_rng_state(), state)


def test_divergence_ends_the_trajectory_and_is_recorded(data) -> None:
    records = TrajectoryRunner(Blobs(), data, config(hyperparameters={"lr": 1e12})).run()
    assert records[-1].diverged and records[-1].metrics.get("accuracy") is None
    assert records[-1].step < 32 and not any(r.diverged for r in records[:-1])


@pytest.mark.parametrize("optimizer", ["sgd", "nim_mbh", "nim_bh", "sam"])
def test_resume_from_any_checkpoint_gives_the_same_records(data, optimizer) -> None:
    # Every checkpoint: with tau = 3 some fall where basin hopping is about to perturb
    # the model, before the step's gradient exists (a resumed model has no .grad yet).
    saved: list[bytes] = []
    hyperparameters = {"lr": 0.05, **({"tau": 3, "eps": 1e-9} if "bh" in optimizer else {})}
    cfg = config(optimizer, hyperparameters=hyperparameters, evaluate_every=0.5)
    full = TrajectoryRunner(Blobs(), data, cfg, lambda r, c: saved.append(c)).run()
    assert len(saved) == len(full)
    for k in range(1, len(saved) - 1):
        rest = TrajectoryRunner(Blobs(), data, cfg).run(checkpoint=saved[k])
        assert [r.comparable() for r in rest] == [r.comparable() for r in full[k + 1 :]]
        assert rest[0].wall_time >= full[k].wall_time


@pytest.mark.parametrize("optimizer", ["sgd", "sam"])
def test_mixed_precision_trains_and_records_float_losses(data, optimizer) -> None:
    records = TrajectoryRunner(Blobs(), data, config(optimizer, mixed_precision=True)).run()
    assert len(records) == 5 and not records[-1].diverged
    assert records[-1].train_loss < records[0].train_loss


# The paper's names are the wrappers around SGD: the same records, bit for bit.
PAPER_AS_WRAPPERS = [
    ("sam", {"lr": 0.05, "rho": 0.05, "momentum": 0.5}, "sam(sgd)", {"rho": 0.05}),
    ("nig_sgd", {"lr": 0.05, "rho": 0.5}, "nig(sgd)", {"rho": 0.5}),
    (
        "nim_sgd",
        {"lr": 0.05, "rho": 0.2, "eps": 5.0, "tau": 3},
        "nim(sgd)",
        {"rho": 0.2, "eps": 5.0, "tau": 3},
    ),
    (
        "nig_bh",
        {"lr": 0.05, "tau": 3, "eps": 1e-9},
        "bh(sgd)",
        {"perturbation": "gradient", "rho": 50.0, "tau": 3, "eps": 1e-9},
    ),
    (
        "nim_mbh",
        {"lr": 0.05, "tau": 3, "eps": 1e-9, "rho": 0.1},
        "mbh(sgd)",
        {"perturbation": "model", "tau": 3, "eps": 1e-9, "rho": 0.1},
    ),
]


@pytest.mark.parametrize(("paper", "flat", "wrapped", "own"), PAPER_AS_WRAPPERS)
def test_a_paper_name_gives_the_records_of_its_wrapper_around_sgd(
    data, paper, flat, wrapped, own
) -> None:
    seeds = trajectory_seeds(3, paper, 0)
    base = {f"base.{k}": v for k, v in flat.items() if k in ("lr", "momentum", "weight_decay")}
    ours = TrajectoryRunner(
        Blobs(), data, config(paper, hyperparameters=flat, seeds=seeds, evaluate_every=0.5)
    ).run()
    theirs = TrajectoryRunner(
        Blobs(),
        data,
        config(wrapped, hyperparameters={**own, **base}, seeds=seeds, evaluate_every=0.5),
    ).run()
    assert [r.comparable() for r in theirs] == [r.comparable() for r in ours]
    assert ours[-1].gradient_evaluations == theirs[-1].gradient_evaluations > 0


@pytest.mark.parametrize(
    ("optimizer", "hyperparameters"),
    [
        ("adam", {"lr": 0.01}),
        ("sam(adamw)", {"base.lr": 0.01}),
        ("bh(rmsprop)", {"base.lr": 0.01, "tau": 3, "eps": 1e-9}),
        ("mbh(adam)", {"base.lr": 0.01, "tau": 3, "eps": 1e-9, "rho": 0.1}),
    ],
)
def test_baselines_and_wrapped_bases_resume_exactly(data, optimizer, hyperparameters) -> None:
    saved: list[bytes] = []
    cfg = config(optimizer, hyperparameters=hyperparameters, evaluate_every=0.5)
    full = TrajectoryRunner(Blobs(), data, cfg, lambda r, c: saved.append(c)).run()
    assert full[-1].train_loss < full[0].train_loss
    rest = TrajectoryRunner(Blobs(), data, cfg).run(checkpoint=saved[3])
    assert [r.comparable() for r in rest] == [r.comparable() for r in full[4:]]
