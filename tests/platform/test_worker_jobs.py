"""Worker jobs on PostgreSQL, without Celery: idempotent, cancellable, robust to deletes."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app
from shared.accounts import authenticate, create_token
from shared.db.models import Experiment, LandscapeResult, Run, Status
from shared.db.session import session_factory, session_scope
from shared.experiments import create_experiment, request_cancel
from shared.spec import parse_spec
from worker.landscape import run_landscape

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
    sessions = session_factory(url)
    experiment_id, runs = make_experiment(url)
    assert run_landscape(sessions, runs[0]) == "succeeded"
    assert run_landscape(sessions, runs[0]) == "already succeeded"  # the same message again
    assert results(url) == 1
    with session_scope(url) as session:
        assert session.get(Experiment, experiment_id).status == Status.running
        assert session.get(Run, runs[0]).attempts == 1
    assert run_landscape(sessions, runs[1]) == "succeeded"
    with session_scope(url) as session:
        experiment = session.get(Experiment, experiment_id)
        assert experiment.status == Status.succeeded and experiment.finished_at is not None
    assert results(url) == 2


def test_cancelled_and_deleted_experiments(settings) -> None:
    url = settings.database_url
    sessions = session_factory(url)
    experiment_id, runs = make_experiment(url)
    with session_scope(url) as session:
        request_cancel(session, session.get(Experiment, experiment_id))
    assert run_landscape(sessions, runs[0]) == "already cancelled"
    assert results(url) == 0
    assert run_landscape(sessions, 987654) == "missing"


def test_failures_are_recorded_on_the_run(settings) -> None:
    url = settings.database_url
    sessions = session_factory(url)
    _, runs = make_experiment(url)
    with session_scope(url) as session:  # a run whose work cannot be done
        session.get(Run, runs[1]).function = "no_such_function"
    assert run_landscape(sessions, runs[1]) == "failed"
    with session_scope(url) as session:
        run = session.get(Run, runs[1])
        assert run.status == Status.failed and "no_such_function" in run.error


def test_token_create_prints_a_working_token(settings, monkeypatch) -> None:
    monkeypatch.setenv("OPTBENCH_DATABASE_URL", settings.database_url)
    from shared.config import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["token", "create", "--name", "carol", "--admin", "--database"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    with session_scope(settings.database_url) as session:
        user = authenticate(session, token)
        assert user is not None and user.name == "carol" and user.role.value == "admin"


def test_finishing_is_a_compare_and_set_on_the_attempt(settings) -> None:
    """A worker whose run was taken over (another attempt claimed it) cannot finish it."""
    from shared.db.arrays import to_bytes
    from worker.lifecycle import claim_run, finish_run

    url = settings.database_url
    sessions = session_factory(url)
    _, runs = make_experiment(url)
    claimed = claim_run(sessions, runs[0])
    assert not isinstance(claimed, str) and claimed[0].attempts == 1
    with session_scope(url) as session:  # meanwhile the run went to a second attempt
        session.get(Run, runs[0]).attempts = 2

    def result() -> LandscapeResult:
        return LandscapeResult(
            restarts=1,
            iterations=1,
            hyperparameters={},
            end_points=to_bytes([[0.0, 0.0]], "f8"),
            last_iterates=to_bytes([[0.0, 0.0]], "f8"),
            path=b"",
            path_iterations=[],
            gradient_evaluations=1.0,
            loss_evaluations=0.0,
            seconds=0.0,
        )

    assert not finish_run(sessions, runs[0], Status.failed, "stale worker", attempt=1)
    assert not finish_run(sessions, runs[0], Status.succeeded, result=result(), attempt=1)
    with session_scope(url) as session:
        run = session.get(Run, runs[0])
        assert run.status == Status.running and run.error is None
    assert results(url) == 0  # the stale attempt's result was not stored either
    assert finish_run(sessions, runs[0], Status.succeeded, result=result(), attempt=2)
    assert not finish_run(sessions, runs[0], Status.failed, "late", attempt=2)  # finished: final
    with session_scope(url) as session:
        assert session.get(Run, runs[0]).status == Status.succeeded
    assert results(url) == 1


def test_result_inserts_ignore_a_second_copy(settings) -> None:
    """Two workers storing the same result: ON CONFLICT DO NOTHING, no error, one row."""
    from shared.db.upsert import insert_once

    url = settings.database_url
    _, runs = make_experiment(url)
    values = {
        "run_id": runs[0],
        "restarts": 1,
        "iterations": 1,
        "hyperparameters": {},
        "end_points": b"",
        "last_iterates": b"",
        "path": b"",
        "path_iterations": [],
        "gradient_evaluations": 1.0,
        "loss_evaluations": 0.0,
        "seconds": 0.0,
    }
    with session_scope(url) as first, session_scope(url) as second:
        assert insert_once(first, LandscapeResult, values, ["run_id"])
        first.commit()
        assert not insert_once(second, LandscapeResult, values, ["run_id"])
    assert results(url) == 1


def test_members_see_one_line_and_admins_the_traceback(settings, client, tokens) -> None:
    from tests.platform.conftest import Tokens

    url = settings.database_url
    sessions = session_factory(url)
    experiment_id, runs = make_experiment(url)
    with session_scope(url) as session:
        session.get(Run, runs[1]).function = "no_such_function"
        owner = session.get(Experiment, experiment_id).owner.name
    assert run_landscape(sessions, runs[1]) == "failed"
    with session_scope(url) as session:
        run = session.get(Run, runs[1])
        assert "\n" not in run.error and "no_such_function" in run.error
        assert run.traceback.startswith("Traceback") and ".py" in run.traceback
    assert owner == "alice"
    path = f"/api/v1/experiments/{experiment_id}/runs"
    seen = {r["id"]: r for r in client.get(path, headers=Tokens.header(tokens.alice)).json()}
    failed = seen[runs[1]]
    assert failed["traceback"] is None and "\n" not in failed["error"]
    assert "Traceback" not in failed["error"] and ".py" not in failed["error"]
    admin = {r["id"]: r for r in client.get(path, headers=Tokens.header(tokens.admin)).json()}
    assert "Traceback" in admin[runs[1]]["traceback"]
