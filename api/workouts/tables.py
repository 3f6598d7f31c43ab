"""``workouts`` and ``workout_sets``: what athletes did, in SI units, with the source unit."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, Timestamps, UUIDPk

SET_TYPES = ("working", "warmup", "dropset", "failure")


class Workout(UUIDPk, Timestamps, Base):
    __tablename__ = "workouts"
    __table_args__ = (
        Index("ix_workouts_user_started", "user_id", "started_at", "id"),
        Index("ix_workouts_user_change_seq", "user_id", "change_seq", "id"),
        # Re-importing a workout finds it by its source fingerprint and adds nothing.
        Index(
            "uq_workouts_user_fingerprint",
            "user_id",
            "source_fingerprint",
            unique=True,
            postgresql_where=text("source_fingerprint IS NOT NULL"),
        ),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ended_after_start"),
        CheckConstraint("session_rpe IS NULL OR session_rpe BETWEEN 0 AND 10", name="session_rpe"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    time_zone: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    session_rpe: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(32), server_default="api")
    source_fingerprint: Mapped[str | None] = mapped_column(String(64))
    import_job_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="SET NULL"), index=True
    )
    deleted_at: Mapped[datetime | None]
    change_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """The user's ``sync_seq`` at this workout's last change: sync-feed order and ETag."""


class WorkoutSet(UUIDPk, Base):
    __tablename__ = "workout_sets"
    __table_args__ = (
        Index("ix_workout_sets_workout_position", "workout_id", "position"),
        Index("ix_workout_sets_user_exercise", "user_id", "exercise_id"),
        CheckConstraint(f"set_type IN {SET_TYPES}", name="set_type"),
        CheckConstraint("reps IS NULL OR reps BETWEEN 0 AND 1000", name="reps"),
        CheckConstraint("weight_kg IS NULL OR weight_kg BETWEEN 0 AND 1000", name="weight_kg"),
        CheckConstraint("duration_s IS NULL OR duration_s BETWEEN 0 AND 86400", name="duration_s"),
        CheckConstraint(
            "distance_m IS NULL OR distance_m BETWEEN 0 AND 1000000", name="distance_m"
        ),
        CheckConstraint(
            "rpe IS NULL OR (rpe BETWEEN 1 AND 10 AND rpe * 2 = round(rpe * 2))", name="rpe"
        ),
        CheckConstraint("rir IS NULL OR rir BETWEEN 0 AND 10", name="rir"),
        CheckConstraint("form_score IS NULL OR form_score BETWEEN 0 AND 1", name="form_score"),
    )

    workout_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workouts.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    exercise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exercises.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    set_type: Mapped[str] = mapped_column(String(16), server_default="working")
    weight_kg: Mapped[float | None] = mapped_column(Float)
    reps: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    rpe: Mapped[float | None] = mapped_column(Float)
    rir: Mapped[float | None] = mapped_column(Float)
    weight_unit: Mapped[str | None] = mapped_column(String(8))
    distance_unit: Mapped[str | None] = mapped_column(String(8))
    detected_reps: Mapped[int | None] = mapped_column(SmallInteger)
    form_score: Mapped[float | None] = mapped_column(Float)
    tempo: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)
