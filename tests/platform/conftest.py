"""Real servers: a fresh PostgreSQL database migrated once per session, Redis as the
broker; tables emptied between tests."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from shared.accounts import create_token
from shared.config import Settings
from shared.db.base import Base
from shared.db.migrate import upgrade
from shared.db.session import engine_for, session_scope
from worker.command import worker_command

PG = os.environ.get("OPTBENCH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
REDIS = os.environ.get("OPTBENCH_TEST_REDIS", "redis://127.0.0.1:6379")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    name = f"optbench_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{PG.split('://', 1)[1]}/{name}"
    upgrade(url)
    yield url
    engine_for(url).dispose()
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def broker_url(worker_id: str) -> str:
    # One Redis database per xdist worker, so parallel sessions never share queues;
    # OPTBENCH_TEST_REDIS_DB moves a whole session elsewhere (two suites side by side).
    base = int(os.environ.get("OPTBENCH_TEST_REDIS_DB", "10"))
    index = base + (int(worker_id[2:]) if worker_id.startswith("gw") else 0)
    return f"{REDIS}/{index}"


@pytest.fixture
def settings(database_url: str, broker_url: str, tmp_path: Path) -> Settings:
    redis.Redis.from_url(broker_url).flushdb()
    with engine_for(database_url).begin() as connection:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return Settings(
        environment="test", home=tmp_path, database_url=database_url, broker_url=broker_url
    )


@pytest.fixture
def in_process_worker(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """For tests that call worker functions in this process: the environment (and so
    ``get_settings()``) names the test's home and artifact store."""
    from shared.config import get_settings

    monkeypatch.setenv("OPTBENCH_HOME", str(settings.home))
    monkeypatch.setenv("OPTBENCH_ARTIFACT_URL", settings.artifact_url)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


class Tokens:
    def __init__(self, url: str) -> None:
        with session_scope(url) as session:
            _, self.admin = create_token(session, "admin", "t", admin=True)
            _, self.alice = create_token(session, "alice", "t")
            _, self.bob = create_token(session, "bob", "t")

    @staticmethod
    def header(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(settings: Settings) -> Tokens:
    return Tokens(settings.database_url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_worker(env: dict[str, str], beat: bool = False) -> subprocess.Popen[bytes]:
    """A real Celery worker process consuming both queues (running the reconciler's
    schedule too if ``beat``)."""
    schedule = f"/tmp/optbench-beat-{uuid.uuid4().hex[:8]}" if beat else None
    return subprocess.Popen(
        worker_command(pool="solo", beat_schedule=schedule),
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")


def run_records(url: str, run_id: int) -> list:
    """A training run's stored model records, by step."""
    from sqlalchemy import select

    from shared.db.models import ModelRecord

    with session_scope(url) as session:
        return list(
            session.scalars(
                select(ModelRecord).where(ModelRecord.run_id == run_id).order_by(ModelRecord.step)
            )
        )


def run_status(url: str, run_id: int):  # type: ignore[no-untyped-def]
    from shared.db.models import Run

    with session_scope(url) as session:
        return session.get(Run, run_id).status
