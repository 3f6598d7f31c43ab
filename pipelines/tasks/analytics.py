"""``analytics.refresh_user`` and the beat's ``maintenance.sweep``."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pandas as pd

from api.analytics.markers import clear_if_unchanged
from api.config import get_settings
from models import strength
from pipelines.celery_app import app, publish
from pipelines.db import transaction
from pipelines.store import analytics as store
from pipelines.store import imports as import_store
from pipelines.store import maintenance

logger = logging.getLogger("forma.analytics")


def compute(sets: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Daily best e1RM, rep-max PRs, weekly volume and totals from a user's sets."""
    e1rm_daily = strength.best_e1rm_by_day(sets)
    prs = strength.rep_max_prs(sets)
    weekly = strength.weekly_volume(sets)
    working = sets[sets["set_type"] != "warmup"] if not sets.empty else sets
    days = sets["day"] if not sets.empty else pd.Series(dtype=object)
    totals = {
        "sets": len(sets),
        "working_sets": len(working),
        "reps": int(working["reps"].fillna(0).sum()) if not working.empty else 0,
        "volume_load_kg": float(weekly["volume_load_kg"].sum()) if not weekly.empty else 0.0,
        "exercises": int(sets["exercise_id"].nunique()) if not sets.empty else 0,
        "personal_records": len(prs),
        "first_workout_on": min(days) if len(days) else None,
        "last_workout_on": max(days) if len(days) else None,
    }
    return e1rm_daily, prs, weekly, totals


def refresh_user(user_id: uuid.UUID) -> bool:
    """Recompute one user's analytics under the per-user lock.

    Returns True when the stale marker was cleared, False when the user was marked
    again meanwhile (a newer refresh is owed and will run).
    """
    with transaction() as conn:
        store.lock_user(conn, user_id)
        marked_at = store.read_marker(conn, user_id)
        sets, as_of = store.read_sets(conn, user_id)
        e1rm_daily, prs, weekly, totals = compute(sets)
        totals["workouts"] = store.count_workouts(conn, user_id)
        store.replace_analytics(
            conn,
            user_id,
            e1rm_daily=e1rm_daily,
            prs=prs,
            weekly=weekly,
            state={"as_of": as_of, **totals},
        )
        if marked_at is None:
            return True
        return conn.execute(clear_if_unchanged(user_id, marked_at)).rowcount == 1


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


@app.task(name="maintenance.sweep")
def sweep_task() -> dict[str, int]:
    """Celery entry point for the beat: ``maintenance.sweep()``."""
    return sweep()
