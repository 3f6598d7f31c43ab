"""The coach's performance: training, batch scoring and ``GET /v1/recommendations``.

Usage: ``make bench-data SCALE=10000`` once (fills ``forma_bench``), then
``python -m bench.coach_bench [--athletes 10000] [--workers 1 2] [--rate 100] [--duration 30]``.
Uses the ``forma_bench`` database on FORMA_DATABASE_URL's server and FORMA_REDIS_URL
(a queue and key prefix of the run's own).

Prints, each figure with the load average before it:

* the scale and the floor: ``COPY … TO STDOUT`` of the sets and workouts the feature
  shards read (:func:`pipelines.store.analytics.read_inputs`' two queries, every athlete);
* a full training run of ``next_e1rm`` on real Celery worker processes (``coaching.train``
  → ``coaching.features_shard`` × shards → ``coaching.fit``), per worker count: wall time,
  ratio to the floor, the phase split (features until the run turns ``fitting``, then
  the fit), worker-seconds of the shards (from the worker log), peak RSS (VmHWM) of each
  worker process at the end of the features and at the end;
* batch scoring (``coaching.score_all`` → ``coaching.score_shard``) with the champion:
  athletes/s, ratio to the floor;
* ``GET /v1/recommendations`` on ``forma up`` over ``forma_bench``: demo athletes logged
  in, their scores warmed by one GET each, an open loop at ``--rate``/s (p50/p95/p99,
  errors, the API's and worker's CPU) and closed loops of rising concurrency (the highest
  throughput with p95 under 200 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.analytics_bench import input_floor
from pipelines.demo.bench import BENCH_DB, DEFAULT_SERVER, bench_url

MODEL = "next_e1rm"
ROUTE = "/v1/recommendations"
#: the closed loop's p95 bound for "the highest throughput"
CLOSED_P95_S = 0.2
_SHARD_LINE = re.compile(r"training run \S+ shard: (\d+) athletes, (\d+) examples in ([\d.]+) s")
_SCORE_LINE = re.compile(r"score shard: (\d+) athletes, (\d+) sets, (\d+) rows by .* in ([\d.]+) s")
_TASK_LINE = re.compile(
    r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/[\w-]+\] Task (coaching\.\w+)\[[^\]]+\] "
    r"(received|succeeded in ([\d.]+)s)"
)
_RUN = text(
    "SELECT status, progress, shards_done, shards_total, users_total, examples, created_at, "
    "started_at, finished_at, message, version, snapshot FROM model_runs WHERE id = :id"
)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _status_mb(pid: int, key: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` of a process in MB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def task_times(log: str) -> dict[str, float]:
    """From a worker log: when ``coaching.train`` was received (``train_at``, epoch s) and
    how long it ran (``plan_s``), when the last feature shard ended and ``coaching.fit``
    was received (``fit_at``), and how long the fit task ran (``fit_task_s``)."""
    out: dict[str, float] = {}
    for stamp, task, what, seconds in _TASK_LINE.findall(log):
        at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC).timestamp()
        if task == "coaching.train" and what == "received":
            out["train_at"] = at
        elif task == "coaching.train" and seconds:
            out["plan_s"] = float(seconds)
        elif task == "coaching.fit" and what == "received":
            out["fit_at"] = at
        elif task == "coaching.fit" and seconds:
            out["fit_task_s"] = float(seconds)
    return out


def best_under(
    points: Sequence[tuple[int, float, float]], p95_limit: float
) -> tuple[int, float, float] | None:
    """The point of highest throughput whose p95 is under ``p95_limit``.

    ``points``: (clients, requests/s served, p95 in s) of each closed-loop step. Returns
    that step, or None when no step kept its p95 under the limit.
    """
    within = [p for p in points if p[2] < p95_limit]
    return max(within, key=lambda p: p[1]) if within else None


@dataclass
class Worker:
    """``celery worker`` on a queue of its own, its output in a log; peaks sampled."""

    queue: str
    concurrency: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    peaks: dict[int, float] = field(default_factory=dict)

    def __enter__(self) -> Worker:
        from pipelines.celery_app import app

        hostname = f"{self.queue}@{os.getpid()}"
        env = {**self.env, "FORMA_CELERY_QUEUE": self.queue}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "pipelines.celery_app", "worker",
                 "-Q", self.queue, "--concurrency", str(self.concurrency), "--loglevel", "INFO",
                 "-O", "fair", "--hostname", hostname],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        app.conf.task_default_queue = self.queue  # what this process publishes goes there
        deadline = time.monotonic() + 90
        while not app.control.ping(destination=[hostname], timeout=1.0):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bench worker did not answer; its log: {self.log}")
        return self

    def sample(self) -> None:
        assert self.proc is not None
        for child in _children(self.proc.pid):
            self.peaks[child] = max(self.peaks.get(child, 0.0), _status_mb(child, "VmHWM"))

    def main_peak(self) -> float:
        assert self.proc is not None
        return _status_mb(self.proc.pid, "VmHWM")

    def lines(self, pattern: re.Pattern[str]) -> list[tuple[str, ...]]:
        return pattern.findall(self.log.read_text(errors="replace"))

    def __exit__(self, *_: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- the floor ---------------------------------------------------------------------


def scale(conn: Any) -> Any:
    return conn.execute(
        text(
            "SELECT (SELECT count(*) FROM users) AS athletes, "
            "(SELECT count(*) FROM workouts WHERE deleted_at IS NULL) AS workouts, "
            "(SELECT count(*) FROM workout_sets) AS sets, "
            "(SELECT min(started_at)::date FROM workouts) AS first, "
            "(SELECT max(started_at)::date FROM workouts) AS last"
        )
    ).one()


# --- training ----------------------------------------------------------------------


def _clear_active_run() -> None:
    """Fail a run a killed earlier bench left active (one active run per model)."""
    from pipelines.db import transaction
    from pipelines.tasks.coaching import fail_run

    with transaction() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT id FROM model_runs WHERE model_name = :m "
                    "AND status IN ('queued', 'building', 'fitting')"
                ),
                {"m": MODEL},
            )
        ]
    for run_id in ids:
        fail_run(run_id, "abandoned by an earlier bench run")


def train(workers: int, env: dict[str, str], logs: Path) -> dict[str, Any]:
    """One full training run on ``workers`` worker processes, polled every 0.25 s."""
    from pipelines.celery_app import publish
    from pipelines.db import transaction
    from pipelines.tasks.coaching import TRAIN, request_run

    _clear_active_run()
    queue = f"{env['FORMA_KEY_PREFIX']}-train{workers}"
    with Worker(queue, workers, env, logs / f"train-{workers}.log") as worker:
        load = load_average()
        run_id = request_run(MODEL, {}, "bench")
        started = time.perf_counter()
        if not publish(TRAIN, str(run_id)):
            raise RuntimeError("the broker refused coaching.train")
        fitting_at: float | None = None
        fitting_epoch = float("nan")
        features_peaks: dict[int, float] = {}
        while True:
            with transaction() as conn:
                row = conn.execute(_RUN, {"id": run_id}).mappings().one()
            worker.sample()
            if fitting_at is None and row["status"] in ("fitting", "succeeded", "failed"):
                fitting_at, fitting_epoch = time.perf_counter(), time.time()
                features_peaks = dict(worker.peaks)
            if row["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.25)
        wall = time.perf_counter() - started
        worker.sample()
        shards = worker.lines(_SHARD_LINE)
        times = task_times(worker.log.read_text(errors="replace"))
        main_peak = worker.main_peak()
        with transaction() as conn:
            snapshot = (
                conn.execute(
                    text(
                        "SELECT snapshot FROM model_versions WHERE model_name = :m AND run_id = :r"
                    ),
                    {"m": MODEL, "r": run_id},
                ).scalar()
                or {}
            )
    features_s = (fitting_at or started) - started
    return {
        "workers": workers,
        "load": load,
        "status": row["status"],
        "message": row["message"],
        "version": row["version"],
        "wall_s": wall,
        "features_s": features_s,
        "fit_s": wall - features_s,
        "fit_train_s": snapshot.get("fit_s"),
        "plan_s": times.get("plan_s", float("nan")),
        "shards_span_s": times.get("fit_at", float("nan"))
        - times.get("train_at", float("nan"))
        - times.get("plan_s", float("nan")),
        "fit_task_s": times.get("fit_task_s", float("nan")),
        "fit_read_s": fitting_epoch - times.get("fit_at", float("nan")),
        "examples": row["examples"],
        "athletes": row["users_total"],
        "shards": row["shards_total"],
        "shard_worker_s": sum(float(s[2]) for s in shards),
        "shard_max_s": max((float(s[2]) for s in shards), default=float("nan")),
        "features_peak_mb": max(features_peaks.values(), default=0.0),
        "peak_mb": max(worker.peaks.values(), default=0.0),
        "peaks_mb": sorted(worker.peaks.values(), reverse=True),
        "main_peak_mb": main_peak,
        "db_wall_s": (row["finished_at"] - row["started_at"]).total_seconds()
        if row["finished_at"] and row["started_at"]
        else float("nan"),
    }


# --- batch scoring -----------------------------------------------------------------


def score(workers: int, env: dict[str, str], logs: Path, timeout_s: float = 1800) -> dict[str, Any]:
    """``coaching.score_all`` over every athlete: wall time until the worker logged every
    shard's line."""
    from pipelines.tasks.scoring import score_all

    queue = f"{env['FORMA_KEY_PREFIX']}-score{workers}"
    with Worker(queue, workers, env, logs / f"score-{workers}.log") as worker:
        load = load_average()
        started = time.perf_counter()
        shards = score_all()
        deadline = time.monotonic() + timeout_s
        while len(done := worker.lines(_SCORE_LINE)) < shards:
            worker.sample()
            if time.monotonic() > deadline or worker.proc.poll() is not None:  # type: ignore[union-attr]
                raise RuntimeError(f"scoring did not finish ({len(done)}/{shards}); {worker.log}")
            time.sleep(0.25)
        wall = time.perf_counter() - started
        worker.sample()
    return {
        "workers": workers,
        "load": load,
        "wall_s": wall,
        "shards": shards,
        "athletes": sum(int(d[0]) for d in done),
        "sets": sum(int(d[1]) for d in done),
        "rows": sum(int(d[2]) for d in done),
        "by_model": sum(
            1
            for line in worker.log.read_text().splitlines()
            if "score shard" in line and " by next_e1rm" in line
        ),
        "shard_worker_s": sum(float(d[3]) for d in done),
        "peak_mb": max(worker.peaks.values(), default=0.0),
    }


# --- where the time goes ----------------------------------------------------------


def _reset_peak() -> None:
    """Reset this process's VmHWM to its current RSS (Linux ≥ 4.0: ``clear_refs`` 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _profiled(what: str, work: Any, top: int) -> Any:
    """Run ``work()`` under cProfile; print its wall time and the ``top`` functions by
    cumulative time (Forma's and the libraries' frames alike)."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    before = _status_mb(os.getpid(), "VmRSS")
    _reset_peak()
    started = time.perf_counter()
    profiler.enable()
    result = work()
    profiler.disable()
    wall = time.perf_counter() - started
    peak, after = _status_mb(os.getpid(), "VmHWM"), _status_mb(os.getpid(), "VmRSS")
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer).sort_stats("cumulative")
    stats.print_stats(top)
    body = buffer.getvalue().split("ncalls", 1)[-1]
    print(f"profile of {what}: {wall:.2f} s wall (under cProfile); RSS {before:,.0f} MB before, "
          f"peak {peak:,.0f} MB, {after:,.0f} MB after; load {load_average()}\n  ncalls"
          + body.rstrip().replace("\n", "\n  "), flush=True)  # fmt: skip
    return result


def profile(top: int = 30, *, with_fit: bool = False) -> None:
    """In this process: one feature shard (the first athletes by id, the rebuild's shard
    size), reading the newest stored feature table as the fit does, the synthetic
    hold-out, and with ``with_fit`` the fit itself (``training.train``: minutes at 10,000
    athletes)."""
    from api.config import get_settings
    from models.coaching import training
    from models.coaching.estimator import Params
    from models.coaching.evaluation import cut_after, split
    from models.coaching.features import training_examples
    from pipelines.db import transaction
    from pipelines.store import analytics as analytics_store
    from pipelines.store import coaching as store
    from pipelines.tasks import coaching as tasks

    size = get_settings().rebuild_shard_size
    with transaction() as conn:
        ids = analytics_store.user_ids(conn)[:size]
        started = time.perf_counter()
        inputs = analytics_store.read_inputs(conn, ids, date(1900, 1, 1))
        read_s = time.perf_counter() - started
        run = conn.execute(
            text(
                "SELECT r.id, r.params, r.snapshot FROM model_runs r WHERE r.model_name = :m "
                "AND r.status = 'succeeded' AND EXISTS "
                "(SELECT 1 FROM model_features f WHERE f.run_id = r.id) "
                "ORDER BY r.created_at DESC LIMIT 1"
            ),
            {"m": MODEL},
        ).first()
    print(f"profile: read_inputs of {len(ids)} athletes: {read_s:.2f} s, {len(inputs.sets):,} sets")
    examples = _profiled(f"training_examples of {len(ids)} athletes",
                         lambda: training_examples(inputs), top)  # fmt: skip
    params = Params()
    if run is not None and len(examples):
        cut = cut_after(date.fromisoformat(run.snapshot["last_day"]), params)
        _profiled("split", lambda: split(examples, params, cut), 5)
    if run is None:
        print("profile: no stored feature table to fit (train first)")
        return
    with transaction() as conn:
        table = _profiled("read_features (the fit's read of the feature table)",
                          lambda: store.read_features(conn, run.id), 12)  # fmt: skip
    holdout = _profiled("the synthetic hold-out's examples", tasks._synthetic_examples, 10)
    print(f"profile: the feature table of run {run.id}: {len(table):,} rows, "
          f"{table.memory_usage(deep=True).sum() / 1e6:,.0f} MB in memory")  # fmt: skip
    if not with_fit:
        return
    _profiled(
        f"training.train on {len(table):,} examples",
        lambda: training.train(table, tasks._params(run.params), synthetic=holdout, champion=None),
        top,
    )


# --- GET /v1/recommendations -------------------------------------------------------


async def _warm(base_url: str, athletes: list[Any]) -> tuple[list[float], int, int]:
    """One GET per athlete, one at a time: (seconds of each, model-backed items, rule items)."""
    from bench.load import workload

    seconds, model, rule = [], 0, 0
    connections = workload.Connections()
    async with workload.client(base_url, timeout_s=60, connections=connections) as http:
        for athlete in athletes:
            t0 = time.perf_counter()
            status, body = await workload.send(
                http, "GET", ROUTE, headers=athlete.auth, want_json=True
            )
            seconds.append(time.perf_counter() - t0)
            if status != 200:
                raise RuntimeError(f"warming {athlete.email}: {status}")
            for item in body["items"]:
                model += item["model"] is not None
                rule += item["rule"] is not None
    return seconds, model, rule


async def _athletes(database_url: str, count: int) -> tuple[list[str], list[str]]:
    """Demo athletes' e-mails: ``count`` whose stored batch is current (scored from their
    data as it is), and 10 without any stored row (no main exercise)."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        current = await conn.fetch(
            "SELECT u.email FROM users u JOIN (SELECT user_id, max(data_seq) AS seq "
            "FROM recommendations GROUP BY user_id) r ON r.user_id = u.id AND r.seq = u.sync_seq "
            "WHERE u.email LIKE '%forma.example' AND u.role = 'athlete' ORDER BY u.email LIMIT $1",
            count,
        )
        none = await conn.fetch(
            "SELECT email FROM users u WHERE email LIKE '%forma.example' AND role = 'athlete' AND NOT EXISTS "
            "(SELECT 1 FROM recommendations r WHERE r.user_id = u.id) ORDER BY email LIMIT 10"
        )
        # the seed leaves every athlete's analytics owed: the stack's worker would refresh
        # them all during the run (bench.load's floor clears the markers the same way)
        await conn.execute("DELETE FROM analytics_dirty")
    finally:
        await conn.close()
    return [r["email"] for r in current], [r["email"] for r in none]


def _stats_line(stats: dict[str, float], errors: int) -> str:
    return (
        f"n={stats['n']:,.0f}, p50 {stats['p50'] * 1000:.1f} ms, p95 {stats['p95'] * 1000:.1f} ms, "
        f"p99 {stats['p99'] * 1000:.1f} ms, max {stats['max'] * 1000:.0f} ms, {errors} errors"
    )


async def serve(args: argparse.Namespace, url: str, redis_url: str) -> list[str]:
    """``forma up`` on forma_bench; log in, warm, open loop at ``args.rate``, closed loops."""
    from bench.load import closed, phones, workload
    from bench.load.athletes import log_in
    from bench.load.meter import Meter
    from bench.load.stack import Stack, libpq_url

    out: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        out.append(line)

    stack = Stack(url, redis_url, api_workers=args.api_workers)
    stack.url, stack.db_name = libpq_url(url), BENCH_DB  # not created here: never dropped
    try:
        with_batch, without = await _athletes(libpq_url(url), args.logins)
        target = stack.start({"FORMA_TRAIN_HOUR_UTC": "off"})
        athletes = await log_in(target.base_url, target.database_url, with_batch)
        seconds, model, rule = await _warm(target.base_url, athletes)
        first = sorted(seconds)
        say(
            f"warm-up GET {ROUTE} (one per athlete, sequential), {len(athletes)} athletes with a "
            f"batch: p50 {workload.percentile(first, 50) * 1000:.1f} ms, max "
            f"{first[-1] * 1000:.0f} ms; {model} model-backed items, {rule} by rule; "
            f"load {load_average()}"
        )
        if without:
            # no main exercise (no strength set in 8 weeks): nothing stored, scored per GET
            idle = await log_in(target.base_url, target.database_url, without)
            seconds = []
            for _ in range(3):
                seconds += (await _warm(target.base_url, idle))[0]
            seconds.sort()
            say(
                f"GET {ROUTE} of {len(idle)} athletes without a main exercise (3 each, "
                f"sequential): p50 {workload.percentile(seconds, 50) * 1000:.1f} ms, p95 "
                f"{workload.percentile(seconds, 95) * 1000:.1f} ms; load {load_average()}"
            )
        with Meter(target) as meter:
            recorder, rate = await phones.rate_reads(
                target.base_url, athletes, route=ROUTE, rate=args.rate,
                duration=args.duration, pool=args.pool,
            )  # fmt: skip
        name = f"GET {ROUTE} @ {args.rate:g}/s"
        errors = sum(recorder.outcomes[name].values()) - recorder.count(name, "2")
        say(
            f"open loop {args.rate:g}/s for {args.duration:g} s ({args.api_workers} API process(es)): "
            f"{_stats_line(recorder.stats(name), errors)}; {rate:.1f}/s served; {meter.line()}"
        )
        if warning := meter.warning():
            say(warning)
        points = []
        for clients in args.clients:
            with Meter(target) as meter:
                recorder, rate = await closed.reads(
                    target.base_url, athletes, route=ROUTE, clients=clients,
                    duration=args.closed_duration,
                )  # fmt: skip
            name = f"GET {ROUTE}"
            stats = recorder.stats(name)
            errors = sum(recorder.outcomes[name].values()) - recorder.count(name, "2")
            points.append((clients, rate, stats["p95"]))
            say(
                f"closed loop, {clients} clients, {args.closed_duration:g} s: {rate:.1f}/s, "
                f"{_stats_line(stats, errors)}; API CPU {meter.api_cpu / meter.wall * 1000 / max(rate, 1e-9):.2f} ms "
                f"per request; {meter.line()}"
            )
        best = best_under(points, CLOSED_P95_S)
        say(
            "highest closed-loop throughput with p95 < 200 ms: "
            + (
                f"{best[1]:.1f}/s at {best[0]} clients (p95 {best[2] * 1000:.1f} ms)"
                if best
                else "none"
            )
        )
        exceptions = target.new_exceptions()
        if exceptions:
            say(f"server exceptions: {dict(exceptions)}")
    finally:
        stack.stop()
    return out


# --- main --------------------------------------------------------------------------


def _ints(text_: str) -> list[int]:
    return [int(x) for x in text_.split(",")]


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.coach_bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--athletes", type=int, default=10_000,
                   help="the scale forma_bench must hold (make bench-data SCALE=N)")  # fmt: skip
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument(
        "--parts", default="train,score,serve", help="any of train,score,serve,profile,profile-fit"
    )
    p.add_argument("--rate", type=float, default=100.0, help="open loop requests/s")
    p.add_argument("--duration", type=float, default=30.0, help="open loop seconds")
    p.add_argument("--closed-duration", type=float, default=15.0, help="seconds per closed step")
    p.add_argument("--clients", type=_ints, default=[1, 2, 4, 8, 16, 32, 64])
    p.add_argument("--logins", type=int, default=50, help="demo athletes logged in")
    p.add_argument("--pool", type=int, default=32, help="open loop keep-alive connections")
    p.add_argument("--api-workers", type=int, default=1)
    p.add_argument("--database-url", help="default: forma_bench on FORMA_DATABASE_URL's server")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    parts = set(args.parts.split(","))
    server = os.environ.get("FORMA_DATABASE_URL") or DEFAULT_SERVER
    url = args.database_url or bench_url(server)
    redis_url = os.environ.get("FORMA_REDIS_URL") or "redis://127.0.0.1:6379/0"
    prefix = f"bench-coach-{os.getpid()}"
    env = dict(os.environ)
    env.update(
        FORMA_DATABASE_URL=url,
        FORMA_REDIS_URL=redis_url,
        FORMA_CELERY_QUEUE=prefix,
        FORMA_KEY_PREFIX=prefix,
        FORMA_TRAIN_HOUR_UTC="off",
        FORMA_REBUILD_HOUR_UTC="off",
    )
    env.setdefault("FORMA_ENVIRONMENT", "development")
    os.environ.update(env)
    from pipelines.db import get_engine

    logs = Path(f"/tmp/{prefix}")
    logs.mkdir(exist_ok=True)
    with get_engine().connect() as conn:
        s = scale(conn)
        if s.athletes < args.athletes:
            print(
                f"forma_bench holds {s.athletes:,} athletes; run make bench-data SCALE={args.athletes}"
            )
            return 2
        print(
            f"scale: {s.athletes:,} athletes, {s.workouts:,} workouts, {s.sets:,} sets, "
            f"{s.first} … {s.last}; load {load_average()}",
            flush=True,
        )
        load = load_average()
        floor_s, size = input_floor(conn) if parts & {"train", "score"} else (float("nan"), 0)
    if parts & {"train", "score"}:
        print(
            f"floor: COPY … TO STDOUT of the feature shards' input rows (sets, workouts): "
            f"{floor_s:.2f} s ({size / 1e6:,.0f} MB); load {load}",
            flush=True,
        )
    try:
        if "train" in parts:
            for workers in args.workers:
                r = train(workers, env, logs)
                print(
                    f"training, {workers} worker process(es): {r['status']} (v{r['version']}: "
                    f"{(r['message'] or '')[:90]}); wall {r['wall_s']:.1f} s = {r['wall_s'] / floor_s:.0f} × floor; "
                    f"planning {r['plan_s']:.1f} s, feature shards {r['shards_span_s']:.1f} s "
                    f"({r['shards']} shards, {r['athletes']:,} athletes, {r['examples']:,} examples; "
                    f"shard worker-seconds {r['shard_worker_s']:.0f}, longest shard "
                    f"{r['shard_max_s']:.1f} s), fit task {r['fit_task_s']:.1f} s (reading the "
                    f"feature table ≈ {r['fit_read_s']:.0f} s until the run showed fitting, "
                    f"train() {r['fit_train_s']} s); peak RSS per worker process "
                    f"{r['features_peak_mb']:,.0f} MB once the fit had read the table, "
                    f"{r['peak_mb']:,.0f} MB at the end (all: {', '.join(f'{m:,.0f}' for m in r['peaks_mb'])}; main "
                    f"{r['main_peak_mb']:,.0f} MB); run row started→finished {r['db_wall_s']:.1f} s; "
                    f"load before {r['load']}, after {load_average()}",
                    flush=True,
                )
        if "score" in parts:
            for workers in args.workers:
                r = score(workers, env, logs)
                print(
                    f"batch scoring, {workers} worker process(es): {r['athletes']:,} athletes in "
                    f"{r['wall_s']:.1f} s = {r['athletes'] / r['wall_s']:,.0f} athletes/s "
                    f"({r['wall_s'] / floor_s:.0f} × floor); {r['shards']} shards "
                    f"({r['by_model']} by the model), {r['rows']:,} rows written, shard "
                    f"worker-seconds {r['shard_worker_s']:.0f}; peak RSS per worker process "
                    f"{r['peak_mb']:,.0f} MB; load before {r['load']}, after {load_average()}",
                    flush=True,
                )
        if "profile" in parts:
            profile(with_fit="profile-fit" in parts)
        if "serve" in parts:
            asyncio.run(serve(args, url, redis_url))
    finally:
        _forget_keys(redis_url, prefix)
    return 0


def _forget_keys(redis_url: str, prefix: str) -> None:
    """Delete the run's Redis keys (its queues and Celery's bookkeeping)."""
    import redis

    from api.config import redis_py_url

    client = redis.Redis.from_url(redis_py_url(redis_url))
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
