"""``POST /v1/auth/logout``: the token's family revoked, idempotent, scoped (DESIGN §6).

Revocation is read back from the committed ``refresh_tokens`` rows (a second
connection), found by the digest the test support computes.
"""

from __future__ import annotations

import secrets

from tests.support import accounts
from tests.support.http import assert_error

# --- logout ---------------------------------------------------------------------------------


async def test_logout_revokes_the_family_then_refresh_is_401(live_client, sync_engine):
    _, email = await accounts.signup(live_client)
    tokens = await accounts.login(live_client, email)
    kept = (await accounts.login(live_client, email))["refresh_token"]  # another device
    rotated = (await accounts.refresh(live_client, tokens["refresh_token"])).json()

    response = await live_client.post(
        "/v1/auth/logout",
        json={"refresh_token": rotated["refresh_token"]},
        headers=accounts.bearer(rotated["access_token"]),
    )
    assert response.status_code == 204, response.text
    assert response.content == b""

    family = accounts.family_rows(
        sync_engine, accounts.token_row(sync_engine, tokens["refresh_token"]).family_id
    )
    assert len(family) == 2 and all(row.revoked_at is not None for row in family)
    assert_error(
        await accounts.refresh(live_client, rotated["refresh_token"]), 401, "invalid_refresh_token"
    )
    # the other device's session goes on
    assert accounts.token_row(sync_engine, kept).revoked_at is None
    assert (await accounts.refresh(live_client, kept)).status_code == 200


async def test_logout_is_idempotent(client):
    _, email = await accounts.signup(client)
    tokens = await accounts.login(client, email)
    for _ in range(2):
        response = await client.post(
            "/v1/auth/logout",
            json={"refresh_token": tokens["refresh_token"]},
            headers=accounts.bearer(tokens["access_token"]),
        )
        assert response.status_code == 204, response.text
    assert_error(
        await accounts.refresh(client, tokens["refresh_token"]), 401, "invalid_refresh_token"
    )


async def test_logout_with_another_users_token_is_204_and_changes_nothing(live_client, sync_engine):
    _, victim_email = await accounts.signup(live_client)
    victim = await accounts.login(live_client, victim_email)
    _, caller_email = await accounts.signup(live_client)
    caller = await accounts.login(live_client, caller_email)

    response = await live_client.post(
        "/v1/auth/logout",
        json={"refresh_token": victim["refresh_token"]},
        headers=accounts.bearer(caller["access_token"]),
    )
    assert response.status_code == 204, response.text  # indistinguishable from a real logout
    assert accounts.token_row(sync_engine, victim["refresh_token"]).revoked_at is None
    assert accounts.token_row(sync_engine, caller["refresh_token"]).revoked_at is None
    assert (await accounts.refresh(live_client, victim["refresh_token"])).status_code == 200


async def test_logout_with_an_unknown_token_is_204(client):
    _, email = await accounts.signup(client)
    tokens = await accounts.login(client, email)
    response = await client.post(
        "/v1/auth/logout",
        json={"refresh_token": secrets.token_urlsafe(32)},
        headers=accounts.bearer(tokens["access_token"]),
    )
    assert response.status_code == 204, response.text
    assert (await accounts.refresh(client, tokens["refresh_token"])).status_code == 200


async def test_logout_needs_a_bearer_token(client):
    _, email = await accounts.signup(client)
    tokens = await accounts.login(client, email)
    response = await client.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert_error(response, 401)
    # nothing was revoked
    assert (await accounts.refresh(client, tokens["refresh_token"])).status_code == 200
