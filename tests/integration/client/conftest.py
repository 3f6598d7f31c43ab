"""The client against a real API: uvicorn on a free port (the client is synchronous, so it
needs a real socket, not the in-process ASGI transport), committed data, truncated after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.support.committed import truncate_committed
from tests.support.http import PASSWORD
from tests.support.uvicorn_server import Server


@pytest.fixture(scope="module")
def server(sync_engine: Any) -> Iterator[Server]:
    from api.config import Settings
    from api.main import create_app

    settings = Settings()
    # a queue no worker reads: a training run or snapshot stays as these tests set it
    settings = settings.model_copy(update={"celery_queue": f"{settings.celery_queue}-unread"})
    with Server(create_app(settings), "h11") as running:
        yield running
    truncate_committed(sync_engine)


@pytest.fixture(scope="module")
def base_url(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}"


def account(base_url: str, sync_engine: Any, role: str = "athlete") -> tuple[str, uuid.UUID]:
    """A fresh account with ``role`` (set in the database, as ``forma users grant`` does):
    its e-mail (password :data:`PASSWORD`) and id."""
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
    with httpx.Client(base_url=base_url) as http:
        created = http.post(
            "/v1/auth/register",
            json={"email": email, "password": PASSWORD, "time_zone": "Europe/Oslo"},
        )
        assert created.status_code == 201, created.text
        user_id = uuid.UUID(created.json()["id"])
    if role != "athlete":
        with sync_engine.begin() as conn:
            conn.execute(
                text("UPDATE users SET role = :role WHERE id = :id"), {"role": role, "id": user_id}
            )
    return email, user_id


@contextmanager
def raw(base_url: str, email: str) -> Iterator[httpx.Client]:
    """A plain ``httpx.Client`` logged in as ``email``: the API's own answers, to compare."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        answer = http.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield http


def put_workout(
    http: httpx.Client, start: datetime, sets: list[dict[str, Any]], **fields: Any
) -> str:
    """``PUT /v1/workouts/{new id}`` of an hour-long workout at ``start``; its id."""
    workout_id = str(uuid.uuid4())
    body = {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=1)).isoformat(),
        "time_zone": "Europe/Oslo",
        "sets": sets,
        **fields,
    }
    answer = http.put(f"/v1/workouts/{workout_id}", json=body)
    assert answer.status_code in (200, 201), answer.text
    return workout_id


def days_ago(days: int, hour: int = 17) -> datetime:
    """``days`` days before now at ``hour``:00 UTC."""
    now = datetime.now(UTC)
    return (now - timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
