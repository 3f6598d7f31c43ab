"""What each analytics read answers: freshness first, then the figures.

Records and summaries are assembled here; the load series, the muscle balance and one
exercise's progress in :mod:`~api.analytics.load_series`, :mod:`~api.analytics.balance` and
:mod:`~api.analytics.progress`. Writes owe a refresh through :func:`mark_stale`.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import balance, load_series, markers, progress, repository
from api.analytics.dates import check_range, local_today
from api.analytics.schemas import (
    BestE1rm,
    ExerciseProgress,
    ExerciseRecords,
    Habits,
    LoadSeries,
    MaxReps,
    MuscleBalance,
    PeriodSummary,
    PersonalRecords,
    RepMax,
    Summary,
    WeekVolume,
)
from api.analytics.tables import AnalyticsState, Period
from api.db import after_commit
from api.errors import NotFound
from api.exercises import repository as exercise_repository
from api.pagination import cursor_uuid, decode_cursor, encode_cursor
from api.users.tables import User
from models.analytics.habits import habits


async def mark_stale(session: AsyncSession, *, user_id: uuid.UUID, since_day: date) -> None:
    """Owe the user a refresh from ``since_day`` (same transaction) and ask for it after commit.

    The request names no athlete: a refresh takes every marked one, so requests from
    many writes coalesce into one queued message (:mod:`api.pending`).
    """
    await session.execute(markers.mark_stale(user_id, since_day))
    after_commit(session, "analytics.refresh")


async def _freshness(session: AsyncSession, user: User) -> tuple[dict[str, Any], Any]:
    """Freshness read BEFORE the figures, and the state row it came from.

    Each statement sees the latest commits, and a refresh swaps the figures, the state
    and the marker in one commit. Reading the marker and the state in one statement,
    then the figures, means a refresh landing in between can only make the figures newer
    than `as_of` says, never older than a `stale: false` promises.
    """
    state, stale = await repository.state_and_stale(session, user_id=user.id)
    return {"as_of": state.as_of if state else None, "stale": stale}, state


async def personal_records(
    session: AsyncSession,
    *,
    user: User,
    exercise_id: uuid.UUID | None,
    limit: int | None = None,
    cursor: str | None = None,
) -> PersonalRecords:
    """Rep-max PRs, max-reps records and the best e1RM, per exercise, by exercise name.

    A page holds ``limit`` exercises (every one when None) after the ``cursor``'s keyset
    ``(name_key, exercise id)``, so records or exercises added meanwhile never shift a
    later page; 422 ``invalid_cursor`` for a cursor not of the shape Forma makes.
    """
    after = None
    if cursor:
        name_key, raw_id = decode_cursor(cursor, size=2)
        after = (str(name_key), cursor_uuid(raw_id))
    freshness, _ = await _freshness(session, user)
    prs = await repository.rep_max_prs(
        session,
        user_id=user.id,
        exercise_id=exercise_id,
        after=after,
        exercises=None if limit is None else limit + 1,
    )
    exercises = {exercise.id: exercise for _, exercise in prs}
    best = (
        await repository.best_e1rms(session, user_id=user.id, exercise_ids=list(exercises))
        if exercises
        else {}
    )
    items: dict[uuid.UUID, ExerciseRecords] = {}
    for pr, exercise in prs:
        entry = items.get(exercise.id)
        if entry is None:
            b = best.get(exercise.id)
            entry = items[exercise.id] = ExerciseRecords(
                exercise_id=exercise.id,
                exercise_name=exercise.name,
                best_e1rm=BestE1rm.from_row(b, achieved_on=b.day) if b else None,
                rep_maxes=[],
                max_reps=None,
            )
        if pr.kind == "rep_max" and pr.weight_kg is not None:
            entry.rep_maxes.append(RepMax.from_row(pr))
        elif pr.kind == "max_reps":
            entry.max_reps = MaxReps.from_row(pr)
    page = list(items.values())
    next_cursor = None
    if limit is not None and len(page) > limit:
        page = page[:limit]
        last = exercises[page[-1].exercise_id]
        next_cursor = encode_cursor([last.name_key, str(last.id)])
    return PersonalRecords(items=page, next_cursor=next_cursor, **freshness)


async def exercise_progress(
    session: AsyncSession,
    *,
    user: User,
    exercise_id: uuid.UUID,
    start: date | None,
    end: date | None,
    plateau_weeks: int = 6,
) -> ExerciseProgress:
    """Daily best e1RM (Epley, Brzycki, RIR-adjusted, relative strength), every training
    day's volume, the best session, the plateau status and the weekly pose trend of one
    exercise; 404 when the exercise is not visible to the user, 422 ``invalid_range`` /
    ``range_too_long`` for a refused range (:func:`api.analytics.dates.check_range`)."""
    exercise = await exercise_repository.get(session, user_id=user.id, exercise_id=exercise_id)
    if exercise is None:
        raise NotFound("exercise not found")
    if start is not None:
        # An open `to` counts as today for the length, as in /load (a `from` after today
        # is a one-day range, empty as before); an open `from` is the whole history,
        # which is what every client reads by default.
        check_range(start, end if end is not None else max(local_today(user), start))
    freshness, _ = await _freshness(session, user)
    return await progress.exercise_progress(
        session,
        user=user,
        exercise=exercise,
        start=start,
        end=end,
        plateau_weeks=plateau_weeks,
        freshness=freshness,
    )


async def load(
    session: AsyncSession, *, user: User, start: date | None, end: date | None
) -> LoadSeries:
    """The daily load series (:func:`api.analytics.load_series.load_series`)."""
    freshness, _ = await _freshness(session, user)
    return await load_series.load_series(
        session, user=user, start=start, end=end, freshness=freshness
    )


async def muscle_balance(session: AsyncSession, *, user: User, weeks: int) -> MuscleBalance:
    """The muscle balance of the last ``weeks`` ISO weeks (:mod:`api.analytics.balance`)."""
    freshness, _ = await _freshness(session, user)
    return await balance.muscle_balance(session, user=user, weeks=weeks, freshness=freshness)


async def summary(
    session: AsyncSession, *, user: User, weeks: int, period: str = "week", count: int = 12
) -> Summary:
    """Totals, the latest weekly volumes, the latest week or month summaries, habits."""
    freshness, state = await _freshness(session, user)
    if period == "week":  # the usual call: one read serves both lists
        both = await repository.periods(
            session, user_id=user.id, period="week", count=max(weeks, count)
        )
        volumes, latest = both[-weeks:], both[-count:]
    else:
        volumes = await repository.periods(session, user_id=user.id, period="week", count=weeks)
        latest = await repository.periods(session, user_id=user.id, period=period, count=count)
    found_habits = await _habits(session, user=user, state=state)
    totals = {
        "workouts": state.workouts if state else 0,
        "sets": state.sets if state else 0,
        "working_sets": state.working_sets if state else 0,
        "reps": state.reps if state else 0,
        "volume_load_kg": state.volume_load_kg if state else 0.0,
        "exercises": state.exercises if state else 0,
        "personal_records": state.personal_records if state else 0,
        "first_workout_on": state.first_workout_on if state else None,
        "last_workout_on": state.last_workout_on if state else None,
    }
    return Summary(
        **totals,
        weekly_volume=[WeekVolume.from_row(v, week_start=v.start) for v in volumes],
        period=period,
        periods=[_period_summary(p) for p in latest],
        habits=found_habits,
        **freshness,
    )


async def _habits(session: AsyncSession, *, user: User, state: AnalyticsState | None) -> Habits:
    """Streak (DESIGN §5: consecutive ISO weeks with a workout up to this one; this week,
    while still empty, does not break it), sessions per week, usual days and hours."""
    found = habits(
        workouts=state.workouts if state else 0,
        first_workout_on=state.first_workout_on if state else None,
        weekday_counts=state.weekday_counts if state else [],
        hour_counts=state.hour_counts if state else [],
        week_starts=await repository.week_starts(session, user_id=user.id),
        today=local_today(user),
    )
    return Habits(**asdict(found))


def _period_summary(row: Period) -> PeriodSummary:
    """A stored week or month with its last day; monotony and strain for weeks only."""
    if row.period == "week":
        end = row.start + timedelta(days=6)
    else:
        end = row.start.replace(day=calendar.monthrange(row.start.year, row.start.month)[1])
    weekly = row.period == "week"
    return PeriodSummary.from_row(
        row,
        end=end,
        monotony=row.monotony if weekly else None,
        strain=row.strain if weekly else None,
    )
