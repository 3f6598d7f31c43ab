"""The floors: asyncpg alone, on the same tables, with as many connections as the API gets
clients — what the database itself costs, measured in the same run.

* floor A: one transaction per workout, the workout row + its 15 sets;
* floor B: A + the two statements every write needs: bump ``users.sync_seq`` (the
  user's write lock, :mod:`api.users.write_lock`) and upsert the ``analytics_dirty``
  marker (:func:`api.analytics.markers.mark_stale`);
* the read floor: the list's two queries (:func:`api.workouts.repository.page` with
  ``limit + 1`` and ``set_counts``) and the same JSON page built from the rows.

Floor writes are deleted (with their markers) when the floor ends, so later scenarios
see the seeded data set and an idle worker.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from api.pagination import encode_cursor
from api.users.write_lock import WRITE_LOCK_SQL
from bench.load.athletes import Athlete
from bench.load.workload import EXERCISES, SETS_PER_WORKOUT, Recorder

# the API's own statement (the user's write lock), with asyncpg's placeholder
BUMP = WRITE_LOCK_SQL.replace(":user_id", "$1")
WORKOUT = (
    "INSERT INTO workouts (id, user_id, started_at, ended_at, time_zone, title, source, "
    "change_seq) VALUES ($1, $2, $3, $4, $5, $6, 'api', $7)"
)
SET = (
    "INSERT INTO workout_sets (id, workout_id, user_id, exercise_id, position, set_type, "
    "weight_kg, reps, rpe) VALUES ($1, $2, $3, $4, $5, 'working', $6, $7, $8)"
)
MARK = (
    "INSERT INTO analytics_dirty (user_id, since_day, marked_at) "
    "VALUES ($1, $2, clock_timestamp()) ON CONFLICT (user_id) DO UPDATE SET "
    "since_day = least(analytics_dirty.since_day, excluded.since_day), "
    "marked_at = greatest(clock_timestamp(), analytics_dirty.marked_at + interval '1 microsecond')"
)
PAGE = (
    "SELECT id, started_at, ended_at, time_zone, title, notes, session_rpe, source, "
    "import_job_id, change_seq, deleted_at, created_at, updated_at FROM workouts "
    "WHERE user_id = $1 AND deleted_at IS NULL ORDER BY started_at DESC, id DESC LIMIT $2"
)
COUNTS = (
    "SELECT workout_id, count(*) FROM workout_sets WHERE workout_id = ANY($1::uuid[]) "
    "GROUP BY workout_id"
)
FLOOR_TITLE = "floor-"


async def free_connections(database_url: str, wanted: int, *, margin: int = 10) -> int:
    """``wanted``, or fewer when the server's max_connections leaves less room."""
    conn = await asyncpg.connect(database_url)
    try:
        limit = int(await conn.fetchval("SHOW max_connections"))
        used = int(await conn.fetchval("SELECT count(*) FROM pg_stat_activity"))
    finally:
        await conn.close()
    return max(1, min(wanted, limit - used - margin))


async def _clients(database_url: str, n: int) -> list[asyncpg.Connection]:
    return list(await asyncio.gather(*(asyncpg.connect(database_url) for _ in range(n))))


async def _run_each(
    conns: list[asyncpg.Connection], client: Callable[[int, asyncpg.Connection], Awaitable[None]]
) -> None:
    """``client(i, conn)`` on every connection at once; the connections closed after."""
    try:
        await asyncio.gather(*(client(i, c) for i, c in enumerate(conns)))
    finally:
        await asyncio.gather(*(c.close() for c in conns))


async def writes(
    database_url: str,
    athletes: list[Athlete],
    *,
    connections: int,
    duration: float,
    bookkeeping: bool,
) -> tuple[Recorder, float]:
    """Floor A (or B with ``bookkeeping``): workouts committed per second, latencies."""
    conns = await _clients(database_url, connections)
    recorder = Recorder()
    rng = random.Random(1)
    users = [uuid.UUID(a.user_id) for a in athletes]
    exercises = [uuid.UUID(e) for e in EXERCISES]
    route = "floor B" if bookkeeping else "floor A"

    async def client(i: int, conn: asyncpg.Connection) -> None:
        user = users[i % len(users)]
        n = 0
        while time.monotonic() < deadline:
            wid = uuid.uuid4()
            start = datetime.now(UTC) - timedelta(hours=2 + rng.uniform(0, 144))
            sets = [
                (uuid.uuid4(), wid, user, exercises[k // 3], k, 40.0 + 2.5 * rng.randint(0, 40),
                 rng.randint(3, 10), 8.0)
                for k in range(SETS_PER_WORKOUT)
            ]  # fmt: skip
            t0 = time.perf_counter()
            async with conn.transaction():
                seq = await conn.fetchval(BUMP, user) if bookkeeping else 0
                await conn.execute(
                    WORKOUT, wid, user, start, start + timedelta(hours=1), "Europe/Oslo",
                    f"{FLOOR_TITLE}{i}-{n}", seq,
                )  # fmt: skip
                await conn.executemany(SET, sets)
                if bookkeeping:
                    await conn.execute(MARK, user, start.date())
            recorder.add(route, time.perf_counter() - t0, 201)
            n += 1

    deadline = time.monotonic() + duration
    began = time.monotonic()
    await _run_each(conns, client)
    return recorder, recorder.served(route, began + duration) / duration


async def clean(database_url: str) -> int:
    """Delete the floor's workouts (sets cascade) and every marker; the rows deleted."""
    conn = await asyncpg.connect(database_url)
    try:
        status = await conn.execute("DELETE FROM workouts WHERE title LIKE $1", FLOOR_TITLE + "%")
        await conn.execute("DELETE FROM analytics_dirty")
    finally:
        await conn.close()
    return int(status.split()[-1])


def page_json(rows: list[asyncpg.Record], counts: dict[uuid.UUID, int], limit: int) -> bytes:
    """The body of ``GET /v1/workouts?limit=…`` built from the floor's rows."""
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {
            "id": str(r["id"]),
            "started_at": r["started_at"].isoformat(),
            "ended_at": r["ended_at"].isoformat() if r["ended_at"] else None,
            "time_zone": r["time_zone"],
            "title": r["title"],
            "notes": r["notes"],
            "session_rpe": r["session_rpe"],
            "source": r["source"],
            "import_job_id": str(r["import_job_id"]) if r["import_job_id"] else None,
            "set_count": counts.get(r["id"], 0),
            "etag": f'"{r["id"].hex[:8]}-{r["change_seq"]}"',
            "deleted_at": None,
            "created_at": r["created_at"].isoformat(),
            "updated_at": r["updated_at"].isoformat(),
        }
        for r in rows
    ]
    cursor = (
        encode_cursor([rows[-1]["started_at"].isoformat(), str(rows[-1]["id"])]) if more else None
    )
    return json.dumps({"items": items, "next_cursor": cursor}).encode()


async def reads(
    database_url: str,
    athletes: list[Athlete],
    *,
    connections: int,
    duration: float,
    limit: int = 20,
) -> tuple[Recorder, float, float]:
    """The read floor: pages per second, latencies, and the mean items per page."""
    conns = await _clients(database_url, connections)
    recorder = Recorder()
    users = [uuid.UUID(a.user_id) for a in athletes]
    items = [0, 0]

    async def client(i: int, conn: asyncpg.Connection) -> None:
        page = await conn.prepare(PAGE)
        count = await conn.prepare(COUNTS)
        k = i
        while time.monotonic() < deadline:
            user = users[k % len(users)]
            k += 1
            t0 = time.perf_counter()
            rows = await page.fetch(user, limit + 1)
            counts = {r[0]: r[1] for r in await count.fetch([r["id"] for r in rows[:limit]])}
            page_json(rows, counts, limit)
            recorder.add("read floor", time.perf_counter() - t0, 200)
            items[0] += min(len(rows), limit)
            items[1] += 1

    deadline = time.monotonic() + duration
    began = time.monotonic()
    await _run_each(conns, client)
    mean_items = items[0] / items[1] if items[1] else 0.0
    return recorder, recorder.served("read floor", began + duration) / duration, mean_items
