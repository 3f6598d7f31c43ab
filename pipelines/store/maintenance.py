"""SQL for housekeeping run by the beat sweep."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func

from api.idempotency.tables import IdempotencyKey

IDEMPOTENCY_KEEP_S = 24 * 3600


def purge_idempotency_keys(conn: Connection, *, older_than_s: float = IDEMPOTENCY_KEEP_S) -> int:
    """Delete stored idempotent responses past their 24 h (DESIGN §2.2)."""
    result = conn.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.created_at
            < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_s)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
