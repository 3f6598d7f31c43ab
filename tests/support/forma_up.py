"""``forma up`` as a subprocess for e2e and fault tests: its own database on the test
server, its own queue and key prefix, a free port; always stopped, with no child left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from api.datasets.sql_role import role_name
from bench.forma_up import free_port, start
from pipelines.demo.seed import engine_for
from tests.conftest import _admin_execute, _with_database

READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0


def _processes() -> dict[int, tuple[int, list[str]]]:
    """Live (non-zombie) processes: pid → (session id, argv), read from /proc."""
    found: dict[int, tuple[int, list[str]]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
        except OSError:
            continue
        state, _ppid, _pgrp, session = stat[stat.rfind(b")") + 2 :].split()[:4]
        if state != b"Z":
            found[int(entry)] = (int(session), argv)
    return found


@dataclass
class FormaUp:
    proc: subprocess.Popen[bytes]
    base_url: str
    port: int
    queue: str
    data_dir: Path
    log: Path
    env: dict[str, str]

    @property
    def database_url(self) -> str:
        """Its database, for psycopg (``postgresql://``)."""
        return self.env["FORMA_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")

    def children(self) -> dict[str, int]:
        """Name → pid of the children running now, from the pid file ``forma up`` keeps."""
        path = self.data_dir / "forma-up.json"
        return dict(json.loads(path.read_text())["children"]) if path.exists() else {}

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def family(self) -> dict[int, list[str]]:
        """Processes of this ``forma up``: its session, or an API/celery process naming it."""
        out = {}
        for pid, (session, argv) in _processes().items():
            if pid == os.getpid():
                continue
            joined = " ".join(argv)
            ours = (
                session == self.proc.pid
                or ("api.serve" in joined and str(self.port) in argv)
                or ("celery" in joined and (self.queue in argv or str(self.data_dir) in joined))
            )
            if ours:
                out[pid] = argv
        return out


@contextmanager
def forma_up(
    tmp_path: Path,
    extra_env: Mapping[str, str] | None = None,
    *,
    exit_code: int = 0,
    open_files: int | None = None,
) -> Iterator[FormaUp]:
    """A fresh database, then ``forma up`` on a free port until /readyz; always stopped.

    ``exit_code`` other than 0: the test makes ``forma up`` stop by itself with that status.
    ``open_files``: ``forma up`` starts with this soft RLIMIT_NOFILE (the hard one kept).
    """

    def lower_open_files() -> None:
        if open_files is not None:
            import resource

            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, hard))

    run_id = uuid.uuid4().hex[:10]
    admin_url = os.environ["FORMA_ADMIN_DATABASE_URL"]
    db_name = f"forma_e2e_{run_id}"
    _admin_execute(admin_url, f'CREATE DATABASE "{db_name}"')
    port = free_port()
    queue = f"forma-e2e-{run_id}"
    env = {
        **os.environ,
        "FORMA_DATABASE_URL": _with_database(admin_url, db_name),
        "FORMA_REDIS_URL": os.environ["FORMA_REDIS_URL"],
        "FORMA_CELERY_QUEUE": queue,
        "FORMA_KEY_PREFIX": queue,
        "FORMA_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "FORMA_STALE_SWEEP_SECONDS": "2",
        "FORMA_STALE_RESEND_AFTER_S": "1",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    log = tmp_path / "forma-up.log"
    sup: FormaUp | None = None
    try:
        proc = start(
            tmp_path,
            port,
            env,
            log,
            preexec_fn=lower_open_files if open_files is not None else None,
        )
        sup = FormaUp(proc, f"http://127.0.0.1:{port}", port, queue, tmp_path.resolve(), log, env)
        try:
            _wait_ready(sup)
            yield sup
            if exit_code == 0:
                assert proc.poll() is None, f"forma up died during the test ({proc.returncode})"
            print(f"\nforma up ran: {sorted(' '.join(a[1:5]) for a in sup.family().values())}")
        except BaseException:
            print(f"\n---- forma up log (tail) ----\n{sup.tail()}\n----", flush=True)
            raise
        finally:
            _stop(sup, exit_code)
    finally:
        _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        # roles outlive databases: the reader role of migration 0013 goes with it
        _admin_execute(admin_url, f'DROP ROLE IF EXISTS "{role_name(db_name)}"')
        _forget_redis_keys(os.environ["FORMA_REDIS_URL"], queue)


def _wait_ready(sup: FormaUp) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if sup.proc.poll() is not None:
            pytest.fail(f"forma up exited with {sup.proc.returncode} before it was ready")
        try:
            response = httpx.get(f"{sup.base_url}/readyz", timeout=2.0)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.2)
    pytest.fail(f"/readyz not ready within {READY_TIMEOUT_S:.0f} s: {last}")


def _stop(sup: FormaUp, exit_code: int = 0) -> None:
    """SIGTERM, ≤ 30 s, then SIGKILL; then no child may be left behind."""
    proc = sup.proc
    killed = False
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            killed = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    survivors: dict[int, list[str]] = {}
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        survivors = sup.family()
        if not survivors:
            break
        time.sleep(0.2)
    for pid in survivors:  # descendants of our own subprocess, by id
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not killed, f"forma up ignored SIGTERM for {STOP_TIMEOUT_S:.0f} s"
    assert proc.returncode == exit_code, f"forma up exited with {proc.returncode}"
    assert not survivors, f"children outlived forma up: {survivors}"


def _forget_redis_keys(url: str, prefix: str) -> None:
    try:
        import redis

        from api.config import redis_py_url

        client = redis.Redis.from_url(redis_py_url(url))
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()
    except Exception:  # best effort: a per-run prefix never collides anyway
        pass


def wait_for_batch_scores(up: FormaUp, timeout_s: float, poll_s: float) -> None:
    """Until the stack's batch scoring (after a promotion) has stored rows; a shard's rows
    arrive in one transaction, so the first row means the first shard's batch is whole."""
    engine = engine_for(up.env["FORMA_DATABASE_URL"])
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            with engine.connect() as conn:
                if conn.execute(text("SELECT count(*) FROM recommendations")).scalar_one():
                    return
            assert time.monotonic() < deadline, "no batch scores after the promotion"
            time.sleep(poll_s)
    finally:
        engine.dispose()
