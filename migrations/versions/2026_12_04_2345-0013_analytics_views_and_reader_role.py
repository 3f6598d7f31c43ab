"""read-only SQL: pseudonymised views in schema ``analytics`` and a reader role per database

Each view ``analytics.<dataset>_v1`` has the columns of the API's dataset of that name and
names athletes only by their pseudonym of the current key period (``user_pseudonyms`` of
the ``pseudonym_periods`` row activated last): never a user id, e-mail, name, workout
title or note. The views run with their owner's rights, so the reader role needs nothing
on ``public``. A ``_v1`` view never changes its columns; a change is a new ``_v2``.

The role, ``<database>_analyst`` (NOLOGIN), is per database because roles are
cluster-wide: test databases and downgrade/upgrade cycles of two databases on one server
never share it. A name past PostgreSQL's 63-byte limit keeps 46 bytes of the database
name, then ``_`` and 8 hex digits of its md5, then ``_analyst`` (the rule in
``api/datasets/sql_role.py``, copied here because migrations are frozen). Without
CREATEROLE the upgrade says so in a NOTICE and leaves the views without a reader role;
``forma datasets sql-role`` creates it later.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 23:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The athlete's pseudonym in the current key period; a user without one yet (the sweep
# adds them) is left out rather than shown under an id.
_ATHLETE = (
    "JOIN public.user_pseudonyms p ON p.user_id = {user_id} AND p.period = "
    "(SELECT id FROM public.pseudonym_periods ORDER BY activated_at DESC, id DESC LIMIT 1)"
)
_LOCAL_DAY = "(w.started_at AT TIME ZONE w.time_zone)::date"

_VIEWS: dict[str, str] = {
    "workouts_v1": f"""
SELECT w.id AS workout_id, p.pseudonym AS athlete, w.started_at, w.ended_at,
       {_LOCAL_DAY} AS day, w.time_zone,
       extract(epoch FROM w.ended_at - w.started_at)::double precision AS duration_s,
       w.session_rpe, w.source
FROM public.workouts w
{_ATHLETE.format(user_id="w.user_id")}
WHERE w.deleted_at IS NULL""",
    "sets_v1": f"""
SELECT s.id AS set_id, s.workout_id, p.pseudonym AS athlete, w.started_at,
       {_LOCAL_DAY} AS day, s.exercise_id, e.name AS exercise, e.kind AS exercise_kind,
       e.equipment, e.primary_muscles[1] AS primary_muscle, s.position, s.set_type,
       s.weight_kg, s.reps, s.duration_s, s.distance_m, s.rpe, s.rir, s.weight_unit,
       s.distance_unit, s.detected_reps, s.form_score, s.tempo
FROM public.workout_sets s
JOIN public.workouts w ON w.id = s.workout_id AND w.deleted_at IS NULL
JOIN public.exercises e ON e.id = s.exercise_id
{_ATHLETE.format(user_id="s.user_id")}""",
    "cardio_sessions_v1": f"""
SELECT c.workout_id, p.pseudonym AS athlete, w.started_at, {_LOCAL_DAY} AS day, c.sport,
       c.elapsed_s, c.moving_s, c.distance_m, c.elev_gain_m, c.elev_loss_m, c.avg_hr,
       c.max_hr, c.avg_power_w, c.avg_cadence, c.avg_speed_mps, c.pace_s_per_km,
       c.points, c.trimp, c.srpe_load, c.load, c.load_method
FROM public.cardio_sessions c
JOIN public.workouts w ON w.id = c.workout_id AND w.deleted_at IS NULL
{_ATHLETE.format(user_id="c.user_id")}""",
    "daily_load_v1": f"""
SELECT p.pseudonym AS athlete, d.day, d.sessions, d.duration_s, d.distance_m,
       d.volume_load_kg, d.srpe_load, d.trimp, d.load, d.ctl, d.atl, d.tsb, d.ewma_acute,
       d.ewma_chronic, d.acwr_rolling, d.acwr_ewma, d.ramp_rate, d.acwr_high, d.acwr_low
FROM public.analytics_daily_load d
{_ATHLETE.format(user_id="d.user_id")}""",
    "exercise_progress_v1": f"""
SELECT p.pseudonym AS athlete, g.day, g.exercise_id, e.name AS exercise,
       e.kind AS exercise_kind, g.sets, g.reps, g.volume_load_kg, g.max_reps, g.form_sets,
       g.mean_form_score, g.detected_sets, g.rep_discrepancy, g.e1rm_kg,
       g.weight_kg AS top_weight_kg, g.top_reps, g.brzycki_kg, g.e1rm_rir_kg,
       g.body_mass_kg, g.relative_strength
FROM (
    SELECT user_id, exercise_id, day, x.sets, x.reps, x.volume_load_kg, x.max_reps,
           x.form_sets, x.mean_form_score, x.detected_sets, x.rep_discrepancy, r.e1rm_kg,
           r.weight_kg, r.reps AS top_reps, r.brzycki_kg, r.e1rm_rir_kg, r.body_mass_kg,
           r.relative_strength
    FROM public.analytics_exercise_daily x
    FULL JOIN public.analytics_e1rm_daily r USING (user_id, exercise_id, day)
) g
JOIN public.exercises e ON e.id = g.exercise_id
{_ATHLETE.format(user_id="g.user_id")}""",
    "features_v1": f"""
SELECT f.run_id, p.pseudonym AS athlete, f.exercise_id, e.name AS exercise, f.as_of,
       f.day, f.split, f.label_e1rm_kg, f.persistence_kg, f.trend_kg, f.level_kg,
       f.mean3_ratio, f.mean6_ratio, f.max6_ratio, f.median12_ratio, f.slope3_wk,
       f.slope6_wk, f.slope12_wk, f.slope4w_wk, f.slope12w_wk, f.days_since,
       f.sessions_28d, f.sessions_total, f.ctl, f.atl, f.tsb, f.acwr,
       f.muscle_volume_7d_kg, f.muscle_volume_ratio, f.rpe_last, f.rpe_drift, f.rir_last,
       f.top_reps_last, f.working_sets_last, f.last_intensity, f.training_age_days,
       f.break_days, f.body_mass_kg, f.relative_level, f.unit_lb
FROM public.model_features f
JOIN public.exercises e ON e.id = f.exercise_id
{_ATHLETE.format(user_id="f.user_id")}""",
    "recommendation_feedback_v1": f"""
SELECT r.id AS recommendation_id, p.pseudonym AS athlete, r.exercise_id,
       e.name AS exercise, r.created_at AS recommended_at, r.as_of, r.rank, r.model_name,
       r.model_version, r.rule, r.predicted_e1rm_kg, r.interval_low_kg, r.interval_high_kg,
       r.unit, r.sets::text AS prescribed_sets, f.outcome, f.sets::text AS done_sets,
       f.created_at AS answered_at, f.updated_at AS answer_updated_at
FROM public.recommendation_feedback f
JOIN public.recommendations r ON r.id = f.recommendation_id
JOIN public.exercises e ON e.id = r.exercise_id
{_ATHLETE.format(user_id="f.user_id")}""",
}

# The reader role's name (see the module docstring), in PL/pgSQL.
_ROLE_NAME = """
    db text := current_database();
    prefix text := left(current_database(), 46);
    role_name text;
BEGIN
    IF octet_length(db) <= 55 THEN
        role_name := db || '_analyst';
    ELSE
        WHILE octet_length(prefix) > 46 LOOP
            prefix := left(prefix, -1);
        END LOOP;
        role_name := prefix || '_' || left(md5(db), 8) || '_analyst';
    END IF;
"""

_CREATE_ROLE = f"""
DO $$
DECLARE{_ROLE_NAME}
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
        EXCEPTION
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'role % not created (the migrating user lacks CREATEROLE); '
                    'run forma datasets sql-role as a user that has it', role_name;
                RETURN;
            WHEN duplicate_object THEN
                NULL;  -- a concurrent upgrade of the same database made it
        END;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', db, role_name);
    EXECUTE format('GRANT USAGE ON SCHEMA analytics TO %I', role_name);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO %I', role_name);
END $$
"""

# DROP OWNED revokes the role's privileges in this database (and on it); a role owning
# or granted something elsewhere cannot be dropped, and then only loses what it had here.
_DROP_ROLE = f"""
DO $$
DECLARE{_ROLE_NAME}
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
        RETURN;
    END IF;
    BEGIN
        EXECUTE format('DROP OWNED BY %I', role_name);
        EXECUTE format('DROP ROLE %I', role_name);
    EXCEPTION WHEN insufficient_privilege OR dependent_objects_still_exist THEN
        RAISE NOTICE 'role % kept: %', role_name, SQLERRM;
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA analytics FROM %I', role_name);
        EXECUTE format('REVOKE ALL ON SCHEMA analytics FROM %I', role_name);
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM %I', db, role_name);
    END;
END $$
"""


def upgrade() -> None:
    op.execute("CREATE SCHEMA analytics")
    for name, select in _VIEWS.items():
        op.execute(f"CREATE VIEW analytics.{name} AS{select}")
        op.execute(f"REVOKE ALL ON analytics.{name} FROM PUBLIC")
    op.execute(_CREATE_ROLE)


def downgrade() -> None:
    op.execute(_DROP_ROLE)
    op.execute("DROP SCHEMA IF EXISTS analytics CASCADE")
