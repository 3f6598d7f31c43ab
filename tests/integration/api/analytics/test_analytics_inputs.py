"""Odd inputs in every view: pounds, sets with 0 reps or 0 kg, bodyweight, assisted and
> 12 reps, and a real GPX run's TRIMP. Each expected number is written out in a comment.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipelines.imports.task import run_import
from pipelines.tasks.analytics import refresh_user
from tests.conftest import REAL_DATA
from tests.support.analytics import (
    ASSISTED,
    BENCH,
    LB,
    PULL_UP,
    SQUAT,
    athlete,
    get,
    local,
    put,
    records,
    rep_maxes,
    s,
)

STRONG_HEADER = (
    "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,"
    "Notes,Workout Notes,RPE\n"
)


# ------------------------------------------------------------- units and sets


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


# --------------------------------------------------------------------- cardio


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
