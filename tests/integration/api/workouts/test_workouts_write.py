"""PUT/POST/PATCH/DELETE /v1/workouts: upserts, ETags, idempotency, bounds."""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from tests.support.http import assert_error, register
from tests.support.workouts import BENCH, SQUAT, a_set, a_workout, new_id, put_with_set


async def test_put_creates_then_replaces_with_etags(client):
    headers = await register(client)
    wid = new_id()
    created = await client.put(f"/v1/workouts/{wid}", json=a_workout(), headers=headers)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/v1/workouts/{wid}"
    tag = created.headers["ETag"]
    assert created.json()["etag"] == tag and created.json()["id"] == wid
    assert [s["weight_kg"] for s in created.json()["sets"]] == [100.0, 105.0]
    assert created.json()["started_at"] == "2025-03-03T07:00:00Z"

    again = await client.put(f"/v1/workouts/{wid}", json=a_workout(), headers=headers)
    assert again.status_code == 200 and again.headers["ETag"] == tag  # a retry changes nothing

    changed = await client.put(
        f"/v1/workouts/{wid}", json=a_workout(sets=[a_set(reps=8)]), headers=headers
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    got = await client.get(f"/v1/workouts/{wid}", headers=headers)
    assert got.headers["ETag"] == changed.headers["ETag"]
    assert [(s["reps"], s["position"]) for s in got.json()["sets"]] == [(8, 0)]


async def test_put_refusals(client):
    headers = await register(client)
    wid = new_id()
    mismatch = await client.put(f"/v1/workouts/{wid}", json=a_workout(id=new_id()), headers=headers)
    assert ["body", "id"] in [d["loc"] for d in assert_error(mismatch, 422)["details"]]
    unknown = await client.put(
        f"/v1/workouts/{wid}",
        json=a_workout(sets=[a_set(), a_set(exercise=str(uuid.uuid4()))]),
        headers=headers,
    )
    assert ["body", "sets", 1, "exercise_id"] in [
        d["loc"] for d in assert_error(unknown, 422)["details"]
    ]
    assert (
        await client.put(f"/v1/workouts/{wid}", json=a_workout(), headers=headers)
    ).status_code == 201
    assert (await client.delete(f"/v1/workouts/{wid}", headers=headers)).status_code == 204
    gone = await client.put(f"/v1/workouts/{wid}", json=a_workout(), headers=headers)
    assert_error(gone, 409, "workout_deleted")


async def test_if_match_guards_every_write(client):
    headers = await register(client)
    wid = new_id()
    first = await client.put(f"/v1/workouts/{wid}", json=a_workout(), headers=headers)
    old = first.headers["ETag"]
    # Device A edits with the tag it has …
    a = await client.patch(
        f"/v1/workouts/{wid}", json={"title": "A"}, headers={**headers, "If-Match": old}
    )
    assert a.status_code == 200 and a.headers["ETag"] != old
    # … device B, still holding the old tag, cannot overwrite silently.
    for method, kwargs in (
        ("PUT", {"json": a_workout(title="B")}),
        ("PATCH", {"json": {"title": "B"}}),
        ("DELETE", {}),
    ):
        stale = await client.request(
            method, f"/v1/workouts/{wid}", headers={**headers, "If-Match": old}, **kwargs
        )
        error = assert_error(stale, 412, "etag_mismatch")
        assert error["details"]["current_etag"] == a.headers["ETag"]
    assert (await client.get(f"/v1/workouts/{wid}", headers=headers)).json()["title"] == "A"
    missing = await client.put(
        f"/v1/workouts/{new_id()}", json=a_workout(), headers={**headers, "If-Match": old}
    )
    assert missing.status_code == 412
    star = await client.delete(f"/v1/workouts/{wid}", headers={**headers, "If-Match": "*"})
    assert star.status_code == 204


async def test_patch_delete_and_tombstones(client):
    headers = await register(client)
    wid = new_id()
    await client.put(f"/v1/workouts/{wid}", json=a_workout(), headers=headers)
    patched = await client.patch(
        f"/v1/workouts/{wid}", json={"title": "Pull", "session_rpe": 7.5}, headers=headers
    )
    assert (patched.json()["title"], patched.json()["session_rpe"]) == ("Pull", 7.5)
    assert len(patched.json()["sets"]) == 2  # PATCH leaves sets alone
    bad = await client.patch(
        f"/v1/workouts/{wid}", json={"ended_at": "2025-03-03T06:00:00+00:00"}, headers=headers
    )
    assert bad.status_code == 422
    assert (await client.delete(f"/v1/workouts/{wid}", headers=headers)).status_code == 204
    assert (await client.delete(f"/v1/workouts/{wid}", headers=headers)).status_code == 204
    assert (await client.get(f"/v1/workouts/{wid}", headers=headers)).status_code == 404
    assert (await client.patch(f"/v1/workouts/{wid}", json={}, headers=headers)).status_code == 404
    listing = await client.get("/v1/workouts", headers=headers)
    assert listing.json()["items"] == []


async def test_other_users_workout(client):
    owner = await register(client)
    stranger = await register(client)
    wid = new_id()
    await client.put(f"/v1/workouts/{wid}", json=a_workout(), headers=owner)
    assert (await client.get(f"/v1/workouts/{wid}", headers=stranger)).status_code == 404
    assert (await client.patch(f"/v1/workouts/{wid}", json={}, headers=stranger)).status_code == 404
    assert (await client.delete(f"/v1/workouts/{wid}", headers=stranger)).status_code == 404
    taken = await client.put(f"/v1/workouts/{wid}", json=a_workout(), headers=stranger)
    assert_error(taken, 409, "workout_id_taken")
    assert (await client.get(f"/v1/workouts/{wid}", headers=owner)).json()["title"] == "Push"


async def test_post_with_idempotency_key(client):
    headers = await register(client)
    keyed = {**headers, "Idempotency-Key": "k-1"}
    first = await client.post("/v1/workouts", json=a_workout(), headers=keyed)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    replay = await client.post("/v1/workouts", json=a_workout(), headers=keyed)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json() and replay.headers["ETag"] == first.headers["ETag"]
    other = await client.post("/v1/workouts", json=a_workout(title="Other"), headers=keyed)
    assert_error(other, 422, "idempotency_key_reused")
    # Keys are scoped to the user: another athlete's k-1 is a different key.
    stranger = {**(await register(client)), "Idempotency-Key": "k-1"}
    theirs = await client.post("/v1/workouts", json=a_workout(), headers=stranger)
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    plain = [await client.post("/v1/workouts", json=a_workout(), headers=headers) for _ in range(2)]
    assert plain[0].json()["id"] != plain[1].json()["id"]  # no key: two workouts
    listing = await client.get("/v1/workouts", headers=headers)
    assert len(listing.json()["items"]) == 3


#: set field → (a value at one of its edges, the nearest value past that edge)
EDGES: dict[str, tuple[tuple[Any, Any], ...]] = {
    "reps": ((1000, 1001), (0, -1)),
    "weight_kg": ((1000, 1000.01), (0, -0.5)),
    "rpe": ((10, 10.5), (1, 0.5), (7.5, 7.3)),
    "rir": ((10, 10.5), (0, -1)),
    "form_score": ((1, 1.01), (0, -0.01)),
    "detected_reps": ((1000, 1001),),
    "duration_s": ((86400, 86400.5),),
    "distance_m": ((1_000_000, 1_000_001),),
    "tempo": (("3-1-1-0", "3-1-1"),),
    "set_type": (("dropset", "superset"),),
}


@pytest.mark.parametrize(
    ("field", "ok", "bad"),
    [(field, ok, bad) for field, edges in EDGES.items() for ok, bad in edges],
)
async def test_set_bounds_at_and_past_the_edge(client, field, ok, bad):
    headers = await register(client)
    good = await put_with_set(client, headers, **{field: ok})
    assert good.status_code == 201, good.text
    refused = await put_with_set(client, headers, **{field: bad})
    locs = [d["loc"] for d in assert_error(refused, 422)["details"]]
    assert ["body", "sets", 0, field] in locs


async def test_workout_bounds(client):
    headers = await register(client)
    now = datetime.now(UTC)

    async def put(body):
        return await client.put(f"/v1/workouts/{new_id()}", json=body, headers=headers)

    assert (await put(a_workout(now + timedelta(hours=23)))).status_code == 201
    assert (await put(a_workout(now + timedelta(hours=25)))).status_code == 422
    backwards = a_workout()
    backwards["ended_at"] = "2025-03-03T06:59:59+00:00"
    assert (await put(backwards)).status_code == 422
    naive = a_workout()
    naive["started_at"] = "2025-03-03T07:00:00"
    assert (await put(naive)).status_code == 422
    assert (await put(a_workout(sets=[a_set()] * 200))).status_code == 201
    assert (await put(a_workout(sets=[a_set()] * 201))).status_code == 422
    assert (await put(a_workout(session_rpe=10))).status_code == 201
    assert (await put(a_workout(session_rpe=10.5))).status_code == 422
    assert (await put(a_workout(time_zone="Mars/Olympus"))).status_code == 422
    assert (await put(a_workout(colour="red"))).status_code == 422
    raw = a_workout()
    text_body = (
        '{"started_at": "2025-03-03T07:00:00+00:00", "sets": [{"exercise_id": "'
        + BENCH
        + '", "weight_kg": NaN}]}'
    )
    nan = await client.put(
        f"/v1/workouts/{new_id()}",
        content=text_body,
        headers={**headers, "content-type": "application/json"},
    )
    assert nan.status_code == 422 and raw


async def test_bodies_over_one_megabyte_are_413(client):
    headers = await register(client)
    body = a_workout(notes="x" * 9_000)
    body["sets"] = [a_set(notes="y" * 2000)] * 200  # ~ 0.5 MB of notes, valid
    small = await client.put(f"/v1/workouts/{new_id()}", json=body, headers=headers)
    assert small.status_code == 201
    huge = a_workout(sets=[a_set(notes="z" * 2000)] * 600)
    response = await client.put(f"/v1/workouts/{new_id()}", json=huge, headers=headers)
    assert_error(response, 413, "payload_too_large")


async def test_batch_items_answer_on_their_own(client):
    headers = await register(client)
    ids = [new_id() for _ in range(4)]
    stranger = await register(client)
    await client.put(f"/v1/workouts/{ids[3]}", json=a_workout(), headers=stranger)
    items = [
        {**a_workout(), "id": ids[0]},
        {**a_workout(sets=[a_set(reps=1001)]), "id": ids[1]},
        {**a_workout(), "id": ids[2], "if_match": '"deadbeef-1"'},
        {**a_workout(), "id": ids[3]},
        {**a_workout(), "id": "not-a-uuid"},
    ]
    response = await client.post("/v1/workouts/batch", json={"items": items}, headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "created",
        "invalid",
        "conflict",
        "conflict",
        "invalid",
    ]
    assert results[1]["errors"][0]["loc"] == ["items", 1, "sets", 0, "reps"]
    assert results[2]["code"] == "etag_mismatch" and results[3]["code"] == "workout_id_taken"
    replay = await client.post("/v1/workouts/batch", json={"items": items[:1]}, headers=headers)
    assert replay.json()["results"][0]["status"] == "replaced"
    assert replay.json()["results"][0]["etag"] == results[0]["etag"]
    listing = (await client.get("/v1/workouts", headers=headers)).json()["items"]
    assert [w["id"] for w in listing] == [ids[0]]
    too_many = await client.post(
        "/v1/workouts/batch", json={"items": [a_workout()] * 101}, headers=headers
    )
    assert too_many.status_code == 422


async def test_read_after_write_from_a_second_connection(live_client, sync_engine):
    headers = await register(live_client)
    wid = new_id()
    response = await live_client.put(f"/v1/workouts/{wid}", json=a_workout(), headers=headers)
    assert response.status_code == 201
    with sync_engine.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM workout_sets WHERE workout_id = :w"), {"w": wid}
        ).scalar_one()
    assert count == 2


async def test_concurrent_retries_create_one_workout(live_client, sync_engine):
    headers = await register(live_client)
    keyed = {**headers, "Idempotency-Key": "burst"}
    posts = await asyncio.gather(
        *(live_client.post("/v1/workouts", json=a_workout(), headers=keyed) for _ in range(50))
    )
    statuses = [r.status_code for r in posts]
    assert set(statuses) <= {201, 409} and statuses.count(201) >= 1
    ids = {r.json()["id"] for r in posts if r.status_code == 201}
    assert len(ids) == 1
    wid = new_id()
    puts = await asyncio.gather(
        *(
            live_client.put(f"/v1/workouts/{wid}", json=a_workout(), headers=headers)
            for _ in range(50)
        )
    )
    assert sorted(r.status_code for r in puts) == [200] * 49 + [201]
    with sync_engine.connect() as conn:
        rows = conn.execute(text("SELECT id FROM workouts")).scalars().all()
        sets = conn.execute(text("SELECT count(*) FROM workout_sets")).scalar_one()
    assert sorted(map(str, rows)) == sorted([*ids, wid])
    assert sets == 4


async def test_squat_and_epley_by_hand(client):
    headers = await register(client)
    response = await client.put(
        f"/v1/workouts/{new_id()}",
        json=a_workout(sets=[a_set(SQUAT, weight_kg=140.0, reps=3, rpe=8.5)]),
        headers=headers,
    )
    [s] = response.json()["sets"]
    assert s["exercise_name"] == "Squat (Barbell)" and s["rpe"] == 8.5
    assert math.isclose(s["weight_kg"], 140.0)


async def test_concurrent_batch_replays_store_each_workout_once(live_client, sync_engine):
    headers = await register(live_client)
    items = [{**a_workout(sets=[a_set(reps=r)]), "id": new_id()} for r in range(1, 21)]

    async def replay() -> Any:
        # Ten replays of one batch wait on each other's row locks; on a loaded machine the
        # last ones pass the statement timeout and get the documented 503, which a phone
        # answers by retrying after Retry-After. A 503 must have stored nothing of it.
        for _ in range(30):
            response = await live_client.post(
                "/v1/workouts/batch", json={"items": items}, headers=headers
            )
            if response.status_code != 503:
                return response
            assert assert_error(response, 503, "overloaded")["details"]["reason"] in {
                "database_timeout",
                "database_pool_timeout",
                "transaction_conflict",
            }
            await asyncio.sleep(float(response.headers["Retry-After"]))
        raise AssertionError("the batch was refused as overloaded 30 times in a row")

    responses = await asyncio.gather(*(replay() for _ in range(10)))
    assert {r.status_code for r in responses} == {200}
    statuses = [res["status"] for r in responses for res in r.json()["results"]]
    assert statuses.count("created") == 20 and statuses.count("replaced") == 180
    with sync_engine.connect() as conn:
        workouts = conn.execute(text("SELECT count(*) FROM workouts")).scalar_one()
        reps = conn.execute(
            text("SELECT array_agg(reps ORDER BY reps) FROM workout_sets")
        ).scalar_one()
    assert workouts == 20 and reps == list(range(1, 21))


async def test_idempotency_keys_expire_after_a_day(live_client, sync_engine):
    from pipelines.tasks.maintenance import sweep

    headers = {**(await register(live_client)), "Idempotency-Key": "old"}
    first = await live_client.post("/v1/workouts", json=a_workout(), headers=headers)
    assert sweep()["idempotency_keys_purged"] == 0
    with sync_engine.begin() as conn:
        conn.execute(text("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"))
    # Past 24 h the key is free again: the same request creates a second workout …
    later = await live_client.post("/v1/workouts", json=a_workout(), headers=headers)
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    with sync_engine.begin() as conn:
        conn.execute(text("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"))
    # … and the sweep deletes expired keys.
    assert sweep()["idempotency_keys_purged"] == 1
