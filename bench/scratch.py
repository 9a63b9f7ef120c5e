"""A throw-away PostgreSQL database, migrated, for benchmarks that need real data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from shared.db.migrate import upgrade
from shared.db.session import engine_for


@contextmanager
def scratch_database(postgres: str, prefix: str = "optbench_bench") -> Iterator[str]:
    """Yields the SQLAlchemy URL of a fresh, migrated database; drops it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{postgres.split('://', 1)[1]}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        engine_for(url).dispose()
        with psycopg.connect(f"{postgres}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
