"""SQL the analytics refresh and rebuild write: swapping each athlete's derived rows
(from a day on, or all of them) for the engine's output, one COPY per table.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, text

from models.analytics import Derived
from pipelines.store.analytics import copy_arrow

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
            written += copy_arrow(conn, table, _arrow(frame, table, frame_day, table_day))
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
