"""Migration 0013: the ``analytics`` views show athletes only by their current pseudonym,
and the per-database reader role reads them and nothing in ``public``."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import ProgrammingError

from api.datasets.catalogue import DATASETS
from api.datasets.pseudonyms import ensure_pseudonyms
from api.datasets.sql_role import role_name

VIEWS = (
    "workouts_v1",
    "sets_v1",
    "cardio_sessions_v1",
    "daily_load_v1",
    "exercise_progress_v1",
    "features_v1",
    "recommendation_feedback_v1",
)
FORBIDDEN_COLUMNS = {"user_id", "email", "title", "notes", "password_hash", "id"}
BENCH = uuid.UUID("dc80363f-9b8c-5b9f-b8ad-5eade7d10648")  # bench-press-barbell (seeded)
STARTED = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 2 March in Oslo: the local day counts


def pseudonym(key: bytes, user_id: uuid.UUID) -> str:
    """The spec's pseudonym, computed here independently of the application."""
    return "a" + hmac.new(key, user_id.bytes, hashlib.sha256).hexdigest()[:24]


def key_of(settings: Any) -> bytes:
    if settings.pseudonym_key is not None:
        return settings.pseudonym_key.get_secret_value().encode()
    return hmac.new(settings.secret_key.encode(), b"forma pseudonym key", hashlib.sha256).digest()


@pytest.fixture
def conn(sync_engine) -> Iterator[Connection]:
    """A connection whose transaction is rolled back (roles set with SET LOCAL go with it)."""
    with sync_engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


def _insert(conn: Connection, table: str, **values: Any) -> None:
    columns = ", ".join(values)
    params = ", ".join(f"CAST(:{k} AS jsonb)" if k == "sets" else f":{k}" for k in values)
    conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)


def _one_athlete_everywhere(conn: Connection, user: uuid.UUID) -> dict[str, Any]:
    """One row in every table a view reads; the ids that rows carry."""
    email = f"view-{user.hex[:8]}@example.com"
    _insert(conn, "users", id=user, email=email, password_hash="h", role="athlete")
    workout, set_id, run, rec = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    _insert(
        conn,
        "workouts",
        id=workout,
        user_id=user,
        started_at=STARTED,
        time_zone="Europe/Oslo",
        title="Secret title",
        notes="private note",
    )
    _insert(
        conn,
        "workout_sets",
        id=set_id,
        workout_id=workout,
        user_id=user,
        exercise_id=BENCH,
        position=0,
        weight_kg=100.0,
        reps=5,
        notes="a set note",
    )
    _insert(conn, "cardio_sessions", workout_id=workout, user_id=user, sport="run")
    day = date(2026, 3, 2)
    _insert(
        conn,
        "analytics_daily_load",
        user_id=user,
        day=day,
        position=0,
        sessions=1,
        duration_s=0,
        distance_m=0,
        volume_load_kg=500,
        load=1,
        ctl=1,
        atl=1,
        tsb=0,
        ewma_acute=1,
        ewma_chronic=1,
        acwr_high=False,
        acwr_low=False,
    )
    _insert(
        conn,
        "analytics_e1rm_daily",
        user_id=user,
        exercise_id=BENCH,
        day=day,
        e1rm_kg=116.7,
        weight_kg=100,
        reps=5,
        set_id=set_id,
        workout_id=workout,
    )
    _insert(conn, "model_runs", id=run, model_name="next_e1rm", requested_by="test")
    _insert(
        conn,
        "model_features",
        run_id=run,
        user_id=user,
        exercise_id=BENCH,
        as_of=STARTED,
        day=day,
        split="train",
        label_e1rm_kg=117,
        persistence_kg=116,
        trend_kg=118,
    )
    _insert(
        conn,
        "recommendations",
        id=rec,
        user_id=user,
        exercise_id=BENCH,
        batch_id=uuid.uuid4(),
        as_of=STARTED,
        data_seq=1,
        rank=0,
        rule="cold_start",
        unit="kg",
        sets="[]",
        explanation="rule",
    )
    _insert(conn, "recommendation_feedback", recommendation_id=rec, user_id=user, outcome="skipped")
    return {"email": email, "workout": workout, "set": set_id, "run": run}


def _period(conn: Connection, activated_at: str, user: uuid.UUID, name: str) -> None:
    """Another key period, activated at ``activated_at``, naming ``user`` ``name``."""
    period = conn.execute(
        text(
            "INSERT INTO pseudonym_periods (fingerprint, activated_at) "
            "VALUES (:f, CAST(:at AS timestamptz)) RETURNING id"
        ),
        {"f": uuid.uuid4().hex[:16], "at": activated_at},
    ).scalar_one()
    _insert(conn, "user_pseudonyms", period=period, user_id=user, pseudonym=name, bucket=0.5)


def _as_reader(conn: Connection) -> str:
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    role = role_name(database)
    conn.execute(text(f'SET LOCAL ROLE "{role}"'))
    return role


def test_the_reader_role_exists_per_database_and_is_nologin(conn):
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    row = conn.execute(
        text("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = :r"),
        {"r": f"{database}_analyst"},
    ).one()
    assert tuple(row) == (False, False)


OLD, FUTURE = "a" + "0" * 24, "a" + "f" * 24


def _athletes(conn: Connection, *names: str) -> dict[str, list[str]]:
    """Per view, the athletes of its rows named one of ``names`` (other tests' athletes,
    committed meanwhile, have other names)."""
    query = "SELECT athlete FROM analytics.{} WHERE athlete = ANY(:names)"
    return {
        view: list(conn.execute(text(query.format(view)), {"names": list(names)}).scalars())
        for view in VIEWS
    }


def test_every_view_names_athletes_by_their_current_pseudonym_only(conn, settings):
    user = uuid.uuid4()
    ids = _one_athlete_everywhere(conn, user)
    _period(conn, "2020-01-01", user, OLD)  # an older key period
    ensure_pseudonyms(conn, settings)  # the API's pseudonyms, in the configured key's period
    expected = pseudonym(key_of(settings), user)
    conn.execute(text("SAVEPOINT reader"))
    _as_reader(conn)
    secrets = {str(user), user.hex, ids["email"], "Secret title", "private note", "a set note"}
    for view in VIEWS:
        result = conn.execute(text(f"SELECT * FROM analytics.{view}"))
        columns = set(result.keys())
        assert "athlete" in columns and not columns & FORBIDDEN_COLUMNS, (view, columns)
        for row in result.mappings():  # no cell, whatever its column, gives the athlete away
            for value in row.values():
                assert not any(s in str(value) for s in secrets), (view, value)
    assert _athletes(conn, expected, OLD, FUTURE) == {view: [expected] for view in VIEWS}
    sets = (
        conn.execute(text("SELECT * FROM analytics.sets_v1 WHERE set_id = :s"), {"s": ids["set"]})
        .mappings()
        .one()
    )
    assert sets["athlete"] == expected
    assert (sets["set_id"], sets["workout_id"], sets["day"]) == (
        ids["set"],
        ids["workout"],
        date(2026, 3, 2),
    )
    assert (sets["exercise"], sets["weight_kg"], sets["reps"]) == ("Bench Press (Barbell)", 100, 5)
    features = conn.execute(
        text("SELECT run_id, split FROM analytics.features_v1 WHERE athlete = :a"),
        {"a": expected},
    ).one()
    assert tuple(features) == (ids["run"], "train")

    # a new key starts a new period: the views follow the period activated last
    conn.execute(text("ROLLBACK TO SAVEPOINT reader"))
    _period(conn, "2999-01-01", user, FUTURE)
    _as_reader(conn)
    assert _athletes(conn, expected, OLD, FUTURE) == {view: [FUTURE] for view in VIEWS}


def test_the_views_have_the_columns_of_the_api_datasets_without_notes(conn):
    for name, dataset in DATASETS.items():
        columns = conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'analytics' AND table_name = :v ORDER BY ordinal_position"
            ),
            {"v": f"{name}_v1"},
        ).scalars()
        assert list(columns) == [c.name for c in dataset.visible(allow_notes=False)], name


@pytest.mark.parametrize("table", ["users", "user_pseudonyms", "workouts", "pseudonym_periods"])
def test_the_reader_role_is_denied_every_public_table(conn, table):
    _as_reader(conn)
    assert conn.execute(text("SELECT count(*) FROM analytics.sets_v1")).scalar_one() >= 0
    with pytest.raises(ProgrammingError, match="permission denied"):
        with conn.begin_nested():
            conn.execute(text(f"SELECT 1 FROM public.{table} LIMIT 1"))


def test_the_reader_role_has_select_on_the_views_and_nothing_more(conn):
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    role = role_name(database)
    granted = conn.execute(
        text(
            "SELECT table_schema, table_name, privilege_type "
            "FROM information_schema.role_table_grants WHERE grantee = :r"
        ),
        {"r": role},
    ).all()
    assert sorted(granted) == sorted(("analytics", v, "SELECT") for v in VIEWS)
    _as_reader(conn)
    with pytest.raises(ProgrammingError, match="permission denied"):
        with conn.begin_nested():
            conn.execute(text("CREATE VIEW analytics.mine AS SELECT 1"))
