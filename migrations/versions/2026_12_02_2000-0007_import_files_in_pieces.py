"""import files stored in pieces

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "import_files", sa.Column("seq", sa.Integer(), server_default="0", nullable=False)
    )
    op.drop_constraint("pk_import_files", "import_files", type_="primary")
    op.create_primary_key("pk_import_files", "import_files", ["job_id", "seq"])


def downgrade() -> None:
    # Join each file's pieces back into its first row before the pieces go.
    op.execute(
        """
        UPDATE import_files f SET content = whole.content
        FROM (
            SELECT job_id, string_agg(content, ''::bytea ORDER BY seq) AS content
            FROM import_files GROUP BY job_id
        ) whole
        WHERE f.job_id = whole.job_id AND f.seq = 0
        """
    )
    op.execute("DELETE FROM import_files WHERE seq > 0")
    op.drop_constraint("pk_import_files", "import_files", type_="primary")
    op.create_primary_key("pk_import_files", "import_files", ["job_id"])
    op.drop_column("import_files", "seq")
