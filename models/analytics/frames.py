"""The frames of the analytics engine: its inputs, what a refresh keeps, what it
returns, their column types, and the calendar and sort helpers its parts share.

See :mod:`models.analytics.engine` for the engine and the incremental rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.vocabulary import week_starts

_F, _S, _D = "float64", object, "datetime64[ns]"
#: Column types of the input frames; :func:`derive` coerces to them.
SCHEMA: dict[str, dict[str, Any]] = {
    "sets": {
        "user_id": _S, "workout_id": _S, "set_id": _S, "exercise_id": _S,
        "exercise_kind": _S, "day": _D, "performed_at": "datetime64[ns, UTC]",
        "position": "int64", "set_type": _S, "weight_kg": _F, "reps": _F, "rpe": _F,
        "rir": _F, "detected_reps": _F, "form_score": _F,
    },
    "workouts": {
        "user_id": _S, "workout_id": _S, "day": _D, "duration_s": _F, "session_rpe": _F,
        "cardio_load": _F, "cardio_method": _S, "cardio_trimp": _F, "distance_m": _F,
    },
    "muscles": {"exercise_id": _S, "muscle": _S, "share": _F},
    "body_mass": {"user_id": _S, "day": _D, "body_mass_kg": _F},
}  # fmt: skip


def order(frame: pd.DataFrame, columns: list[str], descending: tuple[str, ...] = ()) -> np.ndarray:
    """Row positions sorting ``frame`` by numeric/datetime ``columns`` (first = primary),
    one stable ``np.lexsort`` — pandas' multi-column sort factorises every key first."""
    keys = []
    for column in reversed(columns):
        series = frame[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype) or series.dtype.kind == "M":
            values = series.array.asi8
        else:
            values = series.to_numpy()
        keys.append(-values if column in descending else values)
    return np.lexsort(keys) if keys else np.arange(len(frame))


@dataclass(slots=True)
class Inputs:
    """An athlete group's raw rows (see the module docstring for the columns)."""

    sets: pd.DataFrame
    workouts: pd.DataFrame
    muscles: pd.DataFrame
    body_mass: pd.DataFrame


@dataclass(slots=True)
class Previous:
    """What an incremental refresh keeps from before each athlete's ``read_from``.

    ``read_from``: ``user_id → day`` (datetime64) from which rows are recomputed.
    ``history``: each athlete's last ≤ 28 load-series rows before it (columns of
    :func:`models.analytics.training_load.series_by_athlete` history). ``last_active``:
    ``user_id → `` the last day before ``read_from`` with a session (NaT = none).
    ``events``: the PR events dated before ``read_from`` (columns of :data:`EVENT_COLUMNS`).
    """

    read_from: pd.Series
    history: pd.DataFrame
    last_active: pd.Series
    events: pd.DataFrame


@dataclass(slots=True)
class Derived:
    """The rows to write; in an incremental refresh, those dated ``≥ read_from``."""

    daily: pd.DataFrame
    e1rm: pd.DataFrame
    exercise_daily: pd.DataFrame
    events: pd.DataFrame
    prs: pd.DataFrame
    periods: pd.DataFrame
    muscles: pd.DataFrame
    #: ``user_id → day``: delete an athlete's load rows from here before writing.
    daily_delete_from: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))


EVENT_COLUMNS = [
    "user_id", "set_id", "workout_id", "exercise_id", "kind", "reps", "weight_kg",
    "achieved_on", "achieved_at", "previous",
]  # fmt: skip
DAILY_COLUMNS = [
    "user_id", "date", "sessions", "duration_s", "distance_m", "volume_load_kg",
    "srpe_load", "trimp", "load", "ctl", "atl", "tsb", "ewma_acute", "ewma_chronic",
    "acwr_rolling", "acwr_ewma", "ramp_rate", "acwr_high", "acwr_low", "position",
]  # fmt: skip


def typed(inputs: Inputs) -> Inputs:
    """The inputs with the :data:`SCHEMA` column types (ids as Python objects)."""

    def coerce(frame: pd.DataFrame, schema: dict[str, object]) -> pd.DataFrame:
        out = {}
        for column, dtype in schema.items():
            values = frame[column] if column in frame else pd.Series(index=frame.index)
            if dtype is not object and values.dtype == dtype:
                out[column] = values  # already typed: a refresh's reads mostly are
            elif dtype is object:
                # ids and labels: strings of any pandas flavour; NaN stands for none
                out[column] = (
                    values
                    if values.dtype.kind in "OU" or isinstance(values.dtype, pd.StringDtype)
                    else values.astype(object)
                )
            elif str(dtype).startswith("datetime64[ns, UTC]"):
                out[column] = pd.to_datetime(values, utc=True).astype("datetime64[ns, UTC]")
            elif str(dtype).startswith("datetime64"):
                out[column] = pd.to_datetime(values).astype("datetime64[ns]")
            else:
                out[column] = pd.to_numeric(values).astype(str(dtype))  # type: ignore[call-overload]
        return pd.DataFrame(out, index=frame.index)

    return Inputs(
        **{name: coerce(getattr(inputs, name), schema) for name, schema in SCHEMA.items()}
    )


def read_from(since: pd.Series) -> pd.Series:
    """``min(Monday of the ISO week, 1st of the month)`` of each day (datetime64 in/out)."""
    return pd.Series(np.minimum(week_starts(since), month_start(since)), index=since.index)


def _days(days: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(pd.to_datetime(days).to_numpy(), dtype="datetime64[D]")


def month_start(days: pd.Series | np.ndarray) -> np.ndarray:
    """First day of each day's month."""
    return _days(days).astype("datetime64[M]").astype("datetime64[ns]")


def day_numbers(days: pd.Series | np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 (int64) of datetime64 days."""
    return np.asarray(days, dtype="datetime64[ns]").astype("datetime64[D]").view(np.int64)


class Packed:
    """Integer columns packed into one int64 that sorts as they do (first = primary):
    a groupby on it skips pandas' per-column factorisation and MultiIndex."""

    def __init__(self, *parts: np.ndarray) -> None:
        self.lows = [int(p.min()) if len(p) else 0 for p in parts]
        self.widths = [
            int(p.max()) - low + 1 if len(p) else 1 for p, low in zip(parts, self.lows, strict=True)
        ]
        assert float(np.prod(np.array(self.widths, dtype=float))) < 2**62, "keys overflow"
        keys = np.zeros(len(parts[0]), dtype=np.int64)
        for part, low, width in zip(parts, self.lows, self.widths, strict=True):
            keys = keys * width + (np.asarray(part, dtype=np.int64) - low)
        self.keys = keys

    def unpack(self, keys: np.ndarray) -> list[np.ndarray]:
        """The parts of ``keys`` (as given to the constructor, int64)."""
        out = []
        rest = np.asarray(keys, dtype=np.int64)
        for low, width in zip(reversed(self.lows), reversed(self.widths), strict=True):
            rest, part = np.divmod(rest, width)
            out.append(part + low)
        return out[::-1]
