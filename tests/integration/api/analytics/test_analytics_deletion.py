"""Deleting workouts: every view follows after the refresh (records, load, summary,
progress, muscle balance), computed by hand or by :mod:`tests.support.analytics_rules`.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.tasks.analytics import refresh_user
from tests.support.analytics import (
    BENCH,
    SQUAT,
    assert_days,
    athlete,
    get,
    monday,
    put_plan,
    s,
    today,
    w,
)
from tests.support.analytics_rules import (
    expected_load_days,
    expected_muscles,
    expected_periods,
    flat,
    window_totals,
)


async def test_deleting_a_records_first_holder_hands_it_to_the_tie(live_client):
    headers, user_id = await athlete(live_client)
    first = await put_plan(
        live_client, headers, w(date(2024, 1, 30), 10, 60, 5, [s(BENCH, 100.0, 5)])
    )
    await put_plan(live_client, headers, w(date(2024, 2, 6), 10, 60, 5, [s(BENCH, 100.0, 5)]))
    assert refresh_user(user_id) is True
    records = await get(live_client, headers, "/v1/analytics/personal-records")
    assert records["items"][0]["rep_maxes"][0]["achieved_on"] == "2024-01-30"  # ties: earliest
    summary = await get(live_client, headers, "/v1/analytics/summary")
    assert [(p["start"], p["prs"]) for p in summary["periods"]] == [
        ("2024-01-29", 1), ("2024-02-05", 0),
    ]  # fmt: skip
    assert (await live_client.delete(f"/v1/workouts/{first}", headers=headers)).status_code == 204
    assert refresh_user(user_id) is True
    records = await get(live_client, headers, "/v1/analytics/personal-records")
    assert records["items"][0]["rep_maxes"][0]["achieved_on"] == "2024-02-06"
    summary = await get(live_client, headers, "/v1/analytics/summary")
    assert [(p["start"], p["prs"]) for p in summary["periods"]] == [("2024-02-05", 1)]


async def test_deleting_the_last_workouts_ends_the_series_on_the_day_before(live_client):
    headers, user_id = await athlete(live_client)
    tue = await put_plan(
        live_client, headers, w(date(2024, 2, 20), 10, 60, 5, [s(BENCH, 100.0, 5)])
    )
    last = await put_plan(
        live_client, headers, w(date(2024, 3, 5), 10, 60, 5, [s(BENCH, 105.0, 5)])
    )
    assert refresh_user(user_id) is True
    url = "/v1/analytics/load?from=2024-02-20&to=2024-03-06"
    assert [i["projected"] for i in (await get(live_client, headers, url))["items"]] == (
        [False] * 15 + [True]
    )
    # Deleting 5 March leaves nothing from 1 March (where the refresh starts) on: the stored
    # zero days 21 Feb … 4 Mar must go, and the days after 20 Feb become projections.
    assert (await live_client.delete(f"/v1/workouts/{last}", headers=headers)).status_code == 204
    assert refresh_user(user_id) is True
    plans = [w(date(2024, 2, 20), 10, 60, 5, [s(BENCH, 100.0, 5)])]
    body = await get(live_client, headers, url)
    assert_days(body["items"], expected_load_days(plans, date(2024, 3, 6)))
    assert [x["week_start"] for x in body["weeks"]] == ["2024-02-19"]
    # Deleting the only workout left empties every view.
    assert (await live_client.delete(f"/v1/workouts/{tue}", headers=headers)).status_code == 204
    assert refresh_user(user_id) is True
    assert (await get(live_client, headers, url))["items"] == []
    summary = await get(live_client, headers, "/v1/analytics/summary")
    assert (summary["workouts"], summary["periods"], summary["weekly_volume"]) == (0, [], [])
    assert (await get(live_client, headers, "/v1/analytics/personal-records"))["items"] == []
    progress = await get(live_client, headers, f"/v1/analytics/exercises/{BENCH}/progress")
    assert progress["items"] == [] and progress["sessions"] == []


async def test_a_deleted_workout_vanishes_from_every_series(live_client, trained):
    headers, user_id, plans, ids = trained
    now = today()
    deleted = await live_client.delete(f"/v1/workouts/{ids[-1]}", headers=headers)
    assert deleted.status_code == 204
    before = await get(live_client, headers, "/v1/analytics/personal-records")
    assert before["stale"] is True
    bench = next(i for i in before["items"] if i["exercise_id"] == BENCH)
    assert {r["reps"]: r["weight_kg"] for r in bench["rep_maxes"]}[3] == 120.0  # not yet
    assert refresh_user(user_id) is True
    kept = plans[:-1]

    # load: the series now ends on the day before; the deleted day is a projection
    body = await get(live_client, headers, f"/v1/analytics/load?from={plans[0]['day']}&to={now}")
    assert_days(body["items"], expected_load_days(kept, now))
    # summary periods, weeks and months
    for period, start_of in (("week", monday), ("month", lambda d: d.replace(day=1))):
        summary = await get(live_client, headers, f"/v1/analytics/summary?period={period}&count=20")
        got = {p["start"]: p for p in summary["periods"]}
        assert list(got) == list(expected_periods(kept, start_of))
        for start, want in expected_periods(kept, start_of).items():
            assert {k: got[start][k] for k in want} == pytest.approx(want), start
    assert summary["workouts"] == len(kept)
    # progress: the day of the deleted bench is gone
    progress = await get(live_client, headers, f"/v1/analytics/exercises/{BENCH}/progress")
    assert plans[-1]["day"].isoformat() not in [i["date"] for i in progress["items"]]
    assert plans[-1]["day"].isoformat() not in [d["date"] for d in progress["sessions"]]
    # muscle balance: the deleted squat and bench sets no longer count (volumes compared
    # here; fractional set counts in test_muscle_balance_fractional_sets_by_hand)
    balance = await get(live_client, headers, "/v1/analytics/muscle-balance?weeks=10")
    volumes = {k: v for k, v in window_totals(expected_muscles(kept)).items() if k[1] == "volume"}
    assert {k: v for k, v in flat(balance["totals"]).items() if k[1] == "volume"} == (
        pytest.approx(volumes)
    )
    # PRs: the 3-rep record falls back to day 0's 105 kg
    records = await get(live_client, headers, "/v1/analytics/personal-records")
    bench = next(i for i in records["items"] if i["exercise_id"] == BENCH)
    three = next(r for r in bench["rep_maxes"] if r["reps"] == 3)
    assert (three["weight_kg"], three["achieved_on"]) == (105.0, plans[0]["day"].isoformat())
    squat = next(i for i in records["items"] if i["exercise_id"] == SQUAT)
    assert 3 not in {r["reps"] for r in squat["rep_maxes"]}
