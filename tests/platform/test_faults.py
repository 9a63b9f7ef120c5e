"""Faults: a flushed broker and a killed worker cost time, never results."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import redis

from shared.accounts import create_token
from shared.db.base import utcnow
from shared.db.models import Experiment, ModelRecord, Run, Status
from shared.db.session import session_scope
from shared.experiments import create_experiment
from shared.protocol.runner import TrajectoryRunner
from shared.reconcile import reconcile
from shared.spec import parse_spec
from tests.platform.conftest import Tokens, run_records, run_status, start_worker, stop, wait_until
from worker.training import task_and_data, trajectory_config

API = "/api/v1"
LANDSCAPE = {
    "kind": "landscape",
    "functions": ["himmelblau"],
    "optimizers": ["sgd", "sam"],
    "restarts": 50,
    "iterations": 200,
}
TRAINING = {
    "kind": "training",
    "task": "digits",
    "optimizers": ["sgd"],
    "trajectories": 1,
    "budget": {"epochs": 30},
    "evaluate_every": 0.25,
    "batch_size": 32,
    "seed": 2,
    "device": "cpu",
}


def experiment_with_runs(url: str, spec: dict, age: timedelta = timedelta(0)) -> list[int]:
    with session_scope(url) as session:
        user, _ = create_token(session, f"user-{time.monotonic_ns()}", "t")
        experiment = create_experiment(session, user, parse_spec(spec))
        experiment.created_at = utcnow() - age
        return [r.id for r in experiment.runs]


def test_reconcile_decides_what_to_send_again(settings) -> None:
    url = settings.database_url
    fresh = experiment_with_runs(url, LANDSCAPE)
    old = experiment_with_runs(url, LANDSCAPE, age=timedelta(minutes=10))
    stale, exhausted = experiment_with_runs(url, LANDSCAPE, age=timedelta(minutes=10))
    alive, waiting = experiment_with_runs(url, LANDSCAPE, age=timedelta(minutes=10))
    with session_scope(url) as session:
        for run_id, attempts, age in ((stale, 1, 600), (exhausted, 3, 600), (alive, 1, 5)):
            run = session.get(Run, run_id)
            run.status, run.attempts = Status.running, attempts
            run.heartbeat_at = utcnow() - timedelta(seconds=age)
        outcome = reconcile(session, stale_after=60, max_attempts=3)
        resent = sorted(r.id for r in outcome.resend)
        failed = [r.id for r in outcome.failed]
    # not the fresh submission, not the live run; its old queued sibling, yes
    assert resent == sorted([*old, stale, waiting])
    assert failed == [exhausted]
    with session_scope(url) as session:
        run = session.get(Run, exhausted)
        assert run.status == Status.failed and "gave up after 3 attempts" in run.error
        # its sibling (`stale`) is queued again, so the experiment is not finished yet
        assert session.get(Experiment, run.experiment_id).status == Status.running
        assert session.get(Run, stale).status == Status.queued
        assert session.get(Run, alive).status == Status.running
        assert all(session.get(Run, r).status == Status.queued for r in fresh)
        again = reconcile(session, stale_after=60, max_attempts=3)
    assert again.resend == [] and again.failed == []  # just sent: not stale yet


def test_flushed_broker_loses_nothing(client, tokens, settings) -> None:
    headers = Tokens.header(tokens.alice)
    experiment = client.post(f"{API}/experiments", json=LANDSCAPE, headers=headers).json()
    redis.Redis.from_url(settings.broker_url).flushdb()  # every queued message is gone
    time.sleep(1.2)
    worker = start_worker(
        {
            "OPTBENCH_DATABASE_URL": settings.database_url,
            "OPTBENCH_BROKER_URL": settings.broker_url,
            "OPTBENCH_STALE_AFTER_SECONDS": "1",
        }
    )
    try:
        state = wait_until(
            lambda: (
                (s := client.get(experiment["url"], headers=headers).json())["status"]
                == "succeeded"
                and s
            ),
            timeout=90,
        )
    finally:
        stop(worker)
    assert state["runs"] == {"succeeded": 2}


def test_worker_killed_mid_trajectory_resumes_with_identical_records(settings) -> None:
    url = settings.database_url
    run_id = experiment_with_runs(url, TRAINING)[0]
    env = {
        "OPTBENCH_DATABASE_URL": url,
        "OPTBENCH_BROKER_URL": settings.broker_url,
        "OPTBENCH_HEARTBEAT_SECONDS": "0.3",
        "OPTBENCH_STALE_AFTER_SECONDS": "2",
        "OPTBENCH_RECONCILE_EVERY_SECONDS": "1",
    }

    def records() -> list[ModelRecord]:
        return run_records(url, run_id)

    from api.queue import Dispatcher

    with session_scope(url) as session:
        Dispatcher(settings).send([session.get(Run, run_id)], "training")
    first = start_worker(env)
    try:
        wait_until(lambda: len(records()) >= 4, timeout=120, interval=0.05)
        os.kill(first.pid, signal.SIGKILL)  # mid-trajectory, no chance to clean up
        first.wait()
    finally:
        stop(first)
    partial = len(records())
    with session_scope(url) as session:
        assert session.get(Run, run_id).status == Status.running
    second = start_worker(env, beat=True)
    try:
        wait_until(lambda: run_status(url, run_id) == Status.succeeded, timeout=180)
    finally:
        stop(second)
    stored = records()
    spec = parse_spec(TRAINING)
    task, data = task_and_data("digits", ())
    reference = TrajectoryRunner(task, data, trajectory_config(spec, "sgd", 0)).run()
    assert partial < len(reference)
    assert [r.step for r in stored] == [r.step for r in reference]  # no gaps, no duplicates
    for mine, theirs in zip(stored, reference, strict=True):
        assert (mine.train_loss, mine.test_loss, mine.accuracy, mine.gradient_evaluations) == (
            theirs.train_loss,
            theirs.test_loss,
            theirs.accuracy,
            theirs.gradient_evaluations,
        )
    with session_scope(url) as session:
        assert session.get(Run, run_id).attempts == 2
