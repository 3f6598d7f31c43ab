"""``cardio_sessions`` (one per cardio workout) and ``activity_samples`` (their streams)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base

SPORTS = ("run", "ride", "swim", "walk", "hike", "row", "other")
LOAD_METHODS = ("trimp", "srpe", "duration")


class CardioSession(Base):
    """Summary and training load of a timed activity; its workout row holds the times."""

    __tablename__ = "cardio_sessions"
    __table_args__ = (Index("ix_cardio_sessions_user_sport", "user_id", "sport"),)

    workout_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workouts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sport: Mapped[str] = mapped_column(String(16))
    sport_label: Mapped[str | None] = mapped_column(String(64))
    elapsed_s: Mapped[float | None] = mapped_column(Float)
    moving_s: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    elev_gain_m: Mapped[float | None] = mapped_column(Float)
    elev_loss_m: Mapped[float | None] = mapped_column(Float)
    avg_hr: Mapped[float | None] = mapped_column(Float)
    max_hr: Mapped[float | None] = mapped_column(Float)
    avg_power_w: Mapped[float | None] = mapped_column(Float)
    avg_cadence: Mapped[float | None] = mapped_column(Float)
    avg_speed_mps: Mapped[float | None] = mapped_column(Float)
    pace_s_per_km: Mapped[float | None] = mapped_column(Float)
    points: Mapped[int] = mapped_column(Integer, server_default="0")
    trimp: Mapped[float | None] = mapped_column(Float)
    srpe_load: Mapped[float | None] = mapped_column(Float)
    load: Mapped[float | None] = mapped_column(Float)
    load_method: Mapped[str | None] = mapped_column(String(16))
    load_assumptions: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    device: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    warnings: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    source_id: Mapped[str | None] = mapped_column(String(200))


class ActivitySample(Base):
    """One recorded point of a cardio stream (COPY-loaded; partitionable by time)."""

    __tablename__ = "activity_samples"
    __table_args__ = (Index("ix_activity_samples_user_time", "user_id", "time"),)

    workout_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workouts.id", ondelete="CASCADE"), primary_key=True
    )
    time: Mapped[datetime] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    ele_m: Mapped[float | None] = mapped_column(Float)
    hr: Mapped[float | None] = mapped_column(Float)
    cadence: Mapped[float | None] = mapped_column(Float)
    power_w: Mapped[float | None] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    temperature_c: Mapped[float | None] = mapped_column(Float)
