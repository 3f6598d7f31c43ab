"""SQL of the coalesced analytics refresh: claiming marked athletes without waiting, and
reading what each one's incremental derive keeps from before its own start day.

Each statement covers every athlete of the batch at once (``unnest`` of ids and start
days in step), so a batch of 250 athletes costs the same round trips as one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date

import pandas as pd
from sqlalchemy import Connection, text

from models.analytics import Previous
from pipelines.store.analytics import copy_out
from pipelines.store.analytics_markers import REFRESH_LOCK_KEY

# The oldest marks first; the lock is tried row by row as the LIMIT pulls them, so a
# claim locks only the athletes it returns (the CTE keeps the planner from evaluating
# the lock on every marker before sorting). An athlete is due once no write has marked
# them for ``quiet`` seconds, or once their first owed mark is ``max_wait`` seconds old.
_DUE = """
    (marked_at <= clock_timestamp() - make_interval(secs => :quiet)
     OR first_marked_at <= clock_timestamp() - make_interval(secs => :max_wait))
"""
_CLAIM = text(
    f"""
    WITH marked AS MATERIALIZED (
        SELECT user_id FROM analytics_dirty WHERE {_DUE} ORDER BY marked_at, user_id
    )
    SELECT user_id FROM marked
    WHERE pg_try_advisory_xact_lock({REFRESH_LOCK_KEY.format(user="user_id::text")})
    LIMIT :limit
    """
)
_NEXT_DUE = text(
    """
    SELECT EXTRACT(EPOCH FROM min(LEAST(
        marked_at + make_interval(secs => :quiet),
        first_marked_at + make_interval(secs => :max_wait)
    )) - clock_timestamp())
    FROM analytics_dirty
    """
)


def claim_marked(
    conn: Connection, limit: int, *, quiet_s: float = 0.0, max_wait_s: float = 0.0
) -> list[uuid.UUID]:
    """Up to ``limit`` marked athletes that are due, oldest mark first, each now locked for
    this transaction; athletes another refresh or rebuild holds are skipped, never waited
    for.

    Due: not marked for ``quiet_s`` seconds, or first marked ``max_wait_s`` seconds ago
    (0 and 0: every marked athlete). The lock is the same per-user advisory lock
    :func:`pipelines.store.analytics_markers.lock_users` takes. Writes never take it: a write's
    marker upsert never waits for a refresh.
    """
    params = {"limit": limit, "quiet": quiet_s, "max_wait": max_wait_s}
    return [r[0] for r in conn.execute(_CLAIM, params)]


def seconds_until_due(conn: Connection, *, quiet_s: float, max_wait_s: float) -> float | None:
    """Seconds until the next marked athlete is due (≤ 0: one is due now); None: none marked."""
    value = conn.execute(_NEXT_DUE, {"quiet": quiet_s, "max_wait": max_wait_s}).scalar_one()
    return None if value is None else float(value)


def with_state(conn: Connection, user_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """The athletes among ``user_ids`` refreshed at least once (an ``analytics_state`` row)."""
    rows = conn.execute(
        text("SELECT user_id FROM analytics_state WHERE user_id = ANY(:u)"),
        {"u": list(user_ids)},
    )
    return {r[0] for r in rows}


_HISTORY = """
    SELECT d.user_id, d.day AS date, d.position, d.load, d.ctl, d.atl, d.ewma_acute,
           d.ewma_chronic
    FROM unnest(%(users)s::uuid[], %(starts)s::date[]) AS m(user_id, start)
    CROSS JOIN LATERAL (
        SELECT * FROM analytics_daily_load l
        WHERE l.user_id = m.user_id AND l.day < m.start ORDER BY l.day DESC LIMIT 28
    ) AS d
    ORDER BY d.user_id, d.day
"""
_LAST_ACTIVE = """
    SELECT m.user_id, (
        SELECT max(l.day) FROM analytics_daily_load l
        WHERE l.user_id = m.user_id AND l.day < m.start AND l.sessions > 0
    ) AS day
    FROM unnest(%(users)s::uuid[], %(starts)s::date[]) AS m(user_id, start)
"""
_EVENTS = """
    SELECT e.user_id, e.set_id, e.workout_id, e.exercise_id, e.kind, e.reps, e.weight_kg,
           e.achieved_on, e.achieved_at, e.previous
    FROM unnest(%(users)s::uuid[], %(starts)s::date[]) AS m(user_id, start)
    JOIN analytics_pr_events e ON e.user_id = m.user_id AND e.achieved_on < m.start
"""


def read_previous(conn: Connection, start: Mapping[uuid.UUID, date]) -> Previous:
    """What a refresh of each athlete from their own ``start`` keeps: the last 28 load
    rows and the PR events before it, and the last day before it with a session.

    An athlete whose start precedes all their rows keeps nothing: derived from there, they
    get the full computation.
    """
    users = list(start)
    params = {"users": users, "starts": [start[u] for u in users]}
    history = copy_out(conn, _HISTORY, params)
    history["date"] = pd.to_datetime(history["date"]).astype("datetime64[ns]")
    active = copy_out(conn, _LAST_ACTIVE, params)
    events = copy_out(conn, _EVENTS, params)
    events["achieved_on"] = pd.to_datetime(events["achieved_on"]).astype("datetime64[ns]")
    events["achieved_at"] = pd.to_datetime(events["achieved_at"], utc=True)
    keys = [str(u) for u in users]
    for frame in (history, events):  # ids as text (they are, unless no rows came)
        if not pd.api.types.is_string_dtype(frame["user_id"]):
            frame["user_id"] = frame["user_id"].astype(str)
    return Previous(
        read_from=pd.Series(
            [pd.Timestamp(start[u]) for u in users], index=keys, dtype="datetime64[ns]"
        ),
        history=history,
        last_active=pd.Series(
            pd.to_datetime(active["day"]).to_numpy(dtype="datetime64[ns]"),
            index=active["user_id"].astype(str).to_numpy(),
            dtype="datetime64[ns]",
        ).reindex(keys),
        events=events,
    )
