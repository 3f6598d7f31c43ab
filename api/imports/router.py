"""``/v1/imports``: upload a file, then poll its job."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from api.db import SessionDep
from api.deps import CurrentUser, SettingsDep
from api.errors import error_responses
from api.imports import service
from api.imports.schemas import ImportAccepted, ImportRead, UndoResult, upload_request_body
from api.ratelimit import UploadLimit, rate_limited_response

router = APIRouter(prefix="/v1/imports", tags=["imports"], responses=error_responses(401, 422))


def upload_within_cap(request: Request, settings: SettingsDep) -> None:
    """413 when the declared body cannot fit the upload cap, before any of it is read."""
    service.check_declared_size(
        request.headers.get("content-length"), max_bytes=settings.import_max_bytes
    )


UploadWithinCap = Annotated[None, Depends(upload_within_cap)]


# The form is streamed by the service instead of being declared as File/Form
# parameters: FastAPI reads such a body (spooling it to disk) before any dependency
# runs, so authentication and the size cap could only be checked after the upload.
# The dependencies below run first and none of them touches the body.
@router.post(
    "",
    response_model=ImportAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses={**error_responses(413, 415), **rate_limited_response()},
    openapi_extra={"requestBody": upload_request_body()},
    dependencies=[UploadLimit],
)
async def create_import(
    request: Request,
    user: CurrentUser,
    _within_cap: UploadWithinCap,
    session: SessionDep,
    settings: SettingsDep,
) -> ImportAccepted:
    """Queue an import. Poll ``GET /v1/imports/{id}`` for progress and the report.

    The multipart form carries ``file`` and optionally ``weight_unit``,
    ``distance_unit`` and ``time_zone``.
    """
    job = await service.accept_upload(
        session,
        user=user,
        content_type=request.headers.get("content-type"),
        body=request.stream(),
        max_bytes=settings.import_max_bytes,
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
