"""Analytics rebuild and incremental refresh against a COPY floor, measured in one run.

Usage: ``make bench-data SCALE=10000`` once (fills ``forma_bench``), then
``python -m bench.analytics_bench [--workers 1 2] [--shard-size 500] [--refreshes 200]``.
Uses the ``forma_bench`` database on FORMA_DATABASE_URL's server and FORMA_REDIS_URL.

Prints the scale, the floor (``COPY … TO STDOUT`` of the rows a rebuild reads), the
full rebuild's wall time with 1 and 2 Celery worker processes (real workers: the
``analytics.rebuild_all`` fan-out, progress polled from ``analytics_rebuilds``), sets/s,
the ratio to the floor, each worker process's peak RSS (VmHWM), a checksum of the
derived tables per run (equal runs must agree), and the p50/p95 of an incremental
refresh after one new workout (today, and back-dated by a year).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from pipelines.demo.bench import DEFAULT_SERVER, bench_url

_CHECKSUM = """
SELECT (SELECT count(*) FROM analytics_daily_load) AS daily_rows,
       (SELECT round(sum(ctl)::numeric, 3) FROM analytics_daily_load) AS ctl_sum,
       (SELECT count(*) FROM analytics_e1rm_daily) AS e1rm_rows,
       (SELECT count(*) FROM analytics_pr_events) AS pr_events,
       (SELECT count(*) FROM analytics_periods) AS periods,
       (SELECT round(sum(sets)::numeric, 1) FROM analytics_muscle_weekly) AS muscle_sets
"""


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def input_floor(conn: object) -> tuple[float, int]:
    """COPY the two input queries of a rebuild (and of the coach's feature shards) for every
    athlete to STDOUT, discarding it: (seconds, bytes)."""
    from pipelines.store import analytics as store

    raw = conn.connection.driver_connection  # type: ignore[attr-defined]
    users = [r[0] for r in conn.execute(text("SELECT id FROM users"))]  # type: ignore[attr-defined]
    params = {"users": users, "from": datetime(1900, 1, 1).date()}
    size = 0
    started = time.perf_counter()
    with raw.cursor() as cur:
        for template in (store._SETS, store._WORKOUTS):
            sql = template.format(local=store.LOCAL_TIME, **store._ONE_START)
            with cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", params) as cp:
                for chunk in cp:
                    size += len(chunk)
    return time.perf_counter() - started, size


def _rebuild(workers: int, shard_size: int, env: dict[str, str]) -> dict[str, float]:
    from pipelines.celery_app import app
    from pipelines.tasks.analytics import progress, rebuild_all

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pipelines.celery_app", "worker", "-Q",
         env["FORMA_CELERY_QUEUE"], "--concurrency", str(workers), "--loglevel", "WARNING",
         "-O", "fair", "--hostname", f"bench{workers}@{os.getpid()}"],
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            if time.monotonic() > deadline:
                raise RuntimeError("the bench worker did not answer")
        started = time.perf_counter()
        rebuild_id = rebuild_all(shard_size)
        peaks: dict[int, float] = {}
        while True:
            row = progress(rebuild_id) or {}
            for child in _children(worker.pid):
                peaks[child] = max(peaks.get(child, 0.0), _peak_mb(child))
            if row.get("finished_at") is not None:
                break
            time.sleep(0.25)
        wall = time.perf_counter() - started
        return {
            "wall_s": wall,
            "sets": float(row["sets_done"]),
            "rows_written": float(row["rows_written"]),
            "shards": float(row["shards_done"]),
            "peak_mb": max(peaks.values(), default=float("nan")),
            "main_peak_mb": _peak_mb(worker.pid),
            "read_s": float(row["read_s"]),
            "derive_s": float(row["derive_s"]),
            "write_s": float(row["write_s"]),
        }
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)


def _new_workout(
    conn: object, user_id: uuid.UUID, when: datetime, exercise: uuid.UUID
) -> uuid.UUID:
    """One phone-style write: a workout of 5 sets, marked stale in the same transaction."""
    from api.analytics.markers import mark_stale

    workout_id = uuid.uuid4()
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO workouts (id, user_id, started_at, ended_at, time_zone, session_rpe, source) "
            "VALUES (:id, :u, :s, :e, 'UTC', 8, 'bench')"
        ),
        {"id": workout_id, "u": user_id, "s": when, "e": when + timedelta(minutes=50)},
    )
    for position in range(5):
        conn.execute(  # type: ignore[attr-defined]
            text(
                "INSERT INTO workout_sets (id, workout_id, user_id, exercise_id, position, set_type, "
                "weight_kg, reps, rpe) VALUES (:id, :w, :u, :x, :p, 'working', :kg, 5, 8)"
            ),
            {"id": uuid.uuid4(), "w": workout_id, "u": user_id, "x": exercise, "p": position,
             "kg": 100.0 + position * 2.5},
        )  # fmt: skip
    conn.execute(mark_stale(user_id, when.date()))  # type: ignore[attr-defined]
    return workout_id


def _incremental(count: int, back_days: int, seed: int) -> list[float]:
    """Seconds per ``refresh_user`` after one new workout ``back_days`` ago."""
    from pipelines.db import transaction
    from pipelines.tasks.analytics import refresh_user

    rng = random.Random(seed)
    with transaction() as conn:
        users = [r[0] for r in conn.execute(text("SELECT DISTINCT user_id FROM workout_sets"))]
        bench = conn.execute(
            text("SELECT id FROM exercises WHERE name = 'Bench Press (Barbell)'")
        ).scalar_one()
    timings, made = [], []
    for user_id in rng.sample(users, min(count, len(users))):
        when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=back_days, hours=1)
        with transaction() as conn:
            made.append(_new_workout(conn, user_id, when, bench))
        started = time.perf_counter()
        refresh_user(user_id)
        timings.append(time.perf_counter() - started)
    with transaction() as conn:  # leave the population as it was (refreshed by the next run)
        conn.execute(text("DELETE FROM workouts WHERE id = ANY(:ids)"), {"ids": made})
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.analytics_bench")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--shard-size", type=int, default=250)
    parser.add_argument("--refreshes", type=int, default=200)
    parser.add_argument(
        "--database-url", help="default: forma_bench on FORMA_DATABASE_URL's server"
    )
    args = parser.parse_args(argv)
    url = args.database_url or bench_url(os.environ.get("FORMA_DATABASE_URL") or DEFAULT_SERVER)
    env = dict(os.environ)
    env.update(
        FORMA_DATABASE_URL=url,
        FORMA_CELERY_QUEUE=f"bench-{os.getpid()}",
        FORMA_KEY_PREFIX=f"bench-{os.getpid()}",
    )
    env.setdefault("FORMA_REDIS_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("FORMA_ENVIRONMENT", "development")
    os.environ.update(env)
    from pipelines.db import get_engine

    with get_engine().connect() as conn:
        scale = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM users) AS athletes, "
                "(SELECT count(*) FROM workouts WHERE deleted_at IS NULL) AS workouts, "
                "(SELECT count(*) FROM workout_sets) AS sets, "
                "(SELECT min(started_at)::date FROM workouts) AS first, "
                "(SELECT max(started_at)::date FROM workouts) AS last"
            )
        ).one()
        print(
            f"scale: {scale.athletes:,} athletes, {scale.workouts:,} workouts, {scale.sets:,} sets, "
            f"{scale.first} … {scale.last}"
        )
        floor, size = input_floor(conn)
    print(
        f"floor: COPY … TO STDOUT of the rebuild's input rows: {floor:.2f} s ({size / 1e6:,.0f} MB)"
    )
    for workers in [w for w in args.workers if w > 0]:  # 0: incremental only
        result = _rebuild(workers, args.shard_size, env)
        with get_engine().connect() as conn:
            checksum = dict(conn.execute(text(_CHECKSUM)).mappings().one())
        print(
            f"rebuild, {workers} worker process(es): {result['wall_s']:.1f} s, "
            f"{result['sets'] / result['wall_s']:,.0f} sets/s, {result['rows_written']:,.0f} rows "
            f"written, ratio to floor {result['wall_s'] / floor:.1f}, peak RSS per worker "
            f"{result['peak_mb']:,.0f} MB (main process {result['main_peak_mb']:,.0f} MB); "
            f"worker seconds read {result['read_s']:.0f} / derive {result['derive_s']:.0f} / "
            f"write {result['write_s']:.0f}; checksum {checksum}"
        )
    for label, back in (("today", 0), ("back-dated one year", 365)):
        timings = _incremental(args.refreshes, back, seed=back + 1)
        q = statistics.quantiles(timings, n=100)
        print(
            f"incremental refresh after one new workout ({label}), n={len(timings)}: "
            f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms"
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
