"""Rules for accepting an import: size cap, format detection, the job row and its file."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import after_commit
from api.errors import Conflict, FormaError, NotFound, Unprocessable
from api.imports import repository
from api.imports.formats import HEAD_BYTES, detect_format
from api.imports.multipart import (
    ENVELOPE_BYTES,
    FieldRefused,
    UploadRefused,
    boundary_of,
    read_form,
)
from api.imports.schemas import ImportUploadFields, UndoResult
from api.imports.tables import ImportJob
from api.schemas import check_text
from api.users.tables import User
from api.workouts import writes as workout_writes


class PayloadTooLarge(FormaError, status_code=413, code="payload_too_large"):
    """413: the upload is over the size cap."""


class UnsupportedFile(FormaError, status_code=415, code="unsupported_format"):
    """415: the file is in no format Forma imports."""


STORE_PIECE_BYTES = 1024 * 1024
"""Size of the pieces an upload is stored in: the most of a file the API holds at once."""


class _JobFile:
    """The upload's sink: detects the format from the head, then stores pieces as they come.

    The job row is created once the first :data:`HEAD_BYTES` (or the whole, shorter
    file) are in, so a plainly unimportable file is refused with 415 before the rest
    of it is read; the pieces reference the job, in the same transaction.
    """

    def __init__(self, session: AsyncSession, *, user: User) -> None:
        self.session = session
        self.user = user
        self.filename: str | None = None
        self.job: ImportJob | None = None
        self.size = 0
        self._pending = bytearray()
        self._seq = 0

    async def start(self, filename: str | None) -> None:
        if filename is not None:
            try:
                check_text(filename)
            except ValueError as exc:
                raise RequestValidationError(
                    [{"type": "value_error", "loc": ("body", "file", "filename"), "msg": str(exc)}]
                ) from exc
        self.filename = filename

    async def write(self, data: bytes) -> None:
        self._pending += data
        self.size += len(data)
        if self.job is None and len(self._pending) >= HEAD_BYTES:
            await self._open()
        while self.job is not None and len(self._pending) >= STORE_PIECE_BYTES:
            await self._store(STORE_PIECE_BYTES)

    async def finish(self, fields: ImportUploadFields) -> ImportJob:
        if self.job is None:
            await self._open()
        assert self.job is not None
        if self._pending:
            await self._store(len(self._pending))
        self.job.size_bytes = self.size
        self.job.weight_unit = fields.weight_unit
        self.job.distance_unit = fields.distance_unit
        self.job.time_zone = fields.time_zone
        self.job.date_order = fields.date_order
        await self.session.flush()
        return self.job

    async def _open(self) -> None:
        problem = detect_format(bytes(self._pending[:HEAD_BYTES]))
        if isinstance(problem, tuple):
            code, message = problem
            raise UnsupportedFile(message, code=code)
        job = ImportJob(
            user_id=self.user.id,
            status="queued",
            format=problem,
            filename=(self.filename or "")[:255] or None,
            size_bytes=0,
            progress=0.0,
            counts={},
            errors=[],
        )
        self.job = await repository.add(self.session, job=job)

    async def _store(self, size: int) -> None:
        assert self.job is not None
        piece = bytes(self._pending[:size])
        del self._pending[:size]
        await repository.add_file_piece(
            self.session, job_id=self.job.id, seq=self._seq, content=piece
        )
        self._seq += 1


def check_declared_size(content_length: str | None, *, max_bytes: int) -> None:
    """413 before any of the body is read when its declared length cannot fit the cap."""
    if (
        content_length is not None
        and content_length.isdigit()
        and int(content_length) > max_bytes + ENVELOPE_BYTES
    ):
        raise PayloadTooLarge(f"the file is larger than the {max_bytes:,}-byte limit")


def _missing_file() -> RequestValidationError:
    return RequestValidationError(
        [{"type": "missing", "loc": ("body", "file"), "msg": "Field required"}]
    )


async def accept_upload(
    session: AsyncSession,
    *,
    user: User,
    content_type: str | None,
    body: AsyncIterator[bytes],
    max_bytes: int,
) -> ImportJob:
    """Stream a multipart upload into storage and queue its job.

    Refused with 413 as soon as the file passes ``max_bytes``, 415 when its head is
    plainly not importable, 422 for a missing file, a bad field or a malformed body.
    What can only be told by reading the whole file (a unit it needs, bad rows,
    truncation) is reported by the job, not here.
    """
    boundary = boundary_of(content_type)
    if boundary is None:
        # Only a multipart form can carry the file; like a form without it, that is 422.
        raise _missing_file()
    sink = _JobFile(session, user=user)
    try:
        form = await read_form(
            body,
            boundary=boundary,
            file_field="file",
            field_names=ImportUploadFields.model_fields.keys(),
            sink=sink,
            max_file_bytes=max_bytes,
        )
    except UploadRefused as exc:
        if exc.reason == "too_large":
            raise PayloadTooLarge(exc.message) from exc
        raise Unprocessable(exc.message, code="malformed_body") from exc
    except FieldRefused as exc:
        loc = ("body",) if exc.name is None else ("body", exc.name)
        raise RequestValidationError([{"type": exc.kind, "loc": loc, "msg": exc.message}]) from exc
    if not form.has_file:
        raise _missing_file()
    try:
        # Every field sent is validated as sent: an empty value is not "left out".
        fields = ImportUploadFields.model_validate(form.fields)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from exc
    job = await sink.finish(fields)
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
