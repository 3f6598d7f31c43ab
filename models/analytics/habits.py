"""Training habits: the weekly streak, sessions per week, usual days and hours — plain
Python over a handful of counts (the summary read calls it on every request, where
pandas' set-up would cost more than the arithmetic)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.vocabulary import week_start


@dataclass(slots=True, frozen=True)
class Habits:
    """``sessions_per_week`` (mean over the ISO weeks from the first workout's week to
    the current one, empty weeks included), ``weekday_share`` (7 fractions, Monday
    first), ``hour_share`` (24 fractions, local hours), ``streak_weeks``."""

    streak_weeks: int
    sessions_per_week: float
    weekday_share: list[float]
    hour_share: list[float]


def streak(workout_days: Iterable[date], *, today: date) -> int:
    """Consecutive ISO weeks with at least one workout, up to the current week (DESIGN §5).

    ``workout_days``: local dates or week starts (a ``datetime`` counts by its date). The
    current week, while it has no workout yet, does not break the streak: the count
    then ends with last week (the week is not over).
    """
    days = (d.date() if isinstance(d, datetime) else d for d in workout_days)
    weeks = {week_start(d) for d in days}
    if not weeks:
        return 0
    current = week_start(today)
    cursor = current if current in weeks else current - timedelta(days=7)
    count = 0
    while cursor in weeks:
        count += 1
        cursor -= timedelta(days=7)
    return count


def habits(
    *,
    workouts: int,
    first_workout_on: date | None,
    weekday_counts: Sequence[int],
    hour_counts: Sequence[int],
    week_starts: Iterable[date],
    today: date,
) -> Habits:
    """Habits from the counts the analytics state keeps.

    ``workouts``: how many; ``weekday_counts`` (7, Monday first) and ``hour_counts``
    (24): workouts per local weekday and start hour; ``week_starts``: the weeks with a
    workout; ``today``: the athlete's local date.
    """
    streak_weeks = streak(week_starts, today=today)
    if not workouts or first_workout_on is None:
        return Habits(streak_weeks, 0.0, [0.0] * 7, [0.0] * 24)
    span = max((week_start(today) - week_start(first_workout_on)).days // 7 + 1, 1)
    return Habits(
        streak_weeks=streak_weeks,
        sessions_per_week=workouts / span,
        weekday_share=[c / workouts for c in weekday_counts] or [0.0] * 7,
        hour_share=[c / workouts for c in hour_counts] or [0.0] * 24,
    )
