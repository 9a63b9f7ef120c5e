"""Set A / Set B selection on frames small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from shared.stats.populations import (
    CandidateCounts,
    candidate_counts,
    candidates,
    overlap,
    overlap_warning,
    population,
    population_size_error,
    set_a,
    set_b,
)

NAN = math.nan


def records() -> pd.DataFrame:
    """One optimizer, two trajectories of five candidate records each (no step 0 here).

    trajectory 0: losses 0.5, 0.3, 0.3, NaN, 0.1 at steps 10..50; accuracy 0.6, 0.8, 0.8,
    0.9, NaN. trajectory 1: losses 0.4, 0.2, 0.6, 0.2, 0.9; accuracy 0.7, 0.7, 0.5, None,
    0.75.
    """
    return pd.DataFrame(
        {
            "optimizer": ["sgd"] * 10,
            "trajectory": [0] * 5 + [1] * 5,
            "step": [10, 20, 30, 40, 50] * 2,
            "train_loss": [0.5, 0.3, 0.3, NAN, 0.1, 0.4, 0.2, 0.6, 0.2, 0.9],
            "accuracy": [0.6, 0.8, 0.8, 0.9, NAN, 0.7, 0.7, 0.5, None, 0.75],
            "diverged": [False] * 10,
        }
    )


def picked(frame: pd.DataFrame) -> list[tuple[int, int]]:
    return list(zip(frame["trajectory"].tolist(), frame["step"].tolist(), strict=True))


def test_set_a_by_hand_lowest_loss_ties_to_the_earlier_step_nan_never() -> None:
    # trajectory 0: 0.1@50, then 0.3@20 and 0.3@30 tie → step 20 first; NaN@40 never.
    # trajectory 1: 0.2@20 and 0.2@40 tie → 20 first, then 40.
    chosen = set_a(records(), 2)
    assert picked(chosen) == [(0, 50), (0, 20), (1, 20), (1, 40)]
    assert chosen["train_loss"].tolist() == [0.1, 0.3, 0.2, 0.2]
    assert list(chosen.index) == [0, 1, 2, 3]
    assert list(chosen.columns) == list(records().columns)


def test_set_b_by_hand_highest_metric_none_and_nan_excluded() -> None:
    # trajectory 0: 0.9@40, then 0.8@20 / 0.8@30 → 20; NaN@50 never.
    # trajectory 1: 0.75@50, then 0.7@10 / 0.7@20 → 10; None@40 never.
    chosen = set_b(records(), 2, "accuracy")
    assert picked(chosen) == [(0, 40), (0, 20), (1, 50), (1, 10)]


def test_a_short_trajectory_contributes_all_its_ranked_records() -> None:
    chosen = set_a(records(), 10)
    assert len(chosen) == 9  # ten records, one NaN loss
    assert picked(chosen)[:4] == [(0, 50), (0, 20), (0, 30), (0, 10)]
    assert len(set_b(records(), 10, "accuracy")) == 8


def test_selection_is_per_optimizer_and_trajectory_and_ignores_row_order() -> None:
    other = records().assign(optimizer="adam", train_loss=lambda f: f["train_loss"] + 10)
    frame = pd.concat([records(), other], ignore_index=True)
    chosen = set_a(frame, 1)
    # optimizers sort adam < sgd; adam's losses are all higher but it still gets its own.
    assert chosen["optimizer"].tolist() == ["adam", "adam", "sgd", "sgd"]
    assert picked(chosen) == [(0, 50), (1, 20), (0, 50), (1, 20)]
    shuffled = frame.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(set_a(shuffled, 1), chosen)
    pd.testing.assert_frame_equal(set_b(shuffled, 3, "accuracy"), set_b(frame, 3, "accuracy"))


def test_infinite_values_rank_nothing() -> None:
    frame = records()
    frame.loc[4, "train_loss"] = -np.inf
    frame.loc[5, "accuracy"] = np.inf
    assert (0, 50) not in picked(set_a(frame, 5))
    assert (1, 10) not in picked(set_b(frame, 5, "accuracy"))


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


# --- candidates: no step-0 model, nothing at or after a divergence -------------------------


def with_start_and_divergence() -> pd.DataFrame:
    """records() plus a step-0 model per trajectory that would win both sets (loss 0.01,
    accuracy 0.99), and trajectory 1 diverging at step 40: its records at 40 and 50 go."""
    start = pd.DataFrame(
        {
            "optimizer": ["sgd", "sgd"],
            "trajectory": [0, 1],
            "step": [0, 0],
            "train_loss": [0.01, 0.01],
            "accuracy": [0.99, 0.99],
            "diverged": [False, False],
        }
    )
    frame = pd.concat([start, records()], ignore_index=True)
    frame.loc[(frame["trajectory"] == 1) & (frame["step"] == 40), "diverged"] = True
    return frame


def test_step_zero_and_diverged_records_never_enter_a_set() -> None:
    frame = with_start_and_divergence()
    for chosen in (set_a(frame, 10), set_b(frame, 10, "accuracy")):
        assert 0 not in chosen["step"].tolist()
        assert not ((chosen["trajectory"] == 1) & (chosen["step"] >= 40)).any()
    # trajectory 1 keeps steps 10, 20, 30: lowest losses 0.2@20, 0.4@10
    assert picked(set_a(frame, 2))[2:] == [(1, 20), (1, 10)]
    kept = candidates(frame)
    assert len(kept) == len(frame) - 2 - 2
    assert candidates(records()).equals(records())


def test_candidate_counts_say_what_was_left_out() -> None:
    counts = candidate_counts(with_start_and_divergence())["sgd"]
    assert counts == CandidateCounts(
        records=12,
        initial_models=2,
        at_or_after_divergence=2,
        candidates=8,
        trajectories=2,
        fewest_per_trajectory=3,
        most_per_trajectory=5,
    )
    # no diverged column: nothing is post-divergence
    frame = with_start_and_divergence().drop(columns="diverged")
    assert candidate_counts(frame)["sgd"].at_or_after_divergence == 0


def test_an_L_no_trajectory_can_fill_is_named() -> None:
    frame = with_start_and_divergence()
    assert population_size_error(frame, 5) is None  # trajectory 0 holds 5 candidates
    error = population_size_error(frame, 6)
    assert error is not None and error.startswith("L: 6 is more than the 5 candidate")


def test_overlap_by_hand() -> None:
    # L = 2. Set A: (0,50) (0,20) (1,20) (1,40); Set B: (0,40) (0,20) (1,50) (1,10).
    # Shared: (0,20) only → 1 of 4.
    frame = records()
    assert overlap(set_a(frame, 2), set_b(frame, 2, "accuracy")) == {"sgd": 0.25}
    assert overlap_warning(0.25) is None
    # L = 5: every finite-loss record is in A, so B's picks are mostly in A.
    fraction = overlap(set_a(frame, 5), set_b(frame, 5, "accuracy"))["sgd"]
    assert fraction == pytest.approx(7 / 9)
    warning = overlap_warning(fraction)
    assert warning is not None and warning.startswith("78% of the Set A models are also in Set B")
    assert overlap_warning(0.5) is not None
