"""Who the synthetic athletes are: one row of hidden parameters per athlete.

Every draw cites ``research/sports-science.md`` (§ and row); ``[A]`` marks our own
assumption where the research has no number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from api.exercises.catalogue import exercise_id

Rng = np.random.Generator
FloatArray = npt.NDArray[np.float64]

# (zone, weight, P(logs in lb)). §7 "units": lb for US, ~20–30 % of CA/UK users, else kg;
# §7 "time zone": ~80 % non-US (Strava proxy) — here 22 % US. The lb share comes to ≈ 26 %.
ZONES: tuple[tuple[str, float, float], ...] = (
    ("America/New_York", 0.10, 0.95),
    ("America/Los_Angeles", 0.07, 0.95),
    ("America/Chicago", 0.05, 0.95),
    ("America/Toronto", 0.05, 0.30),
    ("Europe/London", 0.10, 0.25),
    ("Europe/Berlin", 0.12, 0.02),
    ("Europe/Paris", 0.07, 0.02),
    ("Europe/Madrid", 0.05, 0.02),
    ("Australia/Sydney", 0.08, 0.02),
    ("Asia/Tokyo", 0.07, 0.02),
    ("America/Sao_Paulo", 0.08, 0.02),
    ("Asia/Kolkata", 0.06, 0.02),
    ("Africa/Johannesburg", 0.05, 0.02),
    ("Pacific/Auckland", 0.05, 0.02),
)

STATUSES = ("novice", "intermediate", "advanced")
SEGMENTS = ("new", "committed", "advanced")
MODALITIES = ("lift", "run", "both")


@dataclass(frozen=True, slots=True)
class Slot:
    """One exercise slot of a programme template."""

    slug: str
    group: int  # 0 = workout A, 1 = workout B (alternating sessions)
    base: str  # the bodyweight-ratio lift its e1RM scales from: bench, squat, deadlift
    factor: float  # e1RM relative to that base lift [A]
    p_include: float
    kind: str = "strength"  # or "bodyweight" / "assisted": no truth of its own
    driver: int = -1  # for bodyweight/assisted slots: the slot whose strength drives it


# Templates of equal length, compounds first within each group (§1d, ACSM: multi-joint
# before single-joint). Lift choice follows §7 "preferred exercises" (bench, squat/leg press,
# deadlift, OHP, row, pulldown; 30 % machine-only users). Factors are [A].
FREE = (
    Slot("squat-barbell", 0, "squat", 1.0, 1.0),
    Slot("bench-press-barbell", 0, "bench", 1.0, 1.0),
    Slot("bent-over-row-barbell", 0, "bench", 0.8, 0.6),
    Slot("bicep-curl-barbell", 0, "bench", 0.4, 0.3),
    Slot("pull-up", 0, "bench", 1.0, 0.5, "bodyweight", driver=7),
    Slot("deadlift-barbell", 1, "deadlift", 1.0, 0.85),
    Slot("overhead-press-barbell", 1, "bench", 0.62, 0.7),
    Slot("lat-pulldown-cable", 1, "bench", 0.85, 0.7),
    Slot("romanian-deadlift-barbell", 1, "deadlift", 0.7, 0.3),
    Slot("push-up", 1, "bench", 1.0, 0.4, "bodyweight", driver=1),
)
MACHINE = (
    Slot("leg-press", 0, "squat", 2.2, 1.0),
    Slot("chest-press-machine", 0, "bench", 0.9, 1.0),
    Slot("seated-row-machine", 0, "bench", 0.9, 0.7),
    Slot("bicep-curl-machine", 0, "bench", 0.4, 0.4),
    Slot("pull-up-assisted", 0, "bench", 1.0, 0.5, "assisted", driver=7),
    Slot("leg-extension-machine", 1, "squat", 0.6, 0.6),
    Slot("shoulder-press-machine", 1, "bench", 0.65, 0.7),
    Slot("lat-pulldown-machine", 1, "bench", 0.85, 1.0),
    Slot("lying-leg-curl-machine", 1, "squat", 0.45, 0.5),
    Slot("push-up", 1, "bench", 1.0, 0.4, "bodyweight", driver=1),
)
N_SLOTS = len(FREE)
PULL_UP_ASSISTED = "pull-up-assisted"
# Bodyweight ratio per status novice/intermediate/advanced, men (§7 "bodyweight/e1RM
# ratios": bench 0.6/1.0–1.25/1.5–1.75, squat 0.8/1.5–1.75/2.0–2.25, DL 1.0/2.0/2.5 [S]);
# women ≈ 0.65× upper body and 0.8× lower body (same row).
RATIOS = {
    "bench": (0.6, 1.1, 1.6),
    "squat": (0.8, 1.6, 2.1),
    "deadlift": (1.0, 2.0, 2.5),
}
FEMALE_FACTOR = {"bench": 0.65, "squat": 0.8, "deadlift": 0.8}
RATE_MEDIAN = 0.19
"""Median ``a`` of S(t) = S0·(1 + a·ln(1 + t/t0)) for men, calibrated (with plateaus,
breaks and dropout) so novices gain 30–50 % in year 1 (§7 "strength trajectory", Steele)."""


def slot_table(machine: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int64], list[Slot]]:
    """Per athlete, the template index (0 free, 1 machine); and the flat list of slots."""
    return machine.astype(np.int64), [*FREE, *MACHINE]


def exercise_ids() -> dict[str, str]:
    """Catalogue uuid5 ids of every slug the templates use."""
    slugs = {s.slug for s in (*FREE, *MACHINE)} | {PULL_UP_ASSISTED}
    return {slug: str(exercise_id(slug)) for slug in slugs}


def _choice(rng: Rng, options: tuple[str, ...], p: list[float], n: int) -> npt.NDArray[np.str_]:
    return np.asarray(options)[rng.choice(len(options), size=n, p=p)]


def draw_athletes(
    rng: Rng, *, first: int, count: int, days: npt.NDArray[np.datetime64]
) -> pd.DataFrame:
    """Hidden per-athlete parameters, one row per athlete (global index ``first``…).

    Columns are documented inline; days are indices into the simulated window
    (0 = its first day, ``n_days`` − 1 = ``end``).
    """
    n = count
    n_days = days.size
    idx = np.arange(first, first + n)
    sex = np.where(rng.random(n) < 0.65, "male", "female")  # §7 sex M 0.65 / F 0.35 [A]
    age = np.clip(rng.normal(32, 9, n), 18, 70)  # §7 age N(32, 9) clipped 18–70 [A]
    status = _choice(rng, STATUSES, [0.35, 0.40, 0.25], n)  # §7 training age 35/40/25 [A]
    lo = np.select([status == "novice", status == "intermediate"], [0, 180], 1095)
    hi = np.select([status == "novice", status == "intermediate"], [150, 1095], 5475)
    training_age = rng.uniform(lo, hi)
    # Adherence segment (§7 "adherence", §5 Sperandei/DellaVigna): novices are mostly new
    # gym members, intermediates mostly committed, advanced lifters their own segment [A].
    p_new = np.select([status == "novice", status == "intermediate"], [0.8, 0.2], 0.0)
    segment = np.where(
        rng.random(n) < p_new, "new", np.where(status == "advanced", "advanced", "committed")
    )
    modality = _choice(rng, MODALITIES, [0.6, 0.2, 0.2], n)  # lift / run / both [A]
    machine = rng.random(n) < 0.30  # §7 "30 % machine-only users" [A]
    female = sex == "female"
    bodyweight = np.clip(np.where(female, rng.normal(66, 10, n), rng.normal(82, 12, n)), 45, 150)
    # Rate heterogeneity: lognormal σ 0.8; women ×1.6 relative rate (§7 "rate heterogeneity",
    # "Women ×1.6"); t0 4–8 weeks (§7 "strength trajectory").
    rate = np.minimum(RATE_MEDIAN * rng.lognormal(0.0, 0.8, n) * np.where(female, 1.6, 1.0), 1.5)
    t0 = rng.uniform(28, 56, n)
    # Banister response (§7 "response params", §3): τ1 ~ U(30, 50), τ2 ~ U(7, 20),
    # k2/k1 ~ U(1.2, 3). Draws where k2·τ2 ≥ 0.9·k1·τ1 — habitual training leaving the
    # athlete weaker at steady state — are redrawn [A]. K = k1·τ1, the fitness share of
    # performance at habitual load, is U(0.08, 0.16) [A: no strength-specific figure].
    tau1, tau2, ratio = _banister(rng, n)
    amp = rng.uniform(0.08, 0.16, n)
    # HR (§7 "HR"): HRmax = 208 − 0.7·age + N(0, 10); HRrest N(65.5, 7.7) clipped 40–100,
    # 5–10 bpm lower for endurance athletes.
    hr_max = 208 - 0.7 * age + rng.normal(0, 10, n)
    endurance = modality != "lift"
    hr_rest = np.clip(rng.normal(65.5, 7.7, n) - endurance * rng.uniform(5, 10, n), 40, 100)
    zone_i = rng.choice(len(ZONES), size=n, p=[z[1] for z in ZONES])
    zone = np.array([ZONES[i][0] for i in zone_i])
    lb = rng.random(n) < np.array([ZONES[i][2] for i in zone_i])
    # ~5 % move time zone mid-history [A]; the new zone is any other one.
    mover = rng.random(n) < 0.05
    shift = rng.integers(1, len(ZONES), n)
    zone2 = np.where(
        mover,
        np.array([ZONES[(i + s) % len(ZONES)][0] for i, s in zip(zone_i, shift, strict=True)]),
        zone,
    )
    start, end = _lifespan(rng, segment, days)
    frame = pd.DataFrame(
        {
            "athlete": idx,
            "sex": sex,
            "age": age,
            "status": status,
            "training_age_d": training_age,
            "segment": segment,
            "modality": modality,
            "machine": machine,
            "bodyweight_kg": bodyweight,
            "rate": rate,
            "t0_d": t0,
            "tau1": tau1,
            "tau2": tau2,
            "k2_over_k1": ratio,
            "k1": amp / tau1,
            "k2": ratio * amp / tau1,
            "hr_max": hr_max,
            "hr_rest": hr_rest,
            "time_zone": zone,
            "time_zone_after_move": zone2,
            "move_day": np.where(mover, 0, -1),
            "lb": lb,
            "start_day": start,
            "end_day": end,
        }
    )
    frame["move_day"] = np.where(
        mover & (end - start > 120),
        start + ((end - start) * rng.uniform(0.3, 0.7, n)).astype(int),
        -1,
    )
    if first == 0:  # athlete 0: the rich demo login — lifts and runs for the whole window
        for column, value in (
            ("modality", "both"), ("segment", "committed"), ("status", "intermediate"),
            ("machine", False), ("start_day", 0), ("end_day", n_days),
        ):  # fmt: skip
            frame.at[0, column] = value
    return frame


def _banister(rng: Rng, n: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    tau1, tau2, ratio = np.empty(n), np.empty(n), np.empty(n)
    todo = np.arange(n)
    while todo.size:
        t1, t2, r = (
            rng.uniform(30, 50, todo.size),
            rng.uniform(7, 20, todo.size),
            rng.uniform(1.2, 3, todo.size),
        )
        tau1[todo], tau2[todo], ratio[todo] = t1, t2, r
        todo = todo[r * t2 >= 0.9 * t1]
    return tau1, tau2, ratio


def _lifespan(
    rng: Rng, segment: npt.NDArray[np.str_], days: npt.NDArray[np.datetime64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """First day and day after the last of each athlete's history.

    Committed/advanced lifters have history from the window's start 60 % of the time;
    the rest start during the window, January starts weighted +35 % (§7 "calendar",
    January +20–50 %). Time to dropout is Weibull (§7 "adherence"): new members shape
    0.6, scale 3.5 months → P(active) 0.40 at 3 mo, 0.25 at 6, 0.12 at 12 (Sperandei,
    Brazil, DellaVigna); committed 12-mo retention 0.7, advanced 0.8 [A].
    """
    n, n_days = segment.size, days.size
    candidates = days[: max(n_days - 30, 1)]
    january = candidates.astype("datetime64[M]").astype(int) % 12 == 0
    weights = np.where(january, 1.35, 1.0)
    start = rng.choice(candidates.size, size=n, p=weights / weights.sum())
    start = np.where((segment != "new") & (rng.random(n) < 0.6), 0, start)
    shape = np.select([segment == "new", segment == "committed"], [0.6, 0.8], 0.8)
    scale_mo = np.select([segment == "new", segment == "committed"], [3.5, 43.5], 78.0)
    life = scale_mo * 30.44 * rng.weibull(shape)
    end = np.minimum(start + np.maximum(life, 14), n_days).astype(int)
    return start.astype(int), end


def draw_slots(rng: Rng, athletes: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Which template slots each athlete uses, shape (athletes, N_SLOTS).

    Each group keeps at least its first two lifts, so a session has 2–5 exercises and an
    athlete 3–10 (§7 "preferred exercises": 3–6 core lifts plus accessories).
    """
    machine = athletes["machine"].to_numpy()
    p = np.where(
        machine[:, None],
        np.array([s.p_include for s in MACHINE]),
        np.array([s.p_include for s in FREE]),
    )
    include = rng.random(p.shape) < p
    include[:, [0, 1]] = True
    include[~include[:, 5:9].any(axis=1), 6] = True  # workout B never empty
    return include
