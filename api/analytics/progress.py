"""One exercise's progress: daily best e1RM, training days, best session, plateau, pose."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import repository
from api.analytics.dates import local_today
from api.analytics.schemas import (
    BestSession,
    ExerciseDay,
    ExerciseProgress,
    Plateau,
    PoseWeek,
    ProgressPoint,
)
from api.exercises.tables import Exercise
from api.users.tables import User
from models.analytics.progress import plateau, pose_weeks


async def exercise_progress(
    session: AsyncSession,
    *,
    user: User,
    exercise: Exercise,
    start: date | None,
    end: date | None,
    plateau_weeks: int,
    freshness: dict[str, Any],
) -> ExerciseProgress:
    """The figures of one visible exercise inside ``start``…``end`` (either end open).

    The plateau and the best session are all-time; the points, the training days and
    the pose trend are those inside the range.
    """
    everything = await repository.e1rm_series(
        session, user_id=user.id, exercise_id=exercise.id, start=None, end=None
    )
    days = await repository.exercise_days(session, user_id=user.id, exercise_id=exercise.id)

    def inside(day: date) -> bool:
        return (start is None or day >= start) and (end is None or day <= end)

    best = max(days, key=lambda d: (d.volume_load_kg, -d.day.toordinal()), default=None)
    return ExerciseProgress(
        exercise_id=exercise.id,
        exercise_name=exercise.name,
        items=[
            ProgressPoint.from_row(r, date=r.day, e1rm_brzycki_kg=r.brzycki_kg)
            for r in everything
            if inside(r.day)
        ],
        sessions=[ExerciseDay.from_row(d, date=d.day) for d in days if inside(d.day)],
        best_session=BestSession(date=best.day, volume_load_kg=best.volume_load_kg)
        if best is not None and best.volume_load_kg > 0
        else None,
        plateau=_plateau(everything, days, local_today(user), plateau_weeks),
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
