"""The two real Hevy exports (kg with supersets and drop sets; lbs and miles), read whole.

Expected numbers were counted from the files themselves with grep/awk/python-csv
one-liners (quoted next to each figure), never from parser output.
awk cannot be used on the kg file for records: one note spans three lines.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime

from pipelines.imports.parsers.base import ParseResult
from pipelines.imports.parsers.values import LB_TO_KG
from tests.support.csv_rows import CLEAN, as_written, tally
from tests.support.exports import sets_of


def test_hevy_kg_file(hevy_kg: ParseResult) -> None:
    sets = sets_of(hevy_kg)
    # python csv: 8,650 records on 8,663 lines; 411 distinct (title, start_time).
    assert tally(hevy_kg) == {"rows": 8650, "workouts": 411, "sets": 8650, **CLEAN}
    assert hevy_kg.format == "hevy" and hevy_kg.warnings == []
    # grep -o ',"normal",' | wc -l → 6,984; warmup 1,179; dropset 447; failure 40
    assert Counter(s.set_type for s in sets) == {
        "working": 6984,
        "warmup": 1179,
        "dropset": 447,
        "failure": 40,
    }
    first = hevy_kg.workouts[0]
    # line 2: "Morning workout ☀️","7 Apr 2026, 10:14","7 Apr 2026, 11:14",…,
    #         "Paused Bench Press",,"",0,"failure",90,7,,,
    assert first.title == "Morning workout \u2600\ufe0f"  # emoji + variation selector intact
    assert first.local_start == datetime(2026, 4, 7, 10, 14)
    assert first.started_at == datetime(2026, 4, 7, 9, 14, tzinfo=UTC)  # WEST = UTC+1
    assert first.ended_at == datetime(2026, 4, 7, 10, 14, tzinfo=UTC)
    s = first.sets[0]
    assert as_written(s) == (2, "Paused Bench Press", "failure", 90.0, "kg", 7)
    # csv: 626 rows with an empty weight_kg, 36 with empty reps, 62 with an RPE.
    assert sum(1 for x in sets if x.weight_kg is None) == 626
    assert sum(1 for x in sets if x.reps is None) == 36
    assert sum(1 for x in sets if x.rpe is not None) == 62
    assert Counter(x.rpe for x in sets)[9.5] == 17  # 17 rows with rpe 9.5


def test_hevy_kg_dropsets_and_supersets(hevy_kg: ParseResult) -> None:
    by_line = {s.line: s for s in sets_of(hevy_kg)}
    # lines 16–18: Seated Cable Row - V Grip (Cable) dropset 75×3, 65×4, 55×4
    assert [(by_line[n].set_type, by_line[n].weight_kg, by_line[n].reps) for n in (16, 17, 18)] == [
        ("dropset", 75.0, 3),
        ("dropset", 65.0, 4),
        ("dropset", 55.0, 4),
    ]
    # python csv: superset_id set on 2,394 rows (ids 0, 1, 2), kept in the set notes.
    supersets = [s for s in by_line.values() if s.notes and "superset " in s.notes]
    assert len(supersets) == 2394
    assert {s.notes.rsplit("superset ", 1)[1] for s in supersets if s.notes} == {"0", "1", "2"}
    # line 28: "WL shoes" exercise note on a superset-0 row
    assert by_line[28].notes == "WL shoes\nsuperset 0"


def test_hevy_kg_timed_and_distance_sets(hevy_kg: ParseResult) -> None:
    by_line = {s.line: s for s in sets_of(hevy_kg)}
    # line 505: "Running",…,"normal",,,1.5,540,   → 1,500 m in 540 s
    running = by_line[505]
    assert (running.exercise_name, running.distance_m) == ("Running", 1500.0)
    assert running.distance_unit == "km"
    assert running.duration_s == 540.0 and running.weight_kg is None and running.reps is None
    # line 1560: "Climbing",…,,,,9600,   line 6731: "Swimming",…,0.23,900,
    assert by_line[1560].duration_s == 9600.0 and by_line[1560].distance_m is None
    assert math.isclose(by_line[6731].distance_m or 0, 230.0)
    # line 4013: "Treadmill" 1.55 km in 600 s stays a set of its workout (no CardioSession)
    assert by_line[4013].distance_m == 1550.0 and by_line[4013].duration_s == 600.0
    assert all(w.cardio is None for w in hevy_kg.workouts)
    # csv: 12 rows with distance_km, 36 with duration_seconds
    assert sum(1 for s in by_line.values() if s.distance_m) == 12
    assert sum(1 for s in by_line.values() if s.duration_s) == 36


def test_hevy_kg_embedded_newline_keeps_physical_lines(hevy_kg: ParseResult) -> None:
    by_line = {s.line: s for s in sets_of(hevy_kg)}
    note = "right arm = failure set\nleft arm = warm up set\nboth arms = normal set"
    # grep -n 'right arm = failure set' → 4061, 4064, 4067, 4070, 4073: each record
    # spans three physical lines, so the next record starts three lines later.
    dead_hangs = [by_line[n] for n in (4061, 4064, 4067, 4070, 4073)]
    assert all(
        s.exercise_name == "Dead Hang" and s.notes == f"{note}\nsuperset 0" for s in dead_hangs
    )
    assert [s.duration_s for s in dead_hangs] == [12.0, 6.0, 5.0, 4.0, 44.0]
    assert [s.set_type for s in dead_hangs] == ["failure", "warmup", "failure", "warmup", "working"]
    assert 4062 not in by_line and 4063 not in by_line
    # The last record starts on the last physical line, 8,663 (no trailing newline).
    assert max(by_line) == 8663


def test_hevy_lbs_file(hevy_lb: ParseResult) -> None:
    sets = sets_of(hevy_lb)
    # 9,436 records; 590 distinct (title, start_time)
    assert tally(hevy_lb) == {"rows": 9436, "workouts": 590, "sets": 9436, **CLEAN}
    # grep -o ',"failure",' | wc -l → 264; dropset 43; normal 9,129
    assert Counter(s.set_type for s in sets) == {"working": 9129, "failure": 264, "dropset": 43}
    first = hevy_lb.workouts[0]
    # line 2: "Morning workout ☀️","13 Jan 2026, 06:53","13 Jan 2026, 08:15",…,"Clean",…,195,3
    assert first.started_at == datetime(2026, 1, 13, 11, 53, tzinfo=UTC)  # EST = UTC−5
    assert first.ended_at == datetime(2026, 1, 13, 13, 15, tzinfo=UTC)
    s = first.sets[0]
    assert s.weight_unit == "lb" and s.reps == 3
    assert math.isclose(s.weight_kg or 0, 195 * LB_TO_KG, rel_tol=1e-12)  # 88.45051215 kg
    # python csv: superset_id on 253 rows; 431 empty weight_lbs
    assert sum(1 for x in sets if x.notes and "superset 0" in x.notes) == 253
    assert sum(1 for x in sets if x.weight_kg is None) == 431
    assert all(x.distance_m is None and x.duration_s is None for x in sets)


def test_hevy_lbs_zwj_title_and_repeated_row(hevy_lb: ParseResult) -> None:
    # grep -n 'Tried to pull 605' → first at line 8364; the emoji is 😵 ZWJ 💫.
    workout = next(w for w in hevy_lb.workouts if w.line == 8364)
    assert workout.title == "Tried to pull 605 \U0001f635\u200d\U0001f4ab"
    # lines 5815 and 5817 are the same row (Hammer Curl set 1, 40×5) in two separate
    # Hammer Curl blocks of one workout: both are real sets and both are kept.
    lines = {s.line for s in sets_of(hevy_lb)}
    assert {5814, 5815, 5816, 5817} <= lines
