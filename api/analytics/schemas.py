"""Analytics schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class Freshness(BaseModel):
    as_of: datetime | None = Field(
        description="time of the data these figures reflect; null before the first refresh"
    )
    stale: bool = Field(description="true when a refresh is owed (newer data is not reflected yet)")


class RepMax(BaseModel):
    reps: int = Field(description="exactly this many reps (1–12)")
    weight_kg: float = Field(description="the heaviest weight lifted for them, kg")
    achieved_on: date = Field(description="local day of the set")
    achieved_at: datetime = Field(description="start of the workout, UTC")
    set_id: uuid.UUID = Field(description="the set that holds the record")
    workout_id: uuid.UUID = Field(description="its workout")


class MaxReps(BaseModel):
    reps: int = Field(description="most reps in one set (bodyweight exercises)")
    weight_kg: float | None = Field(description="added weight of that set, kg, if any")
    achieved_on: date = Field(description="local day of the set")
    set_id: uuid.UUID = Field(description="the set that holds the record")
    workout_id: uuid.UUID = Field(description="its workout")


class BestE1rm(BaseModel):
    e1rm_kg: float = Field(
        description="best estimated 1RM (Epley, sets of 1–12 reps, warm-ups excluded), kg"
    )
    weight_kg: float = Field(description="weight of the set it came from, kg")
    reps: int = Field(description="reps of that set")
    achieved_on: date = Field(description="local day")
    set_id: uuid.UUID = Field(description="the set")


class ExerciseRecords(BaseModel):
    exercise_id: uuid.UUID = Field(description="exercise")
    exercise_name: str = Field(description="its display name")
    best_e1rm: BestE1rm | None = Field(description="all-time best e1RM; null for bodyweight")
    rep_maxes: list[RepMax] = Field(description="rep-max PRs by rep count")
    max_reps: MaxReps | None = Field(description="most reps in a set, for bodyweight exercises")


class PersonalRecords(Freshness):
    items: list[ExerciseRecords] = Field(description="one entry per exercise with a record")
    next_cursor: str | None = Field(None, description="always null: every exercise is listed")


class ProgressPoint(BaseModel):
    date: dt.date = Field(description="local day")
    e1rm_kg: float = Field(
        description="best e1RM that day (Epley, sets of 1–12 reps, warm-ups excluded), kg"
    )
    weight_kg: float = Field(description="weight of that set, kg")
    reps: int = Field(description="reps of that set")
    set_id: uuid.UUID = Field(description="the set")
    workout_id: uuid.UUID = Field(description="its workout")


class ExerciseProgress(Freshness):
    exercise_id: uuid.UUID = Field(description="exercise")
    exercise_name: str = Field(description="its display name")
    items: list[ProgressPoint] = Field(description="daily best e1RM, oldest first")


class WeekVolume(BaseModel):
    week_start: date = Field(description="Monday of the local ISO week")
    volume_load_kg: float = Field(description="Σ weight × reps over non-warm-up sets, kg")
    sets: int = Field(description="non-warm-up sets")
    reps: int = Field(description="non-warm-up reps")


class Summary(Freshness):
    workouts: int = Field(description="workouts stored")
    sets: int = Field(description="sets stored, warm-ups included")
    working_sets: int = Field(description="non-warm-up sets")
    reps: int = Field(description="non-warm-up reps")
    volume_load_kg: float = Field(description="all-time volume load, kg")
    exercises: int = Field(description="distinct exercises trained")
    personal_records: int = Field(description="rep-max and max-reps records held")
    first_workout_on: date | None = Field(description="local day of the first workout")
    last_workout_on: date | None = Field(description="local day of the latest workout")
    weekly_volume: list[WeekVolume] = Field(
        description="the latest weeks with training, oldest first"
    )
