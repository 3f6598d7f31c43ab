"""Dataset snapshot routes in the rolled-back tier: who may call them, unknown names and
ids, snapshots not ready, bad filters (422 naming the field) and the list's pages."""

from __future__ import annotations

import uuid

import pytest

from tests.support.registry import account, execute

SNAPSHOTS = "/v1/datasets/snapshots"


async def _ask(client, headers, name: str = "sets", **body):
    return await client.post(f"/v1/datasets/{name}/snapshots", json=body, headers=headers)


async def test_athletes_get_403_everywhere(client):
    athlete, _ = await account(client, "athlete")
    analyst, _ = await account(client, "analyst")
    made = (await _ask(client, analyst)).json()["id"]
    for method, url in [
        ("POST", "/v1/datasets/sets/snapshots"),
        ("GET", SNAPSHOTS),
        ("GET", f"{SNAPSHOTS}/{made}"),
        ("GET", f"{SNAPSHOTS}/{made}/data"),
    ]:
        response = await client.request(
            method, url, headers=athlete, json={} if method == "POST" else None
        )
        assert response.status_code == 403, (url, response.text)
        assert response.json()["error"]["code"] == "forbidden"
    assert (await client.get(SNAPSHOTS)).status_code == 401


async def test_unknown_dataset_and_snapshot_are_404(client):
    admin, _ = await account(client, "admin")
    response = await _ask(client, admin, "nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "dataset_not_found"
    for url in (f"{SNAPSHOTS}/{uuid.uuid4()}", f"{SNAPSHOTS}/{uuid.uuid4()}/data"):
        response = await client.get(url, headers=admin)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "snapshot_not_found"


async def test_a_snapshot_not_taken_yet_has_no_data(client):
    analyst, _ = await account(client, "analyst")
    made = (await _ask(client, analyst)).json()
    response = await client.get(f"{SNAPSHOTS}/{made['id']}/data", headers=analyst)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "snapshot_not_ready" and error["details"]["status"] == "queued"
    await execute(client, "UPDATE dataset_snapshots SET status = 'failed', message = 'x' "
                  "WHERE id = :id", id=made["id"])  # fmt: skip
    response = await client.get(f"{SNAPSHOTS}/{made['id']}/data", headers=analyst)
    assert response.status_code == 409 and response.json()["error"]["details"]["status"] == "failed"
    shown = (await client.get(f"{SNAPSHOTS}/{made['id']}", headers=analyst)).json()
    assert (shown["status"], shown["message"]) == ("failed", "x")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sample": 0}, "sample"),
        ({"sample": 1.5}, "sample"),
        ({"since": "2026-03-01", "until": "2026-02-01"}, "until"),
        ({"columns": ["weight_kg", "email"]}, "columns"),
        ({"columns": ["notes"]}, "columns"),  # free text, off unless an admin allows it
        ({"run_id": str(uuid.uuid4())}, "run_id"),  # sets have no training runs
        ({"since": "yesterday"}, "since"),
        ({"until": "20260201"}, "until"),  # ISO's extended form only
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_filters_are_422_naming_the_field(client, body, field):
    analyst, _ = await account(client, "analyst")
    response = await _ask(client, analyst, **body)
    assert response.status_code == 422, response.text
    locations = [d["loc"] for d in response.json()["error"]["details"]]
    assert ["body", field] in locations, locations
    assert (await execute(client, "SELECT count(*) FROM dataset_snapshots"))[0][0] == 0


async def test_features_without_a_run_needs_one(client):
    analyst, _ = await account(client, "analyst")
    response = await _ask(client, analyst, "features")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "run_not_found"


async def test_the_list_pages_newest_first_and_filters(client):
    analyst, email = await account(client, "analyst")
    made = [(await _ask(client, analyst, name)).json() for name in ("sets", "workouts", "sets")]
    assert all(m["created_by"] == email for m in made)
    first = await client.get(SNAPSHOTS, params={"limit": 2}, headers=analyst)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [i["id"] for i in page["items"]] == [made[2]["id"], made[1]["id"]]
    rest = await client.get(SNAPSHOTS, params={"limit": 2, "cursor": page["next_cursor"]},
                            headers=analyst)  # fmt: skip
    assert [i["id"] for i in rest.json()["items"]] == [made[0]["id"]]
    assert rest.json()["next_cursor"] is None
    sets = (await client.get(SNAPSHOTS, params={"dataset": "sets"}, headers=analyst)).json()
    assert [i["id"] for i in sets["items"]] == [made[2]["id"], made[0]["id"]]
    assert all(i["dataset"] == "sets" for i in sets["items"])
    bad = await client.get(SNAPSHOTS, params={"cursor": "nonsense"}, headers=analyst)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"
    one = (await client.get(f"{SNAPSHOTS}/{made[1]['id']}", headers=analyst)).json()
    assert {k: one[k] for k in ("dataset", "status", "progress", "key_period")} == {
        "dataset": "workouts", "status": "queued", "progress": 0.0,
        "key_period": made[1]["key_period"],
    }  # fmt: skip
