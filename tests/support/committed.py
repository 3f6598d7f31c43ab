"""Emptying the committed test tier between tests (the seeded exercise catalogue stays)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

import api.tables  # noqa: F401  # registers every table on Base.metadata
from api.db import Base

# Tables the TRUNCATE leaves alone, each emptied below in its own way:
# - exercises: migration 0002 seeds the shared catalogue (user_id NULL), which every test
#   relies on; only the rows a test's user created go.
# - users: exercises.user_id references it, so `TRUNCATE users` is refused unless CASCADE,
#   and CASCADE would empty the catalogue too. DELETE after the user exercises are gone.
# (alembic_version is not in the metadata, so it is never listed.)
_KEPT = frozenset({"exercises", "users"})

# Built from the metadata so a new table is emptied without anyone remembering to list it;
# one statement, so foreign keys between the listed tables do not dictate an order.
_TRUNCATE = "TRUNCATE " + ", ".join(
    table.name for table in Base.metadata.sorted_tables if table.name not in _KEPT
)


def truncate_committed(sync_engine: Any) -> None:
    """Delete every row a committed-tier test may have written."""
    with sync_engine.begin() as conn:
        conn.execute(text(_TRUNCATE))
        conn.execute(text("DELETE FROM exercises WHERE user_id IS NOT NULL"))
        conn.execute(text("DELETE FROM users"))
