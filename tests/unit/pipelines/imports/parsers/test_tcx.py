"""TCX: the real files against the device's Lap totals, and activities written here.

Figures are compared with the device's ``Lap`` totals and trackpoint values read here with
ElementTree. Each tolerance is explained where it is used.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipelines.imports.parsers.tcx import parse_tcx
from tests.support.track_files import (
    TCX_DIR,
    refused,
    summary,
    tcx_activity,
    tcx_file,
    tcx_point,
    trapezoid_hr,
    utc,
)


def lap_totals(path: Path) -> dict[str, Any]:
    """The device's Lap figures and the trackpoint values, read here with ElementTree."""
    root = ET.parse(path).getroot()
    ns = root.tag[: root.tag.index("}") + 1]
    laps = list(root.iter(f"{ns}Lap"))
    seconds = [float(lap.findtext(f"{ns}TotalTimeSeconds") or "") for lap in laps]
    averages = [lap.findtext(f"{ns}AverageHeartRateBpm/{ns}Value") for lap in laps]
    points = list(root.iter(f"{ns}Trackpoint"))
    hr = [
        (utc(p.findtext(f"{ns}Time") or "").timestamp(), float(v))
        for p in points
        if (v := p.findtext(f"{ns}HeartRateBpm/{ns}Value")) is not None
    ]
    return {
        "timer_s": sum(seconds),
        "distance_m": sum(float(lap.findtext(f"{ns}DistanceMeters") or "") for lap in laps),
        "avg_hr": (
            sum(float(a) * s for a, s in zip(averages, seconds, strict=True)) / sum(seconds)
            if all(averages)
            else None
        ),
        "max_hr": max(
            (float(v) for lap in laps if (v := lap.findtext(f"{ns}MaximumHeartRateBpm/{ns}Value"))),
            default=None,
        ),
        "points": len(points),
        "span_s": (
            utc(points[-1].findtext(f"{ns}Time") or "") - utc(points[0].findtext(f"{ns}Time") or "")
        ).total_seconds(),
        "hr": hr,
        "watts": [
            float(e.text or "")
            for e in root.iter("{http://www.garmin.com/xmlschemas/ActivityExtension/v2}Watts")
        ],
    }


TCX_FILES = {
    # file: (sport, label, title)
    "forerunner410-run-3laps-hr.tcx": ("run", "Running", "Run"),
    "vivoactive-sup-sport-other.tcx": ("other", "Other", "Activity"),
    "edge520-ride-power.tcx": ("ride", "Biking", "Ride"),
}


@pytest.mark.parametrize("name", sorted(TCX_FILES))
def test_real_tcx_against_the_lap_totals(name: str) -> None:
    expected = lap_totals(TCX_DIR / name)
    result = parse_tcx((TCX_DIR / name).read_bytes(), time_zone="UTC")
    assert result.rows == expected["points"] and result.errors == []
    (workout,) = result.workouts
    assert workout.cardio is not None
    sport, label, title = TCX_FILES[name]
    assert (workout.cardio.sport, workout.cardio.sport_label, workout.title) == (
        sport,
        label,
        title,
    )
    ours = summary(workout)
    assert ours["points"] == expected["points"]  # no point needed sanitising
    assert workout.cardio.warnings == []
    # The device's own totals are carried over as read.
    device = workout.cardio.device
    assert device["timer_s"] == pytest.approx(expected["timer_s"])
    assert device["distance_m"] == pytest.approx(expected["distance_m"])
    assert device.get("avg_hr") == pytest.approx(expected["avg_hr"])
    assert device.get("max_hr") == expected["max_hr"]
    # Elapsed is the trackpoints' span; the laps' timer time equals it within a second
    # (no pause in these files; the Forerunner's laps end 0.78 s after its last point).
    assert ours["elapsed_s"] == expected["span_s"]
    assert ours["elapsed_s"] == pytest.approx(expected["timer_s"], abs=1.0)
    # Distance: the last trackpoint's cumulative DistanceMeters against the laps' sum.
    # Equal for two files; the Forerunner writes its last point 2.9 m (0.06 %) before
    # closing the lap → 0.1 %.
    assert ours["distance_m"] == pytest.approx(expected["distance_m"], rel=1e-3)
    # Heart rate: exactly the time-weighted trackpoint values computed here; within 1 bpm
    # of the laps' averages, which the device takes over every second it measured, not
    # only the smart-recorded points (0.2 bpm on the Forerunner, 0.1 on the vívoactive).
    if expected["hr"]:
        assert ours["avg_hr"] == pytest.approx(trapezoid_hr(expected["hr"]), rel=1e-12)
        assert ours["avg_hr"] == pytest.approx(expected["avg_hr"], abs=1.0)
        assert ours["max_hr"] == max(h for _, h in expected["hr"]) <= expected["max_hr"]
    else:
        assert ours["avg_hr"] is None and expected["avg_hr"] is None


@pytest.mark.parametrize(
    "name", ["forerunner410-run-3laps-hr.tcx", "vivoactive-sup-sport-other.tcx"]
)
def test_real_tcx_without_stops_moves_most_of_the_time(name: str) -> None:
    # No pause in these two: moving time is the timer time less a few slow or standing
    # moments (6 s of 1,993 on the run, 39 s of 1,112 paddling) → within 5 %.
    expected = lap_totals(TCX_DIR / name)
    ours = summary(parse_tcx((TCX_DIR / name).read_bytes(), time_zone="UTC").workouts[0])
    assert 0.95 * expected["timer_s"] <= ours["moving_s"] <= ours["elapsed_s"]


def test_edge520_stationary_gap_is_not_moving_time() -> None:
    path = TCX_DIR / "edge520-ride-power.tcx"
    workout = parse_tcx(path.read_bytes(), time_zone="America/Vancouver").workouts[0]
    ours = summary(workout)
    assert ours["elapsed_s"] == 4352.0  # = the lap's TotalTimeSeconds
    # 00:26:57 → 01:33:31 is 3,994 s without a point: at most 4,352 − 3,994 = 358 s move.
    assert ours["moving_s"] <= 4352 - 3994
    # The device's moving figure, DistanceMeters / AvgSpeed = 1,691.68 / 5.427 = 311.7 s,
    # uses its own unpublished stopped threshold; ours (1 m/s) counts 33 s more of slow
    # rolling → within 15 %.
    assert ours["moving_s"] == pytest.approx(1691.68 / 5.427, rel=0.15)
    assert ours["distance_m"] == pytest.approx(1691.68, abs=0.01)
    # Power: 1 s recording, so the time-weighted mean is the plain mean of the Watts,
    # zeros included (coasting). The lap's AvgWatts 178 is the device's zero-excluded
    # average: the mean of the non-zero Watts is 177.5.
    watts = np.array(lap_totals(path)["watts"])
    assert ours["avg_power_w"] == pytest.approx(watts.mean(), abs=1.0)
    assert watts[watts > 0].mean() == pytest.approx(workout.cardio.device["avg_power_w"], abs=1.0)
    assert workout.local_start == datetime(2020, 3, 5, 16, 23, 46)  # PST, the day before


def test_tcx_notes_identity_and_the_point_without_position() -> None:
    workout = parse_tcx(
        (TCX_DIR / "forerunner410-run-3laps-hr.tcx").read_bytes(), time_zone="UTC"
    ).workouts[0]
    assert workout.notes == "Aerobics"
    assert workout.source_id == "tcx:3854007508:2012-12-26T21:29:53Z"
    assert workout.line == 4  # <Activity Sport="Running">
    samples = workout.cardio.samples  # type: ignore[union-attr]
    assert int(samples["lat"].isna().sum()) == 1 and int(samples["hr"].isna().sum()) == 1


def test_tcx_bad_values_are_sanitised_not_errors() -> None:
    points = [
        tcx_point(0),
        tcx_point(10, hr="300", watts="abc"),
        tcx_point(None),
        tcx_point(20, hr="-1", watts="NaN"),
        tcx_point(30),
    ]
    result = parse_tcx(tcx_file(tcx_activity("Biking", points)), time_zone="UTC")
    assert result.rows == 5 and result.errors == []
    (workout,) = result.workouts
    assert workout.cardio is not None
    assert workout.cardio.warnings == [
        "1 trackpoint without a time was not imported",
        "2 heart-rate values outside 1–250 bpm were removed",
        "2 non-numeric or infinite power values were removed",  # "abc" and the text "NaN"
    ]
    assert workout.cardio.device == {"timer_s": 30.0, "distance_m": 90.0, "avg_power_w": 210.0}
    assert summary(workout)["distance_m"] == 90.0 and summary(workout)["max_hr"] == 140.0


def test_tcx_a_time_past_what_nanoseconds_hold_is_a_point_dated_ahead() -> None:
    # Year 2999 is past pandas' nanosecond range (2262): counted, not a crash.
    far = tcx_point(20).replace("2024-05-01T06:00:20Z", "2999-01-01T00:00:00Z")
    data = tcx_file(tcx_activity("Running", [tcx_point(0), far, tcx_point(30)]))
    (workout,) = parse_tcx(data, time_zone="UTC").workouts
    assert workout.cardio is not None and len(workout.cardio.samples) == 2
    assert workout.cardio.warnings == [
        "1 trackpoint dated before 1900 or a day ahead was not imported"
    ]


def test_tcx_one_workout_per_activity_and_a_bad_one_reported() -> None:
    data = tcx_file(
        tcx_activity("Running", [tcx_point(0), tcx_point(10)]),
        tcx_activity("Biking", [tcx_point(20), tcx_point(30)]),
        tcx_activity("Other", [tcx_point(None)]),
    )
    result = parse_tcx(data, time_zone="UTC")
    assert [w.cardio.sport for w in result.workouts] == ["run", "ride"]  # type: ignore[union-attr]
    assert result.rows == 5 and result.rows_rejected == 1
    (error,) = result.errors
    assert error.code == "no_times" and error.message.startswith("activity 3:")
    assert error.line == data[: data.rindex(b"<Activity ")].count(b"\n") + 1
    assert refused(parse_tcx, tcx_file(tcx_activity("Other", [tcx_point(None)]))).code == "no_times"
    assert refused(parse_tcx, tcx_file(tcx_activity("Other", []))).code == "no_points"
    assert refused(parse_tcx, tcx_file()).code == "no_points"
