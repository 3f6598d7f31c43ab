"""The per-user change sequence behind the sync feed and ETags.

Every write to a user's workouts first bumps ``users.sync_seq`` and stamps the
workouts it changes with the new value. The UPDATE takes the user row's lock until
commit, so one user's writes commit in sequence order: a phone that has read
everything up to ``n`` can never later find a change numbered below ``n``.
"""

from __future__ import annotations

import uuid

from sqlalchemy import TextClause, text

# One prebuilt statement: an ORM update() built per write cost SQLAlchemy more CPU (its
# construction and cache key) than the database spent running it. The in-memory User is
# not refreshed by it; the writers use the number it returns.
_BUMP = text(
    "UPDATE users SET sync_seq = sync_seq + 1, updated_at = now() WHERE id = :user_id "
    "RETURNING sync_seq"
)


def bump_sync_seq(user_id: uuid.UUID) -> TextClause:
    """``UPDATE users SET sync_seq = sync_seq + 1 … RETURNING sync_seq`` (locks the user row)."""
    return _BUMP.bindparams(user_id=user_id)


def etag(change_seq: int, workout_id: uuid.UUID) -> str:
    """The strong ETag of a workout version."""
    return f'"{workout_id.hex[:8]}-{change_seq}"'
