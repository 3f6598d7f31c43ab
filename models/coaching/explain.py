"""The reasons given with a prescription, in words and numbers.

A model answer names the forecast against the last session and the two drivers that
sit furthest from typical for this athlete's situation: each candidate's distance from
the training rows' median in units of their 10th–90th percentile spread (the coach
keeps those percentiles). That is a description of the inputs, not an attribution of
the model's output — it says what is unusual, in the athlete's own numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from models.coaching.prescription import to_unit

#: Drivers an explanation may name: the feature and how to say it.
DRIVERS: tuple[str, ...] = (
    "change6", "days_since", "acwr", "tsb", "rpe_drift", "break_days", "sessions_28d",
)  # fmt: skip


def _amount(kg: float, unit: str) -> str:
    return f"{to_unit(abs(kg), unit):.1f} {unit}"


def _phrase(name: str, facts: Mapping[str, Any], unit: str) -> str | None:
    value = facts.get(name)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if name == "change6":
        n = int(facts.get("change_sessions") or 0)
        if n < 2:
            return None
        direction = "up" if value >= 0 else "down"
        return f"e1RM {direction} {_amount(value, unit)} over your last {n} sessions"
    if name == "days_since":
        days = int(value)
        return f"{days} day{'s' if days != 1 else ''} since you last trained it"
    if name == "acwr":
        band = "above" if value > 1.3 else "below" if value < 0.8 else "inside"
        return f"acute:chronic load ratio {value:.2f}, {band} the 0.8–1.3 band"
    if name == "tsb":
        mood = "fresh" if value > 0 else "carrying fatigue"
        return f"training stress balance {value:+.0f} ({mood})"
    if name == "rpe_drift":
        way = "harder" if value > 0 else "easier"
        return f"your last sessions felt {abs(value):.1f} RPE {way} than the ones before"
    if name == "break_days":
        days = int(value)
        if days < 14:  # a week between sessions is a routine, not a break
            return f"at most {days} day{'s' if days != 1 else ''} between your recent sessions"
        return f"a break of {days} days in your recent training"
    if name == "sessions_28d":
        return f"{int(value)} sessions of it in the last 4 weeks"
    return None


def _unusual(
    name: str, facts: Mapping[str, Any], reference: Mapping[str, Sequence[float]]
) -> float:
    """How far from typical (0 = the median), in 10th–90th percentile spreads."""
    key = {"change6": "slope6_wk"}.get(name, name)
    value = facts.get("slope6_wk" if name == "change6" else name)
    ref = reference.get(key) or []
    if value is None or not math.isfinite(float(value)) or len(ref) != 3:
        return -1.0
    low, mid, high = ref
    return abs(float(value) - mid) / max(high - low, 1e-9)


def model_explanation(
    facts: Mapping[str, Any], reference: Mapping[str, Sequence[float]], unit: str
) -> str:
    """The forecast against the last session, then the two most unusual drivers.

    ``facts``: ``predicted_kg``, ``low_kg``, ``high_kg``, ``level_kg`` (last session's
    e1RM), ``last_day`` (ISO date), ``change6`` (kg over ``change_sessions``),
    ``slope6_wk`` and the features named in :data:`DRIVERS`.
    """
    predicted, level = float(facts["predicted_kg"]), float(facts["level_kg"])
    delta = predicted - level
    way = "above" if delta >= 0 else "below"
    head = (
        f"Forecast e1RM {_amount(predicted, unit)} (80 % interval "
        f"{to_unit(facts['low_kg'], unit):.1f}–{to_unit(facts['high_kg'], unit):.1f} {unit}), "
        f"{_amount(delta, unit)} {way} your last session's {_amount(level, unit)} "
        f"on {facts['last_day']}."
    )
    ranked = sorted(DRIVERS, key=lambda n: -_unusual(n, facts, reference))
    phrases = [p for n in ranked if (p := _phrase(n, facts, unit))][:2]
    if not phrases:
        return head
    said = "; ".join(phrases)
    # a sentence starts with a capital, but "e1RM" is spelt so even there
    return f"{head} {said if said.startswith('e1RM') else said[0].upper() + said[1:]}."
