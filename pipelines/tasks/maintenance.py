"""The beat's ``maintenance.sweep``: re-send what is owed and was not picked up, purge
what has expired.

Owed work lives in PostgreSQL (analytics markers, import jobs), so a message lost with
Redis or a dead worker is re-sent from there: refreshes owed for a while
(``FORMA_STALE_RESEND_AFTER_S``) and imports left queued or interrupted
(``FORMA_IMPORT_RESEND_AFTER_S``). Training runs left queued that long get their
``coaching.train`` again (it starts a queued run once); runs building or fitting longer
than ``FORMA_TRAIN_STUCK_AFTER_S`` are failed, so a dead worker never leaves a run
holding its model. Dataset snapshots left queued a minute get their ``datasets.snapshot``
again; those running past the broker's visibility timeout are failed. Stored idempotent
responses older than 24 h go. Athletes who signed up since the last sweep get their
pseudonym of the current key period, so the read-only SQL views (which join the stored
pseudonyms) miss nobody for long.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection

from api.config import get_settings
from api.datasets.pseudonyms import add_missing
from pipelines.celery_app import REFRESH, app, publish
from pipelines.db import transaction
from pipelines.imports import store as import_store
from pipelines.store import analytics_markers as markers_store
from pipelines.store import coaching as coaching_store
from pipelines.store import maintenance
from pipelines.tasks import datasets as dataset_tasks
from pipelines.tasks.coaching import TRAIN, fail_run

#: seconds a snapshot may wait queued before the sweep re-sends its message
SNAPSHOT_RESEND_AFTER_S = 60.0


def stale_refreshes(conn: Connection) -> list[uuid.UUID]:
    """The athletes whose refresh has been owed longer than the resend delay."""
    older_than_s = get_settings().stale_resend_after_s
    return markers_store.stale_users(conn, older_than_s=older_than_s)


def stuck_imports(conn: Connection) -> list[uuid.UUID]:
    """The import jobs left queued, or running without a worker, past the resend delay."""
    return import_store.stale_jobs(conn, older_than_s=get_settings().import_resend_after_s)


def sweep() -> dict[str, int]:
    """Re-send refreshes owed for a while, imports and training runs left queued or
    interrupted; fail training runs stuck building or fitting; the same for dataset
    snapshots; purge idempotency keys older than 24 h; give athletes without one their
    pseudonym of the current key period.

    Returns ``{"users": athletes owed a refresh, "imports": jobs re-sent,
    "idempotency_keys_purged": rows deleted, "training_resent": queued runs re-sent,
    "training_failed": stuck runs failed, "snapshots_resent", "snapshots_failed",
    "pseudonyms_added": athletes given a pseudonym, "key_period": the current key period}``.
    """
    settings = get_settings()
    with transaction() as conn:
        users = stale_refreshes(conn)
        jobs = stuck_imports(conn)
        purged = maintenance.purge_idempotency_keys(conn)
        queued = coaching_store.queued_runs(conn, older_than_s=settings.import_resend_after_s)
        stuck = coaching_store.stuck_runs(conn, older_than_s=settings.train_stuck_after_s)
    if users:  # one refresh takes every marked athlete, a shard at a time
        publish(REFRESH)
    for job_id in jobs:
        publish("imports.run", str(job_id))
    for run_id in queued:
        publish(TRAIN, str(run_id))
    limit = settings.train_stuck_after_s
    failed = sum(
        fail_run(run_id, f"stuck: no outcome {limit:.0f} s after it started (a worker died?)")
        for run_id in stuck
    )
    # A worker that died mid-snapshot leaves it running; Redis hands the message on only
    # after the visibility timeout, and that redelivery finds it running and does nothing.
    snapshots_resent, snapshots_failed = dataset_tasks.resend_and_fail_stuck(
        publish,
        queued_after_s=SNAPSHOT_RESEND_AFTER_S,
        stuck_after_s=settings.celery_visibility_timeout_s,
    )
    with transaction() as conn:  # last, in its own transaction: it never holds back a re-send
        period, added = add_missing(conn, settings)
    return {
        "users": len(users),
        "imports": len(jobs),
        "idempotency_keys_purged": purged,
        "training_resent": len(queued),
        "training_failed": failed,
        "snapshots_resent": snapshots_resent,
        "snapshots_failed": snapshots_failed,
        "pseudonyms_added": added,
        "key_period": period,
    }


@app.task(name="maintenance.sweep")
def sweep_task() -> dict[str, int]:
    """Celery entry point for the beat: ``maintenance.sweep()``."""
    return sweep()
