"""``/v1/analytics``: precomputed training analytics for the caller."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.analytics import service
from api.analytics.schemas import ExerciseProgress, PersonalRecords, Summary
from api.db import SessionDep
from api.deps import CurrentUser
from api.errors import error_responses

router = APIRouter(prefix="/v1/analytics", tags=["analytics"], responses=error_responses(401, 422))


@router.get("/personal-records", response_model=PersonalRecords)
async def personal_records(
    user: CurrentUser,
    session: SessionDep,
    exercise_id: Annotated[uuid.UUID | None, Query(description="only this exercise")] = None,
) -> PersonalRecords:
    """Rep-max PRs (heaviest weight for exactly r reps, r = 1…12), max reps and best e1RM."""
    return await service.personal_records(session, user=user, exercise_id=exercise_id)


@router.get(
    "/exercises/{exercise_id}/progress",
    response_model=ExerciseProgress,
    responses=error_responses(404),
)
async def exercise_progress(
    exercise_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    start: Annotated[date | None, Query(alias="from", description="first local day")] = None,
    end: Annotated[date | None, Query(alias="to", description="last local day")] = None,
) -> ExerciseProgress:
    """Best e1RM (Epley) per local day for one exercise."""
    return await service.exercise_progress(
        session, user=user, exercise_id=exercise_id, start=start, end=end
    )


@router.get("/summary", response_model=Summary)
async def summary(
    user: CurrentUser,
    session: SessionDep,
    weeks: Annotated[int, Query(ge=1, le=520, description="weeks of volume to include")] = 12,
) -> Summary:
    """Totals, weekly volume load and `as_of`, the time of the data reflected."""
    return await service.summary(session, user=user, weeks=weeks)
