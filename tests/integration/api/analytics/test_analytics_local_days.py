"""Local days: workouts across DST changes and moving time zones land on their own local
day in every view, and *today* is the athlete's own. Expected values by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pipelines.tasks.analytics import refresh_user
from tests.support.analytics import BENCH, athlete, get, local, put, records, rep_maxes, s


async def test_night_workouts_on_dst_change_days_land_on_their_local_day(live_client):
    # Berlin springs forward on Sun 2024-03-31 at 02:00. 00:30 CET = 2024-03-30 23:30 UTC (the
    # UTC date is the Saturday). It ends at 03:30 CEST: 2 real hours, not the 3 on the clock.
    headers, user_id = await athlete(live_client, "Europe/Berlin")
    await put(live_client, headers, local("Europe/Berlin", 2024, 3, 31, 0, 30), [
        s(BENCH, 100.0, 5)], minutes=120, rpe=5)  # fmt: skip
    assert refresh_user(user_id) is True
    load = await get(live_client, headers, "/v1/analytics/load?from=2024-03-29&to=2024-04-01")
    day = load["items"][0]
    assert (day["date"], day["sessions"], day["duration_s"]) == ("2024-03-31", 1, 7200.0)
    assert day["load"] == pytest.approx(5 * 120)
    assert [i["date"] for i in load["items"]] == ["2024-03-31", "2024-04-01"]
    progress = await get(live_client, headers, f"/v1/analytics/exercises/{BENCH}/progress")
    assert [i["date"] for i in progress["items"]] == ["2024-03-31"]
    summary = await get(live_client, headers, "/v1/analytics/summary")
    assert [p["start"] for p in summary["periods"]] == ["2024-03-25"]
    assert summary["first_workout_on"] == "2024-03-31"
    assert summary["habits"]["weekday_share"][6] == 1.0  # Sunday
    assert summary["habits"]["hour_share"][0] == 1.0
    assert rep_maxes((await records(live_client, headers))[BENCH]) == {5: (100.0, "2024-03-31")}

    # New York falls back on Sun 2024-11-03 at 02:00. 00:30 EDT = 04:30 UTC and 23:30 EST =
    # 2024-11-04 04:30 UTC (the UTC date is the Monday of the next ISO week): both local Sunday.
    headers, user_id = await athlete(live_client, "America/New_York")
    await put(live_client, headers, local("America/New_York", 2024, 11, 3, 0, 30), [
        s(BENCH, 100.0, 5)], rpe=5)  # fmt: skip
    await put(live_client, headers, local("America/New_York", 2024, 11, 3, 23, 30), [
        s(BENCH, 110.0, 3)], rpe=8)  # fmt: skip
    assert refresh_user(user_id) is True
    load = await get(live_client, headers, "/v1/analytics/load?from=2024-11-02&to=2024-11-04")
    assert [(i["date"], i["sessions"], i["projected"]) for i in load["items"]] == [
        ("2024-11-03", 2, False), ("2024-11-04", 0, True),
    ]  # fmt: skip
    assert load["items"][0]["load"] == pytest.approx(5 * 60 + 8 * 60)
    progress = await get(live_client, headers, f"/v1/analytics/exercises/{BENCH}/progress")
    # one day: the better of 100·(1 + 5/30) = 116.67 and 110·(1 + 3/30) = 121
    assert [(i["date"], i["e1rm_kg"]) for i in progress["items"]] == [
        ("2024-11-03", pytest.approx(121.0))
    ]
    # and one training day of the exercise: 2 sets, 5 + 3 reps, 500 + 330 kg
    assert progress["sessions"] == [
        {"date": "2024-11-03", "sets": 2, "reps": 8, "volume_load_kg": 830.0, "max_reps": 5}
    ]
    weeks = await get(live_client, headers, "/v1/analytics/summary?period=week")
    assert [(p["start"], p["sessions"]) for p in weeks["periods"]] == [("2024-10-28", 2)]
    months = await get(live_client, headers, "/v1/analytics/summary?period=month")
    assert [(p["start"], p["sessions"]) for p in months["periods"]] == [("2024-11-01", 2)]
    assert weeks["habits"]["weekday_share"][6] == 1.0
    assert weeks["habits"]["hour_share"][0] == weeks["habits"]["hour_share"][23] == 0.5


async def test_an_athlete_moving_time_zones_keeps_each_workouts_own_day(live_client):
    # Profile zone Oslo. Sun 30 Jun 20:00 in Los Angeles = 1 Jul 03:00 UTC (05:00 in Oslo);
    # Tue 2 Jul 06:00 in Tokyo = 1 Jul 21:00 UTC (23:00 in Oslo). Read in Oslo or UTC, all
    # three would fall on Monday 1 July.
    headers, user_id = await athlete(live_client, "Europe/Oslo")
    await put(live_client, headers, local("America/Los_Angeles", 2024, 6, 30, 20), [
        s(BENCH, 100.0, 5)], rpe=5)  # fmt: skip
    await put(live_client, headers, local("Europe/Oslo", 2024, 7, 1, 12), [
        s(BENCH, 102.5, 5)], rpe=6)  # fmt: skip
    await put(live_client, headers, local("Asia/Tokyo", 2024, 7, 2, 6), [
        s(BENCH, 105.0, 5)], rpe=7)  # fmt: skip
    assert refresh_user(user_id) is True
    load = await get(live_client, headers, "/v1/analytics/load?from=2024-06-29&to=2024-07-03")
    assert [(i["date"], i["sessions"], i["load"]) for i in load["items"]] == [
        ("2024-06-30", 1, 300.0), ("2024-07-01", 1, 360.0), ("2024-07-02", 1, 420.0),
        ("2024-07-03", 0, 0.0),
    ]  # fmt: skip
    progress = await get(live_client, headers, f"/v1/analytics/exercises/{BENCH}/progress")
    assert [(i["date"], i["weight_kg"]) for i in progress["items"]] == [
        ("2024-06-30", 100.0), ("2024-07-01", 102.5), ("2024-07-02", 105.0),
    ]  # fmt: skip
    weeks = await get(live_client, headers, "/v1/analytics/summary?period=week")
    assert [(p["start"], p["sessions"], p["load"]) for p in weeks["periods"]] == [
        ("2024-06-24", 1, 300.0), ("2024-07-01", 2, 780.0),
    ]  # fmt: skip
    months = await get(live_client, headers, "/v1/analytics/summary?period=month")
    assert [(p["start"], p["sessions"], p["prs"]) for p in months["periods"]] == [
        ("2024-06-01", 1, 1), ("2024-07-01", 2, 2),
    ]  # fmt: skip
    habits = months["habits"]
    assert habits["weekday_share"] == pytest.approx([1 / 3, 1 / 3, 0, 0, 0, 0, 1 / 3])
    assert [h for h, share in enumerate(habits["hour_share"]) if share] == [6, 12, 20]


async def test_today_is_the_athletes_own_today(live_client):
    # Kiritimati is UTC+14: most of the UTC day, its date is already tomorrow's.
    zone = "Pacific/Kiritimati"
    headers, user_id = await athlete(live_client, zone)
    now = datetime.now(ZoneInfo(zone))
    await put(live_client, headers, now.replace(hour=0, minute=30, second=0, microsecond=0), [
        s(BENCH, 100.0, 5)], minutes=30, rpe=6)  # fmt: skip
    assert refresh_user(user_id) is True
    items = (await get(live_client, headers, "/v1/analytics/load"))["items"]
    assert [(i["date"], i["sessions"], i["load"]) for i in items] == [
        (now.date().isoformat(), 1, 180.0)
    ]
    balance = await get(live_client, headers, "/v1/analytics/muscle-balance?weeks=1")
    assert (
        balance["weeks"][0]["week_start"]
        == (now.date() - timedelta(days=now.weekday())).isoformat()
    )
    assert {m["muscle"] for m in balance["weeks"][0]["muscles"]} == {
        "chest", "front_delts", "triceps",
    }  # fmt: skip
    summary = await get(live_client, headers, "/v1/analytics/summary")
    assert summary["habits"]["streak_weeks"] == 1
