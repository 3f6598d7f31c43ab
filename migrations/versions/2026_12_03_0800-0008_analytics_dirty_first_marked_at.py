"""analytics_dirty.first_marked_at: when the owed refresh began to be owed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "analytics_dirty",
        sa.Column(
            "first_marked_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
    )
    op.execute("UPDATE analytics_dirty SET first_marked_at = marked_at")


def downgrade() -> None:
    op.drop_column("analytics_dirty", "first_marked_at")
