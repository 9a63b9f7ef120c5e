"""The validation split tuning scores on: carved from the training data, seeded."""

from __future__ import annotations

import torch

from shared.protocol.tuning import validation_split
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
