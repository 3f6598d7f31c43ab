"""sync sequence, idempotency keys, body metrics, exercise merges, import undo

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 18:27:52.686508
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "body_metrics",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("body_mass_kg", sa.Float(), nullable=True),
        sa.Column("body_mass_unit", sa.String(length=8), nullable=True),
        sa.Column("resting_hr", sa.SmallInteger(), nullable=True),
        sa.Column("max_hr", sa.SmallInteger(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "body_mass_kg IS NULL OR body_mass_kg BETWEEN 20 AND 400",
            name=op.f("ck_body_metrics_mass"),
        ),
        sa.CheckConstraint(
            "max_hr IS NULL OR max_hr BETWEEN 80 AND 250", name=op.f("ck_body_metrics_max_hr")
        ),
        sa.CheckConstraint(
            "resting_hr IS NULL OR resting_hr BETWEEN 20 AND 150",
            name=op.f("ck_body_metrics_resting_hr"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_body_metrics_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_body_metrics")),
        sa.UniqueConstraint(
            "user_id", "measured_on", name=op.f("uq_body_metrics_user_id_measured_on")
        ),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("route", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "headers", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_idempotency_keys_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "route", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        "ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"], unique=False
    )
    op.add_column(
        "exercises",
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.add_column("exercises", sa.Column("merged_into_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_exercises_merged_into_id_exercises"),
        "exercises",
        "exercises",
        ["merged_into_id"],
        ["id"],
    )
    op.add_column("import_jobs", sa.Column("change_seq", sa.BigInteger(), nullable=True))
    op.add_column("import_jobs", sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "users", sa.Column("sync_seq", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.add_column(
        "workouts", sa.Column("change_seq", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.create_index(
        "ix_workouts_user_change_seq", "workouts", ["user_id", "change_seq", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_workouts_user_change_seq", table_name="workouts")
    op.drop_column("workouts", "change_seq")
    op.drop_column("users", "sync_seq")
    op.drop_column("import_jobs", "undone_at")
    op.drop_column("import_jobs", "change_seq")
    op.drop_constraint(
        op.f("fk_exercises_merged_into_id_exercises"), "exercises", type_="foreignkey"
    )
    op.drop_column("exercises", "merged_into_id")
    op.drop_column("exercises", "updated_at")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("body_metrics")
