"""Workout schemas (read side, and the sync feed)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas import OutputModel


class SetRead(OutputModel):
    id: uuid.UUID = Field(description="set id")
    position: int = Field(description="order within the workout, from 0")
    exercise_id: uuid.UUID = Field(description="the exercise")
    exercise_name: str = Field(description="the exercise's display name")
    set_type: str = Field(description="working, warmup, dropset or failure")
    weight_kg: float | None = Field(description="load in kg; null = none (bodyweight)")
    reps: int | None = Field(description="repetitions")
    duration_s: float | None = Field(description="time under the set, seconds")
    distance_m: float | None = Field(description="distance, metres")
    rpe: float | None = Field(description="RPE 1–10 in 0.5 steps")
    rir: float | None = Field(description="repetitions in reserve")
    weight_unit: str | None = Field(description="the unit the weight arrived in (kg or lb)")
    distance_unit: str | None = Field(description="the unit the distance arrived in")
    detected_reps: int | None = Field(description="reps counted by pose detection")
    form_score: float | None = Field(description="pose-detection form score, 0–1")
    tempo: str | None = Field(description="eccentric-pause-concentric-pause seconds, `3-1-1-0`")
    notes: str | None = Field(description="set notes")


class WorkoutSummary(OutputModel):
    id: uuid.UUID = Field(description="workout id")
    started_at: datetime = Field(description="start, UTC")
    ended_at: datetime | None = Field(description="end, UTC")
    time_zone: str = Field(description="IANA zone the workout happened in")
    title: str | None = Field(description="workout name")
    notes: str | None = Field(description="workout notes")
    session_rpe: float | None = Field(description="session RPE, CR-10")
    source: str = Field(description="`api` or the import format, e.g. `strong`")
    import_job_id: uuid.UUID | None = Field(description="the import that created it")
    set_count: int = Field(description="number of sets")
    etag: str = Field(description="version tag; send it as If-Match to change this version only")
    deleted_at: datetime | None = Field(
        None, description="set on a tombstone in the sync feed: the workout was deleted"
    )
    created_at: datetime = Field(description="stored at, UTC")
    updated_at: datetime = Field(description="last changed at, UTC")


class WorkoutRead(WorkoutSummary):
    sets: list[SetRead] = Field(description="sets in order")


class WorkoutPage(BaseModel):
    items: list[WorkoutSummary] = Field(description="workouts, newest first")
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class SyncPage(BaseModel):
    items: list[WorkoutRead] = Field(
        description="workouts changed since the cursor, oldest change first; deleted ones as "
        "tombstones (`deleted_at` set, no sets)"
    )
    next_cursor: str = Field(
        description="pass as `updated_since` next time (also when `has_more` is false)"
    )
    has_more: bool = Field(description="true when more changes are waiting: ask again at once")
