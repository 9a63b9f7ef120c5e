"""The migration that stores a record's metrics as one JSON object: upgrade moves the
old accuracy / macro-F1 / micro-F1 columns into it (NULLs left out), downgrade puts them
back, on PostgreSQL and on SQLite."""

from __future__ import annotations

import json

from sqlalchemy import inspect, text

from shared.db.migrate import downgrade, upgrade
from shared.db.session import make_engine
from tests.platform.test_migrations import empty_database  # noqa: F401  (fixture)

BEFORE = "0006"
NOW = "2026-12-03T00:00:00+00:00"
#: (id, run, step, accuracy, macro_f1, micro_f1)
RECORDS = [
    (1, 3, 0, 0.1, 0.05, None),
    (2, 3, 10, 0.9375, 0.9, None),
    (3, 4, 10, 0.5, 0.25, 0.75),
    (4, 4, 20, None, None, None),  # a diverged record
]


def _execute(url: str, sql: str, **params):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def _columns(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def _seed(url: str) -> None:
    _execute(
        url, "INSERT INTO users (id, name, role, created_at) VALUES (1, 'a', 'admin', :t)", t=NOW
    )
    _execute(
        url,
        "INSERT INTO experiments (id, owner_id, name, kind, spec, seed, status, code_version, "
        "cancel_requested, created_at) VALUES (7, 1, '', 'training', '{}', 0, 'succeeded', "
        "'x', :f, :t)",
        f=False,
        t=NOW,
    )
    for run_id in (3, 4):
        _execute(
            url,
            "INSERT INTO runs (id, experiment_id, key, optimizer, queue, status, progress, "
            "attempts, diverged) VALUES (:id, 7, :key, 'sgd', 'cpu', 'succeeded', 1.0, 1, :f)",
            id=run_id,
            key=f"sgd/{run_id}",
            f=False,
        )
    for record_id, run_id, step, accuracy, macro, micro in RECORDS:
        _execute(
            url,
            "INSERT INTO model_records (id, run_id, step, epoch, gradient_evaluations, "
            "loss_evaluations, wall_time, accuracy, macro_f1, micro_f1, diverged) VALUES "
            "(:id, :run, :step, 0, :step, 0, 0.5, :a, :m, :u, :d)",
            id=record_id,
            run=run_id,
            step=step,
            a=accuracy,
            m=macro,
            u=micro,
            d=accuracy is None,
        )


def _metrics(value: object) -> dict:
    return json.loads(value) if isinstance(value, str) else dict(value or {})  # type: ignore[arg-type]


def test_metric_columns_move_into_json_and_back(empty_database: str) -> None:  # noqa: F811
    url = empty_database
    upgrade(url, BEFORE)
    _seed(url)

    upgrade(url)
    assert {"accuracy", "macro_f1", "micro_f1"}.isdisjoint(_columns(url, "model_records"))
    assert "task_origin" in _columns(url, "runs")
    rows = _execute(url, "SELECT id, metrics FROM model_records ORDER BY id")
    assert [(r[0], _metrics(r[1])) for r in rows] == [
        (1, {"accuracy": 0.1, "macro_f1": 0.05}),
        (2, {"accuracy": 0.9375, "macro_f1": 0.9}),
        (3, {"accuracy": 0.5, "macro_f1": 0.25, "micro_f1": 0.75}),
        (4, {}),
    ]
    # a record written afterwards by a task with other metrics
    _execute(
        url,
        "INSERT INTO model_records (id, run_id, step, epoch, gradient_evaluations, "
        "loss_evaluations, wall_time, metrics, diverged) VALUES "
        "(5, 3, 20, 2, 20, 0, 1.0, :m, :f)",
        m=json.dumps({"perplexity": 7.5, "accuracy": 0.25}),
        f=False,
    )

    downgrade(url, BEFORE)
    assert "metrics" not in _columns(url, "model_records")
    assert "task_origin" not in _columns(url, "runs")
    rows = _execute(
        url, "SELECT id, run_id, step, accuracy, macro_f1, micro_f1 FROM model_records ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [*RECORDS, (5, 3, 20, 0.25, None, None)]


def test_sqlite_table_copies_keep_the_records(empty_database: str) -> None:  # noqa: F811
    """Batch mode copies a SQLite table and drops the old one; with foreign keys on,
    dropping ``runs`` (0006 drops its checkpoint column) used to cascade to every model
    record. Migrations run with foreign keys off."""
    url = empty_database
    upgrade(url, "0005")
    _seed(url)
    upgrade(url)
    assert _execute(url, "SELECT count(*) FROM model_records")[0][0] == len(RECORDS)
    downgrade(url, "0005")
    assert _execute(url, "SELECT count(*) FROM model_records")[0][0] == len(RECORDS)
