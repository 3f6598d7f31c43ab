"""The beat schedule: one thin sweep task that re-sends owed work."""

from __future__ import annotations

from typing import Any

from api.config import Settings


def schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    return {
        "sweep-owed-work": {
            "task": "maintenance.sweep",
            "schedule": settings.stale_sweep_seconds,
            "options": {"queue": settings.celery_queue, "expires": settings.stale_sweep_seconds},
        }
    }
