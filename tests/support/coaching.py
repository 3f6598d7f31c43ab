"""Frames for the coach's unit tests: hand-made athletes and the synthetic population
as :class:`models.analytics.Inputs`.

Hand-made histories use :func:`lift_set` rows grouped by :func:`workout`; every set of a
workout shares its start (``performed_at``) and local day, as ``read_inputs`` gives
them. :func:`population_inputs` turns ``pipelines.demo.population.generate`` output
into the same frames (one start time per workout: its ``started_at``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from api.exercises.catalogue import exercise_id
from models.analytics import Inputs
from pipelines.coaching.catalogue import catalogue_frame, muscles_frame
from pipelines.demo.population import Population, generate

BENCH = str(exercise_id("bench-press-barbell"))
SQUAT = str(exercise_id("squat-barbell"))
ROW = str(exercise_id("bent-over-row-barbell"))
PULL_UP = str(exercise_id("pull-up"))


def catalogue() -> pd.DataFrame:
    """The v1 catalogue as ``score`` takes it: exercise_id, name, kind, equipment,
    primary_muscles, secondary_muscles (lists of str)."""
    return catalogue_frame()


def muscles() -> pd.DataFrame:
    """exercise_id, muscle, share (primary 1.0, secondary 0.5) of the whole catalogue."""
    return muscles_frame(catalogue_frame())


def kind_of(exercise: str) -> str:
    return str(catalogue().set_index("exercise_id").loc[exercise, "kind"])


@dataclass
class History:
    """A hand-made history builder: ``add`` workouts, then ``inputs()``."""

    sets: list[dict[str, Any]] = field(default_factory=list)
    workouts: list[dict[str, Any]] = field(default_factory=list)
    body_mass: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        user: str,
        start: str,
        sets: list[tuple],
        *,
        tz: str = "UTC",
        minutes: float = 60.0,
        session_rpe: float | None = 7.0,
    ) -> str:
        """A workout starting at ``start`` (UTC ISO string); ``sets``: tuples of
        (exercise_id, weight_kg, reps[, set_type[, rpe[, weight_unit]]])."""
        moment = pd.Timestamp(start, tz="UTC")
        day = moment.tz_convert(tz).tz_localize(None).normalize()
        workout = str(uuid.uuid4())
        self.workouts.append(
            {
                "user_id": user,
                "workout_id": workout,
                "day": day,
                "duration_s": minutes * 60.0,
                "session_rpe": session_rpe,
                "cardio_load": np.nan,
                "cardio_method": None,
                "cardio_trimp": np.nan,
                "distance_m": np.nan,
                "started_at": moment,
            }
        )
        for position, row in enumerate(sets):
            ex, weight, reps, *rest = row
            set_type = rest[0] if len(rest) > 0 else "working"
            rpe = rest[1] if len(rest) > 1 else np.nan
            unit = rest[2] if len(rest) > 2 else "kg"
            self.sets.append(
                {
                    "user_id": user,
                    "workout_id": workout,
                    "set_id": str(uuid.uuid4()),
                    "exercise_id": ex,
                    "exercise_kind": kind_of(ex),
                    "day": day,
                    "performed_at": moment,
                    "position": position,
                    "set_type": set_type,
                    "weight_kg": weight,
                    "reps": reps,
                    "rpe": rpe,
                    "rir": np.nan,
                    "detected_reps": np.nan,
                    "form_score": np.nan,
                    "weight_unit": unit,
                }
            )
        return workout

    def weigh(self, user: str, day: str, kg: float) -> None:
        self.body_mass.append({"user_id": user, "day": pd.Timestamp(day), "body_mass_kg": kg})

    def inputs(self) -> Inputs:
        return as_inputs(
            pd.DataFrame(self.sets),
            pd.DataFrame(self.workouts),
            pd.DataFrame(self.body_mass, columns=["user_id", "day", "body_mass_kg"]),
        )


def as_inputs(sets: pd.DataFrame, workouts: pd.DataFrame, body_mass: pd.DataFrame) -> Inputs:
    """Inputs of these frames; ``workouts`` keeps its ``started_at`` column (UTC), which
    the models ignore and the leakage test cuts by."""
    sets = sets.assign(performed_at=pd.to_datetime(sets["performed_at"], utc=True))
    workouts = workouts.assign(started_at=pd.to_datetime(workouts["started_at"], utc=True))
    return Inputs(sets=sets, workouts=workouts, muscles=muscles(), body_mass=body_mass)


@cache
def population(athletes: int, years: float, seed: int, end: date) -> Population:
    """``generate`` with these arguments, once per test run."""
    return generate(athletes=athletes, years=years, seed=seed, end=end)


def population_inputs(p: Population) -> Inputs:
    """The population's rows as ``read_inputs`` returns them (one start per workout;
    ``workouts.started_at`` kept, UTC)."""
    kinds = catalogue().set_index("exercise_id")["kind"]
    w, s = p.workouts, p.workout_sets
    started = pd.to_datetime(w["started_at"], utc=True)
    local = [
        t.tz_convert(z).tz_localize(None).normalize()
        for t, z in zip(started, w["time_zone"], strict=True)
    ]
    day_of = pd.Series(pd.to_datetime(local), index=w["id"].astype(str).to_numpy())
    start_of = pd.Series(started.to_numpy(), index=w["id"].astype(str).to_numpy())
    workout_ids = s["workout_id"].astype(str).to_numpy()
    sets = pd.DataFrame(
        {
            "user_id": s["user_id"].astype(str).to_numpy(),
            "workout_id": workout_ids,
            "set_id": s["id"].astype(str).to_numpy(),
            "exercise_id": s["exercise_id"].astype(str).to_numpy(),
            "exercise_kind": s["exercise_id"].astype(str).map(kinds).to_numpy(),
            "day": day_of.reindex(workout_ids).to_numpy(),
            "performed_at": start_of.reindex(workout_ids).to_numpy(),
            "position": s["position"].to_numpy(),
            "set_type": s["set_type"].to_numpy(),
            "weight_kg": s["weight_kg"].to_numpy(float),
            "reps": s["reps"].to_numpy(float),
            "rpe": s["rpe"].to_numpy(float),
            "rir": s["rir"].to_numpy(float),
            "detected_reps": s["detected_reps"].to_numpy(float),
            "form_score": s["form_score"].to_numpy(float),
            "weight_unit": s["weight_unit"].to_numpy(),
        }
    )
    cardio = p.cardio_sessions.set_index(p.cardio_sessions["workout_id"].astype(str))
    ids = w["id"].astype(str).to_numpy()
    duration = (pd.to_datetime(w["ended_at"]) - pd.to_datetime(w["started_at"])).dt.total_seconds()
    workouts = pd.DataFrame(
        {
            "user_id": w["user_id"].astype(str).to_numpy(),
            "workout_id": ids,
            "day": day_of.reindex(ids).to_numpy(),
            "duration_s": duration.to_numpy(float),
            "session_rpe": w["session_rpe"].to_numpy(float),
            "cardio_load": cardio["load"].reindex(ids).to_numpy(float),
            "cardio_method": cardio["load_method"].reindex(ids).to_numpy(),
            "cardio_trimp": cardio["trimp"].reindex(ids).to_numpy(float),
            "distance_m": cardio["distance_m"].reindex(ids).to_numpy(float),
            "started_at": start_of.reindex(ids).to_numpy(),
        }
    )
    b = p.body_metrics
    body_mass = pd.DataFrame(
        {
            "user_id": b["user_id"].astype(str).to_numpy(),
            "day": pd.to_datetime(b["measured_on"]).to_numpy(),
            "body_mass_kg": b["body_mass_kg"].to_numpy(float),
        }
    )
    return as_inputs(sets, workouts, body_mass)


def users_of(p: Population) -> pd.DataFrame:
    """user_id, unit_system, time_zone of the population's athletes."""
    u = p.users
    return pd.DataFrame(
        {
            "user_id": u["id"].astype(str).to_numpy(),
            "unit_system": u["unit_system"].to_numpy() if "unit_system" in u else None,
            "time_zone": u["time_zone"].to_numpy(),
        }
    )


@cache
def population_examples(athletes: int, years: float, seed: int, end: date) -> pd.DataFrame:
    """``features.training_examples`` of a population, once per test run (read-only:
    callers copy before changing it)."""
    from models.coaching.features import training_examples

    return training_examples(population_inputs(population(athletes, years, seed, end)))


@cache
def fitted_coach(athletes: int, years: float, seed: int, end: date) -> tuple[dict, pd.DataFrame]:
    """A small coach (40 trees) fitted on a population's examples, and those examples
    with their ``split`` (read-only, shared)."""
    from models.coaching.estimator import Params, fit
    from models.coaching.evaluation import split

    params = Params.with_overrides({"max_iter": "40", "min_samples_leaf": "20"})
    rows = population_examples(athletes, years, seed, end).copy()
    rows = rows.assign(split=split(rows, params))
    return fit(rows, params), rows
