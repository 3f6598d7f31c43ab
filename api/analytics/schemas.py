"""Analytics schemas.

Field declarations that several schemas share word for word (type and description)
are declared once below, as ``Annotated`` types or small bases: the documented wire
format is the same as with each field written out.
"""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field

LocalDay = Annotated[dt.date, Field(description="local day")]
SetDay = Annotated[date, Field(description="local day of the set")]
RecordSet = Annotated[uuid.UUID, Field(description="the set that holds the record")]
TheSet = Annotated[uuid.UUID, Field(description="the set")]
ItsWorkout = Annotated[uuid.UUID, Field(description="its workout")]
ThatSetsReps = Annotated[int, Field(description="reps of that set")]
WorkingSets = Annotated[int, Field(description="non-warm-up sets")]
WorkingReps = Annotated[int, Field(description="non-warm-up reps")]
VolumeLoad = Annotated[float, Field(description="Σ weight × reps over non-warm-up sets, kg")]
CardioDistance = Annotated[float, Field(description="cardio distance, m")]


class FromRow(BaseModel):
    """A view of one stored row."""

    @classmethod
    def from_row(cls, row: object, **given: Any) -> Self:
        """The fields named like ``row``'s attributes copied from it; ``given`` sets the
        rest (fields named otherwise, or computed) and wins over a like-named attribute."""
        copied = {name: getattr(row, name) for name in cls.model_fields if name not in given}
        return cls(**copied, **given)


class ExerciseNamed(BaseModel):
    exercise_id: uuid.UUID = Field(description="exercise")
    exercise_name: str = Field(description="its display name")


class WeekRow(FromRow):
    week_start: date = Field(description="Monday of the local ISO week")


class Freshness(BaseModel):
    as_of: datetime | None = Field(
        description="time of the data these figures reflect; null before the first refresh"
    )
    stale: bool = Field(description="true when a refresh is owed (newer data is not reflected yet)")


class RepMax(FromRow):
    reps: int = Field(description="exactly this many reps (1–12)")
    weight_kg: float = Field(description="the heaviest weight lifted for them, kg")
    achieved_on: SetDay
    achieved_at: datetime = Field(description="start of the workout, UTC")
    set_id: RecordSet
    workout_id: ItsWorkout


class MaxReps(FromRow):
    reps: int = Field(description="most reps in one set (bodyweight exercises)")
    weight_kg: float | None = Field(description="added weight of that set, kg, if any")
    achieved_on: SetDay
    set_id: RecordSet
    workout_id: ItsWorkout


class BestE1rm(FromRow):
    e1rm_kg: float = Field(
        description="best estimated 1RM (Epley, sets of 1–12 reps, warm-ups excluded), kg"
    )
    weight_kg: float = Field(description="weight of the set it came from, kg")
    reps: ThatSetsReps
    achieved_on: date = Field(description="local day")
    set_id: TheSet


class ExerciseRecords(ExerciseNamed):
    best_e1rm: BestE1rm | None = Field(description="all-time best e1RM; null for bodyweight")
    rep_maxes: list[RepMax] = Field(description="rep-max PRs by rep count")
    max_reps: MaxReps | None = Field(description="most reps in a set, for bodyweight exercises")


class PersonalRecords(Freshness):
    items: list[ExerciseRecords] = Field(description="one entry per exercise with a record")
    next_cursor: str | None = Field(
        None, description="pass as `cursor` for the next page; null at the end"
    )


class ProgressPoint(FromRow):
    date: LocalDay
    e1rm_kg: float = Field(
        description="best e1RM that day (Epley, sets of 1–12 reps, warm-ups excluded), kg"
    )
    weight_kg: float = Field(description="weight of that set, kg")
    reps: ThatSetsReps
    set_id: TheSet
    workout_id: ItsWorkout
    e1rm_brzycki_kg: float | None = Field(None, description="best Brzycki e1RM that day, kg")
    e1rm_rir_kg: float | None = Field(
        None, description="best Epley e1RM on reps + RIR (RIR, else 10 − RPE), kg"
    )
    body_mass_kg: float | None = Field(
        None, description="latest body mass on or before the day, kg"
    )
    relative_strength: float | None = Field(None, description="e1rm_kg ÷ body_mass_kg")


class ExerciseProgress(ExerciseNamed, Freshness):
    items: list[ProgressPoint] = Field(description="daily best e1RM, oldest first")
    sessions: list[ExerciseDay] = Field(
        default_factory=list, description="every day the exercise was trained in the range"
    )
    best_session: BestSession | None = Field(
        None, description="the day of the highest volume load of this exercise (all time)"
    )
    plateau: Plateau | None = Field(None, description="plateau status (strength exercises)")
    pose: list[PoseWeek] = Field(
        default_factory=list, description="weekly pose-detection trend in the range"
    )


class WeekVolume(WeekRow):
    volume_load_kg: VolumeLoad
    sets: WorkingSets
    reps: WorkingReps


class Summary(Freshness):
    workouts: int = Field(description="workouts stored")
    sets: int = Field(description="sets stored, warm-ups included")
    working_sets: WorkingSets
    reps: WorkingReps
    volume_load_kg: float = Field(description="all-time volume load, kg")
    exercises: int = Field(description="distinct exercises trained")
    personal_records: int = Field(description="rep-max and max-reps records held")
    first_workout_on: date | None = Field(description="local day of the first workout")
    last_workout_on: date | None = Field(description="local day of the latest workout")
    weekly_volume: list[WeekVolume] = Field(
        description="the latest weeks with training, oldest first"
    )
    period: str = Field("week", description="`week` or `month`: the unit of `periods`")
    periods: list[PeriodSummary] = Field(
        default_factory=list, description="the latest periods with training, oldest first"
    )
    habits: Habits | None = Field(None, description="streak, frequency, usual days and hours")


# --------------------------------------------------------------------------- issue-5 views


class LoadDay(FromRow):
    date: dt.date = Field(description="local calendar day")
    sessions: int = Field(description="workouts that day")
    duration_s: float = Field(description="their summed duration, s")
    distance_m: CardioDistance
    volume_load_kg: VolumeLoad
    srpe_load: float | None = Field(description="Σ session RPE × minutes of rated sessions, AU")
    trimp: float | None = Field(description="Σ Banister TRIMP of cardio sessions, AU")
    load: float = Field(
        description="combined training load on the sRPE scale, AU (see README: one load scale)"
    )
    ctl: float = Field(description="chronic training load: EWMA with time constant 42 d, AU")
    atl: float = Field(description="acute training load: EWMA with time constant 7 d, AU")
    tsb: float = Field(description="training stress balance: CTL − ATL of the day before, AU")
    acwr_rolling: float | None = Field(
        description="7-day ÷ 28-day mean load (coupled); null until 28 days or with no load"
    )
    acwr_ewma: float | None = Field(description="EWMA ACWR (Williams 2017, spans 7 and 28)")
    ramp_rate: float | None = Field(description="CTL change over the last 7 days, AU")
    acwr_high: bool = Field(description="an ACWR above 1.5")
    acwr_low: bool = Field(description="the rolling ACWR below 0.8")
    projected: bool = Field(
        description="a day after the latest training day: zero load, the states decaying"
    )


class LoadWeek(WeekRow):
    load: float = Field(description="combined load of the week, AU")
    monotony: float | None = Field(
        description="Foster monotony: mean ÷ SD of the 7 daily loads (rest days 0)"
    )
    strain: float | None = Field(description="week load × monotony")


class LoadSeries(Freshness):
    load_unit: str = Field(description="unit of every load figure")
    items: list[LoadDay] = Field(description="one per day from `from` to `to`, oldest first")
    weeks: list[LoadWeek] = Field(description="weeks with training inside the range")


class MuscleSets(FromRow):
    muscle: str = Field(description="muscle group")
    sets: float = Field(description="fractional sets: 1 per primary, 0.5 per secondary muscle")
    volume_load_kg: float = Field(description="volume load with the same shares, kg")


class BalanceWeek(WeekRow):
    muscles: list[MuscleSets] = Field(description="muscle groups trained that week")
    push_pull: float | None = Field(description="push ÷ pull fractional sets; null without pull")
    upper_lower: float | None = Field(description="upper ÷ lower fractional sets")


class MuscleBalance(Freshness):
    weeks: list[BalanceWeek] = Field(description="the last `weeks` ISO weeks, oldest first")
    totals: list[MuscleSets] = Field(description="the same summed over the window")
    push_pull: float | None = Field(description="push ÷ pull over the window")
    upper_lower: float | None = Field(description="upper ÷ lower over the window")


class Habits(BaseModel):
    streak_weeks: int = Field(description="consecutive ISO weeks with a workout, up to this one")
    sessions_per_week: float = Field(
        description="workouts per week from the first workout's week to this one"
    )
    weekday_share: list[float] = Field(description="share of workouts per weekday, Monday first")
    hour_share: list[float] = Field(description="share of workouts per local start hour 0–23")


class PeriodSummary(FromRow):
    start: date = Field(description="first local day of the week (Monday) or month")
    end: date = Field(description="last local day of it")
    sessions: int = Field(description="workouts")
    duration_s: float = Field(description="their duration, s")
    distance_m: CardioDistance
    sets: WorkingSets
    reps: WorkingReps
    volume_load_kg: float = Field(description="volume load, kg")
    srpe_load: float | None = Field(description="sRPE load of rated sessions, AU")
    trimp: float | None = Field(description="TRIMP of cardio sessions, AU")
    load: float = Field(description="combined training load, AU")
    prs: int = Field(description="rep-max and max-reps records set")
    monotony: float | None = Field(None, description="weeks only: Foster monotony")
    strain: float | None = Field(None, description="weeks only: Foster strain")


class ExerciseDay(FromRow):
    date: LocalDay
    sets: WorkingSets
    reps: int = Field(description="their reps")
    volume_load_kg: float = Field(description="session volume load of this exercise, kg")
    max_reps: int | None = Field(description="most reps in one set")


class PoseWeek(WeekRow):
    form_sets: int = Field(description="sets with a form score")
    mean_form_score: float | None = Field(description="mean form score 0–1")
    detected_sets: int = Field(description="sets with both a detected and a logged rep count")
    rep_discrepancy: float | None = Field(
        description="mean detected − logged reps (negative: the phone saw fewer)"
    )


class Plateau(BaseModel):
    plateaued: bool = Field(description="no new best e1RM for `plateau_weeks` while training")
    best_e1rm_kg: float | None = Field(description="all-time best e1RM, kg")
    best_on: date | None = Field(description="the day it was last raised")
    weeks_without_gain: float | None = Field(description="weeks since then")
    sessions_since: int = Field(description="days the exercise was trained since")


class BestSession(BaseModel):
    date: LocalDay
    volume_load_kg: float = Field(description="that day's volume load of this exercise, kg")


ExerciseProgress.model_rebuild()
Summary.model_rebuild()
