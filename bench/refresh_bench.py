"""Coalesced analytics refresh under write load, against an in-process floor measured in
the same run.

Usage: ``python -m bench.refresh_bench [--athletes 50] [--years 2] [--burst 50]
[--writes 700] [--clients 4] [--reseed]``. Uses the ``forma_refresh_bench`` database on
FORMA_DATABASE_URL's server (created, migrated and seeded with demo athletes when
missing) and FORMA_REDIS_URL with a queue and key prefix of its own.

A real Celery worker (``forma up``'s: 2 processes, main and sweep queues) runs the
refreshes; the writes are ``PUT /v1/workouts/{id}`` through the real API in this process.
Prints, with the load average:

* the floor: one in-process refresh of the same athletes derived in full in one call
  (``rebuild_users``), and the engine's ``derive`` alone;
* burst: N writes to the athlete with the most workouts → refresh tasks run (and how
  many found work), worker CPU seconds, seconds until fresh;
* spread: M writes over all athletes → seconds until all are fresh, tasks, worker CPU,
  the deepest the queue got, and how long a sweep sent mid-load waited to run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.config import to_sync_url
from api.exercises.catalogue import exercise_id

DB = "forma_refresh_bench"
BENCH = str(exercise_id("bench-press-barbell"))
_TASK = re.compile(r"^\[(\S+ \S+): INFO/\S+\] Task (\S+)\[\S+\] succeeded in ([\d.e-]+)s: (.*)$")
_TICK = os.sysconf("SC_CLK_TCK")


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its children (the worker's pool)."""
    total = 0.0
    kids = Path(f"/proc/{pid}/task/{pid}/children")
    for p in [pid, *(int(k) for k in kids.read_text().split())]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def _prepare(server: str, athletes: int, years: float, reseed: bool) -> str:
    from pipelines.demo import command
    from pipelines.migrate import upgrade

    url = make_url(to_sync_url(server)).set(database=DB).render_as_string(hide_password=False)
    admin = create_engine(to_sync_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB}
        ).first():
            conn.execute(text(f'CREATE DATABASE "{DB}"'))
            reseed = True
    admin.dispose()
    os.environ["FORMA_DATABASE_URL"] = url
    command.database_only_settings(os.environ)
    upgrade(url)
    if reseed:
        report = command.run_seed(
            url, athletes=athletes, years=years, seed_value=7, replace=True, analytics=True
        )
        print(command.summary(report))
    return url


class Worker:
    """``celery worker`` as ``forma up`` starts it, its log in a file we parse."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        queue = env["FORMA_CELERY_QUEUE"]
        self.log = log
        self._file = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "pipelines.celery_app", "worker", "-Q",
             f"{queue},{queue}.sweep", "--concurrency", "2", "--loglevel", "INFO",
             "--hostname", f"refreshbench@{os.getpid()}"],
            env=env, stdout=self._file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        while "ready." not in log.read_text():
            if self.proc.poll() is not None:
                raise RuntimeError(log.read_text())
            time.sleep(0.2)

    def tasks(self, since: int) -> list[tuple[datetime, str, float, str]]:
        """(time, name, seconds, result) of the tasks that finished after log offset ``since``."""
        out = []
        for line in self.log.read_text()[since:].splitlines():
            m = _TASK.match(line)
            if m:
                at = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC)
                out.append((at, m[2], float(m[3]), m[4]))
        return out

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self._file.close()


def _fresh(db: Any) -> bool:
    with db.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM analytics_dirty")).scalar_one() == 0


def _workout(day: datetime, kg: float) -> dict[str, Any]:
    return {
        "started_at": day.isoformat(),
        "ended_at": (day + timedelta(hours=1)).isoformat(),
        "time_zone": "UTC",
        "title": "Bench",
        "sets": [{"exercise_id": BENCH, "weight_kg": kg, "reps": 5} for _ in range(3)],
    }


async def _writes(
    http: httpx.AsyncClient, plan: list[dict[str, str]], clients: int
) -> tuple[float, float]:
    """PUT one new workout per entry of ``plan`` (its bearer header), ``clients`` at once."""
    queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    for headers in plan:
        queue.put_nowait(headers)
    today = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0)

    async def client() -> None:
        while not queue.empty():
            headers = queue.get_nowait()
            workout_id = str(uuid.uuid4())
            day = today - timedelta(days=random.randint(0, 6), minutes=random.randint(0, 600))
            response = await http.put(
                f"/v1/workouts/{workout_id}",
                headers=headers,
                json={"id": workout_id, **_workout(day, random.choice([60.0, 80.0, 100.0]))},
            )
            assert response.status_code == 201, response.text

    started = time.time()
    await asyncio.gather(*(client() for _ in range(clients)))
    return started, time.time()


def _drain(db: Any, depth: Any, queue_key: str, timeout_s: float = 1800) -> float:
    """Wait until nothing is marked and the queue is empty; the wall time of that moment."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if _fresh(db) and depth.llen(queue_key) == 0:
            return time.time()
        time.sleep(0.1)
    raise TimeoutError("analytics never became fresh")


def _scenario(
    name: str, plan: list[dict[str, str]], clients: int, ctx: dict[str, Any], sweep_mid: bool
) -> None:
    worker: Worker = ctx["worker"]
    db, redis_client, queue_key = ctx["db"], ctx["redis"], ctx["queue_key"]
    offset = len(worker.log.read_text())
    cpu0 = _cpu_s(worker.proc.pid)
    deepest = [0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            deepest[0] = max(deepest[0], int(redis_client.llen(queue_key)))
            time.sleep(0.05)

    threading.Thread(target=watch, daemon=True).start()
    sweep_sent: list[float] = []

    async def run() -> tuple[float, float]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=ctx["app"]), base_url="http://bench"
        ) as http:
            if not sweep_mid:
                return await _writes(http, plan, clients)
            half = len(plan) // 2
            first = await _writes(http, plan[:half], clients)
            from pipelines.celery_app import app as celery

            sweep_sent.append(time.time())
            celery.send_task("maintenance.sweep", queue=ctx["sweep_queue"])
            second = await _writes(http, plan[half:], clients)
            return first[0], second[1]

    started, ended = ctx["loop"].run_until_complete(run())
    fresh_at = _drain(db, redis_client, queue_key)
    time.sleep(1.0)  # the last task's log line and CPU land
    done.set()
    cpu = _cpu_s(worker.proc.pid) - cpu0
    tasks = worker.tasks(offset)
    refreshes = [t for t in tasks if t[1].startswith("analytics.refresh")]
    working = [t for t in refreshes if "'claimed': 0" not in t[3]]
    print(f"\n{name}: {len(plan)} writes by {clients} clients in {ended - started:.1f} s")
    print(f"  ({_load()})")
    busy = sum(t[2] for t in refreshes)
    print(
        f"  refresh tasks run {len(refreshes)} (found work: {len(working)}), {busy:.1f} s in them"
    )
    print(f"  worker CPU {cpu:.1f} s = {cpu / len(plan) * 1000:.0f} ms per write")
    print(
        f"  fresh {fresh_at - started:.1f} s after the first write, "
        f"{fresh_at - ended:.1f} s after the last"
    )
    print(f"  deepest queue {deepest[0]} messages")
    if sweep_sent:
        ran = [t[0].timestamp() for t in tasks if t[1] == "maintenance.sweep"]
        waited = f"{ran[0] - sweep_sent[0]:.2f} s" if ran else "never ran"
        print(f"  sweep sent mid-load ran after {waited}")
    ctx["results"][name] = {"cpu": cpu, "tasks": len(refreshes), "fresh": fresh_at - started}


def _floor(db: Any, users: list[uuid.UUID]) -> tuple[float, float]:
    """In-process: one refresh of ``users`` in full in one call; and ``derive`` alone."""
    from models import analytics
    from pipelines.store import analytics as store
    from pipelines.tasks.analytics import rebuild_users

    started = time.perf_counter()
    rebuild_users(users)
    refresh = time.perf_counter() - started
    with db.connect() as conn:
        conn.execute(text("SET jit = off"))
        inputs = store.read_inputs(conn, users, datetime(1900, 1, 1).date())
    started = time.perf_counter()
    analytics.derive(inputs)
    return refresh, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="refresh_bench")
    parser.add_argument("--athletes", type=int, default=50)
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--writes", type=int, default=700)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args(argv)
    server = os.environ.get("FORMA_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    run_id = uuid.uuid4().hex[:8]
    os.environ.update(
        FORMA_CELERY_QUEUE=f"refresh-bench-{run_id}",
        FORMA_KEY_PREFIX=f"refresh-bench-{run_id}",
        FORMA_ENVIRONMENT="test",
        FORMA_SECRET_KEY=uuid.uuid4().hex * 2,
        FORMA_REDIS_URL=os.environ.get("FORMA_REDIS_URL", "redis://127.0.0.1:6379/0"),
        FORMA_REBUILD_HOUR_UTC="off",
        # the bench logs its athletes in from one address, not an attack
        FORMA_RATE_LIMIT_LOGIN_ADDRESS="100000/minute",
    )
    print(f"refresh bench  ({_load()}, {os.cpu_count()} CPUs)")
    url = _prepare(server, args.athletes, args.years, args.reseed)

    from redis import Redis

    from api.config import get_settings
    from api.main import create_app
    from pipelines.demo.seed import DEMO_PASSWORD

    settings = get_settings()
    db = create_engine(url)
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT u.id, u.email, count(w.id) AS n FROM users u "
                "LEFT JOIN workouts w ON w.user_id = u.id AND w.deleted_at IS NULL "
                "GROUP BY u.id ORDER BY n DESC, u.id"
            )
        ).all()
    users = [r.id for r in rows]
    print(f"{len(rows)} athletes, {sum(r.n for r in rows):,} workouts; the busiest has {rows[0].n}")

    one = _floor(db, users[:1])
    print(
        f"\nfloor, busiest athlete: full refresh in process {one[0]:.2f} s, derive {one[1]:.2f} s"
    )
    every = _floor(db, users)
    print(
        f"floor, all {len(users)} athletes in one call: refresh {every[0]:.2f} s, "
        f"derive {every[1]:.2f} s  ({_load()})"
    )

    worker = Worker(dict(os.environ), Path(f"/tmp/refresh-bench-{run_id}.log"))
    loop = asyncio.new_event_loop()
    app = create_app(settings)
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    redis = Redis.from_url(settings.redis_url or "")
    try:
        headers: dict[uuid.UUID, dict[str, str]] = {}

        async def login() -> None:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench"
            ) as http:
                for r in rows:
                    token = await http.post(
                        "/v1/auth/token", data={"username": r.email, "password": DEMO_PASSWORD}
                    )
                    assert token.status_code == 200, token.text
                    headers[r.id] = {"Authorization": f"Bearer {token.json()['access_token']}"}

        loop.run_until_complete(login())
        ctx: dict[str, Any] = {
            "worker": worker, "db": db, "redis": redis, "app": app, "loop": loop,
            "queue_key": f"{settings.key_prefix}:{settings.celery_queue}",
            # without a sweep queue of its own (the code before it), the beat's queue
            "sweep_queue": getattr(settings, "sweep_queue", settings.celery_queue),
            "results": {},
        }  # fmt: skip
        _scenario("burst", [headers[users[0]]] * args.burst, 1, ctx, sweep_mid=False)
        spread = [headers[u] for u in users] * (args.writes // len(users) + 1)
        random.Random(7).shuffle(spread)
        _scenario("spread", spread[: args.writes], args.clients, ctx, sweep_mid=True)
        burst, spreads = ctx["results"]["burst"], ctx["results"]["spread"]
        print(
            f"\nratios to the floor: burst worker CPU / one in-process refresh "
            f"{burst['cpu'] / one[0]:.1f}; spread worker CPU / one call for all "
            f"{spreads['cpu'] / every[0]:.1f}  ({_load()})"
        )
    finally:
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
        loop.close()
        worker.stop()
        keys = list(redis.scan_iter(f"{settings.key_prefix}:*"))
        if keys:
            redis.delete(*keys)
        redis.close()
        db.dispose()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
