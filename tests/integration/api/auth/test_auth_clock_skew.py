"""Access tokens minted by a replica whose clock is a little ahead or behind still work.

Tokens are re-signed here with PyJWT and the test secret, from the claims of a real
login with ``iat``/``nbf``/``exp`` moved as a skewed clock would set them. The leeway
is ``FORMA_JWT_LEEWAY_S`` (30 s by default): a few seconds of skew pass, a minute does not.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from tests.support import accounts
from tests.support.http import assert_error

LEEWAY_S = 30


async def _claims(client: Any) -> dict[str, Any]:
    _, email = await accounts.signup(client, accounts.fresh_email("skew"))
    token = await accounts.login(client, email)
    return jwt.decode(token["access_token"], options={"verify_signature": False})


def _bearer(settings: Any, claims: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(claims, settings.secret_key, algorithm='HS256')}"}


def test_default_leeway(settings):
    assert settings.jwt_leeway_s == LEEWAY_S


@pytest.mark.parametrize("ahead_s", [2, 5, LEEWAY_S - 5])
async def test_iat_and_nbf_from_a_clock_ahead_are_accepted(client, settings, ahead_s):
    claims = await _claims(client)
    now = int(time.time())
    claims.update(iat=now + ahead_s, nbf=now + ahead_s, exp=now + ahead_s + 900)
    response = await client.get("/v1/users/me", headers=_bearer(settings, claims))
    assert response.status_code == 200, response.text


async def test_iat_a_minute_ahead_is_refused(client, settings):
    claims = await _claims(client)
    now = int(time.time())
    claims.update(iat=now + 2 * LEEWAY_S, exp=now + 900)
    response = await client.get("/v1/users/me", headers=_bearer(settings, claims))
    assert_error(response, 401, "invalid_token")


@pytest.mark.parametrize("behind_s", [2, 5, LEEWAY_S - 5])
async def test_exp_just_past_on_a_clock_behind_is_accepted(client, settings, behind_s):
    claims = await _claims(client)
    now = int(time.time())
    claims.update(iat=now - 900 - behind_s, exp=now - behind_s)
    response = await client.get("/v1/users/me", headers=_bearer(settings, claims))
    assert response.status_code == 200, response.text


async def test_exp_past_the_leeway_is_expired(client, settings):
    claims = await _claims(client)
    now = int(time.time())
    claims.update(iat=now - 900 - 2 * LEEWAY_S, exp=now - 2 * LEEWAY_S)
    response = await client.get("/v1/users/me", headers=_bearer(settings, claims))
    assert_error(response, 401, "token_expired")


async def test_no_leeway_refuses_a_token_from_two_seconds_ahead(client, settings):
    client.forma_app.state.settings = settings.model_copy(update={"jwt_leeway_s": 0})
    claims = await _claims(client)
    now = int(time.time())
    claims.update(iat=now + 2, exp=now + 900)
    response = await client.get("/v1/users/me", headers=_bearer(settings, claims))
    assert_error(response, 401, "invalid_token")  # the failure the leeway exists for


@pytest.mark.parametrize(("lifetime_s", "status"), [(900, 200), (900 + LEEWAY_S + 1, 401)])
async def test_a_token_living_longer_than_the_setting_is_refused(
    client, settings, lifetime_s, status
):
    assert settings.access_token_minutes == 15
    claims = await _claims(client)
    now = int(time.time())
    claims.update(iat=now - 10, exp=now - 10 + lifetime_s)
    response = await client.get("/v1/users/me", headers=_bearer(settings, claims))
    assert response.status_code == status, response.text
