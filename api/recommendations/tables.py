"""``recommendations`` (each stored score of an athlete's exercise) and their feedback."""

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
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base

OUTCOMES = ("done_as_prescribed", "changed", "skipped")
UNITS = ("kg", "lb")
#: A superseded prescription nobody answered is kept this many days, so a phone that
#: holds its id can still send feedback after the athlete was scored again.
FEEDBACK_DAYS = 14


class Recommendation(Base):
    """One prescription for one athlete's exercise, as scored at ``as_of``.

    An athlete's scoring writes one row per main exercise under one ``batch_id``; the
    newest batch is what is served while ``data_seq`` (the athlete's ``users.sync_seq``
    when scored) is current. Older rows stay only where feedback points at them.
    """

    __tablename__ = "recommendations"
    __table_args__ = (
        Index("ix_recommendations_user_created", "user_id", "created_at"),
        Index("ix_recommendations_user_exercise", "user_id", "exercise_id", "created_at"),
        CheckConstraint(f"unit IN {UNITS}", name="unit"),
        CheckConstraint("(model_name IS NULL) <> (rule IS NULL)", name="model_or_rule"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    exercise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    batch_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    as_of: Mapped[datetime]
    data_seq: Mapped[int] = mapped_column(BigInteger)
    #: the athlete's rank of this exercise among their main ones (0 = most trained)
    rank: Mapped[int] = mapped_column(Integer)
    model_name: Mapped[str | None] = mapped_column(String(64))
    model_version: Mapped[int | None] = mapped_column(Integer)
    rule: Mapped[str | None] = mapped_column(String(64))
    predicted_e1rm_kg: Mapped[float | None] = mapped_column(Float)
    interval_low_kg: Mapped[float | None] = mapped_column(Float)
    interval_high_kg: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(2))
    #: [{"weight_kg", "weight", "unit", "reps", "target_rpe"}, …]
    sets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    explanation: Mapped[str] = mapped_column(Text)


class RecommendationFeedback(Base):
    """What the athlete did with a prescription (one answer per prescription; a second
    replaces the first)."""

    __tablename__ = "recommendation_feedback"
    __table_args__ = (CheckConstraint(f"outcome IN {OUTCOMES}", name="outcome"),)

    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(24))
    #: for ``changed``: the sets actually done, [{"weight_kg", "reps", "rpe"}, …]
    sets: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
