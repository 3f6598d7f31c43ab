"""Every derived analytics table of a group of athletes, in full or from a day on.

Pure pandas/numpy, vectorised over all sets of all athletes in the call (a rebuild
shard holds thousands): no loop per set, per day or per athlete.

**Incremental equals full.** A change on local day *s* can only alter rows dated on
or after ``read_from = min(Monday of s's week, 1st of s's month)`` — every table is
keyed by a day, a week or a month starting there or later. :func:`derive` given
the athlete's raw rows from ``read_from`` on and a :class:`Previous` (the load
series' last 28 days and the PR events before ``read_from``) returns exactly the
rows a full computation would hold from ``read_from`` on. Two quantities reach
back further and are carried in :class:`Previous`: the load series' recursions and
windows (CTL/ATL/EWMA states, 28 days of loads) and the running rep-max records.

Input frames (``user_id`` on every row; days are ``datetime64[ns]`` local midnights):

* ``sets`` — ``user_id, workout_id, set_id, exercise_id, exercise_kind, day,
  performed_at (UTC), position, set_type, weight_kg, reps, rpe, rir, detected_reps,
  form_score`` (floats NaN = none).
* ``workouts`` — ``user_id, workout_id, day, duration_s, session_rpe, cardio_load,
  cardio_method, cardio_trimp, distance_m``.
* ``muscles`` — ``exercise_id, muscle, share`` (1.0 primary, 0.5 secondary).
* ``body_mass`` — ``user_id, day, body_mass_kg`` (every measurement, any date).

Definitions are DESIGN.md §5's; each function below names its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models import load as session_load
from models import training_load
from models.balance import LOWER, PULL, PUSH, UPPER
from models.strength import MAX_REPS, MIN_REPS

COUNTED = ("working", "dropset", "failure")

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
_TIE = 6  # e1RMs equal to 1e-6 kg tie (Epley is not exact in binary floating point)
_EARLIEST = ["day", "performed_at", "position", "_tie"]


def _order(frame: pd.DataFrame, columns: list[str], descending: tuple[str, ...] = ()) -> np.ndarray:
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


class _Codes:
    """Ids as integer codes inside :func:`derive` (grouping and sorting strings of UUIDs
    cost more than all the arithmetic); decoded on the way out."""

    def __init__(self, inputs: Inputs, previous: Previous | None) -> None:
        events = previous.events if previous is not None else None
        history = previous.history if previous is not None else None

        def pool(*columns: pd.Series | None) -> np.ndarray:
            parts = [c.to_numpy(dtype=object) for c in columns if c is not None and len(c)]
            return pd.unique(np.concatenate(parts)) if parts else np.array([], dtype=object)

        self.uniques = {
            "user_id": pool(
                inputs.sets["user_id"], inputs.workouts["user_id"], inputs.body_mass["user_id"],
                history["user_id"] if history is not None else None,
                events["user_id"] if events is not None else None,
                previous.read_from.index.to_series() if previous is not None else None,
            ),
            "exercise_id": pool(
                inputs.sets["exercise_id"], inputs.muscles["exercise_id"],
                events["exercise_id"] if events is not None else None,
            ),
            "workout_id": pool(
                inputs.sets["workout_id"], inputs.workouts["workout_id"],
                events["workout_id"] if events is not None else None,
            ),
        }  # fmt: skip
        self.index = {k: pd.Index(v) for k, v in self.uniques.items()}

    def encode(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for column, index in self.index.items():
            if column in out:
                out[column] = index.get_indexer(out[column].to_numpy(dtype=object))
        return out

    def decode(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for column, uniques in self.uniques.items():
            if column in out and len(out):
                out[column] = uniques[out[column].to_numpy(dtype=np.int64)]
        return out

    def decode_series(self, series: pd.Series) -> pd.Series:
        return pd.Series(
            series.to_numpy(), index=self.uniques["user_id"][series.index.to_numpy(dtype=np.int64)]
        )


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
    :func:`models.training_load.series_by_athlete` history). ``last_active``:
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
            if dtype is object:
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
    days = pd.to_datetime(since)
    monday = days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    first = days.dt.to_period("M").dt.start_time
    return pd.Series(np.minimum(monday.to_numpy(), first.to_numpy()), index=since.index)


def _days(days: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(pd.to_datetime(days).to_numpy(), dtype="datetime64[D]")


def _week(days: pd.Series | np.ndarray) -> np.ndarray:
    """Monday of each day's ISO week (1970-01-01 was a Thursday: weekday = (n + 3) % 7)."""
    d = _days(days)
    monday = d - ((d.view("int64") + 3) % 7).astype("timedelta64[D]")
    return monday.astype("datetime64[ns]")


def _month(days: pd.Series | np.ndarray) -> np.ndarray:
    """First day of each day's month."""
    return _days(days).astype("datetime64[M]").astype("datetime64[ns]")


# --------------------------------------------------------------------------- sets


def _work(sets: pd.DataFrame) -> pd.DataFrame:
    """Non-warm-up sets with their volume load (assisted sets add none: DESIGN §5)."""
    work = sets[sets["set_type"].isin(COUNTED).to_numpy()].copy()
    loaded = work["exercise_kind"].to_numpy() != "assisted"
    work["volume"] = np.where(
        loaded, np.nan_to_num(work["weight_kg"].to_numpy(float) * work["reps"].to_numpy(float)), 0.0
    )
    return work


def _e1rm(work: pd.DataFrame, body_mass: pd.DataFrame) -> pd.DataFrame:
    """Best Epley e1RM per exercise per day (ties → earliest set), the best Brzycki and
    RIR-adjusted Epley of the day, and relative strength (÷ the latest body mass on or
    before the day). Epley 1985, Brzycki 1993; RIR = logged RIR, else 10 − RPE
    (Zourdos et al. 2016); DESIGN §5 eligibility: strength, weight > 0, 1 ≤ reps ≤ 12."""
    w = work["weight_kg"].to_numpy(float)
    r = work["reps"].to_numpy(float)
    ok = (work["exercise_kind"].to_numpy() == "strength") & (w > 0) & (r >= MIN_REPS)
    ok &= r <= MAX_REPS
    lifts = work[ok].copy()
    w, r = w[ok], r[ok]
    lifts["e1rm_kg"] = np.where(r == 1, w, w * (1 + r / 30))
    lifts["brzycki_kg"] = np.where(r == 1, w, w * 36 / (37 - r))
    rir = lifts["rir"].to_numpy(float)
    rir = np.where(np.isnan(rir), 10 - lifts["rpe"].to_numpy(float), rir)
    effective = r + rir
    lifts["e1rm_rir_kg"] = np.where(effective == 1, w, w * (1 + effective / 30))
    lifts["_rank"] = lifts["e1rm_kg"].round(_TIE)
    keys = ["user_id", "exercise_id", "day"]
    extra = lifts.groupby(keys, sort=False)[["brzycki_kg", "e1rm_rir_kg"]].max()
    order = _order(lifts, [*keys, "_rank", "performed_at", "position", "_tie"], ("_rank",))
    best = lifts.iloc[order].drop_duplicates(keys)
    best = best.drop(columns=["brzycki_kg", "e1rm_rir_kg"]).join(extra, on=keys)
    best = best[
        [*keys, "e1rm_kg", "brzycki_kg", "e1rm_rir_kg", "weight_kg", "reps", "set_id", "workout_id"]
    ]
    return _relative(best.reset_index(drop=True), body_mass)


def _relative(e1rm: pd.DataFrame, body_mass: pd.DataFrame) -> pd.DataFrame:
    masses = body_mass.dropna(subset=["body_mass_kg"])
    if e1rm.empty or masses.empty:
        return e1rm.assign(body_mass_kg=np.nan, relative_strength=np.nan)
    left = e1rm.assign(_row=np.arange(len(e1rm))).sort_values("day")
    right = masses[["user_id", "day", "body_mass_kg"]].sort_values("day")
    merged = pd.merge_asof(left, right, on="day", by="user_id", direction="backward")
    merged = merged.sort_values("_row").drop(columns="_row").reset_index(drop=True)
    merged["relative_strength"] = merged["e1rm_kg"] / merged["body_mass_kg"]
    return merged


def _exercise_daily(work: pd.DataFrame) -> pd.DataFrame:
    """Per exercise per day: sets, reps, volume load, most reps in a set, and pose data
    (mean form score 0–1; mean detected − logged reps over sets having both)."""
    frame = work.assign(
        _gap=work["detected_reps"].to_numpy(float) - work["reps"].to_numpy(float),
        _reps=work["reps"].fillna(0.0),
    )
    out = frame.groupby(["user_id", "exercise_id", "day"], sort=True).agg(
        sets=("set_id", "size"),
        reps=("_reps", "sum"),
        volume_load_kg=("volume", "sum"),
        max_reps=("reps", "max"),
        form_sets=("form_score", "count"),
        mean_form_score=("form_score", "mean"),
        detected_sets=("_gap", "count"),
        rep_discrepancy=("_gap", "mean"),
    )
    return out.reset_index()


def _events(work: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Sets that raised a record when they were done (DESIGN §5 rep-max PRs, ties → the
    earliest in the athlete's calendar): ``rep_max`` — heaviest weight for exactly r
    reps of a strength lift; ``max_reps`` — most reps in a bodyweight set."""
    kind = work["exercise_kind"].to_numpy()
    w = work["weight_kg"].to_numpy(float)
    r = work["reps"].to_numpy(float)
    lift = (kind == "strength") & (w > 0) & (r >= MIN_REPS) & (r <= MAX_REPS)
    body = (kind == "bodyweight") & (r > 0)
    cand = work[lift | body].copy()
    cand["kind"] = np.where(lift[lift | body], "rep_max", "max_reps")
    cand["_kind"] = (~lift[lift | body]).astype(np.int8)
    cand["_key"] = np.where(lift[lift | body], cand["reps"].to_numpy(float), 0.0)
    cand["_value"] = np.where(lift[lift | body], cand["weight_kg"], cand["reps"])
    keys = ["user_id", "exercise_id", "kind", "_key"]
    order = _order(cand, ["user_id", "exercise_id", "_kind", "_key", *_EARLIEST])
    cand = cand.iloc[order].reset_index(drop=True)
    group = [cand[k] for k in ("user_id", "exercise_id", "_kind", "_key")]
    best_before = cand["_value"].groupby(group, sort=False).cummax()
    prior = best_before.groupby(group, sort=False).shift(1).to_numpy(float)
    if not before.empty:
        seeds = before.assign(
            _key=np.where(before["kind"] == "rep_max", before["reps"], 0.0),
            _value=np.where(before["kind"] == "rep_max", before["weight_kg"], before["reps"]),
        )
        seed = seeds.groupby(keys)["_value"].max()
        index = pd.MultiIndex.from_frame(cand[keys])
        prior = np.fmax(prior, seed.reindex(index).to_numpy(float))
    raised = np.isnan(prior) | (cand["_value"].to_numpy(float) > prior)
    out = cand[raised].assign(
        previous=prior[raised],
        achieved_on=cand["day"][raised],
        achieved_at=cand["performed_at"][raised],
    )
    return out[EVENT_COLUMNS].reset_index(drop=True)


def current_prs(events: pd.DataFrame) -> pd.DataFrame:
    """The standing records: each ``(exercise, kind, reps)``'s last event (rep_max) and
    each exercise's last ``max_reps`` event — events only ever raise a record."""
    if events.empty:
        return events.copy()
    rep_max = events["kind"].to_numpy() == "rep_max"
    frame = events.assign(
        _key=np.where(rep_max, events["reps"], 0),
        _value=np.where(rep_max, events["weight_kg"], events["reps"]),
    ).sort_values("_value", kind="stable")
    last = frame.drop_duplicates(["user_id", "exercise_id", "kind", "_key"], keep="last")
    last = last.drop(columns="_value")
    return (
        last.drop(columns="_key")
        .sort_values(["user_id", "exercise_id", "kind", "reps"])
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------- sessions


def _sessions(workouts: pd.DataFrame, work: pd.DataFrame) -> pd.DataFrame:
    """Workouts with their combined load (:func:`models.load.combined_loads`)."""
    rpe = work["rpe"].to_numpy(float)
    rpe = np.where(np.isnan(rpe), 10 - work["rir"].to_numpy(float), rpe)
    per = pd.DataFrame({"workout_id": work["workout_id"].to_numpy(), "rpe": rpe})
    stats = per.groupby("workout_id").agg(
        working_sets=("rpe", "size"), mean_set_rpe=("rpe", "mean")
    )
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


def _daily(
    sessions: pd.DataFrame, work: pd.DataFrame, previous: Previous | None
) -> tuple[pd.DataFrame, pd.Series]:
    """The load series (DESIGN §5 CTL/ATL/TSB/ACWR, :mod:`models.training_load`) over
    each athlete's calendar, first to last training day; and where to delete from."""
    grouped = sessions.groupby(["user_id", "day"])
    per_day = grouped[["duration_s", "distance_m", "load"]].sum()
    per_day["sessions"] = grouped.size()
    # sRPE and TRIMP stay unknown (NaN) on days without a rated / heart-rate session
    per_day = per_day.join(grouped[["srpe_load", "trimp"]].sum(min_count=1))
    volume = work.groupby(["user_id", "day"])["volume"].sum().rename("volume_load_kg")
    per_day = per_day.join(volume, how="outer").fillna(
        {"sessions": 0, "duration_s": 0.0, "distance_m": 0.0, "volume_load_kg": 0.0, "load": 0.0}
    )
    days = per_day.reset_index()
    span = days.groupby("user_id")["day"].agg(["min", "max"])
    first, last = span["min"], span["max"]
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
    filled = calendar.join(per_day, on=["user_id", "date"]).fillna(
        {"sessions": 0, "duration_s": 0.0, "distance_m": 0.0, "volume_load_kg": 0.0, "load": 0.0}
    )
    series = training_load.series_by_athlete(filled[["user_id", "date", "load"]], history)
    for column in ("sessions", "duration_s", "distance_m", "volume_load_kg", "srpe_load", "trimp"):
        series[column] = filled[column].to_numpy()
    series["sessions"] = series["sessions"].astype(np.int64)
    return series[DAILY_COLUMNS], delete_from


# --------------------------------------------------------------------------- periods


def _muscles(work: pd.DataFrame, muscles: pd.DataFrame) -> pd.DataFrame:
    """Weekly fractional sets and volume load per muscle group (primary 1.0, secondary
    0.5 — :mod:`models.balance`)."""
    frame = pd.DataFrame(
        {
            "user_id": work["user_id"].to_numpy(),
            "week_start": _week(work["day"]),
            "exercise_id": work["exercise_id"].to_numpy(),
            "volume": work["volume"].to_numpy(),
        }
    ).merge(muscles, on="exercise_id")
    frame["sets"] = frame["share"]
    frame["volume_load_kg"] = frame["share"] * frame["volume"]
    out = frame.groupby(["user_id", "week_start", "muscle"], sort=True)[
        ["sets", "volume_load_kg"]
    ].sum()
    return out.reset_index()


def _ratios(muscle_weeks: pd.DataFrame) -> pd.DataFrame:
    def total(group: frozenset[str]) -> pd.Series:
        picked = muscle_weeks[muscle_weeks["muscle"].isin(group)]
        return picked.groupby(["user_id", "week_start"])["sets"].sum()

    out = pd.DataFrame(index=muscle_weeks.groupby(["user_id", "week_start"]).size().index)
    for name, top, bottom in (("push_pull", PUSH, PULL), ("upper_lower", UPPER, LOWER)):
        numerator = total(top).reindex(out.index, fill_value=0.0).to_numpy()
        denominator = total(bottom).reindex(out.index, fill_value=0.0).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = np.where(denominator > 0, numerator / denominator, np.nan)
    return out


def _periods(
    sessions: pd.DataFrame,
    work: pd.DataFrame,
    events: pd.DataFrame,
    daily: pd.DataFrame,
    muscle_weeks: pd.DataFrame,
) -> pd.DataFrame:
    """Weekly and monthly summaries: sessions, duration, distance, sets, reps, volume,
    sRPE load, TRIMP, combined load, PRs set; weeks add Foster's monotony (mean ÷ SD of
    the week's 7 daily loads, rest days 0) and strain (load × monotony), and the
    push/pull and upper/lower set ratios."""
    keys = ["user_id", "period", "start"]

    def stacked(frame: pd.DataFrame, days: pd.Series) -> pd.DataFrame:
        # every row once per week and once per month: one groupby serves both
        return pd.concat(
            [frame.assign(period="week", start=_week(days)),
             frame.assign(period="month", start=_month(days))],
            ignore_index=True,
        )  # fmt: skip

    s = stacked(sessions[["user_id", "duration_s", "distance_m", "load", "srpe_load", "trimp"]],
                sessions["day"])  # fmt: skip
    grouped = s.groupby(keys, sort=False)
    agg = grouped[["duration_s", "distance_m", "load"]].sum()
    agg["sessions"] = grouped.size()
    agg = agg.join(grouped[["srpe_load", "trimp"]].sum(min_count=1))
    w = stacked(work[["user_id", "reps", "volume"]].fillna({"reps": 0.0}), work["day"])
    lifted = w.groupby(keys, sort=False)[["reps", "volume"]].sum()
    lifted["sets"] = w.groupby(keys, sort=False).size()
    agg = agg.join(lifted.rename(columns={"volume": "volume_load_kg"}))
    e = stacked(events[["user_id"]], events["achieved_on"])
    agg = agg.join(e.groupby(keys, sort=False).size().rename("prs"))

    # Foster monotony per week; days of the week outside the calendar are rest days (0)
    d = daily[["user_id", "load"]].assign(start=_week(daily["date"]))
    by_week = d.groupby(["user_id", "start"], sort=False)["load"]
    total = by_week.transform("sum").to_numpy()
    squares = ((d["load"] - total / 7) ** 2).groupby([d["user_id"], d["start"]]).sum()
    mean = by_week.sum() / 7
    sd = np.sqrt((squares + (7 - by_week.size()) * mean**2) / 7)
    weekly = pd.DataFrame({"monotony": mean / sd.where(sd > 0)}).join(
        _ratios(muscle_weeks).rename_axis(["user_id", "start"])
    )
    weekly["period"] = "week"
    agg = agg.join(weekly.set_index("period", append=True).reorder_levels(keys))
    agg["strain"] = agg["load"] * agg["monotony"]
    out = agg.reset_index()
    return out.fillna({"sets": 0, "reps": 0.0, "volume_load_kg": 0.0, "prs": 0})


# --------------------------------------------------------------------------- entry


def derive(inputs: Inputs, previous: Previous | None = None) -> Derived:
    """Every derived table of the athletes in ``inputs`` (module docstring: columns).

    Without ``previous``: the full computation from all their rows. With it: the
    rows from each athlete's ``previous.read_from`` on, ``inputs`` holding only rows
    dated from there (workouts and sets by local day); equal to the full result's rows
    from there on (the property the tests check).

    Returns
    -------
    Derived
        Frames keyed by ``user_id`` and a day, week or month start; ``prs`` are the
        standing records from all events (kept and new).
    """
    inputs = typed(inputs)
    codes = _Codes(inputs, previous)
    inputs = Inputs(
        sets=codes.encode(inputs.sets).assign(
            _tie=pd.util.hash_array(inputs.sets["set_id"].to_numpy(dtype=object))
        ),
        workouts=codes.encode(inputs.workouts),
        muscles=codes.encode(inputs.muscles),
        body_mass=codes.encode(inputs.body_mass),
    )
    if previous is not None:
        previous = Previous(
            read_from=pd.Series(
                previous.read_from.to_numpy(),
                index=codes.index["user_id"].get_indexer(
                    previous.read_from.index.to_numpy(dtype=object)
                ),
            ),
            history=codes.encode(previous.history),
            last_active=pd.Series(
                previous.last_active.to_numpy(),
                index=codes.index["user_id"].get_indexer(
                    previous.last_active.index.to_numpy(dtype=object)
                ),
            ),
            events=codes.encode(previous.events),
        )
    work = _work(inputs.sets)
    sessions = _sessions(inputs.workouts, work)
    before = previous.events if previous is not None else pd.DataFrame(columns=EVENT_COLUMNS)
    events = _events(work, before)
    daily, delete_from = _daily(sessions, work, previous)
    muscle_weeks = _muscles(work, inputs.muscles)
    periods = _periods(sessions, work, events, daily, muscle_weeks)
    if previous is not None:
        floor = previous.read_from
        periods = periods[periods["start"] >= periods["user_id"].map(floor)]
        muscle_weeks = muscle_weeks[
            muscle_weeks["week_start"] >= muscle_weeks["user_id"].map(floor)
        ]
    everything = pd.concat([before, events], ignore_index=True) if len(before) else events
    return Derived(
        daily=codes.decode(daily),
        e1rm=codes.decode(_e1rm(work, inputs.body_mass)),
        exercise_daily=codes.decode(_exercise_daily(work)),
        events=codes.decode(events),
        prs=codes.decode(current_prs(everything)),
        periods=codes.decode(periods.reset_index(drop=True)),
        muscles=codes.decode(muscle_weeks.reset_index(drop=True)),
        daily_delete_from=codes.decode_series(delete_from),
    )
