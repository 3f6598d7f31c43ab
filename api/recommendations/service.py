"""Rules for serving prescriptions: the stored batch while it is current, else score now.

An athlete's newest batch (``recommendations``, one ``batch_id``) is served while its
``data_seq`` equals the athlete's ``users.sync_seq``: nothing they trained has changed
since it was scored. Otherwise (no batch yet, a phone just synced, an import finished)
the athlete is scored on demand, by the champion or by rule, and the result is stored
as their new batch, so the next request reads it and feedback can point at its ids.

Ranks 0–7 are the athlete's main exercises (kind strength, trained in the last 8 weeks,
most trained first, as ``models.coaching.scoring.score`` picks them); an exercise asked
for by id outside them is scored alone and stored in the current batch with rank
:data:`ASKED_RANK`, so the list never shows it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from api.errors import NotFound
from api.recommendations import repository
from api.recommendations.champion import Champions
from api.recommendations.schemas import (
    Changed,
    FeedbackCreate,
    FeedbackRead,
    ModelRef,
    PrescribedSet,
    RecommendationList,
    RecommendationRead,
)
from api.recommendations.tables import Recommendation
from api.users.tables import User
from models.coaching.scoring import score

#: At most this many main exercises are listed (ranks 0 … MAIN_LIMIT − 1).
MAIN_LIMIT = 8
#: The rank of an exercise scored because it was asked for by id, outside the main ones.
ASKED_RANK = MAIN_LIMIT


def _read(row: dict[str, Any], exercise_name: str) -> RecommendationRead:
    """The API's shape of one stored row (a dict of the table's columns)."""
    low, high = row["interval_low_kg"], row["interval_high_kg"]
    model = (
        ModelRef(name=row["model_name"], version=row["model_version"])
        if row["model_name"] is not None
        else None
    )
    return RecommendationRead(
        id=row["id"],
        exercise_id=row["exercise_id"],
        exercise_name=exercise_name,
        predicted_e1rm_kg=row["predicted_e1rm_kg"],
        interval_kg=(low, high) if low is not None and high is not None else None,
        sets=[PrescribedSet.model_validate(s) for s in row["sets"]],
        model=model,
        rule=row["rule"],
        explanation=row["explanation"],
        as_of=row["as_of"],
    )


def _columns(row: Recommendation) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in Recommendation.__table__.columns}


async def _score(
    session: AsyncSession, user: User, champions: Champions, only: list[str] | None
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Score the athlete now (``only``: these exercise ids, else their main ones) with the
    champion, or by rule without one; the frame of ``models.coaching.scoring.score``."""
    inputs = await repository.read_inputs(session, user.id)
    catalogue = await repository.exercises(session, user.id)
    users = pd.DataFrame(
        {
            "user_id": [str(user.id)],
            "unit_system": [user.unit_system],
            "time_zone": [user.time_zone],
        }
    )
    champion = await champions.current(session)
    coach, model = (None, None) if champion is None else (champion.coach, champion.model)
    as_of = pd.Timestamp.now(tz="UTC")
    # pandas and the estimator hold the GIL for milliseconds: off the event loop
    frame = await run_in_threadpool(score, coach, model, inputs, catalogue, users, as_of, only)
    return frame, as_of


async def _store(
    session: AsyncSession,
    scored: tuple[pd.DataFrame, pd.Timestamp],
    *,
    user: User,
    batch_id: uuid.UUID,
    data_seq: int,
    rank: int | None = None,
) -> list[tuple[dict[str, Any], str]]:
    """Insert the scored rows under ``batch_id`` (every row at ``rank`` when given); the
    rows as stored, each with its exercise's name."""
    frame, as_of = scored
    rows = repository.score_rows(
        frame, as_of=as_of, batch_id=batch_id, data_seq={str(user.id): data_seq}
    )
    if rank is not None:
        for row in rows:
            row["rank"] = rank
    await repository.insert_rows(session, rows)
    names = [str(n) for n in frame["exercise_name"]]
    return list(zip(rows, names, strict=True))


def _current(
    batch: tuple[uuid.UUID, int, list[tuple[Recommendation, str]]] | None, user: User
) -> bool:
    """True when the stored batch was scored from the athlete's data as it is now."""
    return batch is not None and batch[1] == user.sync_seq


async def _lock(session: AsyncSession, user: User) -> None:
    """Turn the request into one transaction holding the athlete's scoring lock until
    commit: a concurrent request that scored them first (from the same data) has stored
    its batch by the time this one holds the lock, and is served instead."""
    await repository.begin_writing(session)
    await repository.lock_scoring(session, user.id)


async def _rescore(
    session: AsyncSession, user: User, champions: Champions
) -> tuple[uuid.UUID, list[tuple[dict[str, Any], str]]]:
    """Score the athlete's main exercises into a new batch, dropping older unanswered
    rows; the batch id and its rows by rank. Called under :func:`_lock`.

    ``user.sync_seq`` was read when the request began, before the rows scored here: a
    write landing meanwhile leaves the batch older than the data, which the next request
    sees and rescores (never the other way round).
    """
    scored = await _score(session, user, champions, None)
    batch_id = uuid.uuid4()
    stored = await _store(session, scored, user=user, batch_id=batch_id, data_seq=user.sync_seq)
    await repository.forget_older(session, user_id=user.id, keep=batch_id)
    return batch_id, sorted(stored, key=lambda pair: pair[0]["rank"])


def _stored(batch: tuple[uuid.UUID, int, list[tuple[Recommendation, str]]]) -> list[Any]:
    return [(_columns(r), name) for r, name in batch[2]]


async def list_recommendations(
    session: AsyncSession, *, user: User, champions: Champions
) -> RecommendationList:
    """The athlete's main exercises' prescriptions (at most :data:`MAIN_LIMIT`)."""
    batch = await repository.newest_batch(session, user_id=user.id)
    if not _current(batch, user) and not await repository.lifts_anything(session, user_id=user.id):
        # nothing stored can say "no main exercise": one indexed query instead of
        # reading and scoring the athlete's rows on every request
        return RecommendationList(items=[])
    if not _current(batch, user):
        await _lock(session, user)
        batch = await repository.newest_batch(session, user_id=user.id)
    if batch is not None and _current(batch, user):
        rows = _stored(batch)
    else:
        _, rows = await _rescore(session, user, champions)
    main = [pair for pair in rows if pair[0]["rank"] < MAIN_LIMIT][:MAIN_LIMIT]
    return RecommendationList(items=[_read(row, name) for row, name in main])


async def for_exercise(
    session: AsyncSession, *, user: User, exercise_id: uuid.UUID, champions: Champions
) -> RecommendationRead:
    """The prescription of one exercise; 404 when the exercise is neither in the catalogue
    nor the athlete's own. An exercise the athlete never did gets a rule's answer."""
    if not await repository.exercise_visible(session, user_id=user.id, exercise_id=exercise_id):
        raise NotFound("exercise not found")
    batch = await repository.newest_batch(session, user_id=user.id, exercise_id=exercise_id)
    if batch is not None and _current(batch, user) and batch[2]:
        return _read(*_stored(batch)[0])
    await _lock(session, user)
    batch = await repository.newest_batch(session, user_id=user.id, exercise_id=exercise_id)
    if batch is not None and _current(batch, user):
        if batch[2]:
            return _read(*_stored(batch)[0])
        batch_id = batch[0]
    else:
        batch_id, rows = await _rescore(session, user, champions)
        for row, name in rows:
            if row["exercise_id"] == exercise_id:
                return _read(row, name)
    # not among the main exercises: scored alone, kept in the current batch
    scored = await _score(session, user, champions, [str(exercise_id)])
    stored = await _store(
        session, scored, user=user, batch_id=batch_id, data_seq=user.sync_seq, rank=ASKED_RANK
    )
    for row, name in stored:
        if row["exercise_id"] == exercise_id:
            return _read(row, name)
    raise RuntimeError(f"score() gave no row for the exercise asked for ({exercise_id})")


async def record_feedback(
    session: AsyncSession, *, user: User, recommendation_id: uuid.UUID, data: FeedbackCreate
) -> tuple[FeedbackRead, bool]:
    """Store what the athlete did with one of their prescriptions (replacing an earlier
    answer); True when it is the first answer. 404 for anyone else's id."""
    if not await repository.owned(session, user_id=user.id, recommendation_id=recommendation_id):
        raise NotFound("recommendation not found")
    sets = [s.model_dump() for s in data.sets] if isinstance(data, Changed) else None
    row, created = await repository.upsert_feedback(
        session,
        user_id=user.id,
        recommendation_id=recommendation_id,
        outcome=data.outcome,
        sets=sets,
    )
    return FeedbackRead.model_validate(row), created
