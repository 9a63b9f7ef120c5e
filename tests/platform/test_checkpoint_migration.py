"""The migration that moves checkpoints out of the runs table: upgrade writes each blob to
the artifact store (key, SHA-256 and size left in the row), downgrade puts it back, on
PostgreSQL and on SQLite."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from shared.artifacts import ArtifactStore
from shared.config import get_settings
from shared.db.migrate import downgrade, upgrade
from shared.db.session import make_engine
from tests.platform.test_migrations import empty_database  # noqa: F401  (fixture)

BEFORE = "0005"


def _columns(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("runs")}
    finally:
        engine.dispose()


def _execute(url: str, sql: str, **params):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch) -> Path:
    directory = tmp_path / "store"
    monkeypatch.setenv("OPTBENCH_ARTIFACT_URL", str(directory))
    get_settings.cache_clear()
    yield directory
    get_settings.cache_clear()


def test_checkpoints_move_to_the_store_and_back(empty_database: str, store_dir: Path) -> None:  # noqa: F811
    url = empty_database
    upgrade(url, BEFORE)
    blob = os.urandom(200_000)
    _execute(
        url,
        "INSERT INTO users (id, name, role, created_at) VALUES (1, 'a', 'admin', :t)",
        t="2026-12-01T00:00:00+00:00",
    )
    _execute(
        url,
        "INSERT INTO experiments (id, owner_id, name, kind, spec, seed, status, code_version, "
        "cancel_requested, created_at) VALUES (7, 1, '', 'training', '{}', 0, 'running', 'x', "
        ":f, :t)",
        f=False,
        t="2026-12-01T00:00:00+00:00",
    )
    for run_id, key, checkpoint in ((3, "sgd/0", blob), (4, "sgd/1", None)):
        _execute(
            url,
            "INSERT INTO runs (id, experiment_id, key, optimizer, queue, status, progress, "
            "attempts, diverged, checkpoint) VALUES (:id, 7, :key, 'sgd', 'cpu', 'running', "
            "0.5, 2, :f, :c)",
            id=run_id,
            key=key,
            f=False,
            c=checkpoint,
        )

    upgrade(url)
    assert "checkpoint" not in _columns(url)
    rows = _execute(
        url,
        "SELECT id, checkpoint_key, checkpoint_sha256, checkpoint_size FROM runs ORDER BY id",
    )
    key = "experiments/7/runs/3/attempt-2/checkpoint-migrated.pt"
    assert [tuple(r) for r in rows] == [
        (3, key, hashlib.sha256(blob).hexdigest(), len(blob)),
        (4, None, None, None),
    ]
    assert (store_dir / key).read_bytes() == blob
    assert ArtifactStore(str(store_dir)).list_keys() == [key]

    downgrade(url, BEFORE)
    assert "checkpoint_key" not in _columns(url)
    rows = _execute(url, "SELECT id, checkpoint FROM runs ORDER BY id")
    assert [(r[0], None if r[1] is None else bytes(r[1])) for r in rows] == [(3, blob), (4, None)]
