"""Rows split by an unquoted delimiter in a text field, for every layout: recovered when
one reading remains, else rejected with their line and the reason."""

from __future__ import annotations

import pytest

from api.imports.layouts import LAYOUTS
from pipelines.imports.parsers.base import ParseResult
from pipelines.imports.parsers.csv_export import parse_csv

# One header and one row per layout, as each app writes them; {title}, {exercise} and
# {notes} are filled in unquoted, other cells are fixed and valid.
FILES = {
    "strong": (
        "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,"
        "Notes,Workout Notes,RPE",
        "2024-05-0{day} 18:00:00,{title},1h 5m,{exercise},1,100,5,0,0,{notes},{wnotes},8",
    ),
    "hevy": (
        "title,start_time,end_time,description,exercise_title,superset_id,exercise_notes,"
        "set_index,set_type,weight_kg,reps,distance_km,duration_seconds,rpe",
        '{title},"{day} May 2024, 18:00","{day} May 2024, 19:00",,{exercise},,{notes},0,'
        "normal,100,5,,,",
    ),
    "fitnotes": (
        "Date,Exercise,Category,Weight (kgs),Reps,Distance,Distance Unit,Time,Comment",
        "2024-05-0{day},{exercise},Shoulders,10.0,12,,,,{notes}",
    ),
    "gymbook": (
        "Data,Programma,Orario,Esercizio,Zona,Set / Set di riscaldamento / Set di "
        "defaticamento,Ripetizioni / Tempo,Peso / Distanza,Appunti,Saltato",
        '0{day}/05/24,{title},18:00,{exercise},Spalle,Set,12 ripetizioni,"10,00 kg",{notes},No',
    ),
}
COMMA_NAME = "Lateral Raise (Single Arm, Cable)"


def _file(layout: str, rows: list[dict[str, str]]) -> bytes:
    header, template = FILES[layout]
    lines = [template.format(**{"title": "Day", "notes": "", "wnotes": "", **row}) for row in rows]
    return "\n".join([header, *lines, ""]).encode()


def _parse(layout: str, data: bytes) -> ParseResult:
    return parse_csv(data, layout=layout, time_zone="UTC", weight_unit="kg", distance_unit="km")


def test_every_layout_is_covered() -> None:
    assert set(FILES) == set(LAYOUTS)


@pytest.mark.parametrize("layout", sorted(FILES))
def test_an_exercise_name_with_commas_is_recovered(layout: str) -> None:
    rows = [
        {"day": "1", "exercise": COMMA_NAME},
        {"day": "1", "exercise": "Press (Dumbbell, Seated, Neutral)"},
        {"day": "2", "exercise": "Squat (Barbell)"},
    ]
    result = _parse(layout, _file(layout, rows))
    names = [s.exercise_name for w in result.workouts for s in w.sets]
    assert names == [COMMA_NAME, "Press (Dumbbell, Seated, Neutral)", "Squat (Barbell)"]
    assert result.errors == [] and result.rows_rejected == 0
    assert any("2 rows had an unquoted ','" in warning for warning in result.warnings)


@pytest.mark.parametrize("layout", ["strong", "hevy", "gymbook"])
def test_a_title_with_a_comma_is_recovered(layout: str) -> None:
    rows = [{"day": "1", "exercise": "Squat (Barbell)", "title": "Legs, heavy"}]
    result = _parse(layout, _file(layout, rows))
    assert [w.title for w in result.workouts] == ["Legs, heavy"] and result.errors == []


@pytest.mark.parametrize("layout", ["strong", "hevy", "fitnotes", "gymbook"])
def test_notes_before_a_typed_column_or_at_the_end_are_recovered(layout: str) -> None:
    # Strong's Notes are followed by Workout Notes, text too: " easy" as a workout note
    # would start with the space an app never writes at the start of a value.
    rows = [{"day": "1", "exercise": "Squat (Barbell)", "notes": "felt good, easy"}]
    result = _parse(layout, _file(layout, rows))
    assert [s.notes for w in result.workouts for s in w.sets] == ["felt good, easy"]


def test_two_readings_reject_the_row_with_its_line_and_why() -> None:
    # Strong's Notes and Workout Notes are side by side, both text: "felt good,easy"
    # then "tired" could be notes "felt good,easy" and a workout note "tired", or notes
    # "felt good" and a workout note "easy,tired".
    rows = [
        {"day": "1", "exercise": "Squat (Barbell)", "notes": "felt good,easy", "wnotes": "tired"},
        {"day": "1", "exercise": "Bench Press (Barbell)"},
        {"day": "2", "exercise": "Squat (Barbell)"},
    ]
    result = _parse("strong", _file("strong", rows))
    malformed = [e for e in result.errors if e.code == "malformed_row"]
    assert [e.line for e in malformed] == [2]
    assert "'Notes' or 'Workout Notes'" in malformed[0].message, malformed
    assert "13 fields, the header 12" in malformed[0].message
    # Its workout (day 1, with the good row on line 3) is not stored without it.
    assert [(e.line, e.code) for e in result.errors] == [
        (2, "malformed_row"),
        (3, "workout_rejected"),
    ]
    assert [w.local_start.day for w in result.workouts] == [2] and result.rows_rejected == 2


def test_no_reading_rejects_the_row() -> None:
    # An extra field among the numbers: whichever text column takes it back, a number
    # column would hold "abc".
    header, _ = FILES["fitnotes"]
    data = f"{header}\n2024-05-01,Squat,Legs,10.0,abc,12,,,,\n2024-05-02,Squat,Legs,10.0,12,,,,\n"
    result = _parse("fitnotes", data.encode())
    assert [(e.line, e.code) for e in result.errors][:1] == [(2, "malformed_row")]
    assert "no text column can hold" in result.errors[0].message
    assert len(result.workouts) == 1


def test_unbalanced_brackets_are_not_a_name() -> None:
    # "Raise (Single Arm" + "Cable)" could split at the Category column too, were it
    # not for the brackets: only the reading with whole names is left.
    header, _ = FILES["fitnotes"]
    data = f"{header}\n2024-05-01,Raise (Single Arm, Cable),Shoulders,10.0,12,,,,\n"
    result = _parse("fitnotes", data.encode())
    assert [s.exercise_name for w in result.workouts for s in w.sets] == [
        "Raise (Single Arm, Cable)"
    ]


def test_trailing_delimiters_are_read_as_such_and_said() -> None:
    header, _ = FILES["hevy"]
    row = '"A","3 Mar 2025, 19:05","3 Mar 2025, 20:05","","Squat (Barbell)",,"",0,"normal",100,5,,,'
    result = _parse("hevy", f"{header}\n{row},,,\n".encode())
    (parsed,) = [s for w in result.workouts for s in w.sets]
    assert (parsed.weight_kg, parsed.reps, parsed.notes) == (100.0, 5, None)
    assert any("a trailing ','" in warning for warning in result.warnings)


def test_unquoted_decimal_commas_are_not_a_name() -> None:
    # A comma-separated Strong file whose weights and RPE carry unquoted decimal commas:
    # "Bench Press (Barbell),1,40" would read, but a name is not followed by bare numbers.
    header, _ = FILES["strong"]
    row = '2025-01-13 07:05:00,"Push",1h 1m,"Bench Press (Barbell)",1,40,0,5,0,0,"","",8,5'
    result = _parse("strong", f"{header}\n{row}\n".encode())
    assert result.workouts == [] and result.errors[0].code == "malformed_row"
    assert "no text column can hold" in result.errors[0].message
