"""Refresh-token rotation, reuse detection, invalid tokens and the refresh grant
(DESIGN §6).

Expected values are derived here, not read back from the code under test: stored rows
are found by the SHA-256 digest computed in the test support (``tests.support.accounts``),
read through a second connection (``sync_engine``) to prove they were committed, and
access tokens are decoded with PyJWT against the test secret.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from datetime import datetime

import jwt
import pytest
from sqlalchemy import text

from tests.support import accounts
from tests.support.http import PASSWORD, assert_error

# --- rotation -------------------------------------------------------------------------------


async def test_refresh_rotates_into_the_same_family_and_commits(live_client, sync_engine, settings):
    user_id, email = await accounts.signup(live_client)
    first = await accounts.login(live_client, email)

    response = await accounts.refresh(live_client, first["refresh_token"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type"}
    assert body["token_type"] == "bearer"
    second = body["refresh_token"]
    assert second != first["refresh_token"]
    assert len(second) >= 32

    # a real HS256 access token for the same user, and it is accepted
    claims = jwt.decode(
        body["access_token"],
        settings.secret_key,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    assert claims["sub"] == user_id
    assert claims["exp"] - claims["iat"] == 15 * 60
    me = await accounts.me(live_client, body["access_token"])
    assert me.status_code == 200 and me.json()["id"] == user_id

    # read after the 2xx from a second connection: old spent, new live, same family
    old, new = (
        accounts.token_row(sync_engine, first["refresh_token"]),
        accounts.token_row(sync_engine, second),
    )
    assert old is not None and new is not None
    assert str(old.user_id) == user_id and str(new.user_id) == user_id
    assert new.family_id == old.family_id
    assert old.used_at is not None and old.revoked_at is None
    assert new.used_at is None and new.revoked_at is None
    assert new.expires_at > datetime.now(new.expires_at.tzinfo)


async def test_a_rotated_token_works_exactly_once(live_client):
    _, email = await accounts.signup(live_client)
    token = (await accounts.login(live_client, email))["refresh_token"]
    seen = {token}
    for _ in range(3):  # a chain of rotations, each successor usable once
        response = await accounts.refresh(live_client, token)
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
        assert token not in seen
        seen.add(token)
    last = await accounts.refresh(live_client, token)
    assert last.status_code == 200, last.text
    assert_error(await accounts.refresh(live_client, token), 401, "refresh_token_reused")


# --- reuse detection ------------------------------------------------------------------------


async def test_reusing_a_spent_token_revokes_the_whole_family(live_client, sync_engine):
    user_id, email = await accounts.signup(live_client)
    stolen = (await accounts.login(live_client, email))["refresh_token"]
    other_device = (await accounts.login(live_client, email))["refresh_token"]
    newest = (await accounts.refresh(live_client, stolen)).json()["refresh_token"]
    newest = (await accounts.refresh(live_client, newest)).json()["refresh_token"]

    reused = await accounts.refresh(live_client, stolen)
    error = assert_error(reused, 401, "refresh_token_reused")
    assert reused.headers["www-authenticate"].lower().startswith("bearer")
    assert error["message"]

    # committed although the answer was a 401: a second connection sees the revocation
    family_id = accounts.token_row(sync_engine, stolen).family_id
    family = accounts.family_rows(sync_engine, family_id)
    assert len(family) == 3  # the login and two rotations
    assert all(row.revoked_at is not None for row in family)
    assert {bytes(row.token_hash) for row in family} >= {
        accounts.digest(stolen),
        accounts.digest(newest),
    }
    # the legitimate holder's newest token no longer works, and is not "reused" but revoked
    assert_error(await accounts.refresh(live_client, newest), 401, "invalid_refresh_token")
    # another login (another family) of the same user is untouched
    other = accounts.token_row(sync_engine, other_device)
    assert other.family_id != family_id and other.revoked_at is None
    assert (await accounts.refresh(live_client, other_device)).status_code == 200
    assert {row.family_id for row in accounts.user_token_rows(sync_engine, user_id)} == {
        family_id,
        other.family_id,
    }


async def test_reuse_in_the_rolled_back_tier_also_ends_the_family(client):
    """The service's explicit commit must also work when the request runs in a savepoint."""
    _, email = await accounts.signup(client)
    first = (await accounts.login(client, email))["refresh_token"]
    second = (await accounts.refresh(client, first)).json()["refresh_token"]
    assert_error(await accounts.refresh(client, first), 401, "refresh_token_reused")
    assert_error(await accounts.refresh(client, second), 401, "invalid_refresh_token")
    # the connection is still usable after the commit-then-raise
    assert (await accounts.login(client, email))["refresh_token"]


async def test_twenty_concurrent_refreshes_of_one_token_let_exactly_one_through(
    live_client, sync_engine
):
    _, email = await accounts.signup(live_client)
    token = (await accounts.login(live_client, email))["refresh_token"]

    responses = await asyncio.gather(*(accounts.refresh(live_client, token) for _ in range(20)))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 401: 19}, statuses
    winner = next(r for r in responses if r.status_code == 200).json()["refresh_token"]
    # The losers queue behind the winner. The first one to go next finds the token spent
    # (reuse: the same token presented twice is indistinguishable from theft) and ends
    # the family; the rest then find it revoked.
    codes = Counter(assert_error(r, 401)["code"] for r in responses if r.status_code == 401)
    assert codes == {"refresh_token_reused": 1, "invalid_refresh_token": 18}, codes
    # exactly one rotation happened: the original and one successor, nothing more
    family = accounts.family_rows(sync_engine, accounts.token_row(sync_engine, token).family_id)
    assert [bytes(row.token_hash) for row in family] == [
        accounts.digest(token),
        accounts.digest(winner),
    ]
    assert family[0].used_at is not None
    assert all(row.revoked_at is not None for row in family)
    assert_error(await accounts.refresh(live_client, winner), 401, "invalid_refresh_token")


# --- invalid tokens -------------------------------------------------------------------------


async def test_an_expired_token_is_401_and_not_treated_as_reuse(live_client, sync_engine):
    _, email = await accounts.signup(live_client)
    token = (await accounts.login(live_client, email))["refresh_token"]
    with sync_engine.begin() as conn:
        changed = conn.execute(
            text(
                "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' "
                "WHERE token_hash = :digest"
            ),
            {"digest": accounts.digest(token)},
        ).rowcount
    assert changed == 1
    assert_error(await accounts.refresh(live_client, token), 401, "invalid_refresh_token")
    row = accounts.token_row(sync_engine, token)
    assert row.used_at is None and row.revoked_at is None  # refused, not spent or revoked


@pytest.mark.parametrize(
    "token",
    [
        secrets.token_urlsafe(32),  # well-formed, never issued
        "garbage",
        "x" * 512,
        "0" * 43,
        "ünïcödé-🏋️",
        "' OR 1=1 --",
    ],
    ids=["unknown", "garbage", "max-length", "zeros", "unicode", "sql"],
)
async def test_unknown_or_garbage_token_is_401(client, token):
    _, email = await accounts.signup(client)
    await accounts.login(client, email)  # the user has a live token; a different one is presented
    assert_error(await accounts.refresh(client, token), 401, "invalid_refresh_token")


async def test_an_access_token_is_not_a_refresh_token(client):
    _, email = await accounts.signup(client)
    tokens = await accounts.login(client, email)
    assert_error(
        await accounts.refresh(client, tokens["access_token"]), 401, "invalid_refresh_token"
    )


@pytest.mark.parametrize(
    "body",
    [{}, {"refresh_token": ""}, {"refresh_token": None}, {"refresh_token": "x" * 513}],
    ids=["missing", "empty", "null", "too-long"],
)
async def test_a_malformed_refresh_body_is_422_naming_the_field(client, body):
    error = assert_error(await client.post("/v1/auth/refresh", json=body), 422, "validation_error")
    assert ["body", "refresh_token"] in [item["loc"] for item in error["details"]]


async def test_refresh_refuses_unknown_fields(client):
    response = await client.post(
        "/v1/auth/refresh", json={"refresh_token": "abc", "grant_type": "refresh_token"}
    )
    error = assert_error(response, 422, "validation_error")
    assert ["body", "grant_type"] in [item["loc"] for item in error["details"]]


# --- the refresh grant on the OAuth2 token endpoint -----------------------------------------


async def test_token_endpoint_accepts_the_refresh_grant(live_client, sync_engine):
    user_id, email = await accounts.signup(live_client)
    first = (await accounts.login(live_client, email))["refresh_token"]
    response = await live_client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": first}
    )
    assert response.status_code == 200, response.text
    second = response.json()["refresh_token"]
    assert second != first
    assert (await accounts.me(live_client, response.json()["access_token"])).json()["id"] == user_id
    assert (
        accounts.token_row(sync_engine, second).family_id
        == accounts.token_row(sync_engine, first).family_id
    )
    # the same rules as /v1/auth/refresh: spent → reused, family ended
    again = await live_client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": first}
    )
    assert_error(again, 401, "refresh_token_reused")
    assert_error(await accounts.refresh(live_client, second), 401, "invalid_refresh_token")


async def test_token_endpoint_explicit_password_grant_still_works(client):
    _, email = await accounts.signup(client)
    response = await client.post(
        "/v1/auth/token", data={"grant_type": "password", "username": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("data", "missing"),
    [
        ({"grant_type": "refresh_token"}, ["refresh_token"]),
        ({"grant_type": "refresh_token", "refresh_token": ""}, ["refresh_token"]),
        ({"grant_type": "refresh_token", "username": "a@b.c", "password": "x"}, ["refresh_token"]),
        ({"grant_type": "password", "refresh_token": "abc"}, ["username", "password"]),
        ({"refresh_token": "abc"}, ["username", "password"]),
        ({"username": "a@b.c"}, ["password"]),
    ],
)
async def test_token_endpoint_names_the_fields_a_grant_needs(client, data, missing):
    error = assert_error(await client.post("/v1/auth/token", data=data), 422, "validation_error")
    assert [item["loc"] for item in error["details"]] == [["body", name] for name in missing]


@pytest.mark.parametrize("grant_type", ["client_credentials", "authorization_code", "Password"])
async def test_token_endpoint_refuses_other_grant_types(client, grant_type):
    response = await client.post(
        "/v1/auth/token",
        data={"grant_type": grant_type, "username": "a@b.c", "password": PASSWORD},
    )
    error = assert_error(response, 422, "validation_error")
    assert ["body", "grant_type"] in [item["loc"] for item in error["details"]]


async def test_token_endpoint_refresh_grant_with_an_unknown_token_is_401(client):
    response = await client.post(
        "/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": secrets.token_urlsafe(32)},
    )
    assert_error(response, 401, "invalid_refresh_token")
