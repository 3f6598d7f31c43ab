"""``/v1/workouts`` (read side)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.db import SessionDep
from api.deps import CurrentUser
from api.errors import error_responses
from api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from api.workouts import service
from api.workouts.schemas import WorkoutPage, WorkoutRead

router = APIRouter(prefix="/v1/workouts", tags=["workouts"], responses=error_responses(401, 422))


@router.get("", response_model=WorkoutPage)
async def list_workouts(
    user: CurrentUser,
    session: SessionDep,
    start: Annotated[
        datetime | None, Query(alias="from", description="started at or after (ISO 8601)")
    ] = None,
    end: Annotated[
        datetime | None, Query(alias="to", description="started before (ISO 8601)")
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> WorkoutPage:
    """The caller's workouts, newest first, with cursor pages."""
    return await service.list_workouts(
        session, user=user, start=start, end=end, limit=limit, cursor=cursor
    )


@router.get("/{workout_id}", response_model=WorkoutRead, responses=error_responses(404))
async def get_workout(workout_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> WorkoutRead:
    """One workout with its sets."""
    return await service.get_workout(session, user=user, workout_id=workout_id)
