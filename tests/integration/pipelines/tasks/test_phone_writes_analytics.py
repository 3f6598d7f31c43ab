"""Analytics follow every phone write: a back-dated edit, a deletion, an undone import."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from pipelines.tasks.analytics import refresh_user
from tests.conftest import REAL_DATA
from tests.support.http import assert_error, register, user_id_of
from tests.support.import_jobs import import_file
from tests.support.workouts import a_set, a_workout, new_id


async def _bench_prs(http, headers) -> dict[int, tuple[float, str]]:
    body = (await http.get("/v1/analytics/personal-records", headers=headers)).json()
    bench = next((i for i in body["items"] if i["exercise_name"] == "Bench Press (Barbell)"), None)
    if bench is None:
        return {}
    return {r["reps"]: (r["weight_kg"], r["achieved_on"]) for r in bench["rep_maxes"]}


def _dirty(sync_engine, user_id) -> date | None:
    with sync_engine.connect() as conn:
        return conn.execute(
            text("SELECT since_day FROM analytics_dirty WHERE user_id = :u"), {"u": user_id}
        ).scalar_one_or_none()


async def test_back_dated_edit_and_deletion_reach_the_records(live_client, sync_engine):
    headers = await register(live_client)
    user_id = await user_id_of(live_client, headers)
    recent, old = new_id(), new_id()
    await live_client.put(
        f"/v1/workouts/{recent}",
        json=a_workout(datetime(2025, 6, 2, 17, tzinfo=UTC), sets=[a_set(weight_kg=100.0)]),
        headers=headers,
    )
    assert _dirty(sync_engine, user_id) == date(2025, 6, 2)
    refresh_user(user_id)
    assert await _bench_prs(live_client, headers) == {5: (100.0, "2025-06-02")}

    # A workout logged a year back, at 23:30 UTC = 01:30 next day in Oslo (UTC+2 in June).
    await live_client.put(
        f"/v1/workouts/{old}",
        json=a_workout(datetime(2024, 6, 3, 23, 30, tzinfo=UTC), sets=[a_set(weight_kg=120.0)]),
        headers=headers,
    )
    assert _dirty(sync_engine, user_id) == date(2024, 6, 4)  # the local day, from the start
    refresh_user(user_id)
    assert await _bench_prs(live_client, headers) == {5: (120.0, "2024-06-04")}

    # Moving it a further year back marks from the earlier of the old and new day.
    await live_client.patch(
        f"/v1/workouts/{old}",
        json={"started_at": "2023-01-10T08:00:00+00:00", "ended_at": "2023-01-10T09:00:00+00:00"},
        headers=headers,
    )
    assert _dirty(sync_engine, user_id) == date(2023, 1, 10)
    refresh_user(user_id)
    assert await _bench_prs(live_client, headers) == {5: (120.0, "2023-01-10")}

    assert (await live_client.delete(f"/v1/workouts/{old}", headers=headers)).status_code == 204
    assert _dirty(sync_engine, user_id) == date(2023, 1, 10)
    refresh_user(user_id)
    assert await _bench_prs(live_client, headers) == {5: (100.0, "2025-06-02")}
    assert _dirty(sync_engine, user_id) is None


async def test_undo_import_keeps_edited_workouts(live_client, sync_engine):
    path = REAL_DATA / "strong" / "strong-kg-swedish-names.csv"
    headers = await register(live_client)
    user_id = await user_id_of(live_client, headers)
    wrong = await import_file(  # the wrong unit, to be undone
        live_client, headers, path.name, path.read_bytes(), expect="succeeded", weight_unit="lb"
    )
    job_id = wrong["id"]
    page = (await live_client.get("/v1/workouts?limit=200", headers=headers)).json()["items"]
    assert len(page) == 62
    edited = page[0]["id"]
    await live_client.patch(f"/v1/workouts/{edited}", json={"title": "mine"}, headers=headers)

    refused = await live_client.delete(f"/v1/imports/{job_id}", headers=headers)
    error = assert_error(refused, 409, "workouts_edited")
    assert error["details"]["workout_ids"] == [edited]
    assert (
        len((await live_client.get("/v1/workouts?limit=200", headers=headers)).json()["items"])
        == 62
    )

    forced = await live_client.delete(f"/v1/imports/{job_id}?force=true", headers=headers)
    assert forced.status_code == 200
    assert forced.json() == {"workouts_deleted": 61, "kept_workout_ids": [edited]}
    left = (await live_client.get("/v1/workouts?limit=200", headers=headers)).json()["items"]
    assert [w["id"] for w in left] == [edited]
    assert _dirty(sync_engine, user_id) == date(2022, 7, 28)  # the file's first day

    # Importing the file again with the right unit recreates the 61 deleted workouts.
    counts = await import_file(
        live_client, headers, path.name, path.read_bytes(), expect="succeeded", weight_unit="kg"
    )
    assert counts["counts"]["workouts_created"] == 61
    assert counts["counts"]["duplicates_skipped"] == 1
    stranger = await register(live_client)
    assert (await live_client.delete(f"/v1/imports/{job_id}", headers=stranger)).status_code == 404
