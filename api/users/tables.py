"""The ``users`` table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, Timestamps, UUIDPk

ROLES = ("athlete", "analyst", "admin")
UNIT_SYSTEMS = ("metric", "imperial")
SEXES = ("female", "male")


class User(UUIDPk, Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        CheckConstraint(
            f"unit_system IS NULL OR unit_system IN {UNIT_SYSTEMS}", name="unit_system"
        ),
        CheckConstraint(f"sex IS NULL OR sex IN {SEXES}", name="sex"),
    )

    # Stored case-folded by the service, so this unique key is case-insensitive.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="athlete", server_default="athlete")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    unit_system: Mapped[str | None] = mapped_column(String(16))
    sex: Mapped[str | None] = mapped_column(String(8))
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    resting_hr: Mapped[int | None] = mapped_column(SmallInteger)
    max_hr: Mapped[int | None] = mapped_column(SmallInteger)
    password_changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Bumped by every write to the user's workouts while holding this row's lock, so
    # the sync feed's order is the commit order (DESIGN §2.2, the sync feed).
    sync_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")

    def __repr__(self) -> str:
        return f"User(id={self.id!s}, role={self.role})"
