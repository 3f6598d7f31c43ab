"""The athlete's calendar for analytics reads: local today, ISO weeks, requested ranges.

A precomputed row cannot know *today*; every read that depends on it asks here, in the
athlete's own time zone, so that all five views agree on which day it is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from api.errors import Unprocessable
from api.users.tables import User
from models.vocabulary import local_day

#: the longest ``from``…``to`` range a view answers, both days included (about ten years)
MAX_RANGE_DAYS = 3660


def local_today(user: User, now: datetime | None = None) -> date:
    """Today in the athlete's own time zone (:func:`models.vocabulary.local_day`)."""
    return local_day(now or datetime.now(UTC), user.time_zone)


def check_range(start: date, end: date) -> None:
    """Refuse a requested day range: 422 ``invalid_range`` when ``end`` is before ``start``,
    422 ``range_too_long`` when it spans more than :data:`MAX_RANGE_DAYS` days."""
    if end < start:
        raise Unprocessable("`to` must not be before `from`", code="invalid_range")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise Unprocessable(
            f"a range may span at most {MAX_RANGE_DAYS} days", code="range_too_long"
        )
