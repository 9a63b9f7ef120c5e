"""checkpoints in the artifact store; kept models

Moves every run's checkpoint out of ``runs.checkpoint`` into the artifact store the
settings name (``OPTBENCH_ARTIFACT_URL``, default ``$OPTBENCH_HOME/artifacts``), leaving
its key, SHA-256 and size in the row; downgrade copies them back into the rows (the
files stay: a migration cannot undo a deletion if its transaction then fails). One row's
blob is in memory at a time.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

runs = sa.table(
    "runs",
    sa.column("id", sa.Integer),
    sa.column("experiment_id", sa.Integer),
    sa.column("attempts", sa.Integer),
    sa.column("checkpoint", sa.LargeBinary),
    sa.column("checkpoint_key", sa.String),
    sa.column("checkpoint_sha256", sa.String),
    sa.column("checkpoint_size", sa.BigInteger),
)


def _store():  # type: ignore[no-untyped-def]
    from shared.artifacts import artifact_store
    from shared.config import Settings

    return artifact_store(Settings())


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkpoint_key", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("checkpoint_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("checkpoint_size", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("log", sa.Text(), nullable=True))

    op.create_table(
        "kept_models",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_kept_models_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kept_models")),
        sa.UniqueConstraint("run_id", "step", name=op.f("uq_kept_models_run_id_step")),
    )
    with op.batch_alter_table("kept_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kept_models_run_id"), ["run_id"], unique=False)

    connection = op.get_bind()
    ids = connection.scalars(
        sa.select(runs.c.id).where(runs.c.checkpoint.is_not(None)).order_by(runs.c.id)
    ).all()
    if ids:
        store = _store()
        for run_id in ids:
            row = connection.execute(
                sa.select(runs.c.experiment_id, runs.c.attempts, runs.c.checkpoint).where(
                    runs.c.id == run_id
                )
            ).one()
            key = (
                f"experiments/{row.experiment_id}/runs/{run_id}/"
                f"attempt-{row.attempts}/checkpoint-migrated.pt"
            )
            stored = store.put_bytes(key, bytes(row.checkpoint))
            connection.execute(
                runs.update()
                .where(runs.c.id == run_id)
                .values(
                    checkpoint_key=stored.key,
                    checkpoint_sha256=stored.sha256,
                    checkpoint_size=stored.size,
                )
            )

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("checkpoint")


def downgrade() -> None:
    from shared.artifacts import ArtifactChecksumMismatch, StoredArtifact

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkpoint", sa.LargeBinary(), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            runs.c.id, runs.c.checkpoint_key, runs.c.checkpoint_sha256, runs.c.checkpoint_size
        ).where(runs.c.checkpoint_key.is_not(None))
    ).all()
    if rows:
        store = _store()
        for row in rows:
            artifact = StoredArtifact(
                row.checkpoint_key, row.checkpoint_sha256, row.checkpoint_size
            )
            try:
                data = store.read_verified(artifact)
            except (FileNotFoundError, ArtifactChecksumMismatch):
                continue  # nothing sound to move back: the run restarts from scratch
            connection.execute(runs.update().where(runs.c.id == row.id).values(checkpoint=data))

    with op.batch_alter_table("kept_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kept_models_run_id"))
    op.drop_table("kept_models")

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("log")
        batch_op.drop_column("checkpoint_size")
        batch_op.drop_column("checkpoint_sha256")
        batch_op.drop_column("checkpoint_key")
