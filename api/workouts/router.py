"""``/v1/workouts``: read, write (PUT/POST/PATCH/DELETE, batch) and the sync feed."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import AfterValidator

from api.db import SessionDep
from api.deps import CurrentUser
from api.errors import error_responses
from api.idempotency import service as idempotency
from api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, from_query, to_query
from api.schemas import IsoDatetime, check_optional_text
from api.workouts import batch, feed, service, writes
from api.workouts.schemas import SyncPage, WorkoutPage, WorkoutRead
from api.workouts.write_schemas import WorkoutPatch, WorkoutWrite

router = APIRouter(prefix="/v1/workouts", tags=["workouts"], responses=error_responses(401, 422))

# Only a UUID matches the id segment, so `/batch` is never read as a workout id: a wrong
# method on it answers 405 (Allow: POST), and a malformed id is an unknown resource (404).
WORKOUT_PATH = "/{workout_id:uuid}"

# Header text obeys the one text rule too (HTTP itself refuses C0 bytes; C1 arrives as
# latin-1 obs-text and would otherwise pass).
IfMatch = Annotated[
    str | None,
    AfterValidator(check_optional_text),
    Header(
        alias="If-Match",
        description="the ETag you last saw; a stale one answers 412 instead of overwriting",
    ),
]
IdempotencyKey = Annotated[
    str | None,
    AfterValidator(check_optional_text),
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="makes a retried POST harmless: the first response is replayed for 24 h",
    ),
]


def _written(body: dict[str, Any], tag: str, status_code: int) -> JSONResponse:
    return JSONResponse(
        body,
        status_code=status_code,
        headers={"ETag": tag, "Location": f"/v1/workouts/{body['id']}"},
    )


@router.get("", response_model=WorkoutPage | SyncPage)
async def list_workouts(
    user: CurrentUser,
    session: SessionDep,
    start: Annotated[IsoDatetime | None, from_query("started at or after (ISO 8601)")] = None,
    end: Annotated[IsoDatetime | None, to_query("started before (ISO 8601)")] = None,
    updated_since: Annotated[
        str | None,
        Query(
            max_length=512,
            description="sync feed: `0` for everything, then the `next_cursor` of the last "
            "page; answers every change (deletions as tombstones) in commit order",
        ),
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    """The caller's workouts, newest first, with cursor pages — or the sync feed."""
    page: WorkoutPage | SyncPage
    if updated_since is not None:
        page = await feed.changes(session, user=user, updated_since=updated_since, limit=limit)
    else:
        page = await service.list_workouts(
            session, user=user, start=start, end=end, limit=limit, cursor=cursor
        )
    # serialised once by pydantic-core (response_model documents it, and would validate again)
    return Response(page.model_dump_json(), media_type="application/json")


@router.post(
    "",
    response_model=WorkoutRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": WorkoutRead, "description": "a workout with this `id` existed: replaced"},
        **error_responses(409, 413),
    },
)
async def create_workout(
    body: WorkoutWrite,
    user: CurrentUser,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Create a workout (201); with the `id` of an existing one, replace it like PUT (200).

    With `Idempotency-Key`, retries replay the first response.
    """
    workout_id = body.id or uuid.uuid4()

    async def handler() -> tuple[int, Any, dict[str, str]]:
        view, created = await writes.upsert(
            session, user=user, workout_id=workout_id, body=body, if_match=None
        )
        return (201 if created else 200), view.model_dump(mode="json"), {"ETag": view.etag}

    code, data, headers, replayed = await idempotency.run_once(
        session,
        user_id=user.id,
        route="POST /v1/workouts",
        key=idempotency_key,
        body=body.model_dump(mode="json", exclude_unset=True),
        handler=handler,
    )
    response = _written(data, headers["ETag"], code)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@router.post("/batch", response_model=batch.BatchResponse, responses=error_responses(413))
async def batch_upsert(
    body: batch.BatchRequest, user: CurrentUser, session: SessionDep
) -> batch.BatchResponse:
    """Up to 100 upserts from a phone coming back online; each item answered on its own.

    An item the database could not take *now* (a statement timeout, a lock or
    serialisation conflict) fails the whole batch with 503 + `Retry-After`, nothing of it
    stored, so the phone sends it again; only a permanent refusal is an item's own answer.
    """
    return await batch.apply(session, user=user, items=body.items)


@router.get(WORKOUT_PATH, response_model=WorkoutRead, responses=error_responses(404))
async def get_workout(
    workout_id: uuid.UUID, user: CurrentUser, session: SessionDep, response: Response
) -> WorkoutRead:
    """One workout with its sets (and its `ETag`)."""
    workout = await service.get_workout(session, user=user, workout_id=workout_id)
    response.headers["ETag"] = workout.etag
    return workout


@router.put(
    WORKOUT_PATH,
    response_model=WorkoutRead,
    responses={201: {"model": WorkoutRead}, **error_responses(404, 409, 412, 413)},
)
async def put_workout(
    workout_id: uuid.UUID,
    body: WorkoutWrite,
    user: CurrentUser,
    session: SessionDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Create (201) or fully replace (200) the workout with this client UUID, sets included."""
    view, created = await writes.upsert(
        session, user=user, workout_id=workout_id, body=body, if_match=if_match
    )
    return Response(
        view.model_dump_json(),
        status_code=201 if created else 200,
        media_type="application/json",
        headers={"ETag": view.etag, "Location": f"/v1/workouts/{view.id}"},
    )


@router.patch(WORKOUT_PATH, response_model=WorkoutRead, responses=error_responses(404, 412, 413))
async def patch_workout(
    workout_id: uuid.UUID,
    changes: WorkoutPatch,
    user: CurrentUser,
    session: SessionDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Change title, notes, times, time zone or session RPE."""
    workout = await writes.patch(
        session, user=user, workout_id=workout_id, changes=changes, if_match=if_match
    )
    data, tag = await writes.view(session, workout)
    return _written(data, tag, 200)


@router.delete(
    WORKOUT_PATH,
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404, 412),
)
async def delete_workout(
    workout_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    """Delete (a tombstone stays for the sync feed); deleting again is a no-op."""
    await writes.soft_delete(session, user=user, workout_id=workout_id, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
