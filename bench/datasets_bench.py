"""Exports of the ``sets`` dataset against the floor, ``COPY … TO STDOUT`` of the same rows.

Usage: ``make bench-data SCALE=10000`` once (fills ``forma_bench``), then
``python -m bench.datasets_bench [--formats parquet arrow csv] [--samples 1 0.1]``
(``make bench-datasets``). Uses the ``forma_bench`` database on FORMA_DATABASE_URL's
server and FORMA_REDIS_URL (a queue and key prefix of the run's own).

Prints, each figure with the load average beside it:

* one scan of each table the query reads (so the page cache holds them for all);
* the floor: the ``sets`` dataset's own SELECT (pseudonyms joined, text neutralised) run
  as ``COPY (…) TO STDOUT (FORMAT csv)`` over psycopg and discarded: seconds, MB/s, rows/s;
* per format and athlete sample: ``GET /v1/datasets/sets`` on ``forma up`` over
  ``forma_bench`` (one API process), read to the end by an analyst: seconds, MB/s, rows/s,
  ratio to the floor of the same rows (the floor is measured per sample), and the API
  process's resident memory before and at its peak (``/proc``, sampled every 20 ms);
* a client that disconnects after a few MB: how long until the export's query is gone
  from ``pg_stat_activity``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass

import httpx
import psycopg
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from api.config import Settings
from api.datasets import catalogue, pseudonyms, query
from bench.coach_bench import load_average
from bench.load.stack import Stack, libpq_url, rss_mb
from pipelines.demo.bench import BENCH_DB, DEFAULT_SERVER, bench_url

DATASET = "sets"
PASSWORD = "bench-analyst-password"


@dataclass
class Export:
    seconds: float
    size: int
    rows: int
    rss_before_mb: float
    rss_peak_mb: float


class RssSampler(threading.Thread):
    """The highest resident set size of ``pids`` while running, sampled every 20 ms."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak, self._done = pids, 0.0, threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, sum(rss_mb(p) for p in self.pids))
            self._done.wait(0.02)

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


def floor(url: str, settings: Settings, sample: float | None) -> tuple[float, int, int]:
    """(seconds, bytes, rows) of ``COPY (the dataset's SELECT) TO STDOUT``, discarded."""
    dataset = catalogue.DATASETS[DATASET]
    with psycopg.connect(url, autocommit=True) as conn:
        period = pseudonyms.ensure_pseudonyms(conn, settings)
        filters = query.Filters(since=None, until=None, sample=sample, columns=None, run_id=None)
        sql, params, _columns = query.select(
            dataset, filters, period=period, allow_notes=settings.datasets_allow_notes
        )
        conn.execute("SET TimeZone = 'UTC'")
        size = rows = 0
        started = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
                for chunk in copy:
                    size += len(chunk)
                    rows += bytes(chunk).count(b"\n")  # no free text here: one line a row
        return time.perf_counter() - started, size, rows


def export(base: str, token: str, fmt: str, sample: float | None, pids: list[int]) -> Export:
    """Read ``GET /v1/datasets/sets`` to the end into a temporary file; its figures."""
    params = {"format": fmt}
    if sample is not None:
        params["sample"] = str(sample)
    before = sum(rss_mb(p) for p in pids)
    sampler = RssSampler(pids)
    sampler.start()
    with tempfile.NamedTemporaryFile(suffix=f".{fmt}") as out:
        size = 0
        started = time.perf_counter()
        with httpx.stream(
            "GET", f"{base}/v1/datasets/{DATASET}", params=params,
            headers={"Authorization": f"Bearer {token}"}, timeout=None,
        ) as response:  # fmt: skip
            if response.status_code != 200:
                raise SystemExit(f"export {fmt}: {response.status_code} {response.read()!r}")
            for chunk in response.iter_raw(1 << 20):
                out.write(chunk)
                size += len(chunk)
        seconds = time.perf_counter() - started
        peak = sampler.stop()
        out.flush()
        if fmt == "parquet":
            rows = pq.ParquetFile(out.name).metadata.num_rows
        elif fmt == "arrow":
            with open(out.name, "rb") as fh:
                rows = sum(b.num_rows for b in ipc.open_stream(fh))
        else:
            with open(out.name, "rb") as fh:
                rows = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 24), b"")) - 1
    return Export(seconds, size, rows, before, peak)


def disconnect(base: str, token: str, url: str) -> float:
    """Seconds from a client closing mid-export until its COPY is gone from the server."""
    with httpx.stream(
        "GET", f"{base}/v1/datasets/{DATASET}", params={"format": "parquet"},
        headers={"Authorization": f"Bearer {token}"}, timeout=None,
    ) as response:  # fmt: skip
        got = 0
        for chunk in response.iter_raw(1 << 16):
            got += len(chunk)
            if got > 4 << 20:
                break
        closed = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        while time.perf_counter() - closed < 30:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND query LIKE 'COPY (%%' AND pid <> pg_backend_pid()",
                (BENCH_DB,),
            ).fetchone()
            if busy is not None and busy[0] == 0:
                return time.perf_counter() - closed
            time.sleep(0.01)
    return float("inf")


def analyst_token(base: str, url: str) -> str:
    email = f"bench-analyst-{uuid.uuid4().hex[:8]}@example.com"
    with httpx.Client(base_url=base, timeout=60) as http:
        http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE users SET role = 'analyst' WHERE email = %s", (email,))
        answer = http.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
        answer.raise_for_status()
        return str(answer.json()["access_token"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.datasets_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--formats", nargs="+", default=["parquet", "arrow", "csv"],
                        help="formats measured on a sample below 1")  # fmt: skip
    parser.add_argument("--full-formats", nargs="+", default=["parquet", "csv"],
                        help="formats measured on every athlete (sample 1)")  # fmt: skip
    parser.add_argument("--samples", nargs="+", type=float, default=[1.0, 0.1])
    args = parser.parse_args(argv)
    server = os.environ.get("FORMA_DATABASE_URL") or DEFAULT_SERVER
    redis_url = os.environ.get("FORMA_REDIS_URL") or "redis://127.0.0.1:6379/0"
    url = libpq_url(bench_url(server))
    secret = uuid.uuid4().hex * 2
    with psycopg.connect(url, autocommit=True) as conn:
        # bench-data seeds without analytics and leaves every athlete marked; the stack's
        # worker would derive them all during the measurement: nothing here reads them
        dropped = conn.execute("DELETE FROM analytics_dirty").rowcount
        print(f"analytics markers cleared: {dropped:,}", flush=True)
        conn.execute("ANALYZE")
        sets = conn.execute("SELECT count(*) FROM workout_sets").fetchone()
        athletes = conn.execute("SELECT count(*) FROM users").fetchone()
    print(f"{BENCH_DB}: {athletes[0] if athletes else 0:,} users, {sets[0] if sets else 0:,} "
          f"sets; load {load_average()}", flush=True)  # fmt: skip
    # the API derives its pseudonym key from this secret, as the floor's pseudonyms must
    settings = Settings(
        database_url=bench_url(server), redis_url=redis_url, secret_key=secret,
        environment="production",
    )  # fmt: skip
    stack = Stack(server, redis_url, api_workers=1)
    stack.url, stack.db_name = url, BENCH_DB  # not created here: never dropped
    try:
        target = stack.start({"FORMA_TRAIN_HOUR_UTC": "off", "FORMA_SECRET_KEY": secret})
        token = analyst_token(target.base_url, url)
        pids = target.pids("api")
        # the first read of the tables comes from disk, the later ones from the page
        # cache: every table the query reads is scanned once first, so the floor and the
        # exports read alike
        started = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            for table in ("workout_sets", "workouts", "exercises", "user_pseudonyms"):
                conn.execute(f"SELECT count(*) FROM {table}")
        print(f"tables scanned once (page cache warmed) in {time.perf_counter() - started:.1f} s",
              flush=True)  # fmt: skip
        for sample in args.samples:
            share = None if sample >= 1 else sample
            seconds, size, rows = floor(url, settings, share)
            print(
                f"floor, sample {sample:g}: COPY … TO STDOUT of {rows:,} rows, "
                f"{size / 1e6:,.0f} MB in {seconds:.1f} s ({size / 1e6 / seconds:,.0f} MB/s, "
                f"{rows / seconds:,.0f} rows/s); load {load_average()}",
                flush=True,
            )
            for fmt in args.full_formats if share is None else args.formats:
                got = export(target.base_url, token, fmt, share, pids)
                print(
                    f"GET /v1/datasets/{DATASET}?format={fmt}, sample {sample:g}: {got.rows:,} rows, "
                    f"{got.size / 1e6:,.0f} MB in {got.seconds:.1f} s "
                    f"({got.size / 1e6 / got.seconds:,.0f} MB/s, {got.rows / got.seconds:,.0f} "
                    f"rows/s), {got.seconds / seconds:.2f}× the floor; API RSS "
                    f"{got.rss_before_mb:,.0f} MB before, peak {got.rss_peak_mb:,.0f} MB; "
                    f"load {load_average()}",
                    flush=True,
                )
        gone = disconnect(target.base_url, token, url)
        print(f"client closed after 4 MB: the export's COPY gone from pg_stat_activity in "
              f"{gone * 1000:,.0f} ms; load {load_average()}", flush=True)  # fmt: skip
        exceptions = target.new_exceptions()
        if exceptions:
            print(f"server exceptions: {dict(exceptions)}")
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
