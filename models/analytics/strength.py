"""Strength analytics: the e1RM formulas, best e1RM per day, exercise days, rep-max PR
events and the standing records, weekly muscle-group volume — vectorised over the sets
of many athletes.

Definitions are DESIGN.md §5's; each function names its source. Which sets count, the
e1RM rep range and the tie rule come from :mod:`models.vocabulary`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.analytics.frames import Packed, day_numbers, order
from models.vocabulary import (
    COUNTED_SET_TYPES,
    E1RM_MAX_REPS,
    E1RM_MIN_REPS,
    E1RM_TIE_DECIMALS,
    EARLIEST_SET,
    UNLOADED_KINDS,
    week_starts,
)

FloatArray = npt.NDArray[np.float64]


def epley(weight_kg: npt.ArrayLike, reps: npt.ArrayLike) -> FloatArray:
    """Estimated one-repetition maximum, kg: ``w·(1 + r/30)``, a single (``r = 1``) being
    the 1RM itself. Arrays (or scalars) of kg and reps in, broadcast; no range check
    (callers keep to ``E1RM_MIN_REPS ≤ r ≤ E1RM_MAX_REPS``). Epley B. (1985) *Poundage
    Chart*, Boyd Epley Workout, Lincoln NE."""
    w, r = np.asarray(weight_kg, dtype=float), np.asarray(reps, dtype=float)
    return np.where(r == 1, w, w * (1 + r / 30))


def brzycki(weight_kg: npt.ArrayLike, reps: npt.ArrayLike) -> FloatArray:
    """Estimated one-repetition maximum, kg: ``w·36/(37 − r)`` (``r = 1 → w``); as
    :func:`epley`. Brzycki M. (1993) *JOPERD* 64(1):88–90."""
    w, r = np.asarray(weight_kg, dtype=float), np.asarray(reps, dtype=float)
    return np.where(r == 1, w, w * 36 / (37 - r))


def reps_in_reserve(rir: npt.ArrayLike, rpe: npt.ArrayLike) -> FloatArray:
    """Each set's RIR: the logged RIR, else ``10 − RPE`` on the RIR-based RPE scale
    (Zourdos et al. 2016, *J Strength Cond Res* 30(1):267–275), else NaN (unknown —
    never 0)."""
    rir, rpe = np.asarray(rir, dtype=float), np.asarray(rpe, dtype=float)
    return np.where(np.isnan(rir), 10 - rpe, rir)


def e1rm_eligible(
    kind: npt.ArrayLike, weight_kg: FloatArray, reps: FloatArray
) -> npt.NDArray[np.bool_]:
    """Counted sets that may carry an e1RM or a rep-max PR (DESIGN §5): a ``strength``
    exercise, ``weight > 0`` and ``E1RM_MIN_REPS ≤ reps ≤ E1RM_MAX_REPS``."""
    return (
        (np.asarray(kind) == "strength")
        & (weight_kg > 0)
        & (reps >= E1RM_MIN_REPS)
        & (reps <= E1RM_MAX_REPS)
    )


def working_sets(sets: pd.DataFrame) -> pd.DataFrame:
    """Non-warm-up sets with their volume load (assisted sets add none: DESIGN §5)."""
    work = sets[sets["set_type"].isin(COUNTED_SET_TYPES).to_numpy()].copy()
    loaded = ~np.isin(work["exercise_kind"].to_numpy(), UNLOADED_KINDS)
    work["volume"] = np.where(
        loaded, np.nan_to_num(work["weight_kg"].to_numpy(float) * work["reps"].to_numpy(float)), 0.0
    )
    return work


def e1rm_daily(work: pd.DataFrame, body_mass: pd.DataFrame) -> pd.DataFrame:
    """Best Epley e1RM per exercise per day (ties → earliest set), the best Brzycki and
    RIR-adjusted Epley of the day, and relative strength (÷ the latest body mass on or
    before the day). Epley 1985, Brzycki 1993; RIR = logged RIR, else 10 − RPE
    (Zourdos et al. 2016); DESIGN §5 eligibility: strength, weight > 0, 1 ≤ reps ≤ 12."""
    w = work["weight_kg"].to_numpy(float)
    r = work["reps"].to_numpy(float)
    ok = e1rm_eligible(work["exercise_kind"].to_numpy(), w, r)
    lifts = work[ok]
    w, r = w[ok], r[ok]
    e1rm = epley(w, r)
    by_brzycki = brzycki(w, r)
    e1rm_rir = epley(
        w, r + reps_in_reserve(lifts["rir"].to_numpy(float), lifts["rpe"].to_numpy(float))
    )
    user, exercise = lifts["user_id"].to_numpy(), lifts["exercise_id"].to_numpy()
    packed = Packed(user, exercise, day_numbers(lifts["day"])).keys
    # best first within each (athlete, exercise, day): the heaviest rank, then the earliest
    rows = order(
        pd.DataFrame({"_key": packed, "_rank": np.round(e1rm, E1RM_TIE_DECIMALS)}).assign(
            performed_at=lifts["performed_at"].array,
            position=lifts["position"].to_numpy(),
            _tie=lifts["_tie"].to_numpy(),
        ),
        ["_key", "_rank", *EARLIEST_SET[1:]],  # one day per key: the rest of the tie rule
        ("_rank",),
    )
    ranked = packed[rows]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]]) if len(rows) else rows
    best = rows[starts]
    # fmax skips NaN as pandas' max does; a maximum is exact in any order
    most = {name: np.fmax.reduceat(v[rows], starts) if len(rows) else v
            for name, v in (("brzycki_kg", by_brzycki), ("e1rm_rir_kg", e1rm_rir))}  # fmt: skip
    out = pd.DataFrame(
        {
            "user_id": user[best],
            "exercise_id": exercise[best],
            "day": lifts["day"].to_numpy()[best],
            "e1rm_kg": e1rm[best],
            "brzycki_kg": most["brzycki_kg"],
            "e1rm_rir_kg": most["e1rm_rir_kg"],
            "weight_kg": w[best],
            "reps": r[best],
            "set_id": lifts["set_id"].to_numpy()[best],
            "workout_id": lifts["workout_id"].to_numpy()[best],
        }
    )
    return _relative(out, body_mass)


def _relative(e1rm: pd.DataFrame, body_mass: pd.DataFrame) -> pd.DataFrame:
    """Each row's latest body mass on or before its day (same athlete) and e1RM ÷ it."""
    masses = body_mass[body_mass["body_mass_kg"].notna().to_numpy()]
    if e1rm.empty or masses.empty:
        return e1rm.assign(body_mass_kg=np.nan, relative_strength=np.nan)
    users = np.concatenate([masses["user_id"].to_numpy(), e1rm["user_id"].to_numpy()])
    days = np.concatenate([day_numbers(masses["day"]), day_numbers(e1rm["day"])])
    keys = Packed(users, days).keys
    measured, wanted = keys[: len(masses)], keys[len(masses) :]
    by_day = np.argsort(measured, kind="stable")
    at = np.searchsorted(measured[by_day], wanted, side="right") - 1
    found = by_day[np.maximum(at, 0)]
    mass_users = masses["user_id"].to_numpy()
    hit = (at >= 0) & (mass_users[found] == e1rm["user_id"].to_numpy())
    mass = np.where(hit, masses["body_mass_kg"].to_numpy(float)[found], np.nan)
    return e1rm.assign(body_mass_kg=mass, relative_strength=e1rm["e1rm_kg"].to_numpy() / mass)


def exercise_daily(work: pd.DataFrame) -> pd.DataFrame:
    """Per exercise per day: sets, reps, volume load, most reps in a set, and pose data
    (mean form score 0–1; mean detected − logged reps over sets having both)."""
    reps = work["reps"].to_numpy(float)
    frame = pd.DataFrame(
        {
            "_reps": np.nan_to_num(reps),
            "volume": work["volume"].to_numpy(float),
            "reps": reps,
            "form_score": work["form_score"].to_numpy(float),
            "_gap": work["detected_reps"].to_numpy(float) - reps,
        }
    )
    packed = Packed(work["user_id"].to_numpy(), work["exercise_id"].to_numpy(),
                    day_numbers(work["day"]))  # fmt: skip
    grouped = frame.groupby(packed.keys)
    sums = grouped[["_reps", "volume"]].sum()
    counts = grouped[["form_score", "_gap"]].count()
    means = grouped[["form_score", "_gap"]].mean()
    user, exercise, day = packed.unpack(sums.index.to_numpy())
    return pd.DataFrame(
        {
            "user_id": user,
            "exercise_id": exercise,
            "day": day.astype("datetime64[D]").astype("datetime64[ns]"),
            "sets": grouped.size().to_numpy(),
            "reps": sums["_reps"].to_numpy(),
            "volume_load_kg": sums["volume"].to_numpy(),
            "max_reps": grouped["reps"].max().to_numpy(),
            "form_sets": counts["form_score"].to_numpy(),
            "mean_form_score": means["form_score"].to_numpy(),
            "detected_sets": counts["_gap"].to_numpy(),
            "rep_discrepancy": means["_gap"].to_numpy(),
        }
    )


def pr_events(work: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Sets that raised a record when they were done (DESIGN §5 rep-max PRs, ties → the
    earliest in the athlete's calendar): ``rep_max`` — heaviest weight for exactly r
    reps of a strength lift; ``max_reps`` — most reps in a bodyweight set."""
    kind = work["exercise_kind"].to_numpy()
    w = work["weight_kg"].to_numpy(float)
    r = work["reps"].to_numpy(float)
    lift = e1rm_eligible(kind, w, r)
    body = (kind == "bodyweight") & (r > 0)
    pick = np.flatnonzero(lift | body)
    is_lift = lift[pick]
    value = np.where(is_lift, w[pick], r[pick])
    b_lift = before["kind"].to_numpy() == "rep_max"
    b_reps = before["reps"].to_numpy(float)
    b_value = np.where(b_lift, before["weight_kg"].to_numpy(float), b_reps)
    # one packed key per record (athlete, exercise, kind, reps) for the sets and the seeds
    reps_key = np.unique(np.r_[np.where(is_lift, r[pick], 0.0), np.where(b_lift, b_reps, 0.0)],
                         return_inverse=True)[1]  # fmt: skip
    packed = Packed(
        np.r_[work["user_id"].to_numpy()[pick], before["user_id"].to_numpy()],
        np.r_[work["exercise_id"].to_numpy()[pick], before["exercise_id"].to_numpy()],
        np.r_[~is_lift, ~b_lift].astype(np.int64),
        reps_key,
    ).keys
    record, seeds = packed[: len(pick)], packed[len(pick) :]
    # each record's sets in calendar order (EARLIEST_SET), the records one after another
    rows = np.lexsort((
        work["_tie"].to_numpy()[pick], work["position"].to_numpy()[pick],
        work["performed_at"].array.asi8[pick], day_numbers(work["day"])[pick], record,
    ))  # fmt: skip
    record, value = record[rows], value[rows]
    best = pd.Series(value).groupby(record, sort=False).cummax().to_numpy(float)
    prior = np.full(len(best), np.nan)  # the best before each set, none at a record's first
    prior[1:] = best[:-1]
    prior[np.flatnonzero(record[1:] != record[:-1]) + 1] = np.nan
    if len(seeds):
        seed = pd.Series(b_value).groupby(seeds).max()
        prior = np.fmax(prior, seed.reindex(record).to_numpy(float))
    raised = np.isnan(prior) | (value > prior)
    at = pick[rows[raised]]
    return pd.DataFrame(
        {
            "user_id": work["user_id"].to_numpy()[at],
            "set_id": work["set_id"].to_numpy()[at],
            "workout_id": work["workout_id"].to_numpy()[at],
            "exercise_id": work["exercise_id"].to_numpy()[at],
            "kind": np.where(is_lift[rows[raised]], "rep_max", "max_reps"),
            "reps": r[at],
            "weight_kg": w[at],
            "achieved_on": work["day"].to_numpy()[at],
            "achieved_at": work["performed_at"].array.take(at),
            "previous": prior[raised],
        }
    )


def current_prs(events: pd.DataFrame) -> pd.DataFrame:
    """The standing records: each ``(exercise, kind, reps)``'s last event (rep_max) and
    each exercise's last ``max_reps`` event — events only ever raise a record."""
    if events.empty:
        return events.copy()
    rep_max = events["kind"].to_numpy() == "rep_max"
    reps = events["reps"].to_numpy(float)
    value = np.where(rep_max, events["weight_kg"].to_numpy(float), reps)
    user = events["user_id"].to_numpy().astype(np.int64)
    exercise = events["exercise_id"].to_numpy().astype(np.int64)
    key = np.unique(np.where(rep_max, reps, 0.0), return_inverse=True)[1]
    record = Packed(user, exercise, rep_max.astype(np.int64), key).keys
    # each record's highest value, the later event on a tie (a stable sort, keep last)
    rows = np.lexsort((np.arange(len(events)), value, record))
    last = rows[np.r_[record[rows][1:] != record[rows][:-1], True]]
    # by athlete, exercise, kind ("max_reps" < "rep_max") and reps
    last = last[np.lexsort((reps[last], rep_max[last], exercise[last], user[last]))]
    return events.iloc[last].reset_index(drop=True)


def muscle_weeks(work: pd.DataFrame, muscles: pd.DataFrame) -> pd.DataFrame:
    """Weekly fractional sets and volume load per muscle group (primary 1.0, secondary
    0.5 — :mod:`models.analytics.balance`)."""
    # each set once per muscle group of its exercise (an inner join by searchsorted)
    exercises = muscles["exercise_id"].to_numpy().astype(np.int64)
    by_exercise = np.argsort(exercises, kind="stable")
    used = work["exercise_id"].to_numpy().astype(np.int64)
    lo = np.searchsorted(exercises[by_exercise], used, "left")
    n = np.searchsorted(exercises[by_exercise], used, "right") - lo
    left = np.repeat(np.arange(len(used)), n)
    right = by_exercise[np.repeat(lo, n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)]
    muscle, names = pd.factorize(muscles["muscle"], sort=True)
    share = muscles["share"].to_numpy(float)[right]
    packed = Packed(
        work["user_id"].to_numpy()[left], day_numbers(week_starts(work["day"]))[left], muscle[right]
    )
    groups, at = np.unique(packed.keys, return_inverse=True)
    user, week, group = packed.unpack(groups)
    volume = share * work["volume"].to_numpy(float)[left]
    return pd.DataFrame(
        {
            "user_id": user,
            "week_start": week.astype("datetime64[D]").astype("datetime64[ns]"),
            "muscle": np.asarray(names, dtype=object)[group],
            "sets": np.bincount(at, weights=share, minlength=len(groups)),
            "volume_load_kg": np.bincount(at, weights=volume, minlength=len(groups)),
        }
    )
