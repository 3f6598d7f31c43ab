"""SQL of the model registry on the workers: versions (immutable), the champion and
challenger aliases, the append-only events, and what ``forma evaluate`` reads of
them (the latest version, the feedback on served prescriptions)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from pipelines.store.coaching import as_json


def exercise_names(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """Exercise id (text) → its name, for the ids given that exist."""
    rows = conn.execute(
        text("SELECT id::text, name FROM exercises WHERE id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": list(ids)},
    )
    return {r[0]: r[1] for r in rows}


def champion(conn: Connection, model_name: str) -> dict[str, Any] | None:
    """The champion's version row (``version``, ``artifact``, ``artifact_sha256``,
    ``metrics`` …) or None when the model has none."""
    row = conn.execute(
        text(
            "SELECT v.* FROM model_aliases a JOIN model_versions v "
            "ON v.model_name = a.model_name AND v.version = a.version "
            "WHERE a.model_name = :m AND a.alias = 'champion'"
        ),
        {"m": model_name},
    )
    found = row.mappings().first()
    return dict(found) if found else None


def metrics(conn: Connection, model_name: str, version: int) -> dict[str, Any]:
    """A version's metrics (see ``model_versions.metrics``)."""
    found = conn.execute(
        text("SELECT metrics FROM model_versions WHERE model_name = :m AND version = :v"),
        {"m": model_name, "v": version},
    ).scalar_one()
    return dict(found)


def latest_version(conn: Connection, model_name: str) -> dict[str, Any] | None:
    """The newest version row of the model (promoted or not), or None."""
    row = conn.execute(
        text("SELECT * FROM model_versions WHERE model_name = :m ORDER BY version DESC LIMIT 1"),
        {"m": model_name},
    )
    found = row.mappings().first()
    return dict(found) if found else None


_FEEDBACK = text(
    """
    SELECT f.outcome, count(*) AS answers, count(d.e1rm_kg) AS scored,
           avg(abs(r.predicted_e1rm_kg - d.e1rm_kg)) AS mae_kg,
           avg(CASE WHEN d.e1rm_kg BETWEEN r.interval_low_kg AND r.interval_high_kg
                    THEN 1.0 ELSE 0.0 END) FILTER (WHERE d.e1rm_kg IS NOT NULL) AS coverage
    FROM recommendation_feedback f
    JOIN recommendations r ON r.id = f.recommendation_id
    JOIN users u ON u.id = r.user_id
    LEFT JOIN LATERAL (
        SELECT e.e1rm_kg FROM analytics_e1rm_daily e
        WHERE e.user_id = r.user_id AND e.exercise_id = r.exercise_id
          AND e.day >= (r.as_of AT TIME ZONE u.time_zone)::date
        ORDER BY e.day LIMIT 1
    ) d ON r.model_name IS NOT NULL
    WHERE r.model_name = :m OR r.rule IS NOT NULL
    GROUP BY f.outcome ORDER BY f.outcome
    """
)


def feedback_summary(conn: Connection, model_name: str) -> list[dict[str, Any]]:
    """Per feedback outcome: answers, how many model prescriptions have a later session
    of the exercise (``scored``), that session's e1RM against the forecast (MAE, kg) and
    the share inside the interval. Rule answers count in ``answers`` only."""
    return [dict(r) for r in conn.execute(_FEEDBACK, {"m": model_name}).mappings()]


@dataclass(frozen=True, slots=True)
class NewVersion:
    """An immutable version as written (see ``model_versions``)."""

    model_name: str
    run_id: uuid.UUID | None
    trained_from: date | None
    trained_to: date | None
    cut: date | None
    snapshot: dict[str, Any]
    code_version: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    artifact: bytes
    artifact_sha256: str


def write_version(conn: Connection, new: NewVersion) -> int:
    """Write ``new`` as the model's next version number and return it.

    The number is the highest so far plus one; the primary key refuses a second writer
    of the same number (one active run per model makes that a bug, not a race).
    """
    # the model's versions are numbered under a lock on the name, never twice
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('model_versions:' || :m))"),
                 {"m": new.model_name})  # fmt: skip
    version = conn.execute(
        text("SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE model_name = :m"),
        {"m": new.model_name},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO model_versions (model_name, version, run_id, trained_from, trained_to, "
            "cut, snapshot, code_version, params, metrics, artifact, artifact_sha256) VALUES "
            "(:m, :v, :run, :tf, :tt, :cut, CAST(:snap AS jsonb), :code, "
            "CAST(:params AS jsonb), CAST(:metrics AS jsonb), :blob, :sha)"
        ),
        {
            "m": new.model_name,
            "v": version,
            "run": new.run_id,
            "tf": new.trained_from,
            "tt": new.trained_to,
            "cut": new.cut,
            "snap": as_json(new.snapshot),
            "code": new.code_version[:64],
            "params": as_json(new.params),
            "metrics": as_json(new.metrics),
            "blob": new.artifact,
            "sha": new.artifact_sha256,
        },
    )
    return int(version)


def add_event(
    conn: Connection,
    model_name: str,
    event: str,
    *,
    actor: str,
    version: int | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Append an event (trained, promoted, rejected, rolled_back, failed); returns its id."""
    return int(
        conn.execute(
            text(
                "INSERT INTO model_events (model_name, version, event, reason, actor, details) "
                "VALUES (:m, :v, :e, :r, :a, CAST(:d AS jsonb)) RETURNING id"
            ),
            {
                "m": model_name,
                "v": version,
                "e": event,
                "r": reason,
                "a": actor,
                "d": as_json(dict(details or {})),
            },
        ).scalar_one()
    )


def set_alias(conn: Connection, model_name: str, alias: str, version: int, by: str) -> int | None:
    """Point ``alias`` at ``version``; returns the version it pointed at before (None: new)."""
    previous = conn.execute(
        text("SELECT version FROM model_aliases WHERE model_name = :m AND alias = :a FOR UPDATE"),
        {"m": model_name, "a": alias},
    ).scalar_one_or_none()
    conn.execute(
        text(
            "INSERT INTO model_aliases (model_name, alias, version, updated_by) "
            "VALUES (:m, :a, :v, :by) ON CONFLICT (model_name, alias) DO UPDATE SET "
            "version = excluded.version, updated_by = excluded.updated_by, "
            "updated_at = clock_timestamp()"
        ),
        {"m": model_name, "a": alias, "v": version, "by": by},
    )
    return previous


def events(conn: Connection, model_name: str) -> list[dict[str, Any]]:
    """The model's events, oldest first (operators and tests)."""
    rows = conn.execute(
        text("SELECT * FROM model_events WHERE model_name = :m ORDER BY id"), {"m": model_name}
    )
    return [dict(r) for r in rows.mappings()]
