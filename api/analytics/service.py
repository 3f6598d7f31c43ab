"""Rules for reading analytics: group records, attach freshness."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import markers, repository, views
from api.analytics.schemas import (
    BestE1rm,
    BestSession,
    ExerciseDay,
    ExerciseProgress,
    ExerciseRecords,
    LoadSeries,
    MaxReps,
    MuscleBalance,
    PersonalRecords,
    Plateau,
    PoseWeek,
    ProgressPoint,
    RepMax,
    Summary,
    WeekVolume,
)
from api.db import after_commit
from api.errors import NotFound, Unprocessable
from api.exercises import repository as exercise_repository
from api.users.tables import User
from models.analytics.progress import plateau, pose_weeks


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
    plateau_weeks: int = 6,
) -> ExerciseProgress:
    """Daily best e1RM (Epley, Brzycki, RIR-adjusted, relative strength), every training
    day's volume, the best session, the plateau status and the weekly pose trend of one
    exercise; 404 when the exercise is not visible to the user."""
    exercise = await exercise_repository.get(session, user_id=user.id, exercise_id=exercise_id)
    if exercise is None:
        raise NotFound("exercise not found")
    if start is not None and end is not None and end < start:
        raise Unprocessable("`to` must not be before `from`", code="invalid_range")
    freshness, _ = await _freshness(session, user)
    everything = await repository.e1rm_series(
        session, user_id=user.id, exercise_id=exercise_id, start=None, end=None
    )
    days = await repository.exercise_days(session, user_id=user.id, exercise_id=exercise_id)

    def inside(day: date) -> bool:
        return (start is None or day >= start) and (end is None or day <= end)

    best = max(days, key=lambda d: (d.volume_load_kg, -d.day.toordinal()), default=None)
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
                e1rm_brzycki_kg=r.brzycki_kg,
                e1rm_rir_kg=r.e1rm_rir_kg,
                body_mass_kg=r.body_mass_kg,
                relative_strength=r.relative_strength,
            )
            for r in everything
            if inside(r.day)
        ],
        sessions=[
            ExerciseDay(
                date=d.day,
                sets=d.sets,
                reps=d.reps,
                volume_load_kg=d.volume_load_kg,
                max_reps=d.max_reps,
            )  # fmt: skip
            for d in days
            if inside(d.day)
        ],
        best_session=BestSession(date=best.day, volume_load_kg=best.volume_load_kg)
        if best is not None and best.volume_load_kg > 0
        else None,
        plateau=_plateau(everything, days, views.local_today(user), plateau_weeks),
        pose=_pose([d for d in days if inside(d.day)]),
        **freshness,
    )


def _plateau(series: list[Any], days: list[Any], today: date, weeks: int) -> Plateau | None:
    """No new best e1RM for ``weeks`` weeks while still training (models.analytics.progress)."""
    found = plateau(
        [(r.day, r.e1rm_kg) for r in series], [d.day for d in days], today=today, weeks=weeks
    )
    return Plateau(**asdict(found)) if found is not None else None


def _pose(days: list[Any]) -> list[PoseWeek]:
    """Weekly form-score and rep-discrepancy means (models.analytics.progress)."""
    found = pose_weeks(
        (d.day, d.form_sets, d.mean_form_score, d.detected_sets, d.rep_discrepancy) for d in days
    )
    return [PoseWeek(**asdict(week)) for week in found]


async def load(
    session: AsyncSession, *, user: User, start: date | None, end: date | None
) -> LoadSeries:
    freshness, _ = await _freshness(session, user)
    return await views.load_series(session, user=user, start=start, end=end, freshness=freshness)


async def muscle_balance(session: AsyncSession, *, user: User, weeks: int) -> MuscleBalance:
    freshness, _ = await _freshness(session, user)
    return await views.muscle_balance(session, user=user, weeks=weeks, freshness=freshness)


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
    habits = await views.habits(session, user=user, state=state)
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
                week_start=v.start, volume_load_kg=v.volume_load_kg, sets=v.sets, reps=v.reps
            )
            for v in volumes
        ],
        period=period,
        periods=[views.period_summary(p) for p in latest],
        habits=habits,
        **freshness,
    )
