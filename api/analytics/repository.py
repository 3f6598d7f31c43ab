"""SQL for reading analytics. Every statement filters on the caller's ``user_id``."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import Numeric, exists, func, select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics.tables import (
    AnalyticsDirty,
    AnalyticsState,
    DailyLoad,
    E1rmDaily,
    ExerciseDaily,
    MuscleWeek,
    Period,
    RepMaxPr,
)
from api.exercises.tables import Exercise
from models.vocabulary import E1RM_TIE_DECIMALS


async def is_stale(session: AsyncSession, *, user_id: uuid.UUID) -> bool:
    return await session.get(AnalyticsDirty, user_id) is not None


async def state_and_stale(
    session: AsyncSession, *, user_id: uuid.UUID
) -> tuple[AnalyticsState | None, bool]:
    """The athlete's state row and whether a refresh is owed, read in one statement (one
    snapshot); an athlete never refreshed has no state row and costs a second one."""
    owed = exists().where(AnalyticsDirty.user_id == user_id).label("stale")
    row = (
        await session.execute(select(AnalyticsState, owed).where(AnalyticsState.user_id == user_id))
    ).first()
    if row is None:
        return None, await is_stale(session, user_id=user_id)
    return row[0], bool(row[1])


async def rep_max_prs(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    exercise_id: uuid.UUID | None,
    after: tuple[str, uuid.UUID] | None = None,
    exercises: int | None = None,
) -> list[tuple[RepMaxPr, Exercise]]:
    """The records with their exercise, by ``(name_key, exercise id)``, then kind and reps.

    ``after`` is a keyset ``(name_key, exercise id)``: only exercises past it come.
    ``exercises`` bounds how many exercises (not rows) come; every record of each.
    """
    stmt = (
        select(RepMaxPr, Exercise)
        .join(Exercise, Exercise.id == RepMaxPr.exercise_id)
        .where(RepMaxPr.user_id == user_id)
    )
    if exercise_id is not None:
        stmt = stmt.where(RepMaxPr.exercise_id == exercise_id)
    if after is not None:
        stmt = stmt.where(tuple_(Exercise.name_key, Exercise.id) > tuple_(*after))
    if exercises is not None:
        page = (
            stmt.with_only_columns(Exercise.name_key, Exercise.id)
            .distinct()
            .order_by(Exercise.name_key, Exercise.id)
            .limit(exercises)
            .subquery()
        )
        stmt = stmt.where(RepMaxPr.exercise_id.in_(select(page.c.id)))
    stmt = stmt.order_by(Exercise.name_key, RepMaxPr.exercise_id, RepMaxPr.kind, RepMaxPr.reps)
    return [(p, e) for p, e in (await session.execute(stmt)).all()]


async def best_e1rms(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_ids: Collection[uuid.UUID] | None
) -> dict[uuid.UUID, E1rmDaily]:
    """The all-time best daily e1RM row per exercise (earliest on ties); of every
    exercise when ``exercise_ids`` is None."""
    stmt = (
        select(E1rmDaily)
        .ext(distinct_on(E1rmDaily.exercise_id))
        .where(E1rmDaily.user_id == user_id)
        # the e1RM tie rule (models.vocabulary): equal to 1e-6 kg, the earliest wins
        .order_by(
            E1rmDaily.exercise_id,
            func.round(E1rmDaily.e1rm_kg.cast(Numeric), E1RM_TIE_DECIMALS).desc(),
            E1rmDaily.day,
        )
    )
    if exercise_ids is not None:
        stmt = stmt.where(E1rmDaily.exercise_id.in_(exercise_ids))
    return {row.exercise_id: row for row in (await session.execute(stmt)).scalars()}


async def e1rm_series(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    exercise_id: uuid.UUID,
    start: date | None,
    end: date | None,
) -> list[E1rmDaily]:
    stmt = select(E1rmDaily).where(
        E1rmDaily.user_id == user_id, E1rmDaily.exercise_id == exercise_id
    )
    if start is not None:
        stmt = stmt.where(E1rmDaily.day >= start)
    if end is not None:
        stmt = stmt.where(E1rmDaily.day <= end)
    return list((await session.execute(stmt.order_by(E1rmDaily.day))).scalars())


async def periods(
    session: AsyncSession, *, user_id: uuid.UUID, period: str, count: int
) -> list[Period]:
    """The latest ``count`` weeks or months with a session, oldest first."""
    stmt = (
        select(Period)
        .where(Period.user_id == user_id, Period.period == period)
        .order_by(Period.start.desc())
        .limit(count)
    )
    rows = list((await session.execute(stmt)).scalars())
    return rows[::-1]


async def load_days(
    session: AsyncSession, *, user_id: uuid.UUID, start: date, end: date
) -> list[DailyLoad]:
    stmt = (
        select(DailyLoad)
        .where(DailyLoad.user_id == user_id, DailyLoad.day >= start, DailyLoad.day <= end)
        .order_by(DailyLoad.day)
    )
    return list((await session.execute(stmt)).scalars())


async def load_tail(
    session: AsyncSession, *, user_id: uuid.UUID, before: date, days: int
) -> list[DailyLoad]:
    """The last ``days`` stored load rows dated before ``before``, oldest first."""
    stmt = (
        select(DailyLoad)
        .where(DailyLoad.user_id == user_id, DailyLoad.day < before)
        .order_by(DailyLoad.day.desc())
        .limit(days)
    )
    return list((await session.execute(stmt)).scalars())[::-1]


async def periods_between(
    session: AsyncSession, *, user_id: uuid.UUID, period: str, start: date, end: date
) -> list[Period]:
    stmt = (
        select(Period)
        .where(
            Period.user_id == user_id,
            Period.period == period,
            Period.start >= start,
            Period.start <= end,
        )
        .order_by(Period.start)
    )
    return list((await session.execute(stmt)).scalars())


async def week_starts(session: AsyncSession, *, user_id: uuid.UUID) -> list[date]:
    """Every week with a session (for the streak), newest first."""
    stmt = (
        select(Period.start)
        .where(Period.user_id == user_id, Period.period == "week")
        .order_by(Period.start.desc())
    )
    return list((await session.execute(stmt)).scalars())


async def muscle_weeks(
    session: AsyncSession, *, user_id: uuid.UUID, start: date
) -> list[MuscleWeek]:
    stmt = (
        select(MuscleWeek)
        .where(MuscleWeek.user_id == user_id, MuscleWeek.week_start >= start)
        .order_by(MuscleWeek.week_start, MuscleWeek.muscle)
    )
    return list((await session.execute(stmt)).scalars())


async def exercise_days(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_id: uuid.UUID
) -> list[ExerciseDaily]:
    stmt = (
        select(ExerciseDaily)
        .where(ExerciseDaily.user_id == user_id, ExerciseDaily.exercise_id == exercise_id)
        .order_by(ExerciseDaily.day)
    )
    return list((await session.execute(stmt)).scalars())
