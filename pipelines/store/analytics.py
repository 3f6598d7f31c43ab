"""SQL the analytics refresh and rebuild read: the athletes' rows as
:class:`models.analytics.Inputs`, every athlete's id, and the COPY helpers every bulk
read and write of the analytics store goes through.

Bulk reads and writes go through ``COPY … TO STDOUT`` / ``COPY … FROM STDIN`` in CSV,
parsed and written by Arrow's C++ code: a rebuild shard moves millions of rows. The
derived tables are written by :mod:`pipelines.store.analytics_write`, the per-athlete
totals by :mod:`pipelines.store.analytics_state`, the locks and markers are in
:mod:`pipelines.store.analytics_markers`.
"""

from __future__ import annotations

import io
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, text

from models.analytics import Inputs
from models.analytics.balance import PRIMARY_SHARE, SECONDARY_SHARE
from models.vocabulary import local_time_sql

# A workout's local day and hour: the wall clock of its own time zone (DESIGN §2).
LOCAL_TIME = local_time_sql("w.started_at", "w.time_zone")

_SETS = """
    SELECT w.user_id, s.workout_id, s.id AS set_id, s.exercise_id, e.kind AS exercise_kind,
           {local}::date AS day, w.started_at AS performed_at, s.position, s.set_type,
           s.weight_kg, s.reps, s.rpe, s.rir, s.detected_reps, s.form_score, s.weight_unit
    FROM workout_sets s
    JOIN workouts w ON w.id = s.workout_id
    JOIN exercises e ON e.id = s.exercise_id
    {athletes}
    WHERE {who} AND w.deleted_at IS NULL AND {local}::date >= {start}
"""
_WORKOUTS = """
    SELECT w.user_id, w.id AS workout_id, {local}::date AS day,
           COALESCE(GREATEST(EXTRACT(epoch FROM w.ended_at - w.started_at), 0), c.elapsed_s)
               AS duration_s,
           w.session_rpe, c.load AS cardio_load, c.load_method AS cardio_method,
           c.trimp AS cardio_trimp, c.distance_m
    FROM workouts w
    LEFT JOIN cardio_sessions c ON c.workout_id = w.id
    {athletes}
    WHERE {who} AND w.deleted_at IS NULL AND {local}::date >= {start}
"""
#: The athletes' filter of ``_SETS``/``_WORKOUTS``: one start day for all (a rebuild
#: shard), or each athlete's own (``%(users)s`` and ``%(starts)s`` in step).
_ONE_START = {"athletes": "", "who": "w.user_id = ANY(%(users)s)", "start": "%(from)s"}
_OWN_START = {
    "athletes": "JOIN unnest(%(users)s::uuid[], %(starts)s::date[]) AS m(user_id, start) "
    "ON m.user_id = w.user_id",
    "who": "true",
    "start": "m.start",
}
_MUSCLES = f"""
    SELECT id AS exercise_id, unnest(primary_muscles) AS muscle, {PRIMARY_SHARE} AS share
    FROM exercises WHERE id = ANY(%(ids)s)
    UNION ALL
    SELECT id, unnest(secondary_muscles), {SECONDARY_SHARE} FROM exercises WHERE id = ANY(%(ids)s)
"""
_BODY_MASS = """
    SELECT user_id, measured_on AS day, body_mass_kg FROM body_metrics
    WHERE user_id = ANY(%(users)s) AND body_mass_kg IS NOT NULL
"""


def _raw(conn: Connection) -> Any:
    raw = conn.connection.driver_connection
    assert raw is not None, "COPY needs a live psycopg connection"
    return raw


_CONVERT = pa_csv.ConvertOptions(strings_can_be_null=True)


#: A COPY's CSV stays in memory up to this size, then goes to a temporary file: a
#: training run's feature table is gigabytes of text that Arrow parses from disk as well
#: as from memory, and holding both the text and the parsed table doubled the peak.
_SPOOL_BYTES = 64 * 1024 * 1024


def copy_out(conn: Connection, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run ``COPY (sql) TO STDOUT`` in CSV and parse it with Arrow into pandas."""
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as buffer:
        with _raw(conn).cursor() as cur:
            with cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", params) as copy:
                for chunk in copy:
                    buffer.write(chunk)
        if buffer.tell() == 0:
            return pd.DataFrame()
        buffer.seek(0)
        return _parsed(buffer)


def _parsed(buffer: Any) -> pd.DataFrame:
    """The CSV in ``buffer`` (a file object at its start) as a frame."""
    # Arrow's reader itself: pandas' read_csv(engine="pyarrow") adds ~1 ms of wrapping per
    # call, a refresh's reads are a few rows each. As read_csv: empty fields are NULL,
    # columns of NULLs only are floats.
    data = pa_csv.read_csv(buffer, convert_options=_CONVERT)
    for i, column in enumerate(data.schema):
        if pa.types.is_null(column.type):
            data = data.set_column(i, column.name, pa.nulls(data.num_rows, pa.float64()))
    return data.to_pandas()


def copy_in(conn: Connection, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> int:
    """COPY a frame's ``columns`` into ``table`` (NaN/None → NULL)."""
    if frame.empty:
        return 0
    return copy_arrow(conn, table, pa.Table.from_pandas(frame[list(columns)], preserve_index=False))


def copy_arrow(conn: Connection, table: str, data: pa.Table) -> int:
    """COPY an Arrow table into ``table`` (its column names are the table's); returns the
    number of rows."""
    # Arrow's CSV writer is C++ and ~20× faster than pandas' on float columns
    sink = io.BytesIO()
    pa_csv.write_csv(data, sink, pa_csv.WriteOptions(include_header=False))
    with _raw(conn).cursor() as cur:
        columns = ", ".join(data.column_names)
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(sink.getbuffer())
    return data.num_rows


def read_inputs(
    conn: Connection, user_ids: Sequence[uuid.UUID], start: date | Mapping[uuid.UUID, date]
) -> Inputs:
    """The athletes' live sets and workouts dated ``start`` or later (one day for all, or
    each athlete's own), every body-mass measurement, and the muscle groups of the
    exercises they used."""
    if isinstance(start, Mapping):
        users = list(start)
        params: dict[str, Any] = {"users": users, "starts": [start[u] for u in users]}
        where = _OWN_START
    else:
        params, where = {"users": list(user_ids), "from": start}, _ONE_START
    sets = copy_out(conn, _SETS.format(local=LOCAL_TIME, **where), params)
    workouts = copy_out(conn, _WORKOUTS.format(local=LOCAL_TIME, **where), params)
    ids = [uuid.UUID(x) for x in pd.unique(sets["exercise_id"])]
    muscles = copy_out(conn, _MUSCLES, {"ids": ids})
    masses = copy_out(conn, _BODY_MASS, {"users": params["users"]})
    return Inputs(sets=sets, workouts=workouts, muscles=muscles, body_mass=masses)


def user_ids(conn: Connection, email: str | None = None) -> list[uuid.UUID]:
    """Every athlete's id (or the one with ``email``), in id order."""
    if email is not None:
        rows = conn.execute(
            text("SELECT id FROM users WHERE lower(email) = lower(:e)"), {"e": email}
        )
    else:
        rows = conn.execute(text("SELECT id FROM users ORDER BY id"))
    return [r[0] for r in rows]
