"""GPX written here: points out of order, unreadable or impossible values, missing times.

What cannot be a real measurement is dropped and counted in a warning, never an error.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from pipelines.imports.parsers.gpx import parse_gpx
from tests.support.track_files import GPX_HEAD, gpx_file, only, refused, running, summary, trkpt


def test_gpx_backwards_duplicate_and_jump_are_sanitised() -> None:
    points = running(6)
    points.insert(3, trkpt(5, lat=45.0001, hr=150))  # time goes back to 5 s
    points.insert(5, trkpt(30, lat=45.0009, hr=151))  # repeats the 30 s timestamp
    points.append(trkpt(51, lat=46.0, hr=152))  # 111 km in 1 s
    points.append(trkpt(60, lat=45.0018, hr=153))
    workout = only(gpx_file(points, kind="running"))
    assert workout.cardio is not None
    assert workout.cardio.sport == "run" and workout.cardio.sport_label == "running"
    assert workout.cardio.warnings == [
        "1 point repeating the previous timestamp was dropped",
        "1 point whose time goes backwards was dropped",
        "1 point after a GPS jump at an impossible speed (over 100 m/s) was dropped",
    ]
    assert summary(workout)["points"] == 7 and summary(workout)["elapsed_s"] == 60.0


def test_gpx_unreadable_and_impossible_values_are_dropped_with_warnings() -> None:
    points = [
        trkpt(0, ele="100", hr="140"),
        trkpt(10, ele="", hr="nan"),
        trkpt(20, ele="abc", hr="-5"),
        trkpt(30, lat="x", ele="NaN", hr="300"),
        trkpt(40, ele="inf", hr="fast"),
        trkpt(50, ele="101", hr="150"),
    ]
    workout = only(gpx_file(points))
    assert workout.cardio is not None
    assert workout.cardio.warnings == [
        "1 unreadable elevation value was removed",  # "abc"; the empty one is just absent
        "the unreadable position of 1 point was removed",
        "1 non-numeric or infinite elevation value was removed",  # "inf"
        "2 non-numeric or infinite heart-rate values were removed",  # "nan", "fast"
        "2 heart-rate values outside 1–250 bpm were removed",
    ]
    samples = workout.cardio.samples
    assert samples["hr"].tolist()[0] == 140.0 and samples["hr"].notna().sum() == 2
    assert samples["lat"].isna().sum() == 1 and len(samples) == 6


def test_gpx_partly_timed_imports_when_most_points_have_a_time() -> None:
    # Decision: at least half the points timed → import them, counting the others.
    points = [*running(3), trkpt(None)]
    workout = only(gpx_file(points))
    assert workout.cardio is not None
    assert workout.cardio.warnings == [
        "1 of the 4 points has no readable time and was not imported"
    ]
    assert summary(workout)["points"] == 3
    # Fewer than half timed → no_times.
    points = [*running(2), trkpt(None), trkpt(None), trkpt(None)]
    assert refused(parse_gpx, gpx_file(points)).code == "no_times"
    # Unreadable or impossible times count as untimed.
    bad = [trkpt(0), trkpt(10).replace("2024-05-01T06:00:10Z", "yesterday")]
    assert refused(parse_gpx, gpx_file(bad)).code == "no_times"
    future = trkpt(10).replace("2024", "2999")
    assert refused(parse_gpx, gpx_file([trkpt(0), future])).code == "no_times"


@pytest.mark.parametrize(
    "data",
    [
        gpx_file([]),
        (GPX_HEAD + "<trk><name>x</name></trk><wpt lat='1' lon='2'/></gpx>").encode(),
        (GPX_HEAD + "</gpx>").encode(),
    ],
)
def test_gpx_without_points(data: bytes) -> None:
    assert refused(parse_gpx, data).code == "no_points"


def test_gpx10_speed_and_a_timed_route() -> None:
    data = (
        b'<gpx version="1.0" xmlns="http://www.topografix.com/GPX/1/0"><trk><trkseg>'
        b'<trkpt lat="45" lon="14"><time>2024-05-01T06:00:00Z</time><speed>5</speed></trkpt>'
        b'<trkpt lat="45.0005" lon="14"><time>2024-05-01T08:00:10+02:00</time>'
        b"<speed>5.5</speed></trkpt></trkseg></trk></gpx>"
    )
    workout = only(data)
    assert workout.cardio is not None
    assert workout.cardio.samples["speed_mps"].tolist() == [5.0, 5.5]
    assert workout.ended_at == datetime(2024, 5, 1, 6, 0, 10, tzinfo=UTC)  # offset converted
    route = (
        GPX_HEAD + "<rte><name>Loop</name><type>Biking</type>"
        '<rtept lat="45" lon="14"><time>2024-05-01T06:00:00Z</time>'
        "<extensions><power>250</power></extensions></rtept>"
        '<rtept lat="45.0005" lon="14"><time>2024-05-01T06:00:10Z</time></rtept></rte></gpx>'
    ).encode()
    workout = only(route)
    assert workout.cardio is not None
    assert (workout.title, workout.cardio.sport, workout.cardio.sport_label) == (
        "Loop",
        "ride",
        "Biking",
    )
    assert workout.cardio.samples["power_w"].tolist()[0] == 250.0


def test_large_generated_gpx_is_read_whole() -> None:
    # 20,000 points, one second apart: no per-point quadratic work, nothing dropped.
    points = [trkpt(0)] + [
        f'<trkpt lat="{45 + i * 1e-5:.6f}" lon="14"><time>2024-05-01T'
        f"{6 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z</time></trkpt>\n"
        for i in range(1, 20_000)
    ]
    workout = only(gpx_file(points))
    assert summary(workout)["points"] == 20_000
    assert summary(workout)["distance_m"] == pytest.approx(
        19_999 * 1e-5 * math.pi / 180 * 6_371_008.8
    )
