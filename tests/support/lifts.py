"""Short builders for the analytics engine's tests: one set, one workout, one derive —
over :func:`tests.support.derived.inputs`, with the muscle map and the exercise kinds
replaceable (the engine tests pin rules for kinds the demo exercises lack)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd

from models.analytics import Derived, derive
from tests.support.derived import inputs

Lift = tuple[str, str, float | None, float | None, float | None, float | None, Any, Any]

DAY = date(2024, 6, 12)  # a Wednesday
MORNING, EVENING = 7.0, 18.5  # workout starts, UTC hours of DAY


def lift(
    exercise: str,
    weight_kg: float | None,
    reps: float | None,
    set_type: str = "working",
    *,
    rpe: float | None = None,
    rir: float | None = None,
    detected: float | None = None,
    form: float | None = None,
) -> Lift:
    """One set in the tuple form of :func:`tests.support.derived.inputs`."""
    return (exercise, set_type, weight_kg, reps, rpe, rir, detected, form)


def session(
    workout_id: str, day: date, *sets: Lift, user: str = "u", hour: float = 10.0, **extra: Any
) -> dict[str, Any]:
    """One workout dict; ``hour``: its start, UTC hours after the local day's midnight
    (negative: the UTC instant falls on the day before)."""
    return {"user": user, "id": workout_id, "day": day, "hour": hour, "sets": list(sets), **extra}


def evening_then_morning(
    evening: Sequence[Lift],
    morning: Sequence[Lift],
    *,
    ids: tuple[str, str] = ("evening", "morning"),
) -> list[dict[str, Any]]:
    """Two workouts of :data:`DAY`, ids ``ids``: the evening's (at :data:`EVENING`) listed
    before the morning's (at :data:`MORNING`), so that a tie broken by the earlier start is
    not broken by the order the workouts came in."""
    late, early = ids
    return [
        session(late, DAY, *evening, hour=EVENING),
        session(early, DAY, *morning, hour=MORNING),
    ]


def run(
    workouts: list[dict[str, Any]],
    body_mass: Iterable[tuple[str, date, float]] = (),
    *,
    kinds: Mapping[str, str] | None = None,
    muscles: Mapping[str, tuple[list[str], list[str]]] | None = None,
) -> Derived:
    """:func:`models.analytics.derive` of ``workouts``; ``kinds`` re-labels exercises'
    kinds, ``muscles`` (exercise → primary, secondary groups) replaces the muscle map."""
    frames = inputs(workouts, list(body_mass))
    for exercise, kind in (kinds or {}).items():
        frames.sets.loc[frames.sets["exercise_id"] == exercise, "exercise_kind"] = kind
    if muscles is not None:
        rows = [
            (exercise, muscle, share)
            for exercise, (primary, secondary) in muscles.items()
            for group, share in ((primary, 1.0), (secondary, 0.5))
            for muscle in group
        ]
        frames.muscles = pd.DataFrame(rows, columns=["exercise_id", "muscle", "share"])
    return derive(frames)


def weeks(result: Derived) -> pd.DataFrame:
    """The weekly rows of ``result.periods``, by start."""
    frame = result.periods
    return frame[frame["period"] == "week"].sort_values("start").reset_index(drop=True)
