"""The analytics refresh on PostgreSQL: values by hand, deletions, compare-and-clear, sweep."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from api.analytics.markers import clear_if_unchanged, mark_stale
from pipelines.tasks.analytics import refresh_user
from pipelines.tasks.maintenance import sweep
from tests.support.http import register, user_id_of
from tests.support.import_jobs import import_file

HEADER = (
    "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,"
    "Notes,Workout Notes,RPE\n"
)
ROWS = [
    '2024-01-01 08:00:00,"A",1h,"Bench Press (Barbell)",W,40,10,0,0,,,',
    '2024-01-01 08:00:00,"A",1h,"Bench Press (Barbell)",1,100,5,0,0,,,',
    '2024-01-01 08:00:00,"A",1h,"Bench Press (Barbell)",2,105,3,0,0,,,',
    '2024-01-01 08:00:00,"A",1h,"Pull Up",1,0,12,0,0,,,',
    '2024-01-08 08:00:00,"B",1h,"Bench Press (Barbell)",1,100,5,0,0,,,',
    '2024-01-08 08:00:00,"B",1h,"Bench Press (Barbell)",2,110,1,0,0,,,',
    '2024-01-08 08:00:00,"B",1h,"Pull Up",1,0,15,0,0,,,',
    '2024-01-08 08:00:00,"B",1h,"Squat (Barbell)",1,140,13,0,0,,,',
]


async def _import(http, headers, body: str) -> None:
    await import_file(http, headers, "strong.csv", body, expect="succeeded", weight_unit="kg")


@pytest.fixture
async def athlete(live_client):
    headers = await register(live_client)
    await _import(live_client, headers, HEADER + "\n".join(ROWS) + "\n")
    user_id = await user_id_of(live_client, headers)
    assert refresh_user(user_id) is True
    return headers, user_id


async def _records(http, headers) -> dict[str, dict]:
    body = (await http.get("/v1/analytics/personal-records", headers=headers)).json()
    return {item["exercise_name"]: item for item in body["items"]}


async def test_records_progress_and_volume_by_hand(live_client, athlete):
    headers, _ = athlete
    records = await _records(live_client, headers)
    bench = records["Bench Press (Barbell)"]
    assert {r["reps"]: r["weight_kg"] for r in bench["rep_maxes"]} == {5: 100.0, 3: 105.0, 1: 110.0}
    five = next(r for r in bench["rep_maxes"] if r["reps"] == 5)
    assert five["achieved_on"] == "2024-01-01"  # the tie on 2024-01-08 keeps the earliest
    assert bench["best_e1rm"]["e1rm_kg"] == pytest.approx(100 * (1 + 5 / 30))
    assert records["Pull Up"]["max_reps"]["reps"] == 15
    assert records["Pull Up"]["rep_maxes"] == [] and records["Pull Up"]["best_e1rm"] is None
    assert "Squat (Barbell)" not in records  # 13 reps: no rep-max PR, no e1RM

    bench_id = bench["exercise_id"]
    progress = (
        await live_client.get(f"/v1/analytics/exercises/{bench_id}/progress", headers=headers)
    ).json()
    assert [p["date"] for p in progress["items"]] == ["2024-01-01", "2024-01-08"]
    assert [p["e1rm_kg"] for p in progress["items"]] == pytest.approx(
        [max(100 * (1 + 5 / 30), 105 * (1 + 3 / 30))] * 2
    )
    window = (
        await live_client.get(
            f"/v1/analytics/exercises/{bench_id}/progress?from=2024-01-02&to=2024-01-31",
            headers=headers,
        )
    ).json()
    assert [p["date"] for p in window["items"]] == ["2024-01-08"]

    summary = (await live_client.get("/v1/analytics/summary", headers=headers)).json()
    weeks = {w["week_start"]: w["volume_load_kg"] for w in summary["weekly_volume"]}
    assert weeks == {"2024-01-01": 100 * 5 + 105 * 3, "2024-01-08": 100 * 5 + 110 + 140 * 13}
    assert summary["workouts"] == 2 and summary["sets"] == 8 and summary["working_sets"] == 7
    assert (
        summary["first_workout_on"] == "2024-01-01" and summary["last_workout_on"] == "2024-01-08"
    )


async def test_deleted_workout_vanishes_after_refresh(live_client, athlete, sync_engine):
    headers, user_id = athlete
    with sync_engine.begin() as conn:
        conn.execute(
            text("UPDATE workouts SET deleted_at = now() WHERE user_id = :u AND title = 'B'"),
            {"u": user_id},
        )
        conn.execute(mark_stale(user_id, date(2024, 1, 8)))
    assert (await live_client.get("/v1/analytics/summary", headers=headers)).json()["stale"] is True
    assert refresh_user(user_id) is True
    records = await _records(live_client, headers)
    bench = {r["reps"]: r["weight_kg"] for r in records["Bench Press (Barbell)"]["rep_maxes"]}
    assert bench == {5: 100.0, 3: 105.0}
    assert records["Pull Up"]["max_reps"]["reps"] == 12


async def test_a_mark_during_a_refresh_is_not_cleared(athlete, sync_engine):
    _, user_id = athlete
    with sync_engine.begin() as conn:
        conn.execute(mark_stale(user_id, date(2024, 1, 5)))
        first = conn.execute(
            text("SELECT marked_at FROM analytics_dirty WHERE user_id = :u"), {"u": user_id}
        ).scalar_one()
    # A write lands after the refresh read the marker …
    with sync_engine.begin() as conn:
        conn.execute(mark_stale(user_id, date(2024, 1, 9)))
        row = conn.execute(
            text("SELECT since_day, marked_at FROM analytics_dirty WHERE user_id = :u"),
            {"u": user_id},
        ).one()
    assert row.since_day == date(2024, 1, 5)  # LEAST of the two days
    assert row.marked_at > first
    # … so clearing with the value the refresh read removes nothing.
    with sync_engine.begin() as conn:
        assert conn.execute(clear_if_unchanged(user_id, first)).rowcount == 0
        assert conn.execute(clear_if_unchanged(user_id, row.marked_at)).rowcount == 1


async def test_sweep_resends_old_markers_only(athlete, sync_engine, settings):
    _, user_id = athlete
    with sync_engine.begin() as conn:
        conn.execute(mark_stale(user_id, date(2024, 1, 1)))
    assert sweep()["users"] == 0  # fresh: the refresh it was sent is still on its way
    with sync_engine.begin() as conn:
        conn.execute(
            text("UPDATE analytics_dirty SET marked_at = now() - make_interval(secs => :s)"),
            {"s": settings.stale_resend_after_s + 5},
        )
    assert sweep()["users"] == 1
