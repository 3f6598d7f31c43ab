"""GPX and TCX for the XML readers' tests: the real files' folders and files written here.

:func:`trkpt`/:func:`gpx_file` and :func:`tcx_point`/:func:`tcx_activity`/:func:`tcx_file`
write small activities whose expected values are the ones written; :func:`trapezoid_hr`
is the time-weighted heart rate computed independently of ``models.sessions.summary``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from models.sessions.summary import summarise
from pipelines.imports.parsers.base import ImportFormatError, ParsedWorkout
from pipelines.imports.parsers.gpx import parse_gpx
from tests.conftest import REAL_DATA

GPX_DIR, TCX_DIR = REAL_DATA / "gpx", REAL_DATA / "tcx"


def only(data: bytes, time_zone: str = "UTC") -> ParsedWorkout:
    """The one workout ``data`` reads as, as GPX (fails the test on any error or other count)."""
    result = parse_gpx(data, time_zone=time_zone)
    assert len(result.workouts) == 1 and result.errors == []
    return result.workouts[0]


def summary(workout: ParsedWorkout) -> dict[str, Any]:
    """The workout's stored summary, as ``summarise`` computes it from its samples."""
    assert workout.cardio is not None
    return summarise(workout.cardio.samples, sport=workout.cardio.sport)


def utc(text: str) -> datetime:
    """An ISO time as GPX/TCX write it (``Z`` or an offset), in UTC."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def trapezoid_hr(points: list[tuple[float, float]]) -> float:
    """Time-weighted HR written out independently: repeated times dropped, gaps ≤ 120 s."""
    kept = [p for i, p in enumerate(points) if i == 0 or p[0] != points[i - 1][0]]
    weight = total = 0.0
    for (t0, h0), (t1, h1) in zip(kept, kept[1:], strict=False):
        if 0 < t1 - t0 <= 120:
            weight, total = weight + (t1 - t0), total + (t1 - t0) * (h0 + h1) / 2
    return total / weight


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
    """A GPX 1.1 file of one track, one segment of ``points`` (``kind``: its ``<type>``)."""
    type_ = f"<type>{kind}</type>" if kind else ""
    body = f"<trk><name>{name}</name>{type_}<trkseg>\n{''.join(points)}</trkseg></trk>"
    return (GPX_HEAD + body + "</gpx>\n").encode()


def running(n: int = 5) -> list[str]:
    """n points 10 s apart moving 0.0003° (33 m) north each: 3.3 m/s."""
    return [trkpt(10 * i, lat=45 + 0.0003 * i, hr=140 + i) for i in range(n)]


def refused(parse: Any, data: bytes) -> ImportFormatError:
    """The error refusing ``data`` by ``parse`` (GPX or TCX); fails the test when it is read."""
    with pytest.raises(ImportFormatError) as caught:
        parse(data, time_zone="UTC")
    return caught.value


TCX_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase '
    'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
    'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2"><Activities>\n'
)


def tcx_point(second: int | None, hr: str = "140", watts: str = "200") -> str:
    """A trackpoint ``second`` s after 06:00:00Z, 3 m a second, with HR and watts as written."""
    time = "" if second is None else f"<Time>2024-05-01T06:00:{second:02d}Z</Time>"
    return (
        f"<Trackpoint>{time}<DistanceMeters>{3.0 * (second or 0)}</DistanceMeters>"
        f"<HeartRateBpm><Value>{hr}</Value></HeartRateBpm><Extensions><ns3:TPX>"
        f"<ns3:Watts>{watts}</ns3:Watts></ns3:TPX></Extensions></Trackpoint>\n"
    )


def tcx_activity(sport: str, points: list[str]) -> str:
    """One ``Activity`` of one 30 s, 90 m lap (average 210 W) holding ``points``."""
    return (
        f'<Activity Sport="{sport}">\n<Id>2024-05-01T06:00:00Z</Id>\n'
        '<Lap StartTime="2024-05-01T06:00:00Z"><TotalTimeSeconds>30</TotalTimeSeconds>'
        "<DistanceMeters>90</DistanceMeters><Extensions><ns3:LX><ns3:AvgWatts>210</ns3:AvgWatts>"
        f"</ns3:LX></Extensions><Track>\n{''.join(points)}</Track></Lap>\n</Activity>\n"
    )


def tcx_file(*activities: str) -> bytes:
    """A TCX file of ``activities``."""
    return (TCX_HEAD + "".join(activities) + "</Activities></TrainingCenterDatabase>").encode()
