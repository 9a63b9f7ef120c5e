"""Set A / Set B selection on frames small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from shared.stats.populations import population, set_a, set_b

NAN = math.nan


def records() -> pd.DataFrame:
    """One optimizer, two trajectories of five records each.

    trajectory 0: losses 0.5, 0.3, 0.3, NaN, 0.1 at steps 0..40; accuracy 0.6, 0.8, 0.8,
    0.9, NaN. trajectory 1: losses 0.4, 0.2, 0.6, 0.2, 0.9; accuracy 0.7, 0.7, 0.5, None,
    0.75.
    """
    return pd.DataFrame(
        {
            "optimizer": ["sgd"] * 10,
            "trajectory": [0] * 5 + [1] * 5,
            "step": [0, 10, 20, 30, 40] * 2,
            "train_loss": [0.5, 0.3, 0.3, NAN, 0.1, 0.4, 0.2, 0.6, 0.2, 0.9],
            "accuracy": [0.6, 0.8, 0.8, 0.9, NAN, 0.7, 0.7, 0.5, None, 0.75],
            "diverged": [False] * 10,
        }
    )


def picked(frame: pd.DataFrame) -> list[tuple[int, int]]:
    return list(zip(frame["trajectory"].tolist(), frame["step"].tolist(), strict=True))


def test_set_a_by_hand_lowest_loss_ties_to_the_earlier_step_nan_never() -> None:
    # trajectory 0: 0.1@40, then 0.3@10 and 0.3@20 tie → step 10 first; NaN@30 never.
    # trajectory 1: 0.2@10 and 0.2@30 tie → 10 first, then 30.
    chosen = set_a(records(), 2)
    assert picked(chosen) == [(0, 40), (0, 10), (1, 10), (1, 30)]
    assert chosen["train_loss"].tolist() == [0.1, 0.3, 0.2, 0.2]
    assert list(chosen.index) == [0, 1, 2, 3]
    assert list(chosen.columns) == list(records().columns)


def test_set_b_by_hand_highest_metric_none_and_nan_excluded() -> None:
    # trajectory 0: 0.9@30, then 0.8@10 / 0.8@20 → 10; NaN@40 never.
    # trajectory 1: 0.75@40, then 0.7@0 / 0.7@10 → 0; None@30 never.
    chosen = set_b(records(), 2, "accuracy")
    assert picked(chosen) == [(0, 30), (0, 10), (1, 40), (1, 0)]


def test_a_short_trajectory_contributes_all_its_ranked_records() -> None:
    chosen = set_a(records(), 10)
    assert len(chosen) == 9  # ten records, one NaN loss
    assert picked(chosen)[:4] == [(0, 40), (0, 10), (0, 20), (0, 0)]
    assert len(set_b(records(), 10, "accuracy")) == 8


def test_selection_is_per_optimizer_and_trajectory_and_ignores_row_order() -> None:
    other = records().assign(optimizer="adam", train_loss=lambda f: f["train_loss"] + 10)
    frame = pd.concat([records(), other], ignore_index=True)
    chosen = set_a(frame, 1)
    # optimizers sort adam < sgd; adam's losses are all higher but it still gets its own.
    assert chosen["optimizer"].tolist() == ["adam", "adam", "sgd", "sgd"]
    assert picked(chosen) == [(0, 40), (1, 10), (0, 40), (1, 10)]
    shuffled = frame.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(set_a(shuffled, 1), chosen)
    pd.testing.assert_frame_equal(set_b(shuffled, 3, "accuracy"), set_b(frame, 3, "accuracy"))


def test_infinite_values_rank_nothing() -> None:
    frame = records()
    frame.loc[4, "train_loss"] = -np.inf
    frame.loc[5, "accuracy"] = np.inf
    assert (0, 40) not in picked(set_a(frame, 5))
    assert (1, 0) not in picked(set_b(frame, 5, "accuracy"))


def test_population_dispatches_to_the_two_sets() -> None:
    frame = records()
    pd.testing.assert_frame_equal(population(frame, "A", 2), set_a(frame, 2))
    pd.testing.assert_frame_equal(population(frame, "A", 2, "accuracy"), set_a(frame, 2))
    pd.testing.assert_frame_equal(
        population(frame, "B", 2, "accuracy"), set_b(frame, 2, "accuracy")
    )


def test_the_input_frame_is_not_modified() -> None:
    frame = records()
    before = frame.copy()
    set_a(frame, 2)
    set_b(frame, 2, "accuracy")
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("L", [0, -1, 1.5, True, "2", None])
def test_bad_L_is_rejected_naming_it(L: object) -> None:
    with pytest.raises(ValueError, match=r"^L:"):
        set_a(records(), L)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("metric", "why"),
    [
        ("f1", "unknown column"),
        ("test_loss", "unknown column"),  # absent here
        ("train_loss", "is a loss"),
        ("step", "bookkeeping"),
        ("diverged", "bookkeeping"),
    ],
)
def test_bad_metric_is_rejected_naming_it(metric: str, why: str) -> None:
    with pytest.raises(ValueError, match=rf"^metric: .*{why}"):
        set_b(records(), 2, metric)
    with pytest.raises(ValueError, match=r"^metric:"):
        population(records(), "A", 2, metric)


def test_non_numeric_metric_and_missing_columns_are_rejected() -> None:
    frame = records().assign(label=["x"] * 10)
    with pytest.raises(ValueError, match=r"^metric: column 'label' is not numeric"):
        set_b(frame, 2, "label")
    with pytest.raises(ValueError, match=r"^records: missing column\(s\) \['train_loss'\]"):
        set_a(records().drop(columns="train_loss"), 2)
    with pytest.raises(ValueError, match=r"^records: missing"):
        set_b(records().drop(columns="step"), 2, "accuracy")
    with pytest.raises(TypeError, match=r"^records:"):
        set_a(records().to_dict(), 2)  # type: ignore[arg-type]


def test_population_rejects_unknown_sets_and_set_b_without_metric() -> None:
    with pytest.raises(ValueError, match=r"^which:"):
        population(records(), "C", 2, "accuracy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^metric:"):
        population(records(), "B", 2)
