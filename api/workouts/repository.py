"""SQL for workouts. Every read starts from :func:`owned_by` (the user's live workouts)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.exercises.tables import Exercise
from api.workouts.tables import Workout, WorkoutSet


def owned_by(user_id: uuid.UUID) -> Select[Workout]:
    """The user's workouts that are not deleted."""
    return select(Workout).where(Workout.user_id == user_id, Workout.deleted_at.is_(None))


async def page(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None,
) -> list[Workout]:
    """Newest first; ``before`` is the keyset (started_at, id) of the last row seen."""
    stmt = owned_by(user_id)
    if start is not None:
        stmt = stmt.where(Workout.started_at >= start)
    if end is not None:
        stmt = stmt.where(Workout.started_at < end)
    if before is not None:
        stmt = stmt.where(tuple_(Workout.started_at, Workout.id) < tuple_(*before))
    stmt = stmt.order_by(Workout.started_at.desc(), Workout.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def get(
    session: AsyncSession, *, user_id: uuid.UUID, workout_id: uuid.UUID
) -> Workout | None:
    stmt = owned_by(user_id).where(Workout.id == workout_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def sets_of(
    session: AsyncSession, *, workout_id: uuid.UUID
) -> list[tuple[WorkoutSet, Exercise]]:
    stmt = (
        select(WorkoutSet, Exercise)
        .join(Exercise, Exercise.id == WorkoutSet.exercise_id)
        .where(WorkoutSet.workout_id == workout_id)
        .order_by(WorkoutSet.position)
    )
    return [(s, e) for s, e in (await session.execute(stmt)).all()]


async def set_counts(
    session: AsyncSession, *, workout_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not workout_ids:
        return {}
    stmt = (
        select(WorkoutSet.workout_id, func.count())
        .where(WorkoutSet.workout_id.in_(workout_ids))
        .group_by(WorkoutSet.workout_id)
    )
    return {wid: n for wid, n in (await session.execute(stmt)).all()}
