"""The stack under test: ``forma up`` as a subprocess on a fresh database of its own.

The database is created on the server of ``FORMA_DATABASE_URL`` for the run and dropped
after it; Redis is ``FORMA_REDIS_URL`` with a queue and key prefix of the run's own.
:class:`Target` is what a load needs to know about a running stack, so the smoke tests
can hand one built from their own ``forma up``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from api.config import to_sync_url
from api.datasets.sql_role import role_name
from bench import forma_up

#: the last line of a logged traceback: ``module.ErrorType: message``
_EXCEPTION = re.compile(r"^((?:[a-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Timeout)\w*: .*)$", re.M)
_TICK = os.sysconf("SC_CLK_TCK")
#: limits the generator must not trip: it logs every athlete in from one address
GENEROUS_LIMITS = {
    "FORMA_RATE_LIMIT_LOGIN_ADDRESS": "1000000/minute",
    "FORMA_RATE_LIMIT_LOGIN_ACCOUNT": "1000000/minute",
    "FORMA_RATE_LIMIT_REGISTER_ADDRESS": "1000000/minute",
    "FORMA_RATE_LIMIT_REGISTER_ACCOUNT": "1000000/minute",
    "FORMA_RATE_LIMIT_REFRESH_ADDRESS": "1000000/minute",
}


@dataclass
class Target:
    """A running stack: where to send requests, its database, its processes."""

    base_url: str
    database_url: str  # libpq form (postgresql://), for asyncpg and psycopg
    children: Callable[[], dict[str, int]] = field(default=lambda: {})
    log: Path | None = None  # forma up's output, read for the server's exceptions
    _log_offset: int = 0

    def new_exceptions(self) -> Counter[str]:
        """Exceptions ``forma up``'s children logged since the last call, by type and text."""
        if self.log is None or not self.log.exists():
            return Counter()
        with self.log.open("rb") as fh:
            fh.seek(self._log_offset)
            text = fh.read().decode(errors="replace")
            self._log_offset = fh.tell()
        return Counter(m[1][:160] for m in _EXCEPTION.finditer(text))

    def pids(self, name: str) -> list[int]:
        """The child ``name`` (api, worker, beat) and its own children (uvicorn workers),
        leaving out multiprocessing's resource tracker."""
        pid = self.children().get(name)
        if pid is None:
            return []
        return [pid, *(p for p in children_of(pid) if "resource_tracker" not in _cmdline(p))]


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (0 for any that is gone)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def open_files_limit(pid: int) -> str:
    """The soft 'Max open files' of a process, as /proc shows it."""
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                return line.split()[3]
    except OSError:
        pass
    return "?"


def libpq_url(url: str) -> str:
    """Any SQLAlchemy PostgreSQL URL as ``postgresql://`` for asyncpg/psycopg."""
    return to_sync_url(url).replace("postgresql+psycopg://", "postgresql://")


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2.0) as response:
            return int(response.status) == 200
    except (OSError, urllib.error.URLError):
        return False


class StackError(RuntimeError):
    """The stack could not be prepared or started; the message says why, for the user."""


class Stack:
    """Create the database, migrate and seed it, run ``forma up`` on it; undo it all."""

    def __init__(self, server_url: str, redis_url: str, *, api_workers: int) -> None:
        self.run_id = uuid.uuid4().hex[:8]
        self.db_name = f"forma_load_{self.run_id}"
        self.admin = libpq_url(server_url)
        self.url = make_url(self.admin).set(database=self.db_name).render_as_string(False)
        self.redis_url = redis_url
        self.prefix = f"forma-load-{self.run_id}"
        self.api_workers = api_workers
        self.data_dir = Path(tempfile.mkdtemp(prefix="forma-load-"))
        self.log = self.data_dir / "forma-up.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.created = False
        self.failed = False  # forma up did not come up: its log is kept

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(sql)

    def prepare(self, *, athletes: int, years: float) -> str:
        """Create, migrate and seed the run's database with demo athletes; a summary line."""
        from pipelines.demo import command
        from pipelines.migrate import upgrade

        self._admin(f'CREATE DATABASE "{self.db_name}"')
        self.created = True
        # the seed's in-process analytics rebuild reads these (pipelines.db, Settings)
        os.environ["FORMA_DATABASE_URL"] = self.url
        os.environ.setdefault("FORMA_REDIS_URL", self.redis_url)
        command.database_only_settings(os.environ)
        upgrade(self.url)
        report = command.run_seed(
            self.url, athletes=athletes, years=years, seed_value=7, replace=False
        )
        return command.summary(report)

    def start(self, extra_env: dict[str, str] | None = None) -> Target:
        """``forma up`` on a free port, waited for until ``/readyz`` answers 200."""
        port = forma_up.free_port()
        env = {
            **os.environ,
            "FORMA_DATABASE_URL": make_url(self.url)
            .set(drivername="postgresql+asyncpg")
            .render_as_string(False),
            "FORMA_REDIS_URL": self.redis_url,
            "FORMA_CELERY_QUEUE": self.prefix,
            "FORMA_KEY_PREFIX": self.prefix,
            "FORMA_SECRET_KEY": uuid.uuid4().hex * 2,
            "FORMA_ENVIRONMENT": "production",
            "FORMA_ACCESS_TOKEN_MINUTES": "600",  # tokens issued before a long run
            "FORMA_REBUILD_HOUR_UTC": "off",
            "FORMA_API_WORKERS": str(self.api_workers),  # forma up's default is cores − 1
            "PYTHONUNBUFFERED": "1",
            **GENEROUS_LIMITS,
            **(extra_env or {}),
        }
        self.proc = forma_up.start(self.data_dir, port, env, self.log)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while not _ready(f"{base}/readyz"):
            if self.proc.poll() is not None:
                self.failed = True
                tail = self.log.read_text(errors="replace").strip().splitlines()[-5:]
                raise StackError(
                    f"forma up exited with {self.proc.returncode}:\n  " + "\n  ".join(tail)
                )
            if time.monotonic() > deadline:
                self.failed = True
                raise StackError(f"forma up not ready in 120 s; its log: {self.log}")
            time.sleep(0.3)
        return Target(base, self.url, self.children, self.log)

    def children(self) -> dict[str, int]:
        path = self.data_dir / "forma-up.json"
        try:
            return dict(json.loads(path.read_text())["children"])
        except (OSError, ValueError, KeyError):
            return {}

    def check_server(self) -> None:
        """Connect to the server once (5 s at most); :class:`StackError` saying why not."""
        import psycopg

        try:
            with psycopg.connect(self.admin, autocommit=True, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            where = make_url(self.admin).set(password=None).render_as_string()
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StackError(f"cannot reach PostgreSQL at {where}: {reason}") from exc

    def check_redis(self) -> None:
        """Ping Redis once (5 s at most); :class:`StackError` saying why not."""
        import redis

        from api.config import redis_py_url

        try:
            client = redis.Redis.from_url(
                redis_py_url(self.redis_url), socket_timeout=5, socket_connect_timeout=5
            )
            client.ping()
            client.close()
        except (redis.RedisError, ValueError) as exc:
            raise StackError(f"cannot reach Redis at {self.redis_url}: {exc}") from exc

    def discard(self) -> None:
        """Remove the run's (still empty) data directory: nothing was started."""
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def stop(self) -> None:
        """SIGTERM ``forma up`` (SIGKILL its group after 60 s), drop the database and keys,
        remove the run's data directory (its log is kept only when ``forma up`` failed)."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.created:
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            self._admin(f'DROP ROLE IF EXISTS "{role_name(self.db_name)}"')  # outlives it
        try:
            import redis

            from api.config import redis_py_url

            client = redis.Redis.from_url(redis_py_url(self.redis_url))
            keys = list(client.scan_iter(f"{self.prefix}:*"))
            if keys:
                client.delete(*keys)
            client.close()
        except Exception as exc:  # best effort: the prefix is the run's own anyway
            print(f"load: could not delete Redis keys {self.prefix}:* ({exc})", flush=True)
        failed = self.failed or (proc is not None and proc.returncode not in (0, -signal.SIGTERM))
        if not failed:
            shutil.rmtree(self.data_dir, ignore_errors=True)
