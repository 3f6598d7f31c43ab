"""``/v1/imports``: upload a file, then poll its job."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status

from api.db import SessionDep
from api.deps import CurrentUser, SettingsDep
from api.errors import error_responses
from api.imports import service
from api.imports.schemas import (
    DistanceUnitName,
    ImportAccepted,
    ImportRead,
    UndoResult,
    WeightUnitName,
)
from api.ratelimit import UploadLimit, rate_limited_response
from api.schemas import TimeZoneName

router = APIRouter(prefix="/v1/imports", tags=["imports"], responses=error_responses(401, 422))

_CHUNK = 1024 * 1024


async def _read_capped(upload: UploadFile, cap: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > cap:
            raise service.PayloadTooLarge(f"the file is larger than the {cap:,}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "",
    response_model=ImportAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses={**error_responses(413, 415), **rate_limited_response()},
    dependencies=[UploadLimit],
)
async def create_import(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[
        UploadFile,
        File(description="Strong/Hevy/FitNotes/GymBook CSV, GPX, TCX, FIT, or a .zip/.gz of them"),
    ],
    weight_unit: Annotated[
        WeightUnitName | None, Form(description="unit of a file's bare weights: kg or lb")
    ] = None,
    distance_unit: Annotated[
        DistanceUnitName | None, Form(description="unit of a file's bare distances: m, km or mi")
    ] = None,
    time_zone: Annotated[
        TimeZoneName | None, Form(description="IANA zone of the file's zone-less times")
    ] = None,
) -> ImportAccepted:
    """Queue an import. Poll ``GET /v1/imports/{id}`` for progress and the report."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.import_max_bytes + _CHUNK:
        raise service.PayloadTooLarge(
            f"the file is larger than the {settings.import_max_bytes:,}-byte limit"
        )
    content = await _read_capped(file, settings.import_max_bytes)
    job = await service.accept_upload(
        session,
        user=user,
        filename=file.filename,
        content=content,
        weight_unit=weight_unit,
        distance_unit=distance_unit,
        time_zone=time_zone,
    )
    return ImportAccepted(id=job.id, status="queued")


@router.get("/{import_id}", response_model=ImportRead, responses=error_responses(404))
async def get_import(import_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> object:
    """The job's status, progress, counts and rejected rows."""
    return await service.get_job(session, user=user, job_id=import_id)


@router.delete("/{import_id}", response_model=UndoResult, responses=error_responses(404, 409))
async def undo_import(
    import_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    force: Annotated[
        bool, Query(description="delete the untouched workouts even if others were edited")
    ] = False,
) -> UndoResult:
    """Undo an import: delete the workouts it created (edited ones are kept and listed)."""
    return await service.undo(session, user=user, job_id=import_id, force=force)
