"""From a forecast e1RM to the next session's sets: weight × reps at a target RPE.

The weight is the forecast e1RM × the RTS chart's %1RM for the reps at the RPE
(:mod:`models.coaching.chart`), in the athlete's unit, rounded to their plates, and
never more than :data:`MAX_STEP` over the heaviest top set of their recent sessions
(a forecast is a mean; a jump past what they lifted lately is a risk the rounding must
not add to).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from models.coaching.chart import rts_pct

Unit = Literal["kg", "lb"]
#: kg per lb (the international avoirdupois pound, 1959).
KG_PER_LB = 0.45359237
#: Plate steps: the smallest jump of a standard plate set (2 × 1.25 kg, 2 × 2.5 lb),
#: research/sports-science.md §7 "units"; a smaller step seen in the athlete's own
#: history (micro-plates) wins, down to :data:`SMALLEST_STEP`.
PLATE_STEP: dict[str, float] = {"kg": 2.5, "lb": 5.0}
SMALLEST_STEP: dict[str, float] = {"kg": 0.5, "lb": 1.0}
#: At most 5 % over the heaviest recent top set (the typical session-to-session e1RM
#: change is a few percent: research/sports-science.md §1e, retest CV 4.2 %).
MAX_STEP = 0.05
#: The usual target (research/sports-science.md §7 "intensity": RPE 7–9, mode 8).
DEFAULT_RPE = 8.0
DEFAULT_REPS = 8
DEFAULT_SETS = 3


@dataclass(frozen=True, slots=True)
class Scheme:
    """How an athlete usually does an exercise: top-set reps, working sets, RPE."""

    reps: int
    sets: int
    rpe: float


def to_unit(kg: float, unit: str) -> float:
    return kg / KG_PER_LB if unit == "lb" else kg


def to_kg(value: float, unit: str) -> float:
    return value * KG_PER_LB if unit == "lb" else value


def plate_step(weights_kg: npt.ArrayLike, unit: str) -> float:
    """The rounding step in ``unit``: :data:`PLATE_STEP`, or the smallest positive
    difference between the distinct weights the athlete used (converted to ``unit``,
    to 0.01), when that is smaller but not below :data:`SMALLEST_STEP`."""
    values = np.asarray(weights_kg, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    distinct = np.unique(np.round(values / (KG_PER_LB if unit == "lb" else 1.0), 2))
    if len(distinct) < 2:
        return PLATE_STEP[unit]
    smallest = float(np.min(np.diff(distinct)))
    if SMALLEST_STEP[unit] <= smallest < PLATE_STEP[unit]:
        return round(smallest, 2)
    return PLATE_STEP[unit]


def scheme(top_reps: npt.ArrayLike, working_sets: npt.ArrayLike, rpe: npt.ArrayLike) -> Scheme:
    """The usual scheme from the last sessions' top-set reps, working sets and top-set
    RPEs (medians; RPE :data:`DEFAULT_RPE` when none was logged)."""
    reps = np.asarray(top_reps, dtype=float)
    sets = np.asarray(working_sets, dtype=float)
    rpes = np.asarray(rpe, dtype=float)
    rpes = rpes[np.isfinite(rpes)]
    usual_rpe = float(np.median(rpes)) if len(rpes) else DEFAULT_RPE
    return Scheme(
        reps=int(np.clip(round(float(np.nanmedian(reps))), 1, 12)) if len(reps) else DEFAULT_REPS,
        sets=int(np.clip(round(float(np.nanmedian(sets))), 1, 10)) if len(sets) else DEFAULT_SETS,
        # the chart runs from RPE 6.5 to 10, in half points
        rpe=float(np.clip(round(usual_rpe * 2) / 2, 6.5, 10.0)),
    )


def round_weight(kg: float, unit: str, step: float, ceiling_kg: float | None = None) -> float:
    """``kg`` in ``unit``, to the nearest ``step`` — or the step below when the nearest
    would pass ``ceiling_kg``; never below one step."""
    value = to_unit(kg, unit)
    rounded = round(value / step) * step
    if ceiling_kg is not None and to_kg(rounded, unit) > ceiling_kg + 1e-9:
        rounded = math.floor(to_unit(ceiling_kg, unit) / step + 1e-9) * step
    return round(max(rounded, step), 2)


def sets_for(
    e1rm_kg: float | None,
    usual: Scheme,
    unit: str,
    step: float,
    best_recent_kg: float | None = None,
) -> list[dict[str, Any]]:
    """The next session's working sets: ``usual.sets`` × ``usual.reps`` at
    ``usual.rpe``, each ``{"weight_kg", "weight", "unit", "reps", "target_rpe"}``.

    ``e1rm_kg`` None (nothing to forecast from): reps and RPE only, weights None.
    ``best_recent_kg``: the heaviest recent top set; the weight stays within
    :data:`MAX_STEP` of it.
    """
    weight: float | None = None
    weight_kg: float | None = None
    if e1rm_kg is not None and math.isfinite(e1rm_kg) and e1rm_kg > 0:
        raw = e1rm_kg * float(rts_pct(usual.reps, usual.rpe))
        ceiling = None
        if best_recent_kg is not None and math.isfinite(best_recent_kg) and best_recent_kg > 0:
            ceiling = best_recent_kg * (1 + MAX_STEP)
            raw = min(raw, ceiling)
        weight = round_weight(raw, unit, step, ceiling)
        weight_kg = round(to_kg(weight, unit), 3)
    one = {
        "weight_kg": weight_kg,
        "weight": weight,
        "unit": unit,
        "reps": usual.reps,
        "target_rpe": usual.rpe,
    }
    return [dict(one) for _ in range(usual.sets)]
