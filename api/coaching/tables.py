"""The coach's registry (DESIGN §2.8): training runs and their feature tables, immutable
model versions, movable aliases and the append-only event log.

Triggers (migration 0011) refuse any UPDATE or DELETE of ``model_versions`` and
``model_events``: a version, once written, is what it says for ever.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base
from models.coaching.features import FEATURES

RUN_STATES = ("queued", "building", "fitting", "succeeded", "failed")
#: states in which a run holds its model: one such run per model at a time
ACTIVE_RUN_STATES = ("queued", "building", "fitting")
SPLITS = ("train", "validation", "test")
EVENTS = ("trained", "promoted", "rejected", "rolled_back", "failed")
ALIASES = ("champion", "challenger")


class ModelRun(Base):
    """One training run of a model: its parameters, who asked, and its progress."""

    __tablename__ = "model_runs"
    __table_args__ = (
        CheckConstraint(f"status IN {RUN_STATES}", name="status"),
        # exactly one run per model at a time, whatever the number of beats or workers
        Index(
            "uq_model_runs_one_active",
            "model_name",
            unique=True,
            postgresql_where=text(f"status IN {ACTIVE_RUN_STATES}"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    model_name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    requested_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: 0–1: feature shards count for the first 70 %, the fit and its evaluation for the rest
    progress: Mapped[float] = mapped_column(Float, server_default="0")
    shards_total: Mapped[int] = mapped_column(Integer, server_default="0")
    shards_done: Mapped[int] = mapped_column(Integer, server_default="0")
    users_total: Mapped[int] = mapped_column(Integer, server_default="0")
    examples: Mapped[int] = mapped_column(BigInteger, server_default="0")
    #: what the run read: athletes, sets and examples counted, the highest change number
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    message: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)
    #: the ``features`` dataset snapshot freezing this run's feature table (a notebook
    #: reproduces the version's training data from it); no foreign key: the snapshots
    #: table is the data platform's, and refers back to the run
    snapshot_id: Mapped[uuid.UUID | None]


#: A run's feature table: per (athlete, exercise, as-of) the features, the label, both
#: baselines' forecasts and the time-split column. No foreign key to users: a run's
#: table is a snapshot of what the run read, and goes with its run.
model_features = Table(
    "model_features",
    Base.metadata,
    Column("run_id", ForeignKey("model_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("exercise_id", Uuid, primary_key=True),
    Column("as_of", DateTime(timezone=True), primary_key=True),
    Column("day", Date, nullable=False),
    Column(
        "split", String(12), CheckConstraint(f"split IN {SPLITS}", name="split"), nullable=False
    ),
    Column("label_e1rm_kg", Float, nullable=False),
    Column("persistence_kg", Float, nullable=False),
    Column("trend_kg", Float, nullable=False),
    *(Column(name, Float) for name in FEATURES),
)


class ModelVersion(Base):
    """An immutable trained model: what it read, how it was made, how it scored, its bytes."""

    __tablename__ = "model_versions"

    model_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("model_runs.id", ondelete="SET NULL")
    )
    #: the training window: the first and last label day, and the time-split cut
    trained_from: Mapped[date | None] = mapped_column(Date)
    trained_to: Mapped[date | None] = mapped_column(Date)
    cut: Mapped[date | None] = mapped_column(Date)
    #: the data read: athletes, sets and examples counted, the highest change number read
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    code_version: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    #: candidate, champion and baselines on the same hold-out rows (see models.coaching)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONB)
    artifact: Mapped[bytes] = mapped_column(LargeBinary)
    artifact_sha256: Mapped[str] = mapped_column(String(64))


class ModelAlias(Base):
    """A movable name (``champion``, ``challenger``) pointing at one version of a model."""

    __tablename__ = "model_aliases"
    __table_args__ = (
        CheckConstraint(f"alias IN {ALIASES}", name="alias"),
        ForeignKeyConstraint(
            ["model_name", "version"], ["model_versions.model_name", "model_versions.version"]
        ),
    )

    model_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    alias: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_by: Mapped[str] = mapped_column(String(320))


class ModelEvent(Base):
    """Append-only: trained, promoted, rejected (with the reason), rolled back, failed."""

    __tablename__ = "model_events"
    __table_args__ = (
        CheckConstraint(f"event IN {EVENTS}", name="event"),
        Index("ix_model_events_model_at", "model_name", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    model_name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int | None] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
