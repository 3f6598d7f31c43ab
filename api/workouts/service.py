"""Rules for reading workouts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import NotFound, Unprocessable
from api.pagination import encode_cursor, read_cursor, split_page
from api.users.tables import User
from api.workouts import repository
from api.workouts.schemas import CardioRead, SetRead, WorkoutPage, WorkoutRead, WorkoutSummary
from api.workouts.sync import etag
from api.workouts.tables import Workout


def summary_fields(w: Any, set_count: int) -> dict[str, object]:
    """The summary fields of a workout row or ORM object."""
    return {
        "id": w.id,
        "started_at": w.started_at,
        "ended_at": w.ended_at,
        "time_zone": w.time_zone,
        "title": w.title,
        "notes": w.notes,
        "session_rpe": w.session_rpe,
        "source": w.source,
        "import_job_id": w.import_job_id,
        "set_count": set_count,
        "created_at": w.created_at,
        "updated_at": w.updated_at,
        "etag": etag(w.change_seq, w.id),
        "deleted_at": w.deleted_at,
    }


def _aware(moment: datetime | None, time_zone: str) -> datetime | None:
    """A bound without an offset is read in the user's own time zone."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo(time_zone))


async def list_workouts(
    session: AsyncSession,
    *,
    user: User,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    cursor: str | None,
) -> WorkoutPage:
    """A page of the user's workouts, newest first, started in [start, end)."""
    start, end = _aware(start, user.time_zone), _aware(end, user.time_zone)
    if start is not None and end is not None and end <= start:
        raise Unprocessable("`to` must be after `from`", code="invalid_range")
    before = read_cursor(
        cursor,
        size=2,
        parse=lambda at, id_: (datetime.fromisoformat(str(at)), uuid.UUID(str(id_))),
    )
    rows, more = split_page(
        await repository.page(
            session, user_id=user.id, start=start, end=end, limit=limit + 1, before=before
        ),
        limit,
    )
    items = [WorkoutSummary.model_validate(summary_fields(w, w.set_count)) for w in rows]
    next_cursor = (
        encode_cursor([rows[-1].started_at.isoformat(), str(rows[-1].id)]) if more else None
    )
    return WorkoutPage(items=items, next_cursor=next_cursor)


async def get_workout(session: AsyncSession, *, user: User, workout_id: uuid.UUID) -> WorkoutRead:
    """One of the user's workouts with its sets; 404 for anyone else's."""
    workout = await repository.get(session, user_id=user.id, workout_id=workout_id)
    if workout is None:
        raise NotFound("workout not found")
    return await read_model(session, workout)


async def read_model(session: AsyncSession, workout: Workout) -> WorkoutRead:
    """The API view of a workout row with its sets (a tombstone has none)."""
    rows = [] if workout.deleted_at else await repository.sets_of(session, workout_id=workout.id)
    sets = [
        SetRead.model_validate(
            {
                **{c: getattr(s, c) for c in SetRead.model_fields if c != "exercise_name"},
                "exercise_name": e.name,
            }
        )
        for s, e in rows
    ]
    cardio = None if workout.deleted_at else await repository.cardio_of(session, workout.id)
    return WorkoutRead.model_validate(
        {
            **summary_fields(workout, len(sets)),
            "sets": sets,
            "cardio": CardioRead.model_validate(cardio) if cardio is not None else None,
        }
    )
