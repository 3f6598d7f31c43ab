"""The beat schedule: a thin sweep that re-sends owed work, the nightly rebuild and the
nightly training of the coach."""

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
    if settings.train_hour_utc is not None:
        # Each night's candidate learns from the day's sessions; it becomes champion only
        # if it beats the champion and both baselines (one run per model: a beat firing
        # while a run is active records nothing).
        entries["nightly-coach-training"] = {
            "task": "coaching.train",
            "schedule": crontab(hour=settings.train_hour_utc, minute=0),
            "kwargs": {"run_id": None, "model_name": "next_e1rm"},
            "options": {"queue": settings.celery_queue, "expires": 3600},
        }
    return entries
