"""``GET /v1/analytics/summary``: weekly and monthly periods, totals and habits by hand."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from pipelines.tasks.analytics import refresh_user
from tests.support.analytics import (
    BENCH,
    PULL_UP,
    SQUAT,
    athlete,
    get,
    monday,
    put_plan,
    s,
    today,
    w,
)


async def test_summary_periods_and_totals_by_hand(live_client):
    headers, user_id = await athlete(live_client)
    # The ISO week of Mon 2024-01-29 runs into February; 2024 is a leap year.
    for plan in (
        # Tue 30 Jan, 5 × 60 = 300: reps 5 + 3 + 10 = 18, volume 500 + 315 = 815 (pull-up: no
        # weight); PRs: 100×5, 105×3 and 10 pull-ups are each the first → 3
        w(date(2024, 1, 30), 10, 60, 5, [
            s(BENCH, 60.0, 10, set_type="warmup"), s(BENCH, 100.0, 5), s(BENCH, 105.0, 3),
            s(PULL_UP, None, 10),
        ]),
        # Thu 1 Feb, 300: reps 5 + 5 + 13 = 23, volume 500 + 512.5 + 1820 = 2832.5; PRs: 100×5
        # ties (no), 102.5×5 beats it (1), 13 reps is no rep-max
        w(date(2024, 2, 1), 10, 60, 5, [
            s(BENCH, 100.0, 5), s(BENCH, 102.5, 5), s(SQUAT, 140.0, 13),
        ]),
        # Sat 3 Feb, 10 × 60 = 600: reps 10 + 12 + 5 = 27, volume 475; PRs: 12 pull-ups (1)
        w(date(2024, 2, 3), 10, 60, 10, [
            s(PULL_UP, None, 10), s(PULL_UP, None, 12), s(BENCH, 95.0, 5),
        ]),
        # Mon 5 Feb, 4 × 30 = 120: 105×3 ties, no PR; volume 315
        w(date(2024, 2, 5), 10, 30, 4, [s(BENCH, 105.0, 3)]),
    ):  # fmt: skip
        await put_plan(live_client, headers, plan)
    assert refresh_user(user_id) is True

    weeks = await get(live_client, headers, "/v1/analytics/summary?period=week&count=12")
    # Week 1 daily loads Mon…Sun: 0, 300, 0, 300, 0, 600, 0 (Mon and Sun lie outside the
    # calendar, still rest days). Mean 1200/7; population variance = (2·300² + 600²)/7 − mean².
    mean = 1200 / 7
    monotony = mean / math.sqrt((2 * 300**2 + 600**2) / 7 - mean**2)  # ≈ 0.7845
    # Week 2: 120, then six zeros: mean 120/7, SD = (120/7)·√6, monotony = 1/√6 ≈ 0.408
    assert weeks["period"] == "week"
    assert weeks["periods"] == [
        {
            "start": "2024-01-29", "end": "2024-02-04", "sessions": 3, "duration_s": 10800.0,
            "distance_m": 0.0, "sets": 9, "reps": 68, "volume_load_kg": 4122.5,
            "srpe_load": 1200.0, "trimp": None, "load": 1200.0, "prs": 5,
            "monotony": pytest.approx(monotony), "strain": pytest.approx(1200 * monotony),
        },
        {
            "start": "2024-02-05", "end": "2024-02-11", "sessions": 1, "duration_s": 1800.0,
            "distance_m": 0.0, "sets": 1, "reps": 3, "volume_load_kg": 315.0, "srpe_load": 120.0,
            "trimp": None, "load": 120.0, "prs": 0, "monotony": pytest.approx(1 / math.sqrt(6)),
            "strain": pytest.approx(120 / math.sqrt(6)),
        },
    ]  # fmt: skip
    months = await get(live_client, headers, "/v1/analytics/summary?period=month")
    assert [
        {k: p[k] for k in ("start", "end", "sessions", "sets", "reps", "volume_load_kg", "load")}
        | {"prs": p["prs"], "monotony": p["monotony"]}
        for p in months["periods"]
    ] == [
        {"start": "2024-01-01", "end": "2024-01-31", "sessions": 1, "sets": 3, "reps": 18,
         "volume_load_kg": 815.0, "load": 300.0, "prs": 3, "monotony": None},
        {"start": "2024-02-01", "end": "2024-02-29", "sessions": 3, "sets": 7, "reps": 53,
         "volume_load_kg": 3622.5, "load": 1020.0, "prs": 2, "monotony": None},
    ]  # fmt: skip

    # v1 totals: 11 sets stored (one warm-up), 71 working reps, 4122.5 + 315 kg; records
    # standing: bench 5 → 102.5, bench 3 → 105, pull-up max reps 12.
    assert {k: months[k] for k in ("workouts", "sets", "working_sets", "reps", "exercises")} == {
        "workouts": 4, "sets": 11, "working_sets": 10, "reps": 71, "exercises": 3,
    }  # fmt: skip
    assert months["volume_load_kg"] == 4437.5 and months["personal_records"] == 3
    assert (months["first_workout_on"], months["last_workout_on"]) == ("2024-01-30", "2024-02-05")
    assert months["weekly_volume"] == [
        {"week_start": "2024-01-29", "volume_load_kg": 4122.5, "sets": 9, "reps": 68},
        {"week_start": "2024-02-05", "volume_load_kg": 315.0, "sets": 1, "reps": 3},
    ]
    # Habits: Tue, Thu, Sat, Mon, all at 10:00; no workout near this week → no streak.
    habits = months["habits"]
    assert habits["streak_weeks"] == 0
    assert habits["weekday_share"] == [0.25, 0.25, 0, 0.25, 0, 0.25, 0]
    assert habits["hour_share"] == [1.0 if h == 10 else 0 for h in range(24)]
    span = (monday(today()) - date(2024, 1, 29)).days // 7 + 1
    assert habits["sessions_per_week"] == pytest.approx(4 / span)


async def test_streak_and_weekday_share_up_to_this_week(live_client):
    headers, user_id = await athlete(live_client)
    this = monday(today())
    # Tue four weeks back, Wed two weeks back, Mon last week; three weeks back is empty.
    for day in (this - timedelta(27), this - timedelta(12), this - timedelta(7)):
        await put_plan(live_client, headers, w(day, 7, 45, 6, [s(BENCH, 100.0, 5)]))
    assert refresh_user(user_id) is True
    habits = (await get(live_client, headers, "/v1/analytics/summary"))["habits"]
    assert habits["streak_weeks"] == 2  # this week, still empty, does not break it
    assert habits["weekday_share"] == pytest.approx([1 / 3, 1 / 3, 1 / 3, 0, 0, 0, 0])
    await put_plan(live_client, headers, w(this, 6, 45, 6, [s(BENCH, 100.0, 5)]))  # this Monday
    assert refresh_user(user_id) is True
    habits = (await get(live_client, headers, "/v1/analytics/summary"))["habits"]
    assert habits["streak_weeks"] == 3
    assert habits["weekday_share"] == pytest.approx([0.5, 0.25, 0.25, 0, 0, 0, 0])
    assert habits["hour_share"][6] == 0.25 and habits["hour_share"][7] == 0.75
    assert habits["sessions_per_week"] == pytest.approx(4 / 5)  # five ISO weeks, this one too
