"""Tuned versions of an optimizer: a budgeted Optuna search on a validation split carved
from the training data (never the test set).

Each trial trains one trajectory with the candidate hyperparameters on the training part
and scores it by the best validation metric along the trajectory; the search is seeded
(TPE), so the same call finds the same configuration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import optuna
import torch
from torch.utils.data import Subset, TensorDataset

from shared.optim.declarations import hyperparameters, resolve_hyperparameters
from shared.optim.hyperparameters import HyperparameterError
from shared.protocol.runner import Budget, TrajectoryConfig, TrajectoryRunner
from shared.protocol.seeding import trajectory_seeds
from shared.tasks.base import Task, TaskData


@dataclass(frozen=True)
class Range:
    """A searched hyperparameter: ``low``..``high``, on a log scale if ``log``."""

    name: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    @classmethod
    def parse(cls, optimizer: str, text: str) -> Range:
        """``lr=1e-4:0.5:log`` or ``tau=10:200`` (integer hyperparameters stay integers)."""
        name, sep, bounds = text.partition("=")
        parts = bounds.split(":")
        if not sep or len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "log"):
            raise HyperparameterError(name or text, "expected NAME=LOW:HIGH[:log]")
        declared = {h.name: h for h in hyperparameters(optimizer)}
        if name not in declared or declared[name].type is str:
            raise HyperparameterError(
                f"{optimizer}.{name}", f"not a numeric hyperparameter of {optimizer}"
            )
        try:
            low, high = (declared[name].validate(p) for p in parts[:2])
        except HyperparameterError as error:
            raise HyperparameterError(f"{optimizer}.{name}", error.reason) from None
        if not low < high or (len(parts) == 3 and low <= 0):
            raise HyperparameterError(
                f"{optimizer}.{name}", "need LOW < HIGH (and LOW > 0 for a log scale)"
            )
        return cls(name, float(low), float(high), len(parts) == 3, declared[name].type is int)


@dataclass
class TuningResult:
    optimizer: str
    metric: str
    best_hyperparameters: dict[str, Any]
    best_value: float
    trials: list[dict[str, Any]] = field(default_factory=list)


def validation_split(data: TaskData, fraction: float = 0.2, seed: int = 0) -> TaskData:
    """Train on (1 − fraction) of the training data, validate on the rest; the test set
    is not touched."""
    if not 0 < fraction < 1:
        raise ValueError("fraction: must be between 0 and 1")
    size = len(data.train)  # type: ignore[arg-type]
    order = torch.randperm(size, generator=torch.Generator().manual_seed(seed))
    cut = size - max(1, round(fraction * size))
    train_index, validation_index = order[:cut].sort().values, order[cut:].sort().values
    if isinstance(data.train, TensorDataset):
        tensors = data.train.tensors
        train = TensorDataset(*(t[train_index] for t in tensors))
        validation = TensorDataset(*(t[validation_index] for t in tensors))
    else:
        train = Subset(data.train, train_index.tolist())
        validation = Subset(data.train, validation_index.tolist())
    return TaskData(
        train=train,
        test=validation,
        num_labels=data.num_labels,
        collate=data.collate,
        label_names=data.label_names,
    )


def tune(
    task: Task,
    data: TaskData,
    optimizer: str,
    search: list[Range],
    *,
    fixed: dict[str, Any] | None = None,
    trials: int = 20,
    epochs: float = 5,
    batch_size: int = 128,
    evaluate_every: float = 1.0,
    seed: int = 0,
    device: str = "cpu",
) -> TuningResult:
    """Search ``search`` (the rest of the hyperparameters from ``fixed`` or defaults)."""
    if trials < 1:
        raise ValueError("trials: must be at least 1")
    fixed = dict(fixed or {})
    resolve_hyperparameters(optimizer, fixed)  # fail before any training
    split = validation_split(data, seed=seed)
    if task.declaration is None:
        raise ValueError("task: build it with shared.tasks.registry.build_task")
    declared = task.declaration.metrics[0]
    metric = declared.name

    def objective(trial: optuna.Trial) -> float:
        values = dict(fixed)
        for r in search:
            values[r.name] = (
                trial.suggest_int(r.name, int(r.low), int(r.high), log=r.log)
                if r.integer
                else trial.suggest_float(r.name, r.low, r.high, log=r.log)
            )
        config = TrajectoryConfig(
            optimizer,
            resolve_hyperparameters(optimizer, values),
            trajectory_seeds(seed, optimizer, 0),
            Budget(epochs=epochs),
            batch_size=batch_size,
            evaluate_every=evaluate_every,
            device=device,
        )
        records = TrajectoryRunner(task, split, config).run()
        scores = [
            value
            for r in records
            if (value := r.metrics.get(metric)) is not None and math.isfinite(value)
        ]
        if not scores or records[-1].diverged:
            raise optuna.TrialPruned("diverged")
        return max(scores) if declared.higher_is_better else min(scores)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize" if declared.higher_is_better else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
    )
    study.optimize(objective, n_trials=trials)
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not completed:
        raise RuntimeError("every trial diverged; narrow the search")
    best = study.best_trial
    return TuningResult(
        optimizer=optimizer,
        metric=metric,
        best_hyperparameters=resolve_hyperparameters(optimizer, {**fixed, **best.params}),
        best_value=float(best.value),
        trials=[
            {"number": t.number, "params": t.params, "value": t.value, "state": t.state.name}
            for t in study.trials
        ],
    )
