"""Every dataset's SQL on the migrated database: it runs, with every filter, and each
column's PostgreSQL type is the one its Arrow type parses; ``ensure_pseudonyms`` gives
every user an HMAC pseudonym once per key period and starts a period per key."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from api.datasets.catalogue import DATASETS
from api.datasets.pseudonyms import ensure_pseudonyms, key_bytes
from api.datasets.query import parse_filters, select
from tests.support.committed import truncate_committed

# PostgreSQL type names (pg_type.typname) each Arrow type is read from
PG_TYPES = {
    pa.string(): {"text", "varchar", "uuid"},
    pa.dictionary(pa.int32(), pa.string()): {"text", "varchar"},
    pa.float64(): {"float8"},
    pa.int32(): {"int4", "int2"},
    pa.int64(): {"int8"},
    pa.bool_(): {"bool"},
    pa.date32(): {"date"},
    pa.timestamp("us", tz="UTC"): {"timestamptz"},
}


@pytest.fixture
def committed(sync_engine: Any) -> Iterator[Any]:
    yield sync_engine
    truncate_committed(sync_engine)


def add_users(engine: Any, count: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    with engine.begin() as conn:
        for user_id in ids:
            conn.execute(
                text("INSERT INTO users (id, email, password_hash) VALUES (:id, :e, 'x')"),
                {"id": user_id, "e": f"{user_id.hex}@example.com"},
            )
    return ids


@pytest.mark.parametrize("name", list(DATASETS))
def test_the_sql_runs_and_its_types_are_the_declared_ones(sync_engine, settings, name):
    dataset = DATASETS[name]
    filters = parse_filters(
        dataset,
        since="2024-01-01",
        until="2025-12-31",
        sample="0.5",
        run_id=str(uuid.uuid4()) if dataset.per_run else None,
    )
    raw = sync_engine.raw_connection()
    try:
        conn = raw.driver_connection
        for order in (False, True):
            sql, params, columns = select(
                dataset, filters, period=1, allow_notes=True, order_by_month=order
            )
            with conn.cursor() as cur:
                cur.execute(f"SELECT * FROM ({sql}) q LIMIT 0", params)
                described = [(d.name, d.type_code) for d in cur.description]
                names = {}
                for _, oid in described:
                    cur.execute("SELECT typname FROM pg_type WHERE oid = %s", (oid,))
                    names[oid] = cur.fetchone()[0]
            assert [n for n, _ in described] == [c.name for c in columns]
            for (column_name, oid), column in zip(described, columns, strict=True):
                assert names[oid] in PG_TYPES[column.type], (column_name, names[oid])
        conn.rollback()
    finally:
        raw.close()


def test_ensure_pseudonyms_gives_every_user_an_hmac_once(committed, settings):
    users = add_users(committed, 3)
    with committed.begin() as conn:
        period = ensure_pseudonyms(conn, settings)
    with committed.begin() as conn:
        assert ensure_pseudonyms(conn, settings) == period  # nothing missing: same period
        rows = conn.execute(
            text("SELECT user_id, pseudonym, bucket FROM user_pseudonyms WHERE period = :p"),
            {"p": period},
        ).all()
    key = key_bytes(settings)
    expected = {}
    for user_id in users:
        digest = hmac.new(key, user_id.bytes, hashlib.sha256).hexdigest()
        expected[user_id] = ("a" + digest[:24], int(digest[:13], 16) / 16**13)
    assert {r.user_id: (r.pseudonym, r.bucket) for r in rows} == expected


def test_a_new_key_starts_a_new_period_and_the_old_key_reactivates_its_own(committed, settings):
    (user,) = add_users(committed, 1)
    other = settings.model_copy(update={"pseudonym_key": SecretStr("another key " * 4)})
    with committed.begin() as conn:
        first = ensure_pseudonyms(conn, settings)
    with committed.begin() as conn:
        second = ensure_pseudonyms(conn, other)
    with committed.begin() as conn:
        again = ensure_pseudonyms(conn, settings)
        names = dict(
            conn.execute(
                text("SELECT period, pseudonym FROM user_pseudonyms WHERE user_id = :u"),
                {"u": user},
            ).all()
        )
        periods = conn.execute(text("SELECT count(*) FROM pseudonym_periods")).scalar_one()
    assert second != first and again == first
    assert periods == 2
    assert names[first] != names[second]


def test_a_bare_psycopg_connection_works_too(committed, settings):
    add_users(committed, 2)
    raw = committed.raw_connection()
    try:
        period = ensure_pseudonyms(raw.driver_connection, settings)
        raw.driver_connection.commit()
    finally:
        raw.close()
    with committed.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM user_pseudonyms WHERE period = :p"), {"p": period}
        ).scalar_one()
    assert count == 2


def test_many_new_pseudonyms_refresh_the_planners_statistics(committed, settings):
    ids = [uuid.uuid4() for _ in range(1000)]
    with committed.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, password_hash) SELECT u, u::text || '@example.com', "
                "'x' FROM unnest(CAST(:ids AS uuid[])) AS u"
            ),
            {"ids": ids},
        )
    with committed.begin() as conn:
        period = ensure_pseudonyms(conn, settings)
    with committed.connect() as conn:
        estimate = conn.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = 'user_pseudonyms'::regclass")
        ).scalar_one()
        stored = conn.execute(
            text("SELECT count(*) FROM user_pseudonyms WHERE period = :p"), {"p": period}
        ).scalar_one()
    assert stored == 1000
    assert estimate == 1000  # ANALYZE saw every row (the table is below its sample size)
