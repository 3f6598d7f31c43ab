"""Values no export can hold: the row is named with its column and code, its workout refused.

A workout is stored whole or not at all; another date is another workout.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from pipelines.imports.parsers.base import MAX_ERRORS
from tests.support.csv_rows import (
    FITNOTES_LB_HEADER,
    classic,
    fitnotes,
    gymbook,
    gymbook_row,
    hevy,
    hevy_row,
    read_strong,
    strong_row,
)
from tests.support.exports import csv_layout_of as sniff
from tests.support.exports import read_csv, sets_of

GYMBOOK_SET_KIND = "Set / Set di riscaldamento / Set di defaticamento"
# layout: (a file with the bad row in one workout, reading options, the bad row's line,
#          the workout's first line and rows, its title)
AROUND: dict[str, tuple[Callable[[dict[str, str]], bytes], dict[str, Any], int, int, int, str]] = {
    "strong": (
        lambda c: classic(strong_row(), strong_row(**{"order": "2", **c}), strong_row(order="3")),
        {"weight_unit": "kg", "distance_unit": "m"},
        3,
        2,
        3,
        "Push",
    ),
    "hevy": (
        lambda c: hevy(hevy_row(index="0"), hevy_row(**{"index": "1", **c})),
        {},
        3,
        2,
        2,
        "Push",
    ),
    "gymbook": (lambda c: gymbook(gymbook_row(**c)), {}, 2, 2, 1, "Giorno 1"),
}


@pytest.mark.parametrize(
    ("layout", "change", "column", "code"),
    [
        ("strong", {"weight": "NaN"}, "Weight", "not_finite"),
        ("strong", {"weight": "inf"}, "Weight", "not_finite"),
        ("strong", {"weight": "1e999"}, "Weight", "not_finite"),
        ("strong", {"weight": "-5"}, "Weight", "out_of_range"),
        ("strong", {"weight": "1001"}, "Weight", "out_of_range"),
        ("strong", {"weight": "heavy"}, "Weight", "invalid_number"),
        ("strong", {"reps": "8.5"}, "Reps", "not_integer"),
        ("strong", {"reps": "-1"}, "Reps", "out_of_range"),
        ("strong", {"reps": "1001"}, "Reps", "out_of_range"),
        ("strong", {"reps": "nan"}, "Reps", "not_finite"),
        ("strong", {"rpe": "7.3"}, "RPE", "out_of_range"),
        ("strong", {"rpe": "0"}, "RPE", "out_of_range"),
        ("strong", {"rpe": "10.5"}, "RPE", "out_of_range"),
        ("strong", {"exercise": "  "}, "Exercise Name", "missing_value"),
        ("strong", {"seconds": "-1"}, "Seconds", "out_of_range"),
        ("strong", {"seconds": "86401"}, "Seconds", "out_of_range"),
        ("strong", {"distance": "-3"}, "Distance", "out_of_range"),
        ("strong", {"distance": "1000001"}, "Distance", "out_of_range"),
        ("strong", {"order": "X", "weight": "50"}, "Set Order", "invalid_set_type"),
        ("hevy", {"weight": "-20"}, "weight_kg", "out_of_range"),
        ("hevy", {"reps": "8.5"}, "reps", "not_integer"),
        ("hevy", {"weight": "NaN"}, "weight_kg", "not_finite"),
        ("hevy", {"rpe": "11"}, "rpe", "out_of_range"),
        ("hevy", {"set_type": "superset"}, "set_type", "invalid_set_type"),
        ("hevy", {"exercise": " "}, "exercise_title", "missing_value"),
        ("hevy", {"seconds": "-1"}, "duration_seconds", "out_of_range"),
        ("hevy", {"rpe": "hard"}, "rpe", "invalid_number"),
        ("gymbook", {"clock": "7.30 pm"}, "Orario", "invalid_time"),
        ("gymbook", {"skipped": "Forse"}, "Saltato", "invalid_value"),
        ("gymbook", {"load": "40,00 stone"}, "Peso / Distanza", "invalid_unit"),
        ("gymbook", {"load": "1.040,00 kg"}, "Peso / Distanza", "invalid_number"),
        # two cells give reps: the error names the second, the message both
        ("gymbook", {"load": "5 ripetizioni"}, "Ripetizioni / Tempo", "conflicting_values"),
        ("gymbook", {"amount": "8,5 ripetizioni"}, "Ripetizioni / Tempo", "not_integer"),
        ("gymbook", {"kind": "Superserie"}, GYMBOOK_SET_KIND, "invalid_set_type"),
    ],
)
def test_a_bad_cell_is_named_and_refuses_its_workout_whole(
    layout: str, change: dict[str, str], column: str, code: str
) -> None:
    written, options, line, first, rows, title = AROUND[layout]
    result = read_csv(written(change), layout, **options)
    # In file order; on one line the row's own error comes before its workout's.
    expected = [(first, None, "workout_rejected"), (line, column, code)]
    expected.sort(key=lambda e: (e[0], e[2] == "workout_rejected"))
    assert [(e.line, e.column, e.code) for e in result.errors] == expected
    row_error = next(e for e in result.errors if e.code == code)
    workout_error = next(e for e in result.errors if e.code == "workout_rejected")
    assert row_error.message and f"'{title}'" in workout_error.message
    # The workout is stored whole or not at all.
    assert result.workouts == [] and result.rows_rejected == rows and result.errors_total == 2


@pytest.mark.parametrize("date", ["2024-13-01 10:00:00", "01/02/2024"])
def test_a_bad_date_refuses_only_its_row(date: str) -> None:
    data = classic(strong_row(), strong_row(order="2", date=date), strong_row(order="3"))
    result = read_strong(data, distance_unit="m")
    row_error = next(e for e in result.errors if e.line == 3)
    assert (row_error.column, row_error.code) == ("Date", "invalid_date")
    assert row_error.message
    # Another date is another workout: only that one is refused.
    assert [s.line for s in sets_of(result)] == [2, 4]
    assert result.errors_total == 1 and result.rows_rejected == 1


def test_unknown_set_label_with_unreadable_load_is_rejected() -> None:
    result = read_strong(classic(strong_row(), strong_row(order="X", weight="heavy")))
    assert [(e.line, e.column, e.code) for e in result.errors] == [
        (2, None, "workout_rejected"),
        (3, "Set Order", "invalid_set_type"),
    ]


def test_valid_edges_are_accepted() -> None:
    data = classic(
        strong_row(rpe="9.5", reps="8.0", weight="1000"),
        strong_row(order="2", rpe="1", seconds="86400", distance="1000000"),
    )
    a, b = sets_of(read_strong(data, distance_unit="m"))
    assert (a.rpe, a.reps, a.weight_kg) == (9.5, 8, 1000.0)
    assert (b.rpe, b.duration_s, b.distance_m, b.distance_unit) == (1.0, 86400.0, 1_000_000.0, "m")


def test_errors_are_capped_but_counted() -> None:
    bad = [strong_row(order=str(i), reps="8.5") for i in range(MAX_ERRORS + 5)]
    result = read_strong(classic(strong_row(order="0"), *bad))
    # Every row error plus one for their workout, which is refused whole.
    assert result.errors_total == MAX_ERRORS + 6 and len(result.errors) == MAX_ERRORS
    assert result.errors[0].line == 2 and result.errors[0].code == "workout_rejected"
    assert result.errors[1].line == 3 and result.errors[-1].line == MAX_ERRORS + 1
    assert sets_of(result) == [] and result.rows_rejected == MAX_ERRORS + 6


def test_hevy_decimal_comma_file_is_read_and_a_mixed_row_rejected() -> None:
    # A file that writes decimal commas is read with them (an EU phone's export)…
    result = read_csv(
        hevy(hevy_row(weight='"82,5"'), hevy_row(weight='"80,25"', index="1")), "hevy"
    )
    assert [s.weight_kg for s in sets_of(result)] == [82.5, 80.25] and result.errors == []
    # …and in a file that writes decimal points, one comma row is rejected, not misread.
    result = read_csv(
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


def test_fitnotes_bad_time_and_semicolons() -> None:
    data = fitnotes("2024-01-15;Plank;Abs;;;;;0:61:00", header=FITNOTES_LB_HEADER.replace(",", ";"))
    assert sniff(data) == "fitnotes"
    row_error = read_csv(data, "fitnotes").errors[0]
    assert (row_error.column, row_error.code) == ("Time", "invalid_duration")
    # a bare number in Time has no unit (the header gives none): not guessed as seconds
    row_error = read_csv(fitnotes("2024-01-15,Plank,Abs,,,,,30"), "fitnotes").errors[0]
    assert (row_error.column, row_error.code) == ("Time", "invalid_duration")


def test_text_with_control_characters_is_refused_and_invisible_ends_dropped() -> None:
    header = "Date,Exercise,Category,Weight (kgs),Reps\n"
    data = (
        header + "2024-05-01,Squat\x07 (Barbell),Legs,100.0,5\n"
        "2024-05-02,Squat (Barbell)\u200b,Legs,100.0,5\n"
    ).encode()
    result = read_csv(data, "fitnotes")
    bad = next(e for e in result.errors if e.code == "invalid_text")
    assert (bad.line, bad.column) == (2, "Exercise") and "U+0007" in bad.message
    assert [s.exercise_name for s in sets_of(result)] == ["Squat (Barbell)"]


def test_dates_out_of_range_are_refused() -> None:
    data = classic(
        strong_row(date="0001-01-01 00:00:00"),
        strong_row(date="9999-12-31 23:59:59"),
        strong_row(date="2090-01-01 10:00:00"),
        strong_row(date="1899-12-31 23:00:00"),
        strong_row(date="1900-01-02 00:00:00"),
    )
    result = read_strong(data)
    assert [s.line for s in sets_of(result)] == [6]
    assert [(e.line, e.column, e.code) for e in result.errors] == [
        (n, "Date", "out_of_range") for n in (2, 3, 4, 5)
    ]


def test_dates_before_1900_or_in_the_future() -> None:
    result = read_csv(hevy(hevy_row("1 Jan 1899, 10:00"), hevy_row("1 Jan 2999, 10:00")), "hevy")
    assert [e.code for e in result.errors] == ["out_of_range", "out_of_range"]
    assert result.workouts == [] and result.rows_rejected == 2


def test_hevy_wrong_date_format_rejects_workout() -> None:
    result = read_csv(hevy(hevy_row("2024-01-15 07:30"), hevy_row(title="Pull")), "hevy")
    errors = [e for e in result.errors if e.code == "invalid_date"]
    assert [e.line for e in errors] == [2]
    assert errors[0].column == "start_time"
    assert "'2024-01-15 07:30'" in errors[0].message and "such as '15 Jan 2024" in errors[0].message
    assert [w.title for w in result.workouts] == ["Pull"] and result.rows_rejected == 1


@pytest.mark.parametrize("start", ["15 Foo 2024, 07:30", "31 Feb 2024, 07:30", "15 Jan 20244"])
def test_hevy_impossible_dates(start: str) -> None:
    result = read_csv(hevy(hevy_row(start)), "hevy")
    assert result.workouts == [] and result.errors[0].code == "invalid_date"


def test_gymbook_two_digit_years_and_wrong_date() -> None:
    result = read_csv(gymbook(gymbook_row("05/05/69"), gymbook_row("2025-01-09")), "gymbook")
    assert result.workouts[0].local_start.date() == datetime(1969, 5, 5).date()
    row_error = next(e for e in result.errors if e.code == "invalid_date")
    assert row_error.column == "Data" and "'05/05/69'" in row_error.message
