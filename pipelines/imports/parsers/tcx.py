"""Garmin Training Center XML (TCX v2) activities read into cardio workouts.

Parsed with defusedxml after :mod:`pipelines.imports.parsers.xmlsafe`'s byte check. Elements
are matched by local name, so any namespace prefix works (``ns3:TPX``, ``ext:TPX``).

* **One workout per ``<Activity>``** (a multi-sport session's legs are separate
  workouts); ``Sport`` (``Running``/``Biking``/``Other``) maps through
  :func:`.sports.sport_of` and is kept as the label.
* **Samples**: every ``Lap``'s ``Track``/``Trackpoint`` in order — ``Time``,
  ``Position``, ``AltitudeMeters``, ``DistanceMeters``, ``HeartRateBpm/Value``,
  ``Cadence``, and ActivityExtension v2 ``TPX/Speed``, ``TPX/Watts``,
  ``TPX/RunCadence``. Times are UTC (xsd:dateTime; one without a zone is read as UTC).
* **Device totals** (``CardioSession.device``) from the laps: ``timer_s`` = Σ
  ``TotalTimeSeconds`` (Garmin writes the *timer* time: pauses excluded, so it is
  neither elapsed nor moving time), ``distance_m`` = Σ ``DistanceMeters``, ``avg_hr`` =
  lap ``AverageHeartRateBpm`` weighted by lap time, ``max_hr`` = highest lap
  ``MaximumHeartRateBpm``, ``avg_power_w`` = LX ``AvgWatts`` weighted by lap time.
* An activity without two usable times is reported as a row error when other
  activities of the file import, and raises ``no_times`` when none does.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from pipelines.imports.parsers import base, sports, streams, values
from pipelines.imports.parsers.xmlsafe import local_name, parse_xml

FORMAT = "tcx"

_ROOT = "TrainingCenterDatabase"
_ACTIVITY_START = re.compile(rb"<(?:[\w.-]+:)?Activity[\s>]")
_TPX = {"Speed": "speed_mps", "Watts": "power_w", "RunCadence": "cadence"}


def parse_tcx(
    data: bytes, *, time_zone: str, on_progress: base.ProgressCallback | None = None
) -> base.ParseResult:
    """Read a TCX file (``time_zone``: the IANA zone it happened in) into one workout per
    activity.

    The zone sets the workouts' local days (TCX times are UTC). ``rows`` counts the
    trackpoints read. Per-point problems are sanitised and reported in ``cardio.warnings``;
    an activity that cannot be imported in a file where others can gives one ``RowError``
    at the line of its ``<Activity>``. ``on_progress`` gets the fraction done (0–1).

    Raises
    ------
    ImportFormatError
        ``invalid_time_zone``, ``empty_file``, ``unsafe_xml``, ``malformed``,
        ``unsupported_format`` (not TCX), ``no_points`` (no trackpoint at all),
        ``no_times`` (no activity with a usable duration).
    """
    zone = values.load_zone(time_zone)
    root = parse_xml(data, root=_ROOT)
    activities = [e for e in root.iter() if local_name(e.tag) == "Activity"]
    lines, line, position = [], 1, 0
    for match in _ACTIVITY_START.finditer(data):  # counted on from the previous one: linear
        line += data.count(b"\n", position, match.start())
        lines.append(line)
        position = match.start()
    if len(lines) != len(activities):  # e.g. UTF-16: no byte positions to give
        lines = [1] * len(activities)
    rows = rejected = 0
    workouts: list[base.ParsedWorkout] = []
    errors: list[base.RowError] = []
    first_error: base.ImportFormatError | None = None
    for number, (activity, line) in enumerate(zip(activities, lines, strict=True), start=1):
        points = list(_children(activity, "Lap", "Track", "Trackpoint"))
        rows += len(points)
        try:
            workouts.append(_workout(activity, points, zone=zone, line=line))
        except base.ImportFormatError as exc:
            first_error = first_error or exc
            rejected += len(points)
            errors.append(base.RowError(line, None, exc.code, f"activity {number}: {exc.message}"))
        if on_progress is not None:
            on_progress(number / len(activities))
    if rows == 0:
        raise base.ImportFormatError("no_points", "the TCX file has no activity with trackpoints")
    if not workouts:
        assert first_error is not None
        raise first_error
    return base.ParseResult(
        format=FORMAT,
        rows=rows,
        workouts=workouts,
        errors=errors[: base.MAX_ERRORS],
        errors_total=len(errors),
        rows_rejected=rejected,
    )


def _children(element: ET.Element, *path: str) -> Iterator[ET.Element]:
    """Descendants along ``path`` of local names (``"Lap", "Track", "Trackpoint"``)."""
    if not path:
        yield element
        return
    for child in element:
        if local_name(child.tag) == path[0]:
            yield from _children(child, *path[1:])


def _text(element: ET.Element, *path: str) -> str | None:
    found = next(_children(element, *path), None)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def _float(text: str | None) -> float | None:
    """A finite number, or None for absent/unreadable/non-finite text (lap totals only)."""
    try:
        number = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _trackpoint(point: ET.Element) -> dict[str, Any]:
    """One stream record (see :mod:`.streams`); time and numbers stay text, so that
    the stream builder and sanitise count unreadable ones."""
    row: dict[str, Any] = {
        "time": _text(point, "Time"),
        "lat": _text(point, "Position", "LatitudeDegrees"),
        "lon": _text(point, "Position", "LongitudeDegrees"),
        "ele_m": _text(point, "AltitudeMeters"),
        "distance_m": _text(point, "DistanceMeters"),
        "hr": _text(point, "HeartRateBpm", "Value"),
        "cadence": _text(point, "Cadence"),
    }
    for extension in _children(point, "Extensions"):
        for element in extension.iter():
            channel = _TPX.get(local_name(element.tag))
            if channel and row.get(channel) is None and element.text and element.text.strip():
                row[channel] = element.text.strip()
    return row


def _laps(activity: ET.Element) -> dict[str, float]:
    """The device's own totals, summed over laps (see the module docstring)."""
    timer = distance = hr_time = hr_sum = watt_time = watt_sum = 0.0
    max_hr: float | None = None
    for lap in _children(activity, "Lap"):
        seconds = _float(_text(lap, "TotalTimeSeconds"))
        if seconds is None or seconds < 0:
            continue
        timer += seconds
        distance += max(_float(_text(lap, "DistanceMeters")) or 0.0, 0.0)
        average = _float(_text(lap, "AverageHeartRateBpm", "Value"))
        if average is not None:
            hr_time, hr_sum = hr_time + seconds, hr_sum + average * seconds
        highest = _float(_text(lap, "MaximumHeartRateBpm", "Value"))
        if highest is not None:
            max_hr = highest if max_hr is None else max(max_hr, highest)
        watts = next((_float(e.text) for e in lap.iter() if local_name(e.tag) == "AvgWatts"), None)
        if watts is not None:
            watt_time, watt_sum = watt_time + seconds, watt_sum + watts * seconds
    device = {"timer_s": timer, "distance_m": distance} if timer > 0 else {}
    if hr_time > 0:
        device["avg_hr"] = hr_sum / hr_time
    if max_hr is not None:
        device["max_hr"] = max_hr
    if watt_time > 0:
        device["avg_power_w"] = watt_sum / watt_time
    return device


def _workout(
    activity: ET.Element, points: list[ET.Element], *, zone: ZoneInfo, line: int
) -> base.ParsedWorkout:
    if not points:
        raise base.ImportFormatError("no_points", "the activity has no trackpoints")
    stream = streams.build_stream([[_trackpoint(p) for p in points]])
    timed = stream.timed
    notes = [
        f"{count:,} trackpoint{'s' * (count != 1)} {what} {'was' if count == 1 else 'were'} "
        "not imported"
        for count, what in (
            (timed.untimed, "without a time"),
            (timed.unreadable, "with an unreadable time"),
            (timed.too_early + timed.too_late, "dated before 1900 or a day ahead"),
        )
        if count
    ]
    if timed.kept < 2:
        raise base.ImportFormatError(
            "no_times", f"only {timed.kept:,} of {len(points):,} trackpoints have a usable time"
        )
    streams.require_duration(stream.frame)
    label = activity.get("Sport")
    creator = next(_children(activity, "Creator"), None)
    unit = _text(creator, "UnitId") if creator is not None else None
    identity = _text(activity, "Id")
    kind = sports.sport_of(label)
    return streams.cardio_workout(
        stream.frame,
        sport=kind,
        sport_label=label,
        title=sports.SPORT_TITLES.get(kind, "Activity"),
        zone=zone,
        line=line,
        warnings=[*notes, *stream.clean.warnings],
        device=_laps(activity),
        source_id=f"tcx:{unit}:{identity}" if unit and identity else None,
        notes=_text(activity, "Notes"),
    )
