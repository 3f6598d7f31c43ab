"""SQL of dataset snapshots as the workers and ``forma datasets`` use it.

A snapshot is queued (by the API, the CLI or a training run), claimed by the task
(``running``), filled with its Parquet parts one short transaction at a time, then
finished: ``succeeded`` with its row count, or ``failed`` with a message and no parts.
Every state change is conditional on the state it leaves, so a message delivered twice,
or a sweep failing a snapshot its worker is still writing, never mixes two outcomes.

Every function takes a :class:`~sqlalchemy.Connection` in a transaction the caller owns.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

#: the columns of ``dataset_snapshots`` a caller reads (everything but nothing large)
_COLUMNS = (
    "id, dataset, filters, key_period, status, progress, row_count, created_at, taken_at, "
    "finished_at, created_by, message, run_id"
)


def create(
    conn: Connection,
    *,
    dataset: str,
    filters: Mapping[str, Any],
    key_period: int,
    created_by: str,
    run_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Queue a snapshot of ``dataset`` with ``filters`` (JSON: ISO dates, the column list,
    the run id as text) and return its id."""
    snapshot_id = uuid.uuid4()
    conn.execute(
        text(
            "INSERT INTO dataset_snapshots (id, dataset, filters, key_period, created_by, run_id) "
            "VALUES (:id, :dataset, CAST(:filters AS jsonb), :period, :by, :run)"
        ),
        {
            "id": snapshot_id,
            "dataset": dataset,
            "filters": json.dumps(dict(filters)),
            "period": key_period,
            "by": created_by,
            "run": run_id,
        },
    )
    return snapshot_id


def get(conn: Connection, snapshot_id: uuid.UUID) -> dict[str, Any] | None:
    """The snapshot's row (without its parts), or None when unknown."""
    row = conn.execute(
        text(f"SELECT {_COLUMNS} FROM dataset_snapshots WHERE id = :id"), {"id": snapshot_id}
    )
    found = row.mappings().first()
    return dict(found) if found else None


def latest(conn: Connection, *, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` most recent snapshots, newest first."""
    rows = conn.execute(
        text(f"SELECT {_COLUMNS} FROM dataset_snapshots ORDER BY created_at DESC, id LIMIT :n"),
        {"n": limit},
    )
    return [dict(r) for r in rows.mappings()]


def claim(conn: Connection, snapshot_id: uuid.UUID) -> dict[str, Any] | None:
    """Move a queued snapshot to ``running`` and return its row; None when it is not
    queued (already taken, failed, or a message delivered twice)."""
    row = conn.execute(
        text(
            "UPDATE dataset_snapshots SET status = 'running', progress = 0, message = NULL, "
            "taken_at = clock_timestamp() WHERE id = :id AND status = 'queued' "
            f"RETURNING {_COLUMNS}"
        ),
        {"id": snapshot_id},
    )
    found = row.mappings().first()
    if found is None:
        return None
    # nothing should be there; a part left by an earlier attempt would be read twice
    conn.execute(text("DELETE FROM dataset_snapshot_parts WHERE snapshot_id = :id"),
                 {"id": snapshot_id})  # fmt: skip
    return dict(found)


def mark_taken(
    conn: Connection, snapshot_id: uuid.UUID, *, taken_at: datetime, key_period: int
) -> bool:
    """Record when the rows were read (the reading transaction's start) and the key period
    their pseudonyms belong to; False when the snapshot is no longer running."""
    result = conn.execute(
        text(
            "UPDATE dataset_snapshots SET taken_at = :at, key_period = :period "
            "WHERE id = :id AND status = 'running'"
        ),
        {"at": taken_at, "period": key_period, "id": snapshot_id},
    )
    return bool(result.rowcount)


def add_part(
    conn: Connection,
    snapshot_id: uuid.UUID,
    *,
    part: int,
    month: date | None,
    row_count: int,
    data: bytes,
    progress: float,
) -> bool:
    """Store one Parquet part of a running snapshot and raise its progress (0–1); False
    (nothing stored) when the snapshot is no longer running."""
    if not set_progress(conn, snapshot_id, progress):
        return False
    conn.execute(
        text(
            "INSERT INTO dataset_snapshot_parts (snapshot_id, part, month, row_count, data) "
            "VALUES (:id, :part, :month, :rows, :data)"
        ),
        {"id": snapshot_id, "part": part, "month": month, "rows": row_count, "data": data},
    )
    return True


def succeed(conn: Connection, snapshot_id: uuid.UUID, *, row_count: int) -> bool:
    """Finish a running snapshot with its row count; False when it is no longer running."""
    result = conn.execute(
        text(
            "UPDATE dataset_snapshots SET status = 'succeeded', progress = 1, row_count = :n, "
            "finished_at = clock_timestamp() WHERE id = :id AND status = 'running'"
        ),
        {"n": row_count, "id": snapshot_id},
    )
    return bool(result.rowcount)


def fail(conn: Connection, snapshot_id: uuid.UUID, message: str) -> bool:
    """Fail a queued or running snapshot with ``message`` and drop its parts; False when
    it had already finished."""
    result = conn.execute(
        text(
            "UPDATE dataset_snapshots SET status = 'failed', message = :msg, "
            "finished_at = clock_timestamp() WHERE id = :id AND status IN ('queued', 'running')"
        ),
        {"msg": message[:4000], "id": snapshot_id},
    )
    if not result.rowcount:
        return False
    conn.execute(text("DELETE FROM dataset_snapshot_parts WHERE snapshot_id = :id"),
                 {"id": snapshot_id})  # fmt: skip
    return True


def queued(conn: Connection, *, older_than_s: float) -> list[uuid.UUID]:
    """Snapshots still queued ``older_than_s`` seconds after they were asked for (their
    message lost with a broker, or never sent), oldest first."""
    rows = conn.execute(
        text(
            "SELECT id FROM dataset_snapshots WHERE status = 'queued' "
            "AND created_at < clock_timestamp() - make_interval(secs => :s) ORDER BY created_at"
        ),
        {"s": older_than_s},
    )
    return [r[0] for r in rows]


def stuck(conn: Connection, *, older_than_s: float) -> list[uuid.UUID]:
    """Snapshots running for more than ``older_than_s`` seconds (their worker died)."""
    rows = conn.execute(
        text(
            "SELECT id FROM dataset_snapshots WHERE status = 'running' "
            "AND taken_at < clock_timestamp() - make_interval(secs => :s) ORDER BY taken_at"
        ),
        {"s": older_than_s},
    )
    return [r[0] for r in rows]


def parts(conn: Connection, snapshot_id: uuid.UUID) -> list[dict[str, Any]]:
    """The snapshot's parts in order: ``{"part", "month" (date | None), "row_count"}``
    (never the bytes: read each with :func:`part_data`)."""
    rows = conn.execute(
        text(
            "SELECT part, month, row_count FROM dataset_snapshot_parts "
            "WHERE snapshot_id = :id ORDER BY part"
        ),
        {"id": snapshot_id},
    )
    return [dict(r) for r in rows.mappings()]


def part_data(conn: Connection, snapshot_id: uuid.UUID, part: int) -> bytes:
    """One part's Parquet file."""
    data = conn.execute(
        text("SELECT data FROM dataset_snapshot_parts WHERE snapshot_id = :id AND part = :p"),
        {"id": snapshot_id, "p": part},
    ).scalar_one()
    return bytes(data)


def set_progress(conn: Connection, snapshot_id: uuid.UUID, progress: float) -> bool:
    """Raise a running snapshot's progress (0–1, below 1 until it succeeds); False when it
    is no longer running."""
    result = conn.execute(
        text(
            "UPDATE dataset_snapshots SET progress = GREATEST(progress, :p) "
            "WHERE id = :id AND status = 'running'"
        ),
        {"p": min(max(float(progress), 0.0), 0.99), "id": snapshot_id},
    )
    return bool(result.rowcount)


def set_run_snapshot(conn: Connection, run_id: uuid.UUID, snapshot_id: uuid.UUID) -> None:
    """Record ``snapshot_id`` as the snapshot of the training run's feature table."""
    conn.execute(
        text("UPDATE model_runs SET snapshot_id = :s WHERE id = :id"),
        {"s": snapshot_id, "id": run_id},
    )
