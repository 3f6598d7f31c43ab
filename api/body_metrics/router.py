"""``/v1/body-metrics``: body mass and heart rates, one row per user and local date."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response, status

from api.body_metrics import service
from api.body_metrics.schemas import BodyMetricCreate, BodyMetricPage, BodyMetricRead
from api.db import SessionDep
from api.deps import CurrentUser
from api.errors import error_responses
from api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, from_query, to_query
from api.schemas import IsoDate

router = APIRouter(
    prefix="/v1/body-metrics", tags=["body metrics"], responses=error_responses(401, 422)
)


@router.post(
    "",
    response_model=BodyMetricRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"description": "stored a new day"},
        200: {"model": BodyMetricRead, "description": "replaced the values of an existing day"},
    },
)
async def record_body_metric(
    body: BodyMetricCreate, user: CurrentUser, session: SessionDep, response: Response
) -> object:
    """Store one day's measurements; posting the same date again replaces them (201, then 200)."""
    row, created = await service.record(session, user=user, data=body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return row


@router.get("", response_model=BodyMetricPage)
async def list_body_metrics(
    user: CurrentUser,
    session: SessionDep,
    start: Annotated[IsoDate | None, from_query("measured on or after (YYYY-MM-DD)")] = None,
    end: Annotated[IsoDate | None, to_query("measured on or before (YYYY-MM-DD)")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> BodyMetricPage:
    """The caller's measurements, newest date first, with cursor pages."""
    return await service.list_metrics(
        session, user=user, start=start, end=end, limit=limit, cursor=cursor
    )


@router.get("/{metric_id}", response_model=BodyMetricRead, responses=error_responses(404))
async def get_body_metric(metric_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> object:
    """One day's measurements."""
    return await service.get_metric(session, user=user, metric_id=metric_id)


@router.delete(
    "/{metric_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(404)
)
async def delete_body_metric(metric_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    """Delete one day's measurements for good (no tombstone); analytics are recomputed."""
    await service.delete_metric(session, user=user, metric_id=metric_id)
