"""``/v1/exercises``: the catalogue and the caller's custom exercises."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.db import SessionDep
from api.deps import CurrentUser
from api.errors import NotFound, Unprocessable, error_responses
from api.exercises import repository
from api.exercises.schemas import ExercisePage, ExerciseRead
from api.exercises.tables import Exercise
from api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/exercises", tags=["exercises"], responses=error_responses(401, 422))


def _read(exercise: Exercise) -> ExerciseRead:
    return ExerciseRead(
        id=exercise.id,
        name=exercise.name,
        aliases=list(exercise.aliases or []),
        kind=exercise.kind,
        equipment=exercise.equipment,
        primary_muscles=list(exercise.primary_muscles or []),
        secondary_muscles=list(exercise.secondary_muscles or []),
        custom=exercise.user_id is not None,
    )


@router.get("", response_model=ExercisePage)
async def list_exercises(
    user: CurrentUser,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="part of a name or alias")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> ExercisePage:
    """Search the catalogue and the caller's custom exercises by name or alias."""
    after = None
    if cursor:
        key, raw_id = decode_cursor(cursor, size=2)
        try:
            after = (str(key), uuid.UUID(str(raw_id)))
        except ValueError as exc:
            raise Unprocessable("cursor is not valid", code="invalid_cursor") from exc
    rows = await repository.search(
        session, user_id=user.id, q=q or None, limit=limit + 1, after=after
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].name_key, str(rows[-1].id)]) if more else None
    return ExercisePage(items=[_read(r) for r in rows], next_cursor=next_cursor)


@router.get("/{exercise_id}", response_model=ExerciseRead, responses=error_responses(404))
async def get_exercise(exercise_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> object:
    """One exercise of the catalogue or the caller's own."""
    exercise = await repository.get(session, user_id=user.id, exercise_id=exercise_id)
    if exercise is None:
        raise NotFound("exercise not found")
    return _read(exercise)
