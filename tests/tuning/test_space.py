"""Search spaces from the declarations, a spec's replacements, and the accounting's
arithmetic, against hand-computed answers."""

from __future__ import annotations

import pytest

from shared.db.models import TuningTrial
from shared.optim.hyperparameters import Hyperparameter
from shared.tuning.objective import objective_metrics
from shared.tuning.settings import SearchChoices, SearchRange
from shared.tuning.space import (
    Dimension,
    SearchSpace,
    SearchSpaceError,
    default_dimension,
    log_scale,
    search_space,
)
from shared.tuning.study import best_trials, spend


def test_default_spaces_follow_the_declarations() -> None:
    sgd = search_space("sgd", {}, None)
    assert sgd.dimensions == (
        Dimension("lr", 1e-4, 1.0, log=True),  # default 0.01, two decades either side
        Dimension("momentum", 0.0, 0.99, log=False),  # [0, 1) with the open end kept open
        Dimension("weight_decay", 1e-6, 0.1, log=True),  # default 0: a fixed decade span
    )
    # a hyperparameter the spec sets is held, not searched
    held = search_space("sam", {"rho": 0.1}, None)
    assert [d.name for d in held.dimensions] == ["lr", "momentum", "weight_decay"]
    assert held.fixed == {"rho": 0.1}
    tau = next(d for d in search_space("nim_bh", {}, None).dimensions if d.name == "tau")
    assert tau == Dimension("tau", 10.0, 1000.0, log=False, integer=True)
    # choices of strings are not searched unless listed
    assert "noise" not in {d.name for d in search_space("nig_sgd", {}, None).dimensions}


def test_learning_rates_of_wrapped_optimizers_are_log_scale_too() -> None:
    base_lr = Hyperparameter("base.lr", float, 0.001, "", low=0.0, low_inclusive=False)
    assert log_scale(base_lr)
    assert default_dimension(base_lr) == Dimension("base.lr", 1e-5, 0.1, log=True)
    rho = Hyperparameter("rho", float, 0.05, "", low=0.0)
    assert default_dimension(rho) == Dimension("rho", 0.0, 0.5, log=False)


def test_a_spec_replaces_the_space_with_ranges_choices_and_fixed_values() -> None:
    space = search_space(
        "sgd",
        {},
        {
            "lr": SearchRange(low=1e-3, high=0.3),
            "momentum": SearchChoices(choices=[0.0, 0.9]),
            "weight_decay": 1e-4,
        },
    )
    assert space.dimensions == (
        Dimension("lr", 1e-3, 0.3, log=True),  # lr: log scale unless the spec says not
        Dimension("momentum", choices=(0.0, 0.9)),
    )
    assert space.fixed == {"weight_decay": 1e-4}
    assert SearchSpace.from_dict(space.as_dict()) == space


@pytest.mark.parametrize(
    ("entries", "loc", "message"),
    [
        ({"lr": SearchRange(low=-1, high=1)}, ("lr", "low"), "outside (0, inf)"),
        ({"lr": SearchRange(low=0.5, high=0.5)}, ("lr",), "low must be below high"),
        (
            {"momentum": SearchRange(low=0, high=0.5, log=True)},
            ("momentum", "low"),
            "log scale needs low > 0",
        ),
        ({"tau": SearchRange(low=1, high=2)}, ("tau",), "sgd has no hyperparameter 'tau'"),
        ({"momentum": 1.0}, ("momentum",), "outside [0, 1)"),
    ],
)
def test_bad_entries_name_their_place(entries, loc, message) -> None:
    with pytest.raises(SearchSpaceError) as error:
        search_space("sgd", {}, entries)
    assert error.value.loc == loc and message in str(error.value)


def trial(optimizer: str, number: int, state: str, value=None, spent=0, reserved=0, settled=True):
    return TuningTrial(
        optimizer=optimizer,
        number=number,
        state=state,
        value=value,
        gradient_evaluations=spent,
        reserved_gradient_evaluations=reserved,
        settled=settled,
        hyperparameters={"lr": number / 10},
    )


def test_spend_counts_settled_trials_and_holds_the_running_ones() -> None:
    trials = [
        trial("sgd", 0, "complete", 0.9, spent=40, reserved=40),
        trial("sgd", 1, "pruned", 0.5, spent=10, reserved=40),
        trial("sgd", 2, "running", reserved=40, settled=False),
        trial("sam", 0, "failed", spent=6, reserved=41),
    ]
    spent = spend(trials)
    assert (spent["sgd"].trials, spent["sgd"].used, spent["sgd"].reserved) == (3, 50, 40)
    assert spent["sgd"].in_flight == 1
    assert (spent["sam"].used, spent["sam"].in_flight) == (6, 0)


def test_the_best_trial_is_complete_and_in_the_objectives_direction() -> None:
    trials = [
        trial("sgd", 0, "complete", 0.8),
        trial("sgd", 1, "pruned", 0.95),  # pruned trials are not candidates
        trial("sgd", 2, "complete", 0.9),
        trial("sgd", 3, "complete", 0.9),  # a tie: the earlier trial stays
        trial("sam", 0, "failed"),
    ]
    best = best_trials(trials, "higher")
    assert set(best) == {"sgd"} and (best["sgd"].trial, best["sgd"].value) == (2, 0.9)
    assert best_trials(trials, "lower")["sgd"].trial == 0


def test_objectives_are_the_metrics_the_task_reports() -> None:
    assert objective_metrics("digits") == {
        "accuracy": "higher",
        "macro_f1": "higher",
        "loss": "lower",
    }
    assert objective_metrics("goemotions")["micro_f1"] == "higher"


def test_a_wrapped_base_and_a_baseline_get_default_spaces_from_their_declarations() -> None:
    space = search_space("sam(adamw)", {}, None)
    by_name = {d.name: d for d in space.dimensions}
    assert by_name["base.lr"] == Dimension("base.lr", 1e-5, 0.1, log=True)  # AdamW's 1e-3
    assert by_name["rho"].log is False and "base.amsgrad" not in by_name
    adam = {d.name: d for d in search_space("adam", {}, None).dimensions}
    assert adam["beta2"].high < 1.0 and adam["eps"].log
