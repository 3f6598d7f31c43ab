"""Progress beyond the e1RM series: relative strength, plateaus, and what pose
detection says about form and rep counts — pure pandas.

Inputs are the frames ``models.strength`` produces (``best_e1rm_by_day``) plus body
metrics and pose-detection fields of sets.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from models.balance import week_start


def relative_strength(e1rm_daily: pd.DataFrame, body_mass: pd.DataFrame) -> pd.DataFrame:
    """e1RM ÷ body mass on that date (the latest measurement on or before it).

    Parameters
    ----------
    e1rm_daily : DataFrame
        ``exercise_id``, ``day`` (date), ``e1rm_kg``.
    body_mass : DataFrame
        ``measured_on`` (date), ``body_mass_kg`` (NaN rows are ignored).

    Returns
    -------
    DataFrame
        The input with ``body_mass_kg`` and ``relative_strength`` (kg/kg; NaN before
        the first measurement), in the input's order.
    """
    out = e1rm_daily.copy()
    masses = body_mass.dropna(subset=["body_mass_kg"])
    if out.empty or masses.empty:
        out["body_mass_kg"] = np.nan
        out["relative_strength"] = np.nan
        return out
    left = out.assign(
        _t=pd.to_datetime(pd.Series(out["day"], dtype=object)).to_numpy(),
        _order=np.arange(len(out)),
    )
    right = masses.assign(
        _t=pd.to_datetime(pd.Series(masses["measured_on"], dtype=object)).to_numpy()
    )
    merged = pd.merge_asof(
        left.sort_values("_t"),
        right[["_t", "body_mass_kg"]].sort_values("_t"),
        on="_t",
        direction="backward",
    ).sort_values("_order")
    out["body_mass_kg"] = merged["body_mass_kg"].to_numpy()
    out["relative_strength"] = out["e1rm_kg"] / out["body_mass_kg"]
    return out


def plateaus(e1rm_daily: pd.DataFrame, *, today: date, weeks: int = 6) -> pd.DataFrame:
    """Exercises with no new best e1RM for ``weeks`` weeks although still trained.

    A plateau: the all-time best e1RM was last raised more than ``weeks`` weeks before
    ``today``, and the exercise was trained after that (a break is not a plateau).

    Returns
    -------
    DataFrame
        ``exercise_id``, ``best_e1rm_kg``, ``best_on`` (date of the last rise),
        ``sessions_since`` (days trained since), ``weeks_without_gain`` (float).
    """
    columns = ["exercise_id", "best_e1rm_kg", "best_on", "sessions_since", "weeks_without_gain"]
    if e1rm_daily.empty:
        return pd.DataFrame(columns=columns)
    frame = e1rm_daily.sort_values(["exercise_id", "day"]).reset_index(drop=True)
    running = frame.groupby("exercise_id")["e1rm_kg"].cummax()
    previous = running.groupby(frame["exercise_id"]).shift(1)
    rises = frame[previous.isna() | (frame["e1rm_kg"] > previous)]
    last = rises.groupby("exercise_id").tail(1).set_index("exercise_id")
    rows = []
    cutoff = today - timedelta(weeks=weeks)
    for exercise_id, row in last.iterrows():  # one row per exercise, not per set
        since = frame[(frame["exercise_id"] == exercise_id) & (frame["day"] > row["day"])]
        if row["day"] < cutoff and len(since):
            rows.append(
                {
                    "exercise_id": exercise_id,
                    "best_e1rm_kg": float(row["e1rm_kg"]),
                    "best_on": row["day"],
                    "sessions_since": len(since),
                    "weeks_without_gain": (today - row["day"]).days / 7,
                }
            )
    return pd.DataFrame(rows, columns=columns)


def pose_quality(sets: pd.DataFrame) -> pd.DataFrame:
    """Weekly form score and detected-vs-logged reps per exercise, where pose data exists.

    Parameters
    ----------
    sets : DataFrame
        ``exercise_id``, ``day``, ``set_type``, ``reps``, ``detected_reps``, ``form_score``.

    Returns
    -------
    DataFrame
        ``exercise_id``, ``week_start``, ``pose_sets`` (sets with a form score or a
        detected count), ``mean_form_score`` (0–1), ``rep_discrepancy`` (mean of
        detected − logged over sets having both; negative = the phone saw fewer reps).
    """
    columns = ["exercise_id", "week_start", "pose_sets", "mean_form_score", "rep_discrepancy"]
    work = sets[(sets["set_type"] != "warmup")]
    work = work[work["form_score"].notna() | work["detected_reps"].notna()]
    if work.empty:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(
        {
            "exercise_id": work["exercise_id"].to_numpy(),
            "week_start": week_start(work["day"]).to_numpy(),
            "form_score": work["form_score"].to_numpy(dtype=float),
            "gap": (work["detected_reps"] - work["reps"]).to_numpy(dtype=float),
        }
    )
    grouped = frame.groupby(["exercise_id", "week_start"])
    out = grouped.agg(
        pose_sets=("form_score", "size"),
        mean_form_score=("form_score", "mean"),
        rep_discrepancy=("gap", "mean"),
    ).reset_index()
    return out[columns]
