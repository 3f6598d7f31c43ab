"""Session-level analytics tables: each session's combined load and the daily load
series over each athlete's calendar (the weekly and monthly summaries:
:mod:`models.analytics_periods`).

Definitions are DESIGN.md §5's; each function names its source.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models import load as session_load
from models import training_load
from models.analytics_frames import DAILY_COLUMNS, Previous


def sessions_with_load(workouts: pd.DataFrame, work: pd.DataFrame) -> pd.DataFrame:
    """Workouts with their combined load (:func:`models.load.combined_loads`)."""
    rpe = work["rpe"].to_numpy(float)
    rpe = np.where(np.isnan(rpe), 10 - work["rir"].to_numpy(float), rpe)
    per = pd.Series(rpe).groupby(work["workout_id"].to_numpy())
    stats = pd.DataFrame({"working_sets": per.size(), "mean_set_rpe": per.mean()})
    frame = workouts.join(stats, on="workout_id")
    frame["working_sets"] = frame["working_sets"].fillna(0)
    loads = session_load.combined_loads(frame)
    return frame.assign(load=loads["load"], srpe_load=loads["srpe_load"], trimp=loads["trimp"])


def _calendar(first: pd.Series, last: pd.Series) -> pd.DataFrame:
    """Every day from ``first`` to ``last`` per athlete (both indexed by user_id)."""
    span = ((last - first).dt.days + 1).clip(lower=0).to_numpy(dtype=np.int64)
    users = np.repeat(first.index.to_numpy(), span)
    starts = np.repeat(first.to_numpy(), span)
    offsets = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
    return pd.DataFrame({"user_id": users, "date": starts + offsets.astype("timedelta64[D]")})


_SPAN, _HALF = np.int64(2**32), np.int64(2**31)
_ZERO = {"sessions": 0, "duration_s": 0.0, "distance_m": 0.0, "volume_load_kg": 0.0, "load": 0.0}


def _day_keys(users: pd.Series, days: pd.Series) -> np.ndarray:
    """``athlete code × 2³² + day``: one sortable int64 per athlete and day (one-key
    groupbys and reindexes cost a fraction of two-column ones on a refresh's rows)."""
    day = np.asarray(days, dtype="datetime64[ns]").astype("datetime64[D]").view(np.int64)
    return np.asarray(users, dtype=np.int64) * _SPAN + day + _HALF


def load_days(
    sessions: pd.DataFrame, work: pd.DataFrame, previous: Previous | None
) -> tuple[pd.DataFrame, pd.Series]:
    """The load series (DESIGN §5 CTL/ATL/TSB/ACWR, :mod:`models.training_load`) over
    each athlete's calendar, first to last training day; and where to delete from."""
    grouped = sessions.groupby(_day_keys(sessions["user_id"], sessions["day"]))
    per_day = grouped[["duration_s", "distance_m", "load"]].sum()
    per_day["sessions"] = grouped.size()
    # sRPE and TRIMP stay unknown (NaN) on days without a rated / heart-rate session
    per_day = per_day.join(grouped[["srpe_load", "trimp"]].sum(min_count=1))
    volume = work["volume"].groupby(_day_keys(work["user_id"], work["day"])).sum()
    per_day = per_day.join(volume.rename("volume_load_kg"), how="outer").fillna(_ZERO)
    users, days = np.divmod(per_day.index.to_numpy(dtype=np.int64), _SPAN)
    days = (days - _HALF).astype("datetime64[D]").astype("datetime64[ns]")
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]]) if len(users) else users
    index = pd.Index(users[starts], name="user_id")
    first: pd.Series[Any] = pd.Series(days[starts], index=index)
    last = pd.Series(days[np.r_[starts[1:], len(users)] - 1] if len(users) else days, index=index)
    history = None
    delete_from = pd.Series(dtype="datetime64[ns]")
    if previous is not None:
        history = previous.history
        hist_last = (
            history.groupby("user_id")["date"].max()
            if not history.empty
            else pd.Series(dtype="datetime64[ns]")
        )
        continues = hist_last.reindex(first.index).dropna() + pd.Timedelta(days=1)
        first.loc[continues.index] = continues
        # an athlete without training from read_from on: the calendar now ends on
        # the last active day before it (NaT: no calendar left at all)
        idle = ~previous.read_from.index.isin(last.index)
        ends = previous.last_active.reindex(previous.read_from.index) + pd.Timedelta(days=1)
        delete_from = previous.read_from.where(~idle | ends.isna(), ends)
    calendar = _calendar(first, last)
    filled = per_day.reindex(_day_keys(calendar["user_id"], calendar["date"]))
    daily = calendar.assign(load=filled["load"].fillna(0.0).to_numpy())
    series = training_load.series_by_athlete(daily, history)
    for column in ("sessions", "duration_s", "distance_m", "volume_load_kg", "srpe_load", "trimp"):
        values = filled[column]
        series[column] = (values.fillna(_ZERO[column]) if column in _ZERO else values).to_numpy()
    series["sessions"] = series["sessions"].astype(np.int64)
    return series[DAILY_COLUMNS], delete_from
