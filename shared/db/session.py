"""Engines and sessions. SQLite gets WAL and a busy timeout so the API and worker
processes can share one file; PostgreSQL connections are checked before use so a
restarted server costs a reconnect, not an error.

Two kinds of session: :func:`session_factory` for work that writes, and
:func:`read_session_factory` for reads. On SQLite a write transaction takes the write
lock up front (``BEGIN IMMEDIATE``), while a read transaction is deferred and, under WAL,
never blocks a writer; on PostgreSQL the two are the same.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

#: Execution option that marks a connection as read-only work (deferred BEGIN on SQLite).
READ_ONLY = "optbench_read_only"


def sqlite_path(url: str) -> Path | None:
    """The database file of an SQLite URL (None for other databases and in-memory ones)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():  # private from the start, never widened afterwards
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
            # Let SQLAlchemy, not the driver, decide when transactions begin (below).
            connection.isolation_level = None
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection) -> None:  # type: ignore[no-untyped-def]
            if connection.get_execution_options().get(READ_ONLY):
                # A reader sees one snapshot and takes no lock that holds up writers.
                connection.exec_driver_sql("BEGIN")
                return
            # Take the write lock up front: a read transaction that later writes would
            # otherwise fail at once ("database is locked") when another process wrote
            # in between, whatever the busy timeout.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


#: A session factory: what a process opens once and hands to the code that needs sessions.
Sessions = sessionmaker[Session]


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def session_factory(url: str) -> sessionmaker[Session]:
    """Sessions for work that writes."""
    return sessionmaker(engine_for(url), expire_on_commit=False)


def url_of(sessions: Sessions) -> str:
    """The URL of the database ``sessions`` connect to, for a library that opens its own
    connections by URL (Optuna's storage); opening a session here connects to nothing."""
    with sessions() as session:
        return session.get_bind().url.render_as_string(hide_password=False)


def read_session_factory(url: str) -> sessionmaker[Session]:
    """Sessions for reads: on SQLite they do not take the write lock (do not write with
    them; a write would fail when another process wrote since the read began)."""
    return sessionmaker(
        engine_for(url).execution_options(**{READ_ONLY: True}), expire_on_commit=False
    )


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits once at the end (or rolls back on error)."""
    with session_factory(url)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
