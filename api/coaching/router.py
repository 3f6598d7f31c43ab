"""``/v1/models``: the model registry for admins and analysts — models, versions, events,
training runs; admins train, promote and roll back."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, status

from api.coaching import service
from api.coaching.schemas import (
    ChampionMoved,
    EventPage,
    ModelList,
    PromoteRequest,
    RollbackRequest,
    RunRead,
    TrainAccepted,
    TrainRequest,
    VersionPage,
)
from api.db import SessionDep
from api.deps import require_role
from api.errors import error_responses
from api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from api.users.tables import User

router = APIRouter(prefix="/v1/models", tags=["models"], responses=error_responses(401, 403, 422))

Reader = Annotated[User, Depends(require_role("admin", "analyst"))]
Admin = Annotated[User, Depends(require_role("admin"))]


@router.get("", response_model=ModelList)
async def list_models(_: Reader, session: SessionDep) -> ModelList:
    """Every registered model: its champion and challenger, latest version and latest run."""
    return await service.list_models(session)


@router.get("/{name}/versions", response_model=VersionPage, responses=error_responses(404))
async def list_versions(
    name: str,
    _: Reader,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> VersionPage:
    """The model's versions, newest first, with metrics, parameters, training window, data
    snapshot, code version, artifact hash (never the artifact) and the aliases each holds."""
    return await service.list_versions(session, name=name, limit=limit, cursor=cursor)


@router.get("/{name}/events", response_model=EventPage, responses=error_responses(404))
async def list_events(
    name: str,
    _: Reader,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> EventPage:
    """The model's event log, newest first: trained, promoted, rejected (with the reason),
    rolled back, failed — and by whom."""
    return await service.list_events(session, name=name, limit=limit, cursor=cursor)


@router.post(
    "/{name}/train",
    response_model=TrainAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(404, 409),
)
async def train(
    name: str,
    admin: Admin,
    session: SessionDep,
    body: Annotated[TrainRequest | None, Body()] = None,
) -> TrainAccepted:
    """Queue a training run (admin). Poll ``GET /v1/models/{name}/runs/{id}``.

    409 ``training_in_progress`` (``details.run_id``) while a run of the model is queued,
    building or fitting; 422 naming a hyper-parameter that is unknown or out of range.
    """
    overrides = body.overrides() if body is not None else {}
    run = await service.start_training(session, name=name, overrides=overrides, user=admin)
    return TrainAccepted(id=run.id, status="queued", progress=run.progress)


@router.get("/{name}/runs/{run_id}", response_model=RunRead, responses=error_responses(404))
async def get_run(name: str, run_id: uuid.UUID, _: Reader, session: SessionDep) -> object:
    """A training run's status and progress (0–1), counts, and the version it produced."""
    return await service.get_run(session, name=name, run_id=run_id)


@router.post("/{name}/promote", response_model=ChampionMoved, responses=error_responses(404, 409))
async def promote(
    name: str, body: PromoteRequest, admin: Admin, session: SessionDep
) -> ChampionMoved:
    """Make a version the champion (admin); records a ``promoted`` event and re-scores
    every athlete with it. 409 ``already_champion``."""
    return await service.promote(session, name=name, version=body.version, user=admin)


@router.post("/{name}/rollback", response_model=ChampionMoved, responses=error_responses(404, 409))
async def rollback(
    name: str,
    admin: Admin,
    session: SessionDep,
    body: Annotated[RollbackRequest | None, Body()] = None,
) -> ChampionMoved:
    """Put an earlier champion back (admin): ``version``, or by default the champion before
    the current one as the events record it. Records a ``rolled_back`` event and re-scores
    every athlete. 409 ``no_earlier_champion`` when there is none, ``already_champion``."""
    version = body.version if body is not None else None
    return await service.rollback(session, name=name, version=version, user=admin)
