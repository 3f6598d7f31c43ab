"""Refresh-token rotation, reuse detection, logout and password change (DESIGN §6).

Expected values are derived here, not read back from the code under test: stored rows
are found by the SHA-256 digest computed in this file, read through a second
connection (``sync_engine``) to prove they were committed, access tokens are decoded
with PyJWT against the test secret, and the new password hash is checked with
argon2-cffi directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import argon2
import httpx
import jwt
import pytest
from sqlalchemy import text

from tests.support.http import PASSWORD, assert_error

NEW_PASSWORD = "a different horse battery"


def _email() -> str:
    return f"refresh-{uuid.uuid4().hex[:10]}@example.com"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def _signup(http: httpx.AsyncClient) -> tuple[str, str]:
    """A fresh account's id and e-mail (password :data:`PASSWORD`)."""
    email = _email()
    created = await http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    return created.json()["id"], email


async def _login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await http.post("/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def _refresh(http: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await http.post("/v1/auth/refresh", json={"refresh_token": refresh_token})


async def _me(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await http.get("/v1/users/me", headers=_bearer(access_token))


def _row(sync_engine: Any, token: str) -> Any:
    """The committed ``refresh_tokens`` row stored for ``token``, or None."""
    with sync_engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT user_id, family_id, used_at, revoked_at, expires_at, created_at "
                "FROM refresh_tokens WHERE token_hash = :digest"
            ),
            {"digest": _digest(token)},
        ).one_or_none()


def _family(sync_engine: Any, family_id: uuid.UUID) -> list[Any]:
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


def _user_rows(sync_engine: Any, user_id: str) -> list[Any]:
    with sync_engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT family_id, revoked_at FROM refresh_tokens WHERE user_id = :id"),
                {"id": user_id},
            )
        )


# --- rotation -------------------------------------------------------------------------------


async def test_refresh_rotates_into_the_same_family_and_commits(live_client, sync_engine, settings):
    user_id, email = await _signup(live_client)
    first = await _login(live_client, email)

    response = await _refresh(live_client, first["refresh_token"])
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
    me = await _me(live_client, body["access_token"])
    assert me.status_code == 200 and me.json()["id"] == user_id

    # read after the 2xx from a second connection: old spent, new live, same family
    old, new = _row(sync_engine, first["refresh_token"]), _row(sync_engine, second)
    assert old is not None and new is not None
    assert str(old.user_id) == user_id and str(new.user_id) == user_id
    assert new.family_id == old.family_id
    assert old.used_at is not None and old.revoked_at is None
    assert new.used_at is None and new.revoked_at is None
    assert new.expires_at > datetime.now(new.expires_at.tzinfo)


async def test_a_rotated_token_works_exactly_once(live_client):
    _, email = await _signup(live_client)
    token = (await _login(live_client, email))["refresh_token"]
    seen = {token}
    for _ in range(3):  # a chain of rotations, each successor usable once
        response = await _refresh(live_client, token)
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
        assert token not in seen
        seen.add(token)
    last = await _refresh(live_client, token)
    assert last.status_code == 200, last.text
    assert_error(await _refresh(live_client, token), 401, "refresh_token_reused")


# --- reuse detection ------------------------------------------------------------------------


async def test_reusing_a_spent_token_revokes_the_whole_family(live_client, sync_engine):
    user_id, email = await _signup(live_client)
    stolen = (await _login(live_client, email))["refresh_token"]
    other_device = (await _login(live_client, email))["refresh_token"]
    newest = (await _refresh(live_client, stolen)).json()["refresh_token"]
    newest = (await _refresh(live_client, newest)).json()["refresh_token"]

    reused = await _refresh(live_client, stolen)
    error = assert_error(reused, 401, "refresh_token_reused")
    assert reused.headers["www-authenticate"].lower().startswith("bearer")
    assert error["message"]

    # committed although the answer was a 401: a second connection sees the revocation
    family_id = _row(sync_engine, stolen).family_id
    family = _family(sync_engine, family_id)
    assert len(family) == 3  # the login and two rotations
    assert all(row.revoked_at is not None for row in family)
    assert {bytes(row.token_hash) for row in family} >= {_digest(stolen), _digest(newest)}
    # the legitimate holder's newest token no longer works, and is not "reused" but revoked
    assert_error(await _refresh(live_client, newest), 401, "invalid_refresh_token")
    # another login (another family) of the same user is untouched
    other = _row(sync_engine, other_device)
    assert other.family_id != family_id and other.revoked_at is None
    assert (await _refresh(live_client, other_device)).status_code == 200
    assert {row.family_id for row in _user_rows(sync_engine, user_id)} == {
        family_id,
        other.family_id,
    }


async def test_reuse_in_the_rolled_back_tier_also_ends_the_family(client):
    """The service's explicit commit must also work when the request runs in a savepoint."""
    _, email = await _signup(client)
    first = (await _login(client, email))["refresh_token"]
    second = (await _refresh(client, first)).json()["refresh_token"]
    assert_error(await _refresh(client, first), 401, "refresh_token_reused")
    assert_error(await _refresh(client, second), 401, "invalid_refresh_token")
    # the connection is still usable after the commit-then-raise
    assert (await _login(client, email))["refresh_token"]


async def test_twenty_concurrent_refreshes_of_one_token_let_exactly_one_through(
    live_client, sync_engine
):
    _, email = await _signup(live_client)
    token = (await _login(live_client, email))["refresh_token"]

    responses = await asyncio.gather(*(_refresh(live_client, token) for _ in range(20)))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 401: 19}, statuses
    winner = next(r for r in responses if r.status_code == 200).json()["refresh_token"]
    # The losers queue behind the winner. The first one to go next finds the token spent
    # (reuse: the same token presented twice is indistinguishable from theft) and ends
    # the family; the rest then find it revoked.
    codes = Counter(assert_error(r, 401)["code"] for r in responses if r.status_code == 401)
    assert codes == {"refresh_token_reused": 1, "invalid_refresh_token": 18}, codes
    # exactly one rotation happened: the original and one successor, nothing more
    family = _family(sync_engine, _row(sync_engine, token).family_id)
    assert [bytes(row.token_hash) for row in family] == [_digest(token), _digest(winner)]
    assert family[0].used_at is not None
    assert all(row.revoked_at is not None for row in family)
    assert_error(await _refresh(live_client, winner), 401, "invalid_refresh_token")


# --- invalid tokens -------------------------------------------------------------------------


async def test_an_expired_token_is_401_and_not_treated_as_reuse(live_client, sync_engine):
    _, email = await _signup(live_client)
    token = (await _login(live_client, email))["refresh_token"]
    with sync_engine.begin() as conn:
        changed = conn.execute(
            text(
                "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' "
                "WHERE token_hash = :digest"
            ),
            {"digest": _digest(token)},
        ).rowcount
    assert changed == 1
    assert_error(await _refresh(live_client, token), 401, "invalid_refresh_token")
    row = _row(sync_engine, token)
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
    _, email = await _signup(client)
    await _login(client, email)  # the user has a live token; a different one is presented
    assert_error(await _refresh(client, token), 401, "invalid_refresh_token")


async def test_an_access_token_is_not_a_refresh_token(client):
    _, email = await _signup(client)
    tokens = await _login(client, email)
    assert_error(await _refresh(client, tokens["access_token"]), 401, "invalid_refresh_token")


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
    user_id, email = await _signup(live_client)
    first = (await _login(live_client, email))["refresh_token"]
    response = await live_client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": first}
    )
    assert response.status_code == 200, response.text
    second = response.json()["refresh_token"]
    assert second != first
    assert (await _me(live_client, response.json()["access_token"])).json()["id"] == user_id
    assert _row(sync_engine, second).family_id == _row(sync_engine, first).family_id
    # the same rules as /v1/auth/refresh: spent → reused, family ended
    again = await live_client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": first}
    )
    assert_error(again, 401, "refresh_token_reused")
    assert_error(await _refresh(live_client, second), 401, "invalid_refresh_token")


async def test_token_endpoint_explicit_password_grant_still_works(client):
    _, email = await _signup(client)
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


# --- logout ---------------------------------------------------------------------------------


async def test_logout_revokes_the_family_then_refresh_is_401(live_client, sync_engine):
    _, email = await _signup(live_client)
    tokens = await _login(live_client, email)
    kept = (await _login(live_client, email))["refresh_token"]  # another device
    rotated = (await _refresh(live_client, tokens["refresh_token"])).json()

    response = await live_client.post(
        "/v1/auth/logout",
        json={"refresh_token": rotated["refresh_token"]},
        headers=_bearer(rotated["access_token"]),
    )
    assert response.status_code == 204, response.text
    assert response.content == b""

    family = _family(sync_engine, _row(sync_engine, tokens["refresh_token"]).family_id)
    assert len(family) == 2 and all(row.revoked_at is not None for row in family)
    assert_error(
        await _refresh(live_client, rotated["refresh_token"]), 401, "invalid_refresh_token"
    )
    # the other device's session goes on
    assert _row(sync_engine, kept).revoked_at is None
    assert (await _refresh(live_client, kept)).status_code == 200


async def test_logout_is_idempotent(client):
    _, email = await _signup(client)
    tokens = await _login(client, email)
    for _ in range(2):
        response = await client.post(
            "/v1/auth/logout",
            json={"refresh_token": tokens["refresh_token"]},
            headers=_bearer(tokens["access_token"]),
        )
        assert response.status_code == 204, response.text
    assert_error(await _refresh(client, tokens["refresh_token"]), 401, "invalid_refresh_token")


async def test_logout_with_another_users_token_is_204_and_changes_nothing(live_client, sync_engine):
    _, victim_email = await _signup(live_client)
    victim = await _login(live_client, victim_email)
    _, caller_email = await _signup(live_client)
    caller = await _login(live_client, caller_email)

    response = await live_client.post(
        "/v1/auth/logout",
        json={"refresh_token": victim["refresh_token"]},
        headers=_bearer(caller["access_token"]),
    )
    assert response.status_code == 204, response.text  # indistinguishable from a real logout
    assert _row(sync_engine, victim["refresh_token"]).revoked_at is None
    assert _row(sync_engine, caller["refresh_token"]).revoked_at is None
    assert (await _refresh(live_client, victim["refresh_token"])).status_code == 200


async def test_logout_with_an_unknown_token_is_204(client):
    _, email = await _signup(client)
    tokens = await _login(client, email)
    response = await client.post(
        "/v1/auth/logout",
        json={"refresh_token": secrets.token_urlsafe(32)},
        headers=_bearer(tokens["access_token"]),
    )
    assert response.status_code == 204, response.text
    assert (await _refresh(client, tokens["refresh_token"])).status_code == 200


async def test_logout_needs_a_bearer_token(client):
    _, email = await _signup(client)
    tokens = await _login(client, email)
    response = await client.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert_error(response, 401)
    # nothing was revoked
    assert (await _refresh(client, tokens["refresh_token"])).status_code == 200


# --- password change ------------------------------------------------------------------------


async def _change(
    http: httpx.AsyncClient, access_token: str, current: str, new: str
) -> httpx.Response:
    return await http.post(
        "/v1/auth/password",
        json={"current_password": current, "new_password": new},
        headers=_bearer(access_token),
    )


def _password_state(sync_engine: Any, user_id: str) -> Any:
    with sync_engine.connect() as conn:
        return conn.execute(
            text("SELECT password_hash, password_changed_at FROM users WHERE id = :id"),
            {"id": user_id},
        ).one()


async def test_password_change_with_a_wrong_current_password_is_403(live_client, sync_engine):
    user_id, email = await _signup(live_client)
    tokens = await _login(live_client, email)
    before = _password_state(sync_engine, user_id)

    response = await _change(live_client, tokens["access_token"], PASSWORD + "!", NEW_PASSWORD)
    assert_error(response, 403, "wrong_password")

    assert _password_state(sync_engine, user_id) == before  # hash and timestamp untouched
    assert _row(sync_engine, tokens["refresh_token"]).revoked_at is None
    assert (await _login(live_client, email))["access_token"]
    bad = await live_client.post(
        "/v1/auth/token", data={"username": email, "password": NEW_PASSWORD}
    )
    assert_error(bad, 401, "invalid_credentials")


async def test_password_change_swaps_the_password_and_ends_every_session(live_client, sync_engine):
    user_id, email = await _signup(live_client)
    phone = await _login(live_client, email)
    laptop = await _login(live_client, email)
    rotated = (await _refresh(live_client, laptop["refresh_token"])).json()
    before = _password_state(sync_engine, user_id)

    response = await _change(live_client, phone["access_token"], PASSWORD, NEW_PASSWORD)
    assert response.status_code == 204, response.text
    assert response.content == b""

    after = _password_state(sync_engine, user_id)
    assert after.password_changed_at > before.password_changed_at
    assert after.password_hash != before.password_hash
    assert after.password_hash.startswith("$argon2id$")
    assert argon2.PasswordHasher().verify(after.password_hash, NEW_PASSWORD)
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        argon2.PasswordHasher().verify(after.password_hash, PASSWORD)

    # every refresh token of the account is revoked, committed
    rows = _user_rows(sync_engine, user_id)
    assert len(rows) == 3 and all(row.revoked_at is not None for row in rows)
    for token in (phone["refresh_token"], rotated["refresh_token"]):
        assert_error(await _refresh(live_client, token), 401, "invalid_refresh_token")

    old = await live_client.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert_error(old, 401, "invalid_credentials")
    fresh = await _login(live_client, email, NEW_PASSWORD)
    assert (await _refresh(live_client, fresh["refresh_token"])).status_code == 200


async def test_a_token_issued_just_after_a_password_change_works(live_client, sync_engine):
    """Whole-second ``iat`` versus a microsecond ``password_changed_at``.

    A login in the same wall-clock second as the change gets ``iat`` = that second,
    which is *earlier* than ``password_changed_at``; it must still be accepted. Retried
    until the login lands in the same second as the change, so the case is exercised.
    """
    user_id, email = await _signup(live_client)
    passwords = [PASSWORD, NEW_PASSWORD]
    access = (await _login(live_client, email))["access_token"]
    # a change hashes twice under the user's lock: on a busy machine the login after it
    # often lands in the next second, so try for longer than a quiet machine needs
    for attempt in range(20):
        current, new = passwords[attempt % 2], passwords[(attempt + 1) % 2]
        await asyncio.sleep(1.02 - time.time() % 1)  # start early in a second
        assert (await _change(live_client, access, current, new)).status_code == 204
        access = (await _login(live_client, email, new))["access_token"]
        iat = jwt.decode(access, options={"verify_signature": False})["iat"]
        changed_at = _password_state(sync_engine, user_id).password_changed_at
        if iat == math.floor(changed_at.timestamp()):
            break
    else:
        pytest.fail("could not log in within the second of a password change")
    assert changed_at.timestamp() > iat  # the awkward case: iat precedes the change
    me = await _me(live_client, access)
    assert me.status_code == 200, me.text


async def test_access_tokens_from_before_a_password_change_stop_working(live_client):
    _, email = await _signup(live_client)
    old = (await _login(live_client, email))["access_token"]
    iat = jwt.decode(old, options={"verify_signature": False})["iat"]
    await asyncio.sleep(max(0.0, iat + 1.05 - time.time()))  # the change in a later second
    assert (await _change(live_client, old, PASSWORD, NEW_PASSWORD)).status_code == 204
    assert_error(await _me(live_client, old), 401, "invalid_token")


def _lock_waiters(sync_engine: Any) -> int:
    """Backends of this database waiting for an advisory lock."""
    with sync_engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                )
            ).scalar_one()
        )


async def _behind_the_token_lock(
    sync_engine: Any,
    user_id: str,
    requests: list[Any],
    *,
    meanwhile: Callable[[Any], object] | None = None,
) -> list[httpx.Response]:
    """Run ``requests`` while this test holds the user's token lock (the one password
    changes take), let go once all of them wait for it, and return their answers.

    Every request has passed its bearer check by then. ``meanwhile(conn)`` runs in the
    lock's transaction, committed as the lock is let go.
    """
    with sync_engine.connect() as conn:
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"forma.auth.refresh_tokens:{user_id}"},
        )
        tasks = [asyncio.create_task(request) for request in requests]
        for _ in range(200):
            if _lock_waiters(sync_engine) == len(tasks) or any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.02)
        if meanwhile:
            meanwhile(conn)
        conn.commit()
    return list(await asyncio.gather(*tasks))


async def test_of_concurrent_password_changes_only_the_first_succeeds(live_client, sync_engine):
    """Changes arriving while another holds the account's lock answer 409 with Retry-After at
    once (never queue into a timeout); retried, the first wins and for the others the
    password they give is no longer current (403, as when it is wrong)."""
    user_id, email = await _signup(live_client)
    access = (await _login(live_client, email))["access_token"]
    news = [f"{NEW_PASSWORD} {i}" for i in range(3)]

    with sync_engine.connect() as conn:  # another change (or refresh) in progress
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"forma.auth.refresh_tokens:{user_id}"},
        )
        busy = await asyncio.gather(*(_change(live_client, access, PASSWORD, n) for n in news))
        conn.commit()
    for response in busy:
        assert_error(response, 409, "password_change_in_progress")
        assert response.headers["Retry-After"] == "1"

    retried = [await _change(live_client, access, PASSWORD, new) for new in news]
    assert [r.status_code for r in retried] == [204, 401, 401]  # the first revoked the token
    assert (await _login(live_client, email, news[0]))["access_token"]
    stored = _password_state(sync_engine, user_id).password_hash
    assert argon2.PasswordHasher().verify(stored, news[0])
    fresh = (await _login(live_client, email, news[0]))["access_token"]
    stale = await _change(live_client, fresh, PASSWORD, news[1])
    assert_error(stale, 403, "wrong_password")  # no longer the current password


async def test_a_change_racing_another_with_the_right_password_but_a_stale_token_is_401(
    live_client, sync_engine, monkeypatch
):
    """The password changes after a request's bearer check, to the very password that
    request gives as current: its token predates the change, so 401 ``invalid_token``
    (what the bearer check answers a moment later), not a second change."""
    from api.auth import repository

    user_id, email = await _signup(live_client)
    access = (await _login(live_client, email))["access_token"]
    real = repository.try_lock_user_tokens

    async def other_change_first(session: Any, *, user_id: Any) -> bool:
        with sync_engine.begin() as conn:  # commits between the bearer check and the lock
            conn.execute(
                text(
                    "UPDATE users SET password_hash = :hash, password_changed_at = now() "
                    "WHERE id = :id"
                ),
                {"hash": argon2.PasswordHasher().hash(NEW_PASSWORD), "id": user_id},
            )
        return await real(session, user_id=user_id)

    monkeypatch.setattr(repository, "try_lock_user_tokens", other_change_first)
    response = await _change(live_client, access, NEW_PASSWORD, "a third horse battery")
    assert_error(response, 401, "invalid_token")
    monkeypatch.undo()
    assert (await _login(live_client, email, NEW_PASSWORD))["access_token"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_password": PASSWORD, "new_password": "7 chars"}, "new_password"),
        ({"current_password": PASSWORD, "new_password": "x" * 257}, "new_password"),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, "new_password"),
        ({"current_password": PASSWORD}, "new_password"),
        ({"new_password": NEW_PASSWORD}, "current_password"),
        ({"current_password": "", "new_password": NEW_PASSWORD}, "current_password"),
        (
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "email": "x@y.z"},
            "email",
        ),
    ],
    ids=["short", "long", "unchanged", "no-new", "no-current", "empty-current", "extra-field"],
)
async def test_password_change_validation_is_422_naming_the_field(client, body, field):
    _, email = await _signup(client)
    tokens = await _login(client, email)
    response = await client.post(
        "/v1/auth/password", json=body, headers=_bearer(tokens["access_token"])
    )
    error = assert_error(response, 422, "validation_error")
    assert ["body", field] in [item["loc"] for item in error["details"]], error
    # nothing changed: the old password still logs in
    assert (await _login(client, email))["access_token"]


async def test_password_is_compared_exactly_as_typed(client):
    _, email = await _signup(client)
    tokens = await _login(client, email)
    # surrounding spaces are part of a password: " " + PASSWORD is not the current one
    response = await _change(client, tokens["access_token"], f" {PASSWORD} ", NEW_PASSWORD)
    assert_error(response, 403, "wrong_password")
    spaced = f"  {NEW_PASSWORD}  "
    assert (await _change(client, tokens["access_token"], PASSWORD, spaced)).status_code == 204
    assert (await _login(client, email, spaced))["access_token"]
    stripped = await client.post(
        "/v1/auth/token", data={"username": email, "password": NEW_PASSWORD}
    )
    assert_error(stripped, 401, "invalid_credentials")


async def test_password_change_needs_a_bearer_token(client):
    response = await client.post(
        "/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert_error(response, 401)


# --- the OpenAPI contract -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "statuses"),
    [
        ("/v1/auth/token", {"200", "401", "413", "422", "429", "503"}),
        # 503: every operation that needs the database can be overloaded (api/openapi.py)
        ("/v1/auth/refresh", {"200", "401", "413", "422", "429", "503"}),
        ("/v1/auth/logout", {"204", "401", "413", "422", "503"}),
        ("/v1/auth/password", {"204", "401", "403", "409", "413", "422", "503"}),
    ],
)
async def test_routes_declare_their_responses(client, path, statuses):
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"][path]["post"]
    assert set(operation["responses"]) == statuses
    assert operation["description"] or operation["summary"]


@pytest.mark.parametrize("model", ["RefreshRequest", "LogoutRequest", "PasswordChange"])
async def test_request_fields_are_described(client, model):
    schema = (await client.get("/openapi.json")).json()
    properties = schema["components"]["schemas"][model]["properties"]
    assert properties
    assert all(prop.get("description") for prop in properties.values()), properties
