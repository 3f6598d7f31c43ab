"""A database of its own for a migration test, dropped afterwards whatever happened,
with the reader role a migration past 0013 made for it (roles outlive databases)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from api.config import to_sync_url
from api.datasets.sql_role import role_name


@dataclass(frozen=True)
class Scratch:
    """An empty database: its URL (for ``pipelines.migrate``) and a sync engine on it."""

    url: str
    engine: Engine


@pytest.fixture
def scratch() -> Iterator[Scratch]:
    admin = os.environ["FORMA_ADMIN_DATABASE_URL"]
    name = f"forma_migration_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(to_sync_url(admin), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(to_sync_url(url))
    try:
        yield Scratch(url, engine)
    finally:
        engine.dispose()
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role_name(name)}"'))
        admin_engine.dispose()
