"""SQL of the model registry: runs, versions (never their artifact bytes), aliases, events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from api.coaching.tables import ACTIVE_RUN_STATES, ModelAlias, ModelEvent, ModelRun, ModelVersion
from api.db import one_or_none

#: the events that move the champion alias, in the order they happened
CHAMPION_EVENTS = ("promoted", "rolled_back")


async def lock_aliases(session: AsyncSession, *, model_name: str) -> None:
    """Serialise every move of ``model_name``'s aliases until this transaction ends.

    An advisory lock, not a row lock: before the first champion there is no alias row to
    lock, and a promote reads the events before it writes (the default rollback target).
    """
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"forma.coaching.aliases:{model_name}"},
    )


async def aliases(session: AsyncSession, *, model_name: str) -> dict[str, int]:
    """``{alias: version}`` of the model's aliases that are set."""
    rows = await session.execute(
        select(ModelAlias.alias, ModelAlias.version).where(ModelAlias.model_name == model_name)
    )
    return {alias: version for alias, version in rows}


async def latest_version(session: AsyncSession, *, model_name: str) -> int | None:
    """The model's highest version number, or None before its first."""
    stmt = select(func.max(ModelVersion.version)).where(ModelVersion.model_name == model_name)
    return (await session.execute(stmt)).scalar_one()


async def version_exists(session: AsyncSession, *, model_name: str, version: int) -> bool:
    stmt = select(ModelVersion.version).where(
        ModelVersion.model_name == model_name, ModelVersion.version == version
    )
    return await one_or_none(session, stmt) is not None


async def versions_page(
    session: AsyncSession, *, model_name: str, limit: int, before: int | None
) -> Sequence[ModelVersion]:
    """Up to ``limit`` versions, newest first, below ``before`` (the last version seen).

    The artifact column is deferred and never read: it may be megabytes, and it is never
    answered.
    """
    stmt = (
        select(ModelVersion)
        .options(defer(ModelVersion.artifact, raiseload=True))
        .where(ModelVersion.model_name == model_name)
    )
    if before is not None:
        stmt = stmt.where(ModelVersion.version < before)
    stmt = stmt.order_by(ModelVersion.version.desc()).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def events_page(
    session: AsyncSession, *, model_name: str, limit: int, before: int | None
) -> Sequence[ModelEvent]:
    """Up to ``limit`` events, newest first, below ``before`` (the last id seen)."""
    stmt = select(ModelEvent).where(ModelEvent.model_name == model_name)
    if before is not None:
        stmt = stmt.where(ModelEvent.id < before)
    stmt = stmt.order_by(ModelEvent.id.desc()).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def champion_history(session: AsyncSession, *, model_name: str) -> list[tuple[str, int]]:
    """``(event, version)`` of every event that moved the champion, oldest first."""
    stmt = (
        select(ModelEvent.event, ModelEvent.version)
        .where(
            ModelEvent.model_name == model_name,
            ModelEvent.event.in_(CHAMPION_EVENTS),
            ModelEvent.version.is_not(None),
        )
        .order_by(ModelEvent.id)
    )
    rows = await session.execute(stmt)
    return [(event, version) for event, version in rows if version is not None]


async def set_alias(
    session: AsyncSession, *, model_name: str, alias: str, version: int, actor: str
) -> None:
    """Point ``alias`` at ``version`` (creating the alias row the first time)."""
    stmt = insert(ModelAlias).values(
        model_name=model_name, alias=alias, version=version, updated_by=actor
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[ModelAlias.model_name, ModelAlias.alias],
        set_={"version": version, "updated_by": actor, "updated_at": func.now()},
    )
    await session.execute(stmt)


async def add_event(
    session: AsyncSession,
    *,
    model_name: str,
    version: int | None,
    event: str,
    reason: str | None,
    actor: str,
    details: dict[str, Any],
) -> ModelEvent:
    """Append one event (the table refuses UPDATE and DELETE)."""
    row = ModelEvent(
        model_name=model_name,
        version=version,
        event=event,
        reason=reason,
        actor=actor,
        details=details,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)  # `at` is the database clock's
    return row


async def latest_run(session: AsyncSession, *, model_name: str) -> ModelRun | None:
    stmt = (
        select(ModelRun)
        .where(ModelRun.model_name == model_name)
        .order_by(ModelRun.created_at.desc(), ModelRun.id.desc())
        .limit(1)
    )
    return await one_or_none(session, stmt)


async def active_run_id(session: AsyncSession, *, model_name: str) -> uuid.UUID | None:
    """The model's queued, building or fitting run, if any (at most one: a unique index)."""
    stmt = select(ModelRun.id).where(
        ModelRun.model_name == model_name, ModelRun.status.in_(ACTIVE_RUN_STATES)
    )
    return await one_or_none(session, stmt)


async def add_run(session: AsyncSession, *, run: ModelRun) -> ModelRun:
    """Insert a run; ``IntegrityError`` when the model already has an active one."""
    session.add(run)
    await session.flush()
    await session.refresh(run)  # server defaults: created_at, progress, counts
    return run


async def get_run(session: AsyncSession, *, model_name: str, run_id: uuid.UUID) -> ModelRun | None:
    stmt = select(ModelRun).where(ModelRun.model_name == model_name, ModelRun.id == run_id)
    return await one_or_none(session, stmt)
