"""Database plumbing: the declarative base, the async engine and the request session.

The session dependency commits before the response is sent (``scope="function"``),
so a 2xx means the rows are stored (DESIGN §2.1, STYLE rule 6).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from api.config import to_async_url

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every Forma table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class UUIDPk:
    """A random UUID primary key."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    """``created_at`` / ``updated_at`` kept by the database clock."""

    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An asyncpg engine for ``url`` (any PostgreSQL URL form is accepted)."""
    return create_async_engine(
        to_async_url(url), pool_size=pool_size, max_overflow=20, pool_pre_ping=True
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


AFTER_COMMIT = "forma_after_commit"


def after_commit(session: AsyncSession, task_name: str, *args: str) -> None:
    """Publish ``task_name(*args)`` once this request's transaction has committed.

    Services call this instead of publishing themselves: a task must never run on
    rows that are not committed, and a rolled-back request must send nothing.
    """
    queued: list[tuple[str, tuple[str, ...]]] = session.info.setdefault(AFTER_COMMIT, [])
    if (task_name, args) not in queued:
        queued.append((task_name, args))


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; committed on success before the response is sent.

    Tasks queued with :func:`after_commit` are then handed to the producer on a
    worker thread without waiting: the broker can delay analytics, never a write.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        queued = session.info.pop(AFTER_COMMIT, [])
        if queued:
            producer = request.app.state.producer
            loop = asyncio.get_running_loop()
            for name, args in queued:
                loop.run_in_executor(None, producer.send, name, *args)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
