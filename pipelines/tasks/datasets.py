"""``datasets.snapshot``: freeze a dataset's rows into Parquet parts stored in PostgreSQL.

The task claims a queued snapshot (``running``), makes sure every athlete has a pseudonym
in the current key period, then reads the dataset's SELECT ordered by month of its time
column in one ``REPEATABLE READ`` transaction: every row comes from one moment, whatever
is written meanwhile. The rows become one Parquet file per month (a month of more than
:data:`PART_ROWS` rows takes several), the ``month`` column only in the part's row, never
in the file. Parts and progress are written in short transactions of their own beside the
long read; the snapshot succeeds with its row count, or fails with the error's message
and keeps no part. Later edits, back-dated or not, never change a stored part.

The SQL is in :mod:`pipelines.store.snapshots`; the datasets' SELECTs in
:mod:`api.datasets.query`, the COPY→Arrow reader in :mod:`api.datasets.stream`.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, text

from api.config import get_settings
from api.datasets.catalogue import DATASETS
from api.datasets.pseudonyms import ensure_pseudonyms
from api.datasets.query import select
from api.datasets.snapshots import stored_filters
from api.datasets.stream import record_batches
from pipelines.celery_app import app
from pipelines.db import get_engine, transaction
from pipelines.store import snapshots as store

logger = logging.getLogger("forma.datasets")

SNAPSHOT = "datasets.snapshot"
#: ``created_by`` of the snapshots training runs take of their feature tables
TRAINING = "training"
#: rows of one Parquet part at most (a month with more takes several parts)
PART_ROWS = 500_000
#: rows of one row group inside a part: big enough for fast scans, small enough to buffer
ROW_GROUP_ROWS = 128_000
#: seconds between two progress writes while a part fills (each its own transaction)
_PROGRESS_EVERY_S = 1.0

#: ``progress(rows_done, rows_total)``, called as parts are stored (the CLI's bar)
Progress = Callable[[int, int], None]


class _NoLongerRunning(Exception):
    """The snapshot was failed meanwhile (the sweep gave up on it): stop, store nothing."""


@dataclass(frozen=True, slots=True)
class SnapshotOutcome:
    """What one snapshot task stored."""

    snapshot_id: uuid.UUID
    rows: int
    parts: int


def month_runs(months: pa.Array) -> Iterator[tuple[date | None, int, int]]:
    """``(month, start, stop)`` of each run of equal months in an ordered ``date32`` array
    (nulls form a run of their own)."""
    n = len(months)
    if n == 0:
        return
    days = months.cast(pa.int32()).to_numpy(zero_copy_only=False)
    valid = months.is_valid().to_numpy(zero_copy_only=False)
    key = np.where(valid, np.nan_to_num(days.astype("float64"), nan=0.0), np.inf)
    bounds = [0, *(np.flatnonzero(key[1:] != key[:-1]) + 1).tolist(), n]
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        value = months[start].as_py()
        yield value, start, stop


class PartWriter:
    """Cut an ordered stream of Arrow batches into Parquet files, one month (at most
    ``part_rows`` rows) each, handing each finished file to ``emit(month, rows, data)``.

    Memory: one part's compressed bytes and up to ``row_group_rows`` rows of batches.
    """

    def __init__(
        self,
        schema: pa.Schema,
        emit: Callable[[date | None, int, bytes], None],
        *,
        part_rows: int = PART_ROWS,
        row_group_rows: int = ROW_GROUP_ROWS,
    ) -> None:
        self.schema = schema
        self.emit = emit
        self.part_rows = part_rows
        self.row_group_rows = row_group_rows
        self._month: date | None = None
        self._sink: io.BytesIO | None = None
        self._writer: pq.ParquetWriter | None = None
        self._rows = 0
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0

    def add(self, month: date | None, batch: pa.RecordBatch) -> None:
        """Add rows of one ``month`` (the months arrive in order)."""
        if self._writer is not None and month != self._month:
            self.close_part()
        offset = 0
        while offset < batch.num_rows:
            if self._writer is None:
                self._open(month)
            room = self.part_rows - self._rows
            piece = batch.slice(offset, room)
            self._pending.append(piece)
            self._pending_rows += piece.num_rows
            self._rows += piece.num_rows
            offset += piece.num_rows
            if self._pending_rows >= self.row_group_rows:
                self._flush()
            if self._rows >= self.part_rows:
                self.close_part()

    def close_part(self) -> None:
        """Finish the part being written, if any, and emit it."""
        if self._writer is None or self._sink is None:
            return
        self._flush()
        self._writer.close()
        self.emit(self._month, self._rows, self._sink.getvalue())
        self._writer, self._sink, self._rows = None, None, 0

    def _open(self, month: date | None) -> None:
        self._month = month
        self._sink = io.BytesIO()
        self._writer = pq.ParquetWriter(self._sink, self.schema, compression="zstd")

    def _flush(self) -> None:
        if self._pending and self._writer is not None:
            self._writer.write_table(pa.Table.from_batches(self._pending, schema=self.schema))
        self._pending, self._pending_rows = [], 0


def _without_month(batch: pa.RecordBatch) -> tuple[pa.Array | None, pa.RecordBatch]:
    """The batch's ``month`` column (None when the dataset has no time column) and the
    batch without it."""
    index = batch.schema.get_field_index("month")
    if index < 0:
        return None, batch
    return batch.column(index), batch.remove_column(index)


def _claim(snapshot_id: uuid.UUID) -> dict[str, Any] | None:
    with transaction() as conn:
        return store.claim(conn, snapshot_id)


def _check(running: bool) -> None:
    if not running:
        raise _NoLongerRunning


def take(snapshot_id: uuid.UUID, progress: Progress | None = None) -> SnapshotOutcome | None:
    """Read and store the queued snapshot's rows (see the module's text); None when it
    was not queued (a message delivered twice, a snapshot already taken or failed).

    Raises what failed the snapshot (after recording it failed with the message).
    """
    row = _claim(snapshot_id)
    if row is None:
        return None
    try:
        return _take(row, progress)
    except _NoLongerRunning:
        logger.warning("snapshot %s was failed while it was being taken", snapshot_id)
        return None
    except Exception as exc:
        fail(snapshot_id, f"{type(exc).__name__}: {exc}")
        raise


def fail(snapshot_id: uuid.UUID, message: str) -> bool:
    """Fail the snapshot (if still queued or running) and drop its parts; True when this
    call failed it."""
    with transaction() as conn:
        failed = store.fail(conn, snapshot_id, message)
    if failed:
        logger.warning("snapshot %s failed: %s", snapshot_id, message)
    return failed


class _Stored:
    """The parts of one snapshot as they are stored, each in a transaction of its own
    that also raises the snapshot's progress."""

    def __init__(self, snapshot_id: uuid.UUID, progress: Progress | None) -> None:
        self.snapshot_id = snapshot_id
        self.progress = progress
        self.total = 0
        self.parts = 0
        self.rows = 0
        self.read = 0
        self._written = time.monotonic()

    def part(self, month: date | None, rows: int, data: bytes) -> None:
        """Store one finished part (``PartWriter``'s ``emit``)."""
        done = self.rows + rows
        with transaction() as conn:
            _check(store.add_part(conn, self.snapshot_id, part=self.parts, month=month,
                                  row_count=rows, data=data,
                                  progress=done / max(self.total, 1)))  # fmt: skip
        self.parts += 1
        self.rows = done
        self._written = time.monotonic()
        if self.progress is not None:
            self.progress(done, self.total)

    def reading(self, rows: int) -> None:
        """``rows`` more were read; the progress follows at most every second."""
        self.read += rows
        if time.monotonic() - self._written >= _PROGRESS_EVERY_S:
            with transaction() as conn:
                _check(store.set_progress(conn, self.snapshot_id, self.read / max(self.total, 1)))
            self._written = time.monotonic()


def _read(raw: Any, sql: str, params: Mapping[str, Any], columns: list[Any], out: _Stored) -> None:
    """Cut the rows of ``sql`` (``month`` first) into parts stored by ``out``."""
    writer: PartWriter | None = None
    for batch in record_batches(raw, sql, params, columns):
        months, rows = _without_month(batch)
        if writer is None:
            writer = PartWriter(rows.schema, out.part, part_rows=PART_ROWS)
        if months is None:
            writer.add(None, rows)
        else:
            for month, start, stop in month_runs(months):
                writer.add(month, rows.slice(start, stop - start))
        out.reading(batch.num_rows)
    if writer is not None:
        writer.close_part()


def _take(row: dict[str, Any], progress: Progress | None) -> SnapshotOutcome:
    settings = get_settings()
    snapshot_id: uuid.UUID = row["id"]
    with transaction() as conn:  # committed before the read, so the read sees them
        period = ensure_pseudonyms(conn, settings)
    sql, params, columns = select(
        DATASETS[row["dataset"]],
        stored_filters(row["filters"] or {}),
        period=period,
        allow_notes=settings.datasets_allow_notes,
        order_by_month=True,
    )
    started = time.perf_counter()
    out = _Stored(snapshot_id, progress)
    with get_engine().connect() as reader:
        reader = reader.execution_options(isolation_level="REPEATABLE READ")
        with reader.begin():
            # one snapshot of the database for the count and every row read after it
            reader.execute(text("SET TRANSACTION READ ONLY"))
            raw = reader.connection.driver_connection
            assert raw is not None, "the read needs a live psycopg connection"
            with raw.cursor() as cur:
                taken_at = cur.execute("SELECT now()").fetchone()[0]
                # the exact total makes the progress honest; it costs less than the COPY
                out.total = int(cur.execute(f"SELECT count(*) FROM ({sql}) AS r", params)
                                .fetchone()[0])  # fmt: skip
            with transaction() as conn:
                _check(store.mark_taken(conn, snapshot_id, taken_at=taken_at, key_period=period))
            if progress is not None:
                progress(0, out.total)
            _read(raw, sql, params, columns, out)
    with transaction() as conn:
        _check(store.succeed(conn, snapshot_id, row_count=out.rows))
    logger.info(
        "snapshot %s of %s: %d rows in %d parts in %.2f s",
        snapshot_id, row["dataset"], out.rows, out.parts, time.perf_counter() - started,
    )  # fmt: skip
    return SnapshotOutcome(snapshot_id, out.rows, out.parts)


def queue_training_snapshot(conn: Connection, run_id: uuid.UUID) -> uuid.UUID:
    """Queue the ``features`` snapshot of a training run (``created_by='training'``) and
    record it as the run's; in the caller's transaction. Send :data:`SNAPSHOT` after
    commit (the sweep re-sends it otherwise)."""
    period = ensure_pseudonyms(conn, get_settings())
    snapshot_id = store.create(
        conn,
        dataset="features",
        filters={"run_id": str(run_id)},
        key_period=period,
        created_by=TRAINING,
        run_id=run_id,
    )
    store.set_run_snapshot(conn, run_id, snapshot_id)
    return snapshot_id


def resend_and_fail_stuck(
    send: Callable[..., Any], *, queued_after_s: float, stuck_after_s: float
) -> tuple[int, int]:
    """The sweep's share: re-send snapshots queued longer than ``queued_after_s``, fail
    those running longer than ``stuck_after_s``; returns (re-sent, failed)."""
    with transaction() as conn:
        queued = store.queued(conn, older_than_s=queued_after_s)
        stuck = store.stuck(conn, older_than_s=stuck_after_s)
    for snapshot_id in queued:
        send(SNAPSHOT, str(snapshot_id))
    failed = sum(
        fail(s, f"stuck: still running {stuck_after_s:.0f} s after it started (a worker died?)")
        for s in stuck
    )
    return len(queued), failed


@app.task(name=SNAPSHOT)
def snapshot_task(snapshot_id: str) -> int | None:
    """Celery entry point: ``datasets.snapshot(snapshot_id)``; returns the rows stored."""
    outcome = take(uuid.UUID(snapshot_id))
    return outcome.rows if outcome else None
