"""Rules for changing workouts: upsert by client UUID, patch, soft delete, ETag checks.

Every change takes the user's write lock by bumping their sync sequence first
(see :mod:`api.workouts.sync`), stamps the workout with the new number (its ETag
and its place in the sync feed), and owes the athlete an analytics refresh from
the earliest local day it touched — in the request's one transaction.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import service as analytics_service
from api.errors import Conflict, FormaError, NotFound, Unprocessable
from api.users.tables import User
from api.workouts import repository
from api.workouts.service import read_model
from api.workouts.sync import etag
from api.workouts.tables import Workout
from api.workouts.write_schemas import WorkoutPatch, WorkoutWrite

_SET_FIELDS = (
    "exercise_id", "set_type", "weight_kg", "weight_unit", "reps", "duration_s", "distance_m",
    "distance_unit", "rpe", "rir", "detected_reps", "form_score", "tempo", "notes",
)  # fmt: skip
_WORKOUT_FIELDS = ("started_at", "ended_at", "time_zone", "title", "notes", "session_rpe")


class PreconditionFailed(FormaError):
    status_code = 412
    code = "etag_mismatch"


def _check_if_match(workout: Workout | None, if_match: str | None) -> None:
    """RFC 9110 If-Match: ``*`` or one of the listed tags must be the current ETag."""
    if if_match is None:
        return
    tags = {t.strip() for t in if_match.split(",")}
    current = etag(workout.change_seq, workout.id) if workout is not None else None
    if current is None or not ({"*", current} & tags or f"W/{current}" in tags):
        raise PreconditionFailed(
            "the workout has changed since this version; fetch it and retry",
            details={"current_etag": current},
        )


async def _check_exercises(session: AsyncSession, user: User, body: WorkoutWrite) -> None:
    """Refuse unknown exercise ids; move sets of a merged exercise onto its target."""
    wanted = {s.exercise_id for s in body.sets}
    usable = await repository.usable_exercise_ids(session, user_id=user.id, exercise_ids=wanted)
    bad = [
        {"loc": ["body", "sets", i, "exercise_id"], "msg": "unknown exercise", "type": "unknown"}
        for i, s in enumerate(body.sets)
        if s.exercise_id not in usable
    ]
    if bad:
        raise Unprocessable("unknown exercise", code="validation_error", details=bad)
    for s in body.sets:
        s.exercise_id = usable[s.exercise_id]


def _set_rows(body: WorkoutWrite) -> list[dict[str, Any]]:
    rows = []
    for position, s in enumerate(body.sets):
        row = {f: getattr(s, f) for f in _SET_FIELDS}
        row["position"] = position
        rows.append(row)
    return rows


def _workout_values(body: WorkoutWrite | WorkoutPatch, user: User) -> dict[str, Any]:
    values = {f: getattr(body, f) for f in _WORKOUT_FIELDS}
    values["time_zone"] = values["time_zone"] or user.time_zone
    return values


async def _same_content(
    session: AsyncSession, workout: Workout, body: WorkoutWrite, user: User
) -> bool:
    """True when a replace would change nothing (a retried PUT)."""
    values = _workout_values(body, user)
    if any(getattr(workout, f) != v for f, v in values.items()):
        return False
    stored = await repository.sets_of(session, workout_id=workout.id)
    wanted = _set_rows(body)
    if len(stored) != len(wanted):
        return False
    return all(
        all(getattr(s, f) == row[f] for f in (*_SET_FIELDS, "position"))
        for (s, _), row in zip(stored, wanted, strict=True)
    )


async def _local_day(session: AsyncSession, moment: datetime, time_zone: str) -> date:
    return await repository.day_of(session, started_at=moment, time_zone=time_zone)


async def upsert(
    session: AsyncSession,
    *,
    user: User,
    workout_id: uuid.UUID,
    body: WorkoutWrite,
    if_match: str | None,
    change_seq: int | None = None,
) -> tuple[Workout, bool]:
    """Create or fully replace the workout ``workout_id``; returns it and whether it is new.

    Raises 422 when the body's id differs or an exercise is unknown, 409
    ``workout_deleted`` / ``workout_id_taken``, 412 when ``if_match`` is stale.
    ``change_seq`` lets a batch share one sequence number for all its items.
    """
    if body.id is not None and body.id != workout_id:
        raise Unprocessable(
            "the body's id differs from the path's",
            code="validation_error",
            details=[{"loc": ["body", "id"], "msg": "must equal the path id", "type": "mismatch"}],
        )
    # The user lock first: an exercise merge takes it too, so the check below cannot
    # pass on an exercise that a concurrent merge is about to retire.
    seq = change_seq or await repository.bump_sync_seq(session, user_id=user.id)
    await _check_exercises(session, user, body)
    workout = await repository.get_any_for_update(session, workout_id=workout_id)
    if workout is not None and workout.user_id != user.id:
        raise Conflict("this workout id is used by another account", code="workout_id_taken")
    if workout is not None and workout.deleted_at is not None:
        raise Conflict("the workout was deleted; create a new one", code="workout_deleted")
    _check_if_match(workout, if_match)
    values = _workout_values(body, user)
    if workout is None:
        workout = Workout(id=workout_id, user_id=user.id, source="api", change_seq=seq, **values)
        session.add(workout)
        await session.flush()
        created, since = True, await _local_day(session, workout.started_at, workout.time_zone)
    else:
        if await _same_content(session, workout, body, user):
            return workout, False
        since = await _local_day(session, workout.started_at, workout.time_zone)
        for field, value in values.items():
            setattr(workout, field, value)
        workout.change_seq = seq
        workout.updated_at = datetime.now(UTC)
        await session.flush()
        created = False
        since = min(since, await _local_day(session, workout.started_at, workout.time_zone))
    await repository.replace_sets(session, workout=workout, rows=_set_rows(body))
    await analytics_service.mark_stale(session, user_id=user.id, since_day=since)
    return workout, created


async def patch(
    session: AsyncSession,
    *,
    user: User,
    workout_id: uuid.UUID,
    changes: WorkoutPatch,
    if_match: str | None,
) -> Workout:
    """Change some fields of a live workout; 422 if invalid, 404 if not theirs, 412 if stale."""
    data = changes.model_dump(exclude_unset=True)
    # Invalid input is refused before the workout is looked at, like any body validation.
    if "started_at" in data and data["started_at"] is None:
        raise Unprocessable("started_at cannot be null", code="invalid_field")
    if "time_zone" in data and data["time_zone"] is None:
        raise Unprocessable("time_zone cannot be null", code="invalid_field")
    seq = await repository.bump_sync_seq(session, user_id=user.id)
    workout = await repository.get_any_for_update(session, workout_id=workout_id)
    if workout is None or workout.user_id != user.id or workout.deleted_at is not None:
        raise NotFound("workout not found")
    _check_if_match(workout, if_match)
    since = await _local_day(session, workout.started_at, workout.time_zone)
    for field, value in data.items():
        setattr(workout, field, value)
    if workout.ended_at is not None and workout.ended_at < workout.started_at:
        raise Unprocessable("ended_at must not be before started_at", code="invalid_field")
    workout.change_seq = seq
    workout.updated_at = datetime.now(UTC)
    await session.flush()
    since = min(since, await _local_day(session, workout.started_at, workout.time_zone))
    await analytics_service.mark_stale(session, user_id=user.id, since_day=since)
    return workout


async def soft_delete(
    session: AsyncSession, *, user: User, workout_id: uuid.UUID, if_match: str | None
) -> None:
    """Leave a tombstone (``deleted_at``) the sync feed hands to phones; repeat calls are no-ops."""
    seq = await repository.bump_sync_seq(session, user_id=user.id)
    workout = await repository.get_any_for_update(session, workout_id=workout_id)
    if workout is None or workout.user_id != user.id:
        raise NotFound("workout not found")
    if workout.deleted_at is not None:
        return
    _check_if_match(workout, if_match)
    workout.deleted_at = datetime.now(UTC)
    workout.change_seq = seq
    await session.flush()
    since = await _local_day(session, workout.started_at, workout.time_zone)
    await analytics_service.mark_stale(session, user_id=user.id, since_day=since)


async def view(session: AsyncSession, workout: Workout) -> tuple[dict[str, Any], str]:
    """The response body of a workout and its ETag."""
    model = await read_model(session, workout)
    return model.model_dump(mode="json"), model.etag


async def delete_imported(
    session: AsyncSession, *, user: User, job_id: uuid.UUID, job_change_seq: int | None, force: bool
) -> tuple[int, list[uuid.UUID]]:
    """Delete the workouts an import created; returns (deleted, kept ids).

    A workout changed since the import (its ``change_seq`` moved on) is the athlete's
    work: without ``force`` nothing is deleted and 409 ``workouts_edited`` lists them;
    with ``force`` the untouched ones go and the edited ones are kept and listed. The
    deleted ones lose their source fingerprint, so importing the file again (say with
    the right unit) creates them anew.
    """
    seq = await repository.bump_sync_seq(session, user_id=user.id)
    workouts = await repository.imported_for_update(session, user_id=user.id, job_id=job_id)
    edited = [w.id for w in workouts if w.change_seq != job_change_seq]
    if edited and not force:
        raise Conflict(
            f"{len(edited)} workout(s) of this import were changed since; "
            "retry with ?force=true to delete the others and keep those",
            code="workouts_edited",
            details={"workout_ids": [str(i) for i in edited]},
        )
    now = datetime.now(UTC)
    doomed = [w for w in workouts if w.id not in set(edited)]
    for workout in doomed:
        workout.deleted_at = now
        workout.change_seq = seq
        workout.source_fingerprint = None
    await session.flush()
    if doomed:
        first = min(doomed, key=lambda w: w.started_at)
        since = await _local_day(session, first.started_at, first.time_zone)
        await analytics_service.mark_stale(session, user_id=user.id, since_day=since)
    return len(doomed), edited
