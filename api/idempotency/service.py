"""``Idempotency-Key`` on POST (DESIGN §2.2).

The first response to a key is stored in PostgreSQL in the same transaction as the
write it describes, scoped to user + route and kept 24 h. A retry with the same
canonical body gets that response replayed; a different body, 422; a retry while
the first request is still running, 409.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Conflict, Unprocessable
from api.idempotency import repository

KEEP_SECONDS = 24 * 3600

Handler = Callable[[], Awaitable[tuple[int, Any, dict[str, str]]]]


def canonical_hash(body: Any) -> str:
    """SHA-256 of the body as canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def run_once(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    route: str,
    key: str | None,
    body: Any,
    handler: Handler,
) -> tuple[int, Any, dict[str, str], bool]:
    """Run ``handler`` at most once per key; returns status, body, headers and ``replayed``.

    Raises 409 ``idempotency_key_in_flight`` and 422 ``idempotency_key_reused``.
    """
    if key is None:
        status, response, headers = await handler()
        return status, response, headers, False
    if not await repository.try_lock(session, user_id=user_id, route=route, key=key):
        raise Conflict(
            "a request with this Idempotency-Key is still being processed; retry shortly",
            code="idempotency_key_in_flight",
        )
    request_hash = canonical_hash(body)
    stored = await repository.find_fresh(
        session, user_id=user_id, route=route, key=key, max_age_s=KEEP_SECONDS
    )
    if stored is not None:
        if stored.request_hash != request_hash:
            raise Unprocessable(
                "this Idempotency-Key was used with a different request body",
                code="idempotency_key_reused",
            )
        return stored.status_code, stored.response, dict(stored.headers), True
    status, response, headers = await handler()
    await repository.store(
        session,
        user_id=user_id,
        route=route,
        key=key,
        request_hash=request_hash,
        status_code=status,
        response=response,
        headers=headers,
    )
    return status, response, headers, False
