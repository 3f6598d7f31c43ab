"""SQL for idempotency keys."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.idempotency.tables import IdempotencyKey


async def try_lock(session: AsyncSession, *, user_id: uuid.UUID, route: str, key: str) -> bool:
    """A transaction-scoped lock on (user, route, key); False while another request holds it."""
    stmt = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:k, 0))")
    return bool((await session.execute(stmt, {"k": f"idem:{user_id}:{route}:{key}"})).scalar_one())


async def find_fresh(
    session: AsyncSession, *, user_id: uuid.UUID, route: str, key: str, max_age_s: float
) -> IdempotencyKey | None:
    """The stored response for this key if younger than ``max_age_s``; older ones are deleted."""
    found = (
        await session.execute(
            select(
                IdempotencyKey, func.extract("epoch", func.now() - IdempotencyKey.created_at)
            ).where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.route == route,
                IdempotencyKey.key == key,
            )
        )
    ).one_or_none()
    if found is None:
        return None
    row, age_s = found
    if float(age_s) > max_age_s:
        await session.delete(row)
        await session.flush()
        return None
    return row


async def store(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    route: str,
    key: str,
    request_hash: str,
    status_code: int,
    response: Any,
    headers: dict[str, str],
) -> None:
    session.add(
        IdempotencyKey(
            user_id=user_id,
            route=route,
            key=key,
            request_hash=request_hash,
            status_code=status_code,
            response=response,
            headers=headers,
        )
    )
    await session.flush()
