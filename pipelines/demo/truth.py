"""The hidden state: each athlete's true e1RM per lift per day, and the RTS chart.

true e1RM(day, lift) = trend(day, lift) × banister(day), where

* trend = S0·(1 + a·ln(1 + t/t0))·(1 − detraining): the log-shaped long-term curve of
  §7 "strength trajectory" (Steele 2022) on a training clock ``t`` that stops in breaks
  and in plateau quarters (§7 "rate heterogeneity": ~25 % of 3-month windows flat), and a
  detraining loss that is ≈0 for 3 weeks off, then 1.5–2 %/week, regained at twice that
  speed once training resumes (§1b: Ogasawara 2010, Bosquet 2013, Izquierdo 2007, SBS);
* banister = 1 + k1·τ1·(fitness − 1) − k2·τ2·(fatigue − 1): Banister's
  p = p0 + k1·F − k2·G (§3) with F and G the athlete's own sRPE load, normalised by their
  habitual daily load, through EWMAs with time constants τ1 and τ2 (fitness = fatigue = 1
  at habitual training, 0 after a long break). Hard weeks raise fatigue faster than
  fitness and depress performance; deloads and tapers let fatigue fall first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipelines.demo.athletes import FEMALE_FACTOR, FREE, MACHINE, N_SLOTS, RATIOS, STATUSES, Rng
from pipelines.demo.calendar import Plan

FloatArray = npt.NDArray[np.float64]


@dataclass(slots=True)
class Truth:
    e1rm: npt.NDArray[np.float32]  # (athletes, N_SLOTS, days); NaN for bodyweight slots
    trend: npt.NDArray[np.float32]  # (athletes, N_SLOTS, days)
    fitness: npt.NDArray[np.float32]  # (athletes, days)
    fatigue: npt.NDArray[np.float32]
    banister: npt.NDArray[np.float32]
    detraining: npt.NDArray[np.float32]


def _start_strength(rng: Rng, ath: pd.DataFrame) -> FloatArray:
    """e1RM at the window's start per slot, kg: bodyweight × §7 ratio × sex × jitter."""
    n = len(ath)
    status = np.array([STATUSES.index(s) for s in ath["status"]])
    female = (ath["sex"] == "female").to_numpy()
    machine = ath["machine"].to_numpy()
    person = rng.lognormal(0.0, 0.15, n)
    out = np.full((n, N_SLOTS), np.nan)
    for k in range(N_SLOTS):
        for template, use in ((FREE, ~machine), (MACHINE, machine)):
            slot = template[k]
            if slot.kind != "strength":
                continue
            ratio = np.asarray(RATIOS[slot.base])[status]
            sex = np.where(female, FEMALE_FACTOR[slot.base], 1.0)
            value = ath["bodyweight_kg"].to_numpy() * ratio * sex * person * slot.factor
            out[use, k] = (value * rng.lognormal(0.0, 0.08, n))[use]
    return out


def simulate(rng: Rng, ath: pd.DataFrame, plan: Plan) -> Truth:
    """Run every athlete's day-by-day state over the window (one vectorised loop over days)."""
    n, d = plan.lift.shape
    now = _start_strength(rng, ath)
    rate = ath["rate"].to_numpy()[:, None] * rng.lognormal(0.0, 0.15, (n, N_SLOTS))
    t0 = ath["t0_d"].to_numpy()[:, None]
    t_start = ath["training_age_d"].to_numpy()
    s0 = now / (1.0 + rate * np.log1p(t_start[:, None] / t0))
    quarter_speed = (rng.random((n, d // 91 + 1)) >= 0.25).astype(float)  # §7 ~25 % flat windows
    loss_per_day = rng.uniform(0.015, 0.020, n) / 7.0  # §1b: 1.5–2 %/wk after 3 weeks off
    tau1, tau2 = ath["tau1"].to_numpy(), ath["tau2"].to_numpy()
    k1t1 = ath["k1"].to_numpy() * tau1
    k2t2 = ath["k2"].to_numpy() * tau2
    e1, e2 = np.exp(-1.0 / tau1), np.exp(-1.0 / tau2)
    trained = (ath["status"] != "novice").to_numpy().astype(float)
    fit, fat = trained.copy(), trained.copy()
    detrain = np.zeros(n)
    off = np.zeros(n)
    clock = t_start.copy()
    start = ath["start_day"].to_numpy()
    session = plan.lift | plan.cardio
    x_all = plan.load / plan.load_ref[:, None]
    out_fit = np.empty((n, d), np.float32)
    out_fat = np.empty((n, d), np.float32)
    out_det = np.empty((n, d), np.float32)
    out_clock = np.empty((n, d))
    for day in range(d):
        begun = day >= start
        x = x_all[:, day]
        fit = np.where(begun, e1 * fit + (1 - e1) * x, fit)
        fat = np.where(begun, e2 * fat + (1 - e2) * x, fat)
        off = np.where(session[:, day] | ~begun, 0.0, off + 1.0)
        detrain = np.where(off > 21, np.minimum(detrain + loss_per_day, 0.3), detrain)
        detrain = np.where(off <= 3, np.maximum(detrain - 2 * loss_per_day, 0.0), detrain)
        clock = clock + begun * (off <= 7) * quarter_speed[:, day // 91]
        out_fit[:, day], out_fat[:, day], out_det[:, day], out_clock[:, day] = (
            fit,
            fat,
            detrain,
            clock,
        )
    banister = 1.0 + k1t1[:, None] * (out_fit - 1.0) - k2t2[:, None] * (out_fat - 1.0)
    curve = 1.0 + rate[:, :, None] * np.log1p(out_clock[:, None, :] / t0[:, :, None])
    trend = (s0[:, :, None] * curve * (1.0 - out_det[:, None, :])).astype(np.float32)
    return Truth(
        e1rm=(trend * banister[:, None, :]).astype(np.float32),
        trend=trend,
        fitness=out_fit,
        fatigue=out_fat,
        banister=banister.astype(np.float32),
        detraining=out_det,
    )
