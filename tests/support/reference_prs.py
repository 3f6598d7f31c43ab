"""Expected records from any Strong CSV layout, computed the long way with the csv module.

A companion to :mod:`tests.support.strong_reference` (owned elsewhere; not changed here):
this one also reads the translated (zh-CN) header by Strong's column order, the per-row
``Weight Unit`` column and Strong 6's ``Weight (kg)`` header, and derives rep-max PRs,
the best Epley e1RM and the local training days of an exercise. Deliberately separate
from the product's parser and ``models.analytics``: plain loops, no pandas.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.support.strong_reference import LB

CLASSIC_HEADER = (
    "Date",
    "Workout Name",
    "Duration",
    "Exercise Name",
    "Set Order",
    "Weight",
    "Reps",
    "Distance",
    "Seconds",
    "Notes",
    "Workout Notes",
    "RPE",
)
WARM_UPS = frozenset({"W", "WARM_UP"})
NOT_SETS = frozenset({"Rest Timer"})
MAX_REPS = 12
MAX_PLAUSIBLE_REPS = 1000
_UNIT_FACTORS = {"kg": 1.0, "kgs": 1.0, "lb": LB, "lbs": LB}


@dataclass(frozen=True, slots=True)
class Lift:
    """One set row as the reference reads it (rest-timer rows are dropped)."""

    date: str
    """The raw ``Date`` field (with the workout name, the workout's identity)."""
    day: str
    """Local day ``YYYY-MM-DD`` (a classic Strong ``Date`` is already wall-clock time)."""
    workout: str
    exercise: str
    set_order: str
    weight_kg: float | None
    reps: float | None

    @property
    def warm_up(self) -> bool:
        return self.set_order in WARM_UPS

    @property
    def qualifies(self) -> bool:
        """Counts for rep-max PRs and e1RM: not a warm-up, weight > 0, whole 1 ≤ reps ≤ 12."""
        return (
            not self.warm_up
            and self.weight_kg is not None
            and self.weight_kg > 0
            and self.reps is not None
            and self.reps == int(self.reps)
            and 1 <= self.reps <= MAX_REPS
        )


def _number(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def lifts(path: Path, *, bare_weight_factor: float | None = None) -> list[Lift]:
    """Every set row of a Strong export, weights in kg.

    The kg factor comes from a ``Weight Unit`` column (per row), else a unit in the
    ``Weight (…)`` header, else ``bare_weight_factor`` (1.0 for kg, :data:`LB` for lb).
    """
    text = path.read_text(encoding="utf-8-sig")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > 2 else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in next(reader)]
    if "Exercise Name" not in header:
        assert len(header) == len(CLASSIC_HEADER), f"unknown header {header}"
        header = list(CLASSIC_HEADER)  # a translated header keeps Strong's column order
    weight_column = next(name for name in header if name.split(" (")[0] == "Weight")
    header_unit = weight_column.partition("(")[2].rstrip(")").strip().casefold()
    out: list[Lift] = []
    impossible: set[tuple[str, str]] = set()
    for record in reader:
        if not any(field.strip() for field in record):
            continue
        row = dict(zip(header, record, strict=True))
        order = row["Set Order"].strip()
        if order in NOT_SETS:
            continue
        weight = _number(row[weight_column])
        if weight is not None and weight != 0:
            unit = row.get("Weight Unit", "").strip().casefold() or header_unit
            factor = _UNIT_FACTORS[unit] if unit else bare_weight_factor
            assert factor is not None, f"{path.name}: a bare weight needs bare_weight_factor"
            weight *= factor
        reps = _number(row["Reps"])
        if reps is not None and reps > MAX_PLAUSIBLE_REPS:
            # Forma refuses such a record and, with it, its whole workout.
            impossible.add((row["Date"], row["Workout Name"]))
        out.append(
            Lift(
                date=row["Date"],
                day=row["Date"].strip()[:10],
                workout=row["Workout Name"],
                exercise=row["Exercise Name"].strip(),
                set_order=order,
                weight_kg=weight,
                reps=reps,
            )
        )
    return [lift for lift in out if (lift.date, lift.workout) not in impossible]


def epley(weight_kg: float, reps: int) -> float:
    """Epley e1RM ``w·(1 + r/30)``, with a single returned as is."""
    return weight_kg if reps == 1 else weight_kg * (1 + reps / 30)


def rep_maxes(rows: list[Lift], exercise: str) -> dict[int, float]:
    """Heaviest weight (kg) lifted for exactly r reps, r = 1…12, over qualifying sets."""
    best: dict[int, float] = {}
    for lift in rows:
        if lift.exercise == exercise and lift.qualifies:
            assert lift.weight_kg is not None and lift.reps is not None
            reps = int(lift.reps)
            best[reps] = max(best.get(reps, 0.0), lift.weight_kg)
    return best


def best_e1rm(rows: list[Lift], exercise: str) -> float:
    """The best Epley e1RM over every qualifying set of ``exercise``, kg."""
    values = [
        epley(lift.weight_kg, int(lift.reps))
        for lift in rows
        if lift.exercise == exercise and lift.qualifies
        if lift.weight_kg is not None and lift.reps is not None
    ]
    assert values, f"no qualifying set of {exercise!r}"
    return max(values)


def training_days(rows: list[Lift], exercise: str) -> set[str]:
    """Local days (``YYYY-MM-DD``) with at least one qualifying set of ``exercise``."""
    return {lift.day for lift in rows if lift.exercise == exercise and lift.qualifies}


def busiest_exercises(rows: list[Lift], count: int, *, equipment: tuple[str, ...]) -> list[str]:
    """The ``count`` exercises with the most qualifying sets among ``Name (Equipment)`` ones."""
    tally = Counter(
        lift.exercise
        for lift in rows
        if lift.qualifies and lift.exercise.endswith(tuple(f"({e})" for e in equipment))
    )
    return [name for name, _ in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))[:count]]
