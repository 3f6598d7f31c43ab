"""``analytics.refresh_user`` (incremental), the rebuild (``analytics.rebuild_all`` fanning
out ``analytics.rebuild_shard``) and the beat's ``maintenance.sweep``."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from api.config import get_settings
from models import analytics
from pipelines.celery_app import app, publish
from pipelines.db import transaction
from pipelines.store import analytics as store
from pipelines.store import imports as import_store
from pipelines.store import maintenance

logger = logging.getLogger("forma.analytics")

#: Marks older than this are cheaper to recompute in full than from the day.
_EVERYTHING = date(1900, 1, 1)


@dataclass(slots=True)
class Outcome:
    """What one refresh or shard did."""

    users: int = 0
    sets: int = 0
    rows_written: int = 0
    cleared: int = 0
    read_s: float = 0.0
    derive_s: float = 0.0
    write_s: float = 0.0


def _full(conn: Connection, user_ids: list[uuid.UUID]) -> Outcome:
    started = time.perf_counter()
    inputs = store.read_inputs(conn, user_ids, _EVERYTHING)
    read = time.perf_counter()
    derived = analytics.derive(inputs)
    done = time.perf_counter()
    written = store.write(conn, user_ids, derived, None)
    return Outcome(
        users=len(user_ids),
        sets=len(inputs.sets),
        rows_written=written,
        read_s=read - started,
        derive_s=done - read,
        write_s=time.perf_counter() - done,
    )


def refresh_user(user_id: uuid.UUID) -> bool:
    """Recompute one athlete from the first day their marker says changed.

    Under the per-user lock: the rows before ``read_from`` (see
    :func:`models.analytics.read_from`) stay, the rest is derived again from the
    athlete's rows from there on. Without a marker, or before the first refresh,
    everything is recomputed. Returns True when the marker was cleared, False when the
    athlete was marked again meanwhile (a newer refresh is owed and will run).
    """
    with transaction() as conn:
        # a refresh's statements touch one athlete's rows; JIT compiling them costs more
        # than running them whenever the planner's estimates run high
        conn.execute(text("SET LOCAL jit = off"))
        store.lock_users(conn, [user_id])
        markers = store.read_markers(conn, [user_id])
        as_of = store.clock(conn)
        marker = markers.get(user_id)
        if marker is None or marker[0] <= _EVERYTHING or not store.has_state(conn, user_id):
            _full(conn, [user_id])
        else:
            start = analytics.read_from(pd.Series([pd.Timestamp(marker[0])])).iloc[0].date()
            previous = store.read_previous(conn, user_id, start)
            inputs = store.read_inputs(conn, [user_id], start)
            store.write(conn, [user_id], analytics.derive(inputs, previous), start)
        store.write_state(conn, [user_id], as_of)
        return marker is None or store.clear_markers(conn, markers) == 1


def rebuild_users(user_ids: list[uuid.UUID], *, rebuild_id: uuid.UUID | None = None) -> Outcome:
    """Recompute every derived row of these athletes in one transaction (one shard).

    Markers read before the recompute are cleared when unchanged, so a write landing
    meanwhile still gets its own refresh. With ``rebuild_id`` the shard's counts are
    added to that rebuild's progress row in the same transaction.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return Outcome()
    with transaction() as conn:
        conn.execute(text("SET LOCAL jit = off"))  # planned row counts run high mid-rebuild
        store.lock_users(conn, ids)
        markers = store.read_markers(conn, ids)
        as_of = store.clock(conn)
        outcome = _full(conn, ids)
        started = time.perf_counter()
        store.write_state(conn, ids, as_of)
        outcome.write_s += time.perf_counter() - started
        outcome.cleared = store.clear_markers(conn, markers)
        if rebuild_id is not None:
            conn.execute(
                text(
                    "UPDATE analytics_rebuilds SET shards_done = shards_done + 1, "
                    "users_done = users_done + :u, sets_done = sets_done + :s, "
                    "rows_written = rows_written + :r, read_s = read_s + :rs, "
                    "derive_s = derive_s + :ds, write_s = write_s + :ws, finished_at = CASE "
                    "WHEN shards_done + 1 >= shards_total THEN clock_timestamp() END "
                    "WHERE id = :id"
                ),
                {
                    "u": outcome.users,
                    "s": outcome.sets,
                    "r": outcome.rows_written,
                    "rs": outcome.read_s,
                    "ds": outcome.derive_s,
                    "ws": outcome.write_s,
                    "id": rebuild_id,
                },
            )
    return outcome


def start_rebuild(
    user_ids: list[uuid.UUID], shard_size: int
) -> tuple[uuid.UUID, list[list[uuid.UUID]]]:
    """Record a rebuild of these athletes and split them into shards."""
    shards = [user_ids[i : i + shard_size] for i in range(0, len(user_ids), shard_size)]
    rebuild_id = uuid.uuid4()
    with transaction() as conn:
        conn.execute(
            text(
                "INSERT INTO analytics_rebuilds (id, shards_total, users_total, finished_at) "
                "VALUES (:id, :s, :u, CASE WHEN :s = 0 THEN clock_timestamp() END)"
            ),
            {"id": rebuild_id, "s": len(shards), "u": len(user_ids)},
        )
    return rebuild_id, shards


def rebuild_all(shard_size: int | None = None, email: str | None = None) -> uuid.UUID:
    """Fan a full rebuild out over the workers: one ``analytics.rebuild_shard`` per shard."""
    size = shard_size or get_settings().rebuild_shard_size
    with transaction() as conn:
        ids = store.user_ids(conn, email)
    rebuild_id, shards = start_rebuild(ids, size)
    for shard in shards:
        publish("analytics.rebuild_shard", str(rebuild_id), [str(u) for u in shard])
    logger.info("rebuild %s: %d athletes in %d shards", rebuild_id, len(ids), len(shards))
    return rebuild_id


def progress(rebuild_id: uuid.UUID) -> dict[str, Any] | None:
    """The rebuild's progress row as a dict, or None when unknown."""
    with transaction() as conn:
        row = (
            conn.execute(
                text("SELECT * FROM analytics_rebuilds WHERE id = :id"), {"id": rebuild_id}
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def sweep() -> dict[str, int]:
    """Re-send refreshes owed for a while and imports left queued or interrupted; purge
    idempotency keys older than 24 h."""
    settings = get_settings()
    with transaction() as conn:
        users = store.stale_users(conn, older_than_s=settings.stale_resend_after_s)
        jobs = import_store.stale_jobs(conn, older_than_s=settings.import_resend_after_s)
        purged = maintenance.purge_idempotency_keys(conn)
    for user_id in users:
        publish("analytics.refresh_user", str(user_id))
    for job_id in jobs:
        publish("imports.run", str(job_id))
    return {"users": len(users), "imports": len(jobs), "idempotency_keys_purged": purged}


@app.task(name="analytics.refresh_user")
def refresh_user_task(user_id: str) -> bool:
    """Celery entry point: ``analytics.refresh_user(user_id)``."""
    cleared = refresh_user(uuid.UUID(user_id))
    if not cleared:
        publish("analytics.refresh_user", user_id)
    return cleared


@app.task(name="analytics.rebuild_shard")
def rebuild_shard_task(rebuild_id: str, user_ids: list[str]) -> dict[str, int]:
    """Celery entry point: one shard of a rebuild."""
    started = time.perf_counter()
    outcome = rebuild_users([uuid.UUID(u) for u in user_ids], rebuild_id=uuid.UUID(rebuild_id))
    logger.info(
        "rebuild %s shard: %d athletes, %d sets in %.2f s",
        rebuild_id, outcome.users, outcome.sets, time.perf_counter() - started,
    )  # fmt: skip
    return {"users": outcome.users, "sets": outcome.sets, "rows_written": outcome.rows_written}


@app.task(name="analytics.rebuild_all")
def rebuild_all_task() -> str:
    """Celery entry point for the beat's nightly rebuild."""
    return str(rebuild_all())


@app.task(name="maintenance.sweep")
def sweep_task() -> dict[str, int]:
    """Celery entry point for the beat: ``maintenance.sweep()``."""
    return sweep()
