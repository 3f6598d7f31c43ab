"""Migration 0007 both ways on a database of its own: pieces join back into one row."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.config import to_sync_url
from pipelines.migrate import downgrade, upgrade


def test_downgrade_joins_the_pieces_and_upgrade_keeps_whole_files() -> None:
    admin = os.environ["FORMA_ADMIN_DATABASE_URL"]
    name = f"forma_migration_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(to_sync_url(admin), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(to_sync_url(url))
    try:
        upgrade(url, "0007")
        user, job = uuid.uuid4(), uuid.uuid4()
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO users (id, email, password_hash) VALUES (:u, 'm@x.org', 'h')"),
                {"u": user},
            )
            conn.execute(
                text("INSERT INTO import_jobs (id, user_id, size_bytes) VALUES (:j, :u, 9)"),
                {"j": job, "u": user},
            )
            for seq, piece in ((2, b"ghi"), (0, b"abc"), (1, b"def")):
                conn.execute(
                    text("INSERT INTO import_files (job_id, seq, content) VALUES (:j, :s, :c)"),
                    {"j": job, "s": seq, "c": piece},
                )
        engine.dispose()
        downgrade(url, "0006")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT job_id, content FROM import_files")).all()
        assert [(r.job_id, bytes(r.content)) for r in rows] == [(job, b"abcdefghi")]
        engine.dispose()
        upgrade(url, "0007")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT seq, content FROM import_files")).all()
        assert [(r.seq, bytes(r.content)) for r in rows] == [(0, b"abcdefghi")]
    finally:
        engine.dispose()
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()
