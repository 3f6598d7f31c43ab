"""Emptying the committed test tier between tests (the seeded exercise catalogue stays)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

# Not `TRUNCATE users CASCADE`: that would empty the seeded exercise catalogue too.
_TRUNCATE = (
    "TRUNCATE import_jobs, import_files, workouts, workout_sets, refresh_tokens, "
    "analytics_dirty, analytics_state, analytics_e1rm_daily, analytics_rep_max_prs, "
    "analytics_daily_load, analytics_exercise_daily, analytics_pr_events, analytics_periods, "
    "analytics_muscle_weekly, analytics_rebuilds, cardio_sessions, activity_samples, body_metrics, "
    "idempotency_keys"
)


def truncate_committed(sync_engine: Any) -> None:
    """Delete every row a committed-tier test may have written."""
    with sync_engine.begin() as conn:
        conn.execute(text(_TRUNCATE))
        conn.execute(text("DELETE FROM exercises WHERE user_id IS NOT NULL"))
        conn.execute(text("DELETE FROM users"))
