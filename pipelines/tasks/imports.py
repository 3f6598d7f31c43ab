"""``imports.run``: parse an uploaded file and store its workouts in one transaction."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import text

from api.analytics.markers import mark_stale
from api.exercises.catalogue import normalise_name
from api.workouts.sync import bump_sync_seq
from pipelines.celery_app import app, publish
from pipelines.db import get_engine, transaction
from pipelines.parsers.base import ImportFormatError, ParsedSet, ParseResult
from pipelines.parsers.strong import parse_strong
from pipelines.store import imports as store

logger = logging.getLogger("forma.imports")

_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtextextended(:k, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:k, 0))")
_UNITS_BY_SYSTEM = {"metric": ("kg", "km"), "imperial": ("lb", "mi")}
_PARSE_SHARE = 0.8  # of the progress bar; writing takes the rest


def fingerprint(fmt: str, source_key: str) -> str:
    """The workout's identity across re-imports and later exports of the same history."""
    return hashlib.sha256(f"{fmt}|{source_key}".encode()).hexdigest()


def _custom_kind(sets: list[ParsedSet]) -> str:
    """Kind of an exercise the catalogue lacks, from what was logged for it."""
    if any((s.weight_kg or 0) > 0 for s in sets):
        return "strength"
    if any((s.reps or 0) > 0 for s in sets):
        return "bodyweight"
    if any((s.distance_m or 0) > 0 for s in sets):
        return "cardio"
    if any((s.duration_s or 0) > 0 for s in sets):
        return "timed"
    return "strength"


class _Progress:
    """Commits progress at most every 2 % and 0.5 s, so polling clients see it move."""

    def __init__(self, job_id: uuid.UUID) -> None:
        self.job_id = job_id
        self.last = 0.0
        self.at = 0.0

    def __call__(self, fraction: float) -> None:
        value = fraction * _PARSE_SHARE
        now = time.monotonic()
        if value - self.last >= 0.02 and now - self.at >= 0.5:
            with transaction() as conn:
                store.set_progress(conn, self.job_id, value)
            self.last, self.at = value, now


def _parse(content: bytes, claim: dict[str, Any], job_id: uuid.UUID) -> ParseResult:
    weight_unit, distance_unit = claim["weight_unit"], claim["distance_unit"]
    defaults = _UNITS_BY_SYSTEM.get(claim["unit_system"] or "")
    if defaults:
        weight_unit = weight_unit or defaults[0]
        distance_unit = distance_unit or defaults[1]
    return parse_strong(
        content,
        time_zone=claim["time_zone"] or "UTC",
        weight_unit=weight_unit,
        distance_unit=distance_unit,
        on_progress=_Progress(job_id),
    )


def _store(conn: Any, job_id: uuid.UUID, user_id: uuid.UUID, result: ParseResult) -> dict[str, int]:
    by_key: dict[str, list[ParsedSet]] = defaultdict(list)
    names: dict[str, str] = {}
    for workout in result.workouts:
        for s in workout.sets:
            key = normalise_name(s.exercise_name)
            by_key[key].append(s)
            names.setdefault(key, s.exercise_name.strip())
    lookup = store.exercise_lookup(conn, user_id)
    missing = [(names[k], _custom_kind(v)) for k, v in by_key.items() if k not in lookup]
    lookup.update(store.create_custom_exercises(conn, user_id, missing))

    workout_rows = []
    ids_by_fingerprint: dict[str, uuid.UUID] = {}
    for w in result.workouts:
        fp = fingerprint(result.format, w.source_key)
        if fp in ids_by_fingerprint:  # the parser collapsed repeats; this is belt and braces
            continue
        ids_by_fingerprint[fp] = uuid.uuid4()
        workout_rows.append(
            {
                "id": ids_by_fingerprint[fp],
                "user_id": user_id,
                "started_at": w.started_at,
                "ended_at": w.ended_at,
                "time_zone": w.time_zone,
                "title": w.title[:200] or None,
                "notes": w.notes,
                "source": result.format,
                "source_fingerprint": fp,
                "import_job_id": job_id,
            }
        )
    # Stamp the new workouts with the user's next change number (and take the user's
    # write lock) so phones following the sync feed receive them exactly once.
    change_seq = conn.execute(bump_sync_seq(user_id)).scalar_one()
    for row in workout_rows:
        row["change_seq"] = change_seq
    created = store.insert_workouts(conn, workout_rows)
    store.set_job_change_seq(conn, job_id, change_seq)

    def set_rows() -> Any:
        for w in result.workouts:
            wid = ids_by_fingerprint[fingerprint(result.format, w.source_key)]
            if wid not in created:
                continue
            for position, s in enumerate(w.sets):
                yield (
                    uuid.uuid4(),
                    wid,
                    user_id,
                    lookup[normalise_name(s.exercise_name)],
                    position,
                    s.set_type,
                    s.weight_kg,
                    s.reps,
                    s.duration_s,
                    s.distance_m,
                    s.rpe,
                    s.weight_unit,
                    s.distance_unit,
                    s.notes,
                )

    sets_created = store.copy_sets(conn, set_rows())
    created_days = [
        w.local_start.date()
        for w in result.workouts
        if ids_by_fingerprint[fingerprint(result.format, w.source_key)] in created
    ]
    if created_days:
        conn.execute(mark_stale(user_id, min(created_days)))
    return {
        "rows": result.rows,
        "workouts_created": len(created),
        "sets_created": sets_created,
        "duplicates_skipped": result.duplicates_collapsed + len(workout_rows) - len(created),
        "rows_rejected": result.rows_rejected,
    }


def _empty_counts(result: ParseResult) -> dict[str, int]:
    return {
        "rows": result.rows,
        "workouts_created": 0,
        "sets_created": 0,
        "duplicates_skipped": 0,
        "rows_rejected": result.rows_rejected,
    }


def run_import(job_id: uuid.UUID) -> str | None:
    """Run one import job to its end; returns the final status (None if nothing to do).

    Never raises for a bad file: the job ends ``failed`` with a message naming the
    reason. Valid rows commit together with the job's report, or nothing does.
    A session-level advisory lock held for the whole run makes a re-sent message
    for a job that is still running a no-op; a dead worker's lock dies with it.
    """
    with get_engine().connect() as lock_conn:
        key = {"k": f"import:{job_id}"}
        locked = lock_conn.execute(_TRY_LOCK, key).scalar_one()
        lock_conn.commit()  # the lock is the session's; leave no transaction open
        if not locked:
            return None
        try:
            return _run_locked(job_id)
        finally:
            lock_conn.execute(_UNLOCK, key)
            lock_conn.commit()


def _run_locked(job_id: uuid.UUID) -> str | None:
    with transaction() as conn:
        claim = store.claim_job(conn, job_id)
    if claim is None:
        return None
    user_id: uuid.UUID = claim["user_id"]
    try:
        with transaction() as conn:
            content = store.file_content(conn, job_id)
        result = _parse(content, claim, job_id)
        errors = [
            {"line": e.line, "column": e.column, "code": e.code, "message": e.message}
            for e in result.errors
        ]
        if not result.workouts and result.errors_total:
            message = f"none of the {result.rows} records could be imported; see errors"
            with transaction() as conn:
                store.finish_job(
                    conn,
                    job_id,
                    status="failed",
                    message=message,
                    errors=errors,
                    counts=_empty_counts(result),
                )
            return "failed"
        with transaction() as conn:
            counts = _store(conn, job_id, user_id, result)
            store.finish_job(conn, job_id, status="succeeded", counts=counts, errors=errors)
    except ImportFormatError as exc:
        with transaction() as conn:
            store.finish_job(
                conn,
                job_id,
                status="failed",
                message=exc.message,
                errors=[{"line": None, "column": None, "code": exc.code, "message": exc.message}],
            )
        return "failed"
    except Exception:
        logger.exception("import %s failed", job_id)
        with transaction() as conn:
            store.finish_job(
                conn, job_id, status="failed", message="the import failed on an internal error"
            )
        return "failed"
    if counts["workouts_created"]:
        publish("analytics.refresh_user", str(user_id))
    return "succeeded"


@app.task(name="imports.run")
def run(job_id: str) -> str | None:
    """Celery entry point: ``imports.run(job_id)``."""
    return run_import(uuid.UUID(job_id))
