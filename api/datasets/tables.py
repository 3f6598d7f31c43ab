"""Tables of the data platform: key periods, athletes' pseudonyms, dataset snapshots.

The pseudonymisation key never reaches the database: pseudonyms are computed by the API
and workers (HMAC-SHA256, :mod:`api.datasets.pseudonyms`) and stored per key period, so
the read-only SQL views can join them without holding the key.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base

SNAPSHOT_STATES = ("queued", "running", "succeeded", "failed")


class PseudonymPeriod(Base):
    """One key period: the span during which one pseudonymisation key was configured."""

    __tablename__ = "pseudonym_periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: HMAC-SHA256(key, "forma key period"), 16 hex chars: names the key, reveals nothing
    fingerprint: Mapped[str] = mapped_column(String(32), unique=True)
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    #: the latest activation wins: the current period is the most recently activated
    activated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class UserPseudonym(Base):
    """An athlete's pseudonym in one key period, and the sample bucket derived from it."""

    __tablename__ = "user_pseudonyms"
    __table_args__ = (UniqueConstraint("period", "pseudonym"),)

    period: Mapped[int] = mapped_column(
        ForeignKey("pseudonym_periods.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    pseudonym: Mapped[str] = mapped_column(String(32))
    #: in [0, 1): athletes with bucket < f form a sample of fraction f, stable in the period
    bucket: Mapped[float] = mapped_column(Float)


class DatasetSnapshot(Base):
    """A dataset frozen under an id: its filters, key period, state and row count."""

    __tablename__ = "dataset_snapshots"
    __table_args__ = (CheckConstraint(f"status IN {SNAPSHOT_STATES}", name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dataset: Mapped[str] = mapped_column(String(64))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    key_period: Mapped[int] = mapped_column(ForeignKey("pseudonym_periods.id"))
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    progress: Mapped[float] = mapped_column(Float, server_default="0")
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    #: when the rows were read (the snapshot's transaction began)
    taken_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: the e-mail of the analyst or admin who asked, or ``training``
    created_by: Mapped[str] = mapped_column(String(320))
    message: Mapped[str | None] = mapped_column(Text)
    #: the training run whose feature table this snapshot freezes (dataset ``features``)
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("model_runs.id", ondelete="SET NULL"), index=True
    )


class DatasetSnapshotPart(Base):
    """One Parquet file of a snapshot: a month of its rows (at most a part's worth)."""

    __tablename__ = "dataset_snapshot_parts"

    snapshot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dataset_snapshots.id", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the first day of the month the rows fall in (None: a dataset without time column)
    month: Mapped[date | None]
    row_count: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
