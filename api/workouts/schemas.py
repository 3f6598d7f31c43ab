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


class CardioRead(OutputModel):
    sport: str = Field(description="run, ride, swim, walk, hike, row or other")
    sport_label: str | None = Field(description="the sport as the file named it")
    elapsed_s: float | None = Field(description="first to last recorded point, seconds")
    moving_s: float | None = Field(description="time moving (pauses removed), seconds")
    distance_m: float | None = Field(description="distance, metres")
    elev_gain_m: float | None = Field(description="smoothed elevation gain, metres")
    elev_loss_m: float | None = Field(description="smoothed elevation loss, metres")
    avg_hr: float | None = Field(description="time-weighted average heart rate, bpm")
    max_hr: float | None = Field(description="maximum heart rate, bpm")
    avg_power_w: float | None = Field(description="average power, W")
    avg_cadence: float | None = Field(description="average cadence as recorded")
    avg_speed_mps: float | None = Field(description="distance ÷ moving time, m/s")
    pace_s_per_km: float | None = Field(description="seconds per km; null when distance is 0")
    points: int = Field(description="recorded points stored in the stream")
    load: float | None = Field(description="training load used (AU)")
    load_method: str | None = Field(description="`trimp`, `srpe`, or `duration` (fallback)")
    trimp: float | None = Field(description="Banister TRIMP (AU), when heart rate exists")
    srpe_load: float | None = Field(description="session RPE × minutes (AU), when RPE exists")
    load_assumptions: list[str] = Field(
        description="what the load assumed: hr_max_assumed, hr_rest_assumed, sex_assumed, …"
    )
    warnings: list[str] = Field(description="what was sanitised in the recording")


class WorkoutRead(WorkoutSummary):
    sets: list[SetRead] = Field(description="sets in order")
    cardio: CardioRead | None = Field(None, description="summary and load of a cardio session")


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
