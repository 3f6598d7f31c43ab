"""SQL for recommendations: the stored batches, the rows scoring reads, the champion's
registry rows, and feedback. Every read of a recommendation is filtered by its owner."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Result, delete, exists, func, insert, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.coaching.tables import ModelAlias, ModelVersion
from api.db import in_autocommit
from api.exercises.tables import Exercise
from api.recommendations.tables import FEEDBACK_DAYS, Recommendation, RecommendationFeedback
from api.workouts.tables import Workout, WorkoutSet
from models.analytics import Inputs
from models.analytics.balance import PRIMARY_SHARE, SECONDARY_SHARE
from models.vocabulary import local_time_sql

# The same rows as pipelines.store.analytics.read_inputs, for one athlete, every day
# (scoring reads the whole history: training age, breaks, the trends).
_LOCAL = local_time_sql("w.started_at", "w.time_zone")
_SETS = text(f"""
    SELECT w.user_id, s.workout_id, s.id AS set_id, s.exercise_id, e.kind AS exercise_kind,
           {_LOCAL}::date AS day, w.started_at AS performed_at, s.position, s.set_type,
           s.weight_kg, s.reps, s.rpe, s.rir, s.detected_reps, s.form_score, s.weight_unit
    FROM workout_sets s
    JOIN workouts w ON w.id = s.workout_id
    JOIN exercises e ON e.id = s.exercise_id
    WHERE w.user_id = :user AND w.deleted_at IS NULL
""")
_WORKOUTS = text(f"""
    SELECT w.user_id, w.id AS workout_id, {_LOCAL}::date AS day,
           COALESCE(GREATEST(EXTRACT(epoch FROM w.ended_at - w.started_at), 0), c.elapsed_s)
               AS duration_s,
           w.session_rpe, c.load AS cardio_load, c.load_method AS cardio_method,
           c.trimp AS cardio_trimp, c.distance_m
    FROM workouts w
    LEFT JOIN cardio_sessions c ON c.workout_id = w.id
    WHERE w.user_id = :user AND w.deleted_at IS NULL
""")
_MUSCLES = text(f"""
    SELECT id AS exercise_id, unnest(primary_muscles) AS muscle, {PRIMARY_SHARE} AS share
    FROM exercises WHERE id = ANY(:ids)
    UNION ALL
    SELECT id, unnest(secondary_muscles), {SECONDARY_SHARE} FROM exercises WHERE id = ANY(:ids)
""")
_BODY_MASS = text("""
    SELECT user_id, measured_on AS day, body_mass_kg FROM body_metrics
    WHERE user_id = :user AND body_mass_kg IS NOT NULL
""")
#: The catalogue and the athlete's own exercises, as ``score`` takes them.
_EXERCISES = text("""
    SELECT id AS exercise_id, name, kind, equipment, primary_muscles FROM exercises
    WHERE (user_id IS NULL OR user_id = :user) AND merged_into_id IS NULL
""")


#: The per-athlete scoring lock (transaction-scoped advisory; the batch scoring shard
#: takes the same key, see pipelines.store.scoring): one scoring of an athlete writes at
#: a time, so two cold requests store one batch, not two that delete each other's.
SCORING_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('recommendations:' || :user, 0))"


async def begin_writing(session: AsyncSession) -> None:
    """Make the rest of the request one transaction, committed by the session dependency.

    A GET's session runs each statement in autocommit (``api.db._connect``): scoring on
    demand writes a batch under a transaction-scoped lock, so the session gives its
    autocommit connection back and takes one in a transaction (READ COMMITTED) instead.
    A session already in a transaction (a write, the rolled-back test tier) stays as is.
    """
    if await in_autocommit(session):
        await session.commit()  # nothing to commit: it only releases the connection
        await session.connection(execution_options={"isolation_level": "READ COMMITTED"})


async def lock_scoring(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Wait for the athlete's scoring lock, held until this transaction ends."""
    await session.execute(text(SCORING_LOCK_SQL), {"user": str(user_id)})


def _frame(
    result: Result[Any],
    *,
    ids: Iterable[str] = (),
    days: Iterable[str] = (),
    moments: Iterable[str] = (),
    numbers: Iterable[str] = (),
) -> pd.DataFrame:
    """A result as a frame typed as the workers' COPY reads are: ids as ``str``, local days
    ``datetime64[ns]``, instants UTC, numbers ``float64`` (NULL → NaN)."""
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for column in ids:
        frame[column] = frame[column].map(str).astype(object)
    for column in days:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    for column in moments:
        frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[ns, UTC]")
    for column in numbers:
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame


async def read_inputs(session: AsyncSession, user_id: uuid.UUID) -> Inputs:
    """The athlete's live sets and workouts (all of them), body mass and the muscle groups
    of the exercises they used: the columns of ``pipelines.store.analytics.read_inputs``."""
    params = {"user": user_id}
    sets = _frame(
        await session.execute(_SETS, params),
        ids=("user_id", "workout_id", "set_id", "exercise_id"),
        days=("day",),
        moments=("performed_at",),
        numbers=("weight_kg", "reps", "rpe", "rir", "detected_reps", "form_score"),
    )
    sets["position"] = sets["position"].astype("int64")
    workouts = _frame(
        await session.execute(_WORKOUTS, params),
        ids=("user_id", "workout_id"),
        days=("day",),
        numbers=("duration_s", "session_rpe", "cardio_load", "cardio_trimp", "distance_m"),
    )
    used = [uuid.UUID(x) for x in pd.unique(sets["exercise_id"])]
    muscles = _frame(
        await session.execute(_MUSCLES, {"ids": used}), ids=("exercise_id",), numbers=("share",)
    )
    body_mass = _frame(
        await session.execute(_BODY_MASS, params),
        ids=("user_id",),
        days=("day",),
        numbers=("body_mass_kg",),
    )
    return Inputs(sets=sets, workouts=workouts, muscles=muscles, body_mass=body_mass)


async def exercises(session: AsyncSession, user_id: uuid.UUID) -> pd.DataFrame:
    """The catalogue and the athlete's own exercises: exercise_id (str), name, kind,
    equipment, primary_muscles (list[str])."""
    frame = _frame(await session.execute(_EXERCISES, {"user": user_id}), ids=("exercise_id",))
    frame["primary_muscles"] = frame["primary_muscles"].map(list)
    return frame


async def exercise_visible(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_id: uuid.UUID
) -> bool:
    """True when the exercise is in the catalogue or is one of the athlete's own (and not
    merged into another: its sets moved there)."""
    stmt = select(
        exists().where(
            Exercise.id == exercise_id,
            (Exercise.user_id.is_(None)) | (Exercise.user_id == user_id),
            Exercise.merged_into_id.is_(None),
        )
    )
    return bool((await session.execute(stmt)).scalar())


async def lifts_anything(session: AsyncSession, *, user_id: uuid.UUID) -> bool:
    """True when the athlete has a counted set of a ``strength`` exercise in a workout
    not deleted: without one there is no main exercise to score."""
    stmt = select(
        exists().where(
            WorkoutSet.user_id == user_id,
            WorkoutSet.set_type != "warmup",
            WorkoutSet.exercise_id == Exercise.id,
            Exercise.kind == "strength",
            WorkoutSet.workout_id == Workout.id,
            Workout.deleted_at.is_(None),
        )
    )
    return bool((await session.execute(stmt)).scalar())


def _served():  # noqa: ANN202 - a select of the served columns
    return select(Recommendation, Exercise.name.label("exercise_name")).join(
        Exercise, Exercise.id == Recommendation.exercise_id
    )


async def newest_batch(
    session: AsyncSession, *, user_id: uuid.UUID, exercise_id: uuid.UUID | None = None
) -> tuple[uuid.UUID, int, list[tuple[Recommendation, str]]] | None:
    """The athlete's newest batch: its id, its ``data_seq`` and its rows with their
    exercise's name, by rank (only ``exercise_id``'s row when given; the list may then be
    empty). None when the athlete has no stored batch."""
    newest = (
        select(Recommendation.batch_id, Recommendation.data_seq)
        .where(Recommendation.user_id == user_id)
        .order_by(Recommendation.created_at.desc())
        .limit(1)
    )
    head = (await session.execute(newest)).first()
    if head is None:
        return None
    batch_id, data_seq = head
    stmt = _served().where(Recommendation.user_id == user_id, Recommendation.batch_id == batch_id)
    if exercise_id is not None:
        stmt = stmt.where(Recommendation.exercise_id == exercise_id)
    rows = (await session.execute(stmt.order_by(Recommendation.rank))).all()
    return batch_id, data_seq, [(r[0], r[1]) for r in rows]


async def insert_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert recommendation rows (each a dict of the table's columns, ``id`` included)."""
    if rows:
        await session.execute(insert(Recommendation), list(rows))


async def forget_older(session: AsyncSession, *, user_id: uuid.UUID, keep: uuid.UUID) -> int:
    """Delete the athlete's rows of batches other than ``keep`` that no feedback points at
    (those stay for the evaluation) and are older than :data:`FEEDBACK_DAYS` (a phone may
    still answer them). Returns the number deleted."""
    answered = exists().where(RecommendationFeedback.recommendation_id == Recommendation.id)
    stmt = delete(Recommendation).where(
        Recommendation.user_id == user_id,
        Recommendation.batch_id != keep,
        ~answered,
        Recommendation.created_at < func.now() - timedelta(days=FEEDBACK_DAYS),
    )
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def owned(session: AsyncSession, *, user_id: uuid.UUID, recommendation_id: uuid.UUID) -> bool:
    """True when the recommendation exists and is the athlete's."""
    stmt = select(
        exists().where(Recommendation.id == recommendation_id, Recommendation.user_id == user_id)
    )
    return bool((await session.execute(stmt)).scalar())


async def upsert_feedback(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    recommendation_id: uuid.UUID,
    outcome: str,
    sets: list[dict[str, Any]] | None,
) -> tuple[RecommendationFeedback, bool]:
    """Store the athlete's answer, replacing an earlier one; True when it is the first.

    One ``INSERT … ON CONFLICT DO UPDATE``: two concurrent answers leave one row.
    ``xmax = 0`` holds only for a row this statement inserted.
    """
    new = pg_insert(RecommendationFeedback).values(
        recommendation_id=recommendation_id, user_id=user_id, outcome=outcome, sets=sets
    )
    stmt: Any = new.on_conflict_do_update(
        index_elements=[RecommendationFeedback.recommendation_id],
        set_={"outcome": new.excluded.outcome, "sets": new.excluded.sets, "updated_at": func.now()},
    ).returning(RecommendationFeedback, literal_column("xmax = 0"))
    result = await session.execute(stmt, execution_options={"populate_existing": True})
    row, inserted = result.one()
    return row, bool(inserted)


async def champion(session: AsyncSession, model_name: str) -> tuple[int, str] | None:
    """The version and artifact sha256 of the model's champion, or None without one."""
    stmt = (
        select(ModelVersion.version, ModelVersion.artifact_sha256)
        .join(
            ModelAlias,
            (ModelAlias.model_name == ModelVersion.model_name)
            & (ModelAlias.version == ModelVersion.version),
        )
        .where(ModelAlias.model_name == model_name, ModelAlias.alias == "champion")
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (int(row[0]), str(row[1]))


async def artifact(session: AsyncSession, model_name: str, version: int) -> bytes:
    """The stored artifact bytes of one version."""
    stmt = select(ModelVersion.artifact).where(
        ModelVersion.model_name == model_name, ModelVersion.version == version
    )
    return bytes((await session.execute(stmt)).scalar_one())


def _number(value: Any) -> float | None:
    """A finite float, or None for NaN/None/NA."""
    if value is None or pd.isna(value):
        return None
    return float(value)


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _sets(sets: Any) -> list[dict[str, Any]]:
    """``score``'s sets as plain JSON values (numpy scalars and NaN made Python's)."""
    return [
        {
            "weight_kg": _number(s.get("weight_kg")),
            "weight": _number(s.get("weight")),
            "unit": str(s["unit"]),
            "reps": int(s["reps"]),
            "target_rpe": float(s["target_rpe"]),
        }
        for s in sets
    ]


def score_rows(
    frame: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    batch_id: uuid.UUID | dict[str, uuid.UUID],
    data_seq: dict[str, int],
) -> list[dict[str, Any]]:
    """The ``recommendations`` rows of ``models.coaching.scoring.score``'s frame (scored at
    ``as_of``, UTC), one per row, each with a fresh id; ``batch_id`` one for all or per
    athlete (str id → id), ``data_seq`` per athlete (str id → ``users.sync_seq``)."""
    scored_at = as_of.to_pydatetime()
    rows: list[dict[str, Any]] = []
    for record in frame.to_dict("records"):
        user = str(record["user_id"])
        model_name = _text(record.get("model_name"))
        rows.append(
            {
                "id": uuid.uuid4(),
                "user_id": uuid.UUID(user),
                "exercise_id": uuid.UUID(str(record["exercise_id"])),
                "batch_id": batch_id[user] if isinstance(batch_id, dict) else batch_id,
                "as_of": scored_at,
                "data_seq": int(data_seq[user]),
                "rank": int(record["rank"]),
                "model_name": model_name,
                "model_version": None if model_name is None else int(record["model_version"]),
                "rule": None if model_name is not None else _text(record.get("rule")),
                "predicted_e1rm_kg": _number(record.get("predicted_e1rm_kg")),
                "interval_low_kg": _number(record.get("interval_low_kg")),
                "interval_high_kg": _number(record.get("interval_high_kg")),
                "unit": str(record["unit"]),
                "sets": _sets(record["sets"]),
                "explanation": str(record["explanation"]),
            }
        )
    return rows
