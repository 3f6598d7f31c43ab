"""Migration 0014 both ways on a database of its own: in the four analytics views with an
``exercise`` column, an athlete's own exercise is ``custom`` (its name is their free
text), the catalogue's keep their names; the downgrade brings the names back."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, text

from pipelines.migrate import downgrade, upgrade
from tests.integration.migrations.conftest import Scratch

BENCH = uuid.UUID("dc80363f-9b8c-5b9f-b8ad-5eade7d10648")  # bench-press-barbell (seeded)
VIEWS = ("sets_v1", "exercise_progress_v1", "features_v1", "recommendation_feedback_v1")
STARTED = datetime(2026, 3, 2, 7, tzinfo=UTC)
SECRET = "mail.me@example.com press"


def _insert(conn: Connection, table: str, **values: Any) -> None:
    columns = ", ".join(values)
    params = ", ".join(f"CAST(:{k} AS jsonb)" if k == "sets" else f":{k}" for k in values)
    conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)


def _rows_of_each_view(conn: Connection, user: uuid.UUID, own: uuid.UUID) -> None:
    """A row of the catalogue's bench and one of the athlete's own exercise in each view."""
    workout, run = uuid.uuid4(), uuid.uuid4()
    _insert(conn, "workouts", id=workout, user_id=user, started_at=STARTED, time_zone="UTC")
    _insert(conn, "model_runs", id=run, model_name="next_e1rm", requested_by="test")
    for position, exercise in enumerate((BENCH, own)):
        set_id, rec = uuid.uuid4(), uuid.uuid4()
        _insert(conn, "workout_sets", id=set_id, workout_id=workout, user_id=user,
                exercise_id=exercise, position=position, weight_kg=100.0, reps=5)  # fmt: skip
        _insert(conn, "analytics_e1rm_daily", user_id=user, exercise_id=exercise,
                day=date(2026, 3, 2), e1rm_kg=116.7, weight_kg=100, reps=5, set_id=set_id,
                workout_id=workout)  # fmt: skip
        _insert(conn, "model_features", run_id=run, user_id=user, exercise_id=exercise,
                as_of=STARTED, day=date(2026, 3, 2), split="train", label_e1rm_kg=117,
                persistence_kg=116, trend_kg=118)  # fmt: skip
        _insert(conn, "recommendations", id=rec, user_id=user, exercise_id=exercise,
                batch_id=uuid.uuid4(), as_of=STARTED, data_seq=1, rank=position,
                rule="cold_start", unit="kg", sets="[]", explanation="rule")  # fmt: skip
        _insert(conn, "recommendation_feedback", recommendation_id=rec, user_id=user,
                outcome="skipped")  # fmt: skip


def _names(conn: Connection) -> dict[str, list[str]]:
    return {
        view: sorted(conn.execute(text(f"SELECT exercise FROM analytics.{view}")).scalars().all())
        for view in VIEWS
    }


def test_own_exercises_are_custom_in_the_views_and_named_again_after_a_downgrade(
    scratch: Scratch,
) -> None:
    url, engine = scratch.url, scratch.engine
    upgrade(url, "0013")
    user, own, period = uuid.uuid4(), uuid.uuid4(), None
    with engine.begin() as conn:
        _insert(conn, "users", id=user, email="a@example.com", password_hash="h")
        _insert(conn, "exercises", id=own, user_id=user, name=SECRET, name_key="own",
                kind="strength")  # fmt: skip
        period = conn.execute(
            text("INSERT INTO pseudonym_periods (fingerprint) VALUES ('f') RETURNING id")
        ).scalar_one()
        _insert(conn, "user_pseudonyms", period=period, user_id=user, pseudonym="a1",
                bucket=0.5)  # fmt: skip
        _rows_of_each_view(conn, user, own)
    named = {view: ["Bench Press (Barbell)", SECRET] for view in VIEWS}
    with engine.connect() as conn:
        assert _names(conn) == named  # what 0013 showed
    engine.dispose()

    upgrade(url, "0014")
    with engine.connect() as conn:
        assert _names(conn) == {view: ["Bench Press (Barbell)", "custom"] for view in VIEWS}
        types = (
            conn.execute(
                text(
                    "SELECT DISTINCT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attname = 'exercise' AND attrelid = ANY(CAST(:v AS regclass[]))"
                ),
                {"v": [f"analytics.{v}" for v in VIEWS]},
            )
            .scalars()
            .all()
        )
    assert types == ["character varying(200)"]  # the columns' type is unchanged
    engine.dispose()

    downgrade(url, "0013")
    with engine.connect() as conn:
        assert _names(conn) == named
    engine.dispose()
    upgrade(url, "head")  # and up again: the downgrade left a view 0014 can rewrite
    with engine.connect() as conn:
        assert _names(conn) == {view: ["Bench Press (Barbell)", "custom"] for view in VIEWS}
