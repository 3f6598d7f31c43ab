"""Training balance and habits: weekly sets and volume per muscle group, push/pull and
upper/lower ratios, the weekly streak and usual training days — pure pandas.

Muscle groups count a set fully for each *primary* muscle and half for each
*secondary* one (the usual "fractional sets" convention, e.g. Pelland et al. 2024's
direct/indirect set counting). Warm-ups never count. Groups use the vocabulary of
``api.exercises.catalogue.MUSCLE_GROUPS`` (repeated here: ``models`` imports nothing
internal).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

PRIMARY_WEIGHT = 1.0
SECONDARY_WEIGHT = 0.5

PUSH = frozenset({"chest", "front_delts", "side_delts", "triceps"})
PULL = frozenset({"lats", "upper_back", "rear_delts", "biceps", "traps"})
UPPER = frozenset(
    {"chest", "upper_back", "lats", "traps", "front_delts", "side_delts", "rear_delts",
     "biceps", "triceps", "forearms", "neck"}
)  # fmt: skip
LOWER = frozenset(
    {"quads", "hamstrings", "glutes", "adductors", "abductors", "calves", "hip_flexors"}
)


def week_start(days: pd.Series) -> pd.Series:
    """The Monday of each day's ISO week (dates in, dates out)."""
    stamps = pd.to_datetime(pd.Series(days, dtype=object))
    return (stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")).dt.date


def muscle_volume(sets: pd.DataFrame) -> pd.DataFrame:
    """Weekly fractional sets and volume load per muscle group.

    Parameters
    ----------
    sets : DataFrame
        One row per set: ``day`` (local date), ``set_type``, ``weight_kg`` (NaN = none),
        ``reps``, ``primary_muscles`` and ``secondary_muscles`` (lists of group names).

    Returns
    -------
    DataFrame
        ``week_start``, ``muscle``, ``sets`` (Σ 1.0 per primary + 0.5 per secondary
        occurrence), ``volume_load_kg`` (the same weights × weight × reps), sorted.
    """
    columns = ["week_start", "muscle", "sets", "volume_load_kg"]
    work = sets[sets["set_type"] != "warmup"]
    if work.empty:
        return pd.DataFrame(columns=columns)
    volume = (work["weight_kg"].fillna(0.0) * work["reps"].fillna(0.0)).to_numpy(dtype=float)
    base = pd.DataFrame({"week_start": week_start(work["day"]).to_numpy(), "volume": volume})
    parts = []
    for column, factor in (
        ("primary_muscles", PRIMARY_WEIGHT),
        ("secondary_muscles", SECONDARY_WEIGHT),
    ):
        exploded = (
            base.assign(muscle=work[column].to_numpy()).explode("muscle").dropna(subset=["muscle"])
        )
        exploded["sets"] = factor
        exploded["volume_load_kg"] = exploded["volume"] * factor
        parts.append(exploded)
    table = pd.concat(parts, ignore_index=True)
    out = table.groupby(["week_start", "muscle"], as_index=False)[["sets", "volume_load_kg"]].sum()
    return out.sort_values(["week_start", "muscle"]).reset_index(drop=True)[columns]


def ratios(volume: pd.DataFrame, by: tuple[str, ...] = ("week_start",)) -> pd.DataFrame:
    """Push ÷ pull and upper ÷ lower fractional sets per group of ``by`` (default per week;
    the analytics engine groups per athlete and week). NaN when the divisor is 0.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``push_pull`` and ``upper_lower``, one row per group.
    """
    keys = list(by)
    if volume.empty:
        return pd.DataFrame(columns=[*keys, "push_pull", "upper_lower"])

    def total(group: frozenset[str]) -> pd.Series:
        picked = volume[volume["muscle"].isin(group)]
        return picked.groupby(keys)["sets"].sum()

    frame = pd.DataFrame(index=volume.groupby(keys).size().index)
    for name, top, bottom in (("push_pull", PUSH, PULL), ("upper_lower", UPPER, LOWER)):
        numerator = total(top).reindex(frame.index, fill_value=0.0).to_numpy()
        denominator = total(bottom).reindex(frame.index, fill_value=0.0).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            frame[name] = np.where(denominator > 0, numerator / denominator, np.nan)
    return frame.reset_index()


def streak(workout_days: Iterable[date], *, today: date) -> int:
    """Consecutive ISO weeks with at least one workout, up to the current week.

    ``workout_days``: local dates (``datetime.date``; a ``datetime`` counts by its date).
    The current week, while it has no workout yet, does not break the streak: the
    count then ends with last week (the week is not over). Plain Python: the summary
    read calls it on every request, where pandas' set-up cost more than the count.
    """
    days = (d.date() if isinstance(d, datetime) else d for d in workout_days)
    weeks = {d - timedelta(days=d.weekday()) for d in days}
    if not weeks:
        return 0
    current = today - timedelta(days=today.weekday())
    cursor = current if current in weeks else current - timedelta(days=7)
    count = 0
    while cursor in weeks:
        count += 1
        cursor -= timedelta(days=7)
    return count


def habits(workouts: pd.DataFrame, *, today: date) -> dict[str, object]:
    """Sessions per week and the usual training days and hours.

    Parameters
    ----------
    workouts : DataFrame
        One row per workout: ``day`` (local date) and ``local_hour`` (0–23).

    Returns
    -------
    dict
        ``sessions_per_week`` (mean over the ISO weeks from the first workout's week to
        the current one, empty weeks included), ``weekday_share`` (7 fractions, Monday
        first) and ``hour_share`` (24 fractions), ``streak_weeks``.
    """
    if workouts.empty:
        return {
            "sessions_per_week": 0.0,
            "weekday_share": [0.0] * 7,
            "hour_share": [0.0] * 24,
            "streak_weeks": 0,
        }
    days = pd.to_datetime(pd.Series(workouts["day"], dtype=object))
    first = min(week_start(workouts["day"]))
    current = today - timedelta(days=today.weekday())
    weeks = (current - first).days // 7 + 1
    by_weekday = np.bincount(days.dt.day_of_week.to_numpy(), minlength=7)
    by_hour = np.bincount(workouts["local_hour"].to_numpy(dtype=int), minlength=24)
    n = len(workouts)
    return {
        "sessions_per_week": n / max(weeks, 1),
        "weekday_share": (by_weekday / n).tolist(),
        "hour_share": (by_hour / n).tolist(),
        "streak_weeks": streak(workouts["day"], today=today),
    }
