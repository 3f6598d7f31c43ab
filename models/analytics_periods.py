"""Weekly and monthly summaries of the analytics engine, grouped by one integer key.

Every row counts once in its ISO week and once in its month. The athlete's integer code
(see :class:`models.analytics._Codes`), the period and its start day pack into one int64
(:func:`keys`), so each table needs one single-key groupby instead of a three-column one
(pandas factorises every key column and builds a MultiIndex first, which costs more than
the sums on a refresh's few rows). Sums run through the same pandas reductions over the
same rows in the same order as a grouping by columns would: the values are identical.

Definitions are DESIGN.md §5's; each function names its source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.analytics_frames import month_start, week_start
from models.balance import LOWER, PULL, PUSH, UPPER

_SPAN = np.int64(2**32)  # start days (offset by _HALF) below it, athlete × period above
_HALF = np.int64(2**31)
_NAMES = np.array(["week", "month"], dtype=object)


def _day_numbers(starts: np.ndarray) -> np.ndarray:
    return starts.astype("datetime64[D]").view(np.int64) + _HALF


def keys(users: pd.Series, days: pd.Series) -> np.ndarray:
    """Each row twice, week then month: ``(code × 2 + period) × 2³² + start day``."""
    code = np.asarray(users, dtype=np.int64) * 2
    weeks = code * _SPAN + _day_numbers(week_start(days))
    months = (code + 1) * _SPAN + _day_numbers(month_start(days))
    return np.concatenate([weeks, months])


def unpack(packed: np.ndarray) -> dict[str, np.ndarray]:
    """``user_id`` (code), ``period`` and ``start`` of packed keys."""
    high, low = np.divmod(packed, _SPAN)
    return {
        "user_id": high // 2,
        "period": _NAMES[high % 2],
        "start": (low - _HALF).astype("datetime64[D]").astype("datetime64[ns]"),
    }


def _twice(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: np.tile(frame[c].to_numpy(), 2) for c in columns})


def _monotony(daily: pd.DataFrame) -> pd.Series:
    """Foster's monotony per week key: mean ÷ SD of the week's 7 daily loads, days of
    the week outside the calendar being rest days (0); NaN when the SD is 0."""
    week = np.asarray(daily["user_id"], dtype=np.int64) * 2 * _SPAN
    week += _day_numbers(week_start(daily["date"]))
    load = daily["load"].reset_index(drop=True)
    by_week = load.groupby(week, sort=False)
    total = by_week.transform("sum").to_numpy()
    squares = ((load - total / 7) ** 2).groupby(week, sort=False).sum()
    mean = by_week.sum() / 7
    sd = np.sqrt((squares + (7 - by_week.size()) * mean**2) / 7)
    return mean / sd.where(sd > 0)


def _ratios(muscle_weeks: pd.DataFrame) -> pd.DataFrame:
    """Push ÷ pull and upper ÷ lower fractional sets per week key (as
    :func:`models.balance.ratios`; NaN when the divisor is 0)."""
    week = np.asarray(muscle_weeks["user_id"], dtype=np.int64) * 2 * _SPAN
    week += _day_numbers(muscle_weeks["week_start"].to_numpy())
    index = pd.Index(pd.unique(week))
    muscle = muscle_weeks["muscle"]
    sets = muscle_weeks["sets"].reset_index(drop=True)
    out = {}
    for name, top, bottom in (("push_pull", PUSH, PULL), ("upper_lower", UPPER, LOWER)):
        totals = []
        for group in (top, bottom):
            picked = muscle.isin(group).to_numpy()
            total = sets[picked].groupby(week[picked], sort=False).sum()
            totals.append(total.reindex(index, fill_value=0.0).to_numpy())
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = np.where(totals[1] > 0, totals[0] / totals[1], np.nan)
    return pd.DataFrame(out, index=index)


def periods(
    sessions: pd.DataFrame,
    work: pd.DataFrame,
    events: pd.DataFrame,
    daily: pd.DataFrame,
    muscle_weeks: pd.DataFrame,
) -> pd.DataFrame:
    """Weekly and monthly summaries: sessions, duration, distance, sets, reps, volume,
    sRPE load, TRIMP, combined load, PRs set; weeks add Foster's monotony (mean ÷ SD of
    the week's 7 daily loads, rest days 0) and strain (load × monotony), and the
    push/pull and upper/lower set ratios. One row per athlete, period and start, in the
    order the sessions first reach them."""
    s = _twice(sessions, ["duration_s", "distance_m", "load", "srpe_load", "trimp"])
    grouped = s.groupby(keys(sessions["user_id"], sessions["day"]), sort=False)
    agg = grouped[["duration_s", "distance_m", "load"]].sum()
    agg["sessions"] = grouped.size()
    agg = agg.join(grouped[["srpe_load", "trimp"]].sum(min_count=1))
    w = _twice(work.assign(reps=work["reps"].fillna(0.0)), ["reps", "volume"])
    lifted = w.groupby(keys(work["user_id"], work["day"]), sort=False)
    agg = agg.join(lifted[["reps", "volume"]].sum().rename(columns={"volume": "volume_load_kg"}))
    agg["sets"] = lifted.size()
    prs = keys(events["user_id"], events["achieved_on"])
    agg["prs"] = pd.Series(prs).groupby(prs, sort=False).size()

    weekly = pd.DataFrame({"monotony": _monotony(daily)})
    if muscle_weeks.empty:  # as models.balance.ratios: untyped empty columns
        for name in ("push_pull", "upper_lower"):
            weekly[name] = pd.Series(np.nan, index=weekly.index, dtype=object)
    else:
        weekly = weekly.join(_ratios(muscle_weeks))
    agg = agg.join(weekly)
    agg["strain"] = agg["load"] * agg["monotony"]
    packed = agg.index.to_numpy(dtype=np.int64)
    out = pd.DataFrame(unpack(packed) | {c: agg[c].to_numpy() for c in agg.columns})
    return out.fillna({"sets": 0, "reps": 0.0, "volume_load_kg": 0.0, "prs": 0})
