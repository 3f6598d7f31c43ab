"""Daily training-load series: each session's combined load, each athlete's calendar of
daily loads, and over it CTL, ATL, TSB, ACWR (rolling and EWMA) and ramp rate — pure
pandas/numpy over many athletes at once — and Foster's weekly monotony (the weekly
summaries of :mod:`models.analytics.periods` call it).

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

from typing import Any

import numpy as np
import pandas as pd

from models.analytics.frames import DAILY_COLUMNS, Previous
from models.sessions import load as session_load

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


def monotony(weeks: np.ndarray, loads: np.ndarray, count: int) -> np.ndarray:
    """Foster's monotony of each of ``count`` weeks: mean ÷ standard deviation
    (population, ddof = 0) of the week's 7 daily loads, a day of the week without a
    row being a rest day (load 0); NaN when the SD is 0. Foster C. (1998) *Med Sci
    Sports Exerc* 30(7):1164–1168. Strain is the week's load × its monotony.

    ``weeks``: each daily row's week code (0 … count − 1, int); ``loads``: its load (AU).
    Returns one float per week code.
    """
    known = np.where(np.isnan(loads), 0.0, loads)
    total = np.bincount(weeks, weights=known, minlength=count)
    deviations = (loads - total[weeks] / 7) ** 2
    squares = np.bincount(
        weeks, weights=np.where(np.isnan(deviations), 0.0, deviations), minlength=count
    )
    size = np.bincount(weeks, minlength=count)
    mean = total / 7
    sd = np.sqrt((squares + (7 - size) * mean**2) / 7)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, mean / sd, np.nan)


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


def sessions_with_load(workouts: pd.DataFrame, work: pd.DataFrame) -> pd.DataFrame:
    """Workouts with their combined load (:func:`models.sessions.load.combined_loads`)
    and the count and mean RPE of their counted sets (RPE, else 10 − RIR)."""
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
    """The load series (DESIGN §5 CTL/ATL/TSB/ACWR, :func:`series_by_athlete`) over
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
    series = series_by_athlete(daily, history)
    for column in ("sessions", "duration_s", "distance_m", "volume_load_kg", "srpe_load", "trimp"):
        values = filled[column]
        series[column] = (values.fillna(_ZERO[column]) if column in _ZERO else values).to_numpy()
    series["sessions"] = series["sessions"].astype(np.int64)
    return series[DAILY_COLUMNS], delete_from
