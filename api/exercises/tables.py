"""The ``exercises`` table: the seeded catalogue (``user_id`` NULL) and users' custom ones."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base
from models.vocabulary import EXERCISE_KINDS


class Exercise(Base):
    __tablename__ = "exercises"
    __table_args__ = (
        CheckConstraint(f"kind IN {EXERCISE_KINDS}", name="kind"),
        # One custom exercise per user and normalised name; catalogue names are unique too.
        Index(
            "uq_exercises_user_name_key",
            "user_id",
            "name_key",
            unique=True,
            postgresql_where=text("user_id IS NOT NULL"),
        ),
        Index(
            "uq_exercises_catalogue_name_key",
            "name_key",
            unique=True,
            postgresql_where=text("user_id IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str | None] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    kind: Mapped[str] = mapped_column(String(16))
    equipment: Mapped[str | None] = mapped_column(String(32))
    primary_muscles: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    secondary_muscles: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("exercises.id"))
    """Set when this custom exercise was merged into another; its sets moved there."""
