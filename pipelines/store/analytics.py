"""SQL the analytics refresh runs: lock, read sets, replace the user's analytics rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert

from api.analytics.tables import AnalyticsDirty, AnalyticsState, E1rmDaily, RepMaxPr, WeeklyVolume
from models.strength import SET_COLUMNS

_SETS_SQL = text(
    """
    SELECT s.id::text AS set_id, s.workout_id::text AS workout_id,
           s.exercise_id::text AS exercise_id, e.kind AS exercise_kind,
           (w.started_at AT TIME ZONE w.time_zone)::date AS day,
           w.started_at AS performed_at, s.position, s.set_type,
           s.weight_kg, s.reps, s.rpe, s.rir
    FROM workout_sets s
    JOIN workouts w ON w.id = s.workout_id
    JOIN exercises e ON e.id = s.exercise_id
    WHERE w.user_id = :user_id AND w.deleted_at IS NULL
    """
)


def lock_user(conn: Connection, user_id: uuid.UUID) -> None:
    """The per-user refresh lock, held until the transaction ends."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended('analytics:' || :u, 0))"),
        {"u": str(user_id)},
    )


def read_marker(conn: Connection, user_id: uuid.UUID) -> datetime | None:
    return conn.execute(
        select(AnalyticsDirty.marked_at).where(AnalyticsDirty.user_id == user_id)
    ).scalar_one_or_none()


def read_sets(conn: Connection, user_id: uuid.UUID) -> tuple[pd.DataFrame, datetime]:
    """The user's live sets as a frame in ``models.strength`` shape, and the read time."""
    as_of = conn.execute(select(func.clock_timestamp())).scalar_one()
    rows = conn.execute(_SETS_SQL, {"user_id": user_id}).all()
    frame = pd.DataFrame(rows, columns=list(SET_COLUMNS))
    if not frame.empty:
        frame["performed_at"] = pd.to_datetime(frame["performed_at"], utc=True)
        for col in ("weight_kg", "reps", "rpe", "rir"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return frame, as_of


def count_workouts(conn: Connection, user_id: uuid.UUID) -> int:
    return conn.execute(
        text("SELECT count(*) FROM workouts WHERE user_id = :u AND deleted_at IS NULL"),
        {"u": user_id},
    ).scalar_one()


def _records(frame: pd.DataFrame, user_id: uuid.UUID) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): v for k, v in row.items()} | {"user_id": user_id} for row in records]


def replace_analytics(
    conn: Connection,
    user_id: uuid.UUID,
    *,
    e1rm_daily: pd.DataFrame,
    prs: pd.DataFrame,
    weekly: pd.DataFrame,
    state: dict[str, Any],
) -> None:
    """Swap the user's analytics rows for freshly computed ones, in the caller's transaction."""
    for table in (E1rmDaily, RepMaxPr, WeeklyVolume):
        conn.execute(delete(table).where(table.user_id == user_id))
    for table, frame in ((E1rmDaily, e1rm_daily), (RepMaxPr, prs), (WeeklyVolume, weekly)):
        records = _records(frame, user_id)
        for start in range(0, len(records), 5000):
            conn.execute(insert(table), records[start : start + 5000])
    stmt = insert(AnalyticsState).values(user_id=user_id, refreshed_at=func.now(), **state)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id"],
            set_={k: stmt.excluded[k] for k in ("refreshed_at", *state)},
        )
    )


def stale_users(conn: Connection, *, older_than_s: float) -> list[uuid.UUID]:
    rows = conn.execute(
        select(AnalyticsDirty.user_id).where(
            AnalyticsDirty.marked_at
            < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_s)
        )
    )
    return [r[0] for r in rows]
