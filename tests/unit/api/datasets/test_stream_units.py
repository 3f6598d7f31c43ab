"""The export engine's pure parts: the slot cap, the CSV header and the SQL it wraps."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pytest

from api.datasets.encode import csv_header, neutralise, neutralised_select
from api.datasets.stream import EXPORT_RETRY_AFTER_S, MEDIA_TYPES, Column, ExportSlots
from api.errors import Overloaded


def test_slots_refuse_beyond_the_cap_with_retry_after() -> None:
    slots = ExportSlots(2)
    slots.take()
    slots.take()
    with pytest.raises(Overloaded) as refused:
        slots.take()
    assert refused.value.status_code == 503
    assert refused.value.code == "overloaded"
    assert refused.value.headers == {"Retry-After": str(EXPORT_RETRY_AFTER_S)}
    assert slots.in_flight == 2
    slots.give_back()
    slots.take()  # a slot given back is free again
    assert slots.in_flight == 2


def test_the_csv_header_names_the_columns_in_order_and_quotes_when_needed() -> None:
    columns = [Column("n", pa.int64()), Column("a,b", pa.string()), Column('say "x"', pa.bool_())]
    header = csv_header(columns)
    assert header.endswith(b"\n") and header.count(b"\n") == 1
    assert next(csv.reader(io.StringIO(header.decode()))) == ["n", "a,b", 'say "x"']


def test_only_string_columns_are_neutralised() -> None:
    columns = [
        Column("delta", pa.int32()),
        Column("weight", pa.float64()),
        Column("day", pa.date32()),
        Column("exercise", pa.dictionary(pa.int32(), pa.string())),
        Column("notes", pa.string(), text=True),
    ]
    wrapped = neutralised_select("SELECT 1", columns)
    assert wrapped.startswith('SELECT "delta", "weight", "day", ')
    assert f'{neutralise(chr(34) + "exercise" + chr(34))} AS "exercise"' in wrapped
    assert f'{neutralise(chr(34) + "notes" + chr(34))} AS "notes"' in wrapped
    assert "(SELECT 1) AS dataset OFFSET 0" in wrapped


def test_neutralise_tests_the_six_risky_first_characters() -> None:
    # = + - @ tab CR, by code point
    assert "IN (61, 43, 45, 64, 9, 13)" in neutralise("x")


def test_media_types() -> None:
    assert MEDIA_TYPES == {
        "parquet": "application/vnd.apache.parquet",
        "arrow": "application/vnd.apache.arrow.stream",
        "csv": "text/csv; charset=utf-8",
    }
