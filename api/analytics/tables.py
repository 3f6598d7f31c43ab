"""Analytics tables. Written only by the pipelines; the API reads them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Float, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base


class AnalyticsDirty(Base):
    """A refresh owed to a user from ``since_day`` on (DESIGN §2.3)."""

    __tablename__ = "analytics_dirty"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    since_day: Mapped[date]
    marked_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())


class AnalyticsState(Base):
    """Per-user totals and the time of the data the analytics reflect."""

    __tablename__ = "analytics_state"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: Mapped[datetime]
    refreshed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    workouts: Mapped[int] = mapped_column(Integer)
    sets: Mapped[int] = mapped_column(Integer)
    working_sets: Mapped[int] = mapped_column(Integer)
    reps: Mapped[int] = mapped_column(Integer)
    volume_load_kg: Mapped[float] = mapped_column(Float)
    exercises: Mapped[int] = mapped_column(Integer)
    personal_records: Mapped[int] = mapped_column(Integer)
    first_workout_on: Mapped[date | None]
    last_workout_on: Mapped[date | None]


class E1rmDaily(Base):
    """The best e1RM (Epley) per exercise per local day."""

    __tablename__ = "analytics_e1rm_daily"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    exercise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exercises.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    e1rm_kg: Mapped[float] = mapped_column(Float)
    weight_kg: Mapped[float] = mapped_column(Float)
    reps: Mapped[int] = mapped_column(Integer)
    set_id: Mapped[uuid.UUID]
    workout_id: Mapped[uuid.UUID]


class RepMaxPr(Base):
    """Rep-max PRs (heaviest weight for exactly r reps) and bodyweight max-reps records."""

    __tablename__ = "analytics_rep_max_prs"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    exercise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exercises.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    reps: Mapped[int] = mapped_column(Integer, primary_key=True)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    achieved_on: Mapped[date]
    achieved_at: Mapped[datetime]
    set_id: Mapped[uuid.UUID]
    workout_id: Mapped[uuid.UUID]


class WeeklyVolume(Base):
    """Volume load per local ISO week (Monday first)."""

    __tablename__ = "analytics_weekly_volume"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    week_start: Mapped[date] = mapped_column(primary_key=True)
    volume_load_kg: Mapped[float] = mapped_column(Float)
    sets: Mapped[int] = mapped_column(Integer)
    reps: Mapped[int] = mapped_column(Integer)
