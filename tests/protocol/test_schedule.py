"""The schedule arithmetic the spec checks at submission, against the runner's own count."""

from __future__ import annotations

import pytest

from shared.protocol.runner import Budget, TrajectoryRunner
from shared.protocol.schedule import evaluation_points
from tests.protocol.test_runner import Blobs, config


class Points(Blobs):
    """The runner tests' blobs, built without options or a data root (it reads no files)."""

    def __init__(self) -> None:
        pass


@pytest.fixture(scope="module")
def data():
    return Points().load()


@pytest.mark.parametrize(
    ("epochs", "every", "batch_size"),
    [(4, 1.0, 32), (3, 0.25, 32), (2.5, 0.5, 32), (3, 0.3, 40), (1, 0.1, 120), (2, 0.5, 240)],
)
def test_the_count_is_the_runners(data, epochs: float, every: float, batch_size: int) -> None:
    runner = TrajectoryRunner(
        Points(),
        data,
        config(budget=Budget(epochs=epochs), evaluate_every=every, batch_size=batch_size),
    )
    records = runner.run()
    assert records[0].step == 0
    assert len(records) - 1 == evaluation_points(epochs, every, runner.steps_per_epoch)


def test_the_nominal_count_by_hand() -> None:
    assert evaluation_points(10, 0.5) == 20  # the spec's defaults: 2 × L = 10
    assert evaluation_points(10, 3) == 4  # 3, 6, 9 and the end at 10
    assert evaluation_points(0.3, 0.1) == 3  # not 4: 0.3 / 0.1 is 2.9999999999999996
    # whole-epoch intervals are exact for any data set
    for steps_per_epoch in (1, 7, 391):
        assert evaluation_points(12, 2, steps_per_epoch) == evaluation_points(12, 2) == 6
    # a tiny data set rounds a fractional interval up to a whole step: fewer points
    assert evaluation_points(3, 0.25, 1) == 3 < evaluation_points(3, 0.25)
    with pytest.raises(ValueError):
        evaluation_points(0, 1)
