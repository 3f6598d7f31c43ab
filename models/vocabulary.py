"""The words every layer of Forma shares, each defined once (DESIGN.md §5).

Exercise kinds, set types and which of them count, the rep range inside which an
e1RM is trusted and how its ties break, the start of a training week and an
athlete's local day. It sits at the bottom of the import graph: the engine, the
API's schemas and tables, the importers and the SQL of the data layer import it
(the SQL through :func:`local_day_sql`); it imports nothing of Forma's own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final, Literal, get_args
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

ExerciseKind = Literal["strength", "bodyweight", "assisted", "timed", "cardio"]
#: How an exercise is measured: ``strength`` (external load: e1RM, rep-max PRs),
#: ``bodyweight`` (reps: max-reps PRs), ``assisted`` (weight is help, adds no volume),
#: ``timed`` (holds), ``cardio`` (distance and time).
EXERCISE_KINDS: Final[tuple[str, ...]] = get_args(ExerciseKind)

SetType = Literal["working", "warmup", "dropset", "failure"]
SET_TYPES: Final[tuple[str, ...]] = get_args(SetType)
#: The set types that count: volume load, working sets, e1RM and PRs (all but warm-ups).
COUNTED_SET_TYPES: Final[tuple[str, ...]] = ("working", "dropset", "failure")

#: Exercise kinds whose weight is help, not load: their sets add no volume load.
UNLOADED_KINDS: Final[tuple[str, ...]] = ("assisted",)

#: Rep range inside which the e1RM formulas are trusted (DESIGN §5; LeSuer et al. 1997
#: found the prediction error grows beyond about 10–12 reps).
E1RM_MIN_REPS: Final = 1
E1RM_MAX_REPS: Final = 12
#: e1RMs equal to 1e-6 kg tie: w·(1 + r/30) is not exact in binary floating point, so
#: 80 kg × 10 and 100 kg × 2 (both 106 ⅔ kg) differ in the last bit.
E1RM_TIE_DECIMALS: Final = 6
#: A tie (of e1RMs, of rep-max weights) goes to the earliest set: by local day, then
#: workout start (UTC), then position in the workout, then a hash of the set id.
EARLIEST_SET: Final[tuple[str, ...]] = ("day", "performed_at", "position", "_tie")


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO 8601 week (training weeks start on Monday)."""
    return day - timedelta(days=day.weekday())


def week_starts(days: pd.Series | npt.ArrayLike) -> npt.NDArray[np.datetime64]:
    """:func:`week_start` of many days: datetime64 days in, ``datetime64[ns]`` Mondays out.

    1970-01-01 was a Thursday, so day number *n* is weekday ``(n + 3) % 7`` (0 = Monday).
    """
    d = np.asarray(pd.to_datetime(days).to_numpy(), dtype="datetime64[D]")
    monday = d - ((d.view("int64") + 3) % 7).astype("timedelta64[D]")
    return monday.astype("datetime64[ns]")


def local_day(moment: datetime, time_zone: str) -> date:
    """The athlete's calendar day of a tz-aware ``moment`` in their IANA ``time_zone``:
    every per-day table (loads, e1RMs, PR days) is keyed by it.

    Raises
    ------
    zoneinfo.ZoneInfoNotFoundError
        ``time_zone`` is not an IANA zone.
    ValueError
        ``moment`` is naive.
    """
    if moment.tzinfo is None:
        raise ValueError("local_day needs a tz-aware moment")
    return moment.astimezone(ZoneInfo(time_zone)).date()


def local_time_sql(moment: str, time_zone: str) -> str:
    """SQL for the athlete's wall-clock time of ``moment`` (a timestamptz column or
    parameter) in ``time_zone`` (an IANA name column or parameter): PostgreSQL's
    ``AT TIME ZONE`` gives a ``timestamp`` without zone there."""
    return f"({moment} AT TIME ZONE {time_zone})"


def sql_list(values: tuple[str, ...]) -> str:
    """A SQL list literal of vocabulary words, ``('working', 'dropset')``: for the data
    layer's ``IN`` filters (the words are constants of this module, never user input)."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def local_day_sql(moment: str, time_zone: str) -> str:
    """The SQL of :func:`local_day`: the date of :func:`local_time_sql`."""
    return f"{local_time_sql(moment, time_zone)}::date"
