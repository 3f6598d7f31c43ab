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

DEFAULT_HR_REST = 60.0
FALLBACK_DELTA_HR = 0.5
MAX_GAP_S = 120.0
"""Longer gaps between heart-rate samples count as pauses, not as time at that HR —
the same bound as moving time in :mod:`models.cardio` (smart recording leaves real
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
