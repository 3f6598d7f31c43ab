"""SQL for exercises.

Every read starts from :func:`visible_to` (the catalogue + the user's own) or
:func:`owned_by` (the user's own); statements on sets and workouts are scoped to
the user the same way, so a custom exercise id of someone else never matches. The
one read across users, :func:`catalogue_popularity`, counts athletes per catalogue
exercise and nothing about custom ones.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, Select, func, insert, literal_column, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import one_or_none
from api.exercises.tables import Exercise
from api.workouts import repository as workout_repository
from api.workouts.tables import Workout, WorkoutSet
from models.vocabulary import local_day_sql


def visible_to(user_id: uuid.UUID) -> Select[Exercise]:
    """The catalogue plus this user's custom exercises (merged ones included)."""
    return select(Exercise).where(or_(Exercise.user_id.is_(None), Exercise.user_id == user_id))


async def get(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_id: uuid.UUID
) -> Exercise | None:
    """One exercise of the catalogue or the user's own, merged or not."""
    return await one_or_none(session, visible_to(user_id).where(Exercise.id == exercise_id))


def owned_by(user_id: uuid.UUID) -> Select[Exercise]:
    """This user's custom exercises (merged ones included)."""
    return select(Exercise).where(Exercise.user_id == user_id)


async def by_name(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    limit: int,
    after: tuple[str, uuid.UUID] | None,
) -> list[Exercise]:
    """A page of the visible exercises by ``(name_key, id)``, after ``after``.

    Merged exercises are left out: their sets live on under the exercise they point to.
    """
    stmt = visible_to(user_id).where(Exercise.merged_into_id.is_(None))
    if after is not None:
        stmt = stmt.where(tuple_(Exercise.name_key, Exercise.id) > tuple_(*after))
    stmt = stmt.order_by(Exercise.name_key, Exercise.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def searchable(
    session: AsyncSession, *, user_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID | None, str, str, list[str]]]:
    """``(id, user_id, name, name_key, aliases)`` of every unmerged exercise visible to the user.

    Searching folds accents, which PostgreSQL cannot do without ``unaccent``, so the
    matching is done in Python (:mod:`api.exercises.search`) over these few hundred rows.
    """
    stmt = (
        visible_to(user_id)
        .where(Exercise.merged_into_id.is_(None))
        .with_only_columns(
            Exercise.id, Exercise.user_id, Exercise.name, Exercise.name_key, Exercise.aliases
        )
    )
    return [(i, u, n, k, list(a or [])) for i, u, n, k, a in (await session.execute(stmt)).all()]


async def by_ids(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Exercise]:
    """The visible exercises among ``exercise_ids``, by id."""
    stmt = visible_to(user_id).where(Exercise.id.in_(exercise_ids))
    return {e.id: e for e in (await session.execute(stmt)).scalars()}


async def catalogue_popularity(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Catalogue exercise id → how many athletes have sets of it (deleted workouts' too).

    Only catalogue exercises are counted: a custom exercise is its owner's alone, and
    nobody else's search may learn anything about it. The distinct ``(user_id,
    exercise_id)`` pairs come from an index-only scan of ``ix_workout_sets_user_exercise``;
    leaving the workouts out (and with them the deleted flag) keeps it that cheap.
    """
    pairs = select(WorkoutSet.user_id, WorkoutSet.exercise_id).distinct().subquery()
    stmt = (
        select(pairs.c.exercise_id, func.count())
        .join(Exercise, Exercise.id == pairs.c.exercise_id)
        .where(Exercise.user_id.is_(None))
        .group_by(pairs.c.exercise_id)
    )
    return {i: int(n) for i, n in (await session.execute(stmt)).all()}


async def trained_by(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``exercise_ids`` the user has sets of (deleted workouts' too)."""
    if not exercise_ids:
        return set()
    stmt = (
        select(WorkoutSet.exercise_id)
        .where(WorkoutSet.user_id == user_id, WorkoutSet.exercise_id.in_(exercise_ids))
        .distinct()
    )
    return set((await session.execute(stmt)).scalars())


async def lock_visible(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Exercise]:
    """Lock these exercises' rows and return the visible ones, freshly read.

    ``FOR NO KEY UPDATE``, in id order so two requests never deadlock, and weak enough
    not to block (or be blocked by) the key-share locks of sets being inserted.
    """
    stmt = (
        visible_to(user_id)
        .where(Exercise.id.in_(exercise_ids))
        .order_by(Exercise.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return {e.id: e for e in (await session.execute(stmt)).scalars()}


async def names(
    session: AsyncSession, *, user_id: uuid.UUID
) -> list[tuple[uuid.UUID, str, str, list[str]]]:
    """``(id, name, name_key, aliases)`` of every exercise visible to the user.

    Aliases are stored as written, so matching them needs :func:`match_key` in Python;
    the catalogue is a few hundred rows, read only when a name is written.
    """
    stmt = visible_to(user_id).with_only_columns(
        Exercise.id, Exercise.name, Exercise.name_key, Exercise.aliases
    )
    return [(i, n, k, list(a or [])) for i, n, k, a in (await session.execute(stmt)).all()]


async def insert_custom(session: AsyncSession, *, values: dict[str, object]) -> bool:
    """Insert a custom exercise; False when the user already has its ``name_key``
    (a concurrent create won the unique index)."""
    try:
        async with session.begin_nested():
            await session.execute(insert(Exercise).values(**values))
    except IntegrityError:
        return False
    return True


async def flush_rename(session: AsyncSession) -> bool:
    """Flush pending changes; False when a rename hit the user's unique ``name_key``."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        return False
    return True


def _sets_of(user_id: uuid.UUID, exercise_id: uuid.UUID) -> Select[uuid.UUID]:
    return select(WorkoutSet.workout_id).where(
        WorkoutSet.user_id == user_id, WorkoutSet.exercise_id == exercise_id
    )


async def first_local_day(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_id: uuid.UUID
) -> date | None:
    """The earliest local day of the user's live workouts with sets of the exercise."""
    local_day = literal_column(local_day_sql("workouts.started_at", "workouts.time_zone"), Date)
    stmt = (
        workout_repository.owned_by(user_id)
        .where(Workout.id.in_(_sets_of(user_id, exercise_id)))
        .with_only_columns(func.min(local_day))
    )
    return (await session.execute(stmt)).scalar_one()


async def count_sets(session: AsyncSession, *, user_id: uuid.UUID, exercise_id: uuid.UUID) -> int:
    """How many of the user's sets (deleted workouts' included) use the exercise."""
    stmt = select(func.count()).select_from(_sets_of(user_id, exercise_id).subquery())
    return int((await session.execute(stmt)).scalar_one())


async def merged_from(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_id: uuid.UUID
) -> list[uuid.UUID]:
    """Ids of the user's exercises that were merged into this one."""
    stmt = (
        owned_by(user_id)
        .where(Exercise.merged_into_id == exercise_id)
        .with_only_columns(Exercise.id)
        .order_by(Exercise.id)
    )
    return list((await session.execute(stmt)).scalars())


async def stamp_workouts_with_sets(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_id: uuid.UUID, change_seq: int
) -> list[uuid.UUID]:
    """Give every workout holding sets of the exercise (deleted ones too) ``change_seq``."""
    stmt = (
        update(Workout)
        .where(Workout.user_id == user_id, Workout.id.in_(_sets_of(user_id, exercise_id)))
        .values(change_seq=change_seq)
        .returning(Workout.id)
    )
    return list((await session.execute(stmt)).scalars())


async def move_sets(
    session: AsyncSession, *, user_id: uuid.UUID, source_id: uuid.UUID, target_id: uuid.UUID
) -> int:
    """Point all the user's sets of ``source_id`` at ``target_id`` (one UPDATE); the count."""
    stmt = (
        update(WorkoutSet)
        .where(WorkoutSet.user_id == user_id, WorkoutSet.exercise_id == source_id)
        .values(exercise_id=target_id)
    )
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


async def mark_merged(
    session: AsyncSession, *, user_id: uuid.UUID, source_id: uuid.UUID, target_id: uuid.UUID
) -> None:
    """Point the source, and whatever was merged into it before, at the target.

    Re-pointing the earlier merges keeps every redirect one hop long.
    """
    stmt = (
        update(Exercise)
        .where(
            Exercise.user_id == user_id,
            or_(Exercise.id == source_id, Exercise.merged_into_id == source_id),
        )
        .values(merged_into_id=target_id, updated_at=func.now())
        .execution_options(synchronize_session="fetch")
    )
    await session.execute(stmt)


async def delete(session: AsyncSession, *, exercise: Exercise) -> bool:
    """Delete a custom exercise row; False when a foreign key still points at it."""
    try:
        async with session.begin_nested():
            await session.delete(exercise)
            await session.flush()
    except IntegrityError:
        return False
    return True
