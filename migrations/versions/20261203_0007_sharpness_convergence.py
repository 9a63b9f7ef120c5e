"""sharpness convergence, products and most negative eigenvalue per model record

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Records measured before this revision were power-iteration estimates whose
    # convergence was never checked: their flag stays NULL (unknown), not True.
    with op.batch_alter_table("model_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sharpness_converged", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("sharpness_products", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hessian_min_eigenvalue", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_records", schema=None) as batch_op:
        batch_op.drop_column("hessian_min_eigenvalue")
        batch_op.drop_column("sharpness_products")
        batch_op.drop_column("sharpness_converged")
