"""GPX and TCX parsers: every real file, checked against an independent computation.

GPX figures are compared with **gpxpy's own** ``length_2d``, ``get_moving_data``,
``get_uphill_downhill`` and ``get_duration`` over the file's timed points, and with
heart rate read here from the file's extension elements. TCX figures are compared with
the device's ``Lap`` totals and trackpoint values read here with ElementTree. Each
tolerance is explained where it is used. Hostile inputs are generated in the tests.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import gpxpy
import gpxpy.gpx
import numpy as np
import pytest

from api.imports.formats import detect_format
from models.sessions.summary import summarise
from pipelines.imports.parsers.base import ImportFormatError, ParsedWorkout
from pipelines.imports.parsers.gpx import parse_gpx
from pipelines.imports.parsers.tcx import parse_tcx

REAL = Path(__file__).resolve().parents[5].parent / "shared" / "data" / "real"
GPX_DIR, TCX_DIR = REAL / "gpx", REAL / "tcx"
TPX = "{http://www.garmin.com/xmlschemas/TrackPointExtension/v1}hr"
# gpxpy measures on a sphere of the WGS-84 semi-major axis, we on the mean radius.
RADIUS_RATIO = 6_371_008.8 / 6_378_137.0


def only(data: bytes, time_zone: str = "UTC") -> ParsedWorkout:
    result = parse_gpx(data, time_zone=time_zone)
    assert len(result.workouts) == 1 and result.errors == []
    return result.workouts[0]


def summary(workout: ParsedWorkout) -> dict[str, Any]:
    assert workout.cardio is not None
    return summarise(workout.cardio.samples, sport=workout.cardio.sport)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def trapezoid_hr(points: list[tuple[float, float]]) -> float:
    """Time-weighted HR written out independently: repeated times dropped, gaps ≤ 120 s."""
    kept = [p for i, p in enumerate(points) if i == 0 or p[0] != points[i - 1][0]]
    weight = total = 0.0
    for (t0, h0), (t1, h1) in zip(kept, kept[1:], strict=False):
        if 0 < t1 - t0 <= 120:
            weight, total = weight + (t1 - t0), total + (t1 - t0) * (h0 + h1) / 2
    return total / weight


def hysteresis(elevations: list[float], band: float = 3.0) -> tuple[float, float]:
    gain = loss = 0.0
    level = elevations[0]
    for value in elevations[1:]:
        if value - level >= band:
            gain, level = gain + value - level, value
        elif level - value >= band:
            loss, level = loss + level - value, value
    return gain, loss


# ---------------------------------------------------------------- GPX, real files

IMPORTABLE_GPX = {
    # file: (rows, points kept, sport label, title)
    "garmin-connect-run-hr.gpx": (206, 205, None, "Untitled"),
    "strava-run-hr-full.gpx": (1118, 1118, None, "Greeting SF with a dumb, dumb route"),
    "gpsbabel-hike-4tracks-partial-times.gpx": (871, 513, "jkljkl", "ACTIVE LOG"),
}


@pytest.mark.parametrize("name", sorted(IMPORTABLE_GPX))
def test_real_gpx_against_gpxpy(name: str) -> None:
    data = (GPX_DIR / name).read_bytes()
    rows, points, label, title = IMPORTABLE_GPX[name]
    result = parse_gpx(data, time_zone="Europe/Ljubljana")
    assert result.rows == rows and result.errors == [] and len(result.workouts) == 1
    workout = result.workouts[0]
    assert workout.cardio is not None and workout.cardio.samples is not None
    ours = summary(workout)
    assert ours["points"] == points
    assert (workout.title, workout.cardio.sport, workout.cardio.sport_label) == (
        title,
        "other",  # none of the three has a recognisable <type>
        label,
    )

    gpx = gpxpy.parse(data.decode("utf-8"))
    timed = [p for t in gpx.tracks for s in t.segments for p in s.points if p.time]
    reference = gpxpy.gpx.GPXTrackSegment(timed)
    assert workout.started_at == timed[0].time and workout.ended_at == timed[-1].time
    local = timed[0].time.astimezone(ZoneInfo("Europe/Ljubljana")).replace(tzinfo=None)
    assert workout.local_start == local
    # Elapsed: both are last time − first time.
    assert ours["elapsed_s"] == reference.get_duration()
    # Distance: gpxpy uses R = 6,378,137 m, we 6,371,008.8 m (−0.112 %); rescaled, what
    # is left is gpxpy's flat-earth formula for short steps against our haversine (a few
    # metres per step: < 1e-6 relative). The dropped repeated point moved 0 m. → 0.01 %.
    assert ours["distance_m"] == pytest.approx(reference.length_2d() * RADIUS_RATIO, rel=1e-4)
    # Moving time: these files have no sport, so our threshold is gpxpy's own 1 km/h.
    # gpxpy uses 3D distance, ignores zero-distance intervals and has no 120 s gap cap;
    # on these files none of that changes a second, but allow 1 % for it.
    assert ours["moving_s"] == pytest.approx(reference.get_moving_data().moving_time, rel=0.01)
    # Climbing: exactly a 3 m hysteresis over the file's own <ele> values, written here …
    elevations = [p.elevation for p in timed if p.elevation is not None]
    gain, loss = hysteresis(elevations)
    assert (ours["elev_gain_m"], ours["elev_loss_m"]) == (pytest.approx(gain), pytest.approx(loss))
    # … and within 15 % below gpxpy, whose 0.3/0.4/0.3 three-point average keeps the
    # sub-3 m wiggles the band removes (on these files gpxpy is 3–7 % higher).
    up, down = reference.get_uphill_downhill()
    assert 0.85 * up <= ours["elev_gain_m"] <= up
    assert 0.85 * down <= ours["elev_loss_m"] <= down


@pytest.mark.parametrize("name", ["garmin-connect-run-hr.gpx", "strava-run-hr-full.gpx"])
def test_real_gpx_heart_rate_from_the_extension_values(name: str) -> None:
    root = ET.parse(GPX_DIR / name).getroot()
    gpx_ns = root.tag[: root.tag.index("}") + 1]
    raw = [
        (utc(p.findtext(f"{gpx_ns}time") or "").timestamp(), float(p.findtext(f".//{TPX}") or ""))
        for p in root.iter(f"{gpx_ns}trkpt")
    ]
    ours = summary(only((GPX_DIR / name).read_bytes()))
    assert ours["avg_hr"] == pytest.approx(trapezoid_hr(raw), rel=1e-12)
    assert ours["max_hr"] == max(h for _, h in raw)
    # The plain mean of the points differs by how unevenly they are spaced: at 1 s
    # (Strava) by 0.01 bpm, with smart recording (Garmin, 3–106 s) by 1.8 bpm.
    assert ours["avg_hr"] == pytest.approx(np.mean([h for _, h in raw]), abs=2.0)
    assert ours["avg_power_w"] is None and ours["avg_cadence"] is None


def test_gpx_duplicate_timestamp_is_dropped_with_a_warning() -> None:
    workout = only((GPX_DIR / "garmin-connect-run-hr.gpx").read_bytes())
    assert workout.cardio is not None
    assert workout.cardio.warnings == ["1 point repeating the previous timestamp was dropped"]
    assert workout.cardio.samples["time"].is_unique


def test_gpx_partial_times_imports_the_timed_tracks() -> None:
    workout = only((GPX_DIR / "gpsbabel-hike-4tracks-partial-times.gpx").read_bytes())
    assert workout.cardio is not None
    assert workout.cardio.warnings == [
        "358 of the 871 points have no readable time and were not imported"
    ]
    assert workout.started_at == datetime(2010, 10, 3, 9, 36, 30, tzinfo=UTC)
    assert workout.ended_at == datetime(2010, 10, 3, 13, 19, 31, tzinfo=UTC)


def test_gpx_every_point_at_1901_has_no_duration() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_gpx((GPX_DIR / "gpsbabel-hike-1901-timestamps.gpx").read_bytes(), time_zone="UTC")
    assert caught.value.code == "no_times"
    assert "1901-12-13" in caught.value.message and "no duration" in caught.value.message


def test_gpx_with_five_timed_points_of_296_is_refused() -> None:
    # Decision: importing 57 s and 54 m of a 4.6 km hike would misstate it.
    with pytest.raises(ImportFormatError) as caught:
        parse_gpx((GPX_DIR / "gpsbabel-hike-no-timestamps.gpx").read_bytes(), time_zone="UTC")
    assert caught.value.code == "no_times"
    assert "only 5 of the 296 points" in caught.value.message


def test_gpx_local_day_comes_from_the_request_zone() -> None:
    # 2012-10-24T23:29:40Z is 19:29:40 in New York and already the 25th in Ljubljana.
    data = (GPX_DIR / "garmin-connect-run-hr.gpx").read_bytes()
    assert only(data, time_zone="America/New_York").local_start == datetime(
        2012, 10, 24, 19, 29, 40
    )
    workout = only(data, time_zone="Europe/Ljubljana")
    assert workout.local_start == datetime(2012, 10, 25, 1, 29, 40)
    assert workout.time_zone == "Europe/Ljubljana" and workout.started_at.tzinfo is not None


# ---------------------------------------------------------------- TCX, real files


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


def test_detector_on_real_files() -> None:
    for path in sorted(GPX_DIR.glob("*.gpx")):
        assert detect_format(path.read_bytes()[:65536]) == "gpx"
    for path in sorted(TCX_DIR.glob("*.tcx")):
        assert detect_format(path.read_bytes()[:65536]) == "tcx"
    for path in sorted((REAL / "strong").glob("*.csv")):
        assert detect_format(path.read_bytes()[:65536]) == "strong"


# ---------------------------------------------------------------- generated, hostile

GPX_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"\n'
    ' xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
)


def trkpt(second: int | None, lat: Any = 45.0, lon: Any = 14.0, **extra: Any) -> str:
    """A trackpoint ``second`` s after 2024-05-01T06:00:00Z (None: without a time)."""
    time = (
        ""
        if second is None
        else f"<time>2024-05-01T06:{second // 60:02d}:{second % 60:02d}Z</time>"
    )
    ele = f"<ele>{extra['ele']}</ele>" if "ele" in extra else ""
    hr = (
        f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{extra['hr']}</gpxtpx:hr>"
        "</gpxtpx:TrackPointExtension></extensions>"
        if "hr" in extra
        else ""
    )
    return f'<trkpt lat="{lat}" lon="{lon}">{ele}{time}{hr}</trkpt>\n'


def gpx_file(points: list[str], *, kind: str | None = None, name: str = "Test") -> bytes:
    type_ = f"<type>{kind}</type>" if kind else ""
    body = f"<trk><name>{name}</name>{type_}<trkseg>\n{''.join(points)}</trkseg></trk>"
    return (GPX_HEAD + body + "</gpx>\n").encode()


def running(n: int = 5) -> list[str]:
    """n points 10 s apart moving 0.0003° (33 m) north each: 3.3 m/s."""
    return [trkpt(10 * i, lat=45 + 0.0003 * i, hr=140 + i) for i in range(n)]


def refused(parse: Any, data: bytes) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        parse(data, time_zone="UTC")
    return caught.value


XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<gpx version="1.1"><trk><name>&xxe;</name></trk></gpx>'
)
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{"&lol{};".format(i - 1 if i > 1 else "") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]>\n<TrainingCenterDatabase>&lol9;</TrainingCenterDatabase>"
)


@pytest.mark.parametrize("parse", [parse_gpx, parse_tcx])
@pytest.mark.parametrize(
    ("data", "offset"),
    [(XXE, 22), (LAUGHS, 22), (XXE.decode().encode("utf-16"), 2 + 2 * 22)],  # BOM, 2 B/char
)
def test_dtd_and_entities_are_refused_before_parsing(parse: Any, data: bytes, offset: int) -> None:
    error = refused(parse, data)
    assert error.code == "unsafe_xml"
    assert f"<!DOCTYPE declaration at byte offset {offset}" in error.message


def test_nesting_deeper_than_any_activity_file_is_refused() -> None:
    deep = b"<a>" * 10_000 + b"</a>" * 10_000
    data = gpx_file(running(2)).replace(
        b"</trkseg>", b"<extensions>" + deep + b"</extensions></trkseg>"
    )
    for parse in (parse_gpx, parse_tcx):
        error = refused(parse, data)
        assert error.code == "malformed" and "nested more than 64 deep" in error.message


def test_an_entity_without_doctype_is_refused() -> None:
    error = refused(parse_gpx, b'<gpx version="1.1"><!ENTITY x "y"></gpx>')
    assert error.code == "unsafe_xml" and "<!ENTITY declaration at byte offset 19" in error.message


@pytest.mark.parametrize(("parse", "name"), [(parse_gpx, "gpx"), (parse_tcx, "tcx")])
def test_truncated_xml_names_where(parse: Any, name: str) -> None:
    path = next((GPX_DIR if name == "gpx" else TCX_DIR).glob(f"*.{name}"))
    error = refused(parse, path.read_bytes()[:5000])
    assert error.code == "malformed"
    assert "line " in error.message and "byte offset 5,000 of 5,000" in error.message
    assert "cut off" in error.message


def test_mismatched_tag_names_line_and_offset() -> None:
    data = gpx_file(running(2)).replace(b"</trkseg>", b"</trkseq>")
    error = refused(parse_gpx, data)
    assert error.code == "malformed" and "mismatched tag at line 7" in error.message
    assert f"byte offset {data.index(b'</trkseq>') + 2:,}" in error.message


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


def test_wrong_root_empty_file_and_bad_zone() -> None:
    assert refused(parse_gpx, b"<kml><Document/></kml>").code == "unsupported_format"
    assert refused(parse_tcx, gpx_file(running())).code == "unsupported_format"
    assert refused(parse_gpx, b"  \n").code == "empty_file"
    with pytest.raises(ImportFormatError) as caught:
        parse_gpx(gpx_file(running()), time_zone="Mars/Olympus")
    assert caught.value.code == "invalid_time_zone"


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


TCX_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase '
    'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
    'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2"><Activities>\n'
)


def tcx_point(second: int | None, hr: str = "140", watts: str = "200") -> str:
    time = "" if second is None else f"<Time>2024-05-01T06:00:{second:02d}Z</Time>"
    return (
        f"<Trackpoint>{time}<DistanceMeters>{3.0 * (second or 0)}</DistanceMeters>"
        f"<HeartRateBpm><Value>{hr}</Value></HeartRateBpm><Extensions><ns3:TPX>"
        f"<ns3:Watts>{watts}</ns3:Watts></ns3:TPX></Extensions></Trackpoint>\n"
    )


def tcx_activity(sport: str, points: list[str]) -> str:
    return (
        f'<Activity Sport="{sport}">\n<Id>2024-05-01T06:00:00Z</Id>\n'
        '<Lap StartTime="2024-05-01T06:00:00Z"><TotalTimeSeconds>30</TotalTimeSeconds>'
        "<DistanceMeters>90</DistanceMeters><Extensions><ns3:LX><ns3:AvgWatts>210</ns3:AvgWatts>"
        f"</ns3:LX></Extensions><Track>\n{''.join(points)}</Track></Lap>\n</Activity>\n"
    )


def tcx_file(*activities: str) -> bytes:
    return (TCX_HEAD + "".join(activities) + "</Activities></TrainingCenterDatabase>").encode()


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


def test_progress_is_reported_up_to_one() -> None:
    seen: list[float] = []
    parse_gpx(gpx_file(running()), time_zone="UTC", on_progress=seen.append)
    parse_tcx(
        tcx_file(tcx_activity("Running", [tcx_point(0), tcx_point(9)])),
        time_zone="UTC",
        on_progress=seen.append,
    )
    assert seen == [0.3, 0.6, 1.0, 1.0]  # GPX: XML read, gpxpy read, done; TCX: 1 activity


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
