"""The athlete's state before a query's day, for :mod:`models.coaching.features`: the
training load series (CTL, ATL, TSB, rolling ACWR; DESIGN §5), the volume load of the
exercise's muscle groups, training age and breaks, and body mass.

Each reads days strictly before the query's local day: what the athlete had done by the
time they came to the session.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.analytics.frames import Inputs, typed
from models.analytics.strength import working_sets
from models.analytics.training_load import series_by_athlete, sessions_with_load


def load_days(inputs: Inputs, until: pd.Series) -> pd.DataFrame:
    """Each athlete's daily load series (CTL, ATL, TSB, rolling ACWR; DESIGN §5) from
    their first training day to the day before their latest query (``until``: user →
    day), zero-load days included."""
    typed_inputs = typed(inputs)
    work = working_sets(typed_inputs.sets)
    sessions = sessions_with_load(typed_inputs.workouts, work)
    if sessions.empty:
        return pd.DataFrame(columns=["user_id", "date", "ctl", "atl", "tsb", "acwr_rolling"])
    loads = sessions.groupby(["user_id", "day"])["load"].sum().reset_index()
    first = loads.groupby("user_id")["day"].min()
    last = pd.concat([loads.groupby("user_id")["day"].max(), until]).groupby(level=0).max()
    last = last.reindex(first.index)
    span = ((last - first).dt.days + 1).clip(lower=1).to_numpy(np.int64)
    users = np.repeat(first.index.to_numpy(dtype=object), span)
    offsets = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
    dates = np.repeat(first.to_numpy("datetime64[D]"), span) + offsets.astype("timedelta64[D]")
    calendar = pd.DataFrame({"user_id": users, "date": dates.astype("datetime64[ns]")})
    calendar = calendar.merge(
        loads.rename(columns={"day": "date"}), on=["user_id", "date"], how="left"
    )
    codes, uniques = pd.factorize(calendar["user_id"])
    daily = pd.DataFrame(
        {"user_id": codes, "date": calendar["date"], "load": calendar["load"].fillna(0.0)}
    )
    series = series_by_athlete(daily)
    return pd.DataFrame(
        {
            "user_id": uniques[series["user_id"].to_numpy(np.int64)],
            "date": series["date"].to_numpy(),
            "ctl": series["ctl"].to_numpy(float),
            "atl": series["atl"].to_numpy(float),
            "tsb": series["tsb"].to_numpy(float),
            "acwr_rolling": series["acwr_rolling"].to_numpy(float),
        }
    )


def _muscle_days(inputs: Inputs) -> pd.DataFrame:
    """Volume load (kg) per athlete, muscle group and local day, primary muscles only."""
    sets = typed(inputs).sets
    work = working_sets(sets)
    primary = inputs.muscles[inputs.muscles["share"] >= 1.0][["exercise_id", "muscle"]]
    per = work[["user_id", "exercise_id", "day", "volume"]].merge(primary, on="exercise_id")
    return per.groupby(["user_id", "muscle", "day"], as_index=False)["volume"].sum()


def muscle_volume(inputs: Inputs, queries: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per query: the exercise's primary muscles' volume load in the 7 days before its day,
    and that ÷ the weekly mean of the 28 days before those 7 (NaN when that mean is 0)."""
    days = _muscle_days(inputs)
    primary = inputs.muscles[inputs.muscles["share"] >= 1.0][["exercise_id", "muscle"]]
    asked = queries[["user_id", "exercise_id", "day"]].reset_index(names="_q")
    asked = asked.merge(primary, on="exercise_id")
    if days.empty or asked.empty:
        zero = np.zeros(len(queries))
        return zero, np.full(len(queries), np.nan)
    pairs = pd.concat([days[["user_id", "muscle"]], asked[["user_id", "muscle"]]])
    codes, _ = pd.factorize(pairs["user_id"].astype(str) + "|" + pairs["muscle"].astype(str))
    day_codes, ask_codes = codes[: len(days)], codes[len(days) :]
    day_no = days["day"].to_numpy("datetime64[D]").view(np.int64)
    order = np.lexsort((day_no, day_codes))
    key = day_codes[order].astype(np.int64) * (1 << 32) + day_no[order] + (1 << 31)
    # per-pair cumulative sums (see _window): the pair's volume in sorted rows before i
    pair = day_codes[order]
    cum = pd.Series(days["volume"].to_numpy(float)[order]).groupby(pair).cumsum().to_numpy()
    q_day = asked["day"].to_numpy("datetime64[D]").view(np.int64)
    q_key = ask_codes.astype(np.int64) * (1 << 32) + (1 << 31)

    def prefix(i: np.ndarray) -> np.ndarray:
        j = np.maximum(i - 1, 0)
        return np.where((i > 0) & (pair[j] == ask_codes), cum[j], 0.0)

    def between(lo: int, hi: int) -> np.ndarray:  # days [day − lo, day − hi]
        a = np.searchsorted(key, q_key + q_day - lo, side="left")
        b = np.searchsorted(key, q_key + q_day - hi, side="right")
        return prefix(b) - prefix(a)

    week = pd.Series(between(7, 1)).groupby(asked["_q"].to_numpy()).sum()
    month = pd.Series(between(35, 8)).groupby(asked["_q"].to_numpy()).sum()
    week = week.reindex(range(len(queries)), fill_value=0.0).to_numpy()
    month = month.reindex(range(len(queries)), fill_value=0.0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(month > 0, week / (month / 4.0), np.nan)
    return week, ratio


def _workout_days(inputs: Inputs) -> pd.DataFrame:
    """Each athlete's distinct workout days, sorted, with the gap (days) before each."""
    typed_inputs = typed(inputs)
    days = pd.concat(
        [typed_inputs.workouts[["user_id", "day"]], typed_inputs.sets[["user_id", "day"]]]
    ).drop_duplicates()
    days = days.sort_values(["user_id", "day"], kind="stable").reset_index(drop=True)
    gap = days.groupby("user_id")["day"].diff().dt.days
    return days.assign(gap=gap.to_numpy(float))


def breaks(inputs: Inputs, queries: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per query: days since the athlete's first workout day, and the longest gap among
    their last 10 workout days before the query's day and the one up to it."""
    days = _workout_days(inputs)
    n = len(queries)
    if days.empty:
        return np.full(n, np.nan), np.full(n, np.nan)
    codes, uniques = pd.factorize(days["user_id"])
    q_codes = pd.Index(uniques).get_indexer(queries["user_id"].to_numpy(dtype=object))
    day_no = days["day"].to_numpy("datetime64[D]").view(np.int64)
    key = codes.astype(np.int64) * (1 << 32) + day_no + (1 << 31)
    q_day = queries["day"].to_numpy("datetime64[D]").view(np.int64)
    q_key = q_codes.astype(np.int64) * (1 << 32) + q_day + (1 << 31)
    j = np.searchsorted(key, q_key, side="left") - 1  # the last workout day before
    found = (q_codes >= 0) & (j >= 0) & (codes[np.maximum(j, 0)] == q_codes)
    first_at = np.searchsorted(codes, q_codes, side="left")  # codes are sorted
    first_day = day_no[np.clip(first_at, 0, len(day_no) - 1)]
    gaps = days.groupby(codes)["gap"].rolling(9, min_periods=1).max().to_numpy()
    last_day = day_no[np.maximum(j, 0)]
    longest = np.fmax(gaps[np.maximum(j, 0)], (q_day - last_day).astype(float))
    age = (q_day - first_day).astype(float)
    return np.where(found, age, np.nan), np.where(found, longest, np.nan)


def body_mass(inputs: Inputs, queries: pd.DataFrame) -> np.ndarray:
    """The latest body mass measured before each query's day (NaN: none)."""
    mass = typed(inputs).body_mass.dropna(subset=["body_mass_kg"])
    if mass.empty:
        return np.full(len(queries), np.nan)
    left = queries[["user_id", "day"]].reset_index(names="_q")
    left["user_id"] = left["user_id"].astype(str)
    left["day"] = left["day"].astype("datetime64[ns]")
    right = mass.assign(user_id=mass["user_id"].astype(str)).sort_values("day")
    found = pd.merge_asof(
        left.sort_values("day"),
        right[["user_id", "day", "body_mass_kg"]],
        on="day",
        by="user_id",
        allow_exact_matches=False,
    )
    return found.sort_values("_q")["body_mass_kg"].to_numpy(float)
