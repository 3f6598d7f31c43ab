"""The model registry in the rolled-back tier: roles, versions stored directly (with real
tiny artifacts), rows read back, and the task messages the API queued in Redis."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date
from typing import Any

import httpx
import redis
from sqlalchemy import insert, text

from api.coaching.tables import ModelVersion
from api.config import redis_py_url
from models.coaching.artifact import dumps
from tests.support.coach_artifacts import tiny_coach
from tests.support.http import register, user_id_of

MODEL = "next_e1rm"
BASE = f"/v1/models/{MODEL}"


async def execute(http: httpx.AsyncClient, sql: str, **params: Any) -> list[Any]:
    """Run ``sql`` on the test's connection (inside its rolled-back transaction); its rows."""
    async with http.forma_app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        result = await session.execute(text(sql), params)
        rows = list(result) if result.returns_rows else []
        await session.commit()
    return rows


async def account(http: httpx.AsyncClient, role: str) -> tuple[dict[str, str], str]:
    """A fresh user with ``role`` (athlete, analyst or admin): its bearer header and e-mail."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    headers = await register(http, email)
    if role != "athlete":
        await execute(
            http,
            "UPDATE users SET role = :role WHERE id = :id",
            role=role,
            id=await user_id_of(http, headers),
        )
    return headers, email


def version_values(version: int, *, seed: int | None = None) -> dict[str, Any]:
    """The columns of a stored version ``version`` with a real fitted artifact."""
    blob, digest = dumps(tiny_coach(seed=version if seed is None else seed))
    return {
        "model_name": MODEL,
        "version": version,
        "trained_from": date(2024, 1, 1),
        "trained_to": date(2024, 12, 31),
        "cut": date(2024, 10, 1),
        "snapshot": {"athletes": 10 * version, "sets": 1000 * version, "max_sync_seq": 7},
        "code_version": f"test-{version}",
        "params": {"max_iter": 8 * version, "learning_rate": 0.1},
        "metrics": {"synthetic": {"models": {"candidate": {"mae_kg": {"value": 1.5 / version}}}}},
        "artifact": blob,
        "artifact_sha256": digest,
    }


async def add_versions(http: httpx.AsyncClient, *versions: int) -> dict[int, dict[str, Any]]:
    """Store ``versions`` of :data:`MODEL` directly; their column values by version."""
    values = {v: version_values(v) for v in versions}
    async with http.forma_app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        for row in values.values():
            await session.execute(insert(ModelVersion).values(**row))
        await session.commit()
    return values


def queue_key(settings: Any) -> str:
    return f"{settings.key_prefix}:{settings.celery_queue}"


def redis_of(settings: Any) -> redis.Redis:
    return redis.Redis.from_url(redis_py_url(settings.redis_url))


def queued_tasks(settings: Any) -> list[tuple[str, list[Any]]]:
    """``(task name, args)`` of every message waiting in the test run's Celery queue."""
    client = redis_of(settings)
    try:
        raw = client.lrange(queue_key(settings), 0, -1)
    finally:
        client.close()
    out = []
    for item in raw:
        message = json.loads(item)
        body = json.loads(base64.b64decode(message["body"]))
        out.append((message["headers"]["task"], list(body[0])))
    return out
