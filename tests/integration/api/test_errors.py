"""Health probes and the one JSON error shape for routing errors and unexpected failures."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from api.main import create_app
from api.producer import TaskProducer
from tests.support.http import assert_error

DEAD_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens, connections are refused


@pytest.fixture
async def dead_broker_client(settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The real app and database, with a producer whose Redis refuses connections."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        app.state.producer.close()
        app.state.producer = TaskProducer(settings.model_copy(update={"redis_url": DEAD_REDIS}))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest.fixture
async def failing_client(settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app with one extra route that raises, answering 500 instead of re-raising."""
    app = create_app(settings)

    @app.get("/boom")
    async def _boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


# --- health --------------------------------------------------------------------------------


async def test_healthz_is_200(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_reports_the_database_and_broker(client):
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


async def test_readyz_stays_ready_when_the_broker_is_down(dead_broker_client):
    started = time.monotonic()
    response = await dead_broker_client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok", "broker": "unavailable"}
    assert elapsed < 10, f"readyz took {elapsed:.1f} s with the broker down"


async def test_a_dead_broker_does_not_block_writes(dead_broker_client, sync_engine):
    email = f"broker-down-{uuid.uuid4().hex[:8]}@example.com"
    try:
        response = await dead_broker_client.post(
            "/v1/auth/register", json={"email": email, "password": "correct horse battery"}
        )
        assert response.status_code == 201, response.text
        with sync_engine.connect() as conn:
            stored = conn.execute(
                text("SELECT count(*) FROM users WHERE email = :email"), {"email": email}
            ).scalar_one()
        assert stored == 1
    finally:  # this tier commits and is not truncated by conftest
        with sync_engine.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE email = :email"), {"email": email})


# --- routing errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/nope", "/v1/nope", "/v1/users/someone-else", "/v2/users/me", "/v1/users/me/x"]
)
async def test_unknown_route_is_404_json(client, path):
    assert_error(await client.get(path), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v1/users/me"),
        ("PUT", "/v1/users/me"),
        ("POST", "/v1/users/me"),
        ("GET", "/v1/auth/token"),
        ("GET", "/v1/auth/register"),
        ("POST", "/healthz"),
    ],
)
async def test_wrong_method_is_405_json(client, method, path):
    response = await client.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    assert method not in response.headers.get("allow", "").split(", ")


async def test_unexpected_error_is_500_json_without_internals(failing_client):
    response = await failing_client.get("/boom")
    error = assert_error(response, 500, "internal_error")
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert error["details"] is None


async def test_validation_details_are_loc_msg_type(client):
    response = await client.post(
        "/v1/auth/register", json={"email": "x", "extra": "echo-me-7f3a", "password": 1234}
    )
    error = assert_error(response, 422, "validation_error")
    assert isinstance(error["details"], list)
    locs = []
    for item in error["details"]:
        assert set(item) == {"loc", "msg", "type"}, item
        assert isinstance(item["loc"], list) and isinstance(item["msg"], str)
        assert isinstance(item["type"], str) and item["type"]
        locs.append(item["loc"])
    assert ["body", "email"] in locs
    assert ["body", "password"] in locs
    assert ["body", "extra"] in locs
    assert "echo-me-7f3a" not in response.text  # the offending input is not echoed back


# --- the schema declares the 4xx ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("post", "/v1/auth/register", {"409", "422"}),
        ("post", "/v1/auth/token", {"401", "422"}),
        ("get", "/v1/users/me", {"401"}),
        ("patch", "/v1/users/me", {"401", "422"}),
    ],
)
async def test_openapi_declares_the_error_responses(client, method, path, statuses):
    schema = (await client.get("/openapi.json")).json()
    responses = schema["paths"][path][method]["responses"]
    assert statuses <= set(responses), sorted(responses)
    for status in statuses - {"422"}:
        ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorResponse"), ref
