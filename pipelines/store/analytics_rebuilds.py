"""SQL of a full analytics rebuild's progress row (``analytics_rebuilds``): recorded when
the rebuild is split into shards, added to by each shard in the shard's transaction."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import Connection, text

_START = text(
    "INSERT INTO analytics_rebuilds (id, shards_total, users_total, finished_at) "
    "VALUES (:id, :s, :u, CASE WHEN :s = 0 THEN clock_timestamp() END)"
)
_ADD_SHARD = text(
    "UPDATE analytics_rebuilds SET shards_done = shards_done + 1, "
    "users_done = users_done + :u, sets_done = sets_done + :s, "
    "rows_written = rows_written + :r, read_s = read_s + :rs, "
    "derive_s = derive_s + :ds, write_s = write_s + :ws, finished_at = CASE "
    "WHEN shards_done + 1 >= shards_total THEN clock_timestamp() END "
    "WHERE id = :id"
)
_PROGRESS = text("SELECT * FROM analytics_rebuilds WHERE id = :id")


def start(conn: Connection, rebuild_id: uuid.UUID, *, shards: int, users: int) -> None:
    """Record a rebuild of ``users`` athletes in ``shards`` shards (none: finished now)."""
    conn.execute(_START, {"id": rebuild_id, "s": shards, "u": users})


class ShardDone(Protocol):
    """What a finished shard adds to its rebuild's row (the task's ``Outcome``)."""

    users: int
    sets: int
    rows_written: int
    read_s: float
    derive_s: float
    write_s: float


def add_shard(conn: Connection, rebuild_id: uuid.UUID, done: ShardDone) -> None:
    """Add one finished shard's counts and seconds; the last shard stamps ``finished_at``."""
    params = {"u": done.users, "s": done.sets, "r": done.rows_written, "id": rebuild_id}
    seconds = {"rs": done.read_s, "ds": done.derive_s, "ws": done.write_s}
    conn.execute(_ADD_SHARD, {**params, **seconds})


def progress(conn: Connection, rebuild_id: uuid.UUID) -> dict[str, Any] | None:
    """The rebuild's progress row as a dict (every column), or None when unknown."""
    row = conn.execute(_PROGRESS, {"id": rebuild_id}).mappings().first()
    return dict(row) if row else None
