"""Relative strength, plateaus and pose quality against hand calculations
(``models.analytics.strength.e1rm_daily``'s body-mass columns through the engine,
``models.analytics.progress.plateau`` and ``pose_weeks``)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from models.analytics.progress import plateau, pose_weeks
from tests.support.lifts import lift, run, session

MASSES = [("u", date(2024, 1, 1), 80.0), ("u", date(2024, 1, 20), math.nan),
          ("u", date(2024, 1, 25), 82.0)]  # fmt: skip


def test_relative_strength_uses_the_latest_mass_on_or_before_the_day() -> None:
    # singles, so that each day's e1RM is the weight itself
    workouts = [
        session("a", date(2024, 1, 5), lift("bench", 120.0, 1)),
        session("b", date(2024, 1, 1), lift("bench", 110.0, 1)),
        session("c", date(2024, 2, 1), lift("squat", 160.0, 1)),
        session("d", date(2023, 12, 1), lift("bench", 100.0, 1)),  # before any measurement
    ]
    out = run(workouts, MASSES).e1rm.set_index("workout_id")
    assert out.loc["a", "relative_strength"] == pytest.approx(120 / 80)
    assert out.loc["b", "relative_strength"] == pytest.approx(110 / 80)  # same day counts
    assert out.loc["c", "relative_strength"] == pytest.approx(160 / 82)  # NaN mass skipped
    assert out.loc["c", "body_mass_kg"] == 82.0
    assert math.isnan(out.loc["d", "relative_strength"])
    assert math.isnan(out.loc["d", "body_mass_kg"])
    none = run(workouts).e1rm
    assert none["relative_strength"].isna().all() and none["body_mass_kg"].isna().all()


def test_relative_strength_uses_only_the_athletes_own_mass() -> None:
    workouts = [
        session("a", date(2024, 1, 5), lift("bench", 120.0, 1), user="u"),
        session("b", date(2024, 1, 5), lift("bench", 90.0, 1), user="v"),
    ]
    out = run(workouts, [("v", date(2024, 1, 1), 60.0), ("u", date(2024, 1, 6), 80.0)])
    rows = out.e1rm.set_index("user_id")
    assert math.isnan(rows.loc["u", "relative_strength"])  # u's mass comes a day later
    assert rows.loc["v", "relative_strength"] == pytest.approx(90 / 60)


BENCH = [
    (date(2024, 1, 1), 100.0),
    (date(2024, 1, 15), 110.0),  # last rise
    (date(2024, 2, 1), 108.0),
    (date(2024, 3, 1), 110.0),
]  # equal is not a rise
SQUAT = [(date(2024, 1, 1), 150.0)]  # trained once, then a break: no plateau
ROW = [(date(2024, 2, 20), 90.0), (date(2024, 3, 5), 95.0)]  # rising: no plateau


def days_of(rows: list[tuple[date, float]]) -> list[date]:
    return [day for day, _ in rows]


def test_plateau_needs_training_without_a_new_best() -> None:
    today = date(2024, 3, 10)
    bench = plateau(BENCH, days_of(BENCH), today=today, weeks=6)
    assert bench is not None and bench.plateaued
    assert bench.best_on == date(2024, 1, 15) and bench.best_e1rm_kg == 110.0
    assert bench.sessions_since == 2
    assert bench.weeks_without_gain == pytest.approx((today - date(2024, 1, 15)).days / 7)
    for rows in (SQUAT, ROW):
        found = plateau(rows, days_of(rows), today=today, weeks=6)
        assert found is not None and not found.plateaued
    early = plateau(BENCH, days_of(BENCH), today=date(2024, 2, 20), weeks=6)
    assert early is not None and not early.plateaued  # 5 weeks: not yet
    assert plateau([], [], today=today) is None


def test_plateau_sessions_since_count_every_training_day() -> None:
    # Production: sessions_since counts the exercise's training days after the best,
    # with an e1RM or not (the old plateaus counted e1RM days only) …
    trained = [*days_of(BENCH), date(2024, 2, 15)]
    found = plateau(BENCH, trained, today=date(2024, 3, 10), weeks=6)
    assert found is not None and found.plateaued and found.sessions_since == 3
    # … but training without an e1RM since the best does not make a plateau
    found = plateau(SQUAT, [*days_of(SQUAT), date(2024, 2, 15)], today=date(2024, 3, 10))
    assert found is not None and not found.plateaued and found.sessions_since == 1


def test_pose_quality_by_week() -> None:
    result = run(
        [
            session("a", date(2024, 1, 1), lift("squat", 100.0, 5, detected=5, form=0.9)),
            session(
                "b",
                date(2024, 1, 3),
                lift("squat", 100.0, 5, detected=4, form=0.7),
                lift("squat", 60.0, 10, "warmup", detected=10, form=0.5),
            ),
            session("c", date(2024, 1, 8), lift("squat", 100.0, 5, form=0.8)),
        ]
    )
    days = result.exercise_daily.sort_values("day")
    rows = [
        (day.date(), form_sets, form, detected, gap)
        for day, form_sets, form, detected, gap in zip(
            days["day"], days["form_sets"], days["mean_form_score"],
            days["detected_sets"], days["rep_discrepancy"], strict=True,
        )
    ]  # fmt: skip
    by_week = {w.week_start: w for w in pose_weeks(rows)}
    week1 = by_week[date(2024, 1, 1)]
    assert week1.form_sets == 2 and week1.detected_sets == 2
    assert week1.mean_form_score == pytest.approx((0.9 + 0.7) / 2)
    assert week1.rep_discrepancy == pytest.approx(((5 - 5) + (4 - 5)) / 2)
    week2 = by_week[date(2024, 1, 8)]
    assert week2.mean_form_score == pytest.approx(0.8)
    assert week2.detected_sets == 0 and week2.rep_discrepancy is None


def test_pose_weeks_weight_days_by_their_sets_and_skip_days_without_pose_data() -> None:
    rows = [
        (date(2024, 1, 1), 1, 0.9, 0, None),
        (date(2024, 1, 3), 3, 0.5, 2, -1.5),
        (date(2024, 1, 10), 0, None, 0, None),  # no pose data: no week
    ]
    (week,) = pose_weeks(rows)
    assert week.week_start == date(2024, 1, 1)
    assert week.form_sets == 4 and week.mean_form_score == pytest.approx((0.9 + 3 * 0.5) / 4)
    assert week.detected_sets == 2 and week.rep_discrepancy == pytest.approx(-1.5)
    assert pose_weeks([]) == []
