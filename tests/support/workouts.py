"""Building workout bodies for the write API in tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.exercises.catalogue import exercise_id

BENCH = str(exercise_id("bench-press-barbell"))
SQUAT = str(exercise_id("squat-barbell"))


def a_set(exercise: str = BENCH, **fields: Any) -> dict[str, Any]:
    return {"exercise_id": exercise, "weight_kg": 100.0, "reps": 5, **fields}


def a_workout(
    start: datetime | None = None, *, sets: list[dict[str, Any]] | None = None, **fields: Any
) -> dict[str, Any]:
    start = start or datetime(2025, 3, 3, 7, 0, tzinfo=UTC)
    return {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=1)).isoformat(),
        "time_zone": "Europe/Oslo",
        "title": "Push",
        "sets": sets if sets is not None else [a_set(), a_set(weight_kg=105.0, reps=3)],
        **fields,
    }


def new_id() -> str:
    return str(uuid.uuid4())


async def put_with_set(http: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> Any:
    """``PUT`` a new workout whose one set is :func:`a_set` with ``fields``; the response."""
    body = a_workout(sets=[a_set(**fields)])
    return await http.put(f"/v1/workouts/{new_id()}", json=body, headers=headers)
