"""Helpers of the coach's training tests: an emptied committed tier and run rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from tests.support.committed import truncate_committed


@pytest.fixture
def committed(sync_engine: Any) -> Iterator[Any]:
    """The sync engine on the committed tier, emptied after the test."""
    yield sync_engine
    truncate_committed(sync_engine)


def run_row(engine: Any, run_id: uuid.UUID) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM model_runs WHERE id = :id"), {"id": run_id})
        return dict(row.mappings().one())


def event_rows(engine: Any, model_name: str = "next_e1rm") -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM model_events WHERE model_name = :m ORDER BY id"),
            {"m": model_name},
        )
        return [dict(r) for r in rows.mappings()]
