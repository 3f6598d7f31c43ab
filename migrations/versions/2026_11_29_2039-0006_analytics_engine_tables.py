"""analytics engine tables: daily load series, exercise days, PR events, periods, muscles

The derived tables carry no foreign keys (checking them tripled a rebuild's COPY
time); a statement trigger on ``users`` deletes an athlete's derived rows with the
athlete instead of ON DELETE CASCADE. Every athlete is owed a full refresh afterwards
(the new tables start empty); the beat's sweep sends it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 20:39:09.379100
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DERIVED = (
    "analytics_e1rm_daily",
    "analytics_rep_max_prs",
    "analytics_pr_events",
    "analytics_daily_load",
    "analytics_exercise_daily",
    "analytics_periods",
    "analytics_muscle_weekly",
)
_DELETES = "\n".join(
    f"    DELETE FROM {t} WHERE user_id IN (SELECT id FROM gone);" for t in _DERIVED
)


def upgrade() -> None:
    op.create_table(
        "analytics_daily_load",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("volume_load_kg", sa.Float(), nullable=False),
        sa.Column("srpe_load", sa.Float(), nullable=True),
        sa.Column("trimp", sa.Float(), nullable=True),
        sa.Column("load", sa.Float(), nullable=False),
        sa.Column("ctl", sa.Float(), nullable=False),
        sa.Column("atl", sa.Float(), nullable=False),
        sa.Column("tsb", sa.Float(), nullable=False),
        sa.Column("ewma_acute", sa.Float(), nullable=False),
        sa.Column("ewma_chronic", sa.Float(), nullable=False),
        sa.Column("acwr_rolling", sa.Float(), nullable=True),
        sa.Column("acwr_ewma", sa.Float(), nullable=True),
        sa.Column("ramp_rate", sa.Float(), nullable=True),
        sa.Column("acwr_high", sa.Boolean(), nullable=False),
        sa.Column("acwr_low", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_analytics_daily_load")),
    )
    op.create_table(
        "analytics_exercise_daily",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("exercise_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sets", sa.Integer(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("volume_load_kg", sa.Float(), nullable=False),
        sa.Column("max_reps", sa.Integer(), nullable=True),
        sa.Column("form_sets", sa.Integer(), nullable=False),
        sa.Column("mean_form_score", sa.Float(), nullable=True),
        sa.Column("detected_sets", sa.Integer(), nullable=False),
        sa.Column("rep_discrepancy", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint(
            "user_id", "exercise_id", "day", name=op.f("pk_analytics_exercise_daily")
        ),
    )
    op.create_table(
        "analytics_muscle_weekly",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("muscle", sa.String(length=32), nullable=False),
        sa.Column("sets", sa.Float(), nullable=False),
        sa.Column("volume_load_kg", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "user_id", "week_start", "muscle", name=op.f("pk_analytics_muscle_weekly")
        ),
    )
    op.create_table(
        "analytics_periods",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("sets", sa.Integer(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("volume_load_kg", sa.Float(), nullable=False),
        sa.Column("srpe_load", sa.Float(), nullable=True),
        sa.Column("trimp", sa.Float(), nullable=True),
        sa.Column("load", sa.Float(), nullable=False),
        sa.Column("prs", sa.Integer(), nullable=False),
        sa.Column("monotony", sa.Float(), nullable=True),
        sa.Column("strain", sa.Float(), nullable=True),
        sa.Column("push_pull", sa.Float(), nullable=True),
        sa.Column("upper_lower", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "period", "start", name=op.f("pk_analytics_periods")),
    )
    op.create_table(
        "analytics_pr_events",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("set_id", sa.Uuid(), nullable=False),
        sa.Column("workout_id", sa.Uuid(), nullable=False),
        sa.Column("exercise_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("achieved_on", sa.Date(), nullable=False),
        sa.Column("achieved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "set_id", name=op.f("pk_analytics_pr_events")),
    )
    op.create_table(
        "analytics_rebuilds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shards_total", sa.Integer(), nullable=False),
        sa.Column("shards_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("users_total", sa.Integer(), nullable=False),
        sa.Column("users_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sets_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_written", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("read_s", sa.Float(), server_default="0", nullable=False),
        sa.Column("derive_s", sa.Float(), server_default="0", nullable=False),
        sa.Column("write_s", sa.Float(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_rebuilds")),
    )
    op.drop_table("analytics_weekly_volume")
    op.add_column("analytics_e1rm_daily", sa.Column("brzycki_kg", sa.Float(), nullable=True))
    op.add_column("analytics_e1rm_daily", sa.Column("e1rm_rir_kg", sa.Float(), nullable=True))
    op.add_column("analytics_e1rm_daily", sa.Column("body_mass_kg", sa.Float(), nullable=True))
    op.add_column("analytics_e1rm_daily", sa.Column("relative_strength", sa.Float(), nullable=True))
    op.drop_constraint(
        op.f("fk_analytics_e1rm_daily_user_id_users"), "analytics_e1rm_daily", type_="foreignkey"
    )
    op.drop_constraint(
        op.f("fk_analytics_e1rm_daily_exercise_id_exercises"),
        "analytics_e1rm_daily",
        type_="foreignkey",
    )
    op.drop_constraint(
        op.f("fk_analytics_rep_max_prs_user_id_users"), "analytics_rep_max_prs", type_="foreignkey"
    )
    op.drop_constraint(
        op.f("fk_analytics_rep_max_prs_exercise_id_exercises"),
        "analytics_rep_max_prs",
        type_="foreignkey",
    )
    op.add_column(
        "analytics_state",
        sa.Column(
            "weekday_counts", postgresql.ARRAY(sa.Integer()), server_default="{}", nullable=False
        ),
    )
    op.add_column(
        "analytics_state",
        sa.Column(
            "hour_counts", postgresql.ARRAY(sa.Integer()), server_default="{}", nullable=False
        ),
    )
    op.execute(
        "CREATE FUNCTION analytics_forget_users() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{_DELETES}\n    RETURN NULL;\nEND $$"
    )
    op.execute(
        "CREATE TRIGGER analytics_forget_users AFTER DELETE ON users "
        "REFERENCING OLD TABLE AS gone FOR EACH STATEMENT "
        "EXECUTE FUNCTION analytics_forget_users()"
    )
    op.execute(
        "INSERT INTO analytics_dirty (user_id, since_day) SELECT id, DATE '1900-01-01' FROM users "
        "ON CONFLICT (user_id) DO UPDATE SET since_day = excluded.since_day, "
        "marked_at = clock_timestamp()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER analytics_forget_users ON users")
    op.execute("DROP FUNCTION analytics_forget_users()")
    op.execute(
        "DELETE FROM analytics_e1rm_daily d WHERE NOT EXISTS (SELECT 1 FROM exercises e "
        "WHERE e.id = d.exercise_id)"
    )
    op.execute(
        "DELETE FROM analytics_rep_max_prs d WHERE NOT EXISTS (SELECT 1 FROM exercises e "
        "WHERE e.id = d.exercise_id)"
    )
    op.drop_column("analytics_state", "hour_counts")
    op.drop_column("analytics_state", "weekday_counts")
    op.create_foreign_key(
        op.f("fk_analytics_rep_max_prs_exercise_id_exercises"),
        "analytics_rep_max_prs",
        "exercises",
        ["exercise_id"],
        ["id"],
    )
    op.create_foreign_key(
        op.f("fk_analytics_rep_max_prs_user_id_users"),
        "analytics_rep_max_prs",
        "users",
        ["user_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_foreign_key(
        op.f("fk_analytics_e1rm_daily_exercise_id_exercises"),
        "analytics_e1rm_daily",
        "exercises",
        ["exercise_id"],
        ["id"],
    )
    op.create_foreign_key(
        op.f("fk_analytics_e1rm_daily_user_id_users"),
        "analytics_e1rm_daily",
        "users",
        ["user_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.drop_column("analytics_e1rm_daily", "relative_strength")
    op.drop_column("analytics_e1rm_daily", "body_mass_kg")
    op.drop_column("analytics_e1rm_daily", "e1rm_rir_kg")
    op.drop_column("analytics_e1rm_daily", "brzycki_kg")
    op.create_table(
        "analytics_weekly_volume",
        sa.Column("user_id", sa.UUID(), autoincrement=False, nullable=False),
        sa.Column("week_start", sa.DATE(), autoincrement=False, nullable=False),
        sa.Column(
            "volume_load_kg", sa.DOUBLE_PRECISION(precision=53), autoincrement=False, nullable=False
        ),
        sa.Column("sets", sa.INTEGER(), autoincrement=False, nullable=False),
        sa.Column("reps", sa.INTEGER(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_analytics_weekly_volume_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "week_start", name=op.f("pk_analytics_weekly_volume")),
    )
    op.drop_table("analytics_rebuilds")
    op.drop_table("analytics_pr_events")
    op.drop_table("analytics_periods")
    op.drop_table("analytics_muscle_weekly")
    op.drop_table("analytics_exercise_daily")
    op.drop_table("analytics_daily_load")
