"""Tuning: searches on a validation split carved from training data, seeded, bounded."""

from __future__ import annotations

import pytest
import torch

from shared.optim.hyperparameters import HyperparameterError
from shared.protocol.tuning import Range, tune, validation_split
from tests.protocol.test_runner import Blobs


def test_validation_split_never_touches_the_test_set() -> None:
    data = Blobs().load()
    split = validation_split(data, fraction=0.25, seed=1)
    train, validation = split.train.tensors[0], split.test.tensors[0]
    assert len(train) + len(validation) == len(data.train) and len(validation) == 60
    rows = {tuple(r.tolist()) for r in data.train.tensors[0]}
    assert {tuple(r.tolist()) for r in validation} <= rows
    assert not {tuple(r.tolist()) for r in validation} & {tuple(r.tolist()) for r in train}
    assert not {tuple(r.tolist()) for r in validation} & {
        tuple(r.tolist()) for r in data.test.tensors[0]
    }
    again = validation_split(data, fraction=0.25, seed=1)
    assert torch.equal(again.test.tensors[0], validation)


def test_search_is_seeded_and_prefers_learning_rates_that_learn() -> None:
    task = Blobs()
    data = task.load()
    space = [Range.parse("sgd", "lr=1e-5:0.5:log")]
    first = tune(task, data, "sgd", space, trials=8, epochs=2, batch_size=32, seed=3)
    second = tune(task, data, "sgd", space, trials=8, epochs=2, batch_size=32, seed=3)
    assert first.best_hyperparameters == second.best_hyperparameters
    assert first.best_hyperparameters["lr"] > 1e-3
    assert first.best_value == max(t["value"] for t in first.trials if t["value"] is not None)
    assert len(first.trials) == 8 and first.metric == "accuracy"


def test_ranges_are_checked_against_the_declarations() -> None:
    assert Range.parse("nim_bh", "tau=10:200") == Range("tau", 10, 200, False, True)
    for bad, field in [
        ("rho=1:0.1", "nig_sgd.rho"),
        ("lr=-1:1", "lr"),
        ("momentum=0:0.5", "nig_sgd.momentum"),
        ("lr", "lr"),
        ("lr=0:1:log", "nig_sgd.lr"),
    ]:
        with pytest.raises(HyperparameterError) as error:
            Range.parse("nig_sgd", bad)
        assert field in str(error.value)
