"""SQL of a full analytics rebuild's progress row (``analytics_rebuilds``): recorded when
the rebuild is split into shards, added to by each shard in the shard's transaction."""

from __future__ import annotations

import uuid
from typing import Any

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


def add_shard(
    conn: Connection,
    rebuild_id: uuid.UUID,
    *,
    users: int,
    sets: int,
    rows_written: int,
    read_s: float,
    derive_s: float,
    write_s: float,
) -> None:
    """Add one finished shard's counts and seconds; the last shard stamps ``finished_at``."""
    conn.execute(
        _ADD_SHARD,
        {
            "u": users,
            "s": sets,
            "r": rows_written,
            "rs": read_s,
            "ds": derive_s,
            "ws": write_s,
            "id": rebuild_id,
        },
    )


def progress(conn: Connection, rebuild_id: uuid.UUID) -> dict[str, Any] | None:
    """The rebuild's progress row as a dict (every column), or None when unknown."""
    row = conn.execute(_PROGRESS, {"id": rebuild_id}).mappings().first()
    return dict(row) if row else None
