"""The five real Strong exports (classic, translated, semicolon, Strong 6, large), read whole.

Expected numbers were counted from the files themselves with grep/awk/python-csv
one-liners (quoted next to each figure), never from parser output.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

from pipelines.imports.parsers.base import ParseResult
from pipelines.imports.parsers.values import MI_TO_M
from tests.support.csv_rows import CLEAN, as_written, refused_strong, tally
from tests.support.exports import LARGE, SWEDISH, read_csv, sets_of


def test_swedish_kg_file() -> None:
    result = read_csv(
        SWEDISH.read_bytes(), time_zone="Europe/Stockholm", weight_unit="kg", distance_unit=None
    )
    sets = sets_of(result)
    # awk 'NR>1' | wc -l → 507;  awk -F, 'NR>1{print $1"|"$2}' | sort -u | wc -l → 62
    assert tally(result) == {"rows": 507, "workouts": 62, "sets": 507, **CLEAN}
    assert result.format == "strong" and result.errors == []
    first = result.workouts[0]
    # line 2: 2022-07-28 20:14:20,"Ben",7m,"Squat (Barbell)",1,110.0,6,0,0,"","",
    assert first.line == 2 and first.title == "Ben"
    assert first.local_start == datetime(2022, 7, 28, 20, 14, 20)
    assert first.started_at == datetime(2022, 7, 28, 18, 14, 20, tzinfo=UTC)  # CEST = UTC+2
    assert first.ended_at == first.started_at + timedelta(minutes=7)
    assert first.time_zone == "Europe/Stockholm"
    s = first.sets[0]
    assert as_written(s) == (2, "Squat (Barbell)", "working", 110.0, "kg", 6)
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
    error = refused_strong(SWEDISH.read_bytes(), weight_unit=None)
    assert error.code == "unit_required"
    assert "'Weight'" in error.message and "weight_unit=kg|lb" in error.message
    assert "unit_system" in error.message and "line 2" in error.message


def test_zh_localized_header_is_mapped_by_position(zh: ParseResult) -> None:
    # 6,778 rows; 384 distinct (date, name); 433 rows are exact duplicates
    # (awk 'NR>1' | sort | uniq -c | awk '$1>1{s+=$1-1} END{print s}'), all of them
    # second copies of 29 whole workouts → 6,778 − 433 = 6,345 sets.
    assert tally(zh) == {"rows": 6778, "workouts": 384, "sets": 6345, **CLEAN, "collapsed": 29}
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
    counts = {"rows": 5402, "workouts": 291, "sets": 5355}
    assert tally(semicolon) == {**counts, "rejected": 18, "errors": 2, "collapsed": 2}
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
    assert tally(strong6) == {"rows": 8004, "workouts": 574, "sets": 8004, **CLEAN}
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
    assert tally(large) == {"rows": 23709, "workouts": 1163, "sets": 22888, **CLEAN}
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
    error = refused_strong(LARGE.read_bytes(), weight_unit="lb", distance_unit=None)
    assert error.code == "unit_required"
    assert "'Distance'" in error.message and "line 150" in error.message
    assert "distance_unit=m|km|mi" in error.message
