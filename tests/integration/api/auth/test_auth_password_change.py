"""``POST /v1/auth/password``: the change, every session ended, concurrent changes (DESIGN §6).

The stored hash is checked with argon2-cffi directly and the sessions' ends in the
committed ``refresh_tokens`` rows; concurrent changes are staged by holding the
account's advisory lock from a second connection.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

import argon2
import httpx
import jwt
import pytest
from sqlalchemy import text

from tests.support import accounts
from tests.support.accounts import NEW_PASSWORD
from tests.support.http import PASSWORD, assert_error
from tests.support.stored import scalar

# --- password change ------------------------------------------------------------------------


async def test_password_change_with_a_wrong_current_password_is_403(live_client, sync_engine):
    user_id, email = await accounts.signup(live_client)
    tokens = await accounts.login(live_client, email)
    before = accounts.password_state(sync_engine, user_id)

    response = await accounts.change_password(
        live_client, tokens["access_token"], PASSWORD + "!", NEW_PASSWORD
    )
    assert_error(response, 403, "wrong_password")

    assert accounts.password_state(sync_engine, user_id) == before  # hash and timestamp untouched
    assert accounts.token_row(sync_engine, tokens["refresh_token"]).revoked_at is None
    assert (await accounts.login(live_client, email))["access_token"]
    bad = await live_client.post(
        "/v1/auth/token", data={"username": email, "password": NEW_PASSWORD}
    )
    assert_error(bad, 401, "invalid_credentials")


async def test_password_change_swaps_the_password_and_ends_every_session(live_client, sync_engine):
    user_id, email = await accounts.signup(live_client)
    phone = await accounts.login(live_client, email)
    laptop = await accounts.login(live_client, email)
    rotated = (await accounts.refresh(live_client, laptop["refresh_token"])).json()
    before = accounts.password_state(sync_engine, user_id)

    response = await accounts.change_password(
        live_client, phone["access_token"], PASSWORD, NEW_PASSWORD
    )
    assert response.status_code == 204, response.text
    assert response.content == b""

    after = accounts.password_state(sync_engine, user_id)
    assert after.password_changed_at > before.password_changed_at
    assert after.password_hash != before.password_hash
    assert after.password_hash.startswith("$argon2id$")
    assert argon2.PasswordHasher().verify(after.password_hash, NEW_PASSWORD)
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        argon2.PasswordHasher().verify(after.password_hash, PASSWORD)

    # every refresh token of the account is revoked, committed
    rows = accounts.user_token_rows(sync_engine, user_id)
    assert len(rows) == 3 and all(row.revoked_at is not None for row in rows)
    for token in (phone["refresh_token"], rotated["refresh_token"]):
        assert_error(await accounts.refresh(live_client, token), 401, "invalid_refresh_token")

    old = await live_client.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert_error(old, 401, "invalid_credentials")
    fresh = await accounts.login(live_client, email, NEW_PASSWORD)
    assert (await accounts.refresh(live_client, fresh["refresh_token"])).status_code == 200


async def test_a_token_issued_just_after_a_password_change_works(live_client, sync_engine):
    """Whole-second ``iat`` versus a microsecond ``password_changed_at``.

    A login in the same wall-clock second as the change gets ``iat`` = that second,
    which is *earlier* than ``password_changed_at``; it must still be accepted. Retried
    until the login lands in the same second as the change, so the case is exercised.
    """
    user_id, email = await accounts.signup(live_client)
    passwords = [PASSWORD, NEW_PASSWORD]
    access = (await accounts.login(live_client, email))["access_token"]
    # a change hashes twice under the user's lock: on a busy machine the login after it
    # often lands in the next second, so try for longer than a quiet machine needs
    for attempt in range(20):
        current, new = passwords[attempt % 2], passwords[(attempt + 1) % 2]
        await asyncio.sleep(1.02 - time.time() % 1)  # start early in a second
        assert (
            await accounts.change_password(live_client, access, current, new)
        ).status_code == 204
        access = (await accounts.login(live_client, email, new))["access_token"]
        iat = jwt.decode(access, options={"verify_signature": False})["iat"]
        changed_at = accounts.password_state(sync_engine, user_id).password_changed_at
        if iat == math.floor(changed_at.timestamp()):
            break
    else:
        pytest.fail("could not log in within the second of a password change")
    assert changed_at.timestamp() > iat  # the awkward case: iat precedes the change
    me = await accounts.me(live_client, access)
    assert me.status_code == 200, me.text


async def test_access_tokens_from_before_a_password_change_stop_working(live_client):
    _, email = await accounts.signup(live_client)
    old = (await accounts.login(live_client, email))["access_token"]
    iat = jwt.decode(old, options={"verify_signature": False})["iat"]
    await asyncio.sleep(max(0.0, iat + 1.05 - time.time()))  # the change in a later second
    assert (
        await accounts.change_password(live_client, old, PASSWORD, NEW_PASSWORD)
    ).status_code == 204
    assert_error(await accounts.me(live_client, old), 401, "invalid_token")


def _lock_waiters(sync_engine: Any) -> int:
    """Backends of this database waiting for an advisory lock."""
    return scalar(
        sync_engine,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
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
    user_id, email = await accounts.signup(live_client)
    access = (await accounts.login(live_client, email))["access_token"]
    news = [f"{NEW_PASSWORD} {i}" for i in range(3)]

    with sync_engine.connect() as conn:  # another change (or refresh) in progress
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"forma.auth.refresh_tokens:{user_id}"},
        )
        busy = await asyncio.gather(
            *(accounts.change_password(live_client, access, PASSWORD, n) for n in news)
        )
        conn.commit()
    for response in busy:
        assert_error(response, 409, "password_change_in_progress")
        assert response.headers["Retry-After"] == "1"

    retried = [await accounts.change_password(live_client, access, PASSWORD, new) for new in news]
    assert [r.status_code for r in retried] == [204, 401, 401]  # the first revoked the token
    assert (await accounts.login(live_client, email, news[0]))["access_token"]
    stored = accounts.password_state(sync_engine, user_id).password_hash
    assert argon2.PasswordHasher().verify(stored, news[0])
    fresh = (await accounts.login(live_client, email, news[0]))["access_token"]
    stale = await accounts.change_password(live_client, fresh, PASSWORD, news[1])
    assert_error(stale, 403, "wrong_password")  # no longer the current password


async def test_a_change_racing_another_with_the_right_password_but_a_stale_token_is_401(
    live_client, sync_engine, monkeypatch
):
    """The password changes after a request's bearer check, to the very password that
    request gives as current: its token predates the change, so 401 ``invalid_token``
    (what the bearer check answers a moment later), not a second change."""
    from api.auth import repository

    user_id, email = await accounts.signup(live_client)
    access = (await accounts.login(live_client, email))["access_token"]
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
    response = await accounts.change_password(
        live_client, access, NEW_PASSWORD, "a third horse battery"
    )
    assert_error(response, 401, "invalid_token")
    monkeypatch.undo()
    assert (await accounts.login(live_client, email, NEW_PASSWORD))["access_token"]


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
    _, email = await accounts.signup(client)
    tokens = await accounts.login(client, email)
    response = await client.post(
        "/v1/auth/password", json=body, headers=accounts.bearer(tokens["access_token"])
    )
    error = assert_error(response, 422, "validation_error")
    assert ["body", field] in [item["loc"] for item in error["details"]], error
    # nothing changed: the old password still logs in
    assert (await accounts.login(client, email))["access_token"]


async def test_password_is_compared_exactly_as_typed(client):
    _, email = await accounts.signup(client)
    tokens = await accounts.login(client, email)
    # surrounding spaces are part of a password: " " + PASSWORD is not the current one
    response = await accounts.change_password(
        client, tokens["access_token"], f" {PASSWORD} ", NEW_PASSWORD
    )
    assert_error(response, 403, "wrong_password")
    spaced = f"  {NEW_PASSWORD}  "
    assert (
        await accounts.change_password(client, tokens["access_token"], PASSWORD, spaced)
    ).status_code == 204
    assert (await accounts.login(client, email, spaced))["access_token"]
    stripped = await client.post(
        "/v1/auth/token", data={"username": email, "password": NEW_PASSWORD}
    )
    assert_error(stripped, 401, "invalid_credentials")


async def test_password_change_needs_a_bearer_token(client):
    response = await client.post(
        "/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert_error(response, 401)
