"""The ``analytics_dirty`` marker statements (DESIGN §2.3), shared by the API and the workers.

A write calls :func:`mark_stale` in its own transaction. A refresh reads the
marker, recomputes, then :func:`clear_if_unchanged` deletes it only when nobody
marked the user again meanwhile (compare-and-clear on ``marked_at``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Delete, Insert, delete, func, literal_column
from sqlalchemy.dialects.postgresql import insert

from api.analytics.tables import AnalyticsDirty


def mark_stale(user_id: uuid.UUID, since_day: date) -> Insert:
    """Upsert the marker: ``since_day`` = LEAST(old, new), ``marked_at`` strictly increases."""
    stmt = insert(AnalyticsDirty).values(
        user_id=user_id, since_day=since_day, marked_at=func.clock_timestamp()
    )
    table = AnalyticsDirty.__table__
    return stmt.on_conflict_do_update(
        index_elements=[table.c.user_id],
        set_={
            "since_day": func.least(table.c.since_day, stmt.excluded.since_day),
            # Strictly later than the value a running refresh may have read, even if the
            # clock has not moved, so compare-and-clear can never clear a newer mark.
            "marked_at": func.greatest(
                func.clock_timestamp(),
                table.c.marked_at + literal_column("interval '1 microsecond'"),
            ),
        },
    )


def clear_if_unchanged(user_id: uuid.UUID, marked_at: datetime) -> Delete:
    """Delete the marker only if it still carries the ``marked_at`` the refresh read."""
    return delete(AnalyticsDirty).where(
        AnalyticsDirty.user_id == user_id, AnalyticsDirty.marked_at == marked_at
    )
