"""Migration 0007 both ways on a database of its own: pieces join back into one row."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from pipelines.migrate import downgrade, upgrade
from tests.integration.migrations.conftest import Scratch


def test_downgrade_joins_the_pieces_and_upgrade_keeps_whole_files(scratch: Scratch) -> None:
    url, engine = scratch.url, scratch.engine
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
