"""seed the exercise catalogue (CATALOGUE_V1)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from api.exercises.catalogue import CATALOGUE_V1, exercise_id, normalise_name

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

exercises = sa.table(
    "exercises",
    sa.column("id", sa.Uuid()),
    sa.column("slug", sa.String()),
    sa.column("name", sa.String()),
    sa.column("name_key", sa.String()),
    sa.column("aliases", postgresql.ARRAY(sa.Text())),
    sa.column("kind", sa.String()),
    sa.column("equipment", sa.String()),
    sa.column("primary_muscles", postgresql.ARRAY(sa.Text())),
    sa.column("secondary_muscles", postgresql.ARRAY(sa.Text())),
)


def upgrade() -> None:
    op.bulk_insert(
        exercises,
        [
            {
                "id": exercise_id(e.slug),
                "slug": e.slug,
                "name": e.name,
                "name_key": normalise_name(e.name),
                "aliases": list(e.aliases),
                "kind": e.kind,
                "equipment": e.equipment,
                "primary_muscles": list(e.primary_muscles),
                "secondary_muscles": list(e.secondary_muscles),
            }
            for e in CATALOGUE_V1
        ],
    )


def downgrade() -> None:
    op.execute(
        exercises.delete().where(exercises.c.slug.in_([e.slug for e in CATALOGUE_V1]))
    )
