"""SQL for import jobs. Every read starts from :func:`owned_by`."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import one_or_none
from api.imports.tables import ImportFile, ImportJob


def owned_by(user_id: uuid.UUID) -> Select[ImportJob]:
    return select(ImportJob).where(ImportJob.user_id == user_id)


async def get(session: AsyncSession, *, user_id: uuid.UUID, job_id: uuid.UUID) -> ImportJob | None:
    return await one_or_none(session, owned_by(user_id).where(ImportJob.id == job_id))


async def add(session: AsyncSession, *, job: ImportJob) -> ImportJob:
    session.add(job)
    await session.flush()
    return job


async def add_file_piece(
    session: AsyncSession, *, job_id: uuid.UUID, seq: int, content: bytes
) -> None:
    """Store one piece of an uploaded file (a Core insert: the ORM would keep every piece)."""
    await session.execute(insert(ImportFile).values(job_id=job_id, seq=seq, content=content))


async def get_for_update(
    session: AsyncSession, *, user_id: uuid.UUID, job_id: uuid.UUID
) -> ImportJob | None:
    stmt = owned_by(user_id).where(ImportJob.id == job_id).with_for_update()
    return await one_or_none(session, stmt)
