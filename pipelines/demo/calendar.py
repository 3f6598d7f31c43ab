"""When athletes train: lifespans, breaks, deloads, weekday/hour choice and session load.

Every array is (athletes, days) over the simulated window unless stated; all draws are
made before any per-athlete override (:class:`Block`) is applied, so the same seed gives
the same calendar with and without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipelines.demo.athletes import N_SLOTS, Rng

Bool2 = npt.NDArray[np.bool_]
Float2 = npt.NDArray[np.float64]

# §7 "calendar": Mon 1.33, Tue–Thu 1.1–1.2, Fri 0.9, Sat 0.7, Sun 0.6 (Dai + occupancy) [A].
WEEKDAY_WEIGHTS = np.array([1.33, 1.2, 1.15, 1.1, 0.9, 0.7, 0.6])
WEEKDAY_WEIGHTS = WEEKDAY_WEIGHTS / WEEKDAY_WEIGHTS.mean()
DELOAD_VOLUME = 0.55
"""§7 "intensity": a deload week cuts volume 40–50 % (and load 10 %, in strength.py)."""


@dataclass(frozen=True, slots=True)
class Block:
    """Override one athlete's training volume for some weeks (cause-and-effect experiments)."""

    athlete: int
    first_day: date
    weeks: int
    volume: float


@dataclass(slots=True)
class Plan:
    active: Bool2
    breaks: Bool2
    lift: Bool2  # a strength session that day
    cardio: Bool2  # an endurance session that day
    deload: Bool2
    volume: Float2  # volume multiplier (week-to-week variation × deload × block)
    sets_per_exercise: npt.NDArray[np.int64]
    group: npt.NDArray[np.int64]  # workout A (0) or B (1) for lift days
    minutes: Float2
    session_rpe: Float2  # CR-10, the true rating (logging it is decided later)
    intensity: npt.NDArray[np.int64]  # cardio: 0 easy, 1 tempo, 2 hard
    load: Float2  # sRPE load (rating × minutes, Foster 2001), AU
    load_ref: npt.NDArray[np.float64]  # per athlete: habitual daily load (normalises Banister)
    start_minute: Float2  # local time of day, minutes after midnight


def _sessions_per_week(rng: Rng, ath: pd.DataFrame) -> tuple[Float2, Float2]:
    """Sessions per week and the share that are endurance sessions.

    §7 "sessions/week": new members median ~1 (4.3/month, DellaVigna), committed 3–4
    (ACSM intermediate), advanced 4–5, endurance 4–8 (capped at one session a day here).
    """
    n = len(ath)
    seg = ath["segment"].to_numpy()
    lift = np.select(
        [seg == "new", seg == "committed"],
        [np.clip(rng.lognormal(np.log(1.05), 0.35, n), 0.5, 3), rng.uniform(3, 4, n)],
        rng.uniform(4, 5, n),
    )
    run = np.select(
        [seg == "new", seg == "committed"],
        [np.clip(rng.lognormal(np.log(1.4), 0.35, n), 0.5, 3), rng.uniform(4, 6, n)],
        rng.uniform(5, 6.5, n),
    )
    extra = rng.uniform(1.5, 3, n)
    modality = ath["modality"].to_numpy()
    total = np.select(
        [modality == "lift", modality == "run"], [lift, run], np.minimum(lift + extra, 6.5)
    )
    share = np.select([modality == "lift", modality == "run"], [0.0, 1.0], extra / (lift + extra))
    return total, share


def _interval_mask(starts: Float2, lengths: Float2, n_days: int) -> Bool2:
    day = np.arange(n_days)
    mask = np.zeros((starts.shape[0], n_days), dtype=bool)
    for k in range(starts.shape[1]):
        s, e = starts[:, k : k + 1], starts[:, k : k + 1] + lengths[:, k : k + 1]
        mask |= (day >= s) & (day < e)
    return mask


def _breaks(rng: Rng, ath: pd.DataFrame, n_days: int) -> Bool2:
    """Holidays (1–2 a year of 1–2 weeks) and, unless new members, 4–12-week lapses (§7)."""
    n = len(ath)
    start, end = ath["start_day"].to_numpy(), ath["end_day"].to_numpy()
    span = np.maximum(end - start, 1)[:, None]
    years = span[:, 0] / 365.25
    k_hol, k_lap = 8, 4
    hol_n = rng.poisson(1.5 * years)
    hol_s = start[:, None] + rng.random((n, k_hol)) * span
    hol_l = np.where(np.arange(k_hol) < hol_n[:, None], rng.integers(7, 15, (n, k_hol)), 0)
    lap_n = np.where(ath["segment"].to_numpy() == "new", 0, rng.poisson(0.35 * years))
    lap_s = start[:, None] + rng.random((n, k_lap)) * span
    lap_l = np.where(np.arange(k_lap) < lap_n[:, None], rng.integers(28, 85, (n, k_lap)), 0)
    return _interval_mask(
        np.hstack([hol_s, lap_s]), np.hstack([hol_l, lap_l]).astype(float), n_days
    )


def _deload_weeks(rng: Rng, n: int, n_weeks: int) -> Bool2:
    """A deload week ends each cycle of N(5.6, 2.3) weeks, clipped 3–10 (§1c Rogerson/Bell 2024)."""
    cycles = np.clip(np.round(rng.normal(5.6, 2.3, (n, n_weeks // 3 + 2))), 3, 10).astype(int)
    ends = np.cumsum(cycles, axis=1) - rng.integers(0, 6, (n, 1))
    flags = np.zeros((n, n_weeks + 1), dtype=bool)
    rows = np.repeat(np.arange(n), cycles.shape[1])
    cols = np.clip(ends.ravel(), -1, n_weeks)
    keep = cols >= 0
    flags[rows[keep], cols[keep]] = True
    return flags[:, :n_weeks]


def _start_minutes(rng: Rng, n: int, weekday: npt.NDArray[np.int64]) -> Float2:
    """Local start time: 06–08 h (25 %), 17–21 h (55 %), midday (20 %); weekends often late
    morning (§7 "calendar", occupancy scrapes [S/A])."""
    d = weekday.size
    pref = rng.choice(3, size=n, p=[0.25, 0.55, 0.20])
    slot = np.where(
        rng.random((n, d)) < 0.8, pref[:, None], rng.choice(3, size=(n, d), p=[0.25, 0.55, 0.20])
    )
    weekend = (weekday >= 5)[None, :] & (rng.random((n, d)) < 0.6)
    lo = np.choose(slot, [6.0, 17.0, 10.0])
    width = np.choose(slot, [2.0, 4.0, 6.0])
    lo = np.where(weekend, 9.0, lo)
    width = np.where(weekend, 3.0, width)
    return (lo + rng.random((n, d)) * width) * 60.0


def plan(
    rng: Rng,
    ath: pd.DataFrame,
    include: Bool2,
    days: npt.NDArray[np.datetime64],
    block: Block | None,
) -> Plan:
    """Draw every athlete's calendar and the sRPE load of each session."""
    n, d = len(ath), days.size
    day = np.arange(d)
    start, end = ath["start_day"].to_numpy(), ath["end_day"].to_numpy()
    active = (day >= start[:, None]) & (day < end[:, None])
    breaks = _breaks(rng, ath, d) & active
    weekday = ((days - np.datetime64("1970-01-05")).astype(int) % 7).astype(np.int64)
    week = (day + weekday[0]) // 7
    n_weeks = int(week[-1]) + 1
    deload = _deload_weeks(rng, n, n_weeks)[:, week]
    spw, run_share = _sessions_per_week(rng, ath)
    p = np.clip(spw[:, None] / 7.0 * WEEKDAY_WEIGHTS[weekday][None, :], 0, 1)
    session = (rng.random((n, d)) < p) & active & ~breaks
    is_cardio = rng.random((n, d)) < run_share[:, None]
    lift, cardio = session & ~is_cardio, session & is_cardio
    # Hard and easy weeks: lognormal σ 0.15 around the plan [A]; deloads −45 % (§1c, §7).
    volume = rng.lognormal(0.0, 0.15, (n, n_weeks))[:, week] * np.where(deload, DELOAD_VOLUME, 1.0)
    base_sets = rng.choice([2, 3, 4, 5], size=n, p=[0.2, 0.5, 0.2, 0.1])  # §7 mode 3
    per_set_min = rng.uniform(2.2, 3.2, n)
    group = (np.cumsum(lift, axis=1) - 1) % 2
    n_ex = np.stack([include[:, : N_SLOTS // 2].sum(1), include[:, N_SLOTS // 2 :].sum(1)], axis=1)
    rpe_noise = rng.normal(0, 0.8, (n, d))
    intensity = rng.choice(3, size=(n, d), p=[0.70, 0.25, 0.05])  # §1d zones 70/25/5 %
    cardio_noise = rng.normal(0, 1.0, (n, d))
    duration = rng.lognormal(np.log(55.0), 0.5, (n, d)) * rng.lognormal(0, 0.25, n)[:, None]
    start_minute = _start_minutes(rng, n, weekday)

    def loads(vol: Float2) -> tuple[npt.NDArray[np.int64], Float2, Float2, Float2]:
        sets = np.clip(np.round(base_sets[:, None] * vol), 1, 6).astype(np.int64)
        exercises = np.take_along_axis(n_ex, group.clip(0), axis=1)
        lift_min = 6.0 + sets * exercises * per_set_min[:, None]
        lift_rpe = np.clip(np.round(6.5 + 1.5 * (vol - 1) - 1.5 * deload + rpe_noise), 1, 10)
        # Endurance: duration lognormal median ~55 min (66 ± 51, §1d), hard sessions shorter;
        # sRPE 3/5/7 by zone, ≈ 4 ± 2 overall (§1d, §7 "endurance sessions").
        run_min = np.clip(duration * np.choose(intensity, [1.0, 0.85, 0.7]) * vol, 12, 300)
        run_rpe = np.clip(np.round(np.choose(intensity, [3.0, 5.0, 7.0]) + cardio_noise), 1, 10)
        minutes = np.where(lift, lift_min, np.where(cardio, run_min, 0.0))
        rpe = np.where(lift, lift_rpe, np.where(cardio, run_rpe, 0.0))
        return sets, minutes, rpe, minutes * rpe

    _, _, _, planned = loads(volume)
    counted = active & ~breaks
    load_ref = np.maximum(planned.sum(1) / np.maximum(counted.sum(1), 1), 1.0)
    if block is not None:
        row = np.flatnonzero(ath["athlete"].to_numpy() == block.athlete)
        first = (np.datetime64(block.first_day) - days[0]).astype(int)
        window = (day >= first) & (day < first + 7 * block.weeks)
        volume[np.ix_(row, np.flatnonzero(window))] *= block.volume
    sets, minutes, rpe, load = loads(volume)
    return Plan(
        active=active,
        breaks=breaks,
        lift=lift,
        cardio=cardio,
        deload=deload,
        volume=volume,
        sets_per_exercise=sets,
        group=group,
        minutes=minutes,
        session_rpe=rpe,
        intensity=intensity,
        load=load,
        load_ref=load_ref,
        start_minute=start_minute,
    )
