"""Storing parsed strength workouts: exercises resolved, workouts and sets in bulk."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection

from api.analytics.markers import mark_stale
from api.exercises.catalogue import match_key
from pipelines.imports import store
from pipelines.imports.parsers.base import ParsedSet, ParseResult


def fingerprint(fmt: str, source_key: str) -> str:
    """The workout's identity across re-imports and later exports of the same history."""
    return hashlib.sha256(f"{fmt}|{source_key}".encode()).hexdigest()


def custom_kind(sets: list[ParsedSet]) -> str:
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


def store_strength(
    conn: Connection, job_id: uuid.UUID, user_id: uuid.UUID, result: ParseResult, change_seq: int
) -> dict[str, int]:
    """Insert the result's new workouts and their sets; returns the counts it adds."""
    workouts = [w for w in result.workouts if w.cardio is None]
    if not workouts:
        return {"workouts_created": 0, "sets_created": 0, "duplicates_skipped": 0}
    by_key: dict[str, list[ParsedSet]] = defaultdict(list)
    names: dict[str, str] = {}
    for workout in workouts:
        for s in workout.sets:
            # Case and accents folded: "Développé couché" finds the catalogue's alias.
            key = match_key(s.exercise_name)
            by_key[key].append(s)
            names.setdefault(key, s.exercise_name.strip())
    lookup = store.exercise_lookup(conn, user_id)
    missing = [(names[k], custom_kind(v)) for k, v in by_key.items() if k not in lookup]
    lookup.update(store.create_custom_exercises(conn, user_id, missing))

    workout_rows = []
    ids_by_fingerprint: dict[str, uuid.UUID] = {}
    for w in workouts:
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
    for row in workout_rows:
        row["change_seq"] = change_seq
    created = store.insert_workouts(conn, workout_rows)

    def set_rows() -> Any:
        for w in workouts:
            wid = ids_by_fingerprint[fingerprint(result.format, w.source_key)]
            if wid not in created:
                continue
            for position, s in enumerate(w.sets):
                yield (
                    uuid.uuid4(),
                    wid,
                    user_id,
                    lookup[match_key(s.exercise_name)],
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
        for w in workouts
        if ids_by_fingerprint[fingerprint(result.format, w.source_key)] in created
    ]
    if created_days:
        conn.execute(mark_stale(user_id, min(created_days)))
    return {
        "workouts_created": len(created),
        "sets_created": sets_created,
        "duplicates_skipped": len(workout_rows) - len(created),
    }
