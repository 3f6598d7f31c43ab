"""``PUT /v1/admin/users/role``: admins grant roles; the last admin cannot be demoted."""

from __future__ import annotations

import uuid

import pytest

from tests.support.http import assert_error, assert_validation, json_of
from tests.support.registry import account, execute

URL = "/v1/admin/users/role"


async def _role_of(http, email: str) -> str:
    rows = await execute(http, "SELECT role FROM users WHERE email = :e", e=email)
    return rows[0].role


async def _only_admin(http, email: str) -> None:
    """Leave ``email`` the database's only admin (inside the test's rolled-back transaction)."""
    await execute(
        http, "UPDATE users SET role = 'athlete' WHERE role = 'admin' AND email <> :e", e=email
    )


async def test_an_admin_grants_analyst_and_back(client):
    admin, _ = await account(client, "admin")
    _, email = await account(client, "athlete")
    body = json_of(
        await client.put(URL, json={"email": email.upper(), "role": "analyst"}, headers=admin),
        200,
    )
    assert body == {"email": email, "role": "analyst", "previous_role": "athlete"}
    assert await _role_of(client, email) == "analyst"
    body = json_of(
        await client.put(URL, json={"email": email, "role": "athlete"}, headers=admin), 200
    )
    assert body == {"email": email, "role": "athlete", "previous_role": "analyst"}
    assert await _role_of(client, email) == "athlete"


@pytest.mark.parametrize("role", ["athlete", "analyst"])
async def test_only_admins_may_grant(client, role):
    caller, _ = await account(client, role)
    _, email = await account(client, "athlete")
    response = await client.put(URL, json={"email": email, "role": "admin"}, headers=caller)
    assert_error(response, 403, "forbidden")
    assert await _role_of(client, email) == "athlete"
    assert_error(await client.put(URL, json={"email": email, "role": "admin"}), 401)


async def test_unknown_email_is_404(client):
    admin, _ = await account(client, "admin")
    missing = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.put(URL, json={"email": missing, "role": "analyst"}, headers=admin)
    assert missing in assert_error(response, 404, "not_found")["message"]


@pytest.mark.parametrize(
    "body, loc",
    [
        ({"email": "x@example.com", "role": "superuser"}, ("body", "role")),
        ({"email": "x@example.com", "role": "Admin"}, ("body", "role")),
        ({"email": "x@example.com"}, ("body", "role")),
        ({"role": "admin"}, ("body", "email")),
        ({"email": "x@example.com", "role": "admin", "extra": 1}, ("body", "extra")),
    ],
)
async def test_bad_bodies_are_422_naming_the_field(client, body, loc):
    admin, _ = await account(client, "admin")
    assert_validation(await client.put(URL, json=body, headers=admin), *loc)


async def test_the_last_admin_cannot_be_demoted_but_one_of_two_can(client):
    admin, admin_email = await account(client, "admin")
    await _only_admin(client, admin_email)
    for role in ("analyst", "athlete"):
        response = await client.put(URL, json={"email": admin_email, "role": role}, headers=admin)
        assert_error(response, 409, "last_admin")
        assert await _role_of(client, admin_email) == "admin"
    # re-granting admin to the last admin changes nothing and is no conflict
    body = json_of(
        await client.put(URL, json={"email": admin_email, "role": "admin"}, headers=admin), 200
    )
    assert body["previous_role"] == "admin"

    _, other = await account(client, "athlete")
    json_of(await client.put(URL, json={"email": other, "role": "admin"}, headers=admin), 200)
    body = json_of(
        await client.put(URL, json={"email": admin_email, "role": "analyst"}, headers=admin), 200
    )
    assert body == {"email": admin_email, "role": "analyst", "previous_role": "admin"}
    assert [
        r.email for r in await execute(client, "SELECT email FROM users WHERE role = 'admin'")
    ] == [other]
    # the demoted caller's token now carries an analyst: no more grants
    response = await client.put(URL, json={"email": other, "role": "athlete"}, headers=admin)
    assert_error(response, 403)
