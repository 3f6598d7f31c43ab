"""Build ``models.analytics`` inputs from plain workout dicts, and replay an incremental
refresh against stored frames the way the pipeline's store does."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from models.analytics import Derived, Inputs, Previous, derive, read_from
from models.analytics.training_load import HISTORY_DAYS

EXERCISES = {
    "bench": ("strength", ["chest"], ["triceps", "front_delts"]),
    "squat": ("strength", ["quads", "glutes"], ["hamstrings"]),
    "row": ("strength", ["upper_back", "lats"], ["biceps"]),
    "pullup": ("bodyweight", ["lats"], ["biceps"]),
    "assisted_dip": ("assisted", ["triceps"], ["chest"]),
}


def muscles() -> pd.DataFrame:
    rows = []
    for name, (_, primary, secondary) in EXERCISES.items():
        rows += [(name, m, 1.0) for m in primary] + [(name, m, 0.5) for m in secondary]
    return pd.DataFrame(rows, columns=["exercise_id", "muscle", "share"])


def inputs(workouts: list[dict], body_mass: list[tuple[str, date, float]] = ()) -> Inputs:
    """``workouts``: dicts with user, id, day, hour, duration_s, session_rpe, cardio
    (None or (load, method, trimp, distance)), sets: [(exercise, type, w, r, rpe, rir,
    detected, form)]."""
    w_rows, s_rows = [], []
    for wk in workouts:
        day = pd.Timestamp(wk["day"])
        at = pd.Timestamp(datetime.combine(wk["day"], datetime.min.time()), tz=UTC)
        at += pd.Timedelta(hours=wk.get("hour", 10))
        cardio = wk.get("cardio") or (np.nan, None, np.nan, np.nan)
        w_rows.append(
            (wk["user"], wk["id"], day, wk.get("duration_s", np.nan), wk.get("session_rpe", np.nan),
             cardio[0], cardio[1], cardio[2], cardio[3])
        )  # fmt: skip
        for pos, (ex, st, weight, reps, rpe, rir, det, form) in enumerate(wk["sets"]):
            s_rows.append(
                (wk["user"], wk["id"], f"{wk['id']}-{pos}", ex, EXERCISES[ex][0], day, at, pos, st,
                 weight, reps, rpe, rir, det, form)
            )  # fmt: skip
    workouts_frame = pd.DataFrame(
        w_rows,
        columns=["user_id", "workout_id", "day", "duration_s", "session_rpe", "cardio_load",
                 "cardio_method", "cardio_trimp", "distance_m"],
    )  # fmt: skip
    sets = pd.DataFrame(
        s_rows,
        columns=["user_id", "workout_id", "set_id", "exercise_id", "exercise_kind", "day",
                 "performed_at", "position", "set_type", "weight_kg", "reps", "rpe", "rir",
                 "detected_reps", "form_score"],
    )  # fmt: skip
    for c in ("weight_kg", "reps", "rpe", "rir", "detected_reps", "form_score"):
        sets[c] = sets[c].astype(float)
    for c in ("duration_s", "session_rpe", "cardio_load", "cardio_trimp", "distance_m"):
        workouts_frame[c] = workouts_frame[c].astype(float)
    masses = pd.DataFrame(list(body_mass), columns=["user_id", "day", "body_mass_kg"])
    masses["day"] = pd.to_datetime(masses["day"])
    return Inputs(sets=sets, workouts=workouts_frame, muscles=muscles(), body_mass=masses)


KEYS = {
    "daily": ["user_id", "date"],
    "e1rm": ["user_id", "exercise_id", "day"],
    "exercise_daily": ["user_id", "exercise_id", "day"],
    "events": ["user_id", "set_id"],
    "prs": ["user_id", "exercise_id", "kind", "reps"],
    "periods": ["user_id", "period", "start"],
    "muscles": ["user_id", "week_start", "muscle"],
}
DATE_OF = {"daily": "date", "e1rm": "day", "exercise_daily": "day", "events": "achieved_on",
           "periods": "start", "muscles": "week_start"}  # fmt: skip


def tables(result: Derived) -> dict[str, pd.DataFrame]:
    return {f.name: getattr(result, f.name) for f in fields(result) if f.name in KEYS}


def refresh(stored: dict[str, pd.DataFrame], everything: Inputs, since: dict[str, date]):
    """Replay the pipeline's incremental refresh: keep rows before ``read_from``, derive
    the rest from inputs dated from there, and swap them in."""
    since_s = pd.Series({u: pd.Timestamp(d) for u, d in since.items()})
    start = read_from(since_s)
    daily = stored["daily"]
    before = daily[daily["date"] < daily["user_id"].map(start)]
    history = before.groupby("user_id").tail(HISTORY_DAYS)
    active = before[before["sessions"] > 0].groupby("user_id")["date"].max()
    events = stored["events"]
    events_before = events[pd.to_datetime(events["achieved_on"]) < events["user_id"].map(start)]
    previous = Previous(
        read_from=start,
        history=history,
        last_active=active.reindex(start.index),
        events=events_before,
    )

    def later(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[
            frame["user_id"].isin(start.index) & (frame["day"] >= frame["user_id"].map(start))
        ]

    part = Inputs(
        sets=later(everything.sets),
        workouts=later(everything.workouts),
        muscles=everything.muscles,
        body_mass=everything.body_mass,
    )
    result = derive(part, previous)
    out = {}
    for name, frame in tables(result).items():
        old = stored[name]
        if name == "prs":
            old = old[~old["user_id"].isin(start.index)]
        else:
            floor = result.daily_delete_from if name == "daily" else start
            cut = old["user_id"].map(floor)
            old = old[
                ~(old["user_id"].isin(start.index) & (pd.to_datetime(old[DATE_OF[name]]) >= cut))
            ]
        out[name] = pd.concat([old, frame], ignore_index=True)
    return out


def same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> list[str]:
    """Names of the tables that differ (floats to 1e-9 relative)."""
    bad = []
    for name, keys in KEYS.items():
        x = a[name].sort_values(keys).reset_index(drop=True)
        y = b[name].sort_values(keys).reset_index(drop=True)
        x, y = x[sorted(x.columns)], y[sorted(y.columns)]
        try:
            pd.testing.assert_frame_equal(x, y, check_dtype=False, rtol=1e-9, atol=1e-9)
        except AssertionError as exc:
            bad.append(f"{name}: {exc}")
    return bad


def new_id() -> str:
    return str(uuid.uuid4())
