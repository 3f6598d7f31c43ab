"""Migration 0009 both ways on a database of its own: `partial` allowed, then mapped back."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from api.config import to_sync_url
from pipelines.migrate import downgrade, upgrade

_JOB = (
    "INSERT INTO import_jobs (id, user_id, size_bytes, status, errors) "
    "VALUES (:j, :u, 9, :s, CAST(:e AS jsonb))"
)
_ERROR = '[{"line": 3, "column": "Reps", "code": "out_of_range", "message": "reps 9e9"}]'


def test_partial_is_allowed_backfilled_and_mapped_back_on_downgrade() -> None:
    admin = os.environ["FORMA_ADMIN_DATABASE_URL"]
    name = f"forma_migration_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(to_sync_url(admin), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(to_sync_url(url))
    try:
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
                    conn.execute(
                        text(_JOB), {"j": uuid.uuid4(), "u": user, "s": "partial", "e": "[]"}
                    )
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
                    conn.execute(
                        text(_JOB), {"j": uuid.uuid4(), "u": user, "s": "partial", "e": "[]"}
                    )
    finally:
        engine.dispose()
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()
