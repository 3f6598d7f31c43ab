"""Turning simulated athletes into frames whose columns are the database tables'."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipelines.demo.athletes import Rng

DEMO_EMAIL = "demo@forma.example"
DEMO_DOMAIN = "demo.forma.example"
SOURCE = "demo"

USER_COLUMNS = (
    "id", "email", "password_hash", "role", "time_zone", "unit_system", "sex", "birth_year",
    "resting_hr", "max_hr", "password_changed_at", "sync_seq", "created_at", "updated_at",
)  # fmt: skip
WORKOUT_COLUMNS = (
    "id", "user_id", "started_at", "ended_at", "time_zone", "title", "notes", "session_rpe",
    "source", "source_fingerprint", "import_job_id", "deleted_at", "change_seq",
    "created_at", "updated_at",
)  # fmt: skip
SET_COLUMNS = (
    "id", "workout_id", "user_id", "exercise_id", "position", "set_type", "weight_kg", "reps",
    "duration_s", "distance_m", "rpe", "rir", "weight_unit", "distance_unit", "detected_reps",
    "form_score", "tempo", "notes",
)  # fmt: skip
CARDIO_COLUMNS = (
    "workout_id", "user_id", "sport", "sport_label", "elapsed_s", "moving_s", "distance_m",
    "elev_gain_m", "elev_loss_m", "avg_hr", "max_hr", "avg_power_w", "avg_cadence",
    "avg_speed_mps", "pace_s_per_km", "points", "trimp", "srpe_load", "load", "load_method",
    "load_assumptions", "device", "warnings", "source_id",
)  # fmt: skip
BODY_COLUMNS = (
    "id", "user_id", "measured_on", "body_mass_kg", "body_mass_unit", "resting_hr", "max_hr",
    "created_at", "updated_at",
)  # fmt: skip
LB_KG = 0.45359237


def email(athlete: int) -> str:
    """``demo@forma.example`` for athlete 0, ``athlete-NNNNN@demo.forma.example`` otherwise."""
    return DEMO_EMAIL if athlete == 0 else f"athlete-{athlete:05d}@{DEMO_DOMAIN}"


def uuids(rng: Rng, n: int) -> npt.NDArray[np.object_]:
    """``n`` random version-4 UUIDs as canonical strings, drawn from ``rng`` (reproducible)."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    chars = np.empty((n, 32), dtype=np.uint8)
    chars[:, 0::2], chars[:, 1::2] = hexdigits[raw >> 4], hexdigits[raw & 0x0F]
    dashed = np.full((n, 36), ord("-"), dtype=np.uint8)
    for lo, hi, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        dashed[:, at : at + hi - lo] = chars[:, lo:hi]
    return np.ascontiguousarray(dashed).view("S36").ravel().astype(str).astype(object)


def to_utc(local: npt.NDArray[np.datetime64], zones: npt.NDArray[np.object_]) -> pd.Series:
    """UTC instants of naive local times in IANA ``zones``.

    Matches ``datetime(..., tzinfo=ZoneInfo(zone))`` with ``fold=0``: an ambiguous time
    (autumn) takes the first, daylight-saving offset; a time in the spring gap is read
    with the offset before the gap (02:30 → 03:30 daylight time, for one-hour gaps).
    """
    out = pd.Series(pd.NaT, index=range(local.size), dtype="datetime64[ns, UTC]")
    for zone in pd.unique(zones):
        mask = zones == zone
        idx = pd.DatetimeIndex(local[mask]).tz_localize(
            str(zone),
            ambiguous=np.ones(int(mask.sum()), dtype=bool),
            nonexistent=pd.Timedelta(hours=1),
        )
        out[mask] = idx.tz_convert("UTC")
    return out


def body_metrics(
    rng: Rng,
    ath: pd.DataFrame,
    user_ids: npt.NDArray[np.object_],
    days: npt.NDArray[np.datetime64],
    profile_rest: npt.NDArray[np.float64],
) -> pd.DataFrame:
    """Body mass on ~1 day in 10 while active (weekly-ish), drifting: a random walk
    (0.25 kg/week) plus a per-athlete slope N(0, 1.5 kg/yr) plus 0.4 kg daily noise [A];
    resting HR on half of them for athletes with a wearable (§7 "HR", Quer 2020)."""
    n, d = len(ath), days.size
    day = np.arange(d)
    active = (day >= ath["start_day"].to_numpy()[:, None]) & (
        day < ath["end_day"].to_numpy()[:, None]
    )
    measured = active & (rng.random((n, d)) < 0.1)
    walk = np.cumsum(rng.normal(0, 0.25 / np.sqrt(7), (n, d)), axis=1)
    slope = rng.normal(0, 1.5, n)[:, None] / 365.0 * day
    mass = ath["bodyweight_kg"].to_numpy()[:, None] + walk + slope + rng.normal(0, 0.4, (n, d))
    a, t = np.nonzero(measured)
    lb = ath["lb"].to_numpy()[a]
    kg = mass[a, t]
    kg = np.where(lb, np.round(kg / LB_KG * 5) / 5 * LB_KG, np.round(kg, 1))
    rest = np.where(
        ~np.isnan(profile_rest[a]) & (rng.random(a.size) < 0.5),
        np.round(ath["hr_rest"].to_numpy()[a] + rng.normal(0, 2.5, a.size)),
        np.nan,
    )
    stamp = pd.to_datetime(days[t]).tz_localize("UTC") + pd.Timedelta(hours=7)
    return pd.DataFrame(
        {
            "id": uuids(rng, a.size),
            "user_id": user_ids[a],
            "measured_on": days[t].astype(object),  # datetime.date
            "body_mass_kg": kg,
            "body_mass_unit": np.where(lb, "lb", "kg"),
            "resting_hr": pd.array(np.where(np.isnan(rest), -1, rest).astype(int), dtype="Int16"),
            "max_hr": pd.array([pd.NA] * a.size, dtype="Int16"),
            "created_at": stamp,
            "updated_at": stamp,
        }
    ).assign(resting_hr=lambda f: f["resting_hr"].mask(np.isnan(rest)))
