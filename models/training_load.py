"""Daily training-load series: CTL, ATL, TSB, ACWR (rolling and EWMA), ramp rate,
Foster monotony and strain — pure pandas/numpy over one athlete's daily loads.

Definitions follow DESIGN.md §5; sources and caveats in ``research/sports-science.md`` §3.

* CTL / ATL: exponentially weighted daily load with **time constants** τ = 42 and 7 d,
  ``X_d = X_{d−1} + (L_d − X_{d−1})·(1 − e^(−1/τ))`` (Banister's impulse-response model as
  the Coggan Performance Manager uses it; GoldenCheetah ``PMCData.cpp``), starting from 0.
* TSB_d = CTL_{d−1} − ATL_{d−1}: the form going *into* day d (0 on the first day).
* ACWR, rolling and coupled: mean load of the last 7 days ÷ mean load of the last 28
  days (the 7 inside the 28; Gabbett 2016); NaN until 28 days exist or when the
  28-day mean is 0. EWMA form (Williams et al. 2017): ``E_d = λ·L_d + (1 − λ)·E_{d−1}``
  with λ = 2/(N+1), N = 7 and 28 — a *span*, not the time constant above.
* Ramp rate: CTL_d − CTL_{d−7} (CTL change over 7 days).
* Monotony (Foster 1998): mean ÷ standard deviation (population, ddof = 0) of the 7
  daily loads of an ISO week, zero days included; NaN when the SD is 0. Strain: the
  week's total load × its monotony.
* Flags: ``acwr_high`` when a ratio exceeds 1.5 (Gabbett's "danger zone"), ``acwr_low``
  below 0.8. The evidence that ACWR predicts injury is weak (Impellizzeri 2020/2021):
  the flags describe the load, they do not forecast injuries.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

CTL_DAYS = 42.0
ATL_DAYS = 7.0
ACUTE_DAYS = 7
CHRONIC_DAYS = 28
ACWR_HIGH = 1.5
ACWR_BAND = (0.8, 1.3)

SERIES_COLUMNS = (
    "date", "load", "ctl", "atl", "tsb", "acwr_rolling", "acwr_ewma", "ramp_rate",
    "acwr_high", "acwr_low",
)  # fmt: skip


def daily_loads(
    sessions: pd.DataFrame, *, start: date | None = None, end: date | None = None
) -> pd.Series:
    """Sum session loads per local day over an unbroken calendar (zero days are days).

    Parameters
    ----------
    sessions : DataFrame
        Columns ``day`` (the athlete's local date) and ``load`` (AU, ≥ 0); several
        sessions on one day add up. NaN loads count as 0.
    start, end : date, optional
        The calendar's first and last day; default the first and last session day.

    Returns
    -------
    Series
        Daily load (float, AU) indexed by a daily ``DatetimeIndex`` from start to end.
    """
    if sessions.empty and (start is None or end is None):
        return pd.Series(dtype=float, index=pd.DatetimeIndex([], name="date"))
    days = pd.to_datetime(pd.Series(sessions["day"], dtype=object)) if len(sessions) else None
    first = pd.Timestamp(start) if start is not None else days.min()  # type: ignore[union-attr]
    last = pd.Timestamp(end) if end is not None else days.max()  # type: ignore[union-attr]
    calendar = pd.date_range(first, last, freq="D", name="date")
    if days is None:
        return pd.Series(0.0, index=calendar)
    loads = pd.to_numeric(sessions["load"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    per_day = pd.Series(loads, index=pd.DatetimeIndex(days)).groupby(level=0).sum()
    return per_day.reindex(calendar, fill_value=0.0).astype(float)


#: Columns a continued series needs from the rows before it (see :func:`series_by_athlete`).
STATE_COLUMNS = ("load", "ctl", "atl", "ewma_acute", "ewma_chronic")

#: Rows of history that fully determine the next day: the 28-day window's 27 others,
#: the ramp's 7, the recursions' 1 — rounded up to the chronic window.
HISTORY_DAYS = CHRONIC_DAYS

_ALPHA_CTL = 1.0 - np.exp(-1.0 / CTL_DAYS)
_ALPHA_ATL = 1.0 - np.exp(-1.0 / ATL_DAYS)
_ALPHA_ACUTE = 2.0 / (ACUTE_DAYS + 1)
_ALPHA_CHRONIC = 2.0 / (CHRONIC_DAYS + 1)


def _grouped_ewma(values: np.ndarray, groups: np.ndarray, alpha: float) -> np.ndarray:
    # pandas' adjust=False EWM is exactly E_d = α·L_d + (1 − α)·E_{d−1} from the group's
    # first value; `values` is sorted by group and each group starts with its seed.
    if len(groups) and groups[0] == groups[-1]:  # one athlete (a refresh): no grouping
        return pd.Series(values).ewm(alpha=alpha, adjust=False).mean().to_numpy()
    out = pd.Series(values).groupby(groups, sort=False).ewm(alpha=alpha, adjust=False).mean()
    return out.reset_index(level=0, drop=True).sort_index().to_numpy()


def _window_mean(cumulative: np.ndarray, within: np.ndarray, days: int) -> np.ndarray:
    # Mean of the last `days` values of a per-group running sum; NaN until the group
    # holds that many rows.
    earlier = np.r_[np.full(days, np.nan), cumulative[:-days]][: len(cumulative)]
    total = np.where(within >= days, cumulative - earlier, np.nan)
    return np.where(within == days - 1, cumulative, total) / days


def series_by_athlete(daily: pd.DataFrame, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """CTL, ATL, TSB, both ACWRs, ramp rate and flags for many athletes at once.

    Parameters
    ----------
    daily : DataFrame
        ``user_id``, ``date`` (``datetime.date``), ``load`` (AU): per athlete one row
        per calendar day, consecutive, sorted by ``user_id, date`` (zero days are days).
    history : DataFrame, optional
        The rows each athlete's series already holds just before its first ``daily``
        row (the last :data:`HISTORY_DAYS` or fewer, consecutive, ending the day
        before): ``user_id``, ``date``, :data:`STATE_COLUMNS` and ``position`` (the
        row's day number in the athlete's calendar, 0 = its first day). With it the
        result continues that series exactly; athletes without history start at 0.

    Returns
    -------
    DataFrame
        ``user_id``, :data:`SERIES_COLUMNS`, ``ewma_acute``, ``ewma_chronic`` and
        ``position``: one row per ``daily`` row, in its order. Loads and states in AU.
    """
    columns = ["user_id", *SERIES_COLUMNS, "ewma_acute", "ewma_chronic", "position"]
    if daily.empty:
        types: dict[str, Any] = {"user_id": object, "date": "datetime64[ns]", "position": "int64"}
        types |= {"acwr_high": bool, "acwr_low": bool}
        return pd.DataFrame({c: pd.Series(dtype=types.get(c, float)) for c in columns})
    new = pd.DataFrame(
        {
            "user_id": daily["user_id"].to_numpy(),
            "date": daily["date"].to_numpy(),
            "load": daily["load"].to_numpy(dtype=float),
            "_new": True,
            "_order": np.arange(len(daily)),
        }
    )
    parts = [new]
    if history is not None and not history.empty:
        old = history.loc[history["user_id"].isin(new["user_id"])]
        parts.insert(
            0, old.assign(_new=False, _order=-1)[[*new.columns, "position", *STATE_COLUMNS[1:]]]
        )
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else new
    frame = frame.sort_values(["user_id", "date"], kind="stable").reset_index(drop=True)
    group = pd.factorize(frame["user_id"])[0]
    within = frame.groupby(group, sort=False).cumcount().to_numpy()
    if "position" in frame:
        first = frame.groupby(group, sort=False)["position"].transform("first")
        position = within + first.fillna(0).to_numpy(dtype=np.int64)
    else:
        position = within
    is_new = frame["_new"].to_numpy(dtype=bool)
    loads = frame["load"].to_numpy(dtype=float)

    # The recursions run over each athlete's new rows behind one seed row: the last
    # history state (day −1), or 0 for an athlete's first day.
    new_at = np.flatnonzero(is_new)
    first_new = new_at[np.r_[True, group[new_at][1:] != group[new_at][:-1]]]
    states: dict[str, np.ndarray] = {}
    for name, alpha in (
        ("ctl", _ALPHA_CTL), ("atl", _ALPHA_ATL),
        ("ewma_acute", _ALPHA_ACUTE), ("ewma_chronic", _ALPHA_CHRONIC),
    ):  # fmt: skip
        seed = np.zeros(len(first_new))
        if name in frame:
            before = first_new - 1
            has = (before >= 0) & (group[np.maximum(before, 0)] == group[first_new])
            seed = np.where(has, frame[name].to_numpy(dtype=float)[np.maximum(before, 0)], 0.0)
        # interleave: seed of group g sorts before its new rows
        key = np.r_[first_new - 0.5, new_at]
        vals = np.r_[seed, loads[new_at]]
        grp = np.r_[group[first_new], group[new_at]]
        order = np.argsort(key, kind="stable")
        smoothed = _grouped_ewma(vals[order], grp[order], alpha)
        in_input_order = smoothed[np.argsort(order)]
        column = np.zeros(len(frame))
        if name in frame:
            column = frame[name].to_numpy(dtype=float).copy()
        column[new_at] = in_input_order[len(first_new) :]
        states[name] = column
    ctl, atl = states["ctl"], states["atl"]
    tsb = np.where(within > 0, np.r_[np.nan, (ctl - atl)[:-1]], 0.0)
    cumulative = frame.groupby(group, sort=False)["load"].cumsum().to_numpy(dtype=float)
    acute = _window_mean(cumulative, within, ACUTE_DAYS)
    chronic = _window_mean(cumulative, within, CHRONIC_DAYS)
    # a window may not reach back before the athlete's first calendar day
    chronic = np.where(position >= CHRONIC_DAYS - 1, chronic, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        rolling = np.where(chronic > 0, acute / chronic, np.nan)
        ewma = np.where(
            states["ewma_chronic"] > 0, states["ewma_acute"] / states["ewma_chronic"], np.nan
        )
    week_ago = np.r_[np.full(7, np.nan), ctl[:-7]][: len(ctl)]
    ramp = np.where(within >= 7, ctl - week_ago, np.nan)
    with np.errstate(invalid="ignore"):
        high = (np.nan_to_num(rolling, nan=-1.0) > ACWR_HIGH) | (
            np.nan_to_num(ewma, nan=-1.0) > ACWR_HIGH
        )
        low = np.nan_to_num(rolling, nan=np.inf) < ACWR_BAND[0]
    out = pd.DataFrame(
        {
            "user_id": frame["user_id"].to_numpy(),
            "date": frame["date"].to_numpy(),
            "load": loads,
            "ctl": ctl,
            "atl": atl,
            "tsb": tsb,
            "acwr_rolling": rolling,
            "acwr_ewma": ewma,
            "ramp_rate": ramp,
            "acwr_high": high,
            "acwr_low": low,
            "ewma_acute": states["ewma_acute"],
            "ewma_chronic": states["ewma_chronic"],
            "position": position,
            "_order": frame["_order"].to_numpy(),
        }
    )
    out = out[is_new].sort_values("_order").drop(columns="_order")
    return out.reset_index(drop=True)


def load_series(daily: pd.Series) -> pd.DataFrame:
    """CTL, ATL, TSB, both ACWRs, ramp rate and flags for one athlete's daily loads.

    Parameters
    ----------
    daily : Series
        Output of :func:`daily_loads`: one value per calendar day, no gaps.

    Returns
    -------
    DataFrame
        :data:`SERIES_COLUMNS`, one row per day, in order.
    """
    index = pd.DatetimeIndex(daily.index)
    frame = pd.DataFrame(
        {"user_id": "athlete", "date": index.date, "load": daily.to_numpy(dtype=float)}
    )
    if frame.empty:
        return pd.DataFrame(columns=list(SERIES_COLUMNS))
    return series_by_athlete(frame)[list(SERIES_COLUMNS)]


def weekly_monotony(daily: pd.Series) -> pd.DataFrame:
    """Foster's monotony and strain per ISO week (Monday first) of complete weeks.

    Returns
    -------
    DataFrame
        Columns ``week_start`` (date), ``load`` (weekly total, AU), ``monotony``
        (mean ÷ population SD of the 7 daily loads; NaN when the SD is 0) and
        ``strain`` (load × monotony). Weeks the series covers only partly are left out.
    """
    if daily.empty:
        return pd.DataFrame(columns=["week_start", "load", "monotony", "strain"])
    index = pd.DatetimeIndex(daily.index)
    frame = daily.to_frame("load")
    frame["week_start"] = (index - pd.to_timedelta(np.asarray(index.day_of_week), unit="D")).date
    grouped = frame.groupby("week_start")["load"]
    stats = grouped.agg(["sum", "mean", "count"])
    stats["sd"] = grouped.std(ddof=0)
    stats = stats[stats["count"] == 7]
    with np.errstate(invalid="ignore", divide="ignore"):
        monotony = np.where(stats["sd"] > 0, stats["mean"] / stats["sd"], np.nan)
    out = pd.DataFrame(
        {
            "week_start": stats.index,
            "load": stats["sum"].to_numpy(dtype=float),
            "monotony": monotony,
            "strain": stats["sum"].to_numpy(dtype=float) * monotony,
        }
    )
    return out.reset_index(drop=True)
