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


def _time_constant(loads: np.ndarray, tau: float, seed: float = 0.0) -> np.ndarray:
    """``X_d = X_{d−1} + (L_d − X_{d−1})·(1 − e^(−1/τ))``, vectorised as a linear filter."""
    alpha = 1.0 - np.exp(-1.0 / tau)
    return _ewma(loads, alpha, seed)


def _ewma(loads: np.ndarray, alpha: float, seed: float = 0.0) -> np.ndarray:
    # pandas' adjust=False EWM is exactly E_d = α·L_d + (1 − α)·E_{d−1}; prepending the
    # seed as day −1 starts the recursion from it.
    values = np.r_[seed, loads]
    return pd.Series(values).ewm(alpha=alpha, adjust=False).mean().to_numpy()[1:]


def load_series(daily: pd.Series) -> pd.DataFrame:
    """CTL, ATL, TSB, both ACWRs, ramp rate and flags for a daily load series.

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
    loads = daily.to_numpy(dtype=float)
    ctl = _time_constant(loads, CTL_DAYS)
    atl = _time_constant(loads, ATL_DAYS)
    tsb = np.r_[0.0, (ctl - atl)[:-1]] if loads.size else np.array([])
    acute = daily.rolling(ACUTE_DAYS, min_periods=ACUTE_DAYS).mean().to_numpy()
    chronic = daily.rolling(CHRONIC_DAYS, min_periods=CHRONIC_DAYS).mean().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        rolling = np.where(chronic > 0, acute / chronic, np.nan)
        acute_e = _ewma(loads, 2.0 / (ACUTE_DAYS + 1))
        chronic_e = _ewma(loads, 2.0 / (CHRONIC_DAYS + 1))
        ewma = np.where(chronic_e > 0, acute_e / chronic_e, np.nan)
    ramp = ctl - np.r_[np.full(min(7, ctl.size), np.nan), ctl[:-7]] if ctl.size else ctl
    ratios = np.vstack([rolling, ewma]) if loads.size else np.empty((2, 0))
    return pd.DataFrame(
        {
            "date": index.date,
            "load": loads,
            "ctl": ctl,
            "atl": atl,
            "tsb": tsb,
            "acwr_rolling": rolling,
            "acwr_ewma": ewma,
            "ramp_rate": ramp,
            "acwr_high": np.nanmax(np.where(np.isnan(ratios), -np.inf, ratios), axis=0) > ACWR_HIGH
            if loads.size
            else np.array([], dtype=bool),
            "acwr_low": (rolling < ACWR_BAND[0]) if loads.size else np.array([], dtype=bool),
        },
        columns=list(SERIES_COLUMNS),
    )


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
