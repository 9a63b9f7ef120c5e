"""Every time is stored and returned timezone-aware, in UTC, on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from api.app import create_app
from shared.config import Settings
from shared.db.migrate import upgrade
from shared.db.models import Experiment, Run
from shared.db.session import session_factory, session_scope
from tests.platform.conftest import Tokens

SPEC = {"kind": "landscape", "functions": ["himmelblau"], "optimizers": ["sgd"], "restarts": 5}


@pytest.fixture(params=["postgresql", "sqlite"])
def any_settings(request, settings: Settings, tmp_path: Path) -> Settings:
    if request.param == "postgresql":
        return settings
    url = f"sqlite:///{tmp_path / 'times.sqlite'}"
    upgrade(url)
    return settings.model_copy(update={"database_url": url})


def submitted(settings: Settings) -> tuple[TestClient, dict[str, str], int]:
    client = TestClient(create_app(settings))
    headers = Tokens.header(Tokens(settings.database_url).alice)
    response = client.post("/api/v1/experiments", json=SPEC, headers=headers)
    assert response.status_code == 202, response.text
    return client, headers, response.json()["id"]


def parsed(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(0), text
    return moment


def test_times_come_back_utc_aware_from_the_database(any_settings: Settings) -> None:
    _, _, experiment_id = submitted(any_settings)
    east = timezone(timedelta(hours=5, minutes=30))
    started = datetime(2026, 11, 30, 8, 0, tzinfo=east)
    with session_scope(any_settings.database_url) as session:
        experiment = session.get(Experiment, experiment_id)
        experiment.started_at = started
    with session_factory(any_settings.database_url)() as session:
        experiment = session.get(Experiment, experiment_id)
        assert experiment.created_at.tzinfo is not None
        assert experiment.created_at.utcoffset() == timedelta(0)
        assert experiment.started_at == started  # the same instant…
        assert experiment.started_at.tzinfo == UTC  # …in UTC
        assert experiment.started_at.hour == 2 and experiment.started_at.minute == 30
        # a column selected on its own is converted too
        created = session.scalar(select(Experiment.created_at))
        assert created is not None and created.tzinfo == UTC
        # and comparisons in SQL see instants, not text in different zones
        later = session.scalar(
            select(Experiment.id).where(
                Experiment.started_at > datetime(2026, 11, 30, 2, tzinfo=UTC)
            )
        )
        assert later == experiment_id


def test_a_naive_time_is_refused(any_settings: Settings) -> None:
    _, _, experiment_id = submitted(any_settings)
    with (
        pytest.raises(StatementError, match="naive datetime"),
        session_scope(any_settings.database_url) as session,
    ):
        session.get(Experiment, experiment_id).finished_at = datetime(2026, 11, 30, 8, 0)
        session.flush()


def test_the_api_answers_times_with_their_offset(any_settings: Settings) -> None:
    client, headers, experiment_id = submitted(any_settings)
    before = datetime.now(UTC)
    with session_scope(any_settings.database_url) as session:
        run = session.scalars(select(Run).where(Run.experiment_id == experiment_id)).one()
        run.started_at = before
    experiment = client.get(f"/api/v1/experiments/{experiment_id}", headers=headers).json()
    created = parsed(experiment["created_at"])
    assert abs(created - before) < timedelta(minutes=5)
    page = client.get("/api/v1/experiments", headers=headers).json()
    assert parsed(page["items"][0]["created_at"]) == created
    runs = client.get(f"/api/v1/experiments/{experiment_id}/runs", headers=headers).json()
    assert parsed(runs[0]["started_at"]) == before


def test_the_worker_and_the_reconciler_compare_stored_times_as_they_come(
    any_settings: Settings, in_process_worker: Settings
) -> None:
    """Stored times come back aware on both databases, so the worker's claim (a fresh
    heartbeat: running elsewhere) and the reconciler (a fresh submission: left queued)
    compare them with the clock directly."""
    from shared.db.base import utcnow
    from shared.db.models import Status
    from shared.reconcile import reconcile
    from worker.lifecycle import claim_run

    _, _, experiment_id = submitted(any_settings)
    url = any_settings.database_url
    sessions = session_factory(url)
    with session_scope(url) as session:
        assert reconcile(session, stale_after=60, max_attempts=3).resend == []
        run = session.scalars(select(Run).where(Run.experiment_id == experiment_id)).one()
        assert run.experiment.created_at.tzinfo == UTC
        run.status, run.heartbeat_at, run_id = Status.running, utcnow(), run.id
    assert claim_run(sessions, run_id) == "running elsewhere"
    with session_scope(url) as session:
        session.get(Run, run_id).heartbeat_at = utcnow() - timedelta(hours=1)
    claimed = claim_run(sessions, run_id)  # its worker went quiet: taken over
    assert not isinstance(claimed, str) and claimed[0].attempts == 1
