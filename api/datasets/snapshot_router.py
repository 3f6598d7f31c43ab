"""``/v1/datasets/snapshots`` and ``POST /v1/datasets/{name}/snapshots``: datasets frozen
under an id, for analysts and admins.

Included before the datasets router: ``/v1/datasets/snapshots`` is this list, never a
dataset called ``snapshots``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, status

from api.datasets import snapshots as service
from api.datasets.snapshot_schemas import SnapshotCreate, SnapshotPage, SnapshotRead
from api.datasets.stream import MEDIA_TYPES
from api.db import SessionDep
from api.deps import SettingsDep, require_role
from api.errors import error_responses
from api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from api.users.tables import User

router = APIRouter(
    prefix="/v1/datasets", tags=["datasets"], responses=error_responses(401, 403, 422)
)

Reader = Annotated[User, Depends(require_role("admin", "analyst"))]

_DATA_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the frozen rows: Parquet (default), Arrow IPC stream or CSV",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in MEDIA_TYPES.values()
        },  # fmt: skip
    },
    **error_responses(404, 409, 503),
}


@router.get("/snapshots", response_model=SnapshotPage)
async def list_snapshots(
    _: Reader,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    dataset: Annotated[str | None, Query(max_length=64, description="only this dataset")] = None,
    run_id: Annotated[uuid.UUID | None, Query(description="only this training run's")] = None,
) -> SnapshotPage:
    """Dataset snapshots, newest first: status, progress, filters, key period, row count."""
    return await service.list_snapshots(
        session, limit=limit, cursor=cursor, dataset=dataset, run_id=run_id
    )


@router.get("/snapshots/{snapshot_id}", response_model=SnapshotRead, responses=error_responses(404))
async def get_snapshot(snapshot_id: uuid.UUID, _: Reader, session: SessionDep) -> object:
    """One snapshot's status, progress (0–1), filters, key period and row count.
    404 ``snapshot_not_found``."""
    return await service.get_snapshot(session, snapshot_id=snapshot_id)


@router.get("/snapshots/{snapshot_id}/data", responses=_DATA_RESPONSES)
async def snapshot_data(
    snapshot_id: uuid.UUID,
    request: Request,
    _: Reader,
    session: SessionDep,
    settings: SettingsDep,
    format: Annotated[
        Literal["parquet", "arrow", "csv"], Query(description="parquet (default), arrow or csv")
    ] = "parquet",
    columns: Annotated[
        str | None, Query(max_length=4000, description="comma-separated columns, in this order")
    ] = None,
) -> Any:
    """The snapshot's frozen rows, streamed: the same rows whatever was edited since it was
    taken. 404 ``snapshot_not_found``; 409 ``snapshot_not_ready`` until it succeeded; 422
    ``columns`` naming a column it does not hold, or a query parameter it does not take;
    503 while every export slot streams."""
    return await service.data_response(
        session, request, snapshot_id=snapshot_id, fmt=format, columns=columns, settings=settings
    )


@router.post(
    "/{name}/snapshots",
    response_model=SnapshotRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(404),
)
async def create_snapshot(
    name: str,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[SnapshotCreate | None, Body()] = None,
) -> object:
    """Freeze dataset ``name`` with the filters of ``GET /v1/datasets/{name}`` (JSON
    body; none: the whole dataset). The rows are read by a worker; poll
    ``GET /v1/datasets/snapshots/{id}`` until ``succeeded``, then read ``…/data``.
    404 ``dataset_not_found``; 422 naming a bad filter."""
    return await service.create_snapshot(
        session, name=name, body=body or SnapshotCreate(), user=user, settings=settings
    )
