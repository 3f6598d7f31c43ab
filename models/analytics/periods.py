"""Weekly and monthly summaries of the analytics engine, grouped by one integer key.

Every row counts once in its ISO week and once in its month. The athlete's integer code
(see :class:`models.analytics.engine._Codes`), the period and its start day pack into one int64
(:func:`keys`), factorised once; the sums are ``np.bincount``s over the group codes
(pandas' groupbys cost more in fixed overhead than the sums on a refresh's few rows).
Sums add in row order: equal to pandas' up to the last bit (pandas itself sums either
with ``reduceat`` or Kahan's compensation, depending on its blocks).

Definitions are DESIGN.md §5's; each function names its source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.analytics import balance, training_load
from models.analytics.frames import month_start
from models.vocabulary import week_starts

_SPAN = np.int64(2**32)  # start days (offset by _HALF) below it, athlete × period above
_HALF = np.int64(2**31)
_NAMES = np.array(["week", "month"], dtype=object)


def _day_numbers(starts: np.ndarray) -> np.ndarray:
    return starts.astype("datetime64[D]").view(np.int64) + _HALF


def keys(users: pd.Series, days: pd.Series) -> np.ndarray:
    """Each row twice, week then month: ``(code × 2 + period) × 2³² + start day``."""
    code = np.asarray(users, dtype=np.int64) * 2
    weeks = code * _SPAN + _day_numbers(week_starts(days))
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


def _sums(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Per group sums skipping NaN (as pandas' ``sum``), one ``bincount``."""
    return np.bincount(codes, weights=np.where(np.isnan(values), 0.0, values), minlength=size)


def _counted(counts: np.ndarray) -> np.ndarray:
    # as a left join then fillna(0) gives them: floats once some group has none
    return counts.astype(float) if (counts == 0).any() else counts


def _positions(index: pd.Index, packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group positions of ``packed`` keys in ``index`` and which of them are there."""
    at = index.get_indexer(pd.Index(packed))
    return np.maximum(at, 0), at >= 0


def _monotony(daily: pd.DataFrame, index: pd.Index) -> np.ndarray:
    """:func:`models.analytics.training_load.monotony` for each key of ``index`` (NaN for
    months and weeks without days)."""
    week = np.asarray(daily["user_id"], dtype=np.int64) * 2 * _SPAN
    week += _day_numbers(week_starts(daily["date"]))
    codes, weeks = pd.factorize(week)
    monotony = training_load.monotony(codes, daily["load"].to_numpy(float), len(weeks))
    at, there = _positions(pd.Index(weeks), index.to_numpy())
    return np.where(there, monotony[at] if len(weeks) else np.nan, np.nan)


def _ratios(muscle_weeks: pd.DataFrame, index: pd.Index) -> dict[str, np.ndarray]:
    """:func:`models.analytics.balance.ratios` of each week key of ``index`` (NaN for
    months and weeks without sets)."""
    week = np.asarray(muscle_weeks["user_id"], dtype=np.int64) * 2 * _SPAN
    week += _day_numbers(muscle_weeks["week_start"].to_numpy())
    codes, weeks = pd.factorize(week)
    found = balance.ratios(muscle_weeks["muscle"], muscle_weeks["sets"], codes, len(weeks))
    at, there = _positions(pd.Index(weeks), index.to_numpy())
    return {
        name: np.where(there, ratio[at] if len(weeks) else np.nan, np.nan)
        for name, ratio in found.items()
    }


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
    codes, packed = pd.factorize(keys(sessions["user_id"], sessions["day"]))
    index, size = pd.Index(packed), len(packed)
    out = unpack(packed)
    for column in ("duration_s", "distance_m", "load"):
        out[column] = _sums(codes, np.tile(sessions[column].to_numpy(float), 2), size)
    out["sessions"] = np.bincount(codes, minlength=size)
    # sRPE and TRIMP stay unknown (NaN) in periods without a rated / heart-rate session
    for column in ("srpe_load", "trimp"):
        values = np.tile(sessions[column].to_numpy(float), 2)
        known = np.bincount(codes, weights=~np.isnan(values), minlength=size)
        out[column] = np.where(known > 0, _sums(codes, values, size), np.nan)
    at, there = _positions(index, keys(work["user_id"], work["day"]))
    at = at[there]
    out["reps"] = _sums(at, np.tile(work["reps"].to_numpy(float), 2)[there], size)
    out["volume_load_kg"] = _sums(at, np.tile(work["volume"].to_numpy(float), 2)[there], size)
    out["sets"] = _counted(np.bincount(at, minlength=size))
    at, there = _positions(index, keys(events["user_id"], events["achieved_on"]))
    out["prs"] = _counted(np.bincount(at[there], minlength=size))
    out["monotony"] = _monotony(daily, index)
    out |= _ratios(muscle_weeks, index)
    out["strain"] = out["load"] * out["monotony"]
    return pd.DataFrame(out)
