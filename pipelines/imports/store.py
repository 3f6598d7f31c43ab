"""SQL the import task runs: job state, exercise resolution, bulk writes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from api.exercises.catalogue import fold_accents, match_key, normalise_name, translated_aliases
from api.exercises.tables import Exercise
from api.imports.tables import ImportFile, ImportJob
from api.users.tables import User
from api.workouts.tables import Workout

SET_COPY_COLUMNS = (
    "id",
    "workout_id",
    "user_id",
    "exercise_id",
    "position",
    "set_type",
    "weight_kg",
    "reps",
    "duration_s",
    "distance_m",
    "rpe",
    "weight_unit",
    "distance_unit",
    "notes",
)


def claim_job(conn: Connection, job_id: uuid.UUID) -> dict[str, Any] | None:
    """Mark a queued (or interrupted) job running and return it with its user's profile.

    None when the job does not exist or has already finished, so a redelivered
    message does nothing.
    """
    row = conn.execute(
        select(
            ImportJob.user_id,
            ImportJob.weight_unit,
            ImportJob.distance_unit,
            ImportJob.time_zone,
            ImportJob.date_order,
            ImportJob.format,
            User.time_zone.label("user_time_zone"),
            User.unit_system,
        )
        .join(User, User.id == ImportJob.user_id)
        .where(ImportJob.id == job_id, ImportJob.status.in_(("queued", "running")))
        .with_for_update(of=ImportJob, skip_locked=True)
    ).first()
    if row is None:
        return None
    conn.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(status="running", started_at=func.now(), progress=0.0, message=None)
    )
    return {
        "user_id": row.user_id,
        "weight_unit": row.weight_unit,
        "distance_unit": row.distance_unit,
        "time_zone": row.time_zone or row.user_time_zone,
        "unit_system": row.unit_system,
        "format": row.format,
        "date_order": row.date_order,
    }


def file_content(conn: Connection, job_id: uuid.UUID) -> tuple[bytes, str | None]:
    """The uploaded bytes (its stored pieces joined in order) and the file's name."""
    filename = conn.execute(select(ImportJob.filename).where(ImportJob.id == job_id)).scalar_one()
    pieces = conn.execute(
        select(ImportFile.content).where(ImportFile.job_id == job_id).order_by(ImportFile.seq)
    ).scalars()
    return b"".join(pieces), filename


def set_progress(conn: Connection, job_id: uuid.UUID, progress: float) -> None:
    conn.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status == "running")
        .values(progress=min(max(progress, 0.0), 1.0))
    )


def finish_job(
    conn: Connection,
    job_id: uuid.UUID,
    *,
    status: str,
    counts: dict[str, int] | None = None,
    errors: Sequence[dict[str, Any]] = (),
    message: str | None = None,
    warnings: Sequence[str] = (),
    fmt: str | None = None,
) -> None:
    """Record the outcome and drop the uploaded bytes: the rows now hold what was imported.

    ``fmt``, when given, replaces the format the upload check detected with the one the
    file was actually parsed as.
    """
    conn.execute(delete(ImportFile).where(ImportFile.job_id == job_id))
    conn.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(
            status=status,
            progress=ImportJob.progress if status == "failed" else 1.0,
            counts=counts or {},
            errors=json.loads(json.dumps(list(errors))),
            warnings=list(warnings)[:1000],
            message=message,
            finished_at=func.now(),
            **({"format": fmt} if fmt is not None else {}),
        )
    )


def set_job_change_seq(conn: Connection, job_id: uuid.UUID, change_seq: int) -> None:
    conn.execute(update(ImportJob).where(ImportJob.id == job_id).values(change_seq=change_seq))


def import_lock_key(job_id: uuid.UUID | str) -> str:
    """The advisory-lock key a worker holds while it runs this job (``hashtextextended``)."""
    return f"import:{job_id}"


def stale_jobs(conn: Connection, *, older_than_s: float) -> list[uuid.UUID]:
    """Jobs owed a new message: queued for ``older_than_s`` seconds, or running unattended.

    A worker holds the job's session advisory lock for the whole run and PostgreSQL
    drops it when that worker's connection dies, so a ``running`` job whose lock can be
    taken has lost its worker, however recently it reported progress. The lock is taken
    for this transaction only: a worker receiving the re-sent message after the commit
    gets it. Running jobs are listed first in a materialised step so the lock is tried
    on them alone.
    """
    unattended = conn.execute(
        text(
            "WITH running AS MATERIALIZED (SELECT id FROM import_jobs WHERE status = 'running') "
            "SELECT id FROM running "
            "WHERE pg_try_advisory_xact_lock(hashtextextended(:prefix || id::text, 0))"
        ),
        {"prefix": import_lock_key("")},
    )
    queued = conn.execute(
        select(ImportJob.id).where(
            ImportJob.status == "queued",
            ImportJob.updated_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_s),
        )
    )
    return [r[0] for r in unattended] + [r[0] for r in queued]


def exercise_lookup(conn: Connection, user_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """Match key (:func:`match_key`) of every name, alias and translated alias → exercise id.

    The user's own names win over the catalogue's; among the user's own, the older
    exercise wins, so the answer never depends on the order rows come back in.
    """
    lookup: dict[str, uuid.UUID] = {}
    rows = conn.execute(
        select(
            Exercise.id,
            Exercise.name_key,
            Exercise.aliases,
            Exercise.user_id,
            Exercise.merged_into_id,
        )
        .where((Exercise.user_id.is_(None)) | (Exercise.user_id == user_id))
        # Later rows overwrite earlier ones: the catalogue first, then the user's
        # newest to oldest.
        .order_by(Exercise.user_id.nulls_first(), Exercise.created_at.desc(), Exercise.id.desc())
    )
    for ex_id, name_key, aliases, _owner, merged_into in rows:
        # A merged exercise's names lead to the exercise it was merged into.
        target = merged_into or ex_id
        for alias in (*(aliases or ()), *translated_aliases(ex_id)):
            lookup[match_key(alias)] = target
        lookup[fold_accents(name_key)] = target
    return lookup


def create_custom_exercises(
    conn: Connection, user_id: uuid.UUID, exercises: Iterable[tuple[str, str]]
) -> dict[str, uuid.UUID]:
    """Insert the user's custom exercises ``(name, kind)``; return the match key
    (:func:`match_key`) of each name → its id."""
    values = []
    given = []
    for name, kind in exercises:
        given.append(name)
        values.append(
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "name": name[:200],
                "name_key": normalise_name(name)[:200],
                "kind": kind,
            }
        )
    if not values:
        return {}
    conn.execute(
        insert(Exercise)
        .values(values)
        .on_conflict_do_nothing(
            index_elements=["user_id", "name_key"], index_where=Exercise.user_id.isnot(None)
        )
    )
    keys = [v["name_key"] for v in values]
    rows = conn.execute(
        select(Exercise.name_key, Exercise.id).where(
            Exercise.user_id == user_id, Exercise.name_key.in_(keys)
        )
    )
    by_name_key = {k: i for k, i in rows}
    return {
        match_key(name): by_name_key[str(v["name_key"])]
        for name, v in zip(given, values, strict=True)
    }


def insert_workouts(conn: Connection, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert workouts, skipping fingerprints the user already has; return the ids inserted."""
    if not rows:
        return set()
    created: set[uuid.UUID] = set()
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        result = conn.execute(
            insert(Workout)
            .values(chunk)
            .on_conflict_do_nothing(
                index_elements=["user_id", "source_fingerprint"],
                index_where=Workout.source_fingerprint.isnot(None),
            )
            .returning(Workout.id)
        )
        created.update(r[0] for r in result)
    return created


def copy_sets(conn: Connection, rows: Iterable[tuple[Any, ...]]) -> int:
    """COPY set rows (in :data:`SET_COPY_COLUMNS` order) into ``workout_sets``."""
    raw = conn.connection.driver_connection
    assert raw is not None, "COPY needs a live psycopg connection"
    count = 0
    with raw.cursor() as cur:
        with cur.copy(f"COPY workout_sets ({', '.join(SET_COPY_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def now(conn: Connection) -> datetime:
    return conn.execute(select(func.now())).scalar_one()


def user_by_email(conn: Connection, email: str) -> uuid.UUID | None:
    return conn.execute(select(User.id).where(User.email == email.strip().casefold())).scalar()


def create_job(
    conn: Connection,
    *,
    user_id: uuid.UUID,
    filename: str,
    content: bytes,
    fmt: str,
    weight_unit: str | None,
    distance_unit: str | None,
    time_zone: str | None,
    date_order: str | None = None,
) -> uuid.UUID:
    """A queued job and its file, as ``POST /v1/imports`` would make them."""
    job_id = uuid.uuid4()
    conn.execute(
        insert(ImportJob).values(
            id=job_id,
            user_id=user_id,
            status="queued",
            format=fmt,
            filename=filename[:255],
            size_bytes=len(content),
            weight_unit=weight_unit,
            distance_unit=distance_unit,
            time_zone=time_zone,
            date_order=date_order,
            progress=0.0,
            counts={},
            errors=[],
        )
    )
    conn.execute(insert(ImportFile).values(job_id=job_id, content=content))
    return job_id


def job_report(conn: Connection, job_id: uuid.UUID) -> dict[str, Any]:
    row = conn.execute(
        select(
            ImportJob.status,
            ImportJob.counts,
            ImportJob.errors,
            ImportJob.warnings,
            ImportJob.message,
        ).where(ImportJob.id == job_id)
    ).one()
    return dict(row._mapping)
