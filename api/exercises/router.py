"""``/v1/exercises``: the catalogue and the caller's custom exercises."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from api.db import SessionDep
from api.deps import CurrentUser
from api.errors import error_responses
from api.exercises import service
from api.exercises.schemas import (
    ExerciseCreate,
    ExerciseMerge,
    ExercisePage,
    ExerciseRead,
    ExerciseUpdate,
)
from api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery

router = APIRouter(prefix="/v1/exercises", tags=["exercises"], responses=error_responses(401, 422))

ExerciseId = Annotated[uuid.UUID, Path(description="the exercise's id")]


@router.get("", response_model=ExercisePage)
async def list_exercises(
    user: CurrentUser,
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=r"^[^\x00]*$",
            description="part of a name or alias; case and accents do not matter",
        ),
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> ExercisePage:
    """Search the catalogue and the caller's custom exercises by name or alias.

    Without `q`, everything by name. With `q` (case, accents, dashes and spacing
    ignored), the matches best first: the name is `q`, then names starting with `q`,
    then names with a word starting with `q`, then alias matches (including the
    catalogue's translated names, e.g. `sentadilla`), then `q` anywhere else; within
    each, exercises more athletes train first, then by name. A cursor belongs to its
    listing: a search's cursor is refused (422 `invalid_cursor`) without its `q`, and
    the other way round. Custom exercises merged into another are left out; their
    sets are under the target.
    """
    return await service.list_exercises(session, user=user, q=q, limit=limit, cursor=cursor)


@router.post(
    "",
    response_model=ExerciseRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409),
)
async def create_exercise(
    body: ExerciseCreate, user: CurrentUser, session: SessionDep
) -> ExerciseRead:
    """Create a custom exercise of the caller.

    409 `exercise_exists` (with the existing `id` in `details`) when the name or an
    alias matches, after normalisation, a catalogue exercise's name or alias or
    another of the caller's custom exercises.
    """
    exercise = await service.create_exercise(session, user=user, data=body)
    return ExerciseRead.from_row(exercise)


@router.get("/{exercise_id}", response_model=ExerciseRead, responses=error_responses(404))
async def get_exercise(
    exercise_id: ExerciseId, user: CurrentUser, session: SessionDep
) -> ExerciseRead:
    """One exercise of the catalogue or the caller's own.

    A merged custom exercise is still answered, with `merged_into_id` to follow.
    """
    exercise = await service.get_exercise(session, user=user, exercise_id=exercise_id)
    return ExerciseRead.from_row(exercise)


@router.patch(
    "/{exercise_id}", response_model=ExerciseRead, responses=error_responses(403, 404, 409)
)
async def update_exercise(
    exercise_id: ExerciseId, body: ExerciseUpdate, user: CurrentUser, session: SessionDep
) -> ExerciseRead:
    """Rename a custom exercise or change its kind, equipment, muscle groups or aliases.

    403 `catalogue_exercise` for a catalogue exercise; 409 `exercise_exists` for a
    taken name or alias, `already_merged` for a merged exercise. A rename or a kind
    change marks the caller's analytics stale from the first day the exercise was used.
    """
    exercise = await service.update_exercise(session, user=user, exercise_id=exercise_id, data=body)
    return ExerciseRead.from_row(exercise)


@router.post(
    "/{exercise_id}/merge",
    response_model=ExerciseRead,
    responses=error_responses(403, 404, 409),
)
async def merge_exercise(
    exercise_id: ExerciseId, body: ExerciseMerge, user: CurrentUser, session: SessionDep
) -> ExerciseRead:
    """Merge a custom exercise into another; answers the target.

    All the caller's sets of the exercise move to `into` (a catalogue exercise or
    another of the caller's custom ones); their workouts reappear in the sync feed and
    analytics are recomputed. The merged exercise keeps answering `GET` with
    `merged_into_id`. 403 `catalogue_exercise` for a catalogue source; 404 for an
    unknown source or target; 409 `already_merged` for a source merged before,
    `target_merged` for a target that was; 422 `invalid_merge_target` for itself.
    """
    target = await service.merge_exercise(
        session, user=user, exercise_id=exercise_id, into=body.into
    )
    return ExerciseRead.from_row(target)


@router.delete(
    "/{exercise_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(403, 404, 409),
)
async def delete_exercise(exercise_id: ExerciseId, user: CurrentUser, session: SessionDep) -> None:
    """Delete a custom exercise that no set uses.

    409 `exercise_in_use` while sets use it (merge it instead, which moves them) or
    other exercises were merged into it; `already_merged` for a merged exercise.
    """
    await service.delete_exercise(session, user=user, exercise_id=exercise_id)
