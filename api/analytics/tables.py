"""Analytics tables. Written only by the pipelines; the API reads them.

The derived tables (every one but the marker, the state and the rebuild log) carry no
foreign keys: they are recomputed from the raw rows, and checking two keys per row
made a rebuild's COPY three times slower. A statement trigger on ``users`` (migration
0006) deletes an athlete's derived rows with the athlete.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base


class _OnePerAthlete:
    """Keyed by the athlete alone, and deleted with the athlete."""

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class _ExerciseDayKey:
    """The key of a row per athlete, exercise and local day."""

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    exercise_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)


class _RecordSet:
    """The set behind a record: its weight, its local day and its workout's start (UTC)."""

    workout_id: Mapped[uuid.UUID]
    weight_kg: Mapped[float | None] = mapped_column(Float)
    achieved_on: Mapped[date]
    achieved_at: Mapped[datetime]


class _Totals:
    """What a day or a period adds up, the same columns in both: sessions, their time,
    cardio distance, volume load, and the loads (sRPE, TRIMP, the combined one)."""

    sessions: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float] = mapped_column(Float)
    distance_m: Mapped[float] = mapped_column(Float)
    volume_load_kg: Mapped[float] = mapped_column(Float)
    srpe_load: Mapped[float | None] = mapped_column(Float)
    trimp: Mapped[float | None] = mapped_column(Float)
    load: Mapped[float] = mapped_column(Float)


class AnalyticsDirty(_OnePerAthlete, Base):
    """A refresh owed to a user from ``since_day`` on (DESIGN §2.3)."""

    __tablename__ = "analytics_dirty"

    since_day: Mapped[date]
    marked_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
    #: set when the marker is created, never moved by later marks: bounds the debounce
    first_marked_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())


class AnalyticsState(_OnePerAthlete, Base):
    """Per-user totals and the time of the data the analytics reflect."""

    __tablename__ = "analytics_state"

    as_of: Mapped[datetime]
    refreshed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    workouts: Mapped[int] = mapped_column(Integer)
    sets: Mapped[int] = mapped_column(Integer)
    working_sets: Mapped[int] = mapped_column(Integer)
    reps: Mapped[int] = mapped_column(Integer)
    volume_load_kg: Mapped[float] = mapped_column(Float)
    exercises: Mapped[int] = mapped_column(Integer)
    personal_records: Mapped[int] = mapped_column(Integer)
    first_workout_on: Mapped[date | None]
    last_workout_on: Mapped[date | None]
    #: workouts per local weekday (Monday first) and per local start hour (0–23)
    weekday_counts: Mapped[list[int]] = mapped_column(ARRAY(Integer), server_default="{}")
    hour_counts: Mapped[list[int]] = mapped_column(ARRAY(Integer), server_default="{}")


class E1rmDaily(_ExerciseDayKey, Base):
    """The best e1RM (Epley) per exercise per local day."""

    __tablename__ = "analytics_e1rm_daily"

    e1rm_kg: Mapped[float] = mapped_column(Float)
    weight_kg: Mapped[float] = mapped_column(Float)
    reps: Mapped[int] = mapped_column(Integer)
    set_id: Mapped[uuid.UUID]
    workout_id: Mapped[uuid.UUID]
    brzycki_kg: Mapped[float | None] = mapped_column(Float)
    #: Epley on reps + RIR (RIR logged, else 10 − RPE); None without either
    e1rm_rir_kg: Mapped[float | None] = mapped_column(Float)
    body_mass_kg: Mapped[float | None] = mapped_column(Float)
    #: e1RM ÷ body mass (the latest measurement on or before the day)
    relative_strength: Mapped[float | None] = mapped_column(Float)


class RepMaxPr(_RecordSet, Base):
    """Rep-max PRs (heaviest weight for exactly r reps) and bodyweight max-reps records."""

    __tablename__ = "analytics_rep_max_prs"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    exercise_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    reps: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[uuid.UUID]


class PrEvent(_RecordSet, Base):
    """A set that raised a record when it was done (the history behind RepMaxPr)."""

    __tablename__ = "analytics_pr_events"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    set_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    exercise_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    reps: Mapped[int] = mapped_column(Integer)
    #: the record it beat (kg for rep_max, reps for max_reps); None for the first
    previous: Mapped[float | None] = mapped_column(Float)


class DailyLoad(_Totals, Base):
    """One row per local calendar day from an athlete's first to last training day."""

    __tablename__ = "analytics_daily_load"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    ctl: Mapped[float] = mapped_column(Float)
    atl: Mapped[float] = mapped_column(Float)
    tsb: Mapped[float] = mapped_column(Float)
    ewma_acute: Mapped[float] = mapped_column(Float)
    ewma_chronic: Mapped[float] = mapped_column(Float)
    acwr_rolling: Mapped[float | None] = mapped_column(Float)
    acwr_ewma: Mapped[float | None] = mapped_column(Float)
    ramp_rate: Mapped[float | None] = mapped_column(Float)
    acwr_high: Mapped[bool] = mapped_column(Boolean)
    acwr_low: Mapped[bool] = mapped_column(Boolean)


class ExerciseDaily(_ExerciseDayKey, Base):
    """Per exercise per local day: sets, reps, volume, most reps, pose-detection data."""

    __tablename__ = "analytics_exercise_daily"

    sets: Mapped[int] = mapped_column(Integer)
    reps: Mapped[int] = mapped_column(Integer)
    volume_load_kg: Mapped[float] = mapped_column(Float)
    max_reps: Mapped[int | None] = mapped_column(Integer)
    form_sets: Mapped[int] = mapped_column(Integer)
    mean_form_score: Mapped[float | None] = mapped_column(Float)
    detected_sets: Mapped[int] = mapped_column(Integer)
    rep_discrepancy: Mapped[float | None] = mapped_column(Float)


class Period(_Totals, Base):
    """Weekly (ISO, Monday) and monthly summaries of weeks and months with a session."""

    __tablename__ = "analytics_periods"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    start: Mapped[date] = mapped_column(primary_key=True)
    sets: Mapped[int] = mapped_column(Integer)
    reps: Mapped[int] = mapped_column(Integer)
    prs: Mapped[int] = mapped_column(Integer)
    monotony: Mapped[float | None] = mapped_column(Float)
    strain: Mapped[float | None] = mapped_column(Float)
    push_pull: Mapped[float | None] = mapped_column(Float)
    upper_lower: Mapped[float | None] = mapped_column(Float)


class MuscleWeek(Base):
    """Fractional sets (primary 1.0, secondary 0.5) and volume per muscle group per week."""

    __tablename__ = "analytics_muscle_weekly"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(primary_key=True)
    muscle: Mapped[str] = mapped_column(String(32), primary_key=True)
    sets: Mapped[float] = mapped_column(Float)
    volume_load_kg: Mapped[float] = mapped_column(Float)


class Rebuild(Base):
    """A full recompute fanned out over the workers in user shards, and its progress."""

    __tablename__ = "analytics_rebuilds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]
    shards_total: Mapped[int] = mapped_column(Integer)
    shards_done: Mapped[int] = mapped_column(Integer, server_default="0")
    users_total: Mapped[int] = mapped_column(Integer)
    users_done: Mapped[int] = mapped_column(Integer, server_default="0")
    sets_done: Mapped[int] = mapped_column(Integer, server_default="0")
    rows_written: Mapped[int] = mapped_column(BigInteger, server_default="0")
    #: worker seconds summed over the shards, per phase: where a rebuild's time goes
    read_s: Mapped[float] = mapped_column(Float, server_default="0")
    derive_s: Mapped[float] = mapped_column(Float, server_default="0")
    write_s: Mapped[float] = mapped_column(Float, server_default="0")
