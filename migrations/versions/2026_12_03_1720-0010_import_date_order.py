"""import_jobs.date_order: how to read a file's dates when they read more than one way

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("import_jobs", sa.Column("date_order", sa.String(3), nullable=True))
    op.create_check_constraint(
        op.f("ck_import_jobs_date_order"),
        "import_jobs",
        "date_order IN ('dmy', 'mdy', 'ymd')",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_import_jobs_date_order"), "import_jobs", type_="check")
    op.drop_column("import_jobs", "date_order")
