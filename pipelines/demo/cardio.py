"""Endurance sessions: sport, duration, heart rate, speed and training load.

Duration and sRPE come from the calendar (§1d: 66 ± 51 min, sRPE 4 ± 2; zones 70/25/5 %).
Average HR = HRrest + ΔHR·(HRmax − HRrest) with ΔHR by zone (easy 0.60, tempo 0.78, hard
0.88 [A]) from the athlete's TRUE HRmax/HRrest (§7 "HR"); the load columns are what the
importer would compute — :func:`models.sessions.load.session_load` on the user's profile values,
TRIMP when the session has heart rate (80 % [A]), else Foster's sRPE load.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.sessions.load import Physiology, session_load
from pipelines.demo.athletes import Rng
from pipelines.demo.calendar import Plan
from pipelines.demo.truth import Truth

SPORTS = np.array(["run", "ride", "swim", "walk"])
_SPEED = {"run": (3.1, 0.45), "ride": (7.5, 1.2), "swim": (1.0, 0.15), "walk": (1.4, 0.1)}
_CADENCE = {"run": (168.0, 8.0), "ride": (85.0, 7.0), "walk": (110.0, 6.0)}


def sessions(
    rng: Rng, ath: pd.DataFrame, profile: pd.DataFrame, plan: Plan, truth: Truth
) -> pd.DataFrame:
    """One row per endurance session: hidden fields plus the ``cardio_sessions`` columns."""
    ca, cd = np.nonzero(plan.cardio)
    n_ath, n = len(ath), ca.size
    sport_of = SPORTS[rng.choice(4, size=n_ath, p=[0.72, 0.2, 0.05, 0.03])]
    sport = np.where(rng.random(n) < 0.05, "walk", sport_of[ca])
    zone = plan.intensity[ca, cd]
    hr_rest = ath["hr_rest"].to_numpy()[ca]
    hr_max = ath["hr_max"].to_numpy()[ca]
    delta = np.clip(np.choose(zone, [0.60, 0.78, 0.88]) + rng.normal(0, 0.04, n), 0.3, 0.97)
    delta = np.where(sport == "walk", np.minimum(delta, 0.45), delta)
    avg_hr = np.round(hr_rest + delta * (hr_max - hr_rest))
    peak = np.minimum(avg_hr + rng.uniform(8, 22, n), np.round(hr_max))
    has_hr = rng.random(n) < 0.8
    minutes = plan.minutes[ca, cd]
    moving_s = np.round(minutes * 60.0)
    elapsed_s = np.round(moving_s * rng.uniform(1.0, 1.08, n))
    v_thr = np.empty(n)
    for name, (mean, sd) in _SPEED.items():
        own = np.clip(rng.normal(mean, sd, n_ath), mean * 0.6, mean * 1.6)[ca]
        v_thr = np.where(sport == name, own, v_thr)
    # Speed follows the athlete's readiness: √(Banister multiplier) [A] — fatigue slows runs too.
    ready = np.sqrt(truth.banister[ca, cd].astype(float))
    speed = v_thr * np.choose(zone, [0.8, 0.95, 1.05]) * ready * rng.lognormal(0, 0.03, n)
    distance = np.round(speed * moving_s, 1)
    rpe_logged = rng.random(n) < 0.7
    srpe = plan.session_rpe[ca, cd]
    ages = ath["age"].to_numpy(dtype=float)
    rests, peaks = profile["resting_hr"].to_numpy(float), profile["max_hr"].to_numpy(float)
    sexes = profile["sex"].astype(str).tolist()
    loads = [
        session_load(
            minutes=float(m),
            who=Physiology(
                hr_rest=_opt(rests[i]),
                hr_max=_opt(peaks[i]),
                sex=sexes[i],
                age_years=float(ages[i]),
            ),
            hr_avg=float(h) if ok else None,
            session_rpe=float(s) if logged else None,
        )
        for m, i, h, ok, s, logged in zip(
            minutes, ca, avg_hr, has_hr, srpe, rpe_logged, strict=True
        )
    ]
    cadence = np.full(n, np.nan)
    for name, (mean, sd) in _CADENCE.items():
        cadence = np.where(sport == name, np.round(rng.normal(mean, sd, n)), cadence)
    power = np.where(
        (sport == "ride") & (rng.random(n) < 0.5),
        np.round(260 * speed / 7.5 * rng.lognormal(0, 0.1, n)),
        np.nan,
    )
    climb = np.where(
        sport == "swim", np.nan, np.round(distance / 1000 * rng.lognormal(np.log(8), 0.8, n), 1)
    )
    return pd.DataFrame(
        {
            "a": ca,
            "day": cd,
            "minutes": minutes,
            "session_rpe": np.where(rpe_logged, srpe, np.nan),
            "srpe_true": srpe,
            "sport": sport,
            "sport_label": np.char.capitalize(sport.astype(str)),
            "elapsed_s": elapsed_s,
            "moving_s": moving_s,
            "distance_m": distance,
            "elev_gain_m": climb,
            "elev_loss_m": climb,
            "avg_hr": np.where(has_hr, avg_hr, np.nan),
            "max_hr": np.where(has_hr, peak, np.nan),
            "avg_power_w": power,
            "avg_cadence": cadence,
            "avg_speed_mps": np.round(speed, 3),
            "pace_s_per_km": np.where(
                np.isin(sport, ["run", "walk"]), np.round(1000 / speed, 1), np.nan
            ),
            "points": 0,
            "trimp": [x.trimp for x in loads],
            "srpe_load": [x.srpe_load for x in loads],
            "load": [x.load for x in loads],
            "load_method": [x.method for x in loads],
            "load_assumptions": [_json(x.assumptions) for x in loads],
            "device": "{}",
            "warnings": "[]",
            "source_id": None,
        }
    )


def _opt(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _json(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def hr_arrays(
    ath: pd.DataFrame, rng: Rng
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Profile heart rates users entered: resting known for 60 %, max for 40 %, with error."""
    n = len(ath)
    rest = np.where(
        rng.random(n) < 0.6, np.round(ath["hr_rest"].to_numpy() + rng.normal(0, 2.5, n)), np.nan
    )
    peak = np.where(
        rng.random(n) < 0.4, np.round(ath["hr_max"].to_numpy() + rng.normal(0, 3, n)), np.nan
    )
    return rest, peak
