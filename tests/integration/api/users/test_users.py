"""``/v1/users/me`` and the ``forma users grant`` operator command."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from pipelines import cli
from tests.support.http import PASSWORD, assert_error, register

PROFILE_FIELDS = ("time_zone", "unit_system", "sex", "birth_year", "resting_hr", "max_hr")


def _email() -> str:
    return f"users-{uuid.uuid4().hex[:10]}@example.com"


def assert_validation(response: httpx.Response, *field_path: str) -> None:
    error = assert_error(response, 422, "validation_error")
    locs = [item["loc"] for item in error["details"]]
    if field_path:
        assert [*field_path] in locs, error


async def _patch(http: httpx.AsyncClient, headers: dict[str, str], body: Any) -> httpx.Response:
    return await http.patch("/v1/users/me", json=body, headers=headers)


async def _patch_raw(http: httpx.AsyncClient, headers: dict[str, str], raw: str) -> httpx.Response:
    return await http.patch(
        "/v1/users/me", content=raw, headers={**headers, "Content-Type": "application/json"}
    )


async def _profile(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await http.get("/v1/users/me", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# --- GET /v1/users/me ----------------------------------------------------------------------


async def test_me_returns_the_callers_own_profile(client):
    first_email, second_email = _email(), _email()
    created = await client.post(
        "/v1/auth/register",
        json={"email": first_email, "password": PASSWORD, "time_zone": "America/New_York"},
    )
    assert created.status_code == 201
    first = await register(client, second_email)  # a second user in the same database
    login = await client.post(
        "/v1/auth/token", data={"username": first_email, "password": PASSWORD}
    )
    mine = await _profile(client, {"Authorization": f"Bearer {login.json()['access_token']}"})
    assert mine == created.json()
    theirs = await _profile(client, first)
    assert theirs["email"] == second_email
    assert theirs["id"] != mine["id"]


async def test_me_without_a_token_is_401(client):
    assert_error(await client.get("/v1/users/me"), 401)
    assert_error(await client.patch("/v1/users/me", json={"sex": "male"}), 401)


# --- PATCH /v1/users/me --------------------------------------------------------------------


async def test_patch_changes_every_profile_field(client):
    headers = await register(client)
    before = await _profile(client, headers)
    changes = {
        "time_zone": "Asia/Tokyo",
        "unit_system": "imperial",
        "sex": "female",
        "birth_year": 1988,
        "resting_hr": 52,
        "max_hr": 186,
    }
    response = await _patch(client, headers, changes)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in PROFILE_FIELDS} == changes
    assert {k: body[k] for k in ("id", "email", "role", "created_at")} == {
        k: before[k] for k in ("id", "email", "role", "created_at")
    }
    assert await _profile(client, headers) == body


async def test_patch_changes_only_the_fields_sent(client):
    headers = await register(client)
    first = await _patch(client, headers, {"sex": "male", "max_hr": 190, "resting_hr": 60})
    assert first.status_code == 200, first.text
    second = await _patch(client, headers, {"unit_system": "metric"})
    assert second.status_code == 200, second.text
    body = second.json()
    assert (body["sex"], body["max_hr"], body["resting_hr"], body["unit_system"]) == (
        "male",
        190,
        60,
        "metric",
    )
    assert body["time_zone"] == "UTC"
    empty = await _patch(client, headers, {})
    assert empty.status_code == 200 and empty.json() == body


async def test_patch_null_clears_optional_fields_but_not_time_zone(client):
    headers = await register(client)
    await _patch(client, headers, {"unit_system": "imperial", "max_hr": 180})
    cleared = await _patch(client, headers, {"unit_system": None, "max_hr": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["unit_system"] is None and cleared.json()["max_hr"] is None
    error = assert_error(await _patch(client, headers, {"time_zone": None}), 422)
    assert "time_zone" in error["message"]
    assert (await _profile(client, headers))["time_zone"] == "UTC"


@pytest.mark.parametrize("field", ["role", "email", "id", "password", "created_at"])
async def test_patch_refuses_fields_a_user_may_not_change(client, field):
    headers = await register(client)
    before = await _profile(client, headers)
    value = {"role": "admin", "email": _email(), "id": str(uuid.uuid4())}.get(field, "x" * 12)
    response = await _patch(client, headers, {field: value})
    assert_validation(response, "body", field)
    assert await _profile(client, headers) == before


async def test_patch_role_alongside_valid_fields_changes_nothing(client):
    headers = await register(client)
    before = await _profile(client, headers)
    response = await _patch(client, headers, {"role": "admin", "sex": "female"})
    assert_validation(response, "body", "role")
    after = await _profile(client, headers)
    assert after == before and after["role"] == "athlete"


@pytest.mark.parametrize(("resting", "maximum"), [(150, 150), (100, 99), (150, 80)])
async def test_patch_resting_not_below_max_in_one_body_is_422(client, resting, maximum):
    headers = await register(client)
    response = await _patch(client, headers, {"resting_hr": resting, "max_hr": maximum})
    assert_error(response, 422)
    profile = await _profile(client, headers)
    assert profile["resting_hr"] is None and profile["max_hr"] is None


async def test_patch_resting_just_below_max_is_ok(client):
    headers = await register(client)
    response = await _patch(client, headers, {"resting_hr": 99, "max_hr": 100})
    assert response.status_code == 200, response.text


async def test_patch_resting_checked_against_the_stored_max(client):
    headers = await register(client)
    assert (await _patch(client, headers, {"max_hr": 120})).status_code == 200
    assert_error(await _patch(client, headers, {"resting_hr": 120}), 422)
    assert_error(await _patch(client, headers, {"resting_hr": 121}), 422)
    assert (await _patch(client, headers, {"resting_hr": 60})).status_code == 200
    assert_error(await _patch(client, headers, {"max_hr": 60}), 422)
    profile = await _profile(client, headers)
    assert (profile["resting_hr"], profile["max_hr"]) == (60, 120)


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("resting_hr", 20, 200),
        ("resting_hr", 19, 422),
        ("resting_hr", 150, 200),
        ("resting_hr", 151, 422),
        ("resting_hr", 0, 422),
        ("resting_hr", -60, 422),
        ("max_hr", 80, 200),
        ("max_hr", 79, 422),
        ("max_hr", 250, 200),
        ("max_hr", 251, 422),
        ("max_hr", 2**31, 422),
        ("birth_year", 1900, 200),
        ("birth_year", 1899, 422),
        ("birth_year", 2030, 200),
        ("birth_year", 2031, 422),
        ("birth_year", 10**20, 422),
    ],
)
async def test_patch_range_edges(client, field, value, status):
    headers = await register(client)
    response = await _patch(client, headers, {field: value})
    if status == 200:
        assert response.status_code == 200, response.text
        assert response.json()[field] == value
        assert (await _profile(client, headers))[field] == value
    else:
        assert_validation(response, "body", field)
        assert (await _profile(client, headers))[field] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("resting_hr", 60.5),
        ("resting_hr", "sixty"),
        ("resting_hr", [60]),
        ("max_hr", {"bpm": 180}),
        ("birth_year", "19 88"),
        ("sex", "other"),
        ("sex", "Female"),
        ("unit_system", "si"),
        ("time_zone", "Mars/Olympus_Mons"),
        ("time_zone", "localtime"),
        ("time_zone", 42),
    ],
)
async def test_patch_wrong_types_and_values_are_422(client, field, value):
    headers = await register(client)
    before = await _profile(client, headers)
    assert_validation(await _patch(client, headers, {field: value}), "body", field)
    assert await _profile(client, headers) == before


@pytest.mark.parametrize("field", ["resting_hr", "max_hr", "birth_year"])
@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
async def test_patch_non_finite_numbers_are_422(client, field, number):
    headers = await register(client)
    response = await _patch_raw(client, headers, f'{{"{field}": {number}}}')
    assert_validation(response, "body", field)


async def test_patch_malformed_json_is_422(client):
    headers = await register(client)
    assert_validation(await _patch_raw(client, headers, '{"resting_hr": 60'))
    assert_validation(await _patch_raw(client, headers, '["resting_hr", 60]'))


async def test_patch_read_after_2xx_from_a_second_connection(live_client, sync_engine):
    email = _email()
    headers = await register(live_client, email)
    response = await _patch(live_client, headers, {"resting_hr": 48, "time_zone": "Europe/Oslo"})
    assert response.status_code == 200, response.text
    with sync_engine.connect() as conn:
        row = conn.execute(
            text("SELECT resting_hr, time_zone FROM users WHERE email = :email"), {"email": email}
        ).one()
    assert (row.resting_hr, row.time_zone) == (48, "Europe/Oslo")


async def test_rejected_patch_leaves_the_stored_row_alone(live_client, sync_engine):
    email = _email()
    headers = await register(live_client, email)
    assert (await _patch(live_client, headers, {"max_hr": 150, "sex": "male"})).status_code == 200
    # passes schema validation, fails the stored-max rule after the fields were assigned
    assert_error(await _patch(live_client, headers, {"resting_hr": 150, "sex": "female"}), 422)
    with sync_engine.connect() as conn:
        row = conn.execute(
            text("SELECT resting_hr, max_hr, sex FROM users WHERE email = :email"),
            {"email": email},
        ).one()
    assert (row.resting_hr, row.max_hr, row.sex) == (None, 150, "male")


# --- forma users grant ----------------------------------------------------------------------


def _role_of(sync_engine: Any, email: str) -> str:
    with sync_engine.connect() as conn:
        return conn.execute(
            text("SELECT role FROM users WHERE email = :email"), {"email": email}
        ).scalar_one()


async def _cli(*argv: str) -> int:
    # the command calls asyncio.run, which cannot run inside this test's event loop
    return await asyncio.to_thread(cli.main, list(argv))


async def test_grant_admin_sets_the_role(live_client, sync_engine, capsys):
    email = _email()
    headers = await register(live_client, email)
    assert _role_of(sync_engine, email) == "athlete"
    assert await _cli("users", "grant", email, "admin") == 0
    assert _role_of(sync_engine, email) == "admin"
    assert email in capsys.readouterr().out
    # the API reads the role from the row, so the existing token sees it at once
    assert (await _profile(live_client, headers))["role"] == "admin"


async def test_grant_matches_the_email_case_insensitively(live_client, sync_engine):
    email = _email()
    await register(live_client, email)
    assert await _cli("users", "grant", email.upper(), "analyst") == 0
    assert _role_of(sync_engine, email) == "analyst"
    assert await _cli("users", "grant", email, "athlete") == 0
    assert _role_of(sync_engine, email) == "athlete"


async def test_grant_unknown_email_exits_2(live_client, sync_engine, capsys):
    email = _email()
    await register(live_client, email)
    missing = _email()
    assert await _cli("users", "grant", missing, "admin") == 2
    assert missing in capsys.readouterr().err
    assert _role_of(sync_engine, email) == "athlete"


@pytest.mark.parametrize("role", ["superuser", "Admin", ""])
async def test_grant_bad_role_is_an_argparse_error(live_client, sync_engine, capsys, role):
    email = _email()
    await register(live_client, email)
    with pytest.raises(SystemExit) as exc:
        await _cli("users", "grant", email, role)
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    assert _role_of(sync_engine, email) == "athlete"


async def test_grant_refuses_to_demote_the_last_admin(live_client, sync_engine, capsys):
    email = _email()
    await register(live_client, email)
    assert await _cli("users", "grant", email, "admin") == 0
    assert await _cli("users", "grant", email, "analyst") == 2  # the committed tier's only admin
    assert "last admin" in capsys.readouterr().err
    assert _role_of(sync_engine, email) == "admin"
