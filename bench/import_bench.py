"""Import throughput against a plain COPY of the same rows (the floor), measured in one run.

Usage: ``python -m bench.import_bench [--sets 100000] [--track-mb 50]``. Uses
FORMA_DATABASE_URL's server when set (else embedded PostgreSQL under a temporary
folder), in a database of its own that it drops at the end. Prints records/s and
the ratio import ÷ COPY for a large Strong CSV and a large GPX track.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.config import to_sync_url
from api.datasets.sql_role import role_name

HEADER = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n"
EXERCISES = [
    "Squat (Barbell)",
    "Bench Press (Barbell)",
    "Deadlift (Barbell)",
    "Pull Up",
    "Overhead Press (Barbell)",
    "Bent Over Row (Barbell)",
    "Leg Press",
    "Lat Pulldown (Cable)",
]


def strong_csv(sets: int, rng: random.Random) -> bytes:
    out = io.StringIO()
    out.write(HEADER)
    start = datetime(2010, 1, 4, 18, 0)  # 20 sets a day: 100,000 sets end in 2023
    written = 0
    day = 0
    while written < sets:
        when = (start + timedelta(days=day)).strftime("%Y-%m-%d %H:%M:%S")
        for exercise in rng.sample(EXERCISES, 4):
            for order in range(1, 6):
                weight = round(rng.uniform(40, 180) / 2.5) * 2.5
                out.write(
                    f'{when},"Session {day % 3}",1h 5m,"{exercise}",{order},{weight},{rng.randint(3, 12)},0,0,,,\n'
                )
                written += 1
                if written >= sets:
                    break
            if written >= sets:
                break
        day += 1
    return out.getvalue().encode()


def gpx_track(megabytes: float, rng: random.Random) -> tuple[bytes, int]:
    head = (
        '<?xml version="1.0"?><gpx version="1.1" creator="bench" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"><trk><type>running</type><trkseg>'
    )
    parts = [head]
    size = len(head)
    lat, lon, ele = 59.9, 10.7, 20.0
    moment = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
    points = 0
    while size < megabytes * 1e6:
        lat += rng.uniform(-1, 1) * 2e-5
        lon += rng.uniform(0.5, 1.5) * 2e-5
        ele += rng.uniform(-0.3, 0.3)
        moment += timedelta(seconds=1)
        point = (
            f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>{ele:.1f}</ele><time>{moment:%Y-%m-%dT%H:%M:%SZ}</time>'
            f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{rng.randint(120, 175)}</gpxtpx:hr>"
            "</gpxtpx:TrackPointExtension></extensions></trkpt>\n"
        )
        parts.append(point)
        size += len(point)
        points += 1
    parts.append("</trkseg></trk></gpx>")
    return "".join(parts).encode(), points


def _server() -> tuple[str, str, list[object]]:
    """PostgreSQL and Redis URLs: the configured ones, else embedded in a temporary folder."""
    from pipelines.embedded import start_postgres, start_redis

    handles: list[object] = []
    folder = Path(tempfile.mkdtemp(prefix="forma-bench-"))
    os.chmod(folder, 0o755)
    db_url = os.environ.get("FORMA_DATABASE_URL")
    if not db_url:
        db_url, handle = start_postgres(folder)
        handles.append(handle)
    redis_url = os.environ.get("FORMA_REDIS_URL")
    if not redis_url:
        redis_url, handle = start_redis(folder)
        handles.append(handle)
    return db_url, redis_url, handles


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", type=int, default=100_000)
    parser.add_argument("--track-mb", type=float, default=50.0)
    args = parser.parse_args()
    rng = random.Random(7)
    admin_url, redis_url, handles = _server()
    name = f"forma_bench_import_{uuid.uuid4().hex[:8]}"
    admin = create_engine(to_sync_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    os.environ.update(
        FORMA_DATABASE_URL=url,
        FORMA_ENVIRONMENT="test",
        FORMA_SECRET_KEY=uuid.uuid4().hex * 2,
        FORMA_REDIS_URL=redis_url,
        FORMA_CELERY_QUEUE=f"bench-{uuid.uuid4().hex[:6]}",
    )
    try:
        run(url, args.sets, args.track_mb, rng)
    finally:
        from pipelines.db import dispose_engine

        dispose_engine()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role_name(name)}"'))  # outlives it
        admin.dispose()
        from pipelines.embedded import stop_servers

        stop_servers(handles)


def run(url: str, sets: int, track_mb: float, rng: random.Random) -> None:
    from pipelines.db import transaction
    from pipelines.imports import store as store
    from pipelines.imports.task import run_import
    from pipelines.migrate import upgrade

    upgrade(url)
    engine = create_engine(to_sync_url(url))
    user_id = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO users (id, email, password_hash) VALUES (:i, 'bench@x', 'x')"),
            {"i": user_id},
        )

    def timed_import(filename: str, content: bytes, fmt: str, **units: str) -> float:
        with transaction() as conn:
            job = store.create_job(
                conn,
                user_id=user_id,
                filename=filename,
                content=content,
                fmt=fmt,
                weight_unit=units.get("weight_unit"),
                distance_unit=None,
                time_zone="UTC",
            )
        began = time.perf_counter()
        status = run_import(job)
        elapsed = time.perf_counter() - began
        assert status == "succeeded", status
        return elapsed

    csv_bytes = strong_csv(sets, rng)
    csv_s = timed_import("bench.csv", csv_bytes, "strong", weight_unit="kg")
    with engine.connect() as conn:
        stored_sets = conn.execute(text("SELECT count(*) FROM workout_sets")).scalar_one()
        rows = conn.execute(text("SELECT * FROM workout_sets")).all()
        columns = list(conn.execute(text("SELECT * FROM workout_sets LIMIT 0")).keys())
    floor_csv = copy_floor(engine, "workout_sets", columns, rows)

    track, points = gpx_track(track_mb, rng)
    gpx_s = timed_import("bench.gpx", track, "gpx")
    with engine.connect() as conn:
        samples = conn.execute(text("SELECT * FROM activity_samples")).all()
        sample_columns = list(conn.execute(text("SELECT * FROM activity_samples LIMIT 0")).keys())
    floor_gpx = copy_floor(engine, "activity_samples", sample_columns, samples)
    engine.dispose()

    print(f"machine: {os.cpu_count()} cores; date: {datetime.now(UTC):%Y-%m-%d}")
    print(f"{'input':<34}{'records':>10}{'import s':>10}{'rec/s':>10}{'COPY s':>9}{'ratio':>8}")
    for label, count, seconds, floor in (
        (f"Strong CSV, {len(csv_bytes) / 1e6:.1f} MB", stored_sets, csv_s, floor_csv),
        (f"GPX track, {len(track) / 1e6:.1f} MB", len(samples), gpx_s, floor_gpx),
    ):
        print(
            f"{label:<34}{count:>10,}{seconds:>10.2f}{count / seconds:>10,.0f}{floor:>9.2f}"
            f"{seconds / floor:>8.1f}"
        )
    print(f"(GPX points written: {points:,}; ratio = import time ÷ plain COPY of the same rows)")


def copy_floor(engine, table: str, columns: list[str], rows: list) -> float:  # type: ignore[no-untyped-def]
    """Seconds to COPY ``rows`` into an empty copy of ``table``: the floor for the import."""
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TEMP TABLE floor_{table} (LIKE {table})"))
        raw = conn.connection.driver_connection
        began = time.perf_counter()
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY floor_{table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(tuple(row))
        return time.perf_counter() - began


if __name__ == "__main__":
    main()
