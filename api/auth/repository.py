"""SQL for refresh tokens. Reads scoped to a user start from :func:`owned_by`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tables import RefreshToken
from api.db import one_or_none


def owned_by(user_id: uuid.UUID) -> Select[RefreshToken]:
    """The user's refresh tokens, in any state."""
    return select(RefreshToken).where(RefreshToken.user_id == user_id)


async def lock_user_tokens(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """Serialise every change to one user's refresh tokens until this transaction ends.

    A transaction-scoped advisory lock rather than a lock on the ``users`` row: workout
    writes and imports hold that row (``sync_seq``) for as long as they run, and a
    token refresh must not wait for an import. Refresh, logout and password change all
    take this lock first, so (a) a refresh racing a password change cannot leave a new,
    unrevoked token behind, and (b) statements that revoke several rows never lock
    them in opposite orders (no deadlocks between logout and reuse detection).
    """
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"forma.auth.refresh_tokens:{user_id}"},
    )


async def try_lock_user_tokens(session: AsyncSession, *, user_id: uuid.UUID) -> bool:
    """:func:`lock_user_tokens` without waiting: False when another transaction holds it."""
    result = await session.execute(
        text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"forma.auth.refresh_tokens:{user_id}"},
    )
    return bool(result.scalar_one())


async def user_id_for(session: AsyncSession, *, token_hash: bytes) -> uuid.UUID | None:
    """The owner of the token with this digest (no lock), or None when it is unknown."""
    stmt = select(RefreshToken.user_id).where(RefreshToken.token_hash == token_hash)
    return await one_or_none(session, stmt)


async def get_for_update(session: AsyncSession, *, token_hash: bytes) -> RefreshToken | None:
    """The token with this digest, row-locked (``FOR UPDATE``) until the transaction ends."""
    stmt = (
        select(RefreshToken)
        .where(RefreshToken.token_hash == token_hash)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await one_or_none(session, stmt)


async def add(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    token_hash: bytes,
    expires_at: datetime,
) -> RefreshToken:
    """Store a new refresh token (its digest only)."""
    token = RefreshToken(
        user_id=user_id, family_id=family_id, token_hash=token_hash, expires_at=expires_at
    )
    session.add(token)
    await session.flush()
    return token


async def mark_used(session: AsyncSession, *, token_id: uuid.UUID) -> None:
    """Stamp ``used_at``: the token has been exchanged and must never be accepted again."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
        .values(used_at=func.now())
    )


async def revoke_family(session: AsyncSession, *, family_id: uuid.UUID) -> int:
    """Revoke every live token of one rotation family; the number revoked."""
    return await _revoke(session, RefreshToken.family_id == family_id)


async def revoke_family_of(session: AsyncSession, *, user_id: uuid.UUID, token_hash: bytes) -> int:
    """Revoke the family of the user's token with this digest; 0 if the user has no such token."""
    family = owned_by(user_id).where(RefreshToken.token_hash == token_hash)
    family_ids = family.with_only_columns(RefreshToken.family_id).scalar_subquery()
    return await _revoke(
        session, RefreshToken.user_id == user_id, RefreshToken.family_id == family_ids
    )


async def revoke_all(session: AsyncSession, *, user_id: uuid.UUID) -> int:
    """Revoke every live refresh token of the user; the number revoked."""
    return await _revoke(session, RefreshToken.user_id == user_id)


async def _revoke(session: AsyncSession, *where: ColumnElement[bool]) -> int:
    """Revoke the live (not yet revoked) tokens matching ``where``; the number revoked."""
    result = await session.execute(
        update(RefreshToken)
        .where(*where, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
