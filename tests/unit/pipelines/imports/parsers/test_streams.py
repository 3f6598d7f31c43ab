"""The shared cardio stream builder on a handful of points, expectations worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from pipelines.imports.parsers import streams
from pipelines.imports.parsers.base import SAMPLE_COLUMNS, ImportFormatError

T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
NOW = datetime(2024, 5, 2, tzinfo=UTC)
NAN = math.nan


def at(seconds: float) -> pd.Timestamp:
    return pd.Timestamp(T0) + pd.Timedelta(seconds=seconds)


def test_a_repeated_time_and_an_impossible_heart_rate() -> None:
    # 0 s hr 120; 0 s again hr 130 (the repeat is dropped, the first kept);
    # 2 s hr 300 (outside 1–250 bpm: the value goes, the point stays).
    records = [
        {"time": T0, "hr": 120},
        {"time": T0, "hr": 130},
        {"time": T0 + timedelta(seconds=2), "hr": 300},
    ]
    stream = streams.build_stream([records], now=NOW)

    assert list(stream.frame.columns) == list(SAMPLE_COLUMNS)
    assert str(stream.frame["time"].dtype) == "datetime64[ns, UTC]"
    assert stream.frame["time"].tolist() == [at(0), at(2)]
    assert stream.frame["hr"].tolist()[0] == 120.0
    assert math.isnan(stream.frame["hr"].tolist()[1])
    assert stream.frame.drop(columns=["time", "hr"]).isna().all().all()
    assert stream.timed.kept == 3 and stream.timed.dropped == 0
    assert stream.clean.merged == 0
    assert stream.clean.warnings == [
        "1 heart-rate value outside 1–250 bpm was removed",
        "1 point repeating the previous timestamp was dropped",
    ]


def test_merging_points_that_share_a_time() -> None:
    # FIT: one instant in two records (heart rate in one, position in the other) → one
    # point with both; the third record's 5 s is a new point.
    records = [
        {"time": T0, "hr": 120},
        {"time": T0, "lat": 51.0, "lon": 7.0, "hr": 999},
        {"time": T0 + timedelta(seconds=5), "hr": 125},
    ]
    stream = streams.build_stream([records], merge_same_time=True, now=NOW)

    assert stream.clean.merged == 1
    assert stream.frame["time"].tolist() == [at(0), at(5)]
    assert stream.frame["hr"].tolist() == [120.0, 125.0]  # the first value wins
    assert stream.frame["lat"].tolist()[0] == 51.0
    assert stream.frame["lon"].tolist()[0] == 7.0
    assert stream.clean.warnings == []


def test_times_are_kept_or_counted_by_reason() -> None:
    records: list[dict[str, Any]] = [
        {"time": None},  # untimed
        {"hr": 100},  # untimed: no key at all
        {"time": pd.NaT},  # untimed
        {"time": "garbage"},  # unreadable text
        {"time": 12_345},  # unreadable: FIT seconds since power-on
        {"time": datetime(1850, 1, 1, tzinfo=UTC)},  # too early
        {"time": "2999-01-01T00:00:00Z"},  # too late (past what nanoseconds can hold)
        {"time": NOW + timedelta(hours=25)},  # too late: more than 24 h after now
        {"time": datetime(2024, 5, 1, 6, 0, 1)},  # naive → UTC, kept
        {"time": "2024-05-01T08:00:03+02:00"},  # offset → 06:00:03 UTC, kept
        {"time": NOW + timedelta(hours=23)},  # within the day of slack, kept
    ]
    timed = streams.timed_points([records], now=NOW)

    assert (timed.untimed, timed.unreadable, timed.too_early, timed.too_late) == (3, 2, 1, 2)
    assert timed.dropped == 8 and timed.kept == 3 and timed.per_part == (3,)
    assert timed.first_too_late == NOW + timedelta(hours=25)
    assert timed.frame["time"].tolist() == [at(1), at(3), pd.Timestamp(NOW + timedelta(hours=23))]


def test_tuples_in_column_order_and_text_values() -> None:
    # A FIT-style tuple (time, lat, lon, ele_m, hr, …); a text heart rate is read by
    # sanitise, an unreadable one counted.
    row: tuple[Any, ...] = (T0, NAN, NAN, 10.0, "150", NAN, NAN, NAN, NAN, NAN)
    later: tuple[Any, ...] = (T0 + timedelta(seconds=1), NAN, NAN, 11.0, "abc", *[NAN] * 5)
    stream = streams.build_stream([[row, later]], now=NOW)

    assert stream.frame["ele_m"].tolist() == [10.0, 11.0]
    assert stream.frame["hr"].tolist()[0] == 150.0
    assert math.isnan(stream.frame["hr"].tolist()[1])
    assert stream.clean.warnings == ["1 non-numeric or infinite heart-rate value was removed"]


def test_parts_are_ordered_by_their_first_time() -> None:
    # GPX: the track recorded first comes first whatever its place in the file.
    later = [{"time": T0 + timedelta(hours=1)}, {"time": T0 + timedelta(hours=1, seconds=1)}]
    untimed = [{"time": None}]
    earlier = [{"time": T0}, {"time": T0 + timedelta(seconds=1)}]
    timed = streams.timed_points([later, untimed, earlier], now=NOW)

    assert timed.per_part == (2, 0, 2)
    assert timed.frame["time"].tolist() == [at(0), at(1), at(3600), at(3601)]
    assert timed.untimed == 1


def test_no_usable_time_gives_an_empty_stream() -> None:
    stream = streams.build_stream([[{"time": None}, {"time": "x"}]], now=NOW)

    assert stream.frame.shape == (0, 10)
    assert str(stream.frame["time"].dtype) == "datetime64[ns, UTC]"
    assert not streams.has_duration(stream.frame)
    with pytest.raises(ImportFormatError) as caught:
        streams.require_duration(stream.frame)
    assert caught.value.code == "no_times"
    assert "first: no time" in caught.value.message


@pytest.mark.parametrize(("seconds", "enough"), [(0.5, False), (1.0, True)])
def test_a_duration_is_at_least_a_second(seconds: float, enough: bool) -> None:
    frame = streams.build_stream(
        [[{"time": T0}, {"time": T0 + timedelta(seconds=seconds)}]], now=NOW
    ).frame
    assert streams.has_duration(frame) is enough


def test_cardio_workout_from_a_clean_stream() -> None:
    # Two points 60 s apart, 100 m apart by the device's distance counter.
    records = [
        {"time": T0, "distance_m": 0.0, "speed_mps": 2.0},
        {"time": T0 + timedelta(seconds=60), "distance_m": 100.0, "speed_mps": 2.0},
    ]
    frame = streams.build_stream([records], now=NOW).frame
    workout = streams.cardio_workout(
        frame,
        sport="run",
        sport_label="  " + "x" * 70,
        title="Run",
        zone=ZoneInfo("Europe/Berlin"),
        line=3,
        warnings=["w"],
    )

    assert workout.started_at == T0 and workout.ended_at == T0 + timedelta(seconds=60)
    assert workout.local_start == datetime(2024, 5, 1, 8, 0)  # CEST, UTC+2
    assert workout.time_zone == "Europe/Berlin" and workout.line == 3
    assert workout.cardio is not None
    assert workout.cardio.sport_label == "x" * 64
    assert workout.cardio.elapsed_s == 60.0
    assert workout.cardio.distance_m == 100.0
    assert workout.cardio.warnings == ["w"]


def test_cardio_workout_of_one_point_takes_the_device_totals() -> None:
    frame = streams.build_stream([[{"time": T0}]], now=NOW).frame
    workout = streams.cardio_workout(
        frame,
        sport="other",
        sport_label=None,
        title="Activity",
        zone=ZoneInfo("UTC"),
        line=1,
        warnings=[],
        device={"elapsed_s": 30.0, "distance_m": 5.0},
        started_at=T0,
        ended_at=T0 + timedelta(seconds=30),
    )

    assert workout.cardio is not None
    assert (workout.cardio.elapsed_s, workout.cardio.distance_m) == (30.0, 5.0)
    assert workout.cardio.sport_label is None
    assert np.isnan(workout.cardio.samples["hr"]).all()
