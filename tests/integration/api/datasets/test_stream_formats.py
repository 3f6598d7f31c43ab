"""Export encoding on a real PostgreSQL: every format gives back the rows psycopg reads.

A generated SELECT covers the awkward values (timestamps with microseconds, negative
floats, NULL booleans, text with commas, quotes, newlines, the empty string beside
NULL, unicode, low-cardinality text as dictionaries); each format's bytes are read back
with an independent reader and compared with the same rows fetched by psycopg.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from api.datasets.stream import Column, conninfo, encode, record_batches

NOTES = [
    "plain",
    "a,b",
    'say "hi"',
    "two\nlines",
    "",
    None,
    "=cmd",
    "+1",
    "-x",
    "@a",
    "\tA",
    "\rA",
    "ok",
    "ünï ✓ 🏋",
]
RISKY = ("=", "+", "-", "@", "\t", "\r")

SELECT = """
SELECT i AS n,
       timestamptz '2024-03-30 23:00:00+00' + i * interval '37 min 12.345678 s' AS at,
       date '2024-01-01' + i AS day,
       (i - 50) * 1.25::float8 / 3 AS value,
       i - 5 AS delta,
       CASE WHEN i %% 7 = 0 THEN NULL ELSE i %% 2 = 0 END AS flag,
       (ARRAY['squat', 'bench press', 'deadlift', NULL])[i %% 4 + 1] AS exercise,
       (%(notes)s::text[])[i %% %(k)s + 1] AS note
FROM generate_series(0, %(rows)s - 1) AS i
ORDER BY i
"""
COLUMNS = [
    Column("n", pa.int64()),
    Column("at", pa.timestamp("us", tz="UTC")),
    Column("day", pa.date32()),
    Column("value", pa.float64()),
    Column("delta", pa.int32()),
    Column("flag", pa.bool_()),
    Column("exercise", pa.dictionary(pa.int32(), pa.string())),
    Column("note", pa.string(), text=True),
]
PARAMS = {"notes": NOTES, "k": len(NOTES), "rows": 200}


@pytest.fixture
def conn(settings: Any) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(
        conninfo(settings), autocommit=True, options="-c TimeZone=UTC -c DateStyle=ISO"
    ) as connection:
        yield connection


def expected_rows(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> list[Any]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def body(fmt: Any, conn: psycopg.Connection[Any], sql: str = SELECT, **kw: Any) -> bytes:
    params = kw.pop("params", PARAMS)
    columns = kw.pop("columns", COLUMNS)
    return b"".join(encode(fmt, conn, sql, params, columns, **kw))


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def assert_rows_equal(got: list[tuple[Any, ...]], want: list[tuple[Any, ...]]) -> None:
    assert len(got) == len(want)
    for row_got, row_want in zip(got, want, strict=True):
        for cell_got, cell_want in zip(row_got, row_want, strict=True):
            assert same(cell_got, cell_want), (row_got, row_want)


def test_parquet_round_trip(conn: psycopg.Connection[Any]) -> None:
    table = pq.read_table(io.BytesIO(body("parquet", conn)))
    assert table.schema == pa.schema([(c.name, c.type) for c in COLUMNS])
    got = [tuple(r.values()) for r in table.to_pylist()]
    assert_rows_equal(got, expected_rows(conn, SELECT, PARAMS))
    # the timestamps are the instants, in UTC, to the microsecond
    at = table.column("at")[1].as_py()
    assert at == datetime.fromisoformat("2024-03-30 23:37:12.345678+00:00")
    # the empty string and NULL stay apart; text is not neutralised outside CSV
    notes = table.column("note").to_pylist()
    assert notes[4] == "" and notes[5] is None and notes[6] == "=cmd"
    frame = table.to_pandas()
    assert str(frame["exercise"].dtype) == "category"
    assert str(frame["at"].dtype) == "datetime64[us, UTC]"


def test_arrow_stream_round_trip(conn: psycopg.Connection[Any]) -> None:
    table = pa.ipc.open_stream(body("arrow", conn)).read_all()
    assert table.schema == pa.schema([(c.name, c.type) for c in COLUMNS])
    got = [tuple(r.values()) for r in table.to_pylist()]
    assert_rows_equal(got, expected_rows(conn, SELECT, PARAMS))


def _cell(text: str, kind: pa.DataType) -> Any:
    """A CSV field read back as the value psycopg gives (empty = NULL for non-text)."""
    if text == "":
        return None
    if pa.types.is_timestamp(kind):
        return datetime.fromisoformat(text)
    if pa.types.is_date(kind):
        return date.fromisoformat(text)
    if pa.types.is_floating(kind):
        return float(text)
    if pa.types.is_integer(kind):
        return int(text)
    if pa.types.is_boolean(kind):
        return {"true": True, "false": False}[text]
    return text


def test_csv_round_trip_with_neutralised_text(conn: psycopg.Connection[Any]) -> None:
    data = body("csv", conn)
    lines = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert lines[0] == [c.name for c in COLUMNS]
    want = expected_rows(conn, SELECT, PARAMS)
    assert len(lines) - 1 == len(want)
    for fields, row in zip(lines[1:], want, strict=True):
        for field, value, column in zip(fields, row, COLUMNS, strict=True):
            if pa.types.is_dictionary(column.type) or column.text:
                if value is None:
                    assert field == ""
                elif value.startswith(RISKY):
                    assert field == "'" + value
                else:
                    assert field == value
            else:
                assert same(_cell(field, column.type), value), (column.name, field, value)
    # the spreadsheet cells: every risky note has its quote, the rest are as stored
    notes = {line[0]: line[-1] for line in lines[1:15]}
    assert [notes[str(i)] for i in range(6, 13)] == [
        "'=cmd",
        "'+1",
        "'-x",
        "'@a",
        "'\tA",
        "'\rA",
        "ok",
    ]
    # NULL is an empty field, the empty string a quoted one
    raw = {line.split(b",")[0]: line for line in data.split(b"\n")}
    assert raw[b"4"].endswith(b',""') and raw[b"5"].endswith(b",")
    # booleans as pandas and spreadsheets read them, NULL empty (n = 0 and 7 are NULL)
    assert [line[5] for line in lines[1:10]] == [
        "",
        "false",
        "true",
        "false",
        "true",
        "false",
        "true",
        "",
        "true",
    ]
    # numbers are never touched: a negative stays negative
    assert lines[1][4] == "-5" and lines[1][3].startswith("-")


def test_no_rows_still_give_a_file_with_the_schema(conn: psycopg.Connection[Any]) -> None:
    empty = SELECT.replace("ORDER BY i", "LIMIT 0")
    table = pq.read_table(io.BytesIO(body("parquet", conn, empty)))
    assert table.num_rows == 0
    assert table.schema == pa.schema([(c.name, c.type) for c in COLUMNS])
    stream = pa.ipc.open_stream(body("arrow", conn, empty)).read_all()
    assert stream.num_rows == 0 and stream.schema == table.schema
    assert body("csv", conn, empty) == b"n,at,day,value,delta,flag,exercise,note\n"


LARGE = """
SELECT i AS n, i * 0.5::float8 AS half, 'group ' || (i / 20000) AS grp
FROM generate_series(1, %(rows)s) AS i ORDER BY i
"""
LARGE_COLUMNS = [
    Column("n", pa.int64()),
    Column("half", pa.float64()),
    Column("grp", pa.dictionary(pa.int32(), pa.string())),
]


def test_a_large_result_is_many_row_groups(conn: psycopg.Connection[Any]) -> None:
    rows = 300_000
    params = {"rows": rows}
    data = body("parquet", conn, LARGE, params=params, columns=LARGE_COLUMNS, block_size=256 * 1024)
    parquet = pq.ParquetFile(io.BytesIO(data))
    # ~22 bytes of CSV a row: ~8 MB in blocks of 256 KiB
    assert parquet.metadata.num_row_groups >= 20
    assert (
        max(parquet.metadata.row_group(g).num_rows for g in range(parquet.metadata.num_row_groups))
        < 20_000
    )
    table = parquet.read()
    assert table.num_rows == rows
    assert table.column("n").to_pylist() == list(range(1, rows + 1))
    assert sum(table.column("half").to_pylist()) == rows * (rows + 1) / 4
    assert table.column("grp")[rows - 1].as_py() == f"group {rows // 20000}"


def test_arrow_batches_each_carry_their_own_dictionary(conn: psycopg.Connection[Any]) -> None:
    rows = 100_000
    params = {"rows": rows}
    batches = list(record_batches(conn, LARGE, params, LARGE_COLUMNS, block_size=128 * 1024))
    assert len(batches) > 5
    first, last = batches[0].column("grp").dictionary, batches[-1].column("grp").dictionary
    assert first != last  # per-block dictionaries: the IPC stream replaces them
    data = body("arrow", conn, LARGE, params=params, columns=LARGE_COLUMNS, block_size=128 * 1024)
    frame = pa.ipc.open_stream(data).read_all().to_pandas()
    assert len(frame) == rows
    assert list(frame["grp"].iloc[[0, 19_998, 19_999, rows - 1]]) == [
        "group 0",
        "group 0",
        "group 1",
        f"group {rows // 20000}",
    ]
