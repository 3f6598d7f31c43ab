"""A snapshot's frozen rows as one Parquet, Arrow IPC or CSV stream.

The stored parts are complete Parquet files; they are read back one at a time, a row
group at a time, and re-encoded into one response, so memory holds one part's
compressed bytes and one batch whatever the snapshot's size. The response is a sync
generator Starlette runs on its thread pool; the parts come over a psycopg connection of
its own, closed with the generator (when the stream ends or the client goes).

CSV: text cells a spreadsheet would execute (starting with ``= + - @``, tab or carriage
return) get a leading ``'`` in text columns only (every string column, as in the live
export); numbers are never touched.
"""

from __future__ import annotations

import io
import itertools
import uuid
from collections.abc import Iterator, Sequence
from typing import Literal, Protocol

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

Format = Literal["parquet", "arrow", "csv"]


class Slots(Protocol):
    """The export slots of the process (:class:`api.datasets.stream.ExportSlots`)."""

    def give_back(self) -> None: ...


#: the cells a spreadsheet reads as a formula (OWASP "CSV injection")
_FORMULA = r"^[=+\-@\t\r]"


class _Chunks(io.RawIOBase):
    """A write-only file collecting what a writer writes, drained after each batch."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def neutralise(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text cells that start like a formula, with a leading ``'``; others unchanged."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    risky = pc.match_substring_regex(column, _FORMULA)
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)


def csv_ready(batch: pa.RecordBatch, text_columns: frozenset[str]) -> pa.RecordBatch:
    """``batch`` as the CSV writer takes it: categoricals as text, formulas neutralised."""
    arrays = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if field.name in text_columns:
            column = neutralise(column)
        elif pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def csv_schema(schema: pa.Schema) -> pa.Schema:
    """The schema after :func:`csv_ready`."""
    return pa.schema(
        pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
        for f in schema
    )


def _csv_name(name: str) -> str:
    if any(c in name for c in ',"\r\n'):
        return '"' + name.replace('"', '""') + '"'
    return name


def encode(
    fmt: Format,
    schema: pa.Schema,
    batches: Iterator[pa.RecordBatch],
    *,
    text_columns: frozenset[str] = frozenset(),
) -> Iterator[bytes]:
    """The bytes of one ``fmt`` file holding ``batches`` (of ``schema``), in chunks."""
    sink = _Chunks()
    writer: pq.ParquetWriter | ipc.RecordBatchStreamWriter | pa_csv.CSVWriter
    if fmt == "parquet":
        writer = pq.ParquetWriter(sink, schema, compression="zstd")
    elif fmt == "arrow":
        writer = ipc.new_stream(sink, schema)
    else:
        # the live export's header and quoting: a name or cell is quoted only when needed
        sink.write(",".join(_csv_name(name) for name in schema.names).encode() + b"\n")
        options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
        writer = pa_csv.CSVWriter(sink, csv_schema(schema), write_options=options)
    try:
        for batch in batches:
            if fmt == "csv":
                batch = csv_ready(batch, text_columns)
            writer.write_batch(batch)
            if chunk := sink.drain():
                yield chunk
    finally:
        writer.close()
    if chunk := sink.drain():
        yield chunk


def _part(conn: psycopg.Connection, snapshot_id: uuid.UUID, part: int) -> pq.ParquetFile:
    row = conn.execute(
        "SELECT data FROM dataset_snapshot_parts WHERE snapshot_id = %s AND part = %s",
        (snapshot_id, part),
    ).fetchone()
    conn.commit()  # no transaction stays open between two parts
    if row is None:  # the snapshot was deleted meanwhile: the stream ends short
        raise LookupError(f"part {part} of snapshot {snapshot_id} is gone")
    return pq.ParquetFile(io.BytesIO(bytes(row[0])))


def stream(
    conninfo: str,
    fmt: Format,
    snapshot_id: uuid.UUID,
    parts: Sequence[int],
    columns: Sequence[str],
    *,
    empty_schema: pa.Schema,
    text_columns: frozenset[str],
) -> Iterator[bytes]:
    """The whole response: the snapshot's ``parts`` in order, ``columns`` only, a row
    group at a time, through :func:`encode`; over one psycopg connection opened for it
    and closed when the generator ends or is closed. The schema is the first part's (the
    types frozen with the rows); ``empty_schema`` when there is no part."""
    names = list(columns)
    with psycopg.connect(conninfo) as conn:
        files = (_part(conn, snapshot_id, part) for part in parts)
        first = next(files, None)
        if first is None:
            schema = empty_schema
        else:
            stored = first.schema_arrow
            schema = pa.schema([stored.field(name) for name in names])

        def batches() -> Iterator[pa.RecordBatch]:
            for data in itertools.chain([first] if first is not None else [], files):
                for group in range(data.num_row_groups):
                    table = data.read_row_group(group, columns=names).select(names)
                    yield from table.cast(schema).to_batches()

        yield from encode(fmt, schema, batches(), text_columns=text_columns)


class SnapshotResponse(StreamingResponse):
    """A streamed snapshot that gives its export slot back once sent or abandoned."""

    def __init__(self, content: Iterator[bytes], slots: Slots, **kwargs: object) -> None:
        super().__init__(content, **kwargs)  # type: ignore[arg-type]
        self.slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slots.give_back()
