"""Optuna's tables, in the platform's own database but out of the platform's way.

Optuna's RDB storage keeps an Alembic version table named ``alembic_version``, as the
platform's migrations do; sharing one namespace, each would read the other's revision
and break. So on PostgreSQL Optuna's tables live in their own schema (``optuna``, through
the connection's ``search_path``), and on the embedded SQLite in a file of their own
beside the platform's (``optbench.db`` → ``optbench-optuna.db``).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from shared.db.session import engine_for, sqlite_path

if TYPE_CHECKING:
    import optuna

SCHEMA = "optuna"


def storage_location(database_url: str) -> tuple[str, dict[str, Any]]:
    """Optuna's URL and engine arguments for the platform database ``database_url``."""
    if database_url.startswith("sqlite"):
        path = sqlite_path(database_url)
        if path is None:
            raise ValueError("tuning needs a database file or server, not an in-memory SQLite")
        own = path.with_name(f"{path.stem}-optuna{path.suffix or '.db'}")
        return f"sqlite:///{own}", {"connect_args": {"timeout": 60}}
    return database_url, {
        "connect_args": {"options": f"-csearch_path={SCHEMA}"},
        "pool_pre_ping": True,
    }


def _prepare(database_url: str, url: str) -> None:
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():  # private, as the platform's own files are
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        import sqlite3

        with sqlite3.connect(path, timeout=60) as connection:  # WAL: readers never block
            connection.execute("PRAGMA journal_mode=WAL")
        return
    with engine_for(database_url).begin() as connection:
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))


def prepare(database_url: str) -> None:
    """Create Optuna's tables now, in one process, so that worker processes starting
    together do not race to create them; leaves no engine behind (safe before a fork)."""
    import optuna

    url, engine_kwargs = storage_location(database_url)
    _prepare(database_url, url)
    optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs).engine.dispose()


@lru_cache(maxsize=4)
def storage(database_url: str) -> optuna.storages.RDBStorage:
    """The Optuna storage of this platform database (one per process)."""
    import optuna

    url, engine_kwargs = storage_location(database_url)
    _prepare(database_url, url)
    return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)


def study_name(experiment_id: int, created: datetime, optimizer_key: str) -> str:
    """Unique to the experiment row (its creation time too): a platform database that is
    wiped or restored while Optuna's tables stay cannot hand a new study an old one's
    trials."""
    return f"optbench-{experiment_id}-{created.astimezone(UTC):%Y%m%dT%H%M%S%f}-{optimizer_key}"


def delete_studies(
    database_url: str, experiment_id: int, created: datetime, keys: list[str]
) -> int:
    """Drop a deleted experiment's Optuna studies (its trials and values); returns how
    many there were. Studies never created (no trial asked for yet) are skipped."""
    import optuna

    store = storage(database_url)
    names = {study_name(experiment_id, created, key) for key in keys}
    found = [s for s in store.get_all_studies() if s.study_name in names]
    for study in found:
        optuna.delete_study(study_name=study.study_name, storage=store)
    return len(found)
