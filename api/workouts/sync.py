"""The per-user change sequence behind the sync feed and ETags.

Every write to a user's workouts first bumps ``users.sync_seq`` and stamps the
workouts it changes with the new value. The UPDATE takes the user row's lock until
commit, so one user's writes commit in sequence order: a phone that has read
everything up to ``n`` can never later find a change numbered below ``n``.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Update, update

from api.users.tables import User


def bump_sync_seq(user_id: uuid.UUID) -> Update:
    """``UPDATE users SET sync_seq = sync_seq + 1 … RETURNING sync_seq`` (locks the user row)."""
    return (
        update(User)
        .where(User.id == user_id)
        .values(sync_seq=User.sync_seq + 1)
        .returning(User.sync_seq)
    )


def etag(change_seq: int, workout_id: uuid.UUID) -> str:
    """The strong ETag of a workout version."""
    return f'"{workout_id.hex[:8]}-{change_seq}"'
