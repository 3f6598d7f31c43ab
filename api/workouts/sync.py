"""The per-user change sequence behind the sync feed and ETags.

Every write to a user's workouts first takes the user's write lock, which bumps
``users.sync_seq`` (:mod:`api.users.write_lock`), and stamps the workouts it changes
with the new value. The lock is held until commit, so one user's writes commit in
sequence order: a phone that has read everything up to ``n`` can never later find a
change numbered below ``n``.
"""

from __future__ import annotations

import uuid


def etag(change_seq: int, workout_id: uuid.UUID) -> str:
    """The strong ETag of a workout version."""
    return f'"{workout_id.hex[:8]}-{change_seq}"'
