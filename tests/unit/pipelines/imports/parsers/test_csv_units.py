"""Units: from the header, from a unit column on each row, inside the cells, or from the caller.

A file whose weights or distances have no unit anywhere is refused asking for one
(``unit_required``), unless every value is zero or empty.
"""

from __future__ import annotations

import math

from pipelines.imports.parsers.numbers import NumberStyle
from pipelines.imports.parsers.values import LB_TO_KG, MI_TO_M, split_quantity, unit_kind
from tests.support.csv_rows import (
    classic,
    fitnotes,
    gymbook,
    gymbook_row,
    read_strong,
    refused_strong,
    strong_row,
)
from tests.support.exports import csv_layout_of as sniff
from tests.support.exports import read_csv, refused_csv, sets_of


def test_fitnotes_weight_unit_required_only_for_non_zero_weights() -> None:
    header = "Date,Exercise,Category,Weight,Reps"
    # bodyweight 0.0 needs no unit
    assert (
        len(
            sets_of(
                read_csv(fitnotes("2024-01-15,Pushups,Chest,0.0,20", header=header), "fitnotes")
            )
        )
        == 1
    )
    data = fitnotes(
        "2024-01-15,Pushups,Chest,0.0,20", "2024-01-15,Curl,Biceps,25.0,12", header=header
    )
    error = refused_csv(data, "fitnotes")
    assert error.code == "unit_required"
    assert "'Weight'" in error.message and "line 3" in error.message
    assert "weight_unit=kg|lb" in error.message
    curl = sets_of(read_csv(data, "fitnotes", weight_unit="kg"))[1]
    assert (curl.weight_kg, curl.weight_unit) == (25.0, "kg")


def test_fitnotes_per_row_units_win() -> None:
    header = "Date,Exercise,Category,Weight,Weight Unit,Reps,Distance,Distance Unit,Time,Comment"
    data = fitnotes(
        "2024-01-15,Curl,Biceps,20.0,kgs,12,,,,",
        "2024-01-15,Curl,Biceps,45.0,lbs,10,,,,easy",
        "2024-01-15,Run,Cardio,,,,5.0,km,0:25:00,",
        header=header,
    )
    curl_kg, curl_lb, run = sets_of(
        read_csv(data, "fitnotes", weight_unit="lb", distance_unit="mi")
    )
    assert (curl_kg.weight_kg, curl_kg.weight_unit) == (20.0, "kg")
    assert math.isclose(curl_lb.weight_kg or 0, 45 * LB_TO_KG) and curl_lb.notes == "easy"
    assert (run.distance_m, run.distance_unit, run.duration_s) == (5000.0, "km", 1500.0)


def test_fitnotes_weight_unit_as_distance_unit_with_a_distance_is_an_error() -> None:
    result = read_csv(fitnotes("2024-01-15,Side Plank,Abs,,,1.5,kg,0:01:00"), "fitnotes")
    row_error = result.errors[0]
    assert (row_error.line, row_error.column) == (2, "Distance Unit")
    assert row_error.code == "invalid_unit"
    assert result.workouts == [] and result.warnings == []


def test_gymbook_bare_load_needs_a_unit() -> None:
    error = refused_csv(gymbook(gymbook_row(load="40")), "gymbook")
    assert error.code == "unit_required" and "'Peso / Distanza'" in error.message


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
    error = refused_strong(data, weight_unit=None)
    assert error.code == "unit_required" and "line 6" in error.message
    result = read_strong(data, weight_unit="lb")
    kg, lb, run, fallback = sets_of(result)
    assert (kg.weight_kg, kg.weight_unit) == (100.0, "kg")
    assert lb.weight_unit == "lb" and math.isclose(lb.weight_kg, 45.359237)
    assert run.weight_kg is None and run.distance_m == 3 * MI_TO_M and run.distance_unit == "mi"
    assert fallback.weight_unit == "lb"
    error_row = next(e for e in result.errors if e.line == 5 and e.code != "workout_rejected")
    assert (error_row.column, error_row.code) == ("Weight Unit", "invalid_unit")


def test_all_zero_weights_need_no_unit() -> None:
    result = read_strong(
        classic(strong_row(weight="0"), strong_row(order="2", weight="")), weight_unit=None
    )
    assert [s.weight_kg for s in sets_of(result)] == [0.0, None]


def test_strong6_header_units() -> None:
    header = (
        '"Workout #";"Date";"Workout Name";"Duration (sec)";"Exercise Name";"Set Order";'
        '"Weight (lbs)";"Reps";"RPE";"Distance (km)";"Seconds";"Notes";"Workout Notes"'
    )
    rows = ['"1";"2024-01-01 10:00:00";"Run";"600";"Bench";"1";"100";"5";"";"2.5";"";"";""']
    result = read_csv(
        classic(*rows, header=header), time_zone="UTC", weight_unit=None, distance_unit=None
    )
    [s] = sets_of(result)
    assert s.weight_unit == "lb" and math.isclose(s.weight_kg, 100 * LB_TO_KG)
    assert s.distance_unit == "km" and s.distance_m == 2500.0
    assert (result.workouts[0].ended_at - result.workouts[0].started_at).total_seconds() == 600


def test_translated_strong6_header_needs_units_from_the_caller() -> None:
    header = ";".join(f"列{i}" for i in range(13))
    record = '"7";"2024-01-01 10:00:00";"Tag";"1800";"Squat";"WARM_UP";"60";"5";"";"";"";"";""'
    data = classic(record, header=header)
    assert sniff(data) == "strong"
    error = refused_strong(data, weight_unit=None)
    assert error.code == "unit_required" and "列6 (Weight)" in error.message
    [workout] = read_strong(data, weight_unit="kg").workouts
    assert (workout.ended_at - workout.started_at).total_seconds() == 1800
    assert workout.sets[0].set_type == "warmup" and workout.sets[0].weight_kg == 60.0


def test_translated_unit_column_header() -> None:
    header = ";".join(f"c{i}" for i in range(13))
    data = classic("2024-01-01 10:00:00;A;Bench;1;100;lbs;5;;;;0;;", header=header)
    [s] = sets_of(read_strong(data, weight_unit=None))
    assert s.weight_unit == "lb" and math.isclose(s.weight_kg, 100 * LB_TO_KG)


def test_value_helpers() -> None:
    comma, point = NumberStyle(","), NumberStyle(".")
    assert split_quantity("40,00 kg", comma) == (40.0, "kg")
    assert split_quantity("20 ripetizioni", comma) == (20.0, "ripetizioni")
    assert split_quantity("40kg", point) == (40.0, "kg")
    assert split_quantity("12", point) == (12.0, None)
    assert split_quantity("", point) == (None, None)
    assert unit_kind("min") == ("duration", None, 60.0) and unit_kind("m") == ("distance", "m", 1.0)
    assert unit_kind("lbs") == ("weight", "lb", 1.0) and unit_kind("reps") == ("reps", None, 1.0)
    assert unit_kind("stone") == ("", None, 0.0)
