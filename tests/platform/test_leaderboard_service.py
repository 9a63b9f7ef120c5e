"""The leaderboard service: experiments chosen in SQL (training, succeeded, on the task),
records read in one query, so a board costs the same queries for one experiment or many;
and each entry is what that experiment's own records say."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from sqlalchemy import event

from api.services.cache import ResultCache
from api.services.leaderboard import finished_on, leaderboard
from api.services.records import records_frame
from shared.accounts import create_token
from shared.db.models import Experiment, ModelRecord, Status
from shared.db.session import engine_for, session_factory, session_scope
from shared.experiments import create_experiment
from shared.spec import parse_spec
from shared.stats.populations import set_a
from shared.tasks.catalog import task_metric

RECORDS = 24  # evaluation points per trajectory (an epoch each): 2L = 20 fit


def add_experiment(
    url: str, task: str, owner: str, status: Status, seed: int, optimizers: list[str]
) -> int:
    spec = parse_spec(
        {
            "kind": "training",
            "task": task,
            "optimizers": optimizers,
            "trajectories": 2,
            "budget": {"epochs": RECORDS},
            "evaluate_every": 1,
        }
    )
    rng = np.random.default_rng(seed)
    with session_scope(url) as session:
        user, _ = create_token(session, owner, "t")
        experiment = create_experiment(session, user, spec)
        for run in experiment.runs:
            run.status = status
            steps = np.arange(RECORDS)
            loss = 2.0 * np.exp(-steps / 8) + rng.normal(0, 0.05, RECORDS) + 0.1
            accuracy = 0.9 - 0.5 * np.exp(-steps / 6) + rng.normal(0, 0.02, RECORDS)
            session.add_all(
                ModelRecord(
                    run_id=run.id,
                    step=int(s),
                    epoch=float(s),
                    gradient_evaluations=int(s) * (10 + seed),
                    loss_evaluations=0,
                    wall_time=float(s),
                    train_loss=float(loss[s]),
                    running_loss=float(loss[s]),
                    test_loss=float(loss[s]),
                    metrics={"accuracy": float(accuracy[s])},
                    diverged=False,
                )
                for s in steps
            )
        experiment.status = status
        session.flush()
        return experiment.id


@contextmanager
def counted(url: str) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = engine_for(url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def board(url: str, task: str = "digits") -> tuple[dict, list[str]]:
    metric = task_metric(task, "accuracy")
    with session_factory(url)() as session, counted(url) as statements:
        answer = leaderboard(session, ResultCache(size=0), task, metric, 0.05)
    return answer, statements


def test_the_board_costs_the_same_queries_for_one_experiment_or_many(settings) -> None:
    url = settings.database_url
    add_experiment(url, "digits", "alice", Status.succeeded, 1, ["sgd", "adam"])
    one, one_statements = board(url)
    assert len(one["entries"]) == 2
    for seed in range(2, 6):
        add_experiment(url, "digits", f"member{seed}", Status.succeeded, seed, ["sgd"])
    many, many_statements = board(url)
    assert len(many["entries"]) == 6
    assert len(many_statements) == len(one_statements) <= 2, many_statements


def test_only_succeeded_training_experiments_on_the_task_are_ranked(settings) -> None:
    url = settings.database_url
    chosen = [
        add_experiment(url, "digits", "alice", Status.succeeded, 1, ["sgd", "adam"]),
        add_experiment(url, "digits", "bob", Status.succeeded, 2, ["sgd"]),
    ]
    add_experiment(url, "mnist1d", "alice", Status.succeeded, 3, ["sgd"])  # another task
    add_experiment(url, "digits", "bob", Status.running, 4, ["sgd"])  # not finished
    add_experiment(url, "digits", "bob", Status.failed, 5, ["adam"])
    with session_factory(url)() as session:
        assert [e.id for e in finished_on(session, "digits")] == chosen
        assert finished_on(session, "chess") == []

    answer, _ = board(url)
    entries = {(e["experiment_id"], e["optimizer"]): e for e in answer["entries"]}
    assert set(entries) == {(chosen[0], "sgd"), (chosen[0], "adam"), (chosen[1], "sgd")}
    assert answer["entries"][0]["rank"] == 1
    medians = [e["median"] for e in answer["entries"]]
    assert medians == sorted(medians, reverse=True)  # accuracy: higher is better
    # each entry is what its experiment's own records say (read one experiment at a time)
    with session_factory(url)() as session:
        for experiment_id in chosen:
            frame = records_frame(session, experiment_id, ["accuracy"])
            population_size = session.get(Experiment, experiment_id).spec["population_size"]
            models = set_a(frame, population_size)
            for optimizer, rows in models.groupby("optimizer"):
                entry = entries[(experiment_id, optimizer)]
                assert entry["median"] == pytest.approx(rows["accuracy"].median())
                assert entry["n"] == len(rows) and entry["trajectories"] == 2
                final = frame[frame["optimizer"] == optimizer].groupby("trajectory")
                assert entry["gradient_evaluations_per_trajectory"] == pytest.approx(
                    final["gradient_evaluations"].max().median()
                )
    assert entries[(chosen[1], "sgd")]["submitter"] == "bob"
    assert board(url, "mnist1d")[0]["entries"][0]["submitter"] == "alice"
