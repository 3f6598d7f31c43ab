"""Migration 0009 both ways on a database of its own: `partial` allowed, then mapped back."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from pipelines.migrate import downgrade, upgrade
from tests.integration.migrations.conftest import Scratch

_JOB = (
    "INSERT INTO import_jobs (id, user_id, size_bytes, status, errors) "
    "VALUES (:j, :u, 9, :s, CAST(:e AS jsonb))"
)
_ERROR = '[{"line": 3, "column": "Reps", "code": "out_of_range", "message": "reps 9e9"}]'


def test_partial_is_allowed_backfilled_and_mapped_back_on_downgrade(scratch: Scratch) -> None:
    url, engine = scratch.url, scratch.engine
    upgrade(url, "0008")
    user = uuid.uuid4()
    clean, rejecting, failed = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO users (id, email, password_hash) VALUES (:u, 'm@x.org', 'h')"),
            {"u": user},
        )
        for job, status, errors in (
            (clean, "succeeded", "[]"),
            (rejecting, "succeeded", _ERROR),  # stored workouts, listed a rejected row
            (failed, "failed", _ERROR),
        ):
            conn.execute(text(_JOB), {"j": job, "u": user, "s": status, "e": errors})
        with pytest.raises(IntegrityError):  # not yet a status
            with conn.begin_nested():
                conn.execute(text(_JOB), {"j": uuid.uuid4(), "u": user, "s": "partial", "e": "[]"})
    engine.dispose()

    upgrade(url, "0009")
    statuses = text("SELECT id, status FROM import_jobs")
    with engine.connect() as conn:
        assert dict(conn.execute(statuses).all()) == {
            clean: "succeeded",
            rejecting: "partial",
            failed: "failed",
        }
    engine.dispose()

    downgrade(url, "0008")
    with engine.begin() as conn:
        assert dict(conn.execute(statuses).all()) == {
            clean: "succeeded",
            rejecting: "succeeded",
            failed: "failed",
        }
        with pytest.raises(IntegrityError):  # the old constraint is back
            with conn.begin_nested():
                conn.execute(text(_JOB), {"j": uuid.uuid4(), "u": user, "s": "partial", "e": "[]"})
