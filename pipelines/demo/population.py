"""A synthetic athlete population with cause and effect — pure numpy/pandas, no database.

:func:`generate` returns the five tables Forma stores (columns exactly the database's;
UUIDs as canonical strings, times as UTC ``datetime64``) plus the hidden truth that made
them: per athlete and day the true e1RM of each lift, the trend under it and the
Banister fitness/fatigue of the athlete's own load (see :mod:`pipelines.demo.truth`).
Every parameter cites ``research/sports-science.md`` in the module that draws it:
:mod:`~pipelines.demo.athletes` (who), :mod:`~pipelines.demo.calendar` (when and how
much), :mod:`~pipelines.demo.truth` (what they can lift), :mod:`~pipelines.demo.strength`
and :mod:`~pipelines.demo.cardio` (what they log).

Athletes are simulated in chunks; a chunk is a vectorised loop over days, so time grows
with athletes × days and memory with the chunk size. The same ``seed``, ``end`` and
``chunk_size`` always give the same population.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, TypedDict, Unpack

import numpy as np
import pandas as pd

from api.exercises.catalogue import exercise_id
from pipelines.demo import athletes as athletes_mod
from pipelines.demo import calendar, cardio, frames, strength, truth
from pipelines.demo.calendar import Block

__all__ = ["Block", "Population", "generate", "generate_chunks"]

CHUNK_SIZE = 250


@dataclass(slots=True)
class Population:
    """The tables (``users`` … ``body_metrics``) and the hidden state (``athletes`` …).

    ``truth``: athlete, user_id, day, lift (slug), exercise_id, true_e1rm_kg, trend_kg,
    fitness, fatigue, banister, detraining — every active day × every weighted lift.
    ``sessions``: workout_id, athlete, kind (lift/cardio), local_start (naive local time),
    day, deload, volume, minutes, srpe, srpe_load (the load Banister was fed).
    ``set_truth``: set id, true_rir (< 0 = failed reps), capacity_kg, target_reps, failed.
    """

    users: pd.DataFrame
    workouts: pd.DataFrame
    workout_sets: pd.DataFrame
    cardio_sessions: pd.DataFrame
    body_metrics: pd.DataFrame
    athletes: pd.DataFrame
    sessions: pd.DataFrame
    truth: pd.DataFrame | None = None
    set_truth: pd.DataFrame | None = None

    TABLES = ("users", "workouts", "workout_sets", "cardio_sessions", "body_metrics")

    def rows(self) -> int:
        """Rows the database gets from this population."""
        return sum(len(getattr(self, name)) for name in self.TABLES)


def _days(years: float, end: date) -> np.ndarray:
    n = max(int(round(years * 365.25)), 28)
    last = np.datetime64(end, "D")
    return np.arange(last - n + 1, last + 1, dtype="datetime64[D]")


def _chunk(
    seed: int,
    index: int,
    first: int,
    count: int,
    days: np.ndarray,
    block: Block | None,
    with_truth: bool,
) -> Population:
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, index]).spawn(7)]
    ath = athletes_mod.draw_athletes(rngs[0], first=first, count=count, days=days)
    include = athletes_mod.draw_slots(rngs[0], ath)
    plan = calendar.plan(rngs[1], ath, include, days, block)
    state = truth.simulate(rngs[2], ath, plan)
    lifts, sets = strength.sessions_and_sets(rngs[3], ath, include, plan, state)
    rest, peak = cardio.hr_arrays(ath, rngs[4])
    profile = pd.DataFrame({"resting_hr": rest, "max_hr": peak, "sex": ath["sex"]})
    runs = cardio.sessions(rngs[4], ath, profile, plan, state)
    ids = rngs[5]
    user_ids = frames.uuids(ids, count)
    ath["user_id"] = user_ids

    # Workouts: lift and endurance sessions, local start → UTC in the zone of that day.
    both = pd.concat(
        [
            lifts.assign(kind="lift", n_cardio=-1),
            runs[["a", "day"]].assign(kind="cardio", n_cardio=np.arange(len(runs))),
        ],
        ignore_index=True,
    )
    a, d = both["a"].to_numpy(), both["day"].to_numpy()
    moved = (ath["move_day"].to_numpy()[a] >= 0) & (d >= ath["move_day"].to_numpy()[a])
    zone = np.where(
        moved, ath["time_zone_after_move"].to_numpy()[a], ath["time_zone"].to_numpy()[a]
    )
    local = days[d].astype("datetime64[m]") + plan.start_minute[a, d].astype("timedelta64[m]")
    started = frames.to_utc(local, zone)
    minutes = plan.minutes[a, d]
    srpe = plan.session_rpe[a, d]
    logged = rngs[6].random(len(both)) < 0.7  # "often session_rpe" [A]
    title = np.where(
        both["kind"] == "lift",
        np.where(both["group"].fillna(0).to_numpy() == 0, "Workout A", "Workout B"),
        runs["sport_label"].to_numpy()[both["n_cardio"].clip(0).to_numpy()] if len(runs) else "",
    )
    title = np.where(
        both["deload"].fillna(False).to_numpy().astype(bool),
        np.char.add("Deload — ", title.astype(str)),
        title,
    )
    workout_ids = frames.uuids(ids, len(both))
    ended = started + pd.to_timedelta(np.round(minutes * 60), unit="s")
    workouts = pd.DataFrame(
        {
            "id": workout_ids,
            "user_id": user_ids[a],
            "started_at": started,
            "ended_at": ended,
            "time_zone": zone,
            "title": title,
            "notes": None,
            "session_rpe": np.where(
                both["kind"] == "cardio",
                runs["session_rpe"].reindex(both["n_cardio"]).to_numpy(),
                np.where(logged, srpe, np.nan),
            ),
            "source": frames.SOURCE,
            "source_fingerprint": None,
            "import_job_id": None,
            "deleted_at": pd.NaT,
            "change_seq": 0,
            "created_at": ended,
            "updated_at": ended,
        }
    )
    order = np.lexsort((started.to_numpy(), a))
    workouts = workouts.iloc[order].reset_index(drop=True)
    a_sorted = a[order]
    workouts["change_seq"] = np.arange(len(order)) - np.searchsorted(a_sorted, a_sorted) + 1
    sessions = pd.DataFrame(
        {
            "workout_id": workout_ids,
            "athlete": ath["athlete"].to_numpy()[a],
            "kind": both["kind"].to_numpy(),
            "local_start": local,
            "day": days[d],
            "deload": plan.deload[a, d],
            "volume": plan.volume[a, d],
            "minutes": minutes,
            "srpe": srpe,
            "srpe_load": plan.load[a, d],
        }
    )

    n_lift = len(lifts)
    set_ids = frames.uuids(ids, len(sets))
    sess = sets["session"].to_numpy()
    first_of = np.r_[0, np.flatnonzero(sess[1:] != sess[:-1]) + 1]
    position = np.arange(len(sets)) - np.repeat(first_of, np.diff(np.r_[first_of, len(sets)]))
    slug_ids = {slug: str(exercise_id(slug)) for slug in pd.unique(sets["slug"])}
    workout_sets = pd.DataFrame(
        {
            "id": set_ids,
            "workout_id": workout_ids[:n_lift][sess],
            "user_id": user_ids[lifts["a"].to_numpy()[sess]],
            "exercise_id": sets["slug"].map(slug_ids).to_numpy(),
            "position": position,
            "set_type": sets["set_type"].to_numpy(),
            "weight_kg": sets["weight_kg"].to_numpy(),
            "reps": sets["reps"].to_numpy(),
            "duration_s": np.nan,
            "distance_m": np.nan,
            "rpe": sets["rpe"].to_numpy(),
            "rir": sets["rir"].to_numpy(),
            "weight_unit": sets["weight_unit"].to_numpy(),
            "distance_unit": None,
            "detected_reps": sets["detected_reps"].array,
            "form_score": sets["form_score"].to_numpy(),
            "tempo": None,
            "notes": None,
        }
    )
    cardio_rows = runs.assign(
        workout_id=workout_ids[n_lift:], user_id=user_ids[runs["a"].to_numpy()]
    )
    first_day = workouts.groupby("user_id", sort=False)["started_at"].min()
    created = pd.Series(user_ids).map(first_day).fillna(pd.Timestamp(str(days[0]), tz="UTC"))
    created = created - pd.Timedelta(hours=1)
    female = ath["sex"].to_numpy() == "female"
    users = pd.DataFrame(
        {
            "id": user_ids,
            "email": [frames.email(int(i)) for i in ath["athlete"]],
            "password_hash": "",
            "role": "athlete",
            "time_zone": ath["time_zone_after_move"].to_numpy(),
            "unit_system": np.where(ath["lb"], "imperial", "metric"),
            "sex": np.where(female, "female", "male"),
            "birth_year": (
                days[-1].astype("datetime64[Y]").astype(int) + 1970 - ath["age"].round()
            ).astype(int),
            "resting_hr": pd.array(np.nan_to_num(rest, nan=-1).astype(int), dtype="Int16"),
            "max_hr": pd.array(np.nan_to_num(peak, nan=-1).astype(int), dtype="Int16"),
            "password_changed_at": created.to_numpy(),
            "sync_seq": workouts.groupby("user_id", sort=False)
            .size()
            .reindex(user_ids)
            .fillna(0)
            .astype(int)
            .to_numpy(),
            "created_at": created.to_numpy(),
            "updated_at": created.to_numpy(),
        }
    )
    users["resting_hr"] = users["resting_hr"].mask(np.isnan(rest))
    users["max_hr"] = users["max_hr"].mask(np.isnan(peak))
    body = frames.body_metrics(rngs[6], ath, user_ids, days, rest)
    truth_frame = set_truth = None
    if with_truth:
        truth_frame = _truth_frame(ath, include, plan, state, days)
        set_truth = sets[["true_rir", "capacity_kg", "target_reps", "failed", "deload"]].assign(
            id=set_ids
        )
    return Population(
        users=users[list(frames.USER_COLUMNS)],
        workouts=workouts[list(frames.WORKOUT_COLUMNS)],
        workout_sets=workout_sets[list(frames.SET_COLUMNS)],
        cardio_sessions=cardio_rows[list(frames.CARDIO_COLUMNS)].reset_index(drop=True),
        body_metrics=body[list(frames.BODY_COLUMNS)],
        athletes=ath,
        sessions=sessions,
        truth=truth_frame,
        set_truth=set_truth,
    )


def _truth_frame(
    ath: pd.DataFrame,
    include: np.ndarray,
    plan: calendar.Plan,
    state: truth.Truth,
    days: np.ndarray,
) -> pd.DataFrame:
    template = np.where(ath["machine"].to_numpy()[:, None], 1, 0)
    slots = np.array([s.slug for s in (*athletes_mod.FREE, *athletes_mod.MACHINE)], dtype=object)
    weighted = np.array([s.kind == "strength" for s in (*athletes_mod.FREE, *athletes_mod.MACHINE)])
    flat = template * athletes_mod.N_SLOTS + np.arange(athletes_mod.N_SLOTS)
    use = include & weighted[flat]
    a, k, d = np.nonzero(use[:, :, None] & plan.active[:, None, :])
    slug = slots[flat[a, k]]
    ids = {s: str(exercise_id(s)) for s in pd.unique(slug)}
    return pd.DataFrame(
        {
            "athlete": ath["athlete"].to_numpy()[a],
            "user_id": ath["user_id"].to_numpy()[a],
            "day": days[d],
            "lift": slug,
            "exercise_id": pd.Series(slug).map(ids).to_numpy(),
            "true_e1rm_kg": state.e1rm[a, k, d],
            "trend_kg": state.trend[a, k, d],
            "fitness": state.fitness[a, d],
            "fatigue": state.fatigue[a, d],
            "banister": state.banister[a, d],
            "detraining": state.detraining[a, d],
            "in_break": plan.breaks[a, d],
        }
    )


def generate_chunks(
    athletes: int,
    years: float,
    seed: int,
    end: date,
    *,
    chunk_size: int = CHUNK_SIZE,
    block: Block | None = None,
    with_truth: bool = True,
) -> Iterator[Population]:
    """Yield the population ``chunk_size`` athletes at a time (athlete 0 is the demo login)."""
    days = _days(years, end)
    for index, first in enumerate(range(0, athletes, chunk_size)):
        count = min(chunk_size, athletes - first)
        yield _chunk(seed, index, first, count, days, block, with_truth)


class ChunkOptions(TypedDict, total=False):
    """The keyword options of :func:`generate_chunks`, passed on by :func:`generate`."""

    chunk_size: int
    block: Block | None
    with_truth: bool


def generate(
    athletes: int, years: float, seed: int, end: date, **options: Unpack[ChunkOptions]
) -> Population:
    """The whole population as one :class:`Population` (the chunks of
    :func:`generate_chunks` with these ``options``, concatenated)."""
    parts = list(generate_chunks(athletes, years, seed, end, **options))
    merged: dict[str, Any] = {}
    for f in fields(Population):
        values = [getattr(p, f.name) for p in parts]
        merged[f.name] = None if values[0] is None else pd.concat(values, ignore_index=True)
    return Population(**merged)
