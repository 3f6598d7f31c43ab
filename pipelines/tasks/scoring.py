"""Batch scoring: ``coaching.score_all`` fanning out ``coaching.score_shard`` over the
analytics rebuild's athlete shards. Each shard scores its athletes with the champion
(by rule without one) and writes one batch per athlete to ``recommendations``; the API
serves a batch while the athlete's ``users.sync_seq`` still equals its ``data_seq``.
The SQL is in :mod:`pipelines.store.scoring`.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import pandas as pd
from sqlalchemy import Connection

from api.config import get_settings
from api.recommendations.repository import score_rows
from models.coaching import artifact
from models.coaching.estimator import Coach
from models.coaching.scoring import score
from pipelines.celery_app import app, publish
from pipelines.db import transaction
from pipelines.store import analytics as analytics_store
from pipelines.store import scoring as store

logger = logging.getLogger("forma.coaching")

#: The model batch scoring serves.
MODEL_NAME = "next_e1rm"
#: Scoring reads each athlete's whole history (training age, breaks, trends).
_EVERYTHING = date(1900, 1, 1)


@dataclass(slots=True)
class Outcome:
    """What one shard did."""

    users: int = 0
    sets: int = 0
    rows_written: int = 0
    model: tuple[str, int] | None = None
    seconds: float = 0.0


@lru_cache(maxsize=2)
def _loaded(model_name: str, version: int, sha256: str) -> Coach | None:
    """The deserialised artifact, once per worker process and (name, version, sha256);
    None when the loader refuses it (logged: its athletes are scored by rule)."""
    with transaction() as conn:
        blob = store.artifact(conn, model_name, version)
    try:
        return artifact.loads(blob, sha256)
    except artifact.ArtifactRefused as exc:
        logger.error(
            "champion %s v%d refused (%s): scoring by rule until another is promoted",
            model_name, version, exc,
        )  # fmt: skip
        return None


def champion(
    conn: Connection, model_name: str = MODEL_NAME
) -> tuple[Coach, tuple[str, int]] | None:
    """The champion's coach and ``(name, version)``, or None (none, or refused)."""
    ref = store.champion(conn, model_name)
    if ref is None:
        return None
    coach = _loaded(model_name, *ref)
    return None if coach is None else (coach, (model_name, ref[0]))


def score_users(user_ids: list[uuid.UUID]) -> Outcome:
    """Score these athletes and replace their batches, in one transaction."""
    ids = sorted(set(user_ids))
    if not ids:
        return Outcome()
    started = time.perf_counter()
    with transaction() as conn:
        # their change numbers first, then their rows: see store.athletes
        athletes = store.athletes(conn, ids)
        inputs = analytics_store.read_inputs(conn, ids, _EVERYTHING)
        catalogue = store.exercises(conn, ids)
        loaded = champion(conn)
        coach, model = (None, None) if loaded is None else loaded
        as_of = pd.Timestamp.now(tz="UTC")
        frame = score(
            coach,
            model,
            inputs,
            catalogue,
            athletes[["user_id", "unit_system", "time_zone"]],
            as_of,
        )
        batches = {u: uuid.uuid4() for u in athletes["user_id"]}
        seqs = dict(zip(athletes["user_id"], athletes["sync_seq"], strict=True))
        rows = score_rows(frame, as_of=as_of, batch_id=batches, data_seq=seqs)
        # locked only to write: the API's on-demand scoring of one of them waits a write,
        # not a shard's scoring; a batch it stored meanwhile from newer data stays
        store.lock_scoring(conn, ids)
        written = store.write_batches(conn, ids, rows, seqs)
    return Outcome(
        users=len(ids),
        sets=len(inputs.sets),
        rows_written=written,
        model=model,
        seconds=time.perf_counter() - started,
    )


def score_all(shard_size: int | None = None) -> int:
    """Fan batch scoring out over the workers: one ``coaching.score_shard`` per shard of
    athletes (the analytics rebuild's shard size). Returns the number of shards sent."""
    size = shard_size or get_settings().rebuild_shard_size
    with transaction() as conn:
        ids = analytics_store.user_ids(conn)
    shards = [ids[i : i + size] for i in range(0, len(ids), size)]
    for shard in shards:
        publish("coaching.score_shard", [str(u) for u in shard])
    logger.info("score all: %d athletes in %d shards", len(ids), len(shards))
    return len(shards)


@app.task(name="coaching.score_shard")
def score_shard_task(user_ids: list[str]) -> dict[str, int]:
    """Celery entry point: score one shard of athletes."""
    outcome = score_users([uuid.UUID(u) for u in user_ids])
    logger.info(
        "score shard: %d athletes, %d sets, %d rows by %s in %.2f s",
        outcome.users, outcome.sets, outcome.rows_written,
        "rules" if outcome.model is None else f"{outcome.model[0]} v{outcome.model[1]}",
        outcome.seconds,
    )  # fmt: skip
    return {"users": outcome.users, "sets": outcome.sets, "rows_written": outcome.rows_written}


@app.task(name="coaching.score_all")
def score_all_task() -> int:
    """Celery entry point: after a promotion or rollback, and nightly after training."""
    return score_all()
