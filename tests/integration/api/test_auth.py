"""``/v1/auth``: registration, the OAuth2 password flow and bearer-token checks (DESIGN §6).

Expected values are derived here, not read back from the code under test: access
tokens are decoded with PyJWT against the test secret, forged tokens are assembled
by hand from base64url pieces, and stored refresh tokens are checked by digest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import text

from tests.support.http import PASSWORD, assert_error, register

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


def _email() -> str:
    return f"auth-{uuid.uuid4().hex[:10]}@example.com"


def assert_validation(response: httpx.Response, *field_path: str) -> list[dict[str, Any]]:
    """422 ``validation_error`` whose details name ``field_path`` (e.g. ``body``, ``email``)."""
    error = assert_error(response, 422, "validation_error")
    details = error["details"]
    assert isinstance(details, list) and details, error
    for item in details:
        assert set(item) == {"loc", "msg", "type"}, item
    if field_path:
        assert [*field_path] in [item["loc"] for item in details], details
    return details


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# The password version (``pwv``) each user's real tokens carry, read from a login token.
_PASSWORD_VERSIONS: dict[str, int] = {}


def claims_for(settings: Any, user_id: str, **overrides: Any) -> dict[str, Any]:
    """Claims as DESIGN §6 describes a valid access token; ``None`` in overrides drops a claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_id,
        "pwv": _PASSWORD_VERSIONS.get(user_id, 0),
        "iat": now,
        "exp": now + 15 * 60,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
    }
    for key, value in overrides.items():
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    return claims


def hs256_by_hand(header: dict[str, Any], claims: dict[str, Any], key: str) -> str:
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


async def _me(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"})


async def _register_and_login(http: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """A fresh user's id and its token response."""
    email = _email()
    created = await http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    tokens = await http.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    issued = jwt.decode(tokens.json()["access_token"], options={"verify_signature": False})
    _PASSWORD_VERSIONS[created.json()["id"]] = issued["pwv"]
    return created.json()["id"], tokens.json()


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
            "email": _email(),
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
        "/v1/auth/register", json={"email": _email(), "password": "8chars!!"}
    )
    assert response.status_code == 201, response.text


async def test_password_is_used_exactly_as_given(client):
    """Leading/trailing spaces are part of a password; the login form does not strip them."""
    email = _email()
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
    body: dict[str, Any] = {"email": _email(), "password": PASSWORD}
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
    raw = f'{{"email": "{_email()}", "password": {number}}}'
    response = await client.post(
        "/v1/auth/register", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_validation(response, "body", "password")
    raw = f'{{"email": "{_email()}", "password": "{PASSWORD}", "birth_year": {number}}}'
    response = await client.post(
        "/v1/auth/register", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_validation(response, "body", "birth_year")


async def test_register_read_after_2xx_from_a_second_connection(live_client, sync_engine):
    email = _email()
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


# --- token ----------------------------------------------------------------------------------


async def test_token_returns_bearer_tokens_and_a_15_minute_hs256_jwt(client, settings):
    email = _email()
    created = await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    user_id = created.json()["id"]
    started = int(time.time())
    response = await client.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type"}
    assert body["token_type"] == "bearer"

    access = body["access_token"]
    header = json.loads(b64url_decode(access.split(".")[0]))
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
    email = _email()
    await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    response = await client.post(
        "/v1/auth/token", data={"username": email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200, response.text


async def test_token_wrong_password_and_unknown_email_look_the_same(client):
    email = _email()
    await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    wrong = await client.post(
        "/v1/auth/token", data={"username": email, "password": PASSWORD + "!"}
    )
    unknown = await client.post("/v1/auth/token", data={"username": _email(), "password": PASSWORD})
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
    email = _email()
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
    user_id, tokens = await _register_and_login(live_client)
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


# --- bearer checks on GET /v1/users/me ------------------------------------------------------


async def test_a_token_signed_here_with_the_test_secret_is_accepted(client, settings):
    """Control: the forged tokens below fail for their one defect, not for how they were made."""
    user_id, _ = await _register_and_login(client)
    token = jwt.encode(claims_for(settings, user_id), settings.secret_key, algorithm="HS256")
    response = await _me(client, token)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == user_id
    by_hand = hs256_by_hand(
        {"alg": "HS256", "typ": "JWT"}, claims_for(settings, user_id), settings.secret_key
    )
    assert (await _me(client, by_hand)).status_code == 200


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
    user_id, _ = await _register_and_login(client)
    now = int(time.time())
    claims = claims_for(settings, user_id, iat=now - 16 * 60, exp=now - 60)
    token = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    assert_error(await _me(client, token), 401, "token_expired")


async def test_tampered_payload_is_401(client, settings):
    victim_id, _ = await _register_and_login(client)
    _, tokens = await _register_and_login(client)
    header, payload, signature = tokens["access_token"].split(".")
    claims = json.loads(b64url_decode(payload))
    for changed in ({"sub": victim_id}, {"role": "admin"}, {"exp": claims["exp"] + 3600}):
        forged = f"{header}.{b64url_json(claims | changed)}.{signature}"
        assert_error(await _me(client, forged), 401, "invalid_token")
    # a flipped signature byte fails too
    raw = bytearray(b64url_decode(signature))
    raw[0] ^= 0x01
    assert_error(
        await _me(client, f"{header}.{payload}.{b64url(bytes(raw))}"), 401, "invalid_token"
    )


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_unsigned_alg_none_token_is_401(client, settings, alg):
    user_id, _ = await _register_and_login(client)
    claims = claims_for(settings, user_id)
    for signature in ("", b64url(b"x")):
        token = f"{b64url_json({'alg': alg, 'typ': 'JWT'})}.{b64url_json(claims)}.{signature}"
        assert_error(await _me(client, token), 401, "invalid_token")


async def test_token_signed_with_another_key_is_401(client, settings):
    user_id, _ = await _register_and_login(client)
    other_key = "another-secret-that-is-long-enough-" + uuid.uuid4().hex
    assert other_key != settings.secret_key
    token = jwt.encode(claims_for(settings, user_id), other_key, algorithm="HS256")
    assert_error(await _me(client, token), 401, "invalid_token")


async def test_other_algorithms_are_401(client, settings):
    user_id, _ = await _register_and_login(client)
    claims = claims_for(settings, user_id)
    # HS512 and HS384 signed with the right secret: only HS256 is accepted
    for alg in ("HS512", "HS384"):
        token = jwt.encode(claims, settings.secret_key, algorithm=alg)
        assert_error(await _me(client, token), 401, "invalid_token")
    # RS256 header, HMAC-signed with the secret (the algorithm-confusion trick)
    confused = hs256_by_hand({"alg": "RS256", "typ": "JWT"}, claims, settings.secret_key)
    assert_error(await _me(client, confused), 401, "invalid_token")
    # RS256 header with a signature of RSA-2048 length
    rs256 = f"{b64url_json({'alg': 'RS256', 'typ': 'JWT'})}.{b64url_json(claims)}."
    assert_error(await _me(client, rs256 + b64url(bytes(256))), 401, "invalid_token")


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
    user_id, _ = await _register_and_login(client)
    token = jwt.encode(claims_for(settings, user_id, **overrides), settings.secret_key, "HS256")
    assert_error(await _me(client, token), 401, "invalid_token")


@pytest.mark.parametrize("sub", ["not-a-uuid", "", "12345", "00000000-0000-0000-0000-00000000000g"])
async def test_subject_that_is_not_a_uuid_is_401(client, settings, sub):
    token = jwt.encode(claims_for(settings, sub), settings.secret_key, algorithm="HS256")
    assert_error(await _me(client, token), 401, "invalid_token")


async def test_non_string_subject_is_401(client, settings):
    user_id, _ = await _register_and_login(client)
    for sub in (uuid.UUID(user_id).int, [user_id], {"id": user_id}):
        signing_input = (
            f"{b64url_json({'alg': 'HS256', 'typ': 'JWT'})}."
            f"{b64url_json(claims_for(settings, user_id) | {'sub': sub})}"
        )
        mac = hmac.new(settings.secret_key.encode(), signing_input.encode(), hashlib.sha256)
        token = f"{signing_input}.{b64url(mac.digest())}"
        assert_error(await _me(client, token), 401, "invalid_token")


async def test_valid_token_for_a_user_that_does_not_exist_is_401(client, settings):
    token = jwt.encode(claims_for(settings, str(uuid.uuid4())), settings.secret_key, "HS256")
    assert_error(await _me(client, token), 401, "invalid_token")


async def test_token_of_a_deleted_user_is_401(live_client, sync_engine):
    user_id, tokens = await _register_and_login(live_client)
    assert (await _me(live_client, tokens["access_token"])).status_code == 200
    with sync_engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": user_id})
    assert_error(await _me(live_client, tokens["access_token"]), 401, "invalid_token")


async def test_smoke_helper_header_works(client):
    # tests.support.http.register is what other suites rely on
    headers = await register(client)
    assert (await client.get("/v1/users/me", headers=headers)).status_code == 200
