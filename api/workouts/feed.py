"""The sync feed: every change to a user's workouts since a cursor, in commit order."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Unprocessable
from api.pagination import decode_cursor, encode_cursor
from api.users.tables import User
from api.workouts import repository
from api.workouts.schemas import SetRead, SyncPage, WorkoutRead
from api.workouts.service import summary_fields

START = "0"
"""``updated_since=0``: from the beginning of the user's history."""


def _after(cursor: str, user: User) -> tuple[int, uuid.UUID]:
    if cursor == START:
        return (-1, uuid.UUID(int=0))
    raw_seq, raw_id = decode_cursor(cursor, size=2)
    if not isinstance(raw_seq, int) or not -1 <= raw_seq <= user.sync_seq:
        # A cursor past the user's own sequence was not made by Forma for this user;
        # following it would silently skip changes.
        raise Unprocessable("cursor is not valid", code="invalid_cursor")
    try:
        return raw_seq, uuid.UUID(str(raw_id))
    except (TypeError, ValueError) as exc:
        raise Unprocessable("cursor is not valid", code="invalid_cursor") from exc


async def changes(session: AsyncSession, *, user: User, updated_since: str, limit: int) -> SyncPage:
    """Workouts changed after ``updated_since`` (tombstones for deletions), oldest change first.

    Order is ``(change_seq, id)``; one user's writes commit in ``change_seq`` order
    (see :mod:`api.workouts.sync`), so a phone that applies every page and keeps the
    last ``next_cursor`` ends with exactly the server's state.
    """
    after = _after(updated_since, user)
    rows = await repository.changes_since(session, user_id=user.id, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    live = [w.id for w in rows if w.deleted_at is None]
    sets = await repository.sets_of_many(session, workout_ids=live)
    items = []
    for w in rows:
        own = [
            SetRead.model_validate(
                {
                    **{c: getattr(s, c) for c in SetRead.model_fields if c != "exercise_name"},
                    "exercise_name": name,
                }
            )
            for s, name in sets.get(w.id, [])
        ]
        items.append(WorkoutRead.model_validate({**summary_fields(w, len(own)), "sets": own}))
    last = (rows[-1].change_seq, rows[-1].id) if rows else after
    return SyncPage(items=items, next_cursor=encode_cursor([last[0], str(last[1])]), has_more=more)
