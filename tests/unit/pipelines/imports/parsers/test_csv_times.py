"""Times: local wall-clock starts in the athlete's zone (DST gaps and repeats), ends, durations."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from pipelines.imports.parsers.values import MI_TO_M, parse_duration
from tests.support.csv_rows import HEVY_CSV_HEADER, classic, hevy, hevy_row, read_strong, strong_row
from tests.support.exports import read_csv


def test_dst_gap_moves_forward() -> None:
    # 2024-03-10 02:30 does not exist in New York (02:00 EST → 03:00 EDT).
    [workout] = read_strong(
        classic(strong_row(date="2024-03-10 02:30:00", duration="30m")),
        time_zone="America/New_York",
    ).workouts
    assert workout.started_at == datetime(2024, 3, 10, 7, 30, tzinfo=UTC)
    assert workout.local_start == datetime(2024, 3, 10, 3, 30)
    assert workout.ended_at == datetime(2024, 3, 10, 8, 0, tzinfo=UTC)
    # Its identity keeps the time as written, so reading the file in a zone without
    # that gap (UTC) names the same workout and a re-import adds nothing.
    [same] = read_strong(classic(strong_row(date="2024-03-10 02:30:00", duration="30m"))).workouts
    assert workout.source_key == same.source_key == "2024-03-10T02:30:00|Push"


def test_ambiguous_time_takes_first_occurrence() -> None:
    # 2024-11-03 01:30 happens twice in New York; the first is EDT (UTC−4).
    [workout] = read_strong(
        classic(strong_row(date="2024-11-03 01:30:00")), time_zone="America/New_York"
    ).workouts
    assert workout.started_at == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    assert workout.local_start == datetime(2024, 11, 3, 1, 30)


def test_hevy_bom_miles_and_dst_gap() -> None:
    header = HEVY_CSV_HEADER.replace("weight_kg", "weight_lbs").replace(
        "distance_km", "distance_miles"
    )
    data = b"\xef\xbb\xbf" + hevy(
        hevy_row("10 Mar 2024, 02:30", exercise="Running", weight="", reps="", distance="2"),
        header=header,
    )
    workout = read_csv(data, "hevy", time_zone="America/New_York").workouts[0]
    # 02:30 does not exist that day in New York: read with EST, = 07:30Z = 03:30 EDT.
    assert workout.started_at == datetime(2024, 3, 10, 7, 30, tzinfo=UTC)
    assert workout.written_start == datetime(2024, 3, 10, 2, 30)
    assert math.isclose(workout.sets[0].distance_m or 0, 2 * MI_TO_M)


def test_an_end_before_the_start_is_left_out_and_said() -> None:
    row = hevy_row().replace('"15 Jan 2024, 08:30"', '"15 Jan 2024, 06:30"')  # end 1 h early
    result = read_csv(hevy(row), "hevy")
    assert result.workouts[0].ended_at is None
    assert any("not after their start" in warning for warning in result.warnings)


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
