"""Strong CSV parser: the five real exports and small hand-written edge cases.

Expected numbers for the real files were counted from the files themselves with
grep/awk/csv one-liners (quoted next to each figure), never from parser output.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipelines.imports.parsers.base import (
    MAX_ERRORS,
    DistanceUnit,
    ImportFormatError,
    ParsedSet,
    ParseResult,
    WeightUnit,
)
from pipelines.imports.parsers.csv_export import parse_csv
from pipelines.imports.parsers.values import LB_TO_KG, MI_TO_M, parse_duration
from tests.support.exports import csv_layout_of as sniff


def parse_strong(data: bytes, **options: Any) -> ParseResult:
    """Strong is one layout of the CSV reader."""
    return parse_csv(data, layout="strong", **options)


def sniff_strong(head: bytes) -> bool:
    return sniff(head) == "strong"


REPO_ROOT = Path(__file__).resolve().parents[5]
REAL = REPO_ROOT.parent / "shared" / "data" / "real"
STRONG = REAL / "strong"

SWEDISH = STRONG / "strong-kg-swedish-names.csv"
ZH = STRONG / "strong-zh-cn-localized-header.csv"
SEMICOLON = STRONG / "strong-semicolon-weight-unit-column.csv"
STRONG6 = STRONG / "strong6-semicolon-quoted-kg.csv"
LARGE = STRONG / "strong-lbs-large-set-types.csv"

HEADER = (
    "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,"
    "Notes,Workout Notes,RPE"
)


def row(
    date: str = "2024-01-01 10:00:00",
    name: str = "Push",
    duration: str = "1h",
    exercise: str = "Bench Press (Barbell)",
    order: str = "1",
    weight: str = "100",
    reps: str = "5",
    distance: str = "0",
    seconds: str = "0",
    notes: str = "",
    workout_notes: str = "",
    rpe: str = "",
) -> str:
    fields = [
        date,
        name,
        duration,
        exercise,
        order,
        weight,
        reps,
        distance,
        seconds,
        notes,
        workout_notes,
        rpe,
    ]
    return ",".join(fields)


def classic(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def parse(
    data: bytes,
    *,
    time_zone: str = "UTC",
    weight_unit: WeightUnit | None = "kg",
    distance_unit: DistanceUnit | None = None,
) -> ParseResult:
    return parse_strong(
        data, time_zone=time_zone, weight_unit=weight_unit, distance_unit=distance_unit
    )


def sets_of(result: ParseResult) -> list[ParsedSet]:
    return [s for w in result.workouts for s in w.sets]


def format_error(
    data: bytes,
    *,
    time_zone: str = "UTC",
    weight_unit: WeightUnit | None = "kg",
    distance_unit: DistanceUnit | None = None,
) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        parse(data, time_zone=time_zone, weight_unit=weight_unit, distance_unit=distance_unit)
    return caught.value


# --------------------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def large() -> ParseResult:
    return parse_strong(
        LARGE.read_bytes(),
        time_zone="America/Indiana/Indianapolis",
        weight_unit="lb",
        distance_unit="mi",
    )


@pytest.fixture(scope="module")
def zh() -> ParseResult:
    return parse_strong(
        ZH.read_bytes(), time_zone="Asia/Shanghai", weight_unit="lb", distance_unit=None
    )


@pytest.fixture(scope="module")
def semicolon() -> ParseResult:
    return parse_strong(
        SEMICOLON.read_bytes(), time_zone="America/New_York", weight_unit=None, distance_unit=None
    )


@pytest.fixture(scope="module")
def strong6() -> ParseResult:
    return parse_strong(
        STRONG6.read_bytes(), time_zone="America/Chicago", weight_unit=None, distance_unit=None
    )


@pytest.mark.parametrize("path", [SWEDISH, ZH, SEMICOLON, STRONG6, LARGE], ids=lambda p: p.name)
def test_sniff_accepts_every_real_strong_file(path: Path) -> None:
    assert sniff_strong(path.read_bytes()[:65536])


@pytest.mark.parametrize(
    "path",
    [
        REAL / "hevy" / "hevy-kg-supersets-dropsets.csv",
        REAL / "hevy" / "hevy-lbs-miles.csv",
        REAL / "fitnotes" / "fitnotes-lbs-2017-2020.csv",
        REAL / "gymbook" / "gymbook-it-localized.csv",  # 12 columns, but dd/mm/yy dates
        REAL / "fit" / "fenix2-run-4laps.fit",
        REAL / "gpx" / "strava-run-hr-full.gpx",
    ],
    ids=lambda p: p.name,
)
def test_sniff_rejects_other_real_files(path: Path) -> None:
    assert not sniff_strong(path.read_bytes()[:65536])


def test_swedish_kg_file() -> None:
    result = parse_strong(
        SWEDISH.read_bytes(), time_zone="Europe/Stockholm", weight_unit="kg", distance_unit=None
    )
    sets = sets_of(result)
    # awk 'NR>1' | wc -l → 507;  awk -F, 'NR>1{print $1"|"$2}' | sort -u | wc -l → 62
    assert (result.format, result.rows, len(result.workouts), len(sets)) == ("strong", 507, 62, 507)
    assert result.errors == [] and result.errors_total == 0 and result.duplicates_collapsed == 0
    first = result.workouts[0]
    # line 2: 2022-07-28 20:14:20,"Ben",7m,"Squat (Barbell)",1,110.0,6,0,0,"","",
    assert first.line == 2 and first.title == "Ben"
    assert first.local_start == datetime(2022, 7, 28, 20, 14, 20)
    assert first.started_at == datetime(2022, 7, 28, 18, 14, 20, tzinfo=UTC)  # CEST = UTC+2
    assert first.ended_at == first.started_at + timedelta(minutes=7)
    assert first.time_zone == "Europe/Stockholm"
    s = first.sets[0]
    assert (s.line, s.exercise_name, s.set_type, s.weight_kg, s.weight_unit, s.reps) == (
        2,
        "Squat (Barbell)",
        "working",
        110.0,
        "kg",
        6,
    )
    # Distance and Seconds are always 0 → None; Notes are "" or empty → None.
    assert all(x.distance_m is None and x.duration_s is None and x.notes is None for x in sets)
    assert all(x.rpe is None for x in sets)
    # Six rows carry weight 0.0 (bodyweight logged as zero): they stay 0.0, not None.
    assert sum(1 for x in sets if x.weight_kg == 0.0) == 6
    # "Upper - C " has a trailing space in the file.
    assert "Upper - C" in {w.title for w in result.workouts}
    assert not any(w.title.endswith(" ") for w in result.workouts)
    durations = {w.line: (w.ended_at - w.started_at) for w in result.workouts if w.ended_at}
    assert timedelta(hours=1, minutes=6) in durations.values()


def test_classic_file_without_weight_unit_needs_one() -> None:
    error = format_error(SWEDISH.read_bytes(), weight_unit=None)
    assert error.code == "unit_required"
    assert "'Weight'" in error.message and "weight_unit=kg|lb" in error.message
    assert "unit_system" in error.message and "line 2" in error.message


def test_zh_localized_header_is_mapped_by_position(zh: ParseResult) -> None:
    sets = sets_of(zh)
    # 6,778 rows; 384 distinct (date, name); 433 rows are exact duplicates
    # (awk 'NR>1' | sort | uniq -c | awk '$1>1{s+=$1-1} END{print s}'), all of them
    # second copies of 29 whole workouts → 6,778 − 433 = 6,345 sets.
    assert (zh.rows, len(zh.workouts), len(sets)) == (6778, 384, 6345)
    assert zh.duplicates_collapsed == 29 and zh.errors_total == 0
    first = zh.workouts[0]
    assert first.title == "4.Pull" and first.notes == "星期二"
    assert first.started_at == datetime(2020, 9, 28, 23, 10, 22, tzinfo=UTC)  # 07:10:22 CST (+8)
    assert (first.ended_at - first.started_at).total_seconds() == 4380  # 1小时13分钟
    s = first.sets[0]
    assert s.exercise_name == "Bent Over Row (Barbell)" and s.notes == "4x8" and s.reps == 5
    assert s.weight_unit == "lb"
    assert math.isclose(s.weight_kg, 20.0, abs_tol=1e-9)  # 44.09245243697551 lb
    assert math.isclose(first.sets[1].weight_kg, 30.0, abs_tol=1e-9)  # 66.13867865546327 lb


def test_zh_durations_hours_only_and_minutes_only(zh: ParseResult) -> None:
    by_line = {w.line: w for w in zh.workouts}
    assert (by_line[3041].ended_at - by_line[3041].started_at).total_seconds() == 7200  # 2小时
    assert (by_line[98].ended_at - by_line[98].started_at).total_seconds() == 2940  # 49分钟


def test_zh_repeated_workout_kept_once(zh: ParseResult) -> None:
    # grep -n '^2021-01-24 03:10:40' → 40 lines, 1223–1262; 1243 repeats 1223 and so on.
    workout = next(w for w in zh.workouts if w.local_start == datetime(2021, 1, 24, 3, 10, 40))
    assert workout.line == 1223 and len(workout.sets) == 20
    assert [s.line for s in workout.sets] == list(range(1223, 1243))


def test_zh_literal_backslash_n_becomes_newline(zh: ParseResult) -> None:
    workout = next(w for w in zh.workouts if w.line == 3041)
    assert workout.sets[0].notes == "3x10\n80x12 82.5x10 85x8 80x8 82.5x12"


def test_semicolon_unit_column_file(semicolon: ParseResult) -> None:
    sets = sets_of(semicolon)
    # 5,402 rows; 29 exact duplicate rows, 28 of them the second copies of two whole
    # workouts (14 rows at 2019-04-12 18:04:00, 15 at 2019-08-29 13:57:42). The
    # 877777-reps row (line 2401) sinks its whole workout, "Lake Day 2 (Back)" of
    # 2019-06-03 13:41:05: 18 rows (grep -c) → 292 − 1 workouts, 5,372 − 17 sets.
    assert (semicolon.rows, len(semicolon.workouts), len(sets)) == (5402, 291, 5355)
    assert semicolon.duplicates_collapsed == 2
    assert semicolon.errors_total == 2 and semicolon.rows_rejected == 18
    row_error = next(e for e in semicolon.errors if e.line == 2401)
    assert (row_error.column, row_error.code) == ("Reps", "out_of_range")
    assert "877777" in row_error.message
    workout_error = next(e for e in semicolon.errors if e.code == "workout_rejected")
    assert "Lake Day 2 (Back)" in workout_error.message and "2401" in workout_error.message
    lines = {s.line for s in sets}
    assert not lines & {2400, 2401, 2402}
    first = sets[0]  # 90 lbs
    assert first.weight_unit == "lb" and math.isclose(
        first.weight_kg, 90 * 0.45359237, rel_tol=1e-12
    )
    # 70 rows with empty Weight and empty Weight Unit: bodyweight → None.
    assert sum(1 for s in sets if s.weight_kg is None) == 70
    assert all(s.weight_unit is None for s in sets if s.weight_kg is None)
    assert sum(1 for s in sets if s.weight_kg == 0.0) == 14
    assert all(w.ended_at is None for w in semicolon.workouts)  # no Duration column
    repeated = next(w for w in semicolon.workouts if w.local_start == datetime(2019, 4, 12, 18, 4))
    assert repeated.line == 1876 and [s.line for s in repeated.sets] == list(range(1876, 1890))
    assert [s.notes for s in sets if s.notes] == ["First 5 sets on #3. Last 3 on #2"]


def test_strong6_quoted_file(strong6: ParseResult) -> None:
    sets = sets_of(strong6)
    assert (strong6.rows, len(strong6.workouts), len(sets)) == (8004, 574, 8004)
    assert strong6.errors_total == 0 and strong6.duplicates_collapsed == 0
    # grep -c '"WARM_UP"' → 1230; grep -c '"FAILURE"' → 243
    assert Counter(s.set_type for s in sets) == {"working": 6531, "warmup": 1230, "failure": 243}
    first = strong6.workouts[0]
    assert first.title == "Hypertrophy 1" and first.notes == "8 rep"
    assert (first.ended_at - first.started_at).total_seconds() == 3324
    assert first.sets[0].weight_kg == 65.181223569 and first.sets[0].weight_unit == "kg"
    assert sum(1 for s in sets if s.weight_kg is None) == 328
    assert sum(1 for s in sets if s.weight_kg == 0.0) == 127
    assert sum(1 for s in sets if s.reps is None) == 201
    assert sum(1 for s in sets if s.duration_s is not None) == 67
    assert Counter(s.rpe for s in sets if s.rpe is not None) == {
        9.0: 17,
        10.0: 13,
        8.0: 13,
        8.5: 11,
        9.5: 8,
        7.5: 2,
    }
    assert any(s.reps == 1000 and s.line == 2708 for s in sets)  # the upper bound is allowed


def test_strong6_multiline_notes_and_physical_lines(strong6: ParseResult) -> None:
    # Line 3763 opens a quoted Workout Notes field that closes on line 3764.
    workout = next(w for w in strong6.workouts if w.line == 3763)
    assert workout.notes == (
        "First of the week: same load, half volume \n"
        "Second half of the week: half load, half volume"
    )
    assert [s.line for s in workout.sets[:3]] == [3763, 3765, 3767]
    # 8,029 newlines (wc -l) and no trailing newline, so 8,030 physical lines
    # (awk 'END{print NR}'): 8,005 records + 25 continuation lines. The last starts on 8030.
    assert max(s.line for s in sets_of(strong6)) == 8030


def test_large_lbs_file(large: ParseResult) -> None:
    sets = sets_of(large)
    # 23,709 rows of which 821 Rest Timer (awk -F, '{c[$5]++}') → 22,888 sets.
    assert (large.rows, len(large.workouts), len(sets)) == (23709, 1163, 22888)
    assert large.errors_total == 0 and large.duplicates_collapsed == 0
    assert Counter(s.set_type for s in sets) == {
        "working": 18654,
        "warmup": 2686,
        "failure": 1060,
        "dropset": 488,
    }
    first = sets[0]  # 135.0 lb, reps 8.0
    assert math.isclose(first.weight_kg, 61.23496995, abs_tol=1e-9) and first.reps == 8
    assert isinstance(first.reps, int)
    assert (large.workouts[0].ended_at - large.workouts[0].started_at).total_seconds() == 55


def test_large_rest_timers_are_not_sets(large: ParseResult) -> None:
    rest_lines = {
        n
        for n, text in enumerate(LARGE.read_text(encoding="utf-8").split("\n"), start=1)
        if ",Rest Timer," in text
    }
    assert len(rest_lines) == 821
    assert not rest_lines & {s.line for s in sets_of(large)}


def test_large_unstopped_workout_and_treadmill(large: ParseResult) -> None:
    workout = next(w for w in large.workouts if w.line == 118)  # "Thursday Upper 2",11h 8m
    assert (workout.ended_at - workout.started_at).total_seconds() == 11 * 3600 + 8 * 60
    run = next(s for s in workout.sets if s.line == 150)  # Running (Treadmill),1,0,0.0,1.0,600.0
    assert run.distance_unit == "mi" and run.distance_m == MI_TO_M
    assert run.duration_s == 600 and run.notes == "run" and run.weight_kg == 0.0


def test_large_file_needs_distance_unit_for_its_one_distance() -> None:
    error = format_error(LARGE.read_bytes(), weight_unit="lb", distance_unit=None)
    assert error.code == "unit_required"
    assert "'Distance'" in error.message and "line 150" in error.message
    assert "distance_unit=m|km|mi" in error.message


def test_progress_is_reported() -> None:
    seen: list[float] = []
    parse_strong(
        LARGE.read_bytes(),
        time_zone="UTC",
        weight_unit="lb",
        distance_unit="mi",
        on_progress=seen.append,
    )
    assert len(seen) >= 23 and seen[-1] == 1.0
    assert seen == sorted(seen) and all(0 < f <= 1 for f in seen)


# --------------------------------------------------------------------------- file-level errors


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n\n"])
def test_empty_file(data: bytes) -> None:
    assert format_error(data).code == "empty_file"


def test_binary_file() -> None:
    assert format_error(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").code == "binary_file"
    assert not sniff_strong(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_not_utf8() -> None:
    data = classic(row(exercise="Bänkpress")).replace("ä".encode(), "ä".encode("latin-1"))
    error = format_error(data)
    assert error.code == "encoding" and "line 2" in error.message
    assert format_error("Date,Workout Name".encode("utf-16")).code == "encoding"


def test_not_a_strong_export_names_missing_columns() -> None:
    error = format_error(b"name,age\nbob,3\n")
    assert error.code == "unsupported_format"
    assert "Workout Name" in error.message and "Set Order" in error.message
    assert not sniff_strong(b"name,age\nbob,3\n")
    hevy_like = b"title,start_time,end_time,exercise_title,set_index,weight_kg,reps\n"
    assert format_error(hevy_like).code == "unsupported_format"


def test_header_without_rows() -> None:
    assert format_error(classic()).code == "no_rows"
    assert format_error(classic("", "")).code == "no_rows"


def test_unknown_time_zone() -> None:
    assert format_error(classic(row()), time_zone="Mars/Olympus").code == "invalid_time_zone"
    assert format_error(classic(row()), time_zone="../etc/passwd").code == "invalid_time_zone"


# --------------------------------------------------------------------------- layouts


def test_bom_and_semicolons() -> None:
    data = b"\xef\xbb\xbf" + classic(row()).replace(b",", b";")
    assert sniff_strong(data)
    [workout] = parse(data).workouts
    assert workout.sets[0].weight_kg == 100.0 and workout.sets[0].reps == 5


def test_reordered_header_is_mapped_by_name() -> None:
    header = "Reps,Weight,Exercise Name,Set Order,Workout Name,Date"
    result = parse(classic("5,80,Squat,1,Legs,2024-05-01 08:00:00", header=header))
    [s] = sets_of(result)
    assert (s.exercise_name, s.weight_kg, s.reps) == ("Squat", 80.0, 5)
    assert result.workouts[0].title == "Legs" and result.workouts[0].ended_at is None


def test_strong6_header_units() -> None:
    header = (
        '"Workout #";"Date";"Workout Name";"Duration (sec)";"Exercise Name";"Set Order";'
        '"Weight (lbs)";"Reps";"RPE";"Distance (km)";"Seconds";"Notes";"Workout Notes"'
    )
    rows = ['"1";"2024-01-01 10:00:00";"Run";"600";"Bench";"1";"100";"5";"";"2.5";"";"";""']
    result = parse_strong(
        classic(*rows, header=header), time_zone="UTC", weight_unit=None, distance_unit=None
    )
    [s] = sets_of(result)
    assert s.weight_unit == "lb" and math.isclose(s.weight_kg, 100 * LB_TO_KG)
    assert s.distance_unit == "km" and s.distance_m == 2500.0
    assert (result.workouts[0].ended_at - result.workouts[0].started_at).total_seconds() == 600


def test_translated_header_of_another_language() -> None:
    header = (
        "Datum;Trainingsname;Dauer;Übungsname;Satz;Gewicht;Wdh.;Distanz;Sekunden;"
        "Notizen;Trainingsnotizen;RPE"
    )
    good = row(duration="1h 5m").replace(",", ";")
    bad = row(date="2024-01-02 10:00:00", reps="8.5").replace(",", ";")
    data = classic(good, bad, header=header)
    assert sniff_strong(data)
    result = parse(data)
    assert len(sets_of(result)) == 1
    assert (result.workouts[0].ended_at - result.workouts[0].started_at).total_seconds() == 3900
    row_error = next(e for e in result.errors if e.line == 3 and e.code != "workout_rejected")
    assert (row_error.column, row_error.code) == ("Wdh. (Reps)", "not_integer")


def test_twelve_columns_without_dates_are_not_strong() -> None:
    header = "a,b,c,d,e,f,g,h,i,j,k,l"
    data = classic("1,2,3,4,5,6,7,8,9,10,11,12", header=header)
    assert not sniff_strong(data)
    assert format_error(data).code == "unsupported_format"


def test_unit_column_per_row() -> None:
    header = (
        "Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit;Reps;RPE;Distance;"
        "Distance Unit;Seconds;Notes;Workout Notes"
    )
    rows = [
        "2024-01-01 10:00:00;A;Bench;1;100;kg;5;;;;0;;",
        "2024-01-01 10:00:00;A;Bench;2;100;lbs;5;;;;0;;",
        "2024-01-01 10:00:00;A;Row;1;;;;;3;mi;0;;",
        "2024-01-02 10:00:00;B;Bench;1;100;stone;5;;;;0;;",
        "2024-01-01 10:00:00;A;Bench;4;100;;5;;;;0;;",
    ]
    data = classic(*rows, header=header)
    error = format_error(data, weight_unit=None)
    assert error.code == "unit_required" and "line 6" in error.message
    result = parse(data, weight_unit="lb")
    kg, lb, run, fallback = sets_of(result)
    assert (kg.weight_kg, kg.weight_unit) == (100.0, "kg")
    assert lb.weight_unit == "lb" and math.isclose(lb.weight_kg, 45.359237)
    assert run.weight_kg is None and run.distance_m == 3 * MI_TO_M and run.distance_unit == "mi"
    assert fallback.weight_unit == "lb"
    error_row = next(e for e in result.errors if e.line == 5 and e.code != "workout_rejected")
    assert (error_row.column, error_row.code) == ("Weight Unit", "invalid_unit")


def test_all_zero_weights_need_no_unit() -> None:
    result = parse(classic(row(weight="0"), row(order="2", weight="")), weight_unit=None)
    assert [s.weight_kg for s in sets_of(result)] == [0.0, None]


# --------------------------------------------------------------------------- rows


@pytest.mark.parametrize(
    ("changes", "column", "code"),
    [
        ({"weight": "NaN"}, "Weight", "not_finite"),
        ({"weight": "inf"}, "Weight", "not_finite"),
        ({"weight": "1e999"}, "Weight", "not_finite"),
        ({"weight": "-5"}, "Weight", "out_of_range"),
        ({"weight": "1001"}, "Weight", "out_of_range"),
        ({"weight": "heavy"}, "Weight", "invalid_number"),
        ({"reps": "8.5"}, "Reps", "not_integer"),
        ({"reps": "-1"}, "Reps", "out_of_range"),
        ({"reps": "1001"}, "Reps", "out_of_range"),
        ({"reps": "nan"}, "Reps", "not_finite"),
        ({"rpe": "7.3"}, "RPE", "out_of_range"),
        ({"rpe": "0"}, "RPE", "out_of_range"),
        ({"rpe": "10.5"}, "RPE", "out_of_range"),
        ({"date": "2024-13-01 10:00:00"}, "Date", "invalid_date"),
        ({"date": "01/02/2024"}, "Date", "invalid_date"),
        ({"exercise": "  "}, "Exercise Name", "missing_value"),
        ({"seconds": "-1"}, "Seconds", "out_of_range"),
        ({"seconds": "86401"}, "Seconds", "out_of_range"),
        ({"distance": "-3"}, "Distance", "out_of_range"),
        ({"distance": "1000001"}, "Distance", "out_of_range"),
        ({"order": "X", "weight": "50"}, "Set Order", "invalid_set_type"),
    ],
)
def test_impossible_values_reject_the_row(changes: dict[str, str], column: str, code: str) -> None:
    data = classic(row(), row(**{"order": "2", **changes}), row(order="3"))
    result = parse(data, distance_unit="m")
    row_error = next(e for e in result.errors if e.line == 3)
    assert (row_error.column, row_error.code) == (column, code)
    assert row_error.message
    if "date" in changes:
        # Another date is another workout: only that one is refused.
        assert [s.line for s in sets_of(result)] == [2, 4]
        assert result.errors_total == 1 and result.rows_rejected == 1
    else:
        # The workout is stored whole or not at all.
        assert sets_of(result) == []
        assert [(e.line, e.code) for e in result.errors] == [(2, "workout_rejected"), (3, code)]
        assert result.rows_rejected == 3


def test_dates_out_of_range_are_refused() -> None:
    data = classic(
        row(date="0001-01-01 00:00:00"),
        row(date="9999-12-31 23:59:59"),
        row(date="2090-01-01 10:00:00"),
        row(date="1899-12-31 23:00:00"),
        row(date="1900-01-02 00:00:00"),
    )
    result = parse(data)
    assert [s.line for s in sets_of(result)] == [6]
    assert [(e.line, e.column, e.code) for e in result.errors] == [
        (n, "Date", "out_of_range") for n in (2, 3, 4, 5)
    ]


def test_valid_edges_are_accepted() -> None:
    data = classic(
        row(rpe="9.5", reps="8.0", weight="1000"),
        row(order="2", rpe="1", seconds="86400", distance="1000000"),
    )
    a, b = sets_of(parse(data, distance_unit="m"))
    assert (a.rpe, a.reps, a.weight_kg) == (9.5, 8, 1000.0)
    assert (b.rpe, b.duration_s, b.distance_m, b.distance_unit) == (1.0, 86400.0, 1_000_000.0, "m")


def test_short_row_is_malformed_and_lines_are_physical() -> None:
    data = classic(
        row(notes='"two\nlines"'),
        "2024-01-01 10:00:00,Push,1h,Bench",
        row(order="2"),
        row(date="2024-01-02 10:00:00", notes='"three\nphysical\nlines"'),
        "2024-01-03 10:00:00",
        row(date="2024-01-04 10:00:00"),
    )
    result = parse(data)
    # The short record names its workout (2024-01-01 Push), which is then incomplete and
    # refused whole; a record too short to name one (line 9) refuses only itself.
    assert [s.line for s in sets_of(result)] == [6, 10]
    assert sets_of(result)[0].notes == "three\nphysical\nlines"
    assert [(e.line, e.code) for e in result.errors] == [
        (2, "workout_rejected"),
        (4, "malformed_row"),
        (9, "malformed_row"),
    ]
    assert result.rows_rejected == 4


def test_errors_are_capped_but_counted() -> None:
    bad = [row(order=str(i), reps="8.5") for i in range(MAX_ERRORS + 5)]
    result = parse(classic(row(order="0"), *bad))
    # Every row error plus one for their workout, which is refused whole.
    assert result.errors_total == MAX_ERRORS + 6 and len(result.errors) == MAX_ERRORS
    assert result.errors[0].line == 2 and result.errors[0].code == "workout_rejected"
    assert result.errors[1].line == 3 and result.errors[-1].line == MAX_ERRORS + 1
    assert sets_of(result) == [] and result.rows_rejected == MAX_ERRORS + 6


def test_set_types_and_rest_timers() -> None:
    data = classic(
        row(order="W", weight="40"),
        row(order="WARM_UP", weight="60"),
        row(order="D"),
        row(order="DROP_SET"),
        row(order="F"),
        row(order="FAILURE"),
        row(order="Rest Timer", weight="0", reps="0.0", seconds="120.0"),
        row(order="休息计时器", weight="0", reps="0", seconds="90"),  # translated rest timer
        row(order=""),
    )
    result = parse(data)
    assert [s.set_type for s in sets_of(result)] == [
        "warmup",
        "warmup",
        "dropset",
        "dropset",
        "failure",
        "failure",
        "working",
    ]
    assert result.rows == 9 and result.errors == []


def test_workout_grouping_notes_and_titles() -> None:
    data = classic(
        row(name=" Push ", notes="felt\\ngood"),
        row(name=" Push ", order="2", workout_notes="Tuesday"),
        row(name="Pull", date="2024-01-02 10:00:00", duration="garbage"),
    )
    push, pull = parse(data).workouts
    assert push.title == "Push" and push.notes == "Tuesday" and push.line == 2
    assert push.sets[0].notes == "felt\ngood"
    assert pull.line == 4 and pull.ended_at is None


# --------------------------------------------------------------------------- time


def test_dst_gap_moves_forward() -> None:
    # 2024-03-10 02:30 does not exist in New York (02:00 EST → 03:00 EDT).
    [workout] = parse(
        classic(row(date="2024-03-10 02:30:00", duration="30m")), time_zone="America/New_York"
    ).workouts
    assert workout.started_at == datetime(2024, 3, 10, 7, 30, tzinfo=UTC)
    assert workout.local_start == datetime(2024, 3, 10, 3, 30)
    assert workout.ended_at == datetime(2024, 3, 10, 8, 0, tzinfo=UTC)
    # Its identity keeps the time as written, so reading the file in a zone without
    # that gap (UTC) names the same workout and a re-import adds nothing.
    [same] = parse(classic(row(date="2024-03-10 02:30:00", duration="30m"))).workouts
    assert workout.source_key == same.source_key == "2024-03-10T02:30:00|Push"


def test_ambiguous_time_takes_first_occurrence() -> None:
    # 2024-11-03 01:30 happens twice in New York; the first is EDT (UTC−4).
    [workout] = parse(
        classic(row(date="2024-11-03 01:30:00")), time_zone="America/New_York"
    ).workouts
    assert workout.started_at == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    assert workout.local_start == datetime(2024, 11, 3, 1, 30)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("55s", 55),
        ("7m", 420),
        ("1h 6m", 3960),
        ("2h 15m", 8100),
        ("11h 8m", 40080),
        ("24h", 86400),
        ("1小时13分钟", 4380),
        ("2小时", 7200),
        ("49分钟", 2940),
        ("1:02:03", 3723),
    ],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


def test_duration_bare_numbers_only_when_in_seconds() -> None:
    assert parse_duration("3324", bare_seconds=True) == 3324
    assert parse_duration("3324") is None
    assert parse_duration("soon") is None and parse_duration("5 parsecs") is None


# --------------------------------------------------------------------------- repeats


def _workout_rows(date: str = "2024-01-01 10:00:00") -> list[str]:
    return [
        row(date=date, order="W", weight="40"),
        row(date=date, order="1"),
        row(date=date, order="2", reps="4"),
    ]


@pytest.mark.parametrize("copies", [2, 3])
def test_whole_workout_repeats_collapse(copies: int) -> None:
    rows = _workout_rows() * copies + _workout_rows("2024-01-02 10:00:00")
    result = parse(classic(*rows))
    assert result.rows == 3 * copies + 3
    assert result.duplicates_collapsed == copies - 1
    first, second = result.workouts
    assert [s.line for s in first.sets] == [2, 3, 4]
    assert len(second.sets) == 3


def test_identical_warmup_rows_are_real_sets() -> None:
    warmups = [row(order="W", weight="20"), row(order="W", weight="20")]
    result = parse(classic(*warmups, row(order="1")))
    assert len(sets_of(result)) == 3 and result.duplicates_collapsed == 0
    only_warmups = parse(classic(*warmups))
    assert len(sets_of(only_warmups)) == 2 and only_warmups.duplicates_collapsed == 0


def test_partial_repeat_is_not_collapsed() -> None:
    rows = _workout_rows()
    result = parse(classic(*rows, *rows[:2]))
    assert len(sets_of(result)) == 5 and result.duplicates_collapsed == 0


# --------------------------------------------------------------------------- more layouts


def test_translated_strong6_header_needs_units_from_the_caller() -> None:
    header = ";".join(f"列{i}" for i in range(13))
    record = '"7";"2024-01-01 10:00:00";"Tag";"1800";"Squat";"WARM_UP";"60";"5";"";"";"";"";""'
    data = classic(record, header=header)
    assert sniff_strong(data)
    error = format_error(data, weight_unit=None)
    assert error.code == "unit_required" and "列6 (Weight)" in error.message
    [workout] = parse(data, weight_unit="kg").workouts
    assert (workout.ended_at - workout.started_at).total_seconds() == 1800
    assert workout.sets[0].set_type == "warmup" and workout.sets[0].weight_kg == 60.0


def test_translated_unit_column_header() -> None:
    header = ";".join(f"c{i}" for i in range(13))
    data = classic("2024-01-01 10:00:00;A;Bench;1;100;lbs;5;;;;0;;", header=header)
    [s] = sets_of(parse(data, weight_unit=None))
    assert s.weight_unit == "lb" and math.isclose(s.weight_kg, 100 * LB_TO_KG)


def test_translated_header_with_text_where_weight_is_is_not_strong() -> None:
    data = classic(row(weight="heavy"), header=";".join(f"c{i}" for i in range(12))).replace(
        b",", b";"
    )
    assert format_error(data).code == "unsupported_format"


def test_unknown_unit_in_header_is_named() -> None:
    header = HEADER.replace("Weight,", "Weight (st),")
    error = format_error(classic(row(), header=header))
    assert error.code == "unsupported_format" and "'Weight (st)'" in error.message


def test_invalid_unit_arguments() -> None:
    bad: Any = "stone"
    assert format_error(classic(row()), weight_unit=bad).code == "invalid_unit"
    assert format_error(classic(row()), distance_unit=bad).code == "invalid_unit"


def test_unknown_set_label_with_unreadable_load_is_rejected() -> None:
    result = parse(classic(row(), row(order="X", weight="heavy")))
    assert [(e.line, e.column, e.code) for e in result.errors] == [
        (2, None, "workout_rejected"),
        (3, "Set Order", "invalid_set_type"),
    ]


def test_unterminated_quote_is_malformed() -> None:
    data = classic(row(), row(notes='"' + "x" * 200_000))
    error = format_error(data)
    assert error.code == "malformed" and "line 3" in error.message


def test_oversized_header_field_is_not_strong() -> None:
    data = ('"' + "x" * 200_000 + '"\n' + row() + "\n").encode()
    assert format_error(data).code == "unsupported_format"
    assert not sniff_strong(data[:65536])


def test_crlf_line_endings_keep_physical_lines() -> None:
    data = classic(row(notes='"a\r\nb"'), row(order="2")).replace(b"\n", b"\r\n")
    data = data.replace(b"\r\r\n", b"\r\n")
    first, second = sets_of(parse(data))
    assert (first.line, first.notes, second.line) == (2, "a\nb", 4)
