"""The per-user write lock, taken by every writer of a user's training data.

One statement both takes the lock and numbers the change: it bumps ``users.sync_seq``
(the sync feed's and the ETags' change sequence) and holds the user row's lock until the
transaction ends. Every writer takes it first, before any other row lock: the API's
workout writes and batches, exercise renames and merges, and the workers' imports. So one
user's writes commit in change-number order (a phone that has read everything up to ``n``
never later finds a change numbered below ``n``), and two writers of one user serialise
on the same row in the same order instead of deadlocking.

The API's async form and the workers' sync (psycopg) form run the same SQL text, so both
take exactly the same lock. The analytics refresh's per-user lock is another lock (an
advisory one, never taken by writes, see :mod:`pipelines.store.analytics_markers`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncSession

#: The statement; ``:user_id`` is the user's id. Returns the user's new ``sync_seq``.
WRITE_LOCK_SQL = (
    "UPDATE users SET sync_seq = sync_seq + 1, updated_at = now() WHERE id = :user_id "
    "RETURNING sync_seq"
)
# One prebuilt statement: an ORM update() built per write cost SQLAlchemy more CPU (its
# construction and cache key) than the database spent running it. An in-memory User is
# not refreshed by it; the writers use the number it returns.
_TAKE = text(WRITE_LOCK_SQL)


async def take(session: AsyncSession, user_id: uuid.UUID) -> int:
    """Take the user's write lock until commit; returns their next change number.

    Raises ``NoResultFound`` when no user has this id.
    """
    return (await session.execute(_TAKE, {"user_id": user_id})).scalar_one()


def take_sync(conn: Connection, user_id: uuid.UUID) -> int:
    """:func:`take` on a worker's sync connection: the same statement, the same lock."""
    return conn.execute(_TAKE, {"user_id": user_id}).scalar_one()
