"""Bodies and cursors a careless or hostile client sends: each a 4xx, never a 500."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from tests.support import accounts
from tests.support.exercises import create_exercise
from tests.support.http import assert_error, register
from tests.support.workouts import BENCH, a_set, a_workout, new_id, put_with_set


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "body_of"),
    [
        ("title", lambda: a_workout(title="a\x00b")),
        ("notes", lambda: a_workout(sets=[a_set(notes="\x00")])),
    ],
)
async def test_nul_characters_are_422(client, path, body_of):
    headers = await register(client)
    response = await client.put(f"/v1/workouts/{new_id()}", json=body_of(), headers=headers)
    assert_error(response, 422, "validation_error")


async def test_nul_in_exercise_names_and_search(client):
    headers = await register(client)
    created = await client.post(
        "/v1/exercises", json={"name": "a\x00b", "kind": "strength"}, headers=headers
    )
    assert_error(created, 422)
    assert_error(await client.get("/v1/exercises?q=%00", headers=headers), 422)
    bad_cursor = _cursor(["\x00", str(uuid.uuid4())])
    assert_error(await client.get(f"/v1/exercises?cursor={bad_cursor}", headers=headers), 422)


@pytest.mark.parametrize(
    ("field", "value"),
    [("reps", True), ("reps", "5"), ("weight_kg", "100"), ("rpe", False)],
)
async def test_wrong_types_are_not_coerced(client, field, value):
    headers = await register(client)
    response = await put_with_set(client, headers, **{field: value})
    locs = [d["loc"] for d in assert_error(response, 422)["details"]]
    assert ["body", "sets", 0, field] in locs


async def test_a_number_is_not_a_date(client):
    headers = await register(client)
    body = a_workout()
    body["started_at"] = 123
    response = await client.put(f"/v1/workouts/{new_id()}", json=body, headers=headers)
    assert ["body", "started_at"] in [d["loc"] for d in assert_error(response, 422)["details"]]


async def test_feed_cursors_out_of_range_are_422(client):
    headers = await register(client)
    await client.put(f"/v1/workouts/{new_id()}", json=a_workout(), headers=headers)
    raw = [
        "WzFlOTk5OSwgIngiXQ==",  # [1e9999, "x"]
        _cursor([10**30, str(uuid.uuid4())]),
        _cursor([-(10**30), str(uuid.uuid4())]),
        _cursor([2**63, str(uuid.uuid4())]),
        _cursor([10**6, str(uuid.uuid4())]),  # past this user's own sequence
        _cursor([True, str(uuid.uuid4())]),
    ]
    for cursor in raw:
        response = await client.get(
            "/v1/workouts", params={"updated_since": cursor}, headers=headers
        )
        assert_error(response, 422, "invalid_cursor")


async def test_batch_survives_a_poisoned_item_and_a_repeated_id(client):
    headers = await register(client)
    good, repeated = new_id(), new_id()
    items = [
        {**a_workout(), "id": good},
        {**a_workout(title="a\x00b"), "id": new_id()},
        {**a_workout(), "id": repeated},
        {**a_workout(title="second"), "id": repeated},
    ]
    response = await client.post("/v1/workouts/batch", json={"items": items}, headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "invalid", "created", "invalid"]
    assert results[3]["code"] == "duplicate_in_batch"
    assert (await client.get(f"/v1/workouts/{good}", headers=headers)).status_code == 200
    kept = (await client.get(f"/v1/workouts/{repeated}", headers=headers)).json()
    assert kept["title"] == "Push"


async def _logged_custom_exercise(
    client: Any, headers: dict[str, str], name: str
) -> tuple[str, str, str]:
    """A new custom exercise, a workout with a set of it, and the sync cursor after that."""
    exercise = await create_exercise(client, headers, name=name, kind="strength")
    workout_id = new_id()
    await client.put(
        f"/v1/workouts/{workout_id}", json=a_workout(sets=[a_set(exercise["id"])]), headers=headers
    )
    feed = await client.get("/v1/workouts?updated_since=0", headers=headers)
    return exercise["id"], workout_id, feed.json()["next_cursor"]


async def test_sets_of_a_merged_exercise_land_on_its_target(client):
    headers = await register(client)
    spoto, wid, cursor = await _logged_custom_exercise(client, headers, "Spoto Press")
    merged = await client.post(
        f"/v1/exercises/{spoto}/merge", json={"into": BENCH}, headers=headers
    )
    assert merged.status_code == 200
    # A phone that logged offline against the merged id keeps working.
    offline = await client.put(
        f"/v1/workouts/{new_id()}", json=a_workout(sets=[a_set(spoto)]), headers=headers
    )
    assert offline.status_code == 201
    assert offline.json()["sets"][0]["exercise_id"] == BENCH
    changes = (
        await client.get("/v1/workouts", params={"updated_since": cursor}, headers=headers)
    ).json()
    assert wid in [item["id"] for item in changes["items"]]


async def test_a_rename_is_resent_through_the_feed(client):
    headers = await register(client)
    ex_id, wid, cursor = await _logged_custom_exercise(client, headers, "Larsen Press")
    renamed = await client.patch(
        f"/v1/exercises/{ex_id}", json={"name": "Larsen Bench"}, headers=headers
    )
    assert renamed.status_code == 200
    changes = (
        await client.get("/v1/workouts", params={"updated_since": cursor}, headers=headers)
    ).json()
    [item] = changes["items"]
    assert item["id"] == wid and item["sets"][0]["exercise_name"] == "Larsen Bench"


async def test_a_token_from_just_before_a_password_change_is_refused(client):
    from tests.support.http import PASSWORD

    _, email = await accounts.signup(client, accounts.fresh_email("pw"))
    token = (await accounts.login(client, email))["access_token"]
    changed = await accounts.change_password(client, token, PASSWORD, PASSWORD + "!")
    assert changed.status_code == 204
    assert_error(await accounts.me(client, token), 401, "invalid_token")
