"""The per-athlete totals and habits behind the analytics overview (``analytics_state``),
aggregated by PostgreSQL from the raw rows and the PR table in one statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, text

from models.vocabulary import COUNTED_SET_TYPES, UNLOADED_KINDS, sql_list
from pipelines.store.analytics import LOCAL_TIME


def _state_sql() -> str:
    weekdays = ", ".join(
        f"count(*) FILTER (WHERE extract(isodow FROM local) = {d})" for d in range(1, 8)
    )
    hours = ", ".join(f"count(*) FILTER (WHERE extract(hour FROM local) = {h})" for h in range(24))
    counted = f"s.set_type IN {sql_list(COUNTED_SET_TYPES)}"
    unloaded = sql_list(UNLOADED_KINDS)
    return f"""
    WITH w AS (
        SELECT w.user_id, {LOCAL_TIME} AS local FROM workouts w
        WHERE w.user_id = ANY(:users) AND w.deleted_at IS NULL
    ), wa AS (
        SELECT user_id, count(*) AS workouts, min(local)::date AS first_workout_on,
               max(local)::date AS last_workout_on,
               ARRAY[{weekdays}]::int[] AS weekday_counts, ARRAY[{hours}]::int[] AS hour_counts
        FROM w GROUP BY user_id
    ), sa AS (
        SELECT w.user_id, count(*) AS sets,
               count(*) FILTER (WHERE {counted}) AS working_sets,
               COALESCE(sum(s.reps) FILTER (WHERE {counted}), 0) AS reps,
               COALESCE(sum(s.weight_kg * s.reps) FILTER (
                   WHERE {counted} AND e.kind NOT IN {unloaded}), 0) AS volume_load_kg,
               count(DISTINCT s.exercise_id) AS exercises
        FROM workout_sets s JOIN workouts w ON w.id = s.workout_id
        JOIN exercises e ON e.id = s.exercise_id
        WHERE w.user_id = ANY(:users) AND w.deleted_at IS NULL GROUP BY w.user_id
    ), pa AS (
        SELECT user_id, count(*) AS personal_records FROM analytics_rep_max_prs
        WHERE user_id = ANY(:users) GROUP BY user_id
    )
    INSERT INTO analytics_state (user_id, as_of, refreshed_at, workouts, sets, working_sets,
        reps, volume_load_kg, exercises, personal_records, first_workout_on, last_workout_on,
        weekday_counts, hour_counts)
    SELECT u.id, :as_of, now(), COALESCE(wa.workouts, 0), COALESCE(sa.sets, 0),
           COALESCE(sa.working_sets, 0), COALESCE(sa.reps, 0), COALESCE(sa.volume_load_kg, 0),
           COALESCE(sa.exercises, 0), COALESCE(pa.personal_records, 0), wa.first_workout_on,
           wa.last_workout_on, COALESCE(wa.weekday_counts, '{{}}'), COALESCE(wa.hour_counts, '{{}}')
    FROM unnest(CAST(:users AS uuid[])) AS u(id)
    LEFT JOIN wa ON wa.user_id = u.id LEFT JOIN sa ON sa.user_id = u.id
    LEFT JOIN pa ON pa.user_id = u.id
    ON CONFLICT (user_id) DO UPDATE SET as_of = excluded.as_of,
        refreshed_at = excluded.refreshed_at, workouts = excluded.workouts,
        sets = excluded.sets, working_sets = excluded.working_sets, reps = excluded.reps,
        volume_load_kg = excluded.volume_load_kg, exercises = excluded.exercises,
        personal_records = excluded.personal_records,
        first_workout_on = excluded.first_workout_on, last_workout_on = excluded.last_workout_on,
        weekday_counts = excluded.weekday_counts, hour_counts = excluded.hour_counts
    """


_STATE_SQL = text(_state_sql())


def write_state(conn: Connection, user_ids: Sequence[uuid.UUID], as_of: datetime) -> None:
    """Totals, habits counts and ``as_of`` per athlete (after the PR rows are written)."""
    conn.execute(_STATE_SQL, {"users": list(user_ids), "as_of": as_of})
