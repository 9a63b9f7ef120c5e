"""Migrations run on PostgreSQL and SQLite, round-trip, and match the models exactly."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from shared.db.base import Base
from shared.db.migrate import downgrade, upgrade
from shared.db.session import make_engine
from tests.platform.conftest import PG


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database(request, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite'}"
        return
    name = f"optbench_migrations_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://{PG.split('://', 1)[1]}/{name}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_matches_the_models(empty_database: str) -> None:
    upgrade(empty_database)
    assert tables(empty_database) == set(Base.metadata.tables)
    assert differences(empty_database) == []
    downgrade(empty_database)
    assert tables(empty_database) == set()
    upgrade(empty_database)
    assert differences(empty_database) == []
