"""``python -m bench.plans``: ``EXPLAIN (ANALYZE, BUFFERS)`` of every statement the API's
list, filter, sync-feed and analytics reads send, as the API itself sends them.

Each read runs through the real service function on a seeded database (the load
harness's demo athletes; the athlete with the most workouts is asked); the statements it
sends are captured with their parameters and explained on the same connection. Prints
each plan and a one-line digest (top node, index used, execution time), and with
``--results`` appends the digest to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.load.cli import DEFAULT_REDIS, DEFAULT_SERVER, positive
from bench.load.meter import load_average
from bench.load.report import commit
from bench.load.stack import Stack, StackError

Read = Callable[[AsyncSession, Any], Awaitable[object]]
_EXEC = re.compile(r"Execution Time: ([\d.]+) ms")
_INDEX = re.compile(
    r"((?:Bitmap )?Index(?: Only)? Scan(?: Backward)? (?:using|on) \w+|Seq Scan on \w+)"
)


def reads() -> dict[str, Read]:
    """The reads explained: name → call of the API's own service or repository."""
    from api.analytics import repository as analytics_repo
    from api.analytics import service as analytics
    from api.workouts import feed, service

    month_ago = datetime.now(UTC) - timedelta(days=30)

    async def first_page(s: AsyncSession, u: Any) -> object:
        return await service.list_workouts(s, user=u, start=None, end=None, limit=20, cursor=None)

    async def next_page(s: AsyncSession, u: Any) -> object:
        page = await service.list_workouts(s, user=u, start=None, end=None, limit=20, cursor=None)
        return await service.list_workouts(
            s, user=u, start=None, end=None, limit=20, cursor=page.next_cursor
        )

    async def date_filter(s: AsyncSession, u: Any) -> object:
        return await service.list_workouts(
            s, user=u, start=month_ago - timedelta(days=90), end=month_ago, limit=20, cursor=None
        )

    async def sync_feed(s: AsyncSession, u: Any) -> object:
        return await feed.changes(s, user=u, updated_since="0", limit=100)

    async def summary(s: AsyncSession, u: Any) -> object:
        return await analytics.summary(s, user=u, weeks=12)

    async def load(s: AsyncSession, u: Any) -> object:
        return await analytics.load(s, user=u, start=None, end=None)

    async def records(s: AsyncSession, u: Any) -> object:
        return await analytics.personal_records(s, user=u, exercise_id=None)

    async def progress(s: AsyncSession, u: Any) -> object:
        exercise = (
            await s.execute(
                text(
                    "SELECT exercise_id FROM analytics_e1rm_daily WHERE user_id = :u "
                    "GROUP BY exercise_id ORDER BY count(*) DESC LIMIT 1"
                ),
                {"u": u.id},
            )
        ).scalar_one_or_none()
        if exercise is None:  # an athlete with no strength sets: nothing to explain
            return None
        return await analytics.exercise_progress(
            s, user=u, exercise_id=exercise, start=None, end=None
        )

    async def balance(s: AsyncSession, u: Any) -> object:
        return await analytics.muscle_balance(s, user=u, weeks=12)

    async def state(s: AsyncSession, u: Any) -> object:
        return await analytics_repo.state_and_stale(s, user_id=u.id)

    return {
        "GET /v1/workouts?limit=20": first_page,
        "GET /v1/workouts?limit=20&cursor=…": next_page,
        "GET /v1/workouts?from=…&to=…": date_filter,
        "GET /v1/workouts?updated_since=0&limit=100": sync_feed,
        "GET /v1/analytics/summary": summary,
        "GET /v1/analytics/load": load,
        "GET /v1/analytics/personal-records": records,
        "GET /v1/analytics/exercises/{id}/progress": progress,
        "GET /v1/analytics/muscle-balance": balance,
        "freshness (state + marker)": state,
    }


def digest(plan: str) -> str:
    """Top node, the scans used and the execution time of a text plan."""
    top = plan.splitlines()[0].split("  (")[0].strip()
    scans = sorted(set(_INDEX.findall(plan)))
    took = _EXEC.search(plan)
    return f"{top}; {', '.join(scans) or 'no scan'}; {took[1] if took else '?'} ms"


async def explain_all(url: str) -> list[tuple[str, str, str]]:
    """(read, statement, plan) for every statement of every read."""
    from api.db import create_engine
    from api.users.tables import User

    engine = create_engine(url, pool_size=1)
    captured: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _grab(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        captured.append((statement, parameters))

    out: list[tuple[str, str, str]] = []
    async with AsyncSession(engine, expire_on_commit=False) as session:
        user_id: uuid.UUID = (
            await session.execute(
                text("SELECT user_id FROM workouts GROUP BY user_id ORDER BY count(*) DESC LIMIT 1")
            )
        ).scalar_one()
        user = await session.get(User, user_id)
        raw = (await (await session.connection()).get_raw_connection()).driver_connection
        for name, read in reads().items():
            captured.clear()
            await read(session, user)
            for statement, parameters in list(captured):
                if "analytics_e1rm_daily WHERE user_id" in statement and "GROUP BY" in statement:
                    continue  # the bench's own pick of an exercise
                rows = await raw.fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, *parameters)
                out.append((name, statement, "\n".join(r[0] for r in rows)))
    await engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.plans", description=__doc__)
    p.add_argument("--athletes", type=positive(int, "athletes"), default=200)
    p.add_argument("--years", type=positive(float, "years"), default=2.0)
    p.add_argument("--results", action="store_true", help="append the digest to RESULTS.md")
    args = p.parse_args(argv)
    server = os.environ.get("FORMA_DATABASE_URL") or DEFAULT_SERVER
    try:
        stack = Stack(server, os.environ.get("FORMA_REDIS_URL") or DEFAULT_REDIS, api_workers=1)
    except ValueError as exc:  # not a PostgreSQL URL
        print(f"bench.plans: {exc}", file=sys.stderr)
        return 2
    stack.discard()  # the plans need a database, not a running stack
    try:
        stack.check_server()
    except StackError as exc:
        print(f"bench.plans: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        print(stack.prepare(athletes=args.athletes, years=args.years), flush=True)
        import psycopg

        with psycopg.connect(stack.url, autocommit=True) as conn:
            conn.execute("ANALYZE")
        found = asyncio.run(
            explain_all(stack.url.replace("postgresql://", "postgresql+asyncpg://"))
        )
    finally:
        stack.stop()
    lines = []
    for name, statement, plan in found:
        print(f"\n### {name}\n{statement}\n{plan}", flush=True)
        lines.append(f"| {name} | {digest(plan)} |")
    print("\n" + "\n".join(lines))
    if args.results:
        with open("bench/RESULTS.md", "a") as fh:
            fh.write(
                f"\n## Query plans (`python -m bench.plans`), {date.today()} "
                f"{datetime.now(UTC):%H:%M} UTC\n\n"
                f"{args.athletes} demo athletes × {args.years:g} years, ANALYZEd; the athlete with "
                f"the most workouts; load average {load_average()}; commit {commit()}. Each row "
                f"is one statement a read sends (top node; scans; execution time).\n\n"
                "| read | plan |\n|---|---|\n" + "\n".join(lines) + "\n"
            )
    print(f"\n{len(found)} statements explained in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
