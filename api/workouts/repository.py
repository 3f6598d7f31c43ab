"""SQL for workouts. Every read starts from :func:`owned_by` (the user's live workouts)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, func, insert, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.cardio.tables import CardioSession
from api.db import one_or_none
from api.exercises.tables import Exercise
from api.workouts.tables import Workout, WorkoutSet


def owned_by(user_id: uuid.UUID) -> Select[Workout]:
    """The user's workouts that are not deleted."""
    return select(Workout).where(Workout.user_id == user_id, Workout.deleted_at.is_(None))


async def get(
    session: AsyncSession, *, user_id: uuid.UUID, workout_id: uuid.UUID
) -> Workout | None:
    """The user's live workout with this id, or None when there is none."""
    return await one_or_none(session, owned_by(user_id).where(Workout.id == workout_id))


_SUMMARY = (
    Workout.id, Workout.started_at, Workout.ended_at, Workout.time_zone, Workout.title,
    Workout.notes, Workout.session_rpe, Workout.source, Workout.import_job_id,
    Workout.change_seq, Workout.deleted_at, Workout.created_at, Workout.updated_at,
)  # fmt: skip
_SET_COUNT = (
    select(func.count())
    .where(WorkoutSet.workout_id == Workout.id)
    .correlate(Workout)
    .scalar_subquery()
    .label("set_count")
)


async def page(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None,
) -> list[Row[Any]]:
    """Newest first; ``before`` is the keyset (started_at, id) of the last row seen.

    Rows (not ORM objects) of the summary columns and ``set_count``, in one query: the
    count is an index-only scan of ``ix_workout_sets_workout_position`` per workout.
    """
    stmt = select(*_SUMMARY, _SET_COUNT).where(
        Workout.user_id == user_id, Workout.deleted_at.is_(None)
    )
    if start is not None:
        stmt = stmt.where(Workout.started_at >= start)
    if end is not None:
        stmt = stmt.where(Workout.started_at < end)
    if before is not None:
        stmt = stmt.where(tuple_(Workout.started_at, Workout.id) < tuple_(*before))
    stmt = stmt.order_by(Workout.started_at.desc(), Workout.id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())


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


async def get_any_for_update(session: AsyncSession, *, workout_id: uuid.UUID) -> Workout | None:
    """The workout with this id, whoever owns it, deleted or not, locked for the write."""
    stmt = select(Workout).where(Workout.id == workout_id).with_for_update()
    return await one_or_none(session, stmt)


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


async def exercises_to_store(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Those of ``exercise_ids`` the user may log → (the id to store, its display name).

    A custom exercise merged into another maps to its target and the target's name.
    """
    if not exercise_ids:
        return {}
    rows = await session.execute(
        text(
            "SELECT e.id, coalesce(t.id, e.id), coalesce(t.name, e.name) FROM exercises e "
            "LEFT JOIN exercises t ON t.id = e.merged_into_id "
            "WHERE e.id = ANY(CAST(:ids AS uuid[])) AND (e.user_id IS NULL OR e.user_id = :u)"
        ),
        {"ids": list(exercise_ids), "u": user_id},
    )
    return {ex_id: (target, name) for ex_id, target, name in rows.all()}


_CREATE = text(
    """
    INSERT INTO workouts (id, user_id, started_at, ended_at, time_zone, title, notes,
                          session_rpe, source, change_seq)
    VALUES (:id, :user_id, :started_at, :ended_at, :time_zone, :title, :notes,
            :session_rpe, 'api', :change_seq)
    ON CONFLICT (id) DO NOTHING
    RETURNING created_at, updated_at
    """
)


async def create_if_absent(
    session: AsyncSession, *, values: dict[str, object]
) -> tuple[datetime, datetime] | None:
    """Insert the workout unless its id exists (anyone's, deleted or not): its
    (created_at, updated_at), or None when the id was taken."""
    row = (await session.execute(_CREATE, values)).first()
    return None if row is None else (row[0], row[1])


SET_COLUMNS = (
    "id", "exercise_id", "position", "set_type", "weight_kg", "reps", "duration_s",
    "distance_m", "rpe", "rir", "weight_unit", "distance_unit", "detected_reps",
    "form_score", "tempo", "notes",
)  # fmt: skip
_SET_TYPES = (
    "uuid", "uuid", "integer", "text", "float8", "integer", "float8", "float8", "float8",
    "float8", "text", "text", "smallint", "float8", "text", "text",
)  # fmt: skip
_INSERT_SETS = text(
    f"INSERT INTO workout_sets (workout_id, user_id, {', '.join(SET_COLUMNS)}) "
    f"SELECT :workout_id, :user_id, * FROM unnest("
    + ", ".join(f"CAST(:{c} AS {t}[])" for c, t in zip(SET_COLUMNS, _SET_TYPES, strict=True))
    + ")"
)


async def insert_sets(
    session: AsyncSession,
    *,
    workout_id: uuid.UUID,
    user_id: uuid.UUID,
    rows: list[dict[str, object]],
) -> None:
    """Insert a workout's sets in one statement (one array per column, unnested)."""
    if not rows:
        return
    params: dict[str, object] = {c: [r[c] for r in rows] for c in SET_COLUMNS}
    await session.execute(_INSERT_SETS, {**params, "workout_id": workout_id, "user_id": user_id})
