"""``/v1/models`` reads: the model list, version and event pages (never the artifact), runs,
who may read them, and the database refusing to change a version or an event."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pytest
from sqlalchemy.exc import DBAPIError

from models.coaching.artifact import loads
from tests.support.coach_artifacts import examples, tiny_coach
from tests.support.http import assert_error, json_of
from tests.support.registry import BASE, MODEL, account, add_versions, execute

#: a fixed id: parametrised test ids must be the same in every pytest-xdist worker
UNKNOWN_RUN = uuid.UUID("00000000-0000-4000-8000-00000000c0de")
ROUTES = [
    ("GET", "/v1/models", None),
    ("GET", f"{BASE}/versions", None),
    ("GET", f"{BASE}/events", None),
    ("GET", f"{BASE}/runs/{UNKNOWN_RUN}", None),
    ("POST", f"{BASE}/train", {}),
    ("POST", f"{BASE}/promote", {"version": 1}),
    ("POST", f"{BASE}/rollback", {}),
]
WRITES = [route for route in ROUTES if route[0] == "POST"]


async def call(client, method: str, url: str, body: Any, headers: dict[str, str]):
    if method == "GET":
        return await client.get(url, headers=headers)
    return await client.post(url, json=body, headers=headers)


async def pages(client, url: str, headers: dict[str, str], limit: int) -> list[list[dict]]:
    out: list[list[dict]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = json_of(await client.get(url, params=params, headers=headers), 200)
        out.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return out
        assert len(out) < 20, "pagination does not end"


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "url", "body"), ROUTES)
async def test_athletes_are_refused_on_every_route(client, method, url, body):
    headers, _ = await account(client, "athlete")
    assert_error(await call(client, method, url, body, headers), 403, "forbidden")


@pytest.mark.parametrize(("method", "url", "body"), WRITES)
async def test_analysts_may_not_train_promote_or_roll_back(client, method, url, body):
    headers, _ = await account(client, "analyst")
    assert_error(await call(client, method, url, body, headers), 403, "forbidden")


@pytest.mark.parametrize(("method", "url", "body"), ROUTES)
async def test_no_token_is_401(client, method, url, body):
    assert_error(await call(client, method, url, body, {}), 401)


@pytest.mark.parametrize(("method", "url", "body"), ROUTES[1:])
async def test_an_unknown_model_is_404(client, method, url, body):
    headers, _ = await account(client, "admin")
    url = url.replace(MODEL, "next_squat")
    error = assert_error(await call(client, method, url, body, headers), 404, "model_not_found")
    assert "next_squat" in error["message"]


async def test_a_very_long_unknown_name_is_echoed_only_in_part(client):
    headers, _ = await account(client, "admin")
    long_name = "m" * 5000
    response = await client.get(f"/v1/models/{long_name}/versions", headers=headers)
    error = assert_error(response, 404, "model_not_found")
    assert f"'{'m' * 64}…'" in error["message"] and len(error["message"]) < 200


# --- the model list ----------------------------------------------------------------------------


async def test_a_model_with_nothing_trained(client):
    headers, _ = await account(client, "analyst")
    assert json_of(await client.get("/v1/models", headers=headers), 200) == {
        "items": [
            {
                "name": MODEL,
                "champion": None,
                "challenger": None,
                "latest_version": None,
                "latest_run": None,
            }
        ]
    }


async def test_the_model_list_names_aliases_latest_version_and_run(client):
    admin, _ = await account(client, "admin")
    analyst, _ = await account(client, "analyst")
    await add_versions(client, 1, 2, 3)
    await execute(
        client,
        "INSERT INTO model_aliases (model_name, alias, version, updated_by) VALUES "
        "(:m, 'champion', 2, 'x@example.com'), (:m, 'challenger', 3, 'x@example.com')",
        m=MODEL,
    )
    old, new = uuid.uuid4(), uuid.uuid4()
    await execute(
        client,
        "INSERT INTO model_runs (id, model_name, status, requested_by, created_at, progress) "
        "VALUES (:old, :m, 'succeeded', 'beat', now() - interval '1 day', 1), "
        "(:new, :m, 'building', 'beat', now(), 0.25)",
        old=old,
        new=new,
        m=MODEL,
    )
    listed = json_of(await client.get("/v1/models", headers=analyst), 200)
    assert listed == {
        "items": [
            {
                "name": MODEL,
                "champion": 2,
                "challenger": 3,
                "latest_version": 3,
                "latest_run": {"id": str(new), "status": "building", "progress": 0.25},
            }
        ]
    }
    assert json_of(await client.get("/v1/models", headers=admin), 200) == listed


# --- versions ----------------------------------------------------------------------------------


async def test_versions_newest_first_in_pages_with_their_aliases(client):
    headers, _ = await account(client, "analyst")
    stored = await add_versions(client, 1, 2, 3, 4, 5)
    await execute(
        client,
        "INSERT INTO model_aliases (model_name, alias, version, updated_by) VALUES "
        "(:m, 'champion', 4, 'x@example.com'), (:m, 'challenger', 4, 'x@example.com')",
        m=MODEL,
    )
    got = await pages(client, f"{BASE}/versions", headers, limit=2)
    assert [[item["version"] for item in page] for page in got] == [[5, 4], [3, 2], [1]]
    items = {item["version"]: item for page in got for item in page}
    for version, row in stored.items():
        item = items[version]
        assert set(item) == {
            "name", "version", "created_at", "run_id", "window", "snapshot", "code_version",
            "params", "metrics", "artifact_sha256", "aliases",
        }  # fmt: skip
        assert item["name"] == MODEL and item["run_id"] is None
        assert item["window"] == {
            "trained_from": "2024-01-01",
            "trained_to": "2024-12-31",
            "cut": "2024-10-01",
        }
        for key in ("snapshot", "code_version", "params", "metrics", "artifact_sha256"):
            assert item[key] == row[key], key
        assert item["aliases"] == (["challenger", "champion"] if version == 4 else [])


async def test_a_stored_artifact_loads_back_and_predicts_as_fitted(client):
    await add_versions(client, 1)
    [(blob, digest)] = await execute(
        client,
        "SELECT artifact, artifact_sha256 FROM model_versions WHERE model_name = :m",
        m=MODEL,
    )
    x, _ = examples(seed=5, rows=30)
    np.testing.assert_array_equal(
        loads(bytes(blob), digest)["point"].predict(x), tiny_coach(seed=1)["point"].predict(x)
    )


async def test_a_cursor_not_made_by_forma_is_422(client):
    headers, _ = await account(client, "admin")
    for url in (f"{BASE}/versions", f"{BASE}/events"):
        for cursor in ("nonsense", "WyJ4Il0"):  # the second is ["x"]
            response = await client.get(url, params={"cursor": cursor}, headers=headers)
            assert_error(response, 422, "invalid_cursor")


# --- events and runs ---------------------------------------------------------------------------


async def test_events_newest_first_in_pages(client):
    headers, _ = await account(client, "analyst")
    await add_versions(client, 1, 2)
    for version, event, reason in [
        (1, "trained", None),
        (1, "promoted", "first candidate beats both baselines"),
        (2, "trained", None),
        (2, "rejected", "MAE 3.1 kg not below the champion's 2.0 kg"),
        (None, "failed", "no athletes"),
    ]:
        await execute(
            client,
            "INSERT INTO model_events (model_name, version, event, reason, actor, details) "
            "VALUES (:m, :v, :e, :r, 'worker', '{\"k\": 1}')",
            m=MODEL,
            v=version,
            e=event,
            r=reason,
        )
    got = await pages(client, f"{BASE}/events", headers, limit=2)
    assert [len(page) for page in got] == [2, 2, 1]
    items = [item for page in got for item in page]
    assert [(i["version"], i["event"], i["reason"]) for i in items] == [
        (None, "failed", "no athletes"),
        (2, "rejected", "MAE 3.1 kg not below the champion's 2.0 kg"),
        (2, "trained", None),
        (1, "promoted", "first candidate beats both baselines"),
        (1, "trained", None),
    ]
    assert all(i["actor"] == "worker" and i["details"] == {"k": 1} for i in items)
    assert all(i["name"] == MODEL for i in items)
    ids = [i["id"] for i in items]
    assert ids == sorted(ids, reverse=True)


async def test_a_run_reads_back_and_another_models_or_unknown_run_is_404(client):
    headers, _ = await account(client, "analyst")
    run = uuid.uuid4()
    await execute(
        client,
        "INSERT INTO model_runs (id, model_name, status, requested_by, progress, params, "
        "shards_total, shards_done, users_total, examples) "
        "VALUES (:id, :m, 'fitting', 'a@example.com', 0.7, '{\"max_iter\": 50}', 4, 4, 40, 900)",
        id=run,
        m=MODEL,
    )
    item = json_of(await client.get(f"{BASE}/runs/{run}", headers=headers), 200)
    assert {k: item[k] for k in item if k not in ("created_at",)} == {
        "id": str(run),
        "name": MODEL,
        "status": "fitting",
        "progress": 0.7,
        "params": {"max_iter": 50},
        "requested_by": "a@example.com",
        "started_at": None,
        "finished_at": None,
        "shards_total": 4,
        "shards_done": 4,
        "users_total": 40,
        "examples": 900,
        "snapshot": {},
        "message": None,
        "version": None,
    }
    missing = await client.get(f"{BASE}/runs/{uuid.uuid4()}", headers=headers)
    assert_error(missing, 404, "run_not_found")


# --- immutability (migration 0011's triggers) ----------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE model_versions SET code_version = 'forged' WHERE model_name = :m",
        "UPDATE model_versions SET artifact = '\\x00'::bytea WHERE model_name = :m",
        "DELETE FROM model_versions WHERE model_name = :m",
        "UPDATE model_events SET reason = 'forged' WHERE model_name = :m",
        "DELETE FROM model_events WHERE model_name = :m",
    ],
)
async def test_versions_and_events_cannot_be_changed_or_deleted(client, statement):
    stored = await add_versions(client, 1)
    await execute(
        client,
        "INSERT INTO model_events (model_name, version, event, actor) "
        "VALUES (:m, 1, 'trained', 'worker')",
        m=MODEL,
    )
    with pytest.raises(DBAPIError) as refused:
        await execute(client, statement, m=MODEL)
    assert "append-only" in str(refused.value)
    assert getattr(refused.value.orig, "sqlstate", None) == "23001"  # restrict_violation
    [(code, digest)] = await execute(
        client, "SELECT code_version, artifact_sha256 FROM model_versions WHERE model_name = :m",
        m=MODEL,
    )  # fmt: skip
    assert (code, digest) == (stored[1]["code_version"], stored[1]["artifact_sha256"])
    [(reason, count)] = await execute(
        client, "SELECT max(reason), count(*) FROM model_events WHERE model_name = :m", m=MODEL
    )
    assert (reason, count) == (None, 1)
