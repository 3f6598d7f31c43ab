"""One exercise's progress: daily best e1RM, training days, best session, plateau, pose."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import repository
from api.analytics.dates import local_today, monday
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
from models.progress import plateaus


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
    """No new best e1RM for ``weeks`` weeks while still training (models.progress)."""
    if not series:
        return None
    frame = pd.DataFrame(
        {"exercise_id": "x", "day": [r.day for r in series], "e1rm_kg": [r.e1rm_kg for r in series]}
    )
    found = plateaus(frame, today=today, weeks=weeks)
    best = max(series, key=lambda r: (r.e1rm_kg, -r.day.toordinal()))
    running, best_on = -1.0, series[0].day
    for r in series:  # one row per training day of one exercise
        if r.e1rm_kg > running:
            running, best_on = r.e1rm_kg, r.day
    since = sum(1 for d in days if d.day > best_on)
    return Plateau(
        plateaued=not found.empty,
        best_e1rm_kg=best.e1rm_kg,
        best_on=best_on,
        weeks_without_gain=(today - best_on).days / 7,
        sessions_since=since,
    )


def _pose(days: list[Any]) -> list[PoseWeek]:
    """Weekly form-score and rep-discrepancy means, weighted by the sets behind them."""
    weeks: dict[date, list[float]] = {}
    for d in days:
        if not d.form_sets and not d.detected_sets:
            continue
        w = weeks.setdefault(monday(d.day), [0, 0.0, 0, 0.0])
        w[0] += d.form_sets
        w[1] += (d.mean_form_score or 0.0) * d.form_sets
        w[2] += d.detected_sets
        w[3] += (d.rep_discrepancy or 0.0) * d.detected_sets
    return [
        PoseWeek(
            week_start=week,
            form_sets=int(v[0]),
            mean_form_score=v[1] / v[0] if v[0] else None,
            detected_sets=int(v[2]),
            rep_discrepancy=v[3] / v[2] if v[2] else None,
        )
        for week, v in sorted(weeks.items())
    ]
