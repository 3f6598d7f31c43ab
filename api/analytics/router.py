"""``/v1/analytics``: precomputed training analytics for the caller."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.analytics import service
from api.analytics.schemas import (
    ExerciseProgress,
    LoadSeries,
    MuscleBalance,
    PersonalRecords,
    Summary,
)
from api.db import SessionDep
from api.deps import CurrentUser
from api.errors import error_responses
from api.pagination import CursorQuery, LimitOrAllQuery, from_query, to_query
from api.schemas import IsoDate

router = APIRouter(prefix="/v1/analytics", tags=["analytics"], responses=error_responses(401, 422))


@router.get("/personal-records", response_model=PersonalRecords)
async def personal_records(
    user: CurrentUser,
    session: SessionDep,
    exercise_id: Annotated[uuid.UUID | None, Query(description="only this exercise")] = None,
    limit: LimitOrAllQuery = None,
    cursor: CursorQuery = None,
) -> PersonalRecords:
    """Rep-max PRs (heaviest weight for exactly r reps, r = 1…12), max reps and best e1RM,
    one entry per exercise by name, with cursor pages of `limit` exercises (without
    `limit`, every exercise in one page); a malformed cursor is 422 `invalid_cursor`."""
    return await service.personal_records(
        session, user=user, exercise_id=exercise_id, limit=limit, cursor=cursor
    )


@router.get(
    "/exercises/{exercise_id}/progress",
    response_model=ExerciseProgress,
    responses=error_responses(404),
)
async def exercise_progress(
    exercise_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    start: Annotated[IsoDate | None, from_query("first local day")] = None,
    end: Annotated[IsoDate | None, to_query("last local day")] = None,
    plateau_weeks: Annotated[
        int, Query(ge=1, le=52, description="weeks without a new best e1RM that make a plateau")
    ] = 6,
) -> ExerciseProgress:
    """Best e1RM per local day (Epley; also Brzycki, RIR-adjusted and ÷ body mass), every
    training day's volume, the best session, plateau status and the weekly pose trend.
    `to` before `from` is 422 `invalid_range`; a range of more than 3660 days (an open `to`
    counts as today) is 422 `range_too_long`."""
    return await service.exercise_progress(
        session,
        user=user,
        exercise_id=exercise_id,
        start=start,
        end=end,
        plateau_weeks=plateau_weeks,
    )


@router.get("/summary", response_model=Summary)
async def summary(
    user: CurrentUser,
    session: SessionDep,
    weeks: Annotated[int, Query(ge=1, le=520, description="weeks of volume to include")] = 12,
    period: Annotated[
        Literal["week", "month"], Query(description="unit of `periods`: ISO week or month")
    ] = "week",
    count: Annotated[int, Query(ge=1, le=520, description="how many periods to include")] = 12,
) -> Summary:
    """Totals, weekly volume load, the latest weekly or monthly summaries (sessions,
    duration, volume, load, PRs set), habits, and `as_of`, the time of the data reflected."""
    return await service.summary(session, user=user, weeks=weeks, period=period, count=count)


@router.get("/load", response_model=LoadSeries)
async def load(
    user: CurrentUser,
    session: SessionDep,
    start: Annotated[IsoDate | None, from_query("first local day (default: to − 89 days)")] = None,
    end: Annotated[IsoDate | None, to_query("last local day (default today)")] = None,
) -> LoadSeries:
    """Daily training load (volume load, sRPE, TRIMP, the combined load), CTL, ATL, TSB,
    ACWR (rolling and EWMA), ramp rate and flags; weekly monotony and strain. Days after
    the latest training day up to today are rest days (`projected`)."""
    return await service.load(session, user=user, start=start, end=end)


@router.get("/muscle-balance", response_model=MuscleBalance)
async def muscle_balance(
    user: CurrentUser,
    session: SessionDep,
    weeks: Annotated[int, Query(ge=1, le=104, description="ISO weeks up to this one")] = 12,
) -> MuscleBalance:
    """Weekly fractional sets and volume per muscle group (primary 1.0, secondary 0.5),
    push/pull and upper/lower ratios per week and over the window."""
    return await service.muscle_balance(session, user=user, weeks=weeks)
