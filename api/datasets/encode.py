"""A dataset's rows as Parquet, Arrow IPC or CSV bytes, from one ``COPY … TO STDOUT``.

PostgreSQL writes the rows as CSV (its fastest output path); CSV goes out as it comes,
after a header line, and Parquet and Arrow are parsed from it by Arrow's CSV reader with
every column's type given, a block (:data:`BLOCK_BYTES` of whole rows) at a time.
Each block becomes one Parquet row group or one IPC record batch, written to a sink that
is emptied after every batch: memory holds one block and its encoding, whatever the row
count.

The connection must render dates and times as ``DateStyle=ISO`` (what Arrow parses) in
``TimeZone=UTC`` (so a ``timestamptz::date`` in the SELECT means the UTC day);
:func:`copy_chunks` sets both for its transaction when the session has others.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

Format = Literal["parquet", "arrow", "csv"]

MEDIA_TYPES: dict[str, str] = {
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.stream",
    "csv": "text/csv; charset=utf-8",
}
EXTENSIONS: dict[str, str] = {"parquet": "parquet", "arrow": "arrows", "csv": "csv"}

#: CSV bytes parsed into one record batch (one Parquet row group): ~100k rows of ``sets``.
#: Memory per export is a few of these (the block, its batch, the encoded row group).
BLOCK_BYTES = 8 * 1024 * 1024
#: COPY hands over one row at a time; rows are joined into chunks of about this size
CHUNK_BYTES = 1024 * 1024
PARQUET_COMPRESSION = "zstd"
#: first characters that make a spreadsheet run a cell as a formula
RISKY_FIRST = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One output column: its name, the Arrow type its CSV text is parsed into, and
    whether it is free text (CSV neutralises it, see :func:`neutralise`)."""

    name: str
    type: pa.DataType
    text: bool = False


def neutralise(sql_expr: str) -> str:
    """SQL that prefixes ``'`` to a text value a spreadsheet would run as a formula.

    A value starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return (OWASP's
    CSV-injection list) becomes ``'=…``; others, and NULL, are unchanged. The value is
    read as text (``::text``), so the result is text.
    """
    value = f"({sql_expr})::text"
    # ascii() is the first character's code: cheaper than a regular expression
    risky = ", ".join(str(ord(c)) for c in RISKY_FIRST)
    return f"CASE WHEN ascii({value}) IN ({risky}) THEN '''' || {value} ELSE {value} END"


def _is_string(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def neutralised_select(select_sql: str, columns: Sequence[Column]) -> str:
    """``select_sql`` wrapped so that its text columns are neutralised for CSV.

    Every string-typed column is checked, not only free text: an exercise's name is
    typed by a person too. Numbers and dates pass untouched; booleans are written
    ``true``/``false`` (PostgreSQL's own ``t``/``f`` is not read as a boolean by pandas
    or a spreadsheet, and a snapshot's CSV, written by Arrow, says ``true``/``false``).
    """
    outputs = []
    for column in columns:
        name = _quote(column.name)
        if column.text or _is_string(column.type):
            outputs.append(f"{neutralise(name)} AS {name}")
        elif pa.types.is_boolean(column.type):
            outputs.append(
                f"CASE WHEN {name} THEN 'true' WHEN NOT {name} THEN 'false' END AS {name}"
            )
        else:
            outputs.append(name)
    # OFFSET 0 keeps PostgreSQL from pulling the SELECT up into this one, which would
    # compute each of its expressions once per mention here (three times per cell).
    return (
        f"SELECT {', '.join(outputs)}"
        f" FROM (SELECT * FROM ({select_sql}) AS dataset OFFSET 0) AS exported"
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _utc_iso(conn: psycopg.Connection[Any]) -> None:
    """Make ``conn`` render dates as ISO in UTC, for its transaction when it is in one."""
    # libpq keeps both as reported parameters: checking costs no round trip
    status = conn.info.parameter_status
    date_style = status("DateStyle") or ""
    time_zone = status("TimeZone") or ""
    if date_style.startswith("ISO") and time_zone in ("UTC", "Etc/UTC"):
        return
    local = conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    conn.execute(
        "SELECT set_config('DateStyle', 'ISO', %(local)s),"
        " set_config('TimeZone', 'UTC', %(local)s)",
        {"local": local},
    )


def copy_chunks(
    conn: psycopg.Connection[Any],
    select_sql: str,
    params: Mapping[str, Any],
    *,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[bytes]:
    """The rows of ``select_sql`` as PostgreSQL's CSV (no header), in chunks of whole
    rows of about ``chunk_bytes``.

    ``select_sql`` takes psycopg ``%(name)s`` placeholders (a literal ``%`` is ``%%``),
    bound client-side from ``params``. NULL is an empty field, the empty string ``""``;
    booleans are ``t``/``f``. Closing the iterator early cancels the query.
    """
    _utc_iso(conn)
    statement = f"COPY ({select_sql}) TO STDOUT WITH (FORMAT csv, HEADER false)"
    with conn.cursor() as cur, cur.copy(statement, params) as copy:
        pending: list[bytes] = []
        size = 0
        for row in copy:
            pending.append(bytes(row))
            size += len(row)
            if size >= chunk_bytes:
                yield b"".join(pending)
                pending.clear()
                size = 0
        if pending:
            yield b"".join(pending)


def schema(columns: Sequence[Column]) -> pa.Schema:
    """The Arrow schema of ``columns``, in order."""
    return pa.schema([pa.field(c.name, c.type) for c in columns])


def record_batches(
    conn: psycopg.Connection[Any],
    select_sql: str,
    params: Mapping[str, Any],
    columns: Sequence[Column],
    *,
    block_size: int = BLOCK_BYTES,
) -> Iterator[pa.RecordBatch]:
    """The rows of ``select_sql`` as record batches of :func:`schema` ``(columns)``.

    ``columns`` name the SELECT's output columns in order. One batch per ``block_size``
    bytes of CSV (none for no rows). An empty unquoted field is NULL; a quoted empty
    string stays ``""``.
    """
    # COPY hands over whole rows, so each block is a complete CSV document that Arrow
    # parses on its own, here, from memory. (Arrow's streaming reader reads ahead on a
    # thread of its own: it would drive the COPY, and call into Python, from there.)
    options = _csv_options(columns)
    pending: list[bytes] = []
    size = 0
    rows = copy_chunks(conn, select_sql, params, chunk_bytes=min(block_size, CHUNK_BYTES))
    with closing(rows) as chunks:
        for chunk in chunks:
            pending.append(chunk)
            size += len(chunk)
            if size >= block_size:
                yield _parsed(pending, options)
                size = 0
        if pending:
            yield _parsed(pending, options)


def _csv_options(columns: Sequence[Column]) -> dict[str, Any]:
    return {
        "read_options": pa_csv.ReadOptions(
            column_names=[c.name for c in columns], autogenerate_column_names=False
        ),
        # Only text can hold a quoted newline; allowing one makes Arrow find the ends of
        # rows serially.
        "parse_options": pa_csv.ParseOptions(
            newlines_in_values=any(_is_string(c.type) for c in columns)
        ),
        "convert_options": pa_csv.ConvertOptions(
            column_types={c.name: c.type for c in columns},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    }


def _parsed(chunks: list[bytes], options: dict[str, Any]) -> pa.RecordBatch:
    """One block of whole CSV rows as one batch (one dictionary per column); empties
    ``chunks`` (the block is held once, not twice, while Arrow parses it)."""
    block = b"".join(chunks)
    chunks.clear()
    table = pa_csv.read_csv(pa.BufferReader(block), **options)
    del block
    return table.combine_chunks().to_batches()[0]


T = TypeVar("T")


def _prepend(first: T, rest: Iterator[T]) -> Iterator[T]:
    yield first
    yield from rest


class _Sink:
    """A writable file that keeps what it is given until :meth:`drain` takes it."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0
        self.closed = False

    def write(self, data: Any) -> int:
        chunk = bytes(data)  # Arrow may reuse the buffer it hands over
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def csv_header(columns: Sequence[Column]) -> bytes:
    """The CSV header line of ``columns`` (``\\n``-terminated, as COPY ends its rows)."""
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow([c.name for c in columns])
    return line.getvalue().encode()


def encode(
    fmt: Format,
    conn: psycopg.Connection[Any],
    select_sql: str,
    params: Mapping[str, Any],
    columns: Sequence[Column],
    *,
    block_size: int = BLOCK_BYTES,
) -> Iterator[bytes]:
    """The bytes of a whole ``fmt`` file of the rows of ``select_sql``, in chunks.

    CSV: a header line, then COPY's CSV with text cells neutralised
    (:func:`neutralised_select`). Parquet: one zstd row group per block of rows. Arrow:
    an IPC *stream* (a dictionary column may carry a new dictionary in each batch). No
    rows still give a complete file with the schema. Query errors raise before the
    first chunk of Parquet and Arrow (the first block is read first).
    """
    if fmt == "csv":
        yield csv_header(columns)
        with closing(copy_chunks(conn, neutralised_select(select_sql, columns), params)) as rows:
            yield from rows
        return
    if fmt not in ("parquet", "arrow"):
        raise ValueError(f"unknown format {fmt!r}")
    with closing(record_batches(conn, select_sql, params, columns, block_size=block_size)) as it:
        first = next(it, None)
        sink = _Sink()
        target = pa.PythonFile(sink, mode="w")
        writer: Any
        if fmt == "parquet":
            writer = pq.ParquetWriter(target, schema(columns), compression=PARQUET_COMPRESSION)
        else:
            writer = pa.ipc.new_stream(target, schema(columns))
        if first is not None:
            for batch in _prepend(first, it):
                if fmt == "parquet":
                    writer.write_batch(batch, row_group_size=max(1, batch.num_rows))
                else:
                    writer.write_batch(batch)
                yield sink.drain()
        writer.close()
        yield sink.drain()
