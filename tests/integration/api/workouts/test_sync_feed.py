"""The sync feed: a phone that follows it ends with exactly the server's state."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tests.support.http import assert_error, register
from tests.support.workouts import a_set, a_workout, new_id


async def _follow(http, headers, cursor: str, phone: dict[str, dict], limit: int = 7) -> str:
    """Apply every page of changes to ``phone`` (id → workout); return the last cursor."""
    while True:
        page = await http.get(
            "/v1/workouts", params={"updated_since": cursor, "limit": limit}, headers=headers
        )
        assert page.status_code == 200, page.text
        body = page.json()
        for item in body["items"]:
            if item["deleted_at"] is not None:
                phone.pop(item["id"], None)
            else:
                phone[item["id"]] = item
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return cursor


async def _server_state(http, headers) -> dict[str, dict]:
    state: dict[str, dict] = {}
    cursor = None
    while True:
        params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        page = (await http.get("/v1/workouts", params=params, headers=headers)).json()
        for summary in page["items"]:
            state[summary["id"]] = (
                await http.get(f"/v1/workouts/{summary['id']}", headers=headers)
            ).json()
        cursor = page["next_cursor"]
        if not cursor:
            return state


def _comparable(workout: dict) -> tuple:
    return (
        workout["etag"],
        workout["title"],
        workout["started_at"],
        tuple((s["exercise_id"], s["weight_kg"], s["reps"]) for s in workout["sets"]),
    )


async def test_a_phone_following_the_feed_converges(client):
    rng = random.Random(20261129)
    headers = await register(client)
    stranger = await register(client)
    await client.put(f"/v1/workouts/{new_id()}", json=a_workout(), headers=stranger)
    phone: dict[str, dict] = {}
    cursor = "0"
    live: list[str] = []
    start = datetime(2024, 1, 1, 7, tzinfo=UTC)
    for round_ in range(6):
        for _ in range(rng.randint(3, 8)):
            action = rng.random()
            if action < 0.45 or not live:
                wid = new_id()
                day = start + timedelta(days=rng.randint(0, 400))
                body = a_workout(day, sets=[a_set(reps=rng.randint(1, 12))] * rng.randint(1, 4))
                response = await client.put(f"/v1/workouts/{wid}", json=body, headers=headers)
                assert response.status_code == 201
                live.append(wid)
            elif action < 0.65:
                wid = rng.choice(live)
                response = await client.patch(
                    f"/v1/workouts/{wid}", json={"title": f"t{rng.random()}"}, headers=headers
                )
                assert response.status_code == 200
            elif action < 0.8:
                wid = rng.choice(live)
                body = a_workout(sets=[a_set(weight_kg=float(rng.randint(20, 200)))])
                response = await client.put(f"/v1/workouts/{wid}", json=body, headers=headers)
                assert response.status_code == 200
            else:
                wid = live.pop(rng.randrange(len(live)))
                assert (
                    await client.delete(f"/v1/workouts/{wid}", headers=headers)
                ).status_code == 204
        if round_ % 2 == 1:  # the phone syncs only now and then
            cursor = await _follow(client, headers, cursor, phone)
    cursor = await _follow(client, headers, cursor, phone)
    server = await _server_state(client, headers)
    assert sorted(phone) == sorted(server) == sorted(live)
    assert {k: _comparable(v) for k, v in phone.items()} == {
        k: _comparable(v) for k, v in server.items()
    }
    # Nothing new: the feed answers no items and the same cursor.
    again = (
        await client.get("/v1/workouts", params={"updated_since": cursor}, headers=headers)
    ).json()
    assert again["items"] == [] and again["next_cursor"] == cursor and again["has_more"] is False


async def test_a_new_phone_starts_from_zero_and_sees_tombstones(client):
    headers = await register(client)
    keep, gone = new_id(), new_id()
    for wid in (keep, gone):
        await client.put(f"/v1/workouts/{wid}", json=a_workout(), headers=headers)
    await client.delete(f"/v1/workouts/{gone}", headers=headers)
    page = (await client.get("/v1/workouts?updated_since=0", headers=headers)).json()
    by_id = {item["id"]: item for item in page["items"]}
    assert set(by_id) == {keep, gone}
    assert by_id[gone]["deleted_at"] is not None and by_id[gone]["sets"] == []
    assert by_id[keep]["deleted_at"] is None and len(by_id[keep]["sets"]) == 2


async def test_bad_cursors_are_422(client):
    headers = await register(client)
    for cursor in ("abc", "WzEsMl0", "WyJ4IiwieSJd"):
        response = await client.get(f"/v1/workouts?updated_since={cursor}", headers=headers)
        assert_error(response, 422, "invalid_cursor")
