"""Overload answers 503 with ``Retry-After``, at once, in the one error shape — never 500.

The app runs on the real PostgreSQL with one connection in its pool (``pool_size=1``,
``max_overflow=0``) and short bounds: a 1-second wait for a connection and a 1-second
statement timeout. The test starves the pool by holding that connection itself, and
makes the database slow by holding a table lock from a second connection.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from api.config import Settings
from tests.support.committed import truncate_committed
from tests.support.http import assert_error, register
from tests.support.workouts import a_workout, new_id

POOL_TIMEOUT_S = 1.0
STATEMENT_TIMEOUT_S = 1.0
#: the answer may come this much after the bound: a busy 2-core machine, never a hang
SLACK_S = 5.0


@pytest.fixture
async def app_and_http(settings: Settings, sync_engine: Any) -> AsyncIterator[tuple[Any, Any]]:
    """The app with a one-connection pool and 1-second bounds, committing for real."""
    from api.main import create_app

    tight = settings.model_copy(
        update={
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "db_pool_timeout_s": POOL_TIMEOUT_S,
            "db_statement_timeout_s": STATEMENT_TIMEOUT_S,
            "overload_retry_after_s": 2,
        }
    )
    app = create_app(tight)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, http
    truncate_committed(sync_engine)


def _count(sync_engine: Any, sql: str, **params: Any) -> int:
    with sync_engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def _stored(sync_engine: Any, workout_id: str) -> tuple[int, int]:
    """(workout rows, set rows) stored under ``workout_id``."""
    return (
        _count(sync_engine, "SELECT count(*) FROM workouts WHERE id = :id", id=workout_id),
        _count(
            sync_engine, "SELECT count(*) FROM workout_sets WHERE workout_id = :id", id=workout_id
        ),
    )


def _assert_overloaded(response: httpx.Response, reason: str) -> None:
    error = assert_error(response, 503, "overloaded")
    assert error["details"] == {"reason": reason}, error
    assert response.headers["retry-after"] == "2"


async def test_a_starved_pool_answers_503_within_the_bound_and_serves_again_once_freed(
    app_and_http, sync_engine
):
    app, http = app_and_http
    headers = await register(http)
    refused, accepted = new_id(), new_id()
    async with app.state.engine.connect() as held:  # the pool's only connection
        await held.execute(text("SELECT 1"))
        for method, path, body in [
            ("GET", "/v1/workouts", None),
            ("GET", "/v1/analytics/summary", None),
            ("PUT", f"/v1/workouts/{refused}", a_workout()),
        ]:
            started = time.monotonic()
            response = await http.request(method, path, json=body, headers=headers)
            waited = time.monotonic() - started
            _assert_overloaded(response, "database_pool_timeout")
            assert waited < POOL_TIMEOUT_S + SLACK_S, (method, path, waited)
    # Released: the same app serves again, and the refused write was never stored.
    response = await http.put(f"/v1/workouts/{accepted}", json=a_workout(), headers=headers)
    assert response.status_code == 201, response.text
    assert (await http.get("/v1/workouts", headers=headers)).status_code == 200
    assert _stored(sync_engine, refused) == (0, 0)
    assert _stored(sync_engine, accepted) == (1, 2)


async def test_a_statement_past_the_timeout_is_503_and_nothing_of_the_write_is_stored(
    app_and_http, sync_engine
):
    app, http = app_and_http
    headers = await register(http)
    me = (await http.get("/v1/users/me", headers=headers)).json()["id"]
    workout_id = new_id()
    # The write stores the workout and its sets, then marks the athlete's analytics stale
    # in the same transaction: with the marker table locked, that last statement waits
    # until the statement timeout cancels it, after the workout rows were written.
    with sync_engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE analytics_dirty IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        response = await http.put(f"/v1/workouts/{workout_id}", json=a_workout(), headers=headers)
        waited = time.monotonic() - started
        blocker.rollback()
    _assert_overloaded(response, "database_timeout")
    assert waited < STATEMENT_TIMEOUT_S + SLACK_S
    assert _stored(sync_engine, workout_id) == (0, 0)  # rolled back whole, never half-written
    assert _count(sync_engine, "SELECT count(*) FROM analytics_dirty WHERE user_id = :u", u=me) == 0
    # The connection went back to the pool healthy: the same write now succeeds, once.
    response = await http.put(f"/v1/workouts/{workout_id}", json=a_workout(), headers=headers)
    assert response.status_code == 201, response.text
    assert _stored(sync_engine, workout_id) == (1, 2)
    assert _count(sync_engine, "SELECT count(*) FROM analytics_dirty WHERE user_id = :u", u=me) == 1


async def test_a_batch_item_that_times_out_fails_the_whole_batch_with_503(
    app_and_http, sync_engine
):
    _, http = app_and_http
    headers = await register(http)
    held, fresh = new_id(), new_id()
    stored = await http.put(f"/v1/workouts/{held}", json=a_workout(), headers=headers)
    assert stored.status_code == 201, stored.text
    items = [{**a_workout(), "id": fresh}, {**a_workout(notes="changed"), "id": held}]
    # The second item's row is locked elsewhere: its upsert waits out the statement
    # timeout. That says "not now", so the phone must be told to send the batch again,
    # not that the item was refused for good; the first item is not kept alone either.
    with sync_engine.connect() as blocker:
        blocker.execute(text("SELECT 1 FROM workouts WHERE id = :id FOR UPDATE"), {"id": held})
        response = await http.post("/v1/workouts/batch", json={"items": items}, headers=headers)
        blocker.rollback()
    _assert_overloaded(response, "database_timeout")
    assert _stored(sync_engine, fresh) == (0, 0)
    again = await http.post("/v1/workouts/batch", json={"items": items}, headers=headers)
    assert [r["status"] for r in again.json()["results"]] == ["created", "replaced"]
    assert _stored(sync_engine, fresh) == (1, 2)


async def test_a_slow_read_is_503_too(app_and_http, sync_engine):
    _, http = app_and_http
    headers = await register(http)
    with sync_engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE workouts IN ACCESS EXCLUSIVE MODE"))
        response = await http.get("/v1/workouts", headers=headers)
        blocker.rollback()
    _assert_overloaded(response, "database_timeout")
    assert (await http.get("/v1/workouts", headers=headers)).status_code == 200


async def test_an_unreachable_database_is_503_not_500(settings: Settings):
    from api.main import create_app

    # a port nothing listens on: asyncpg's connect error is not a DBAPI error
    down = settings.model_copy(
        update={
            "database_url": "postgresql+asyncpg://postgres@127.0.0.1:9/nothing",
            "db_connect_timeout_s": 2.0,
        }
    )
    app = create_app(down)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.post(
                "/v1/auth/register", json={"email": "a@example.com", "password": "x" * 12}
            )
    error = assert_error(response, 503, "overloaded")
    assert error["details"] == {"reason": "database_unavailable"}
    assert response.headers["retry-after"] == "1"


async def test_every_operation_that_needs_the_database_declares_503_with_retry_after(client):
    schema = (await client.get("/openapi.json")).json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            declared = operation["responses"].get("503")
            if path == "/healthz":
                assert declared is None
                continue
            assert declared is not None, (method, path)
            if path == "/readyz":  # its own body: {"status": "unavailable", ...}
                continue
            assert declared["headers"]["Retry-After"]["required"] is True, (method, path)
            ref = declared["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorResponse"


async def test_connections_the_server_dropped_answer_503_once_then_the_pool_recovers(
    app_and_http, sync_engine
):
    """A server restart kills every pooled connection. No ping guards a checkout, so the
    request that meets the dead connection answers 503 + Retry-After (never 500, nothing
    stored), and the next one gets a new connection."""
    _, http = app_and_http
    headers = await register(http)
    assert (await http.get("/v1/workouts", headers=headers)).status_code == 200
    with sync_engine.connect() as conn:  # what a restart does to the app's connection
        killed = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    assert killed >= 1
    lost = new_id()
    first = await http.put(f"/v1/workouts/{lost}", json=a_workout(), headers=headers)
    _assert_overloaded(first, "database_unavailable")
    assert _stored(sync_engine, lost) == (0, 0)
    again = await http.put(f"/v1/workouts/{lost}", json=a_workout(), headers=headers)
    assert again.status_code == 201, again.text
    assert (await http.get("/v1/workouts", headers=headers)).status_code == 200
    assert _stored(sync_engine, lost) == (1, 2)
