"""Point-in-time features of the coach: one row per (athlete, exercise, as-of time).

One function, :func:`build`, makes the features for training and for serving: for a
query (athlete, exercise, ``as_of``) it reads only what happened *before* ``as_of`` —
the exercise's sessions that started earlier, the athlete's training load up to the
day before, body mass measured before that day. :func:`training_examples` asks it at
the start of every session that has an earlier one and adds the label: the best
working-set e1RM of that session (Epley, DESIGN §5) — "the next session" as seen from
just before it. ``tests/unit/models/coaching/test_features.py`` proves that changing or
deleting everything from ``as_of`` on leaves the features unchanged.

A *session* of an exercise is its counted sets in one workout with at least one set
eligible for an e1RM (DESIGN §5: strength kind, weight > 0, 1–12 reps); its value is
the best of those sets' Epley e1RMs, its *top set* the set that gave it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.analytics.frames import Inputs, typed
from models.analytics.strength import e1rm_eligible, epley, reps_in_reserve, working_sets
from models.coaching import athlete_state

#: The model's inputs, in order (all float64; NaN where unknown — the estimator takes NaN).
FEATURES: tuple[str, ...] = (
    "level_kg",  # best e1RM of the last session of the exercise (kg)
    "mean3_ratio",  # mean best e1RM of the last 3 sessions ÷ level
    "mean6_ratio",
    "max6_ratio",
    "median12_ratio",
    "slope3_wk",  # OLS slope of ln(best e1RM) over the last 3 sessions, per week
    "slope6_wk",
    "slope12_wk",
    "slope4w_wk",  # the same over the sessions of the last 4 / 12 weeks
    "slope12w_wk",
    "days_since",  # days from the last session of the exercise to the as-of day
    "sessions_28d",  # sessions of the exercise in the 28 days before as-of
    "sessions_total",  # sessions of the exercise before as-of
    "ctl",  # the athlete's CTL, ATL, TSB, rolling ACWR on the day before as-of (DESIGN §5)
    "atl",
    "tsb",
    "acwr",
    "muscle_volume_7d_kg",  # volume load of the exercise's muscle groups in the last 7 days
    "muscle_volume_ratio",  # ÷ the weekly mean of the 28 days before
    "rpe_last",  # top-set RPE of the last session (NaN: none logged)
    "rpe_drift",  # mean RPE of the last 3 sessions − of the 6 before
    "rir_last",  # mean reps in reserve of the last session's working sets
    "top_reps_last",  # reps of the last session's top set
    "working_sets_last",  # working sets of the last session
    "last_intensity",  # last session's top-set weight ÷ level
    "training_age_days",  # days since the athlete's first workout
    "break_days",  # the longest gap between the athlete's last 10 workout days and as-of
    "body_mass_kg",  # latest body mass before as-of (NaN: none)
    "relative_level",  # level ÷ body mass
    "unit_lb",  # 1 when the last session's weights arrived in lb, else 0
)
#: What :func:`build` adds beside the features: both baselines' forecasts and what a
#: prescription follows (the last session's top set and scheme, the best recent weight).
CONTEXT: tuple[str, ...] = (
    "persistence_kg",
    "trend_kg",
    "last_day",
    "last_weight_kg",
    "last_unit",
    "best_recent_weight_kg",
)
#: Sessions the linear-trend baseline fits (the athlete's own recent trend).
TREND_SESSIONS = 6
#: The trend baseline extrapolates at most this many days past the last session.
TREND_HORIZON_DAYS = 28
_DAY = np.timedelta64(1, "D")


def exercise_sessions(inputs: Inputs) -> pd.DataFrame:
    """One row per (athlete, exercise, workout) with an e1RM-eligible set.

    Returns ``user_id``, ``exercise_id``, ``workout_id``, ``performed_at`` (UTC),
    ``day`` (local), ``e1rm_kg`` (best Epley e1RM), ``top_weight_kg``, ``top_reps``,
    ``top_rpe`` (NaN: none), ``top_unit`` ('kg' | 'lb' | None), ``working_sets`` (the
    eligible counted sets) and ``mean_rir`` (their mean reps in reserve, NaN: none
    logged), sorted by athlete, exercise and start.
    """
    units = inputs.sets["weight_unit"] if "weight_unit" in inputs.sets else None
    sets = typed(inputs).sets
    sets = sets.assign(weight_unit=units.to_numpy() if units is not None else None)
    work = working_sets(sets)
    w, r = work["weight_kg"].to_numpy(float), work["reps"].to_numpy(float)
    work = work[e1rm_eligible(work["exercise_kind"].to_numpy(), w, r)]
    if work.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _SESSION_TYPES.items()})
    work = work.assign(
        e1rm_kg=epley(work["weight_kg"].to_numpy(float), work["reps"].to_numpy(float)),
        rir_=reps_in_reserve(work["rir"].to_numpy(float), work["rpe"].to_numpy(float)),
    )
    # best first inside each workout's exercise; ties → the earlier position
    work = work.sort_values(
        ["user_id", "exercise_id", "performed_at", "workout_id", "e1rm_kg", "position"],
        ascending=[True, True, True, True, False, True],
        kind="stable",
    )
    keys = ["user_id", "exercise_id", "workout_id"]
    grouped = work.groupby(keys, sort=False)
    top = grouped.head(1).set_index(keys)
    out = pd.DataFrame(
        {
            "performed_at": top["performed_at"],
            "day": top["day"],
            "e1rm_kg": top["e1rm_kg"],
            "top_weight_kg": top["weight_kg"],
            "top_reps": top["reps"],
            "top_rpe": top["rpe"],
            "top_unit": top["weight_unit"],
            "working_sets": grouped.size(),
            "mean_rir": grouped["rir_"].mean(),
        }
    ).reset_index()
    return out.sort_values(["user_id", "exercise_id", "performed_at"], kind="stable").reset_index(
        drop=True
    )[list(_SESSION_TYPES)]


_SESSION_TYPES = {
    "user_id": object, "exercise_id": object, "workout_id": object,
    "performed_at": "datetime64[ns, UTC]", "day": "datetime64[ns]", "e1rm_kg": float,
    "top_weight_kg": float, "top_reps": float, "top_rpe": float, "top_unit": object,
    "working_sets": float, "mean_rir": float,
}  # fmt: skip


def _window(values: np.ndarray, starts: np.ndarray, k: int | np.ndarray) -> np.ndarray:
    """Sum of ``values`` over each row's window: the row and the ``k − 1`` before it, never
    before its group's first row (``starts``: that row's position). Cumulative sums are
    per group, so long histories lose no precision and no other group's rows (nor any
    later row) change a window's bits."""
    n = len(values)
    idx = np.arange(n)
    lo = np.maximum(idx - np.asarray(k) + 1, starts)
    # per-group cumulative sums (a global one minus the group's base rounds differently
    # whenever an earlier group changes, and loses precision over many groups)
    local = pd.Series(values, dtype=float).groupby(starts).cumsum().to_numpy()
    before = np.where(lo > starts, local[np.maximum(lo - 1, 0)], 0.0)
    return local - before


def _time_key(codes: np.ndarray, moments: pd.Series) -> np.ndarray:
    """``group code × 2³² + seconds since 1970``: sorts as (group, time) in one int64."""
    nanoseconds = pd.to_datetime(moments, utc=True).astype("datetime64[ns, UTC]").array.asi8
    seconds = np.asarray(nanoseconds // 1_000_000_000, dtype=np.int64)
    return np.asarray(codes, dtype=np.int64) * (1 << 32) + seconds


def _state(sessions: pd.DataFrame) -> pd.DataFrame:
    """Per session, the figures "as they stood just after it": its value, the recent
    means and slopes, the RPE drift, the best recent weight (all windows end there)."""
    group = sessions["user_id"].astype(str) + "|" + sessions["exercise_id"].astype(str)
    codes = pd.factorize(group)[0]
    n = len(sessions)
    first = np.r_[True, codes[1:] != codes[:-1]] if n else np.zeros(0, bool)
    starts = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else np.zeros(0, int)
    value = sessions["e1rm_kg"].to_numpy(float)
    y = np.log(value)
    day = sessions["day"].to_numpy("datetime64[D]").view(np.int64).astype(float)
    x = day - day[starts]  # days since the group's first session: small, exact
    ones = np.ones(n)
    out = pd.DataFrame(index=sessions.index)
    out["level_kg"] = value
    for k in (3, 6):
        out[f"mean{k}_ratio"] = _window(value, starts, k) / _window(ones, starts, k) / value
    by_group = pd.Series(value).groupby(codes)
    out["max6_ratio"] = by_group.rolling(6, min_periods=1).max().to_numpy() / value
    out["median12_ratio"] = by_group.rolling(12, min_periods=1).median().to_numpy() / value

    def slope(k: int | np.ndarray) -> np.ndarray:
        m = _window(ones, starts, k)
        sx, sy = _window(x, starts, k), _window(y, starts, k)
        sxy, sxx = _window(x * y, starts, k), _window(x * x, starts, k)
        den = m * sxx - sx * sx
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((m >= 2) & (den > 1e-9), (m * sxy - sx * sy) / den * 7.0, np.nan)

    for k in (3, 6, 12):
        out[f"slope{k}_wk"] = slope(k)
    # windows in time: the sessions started within 28 / 84 days of this one's start
    key = _time_key(codes, sessions["performed_at"])
    for weeks in (4, 12):
        lo = np.searchsorted(key, key - 7 * weeks * 86_400, side="left")
        out[f"slope{weeks}w_wk"] = slope(np.arange(n) - lo + 1)
    # the linear-trend baseline: kg per day over the last TREND_SESSIONS, at the last day
    m = _window(ones, starts, TREND_SESSIONS)
    sx, sv = _window(x, starts, TREND_SESSIONS), _window(value, starts, TREND_SESSIONS)
    sxv, sxx = _window(x * value, starts, TREND_SESSIONS), _window(x * x, starts, TREND_SESSIONS)
    den = m * sxx - sx * sx
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where((m >= 2) & (den > 1e-9), (m * sxv - sx * sv) / den, 0.0)
    out["trend_slope_kg_day"] = b
    out["trend_intercept_kg"] = np.where(m >= 1, (sv - b * sx) / m, value)
    out["trend_x"] = x
    rpe = sessions["top_rpe"].to_numpy(float)
    has = ~np.isnan(rpe)
    rpe0 = np.where(has, rpe, 0.0)
    older_sum = _window(rpe0, starts, 9) - _window(rpe0, starts, 3)
    older_n = _window(has.astype(float), starts, 9) - _window(has.astype(float), starts, 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        recent = _window(rpe0, starts, 3) / _window(has.astype(float), starts, 3)
        out["rpe_drift"] = recent - older_sum / older_n
    out["best_recent_weight_kg"] = (
        pd.Series(sessions["top_weight_kg"].to_numpy(float))
        .groupby(codes)
        .rolling(6, min_periods=1)
        .max()
        .to_numpy()
    )
    return out.replace([np.inf, -np.inf], np.nan)


def build(
    inputs: Inputs,
    queries: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The features of each query, from what happened before its ``as_of``.

    Parameters
    ----------
    inputs : Inputs
        The athletes' raw rows (:class:`models.analytics.Inputs`); ``sets`` may carry
        ``weight_unit`` ('kg' | 'lb').
    queries : DataFrame
        ``user_id``, ``exercise_id``, ``as_of`` (UTC timestamps), ``day`` (the athlete's
        local day of ``as_of``, datetime64).
    sessions : DataFrame, optional
        :func:`exercise_sessions` of ``inputs``, when the caller has it already.

    Returns
    -------
    DataFrame
        The queries' columns, :data:`FEATURES` and :data:`CONTEXT`, in the queries'
        order. A query with no earlier session of its exercise has NaN ``level_kg`` (and
        features); the caller answers it by rule.
    """
    if sessions is None:
        sessions = exercise_sessions(inputs)
    state = _state(sessions)
    out = queries.reset_index(drop=True).copy()
    n = len(out)
    for name in (*FEATURES, *CONTEXT):
        out[name] = np.nan
    out["last_unit"] = None
    if n == 0 or sessions.empty:
        out["last_day"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
        return out
    groups = sessions["user_id"].astype(str) + "|" + sessions["exercise_id"].astype(str)
    codes, uniques = pd.factorize(groups)
    q_groups = out["user_id"].astype(str) + "|" + out["exercise_id"].astype(str)
    q_codes = pd.Index(uniques).get_indexer(q_groups)
    as_of = pd.to_datetime(out["as_of"], utc=True)
    key = _time_key(codes, sessions["performed_at"])
    q_key = _time_key(np.maximum(q_codes, 0), as_of)
    r = np.searchsorted(key, q_key, side="left") - 1  # the last session strictly before
    ok = (q_codes >= 0) & (r >= 0) & (codes[np.maximum(r, 0)] == q_codes)
    rows = np.maximum(r, 0)
    first = np.searchsorted(codes, np.maximum(q_codes, 0), side="left")
    q_day = out["day"].to_numpy("datetime64[D]")
    last_day = sessions["day"].to_numpy("datetime64[D]")[rows]

    def put(name: str, values: np.ndarray) -> None:
        out[name] = np.where(ok, values, np.nan)

    for name in (
        "level_kg", "mean3_ratio", "mean6_ratio", "max6_ratio", "median12_ratio",
        "slope3_wk", "slope6_wk", "slope12_wk", "slope4w_wk", "slope12w_wk", "rpe_drift",
        "best_recent_weight_kg",
    ):  # fmt: skip
        put(name, state[name].to_numpy(float)[rows])
    level = state["level_kg"].to_numpy(float)[rows]
    put("days_since", (q_day - last_day).astype(np.int64).astype(float))
    put("sessions_total", (rows - first + 1).astype(float))
    lo = np.searchsorted(key, q_key - 28 * 86_400, side="left")
    put("sessions_28d", np.maximum(rows - np.maximum(lo, first) + 1, 0).astype(float))
    put("rpe_last", sessions["top_rpe"].to_numpy(float)[rows])
    put("rir_last", sessions["mean_rir"].to_numpy(float)[rows])
    put("top_reps_last", sessions["top_reps"].to_numpy(float)[rows])
    put("working_sets_last", sessions["working_sets"].to_numpy(float)[rows])
    weight = sessions["top_weight_kg"].to_numpy(float)[rows]
    put("last_intensity", weight / level)
    put("last_weight_kg", weight)
    unit = sessions["top_unit"].to_numpy(dtype=object)[rows]
    put("unit_lb", (unit == "lb").astype(float))
    out["last_unit"] = np.where(ok, np.where(unit == "lb", "lb", "kg"), None)
    out["last_day"] = np.where(ok, last_day.astype("datetime64[ns]"), np.datetime64("NaT"))
    # the trend baseline at the query's day, at most TREND_HORIZON_DAYS past the last one
    x_last = state["trend_x"].to_numpy(float)[rows]
    x_q = x_last + np.minimum((q_day - last_day).astype(np.int64), TREND_HORIZON_DAYS)
    trend = (
        state["trend_intercept_kg"].to_numpy(float)[rows]
        + state["trend_slope_kg_day"].to_numpy(float)[rows] * x_q
    )
    put("persistence_kg", level)
    put("trend_kg", np.where(trend > 0, trend, level))
    # the athlete's training load on the day before
    until = out.groupby("user_id")["day"].max() - pd.Timedelta(days=1)
    loads = athlete_state.load_days(inputs, until)
    before = out[["user_id"]].assign(date=(q_day - _DAY).astype("datetime64[ns]"))
    found = before.merge(loads, on=["user_id", "date"], how="left")
    for name, column in (("ctl", "ctl"), ("atl", "atl"), ("tsb", "tsb"), ("acwr", "acwr_rolling")):
        put(name, found[column].to_numpy(float))
    week, ratio = athlete_state.muscle_volume(inputs, out)
    put("muscle_volume_7d_kg", week)
    put("muscle_volume_ratio", ratio)
    age, longest = athlete_state.breaks(inputs, out)
    put("training_age_days", age)
    put("break_days", longest)
    out["body_mass_kg"] = np.where(ok, athlete_state.body_mass(inputs, out), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["relative_level"] = out["level_kg"] / out["body_mass_kg"]
    return out


def training_examples(inputs: Inputs) -> pd.DataFrame:
    """Every session that has an earlier one of its exercise, as a labelled example.

    Returns
    -------
    DataFrame
        ``user_id``, ``exercise_id``, ``as_of`` (the session's start, UTC), ``day`` (its
        local day), ``label_e1rm_kg`` (its best e1RM, Epley), :data:`FEATURES` and
        :data:`CONTEXT`; sorted by ``as_of``.
    """
    sessions = exercise_sessions(inputs)
    queries = pd.DataFrame(
        {
            "user_id": sessions["user_id"].to_numpy(dtype=object),
            "exercise_id": sessions["exercise_id"].to_numpy(dtype=object),
            "as_of": sessions["performed_at"].to_numpy(),
            "day": sessions["day"].to_numpy(),
            "label_e1rm_kg": sessions["e1rm_kg"].to_numpy(float),
        }
    )
    examples = build(inputs, queries, sessions)
    examples = examples[examples["level_kg"].notna().to_numpy()]
    return examples.sort_values(["as_of", "user_id", "exercise_id"], kind="stable").reset_index(
        drop=True
    )
