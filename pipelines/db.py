"""The workers' synchronous engine (psycopg 3), created lazily in each process after fork."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine

from api.config import Settings, get_settings

_engines: dict[int, Engine] = {}


def get_engine(settings: Settings | None = None) -> Engine:
    """This process's engine; a forked child never reuses its parent's connections."""
    pid = os.getpid()
    engine = _engines.get(pid)
    if engine is None:
        settings = settings or get_settings()
        engine = create_engine(settings.sync_database_url, pool_size=5, pool_pre_ping=True)
        _engines.clear()
        _engines[pid] = engine
    return engine


def dispose_engine() -> None:
    """Drop this process's engine (called when a worker process starts or stops)."""
    for engine in _engines.values():
        engine.dispose(close=False)
    _engines.clear()


@contextmanager
def transaction() -> Iterator[Connection]:
    """A connection in a transaction, committed on success, rolled back on error."""
    with get_engine().begin() as conn:
        yield conn
