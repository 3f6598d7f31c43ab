"""After a write load, in the database: every acknowledged workout is there exactly once
with all its sets, and nothing unacknowledged is half-written."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from bench.load.workload import SETS_PER_WORKOUT, Ledger

STORED = (
    "SELECT w.title, array_agg(DISTINCT w.id) AS ids, count(s.id) AS sets "
    "FROM workouts w LEFT JOIN workout_sets s ON s.workout_id = w.id "
    "WHERE w.title LIKE $1 AND w.deleted_at IS NULL GROUP BY w.title"
)


@dataclass
class Check:
    acked: int
    acked_stored: int
    lost: int  # acknowledged, not in the database
    duplicated: int  # stored more than once (one title, several workouts)
    incomplete: int  # acknowledged, stored with a set count other than 15
    wrong_id: int  # acknowledged with an id, stored under another
    unacked: int
    unacked_stored: int  # committed although the client never got a 2xx
    half_written: int  # not acknowledged, stored with fewer (or more) sets than sent
    unknown: int  # stored with the load's tag but never sent

    @property
    def ok(self) -> bool:
        return not (
            self.lost or self.duplicated or self.incomplete or self.wrong_id or self.half_written
            or self.unknown
        )  # fmt: skip

    def line(self) -> str:
        verdict = "OK" if self.ok else "FAILED"
        return (
            f"verified in the database: {verdict}: {self.acked_stored:,} / {self.acked:,} "
            f"acknowledged stored once with {SETS_PER_WORKOUT} sets; lost {self.lost}, "
            f"duplicated {self.duplicated}, incomplete {self.incomplete}, wrong id "
            f"{self.wrong_id}; not acknowledged {self.unacked:,}, of which committed anyway "
            f"{self.unacked_stored:,} and half-written {self.half_written}; unknown {self.unknown}"
        )


async def check(database_url: str, ledger: Ledger) -> Check:
    """Compare the ledger with what the database holds under the ledger's tag."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(STORED, ledger.tag + "-%")
    finally:
        await conn.close()
    stored = {r["title"]: ([str(i) for i in r["ids"]], int(r["sets"])) for r in rows}
    c = Check(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    for title, sent in ledger.writes.items():
        found = stored.get(title)
        if sent.acked:
            c.acked += 1
            if found is None:
                c.lost += 1
            elif len(found[0]) > 1:
                c.duplicated += 1
            elif found[1] != SETS_PER_WORKOUT:
                c.incomplete += 1
            elif sent.workout_id is not None and found[0] != [sent.workout_id]:
                c.wrong_id += 1
            else:
                c.acked_stored += 1
        else:
            c.unacked += 1
            if found is not None:
                c.unacked_stored += 1
                c.half_written += int(found[1] != SETS_PER_WORKOUT * len(found[0]))
    c.unknown = len(set(stored) - set(ledger.writes))
    return c


async def settle(database_url: str, *, timeout_s: float) -> float | None:
    """The monotonic moment no athlete was owed a refresh any more (``None``: not within
    ``timeout_s``)."""
    conn = await asyncpg.connect(database_url)
    began = time.monotonic()
    try:
        while time.monotonic() - began < timeout_s:
            if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM analytics_dirty)"):
                return time.monotonic()
            await asyncio.sleep(0.25)
    finally:
        await conn.close()
    return None


async def api_idle(
    cpu: Callable[[], float],
    probe: Callable[[], Awaitable[float]],
    *,
    timeout_s: float,
    busy_share: float = 0.3,
    answer_s: float = 1.0,
) -> float | None:
    """The monotonic moment the API was idle again (``None``: not within ``timeout_s``):
    its CPU under ``busy_share`` of a core for a second *and* a read (``probe``, its
    latency) answered within ``answer_s`` — it may go on serving clients that gave up,
    and requests queued for a database connection burn no CPU. A third of a core
    leaves room for the freshness samples still polling."""
    began = time.monotonic()
    last = cpu()
    while time.monotonic() - began < timeout_s:
        await asyncio.sleep(1.0)
        now = cpu()
        if now - last < busy_share and await probe() < answer_s:
            return time.monotonic()
        last = cpu()
    return None
