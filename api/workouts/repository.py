"""SQL for workouts. Every read starts from :func:`owned_by` (the user's live workouts)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Select, delete, func, insert, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.cardio.tables import CardioSession
from api.exercises.tables import Exercise
from api.workouts import sync
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


async def bump_sync_seq(session: AsyncSession, *, user_id: uuid.UUID) -> int:
    """The user's next change number; holds the user's write lock until commit."""
    return (await session.execute(sync.bump_sync_seq(user_id))).scalar_one()


async def get_any_for_update(session: AsyncSession, *, workout_id: uuid.UUID) -> Workout | None:
    """The workout with this id, whoever owns it, deleted or not, locked for the write."""
    stmt = select(Workout).where(Workout.id == workout_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def usable_exercise_ids(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_ids: set[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Those of ``exercise_ids`` the user may log, each mapped to the id to store.

    A custom exercise merged into another maps to its target, so a phone that logged
    against it offline keeps working after the merge.
    """
    if not exercise_ids:
        return {}
    stmt = select(Exercise.id, Exercise.merged_into_id).where(
        Exercise.id.in_(exercise_ids),
        or_(Exercise.user_id.is_(None), Exercise.user_id == user_id),
    )
    return {ex_id: merged or ex_id for ex_id, merged in (await session.execute(stmt)).all()}


async def replace_sets(
    session: AsyncSession, *, workout: Workout, rows: list[dict[str, object]]
) -> None:
    await session.execute(delete(WorkoutSet).where(WorkoutSet.workout_id == workout.id))
    if rows:
        await session.execute(
            insert(WorkoutSet),
            [{**row, "workout_id": workout.id, "user_id": workout.user_id} for row in rows],
        )


async def changes_since(
    session: AsyncSession, *, user_id: uuid.UUID, after: tuple[int, uuid.UUID], limit: int
) -> list[Workout]:
    """The user's workouts, deleted ones included, changed after the keyset ``after``."""
    stmt = (
        select(Workout)
        .where(
            Workout.user_id == user_id,
            tuple_(Workout.change_seq, Workout.id) > tuple_(*after),
        )
        .order_by(Workout.change_seq, Workout.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def day_of(session: AsyncSession, *, started_at: datetime, time_zone: str) -> date:
    """The local calendar day of an instant in a zone, as PostgreSQL computes it."""
    stmt = select(func.date(func.timezone(time_zone, started_at)))
    return (await session.execute(stmt)).scalar_one()


async def sets_of_many(
    session: AsyncSession, *, workout_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[WorkoutSet, str]]]:
    """Sets of several workouts in one query: workout id → [(set, exercise name)] in order."""
    if not workout_ids:
        return {}
    stmt = (
        select(WorkoutSet, Exercise.name)
        .join(Exercise, Exercise.id == WorkoutSet.exercise_id)
        .where(WorkoutSet.workout_id.in_(workout_ids))
        .order_by(WorkoutSet.workout_id, WorkoutSet.position)
    )
    out: dict[uuid.UUID, list[tuple[WorkoutSet, str]]] = {}
    for s, name in (await session.execute(stmt)).all():
        out.setdefault(s.workout_id, []).append((s, name))
    return out


async def imported_for_update(
    session: AsyncSession, *, user_id: uuid.UUID, job_id: uuid.UUID
) -> list[Workout]:
    """The user's live workouts created by one import, locked for the write."""
    stmt = (
        owned_by(user_id)
        .where(Workout.import_job_id == job_id)
        .order_by(Workout.started_at)
        .with_for_update()
    )
    return list((await session.execute(stmt)).scalars())


async def cardio_of(session: AsyncSession, workout_id: uuid.UUID) -> CardioSession | None:
    return await session.get(CardioSession, workout_id)
