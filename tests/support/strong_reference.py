"""An independent reading of Strong CSVs with the csv module, for expected values in tests.

Deliberately simple and separate from the parser: it reads the classic 12-column
and Strong 6 layouts by header name and computes records the long way.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

LB = 0.45359237


def rows(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > 2 else ","
    return list(csv.DictReader(text.splitlines(keepends=True), delimiter=delimiter))


def rep_maxes(path: Path, exercise: str, *, factor: float) -> dict[int, float]:
    """Heaviest weight (kg) for exactly r reps, r = 1…12, over non-warm-up sets."""
    best: dict[int, float] = defaultdict(float)
    for row in rows(path):
        if row["Exercise Name"] != exercise:
            continue
        if row["Set Order"].strip() in ("W", "WARM_UP", "Rest Timer"):
            continue
        weight_text = row.get("Weight") or row.get("Weight (kg)") or ""
        reps_text = row["Reps"]
        if not weight_text or not reps_text:
            continue
        weight, reps = float(weight_text) * factor, float(reps_text)
        if weight > 0 and reps == int(reps) and 1 <= reps <= 12:
            best[int(reps)] = max(best[int(reps)], weight)
    return dict(best)


def workout_keys(path: Path) -> set[tuple[str, str]]:
    return {(r["Date"], r["Workout Name"].strip()) for r in rows(path)}
