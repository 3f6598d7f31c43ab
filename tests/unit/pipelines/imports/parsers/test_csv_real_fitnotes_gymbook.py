"""The real FitNotes (lbs, 2017–2020) and Italian GymBook exports, read whole; progress.

Expected numbers were counted from the files themselves with grep/awk/python-csv
one-liners (quoted next to each figure), never from parser output.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipelines.imports.parsers.base import ParseResult
from pipelines.imports.parsers.csv_export import parse_csv
from pipelines.imports.parsers.values import LB_TO_KG, MI_TO_M
from tests.support.csv_rows import CLEAN, as_written, tally
from tests.support.exports import FITNOTES, LARGE, sets_of


def test_fitnotes_file(fit_notes: ParseResult) -> None:
    sets = sets_of(fit_notes)
    # awk 'NR>1' | wc -l → 11,493; awk -F, 'NR>1{print $1}' | sort -u | wc -l → 508 days
    # sort | uniq -c | awk '$1>1{s+=$1-1}' → 4,534 exact duplicate rows, all kept:
    # sets = rows − rejected.
    assert tally(fit_notes) == {"rows": 11493, "workouts": 508, "sets": 11493, **CLEAN}
    assert fit_notes.format == "fitnotes"
    assert Counter(s.set_type for s in sets) == {"working": 11493}
    first = fit_notes.workouts[0]
    # 2017-06-23 has 28 rows (lines 2–29), at the nominal 12:00 local (CDT = UTC−5).
    assert first.title == "FitNotes workout" and len(first.sets) == 28
    assert first.local_start == datetime(2017, 6, 23, 12, 0)
    assert first.started_at == datetime(2017, 6, 23, 17, 0, tzinfo=UTC)
    assert first.ended_at is None
    assert any("nominal 12:00" in w for w in fit_notes.warnings)
    # line 2: 2017-06-23,Pushups,Chest,0.0,22,,,   bodyweight 0.0 stays 0.0
    assert as_written(first.sets[0]) == (2, "Pushups", "working", 0.0, "lb", 22)
    # line 7: 2017-06-23,Standing Dumbbell Curl,Biceps,25.0,12,,,
    curl = first.sets[5]
    assert curl.line == 7 and math.isclose(curl.weight_kg or 0, 25 * LB_TO_KG, rel_tol=1e-12)
    # awk -F, '$4=="0.0"' → 2,833 bodyweight rows; '$4==""' → 211 cardio/timed rows
    assert sum(1 for s in sets if s.weight_kg == 0.0) == 2833
    assert sum(1 for s in sets if s.weight_kg is None and s.reps is None) == 211


def test_fitnotes_identical_consecutive_rows_are_real_sets(fit_notes: ParseResult) -> None:
    by_line = {s.line: s for s in sets_of(fit_notes)}
    # lines 5 and 6 are both "2017-06-23,Crunches,Abs,0.0,25,,,"
    assert (by_line[5].exercise_name, by_line[5].reps) == ("Crunches", 25)
    assert (by_line[6].exercise_name, by_line[6].reps) == ("Crunches", 25)
    assert len(by_line) == 11493 and min(by_line) == 2 and max(by_line) == 11494


def test_fitnotes_distances_and_times(fit_notes: ParseResult) -> None:
    by_line = {s.line: s for s in sets_of(fit_notes)}
    # line 25: 2017-06-23,Running (Treadmill),Cardio,,,1.23,mi,0:09:21
    run = by_line[25]
    assert run.distance_unit == "mi" and math.isclose(run.distance_m or 0, 1.23 * MI_TO_M)
    assert run.duration_s == 561.0 and run.weight_kg is None and run.reps is None
    # awk -F, '$7=="mi" && $6>0' → 46 rows; '$7=="m" && $6>0' → 63 (kept as metres,
    # as written); '$8!="" && $8!="0:00:00"' → 194 rows with a time.
    sets = list(by_line.values())
    assert Counter(s.distance_unit for s in sets if s.distance_m) == {"mi": 46, "m": 63}
    assert sum(1 for s in sets if s.duration_s) == 194
    # line 459: 2017-08-10,Side Plank,Abs,,,0.0,kg,0:00:00 — 15 rows give "kg" as the
    # distance unit of a zero distance: kept as (empty) sets, the unit ignored, warned.
    plank = by_line[459]
    assert plank.exercise_name == "Side Plank" and plank.distance_m is None
    assert "15 rows give 'kg' in column 'Distance Unit'" in " ".join(fit_notes.warnings)


def test_gymbook_file(gym_book: ParseResult) -> None:
    sets = sets_of(gym_book)
    # awk 'NR>1' | wc -l → 5,632 rows; grep -c ',Si$' → 644 skipped, ',No$' → 4,988
    # python csv: 160 distinct (Data, Programma), none of them only skipped rows
    assert tally(gym_book) == {"rows": 5632, "workouts": 160, "sets": 4988, **CLEAN}
    assert gym_book.format == "gymbook"
    assert gym_book.warnings == ["644 sets marked as skipped ('Saltato') were not imported"]
    # grep ',No$' | grep -c ',Set di riscaldamento,' → 109 (the 2 cool-down rows are skipped)
    assert Counter(s.set_type for s in sets) == {"working": 4879, "warmup": 109}
    first = gym_book.workouts[0]
    # lines 2–5: 09/01/25,"AltoScheda Giorno 4",19:30 … 19:35, "0,00 kg"; line 6 skipped.
    assert first.title == "AltoScheda Giorno 4" and len(first.sets) == 4
    assert first.local_start == datetime(2025, 1, 9, 19, 30)  # dd/mm/yy: 9 January 2025
    assert first.started_at == datetime(2025, 1, 9, 18, 30, tzinfo=UTC)  # CET = UTC+1
    assert first.ended_at == datetime(2025, 1, 9, 18, 35, tzinfo=UTC)
    s = first.sets[0]
    assert as_written(s) == (2, "Alzate di Gambe alla Macchina", "working", 0.0, "kg", 20)


def test_gymbook_skipped_rows_are_not_sets(gym_book: ParseResult) -> None:
    lines = {s.line for s in sets_of(gym_book)}
    # line 6: 09/01/25,…,"Planks",…,Set,"60 secondi","0,00 kg",,Si
    assert 6 not in lines and len(lines) == 4988
    # line 105: …"Squat con Bilanciere",…,"12 ripetizioni","40,00 kg",,Si
    assert 105 not in lines


def test_gymbook_units_inside_cells(gym_book: ParseResult) -> None:
    by_line = {s.line: s for s in sets_of(gym_book)}
    # line 159: 18/12/24,"AltoScheda Giorno 3",19:50,"Squat con Bilanciere",…,
    #           "12 ripetizioni","40,00 kg",,No
    squat = by_line[159]
    assert (squat.weight_kg, squat.weight_unit, squat.reps) == (40.0, "kg", 12)
    # line 416: 08/11/24,…,"Walking su Tapis Roulant",…,"6 minuti","0,55 km",,No
    walk = by_line[416]
    assert walk.weight_kg is None and walk.reps is None
    assert walk.duration_s == 360.0 and walk.distance_unit == "km"
    assert math.isclose(walk.distance_m or 0, 550.0)
    # grep ',No$' | grep -c ' km"' → 122 distance rows summing 102.41 km;
    # 4 non-skipped "N secondi" rows (Planks, "0,00 kg").
    sets = list(by_line.values())
    assert sum(1 for s in sets if s.distance_m) == 122
    assert math.isclose(sum(s.distance_m or 0 for s in sets), 102_410.0)
    assert sum(1 for s in sets if s.duration_s and s.distance_m is None) == 4
    # 44 workouts have an empty Programma and get the default title
    assert sum(1 for w in gym_book.workouts if w.title == "GymBook workout") == 44


@pytest.mark.parametrize(
    ("path", "layout", "units", "least", "exact"),
    [
        # every 1,000 of 11,493 records, then 1.0
        pytest.param(FITNOTES, "fitnotes", {}, 12, True, id="fitnotes"),
        pytest.param(
            LARGE, "strong", {"weight_unit": "lb", "distance_unit": "mi"}, 23, False, id="strong"
        ),
    ],
)
def test_progress_is_reported(
    path: Path, layout: str, units: dict[str, Any], least: int, exact: bool
) -> None:
    seen: list[float] = []
    options = {"weight_unit": None, "distance_unit": None, **units}
    parse_csv(path.read_bytes(), layout=layout, time_zone="UTC", on_progress=seen.append, **options)
    assert (len(seen) == least if exact else len(seen) >= least) and seen[-1] == 1.0
    assert seen == sorted(seen) and all(0 < f <= 1 for f in seen)
