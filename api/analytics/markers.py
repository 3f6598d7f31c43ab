"""The ``analytics_dirty`` marker statements (DESIGN §2.3), shared by the API and the workers.

A write calls :func:`mark_stale` in its own transaction. A refresh reads the
marker, recomputes, then :func:`clear_if_unchanged` deletes it only when nobody
marked the user again meanwhile (compare-and-clear on ``marked_at``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Delete, TextClause, delete, text

from api.analytics.tables import AnalyticsDirty

# Prebuilt once: building the ON CONFLICT upsert with the ORM on every write cost more CPU
# than the database spent on it. ``since_day`` = LEAST(old, new); ``marked_at`` strictly
# later than the value a running refresh may have read, even if the clock has not moved,
# so compare-and-clear can never clear a newer mark; ``first_marked_at`` keeps its
# default (the first owed mark) until the marker is cleared.
_MARK_STALE = text(
    """
    INSERT INTO analytics_dirty (user_id, since_day, marked_at)
    VALUES (:user_id, :since_day, clock_timestamp())
    ON CONFLICT (user_id) DO UPDATE SET
        since_day = least(analytics_dirty.since_day, excluded.since_day),
        marked_at = greatest(
            clock_timestamp(), analytics_dirty.marked_at + interval '1 microsecond'
        )
    """
)


def mark_stale(user_id: uuid.UUID, since_day: date) -> TextClause:
    """Upsert the marker: ``since_day`` = LEAST(old, new), ``marked_at`` strictly increases."""
    return _MARK_STALE.bindparams(user_id=user_id, since_day=since_day)


def clear_if_unchanged(user_id: uuid.UUID, marked_at: datetime) -> Delete:
    """Delete the marker only if it still carries the ``marked_at`` the refresh read."""
    return delete(AnalyticsDirty).where(
        AnalyticsDirty.user_id == user_id, AnalyticsDirty.marked_at == marked_at
    )
