"""GPX, the real files: checked against gpxpy's own figures and the files' own values.

Figures are compared with **gpxpy's own** ``length_2d``, ``get_moving_data``,
``get_uphill_downhill`` and ``get_duration`` over the file's timed points, and with heart
rate read here from the file's extension elements. Each tolerance is explained where used.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import gpxpy
import gpxpy.gpx
import numpy as np
import pytest

from pipelines.imports.parsers.base import ImportFormatError
from pipelines.imports.parsers.gpx import parse_gpx
from tests.support.track_files import GPX_DIR, only, summary, trapezoid_hr, utc

TPX = "{http://www.garmin.com/xmlschemas/TrackPointExtension/v1}hr"


# gpxpy measures on a sphere of the WGS-84 semi-major axis, we on the mean radius.
RADIUS_RATIO = 6_371_008.8 / 6_378_137.0


def hysteresis(elevations: list[float], band: float = 3.0) -> tuple[float, float]:
    gain = loss = 0.0
    level = elevations[0]
    for value in elevations[1:]:
        if value - level >= band:
            gain, level = gain + value - level, value
        elif level - value >= band:
            loss, level = loss + level - value, value
    return gain, loss


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
