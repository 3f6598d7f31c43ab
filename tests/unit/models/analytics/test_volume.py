"""Weekly volume load, sets and reps: the engine's weekly ``periods`` rows (ISO weeks,
Monday first). Expected values are worked out by hand from DESIGN §5."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from models.analytics.strength import working_sets
from tests.support.derived import inputs
from tests.support.lifts import lift, run, session, weeks


def test_weekly_volume_sunday_and_monday_are_different_iso_weeks() -> None:
    sunday, monday = dt.date(2024, 6, 9), dt.date(2024, 6, 10)
    vol = weeks(
        run(
            [
                session(
                    "sun",
                    sunday,
                    lift("bench", 100.0, 5),
                    lift("bench", 80.0, 8, "dropset"),
                    lift("bench", 60.0, 10, "warmup"),
                    lift("pullup", None, 12),
                ),
                session("mon", monday, lift("bench", 50.0, 10), lift("assisted_dip", 30.0, 6)),
            ]
        )
    )
    assert vol["start"].tolist() == [pd.Timestamp(2024, 6, 3), pd.Timestamp(2024, 6, 10)]
    # Assisted weight is assistance, not load: the set and its reps count, its kg do not.
    np.testing.assert_allclose(vol["volume_load_kg"], [100 * 5 + 80 * 8 + 0, 50 * 10 + 0])
    assert vol["sets"].tolist() == [3, 2]
    assert vol["reps"].tolist() == [5 + 8 + 12, 10 + 6]


def test_weekly_volume_across_the_year_boundary() -> None:
    vol = weeks(
        run(
            [
                session("a", dt.date(2024, 12, 29), lift("squat", 100.0, 3)),  # Sun, 2024-W52
                session("b", dt.date(2024, 12, 30), lift("squat", 100.0, 5)),  # Mon, 2025-W01
                session("c", dt.date(2025, 1, 5), lift("squat", 90.0, 4)),  # Sun, 2025-W01
            ]
        )
    )
    assert vol["start"].tolist() == [pd.Timestamp(2024, 12, 23), pd.Timestamp(2024, 12, 30)]
    assert dt.date(2024, 12, 30).isocalendar()[:2] == (2025, 1)
    np.testing.assert_allclose(vol["volume_load_kg"], [100 * 3, 100 * 5 + 90 * 4])
    assert vol["sets"].tolist() == [1, 2]


def test_a_week_of_only_warmups_has_a_row_with_zero_sets_and_volume() -> None:
    # Production: the week holds a session, so it has a summary row (0 sets, 0 kg); the
    # old weekly_volume left weeks with only warm-ups out.
    vol = weeks(run([session("w", dt.date(2024, 6, 12), lift("bench", 100.0, 5, "warmup"))]))
    assert vol["start"].tolist() == [pd.Timestamp(2024, 6, 10)]
    assert vol["sessions"].tolist() == [1]
    assert vol["sets"].tolist() == [0] and vol["reps"].tolist() == [0]
    assert vol["volume_load_kg"].tolist() == [0]


def test_every_counted_set_of_any_kind_counts_in_sets_and_reps() -> None:
    # as the old weekly_volume: sets of timed and cardio exercises count, add no kg when
    # they log none, and their kg × reps when they do (only assisted kg are excluded)
    vol = weeks(
        run(
            [
                session(
                    "w",
                    dt.date(2024, 6, 12),
                    lift("row", None, 1),
                    lift("squat", 10.0, 2),
                    lift("bench", 100.0, 5, "failure"),
                )
            ],
            kinds={"row": "cardio", "squat": "timed"},
        )
    )
    assert vol["sets"].tolist() == [3]
    assert vol["reps"].tolist() == [1 + 2 + 5]
    np.testing.assert_allclose(vol["volume_load_kg"], [10 * 2 + 100 * 5])


def test_working_sets_volume_per_set() -> None:
    frames = inputs(
        [
            session(
                "w",
                dt.date(2024, 6, 12),
                lift("bench", 100.0, 5),
                lift("bench", 60.0, 10, "warmup"),
                lift("pullup", None, 12),
                lift("assisted_dip", 30.0, 6),
                lift("squat", 100.0, None),
            )
        ]
    )
    work = working_sets(frames.sets)
    assert work["set_id"].tolist() == ["w-0", "w-2", "w-3", "w-4"]
    assert work["volume"].tolist() == [500.0, 0.0, 0.0, 0.0]


def test_no_workouts_give_empty_frames() -> None:
    result = run([])
    for frame in (result.daily, result.e1rm, result.events, result.prs, result.periods):
        assert frame.empty
    assert result.muscles.empty
