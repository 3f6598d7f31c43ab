"""The beat schedule: a thin sweep that re-sends owed work, and the nightly rebuild."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from api.config import Settings


def schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {
        "sweep-owed-work": {
            "task": "maintenance.sweep",
            "schedule": settings.stale_sweep_seconds,
            "options": {"queue": settings.sweep_queue, "expires": settings.stale_sweep_seconds},
        }
    }
    if settings.rebuild_hour_utc is not None:
        # A full recompute each night re-derives everything from the raw rows, so any
        # drift (a bug fixed, a definition changed) heals within a day.
        entries["nightly-analytics-rebuild"] = {
            "task": "analytics.rebuild_all",
            "schedule": crontab(hour=settings.rebuild_hour_utc, minute=0),
            "options": {"queue": settings.celery_queue, "expires": 3600},
        }
    return entries
