"""Cutting a month-ordered stream of batches into Parquet parts (one month each, at most
a part's rows), checked against counts made by hand."""

from __future__ import annotations

import io
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.tasks.datasets import PartWriter, month_runs

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def test_month_runs_are_the_runs_of_equal_months_nulls_last():
    months = pa.array([JAN, JAN, FEB, MAR, MAR, MAR, None, None], pa.date32())
    assert list(month_runs(months)) == [(JAN, 0, 2), (FEB, 2, 3), (MAR, 3, 6), (None, 6, 8)]
    assert list(month_runs(pa.array([], pa.date32()))) == []


def test_parts_hold_one_month_and_at_most_the_part_size():
    schema = pa.schema([("x", pa.int64()), ("kind", pa.dictionary(pa.int32(), pa.string()))])
    parts: list[tuple[date | None, int, list[int]]] = []

    def emit(month, rows, data):
        table = pq.read_table(io.BytesIO(data))
        assert table.schema.field("kind").type == schema.field("kind").type
        parts.append((month, rows, table.column("x").to_pylist()))

    writer = PartWriter(schema, emit, part_rows=3, row_group_rows=2)

    def batch(values):
        kinds = pa.array(["a"] * len(values)).dictionary_encode()
        return pa.RecordBatch.from_arrays([pa.array(values, pa.int64()), kinds], schema=schema)

    writer.add(JAN, batch([1, 2]))
    writer.add(JAN, batch([3, 4, 5, 6, 7]))  # January: 7 rows → 3 + 3 + 1
    writer.add(FEB, batch([8]))
    writer.add(FEB, batch([9, 10]))  # February: exactly one full part
    writer.add(MAR, batch([11]))
    writer.close_part()
    writer.close_part()  # nothing left: no empty part
    assert parts == [
        (JAN, 3, [1, 2, 3]),
        (JAN, 3, [4, 5, 6]),
        (JAN, 1, [7]),
        (FEB, 3, [8, 9, 10]),
        (MAR, 1, [11]),
    ]
