"""SQL the import task runs for cardio sessions: overlap lookup, rows, COPY of streams."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, insert, select, update

from api.body_metrics.tables import BodyMetric
from api.cardio.tables import ActivitySample, CardioSession
from api.users.tables import User
from api.workouts.tables import Workout
from pipelines.imports.parsers.base import SAMPLE_COLUMNS

_COPY_COLUMNS = ("workout_id", "user_id", *SAMPLE_COLUMNS)


@dataclass(slots=True)
class Existing:
    workout_id: uuid.UUID
    started_at: datetime
    ended_at: datetime | None
    richness: float


RICHNESS_FIELDS = ("avg_hr", "avg_power_w", "avg_cadence", "elev_gain_m", "distance_m")


def richness(points: int | None, summary: dict[str, Any]) -> float:
    """How much a recording holds: points × (1 + channels present). More is richer."""
    channels = sum(1 for key in RICHNESS_FIELDS if summary.get(key) is not None)
    return float(points or 0) * (1 + channels)


def overlapping(
    conn: Connection, *, user_id: uuid.UUID, sport: str, start: datetime, end: datetime
) -> list[Existing]:
    """The user's live cardio sessions of ``sport`` whose time span meets [start, end]."""
    rows = conn.execute(
        select(
            Workout.id,
            Workout.started_at,
            Workout.ended_at,
            CardioSession.points,
            *(getattr(CardioSession, key) for key in RICHNESS_FIELDS),
        )
        .join(CardioSession, CardioSession.workout_id == Workout.id)
        .where(
            Workout.user_id == user_id,
            Workout.deleted_at.is_(None),
            CardioSession.sport == sport,
            Workout.started_at < end,
            Workout.ended_at > start,
        )
    ).all()
    return [
        Existing(r.id, r.started_at, r.ended_at, richness(r.points, dict(r._mapping))) for r in rows
    ]


def physiology(conn: Connection, user_id: uuid.UUID) -> tuple[dict[str, Any], pd.DataFrame]:
    """The profile's heart rates, sex and birth year, and the body-metric history by date."""
    user = conn.execute(
        select(User.sex, User.birth_year, User.resting_hr, User.max_hr).where(User.id == user_id)
    ).one()
    metrics = pd.DataFrame(
        conn.execute(
            select(BodyMetric.measured_on, BodyMetric.resting_hr, BodyMetric.max_hr)
            .where(BodyMetric.user_id == user_id)
            .order_by(BodyMetric.measured_on)
        ).all(),
        columns=["measured_on", "resting_hr", "max_hr"],
    )
    return dict(user._mapping), metrics


def insert_session(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(CardioSession).values(**row))


def replace_stream_owner(
    conn: Connection,
    *,
    workout_id: uuid.UUID,
    start: datetime,
    end: datetime,
    change_seq: int,
    source: str,
    import_job_id: uuid.UUID,
) -> None:
    """Make an existing workout take a richer recording of the same session.

    The workout now holds this import's data, so it belongs to this import: undoing
    it removes the session; the earlier, poorer recording is not kept.
    """
    conn.execute(delete(ActivitySample).where(ActivitySample.workout_id == workout_id))
    conn.execute(delete(CardioSession).where(CardioSession.workout_id == workout_id))
    conn.execute(
        update(Workout)
        .where(Workout.id == workout_id)
        .values(
            started_at=start,
            ended_at=end,
            change_seq=change_seq,
            source=source,
            import_job_id=import_job_id,
        )
    )


def copy_samples(
    conn: Connection, *, workout_id: uuid.UUID, user_id: uuid.UUID, samples: pd.DataFrame | None
) -> int:
    """COPY a sanitised stream into ``activity_samples``; NaN becomes NULL."""
    if samples is None or samples.empty:
        return 0
    raw = conn.connection.driver_connection
    assert raw is not None, "COPY needs a live psycopg connection"
    times = pd.to_datetime(samples["time"], utc=True).dt.to_pydatetime()
    values = samples[list(SAMPLE_COLUMNS[1:])].to_numpy(dtype=float)
    finite = np.isfinite(values)
    with raw.cursor() as cur:
        columns = ", ".join(_COPY_COLUMNS)
        with cur.copy(f"COPY activity_samples ({columns}) FROM STDIN") as copy:
            for i, moment in enumerate(times):
                row = [
                    None if not ok else float(v) for v, ok in zip(values[i], finite[i], strict=True)
                ]
                copy.write_row((workout_id, user_id, moment, *row))
    return len(times)
