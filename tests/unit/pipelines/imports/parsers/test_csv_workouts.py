"""Rows into workouts: grouping, titles and notes, set types, repeats, and rows cut short."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support import csv_rows
from tests.support.csv_rows import classic, read_strong, strong_row
from tests.support.exports import read_csv, sets_of


def test_workout_grouping_notes_and_titles() -> None:
    data = classic(
        strong_row(name=" Push ", notes="felt\\ngood"),
        strong_row(name=" Push ", order="2", workout_notes="Tuesday"),
        strong_row(name="Pull", date="2024-01-02 10:00:00", duration="garbage"),
    )
    push, pull = read_strong(data).workouts
    assert push.title == "Push" and push.notes == "Tuesday" and push.line == 2
    assert push.sets[0].notes == "felt\ngood"
    assert pull.line == 4 and pull.ended_at is None


def test_set_types_and_rest_timers() -> None:
    data = classic(
        strong_row(order="W", weight="40"),
        strong_row(order="WARM_UP", weight="60"),
        strong_row(order="D"),
        strong_row(order="DROP_SET"),
        strong_row(order="F"),
        strong_row(order="FAILURE"),
        strong_row(order="Rest Timer", weight="0", reps="0.0", seconds="120.0"),
        strong_row(order="休息计时器", weight="0", reps="0", seconds="90"),  # translated rest timer
        strong_row(order=""),
    )
    result = read_strong(data)
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


def test_gymbook_cool_down_skipped_and_time_range() -> None:
    data = csv_rows.gymbook(
        csv_rows.gymbook_row(
            clock="19:40", kind="Set di defaticamento", amount="5 minuti", load="0,80 km"
        ),
        csv_rows.gymbook_row(clock="19:20", kind="Set di riscaldamento", load="20,00 kg"),
        csv_rows.gymbook_row(clock="19:05", skipped="Si", load="nonsense"),
        csv_rows.gymbook_row(clock="19:30"),
    )
    result = read_csv(data, "gymbook", time_zone="Europe/Rome")
    (workout,) = result.workouts
    cool, warm, working = workout.sets
    assert (cool.set_type, cool.notes) == ("warmup", "cool-down set")
    assert (cool.duration_s, cool.distance_m) == (300.0, 800.0)
    assert (warm.set_type, warm.weight_kg, working.set_type) == ("warmup", 20.0, "working")
    # 19:20 is the earliest set that was done (the skipped one at 19:05 is not read)
    assert workout.local_start == datetime(2025, 1, 9, 19, 20)
    assert workout.ended_at == datetime(2025, 1, 9, 18, 40, tzinfo=UTC)
    assert result.rows == 4 and result.errors == []


def test_short_row_is_malformed_and_lines_are_physical() -> None:
    data = classic(
        strong_row(notes='"two\nlines"'),
        "2024-01-01 10:00:00,Push,1h,Bench",
        strong_row(order="2"),
        strong_row(date="2024-01-02 10:00:00", notes='"three\nphysical\nlines"'),
        "2024-01-03 10:00:00",
        strong_row(date="2024-01-04 10:00:00"),
    )
    result = read_strong(data)
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


def test_hevy_short_row_taints_its_workout() -> None:
    short = '"Push","15 Jan 2024, 07:30","15 Jan 2024, 08:30"'  # a file cut off mid-row
    result = read_csv(
        csv_rows.hevy(csv_rows.hevy_row(), short, csv_rows.hevy_row(title="Pull")), "hevy"
    )
    assert [(e.line, e.code) for e in result.errors] == [
        (2, "workout_rejected"),
        (3, "malformed_row"),
    ]
    assert "14" in result.errors[1].message and "3 fields" in result.errors[1].message
    assert [w.title for w in result.workouts] == ["Pull"]
    assert result.rows == 3 and result.rows_rejected == 2
    # a record too short to name its workout is rejected on its own
    result = read_csv(csv_rows.hevy(csv_rows.hevy_row(), '"Push"'), "hevy")
    assert [(e.line, e.code) for e in result.errors] == [(3, "malformed_row")]
    assert len(result.workouts) == 1 and result.rows_rejected == 1


# --------------------------------------------------------------------------- repeats


def _workout_rows(date: str = "2024-01-01 10:00:00") -> list[str]:
    return [
        strong_row(date=date, order="W", weight="40"),
        strong_row(date=date, order="1"),
        strong_row(date=date, order="2", reps="4"),
    ]


@pytest.mark.parametrize("copies", [2, 3])
def test_whole_workout_repeats_collapse(copies: int) -> None:
    rows = _workout_rows() * copies + _workout_rows("2024-01-02 10:00:00")
    result = read_strong(classic(*rows))
    assert result.rows == 3 * copies + 3
    assert result.duplicates_collapsed == copies - 1
    first, second = result.workouts
    assert [s.line for s in first.sets] == [2, 3, 4]
    assert len(second.sets) == 3


def test_hevy_whole_workout_written_twice_is_collapsed() -> None:
    rows = [csv_rows.hevy_row(index="0"), csv_rows.hevy_row(index="1", reps="4")]
    result = read_csv(csv_rows.hevy(*rows, *rows), "hevy")
    assert result.duplicates_collapsed == 1
    assert [s.line for s in sets_of(result)] == [2, 3]


def test_identical_warmup_rows_are_real_sets() -> None:
    warmups = [strong_row(order="W", weight="20"), strong_row(order="W", weight="20")]
    result = read_strong(classic(*warmups, strong_row(order="1")))
    assert len(sets_of(result)) == 3 and result.duplicates_collapsed == 0
    only_warmups = read_strong(classic(*warmups))
    assert len(sets_of(only_warmups)) == 2 and only_warmups.duplicates_collapsed == 0


def test_partial_repeat_is_not_collapsed() -> None:
    rows = _workout_rows()
    result = read_strong(classic(*rows, *rows[:2]))
    assert len(sets_of(result)) == 5 and result.duplicates_collapsed == 0


def test_fitnotes_identical_days_are_not_collapsed() -> None:
    row = "2024-01-15,Pushups,Chest,0.0,20,,,"
    result = read_csv(csv_rows.fitnotes(row, row, row, row), "fitnotes")
    assert result.duplicates_collapsed == 0 and len(sets_of(result)) == 4
