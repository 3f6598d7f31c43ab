"""Accounts and tokens for the auth tests: sign up, log in, refresh, change the password,
and the committed ``refresh_tokens``/``users`` rows read through a second connection.

Stored tokens are found by the SHA-256 digest computed here (:func:`digest`), never by
asking the code under test; forged access tokens are assembled by hand from base64url
pieces (:func:`hs256_by_hand`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import jwt
from sqlalchemy import text

from tests.support.http import PASSWORD

NEW_PASSWORD = "a different horse battery"


def fresh_email(prefix: str = "auth") -> str:
    """An e-mail no other test uses: ``<prefix>-<10 hex>@example.com``."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def digest(token: str) -> bytes:
    """The SHA-256 digest a refresh token is stored under."""
    return hashlib.sha256(token.encode()).digest()


def bearer(access_token: str) -> dict[str, str]:
    """The ``Authorization`` header carrying ``access_token``."""
    return {"Authorization": f"Bearer {access_token}"}


async def signup(http: httpx.AsyncClient, email: str | None = None) -> tuple[str, str]:
    """A fresh account's id and e-mail (password :data:`PASSWORD`)."""
    email = email or fresh_email()
    created = await http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    return created.json()["id"], email


async def login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """The token response (``access_token``, ``refresh_token``, …) of a password login."""
    response = await http.post("/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(http: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    """``POST /v1/auth/refresh`` with ``refresh_token``."""
    return await http.post("/v1/auth/refresh", json={"refresh_token": refresh_token})


async def me(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    """``GET /v1/users/me`` with ``access_token`` as the bearer."""
    return await http.get("/v1/users/me", headers=bearer(access_token))


async def change_password(
    http: httpx.AsyncClient, access_token: str, current: str, new: str
) -> httpx.Response:
    """``POST /v1/auth/password`` from ``current`` to ``new``."""
    return await http.post(
        "/v1/auth/password",
        json={"current_password": current, "new_password": new},
        headers=bearer(access_token),
    )


def token_row(sync_engine: Any, token: str) -> Any:
    """The committed ``refresh_tokens`` row stored for ``token``, or None."""
    with sync_engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT user_id, family_id, used_at, revoked_at, expires_at, created_at "
                "FROM refresh_tokens WHERE token_hash = :digest"
            ),
            {"digest": digest(token)},
        ).one_or_none()


def family_rows(sync_engine: Any, family_id: uuid.UUID) -> list[Any]:
    """One rotation family's committed tokens, oldest first."""
    with sync_engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT token_hash, used_at, revoked_at FROM refresh_tokens "
                    "WHERE family_id = :family ORDER BY created_at, used_at NULLS LAST"
                ),
                {"family": family_id},
            )
        )


def user_token_rows(sync_engine: Any, user_id: str) -> list[Any]:
    """Every committed refresh token of the user: ``(family_id, revoked_at)``."""
    with sync_engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT family_id, revoked_at FROM refresh_tokens WHERE user_id = :id"),
                {"id": user_id},
            )
        )


def password_state(sync_engine: Any, user_id: str) -> Any:
    """The user's committed ``(password_hash, password_changed_at)``."""
    with sync_engine.connect() as conn:
        return conn.execute(
            text("SELECT password_hash, password_changed_at FROM users WHERE id = :id"),
            {"id": user_id},
        ).one()


# --- access tokens assembled by hand ----------------------------------------------------------


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JWS segments are written."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(obj: dict[str, Any]) -> str:
    """A compact JSON object as one base64url segment."""
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def b64url_decode(segment: str) -> bytes:
    """The bytes of an unpadded base64url segment."""
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# The password version (``pwv``) each user's real tokens carry, read from a login token.
_PASSWORD_VERSIONS: dict[str, int] = {}


async def register_and_login(http: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """A fresh user's id and its token response (its ``pwv`` noted for :func:`claims_for`)."""
    user_id, email = await signup(http)
    tokens = await login(http, email)
    issued = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    _PASSWORD_VERSIONS[user_id] = issued["pwv"]
    return user_id, tokens


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
    """A JWS signed with HMAC-SHA256 computed here (no JWT library involved)."""
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def live_access_token(port: int, prefix: str = "live") -> str:
    """Sign a fresh account up on the server listening on ``port`` and log it in (blocking,
    for tests that drive a real uvicorn); its access token."""
    email = fresh_email(prefix)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
        created = http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
        assert created.status_code == 201, created.text
        answer = http.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
        return str(answer.json()["access_token"])
