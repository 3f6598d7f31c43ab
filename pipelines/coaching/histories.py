"""Real training histories given as export files, read into the coach's frames in memory.

``forma evaluate --history FILE…`` scores the coach on exports nobody stored: each file
is parsed by the importers' own parsers (the format detected from its content), its
exercise names resolved against the catalogue as an import would (names the catalogue
lacks become a custom exercise of the kind their sets show), and the result shaped as
:class:`models.analytics.Inputs` — one pseudonymous athlete per file.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from api.exercises.catalogue import build_lookup, exercise_id, match_key
from models.analytics import Inputs
from pipelines.coaching.catalogue import catalogue_frame, muscles_frame
from pipelines.imports.parsers.base import DistanceUnit, ImportFormatError, WeightUnit
from pipelines.imports.parsers.registry import ParseOptions, parse_upload
from pipelines.imports.strength import custom_kind

#: Ids of a file's athlete, workouts and custom exercises: uuid5 under this namespace.
_NAMESPACE = uuid.UUID("5b0c3c52-8c0e-4a43-9d0e-0f6b1f1c9e21")


@dataclass(slots=True)
class History:
    """One file's athlete: the frames, the catalogue rows its exercises map to, and what
    the parsers skipped."""

    name: str
    inputs: Inputs
    exercises: pd.DataFrame
    rows_rejected: int


def read_history(
    path: Path,
    *,
    weight_unit: WeightUnit | None = None,
    distance_unit: DistanceUnit | None = None,
    time_zone: str = "UTC",
) -> History:
    """Parse one export into an athlete's frames.

    Raises
    ------
    ImportFormatError
        When the file cannot be read (unsupported, or a unit-less file without
        ``weight_unit``) — the importers' own error, naming what and where.
    """
    options = ParseOptions(
        time_zone=time_zone, weight_unit=weight_unit, distance_unit=distance_unit
    )
    results = parse_upload(path.read_bytes(), name=path.name, options=options)
    errors = [r.error for r in results if r.error is not None]
    parsed = [r.result for r in results if r.result is not None]
    if not parsed:
        raise errors[0] if errors else ImportFormatError("empty_file", f"{path}: nothing to read")
    user = str(uuid.uuid5(_NAMESPACE, path.name))
    catalogue = catalogue_frame()
    lookup = build_lookup()
    custom: dict[str, dict[str, object]] = {}
    sets, workouts = [], []
    for result in parsed:
        by_key: dict[str, list] = {}
        for workout in result.workouts:
            for s in workout.sets:
                by_key.setdefault(match_key(s.exercise_name), []).append(s)
        for key, logged in by_key.items():
            if key not in lookup and key not in custom:
                custom[key] = {
                    "exercise_id": str(uuid.uuid5(_NAMESPACE, f"custom:{key}")),
                    "name": logged[0].exercise_name.strip(),
                    "kind": custom_kind(logged),
                    "equipment": None,
                    "primary_muscles": [],
                    "secondary_muscles": [],
                }
        for w in result.workouts:
            workout_id = str(uuid.uuid5(_NAMESPACE, f"{path.name}|{result.format}|{w.source_key}"))
            day = pd.Timestamp(w.local_start.date())
            duration = (w.ended_at - w.started_at).total_seconds() if w.ended_at else None
            workouts.append(
                {
                    "user_id": user,
                    "workout_id": workout_id,
                    "day": day,
                    "duration_s": duration,
                    "session_rpe": w.session_rpe,
                    "cardio_load": None,
                    "cardio_method": None,
                    "cardio_trimp": None,
                    "distance_m": w.cardio.distance_m if w.cardio is not None else None,
                }  # fmt: skip
            )
            for position, s in enumerate(w.sets):
                key = match_key(s.exercise_name)
                known = lookup.get(key)
                ex_id = str(exercise_id(known.slug)) if known else str(custom[key]["exercise_id"])
                kind = known.kind if known else str(custom[key]["kind"])
                sets.append(
                    {
                        "user_id": user,
                        "workout_id": workout_id,
                        "set_id": f"{workout_id}:{position}",
                        "exercise_id": ex_id,
                        "exercise_kind": kind,
                        "day": day,
                        "performed_at": pd.Timestamp(w.started_at).tz_convert("UTC"),
                        "position": position,
                        "set_type": s.set_type,
                        "weight_kg": s.weight_kg,
                        "reps": s.reps,
                        "rpe": s.rpe,
                        "rir": None,
                        "detected_reps": None,
                        "form_score": None,
                        "weight_unit": s.weight_unit,
                    }  # fmt: skip
                )
    exercises = pd.concat([catalogue, pd.DataFrame(list(custom.values()))], ignore_index=True)
    inputs = Inputs(
        sets=pd.DataFrame(sets),
        workouts=pd.DataFrame(workouts),
        muscles=muscles_frame(catalogue),
        body_mass=pd.DataFrame({"user_id": [], "day": [], "body_mass_kg": []}),
    )
    rejected = sum(r.rows_rejected for r in parsed)
    return History(name=path.name, inputs=inputs, exercises=exercises, rows_rejected=rejected)
