"""Faults: a flushed broker and a killed worker cost time, never results."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
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
    never_sent = experiment_with_runs(url, LANDSCAPE, age=timedelta(minutes=10))
    stale, exhausted = experiment_with_runs(url, LANDSCAPE, age=timedelta(minutes=10))
    alive, waiting = experiment_with_runs(url, LANDSCAPE, age=timedelta(minutes=10))
    with session_scope(url) as session:
        for run_id in fresh:  # sent just now
            session.get(Run, run_id).sent_at = utcnow()
        for run_id in (*old, waiting):  # sent long ago; their messages are gone
            session.get(Run, run_id).sent_at = utcnow() - timedelta(minutes=10)
        for run_id, attempts, age in ((stale, 1, 600), (exhausted, 3, 600), (alive, 1, 5)):
            run = session.get(Run, run_id)
            run.status, run.attempts = Status.running, attempts
            run.heartbeat_at = utcnow() - timedelta(seconds=age)
        outcome = reconcile(session, stale_after=60, max_attempts=3)
        resent = sorted(r.id for r in outcome.resend)
        failed = [r.id for r in outcome.failed]
        assert sorted(o.run for o in outcome.sent) == resent
    # not the fresh ones, not the live run, not the runs never sent (they wait for their
    # turn in the window); the old sent ones, yes
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
        assert all(session.get(Run, r).sent_at is None for r in never_sent)
        assert all(session.get(Run, r).sent_at is not None for r in resent)
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

    assert Dispatcher(settings).fill() == 1
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
        wait_until(lambda: run_status(url, run_id) == Status.succeeded, timeout=300)
    finally:
        stop(second)
    stored = records()
    spec = parse_spec(TRAINING)
    task, data = task_and_data("digits", ())
    reference = TrajectoryRunner(task, data, trajectory_config(spec, "sgd", 0)).run()
    assert partial < len(reference)
    assert [r.step for r in stored] == [r.step for r in reference]  # no gaps, no duplicates
    for mine, theirs in zip(stored, reference, strict=True):
        assert (mine.train_loss, mine.test_loss, mine.metrics, mine.gradient_evaluations) == (
            theirs.train_loss,
            theirs.test_loss,
            theirs.metrics,
            theirs.gradient_evaluations,
        )
    with session_scope(url) as session:
        assert session.get(Run, run_id).attempts == 2


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc; Linux)."""
    from pathlib import Path

    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    from pathlib import Path

    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait() is missing


@pytest.mark.serial
def test_killed_embedded_server_leaves_nothing_and_resumes_at_once(tmp_path) -> None:
    """``kill -9`` of ``optbench serve`` mid-trajectory: no process of it survives; the
    next ``optbench serve`` queues the interrupted run at once (not after the 300 s stale
    window) and the trajectory ends with the records of an uninterrupted run."""
    import subprocess
    import sys

    import httpx

    from tests.platform.conftest import ROOT, free_port

    home, port = tmp_path / "home", free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OPTBENCH_") or key == "OPTBENCH_TEST_REDIS_DB"
    }
    env.update(OPTBENCH_HOME=str(home), OPTBENCH_PORT=str(port))
    url = f"http://127.0.0.1:{port}"
    spec = {**TRAINING, "budget": {"epochs": 6}}  # 24 evaluation points

    def serve() -> subprocess.Popen[bytes]:
        server = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def up() -> bool:
            try:
                return httpx.get(f"{url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout=120, interval=0.3)
        return server

    def records(client: httpx.Client, experiment: int) -> list[dict]:
        page = client.get(f"/experiments/{experiment}/records", params={"limit": 10_000})
        return page.json()["items"] if page.status_code == 200 else []

    first = serve()
    try:
        token = (home / "token").read_text().strip()
        client = httpx.Client(base_url=f"{url}/api/v1", headers=Tokens.header(token), timeout=30)
        experiment = client.post("/experiments", json=spec).json()["id"]
        wait_until(lambda: len(records(client, experiment)) >= 4, timeout=240, interval=0.2)
        family = _descendants(first.pid)
        assert family, "the worker runs as a child of optbench serve"
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        wait_until(lambda: not any(_alive(p) for p in family), timeout=15, interval=0.1)
    finally:
        if first.poll() is None:
            first.kill()
    with session_scope(f"sqlite:///{home / 'optbench.db'}") as session:
        partial = session.query(ModelRecord).count()
    second = serve()
    began = time.monotonic()
    try:
        done = wait_until(
            lambda: (
                client.get(f"/experiments/{experiment}").json()["status"] in ("succeeded", "failed")
            ),
            timeout=120,
            interval=0.5,
        )
        took = time.monotonic() - began
        assert done and client.get(f"/experiments/{experiment}").json()["status"] == "succeeded"
        stored = records(client, experiment)
        runs = client.get(f"/experiments/{experiment}/runs").json()
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert took < 120
    assert runs[0]["attempts"] == 2
    task, data = task_and_data("digits", ())
    reference = TrajectoryRunner(task, data, trajectory_config(parse_spec(spec), "sgd", 0)).run()
    assert 4 <= partial < len(reference)
    assert [r["step"] for r in stored] == [r.step for r in reference]
    for mine, theirs in zip(stored, reference, strict=True):
        assert (mine["train_loss"], mine["test_loss"], mine["metrics"]) == (
            theirs.train_loss,
            theirs.test_loss,
            theirs.metrics,
        )


def test_reconciler_leaves_runs_whose_message_is_still_queued(client, tokens, settings) -> None:
    """A long queue is not a lost message: runs whose message Redis still holds are not
    sent again; once the broker has lost them (flushed), they are."""
    from worker.inflight import runs_in_flight

    url = settings.database_url
    headers = Tokens.header(tokens.alice)
    experiment = client.post(f"{API}/experiments", json=LANDSCAPE, headers=headers).json()
    with session_scope(url) as session:  # sent long ago, its messages still waiting
        row = session.get(Experiment, experiment["id"])
        for run in row.runs:
            run.sent_at = utcnow() - timedelta(minutes=30)
        runs = sorted(r.id for r in row.runs)
    held = runs_in_flight(settings)
    assert held is not None and set(runs) <= held
    with session_scope(url) as session:
        kept = reconcile(session, stale_after=60, max_attempts=3, in_flight=held)
        assert kept.resend == []
    redis.Redis.from_url(settings.broker_url).flushdb()
    assert runs_in_flight(settings) == set()
    with session_scope(url) as session:
        lost = reconcile(session, stale_after=60, max_attempts=3, in_flight=set())
        assert sorted(r.id for r in lost.resend) == runs
