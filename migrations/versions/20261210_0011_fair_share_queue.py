"""fair-share queue: when each run was sent, members' shares, experiments' priorities

``runs.sent_at`` records when a run's message was last sent to the broker (None: the
run waits in the database for its turn). Before this revision every run was sent at
submission, so the runs already queued or running are marked sent (at their last
heartbeat, else at their experiment's submission): the reconciler treats them as sent,
and the scheduler does not send them a second time. ``users.share`` (default 1) and
``experiments.priority`` (default 0) order the queue.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("share", sa.Float(), server_default=sa.text("1"), nullable=False)
        )
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    op.execute(
        "UPDATE runs SET sent_at = COALESCE(heartbeat_at, "
        "(SELECT created_at FROM experiments WHERE experiments.id = runs.experiment_id)) "
        "WHERE status IN ('queued', 'running')"
    )


def downgrade() -> None:
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_column("priority")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("share")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("sent_at")
