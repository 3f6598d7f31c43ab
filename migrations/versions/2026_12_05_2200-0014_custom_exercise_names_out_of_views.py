"""analytics views: an athlete's own exercise is named ``custom``, not by its free text

The name an athlete gives their own exercise is free text (it may hold a name or an
e-mail), and the analytics views showed it. The four views with an ``exercise`` column
now show the catalogue's names as before and ``custom`` for an athlete's own exercise
(its ``exercise_id`` still tells them apart), as the API's datasets do. Columns and types
are unchanged (``CREATE OR REPLACE``), so the views keep their ``_v1`` names and grants.

The views' text is 0013's, copied here because migrations are frozen, with that one
expression changed; the downgrade puts 0013's back.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CURRENT_PERIOD = "(SELECT id FROM pseudonym_periods ORDER BY activated_at DESC, id DESC LIMIT 1)"
_NAMED = "e.name AS exercise,"
_NEUTRAL = "(CASE WHEN e.user_id IS NULL THEN e.name ELSE 'custom' END)::varchar(200) AS exercise,"

# 0013's views with an ``exercise`` column, as 0013 created them.
_VIEWS: dict[str, str] = {
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


def _create(exercise: str) -> None:
    """(Re)create the views with ``exercise`` as their ``exercise`` column's SQL."""
    for name, select in _VIEWS.items():
        sql = select.format(current=_CURRENT_PERIOD).replace(_NAMED, exercise)
        op.execute(f"CREATE OR REPLACE VIEW analytics.{name} AS\n{sql}")


def upgrade() -> None:
    _create(_NEUTRAL)


def downgrade() -> None:
    _create(_NAMED)
