"""Every input answered as documented: unreadable bodies, ISO 8601 dates, 405 Allow, OpenAPI."""

from __future__ import annotations

import pytest

from tests.support.http import assert_error, register
from tests.support.workouts import a_workout, new_id

# --- unreadable bodies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"email": "\xff\xfe"}',  # not UTF-8
        b"[" * 100_000,  # deeper than the JSON parser's recursion limit
        b'{"email": ',  # cut short
    ],
    ids=["not-utf8", "too-deep", "truncated"],
)
async def test_an_unreadable_json_body_is_422_in_the_one_shape(client, raw):
    response = await client.post(
        "/v1/auth/register", content=raw, headers={"content-type": "application/json"}
    )
    error = assert_error(response, 422, "validation_error")
    assert [item["loc"][0] for item in error["details"]] == ["body"]


# --- dates and date-times only as ISO 8601 -------------------------------------------------

NOT_ISO = ["0.5", "1700000000", "-1", "20240501", "2024-5-1"]


@pytest.mark.parametrize("value", NOT_ISO)
@pytest.mark.parametrize(
    "path",
    [
        "/v1/workouts",
        "/v1/body-metrics",
        "/v1/analytics/load",
        "/v1/analytics/exercises/00000000-0000-0000-0000-000000000001/progress",
    ],
)
async def test_numbers_are_not_dates_in_queries(client, path, value):
    headers = await register(client)
    for name in ("from", "to"):
        response = await client.get(path, params={name: value}, headers=headers)
        error = assert_error(response, 422, "validation_error")
        assert error["details"][0]["loc"] == ["query", name], error


async def test_iso_dates_in_queries_still_work(client):
    headers = await register(client)
    for path, value in [
        ("/v1/workouts", "2024-05-01T07:30:00+02:00"),
        ("/v1/workouts", "2024-05-01"),
        ("/v1/body-metrics", "2024-05-01"),
        ("/v1/analytics/load", "2024-05-01"),
    ]:
        response = await client.get(path, params={"from": value}, headers=headers)
        assert response.status_code == 200, (path, response.text)


@pytest.mark.parametrize("value", ["0.5", "1700000000", "2025-03-03T07:00:00." + "1" * 30 + "Z"])
async def test_numeric_strings_are_not_date_times_in_bodies(client, value):
    headers = await register(client)
    response = await client.put(
        f"/v1/workouts/{new_id()}", json=a_workout(started_at=value), headers=headers
    )
    error = assert_error(response, 422, "validation_error")
    assert ["body", "started_at"] in [item["loc"] for item in error["details"]]
    metric = await client.post(
        "/v1/body-metrics", json={"measured_on": "1714521600", "resting_hr": 50}, headers=headers
    )
    error = assert_error(metric, 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", "measured_on"]


# --- 405 names every method at the path ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/v1/workouts/batch", "POST"),
        ("GET", "/v1/workouts/batch", "POST"),
        ("DELETE", "/v1/workouts", "GET, POST"),
        ("POST", "/v1/workouts/00000000-0000-0000-0000-000000000001", "GET, PUT, PATCH, DELETE"),
        ("PUT", "/v1/users/me", "GET, PATCH"),
        ("PUT", "/v1/body-metrics", "GET, POST"),
        ("GET", "/v1/auth/token", "POST"),
    ],
)
async def test_405_allow_lists_every_route_at_the_path(client, method, path, allow):
    response = await client.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allow


async def test_a_workout_id_that_is_not_a_uuid_is_an_unknown_resource(client):
    headers = await register(client)
    assert_error(await client.get("/v1/workouts/nope", headers=headers), 404, "not_found")
    assert_error(
        await client.put("/v1/workouts/nope", json=a_workout(), headers=headers), 404, "not_found"
    )


# --- POST with an existing id ----------------------------------------------------------------


async def test_post_with_an_existing_id_replaces_and_says_so(client):
    headers = await register(client)
    wid = new_id()
    created = await client.post("/v1/workouts", json=a_workout(id=wid), headers=headers)
    assert created.status_code == 201, created.text
    replaced = await client.post(
        "/v1/workouts", json=a_workout(id=wid, title="Pull"), headers=headers
    )
    assert replaced.status_code == 200 and replaced.json()["title"] == "Pull"
    schema = (await client.get("/openapi.json")).json()
    assert {"200", "201"} <= set(schema["paths"]["/v1/workouts"]["post"]["responses"])


# --- the schema declares what app-wide layers answer ------------------------------------------


async def test_every_operation_declares_its_body_cap_and_validation_statuses(client):
    schema = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in str(schema)
    operations = [
        (path, method, op) for path, item in schema["paths"].items() for method, op in item.items()
    ]
    assert len(operations) >= 34
    for path, method, op in operations:
        responses = op["responses"]
        if "requestBody" in op:
            assert "413" in responses, (method, path)
        if "requestBody" in op or op.get("parameters"):
            ref = responses["422"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorResponse"), (method, path)
    assert "/v1/workouts/{workout_id}" in schema["paths"]
    assert "404" in schema["paths"]["/v1/workouts/{workout_id}"]["put"]["responses"]
