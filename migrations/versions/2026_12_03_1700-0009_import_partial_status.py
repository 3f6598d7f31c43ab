"""import_jobs.status: `partial`, a job that stored workouts but rejected records

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = op.f("ck_import_jobs_status")


def upgrade() -> None:
    op.drop_constraint(_NAME, "import_jobs", type_="check")
    op.create_check_constraint(
        _NAME, "import_jobs", "status IN ('queued', 'running', 'succeeded', 'partial', 'failed')"
    )
    # Jobs finished before this revision follow the rule too: one that stored workouts
    # and listed errors (rejected records, or files of an archive) is partial.
    op.execute(
        "UPDATE import_jobs SET status = 'partial' "
        "WHERE status = 'succeeded' AND jsonb_array_length(errors) > 0"
    )


def downgrade() -> None:
    # Before 0009 a partial job was reported `succeeded`; map it back before the
    # old constraint would refuse the rows.
    op.drop_constraint(_NAME, "import_jobs", type_="check")
    op.execute("UPDATE import_jobs SET status = 'succeeded' WHERE status = 'partial'")
    op.create_check_constraint(
        _NAME, "import_jobs", "status IN ('queued', 'running', 'succeeded', 'failed')"
    )
