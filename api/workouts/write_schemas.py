"""Workout schemas (write side): what a phone sends, validated at every bound.

Bounds (issue "phone API"): reps 0–1000, weight 0–1000 kg, RPE 1–10 in 0.5 steps,
RIR 0–10, form score 0–1, no NaN/Infinity, ``ended_at ≥ started_at``, a start at
most 24 h in the future, at most 200 sets per workout.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from api.schemas import InputModel, IsoDatetime, TimeZoneName, omit_or_value
from models.vocabulary import SetType

MAX_SETS = 200
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(hours=24)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a UTC offset, e.g. 2024-05-01T07:30:00+02:00")
    if value < EARLIEST:
        raise ValueError("must not be before 1900")
    if value > datetime.now(UTC) + FUTURE_SLACK:
        raise ValueError("must not be more than 24 hours in the future")
    return value.astimezone(UTC)


AwareDatetime = Annotated[IsoDatetime, AfterValidator(_aware)]


class SetWrite(InputModel):
    """One set, SI units, plus the unit the athlete entered it in."""

    exercise_id: uuid.UUID = Field(description="catalogue or own custom exercise")
    set_type: SetType = Field("working", description="working, warmup, dropset or failure")
    weight_kg: float | None = Field(None, ge=0, le=1000, description="load, kg (0–1000)")
    weight_unit: Literal["kg", "lb"] | None = Field(
        None, description="unit the weight was entered in"
    )
    reps: int | None = Field(None, ge=0, le=1000, description="repetitions (0–1000)")
    duration_s: float | None = Field(None, ge=0, le=86_400, description="seconds (0–86,400)")
    distance_m: float | None = Field(None, ge=0, le=1_000_000, description="metres (0–1,000,000)")
    distance_unit: Literal["m", "km", "mi"] | None = Field(
        None, description="unit the distance was entered in"
    )
    rpe: float | None = Field(
        None, ge=1, le=10, multiple_of=0.5, description="RPE 1–10 in 0.5 steps"
    )
    rir: float | None = Field(None, ge=0, le=10, description="repetitions in reserve (0–10)")
    detected_reps: int | None = Field(
        None, ge=0, le=1000, description="reps counted by on-device pose detection"
    )
    form_score: float | None = Field(None, ge=0, le=1, description="pose-detection form score 0–1")
    tempo: str | None = Field(
        None,
        pattern=r"^(\d{1,2}|X)-(\d{1,2}|X)-(\d{1,2}|X)-(\d{1,2}|X)$",
        description="eccentric-pause-concentric-pause seconds, e.g. `3-1-1-0` (X = explosive)",
    )
    notes: str | None = Field(None, max_length=2000, description="set notes")


class WorkoutFields(InputModel):
    started_at: AwareDatetime = Field(description="start with its UTC offset (ISO 8601)")
    ended_at: AwareDatetime | None = Field(None, description="end with its UTC offset")
    time_zone: TimeZoneName | None = Field(
        None, description="IANA zone the workout happened in; default: the user's"
    )
    title: str | None = Field(None, max_length=200, description="workout name")
    notes: str | None = Field(None, max_length=10_000, description="workout notes")
    session_rpe: float | None = Field(
        None, ge=0, le=10, description="session RPE on Foster's CR-10 scale (0–10)"
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> WorkoutFields:
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at must not be before started_at")
        return self


class WorkoutWrite(WorkoutFields):
    """A whole workout with its sets: the body of PUT, POST and each batch item."""

    id: uuid.UUID | None = Field(None, description="client UUID; on PUT it must equal the path id")
    sets: list[SetWrite] = Field(
        default_factory=list, max_length=MAX_SETS, description=f"at most {MAX_SETS} sets, in order"
    )


class WorkoutPatch(InputModel):
    """Fields of a workout that PATCH may change; sets change only through PUT."""

    # PATCH may leave these out but not clear them (null answers 422).
    started_at: AwareDatetime | None = Field(
        None, json_schema_extra=omit_or_value, description="new start, with UTC offset"
    )
    ended_at: AwareDatetime | None = Field(None, description="new end, with UTC offset")
    time_zone: TimeZoneName | None = Field(
        None, json_schema_extra=omit_or_value, description="IANA zone"
    )
    title: str | None = Field(None, max_length=200, description="workout name")
    notes: str | None = Field(None, max_length=10_000, description="workout notes")
    session_rpe: float | None = Field(None, ge=0, le=10, description="session RPE (CR-10)")


class BatchItem(WorkoutWrite):
    id: uuid.UUID = Field(description="client UUID of the workout to create or replace")
    if_match: str | None = Field(
        None,
        max_length=255,
        description="the ETag this client last saw; a stale one answers `conflict`",
    )
