"""``body_metrics``: body mass and heart rates by the athlete's local date."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Float, ForeignKey, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, Timestamps, UUIDPk


class BodyMetric(UUIDPk, Timestamps, Base):
    __tablename__ = "body_metrics"
    __table_args__ = (
        UniqueConstraint("user_id", "measured_on"),
        CheckConstraint("body_mass_kg IS NULL OR body_mass_kg BETWEEN 20 AND 400", name="mass"),
        CheckConstraint("resting_hr IS NULL OR resting_hr BETWEEN 20 AND 150", name="resting_hr"),
        CheckConstraint("max_hr IS NULL OR max_hr BETWEEN 80 AND 250", name="max_hr"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    measured_on: Mapped[date]
    body_mass_kg: Mapped[float | None] = mapped_column(Float)
    body_mass_unit: Mapped[str | None] = mapped_column(String(8))
    resting_hr: Mapped[int | None] = mapped_column(SmallInteger)
    max_hr: Mapped[int | None] = mapped_column(SmallInteger)
