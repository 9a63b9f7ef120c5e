"""Optuna's storage shares the platform's database without sharing its Alembic version
table: a study, then `optbench db upgrade`, `downgrade` and `upgrade` again, on
PostgreSQL and on the embedded SQLite, leave both intact."""

from __future__ import annotations

from datetime import UTC, datetime

import optuna
from sqlalchemy import inspect, text

from shared.db.session import make_engine
from shared.tuning import search
from shared.tuning.storage import storage, storage_location
from tests.platform.test_migrations import empty_database  # noqa: F401  (the fixture)


def optbench(url: str, *args: str) -> str:
    """``optbench db ARGS`` against ``url`` (in this process: the command as a user runs
    it, without paying for a fresh interpreter each time)."""
    from typer.testing import CliRunner

    from cli.main import app
    from shared.config import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["db", *args], env={"OPTBENCH_DATABASE_URL": url})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def platform_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def test_a_study_survives_the_platforms_migrations_and_they_survive_it(
    empty_database: str,  # noqa: F811
) -> None:
    url = empty_database
    optbench(url, "upgrade")
    head = platform_revision(url)
    experiment = (1, datetime(2026, 12, 3, tzinfo=UTC))
    study = search.open_study(url, experiment, "sgd", "lower", seed=3)
    study.optimize(lambda trial: (trial.suggest_float("x", -2, 2) - 1) ** 2, n_trials=5)
    values = [t.value for t in study.trials]
    assert platform_revision(url) == head  # Optuna did not touch the platform's table

    optbench(url, "downgrade", "base")
    assert platform_revision(url) is None
    optbench(url, "upgrade")
    assert platform_revision(url) == head

    storage.cache_clear()
    again = optuna.load_study(study_name=study.study_name, storage=storage(url))
    assert [t.value for t in again.trials] == values
    optuna_url, _ = storage_location(url)
    engine = make_engine(optuna_url) if optuna_url != url else None
    if url.startswith("sqlite"):
        # its own file; the platform's database holds no Optuna table
        assert optuna_url.endswith("-optuna.sqlite") and engine is not None
        assert "studies" in inspect(engine).get_table_names()
        assert "studies" not in inspect(make_engine(url)).get_table_names()
        engine.dispose()
    else:
        platform = make_engine(url)
        try:
            assert "studies" in inspect(platform).get_table_names(schema="optuna")
            assert "studies" not in inspect(platform).get_table_names()
            with platform.connect() as connection:
                optuna_version = connection.execute(
                    text("SELECT version_num FROM optuna.alembic_version")
                ).scalar()
            assert optuna_version and optuna_version != head
        finally:
            platform.dispose()
