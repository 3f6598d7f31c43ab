"""``imports.run``: parse an uploaded file and store its workouts in one transaction."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text

from api.users import write_lock
from pipelines.celery_app import REFRESH, app, publish_coalesced
from pipelines.db import get_engine, transaction
from pipelines.imports import outcome, store
from pipelines.imports.cardio import store_cardio
from pipelines.imports.parsers.base import MAX_ERRORS, ImportFormatError
from pipelines.imports.parsers.registry import FileResult, ParseOptions, parse_upload
from pipelines.imports.strength import store_strength

logger = logging.getLogger("forma.imports")

_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtextextended(:k, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:k, 0))")
_UNITS_BY_SYSTEM = {"metric": ("kg", "km"), "imperial": ("lb", "mi")}
_PARSE_SHARE = 0.8  # of the progress bar; writing takes the rest


class _Progress:
    """Commits progress at most every 2 % and 0.5 s, so polling clients see it move."""

    def __init__(self, job_id: uuid.UUID, echo: Callable[[float], None] | None = None) -> None:
        self.job_id = job_id
        self.echo = echo
        self.last = 0.0
        self.at = 0.0

    def __call__(self, fraction: float) -> None:
        value = fraction * _PARSE_SHARE
        if self.echo is not None:
            self.echo(value)
        now = time.monotonic()
        if value - self.last >= 0.02 and now - self.at >= 0.5:
            with transaction() as conn:
                store.set_progress(conn, self.job_id, value)
            self.last, self.at = value, now


def _options(claim: dict[str, Any]) -> ParseOptions:
    weight_unit, distance_unit = claim["weight_unit"], claim["distance_unit"]
    defaults = _UNITS_BY_SYSTEM.get(claim["unit_system"] or "")
    if defaults:
        weight_unit = weight_unit or defaults[0]
        distance_unit = distance_unit or defaults[1]
    return ParseOptions(
        time_zone=claim["time_zone"] or "UTC",
        weight_unit=weight_unit,
        distance_unit=distance_unit,
        date_order=claim["date_order"],
    )


def _warnings(files: list[FileResult]) -> list[str]:
    """Every file's and every cardio session's warnings, file-named inside an archive."""
    many = len(files) > 1
    out: list[str] = []
    for f in files:
        if f.result is None:
            continue
        prefix = f"{f.name}: " if many else ""
        out += [prefix + w for w in f.result.warnings]
        for workout in f.result.workouts:
            if workout.cardio is not None:
                out += [prefix + w for w in workout.cardio.warnings]
    return out


def _report(files: list[FileResult]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Row errors (file-named inside an archive) and the parse-side counts of all files."""
    many = len(files) > 1
    errors: list[dict[str, Any]] = []
    counts = {"rows": 0, "duplicates_skipped": 0, "rows_rejected": 0}
    for f in files:
        prefix = f"{f.name}: " if many else ""
        if f.error is not None:
            errors.append(
                {
                    "line": None,
                    "column": None,
                    "code": f.error.code,
                    "message": prefix + f.error.message,
                }
            )
            continue
        assert f.result is not None
        counts["rows"] += f.result.rows
        counts["duplicates_skipped"] += f.result.duplicates_collapsed
        counts["rows_rejected"] += f.result.rows_rejected
        errors.extend(
            {"line": e.line, "column": e.column, "code": e.code, "message": prefix + e.message}
            for e in f.result.errors
        )
    return errors[:MAX_ERRORS], counts


def _store(
    conn: Connection, job_id: uuid.UUID, user_id: uuid.UUID, files: list[FileResult]
) -> dict[str, int]:
    # One change number for the whole import (and the user's write lock until commit),
    # so phones following the sync feed receive its workouts exactly once.
    change_seq = write_lock.take_sync(conn, user_id)
    store.set_job_change_seq(conn, job_id, change_seq)
    totals = {"workouts_created": 0, "sets_created": 0, "duplicates_skipped": 0}
    for f in files:
        if f.result is None:
            continue
        for importer in (store_strength, store_cardio):
            added = importer(conn, job_id, user_id, f.result, change_seq)
            for key, value in added.items():
                totals[key] += value
    return totals


def _partial_message(parsed: dict[str, int], cause: str | None) -> str | None:
    """``message`` of a job that stored workouts: set only when over half its rows failed."""
    if cause is None:
        return None
    return f"{outcome.rejected_share(parsed['rows'], parsed['rows_rejected'])}: {cause}"


def _empty_counts() -> dict[str, int]:
    return dict.fromkeys(
        ("rows", "workouts_created", "sets_created", "duplicates_skipped", "rows_rejected"), 0
    )


def run_import(job_id: uuid.UUID, on_progress: Callable[[float], None] | None = None) -> str | None:
    """Run one import job to its end; returns the final status (None if nothing to do).

    The status is ``succeeded``, ``partial`` or ``failed`` by the rule of
    :mod:`pipelines.imports.outcome`. Never raises for a bad file: the job ends
    ``failed`` with a message naming the reason. Valid rows commit together with the
    job's report, or nothing does. A session-level advisory lock held for the whole
    run makes a re-sent message for a job that is still running a no-op; a dead
    worker's lock dies with it.
    """
    with get_engine().connect() as lock_conn:
        key = {"k": store.import_lock_key(job_id)}
        locked = lock_conn.execute(_TRY_LOCK, key).scalar_one()
        lock_conn.commit()  # the lock is the session's; leave no transaction open
        if not locked:
            return None
        try:
            return _run_locked(job_id, on_progress)
        finally:
            lock_conn.execute(_UNLOCK, key)
            lock_conn.commit()


def _run_locked(job_id: uuid.UUID, echo: Callable[[float], None] | None) -> str | None:
    with transaction() as conn:
        claim = store.claim_job(conn, job_id)
    if claim is None:
        return None
    user_id: uuid.UUID = claim["user_id"]
    try:
        with transaction() as conn:
            content, filename = store.file_content(conn, job_id)
        files = parse_upload(
            content, name=filename, options=_options(claim), on_progress=_Progress(job_id, echo)
        )
        errors, parsed = _report(files)
        status = outcome.job_status(files)
        # Computed from the parsers' results, before this job's errors are cut to
        # the first MAX_ERRORS across files (each parser already cut its own list).
        cause = outcome.main_cause(files)
        if status == "failed":
            total_rows = parsed["rows"]
            message = (
                f"none of the {total_rows} records could be imported; see errors"
                if total_rows
                else "no file of the upload could be imported; see errors"
            )
            if cause is not None:
                message = f"none of the {total_rows:,} records could be imported: {cause}"
            with transaction() as conn:
                store.finish_job(
                    conn,
                    job_id,
                    status="failed",
                    message=message,
                    errors=errors,
                    counts={**_empty_counts(), **parsed},
                )
            return "failed"
        with transaction() as conn:
            stored = _store(conn, job_id, user_id, files)
            counts = {
                **parsed,
                **stored,
                "duplicates_skipped": parsed["duplicates_skipped"] + stored["duplicates_skipped"],
            }
            store.finish_job(
                conn,
                job_id,
                status=status,
                message=_partial_message(parsed, cause),
                counts=counts,
                errors=errors,
                warnings=_warnings(files),
                fmt=files[0].result.format if len(files) == 1 and files[0].result else None,
            )
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
        publish_coalesced(REFRESH)
    return status


@app.task(name="imports.run")
def run(job_id: str) -> str | None:
    """Celery entry point: ``imports.run(job_id)``."""
    return run_import(uuid.UUID(job_id))
