"""``POST /v1/auth/register``: the profile, unique e-mails, passwords as given, bad bodies.

Expected values are derived here, not read back from the code under test.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from tests.support import accounts
from tests.support.http import PASSWORD, assert_error, assert_validation

USER_FIELDS = {
    "id",
    "email",
    "role",
    "time_zone",
    "unit_system",
    "sex",
    "birth_year",
    "resting_hr",
    "max_hr",
    "created_at",
}


# --- register -------------------------------------------------------------------------------


async def test_register_returns_201_and_the_profile(client):
    before = datetime.now(UTC)
    response = await client.post(
        "/v1/auth/register", json={"email": "New.Athlete@Example.COM", "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == USER_FIELDS  # no password or hash leaks out
    assert str(uuid.UUID(body["id"])) == body["id"]
    assert body["email"] == "new.athlete@example.com"
    assert body["role"] == "athlete"
    assert body["time_zone"] == "UTC"
    assert body["unit_system"] is None
    assert body["sex"] is None
    assert body["birth_year"] is None
    assert body["resting_hr"] is None
    assert body["max_hr"] is None
    created_at = datetime.fromisoformat(body["created_at"])
    assert created_at.tzinfo is not None
    # the database clock and this one agree to within a minute
    assert abs((created_at - before).total_seconds()) < 60


async def test_register_takes_time_zone_and_unit_system(client):
    response = await client.post(
        "/v1/auth/register",
        json={
            "email": accounts.fresh_email(),
            "password": PASSWORD,
            "time_zone": "Europe/Stockholm",
            "unit_system": "imperial",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["time_zone"] == "Europe/Stockholm"
    assert response.json()["unit_system"] == "imperial"


@pytest.mark.parametrize(
    ("first", "second"),
    [("A@x.com", "a@X.com"), ("a@x.com", "A@X.COM"), ("same@x.com", "same@x.com")],
)
async def test_register_email_is_unique_case_insensitively(client, first, second):
    ok = await client.post("/v1/auth/register", json={"email": first, "password": PASSWORD})
    assert ok.status_code == 201, ok.text
    again = await client.post(
        "/v1/auth/register", json={"email": second, "password": "another password"}
    )
    assert_error(again, 409, "email_taken")
    # the first account is untouched: its password still works, the second one does not
    good = await client.post("/v1/auth/token", data={"username": second, "password": PASSWORD})
    assert good.status_code == 200, good.text
    bad = await client.post(
        "/v1/auth/token", data={"username": first, "password": "another password"}
    )
    assert_error(bad, 401, "invalid_credentials")


async def test_password_of_exactly_eight_characters_is_enough(client):
    response = await client.post(
        "/v1/auth/register", json={"email": accounts.fresh_email(), "password": "8chars!!"}
    )
    assert response.status_code == 201, response.text


async def test_password_is_used_exactly_as_given(client):
    """Leading/trailing spaces are part of a password; the login form does not strip them."""
    email = accounts.fresh_email()
    password = "  spaced out password  "
    created = await client.post("/v1/auth/register", json={"email": email, "password": password})
    assert created.status_code == 201, created.text
    exact = await client.post("/v1/auth/token", data={"username": email, "password": password})
    assert exact.status_code == 200, exact.text
    stripped = await client.post(
        "/v1/auth/token", data={"username": email, "password": password.strip()}
    )
    assert_error(stripped, 401, "invalid_credentials")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password": "7 chars"}, "password"),
        ({"password": "x" * 257}, "password"),
        ({"password": None}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "two@@example.com"}, "email"),
        ({"email": ""}, "email"),
        ({"role": "admin"}, "role"),
        ({"is_admin": True}, "is_admin"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "europe/stockholm"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"time_zone": "localtime"}, "time_zone"),  # the server's zone, not an IANA name
        ({"unit_system": "furlongs"}, "unit_system"),
        ({"unit_system": "Metric"}, "unit_system"),
    ],
)
async def test_register_rejects_bad_fields_naming_them(client, changes, field):
    body: dict[str, Any] = {"email": accounts.fresh_email(), "password": PASSWORD}
    for key, value in changes.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    response = await client.post("/v1/auth/register", json=body)
    assert_validation(response, "body", field)


async def test_register_rejects_a_missing_email(client):
    response = await client.post("/v1/auth/register", json={"password": PASSWORD})
    assert_validation(response, "body", "email")


@pytest.mark.parametrize(
    "raw",
    [
        '{"email": "a@example.com", "password": ',
        '{"email": "a@example.com", "password": "correct horse battery",}',
        "{'email': 'a@example.com', 'password': 'correct horse battery'}",
        "not json at all",
        "",
    ],
)
async def test_register_malformed_json_is_422(client, raw):
    response = await client.post(
        "/v1/auth/register", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_validation(response)


@pytest.mark.parametrize("raw", ["[]", '"a@example.com"', "42", "null"])
async def test_register_json_that_is_not_an_object_is_422(client, raw):
    response = await client.post(
        "/v1/auth/register", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_validation(response)


async def test_register_body_that_is_not_utf8_is_a_client_error(client):
    response = await client.post(
        "/v1/auth/register",
        content=b'{"email": "\xff\xfe@example.com", "password": "correct horse battery"}',
        headers={"Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text
    assert_error(response, response.status_code)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
async def test_register_non_finite_number_is_422(client, number):
    # NaN in a string field, and in an unknown field: both refused, neither a 500
    raw = f'{{"email": "{accounts.fresh_email()}", "password": {number}}}'
    response = await client.post(
        "/v1/auth/register", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_validation(response, "body", "password")
    raw = (
        f'{{"email": "{accounts.fresh_email()}", "password": "{PASSWORD}", "birth_year": {number}}}'
    )
    response = await client.post(
        "/v1/auth/register", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_validation(response, "body", "birth_year")


async def test_register_read_after_2xx_from_a_second_connection(live_client, sync_engine):
    email = accounts.fresh_email()
    response = await live_client.post(
        "/v1/auth/register", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    with sync_engine.connect() as conn:
        emails = conn.execute(text("SELECT email FROM users")).scalars().all()
        role = conn.execute(
            text("SELECT role FROM users WHERE id = :id"), {"id": response.json()["id"]}
        ).scalar_one()
    assert email in emails
    assert role == "athlete"
