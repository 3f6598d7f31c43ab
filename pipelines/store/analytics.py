"""SQL the analytics refresh and rebuild run: locks and markers, reading athletes' rows
into :class:`models.analytics.Inputs`, and swapping derived rows in with COPY.

Bulk reads and writes go through ``COPY … TO STDOUT`` / ``COPY … FROM STDIN`` in CSV,
parsed and written by pandas' C code: a rebuild shard moves millions of rows.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, func, select, text

from api.analytics.tables import AnalyticsDirty
from models.analytics import Derived, Inputs

# A workout's local day and hour: the wall clock of its own time zone (DESIGN §2).
_LOCAL = "(w.started_at AT TIME ZONE w.time_zone)"

_SETS = """
    SELECT w.user_id, s.workout_id, s.id AS set_id, s.exercise_id, e.kind AS exercise_kind,
           {local}::date AS day, w.started_at AS performed_at, s.position, s.set_type,
           s.weight_kg, s.reps, s.rpe, s.rir, s.detected_reps, s.form_score
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
_MUSCLES = """
    SELECT id AS exercise_id, unnest(primary_muscles) AS muscle, 1.0 AS share
    FROM exercises WHERE id = ANY(%(ids)s)
    UNION ALL
    SELECT id, unnest(secondary_muscles), 0.5 FROM exercises WHERE id = ANY(%(ids)s)
"""
_BODY_MASS = """
    SELECT user_id, measured_on AS day, body_mass_kg FROM body_metrics
    WHERE user_id = ANY(%(users)s) AND body_mass_kg IS NOT NULL
"""

#: table → (derived frame, its day column in the frame, in the table, columns written)
TABLES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "analytics_daily_load": ("daily", "date", "day", (
        "user_id", "day", "position", "sessions", "duration_s", "distance_m",
        "volume_load_kg", "srpe_load", "trimp", "load", "ctl", "atl", "tsb", "ewma_acute",
        "ewma_chronic", "acwr_rolling", "acwr_ewma", "ramp_rate", "acwr_high", "acwr_low",
    )),
    "analytics_e1rm_daily": ("e1rm", "day", "day", (
        "user_id", "exercise_id", "day", "e1rm_kg", "weight_kg", "reps", "set_id",
        "workout_id", "brzycki_kg", "e1rm_rir_kg", "body_mass_kg", "relative_strength",
    )),
    "analytics_exercise_daily": ("exercise_daily", "day", "day", (
        "user_id", "exercise_id", "day", "sets", "reps", "volume_load_kg", "max_reps",
        "form_sets", "mean_form_score", "detected_sets", "rep_discrepancy",
    )),
    "analytics_pr_events": ("events", "achieved_on", "achieved_on", (
        "user_id", "set_id", "workout_id", "exercise_id", "kind", "reps", "weight_kg",
        "achieved_on", "achieved_at", "previous",
    )),
    "analytics_periods": ("periods", "start", "start", (
        "user_id", "period", "start", "sessions", "duration_s", "distance_m", "sets", "reps",
        "volume_load_kg", "srpe_load", "trimp", "load", "prs", "monotony", "strain",
        "push_pull", "upper_lower",
    )),
    "analytics_muscle_weekly": ("muscles", "week_start", "week_start", (
        "user_id", "week_start", "muscle", "sets", "volume_load_kg",
    )),
    "analytics_rep_max_prs": ("prs", "", "", (
        "user_id", "exercise_id", "kind", "reps", "weight_kg", "achieved_on", "achieved_at",
        "set_id", "workout_id",
    )),
}  # fmt: skip
#: Whole-number columns per table (pandas holds them as floats where NaN can occur);
#: the muscle table's fractional ``sets`` is not one of them.
_INTEGERS: dict[str, tuple[str, ...]] = {
    "analytics_daily_load": ("position", "sessions"),
    "analytics_e1rm_daily": ("reps",),
    "analytics_exercise_daily": ("sets", "reps", "max_reps", "form_sets", "detected_sets"),
    "analytics_pr_events": ("reps",),
    "analytics_periods": ("sessions", "sets", "reps", "prs"),
    "analytics_muscle_weekly": (),
    "analytics_rep_max_prs": ("reps",),
}


def _raw(conn: Connection) -> Any:
    raw = conn.connection.driver_connection
    assert raw is not None, "COPY needs a live psycopg connection"
    return raw


_CONVERT = pa_csv.ConvertOptions(strings_can_be_null=True)


def copy_out(conn: Connection, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run ``COPY (sql) TO STDOUT`` in CSV and parse it with pandas."""
    buffer = io.BytesIO()
    with _raw(conn).cursor() as cur:
        with cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", params) as copy:
            for chunk in copy:
                buffer.write(chunk)
    buffer.seek(0)
    if buffer.getbuffer().nbytes == 0:
        return pd.DataFrame()
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
    return _copy_arrow(
        conn, table, pa.Table.from_pandas(frame[list(columns)], preserve_index=False)
    )


def _copy_arrow(conn: Connection, table: str, data: pa.Table) -> int:
    # Arrow's CSV writer is C++ and ~20× faster than pandas' on float columns
    sink = io.BytesIO()
    pa_csv.write_csv(data, sink, pa_csv.WriteOptions(include_header=False))
    with _raw(conn).cursor() as cur:
        columns = ", ".join(data.column_names)
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(sink.getbuffer())
    return data.num_rows


# --------------------------------------------------------------------------- locks, markers


def lock_users(conn: Connection, user_ids: Sequence[uuid.UUID]) -> None:
    """The per-user refresh locks, held until the transaction ends; taken in one sorted
    order so that two shards (or a shard and a refresh) never deadlock."""
    conn.execute(
        text(
            "SELECT pg_advisory_xact_lock(hashtextextended('analytics:' || u, 0)) "
            "FROM unnest(CAST(:users AS text[])) AS u ORDER BY u"
        ),
        {"users": sorted(str(u) for u in user_ids)},
    )


def read_markers(
    conn: Connection, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[date, datetime]]:
    rows = conn.execute(
        select(AnalyticsDirty.user_id, AnalyticsDirty.since_day, AnalyticsDirty.marked_at).where(
            AnalyticsDirty.user_id.in_(list(user_ids))
        )
    )
    return {r.user_id: (r.since_day, r.marked_at) for r in rows}


def clear_markers(conn: Connection, markers: dict[uuid.UUID, tuple[date, datetime]]) -> int:
    """Delete each marker that still carries the ``marked_at`` read; returns how many.

    A marker marked again meanwhile stays, and its ``first_marked_at`` moves up to the
    mark this refresh covered: what is still owed began to be owed then, so the debounce's
    longest wait (``FORMA_REFRESH_MAX_WAIT_S``) counts from there, not from a mark
    already refreshed.
    """
    if not markers:
        return 0
    result = conn.execute(
        text(
            """
            WITH m AS (
                SELECT * FROM unnest(CAST(:users AS uuid[]), CAST(:stamps AS timestamptz[]))
                    AS m(user_id, marked_at)
            ), cleared AS (
                DELETE FROM analytics_dirty d USING m
                WHERE d.user_id = m.user_id AND d.marked_at = m.marked_at
                RETURNING d.user_id
            ), moved AS (
                UPDATE analytics_dirty d
                SET first_marked_at = GREATEST(d.first_marked_at, m.marked_at)
                FROM m WHERE d.user_id = m.user_id AND d.marked_at <> m.marked_at
            )
            SELECT count(*) FROM cleared
            """
        ),
        {"users": list(markers), "stamps": [m[1] for m in markers.values()]},
    )
    return int(result.scalar_one())


def has_state(conn: Connection, user_id: uuid.UUID) -> bool:
    return (
        conn.execute(
            text("SELECT 1 FROM analytics_state WHERE user_id = :u"), {"u": user_id}
        ).first()
        is not None
    )


def stale_users(conn: Connection, *, older_than_s: float) -> list[uuid.UUID]:
    rows = conn.execute(
        select(AnalyticsDirty.user_id).where(
            AnalyticsDirty.marked_at
            < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_s)
        )
    )
    return [r[0] for r in rows]


def clock(conn: Connection) -> datetime:
    return conn.execute(select(func.clock_timestamp())).scalar_one()


# --------------------------------------------------------------------------- reads


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
    sets = copy_out(conn, _SETS.format(local=_LOCAL, **where), params)
    workouts = copy_out(conn, _WORKOUTS.format(local=_LOCAL, **where), params)
    ids = [uuid.UUID(x) for x in pd.unique(sets["exercise_id"])]
    muscles = copy_out(conn, _MUSCLES, {"ids": ids})
    masses = copy_out(conn, _BODY_MASS, {"users": params["users"]})
    return Inputs(sets=sets, workouts=workouts, muscles=muscles, body_mass=masses)


# --------------------------------------------------------------------------- writes


def _arrow(frame: pd.DataFrame, table: str, day_column: str, table_day: str) -> pa.Table:
    """The table's columns of a derived frame as Arrow arrays, built column by column
    (``Table.from_pandas`` costs more than the COPY itself on a refresh's few rows):
    whole numbers as int64, days as dates, NaN/None as NULL."""
    arrays = []
    columns = TABLES[table][3]
    for column in columns:
        series = frame[day_column if column == table_day and day_column else column]
        if column in _INTEGERS[table]:
            values = np.asarray(pd.to_numeric(series), dtype=float)
            missing = np.isnan(values)
            whole = np.round(np.where(missing, 0.0, values)).astype(np.int64)
            arrays.append(pa.array(whole, mask=missing if missing.any() else None))
        elif series.dtype.kind == "M" and column != "achieved_at":
            arrays.append(pa.array(series.to_numpy().astype("datetime64[D]")))
        else:
            arrays.append(pa.array(series, from_pandas=True))
    return pa.Table.from_arrays(arrays, names=list(columns))


def write(
    conn: Connection,
    user_ids: Sequence[uuid.UUID],
    derived: Derived,
    start: Mapping[uuid.UUID, date] | None,
) -> int:
    """Swap the athletes' rows from each one's ``start`` day on (all rows when None) for
    ``derived``.

    Returns the number of rows written.
    """
    users = list(user_ids)
    if start is None:
        delete_all(conn, users)
    else:
        _delete_from(conn, start, derived.daily_delete_from)
    written = 0
    for table, (attr, frame_day, table_day, _) in TABLES.items():
        frame: pd.DataFrame = getattr(derived, attr)
        if len(frame):
            written += _copy_arrow(conn, table, _arrow(frame, table, frame_day, table_day))
    return written


def delete_all(conn: Connection, users: Sequence[uuid.UUID]) -> None:
    """Delete every derived row of these athletes (a rebuild shard's id run)."""
    # one statement, one round trip: every table's delete as a data-modifying CTE; shards
    # are runs of ids in order: the range lets every primary-key index (user_id first)
    # find them without trusting the planner's row estimates
    where = "user_id BETWEEN :lo AND :hi AND user_id = ANY(:u)"
    deletes = [f"d{i} AS (DELETE FROM {table} WHERE {where})" for i, table in enumerate(TABLES)]
    conn.execute(
        text(f"WITH {', '.join(deletes)} SELECT 1"),
        {"u": list(users), "lo": min(users), "hi": max(users)},
    )


def _delete_from(
    conn: Connection, start: Mapping[uuid.UUID, date], daily_delete_from: pd.Series
) -> None:
    """Delete each athlete's derived rows dated from their own start day on (the load
    series from where the engine says its calendar now starts or ends)."""
    users = list(start)
    floors = daily_delete_from.reindex([str(u) for u in users])
    daily = [
        start[u] if pd.isna(floor) else pd.Timestamp(floor).date()
        for u, floor in zip(users, floors, strict=True)
    ]
    deletes = []
    for i, (table, (attr, _, table_day, _)) in enumerate(TABLES.items()):
        where = "t.user_id = m.user_id"
        if table_day:
            where += f" AND t.{table_day} >= " + ("m.daily" if attr == "daily" else "m.start")
        deletes.append(f"d{i} AS (DELETE FROM {table} t USING m WHERE {where})")
    conn.execute(
        text(
            "WITH m AS MATERIALIZED (SELECT * FROM unnest(CAST(:u AS uuid[]), "
            "CAST(:d AS date[]), CAST(:daily AS date[])) AS m(user_id, start, daily)), "
            f"{', '.join(deletes)} SELECT 1"
        ),
        {"u": users, "d": [start[u] for u in users], "daily": daily},
    )


def _state_sql() -> str:
    weekdays = ", ".join(
        f"count(*) FILTER (WHERE extract(isodow FROM local) = {d})" for d in range(1, 8)
    )
    hours = ", ".join(f"count(*) FILTER (WHERE extract(hour FROM local) = {h})" for h in range(24))
    return f"""
    WITH w AS (
        SELECT w.user_id, {_LOCAL} AS local FROM workouts w
        WHERE w.user_id = ANY(:users) AND w.deleted_at IS NULL
    ), wa AS (
        SELECT user_id, count(*) AS workouts, min(local)::date AS first_workout_on,
               max(local)::date AS last_workout_on,
               ARRAY[{weekdays}]::int[] AS weekday_counts, ARRAY[{hours}]::int[] AS hour_counts
        FROM w GROUP BY user_id
    ), sa AS (
        SELECT w.user_id, count(*) AS sets,
               count(*) FILTER (WHERE s.set_type <> 'warmup') AS working_sets,
               COALESCE(sum(s.reps) FILTER (WHERE s.set_type <> 'warmup'), 0) AS reps,
               COALESCE(sum(s.weight_kg * s.reps) FILTER (
                   WHERE s.set_type <> 'warmup' AND e.kind <> 'assisted'), 0) AS volume_load_kg,
               count(DISTINCT s.exercise_id) AS exercises
        FROM workout_sets s JOIN workouts w ON w.id = s.workout_id
        JOIN exercises e ON e.id = s.exercise_id
        WHERE w.user_id = ANY(:users) AND w.deleted_at IS NULL GROUP BY w.user_id
    ), pa AS (
        SELECT user_id, count(*) AS personal_records FROM analytics_rep_max_prs
        WHERE user_id = ANY(:users) GROUP BY user_id
    )
    INSERT INTO analytics_state (user_id, as_of, refreshed_at, workouts, sets, working_sets,
        reps, volume_load_kg, exercises, personal_records, first_workout_on, last_workout_on,
        weekday_counts, hour_counts)
    SELECT u.id, :as_of, now(), COALESCE(wa.workouts, 0), COALESCE(sa.sets, 0),
           COALESCE(sa.working_sets, 0), COALESCE(sa.reps, 0), COALESCE(sa.volume_load_kg, 0),
           COALESCE(sa.exercises, 0), COALESCE(pa.personal_records, 0), wa.first_workout_on,
           wa.last_workout_on, COALESCE(wa.weekday_counts, '{{}}'), COALESCE(wa.hour_counts, '{{}}')
    FROM unnest(CAST(:users AS uuid[])) AS u(id)
    LEFT JOIN wa ON wa.user_id = u.id LEFT JOIN sa ON sa.user_id = u.id
    LEFT JOIN pa ON pa.user_id = u.id
    ON CONFLICT (user_id) DO UPDATE SET as_of = excluded.as_of,
        refreshed_at = excluded.refreshed_at, workouts = excluded.workouts,
        sets = excluded.sets, working_sets = excluded.working_sets, reps = excluded.reps,
        volume_load_kg = excluded.volume_load_kg, exercises = excluded.exercises,
        personal_records = excluded.personal_records,
        first_workout_on = excluded.first_workout_on, last_workout_on = excluded.last_workout_on,
        weekday_counts = excluded.weekday_counts, hour_counts = excluded.hour_counts
    """


_STATE_SQL = text(_state_sql())


def write_state(conn: Connection, user_ids: Sequence[uuid.UUID], as_of: datetime) -> None:
    """Totals, habits counts and ``as_of`` per athlete (after the PR rows are written)."""
    conn.execute(_STATE_SQL, {"users": list(user_ids), "as_of": as_of})


def user_ids(conn: Connection, email: str | None = None) -> list[uuid.UUID]:
    """Every athlete's id (or the one with ``email``), in id order."""
    if email is not None:
        rows = conn.execute(
            text("SELECT id FROM users WHERE lower(email) = lower(:e)"), {"e": email}
        )
    else:
        rows = conn.execute(text("SELECT id FROM users ORDER BY id"))
    return [r[0] for r in rows]
