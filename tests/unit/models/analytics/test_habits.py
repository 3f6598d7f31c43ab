"""The weekly streak and the usual training days and hours against hand counts
(``models.analytics.habits``)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from models.analytics.habits import habits, streak


def test_streak_counts_iso_weeks_up_to_now() -> None:
    days = [date(2024, 1, 1), date(2024, 1, 10), date(2024, 1, 21), date(2024, 1, 22)]
    # Weeks of 1, 8, 15 (Sunday 21st) and 22 Jan: four in a row.
    assert streak(days, today=date(2024, 1, 24)) == 4
    # The current week without a workout yet does not break it …
    assert streak(days[:3], today=date(2024, 1, 23)) == 3
    # … but a whole empty week does.
    assert streak(days[:3], today=date(2024, 1, 30)) == 0
    assert streak([], today=date(2024, 1, 1)) == 0


def test_streak_takes_week_starts_and_datetimes() -> None:
    mondays = [date(2024, 1, 1), date(2024, 1, 8)]
    assert streak(mondays, today=date(2024, 1, 14)) == 2  # Sunday of the second week
    assert streak([datetime(2024, 1, 7, 23, 30)], today=date(2024, 1, 8)) == 1
    # across the year boundary: 2024-12-23 and 2024-12-30 (ISO 2025-W01)
    assert streak([date(2024, 12, 29), date(2024, 12, 30)], today=date(2025, 1, 2)) == 2


def test_habits() -> None:
    # Workouts (local day, local hour): Mon 1 Jan 07h, Wed 3 Jan 07h, Mon 8 Jan 18h,
    # Wed 10 Jan 07h — counted by hand: 2 Mondays and 2 Wednesdays, 3 at 7h and 1 at 18h.
    hours = [0] * 24
    hours[7], hours[18] = 3, 1
    out = habits(
        workouts=4,
        first_workout_on=date(2024, 1, 1),
        weekday_counts=[2, 0, 2, 0, 0, 0, 0],
        hour_counts=hours,
        week_starts=[date(2024, 1, 1), date(2024, 1, 8)],
        today=date(2024, 1, 16),
    )
    assert out.sessions_per_week == pytest.approx(4 / 3)  # weeks of 1, 8 and 15 Jan
    assert out.weekday_share[0] == 0.5 and out.weekday_share[2] == 0.5
    assert out.hour_share[7] == 0.75 and out.hour_share[18] == 0.25
    assert len(out.weekday_share) == 7 and len(out.hour_share) == 24
    assert out.streak_weeks == 2


def test_habits_without_workouts() -> None:
    out = habits(
        workouts=0,
        first_workout_on=None,
        weekday_counts=[0] * 7,
        hour_counts=[0] * 24,
        week_starts=[],
        today=date(2024, 1, 16),
    )
    assert out.sessions_per_week == 0.0 and out.streak_weeks == 0
    assert out.weekday_share == [0.0] * 7 and out.hour_share == [0.0] * 24


def test_first_workout_in_the_current_week_is_one_week() -> None:
    out = habits(
        workouts=3,
        first_workout_on=date(2024, 1, 15),
        weekday_counts=[1, 1, 1, 0, 0, 0, 0],
        hour_counts=[0] * 6 + [3] + [0] * 17,
        week_starts=[date(2024, 1, 15)],
        today=date(2024, 1, 17),
    )
    assert out.sessions_per_week == 3.0 and out.streak_weeks == 1
