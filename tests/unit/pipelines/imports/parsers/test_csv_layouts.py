"""Layouts: headers mapped by name or position, files refused for their header, new layouts.

A layout is only a table (``api.imports.layouts``); a header that no table fits is refused
naming what is missing or unknown, before any row is read.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, time
from typing import Any

import pytest

from api.imports import layouts
from api.imports.layouts import F, Layout
from pipelines.imports.parsers.values import LB_TO_KG
from tests.support.csv_rows import (
    FITNOTES_LB_HEADER,
    HEVY_CSV_HEADER,
    STRONG_HEADER,
    classic,
    hevy,
    hevy_row,
    read_strong,
    refused_strong,
    strong_row,
)
from tests.support.exports import csv_layout_of as sniff
from tests.support.exports import read_csv, refused_csv, sets_of


def test_unknown_layout_and_missing_columns() -> None:
    error = refused_csv(hevy(hevy_row()), "strava")
    assert error.code == "unsupported_format" and "hevy" in error.message
    header = HEVY_CSV_HEADER.replace('"exercise_title"', '"exercise"')
    error = refused_csv(hevy(hevy_row(), header=header), "hevy")
    assert error.code == "unsupported_format"
    assert "no column exercise_title" in error.message


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (HEVY_CSV_HEADER.replace('"rpe"', '"weight_lbs"'), "two columns for weight"),
        (FITNOTES_LB_HEADER.replace("(lbs)", "(stone)"), "unknown unit in column 'Weight (stone)'"),
    ],
)
def test_header_problems_are_named(header: str, problem: str) -> None:
    layout = "hevy" if header.startswith('"title"') else "fitnotes"
    error = refused_csv((header + "\n" + "x," * 13 + "x").encode(), layout)
    assert error.code == "unsupported_format" and problem in error.message


def test_header_only_and_bad_arguments() -> None:
    error = refused_csv(hevy(), "hevy")
    assert error.code == "no_rows"
    error = refused_csv(hevy(hevy_row()), "hevy", time_zone="Mars/Olympus")
    assert error.code == "invalid_time_zone"
    error = refused_csv(hevy(hevy_row()), "hevy", weight_unit="stone")
    assert error.code == "invalid_unit"


def test_not_a_strong_export_names_missing_columns() -> None:
    error = refused_strong(b"name,age\nbob,3\n")
    assert error.code == "unsupported_format"
    assert "Workout Name" in error.message and "Set Order" in error.message
    assert sniff(b"name,age\nbob,3\n") != "strong"
    hevy_like = b"title,start_time,end_time,exercise_title,set_index,weight_kg,reps\n"
    assert refused_strong(hevy_like).code == "unsupported_format"


def test_header_without_rows() -> None:
    assert refused_strong(classic()).code == "no_rows"
    assert refused_strong(classic("", "")).code == "no_rows"


def test_unknown_time_zone() -> None:
    assert (
        refused_strong(classic(strong_row()), time_zone="Mars/Olympus").code == "invalid_time_zone"
    )
    assert (
        refused_strong(classic(strong_row()), time_zone="../etc/passwd").code == "invalid_time_zone"
    )


def test_reordered_header_is_mapped_by_name() -> None:
    header = "Reps,Weight,Exercise Name,Set Order,Workout Name,Date"
    result = read_strong(classic("5,80,Squat,1,Legs,2024-05-01 08:00:00", header=header))
    [s] = sets_of(result)
    assert (s.exercise_name, s.weight_kg, s.reps) == ("Squat", 80.0, 5)
    assert result.workouts[0].title == "Legs" and result.workouts[0].ended_at is None


def test_translated_header_of_another_language() -> None:
    header = (
        "Datum;Trainingsname;Dauer;Übungsname;Satz;Gewicht;Wdh.;Distanz;Sekunden;"
        "Notizen;Trainingsnotizen;RPE"
    )
    good = strong_row(duration="1h 5m").replace(",", ";")
    bad = strong_row(date="2024-01-02 10:00:00", reps="8.5").replace(",", ";")
    data = classic(good, bad, header=header)
    assert sniff(data) == "strong"
    result = read_strong(data)
    assert len(sets_of(result)) == 1
    assert (result.workouts[0].ended_at - result.workouts[0].started_at).total_seconds() == 3900
    row_error = next(e for e in result.errors if e.line == 3 and e.code != "workout_rejected")
    assert (row_error.column, row_error.code) == ("Wdh. (Reps)", "not_integer")


def test_translated_header_with_text_where_weight_is_is_not_strong() -> None:
    data = classic(strong_row(weight="heavy"), header=";".join(f"c{i}" for i in range(12))).replace(
        b",", b";"
    )
    assert refused_strong(data).code == "unsupported_format"


def test_unknown_unit_in_header_is_named() -> None:
    header = STRONG_HEADER.replace("Weight,", "Weight (st),")
    error = refused_strong(classic(strong_row(), header=header))
    assert error.code == "unsupported_format" and "'Weight (st)'" in error.message


def test_invalid_unit_arguments() -> None:
    bad: Any = "stone"
    assert refused_strong(classic(strong_row()), weight_unit=bad).code == "invalid_unit"
    assert refused_strong(classic(strong_row()), distance_unit=bad).code == "invalid_unit"


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
    result = read_csv(data, LIFTLOG, time_zone="UTC")
    assert result.format == "liftlog" and result.rows == 3 and len(result.workouts) == 2
    first, second = result.workouts
    assert first.local_start == datetime(2024, 5, 1, 18, 15) and first.title == "Workout"
    assert [s.set_type for s in first.sets] == ["warmup", "working"]
    assert math.isclose(first.sets[0].weight_kg or 0, 135.5 * LB_TO_KG)
    assert second.local_start == datetime(2024, 5, 2, 9, 0)
    assert sniff(data) is None
    monkeypatch.setitem(layouts.LAYOUTS, "liftlog", LIFTLOG)
    assert sniff(data) == "liftlog"
    assert read_csv(data, "liftlog").workouts[1].sets[0].weight_unit == "lb"
    # A variant is a copy of a table with a field changed.
    strict = replace(LIFTLOG, set_types={"x": "working"})
    assert read_csv(data, strict).errors[0].code == "invalid_set_type"


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
