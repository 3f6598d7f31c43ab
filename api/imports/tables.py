"""``import_jobs`` and the uploaded bytes they read (``import_files``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, Timestamps, UUIDPk

STATUSES = ("queued", "running", "succeeded", "partial", "failed")
"""``partial``: workouts stored, some records rejected (rule: ``pipelines.imports.outcome``)."""


class ImportJob(UUIDPk, Timestamps, Base):
    __tablename__ = "import_jobs"
    __table_args__ = (
        Index("ix_import_jobs_user_created", "user_id", "created_at"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint("progress BETWEEN 0 AND 1", name="progress"),
        CheckConstraint("date_order IN ('dmy', 'mdy', 'ymd')", name="date_order"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    format: Mapped[str | None] = mapped_column(String(32))
    filename: Mapped[str | None] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    weight_unit: Mapped[str | None] = mapped_column(String(8))
    distance_unit: Mapped[str | None] = mapped_column(String(8))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    date_order: Mapped[str | None] = mapped_column(String(3))
    progress: Mapped[float] = mapped_column(Float, server_default="0")
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    warnings: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    change_seq: Mapped[int | None] = mapped_column(BigInteger)
    """The user's ``sync_seq`` of the import's write: its workouts still carry it if unedited."""
    undone_at: Mapped[datetime | None]


class ImportFile(Base):
    """Uploaded bytes, in PostgreSQL so any worker host can read them; deleted when the job ends.

    A file is stored as it streams in, in pieces numbered by ``seq`` (0, 1, …) that
    concatenate to the file: the API never holds a whole upload, and PostgreSQL cannot
    append to a ``bytea`` without rewriting it.
    """

    __tablename__ = "import_files"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, server_default="0")
    content: Mapped[bytes] = mapped_column(LargeBinary)
