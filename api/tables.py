"""Every table, imported in one place so that metadata (Alembic, workers) sees them all."""

from api.analytics.tables import (
    AnalyticsDirty,
    AnalyticsState,
    DailyLoad,
    E1rmDaily,
    ExerciseDaily,
    MuscleWeek,
    Period,
    PrEvent,
    Rebuild,
    RepMaxPr,
)
from api.auth.tables import RefreshToken
from api.body_metrics.tables import BodyMetric
from api.cardio.tables import ActivitySample, CardioSession
from api.db import Base
from api.exercises.tables import Exercise
from api.idempotency.tables import IdempotencyKey
from api.imports.tables import ImportFile, ImportJob
from api.users.tables import User
from api.workouts.tables import Workout, WorkoutSet

__all__ = [
    "ActivitySample",
    "CardioSession",
    "AnalyticsDirty",
    "AnalyticsState",
    "Base",
    "BodyMetric",
    "E1rmDaily",
    "Exercise",
    "IdempotencyKey",
    "ImportFile",
    "ImportJob",
    "RefreshToken",
    "RepMaxPr",
    "User",
    "DailyLoad",
    "ExerciseDaily",
    "MuscleWeek",
    "Period",
    "PrEvent",
    "Rebuild",
    "Workout",
    "WorkoutSet",
]
