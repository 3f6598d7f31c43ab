"""Custom exercises with committed data: merges move sets, resend their workouts and mark
analytics stale; concurrent merges; deletes in use; read-after-201; imports of merged names.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest
from sqlalchemy import text

from api.exercises.catalogue import exercise_id
from pipelines.imports.task import run_import
from pipelines.tasks.analytics import refresh_user
from tests.support.exercises import (
    BENCH,
    BENCH_ID,
    LANDMINE,
    SQUAT_ID,
    create_exercise,
)
from tests.support.http import assert_error, register

HEADER = (
    "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,"
    "Notes,Workout Notes,RPE\n"
)
# Local times in Pacific/Auckland (UTC+13 in January): every workout's UTC day is the
# day before its local day, so a UTC date where a local one belongs shows up.
ROWS = [
    '2024-01-01 08:00:00,"Legs",1h,"Squat (Barbell)",1,120,5,0,0,,,',
    '2024-01-03 08:00:00,"Push",1h,"Bench Press (Barbell)",1,100,5,0,0,,,',
    '2024-01-03 08:00:00,"Push",1h,"Spoto Press",1,105,3,0,0,,,',
    '2024-01-03 08:00:00,"Push",1h,"Spoto Press",2,95,5,0,0,,,',
    '2024-01-10 08:00:00,"Push 2",1h,"Spoto Press",W,60,10,0,0,,,',
    '2024-01-10 08:00:00,"Push 2",1h,"Spoto Press",1,112.5,1,0,0,,,',
    '2024-01-10 08:00:00,"Push 2",1h,"Spoto Press",2,100,6,0,0,,,',
    '2024-01-17 08:00:00,"Legs 2",1h,"Squat (Barbell)",1,125,5,0,0,,,',
]
SPOTO_SETS = 5


async def _import(http, headers, body: str) -> None:
    response = await http.post(
        "/v1/imports",
        headers=headers,
        files={"file": ("strong.csv", body.encode(), "text/csv")},
        data={"weight_unit": "kg", "time_zone": "Pacific/Auckland"},
    )
    assert response.status_code == 202, response.text
    assert run_import(uuid.UUID(response.json()["id"])) == "succeeded"


async def _custom_id(http, headers, name: str) -> str:
    found = (await http.get("/v1/exercises", params={"q": name}, headers=headers)).json()
    (item,) = [i for i in found["items"] if i["name"] == name]
    assert item["custom"] is True
    return item["id"]


@pytest.fixture
async def athlete(live_client):
    """A user with the CSV imported (``Spoto Press`` became custom) and analytics fresh."""
    headers = await register(live_client, time_zone="Pacific/Auckland")
    await _import(live_client, headers, HEADER + "\n".join(ROWS) + "\n")
    me = (await live_client.get("/v1/users/me", headers=headers)).json()
    user_id = uuid.UUID(me["id"])
    assert refresh_user(user_id) is True
    spoto = await _custom_id(live_client, headers, "Spoto Press")
    return headers, user_id, spoto


def _sets_by_exercise(conn, user_id) -> dict[str, int]:
    rows = conn.execute(
        text(
            "SELECT exercise_id::text, count(*) FROM workout_sets WHERE user_id = :u "
            "GROUP BY exercise_id"
        ),
        {"u": user_id},
    )
    return dict(rows.all())


def _change_seqs(conn, user_id) -> dict[str, int]:
    rows = conn.execute(
        text("SELECT title, change_seq FROM workouts WHERE user_id = :u"), {"u": user_id}
    )
    return dict(rows.all())


def _sync_seq(conn, user_id) -> int:
    return conn.execute(
        text("SELECT sync_seq FROM users WHERE id = :u"), {"u": user_id}
    ).scalar_one()


def _dirty_since(conn, user_id) -> date | None:
    return conn.execute(
        text("SELECT since_day FROM analytics_dirty WHERE user_id = :u"), {"u": user_id}
    ).scalar_one_or_none()


async def _records(http, headers) -> dict[str, dict]:
    body = (await http.get("/v1/analytics/personal-records", headers=headers)).json()
    return {item["exercise_name"]: item for item in body["items"]}


async def test_merge_moves_the_sets_resends_their_workouts_and_analytics_follow(
    live_client, athlete, sync_engine
):
    headers, user_id, spoto = athlete
    before = await _records(live_client, headers)
    assert {r["reps"]: r["weight_kg"] for r in before["Spoto Press"]["rep_maxes"]} == {
        3: 105.0,
        5: 95.0,
        1: 112.5,
        6: 100.0,
    }
    with sync_engine.connect() as conn:
        sets_before = _sets_by_exercise(conn, user_id)
        seqs_before = _change_seqs(conn, user_id)
        sync_before = _sync_seq(conn, user_id)
        assert _dirty_since(conn, user_id) is None
    assert sets_before == {spoto: SPOTO_SETS, BENCH_ID: 1, SQUAT_ID: 2}

    response = await live_client.post(
        f"/v1/exercises/{spoto}/merge", headers=headers, json={"into": BENCH_ID}
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == BENCH_ID and response.json()["name"] == BENCH.name

    # Read from a second connection right after the 2xx: all of it is committed.
    with sync_engine.connect() as conn:
        assert _sets_by_exercise(conn, user_id) == {BENCH_ID: 1 + SPOTO_SETS, SQUAT_ID: 2}
        assert _sync_seq(conn, user_id) == sync_before + 1
        seqs_after = _change_seqs(conn, user_id)
        assert seqs_after == {
            **seqs_before,
            "Push": sync_before + 1,
            "Push 2": sync_before + 1,
        }
        assert seqs_after["Legs"] == seqs_before["Legs"] < sync_before + 1
        # The first workout with Spoto Press sets, by its Auckland day (UTC: 2 Jan).
        assert _dirty_since(conn, user_id) == date(2024, 1, 3)
        merged_into = conn.execute(
            text("SELECT merged_into_id::text FROM exercises WHERE id = :e"), {"e": spoto}
        ).scalar_one()
        assert merged_into == BENCH_ID

    source = (await live_client.get(f"/v1/exercises/{spoto}", headers=headers)).json()
    assert source["merged_into_id"] == BENCH_ID and source["name"] == "Spoto Press"
    listed = await live_client.get("/v1/exercises", params={"q": "spoto"}, headers=headers)
    assert listed.json()["items"] == []
    push2 = (await live_client.get("/v1/workouts", headers=headers)).json()["items"]
    push2_id = next(w["id"] for w in push2 if w["title"] == "Push 2")
    sets = (await live_client.get(f"/v1/workouts/{push2_id}", headers=headers)).json()["sets"]
    assert {s["exercise_name"] for s in sets} == {BENCH.name}

    assert refresh_user(user_id) is True
    records = await _records(live_client, headers)
    assert "Spoto Press" not in records
    bench = records[BENCH.name]
    # By hand: the bench's own 100×5 (3 Jan) and the moved sets; the warm-up never counts.
    assert {r["reps"]: r["weight_kg"] for r in bench["rep_maxes"]} == {
        5: 100.0,
        3: 105.0,
        1: 112.5,
        6: 100.0,
    }
    assert {r["reps"]: r["achieved_on"] for r in bench["rep_maxes"]} == {
        5: "2024-01-03",
        3: "2024-01-03",
        1: "2024-01-10",
        6: "2024-01-10",
    }
    # Epley: 100·(1 + 6/30) = 120 beats 100·(1 + 5/30) ≈ 116.7, 105·1.1 = 115.5, 112.5.
    assert bench["best_e1rm"]["e1rm_kg"] == pytest.approx(120.0)
    assert bench["best_e1rm"]["achieved_on"] == "2024-01-10"
    with sync_engine.connect() as conn:
        assert _dirty_since(conn, user_id) is None

    again = await live_client.post(
        f"/v1/exercises/{spoto}/merge", headers=headers, json={"into": BENCH_ID}
    )
    error = assert_error(again, 409, "already_merged")
    assert error["details"]["merged_into_id"] == BENCH_ID
    with sync_engine.connect() as conn:  # the refused request changed nothing
        assert _sync_seq(conn, user_id) == sync_before + 1
        assert _dirty_since(conn, user_id) is None


async def test_concurrent_merges_of_one_exercise_merge_it_once(live_client, athlete, sync_engine):
    headers, user_id, spoto = athlete
    dumbbell = str(exercise_id("bench-press-dumbbell"))
    with sync_engine.connect() as conn:
        sync_before = _sync_seq(conn, user_id)
    responses = await asyncio.gather(
        *(
            live_client.post(f"/v1/exercises/{spoto}/merge", headers=headers, json={"into": into})
            for into in (BENCH_ID, dumbbell)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()["id"]
    loser = next(r for r in responses if r.status_code == 409)
    assert_error(loser, 409, "already_merged")
    with sync_engine.connect() as conn:
        assert _sync_seq(conn, user_id) == sync_before + 1
        moved = _sets_by_exercise(conn, user_id)
    assert spoto not in moved
    assert moved[winner] == SPOTO_SETS + (1 if winner == BENCH_ID else 0)


async def test_rename_and_kind_change_mark_analytics_stale_from_first_use(
    live_client, athlete, sync_engine
):
    headers, user_id, spoto = athlete
    url = f"/v1/exercises/{spoto}"
    # Only live workouts count: delete the first one with Spoto Press sets.
    with sync_engine.begin() as conn:
        conn.execute(
            text("UPDATE workouts SET deleted_at = now() WHERE user_id = :u AND title = 'Push'"),
            {"u": user_id},
        )
    muscles = await live_client.patch(url, headers=headers, json={"primary_muscles": ["chest"]})
    assert muscles.status_code == 200
    with sync_engine.connect() as conn:
        assert _dirty_since(conn, user_id) is None  # muscles do not change any figure
    renamed = await live_client.patch(url, headers=headers, json={"name": "Spoto Bench"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Spoto Bench"
    with sync_engine.connect() as conn:
        assert _dirty_since(conn, user_id) == date(2024, 1, 10)
    assert refresh_user(user_id) is True
    assert "Spoto Bench" in await _records(live_client, headers)

    kind = await live_client.patch(url, headers=headers, json={"kind": "bodyweight"})
    assert kind.status_code == 200 and kind.json()["kind"] == "bodyweight"
    with sync_engine.connect() as conn:
        assert _dirty_since(conn, user_id) == date(2024, 1, 10)
    assert refresh_user(user_id) is True
    spoto_bench = (await _records(live_client, headers))["Spoto Bench"]
    # Bodyweight now: no e1RM, no rep-max PRs, the most reps in a working set (6).
    assert spoto_bench["best_e1rm"] is None and spoto_bench["rep_maxes"] == []
    assert spoto_bench["max_reps"]["reps"] == 6

    # An exercise no workout uses changes kind without owing a refresh.
    unused = await create_exercise(live_client, headers, name="Yoke Walk", kind="cardio")
    await live_client.patch(
        f"/v1/exercises/{unused['id']}", headers=headers, json={"kind": "timed"}
    )
    with sync_engine.connect() as conn:
        assert _dirty_since(conn, user_id) is None


async def test_delete_in_use_is_409_and_moves_nothing(live_client, athlete, sync_engine):
    headers, user_id, spoto = athlete
    response = await live_client.delete(f"/v1/exercises/{spoto}", headers=headers)
    error = assert_error(response, 409, "exercise_in_use")
    assert error["details"]["sets"] == SPOTO_SETS and "merge" in error["message"]
    with sync_engine.connect() as conn:
        assert _sets_by_exercise(conn, user_id)[spoto] == SPOTO_SETS
    assert (await live_client.get(f"/v1/exercises/{spoto}", headers=headers)).status_code == 200
    unused = await create_exercise(live_client, headers, name="Yoke Walk", kind="cardio")
    gone = await live_client.delete(f"/v1/exercises/{unused['id']}", headers=headers)
    assert gone.status_code == 204
    with sync_engine.connect() as conn:  # committed before the 204
        count = conn.execute(
            text("SELECT count(*) FROM exercises WHERE id = :e"), {"e": unused["id"]}
        ).scalar_one()
        assert count == 0


async def test_created_exercise_is_committed_before_the_201(live_client, sync_engine):
    headers = await register(live_client)
    created = await create_exercise(live_client, headers, **LANDMINE)
    with sync_engine.connect() as conn:
        row = conn.execute(
            text("SELECT name, name_key, kind, user_id IS NOT NULL FROM exercises WHERE id = :e"),
            {"e": created["id"]},
        ).one()
    assert tuple(row) == (
        "Half-Kneeling Landmine Jab",
        "half kneeling landmine jab",
        "strength",
        True,
    )


async def test_importing_a_merged_name_again_lands_on_the_target(live_client, athlete, sync_engine):
    headers, user_id, spoto = athlete
    merged = await live_client.post(
        f"/v1/exercises/{spoto}/merge", json={"into": BENCH_ID}, headers=headers
    )
    assert merged.status_code == 200
    later = '2024-02-01 08:00:00,"Push 3",1h,"Spoto Press",1,107.5,2,0,0,,,'
    await _import(live_client, headers, HEADER + later + "\n")
    with sync_engine.connect() as conn:
        counts = _sets_by_exercise(conn, user_id)
    assert counts.get(spoto, 0) == 0
    assert counts[BENCH_ID] == 1 + SPOTO_SETS + 1  # its own, the merged ones, the new one
