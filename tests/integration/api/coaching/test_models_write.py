"""``/v1/models`` writes (admins): train (one active run per model, parameters checked),
promote and roll back (the champion alias, an event each, re-scoring queued)."""

from __future__ import annotations

import asyncio
import time

import pytest

from models.coaching.estimator import Params
from tests.support.http import assert_error, assert_validation, json_of
from tests.support.registry import (
    BASE,
    MODEL,
    account,
    add_versions,
    execute,
    queue_key,
    queued_tasks,
    redis_of,
)


@pytest.fixture
def empty_queue(settings):
    client = redis_of(settings)
    client.delete(queue_key(settings))
    client.close()


async def eventually_queued(settings, expected: tuple[str, list]) -> list[tuple[str, list]]:
    """The queued messages once ``expected`` is among them (the API sends after answering)."""
    # A deadline, not a count: on a loaded machine the executor thread that sends can
    # take seconds to be scheduled.
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        tasks = queued_tasks(settings)
        if expected in tasks:
            return tasks
        await asyncio.sleep(0.05)
    raise AssertionError(f"{expected} never queued: {queued_tasks(settings)}")


async def champion(client) -> tuple[int, str] | None:
    rows = await execute(
        client,
        "SELECT version, updated_by FROM model_aliases "
        "WHERE model_name = :m AND alias = 'champion'",
        m=MODEL,
    )
    return (rows[0][0], rows[0][1]) if rows else None


async def events(client) -> list[tuple]:
    """``(event, version, reason, actor, details)`` oldest first."""
    rows = await execute(
        client,
        "SELECT event, version, reason, actor, details FROM model_events "
        "WHERE model_name = :m ORDER BY id",
        m=MODEL,
    )
    return [tuple(row) for row in rows]


# --- train ---------------------------------------------------------------------------------------


async def test_train_queues_a_run_and_sends_it(client, settings, empty_queue):
    headers, email = await account(client, "admin")
    answer = json_of(
        await client.post(f"{BASE}/train", json={"params": {"max_iter": "40"}}, headers=headers),
        202,
    )
    run_id = answer["id"]
    assert answer == {"id": run_id, "status": "queued", "progress": 0.0}
    [(status, requested_by, params)] = await execute(
        client, "SELECT status, requested_by, params FROM model_runs WHERE id = :id", id=run_id
    )
    assert (status, requested_by) == ("queued", email)
    # the override, parsed, among every other parameter at its default
    assert params == {**Params().as_dict(), "max_iter": 40}
    run = json_of(await client.get(f"{BASE}/runs/{run_id}", headers=headers), 200)
    assert (run["status"], run["requested_by"], run["params"]) == ("queued", email, params)
    await eventually_queued(settings, ("coaching.train", [run_id]))


async def test_numbers_are_taken_as_well_as_strings_and_null_keeps_the_default(client):
    headers, _ = await account(client, "admin")
    body = {"params": {"max_iter": 40, "learning_rate": 0.1, "seed": None}}
    run_id = json_of(await client.post(f"{BASE}/train", json=body, headers=headers), 202)["id"]
    [(params,)] = await execute(client, "SELECT params FROM model_runs WHERE id = :id", id=run_id)
    assert params == {**Params().as_dict(), "max_iter": 40, "learning_rate": 0.1}


async def test_train_without_a_body_uses_the_defaults(client):
    headers, _ = await account(client, "admin")
    run_id = json_of(await client.post(f"{BASE}/train", headers=headers), 202)["id"]
    [(params,)] = await execute(client, "SELECT params FROM model_runs WHERE id = :id", id=run_id)
    assert params == Params().as_dict()


async def test_a_second_run_while_one_is_active_is_409_naming_it(client):
    headers, _ = await account(client, "admin")
    first = json_of(await client.post(f"{BASE}/train", json={}, headers=headers), 202)["id"]
    for status in ("queued", "building", "fitting"):
        await execute(
            client, "UPDATE model_runs SET status = :s WHERE id = :id", s=status, id=first
        )
        error = assert_error(
            await client.post(f"{BASE}/train", json={}, headers=headers),
            409,
            "training_in_progress",
        )
        assert error["details"] == {"run_id": first} and first in error["message"]
    [(count,)] = await execute(client, "SELECT count(*) FROM model_runs")
    assert count == 1
    await execute(client, "UPDATE model_runs SET status = 'failed' WHERE id = :id", id=first)
    second = json_of(await client.post(f"{BASE}/train", json={}, headers=headers), 202)["id"]
    assert second != first


@pytest.mark.parametrize(
    ("params", "key", "words"),
    [
        ({"no_such_knob": "1"}, "no_such_knob", "Extra inputs are not permitted"),
        ({"max_iter": "many"}, "max_iter", "is not int"),
        ({"max_iter": "0"}, "max_iter", "max_iter"),
        ({"learning_rate": "nan"}, "learning_rate", "learning_rate"),
    ],
)
async def test_a_bad_parameter_is_422_naming_it(client, params, key, words):
    headers, _ = await account(client, "admin")
    response = await client.post(
        f"{BASE}/train", json={"params": {"max_iter": "40", **params}}, headers=headers
    )
    error = assert_validation(response, "body", "params", key)
    assert len(error["details"]) == 1 and words in error["details"][0]["msg"]
    assert await execute(client, "SELECT id FROM model_runs") == []


@pytest.mark.parametrize(
    "body",
    [
        {"params": {"max_iter": "4\x000"}},
        {"params": {"max_iter": True}},
        {"params": {"max_iter": ""}},
        {"params": ["max_iter=40"]},
        {"parameters": {}},
    ],
)
async def test_a_malformed_train_body_is_422(client, body):
    headers, _ = await account(client, "admin")
    assert_validation(await client.post(f"{BASE}/train", json=body, headers=headers))


# --- promote -------------------------------------------------------------------------------------


async def test_promote_moves_the_champion_and_records_who(client, settings, empty_queue):
    headers, email = await account(client, "admin")
    await add_versions(client, 1, 2)
    first = json_of(await client.post(f"{BASE}/promote", json={"version": 1}, headers=headers), 200)
    assert (first["champion"], first["previous_champion"]) == (1, None)
    second = json_of(
        await client.post(f"{BASE}/promote", json={"version": 2}, headers=headers), 200
    )
    assert (second["name"], second["champion"], second["previous_champion"]) == (MODEL, 2, 1)
    assert second["event"]["event"] == "promoted" and second["event"]["actor"] == email
    assert await champion(client) == (2, email)
    assert await events(client) == [
        ("promoted", 1, "promoted by an admin", email, {"previous_champion": None}),
        ("promoted", 2, "promoted by an admin", email, {"previous_champion": 1}),
    ]
    listed = json_of(await client.get("/v1/models", headers=headers), 200)["items"][0]
    assert listed["champion"] == 2
    await eventually_queued(settings, ("coaching.score_all", []))


async def test_promote_an_unknown_version_is_404_and_changes_nothing(client):
    headers, _ = await account(client, "admin")
    await add_versions(client, 1)
    response = await client.post(f"{BASE}/promote", json={"version": 2}, headers=headers)
    assert_error(response, 404, "version_not_found")
    assert await champion(client) is None and await events(client) == []


async def test_promote_the_champion_again_is_409(client):
    headers, _ = await account(client, "admin")
    await add_versions(client, 1)
    json_of(await client.post(f"{BASE}/promote", json={"version": 1}, headers=headers), 200)
    again = await client.post(f"{BASE}/promote", json={"version": 1}, headers=headers)
    assert_error(again, 409, "already_champion")
    assert len(await events(client)) == 1


@pytest.mark.parametrize("body", [{}, {"version": "1"}, {"version": 0}, {"version": True}])
async def test_a_malformed_promote_body_is_422(client, body):
    headers, _ = await account(client, "admin")
    assert_validation(await client.post(f"{BASE}/promote", json=body, headers=headers))


# --- rollback ------------------------------------------------------------------------------------


async def test_rollback_walks_back_through_earlier_champions(client, settings, empty_queue):
    headers, email = await account(client, "admin")
    await add_versions(client, 1, 2, 3)
    for version in (1, 2, 3):
        json_of(
            await client.post(f"{BASE}/promote", json={"version": version}, headers=headers), 200
        )
    back = json_of(await client.post(f"{BASE}/rollback", headers=headers), 200)
    assert (back["champion"], back["previous_champion"]) == (2, 3)
    assert back["event"]["event"] == "rolled_back" and back["event"]["version"] == 2
    assert await champion(client) == (2, email)
    await eventually_queued(settings, ("coaching.score_all", []))
    # again: the one before 2, not 3 (which was rolled back from)
    back = json_of(await client.post(f"{BASE}/rollback", json={}, headers=headers), 200)
    assert (back["champion"], back["previous_champion"]) == (1, 2)
    none_left = await client.post(f"{BASE}/rollback", headers=headers)
    assert_error(none_left, 409, "no_earlier_champion")
    assert [(e[0], e[1], e[4]) for e in await events(client)] == [
        ("promoted", 1, {"previous_champion": None}),
        ("promoted", 2, {"previous_champion": 1}),
        ("promoted", 3, {"previous_champion": 2}),
        ("rolled_back", 2, {"previous_champion": 3}),
        ("rolled_back", 1, {"previous_champion": 2}),
    ]
    assert all(
        e[2] == "rolled back by an admin" and e[3] == email for e in (await events(client))[3:]
    )


async def test_rollback_after_promoting_an_old_version_again(client):
    headers, _ = await account(client, "admin")
    await add_versions(client, 1, 2)
    for version in (1, 2, 1):
        json_of(
            await client.post(f"{BASE}/promote", json={"version": version}, headers=headers), 200
        )
    back = json_of(await client.post(f"{BASE}/rollback", headers=headers), 200)
    assert (back["champion"], back["previous_champion"]) == (2, 1)


async def test_rollback_to_a_named_version(client):
    headers, _ = await account(client, "admin")
    await add_versions(client, 1, 2, 3)
    for version in (1, 2, 3):
        await client.post(f"{BASE}/promote", json={"version": version}, headers=headers)
    back = json_of(await client.post(f"{BASE}/rollback", json={"version": 1}, headers=headers), 200)
    assert (back["champion"], back["previous_champion"]) == (1, 3)
    assert await champion(client) == (1, back["event"]["actor"])
    missing = await client.post(f"{BASE}/rollback", json={"version": 9}, headers=headers)
    assert_error(missing, 404, "version_not_found")
    same = await client.post(f"{BASE}/rollback", json={"version": 1}, headers=headers)
    assert_error(same, 409, "already_champion")


async def test_rollback_without_any_champion_or_with_only_one_is_409(client):
    headers, _ = await account(client, "admin")
    await add_versions(client, 1)
    assert_error(await client.post(f"{BASE}/rollback", headers=headers), 409, "no_earlier_champion")
    await client.post(f"{BASE}/promote", json={"version": 1}, headers=headers)
    assert_error(await client.post(f"{BASE}/rollback", headers=headers), 409, "no_earlier_champion")
    assert await champion(client) == (1, (await events(client))[0][3])
