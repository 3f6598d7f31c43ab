"""SQL for exercises. Every read starts from :func:`visible_to` (the catalogue + the user's own)."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.exercises.tables import Exercise


def visible_to(user_id: uuid.UUID) -> Select[Exercise]:
    """The catalogue plus this user's custom exercises."""
    return select(Exercise).where(or_(Exercise.user_id.is_(None), Exercise.user_id == user_id))


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    q: str | None,
    limit: int,
    after: tuple[str, uuid.UUID] | None,
) -> list[Exercise]:
    """Exercises whose name or an alias contains ``q`` (case-insensitive), by name."""
    stmt = visible_to(user_id)
    if q:
        pattern = _like(q)
        stmt = stmt.where(
            or_(
                Exercise.name.ilike(pattern, escape="\\"),
                func.array_to_string(Exercise.aliases, "\n").ilike(pattern, escape="\\"),
            )
        )
    if after is not None:
        stmt = stmt.where(tuple_(Exercise.name_key, Exercise.id) > tuple_(*after))
    stmt = stmt.order_by(Exercise.name_key, Exercise.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def get(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_id: uuid.UUID
) -> Exercise | None:
    stmt = visible_to(user_id).where(Exercise.id == exercise_id)
    return (await session.execute(stmt)).scalar_one_or_none()
