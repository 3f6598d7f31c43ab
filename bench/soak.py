"""Soak: ``forma up`` against configured servers for a long run, with children killed.

An operator's hour, compressed into one script. It creates a fresh database on the
server ``--admin-url`` points at, starts ``forma up`` there (the production sweep and
resend settings, nothing shortened), registers ``--athletes`` athletes and keeps a steady
stream of ``PUT /v1/workouts/{uuid}`` going (``--rate`` writes/s in all). Every
``--kill-every`` seconds it SIGKILLs one child in turn (api, worker, beat) and times
until that child answers again. At the end it checks that every acknowledged write is
stored and that every athlete's analytics become fresh, and prints:

* whether ``forma up`` ran the whole time (its pid, its exit status if it stopped);
* writes acknowledged / stored / refused while a child was away;
* per kill: which child, seconds until it was back;
* seconds from the last write until no athlete was stale;
* the children's resident memory at the start and at the end, and the load average.

Usage::

    python -m bench.soak --minutes 60 \\
        --admin-url postgresql://postgres@127.0.0.1:5432/test \\
        --redis-url redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from api.datasets.sql_role import role_name
from bench import forma_up

PASSWORD = "soak-password-123"
BENCH = "bench-press-barbell"


def _workout(exercise_id: str, start: datetime) -> dict[str, object]:
    sets = [{"exercise_id": exercise_id, "weight_kg": 60.0 + i * 2.5, "reps": 5} for i in range(8)]
    return {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=1)).isoformat(),
        "time_zone": "Europe/Oslo",
        "title": "Soak",
        "sets": sets,
    }


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Writer(threading.Thread):
    """One phone: PUTs a workout every ``gap`` seconds; on 401 (its 15-minute access token
    expired) it rotates its refresh token, as the app does."""

    def __init__(
        self, base: str, tokens: dict[str, str], gap: float, exercise_id: str,
        stop: threading.Event,
    ) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.base, self.gap, self.stop = base, gap, stop
        self.tokens = tokens
        self.exercise_id = exercise_id
        self.acked: list[str] = []
        self.refused = 0
        self.refreshes = 0

    def _refresh(self, http: httpx.Client) -> None:
        try:
            answer = http.post(
                "/v1/auth/refresh", json={"refresh_token": self.tokens["refresh_token"]}
            )
        except httpx.HTTPError:
            return
        if answer.status_code == 200:
            self.tokens = answer.json()
            self.refreshes += 1

    def run(self) -> None:
        start = datetime(2023, 1, 2, 7, 0, tzinfo=UTC)
        n = 0
        with httpx.Client(base_url=self.base, timeout=10.0) as http:
            while not self.stop.is_set():
                workout_id = str(uuid.uuid4())
                body = _workout(self.exercise_id, start + timedelta(hours=7 * n))
                n += 1
                headers = {"Authorization": f"Bearer {self.tokens['access_token']}"}
                try:
                    status = http.put(f"/v1/workouts/{workout_id}", json=body, headers=headers)
                    ok = status.status_code in (200, 201)
                    if status.status_code == 401:
                        self._refresh(http)
                except httpx.HTTPError:
                    ok = False
                if ok:
                    self.acked.append(workout_id)
                else:
                    self.refused += 1
                self.stop.wait(self.gap)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--athletes", type=int, default=10)
    parser.add_argument("--rate", type=float, default=5.0, help="writes per second in all")
    parser.add_argument("--kill-every", type=float, default=300.0, help="seconds between kills")
    parser.add_argument("--admin-url", default=os.environ.get("FORMA_ADMIN_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("FORMA_REDIS_URL"))
    args = parser.parse_args()
    if not args.admin_url or not args.redis_url:
        parser.error("--admin-url and --redis-url (or their FORMA_ variables) are required")

    admin = make_url(args.admin_url).set(drivername="postgresql")
    run = uuid.uuid4().hex[:8]
    db = f"forma_soak_{run}"
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{db}"')
    data_dir = Path(tempfile.mkdtemp(prefix="forma-soak-"))
    port = forma_up.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FORMA_DATABASE_URL": admin.set(
            drivername="postgresql+asyncpg", database=db
        ).render_as_string(hide_password=False),
        "FORMA_REDIS_URL": args.redis_url,
        "FORMA_CELERY_QUEUE": f"forma-soak-{run}",
        "FORMA_KEY_PREFIX": f"forma-soak-{run}",
        "FORMA_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        # the soak's own clients log in from one address: keep them under the limits
        "FORMA_RATE_LIMIT_LOGIN_ADDRESS": "1000/minute",
        "FORMA_RATE_LIMIT_REGISTER_ADDRESS": "1000/minute",
        "PYTHONUNBUFFERED": "1",
    }
    log = data_dir / "forma-up.log"
    proc = forma_up.start(data_dir, port, env, log)
    print(f"soak {run}: forma up pid {proc.pid} on {base}, log {log}", flush=True)
    stop = threading.Event()
    try:
        _wait(lambda: _ok(f"{base}/readyz"), 120, "ready", proc)
        children = lambda: json.loads((data_dir / "forma-up.json").read_text())["children"]  # noqa: E731
        rss_start = {name: _rss_kb(pid) for name, pid in children().items()}
        tokens, exercise_id = _athletes(base, args.athletes)
        gap = args.athletes / args.rate
        writers = [Writer(base, t, gap, exercise_id, stop) for t in tokens]
        for w in writers:
            w.start()
        began = time.monotonic()
        end = began + args.minutes * 60
        kills: list[tuple[str, float]] = []
        order = ["worker", "api", "beat"]
        next_kill = began + args.kill_every
        while time.monotonic() < end:
            if proc.poll() is not None:
                print(f"forma up STOPPED with {proc.returncode}", flush=True)
                break
            if time.monotonic() >= next_kill:
                name = order[len(kills) % len(order)]
                kills.append((name, _kill_and_time(name, children, base, data_dir, proc)))
                print(
                    f"  {time.monotonic() - began:7.0f} s: {name} back in {kills[-1][1]:.1f} s",
                    flush=True,
                )
                next_kill = time.monotonic() + args.kill_every
            time.sleep(0.5)
        stop.set()
        for w in writers:
            w.join(15)
        last_write = time.monotonic()
        acked = [wid for w in writers for wid in w.acked]
        refused = sum(w.refused for w in writers)
        refreshes = sum(w.refreshes for w in writers)
        url = env["FORMA_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
        fresh_after = _wait(lambda: _stale(url) == 0, 600, "fresh", proc) - last_write
        stored = _stored(url, acked)
        rss_end = {name: _rss_kb(pid) for name, pid in children().items()}
        print(
            f"\nran {(last_write - began) / 60:.1f} min; forma up "
            f"{'still running' if proc.poll() is None else f'exited {proc.returncode}'}"
        )
        print(
            f"writes: {len(acked)} acknowledged, {stored} stored, {refused} refused "
            f"({refreshes} access tokens renewed on 401)"
        )
        print(f"kills: {', '.join(f'{n} {s:.1f} s' for n, s in kills) or 'none'}")
        print(f"all athletes fresh {fresh_after:.1f} s after the last write")
        print(f"children RSS kB start {rss_start} end {rss_end}")
        print(f"load average {os.getloadavg()}")
        return 0 if proc.poll() is None and stored == len(acked) else 1
    finally:
        stop.set()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            c.execute(f'DROP ROLE IF EXISTS "{role_name(db)}"')  # outlives the database


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(cond, timeout: float, what: str, proc: subprocess.Popen[bytes]) -> float:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if proc.poll() is not None:
            raise SystemExit(f"forma up exited with {proc.returncode} while waiting for {what}")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)
    return time.monotonic()


def _athletes(base: str, n: int) -> tuple[list[dict[str, str]], str]:
    tokens = []
    with httpx.Client(base_url=base, timeout=30.0) as http:
        for _ in range(n):
            email = f"soak-{uuid.uuid4().hex[:10]}@example.com"
            r = http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
            r.raise_for_status()
            r = http.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
            r.raise_for_status()
            tokens.append(r.json())
        found = http.get(
            "/v1/exercises",
            params={"q": "bench press"},
            headers={"Authorization": f"Bearer {tokens[0]['access_token']}"},
        ).json()
    items = found["items"] if isinstance(found, dict) else found
    return tokens, str(items[0]["id"])


def _kill_and_time(name, children, base, data_dir, proc) -> float:  # type: ignore[no-untyped-def]
    old = children()[name]
    os.kill(old, signal.SIGKILL)
    killed = time.monotonic()
    log = data_dir / "forma-up.log"
    mark = log.stat().st_size

    def back() -> bool:
        pid = children().get(name)
        if pid in (None, old):
            return False
        if name == "api":
            return _ok(f"{base}/healthz")
        tail = log.read_bytes()[mark:]
        return (b"ready." in tail) if name == "worker" else (b"beat: Starting" in tail)

    return _wait(back, 120, f"{name} back", proc) - killed


def _stale(url: str) -> int:
    with psycopg.connect(url) as c:
        return int(c.execute("SELECT count(*) FROM analytics_dirty").fetchone()[0])  # type: ignore[index]


def _stored(url: str, ids: list[str]) -> int:
    with psycopg.connect(url) as c:
        row = c.execute(
            "SELECT count(*) FROM workouts WHERE id = ANY(%s::uuid[]) AND deleted_at IS NULL",
            (ids,),
        ).fetchone()
    return int(row[0])  # type: ignore[index]


if __name__ == "__main__":
    raise SystemExit(main())
