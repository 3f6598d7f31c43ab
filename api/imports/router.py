"""``/v1/imports``: upload a file, then poll its job."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import jwt
from fastapi import APIRouter, Depends, Query, Request, status

from api.auth.security import decode_access_token
from api.db import SessionDep
from api.deps import CurrentUser, SettingsDep, oauth2_scheme
from api.errors import ErrorResponse, error_responses
from api.imports import service
from api.imports.guards import UploadSlots, idle_limited_body
from api.imports.schemas import ImportAccepted, ImportRead, UndoResult, upload_request_body
from api.ratelimit import RATE_LIMIT_HEADERS, UploadLimit

router = APIRouter(prefix="/v1/imports", tags=["imports"], responses=error_responses(401, 422))


def upload_within_cap(request: Request, settings: SettingsDep) -> None:
    """413 when the declared body cannot fit the upload cap, before any of it is read."""
    service.check_declared_size(
        request.headers.get("content-length"), max_bytes=settings.import_max_bytes
    )


UploadWithinCap = Annotated[None, Depends(upload_within_cap)]


async def upload_slot(
    request: Request,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> AsyncIterator[None]:
    """Hold an upload slot of the process and of the account while the upload runs.

    Taken before the user is looked up (a database connection) and before any of the
    body is read: 429 when the account has its uploads in flight, 503 when the process
    has. The account is the token's subject, checked without the database; a token
    that does not decode takes no slot, as :data:`CurrentUser` refuses it next (401).
    """
    slots: UploadSlots = request.app.state.upload_slots
    try:
        account = str(decode_access_token(settings, token)["sub"]) if token else None
    except jwt.InvalidTokenError:
        account = None
    if account is None:
        yield
        return
    with slots.hold(account):
        yield


# Function scope: the slot is given back once the session has committed or rolled back.
UploadSlot = Depends(upload_slot, scope="function")

_BUSY_RESPONSES: dict[int | str, dict[str, object]] = {
    408: {
        "model": ErrorResponse,
        "description": "no part of the body arrived for `FORMA_UPLOAD_IDLE_TIMEOUT_S` "
        "(`request_timeout`); nothing was stored and the connection is closed",
    },
    429: {
        "model": ErrorResponse,
        "description": "a rate limit is used up (`rate_limited`), or the account already has "
        "`FORMA_UPLOAD_CONCURRENCY_ACCOUNT` uploads in progress",
        "headers": RATE_LIMIT_HEADERS,
    },
    503: {
        "model": ErrorResponse,
        "description": "this server already streams `FORMA_UPLOAD_CONCURRENCY` uploads "
        "(`overloaded`); retry after `Retry-After` seconds",
        "headers": {"Retry-After": RATE_LIMIT_HEADERS["Retry-After"]},
    },
}


# The form is streamed by the service instead of being declared as File/Form
# parameters: FastAPI reads such a body (spooling it to disk) before any dependency
# runs, so authentication and the size cap could only be checked after the upload.
# The dependencies below run first and none of them touches the body.
@router.post(
    "",
    response_model=ImportAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses={**error_responses(413, 415), **_BUSY_RESPONSES},
    openapi_extra={"requestBody": upload_request_body()},
    # The slot first: the rate limit looks the user up, which takes a database connection.
    dependencies=[UploadSlot, UploadLimit],
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
    ``distance_unit`` and ``time_zone``. 429 or 503 with ``Retry-After`` when too many
    uploads are in progress, 408 when the body stops arriving.
    """
    job = await service.accept_upload(
        session,
        user=user,
        content_type=request.headers.get("content-type"),
        body=idle_limited_body(request.receive, idle_s=settings.upload_idle_timeout_s),
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
