"""SQL of the analytics refresh's bookkeeping: the per-athlete refresh lock, the
``analytics_dirty`` markers (read, compare-and-clear, the stale ones), the clock and the
transaction's JIT setting.

The refresh lock is a transaction-scoped advisory lock, not the user's write lock
(:mod:`api.users.write_lock`): writes never take it, so a write's marker upsert never
waits for a refresh, and refreshes and rebuild shards serialise among themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, func, select, text

from api.analytics.tables import AnalyticsDirty

#: The advisory-lock key of an athlete's refresh lock, as SQL over a text ``{user}``.
REFRESH_LOCK_KEY = "hashtextextended('analytics:' || {user}, 0)"


def lock_users(conn: Connection, user_ids: Sequence[uuid.UUID]) -> None:
    """The per-user refresh locks, held until the transaction ends; taken in one sorted
    order so that two shards (or a shard and a refresh) never deadlock."""
    conn.execute(
        text(
            f"SELECT pg_advisory_xact_lock({REFRESH_LOCK_KEY.format(user='u')}) "
            "FROM unnest(CAST(:users AS text[])) AS u ORDER BY u"
        ),
        {"users": sorted(str(u) for u in user_ids)},
    )


def read_markers(
    conn: Connection, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[date, datetime]]:
    rows = conn.execute(
        select(AnalyticsDirty.user_id, AnalyticsDirty.since_day, AnalyticsDirty.marked_at).where(
            AnalyticsDirty.user_id.in_(list(user_ids))
        )
    )
    return {r.user_id: (r.since_day, r.marked_at) for r in rows}


def clear_markers(conn: Connection, markers: dict[uuid.UUID, tuple[date, datetime]]) -> int:
    """Delete each marker that still carries the ``marked_at`` read; returns how many.

    A marker marked again meanwhile stays, and its ``first_marked_at`` moves up to the
    mark this refresh covered: what is still owed began to be owed then, so the debounce's
    longest wait (``FORMA_REFRESH_MAX_WAIT_S``) counts from there, not from a mark
    already refreshed.
    """
    if not markers:
        return 0
    result = conn.execute(
        text(
            """
            WITH m AS (
                SELECT * FROM unnest(CAST(:users AS uuid[]), CAST(:stamps AS timestamptz[]))
                    AS m(user_id, marked_at)
            ), cleared AS (
                DELETE FROM analytics_dirty d USING m
                WHERE d.user_id = m.user_id AND d.marked_at = m.marked_at
                RETURNING d.user_id
            ), moved AS (
                UPDATE analytics_dirty d
                SET first_marked_at = GREATEST(d.first_marked_at, m.marked_at)
                FROM m WHERE d.user_id = m.user_id AND d.marked_at <> m.marked_at
            )
            SELECT count(*) FROM cleared
            """
        ),
        {"users": list(markers), "stamps": [m[1] for m in markers.values()]},
    )
    return int(result.scalar_one())


def has_state(conn: Connection, user_id: uuid.UUID) -> bool:
    return (
        conn.execute(
            text("SELECT 1 FROM analytics_state WHERE user_id = :u"), {"u": user_id}
        ).first()
        is not None
    )


def stale_users(conn: Connection, *, older_than_s: float) -> list[uuid.UUID]:
    rows = conn.execute(
        select(AnalyticsDirty.user_id).where(
            AnalyticsDirty.marked_at
            < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_s)
        )
    )
    return [r[0] for r in rows]


def clock(conn: Connection) -> datetime:
    return conn.execute(select(func.clock_timestamp())).scalar_one()


def without_jit(conn: Connection) -> None:
    """No JIT compilation for the rest of this transaction (``SET LOCAL jit = off``)."""
    conn.execute(text("SET LOCAL jit = off"))
