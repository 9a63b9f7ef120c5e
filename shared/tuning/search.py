"""The Optuna side of a trial: ask for hyperparameters, report intermediate values,
ask whether to prune, tell the outcome. One Optuna study per (experiment, optimizer),
named by the experiment's id and creation time (``experiment`` below),
in the storage of :mod:`shared.tuning.storage`.

The sampler (TPE) is seeded per trial, from the spec's seed, the optimizer and the
trial's number: workers that ask at the same moment still draw different points, and a
study's first (random) trials are the same on every run.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import TrialState

from shared.landscapes.study import stable_id
from shared.tuning.space import SearchSpace
from shared.tuning.storage import storage, study_name

optuna.logging.set_verbosity(optuna.logging.WARNING)

DIRECTIONS = {"higher": "maximize", "lower": "minimize"}
STATES = {
    "complete": TrialState.COMPLETE,
    "pruned": TrialState.PRUNED,
    "failed": TrialState.FAIL,
    "cancelled": TrialState.FAIL,
}


def distributions(space: SearchSpace) -> dict[str, BaseDistribution]:
    out: dict[str, BaseDistribution] = {}
    for d in space.dimensions:
        if d.choices is not None:
            out[d.name] = CategoricalDistribution(list(d.choices))
        elif d.integer:
            assert d.low is not None and d.high is not None
            out[d.name] = IntDistribution(int(d.low), int(d.high), log=d.log)
        else:
            assert d.low is not None and d.high is not None
            out[d.name] = FloatDistribution(d.low, d.high, log=d.log)
    return out


def open_study(
    database_url: str,
    experiment: tuple[int, datetime],
    key: str,
    direction: str,
    *,
    seed: int = 0,
    pruner: optuna.pruners.BasePruner | None = None,
) -> optuna.Study:
    return optuna.create_study(
        storage=storage(database_url),
        study_name=study_name(*experiment, key),
        direction=DIRECTIONS[direction],
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=pruner or optuna.pruners.NopPruner(),
        load_if_exists=True,
    )


def trial_seed(spec_seed: int, key: str, number: int) -> int:
    return (spec_seed * 1_000_003 + stable_id(key) * 7919 + number) % (2**31 - 1)


def ask(
    database_url: str,
    experiment: tuple[int, datetime],
    key: str,
    direction: str,
    space: SearchSpace,
    seed: int,
) -> tuple[int, dict[str, Any]]:
    """A new Optuna trial: its id and the sampled values."""
    study = open_study(database_url, experiment, key, direction, seed=seed)
    trial = study.ask(distributions(space))
    return trial._trial_id, dict(trial.params)  # Optuna's id of the trial in its storage


def median_pruner(startup_trials: int, warmup_steps: int) -> optuna.pruners.BasePruner:
    return optuna.pruners.MedianPruner(n_startup_trials=startup_trials, n_warmup_steps=warmup_steps)


class TrialHandle:
    """Reports of one bound trial, from the worker that runs it. The steps already
    reported are read from the storage once (a resumed trial reported some before its
    worker died) and then kept here, so a report costs one write, not a read of the
    whole trial as well."""

    def __init__(self, study: optuna.Study, trial_id: int, store: Any) -> None:
        self.study = study
        self.store = store
        self.trial = optuna.trial.Trial(study, trial_id)
        self.trial_id = trial_id
        self._reported: set[int] = set(store.get_trial(trial_id).intermediate_values)

    def report(self, value: float, step: int) -> None:
        if math.isfinite(value) and step not in self._reported:
            self.trial.report(value, step)
            self._reported.add(step)

    def reported_steps(self) -> set[int]:
        return set(self._reported)

    def should_prune(self) -> bool:
        return self.trial.should_prune()


def tell(
    database_url: str,
    experiment: tuple[int, datetime],
    key: str,
    direction: str,
    trial_id: int,
    state: str,
    value: float | None,
) -> None:
    """Record a trial's outcome in Optuna (a second tell of a finished trial is a no-op,
    so a worker that dies between this and settling the trial can tell it again)."""
    study = open_study(database_url, experiment, key, direction)
    number = storage(database_url).get_trial(trial_id).number
    optuna_state = STATES[state]
    values = value if optuna_state == TrialState.COMPLETE else None
    study.tell(number, values, state=optuna_state, skip_if_finished=True)


def discard(database_url: str, experiment_id: int, key: str, direction: str, trial_id: int) -> None:
    """Mark an asked trial that no run took (a lost race) as failed."""
    study = open_study(database_url, experiment_id, key, direction)
    number = storage(database_url).get_trial(trial_id).number
    study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
