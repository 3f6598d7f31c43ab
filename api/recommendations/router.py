"""``/v1/recommendations``: next-session prescriptions and what the athlete did with them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from api.db import SessionDep
from api.deps import CurrentUser
from api.errors import error_responses
from api.recommendations import service
from api.recommendations.champion import Champions, champions_of
from api.recommendations.schemas import (
    FeedbackCreate,
    FeedbackRead,
    RecommendationList,
    RecommendationRead,
)

router = APIRouter(
    prefix="/v1/recommendations", tags=["recommendations"], responses=error_responses(401, 422)
)

ChampionsDep = Annotated[Champions, Depends(champions_of)]


@router.get("", response_model=RecommendationList)
async def list_recommendations(
    user: CurrentUser, session: SessionDep, champions: ChampionsDep
) -> RecommendationList:
    """The caller's main exercises (kind strength, trained in the last 8 weeks, most trained
    first, at most 8), each with its next-session prescription; empty for a new athlete."""
    return await service.list_recommendations(session, user=user, champions=champions)


@router.get(
    "/exercises/{exercise_id}", response_model=RecommendationRead, responses=error_responses(404)
)
async def exercise_recommendation(
    exercise_id: uuid.UUID, user: CurrentUser, session: SessionDep, champions: ChampionsDep
) -> RecommendationRead:
    """The next-session prescription of one exercise (a rule's answer for one never done,
    one not of kind strength, or without a champion); 404 for an unknown exercise."""
    return await service.for_exercise(
        session, user=user, exercise_id=exercise_id, champions=champions
    )


@router.post(
    "/{recommendation_id}/feedback",
    response_model=FeedbackRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"description": "the first answer, stored"},
        200: {"model": FeedbackRead, "description": "replaced the earlier answer"},
        **error_responses(404),
    },
)
async def record_feedback(
    recommendation_id: uuid.UUID,
    body: FeedbackCreate,
    user: CurrentUser,
    session: SessionDep,
    response: Response,
) -> FeedbackRead:
    """What the caller did with a prescription: ``done_as_prescribed``, ``changed`` (with
    the sets actually done) or ``skipped``. A second answer replaces the first (200)."""
    feedback, created = await service.record_feedback(
        session, user=user, recommendation_id=recommendation_id, data=body
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return feedback
