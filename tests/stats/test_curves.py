"""Learning curves across trajectories, by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from shared.stats.curves import CURVE_COLUMNS, learning_curves

NAN = math.nan


def records() -> pd.DataFrame:
    """sgd: trajectory 0 has losses 4, 2, 1 and trajectory 1 has 6, NaN, 3 at 10, 20, 30
    gradient evaluations; adam: one trajectory, 1 then 9 (and an infinite loss at 30).
    Rows deliberately out of order."""
    rows = [
        ("sgd", 1, 30, 3.0),
        ("sgd", 0, 10, 4.0),
        ("adam", 0, 20, 9.0),
        ("sgd", 0, 20, 2.0),
        ("sgd", 1, 10, 6.0),
        ("adam", 0, 10, 1.0),
        ("sgd", 0, 30, 1.0),
        ("sgd", 1, 20, NAN),
        ("adam", 0, 30, np.inf),
    ]
    return pd.DataFrame(
        rows, columns=["optimizer", "trajectory", "gradient_evaluations", "train_loss"]
    )


def test_means_spread_and_counts_by_hand() -> None:
    curves = learning_curves(records(), "train_loss")
    assert tuple(curves.columns) == CURVE_COLUMNS
    assert curves["optimizer"].tolist() == ["adam", "adam", "sgd", "sgd", "sgd"]
    assert curves["gradient_evaluations"].tolist() == [10, 20, 10, 20, 30]
    sgd = curves[curves["optimizer"] == "sgd"]
    assert sgd["mean"].tolist() == [5.0, 2.0, 2.0]
    assert sgd["min"].tolist() == [4.0, 2.0, 1.0]
    assert sgd["max"].tolist() == [6.0, 2.0, 3.0]
    assert sgd["n"].tolist() == [2, 1, 2]
    assert sgd["std"].iloc[0] == pytest.approx(math.sqrt(2))
    assert math.isnan(sgd["std"].iloc[1])  # one trajectory: no spread
    # window 1: no smoothing
    assert curves["smoothed"].tolist() == curves["mean"].tolist()
    # adam's infinite loss at 30 is no point at all
    assert 30 not in curves.loc[curves["optimizer"] == "adam", "gradient_evaluations"].tolist()
    assert list(curves.index) == [0, 1, 2, 3, 4]


def test_trailing_moving_average_per_optimizer() -> None:
    curves = learning_curves(records(), "train_loss", window=2)
    # sgd means 5, 2, 2 → (5), (5+2)/2, (2+2)/2; adam 1, 9 → 1, 5 (not mixed with sgd)
    assert curves["smoothed"].tolist() == [1.0, 5.0, 5.0, 3.5, 2.0]
    wide = learning_curves(records(), "train_loss", window=3)
    assert wide["smoothed"].tolist() == pytest.approx([1.0, 5.0, 5.0, 3.5, 3.0])


def test_each_trajectory_counts_once_per_point() -> None:
    frame = pd.concat(
        [records(), pd.DataFrame([("sgd", 0, 30, 5.0)], columns=records().columns)],
        ignore_index=True,
    )
    curves = learning_curves(frame, "train_loss")
    last = curves[(curves["optimizer"] == "sgd") & (curves["gradient_evaluations"] == 30)]
    # trajectory 0 averages 1 and 5 to 3; with trajectory 1's 3 → mean 3, n 2
    assert (last["mean"].item(), last["n"].item(), last["min"].item()) == (3.0, 2, 3.0)


def test_none_values_in_an_object_column_are_missing() -> None:
    accuracy = pd.Series([0.5, None, 0.7, 0.6, 0.4, 0.8, 0.9, None, None], dtype=object)
    frame = records().assign(accuracy=accuracy)
    curves = learning_curves(frame, "accuracy")
    first = curves[(curves["optimizer"] == "sgd") & (curves["gradient_evaluations"] == 10)]
    assert (first["mean"].item(), first["n"].item()) == (0.4, 1)


@pytest.mark.parametrize("window", [0, -2, 1.5, True])
def test_bad_window_is_rejected(window: object) -> None:
    with pytest.raises(ValueError, match=r"^window:"):
        learning_curves(records(), "train_loss", window)  # type: ignore[arg-type]


def test_bad_columns_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"^column:"):
        learning_curves(records(), "accuracy")
    with pytest.raises(ValueError, match=r"^records: missing"):
        learning_curves(records().drop(columns="trajectory"), "train_loss")
    with pytest.raises(ValueError, match=r"^column: column 'optimizer' is not numeric"):
        learning_curves(records(), "optimizer")
