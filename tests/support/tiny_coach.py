"""A tiny coach trained for the serving tests, and storing it as a model's champion.

The history is synthetic and small (12 athletes × 40 bench sessions, 5 reps at a
slowly rising weight, a body mass each), enough for ``models.coaching.estimator.fit``
with a handful of trees; the tests check what is served with it, not how good it is.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text

from api.exercises.catalogue import exercise_id
from models.analytics import Inputs
from models.coaching import artifact, estimator, evaluation, features

BENCH = str(exercise_id("bench-press-barbell"))
MODEL = "next_e1rm"
PARAMS = {"max_iter": "20", "min_samples_leaf": "5", "holdout_weeks": "2", "validation_weeks": "2"}


def synthetic_inputs(athletes: int = 12, sessions: int = 40) -> Inputs:
    """Bench sessions every 3 days up to 2026-11-30, 3 × 5 at a weight rising 0.4 % a
    session with 1 kg of noise, on 2.5 kg plates; athlete ``a`` starts at 60 + 5a kg."""
    rng = np.random.default_rng(0)
    end = pd.Timestamp("2026-11-30")
    sets: list[dict[str, Any]] = []
    workouts: list[dict[str, Any]] = []
    for a in range(athletes):
        user = str(uuid.UUID(int=a + 1))
        for k in range(sessions):
            day = end - pd.Timedelta(days=3 * (sessions - k))
            workout = str(uuid.UUID(int=10_000 + a * 1000 + k))
            kg = round(((60 + 5 * a) * (1 + 0.004 * k) + rng.normal(0, 1)) / 2.5) * 2.5
            workouts.append({
                "user_id": user, "workout_id": workout, "day": day, "duration_s": 3600.0,
                "session_rpe": 7.0, "cardio_load": np.nan, "cardio_method": None,
                "cardio_trimp": np.nan, "distance_m": np.nan,
            })  # fmt: skip
            for position in range(3):
                sets.append({
                    "user_id": user, "workout_id": workout, "set_id": str(uuid.uuid4()),
                    "exercise_id": BENCH, "exercise_kind": "strength", "day": day,
                    "performed_at": (day + pd.Timedelta(hours=18)).tz_localize("UTC"),
                    "position": position, "set_type": "working", "weight_kg": float(kg),
                    "reps": 5.0, "rpe": 8.0, "rir": np.nan, "detected_reps": np.nan,
                    "form_score": np.nan, "weight_unit": "kg",
                })  # fmt: skip
    body_mass = pd.DataFrame(
        {
            "user_id": [str(uuid.UUID(int=a + 1)) for a in range(athletes)],
            "day": end - pd.Timedelta(days=200),
            "body_mass_kg": [70.0 + a for a in range(athletes)],
        }
    )
    muscles = pd.DataFrame({"exercise_id": [BENCH], "muscle": ["chest"], "share": [1.0]})
    return Inputs(
        sets=pd.DataFrame(sets),
        workouts=pd.DataFrame(workouts),
        muscles=muscles,
        body_mass=body_mass,
    )


@cache
def tiny_artifact() -> tuple[bytes, str]:
    """The tiny coach's artifact bytes and sha256 (trained once per test process)."""
    examples = features.training_examples(synthetic_inputs())
    params = estimator.Params.with_overrides(PARAMS)
    examples["split"] = evaluation.split(examples, params)
    return artifact.dumps(estimator.fit(examples, params))


def store_champion(sync_engine: Any, version: int = 1, *, sha256: str | None = None) -> str:
    """Store the tiny coach as ``version`` of :data:`MODEL` and point ``champion`` at it
    (``sha256``: the hash recorded, to store a mismatching one); the hash recorded."""
    blob, real = tiny_artifact()
    recorded = sha256 or real
    with sync_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO model_versions (model_name, version, snapshot, code_version, "
                "params, metrics, artifact, artifact_sha256) VALUES (:name, :version, '{}', "
                "'test', '{}', '{}', :blob, :sha)"
            ),
            {"name": MODEL, "version": version, "blob": blob, "sha": recorded},
        )
        conn.execute(
            text(
                "INSERT INTO model_aliases (model_name, alias, version, updated_by) "
                "VALUES (:name, 'champion', :version, 'test') ON CONFLICT (model_name, alias) "
                "DO UPDATE SET version = EXCLUDED.version, updated_at = now()"
            ),
            {"name": MODEL, "version": version},
        )
    return recorded
