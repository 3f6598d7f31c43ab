"""Gym-log CSV engine (Hevy, FitNotes, GymBook): the four real exports and hand-written cases.

Expected numbers for the real files were counted from the files themselves with
grep/awk/python-csv one-liners (quoted next to each figure), never from parser output.
awk cannot be used on the Hevy kg file for records: one note spans three lines.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from api.imports import layouts
from api.imports.formats import detect_format
from api.imports.layouts import F, Layout
from pipelines.imports.parsers.base import (
    DistanceUnit,
    ImportFormatError,
    ParsedSet,
    ParseResult,
    WeightUnit,
)
from pipelines.imports.parsers.csv_export import parse_csv
from pipelines.imports.parsers.numbers import NumberStyle
from pipelines.imports.parsers.values import (
    LB_TO_KG,
    MI_TO_M,
    split_quantity,
    unit_kind,
)
from tests.support.exports import csv_layout_of as sniff

REPO_ROOT = Path(__file__).resolve().parents[5]
REAL = REPO_ROOT.parent / "shared" / "data" / "real"
HEVY_KG = REAL / "hevy" / "hevy-kg-supersets-dropsets.csv"
HEVY_LB = REAL / "hevy" / "hevy-lbs-miles.csv"
FITNOTES = REAL / "fitnotes" / "fitnotes-lbs-2017-2020.csv"
GYMBOOK = REAL / "gymbook" / "gymbook-it-localized.csv"

HEVY_HEADER = (
    '"title","start_time","end_time","description","exercise_title","superset_id",'
    '"exercise_notes","set_index","set_type","weight_kg","reps","distance_km",'
    '"duration_seconds","rpe"'
)
FITNOTES_HEADER = "Date,Exercise,Category,Weight (lbs),Reps,Distance,Distance Unit,Time"
GYMBOOK_HEADER = (
    "Data,Programma,Orario,Esercizio,Zona,Gruppi muscolari (Primari),"
    "Gruppi muscolari (Secondari),Set / Set di riscaldamento / Set di defaticamento,"
    "Ripetizioni / Tempo,Peso / Distanza,Appunti,Saltato"
)


def parse(
    data: bytes,
    layout: str | Layout,
    *,
    time_zone: str = "UTC",
    weight_unit: WeightUnit | None = None,
    distance_unit: DistanceUnit | None = None,
) -> ParseResult:
    return parse_csv(
        data,
        layout=layout,
        time_zone=time_zone,
        weight_unit=weight_unit,
        distance_unit=distance_unit,
    )


def sets_of(result: ParseResult) -> list[ParsedSet]:
    return [s for w in result.workouts for s in w.sets]


def hevy_row(
    start: str = "15 Jan 2024, 07:30",
    *,
    title: str = "Push",
    exercise: str = "Bench Press (Barbell)",
    set_type: str = "normal",
    weight: str = "100",
    reps: str = "5",
    distance: str = "",
    seconds: str = "",
    rpe: str = "",
    index: str = "0",
) -> str:
    return (
        f'"{title}","{start}","15 Jan 2024, 08:30","","{exercise}",,"",{index},"{set_type}",'
        f"{weight},{reps},{distance},{seconds},{rpe}"
    )


def hevy(*rows: str, header: str = HEVY_HEADER) -> bytes:
    return "\n".join([header, *rows]).encode()


def gymbook_row(
    date: str = "09/01/25",
    clock: str = "19:30",
    *,
    program: str = "Giorno 1",
    kind: str = "Set",
    amount: str = "10 ripetizioni",
    load: str = "40,00 kg",
    skipped: str = "No",
) -> str:
    return (
        f'{date},"{program}",{clock},"Panca Piana",Petto,"Pettorali","Tricipiti, Spalle",'
        f'{kind},"{amount}","{load}",,{skipped}'
    )


def gymbook(*rows: str) -> bytes:
    return "\n".join([GYMBOOK_HEADER, *rows]).encode()


def fitnotes(*rows: str, header: str = FITNOTES_HEADER) -> bytes:
    return "\n".join([header, *rows]).encode()


# --------------------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def hevy_kg() -> ParseResult:
    return parse(HEVY_KG.read_bytes(), "hevy", time_zone="Europe/Lisbon")


@pytest.fixture(scope="module")
def hevy_lb() -> ParseResult:
    return parse(HEVY_LB.read_bytes(), "hevy", time_zone="America/New_York")


@pytest.fixture(scope="module")
def fit_notes() -> ParseResult:
    return parse(FITNOTES.read_bytes(), "fitnotes", time_zone="America/Chicago")


@pytest.fixture(scope="module")
def gym_book() -> ParseResult:
    return parse(GYMBOOK.read_bytes(), "gymbook", time_zone="Europe/Rome")


@pytest.mark.parametrize(
    ("path", "name"),
    [(HEVY_KG, "hevy"), (HEVY_LB, "hevy"), (FITNOTES, "fitnotes"), (GYMBOOK, "gymbook")],
    ids=lambda p: getattr(p, "name", p),
)
def test_sniff_names_each_real_file(path: Path, name: str) -> None:
    assert sniff(path.read_bytes()[:65536]) == name


@pytest.mark.parametrize(
    "path",
    [*sorted((REAL / "strong").glob("*.csv")), REAL / "fit" / "fenix2-run-4laps.fit"],
    ids=lambda p: p.name,
)
def test_sniff_names_other_real_files_for_what_they_are(path: Path) -> None:
    # Strong is one layout of the same reader; a FIT file is no CSV layout at all.
    expected = "strong" if path.suffix == ".csv" else None
    assert sniff(path.read_bytes()[:65536]) == expected


def test_hevy_kg_file(hevy_kg: ParseResult) -> None:
    sets = sets_of(hevy_kg)
    # python csv: 8,650 records on 8,663 lines; 411 distinct (title, start_time).
    assert (hevy_kg.format, hevy_kg.rows, len(hevy_kg.workouts), len(sets)) == (
        "hevy",
        8650,
        411,
        8650,
    )
    assert hevy_kg.errors_total == 0 and hevy_kg.rows_rejected == 0
    assert hevy_kg.duplicates_collapsed == 0 and hevy_kg.warnings == []
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
    assert (s.line, s.exercise_name, s.set_type, s.weight_kg, s.weight_unit, s.reps) == (
        2,
        "Paused Bench Press",
        "failure",
        90.0,
        "kg",
        7,
    )
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
    assert (running.exercise_name, running.distance_m, running.distance_unit) == (
        "Running",
        1500.0,
        "km",
    )
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
    assert (hevy_lb.rows, len(hevy_lb.workouts), len(sets)) == (9436, 590, 9436)
    assert hevy_lb.errors_total == 0 and hevy_lb.duplicates_collapsed == 0
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


def test_fitnotes_file(fit_notes: ParseResult) -> None:
    sets = sets_of(fit_notes)
    # awk 'NR>1' | wc -l → 11,493; awk -F, 'NR>1{print $1}' | sort -u | wc -l → 508 days
    assert (fit_notes.format, fit_notes.rows, len(fit_notes.workouts)) == ("fitnotes", 11493, 508)
    # sort | uniq -c | awk '$1>1{s+=$1-1}' → 4,534 exact duplicate rows, all kept:
    # sets = rows − rejected.
    assert fit_notes.rows_rejected == 0 and fit_notes.errors_total == 0
    assert len(sets) == fit_notes.rows - fit_notes.rows_rejected == 11493
    assert fit_notes.duplicates_collapsed == 0
    assert Counter(s.set_type for s in sets) == {"working": 11493}
    first = fit_notes.workouts[0]
    # 2017-06-23 has 28 rows (lines 2–29), at the nominal 12:00 local (CDT = UTC−5).
    assert first.title == "FitNotes workout" and len(first.sets) == 28
    assert first.local_start == datetime(2017, 6, 23, 12, 0)
    assert first.started_at == datetime(2017, 6, 23, 17, 0, tzinfo=UTC)
    assert first.ended_at is None
    assert any("nominal 12:00" in w for w in fit_notes.warnings)
    # line 2: 2017-06-23,Pushups,Chest,0.0,22,,,   bodyweight 0.0 stays 0.0
    assert (first.sets[0].weight_kg, first.sets[0].weight_unit, first.sets[0].reps) == (
        0.0,
        "lb",
        22,
    )
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
    assert (gym_book.format, gym_book.rows, len(sets)) == ("gymbook", 5632, 4988)
    # python csv: 160 distinct (Data, Programma), none of them only skipped rows
    assert len(gym_book.workouts) == 160
    assert gym_book.errors_total == 0 and gym_book.rows_rejected == 0
    assert gym_book.duplicates_collapsed == 0
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
    assert (s.line, s.exercise_name, s.weight_kg, s.weight_unit, s.reps) == (
        2,
        "Alzate di Gambe alla Macchina",
        0.0,
        "kg",
        20,
    )


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


def test_progress_is_reported() -> None:
    seen: list[float] = []
    parse_csv(
        FITNOTES.read_bytes(),
        layout="fitnotes",
        time_zone="UTC",
        weight_unit=None,
        distance_unit=None,
        on_progress=seen.append,
    )
    assert len(seen) == 12 and seen[-1] == 1.0  # every 1,000 of 11,493 records, then 1.0
    assert seen == sorted(seen) and all(0 < f <= 1 for f in seen)


# --------------------------------------------------------------------------- Hevy edge cases


def test_hevy_wrong_date_format_rejects_workout() -> None:
    result = parse(hevy(hevy_row("2024-01-15 07:30"), hevy_row(title="Pull")), "hevy")
    errors = [e for e in result.errors if e.code == "invalid_date"]
    assert [e.line for e in errors] == [2]
    assert errors[0].column == "start_time"
    assert "'2024-01-15 07:30'" in errors[0].message and "such as '15 Jan 2024" in errors[0].message
    assert [w.title for w in result.workouts] == ["Pull"] and result.rows_rejected == 1


@pytest.mark.parametrize("start", ["15 Foo 2024, 07:30", "31 Feb 2024, 07:30", "15 Jan 20244"])
def test_hevy_impossible_dates(start: str) -> None:
    result = parse(hevy(hevy_row(start)), "hevy")
    assert result.workouts == [] and result.errors[0].code == "invalid_date"


def test_hevy_decimal_comma_file_is_read_and_a_mixed_row_rejected() -> None:
    # A file that writes decimal commas is read with them (an EU phone's export)…
    result = parse(hevy(hevy_row(weight='"82,5"'), hevy_row(weight='"80,25"', index="1")), "hevy")
    assert [s.weight_kg for s in sets_of(result)] == [82.5, 80.25] and result.errors == []
    # …and in a file that writes decimal points, one comma row is rejected, not misread.
    result = parse(
        hevy(
            hevy_row(weight='"82,5"'),
            hevy_row(weight="80.5", index="1"),
            hevy_row(weight="70.5", title="Pull"),
        ),
        "hevy",
    )
    row_error = next(e for e in result.errors if e.code == "invalid_number")
    assert (row_error.line, row_error.column) == (2, "weight_kg") and "'82,5'" in row_error.message
    assert any(e.code == "workout_rejected" for e in result.errors)
    assert [w.title for w in result.workouts] == ["Pull"] and result.rows_rejected == 2


@pytest.mark.parametrize(
    ("change", "column", "code"),
    [
        ({"weight": "-20"}, "weight_kg", "out_of_range"),
        ({"reps": "8.5"}, "reps", "not_integer"),
        ({"weight": "NaN"}, "weight_kg", "not_finite"),
        ({"rpe": "11"}, "rpe", "out_of_range"),
        ({"set_type": "superset"}, "set_type", "invalid_set_type"),
        ({"exercise": " "}, "exercise_title", "missing_value"),
        ({"seconds": "-1"}, "duration_seconds", "out_of_range"),
        ({"rpe": "hard"}, "rpe", "invalid_number"),
    ],
)
def test_hevy_bad_values_reject_their_workout(
    change: dict[str, str], column: str, code: str
) -> None:
    result = parse(hevy(hevy_row(index="0"), hevy_row(index="1", **change)), "hevy")
    row_error = next(e for e in result.errors if e.code == code)
    assert (row_error.line, row_error.column) == (3, column)
    workout_error = next(e for e in result.errors if e.code == "workout_rejected")
    assert workout_error.line == 2 and "'Push'" in workout_error.message
    assert result.workouts == [] and result.rows_rejected == 2 and result.errors_total == 2


def test_hevy_short_row_taints_its_workout() -> None:
    short = '"Push","15 Jan 2024, 07:30","15 Jan 2024, 08:30"'  # a file cut off mid-row
    result = parse(hevy(hevy_row(), short, hevy_row(title="Pull")), "hevy")
    assert [(e.line, e.code) for e in result.errors] == [
        (2, "workout_rejected"),
        (3, "malformed_row"),
    ]
    assert "14" in result.errors[1].message and "3 fields" in result.errors[1].message
    assert [w.title for w in result.workouts] == ["Pull"]
    assert result.rows == 3 and result.rows_rejected == 2
    # a record too short to name its workout is rejected on its own
    result = parse(hevy(hevy_row(), '"Push"'), "hevy")
    assert [(e.line, e.code) for e in result.errors] == [(3, "malformed_row")]
    assert len(result.workouts) == 1 and result.rows_rejected == 1


def test_hevy_whole_workout_written_twice_is_collapsed() -> None:
    rows = [hevy_row(index="0"), hevy_row(index="1", reps="4")]
    result = parse(hevy(*rows, *rows), "hevy")
    assert result.duplicates_collapsed == 1
    assert [s.line for s in sets_of(result)] == [2, 3]


def test_hevy_bom_miles_and_dst_gap() -> None:
    header = HEVY_HEADER.replace("weight_kg", "weight_lbs").replace("distance_km", "distance_miles")
    data = b"\xef\xbb\xbf" + hevy(
        hevy_row("10 Mar 2024, 02:30", exercise="Running", weight="", reps="", distance="2"),
        header=header,
    )
    workout = parse(data, "hevy", time_zone="America/New_York").workouts[0]
    # 02:30 does not exist that day in New York: read with EST, = 07:30Z = 03:30 EDT.
    assert workout.started_at == datetime(2024, 3, 10, 7, 30, tzinfo=UTC)
    assert workout.written_start == datetime(2024, 3, 10, 2, 30)
    assert math.isclose(workout.sets[0].distance_m or 0, 2 * MI_TO_M)


def test_dates_before_1900_or_in_the_future() -> None:
    result = parse(hevy(hevy_row("1 Jan 1899, 10:00"), hevy_row("1 Jan 2999, 10:00")), "hevy")
    assert [e.code for e in result.errors] == ["out_of_range", "out_of_range"]
    assert result.workouts == [] and result.rows_rejected == 2


# --------------------------------------------------------------------------- FitNotes edge cases


def test_fitnotes_identical_days_are_not_collapsed() -> None:
    row = "2024-01-15,Pushups,Chest,0.0,20,,,"
    result = parse(fitnotes(row, row, row, row), "fitnotes")
    assert result.duplicates_collapsed == 0 and len(sets_of(result)) == 4


def test_fitnotes_weight_unit_required_only_for_non_zero_weights() -> None:
    header = "Date,Exercise,Category,Weight,Reps"
    # bodyweight 0.0 needs no unit
    assert (
        len(sets_of(parse(fitnotes("2024-01-15,Pushups,Chest,0.0,20", header=header), "fitnotes")))
        == 1
    )
    data = fitnotes(
        "2024-01-15,Pushups,Chest,0.0,20", "2024-01-15,Curl,Biceps,25.0,12", header=header
    )
    with pytest.raises(ImportFormatError) as caught:
        parse(data, "fitnotes")
    assert caught.value.code == "unit_required"
    assert "'Weight'" in caught.value.message and "line 3" in caught.value.message
    assert "weight_unit=kg|lb" in caught.value.message
    curl = sets_of(parse(data, "fitnotes", weight_unit="kg"))[1]
    assert (curl.weight_kg, curl.weight_unit) == (25.0, "kg")


def test_fitnotes_per_row_units_win() -> None:
    header = "Date,Exercise,Category,Weight,Weight Unit,Reps,Distance,Distance Unit,Time,Comment"
    data = fitnotes(
        "2024-01-15,Curl,Biceps,20.0,kgs,12,,,,",
        "2024-01-15,Curl,Biceps,45.0,lbs,10,,,,easy",
        "2024-01-15,Run,Cardio,,,,5.0,km,0:25:00,",
        header=header,
    )
    curl_kg, curl_lb, run = sets_of(parse(data, "fitnotes", weight_unit="lb", distance_unit="mi"))
    assert (curl_kg.weight_kg, curl_kg.weight_unit) == (20.0, "kg")
    assert math.isclose(curl_lb.weight_kg or 0, 45 * LB_TO_KG) and curl_lb.notes == "easy"
    assert (run.distance_m, run.distance_unit, run.duration_s) == (5000.0, "km", 1500.0)


def test_fitnotes_weight_unit_as_distance_unit_with_a_distance_is_an_error() -> None:
    result = parse(fitnotes("2024-01-15,Side Plank,Abs,,,1.5,kg,0:01:00"), "fitnotes")
    row_error = result.errors[0]
    assert (row_error.line, row_error.column, row_error.code) == (
        2,
        "Distance Unit",
        "invalid_unit",
    )
    assert result.workouts == [] and result.warnings == []


def test_fitnotes_bad_time_and_semicolons() -> None:
    data = fitnotes("2024-01-15;Plank;Abs;;;;;0:61:00", header=FITNOTES_HEADER.replace(",", ";"))
    assert sniff(data) == "fitnotes"
    row_error = parse(data, "fitnotes").errors[0]
    assert (row_error.column, row_error.code) == ("Time", "invalid_duration")
    # a bare number in Time has no unit (the header gives none): not guessed as seconds
    row_error = parse(fitnotes("2024-01-15,Plank,Abs,,,,,30"), "fitnotes").errors[0]
    assert (row_error.column, row_error.code) == ("Time", "invalid_duration")


# --------------------------------------------------------------------------- GymBook edge cases


def test_gymbook_cool_down_skipped_and_time_range() -> None:
    data = gymbook(
        gymbook_row(clock="19:40", kind="Set di defaticamento", amount="5 minuti", load="0,80 km"),
        gymbook_row(clock="19:20", kind="Set di riscaldamento", load="20,00 kg"),
        gymbook_row(clock="19:05", skipped="Si", load="nonsense"),
        gymbook_row(clock="19:30"),
    )
    result = parse(data, "gymbook", time_zone="Europe/Rome")
    (workout,) = result.workouts
    cool, warm, working = workout.sets
    assert (cool.set_type, cool.notes, cool.duration_s, cool.distance_m) == (
        "warmup",
        "cool-down set",
        300.0,
        800.0,
    )
    assert (warm.set_type, warm.weight_kg, working.set_type) == ("warmup", 20.0, "working")
    # 19:20 is the earliest set that was done (the skipped one at 19:05 is not read)
    assert workout.local_start == datetime(2025, 1, 9, 19, 20)
    assert workout.ended_at == datetime(2025, 1, 9, 18, 40, tzinfo=UTC)
    assert result.rows == 4 and result.errors == []


@pytest.mark.parametrize(
    ("change", "column", "code"),
    [
        ({"clock": "7.30 pm"}, "Orario", "invalid_time"),
        ({"skipped": "Forse"}, "Saltato", "invalid_value"),
        ({"load": "40,00 stone"}, "Peso / Distanza", "invalid_unit"),
        ({"load": "1.040,00 kg"}, "Peso / Distanza", "invalid_number"),
        # two cells give reps: the error names the second, the message both
        ({"load": "5 ripetizioni"}, "Ripetizioni / Tempo", "conflicting_values"),
        ({"amount": "8,5 ripetizioni"}, "Ripetizioni / Tempo", "not_integer"),
        (
            {"kind": "Superserie"},
            "Set / Set di riscaldamento / Set di defaticamento",
            "invalid_set_type",
        ),
    ],
)
def test_gymbook_bad_cells(change: dict[str, str], column: str, code: str) -> None:
    result = parse(gymbook(gymbook_row(**change)), "gymbook")
    assert (result.errors[0].column, result.errors[0].code) == (column, code)
    assert result.workouts == []


def test_gymbook_two_digit_years_and_wrong_date() -> None:
    result = parse(gymbook(gymbook_row("05/05/69"), gymbook_row("2025-01-09")), "gymbook")
    assert result.workouts[0].local_start.date() == datetime(1969, 5, 5).date()
    row_error = next(e for e in result.errors if e.code == "invalid_date")
    assert row_error.column == "Data" and "'05/05/69'" in row_error.message


def test_gymbook_bare_load_needs_a_unit() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse(gymbook(gymbook_row(load="40")), "gymbook")
    assert caught.value.code == "unit_required" and "'Peso / Distanza'" in caught.value.message


# --------------------------------------------------------------------------- file level


def test_unknown_layout_and_missing_columns() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse(hevy(hevy_row()), "strava")
    assert caught.value.code == "unsupported_format" and "hevy" in caught.value.message
    header = HEVY_HEADER.replace('"exercise_title"', '"exercise"')
    with pytest.raises(ImportFormatError) as caught:
        parse(hevy(hevy_row(), header=header), "hevy")
    assert caught.value.code == "unsupported_format"
    assert "no column exercise_title" in caught.value.message


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (HEVY_HEADER.replace('"rpe"', '"weight_lbs"'), "two columns for weight"),
        (FITNOTES_HEADER.replace("(lbs)", "(stone)"), "unknown unit in column 'Weight (stone)'"),
    ],
)
def test_header_problems_are_named(header: str, problem: str) -> None:
    layout = "hevy" if header.startswith('"title"') else "fitnotes"
    with pytest.raises(ImportFormatError) as caught:
        parse((header + "\n" + "x," * 13 + "x").encode(), layout)
    assert caught.value.code == "unsupported_format" and problem in caught.value.message


def test_header_only_and_bad_arguments() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse(hevy(), "hevy")
    assert caught.value.code == "no_rows"
    with pytest.raises(ImportFormatError) as caught:
        parse(hevy(hevy_row()), "hevy", time_zone="Mars/Olympus")
    assert caught.value.code == "invalid_time_zone"
    with pytest.raises(ImportFormatError) as caught:
        parse(hevy(hevy_row()), "hevy", weight_unit="stone")  # type: ignore[arg-type]
    assert caught.value.code == "invalid_unit"


def test_sniff_rejects_garbage() -> None:
    assert sniff(b"") is None and sniff(b"\x00\x01") is None
    assert sniff(b"a,b,c\n1,2,3\n") is None


# --------------------------------------------------------------------------- a new layout


LIFTLOG = Layout(
    name="liftlog",
    headers={
        "when": F.DATE,
        "lift": F.EXERCISE,
        "load (lb)": (F.WEIGHT, "lb"),
        "n": F.REPS,
        "kind": F.SET_TYPE,
    },
    required=(F.DATE, F.EXERCISE, F.WEIGHT, F.REPS),
    group_by=(F.DATE,),
    delimiters=("|",),
    decimal=",",
    set_types={"w": "warmup", "x": "working"},
    nominal_time=time(9, 0),
)


def test_a_new_layout_is_only_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (
        b"when|lift|load (lb)|n|kind\n"
        b"2024.05.01 18.15|Squat|135,5|5|w\n"
        b"2024.05.01 18.15|Squat|225|5|x\n"
        b"2024.05.02|Row|95|8|\n"
    )
    result = parse(data, LIFTLOG, time_zone="UTC")
    assert result.format == "liftlog" and result.rows == 3 and len(result.workouts) == 2
    first, second = result.workouts
    assert first.local_start == datetime(2024, 5, 1, 18, 15) and first.title == "Workout"
    assert [s.set_type for s in first.sets] == ["warmup", "working"]
    assert math.isclose(first.sets[0].weight_kg or 0, 135.5 * LB_TO_KG)
    assert second.local_start == datetime(2024, 5, 2, 9, 0)
    assert sniff(data) is None
    monkeypatch.setitem(layouts.LAYOUTS, "liftlog", LIFTLOG)
    assert sniff(data) == "liftlog"
    assert parse(data, "liftlog").workouts[1].sets[0].weight_unit == "lb"
    # A variant is a copy of a table with a field changed.
    strict = replace(LIFTLOG, set_types={"x": "working"})
    assert parse(data, strict).errors[0].code == "invalid_set_type"


@pytest.mark.parametrize(
    "change",
    [
        {"positional": (("when", "weight"),)},  # a column order naming no header
        {"group_by": (F.DATE, F.TITLE)},  # no header gives a title
        {"decimal": "·"},
    ],
)
def test_a_broken_table_is_refused_when_defined(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="liftlog"):
        replace(LIFTLOG, **change)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- value helpers


def test_value_helpers() -> None:
    comma, point = NumberStyle(","), NumberStyle(".")
    assert split_quantity("40,00 kg", comma) == (40.0, "kg")
    assert split_quantity("20 ripetizioni", comma) == (20.0, "ripetizioni")
    assert split_quantity("40kg", point) == (40.0, "kg") and split_quantity("12", point) == (
        12.0,
        None,
    )
    assert split_quantity("", point) == (None, None)
    assert unit_kind("min") == ("duration", None, 60.0) and unit_kind("m") == ("distance", "m", 1.0)
    assert unit_kind("lbs") == ("weight", "lb", 1.0) and unit_kind("reps") == ("reps", None, 1.0)
    assert unit_kind("stone") == ("", None, 0.0)


def test_a_utf16_export_is_named_for_its_encoding() -> None:
    # Excel's "Unicode text": UTF-16 with a byte-order mark, NUL bytes between letters.
    data = "Date,Exercise,Category,Weight (kgs),Reps\n".encode("utf-16")
    assert detect_format(data) == (
        "encoding",
        "the file is UTF-16 text; export it again as UTF-8 CSV",
    )


def test_old_mac_line_endings_read_like_any_other() -> None:
    lines = ["Date,Exercise,Category,Weight (kgs),Reps", "2024-05-01,Squat,Legs,100.0,5"]
    data = "\r".join([*lines, "2024-05-02,Squat,Legs,102.5,5", ""]).encode()
    assert detect_format(data) == "fitnotes"
    result = parse(data, "fitnotes")
    assert [s.weight_kg for s in sets_of(result)] == [100.0, 102.5]
    assert [s.line for s in sets_of(result)] == [2, 3]


def test_text_with_control_characters_is_refused_and_invisible_ends_dropped() -> None:
    header = "Date,Exercise,Category,Weight (kgs),Reps\n"
    data = (
        header + "2024-05-01,Squat\x07 (Barbell),Legs,100.0,5\n"
        "2024-05-02,Squat (Barbell)\u200b,Legs,100.0,5\n"
    ).encode()
    result = parse(data, "fitnotes")
    bad = next(e for e in result.errors if e.code == "invalid_text")
    assert (bad.line, bad.column) == (2, "Exercise") and "U+0007" in bad.message
    assert [s.exercise_name for s in sets_of(result)] == ["Squat (Barbell)"]


def test_an_end_before_the_start_is_left_out_and_said() -> None:
    row = hevy_row().replace('"15 Jan 2024, 08:30"', '"15 Jan 2024, 06:30"')  # end 1 h early
    result = parse(hevy(row), "hevy")
    assert result.workouts[0].ended_at is None
    assert any("not after their start" in warning for warning in result.warnings)
