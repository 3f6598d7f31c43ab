"""SQL of batch scoring (:mod:`pipelines.tasks.scoring`): the athletes' units and change
numbers, the exercise catalogue, the champion's registry rows, and the batches written
to ``recommendations``.

The athletes' raw rows are read by :func:`pipelines.store.analytics.read_inputs`; the
rows written are built by :func:`api.recommendations.repository.score_rows`, the same
as the API's on-demand scoring stores.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection, insert, text

from api.recommendations.repository import SCORING_LOCK_SQL
from api.recommendations.tables import FEEDBACK_DAYS, Recommendation

#: the catalogue and these athletes' own exercises (a merged one is gone into another)
_EXERCISES = text("""
    SELECT id, name, kind, equipment, primary_muscles FROM exercises
    WHERE (user_id IS NULL OR user_id = ANY(CAST(:users AS uuid[]))) AND merged_into_id IS NULL
""")
_CHAMPION = text("""
    SELECT v.version, v.artifact_sha256 FROM model_aliases a
    JOIN model_versions v ON v.model_name = a.model_name AND v.version = a.version
    WHERE a.model_name = :name AND a.alias = 'champion'
""")
_ARTIFACT = text(
    "SELECT artifact FROM model_versions WHERE model_name = :name AND version = :version"
)
#: an athlete's rows of older batches nobody answered (answered ones stay for evaluation)
#: once a phone can no longer be holding their ids
_FORGET = text("""
    DELETE FROM recommendations r
    WHERE r.user_id = ANY(CAST(:users AS uuid[])) AND r.batch_id <> ALL(CAST(:keep AS uuid[]))
      AND NOT EXISTS (SELECT 1 FROM recommendation_feedback f WHERE f.recommendation_id = r.id)
      AND r.created_at < now() - make_interval(days => :days)
""")


_NEWEST_SEQ = text("""
    SELECT user_id, max(data_seq) FROM recommendations
    WHERE user_id = ANY(CAST(:users AS uuid[])) GROUP BY user_id
""")


def athletes(conn: Connection, user_ids: Sequence[uuid.UUID]) -> pd.DataFrame:
    """``user_id`` (str), ``unit_system`` (str or None), ``time_zone``, ``sync_seq`` (int)
    of each athlete.

    Read before their rows: a write landing after this read leaves their batch older
    than their data, which the API sees and rescores (never the other way round).
    """
    rows = conn.execute(
        text(
            "SELECT id, unit_system, time_zone, sync_seq FROM users "
            "WHERE id = ANY(CAST(:users AS uuid[]))"
        ),
        {"users": list(user_ids)},
    ).all()
    return pd.DataFrame(
        [(str(u), s, z, int(q)) for u, s, z, q in rows],
        columns=["user_id", "unit_system", "time_zone", "sync_seq"],
    )


def exercises(conn: Connection, user_ids: Sequence[uuid.UUID]) -> pd.DataFrame:
    """The catalogue and these athletes' own exercises: exercise_id (str), name, kind,
    equipment, primary_muscles (list[str])."""
    rows = conn.execute(_EXERCISES, {"users": list(user_ids)}).all()
    return pd.DataFrame(
        [(str(i), n, k, e, list(m or [])) for i, n, k, e, m in rows],
        columns=["exercise_id", "name", "kind", "equipment", "primary_muscles"],
    )


def champion(conn: Connection, model_name: str) -> tuple[int, str] | None:
    """The version and artifact sha256 of the model's champion, or None without one."""
    row = conn.execute(_CHAMPION, {"name": model_name}).first()
    return None if row is None else (int(row[0]), str(row[1]))


def artifact(conn: Connection, model_name: str, version: int) -> bytes:
    """The stored artifact bytes of one version."""
    return bytes(conn.execute(_ARTIFACT, {"name": model_name, "version": version}).scalar_one())


def lock_scoring(conn: Connection, user_ids: Sequence[uuid.UUID]) -> None:
    """Wait for these athletes' scoring locks (the API's on-demand scoring takes the same),
    in id order so that two lockers never wait on each other; held until commit."""
    lock = text(SCORING_LOCK_SQL)
    for user in sorted(str(u) for u in user_ids):
        conn.execute(lock, {"user": user})


def write_batches(
    conn: Connection,
    user_ids: Sequence[uuid.UUID],
    rows: Sequence[dict[str, Any]],
    data_seq: Mapping[str, int],
) -> int:
    """Replace these athletes' batches by ``rows`` (one batch id per athlete, scored from
    their data at ``data_seq``, str id → ``sync_seq``): insert the rows and delete each
    athlete's older rows that no feedback points at. An athlete without rows (no main
    exercise) keeps only their answered rows.

    An athlete whose stored batch was scored from newer data (the API scored them on
    demand while this shard ran) is left alone: their phone may hold those ids. Returns
    the rows written.
    """
    newer = {
        str(user)
        for user, seq in conn.execute(_NEWEST_SEQ, {"users": list(user_ids)})
        if seq > data_seq.get(str(user), seq)
    }
    mine = [row for row in rows if str(row["user_id"]) not in newer]
    keep = sorted({row["batch_id"] for row in mine})
    if mine:
        conn.execute(insert(Recommendation), mine)
    others = [u for u in user_ids if str(u) not in newer]
    conn.execute(_FORGET, {"users": others, "keep": keep, "days": FEEDBACK_DAYS})
    return len(mine)
