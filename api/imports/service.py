"""Rules for accepting an import: size cap, format detection, the job row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.db import after_commit
from api.errors import Conflict, FormaError, NotFound
from api.imports import repository
from api.imports.formats import detect_format
from api.imports.schemas import UndoResult
from api.imports.tables import ImportJob
from api.users.tables import User
from api.workouts import writes as workout_writes


class PayloadTooLarge(FormaError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedFile(FormaError):
    status_code = 415
    code = "unsupported_format"


async def accept_upload(
    session: AsyncSession,
    *,
    user: User,
    filename: str | None,
    content: bytes,
    weight_unit: str | None,
    distance_unit: str | None,
    time_zone: str | None,
) -> ImportJob:
    """Store the file and a queued job; 415 when the file is plainly not importable.

    What can only be told by reading the whole file (a unit it needs, bad rows,
    truncation) is reported by the job, not here.
    """
    problem = detect_format(content)
    if isinstance(problem, tuple):
        code, message = problem
        raise UnsupportedFile(message, code=code)
    job = ImportJob(
        user_id=user.id,
        status="queued",
        format=problem,
        filename=(filename or "")[:255] or None,
        size_bytes=len(content),
        weight_unit=weight_unit,
        distance_unit=distance_unit,
        time_zone=time_zone,
        progress=0.0,
        counts={},
        errors=[],
    )
    job = await repository.add(session, job=job, content=content)
    after_commit(session, "imports.run", str(job.id))
    return job


async def get_job(session: AsyncSession, *, user: User, job_id: uuid.UUID) -> ImportJob:
    job = await repository.get(session, user_id=user.id, job_id=job_id)
    if job is None:
        raise NotFound("import not found")
    return job


async def undo(session: AsyncSession, *, user: User, job_id: uuid.UUID, force: bool) -> UndoResult:
    """Remove what an import created (see :func:`api.workouts.writes.delete_imported`)."""
    job = await repository.get_for_update(session, user_id=user.id, job_id=job_id)
    if job is None:
        raise NotFound("import not found")
    if job.status in ("queued", "running"):
        raise Conflict("the import has not finished yet", code="import_not_finished")
    deleted, kept = await workout_writes.delete_imported(
        session, user=user, job_id=job.id, job_change_seq=job.change_seq, force=force
    )
    if job.undone_at is None:
        job.undone_at = datetime.now(UTC)
    await session.flush()
    return UndoResult(workouts_deleted=deleted, kept_workout_ids=kept)
