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

# The athlete's pseudonym in the current key period (the one activated last); a user
# without one yet (the maintenance sweep adds them) is left out rather than shown otherwise.
_CURRENT_PERIOD = (
    "(SELECT id FROM pseudonym_periods ORDER BY activated_at DESC, id DESC LIMIT 1)"
)

# The API's datasets (api/datasets/catalogue.py at this revision) without their title and
# note columns; ``{current}`` is the current key period. Tables resolve to ``public`` when
# the view is created and stay bound to those tables whatever a reader's search_path.
_VIEWS: dict[str, str] = {
    "workouts_v1": """
SELECT w.id AS workout_id,
       p.pseudonym AS athlete,
       w.started_at AS started_at,
       w.ended_at AS ended_at,
       (w.started_at AT TIME ZONE w.time_zone)::date AS day,
       w.time_zone AS time_zone,
       extract(epoch FROM w.ended_at - w.started_at)::float8 AS duration_s,
       w.session_rpe AS session_rpe,
       w.source AS source,
       c.sport AS sport,
       COALESCE(agg.sets, 0)::int4 AS sets,
       COALESCE(agg.working_sets, 0)::int4 AS working_sets,
       COALESCE(agg.reps, 0)::int8 AS reps,
       COALESCE(agg.volume_load_kg, 0)::float8 AS volume_load_kg,
       COALESCE(agg.exercises, 0)::int4 AS exercises,
       w.created_at AS created_at,
       w.updated_at AS updated_at
FROM workouts w JOIN user_pseudonyms p ON p.user_id = w.user_id AND p.period = {current}
    LEFT JOIN cardio_sessions c ON c.workout_id = w.id LEFT JOIN LATERAL (SELECT count(*) AS
    sets, count(*) FILTER (WHERE ws.set_type IN ('working', 'dropset', 'failure')) AS
    working_sets, sum(ws.reps) FILTER (WHERE ws.set_type IN ('working', 'dropset',
    'failure')) AS reps, sum(COALESCE(ws.weight_kg * ws.reps, 0)) FILTER (WHERE ws.set_type
    IN ('working', 'dropset', 'failure') AND e.kind NOT IN ('assisted')) AS volume_load_kg,
    count(DISTINCT ws.exercise_id) AS exercises FROM workout_sets ws JOIN exercises e ON
    e.id = ws.exercise_id WHERE ws.workout_id = w.id) agg ON true
WHERE (w.deleted_at IS NULL)""",
    "sets_v1": """
SELECT s.id AS set_id,
       s.workout_id AS workout_id,
       p.pseudonym AS athlete,
       w.started_at AS started_at,
       (w.started_at AT TIME ZONE w.time_zone)::date AS day,
       s.position AS position,
       s.exercise_id AS exercise_id,
       e.name AS exercise,
       e.kind AS exercise_kind,
       e.equipment AS equipment,
       array_to_string(e.primary_muscles, ',') AS primary_muscles,
       s.set_type AS set_type,
       s.weight_kg AS weight_kg,
       s.reps AS reps,
       s.duration_s AS duration_s,
       s.distance_m AS distance_m,
       s.rpe AS rpe,
       s.rir AS rir,
       s.weight_unit AS weight_unit,
       s.distance_unit AS distance_unit,
       s.detected_reps AS detected_reps,
       s.form_score AS form_score,
       s.tempo AS tempo
FROM workout_sets s JOIN workouts w ON w.id = s.workout_id JOIN exercises e ON e.id =
    s.exercise_id JOIN user_pseudonyms p ON p.user_id = s.user_id AND p.period = {current}
WHERE (w.deleted_at IS NULL)""",
    "cardio_sessions_v1": """
SELECT c.workout_id AS workout_id,
       p.pseudonym AS athlete,
       w.started_at AS started_at,
       (w.started_at AT TIME ZONE w.time_zone)::date AS day,
       c.sport AS sport,
       c.sport_label AS sport_label,
       c.elapsed_s AS elapsed_s,
       c.moving_s AS moving_s,
       c.distance_m AS distance_m,
       c.elev_gain_m AS elev_gain_m,
       c.elev_loss_m AS elev_loss_m,
       c.avg_hr AS avg_hr,
       c.max_hr AS max_hr,
       c.avg_power_w AS avg_power_w,
       c.avg_cadence AS avg_cadence,
       c.avg_speed_mps AS avg_speed_mps,
       c.pace_s_per_km AS pace_s_per_km,
       c.points AS points,
       c.trimp AS trimp,
       c.srpe_load AS srpe_load,
       c.load AS load,
       c.load_method AS load_method,
       (SELECT string_agg(x, ',') FROM jsonb_array_elements_text(c.load_assumptions) x) AS
           load_assumptions
FROM cardio_sessions c JOIN workouts w ON w.id = c.workout_id JOIN user_pseudonyms p ON
    p.user_id = c.user_id AND p.period = {current}
WHERE (w.deleted_at IS NULL)""",
    "daily_load_v1": """
SELECT p.pseudonym AS athlete,
       l.day AS day,
       l.sessions AS sessions,
       l.duration_s AS duration_s,
       l.distance_m AS distance_m,
       l.volume_load_kg AS volume_load_kg,
       l.srpe_load AS srpe_load,
       l.trimp AS trimp,
       l.load AS load,
       l.ctl AS ctl,
       l.atl AS atl,
       l.tsb AS tsb,
       l.ewma_acute AS ewma_acute,
       l.ewma_chronic AS ewma_chronic,
       l.acwr_rolling AS acwr_rolling,
       l.acwr_ewma AS acwr_ewma,
       l.ramp_rate AS ramp_rate,
       l.acwr_high AS acwr_high,
       l.acwr_low AS acwr_low
FROM analytics_daily_load l JOIN user_pseudonyms p ON p.user_id = l.user_id AND p.period =
    {current}""",
    "exercise_progress_v1": """
SELECT p.pseudonym AS athlete,
       k.exercise_id AS exercise_id,
       e.name AS exercise,
       e.kind AS exercise_kind,
       k.day AS day,
       d.sets AS sets,
       d.reps AS reps,
       d.volume_load_kg AS volume_load_kg,
       d.max_reps AS max_reps,
       d.form_sets AS form_sets,
       d.mean_form_score AS mean_form_score,
       d.detected_sets AS detected_sets,
       d.rep_discrepancy AS rep_discrepancy,
       m.e1rm_kg AS e1rm_kg,
       m.weight_kg AS e1rm_weight_kg,
       m.reps AS e1rm_reps,
       m.brzycki_kg AS brzycki_kg,
       m.e1rm_rir_kg AS e1rm_rir_kg,
       m.body_mass_kg AS body_mass_kg,
       m.relative_strength AS relative_strength
FROM analytics_exercise_daily d FULL JOIN analytics_e1rm_daily m USING (user_id,
    exercise_id, day) AS k JOIN exercises e ON e.id = k.exercise_id JOIN user_pseudonyms p
    ON p.user_id = k.user_id AND p.period = {current}""",
    "features_v1": """
SELECT f.run_id AS run_id,
       p.pseudonym AS athlete,
       f.exercise_id AS exercise_id,
       e.name AS exercise,
       f.as_of AS as_of,
       f.day AS day,
       f.split AS split,
       f.label_e1rm_kg AS label_e1rm_kg,
       f.persistence_kg AS persistence_kg,
       f.trend_kg AS trend_kg,
       f.level_kg AS level_kg,
       f.mean3_ratio AS mean3_ratio,
       f.mean6_ratio AS mean6_ratio,
       f.max6_ratio AS max6_ratio,
       f.median12_ratio AS median12_ratio,
       f.slope3_wk AS slope3_wk,
       f.slope6_wk AS slope6_wk,
       f.slope12_wk AS slope12_wk,
       f.slope4w_wk AS slope4w_wk,
       f.slope12w_wk AS slope12w_wk,
       f.days_since AS days_since,
       f.sessions_28d AS sessions_28d,
       f.sessions_total AS sessions_total,
       f.ctl AS ctl,
       f.atl AS atl,
       f.tsb AS tsb,
       f.acwr AS acwr,
       f.muscle_volume_7d_kg AS muscle_volume_7d_kg,
       f.muscle_volume_ratio AS muscle_volume_ratio,
       f.rpe_last AS rpe_last,
       f.rpe_drift AS rpe_drift,
       f.rir_last AS rir_last,
       f.top_reps_last AS top_reps_last,
       f.working_sets_last AS working_sets_last,
       f.last_intensity AS last_intensity,
       f.training_age_days AS training_age_days,
       f.break_days AS break_days,
       f.body_mass_kg AS body_mass_kg,
       f.relative_level AS relative_level,
       f.unit_lb AS unit_lb
FROM model_features f JOIN exercises e ON e.id = f.exercise_id JOIN user_pseudonyms p ON
    p.user_id = f.user_id AND p.period = {current}""",
    "recommendation_feedback_v1": """
SELECT r.id AS recommendation_id,
       p.pseudonym AS athlete,
       r.exercise_id AS exercise_id,
       e.name AS exercise,
       r.created_at AS recommended_at,
       r.as_of AS as_of,
       r.model_name AS model_name,
       r.model_version AS model_version,
       r.rule AS rule,
       r.rank AS rank,
       r.predicted_e1rm_kg AS predicted_e1rm_kg,
       r.interval_low_kg AS interval_low_kg,
       r.interval_high_kg AS interval_high_kg,
       r.unit AS unit,
       jsonb_array_length(r.sets) AS prescribed_sets,
       (r.sets->0->>'weight_kg')::float8 AS prescribed_weight_kg,
       (r.sets->0->>'reps')::int4 AS prescribed_reps,
       (r.sets->0->>'target_rpe')::float8 AS prescribed_rpe,
       fb.outcome AS outcome,
       CASE WHEN jsonb_typeof(fb.sets) = 'array' THEN jsonb_array_length(fb.sets) END AS
           done_sets,
       CASE WHEN jsonb_typeof(fb.sets) = 'array' THEN (SELECT max((x->>'weight_kg')::float8)
           FROM jsonb_array_elements(fb.sets) x) END AS done_weight_kg,
       fb.created_at AS answered_at,
       fb.updated_at AS updated_at
FROM recommendation_feedback fb JOIN recommendations r ON r.id = fb.recommendation_id JOIN
    exercises e ON e.id = r.exercise_id JOIN user_pseudonyms p ON p.user_id = fb.user_id AND
    p.period = {current}""",
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
        op.execute(f"CREATE VIEW analytics.{name} AS\n{select.format(current=_CURRENT_PERIOD)}")
        op.execute(f"REVOKE ALL ON analytics.{name} FROM PUBLIC")
    op.execute(_CREATE_ROLE)


def downgrade() -> None:
    op.execute(_DROP_ROLE)
    op.execute("DROP SCHEMA IF EXISTS analytics CASCADE")
