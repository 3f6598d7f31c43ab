"""Training load of one session: Banister TRIMP, Foster's sRPE load, and the fallback.

Definitions follow DESIGN.md §5; figures and their uncertainty are in
``research/sports-science.md`` §4.

* TRIMP (Banister 1991): ``minutes × ΔHR × 0.64·e^(1.92·ΔHR)`` (women
  ``0.86·e^(1.67·ΔHR)``), ``ΔHR = (HR − HRrest) / (HRmax − HRrest)`` clipped to 0–1,
  summed over the intervals of a heart-rate stream when there is one.
* sRPE load (Foster et al. 2001): session RPE (CR-10) × minutes, in AU.
* HRmax unknown → Tanaka et al. (2001) ``208 − 0.7·age``; HRrest unknown → 60 bpm;
  sex unknown → the men's coefficients; each such assumption is flagged.
* Neither heart rate nor session RPE → the *fallback*: TRIMP at an assumed
  moderate intensity ΔHR = 0.5 over the moving (else elapsed) time, flagged
  ``intensity_assumed``. It puts an unmeasured session on the same scale as a
  measured one instead of counting it as no load at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

DEFAULT_HR_REST = 60.0
FALLBACK_DELTA_HR = 0.5
MAX_GAP_S = 120.0
"""Longer gaps between heart-rate samples count as pauses, not as time at that HR —
the same bound as moving time in :mod:`models.sessions.streams` (smart recording leaves real
running gaps of up to ~106 s in Garmin files)."""

_COEFFS = {"male": (0.64, 1.92), "female": (0.86, 1.67)}


@dataclass(slots=True)
class Load:
    """One session's load: ``load`` is the figure used (AU), ``method`` how it was got."""

    load: float | None
    method: str | None
    trimp: float | None = None
    srpe_load: float | None = None
    assumptions: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Physiology:
    """What is known of the athlete on the session's date; None = unknown."""

    hr_rest: float | None = None
    hr_max: float | None = None
    sex: str | None = None
    age_years: float | None = None


def tanaka_hr_max(age_years: float) -> float:
    """Predicted maximal heart rate, bpm: ``208 − 0.7·age`` (Tanaka et al. 2001)."""
    return 208.0 - 0.7 * age_years


def _resolved(who: Physiology) -> tuple[float, float, tuple[float, float], list[str]]:
    flags: list[str] = []
    hr_rest = who.hr_rest
    if hr_rest is None:
        hr_rest, flags = DEFAULT_HR_REST, [*flags, "hr_rest_assumed"]
    hr_max = who.hr_max
    if hr_max is None:
        age = who.age_years if who.age_years is not None else 35.0
        hr_max = tanaka_hr_max(age)
        flags.append("hr_max_assumed" if who.age_years is not None else "hr_max_and_age_assumed")
    if who.sex not in _COEFFS:
        flags.append("sex_assumed")
    return hr_rest, hr_max, _COEFFS.get(who.sex or "", _COEFFS["male"]), flags


def _weight(delta: npt.NDArray[np.float64], coeffs: tuple[float, float]) -> npt.NDArray[np.float64]:
    a, b = coeffs
    return delta * a * np.exp(b * delta)


def trimp_from_average(minutes: float, hr_avg: float, who: Physiology) -> tuple[float, list[str]]:
    """Banister TRIMP from an average heart rate over ``minutes``; returns (AU, flags)."""
    hr_rest, hr_max, coeffs, flags = _resolved(who)
    delta = np.clip((hr_avg - hr_rest) / max(hr_max - hr_rest, 1.0), 0.0, 1.0)
    return float(minutes * _weight(np.array([delta]), coeffs)[0]), flags


def trimp_from_stream(
    seconds: npt.ArrayLike, hr: npt.ArrayLike, who: Physiology
) -> tuple[float, list[str]]:
    """Banister TRIMP summed per sample interval.

    Parameters
    ----------
    seconds : array of shape (n,)
        Sample times in seconds, increasing.
    hr : array of shape (n,)
        Heart rate in bpm; NaN where missing. Each interval is weighted by the HR at
        its start; intervals longer than :data:`MAX_GAP_S` or without HR add nothing.

    Returns
    -------
    (float, list of str)
        TRIMP in AU and the assumptions made.
    """
    t = np.asarray(seconds, dtype=float)
    h = np.asarray(hr, dtype=float)
    hr_rest, hr_max, coeffs, flags = _resolved(who)
    if t.size < 2:
        return 0.0, flags
    dt = np.diff(t)
    h0 = h[:-1]
    ok = np.isfinite(h0) & (dt > 0) & (dt <= MAX_GAP_S)
    delta = np.clip((h0[ok] - hr_rest) / max(hr_max - hr_rest, 1.0), 0.0, 1.0)
    return float(np.sum(dt[ok] / 60.0 * _weight(delta, coeffs))), flags


def srpe_load(session_rpe: float, minutes: float) -> float:
    """Foster's session-RPE load: CR-10 rating × minutes (AU)."""
    return float(session_rpe) * float(minutes)


def session_load(
    *,
    minutes: float | None,
    who: Physiology,
    hr_seconds: npt.ArrayLike | None = None,
    hr: npt.ArrayLike | None = None,
    hr_avg: float | None = None,
    session_rpe: float | None = None,
) -> Load:
    """The load of one session: TRIMP when heart rate exists, else sRPE, else the fallback.

    ``minutes`` is the moving (else elapsed) duration. TRIMP is preferred because it
    is measured; the sRPE load is still reported alongside when both exist.
    """
    srpe = srpe_load(session_rpe, minutes) if session_rpe is not None and minutes else None
    hr_values = np.asarray(hr, dtype=float) if hr is not None else np.array([])
    if hr_seconds is not None and np.isfinite(hr_values).sum() >= 2:
        trimp, flags = trimp_from_stream(hr_seconds, hr_values, who)
        return Load(trimp, "trimp", trimp=trimp, srpe_load=srpe, assumptions=flags)
    if hr_avg is not None and minutes:
        trimp, flags = trimp_from_average(minutes, hr_avg, who)
        return Load(trimp, "trimp", trimp=trimp, srpe_load=srpe, assumptions=flags)
    if srpe is not None:
        return Load(srpe, "srpe", srpe_load=srpe)
    if not minutes:
        return Load(None, None)
    _, _, coeffs, flags = _resolved(who)
    fallback = float(minutes * _weight(np.array([FALLBACK_DELTA_HR]), coeffs)[0])
    return Load(fallback, "duration", assumptions=[*flags, "intensity_assumed"])


# --------------------------------------------------------------------------- combined scale

#: sRPE-equivalent AU per Banister TRIMP unit. Across 60–80 % of heart-rate reserve —
#: where most endurance training lies (research §7: 70/25/5 % low/mid/high) — a
#: minute scores 1.2–2.4 TRIMP while the CR-10 rating there is about 4–7 (ACSM's
#: intensity table), so one TRIMP unit ≈ 3 sRPE units; Foster et al. (2001) likewise
#: found sRPE scores higher than heart-rate scores with near-parallel regressions.
TRIMP_TO_SRPE = 3.0
#: Session RPE assumed for a lifting session with no rating at all: the low end of the
#: usual RPE 7–9 working range (research §7, "intensity").
ASSUMED_SESSION_RPE = 7.0
#: Minutes a working set takes with its rest when a session has no duration:
#: ~40 s under load plus the 2–3 min rests of strength work (research §1d).
MINUTES_PER_SET = 3.0
#: Longest duration believed for a session without a cardio recording. Strength apps
#: leave a workout "running" when it is never ended (a real Strong export holds
#: sessions of 24–234 h); such a duration would charge days of load, so the session is
#: timed by its sets instead.
MAX_LIFTING_MINUTES = 240.0

COMBINED_METHODS = ("srpe", "trimp", "duration", "estimated", "none")


def combined_loads(workouts: pd.DataFrame) -> pd.DataFrame:
    """Every session's load on one scale: Foster's sRPE arbitrary units (AU).

    sRPE (CR-10 rating × minutes) is the one load measure validated for both
    endurance and resistance sessions (Foster et al. 2001, *J Strength Cond Res*
    15(1):109–115; Day et al. 2004, *J Strength Cond Res* 18(2):353–358), so lifting
    and cardio meet there. Per session, the first rule that applies:

    1. ``srpe`` — session RPE × minutes, when both are known (any modality).
    2. ``trimp`` / ``duration`` — a cardio session without a rating: its stored load
       (measured TRIMP, or the ΔHR 0.5 fallback of :func:`session_load`) ×
       :data:`TRIMP_TO_SRPE`.
    3. ``estimated`` — a lifting session without a rating: the mean RPE of those of
       its working sets that carry one (RPE, else 10 − RIR), else
       :data:`ASSUMED_SESSION_RPE` when none does, × its minutes.
    4. ``none`` — nothing to go on (no sets, no duration): 0.

    A session without a cardio recording whose duration is unknown, zero or over
    :data:`MAX_LIFTING_MINUTES` is timed as working sets × :data:`MINUTES_PER_SET`.

    Parameters
    ----------
    workouts : DataFrame
        One row per workout: ``duration_s`` (float s, NaN = unknown), ``session_rpe``
        (1–10, NaN), ``cardio_load`` (AU, NaN = not a cardio session),
        ``cardio_method`` (``trimp``/``srpe``/``duration``/None), ``cardio_trimp``
        (NaN), ``working_sets`` (int) and ``mean_set_rpe`` (NaN).

    Returns
    -------
    DataFrame
        Same index: ``load`` (AU, ≥ 0), ``srpe_load`` (AU, only when rated, else
        NaN), ``trimp`` (the session's TRIMP, else NaN) and ``method``.
    """
    minutes = workouts["duration_s"].to_numpy(dtype=float) / 60.0
    minutes = np.where(minutes > 0, minutes, np.nan)
    rpe = workouts["session_rpe"].to_numpy(dtype=float)
    cardio = workouts["cardio_load"].to_numpy(dtype=float)
    cardio_method = workouts["cardio_method"].to_numpy(dtype=object)
    sets = workouts["working_sets"].to_numpy(dtype=float)
    set_rpe = workouts["mean_set_rpe"].to_numpy(dtype=float)

    is_cardio = np.isfinite(cardio)
    believed = np.isfinite(minutes) & (is_cardio | (minutes <= MAX_LIFTING_MINUTES))
    by_sets = np.where(sets > 0, sets * MINUTES_PER_SET, np.nan)
    minutes = np.where(believed, minutes, np.where(is_cardio, np.nan, by_sets))
    srpe = rpe * minutes
    rated = np.isfinite(srpe)
    scaled = np.isin(cardio_method, ("trimp", "duration")) & is_cardio
    estimated = np.where(np.isfinite(set_rpe), set_rpe, ASSUMED_SESSION_RPE) * minutes
    lifting = ~is_cardio & (sets > 0)
    load = np.select(
        [rated, scaled, is_cardio, lifting],
        [srpe, cardio * TRIMP_TO_SRPE, cardio, estimated],
        default=0.0,
    )
    method = np.select(
        [rated, scaled, is_cardio, lifting],
        [
            np.full(len(load), "srpe", dtype=object),
            cardio_method,
            np.full(len(load), "srpe", dtype=object),
            np.full(len(load), "estimated", dtype=object),
        ],
        default="none",
    )
    return pd.DataFrame(
        {
            "load": np.nan_to_num(load, nan=0.0),
            "srpe_load": np.where(rated, srpe, np.nan),
            "trimp": workouts["cardio_trimp"].to_numpy(dtype=float),
            "method": method,
        },
        index=workouts.index,
    )
