"""``/healthz`` latency while a burst of logins runs, against a real uvicorn.

Usage: ``python -m bench.login_bench [--accounts 50] [--concurrency 10]``
(FORMA_DATABASE_URL's server and FORMA_REDIS_URL, a fresh database and key prefix).

Starts ``uvicorn api.main:create_app --factory`` (one process, as ``forma up`` does),
creates the accounts directly in the database (one argon2 hash shared by all, so the
set-up costs no argon2 time), then in one run measures:

- the floor: ``/healthz`` p50/p95/max with the server idle;
- ``/healthz`` while the accounts log in correctly, ``--concurrency`` at a time
  (rate limits raised out of the way, so every login runs argon2);
- the same during as many wrong passwords;
- with ``--limits-default``, the wrong passwords again under the default limits
  (every request from one address), counting the 429s.

``/healthz`` is polled by one client on its own connection every 20 ms. Prints the
load average before and after: figures from a busy machine are not comparable.
``--python``/``--source`` run the server from another checkout (e.g. an export of
``main``) for a before/after comparison with the same client.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import redis
from sqlalchemy import create_engine, text

from api.auth.security import hash_password
from api.config import to_sync_url
from api.datasets.sql_role import role_name
from pipelines.demo.bench import DEFAULT_SERVER
from pipelines.migrate import upgrade

PASSWORD = "correct horse battery"
POLL_S = 0.02


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _admin(url: str, statement: str) -> None:
    engine = create_engine(to_sync_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def _seed_accounts(url: str, emails: list[str]) -> None:
    shared = hash_password(PASSWORD)
    engine = create_engine(to_sync_url(url))
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, password_hash) "
                "VALUES (gen_random_uuid(), :email, :hash)"
            ),
            [{"email": email, "hash": shared} for email in emails],
        )
    engine.dispose()


def _summary(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (
        f"n={len(ms):4d}  p50={statistics.median(ms):7.1f} ms  p95={p95:7.1f} ms  "
        f"max={ms[-1]:7.1f} ms"
    )


async def _poll_health(base: str, stop: asyncio.Event) -> list[float]:
    samples: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while not stop.is_set():
            start = time.perf_counter()
            response = await http.get("/healthz")
            samples.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
            await asyncio.sleep(POLL_S)
    return samples


async def _idle_floor(base: str, seconds: float) -> list[float]:
    stop = asyncio.Event()
    task = asyncio.create_task(_poll_health(base, stop))
    await asyncio.sleep(seconds)
    stop.set()
    return await task


async def _burst(
    base: str, emails: list[str], password: str, concurrency: int
) -> tuple[list[float], Counter[int], float]:
    """Log every account in once (``concurrency`` at a time) while polling /healthz."""
    stop = asyncio.Event()
    poller = asyncio.create_task(_poll_health(base, stop))
    statuses: Counter[int] = Counter()
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:

        async def one(email: str) -> None:
            async with gate:
                response = await http.post(
                    "/v1/auth/token", data={"username": email, "password": password}
                )
                statuses[response.status_code] += 1

        start = time.perf_counter()
        await asyncio.gather(*(one(email) for email in emails))
        elapsed = time.perf_counter() - start
    stop.set()
    return await poller, statuses, elapsed


def _start_server(args: argparse.Namespace, env: dict[str, str], port: int) -> subprocess.Popen:
    command = [
        args.python,
        "-m",
        "uvicorn",
        "api.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=args.source, env=env)


async def _wait_up(base: str, server: subprocess.Popen) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as http:
        for _ in range(300):
            if server.poll() is not None:
                raise SystemExit(f"server exited with {server.returncode}")
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


async def _run_phase(
    args: argparse.Namespace, env: dict[str, str], label: str, emails: list[str]
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_server(args, env, port)
    try:
        await _wait_up(base, server)
        print(f"[{label}] idle floor      {_summary(await _idle_floor(base, 2.0))}")
        samples, statuses, elapsed = await _burst(base, emails, PASSWORD, args.concurrency)
        print(
            f"[{label}] correct logins  {_summary(samples)}  "
            f"logins {dict(statuses)} in {elapsed:.1f} s"
        )
        samples, statuses, elapsed = await _burst(base, emails, "wrong password", args.concurrency)
        print(
            f"[{label}] wrong passwords {_summary(samples)}  "
            f"answers {dict(statuses)} in {elapsed:.1f} s"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--python", default=sys.executable, help="interpreter for the server")
    parser.add_argument("--source", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument(
        "--limits-default", action="store_true", help="also run under the default rate limits"
    )
    args = parser.parse_args()

    admin_url = os.environ.get("FORMA_DATABASE_URL", DEFAULT_SERVER)
    redis_url = os.environ.get("FORMA_REDIS_URL", "redis://127.0.0.1:6379/0")
    run = uuid.uuid4().hex[:8]
    db_name = f"forma_login_bench_{run}"
    _admin(admin_url, f'CREATE DATABASE "{db_name}"')
    database_url = _with_database(admin_url, db_name)
    try:
        upgrade(database_url)
        emails = [f"bench-{run}-{i}@example.com" for i in range(args.accounts)]
        _seed_accounts(database_url, emails)
        env = {
            **os.environ,
            "FORMA_DATABASE_URL": database_url,
            "FORMA_REDIS_URL": redis_url,
            "FORMA_KEY_PREFIX": f"forma-login-bench-{run}",
            "FORMA_CELERY_QUEUE": f"forma-login-bench-{run}",
            "FORMA_SECRET_KEY": uuid.uuid4().hex * 2,
            "FORMA_ENVIRONMENT": "test",
        }
        print(f"cores {os.cpu_count()}  load average {os.getloadavg()}  server {args.source}")
        unlimited = {
            f"FORMA_RATE_LIMIT_LOGIN_{scope}": "100000/minute" for scope in ("ACCOUNT", "ADDRESS")
        }
        await _run_phase(args, {**env, **unlimited}, "no limits", emails)
        if args.limits_default:
            env["FORMA_KEY_PREFIX"] += "-limited"
            await _run_phase(args, env, "default limits", emails)
        print(f"load average after {os.getloadavg()}")
    finally:
        _admin(admin_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        _admin(admin_url, f'DROP ROLE IF EXISTS "{role_name(db_name)}"')  # outlives it
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(f"forma-login-bench-{run}*"))
        if keys:
            client.delete(*keys)
        client.close()


if __name__ == "__main__":
    asyncio.run(main())
