"""Rules for changing workouts: upsert by client UUID, patch, soft delete, ETag checks.

Every change takes the user's write lock by bumping their sync sequence first
(see :mod:`api.users.write_lock`), stamps the workout with the new number (its ETag
and its place in the sync feed), and owes the athlete an analytics refresh from
the earliest local day it touched — in the request's one transaction.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import service as analytics_service
from api.errors import Conflict, FormaError, NotFound, Unprocessable
from api.users import write_lock
from api.users.tables import User
from api.workouts import repository
from api.workouts.schemas import WorkoutRead
from api.workouts.service import read_model
from api.workouts.sync import etag
from api.workouts.tables import Workout
from api.workouts.write_schemas import WorkoutPatch, WorkoutWrite
from models.vocabulary import local_day

_SET_FIELDS = (
    "exercise_id", "set_type", "weight_kg", "weight_unit", "reps", "duration_s", "distance_m",
    "distance_unit", "rpe", "rir", "detected_reps", "form_score", "tempo", "notes",
)  # fmt: skip
_WORKOUT_FIELDS = ("started_at", "ended_at", "time_zone", "title", "notes", "session_rpe")


class PreconditionFailed(FormaError, status_code=412, code="etag_mismatch"):
    """412: ``If-Match`` names no current ETag of the workout."""


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


async def _check_exercises(
    session: AsyncSession, user: User, body: WorkoutWrite
) -> dict[uuid.UUID, str]:
    """Refuse unknown exercise ids; move sets of a merged exercise onto its target.

    Returns the display name of each exercise id now in the body.
    """
    wanted = {s.exercise_id for s in body.sets}
    usable = await repository.exercises_to_store(session, user_id=user.id, exercise_ids=wanted)
    bad = [
        {"loc": ["body", "sets", i, "exercise_id"], "msg": "unknown exercise", "type": "unknown"}
        for i, s in enumerate(body.sets)
        if s.exercise_id not in usable
    ]
    if bad:
        raise Unprocessable("unknown exercise", code="validation_error", details=bad)
    for s in body.sets:
        s.exercise_id = usable[s.exercise_id][0]
    return dict(usable.values())


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


async def upsert(
    session: AsyncSession,
    *,
    user: User,
    workout_id: uuid.UUID,
    body: WorkoutWrite,
    if_match: str | None,
    change_seq: int | None = None,
) -> tuple[WorkoutRead, bool]:
    """Create or fully replace the workout ``workout_id``; returns its view and whether it
    is new.

    Raises 422 when the body's id differs or an exercise is unknown, 409
    ``workout_deleted`` / ``workout_id_taken``, 412 when ``if_match`` is stale.
    ``change_seq`` lets a batch share one sequence number for all its items.

    A new workout (the phone's usual write) costs four statements besides the
    transaction: the user's sequence, the exercise lookup, the workout (an insert that
    does nothing when the id exists) and its sets in one array insert, then the marker;
    its view is built from what was written, not read back.
    """
    if body.id is not None and body.id != workout_id:
        raise Unprocessable(
            "the body's id differs from the path's",
            code="validation_error",
            details=[{"loc": ["body", "id"], "msg": "must equal the path id", "type": "mismatch"}],
        )
    # The user lock first: an exercise merge takes it too, so the check below cannot
    # pass on an exercise that a concurrent merge is about to retire.
    seq = change_seq or await write_lock.take(session, user.id)
    names = await _check_exercises(session, user, body)
    values = _workout_values(body, user)
    stamps = (
        await repository.create_if_absent(
            session, values={**values, "id": workout_id, "user_id": user.id, "change_seq": seq}
        )
        if if_match is None
        else None
    )
    if stamps is not None:
        rows = _set_rows(body)
        for row in rows:
            row["id"] = uuid.uuid4()
        await repository.insert_sets(session, workout_id=workout_id, user_id=user.id, rows=rows)
        since = local_day(values["started_at"], values["time_zone"])
        await analytics_service.mark_stale(session, user_id=user.id, since_day=since)
        return _new_view(workout_id, values, seq, stamps, rows, names), True
    workout = await repository.get_any_for_update(session, workout_id=workout_id)
    if workout is not None and workout.user_id != user.id:
        raise Conflict("this workout id is used by another account", code="workout_id_taken")
    if workout is not None and workout.deleted_at is not None:
        raise Conflict("the workout was deleted; create a new one", code="workout_deleted")
    _check_if_match(workout, if_match)
    if workout is None:  # taken at the insert, gone now (its account was deleted)
        raise Conflict("this workout id is used by another account", code="workout_id_taken")
    if await _same_content(session, workout, body, user):
        return await read_model(session, workout), False
    since = local_day(workout.started_at, workout.time_zone)
    for field, value in values.items():
        setattr(workout, field, value)
    workout.change_seq = seq
    workout.updated_at = datetime.now(UTC)
    await session.flush()
    since = min(since, local_day(workout.started_at, workout.time_zone))
    await repository.replace_sets(session, workout=workout, rows=_set_rows(body))
    await analytics_service.mark_stale(session, user_id=user.id, since_day=since)
    return await read_model(session, workout), False


def _new_view(
    workout_id: uuid.UUID,
    values: dict[str, Any],
    seq: int,
    stamps: tuple[datetime, datetime],
    rows: list[dict[str, Any]],
    names: dict[uuid.UUID, str],
) -> WorkoutRead:
    """The view of a workout just created, from what was written (times in UTC, as read)."""
    ended = values["ended_at"]
    return WorkoutRead.model_validate(
        {
            **values,
            "id": workout_id,
            "started_at": values["started_at"].astimezone(UTC),
            "ended_at": ended.astimezone(UTC) if ended is not None else None,
            "source": "api",
            "import_job_id": None,
            "set_count": len(rows),
            "created_at": stamps[0],
            "updated_at": stamps[1],
            "etag": etag(seq, workout_id),
            "deleted_at": None,
            "sets": [{**row, "exercise_name": names[row["exercise_id"]]} for row in rows],
            "cardio": None,
        }
    )


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
    seq = await write_lock.take(session, user.id)
    workout = await repository.get_any_for_update(session, workout_id=workout_id)
    if workout is None or workout.user_id != user.id or workout.deleted_at is not None:
        raise NotFound("workout not found")
    _check_if_match(workout, if_match)
    since = local_day(workout.started_at, workout.time_zone)
    for field, value in data.items():
        setattr(workout, field, value)
    if workout.ended_at is not None and workout.ended_at < workout.started_at:
        raise Unprocessable("ended_at must not be before started_at", code="invalid_field")
    workout.change_seq = seq
    workout.updated_at = datetime.now(UTC)
    await session.flush()
    since = min(since, local_day(workout.started_at, workout.time_zone))
    await analytics_service.mark_stale(session, user_id=user.id, since_day=since)
    return workout


async def soft_delete(
    session: AsyncSession, *, user: User, workout_id: uuid.UUID, if_match: str | None
) -> None:
    """Leave a tombstone (``deleted_at``) the sync feed hands to phones; repeat calls are no-ops."""
    seq = await write_lock.take(session, user.id)
    workout = await repository.get_any_for_update(session, workout_id=workout_id)
    if workout is None or workout.user_id != user.id:
        raise NotFound("workout not found")
    if workout.deleted_at is not None:
        return
    _check_if_match(workout, if_match)
    workout.deleted_at = datetime.now(UTC)
    workout.change_seq = seq
    await session.flush()
    since = local_day(workout.started_at, workout.time_zone)
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
    seq = await write_lock.take(session, user.id)
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
        since = local_day(first.started_at, first.time_zone)
        await analytics_service.mark_stale(session, user_id=user.id, since_day=since)
    return len(doomed), edited
