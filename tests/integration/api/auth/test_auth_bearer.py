"""Bearer-token checks on ``GET /v1/users/me`` (DESIGN §6).

Forged tokens are assembled by hand from base64url pieces (``tests.support.accounts``),
not by the code under test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from sqlalchemy import text

from tests.support import accounts
from tests.support.http import assert_error, register

# --- bearer checks on GET /v1/users/me ------------------------------------------------------


async def test_a_token_signed_here_with_the_test_secret_is_accepted(client, settings):
    """Control: the forged tokens below fail for their one defect, not for how they were made."""
    user_id, _ = await accounts.register_and_login(client)
    token = jwt.encode(
        accounts.claims_for(settings, user_id), settings.secret_key, algorithm="HS256"
    )
    response = await accounts.me(client, token)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == user_id
    by_hand = accounts.hs256_by_hand(
        {"alg": "HS256", "typ": "JWT"}, accounts.claims_for(settings, user_id), settings.secret_key
    )
    assert (await accounts.me(client, by_hand)).status_code == 200


async def test_missing_bearer_is_401(client):
    response = await client.get("/v1/users/me")
    assert_error(response, 401)
    assert response.headers["www-authenticate"].lower().startswith("bearer")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer not-a-jwt", "Bearer a.b.c"],
)
async def test_malformed_authorization_is_401(client, authorization):
    response = await client.get("/v1/users/me", headers={"Authorization": authorization})
    assert_error(response, 401)


async def test_expired_token_is_401_token_expired(client, settings):
    user_id, _ = await accounts.register_and_login(client)
    now = int(time.time())
    claims = accounts.claims_for(settings, user_id, iat=now - 16 * 60, exp=now - 60)
    token = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    assert_error(await accounts.me(client, token), 401, "token_expired")


async def test_tampered_payload_is_401(client, settings):
    victim_id, _ = await accounts.register_and_login(client)
    _, tokens = await accounts.register_and_login(client)
    header, payload, signature = tokens["access_token"].split(".")
    claims = json.loads(accounts.b64url_decode(payload))
    for changed in ({"sub": victim_id}, {"role": "admin"}, {"exp": claims["exp"] + 3600}):
        forged = f"{header}.{accounts.b64url_json(claims | changed)}.{signature}"
        assert_error(await accounts.me(client, forged), 401, "invalid_token")
    # a flipped signature byte fails too
    raw = bytearray(accounts.b64url_decode(signature))
    raw[0] ^= 0x01
    assert_error(
        await accounts.me(client, f"{header}.{payload}.{accounts.b64url(bytes(raw))}"),
        401,
        "invalid_token",
    )


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_unsigned_alg_none_token_is_401(client, settings, alg):
    user_id, _ = await accounts.register_and_login(client)
    claims = accounts.claims_for(settings, user_id)
    for signature in ("", accounts.b64url(b"x")):
        header = accounts.b64url_json({"alg": alg, "typ": "JWT"})
        token = f"{header}.{accounts.b64url_json(claims)}.{signature}"
        assert_error(await accounts.me(client, token), 401, "invalid_token")


async def test_token_signed_with_another_key_is_401(client, settings):
    user_id, _ = await accounts.register_and_login(client)
    other_key = "another-secret-that-is-long-enough-" + uuid.uuid4().hex
    assert other_key != settings.secret_key
    token = jwt.encode(accounts.claims_for(settings, user_id), other_key, algorithm="HS256")
    assert_error(await accounts.me(client, token), 401, "invalid_token")


async def test_other_algorithms_are_401(client, settings):
    user_id, _ = await accounts.register_and_login(client)
    claims = accounts.claims_for(settings, user_id)
    # HS512 and HS384 signed with the right secret: only HS256 is accepted
    for alg in ("HS512", "HS384"):
        token = jwt.encode(claims, settings.secret_key, algorithm=alg)
        assert_error(await accounts.me(client, token), 401, "invalid_token")
    # RS256 header, HMAC-signed with the secret (the algorithm-confusion trick)
    confused = accounts.hs256_by_hand({"alg": "RS256", "typ": "JWT"}, claims, settings.secret_key)
    assert_error(await accounts.me(client, confused), 401, "invalid_token")
    # RS256 header with a signature of RSA-2048 length
    rs256 = (
        f"{accounts.b64url_json({'alg': 'RS256', 'typ': 'JWT'})}.{accounts.b64url_json(claims)}."
    )
    assert_error(
        await accounts.me(client, rs256 + accounts.b64url(bytes(256))), 401, "invalid_token"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "someone-else"},
        {"aud": ["someone-else"]},
        {"iss": "not-forma"},
        {"aud": None},
        {"iss": None},
        {"jti": None},
        {"exp": None},
        {"iat": None},
        {"sub": None},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
async def test_wrong_audience_issuer_or_missing_claims_are_401(client, settings, overrides):
    user_id, _ = await accounts.register_and_login(client)
    token = jwt.encode(
        accounts.claims_for(settings, user_id, **overrides), settings.secret_key, "HS256"
    )
    assert_error(await accounts.me(client, token), 401, "invalid_token")


@pytest.mark.parametrize("sub", ["not-a-uuid", "", "12345", "00000000-0000-0000-0000-00000000000g"])
async def test_subject_that_is_not_a_uuid_is_401(client, settings, sub):
    token = jwt.encode(accounts.claims_for(settings, sub), settings.secret_key, algorithm="HS256")
    assert_error(await accounts.me(client, token), 401, "invalid_token")


async def test_non_string_subject_is_401(client, settings):
    user_id, _ = await accounts.register_and_login(client)
    for sub in (uuid.UUID(user_id).int, [user_id], {"id": user_id}):
        signing_input = (
            f"{accounts.b64url_json({'alg': 'HS256', 'typ': 'JWT'})}."
            f"{accounts.b64url_json(accounts.claims_for(settings, user_id) | {'sub': sub})}"
        )
        mac = hmac.new(settings.secret_key.encode(), signing_input.encode(), hashlib.sha256)
        token = f"{signing_input}.{accounts.b64url(mac.digest())}"
        assert_error(await accounts.me(client, token), 401, "invalid_token")


async def test_valid_token_for_a_user_that_does_not_exist_is_401(client, settings):
    token = jwt.encode(
        accounts.claims_for(settings, str(uuid.uuid4())), settings.secret_key, "HS256"
    )
    assert_error(await accounts.me(client, token), 401, "invalid_token")


async def test_token_of_a_deleted_user_is_401(live_client, sync_engine):
    user_id, tokens = await accounts.register_and_login(live_client)
    assert (await accounts.me(live_client, tokens["access_token"])).status_code == 200
    with sync_engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": user_id})
    assert_error(await accounts.me(live_client, tokens["access_token"]), 401, "invalid_token")


async def test_smoke_helper_header_works(client):
    # tests.support.http.register is what other suites rely on
    headers = await register(client)
    assert (await client.get("/v1/users/me", headers=headers)).status_code == 200
