"""A snapshot's CSV cells: text that a spreadsheet would run gets a leading quote, in
plain and dictionary-encoded columns alike; numbers, booleans and other text untouched."""

from __future__ import annotations

import pyarrow as pa

from api.datasets.snapshot_data import csv_ready, csv_schema

RISKY = ["=SUM(A1)", "+41", "-x", "@a", "\tA", "\rA"]
SAFE = ["plain", "", None, "a=b", "ünï ✓"]


def test_risky_text_is_quoted_and_the_rest_left_alone() -> None:
    texts = RISKY + SAFE
    n = len(texts)
    batch = pa.RecordBatch.from_arrays(
        [
            pa.array(texts, pa.string()),
            pa.array(texts).dictionary_encode(),
            pa.array([-1.5] * n, pa.float64()),
            pa.array([True, False] * (n // 2) + [None] * (n % 2), pa.bool_()),
        ],
        names=["note", "exercise", "tsb", "flag"],
    )
    ready = csv_ready(batch, frozenset({"note", "exercise"}))
    by_hand = ["'=SUM(A1)", "'+41", "'-x", "'@a", "'\tA", "'\rA", *SAFE]
    assert ready.column(0).to_pylist() == by_hand
    assert ready.column(1).to_pylist() == by_hand  # the categorical, now plain text
    assert ready.column(2).to_pylist() == [-1.5] * n  # a negative number is not a formula
    assert ready.column(3).to_pylist() == batch.column(3).to_pylist()
    assert ready.schema == csv_schema(batch.schema)
    assert ready.schema.field("exercise").type == pa.string()
