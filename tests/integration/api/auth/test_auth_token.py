"""``POST /v1/auth/token``: the OAuth2 password flow and the access token it issues (DESIGN §6).

Access tokens are decoded with PyJWT against the test secret; stored refresh tokens
are checked by digest.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from sqlalchemy import text

from tests.support import accounts
from tests.support.http import PASSWORD, assert_error, assert_validation

# --- token ----------------------------------------------------------------------------------


async def test_token_returns_bearer_tokens_and_a_15_minute_hs256_jwt(client, settings):
    email = accounts.fresh_email()
    created = await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    user_id = created.json()["id"]
    started = int(time.time())
    response = await client.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type"}
    assert body["token_type"] == "bearer"

    access = body["access_token"]
    header = json.loads(accounts.b64url_decode(access.split(".")[0]))
    assert header["alg"] == "HS256"
    claims = jwt.decode(
        access,
        settings.secret_key,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    assert {"sub", "exp", "iat", "iss", "aud", "jti"} <= set(claims)
    assert claims["sub"] == user_id
    assert claims["iss"] == settings.jwt_issuer
    assert claims["aud"] == settings.jwt_audience
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert started - 5 <= claims["iat"] <= int(time.time()) + 5
    assert isinstance(claims["jti"], str) and claims["jti"]

    # the refresh token is opaque (not a JWT) and distinct from the access token
    refresh = body["refresh_token"]
    assert isinstance(refresh, str) and len(refresh) >= 32
    assert refresh != access
    with pytest.raises(jwt.DecodeError):
        jwt.get_unverified_header(refresh)

    # a second login gets a different jti and refresh token
    again = (
        await client.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    ).json()
    assert (
        jwt.decode(again["access_token"], options={"verify_signature": False})["jti"]
        != claims["jti"]
    )
    assert again["refresh_token"] != refresh


async def test_token_username_is_case_insensitive(client):
    email = accounts.fresh_email()
    await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    response = await client.post(
        "/v1/auth/token", data={"username": email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200, response.text


async def test_token_wrong_password_and_unknown_email_look_the_same(client):
    email = accounts.fresh_email()
    await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    wrong = await client.post(
        "/v1/auth/token", data={"username": email, "password": PASSWORD + "!"}
    )
    unknown = await client.post(
        "/v1/auth/token", data={"username": accounts.fresh_email(), "password": PASSWORD}
    )
    wrong_error = assert_error(wrong, 401, "invalid_credentials")
    unknown_error = assert_error(unknown, 401, "invalid_credentials")
    assert wrong_error == unknown_error  # no hint which e-mails have accounts
    assert wrong.headers["www-authenticate"].lower().startswith("bearer")


@pytest.mark.parametrize(
    "data",
    [{"username": "someone@example.com"}, {"password": PASSWORD}, {}],
)
async def test_token_missing_form_fields_is_422(client, data):
    assert_validation(await client.post("/v1/auth/token", data=data))


async def test_token_refuses_a_password_longer_than_any_account_can_have_unhashed(client):
    """Registration and password change take at most 256 characters, so a longer login
    password matches no account: 422 naming it, before any argon2 run (900 KB used to
    be hashed, then 401)."""
    email = accounts.fresh_email()
    await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    app: Any = client.forma_app  # type: ignore[attr-defined]
    workers = app.state.password_workers
    checked: list[int] = []
    real_verify = workers.verify

    async def counting_verify(password: str, password_hash: str | None) -> bool:
        checked.append(len(password))
        return bool(await real_verify(password, password_hash))

    workers.verify = counting_verify
    for password in ("x" * 900_000, "x" * 257):
        response = await client.post(
            "/v1/auth/token", data={"username": email, "password": password}
        )
        assert_validation(response, "body", "password")
    assert checked == []
    # 256 characters is a password an account may have: checked, and wrong.
    at_cap = await client.post("/v1/auth/token", data={"username": email, "password": "x" * 256})
    assert_error(at_cap, 401, "invalid_credentials")
    assert checked == [256]

    schema = (await client.get("/openapi.json")).json()
    form = schema["paths"]["/v1/auth/token"]["post"]["requestBody"]["content"]
    ref = form["application/x-www-form-urlencoded"]["schema"]["$ref"].rsplit("/", 1)[-1]
    password_field = schema["components"]["schemas"][ref]["properties"]["password"]
    assert [t.get("maxLength") for t in password_field["anyOf"] if t["type"] == "string"] == [256]


async def test_token_json_body_instead_of_form_is_422(client):
    response = await client.post(
        "/v1/auth/token", json={"username": "someone@example.com", "password": PASSWORD}
    )
    assert_validation(response)


async def test_token_stores_only_the_refresh_token_digest(live_client, sync_engine):
    user_id, tokens = await accounts.register_and_login(live_client)
    digest = hashlib.sha256(tokens["refresh_token"].encode()).digest()
    with sync_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT token_hash, expires_at FROM refresh_tokens WHERE user_id = :id"),
            {"id": user_id},
        ).all()
    assert len(rows) == 1
    assert bytes(rows[0].token_hash) == digest
    assert tokens["refresh_token"].encode() not in bytes(rows[0].token_hash)
    assert rows[0].expires_at > datetime.now(UTC)
