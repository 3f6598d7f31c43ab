"""Guards between a forecast and the sets it prescribes, for histories the model cannot
be trusted on: a long break (detraining) and a session that cannot have happened (a
typo). Pure: the athlete's sessions of one exercise in, what to prescribe from out.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.coaching.prescription import MAX_STEP, to_unit

#: Detraining (research/sports-science.md §1b): maximal strength holds for about 3 weeks
#: off (Ogasawara 2010; Bosquet 2013's meta-analysis: no significant loss up to ~4 weeks),
#: then falls about 1.75 % a week (the 1.5–2 %/week that takes it to −7 to −12 % by 6–8
#: weeks: Izquierdo 2007; García-Pallarés 2010, bench −8.9 % after 5 weeks). Longer breaks
#: were not measured: the loss stops at the largest one reported, 12 %.
DETRAINING_GRACE_WEEKS = 3.0
DETRAINING_PER_WEEK = 0.0175
DETRAINING_MAX_LOSS = 0.12
#: A session whose e1RM is over this multiple of the median of the (up to 5, at least 3)
#: sessions before it is taken for a typo (100 kg logged as 1000): session-to-session
#: e1RM changes are a few percent (§1e: retest CV 4.2 %; the fastest novice gains ≈ 3 %
#: a week), so 50 % in one session is not training.
IMPLAUSIBLE_JUMP = 1.5


@dataclass(frozen=True, slots=True)
class Guarded:
    """What to prescribe from: the sessions to trust, the e1RM the sets may not exceed
    (None: no cap) and the sentences that say why, for the explanation."""

    trusted: pd.DataFrame
    ceiling_e1rm_kg: float | None
    notes: tuple[str, ...]


def detraining_factor(days_off: float) -> float:
    """The share of maximal strength expected to remain after ``days_off`` days without
    the exercise: 1 up to :data:`DETRAINING_GRACE_WEEKS`, then :data:`DETRAINING_PER_WEEK`
    less per week, never below ``1 − DETRAINING_MAX_LOSS``. NaN or negative days: 1."""
    if not math.isfinite(days_off) or days_off <= 0:
        return 1.0
    weeks_past_grace = max(0.0, days_off / 7 - DETRAINING_GRACE_WEEKS)
    return 1.0 - min(DETRAINING_MAX_LOSS, weeks_past_grace * DETRAINING_PER_WEEK)


def plausible_sessions(e1rm_kg: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Per session (in time order), False where its e1RM is over :data:`IMPLAUSIBLE_JUMP`
    × the median of the plausible sessions before it (the last 5 of them; with fewer
    than 3, every session is plausible). NaN e1RMs are plausible (nothing to judge)."""
    values = np.asarray(e1rm_kg, dtype=float)
    keep = np.ones(len(values), dtype=bool)
    kept: list[float] = []
    # plain floats and statistics.median of ≤ 5: this runs for every prescription, and
    # np.median's per-call overhead made it milliseconds per exercise
    for i, value in enumerate(values.tolist()):
        if not math.isfinite(value):
            continue
        if len(kept) >= 3 and value > IMPLAUSIBLE_JUMP * statistics.median(kept[-5:]):
            keep[i] = False
        else:
            kept.append(value)
    return keep


def guard(past: pd.DataFrame, days_off: float, unit: str) -> Guarded:
    """Guard a prescription for one athlete's exercise.

    Parameters
    ----------
    past
        The exercise's sessions in time order (``models.coaching.features.exercise_sessions``
        rows: ``day``, ``e1rm_kg``, ``top_weight_kg``, ``top_reps``, …), at least one.
    days_off
        Days from the last session to the day prescribed for.
    unit
        The athlete's unit, for the sentences.

    Returns
    -------
    Guarded
        ``trusted``: the plausible sessions (:func:`plausible_sessions`). The ceiling: a
        last session taken for a typo caps the e1RM at :data:`MAX_STEP` over the last
        trusted one; a break caps it at the last trusted e1RM × :func:`detraining_factor`.
    """
    keep = plausible_sessions(past["e1rm_kg"].to_numpy(float))
    trusted = past[keep]
    level = float(trusted["e1rm_kg"].iloc[-1])
    caps: list[float] = []
    notes: list[str] = []
    if not keep[-1]:
        last = past.iloc[-1]
        caps.append(level * (1 + MAX_STEP))
        notes.append(
            f"Your session of {pd.Timestamp(last['day']).date().isoformat()} "
            f"({to_unit(float(last['top_weight_kg']), unit):g} {unit} × {int(last['top_reps'])}) "
            f"is over {IMPLAUSIBLE_JUMP:g}× the ones before it and is taken for a typo: "
            "the sets go by the sessions before it."
        )
    factor = detraining_factor(days_off)
    if factor < 1:
        caps.append(level * factor)
        notes.append(
            f"{days_off / 7:.0f} weeks since you last trained it: the sets allow for "
            f"{1 - factor:.0%} of strength lost (none in the first "
            f"{DETRAINING_GRACE_WEEKS:g} weeks off, then about {DETRAINING_PER_WEEK:.2%} a "
            f"week, at most {DETRAINING_MAX_LOSS:.0%})."
        )
    return Guarded(trusted, min(caps) if caps else None, tuple(notes))
