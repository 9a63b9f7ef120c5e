"""PostgreSQL restarted while a trajectory is writing: the run completes, with every
record exactly once. Serial: restarting the server would disturb parallel tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from shared.db.models import ModelRecord, Status
from shared.protocol.runner import TrajectoryRunner
from shared.spec import parse_spec
from tests.platform.conftest import run_records, run_status, start_worker, stop, wait_until
from tests.platform.test_faults import TRAINING, experiment_with_runs
from worker.training import task_and_data, trajectory_config

pytestmark = pytest.mark.serial
# Long enough (tens of seconds) that the restart lands mid-trajectory.
SPEC = {**TRAINING, "budget": {"epochs": 150}, "batch_size": 16}


def restart_postgres() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
        check=True,
        timeout=120,
    )


def safely(read):  # type: ignore[no-untyped-def]
    try:
        return read()
    except Exception:  # the server is down for a moment
        return None


@pytest.mark.skipif(not Path("/etc/postgresql").exists(), reason="no local PostgreSQL cluster")
def test_postgres_restart_while_runs_write(settings) -> None:
    url = settings.database_url
    run_id = experiment_with_runs(url, SPEC)[0]

    def records() -> list[ModelRecord]:
        return run_records(url, run_id)

    def status() -> Status:
        return run_status(url, run_id)

    from api.queue import Dispatcher

    assert Dispatcher(settings).fill() == 1
    worker = start_worker(
        {
            "OPTBENCH_DATABASE_URL": url,
            "OPTBENCH_BROKER_URL": settings.broker_url,
            "OPTBENCH_HEARTBEAT_SECONDS": "0.5",
            "OPTBENCH_STALE_AFTER_SECONDS": "20",
            "OPTBENCH_RECONCILE_EVERY_SECONDS": "2",
        },
        beat=True,
    )
    try:
        wait_until(lambda: len(safely(records) or []) >= 5, timeout=120, interval=0.05)
        before = len(records())
        restart_postgres()
        wait_until(lambda: safely(status) == Status.succeeded, timeout=240)
    finally:
        stop(worker)
    stored = records()
    spec = parse_spec(SPEC)
    task, data = task_and_data("digits", ())
    reference = TrajectoryRunner(task, data, trajectory_config(spec, "sgd", 0)).run()
    assert before < len(reference) // 2  # the restart really happened mid-trajectory
    assert [r.step for r in stored] == [r.step for r in reference]
    assert [r.metrics for r in stored] == [r.metrics for r in reference]
