"""The beat's ``maintenance.sweep``: re-send what is owed and was not picked up, purge
what has expired.

Owed work lives in PostgreSQL (analytics markers, import jobs), so a message lost with
Redis or a dead worker is re-sent from there: refreshes owed for a while
(``FORMA_STALE_RESEND_AFTER_S``) and imports left queued or interrupted
(``FORMA_IMPORT_RESEND_AFTER_S``). Stored idempotent responses older than 24 h go.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection

from api.config import get_settings
from pipelines.celery_app import REFRESH, app, publish
from pipelines.db import transaction
from pipelines.imports import store as import_store
from pipelines.store import analytics_markers as markers_store
from pipelines.store import maintenance


def stale_refreshes(conn: Connection) -> list[uuid.UUID]:
    """The athletes whose refresh has been owed longer than the resend delay."""
    older_than_s = get_settings().stale_resend_after_s
    return markers_store.stale_users(conn, older_than_s=older_than_s)


def stuck_imports(conn: Connection) -> list[uuid.UUID]:
    """The import jobs left queued, or running without a worker, past the resend delay."""
    return import_store.stale_jobs(conn, older_than_s=get_settings().import_resend_after_s)


def sweep() -> dict[str, int]:
    """Re-send refreshes owed for a while and imports left queued or interrupted; purge
    idempotency keys older than 24 h.

    Returns ``{"users": athletes owed a refresh, "imports": jobs re-sent,
    "idempotency_keys_purged": rows deleted}``.
    """
    with transaction() as conn:
        users = stale_refreshes(conn)
        jobs = stuck_imports(conn)
        purged = maintenance.purge_idempotency_keys(conn)
    if users:  # one refresh takes every marked athlete, a shard at a time
        publish(REFRESH)
    for job_id in jobs:
        publish("imports.run", str(job_id))
    return {"users": len(users), "imports": len(jobs), "idempotency_keys_purged": purged}


@app.task(name="maintenance.sweep")
def sweep_task() -> dict[str, int]:
    """Celery entry point for the beat: ``maintenance.sweep()``."""
    return sweep()
