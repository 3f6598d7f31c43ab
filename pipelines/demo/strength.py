"""Strength sessions: exercises, sets, loads, reps and the RPE athletes report.

Per lift session (§7 "Session"): the day's exercises in programme order, 1–6 working
sets (mode 3), reps by status and a heavy/medium/light rotation (ACSM, §1d), a target
RPE with mode 8, load = perceived e1RM × RTS %1RM(reps, RPE) rounded to plates (§2b),
−10 % load in deload weeks (§7 "intensity"). What happens then comes from the truth:
today's capacity = true e1RM × exp(ε) with ε AR(1) across sessions (σ 0.03, ρ 0.3, §7
"load", Grgic 2020 median CV 4.2 %); true RIR = RTS x(load / capacity) − (reps − 1)
minus 0.3 per earlier set (within-session fatigue [A]); a negative RIR fails reps.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.coaching.chart import rts_pct, rts_x
from pipelines.demo.athletes import FREE, MACHINE, N_SLOTS, PULL_UP_ASSISTED, Rng
from pipelines.demo.calendar import Plan
from pipelines.demo.truth import Truth

LB_KG = 0.45359237
_SLOTS = (*FREE, *MACHINE)
_SLUG = np.array([s.slug for s in _SLOTS], dtype=object)
_KIND = np.array([s.kind for s in _SLOTS], dtype=object)
_DRIVER = np.array([s.driver for s in _SLOTS])
_FACTOR = np.array([s.factor for s in _SLOTS])
_BARBELL = np.array([i < N_SLOTS and i not in (4, 7, 9) for i in range(2 * N_SLOTS)])
_ACCESSORY = np.array([i % N_SLOTS in (3, 8) for i in range(2 * N_SLOTS)])
_RPE_TARGETS = np.array([7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0])
# §7 "intensity": target RPE 7–9, mode 8; 10–20 % of top sets at 9–10 (here 13 % at 9.5–10).
_RPE_P = np.array([0.10, 0.10, 0.35, 0.20, 0.12, 0.08, 0.05])


def plates(kg: npt.NDArray[np.float64], lb: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Round to 2.5 kg, or to 5 lb stored as kg = lb × 0.45359237 (§7 "units")."""
    in_lb = np.round(kg / LB_KG / 5.0) * 5.0 * LB_KG
    return np.where(lb, in_lb, np.round(kg / 2.5) * 2.5)


def ar1(
    rng: Rng, athlete: npt.NDArray[np.int64], sigma: float, rho: float
) -> npt.NDArray[np.float64]:
    """AR(1) noise along each athlete's sessions (rows sorted by athlete, then time).

    Computed as its MA(∞) expansion truncated after four terms (error ρ⁴ ≈ 1 %), which
    vectorises; the marginal SD is ``sigma``.
    """
    z = rng.normal(0.0, sigma * np.sqrt(1 - rho * rho), athlete.size)
    out = z.copy()
    for lag in range(1, 4):
        same = np.zeros(athlete.size, dtype=bool)
        same[lag:] = athlete[lag:] == athlete[:-lag]
        shifted = np.zeros_like(z)
        shifted[lag:] = z[:-lag]
        out += np.where(same, rho**lag * shifted, 0.0)
    return out


def sessions_and_sets(
    rng: Rng, ath: pd.DataFrame, include: npt.NDArray[np.bool_], plan: Plan, truth: Truth
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lift sessions (one row each) and their sets (one row each, ``session`` = its row)."""
    sa, sd = np.nonzero(plan.lift)
    n_ath = len(ath)
    group = plan.group[sa, sd]
    count = (np.cumsum(plan.lift, axis=1) - 1)[sa, sd]
    eps = ar1(rng, sa, 0.025, 0.3)  # with the per-lift 0.015 below: σ ≈ 0.03 (§7 "load")
    sessions = pd.DataFrame({"a": sa, "day": sd, "group": group, "deload": plan.deload[sa, sd]})

    slots_of = group[:, None] * (N_SLOTS // 2) + np.arange(N_SLOTS // 2)
    es, j = np.nonzero(np.take_along_axis(include[sa], slots_of, axis=1))
    slot = group[es] * (N_SLOTS // 2) + j
    a, d = sa[es], sd[es]
    machine = ath["machine"].to_numpy()
    flat = machine[a] * N_SLOTS + slot
    bw = ath["bodyweight_kg"].to_numpy()[a]
    lb = ath["lb"].to_numpy()[a]
    kind = _KIND[flat].copy()
    slug = _SLUG[flat].copy()
    driver = np.where(_DRIVER[flat] >= 0, _DRIVER[flat], slot)
    base = truth.e1rm[a, driver, d].astype(float)
    pull = kind != "strength"
    pull &= driver == 7
    # Pull-up capacity ≈ 1.2 × pulldown e1RM; push-up load 0.64 × bodyweight against the
    # bench-equivalent e1RM [A]. Athletes who cannot do 3 pull-ups at their start use the
    # assisted version throughout.
    cap = np.where(
        pull,
        1.2 * base,
        np.where(kind != "strength", base / _FACTOR[machine[a] * N_SLOTS + driver], base),
    )
    first = ath["start_day"].to_numpy()
    start_cap = 1.2 * truth.e1rm[np.arange(n_ath), 7, np.minimum(first, truth.e1rm.shape[2] - 1)]
    weak = rts_x(ath["bodyweight_kg"].to_numpy() / start_cap) + 1 < 3
    to_assisted = pull & (kind == "bodyweight") & weak[a]
    kind[to_assisted], slug[to_assisted] = "assisted", PULL_UP_ASSISTED
    eff_bw = np.where(pull, bw, 0.64 * bw)

    today = cap * np.exp(eps[es] + rng.normal(0, 0.015, es.size))
    # Lifters sense part of today's form in their warm-ups [A] ...
    perceived = cap * np.exp(rng.normal(0, 0.015, es.size) + 0.7 * eps[es])
    novice = (ath["status"] == "novice").to_numpy()[a]
    scheme = (count[es] // 2) % 3
    lo = np.where(novice | _ACCESSORY[flat], 8, np.choose(scheme, [3, 6, 8]))
    hi = np.where(novice | _ACCESSORY[flat], 12, np.choose(scheme, [5, 8, 12]))
    reps = rng.integers(lo, hi + 1)
    rpe_t = rng.choice(_RPE_TARGETS, size=es.size, p=_RPE_P)
    deload = plan.deload[a, d]
    dl = np.where(deload, 0.9, 1.0)
    bar = _BARBELL[flat] & ~_ACCESSORY[flat]  # an empty bar; curls use an EZ bar or plates
    minimum = np.where(bar, np.where(lb, 45 * LB_KG, 20.0), np.where(lb, 5 * LB_KG, 2.5))
    # ... and, calling RIR 0.95 reps too low (Halperin 2022), pick loads that leave that much
    # more in reserve than the RPE they aim for: reported RPE ≈ target, failures rare.
    # The target is the last set's (straight sets get harder by 0.3 RPE a set [A]).
    n_work = plan.sets_per_exercise[a, d]
    aim = rpe_t - 0.95 - 0.3 * (n_work - 1)
    load = np.maximum(plates(perceived * rts_pct(reps, aim) * dl, lb), minimum)
    bw_reps = np.floor(rts_x(eff_bw / perceived) + 1 - (10 - aim)) * np.where(deload, 0.8, 1.0)
    reps = np.where(kind == "bodyweight", np.clip(bw_reps, 1, 50), reps).astype(np.int64)
    reps = np.where(kind == "assisted", rng.integers(6, 11, es.size), reps)
    assist = np.clip(plates(bw - perceived * rts_pct(reps, aim) * dl, lb), 0, bw - 5)
    weight = np.where(kind == "strength", load, np.where(kind == "assisted", assist, np.nan))
    moved = np.where(kind == "strength", load, np.where(kind == "assisted", bw - assist, eff_bw))

    # Explode exercise rows into sets: 2 warm-ups before the session's first barbell lift.
    first_row = np.r_[True, es[1:] != es[:-1]]
    n_warm = np.where(first_row & _BARBELL[flat] & (weight >= 40), 2, 0)
    per_row = n_work + n_warm
    r = np.repeat(np.arange(es.size), per_row)
    k = np.arange(r.size) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    warm = k < n_warm[r]
    jw = np.maximum(k - n_warm[r], 0)
    warm_frac = np.where(k == 0, 0.5, 0.7)
    set_weight = np.where(warm, plates(weight[r] * warm_frac, lb[r]), weight[r])
    set_reps = np.where(warm, np.where(k == 0, 5, 3), reps[r])
    set_moved = np.where(warm, set_weight, moved[r])
    rir_true = rts_x(set_moved / today[r]) - (set_reps - 1) - 0.3 * jw
    failed = ~warm & (rir_true < 0)
    # A failed weighted single logs 0 reps; a bodyweight set always gets at least one.
    floor = np.where(kind[r] == "strength", 0, 1)
    done = np.where(failed, np.maximum(set_reps + np.floor(rir_true), floor), set_reps)
    done = done.astype(np.int64)
    # Reported effort (§7 "reported RPE", Halperin 2022, Hackett 2017): RIR under-called by
    # 0.95 with noise growing with distance from failure; rounded to 0.5; failures = RPE 10.
    pos_rir = np.maximum(rir_true, 0.0)
    rir_rep = np.clip(pos_rir - 0.95 + rng.normal(0, 1, r.size) * (0.5 + 0.25 * pos_rir), 0, 9)
    rpe = np.where(failed, 10.0, np.clip(np.round(2 * (10 - rir_rep)) / 2, 1, 10))
    # 20–40 % of sets without RPE (§7): per athlete 15–45 %; 5 % of athletes log RIR instead.
    p_missing = rng.uniform(0.15, 0.45, n_ath)[a[r]]
    logs_rir = (rng.random(n_ath) < 0.05)[a[r]]
    no_rpe = warm | logs_rir | (rng.random(r.size) < p_missing)
    has_pose = (rng.random(n_ath) < 0.10) | (ath["athlete"].to_numpy() == 0)
    pose = has_pose[a[r]] & (rng.random(r.size) < 0.4)
    effort = 10 - pos_rir
    form = np.clip(0.9 - 0.04 * (effort - 7) + rng.normal(0, 0.05, r.size), 0, 1)
    detected = done + rng.choice([-1, 0, 1], size=r.size, p=[0.05, 0.9, 0.05])
    unit = pd.Series(np.where(lb[r], "lb", "kg")).where(~np.isnan(set_weight), None).to_numpy()
    sets = pd.DataFrame(
        {
            "session": es[r],
            "slug": slug[r],
            "set_type": np.where(warm, "warmup", "working"),
            "weight_kg": set_weight,
            "reps": done,
            "rpe": np.where(no_rpe, np.nan, rpe),
            "rir": np.where(logs_rir & ~warm, np.round(rir_rep), np.nan),
            "weight_unit": unit,
            "detected_reps": pd.array(np.where(pose, np.maximum(detected, 0), -1), dtype="Int16"),
            "form_score": np.where(pose, np.round(form, 3), np.nan),
            # hidden truth, dropped before writing
            "true_rir": rir_true,
            "capacity_kg": today[r],
            "target_reps": set_reps,
            "failed": failed,
            "deload": deload[r],
        }
    )
    sets.loc[~pose, "detected_reps"] = pd.NA
    sessions["n_sets"] = np.bincount(es[r], minlength=len(sessions))
    return sessions, sets
