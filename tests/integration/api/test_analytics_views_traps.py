"""``/v1/analytics`` traps and exercise progress, against values computed by hand here.

Local days across DST changes and moving time zones, pounds, odd sets (0 reps, 0 kg,
bodyweight, assisted, > 12 reps), one single workout, a real GPX run's TRIMP, progress
(Brzycki, RIR-adjusted, relative strength, best session, pose), isolation and staleness.
Never computed with ``models.*``: each expected number is written out in a comment.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.exercises.catalogue import exercise_id
from pipelines.imports.task import run_import
from pipelines.tasks.analytics import refresh_user
from tests.conftest import REAL_DATA
from tests.support.http import assert_error, register

LB = 0.45359237  # kg per international pound
BENCH = str(exercise_id("bench-press-barbell"))
SQUAT = str(exercise_id("squat-barbell"))
PULL_UP = str(exercise_id("pull-up"))
ASSISTED = str(exercise_id("pull-up-assisted"))
STRONG_HEADER = (
    "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,"
    "Notes,Workout Notes,RPE\n"
)


def s(exercise: str, weight: float | None, reps: int | None, **extra: Any) -> dict[str, Any]:
    return {"exercise_id": exercise, "weight_kg": weight, "reps": reps, **extra}


async def athlete(http, tz: str = "Europe/Oslo", **extra) -> tuple[dict, uuid.UUID]:
    headers = await register(http, time_zone=tz, **extra)
    return headers, uuid.UUID((await http.get("/v1/users/me", headers=headers)).json()["id"])


async def put(
    http, headers, start: datetime, sets: list, *, minutes: float | None = 60, rpe=None
) -> str:
    """A workout starting at the aware local ``start``; its end ``minutes`` real minutes on."""
    body: dict[str, Any] = {"started_at": start.isoformat(), "time_zone": str(start.tzinfo)}
    if minutes is not None:
        body["ended_at"] = (start.astimezone(UTC) + timedelta(minutes=minutes)).isoformat()
    body |= {"sets": sets} | ({"session_rpe": rpe} if rpe is not None else {})
    workout_id = str(uuid.uuid4())
    response = await http.put(f"/v1/workouts/{workout_id}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return workout_id


async def get(http, headers, url: str) -> dict:
    response = await http.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def local(tz: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(tz))


async def records(http, headers) -> dict[str, dict]:
    body = await get(http, headers, "/v1/analytics/personal-records")
    return {i["exercise_id"]: i for i in body["items"]}


def rep_maxes(item: dict) -> dict[int, tuple[float, str]]:
    return {r["reps"]: (r["weight_kg"], r["achieved_on"]) for r in item["rep_maxes"]}


# --------------------------------------------------------------------------- local days


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


# --------------------------------------------------------------------------- units and sets


async def test_pounds_become_kilograms_exactly(live_client):
    headers, user_id = await athlete(live_client, "America/Chicago", unit_system="imperial")
    # The phone sends SI: 225 lb × 0.45359237 = 102.05828325 kg, tagged `lb`.
    await put(live_client, headers, local("America/Chicago", 2024, 5, 6, 18), [
        s(BENCH, 135 * LB, 10, weight_unit="lb", set_type="warmup"),
        s(BENCH, 225 * LB, 5, weight_unit="lb"),
    ], rpe=7)  # fmt: skip
    # A classic Strong export in pounds, read in the profile's zone (Chicago).
    csv = STRONG_HEADER + "".join(
        f'2024-05-08 07:00:00,"Legs",1h,"{name}",{n},{weight},{reps},0,0,,,\n'
        for n, (name, weight, reps) in enumerate(
            [("Squat (Barbell)", 315, 3), ("Squat (Barbell)", 275, 8),
             ("Bench Press (Barbell)", 185, 8)], start=1
        )
    )  # fmt: skip
    upload = await live_client.post(
        "/v1/imports",
        headers=headers,
        files={"file": ("strong.csv", csv.encode(), "text/csv")},
        data={"weight_unit": "lb"},
    )
    assert run_import(uuid.UUID(upload.json()["id"])) == "succeeded"
    assert refresh_user(user_id) is True

    prs = await records(live_client, headers)
    assert rep_maxes(prs[BENCH]) == {
        5: (pytest.approx(225 * LB, rel=1e-12), "2024-05-06"),
        8: (pytest.approx(185 * LB, rel=1e-12), "2024-05-08"),
    }
    assert rep_maxes(prs[SQUAT]) == {
        3: (pytest.approx(315 * LB, rel=1e-12), "2024-05-08"),
        8: (pytest.approx(275 * LB, rel=1e-12), "2024-05-08"),
    }
    progress = await get(live_client, headers, f"/v1/analytics/exercises/{BENCH}/progress")
    assert [i["e1rm_kg"] for i in progress["items"]] == [
        pytest.approx(225 * LB * (1 + 5 / 30), rel=1e-12),
        pytest.approx(185 * LB * (1 + 8 / 30), rel=1e-12),
    ]
    load = await get(live_client, headers, "/v1/analytics/load?from=2024-05-06&to=2024-05-08")
    volumes = {i["date"]: i["volume_load_kg"] for i in load["items"]}
    assert volumes == {
        "2024-05-06": pytest.approx(225 * 5 * LB),  # the warm-up adds nothing
        "2024-05-07": 0.0,
        "2024-05-08": pytest.approx((315 * 3 + 275 * 8 + 185 * 8) * LB),
    }
    # The import has no rating: 7 × 60 min, the assumed session RPE.
    assert load["items"][2]["load"] == pytest.approx(7 * 60)
    summary = await get(live_client, headers, "/v1/analytics/summary")
    assert summary["volume_load_kg"] == pytest.approx((225 * 5 + 315 * 3 + 275 * 8 + 185 * 8) * LB)


async def test_zero_bodyweight_assisted_and_high_rep_sets(live_client):
    headers, user_id = await athlete(live_client)
    await put(live_client, headers, local("Europe/Oslo", 2024, 9, 2, 10), [
        s(BENCH, 40.0, 10, set_type="warmup"),
        s(BENCH, 0.0, 5),  # no weight: no e1RM, no volume, no record
        s(BENCH, 100.0, 0),  # no reps: the same
        s(BENCH, 60.0, 15),  # > 12 reps: volume 900, no e1RM, no rep-max
        s(BENCH, 80.0, 12),  # e1RM 80·(1 + 12/30) = 112, Brzycki 80·36/25 = 115.2
        s(PULL_UP, None, 8), s(PULL_UP, None, 12),  # bodyweight: max reps 12, no e1RM
        s(ASSISTED, 30.0, 8),  # assisted: 30 kg of help is no volume and no e1RM
    ], rpe=6)  # fmt: skip
    await put(live_client, headers, local("Europe/Oslo", 2024, 9, 4, 10), [
        s(BENCH, 0.0, 5), s(BENCH, 100.0, 0)], minutes=30, rpe=5)  # fmt: skip
    assert refresh_user(user_id) is True

    bench = await get(live_client, headers, f"/v1/analytics/exercises/{BENCH}/progress")
    assert [(i["date"], i["weight_kg"], i["reps"]) for i in bench["items"]] == [
        ("2024-09-02", 80.0, 12)
    ]
    assert bench["items"][0]["e1rm_kg"] == pytest.approx(112.0)
    assert bench["items"][0]["e1rm_brzycki_kg"] == pytest.approx(115.2)
    assert bench["items"][0]["e1rm_rir_kg"] is None  # neither RPE nor RIR logged
    # sets 4 (warm-up out), reps 5 + 0 + 15 + 12 = 32, volume 60·15 + 80·12 = 1860
    assert bench["sessions"] == [
        {"date": "2024-09-02", "sets": 4, "reps": 32, "volume_load_kg": 1860.0, "max_reps": 15},
        {"date": "2024-09-04", "sets": 2, "reps": 5, "volume_load_kg": 0.0, "max_reps": 5},
    ]
    assert bench["best_session"] == {"date": "2024-09-02", "volume_load_kg": 1860.0}
    pull_up = await get(live_client, headers, f"/v1/analytics/exercises/{PULL_UP}/progress")
    assert pull_up["items"] == [] and pull_up["best_session"] is None
    assert pull_up["sessions"] == [
        {"date": "2024-09-02", "sets": 2, "reps": 20, "volume_load_kg": 0.0, "max_reps": 12}
    ]
    assisted = await get(live_client, headers, f"/v1/analytics/exercises/{ASSISTED}/progress")
    assert assisted["items"] == [] and assisted["best_session"] is None
    assert assisted["sessions"][0]["volume_load_kg"] == 0.0

    prs = await records(live_client, headers)
    assert set(prs) == {BENCH, PULL_UP}  # nothing for the assisted pull-up
    assert rep_maxes(prs[BENCH]) == {12: (80.0, "2024-09-02")}
    assert prs[BENCH]["best_e1rm"]["e1rm_kg"] == pytest.approx(112.0)
    assert prs[PULL_UP]["max_reps"]["reps"] == 12 and prs[PULL_UP]["best_e1rm"] is None
    load = await get(live_client, headers, "/v1/analytics/load?from=2024-09-02&to=2024-09-04")
    assert [i["volume_load_kg"] for i in load["items"]] == [1860.0, 0.0, 0.0]
    summary = await get(live_client, headers, "/v1/analytics/summary")
    # 8 + 2 = 10 sets stored, 9 working; reps 32 + 20 + 8 + 5 = 65
    assert (summary["sets"], summary["working_sets"], summary["reps"]) == (10, 9, 65)
    assert summary["volume_load_kg"] == 1860.0


async def test_one_single_workout(live_client):
    headers, user_id = await athlete(live_client)
    now = datetime.now(ZoneInfo("Europe/Oslo")).date()
    day = now - timedelta(days=3)
    await put(live_client, headers, local("Europe/Oslo", day.year, day.month, day.day, 10), [
        s(BENCH, 100.0, 5)], rpe=5)  # fmt: skip
    assert refresh_user(user_id) is True
    items = (await get(live_client, headers, "/v1/analytics/load"))["items"]
    assert [i["date"] for i in items] == [(day + timedelta(k)).isoformat() for k in range(4)]
    # Day 0: load 5 × 60 = 300, CTL = 300(1 − e^(−1/42)), ATL = 300(1 − e^(−1/7)), TSB 0;
    # EWMA ACWR = (2/8 · 300) / (2/29 · 300) = 29/8 → flagged high; no rolling ACWR, no ramp.
    ctl, atl = 300 * (1 - math.exp(-1 / 42)), 300 * (1 - math.exp(-1 / 7))
    first = items[0]
    assert (first["load"], first["tsb"], first["projected"]) == (300.0, 0.0, False)
    assert (first["ctl"], first["atl"]) == (pytest.approx(ctl), pytest.approx(atl))
    assert first["acwr_ewma"] == pytest.approx(29 / 8) and first["acwr_high"] is True
    assert first["acwr_rolling"] is None and first["ramp_rate"] is None
    # Day k after: CTL₀·e^(−k/42), ATL₀·e^(−k/7), TSB_k = CTL_(k−1) − ATL_(k−1),
    # EWMA ACWR = (6/8)^k·(2/8) ÷ ((27/29)^k·(2/29)).
    for k, item in enumerate(items[1:], start=1):
        assert item["projected"] is True and item["load"] == 0.0
        assert item["ctl"] == pytest.approx(ctl * math.exp(-k / 42))
        assert item["atl"] == pytest.approx(atl * math.exp(-k / 7))
        assert item["tsb"] == pytest.approx(
            ctl * math.exp(-(k - 1) / 42) - atl * math.exp(-(k - 1) / 7)
        )
        assert item["acwr_ewma"] == pytest.approx((0.75**k * 2 / 8) / ((27 / 29) ** k * 2 / 29))
    summary = await get(live_client, headers, "/v1/analytics/summary")
    assert summary["workouts"] == 1 and summary["habits"]["streak_weeks"] == 1
    # one 300 in seven days: mean 300/7, SD (300/7)·√6 → monotony 1/√6
    assert [(p["sessions"], p["load"]) for p in summary["periods"]] == [(1, 300.0)]
    assert summary["periods"][0]["monotony"] == pytest.approx(1 / math.sqrt(6))
    progress = await get(live_client, headers, f"/v1/analytics/exercises/{BENCH}/progress")
    assert [i["e1rm_kg"] for i in progress["items"]] == [pytest.approx(100 * (1 + 5 / 30))]


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


# --------------------------------------------------------------------------- cardio


async def test_a_real_gpx_run_counts_its_trimp_times_three_until_rated(live_client):
    path = REAL_DATA / "gpx" / "garmin-connect-run-hr.gpx"  # 2012-10-24, ~23:30 UTC
    headers, user_id = await athlete(live_client, "America/New_York")
    upload = await live_client.post(
        "/v1/imports",
        headers=headers,
        files={"file": (path.name, path.read_bytes(), "application/gpx+xml")},
    )
    assert run_import(uuid.UUID(upload.json()["id"])) == "succeeded"
    [summary] = (await get(live_client, headers, "/v1/workouts"))["items"]
    workout = await get(live_client, headers, f"/v1/workouts/{summary['id']}")
    cardio = workout["cardio"]
    assert cardio["load_method"] == "trimp" and cardio["trimp"] > 0
    started = datetime.fromisoformat(workout["started_at"])
    ended = datetime.fromisoformat(workout["ended_at"])
    day = started.astimezone(ZoneInfo("America/New_York")).date()
    assert day.isoformat() == "2012-10-24"  # the evening in New York; the 25th in UTC
    assert refresh_user(user_id) is True

    url = f"/v1/analytics/load?from={day}&to={day}"
    [item] = (await get(live_client, headers, url))["items"]
    # Unrated cardio: the stored TRIMP on the sRPE scale, × 3.0.
    assert item["load"] == pytest.approx(3.0 * cardio["trimp"])
    assert item["trimp"] == pytest.approx(cardio["trimp"]) and item["srpe_load"] is None
    assert item["distance_m"] == pytest.approx(cardio["distance_m"])
    assert item["duration_s"] == pytest.approx((ended - started).total_seconds())
    assert item["volume_load_kg"] == 0.0
    [week] = (await get(live_client, headers, "/v1/analytics/summary"))["periods"]
    assert week["distance_m"] == pytest.approx(cardio["distance_m"])
    assert week["trimp"] == pytest.approx(cardio["trimp"])
    assert week["load"] == pytest.approx(3.0 * cardio["trimp"])

    # Rated afterwards: session RPE × minutes wins; the TRIMP is still reported.
    patched = await live_client.patch(
        f"/v1/workouts/{summary['id']}", json={"session_rpe": 6}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    assert refresh_user(user_id) is True
    [item] = (await get(live_client, headers, url))["items"]
    minutes = (ended - started).total_seconds() / 60
    assert item["load"] == pytest.approx(6 * minutes)
    assert item["srpe_load"] == pytest.approx(6 * minutes)
    assert item["trimp"] == pytest.approx(cardio["trimp"])


# --------------------------------------------------------------------------- progress


async def test_progress_brzycki_rir_relative_strength_best_session_and_pose(live_client):
    headers, user_id = await athlete(live_client)
    for measured_on, mass, unit in (
        ("2024-04-28", 80.0, "kg"), ("2024-05-08", 180.0, "lb"), ("2024-05-20", 70.0, "kg"),
    ):  # fmt: skip
        response = await live_client.post(
            "/v1/body-metrics",
            json={"measured_on": measured_on, "body_mass": mass, "body_mass_unit": unit},
            headers=headers,
        )
        assert response.status_code in (200, 201), response.text
    oslo = "Europe/Oslo"
    # Mon 22 Apr, before any body mass: e1RM 80·(1 + 5/30) = 93.33, Brzycki 80·36/32 = 90.
    await put(live_client, headers, local(oslo, 2024, 4, 22, 10), [s(BENCH, 80.0, 5)], rpe=6)
    # Mon 6 May, body mass 80 (28 Apr). Epley: 100·(1 + 5/30) = 116.67 beats 90·(1 + 8/30) =
    # 114; Brzycki: 100·36/32 = 112.5 beats 90·36/29 = 111.72; RIR-adjusted: RPE 8 → RIR 2 →
    # 100·(1 + 7/30) = 123.33 beats 90·(1 + 9/30) = 117. Pose: form 0.8, 0.6; 4 − 5, 7 − 8.
    await put(live_client, headers, local(oslo, 2024, 5, 6, 10), [
        s(BENCH, 100.0, 5, rpe=8, detected_reps=4, form_score=0.8),
        s(BENCH, 90.0, 8, rir=1, detected_reps=7, form_score=0.6),
    ], rpe=7)  # fmt: skip
    # Wed 8 May, body mass 180 lb logged that day = 81.6466266 kg. Epley: 110 (1 rep) vs
    # 105·(1 + 3/30) = 115.5; Brzycki 105·36/34 = 111.18; RIR: 1 + 0 = 1 effective rep → 110
    # (the unrated 105×3 has none). Pose: form 0.9, 0.7; 2 − 1.
    await put(live_client, headers, local(oslo, 2024, 5, 8, 10), [
        s(BENCH, 110.0, 1, rir=0, detected_reps=2, form_score=0.9),
        s(BENCH, 105.0, 3, form_score=0.7),
    ], rpe=8)  # fmt: skip
    # Mon 13 May: 100·(1 + 10/30) = 133.33 = Brzycki 100·36/27; RPE 9.5 → 100·(1 + 10.5/30) =
    # 135; volume 2 × 1000 = 2000, the best session.
    await put(live_client, headers, local(oslo, 2024, 5, 13, 10), [
        s(BENCH, 100.0, 10, rpe=9.5), s(BENCH, 100.0, 10, rpe=9.5)], rpe=9)  # fmt: skip
    assert refresh_user(user_id) is True

    url = f"/v1/analytics/exercises/{BENCH}/progress"
    body = await get(live_client, headers, url)
    mass = 180 * LB
    expected = [
        ("2024-04-22", 80 * (1 + 5 / 30), 90.0, None, None),
        ("2024-05-06", 100 * (1 + 5 / 30), 112.5, 100 * (1 + 7 / 30), 80.0),
        ("2024-05-08", 105 * 1.1, 105 * 36 / 34, 110.0, mass),
        ("2024-05-13", 100 * (1 + 10 / 30), 100 * 36 / 27, 135.0, mass),
    ]
    assert len(body["items"]) == len(expected)
    for item, (day, epley, brzycki, rir, body_mass) in zip(body["items"], expected, strict=True):
        assert item["date"] == day
        assert item["e1rm_kg"] == pytest.approx(epley)
        assert item["e1rm_brzycki_kg"] == pytest.approx(brzycki)
        assert item["e1rm_rir_kg"] == (None if rir is None else pytest.approx(rir))
        assert item["body_mass_kg"] == (None if body_mass is None else pytest.approx(body_mass))
        relative = None if body_mass is None else pytest.approx(epley / body_mass)
        assert item["relative_strength"] == relative
    assert [(d["date"], d["sets"], d["reps"], d["volume_load_kg"], d["max_reps"])
            for d in body["sessions"]] == [
        ("2024-04-22", 1, 5, 400.0, 5), ("2024-05-06", 2, 13, 1220.0, 8),
        ("2024-05-08", 2, 4, 425.0, 3), ("2024-05-13", 2, 20, 2000.0, 10),
    ]  # fmt: skip
    assert body["best_session"] == {"date": "2024-05-13", "volume_load_kg": 2000.0}
    assert body["plateau"]["best_e1rm_kg"] == pytest.approx(400 / 3)
    assert body["plateau"]["best_on"] == "2024-05-13"
    # Week of 6 May: form (0.8 + 0.6 + 0.9 + 0.7)/4 = 0.75 over 4 sets; detected − logged:
    # (−1 − 1 + 1)/3 over the 3 sets having both. No pose data in the other weeks.
    assert body["pose"] == [
        {"week_start": "2024-05-06", "form_sets": 4, "mean_form_score": pytest.approx(0.75),
         "detected_sets": 3, "rep_discrepancy": pytest.approx(-1 / 3)},
    ]  # fmt: skip

    # A window: the days inside it; the best session stays the all-time one; pose from the
    # days inside (8 May only: form (0.9 + 0.7)/2, discrepancy +1).
    window = await get(live_client, headers, f"{url}?from=2024-05-07&to=2024-05-31")
    assert [i["date"] for i in window["items"]] == ["2024-05-08", "2024-05-13"]
    assert [d["date"] for d in window["sessions"]] == ["2024-05-08", "2024-05-13"]
    assert window["best_session"] == body["best_session"]
    assert window["pose"] == [
        {"week_start": "2024-05-06", "form_sets": 2, "mean_form_score": pytest.approx(0.8),
         "detected_sets": 1, "rep_discrepancy": 1.0},
    ]  # fmt: skip
    assert_error(
        await live_client.get(f"{url}?from=2024-05-08&to=2024-05-07", headers=headers), 422
    )
    prs = rep_maxes((await records(live_client, headers))[BENCH])
    assert prs == {
        1: (110.0, "2024-05-08"), 3: (105.0, "2024-05-08"), 5: (100.0, "2024-05-06"),
        8: (90.0, "2024-05-06"), 10: (100.0, "2024-05-13"),
    }  # fmt: skip

    # A body mass logged later, between two training days, reaches the days after it only.
    response = await live_client.post(
        "/v1/body-metrics",
        json={"measured_on": "2024-05-10", "body_mass": 75.0, "body_mass_unit": "kg"},
        headers=headers,
    )
    assert response.status_code in (200, 201), response.text
    assert (await get(live_client, headers, url))["stale"] is True
    assert refresh_user(user_id) is True
    items = {i["date"]: i for i in (await get(live_client, headers, url))["items"]}
    assert items["2024-05-08"]["body_mass_kg"] == pytest.approx(mass)
    assert items["2024-05-13"]["body_mass_kg"] == 75.0
    assert items["2024-05-13"]["relative_strength"] == pytest.approx(400 / 3 / 75)


# --------------------------------------------------------------------------- isolation


async def test_another_athletes_data_never_appears(live_client):
    me, my_id = await athlete(live_client)
    other, other_id = await athlete(live_client)
    sled = await live_client.post(
        "/v1/exercises", json={"name": "Sled Push Heavy", "kind": "strength"}, headers=other
    )
    assert sled.status_code == 201, sled.text
    sled_id = sled.json()["id"]
    day = datetime.now(ZoneInfo("Europe/Oslo")) - timedelta(days=2)
    await put(live_client, other, local("Europe/Oslo", 2024, 5, 6, 9), [
        s(SQUAT, 200.0, 5), s(sled_id, 150.0, 8), s(BENCH, 150.0, 1)], rpe=9)  # fmt: skip
    await put(live_client, other, day.replace(hour=9, minute=0, second=0, microsecond=0), [
        s(SQUAT, 200.0, 5)], rpe=9)  # fmt: skip
    await put(live_client, me, local("Europe/Oslo", 2024, 5, 6, 18), [s(BENCH, 100.0, 5)], rpe=5)
    assert refresh_user(my_id) is True and refresh_user(other_id) is True
    await put(live_client, other, local("Europe/Oslo", 2024, 5, 7, 9), [s(SQUAT, 1.0, 1)], rpe=1)

    prs = await records(live_client, me)
    assert list(prs) == [BENCH] and rep_maxes(prs[BENCH]) == {5: (100.0, "2024-05-06")}
    assert (await live_client.get(
        f"/v1/analytics/exercises/{sled_id}/progress", headers=me)).status_code == 404  # fmt: skip
    squat = await get(live_client, me, f"/v1/analytics/exercises/{SQUAT}/progress")
    assert squat["items"] == [] and squat["sessions"] == [] and squat["best_session"] is None
    load = await get(live_client, me, "/v1/analytics/load?from=2024-05-06&to=2024-05-06")
    assert [(i["sessions"], i["load"]) for i in load["items"]] == [(1, 300.0)]
    summary = await get(live_client, me, "/v1/analytics/summary")
    assert (summary["workouts"], summary["exercises"], summary["volume_load_kg"]) == (1, 1, 500.0)
    assert summary["stale"] is False  # the other athlete's pending refresh is not mine
    balance = await get(live_client, me, "/v1/analytics/muscle-balance?weeks=2")
    assert all(w["muscles"] == [] for w in balance["weeks"]) and balance["totals"] == []


async def test_stale_until_refreshed_on_every_endpoint(live_client):
    headers, user_id = await athlete(live_client)
    urls = [
        "/v1/analytics/load", "/v1/analytics/muscle-balance", "/v1/analytics/summary",
        f"/v1/analytics/exercises/{BENCH}/progress", "/v1/analytics/personal-records",
    ]  # fmt: skip

    async def freshness() -> set[tuple]:
        return {
            (b["stale"], b["as_of"]) for b in [await get(live_client, headers, u) for u in urls]
        }

    assert await freshness() == {(False, None)}  # nothing written, nothing owed
    assert (await get(live_client, headers, urls[0]))["items"] == []
    workout_id = await put(
        live_client, headers, local("Europe/Oslo", 2024, 5, 6, 10), [s(BENCH, 100.0, 5)], rpe=5
    )
    assert await freshness() == {(True, None)}
    assert refresh_user(user_id) is True
    [(stale, as_of)] = await freshness()
    assert stale is False and as_of is not None
    url = "/v1/analytics/load?from=2024-05-06&to=2024-05-06"
    assert (await get(live_client, headers, url))["items"][0]["load"] == 300.0

    await live_client.patch(f"/v1/workouts/{workout_id}", json={"session_rpe": 8}, headers=headers)
    assert await freshness() == {(True, as_of)}  # the figures still reflect the old data
    assert (await get(live_client, headers, url))["items"][0]["load"] == 300.0
    assert refresh_user(user_id) is True
    [(stale, newer)] = await freshness()
    assert stale is False and datetime.fromisoformat(newer) > datetime.fromisoformat(as_of)
    assert (await get(live_client, headers, url))["items"][0]["load"] == 8 * 60
