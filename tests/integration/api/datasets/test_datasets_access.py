"""Who may read datasets, and the answers before any row is read: 401 without a token,
403 for athletes, 404 for an unknown dataset or run, 422 naming the bad parameter; the
OpenAPI document lists the three media types; an analyst cannot read an athlete's
workout through the athletes' API."""

from __future__ import annotations

import uuid

import pytest

from api.datasets.catalogue import DATASETS
from tests.support.http import assert_error, assert_validation, json_of
from tests.support.registry import account
from tests.support.workouts import a_workout

ROUTES = ["/v1/datasets", *(f"/v1/datasets/{name}" for name in DATASETS)]


@pytest.mark.parametrize("url", ROUTES)
async def test_athletes_are_refused(client, url):
    headers, _ = await account(client, "athlete")
    assert_error(await client.get(url, headers=headers), 403, "forbidden")


@pytest.mark.parametrize("url", ROUTES[:2])
async def test_no_token_is_401(client, url):
    assert_error(await client.get(url), 401)


async def test_an_unknown_dataset_is_404(client):
    headers, _ = await account(client, "analyst")
    error = assert_error(await client.get("/v1/datasets/users", headers=headers), 404)
    assert error["code"] == "dataset_not_found"
    assert "users" in error["message"]


async def test_an_unknown_run_is_404(client):
    headers, _ = await account(client, "admin")
    run = uuid.uuid4()
    response = await client.get(
        "/v1/datasets/features", params={"run_id": str(run)}, headers=headers
    )
    error = assert_error(response, 404, "run_not_found")
    assert str(run) in error["message"]


@pytest.mark.parametrize(
    ("params", "parameter", "word"),
    [
        ({"sample": "0"}, "sample", "0"),
        ({"sample": "1.5"}, "sample", "1.5"),
        ({"sample": "-0.2"}, "sample", "-0.2"),
        ({"sample": "a lot"}, "sample", "a lot"),
        ({"columns": "weight_kg,user_id"}, "columns", "user_id"),
        ({"columns": "notes"}, "columns", "notes"),
        ({"columns": "email"}, "columns", "email"),
        ({"since": "2025-03-05", "until": "2025-03-04"}, "until", "2025-03-04"),
        ({"since": "last week"}, "since", "last week"),
        ({"until": "2025-02-30"}, "until", "2025-02-30"),
        ({"run_id": str(uuid.UUID(int=7))}, "run_id", "sets"),
        ({"format": "xlsx"}, "format", None),
        # a misspelt filter would otherwise export every athlete and column, silently
        ({"colums": "weight_kg"}, "colums", "unknown query parameter"),
        ({"samples": "0.1", "since": "2025-01-01"}, "samples", "sample"),
    ],
)
async def test_bad_filters_are_422_naming_the_parameter(client, params, parameter, word):
    headers, _ = await account(client, "analyst")
    response = await client.get("/v1/datasets/sets", params=params, headers=headers)
    error = assert_validation(response, "query", parameter)
    if word is not None:
        assert word in error["message"] or any(word in d["msg"] for d in error["details"])


async def test_the_dataset_is_checked_before_the_filters(client):
    headers, _ = await account(client, "analyst")
    response = await client.get("/v1/datasets/nope", params={"sample": "9"}, headers=headers)
    assert_error(response, 404, "dataset_not_found")


async def test_analysts_cannot_read_an_athletes_workout(client):
    athlete, _ = await account(client, "athlete")
    workout_id = str(uuid.uuid4())
    created = await client.put(f"/v1/workouts/{workout_id}", json=a_workout(), headers=athlete)
    assert created.status_code == 201, created.text
    for role in ("analyst", "admin"):
        headers, _ = await account(client, role)
        assert_error(await client.get(f"/v1/workouts/{workout_id}", headers=headers), 404)
        page = json_of(await client.get("/v1/workouts", headers=headers), 200)
        assert page["items"] == []


async def test_openapi_documents_the_media_types_and_the_columns(client):
    schema = json_of(await client.get("/openapi.json"), 200)
    operation = schema["paths"]["/v1/datasets/{name}"]["get"]
    ok = operation["responses"]["200"]
    assert set(ok["content"]) == {
        "application/vnd.apache.parquet",
        "application/vnd.apache.arrow.stream",
        "text/csv; charset=utf-8",
    }
    assert "application/json" not in ok["content"]
    for dataset in DATASETS.values():
        assert f"**{dataset.name}**" in ok["description"]
        for column in dataset.columns:
            assert f"`{column.name}`" in ok["description"]
    assert {"404", "401", "403", "422", "503"} <= set(operation["responses"])
    parameters = {p["name"] for p in operation["parameters"]}
    assert parameters == {"name", "format", "since", "until", "sample", "columns", "run_id"}
    listing = schema["paths"]["/v1/datasets"]["get"]
    assert "application/json" in listing["responses"]["200"]["content"]
