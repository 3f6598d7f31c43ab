"""SQL for users."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import one_or_none
from api.users.tables import User


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    return await one_or_none(session, select(User).where(User.email == email))


async def lock_admin_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Ids of the admins, their rows locked until the transaction ends (id order, so
    concurrent callers never deadlock)."""
    query = select(User.id).where(User.role == "admin").order_by(User.id).with_for_update()
    return list((await session.execute(query)).scalars())
