"""Worker jobs on PostgreSQL, without Celery: idempotent, cancellable, robust to deletes."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app
from shared.accounts import authenticate, create_token
from shared.db.models import Experiment, LandscapeResult, Run, Status
from shared.db.session import session_scope
from shared.experiments import create_experiment, request_cancel
from shared.spec import parse_spec
from worker.jobs import run_landscape

SPEC = {
    "kind": "landscape",
    "functions": ["himmelblau"],
    "optimizers": ["sgd", "nim_bh"],
    "restarts": 30,
    "iterations": 100,
}


def make_experiment(url: str, spec: dict = SPEC) -> tuple[int, list[int]]:
    with session_scope(url) as session:
        user, _ = create_token(session, "alice", "t")
        experiment = create_experiment(session, user, parse_spec(spec))
        return experiment.id, [r.id for r in experiment.runs]


def results(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(LandscapeResult))


def test_redelivered_runs_change_nothing(settings) -> None:
    url = settings.database_url
    experiment_id, runs = make_experiment(url)
    assert run_landscape(url, runs[0]) == "succeeded"
    assert run_landscape(url, runs[0]) == "already succeeded"  # the same message again
    assert results(url) == 1
    with session_scope(url) as session:
        assert session.get(Experiment, experiment_id).status == Status.running
        assert session.get(Run, runs[0]).attempts == 1
    assert run_landscape(url, runs[1]) == "succeeded"
    with session_scope(url) as session:
        experiment = session.get(Experiment, experiment_id)
        assert experiment.status == Status.succeeded and experiment.finished_at is not None
    assert results(url) == 2


def test_cancelled_and_deleted_experiments(settings) -> None:
    url = settings.database_url
    experiment_id, runs = make_experiment(url)
    with session_scope(url) as session:
        request_cancel(session, session.get(Experiment, experiment_id))
    assert run_landscape(url, runs[0]) == "already cancelled"
    assert results(url) == 0
    assert run_landscape(url, 987654) == "missing"


def test_failures_are_recorded_on_the_run(settings) -> None:
    url = settings.database_url
    _, runs = make_experiment(url)
    with session_scope(url) as session:  # a run whose work cannot be done
        session.get(Run, runs[1]).function = "no_such_function"
    assert run_landscape(url, runs[1]) == "failed"
    with session_scope(url) as session:
        run = session.get(Run, runs[1])
        assert run.status == Status.failed and "no_such_function" in run.error


def test_token_create_prints_a_working_token(settings, monkeypatch) -> None:
    monkeypatch.setenv("OPTBENCH_DATABASE_URL", settings.database_url)
    from shared.config import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["token", "create", "--name", "carol", "--admin"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    with session_scope(settings.database_url) as session:
        user = authenticate(session, token)
        assert user is not None and user.name == "carol" and user.role.value == "admin"
