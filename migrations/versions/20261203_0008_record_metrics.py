"""model records store a task's metrics generally; runs record the task's origin

The fixed metric columns of ``model_records`` (``accuracy``, ``macro_f1``,
``micro_f1``) become one JSON object per record, ``metrics``, holding whatever metrics
the record's task declares (``{"accuracy": 0.93, "macro_f1": 0.91}``; a value that was
NULL is left out). ``runs.task_origin`` records where the task a run used came from
(built in, or a plugin package and its version). Downgrade puts the three columns back
with their values (other metrics, which had no column, are dropped) and removes both.
Rows are copied in batches by id, so memory stays flat on large tables.

Revision ID: 0008
Revises: 0010
Create Date: 2026-12-03 15:30:00.000000
"""

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The metric columns before this revision.
LEGACY = ("accuracy", "macro_f1", "micro_f1")
BATCH = 5000

records = sa.table(
    "model_records",
    sa.column("id", sa.BigInteger),
    sa.column("metrics", sa.JSON),
    *(sa.column(name, sa.Float) for name in LEGACY),
)


def _batches(connection: sa.Connection, *columns: sa.ColumnElement) -> Iterator[list[sa.Row]]:
    """Every row's id and ``columns``, in id order, BATCH rows at a time."""
    last = None
    while True:
        query = sa.select(records.c.id, *columns).order_by(records.c.id).limit(BATCH)
        if last is not None:
            query = query.where(records.c.id > last)
        rows = connection.execute(query).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("model_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("metrics", sa.JSON(), nullable=True))
    connection = op.get_bind()
    update = (
        records.update()
        .where(records.c.id == sa.bindparam("record_id"))
        .values(metrics=sa.bindparam("values"))
    )
    for rows in _batches(connection, *(records.c[name] for name in LEGACY)):
        connection.execute(
            update,
            [
                {
                    "record_id": row[0],
                    "values": {
                        name: value
                        for name, value in zip(LEGACY, row[1:], strict=True)
                        if value is not None
                    },
                }
                for row in rows
            ],
        )
    with op.batch_alter_table("model_records", schema=None) as batch_op:
        batch_op.alter_column("metrics", existing_type=sa.JSON(), nullable=False)
        for name in LEGACY:
            batch_op.drop_column(name)
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("task_origin", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("task_origin")
    with op.batch_alter_table("model_records", schema=None) as batch_op:
        for name in LEGACY:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
    connection = op.get_bind()
    update = (
        records.update()
        .where(records.c.id == sa.bindparam("record_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in LEGACY})
    )
    for rows in _batches(connection, records.c.metrics):
        connection.execute(
            update,
            [
                {
                    "record_id": row[0],
                    **{f"new_{name}": _number((row[1] or {}).get(name)) for name in LEGACY},
                }
                for row in rows
            ],
        )
    with op.batch_alter_table("model_records", schema=None) as batch_op:
        batch_op.drop_column("metrics")


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
