"""The derived rows PostgreSQL holds for an athlete, for comparing two ways of computing them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

#: derived table → its key columns after ``user_id`` (the row order of a snapshot)
DERIVED = {
    "analytics_daily_load": "day",
    "analytics_e1rm_daily": "exercise_id, day",
    "analytics_exercise_daily": "exercise_id, day",
    "analytics_pr_events": "set_id",
    "analytics_rep_max_prs": "exercise_id, kind, reps",
    "analytics_periods": "period, start",
    "analytics_muscle_weekly": "week_start, muscle",
}


def snapshot(sync_engine: Any, user_id: uuid.UUID) -> dict[str, list[tuple]]:
    """Every derived row of the athlete, table by table in key order (floats to 1e-9)."""
    with sync_engine.connect() as conn:
        return {
            table: [
                tuple(round(v, 9) if isinstance(v, float) else v for v in row)
                for row in conn.execute(
                    text(f"SELECT * FROM {table} WHERE user_id = :u ORDER BY {order}"),
                    {"u": user_id},
                )
            ]
            for table, order in DERIVED.items()
        }


def scalar(sync_engine: Any, sql: str, **params: Any) -> Any:
    """One value read through a connection of its own, so only committed rows count."""
    with sync_engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()
