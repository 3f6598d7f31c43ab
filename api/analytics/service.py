"""Rules for reading analytics: group records, attach freshness."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import markers, repository
from api.analytics.schemas import (
    BestE1rm,
    ExerciseProgress,
    ExerciseRecords,
    MaxReps,
    PersonalRecords,
    ProgressPoint,
    RepMax,
    Summary,
    WeekVolume,
)
from api.db import after_commit
from api.errors import NotFound, Unprocessable
from api.exercises import repository as exercise_repository
from api.users.tables import User


async def mark_stale(session: AsyncSession, *, user_id: uuid.UUID, since_day: date) -> None:
    """Owe the user a refresh from ``since_day`` (same transaction) and ask for it after commit."""
    await session.execute(markers.mark_stale(user_id, since_day))
    after_commit(session, "analytics.refresh_user", str(user_id))


async def _freshness(session: AsyncSession, user: User) -> tuple[dict[str, Any], Any]:
    """Freshness read BEFORE the figures, and the state row it came from.

    Each statement sees the latest commits, and a refresh swaps the figures, the state
    and the marker in one commit. Reading the marker first, then the state, then the
    figures means a refresh landing in between can only make the figures newer than
    `as_of` says, never older than a `stale: false` promises.
    """
    stale = await repository.is_stale(session, user_id=user.id)
    state = await repository.state(session, user_id=user.id)
    return {"as_of": state.as_of if state else None, "stale": stale}, state


async def personal_records(
    session: AsyncSession, *, user: User, exercise_id: uuid.UUID | None
) -> PersonalRecords:
    """Rep-max PRs, max-reps records and the best e1RM, per exercise."""
    freshness, _ = await _freshness(session, user)
    prs = await repository.rep_max_prs(session, user_id=user.id, exercise_id=exercise_id)
    best = await repository.best_e1rms(session, user_id=user.id, exercise_id=exercise_id)
    items: dict[uuid.UUID, ExerciseRecords] = {}
    for pr, exercise in prs:
        entry = items.get(exercise.id)
        if entry is None:
            b = best.get(exercise.id)
            entry = items[exercise.id] = ExerciseRecords(
                exercise_id=exercise.id,
                exercise_name=exercise.name,
                best_e1rm=BestE1rm(
                    e1rm_kg=b.e1rm_kg,
                    weight_kg=b.weight_kg,
                    reps=b.reps,
                    achieved_on=b.day,
                    set_id=b.set_id,
                )
                if b
                else None,
                rep_maxes=[],
                max_reps=None,
            )
        if pr.kind == "rep_max" and pr.weight_kg is not None:
            entry.rep_maxes.append(
                RepMax(
                    reps=pr.reps,
                    weight_kg=pr.weight_kg,
                    achieved_on=pr.achieved_on,
                    achieved_at=pr.achieved_at,
                    set_id=pr.set_id,
                    workout_id=pr.workout_id,
                )
            )
        elif pr.kind == "max_reps":
            entry.max_reps = MaxReps(
                reps=pr.reps,
                weight_kg=pr.weight_kg,
                achieved_on=pr.achieved_on,
                set_id=pr.set_id,
                workout_id=pr.workout_id,
            )
    return PersonalRecords(items=list(items.values()), **freshness)


async def exercise_progress(
    session: AsyncSession,
    *,
    user: User,
    exercise_id: uuid.UUID,
    start: date | None,
    end: date | None,
) -> ExerciseProgress:
    """Daily best e1RM for one exercise; 404 when the exercise is not visible to the user."""
    exercise = await exercise_repository.get(session, user_id=user.id, exercise_id=exercise_id)
    if exercise is None:
        raise NotFound("exercise not found")
    if start is not None and end is not None and end < start:
        raise Unprocessable("`to` must not be before `from`", code="invalid_range")
    freshness, _ = await _freshness(session, user)
    rows = await repository.e1rm_series(
        session, user_id=user.id, exercise_id=exercise_id, start=start, end=end
    )
    return ExerciseProgress(
        exercise_id=exercise.id,
        exercise_name=exercise.name,
        items=[
            ProgressPoint(
                date=r.day,
                e1rm_kg=r.e1rm_kg,
                weight_kg=r.weight_kg,
                reps=r.reps,
                set_id=r.set_id,
                workout_id=r.workout_id,
            )
            for r in rows
        ],
        **freshness,
    )


async def summary(session: AsyncSession, *, user: User, weeks: int) -> Summary:
    """Totals, the latest weekly volumes and freshness."""
    freshness, state = await _freshness(session, user)
    volumes = await repository.weekly_volume(session, user_id=user.id, weeks=weeks)
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
        weekly_volume=[
            WeekVolume(
                week_start=v.week_start, volume_load_kg=v.volume_load_kg, sets=v.sets, reps=v.reps
            )
            for v in volumes
        ],
        **freshness,
    )
