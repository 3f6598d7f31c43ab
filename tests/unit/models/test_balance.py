"""Muscle balance, ratios, streak and habits against hand counts."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.balance import habits, muscle_volume, ratios, streak

BENCH = (["chest"], ["front_delts", "triceps"])
ROW = (["upper_back", "lats"], ["biceps", "rear_delts"])
SQUAT = (["quads", "glutes"], ["hamstrings"])


def sets_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "day": day,
                "set_type": kind,
                "weight_kg": weight,
                "reps": reps,
                "primary_muscles": muscles[0],
                "secondary_muscles": muscles[1],
            }
            for day, kind, weight, reps, muscles in rows
        ]
    )


def test_primary_sets_count_one_and_secondary_half():
    frame = sets_frame(
        [
            (date(2024, 1, 1), "working", 100.0, 5, BENCH),
            (date(2024, 1, 3), "working", 100.0, 5, BENCH),
            (date(2024, 1, 3), "warmup", 60.0, 10, BENCH),  # never counts
            (date(2024, 1, 7), "working", 80.0, 8, ROW),  # Sunday: same ISO week
            (date(2024, 1, 8), "working", 140.0, 3, SQUAT),  # Monday: next week
        ]
    )
    out = muscle_volume(frame)
    week1 = out[out["week_start"] == date(2024, 1, 1)].set_index("muscle")
    assert week1.loc["chest", "sets"] == 2.0 and week1.loc["triceps", "sets"] == 1.0
    assert week1.loc["chest", "volume_load_kg"] == 2 * 100 * 5
    assert week1.loc["triceps", "volume_load_kg"] == 0.5 * 2 * 100 * 5
    assert week1.loc["lats", "sets"] == 1.0 and week1.loc["biceps", "sets"] == 0.5
    week2 = out[out["week_start"] == date(2024, 1, 8)].set_index("muscle")
    assert set(week2.index) == {"quads", "glutes", "hamstrings"}
    assert week2.loc["hamstrings", "volume_load_kg"] == 0.5 * 140 * 3


def test_push_pull_and_upper_lower():
    frame = sets_frame(
        [
            (date(2024, 1, 1), "working", 100.0, 5, BENCH),
            (date(2024, 1, 2), "working", 80.0, 8, ROW),
            (date(2024, 1, 3), "working", 140.0, 3, SQUAT),
        ]
    )
    out = ratios(muscle_volume(frame)).iloc[0]
    push = 1 + 0.5 + 0.5  # chest, front delts, triceps
    pull = 1 + 1 + 0.5 + 0.5  # upper back, lats, biceps, rear delts
    upper = push + pull
    lower = 1 + 1 + 0.5
    assert out["push_pull"] == pytest.approx(push / pull)
    assert out["upper_lower"] == pytest.approx(upper / lower)
    only_push = ratios(muscle_volume(sets_frame([(date(2024, 1, 1), "working", 1.0, 1, BENCH)])))
    assert np.isnan(only_push["push_pull"].iloc[0])


def test_streak_counts_iso_weeks_up_to_now():
    days = pd.Series([date(2024, 1, 1), date(2024, 1, 10), date(2024, 1, 21), date(2024, 1, 22)])
    # Weeks of 1, 8, 15 (Sunday 21st) and 22 Jan: four in a row.
    assert streak(days, today=date(2024, 1, 24)) == 4
    # The current week without a workout yet does not break it …
    assert streak(days[:3], today=date(2024, 1, 23)) == 3
    # … but a whole empty week does.
    assert streak(days[:3], today=date(2024, 1, 30)) == 0
    assert streak(pd.Series([], dtype=object), today=date(2024, 1, 1)) == 0


def test_habits():
    workouts = pd.DataFrame(
        {
            "day": [date(2024, 1, 1), date(2024, 1, 3), date(2024, 1, 8), date(2024, 1, 10)],
            "local_hour": [7, 7, 18, 7],
        }
    )
    out = habits(workouts, today=date(2024, 1, 16))
    assert out["sessions_per_week"] == pytest.approx(4 / 3)  # weeks of 1, 8 and 15 Jan
    assert out["weekday_share"][0] == 0.5 and out["weekday_share"][2] == 0.5
    assert out["hour_share"][7] == 0.75 and out["hour_share"][18] == 0.25
    assert out["streak_weeks"] == 2
